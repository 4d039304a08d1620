/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rom.h - a model's romfile, handed to QEMU as a sealed copy (the VM's identity needs no right
 * on the host's ROM directory). */
#ifndef PCIPASS_ROM_H
#define PCIPASS_ROM_H

#include "config.h"
#include "util.h"

#define ROM_MAX (16u << 20) /* bytes: a PCI expansion ROM larger than this is not one */

/* As root: <rom_dir>/<name> (name a plain file name, model.h's romfile_check), rom_dir passing
 * the config's trust rule, the file opened without following a symlink and refused unless a
 * regular file of 1 byte to ROM_MAX that only root can write; copied into a sealed memfd, *out
 * an O_RDONLY descriptor of the copy (QEMU's romfile=/proc/self/fd/N). Status 66 missing, 77
 * a symlink or not a regular file, 78 rom_dir or the file writable by others than root, 65
 * empty or too large, 71 anything else. */
int rom_open(const struct host_config *host, const char *name, int *out, struct perr *e) MUST_CHECK;

#endif
