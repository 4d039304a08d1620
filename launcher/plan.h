/* SPDX-License-Identifier: GPL-2.0-or-later */
/* plan.h - one launch's plan and its undo journal (LAUNCHER-DESIGN.md 1), shared by the launch,
 * --dry-run and --attach: the files read, the devices selected, gated, claimed, bound and
 * handed over, QEMU's argv; every change journalled as it is made, so that rollback() undoes
 * the lot in reverse. */
#ifndef PCIPASS_PLAN_H
#define PCIPASS_PLAN_H

#include "argv.h"
#include "claim.h"
#include "config.h"
#include "handover.h"
#include "hostuse.h"
#include "ident.h"
#include "inventory.h"
#include "machine.h"
#include "model.h"
#include "numa.h"
#include "select.h"
#include "slot.h"
#include "util.h"
#include "vmconf.h"

/* The undo journal: one entry appended after each step that changed something, walked
 * backwards by rollback(). */
enum jkind { J_LEASE, J_FILES, J_BIND, J_HANDED, J_SOCKET, J_VNCDIR, J_RESET };
struct jentry {
	enum jkind kind;
	int fd;                 /* J_LEASE, J_SOCKET */
	char path[512];         /* J_LEASE: its directory; J_SOCKET: the socket */
	char name[80];          /* J_LEASE: its file name */
	bool keep;              /* J_LEASE: it stays (a dead VM's claim, a device not given back) */
	size_t dev;             /* J_BIND, J_RESET: picks[dev]; J_HANDED: the group's */
	size_t claim;           /* J_BIND: the journal entry of its claim */
};
#define JOURNAL_MAX (16 + 4 * VM_DEV_MAX) /* leases, files, sockets; claim, reset, bind, hand-over */

struct plan {
	struct host_config host;
	struct model_set models;
	struct inventory inv;
	struct vm_config vm;
	struct claim_info *claims;
	bool *busy;
	char (*unfit)[UNFIT_MAX]; /* inv.dev[i] may not be handed out, and why ("": it may) */
	bool *judged;             /* unfit[i] is known (gate_one ran, or a health mark) */
	struct pcidev_info *live; /* inv.dev[i]'s sysfs facts as gate_one read them, if live_ok[i] */
	bool *live_ok;
	struct fitness fit;       /* both, for select.c, which judges a device when it looks */
	struct numa_host nodes;   /* read when vm.ini's numa or hugepages need them */
	struct numa_choice numa;  /* the node of devices, memory and vCPUs; the hugepages */
	struct machine_window window; /* the 64-bit PCI window, and why (window.c) */
	struct pick picks[VM_DEV_MAX];
	size_t n_picks;
	char was[VM_DEV_MAX][DRIVER_MAX]; /* each pick's driver when claimed */
	size_t claim_j[VM_DEV_MAX];       /* each pick's claim in the journal */
	/* model functions = all: a pick's slot and IOMMU groups go whole (plan_whole) */
	struct inv_device extra[VM_DEV_MAX]; /* picks the inventory does not list */
	size_t n_extra;
	bool outside[VM_DEV_MAX];   /* picks[i] is one of those: passed as no model */
	size_t with[VM_DEV_MAX];    /* picks[i]'s whole slot: its lead's index; NO_SLOT alone */
	bool whole[VM_DEV_MAX];     /* picks[i]'s IOMMU group goes whole with it */
	char goes_with[VM_DEV_MAX][PCI_ADDR_LEN + 16]; /* for --dry-run: "slot of ADDR", "group of ADDR" */
	char orig_reset[VM_DEV_MAX][RESET_METHOD_MAX + 1]; /* its reset_method before its model's */
	struct hostuse hu;          /* what the host itself uses (host-critical devices) */
	struct jentry j[JOURNAL_MAX];
	size_t n_j;
	struct vm_user user;
	struct handover fds;
	struct argv argv;
	long qemu_pid;              /* --attach: the running VM's QEMU, whose claims these are */
	unsigned long long qemu_start;
	char qdev[LEASE_QDEV_MAX + 1]; /* --attach: the device's id in QEMU */
};

struct jentry *journal(struct plan *p, enum jkind kind);
/* A lease taken (fd, dir/name): closed at rollback, removed unless keep. */
void journal_lease(struct plan *p, int fd, const char *dir, const char *name, bool keep);
void plan_free(struct plan *p);
/* SPEC step 1: the host config, models, inventory and vm_ini read and checked. */
int plan_read(struct plan *p, const char *vm_ini, struct perr *e) MUST_CHECK;
/* Steps 2 to 4: devices selected (claim: take, or NULL for a look that changes nothing),
 * gated, re-checked in sysfs, their slots and IOMMU groups planned. */
int plan_devices(struct plan *p, claim_fn claim, struct perr *e) MUST_CHECK;
/* QEMU's argv for the plan, and what each claim descriptor is for. */
int plan_argv(struct plan *p, struct perr *e) MUST_CHECK;
/* Step 3 for select_devices: claim d as this VM's, journalled. */
int take(void *user, const struct inv_device *d, struct perr *e);
/* Undo every journalled step, last first. */
void rollback(struct plan *p);
/* The QMP and console sockets and the VNC directory (step 6). */
int endpoints(struct plan *p, struct perr *e) MUST_CHECK;
/* The ROMs models name, as sealed copies (check: only look). */
int roms_open(struct plan *p, bool check, struct perr *e) MUST_CHECK;
/* Step 5 and the hand-over of each IOMMU group's VFIO node. */
int devices_bind(struct plan *p, struct perr *e) MUST_CHECK;
/* The model of picks[i] (NULL for a device passed as no model). */
const struct model *model_of(const struct plan *p, size_t i);

#endif
