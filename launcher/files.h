/* SPDX-License-Identifier: GPL-2.0-or-later */
/* files.h - the files and taps a vm.ini names, opened by the launcher and handed to QEMU by
 * descriptor (SPEC, Isolation: the VM's identity needs no right on any host file). */
#ifndef PCIPASS_FILES_H
#define PCIPASS_FILES_H

#include "config.h"
#include "handover.h"
#include "util.h"
#include "vmconf.h"

/* As root, before any device moves: fill the src of every FD_DRIVE, FD_KERNEL, FD_INITRD and
 * FD_TAP entry of h (planned by handover_plan for vm).
 *  - A disk, kernel or initrd must lie beneath one of host->image_dirs (the longest that is a
 *    prefix at a component boundary); it is opened below that directory with no symlink
 *    followed and no way out of it, and must be a regular file. A disk gets one O_RDONLY
 *    descriptor, plus an O_RDWR one on the same inode when it is writable.
 *  - The kernel and initrd are copied into sealed memfds (no write, grow, shrink or new seal)
 *    of at most the VM's memory; the entry gets an O_RDONLY descriptor of the copy, which QEMU
 *    reads as /proc/self/fd/N.
 *  - A tap by ifname must exist and be a tap (<sysfs_root>/class/net/IF/tun_flags); by bridge,
 *    the bridge must exist and the launcher makes a tap on it (named by the kernel, pcipassN),
 *    up, with the bridge's MTU, and gone when the last descriptor of it closes.
 *  - firmware = uefi: OVMF's code and the VM's variable store (fw_open, firmware.h), last.
 * On failure nothing stays open: -1 and one line naming vm.ini:line and the path or name.
 * Status: 66 (EX_NOINPUT) a file, interface or bridge that does not exist; 77 (EX_NOPERM) one
 * the host's policy refuses: outside image_dirs, through a symlink or out of its image dir, not
 * a regular file, not writable for a writable disk, not a tap, not a bridge; 65 a kernel or
 * initrd larger than the VM's memory; 69 a tap in use; 78 an image dir that cannot be opened;
 * 71 any other error of the system. */
int files_open(const struct host_config *host, const struct vm_config *vm, struct handover *h,
	       struct perr *e) MUST_CHECK;

/* --dry-run: what files_open would meet for one thing vm.ini names, changing nothing; its
 * messages and statuses. Disk i is found as files_open finds it and opened as it opens it
 * (O_RDONLY, then O_RDWR for a writable disk: never O_CREAT or O_TRUNC), then closed; the
 * kernel or initrd likewise, its size checked against the VM's memory, not copied. Net i's tap
 * (ifname: tun_flags) or bridge is looked up in <sysfs_root>/class/net, and <dev_root>/net/tun
 * must be a character device: no TUNSETIFF, which could make an interface. A tap some process
 * holds (EBUSY) is only seen at launch. */
int files_check_disk(const struct host_config *host, const struct vm_config *vm, size_t i,
		     struct perr *e) MUST_CHECK;
int files_check_boot(const struct host_config *host, const struct vm_config *vm, bool initrd,
		     struct perr *e) MUST_CHECK;
int files_check_tap(const struct host_config *host, const struct vm_config *vm, size_t i,
		    struct perr *e) MUST_CHECK;

/* A new open file (flags: O_RDONLY or O_RDWR, close-on-exec) of what fd names, an O_PATH
 * descriptor say: the same inode, reopened through /proc/self/fd. -1 with errno. */
int files_reopen(int fd, int flags);

/* in (read from its offset) copied into a memfd named name, sealed against every change
 * (write, grow, shrink, new seal); *out an O_RDONLY descriptor of the copy, which QEMU reads as
 * /proc/self/fd/N. -2 (and EX_DATAERR) for more than max bytes, -1 for any other failure;
 * at starts every message. */
int files_seal(int in, unsigned long long max, const char *name, const char *at, int *out,
	       struct perr *e) MUST_CHECK;

/* Close the descriptors files_open gave (src = -1 again); a tap made on a bridge vanishes. */
void files_close(struct handover *h);

#endif
