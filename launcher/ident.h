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

/* Can u execute path? Checked with u's ids as the effective ones, root's again right after, so
 * that a QEMU only root can run is refused while the launch can still be undone. */
int ident_can_exec(const struct vm_user *u, const char *path, struct perr *e) MUST_CHECK;

#endif
