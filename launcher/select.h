/* SPDX-License-Identifier: GPL-2.0-or-later */
/* select.h - which devices a VM gets (SPEC step 2) and whether their IOMMU groups allow it
 * (step 4). Decisions only: the caller reads the inventory, the claims and sysfs. */
#ifndef PCIPASS_SELECT_H
#define PCIPASS_SELECT_H

#include "inventory.h"
#include "numa.h"
#include "util.h"
#include "vmconf.h"

struct pick {
	const struct inv_device *dev;
	const struct vm_request *req;
};

/* Try to claim addr: 0 claimed, 1 lost (someone else holds it: try the next), -1 error. */
typedef int (*claim_fn)(void *user, const struct inv_device *dev, struct perr *e);

/* Why a device may not be handed out even when free: a health mark, a failing health check, a
 * use by the host; "" when it may. */
#define UNFIT_MAX 256

/* Whether each inventory device may be handed out even when free: why[i] ("" it may), worked
 * out by judge(fit, i) the first time a pick looks at device i (then known[i]), so that the
 * costly live checks (sysfs, read by the caller's judge) run for the devices a launch looks at,
 * not for every device of the model. A refusal has looked at them all. */
struct fitness {
	char (*why)[UNFIT_MAX];
	bool *known;
	void (*judge)(struct fitness *fit, size_t i); /* NULL: why[] is all there is */
	void *user;
};

/* Pick devices for vm from inv. busy[i] says inv->dev[i] has a live claim; fit (NULL: every
 * device may be handed out) why it may not. Explicit addresses first, then each model's free
 * devices, on vm's NUMA node if it names one, lowest address first; claim (NULL: assume
 * success, for --dry-run) is tried on each, and a lost race moves on to the next. picks has
 * room for VM_DEV_MAX. EX_UNAVAILABLE when there are not enough (naming an unfit device). */
int select_devices(const struct inventory *inv, const bool *busy, struct fitness *fit,
		   const struct vm_config *vm, claim_fn claim, void *user, struct pick *picks,
		   size_t *n_picks, struct perr *e) MUST_CHECK;

/* select_devices with every model's device from on_node (-1: from any), whatever vm's
 * numa_node says; with numa = strict or prefer, explicit addresses too (a device elsewhere is
 * an error naming its node). */
int select_on_node(const struct inventory *inv, const bool *busy, struct fitness *fit,
		   const struct vm_config *vm, int on_node, claim_fn claim, void *user,
		   struct pick *picks, size_t *n_picks, struct perr *e) MUST_CHECK;

/* Before select_on_node: the node the devices come from and the memory and vCPUs are bound
 * to (numa_choose, over the host's nodes h), each node's fit found by selecting on it without
 * claiming; hugepages checked free where they come from. */
int select_node(const struct inventory *inv, const bool *busy, struct fitness *fit,
		const struct vm_config *vm, const struct numa_host *h, struct numa_choice *c,
		struct perr *e) MUST_CHECK;

/* A device sharing an IOMMU group. */
struct group_member {
	char addr[PCI_ADDR_LEN];
	unsigned class;      /* base class and subclass */
	char driver[DRIVER_MAX];
};

/* Every other endpoint in dev's group must be unbound, bound to vfio_driver, or passed to this
 * VM too (bridges are fine); else the launch fails naming the device that blocks it. */
int group_check(const char *addr, int group, const struct group_member *m, size_t n,
		const struct pick *picks, size_t n_picks, const char *vfio_driver,
		struct perr *e) MUST_CHECK;

/* The members of IOMMU group `group` from <sysfs_root>/kernel/iommu_groups/<group>/devices. */
int group_read(const char *sysfs_root, int group, struct group_member **m, size_t *n,
	       struct perr *e) MUST_CHECK;

/* SPEC step 2's re-check: d is still in sysfs with the IDs the inventory gives it (a stale
 * inventory is an error naming the inventory, not a surprise). */
int device_recheck(const char *sysfs_root, const char *inventory, const struct inv_device *d,
		   struct perr *e) MUST_CHECK;

/* The launch's health gate for one device, into why[UNFIT_MAX] ("" when it passes): no reset
 * method the kernel offers (reset_methods "": none; "-", a kernel before 5.15, is unknown and
 * passes), powered off (D3cold), uncorrectable AER errors logged (fatal or non-fatal > 0), or a
 * fact sysfs gives unparsable; each waived by the model's allow bits (enum model_allow).
 * live: pcidev_read's facts (pcidev.h). Pure. */
struct pcidev_info;
void health_gate(const struct pcidev_info *live, unsigned allow, char why[UNFIT_MAX]);

/* A small sysfs file of one number and a newline, in base 16 ("0x120000") or 10, from min
 * to max; anything else (absent, junk, out of range) is `absent`. */
long sysfs_number(const char *path, int base, long min, long max, long absent);

#endif
