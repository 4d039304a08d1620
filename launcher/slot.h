/* SPDX-License-Identifier: GPL-2.0-or-later */
/* slot.h - whole slots (a model's functions = all): a slot's other functions as sysfs shows
 * them, and where a VM's devices sit on its root ports (pure). */
#ifndef PCIPASS_SLOT_H
#define PCIPASS_SLOT_H

#include <stdbool.h>
#include <stddef.h>

#include "inventory.h"
#include "util.h"

#define SLOT_FUNCS 8   /* functions of one slot (dd.0 to dd.7) */
#define NO_SLOT ((size_t)-1)

/* a and b (canonical addresses) are functions of one slot: all but the function agree. */
bool same_slot(const char *a, const char *b);

/* Where each of n devices (canonical addresses addr[i]) sits in the guest. with[i]: the index
 * of the device whose whole slot device i goes with (the slot's lead has its own index), or
 * NO_SLOT for a device alone. Each device alone and each whole slot gets a root port of its
 * own, numbered in order of first appearance. In a slot of two or more functions each keeps
 * its host function number when the slot's function 0 is there (else they are numbered 0.. in
 * address order: a guest looks for function 0 first), and function 0 says multifunction. */
struct slot_place {
	unsigned port, func;
	bool slot, multifunction;
};
void slot_layout(const char *const *addr, const size_t *with, size_t n, struct slot_place *out);

/* A device as sysfs shows it now, in the inventory's terms (ids, class, IOMMU group, NUMA
 * node, driver; model and dev_type ""): a slot's function or a group's endpoint the inventory
 * does not list. */
int sysfs_device(const char *sysfs_root, const char *addr, struct inv_device *out,
		 struct perr *e) MUST_CHECK;

/* The other functions of addr's slot under <sysfs_root>/bus/pci/devices, in address order
 * (at most 7, SLOT_FUNCS - 1), each as sysfs_device reads it. Bridges are left out (as in an
 * IOMMU group, they are never passed), and so are SR-IOV virtual functions (a `physfn` link):
 * a VF is a device of its own, not a function of the card, even where its address shares the
 * slot. */
int slot_siblings(const char *sysfs_root, const char *addr, struct inv_device *out, size_t *n,
		  struct perr *e) MUST_CHECK;

/* Can addr's slot be reset as one, by its bridge's secondary bus reset? True when the slot is
 * alone on its bus and that bus is behind a bridge (not a root bus). A multifunction card
 * without FLR gets no reset method of its own from the kernel (a bus reset would reach its
 * other functions), yet passed whole it has one: VFIO resets the bus when every device on it
 * belongs to the VM (QEMU's hot reset). */
bool slot_bus_resettable(const char *sysfs_root, const char *addr);

#endif
