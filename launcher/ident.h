/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ident.h - who a VM's QEMU runs as: a uid and gid of its own (run_as = dynamic), or a named
 * user the host allows, never one another live VM has; and exactly the host's vm_groups. */
#ifndef PCIPASS_IDENT_H
#define PCIPASS_IDENT_H

#include <sys/types.h>

#include "config.h"
#include "util.h"
#include "vmconf.h"

struct vm_user {
	char name[USER_NAME_MAX + 1]; /* "dynamic" for an id from dynamic_ids */
	bool dynamic;
	uid_t uid;
	gid_t gid;
	size_t n_groups;
	gid_t groups[NAME_LIST_MAX]; /* the supplementary groups: vm_groups, nothing inherited */
};

/* Who vm runs as, before any lease: vm.ini's user (which the parser allowed) or the host's
 * run_as. A named user's uid or gid 0, or a vm_groups group 0, is refused unless
 * allow_root_vm. For a dynamic identity the ids are chosen by ident_lease. */
int ident_resolve(const struct host_config *h, const struct vm_config *vm, struct vm_user *u,
		  struct perr *e) MUST_CHECK;

/* ident_resolve's two halves: one group of vm_groups (its gid in *gid; gid 0 refused unless
 * allow_root_vm), and the user (u's name, dynamic, uid and gid; its groups left alone). */
int ident_group(const struct host_config *h, const char *name, gid_t *gid, struct perr *e) MUST_CHECK;
int ident_user(const struct host_config *h, const struct vm_config *vm, struct vm_user *u,
	       struct perr *e) MUST_CHECK;

/* Would ident_lease succeed? For a dynamic identity, the id it would take into u->uid and
 * u->gid, found the same way but not leased; for a named one, EX_UNAVAILABLE when a live VM
 * has its uid. Creates and locks nothing (--dry-run). */
int ident_peek(const struct host_config *h, struct vm_user *u, struct perr *e) MUST_CHECK;

/* Lease u's uid for VM vm: <state_dir>/ids/<uid>, held like a claim for QEMU's life. A dynamic
 * identity takes the lowest id of dynamic_ids that has no passwd or group entry and no live
 * lease; a named one must have no live lease (EX_UNAVAILABLE: no two live VMs share a uid).
 * VFIO group nodes a dead holder of the uid still owns go back to root first. Returns the
 * read-only descriptor QEMU inherits, or -1; *taken_over says a dead VM's lease was replaced
 * (an undo then leaves the file, as it found one). */
int ident_lease(const struct host_config *h, const char *vm, struct vm_user *u, bool *taken_over,
		struct perr *e) MUST_CHECK;

/* <state_dir>/ids into buf. */
int ids_dir(const char *state_dir, char *buf, size_t size, struct perr *e) MUST_CHECK;

/* Every <dev_root>/vfio/<group> node owned by uid back to root (mode kept): what a dead VM of
 * that uid was handed. Returns how many could not be taken back. */
int vfio_takeback_uid(const char *dev_root, uid_t uid);

/* Can u access path with mode (faccessat's R_OK, W_OK, X_OK)? Checked with u's uid, gid and
 * exactly its groups as the effective ids, root's again right after. 0 yes; 1 no, with the
 * errno in *err; -1 when root's ids could not be had back. */
int ident_access(const struct vm_user *u, const char *path, int mode, int *err, struct perr *e) MUST_CHECK;

/* Can u execute path? ident_access, so that a QEMU only root can run is refused while the
 * launch can still be undone (EX_CONFIG). */
int ident_can_exec(const struct vm_user *u, const char *path, struct perr *e) MUST_CHECK;

#endif
