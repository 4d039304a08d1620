/* SPDX-License-Identifier: GPL-2.0-or-later */
/* preflight.h - what --dry-run checks beyond the plan (SPEC, Operating VMs): as far as root can
 * without changing anything, that the launch would succeed; every problem found, not just the
 * first. */
#ifndef PCIPASS_PREFLIGHT_H
#define PCIPASS_PREFLIGHT_H

#include "config.h"
#include "ident.h"
#include "util.h"
#include "vmconf.h"

/* More than one VM can have: 8 disks, a kernel, an initrd, 4 taps and a dozen others. */
#define PROBLEMS_MAX 32

struct problems {
	size_t n;
	size_t lost;  /* found beyond PROBLEMS_MAX: counted, not kept */
	struct perr p[PROBLEMS_MAX];
};

/* Keep *e, a check's failure, as the next problem; *e is cleared for the next check (fail()
 * keeps the first error it is given). */
void problem_add(struct problems *ps, struct perr *e);

/* The status to leave with: the first problem's, as the launch would stop at the first; 0 when
 * there is none. */
int problems_status(const struct problems *ps);

/* Could RLIMIT_MEMLOCK be set to need_mib MiB, soft and hard (as limits_set does), with this
 * hard limit (bytes; RLIM_INFINITY) and with or without CAP_SYS_RESOURCE? Pure. */
bool memlock_raisable(unsigned long long need_mib, unsigned long long hard, bool cap_sys_resource);

/* Where the launch of vm with n_dev devices passed through would fail beyond its plan, checked
 * in the launch's order: the state directory (state_verify), vm_groups and the user, a live VM
 * of the same name, a free uid (ident_peek), the NUMA node, QEMU executable by the identity,
 * <dev_root>/kvm for accel = kvm, every disk, kernel, initrd and tap (files_check_*), OVMF's
 * files and the VM's variable store for firmware = uefi (fw_check: nothing made), the VFIO
 * driver and RLIMIT_MEMLOCK when devices are passed. One problem a line, naming vm.ini:line
 * where it comes from vm.ini. *u: the identity the VM would get; *resolved says whether it was
 * found whole. Changes nothing: effective ids switched for a moment, files opened and closed,
 * nothing made, locked, bound or written. Not as root: one problem (EX_NOPERM), nothing
 * checked. */
void preflight(const struct host_config *h, const struct vm_config *vm, size_t n_dev,
	       struct vm_user *u, bool *resolved, struct problems *ps);

#endif
