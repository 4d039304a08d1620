/* SPDX-License-Identifier: GPL-2.0-or-later */
/* firmware.h - firmware = uefi: the host's OVMF code, handed to QEMU read-only, and the VM's
 * own variable store <nvram_dir>/<name>.fd, made on its first start as a copy of the host's
 * template and handed over read-write. Both by descriptor: QEMU never sees a path. */
#ifndef PCIPASS_FIRMWARE_H
#define PCIPASS_FIRMWARE_H

#include "config.h"
#include "handover.h"
#include "util.h"
#include "vmconf.h"

/* The largest variable store copied (Debian's 4 MiB build has 528 KiB). */
#define FW_VARS_MAX (64u << 20)

/* Name the real paths in the FD_FIRMWARE entries' why, for --dry-run and messages. */
void fw_describe(const struct host_config *host, const struct vm_config *vm, struct handover *h);

/* As root, before any device moves (files_open calls it): fill the src of h's FD_FIRMWARE
 * entries.
 *  - ovmf_code and ovmf_vars (the template) must be regular files, not symlinks themselves,
 *    root's and writable by nobody else, on a path trust_path() accepts; the code is opened
 *    O_RDONLY.
 *  - nvram_dir is made (0700) when missing, and must pass trust_dir().
 *  - <nvram_dir>/<name>.fd, when missing, is made whole (temporary, fsync, link, 0600) as a
 *    copy of the template, and logged; it stays if the launch fails later: it is what the next
 *    start would make. An existing one must be a regular file (no symlink), root's, with one
 *    link, not writable by group or others, and as large as the template. It gets an O_RDONLY
 *    and an O_RDWR descriptor (one fdset, as a writable disk).
 * On failure nothing stays open: -1 and one line naming vm.ini:line of firmware = uefi and the
 * path. Status: 66 code or template missing; 78 a code, template or nvram_dir the trust rule
 * refuses; 77 a variable store refused (symlink, not a regular file, not root's, linked, mode);
 * 65 one of the wrong size; 73 it cannot be made; 71 any other error. */
int fw_open(const struct host_config *host, const struct vm_config *vm, struct handover *h,
	    struct perr *e) MUST_CHECK;

/* --dry-run: what fw_open would meet, changing nothing: the same checks of the code, the
 * template, nvram_dir (or, when missing, the directory it would be made in) and the variable
 * store when it exists (opened O_RDONLY and O_RDWR, then closed); nothing made or copied. */
int fw_check(const struct host_config *host, const struct vm_config *vm, struct perr *e) MUST_CHECK;

#endif
