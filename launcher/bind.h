/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bind.h - SPEC step 5: a device moved to vfio-pci, and back. Every write is one of the
 * kernel's sysfs controls under sysfs_root; never new_id. */
#ifndef PCIPASS_BIND_H
#define PCIPASS_BIND_H

#include "inventory.h"
#include "util.h"

/* How long to wait for <dev_root>/vfio/<group> after the bind. */
#define VFIO_WAIT_MS 5000

/* Wait for path (addr's group's VFIO device) to exist, at most timeout_ms: one access() when it
 * is there already, as it is when vfio-pci made it during the probe; else woken by inotify on
 * its directory as it appears (or, where the directory cannot be watched, looks 50 us apart,
 * doubling up to 10 ms). The error names path and the milliseconds waited. */
int vfio_node_wait(const char *addr, const char *path, int timeout_ms, struct perr *e) MUST_CHECK;

/* The driver addr is bound to now ("" when none) into out. */
int driver_of(const char *sysfs_root, const char *addr, char out[DRIVER_MAX], struct perr *e) MUST_CHECK;

/* The IOMMU group of addr, from its iommu_group link. */
int group_of(const char *sysfs_root, const char *addr, struct perr *e) MUST_CHECK;

/* driver_override = vfio_driver, unbind from the current driver, drivers_probe (none of them
 * when orig is vfio_driver already); then check the driver link and wait (bounded) for the
 * group's VFIO device. orig is the driver it has. */
int bind_vfio(const char *sysfs_root, const char *dev_root, const char *addr, int group,
	      const char *vfio_driver, const char *orig, struct perr *e) MUST_CHECK;

/* Give addr back: clear driver_override, unbind from vfio_driver, bind to orig (none: left
 * unbound). Goes on through failures, so as much as possible is given back; -1 if any. */
int unbind_vfio(const char *sysfs_root, const char *addr, const char *vfio_driver,
		const char *orig, struct perr *e);

/* The device's reset methods as the kernel lists them now, into out: "" when it offers none,
 * "-" for a kernel without reset_method (before 5.15). */
int reset_method_get(const char *sysfs_root, const char *addr, char out[RESET_METHOD_MAX + 1],
		     struct perr *e) MUST_CHECK;

/* Write methods (a model's reset_method, or the original list to restore) to the device's
 * reset_method. check: read it back, and refuse what the kernel did not take whole (it refuses,
 * or before 6.0 silently skips, a method the device does not offer): the caller's undo puts
 * the original back. */
int reset_method_set(const char *sysfs_root, const char *addr, const char *methods, bool check,
		     struct perr *e) MUST_CHECK;

#endif
