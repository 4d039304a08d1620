/* SPDX-License-Identifier: GPL-2.0-or-later */
/* window.h - the 64-bit PCI window for the devices a launch picked (machine.h decides): their
 * BARs from sysfs, the guest's physical address bits from the accelerator, the CPU and the
 * host's <proc_root>/cpuinfo. */
#ifndef PCIPASS_WINDOW_H
#define PCIPASS_WINDOW_H

#include "argv.h"
#include "config.h"
#include "machine.h"
#include "pcidev.h"
#include "util.h"
#include "vmconf.h"

/* The window for vm with devs[0..n_dev) passed through (their 64-bit memory BARs, as
 * pcidev_read finds them in <sysfs_root>, or known[i] when not NULL: the facts the launch's
 * gates read a moment before; each device's port groups them), checked against
 * the guest's physical address bits: 40 under TCG (QEMU 7.2's phys-bits); under KVM the host's
 * ("address sizes" of <proc_root>/cpuinfo) for cpu = host, which QEMU passes on, and for a CPU
 * model its 40 or the host's when fewer. Bits that cannot be known (cpuinfo unreadable or not
 * as the kernel writes it) are not checked, and w->why says so. -1 when a device's sysfs
 * directory cannot be read (EX_NOINPUT) or the map does not fit (EX_UNAVAILABLE,
 * machine_window's message); w is filled either way. */
int window_plan(const struct host_config *host, const struct vm_config *vm,
		const struct qemu_dev *devs, const struct pcidev_info *const *known, size_t n_dev,
		struct machine_window *w, struct perr *e) MUST_CHECK;

#endif
