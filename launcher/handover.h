/* SPDX-License-Identifier: GPL-2.0-or-later */
/* handover.h - the descriptors QEMU is given, as one table.
 *
 * The pure planner (handover_plan) decides which descriptor lands on which number and why;
 * argv.c reads only the table to write QEMU's options; the launcher fills in the source
 * descriptors as it opens things (as root, before any device moves) and fds_arrange() puts them
 * in place, checking that what must be read-only is. --dry-run prints the table. */
#ifndef PCIPASS_HANDOVER_H
#define PCIPASS_HANDOVER_H

#include <stdbool.h>
#include <stddef.h>

#include "vmconf.h"

#define HANDOVER_FIRST 3 /* 0, 1, 2 are stdio */
#define HANDOVER_MAX (8 + 2 * VM_DEV_MAX + 2 * VM_DISK_MAX + VM_NET_MAX + 3) /* claims, ROMs */
/* firmware = uefi: OVMF's code and the VM's variables are -add-fd sets of their own, after
 * the disks' (a disk's set is its index + 1) */
#define FDSET_OVMF_CODE (VM_DISK_MAX + 1)
#define FDSET_OVMF_VARS (VM_DISK_MAX + 2)

enum fd_kind {
	FD_QMP,      /* the listening QMP socket (the launcher's, root-owned) */
	FD_CONSOLE,  /* the listening serial console socket (serial = socket) */
	FD_LOCK,     /* a lease QEMU holds for its life: name, uid, claims; read-only */
	FD_DRIVE,    /* a disk: read-only, or the read-write half of a writable disk's fdset */
	FD_KERNEL,   /* a sealed memfd copy of [boot] kernel */
	FD_INITRD,   /* likewise of [boot] initrd */
	FD_TAP,      /* a tap device ([net] mode = tap) */
	FD_ROM,      /* a sealed memfd copy of a device's model romfile (index: its pick) */
	FD_FIRMWARE, /* firmware = uefi: index 0 OVMF's code (read-only), 1 the VM's variables
		      * (O_RDONLY and O_RDWR in one fdset, as a writable disk) */
};

struct fd_entry {
	int src;            /* the launcher's descriptor; -1 until opened (and in --dry-run) */
	int target;         /* its number in QEMU */
	enum fd_kind kind;
	bool rdonly;        /* must be open O_RDONLY (checked with F_GETFL before exec) */
	int fdset;          /* FD_DRIVE: the -add-fd set (disk index + 1); FD_FIRMWARE:
			     * FDSET_OVMF_*; else -1 */
	int index;          /* the disk, net or lease it belongs to (FD_LOCK: 0 name, 1 uid, 2.. claims) */
	char why[VM_PATH_MAX + 48]; /* for --dry-run and messages: "disk 0 (read-only): PATH" */
};

struct handover {
	size_t n;
	struct fd_entry e[HANDOVER_MAX];
};

/* Plan every descriptor for vm with n_claims device claims: QMP on 3, then the name lease, the
 * uid lease, the claims (in pick order), the console, each disk (a read-only disk one
 * descriptor; a writable one two, O_RDONLY then O_RDWR, in one fdset, as QEMU's -add-fd
 * needs), the kernel, the initrd, the taps, and for firmware = uefi OVMF's code (one
 * descriptor) and the VM's variables (two, as a writable disk's). Pure: no descriptor is
 * opened. */
void handover_plan(const struct vm_config *vm, size_t n_claims, struct handover *h);

/* The entry of a kind and index (NULL when there is none; for a writable disk, the O_RDWR one). */
struct fd_entry *handover_find(struct handover *h, enum fd_kind kind, int index);
/* One more descriptor after those planned (a claim of a whole slot's function, a device's ROM);
 * NULL when the table is full. */
struct fd_entry *handover_add(struct handover *h, enum fd_kind kind, bool rdonly, int index,
			      const char *why);
const struct fd_entry *handover_get(const struct handover *h, enum fd_kind kind, int index);

/* A kind's name as --dry-run shows it: "qmp", "lock", "drive"... */
const char *handover_kind(enum fd_kind kind);

/* The table for --dry-run, one line per descriptor: "fd 9 drive ro set=1: disk 0 (read-only)". */
void handover_show(const struct handover *h, struct sbuf *b);

#endif
