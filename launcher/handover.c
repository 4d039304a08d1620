/* SPDX-License-Identifier: GPL-2.0-or-later */
/* handover.c - the descriptors QEMU is given, planned as one table. */
#include "handover.h"

#include <stdio.h>
#include <string.h>

static struct fd_entry *add(struct handover *h, enum fd_kind kind, bool rdonly, int fdset,
			    int index, const char *why)
{
	struct fd_entry *f = &h->e[h->n];

	*f = (struct fd_entry){ -1, HANDOVER_FIRST + (int)h->n, kind, rdonly, fdset, index, "" };
	snprintf(f->why, sizeof(f->why), "%s", why);
	h->n++;
	return f;
}

struct fd_entry *handover_add(struct handover *h, enum fd_kind kind, bool rdonly, int index,
			      const char *why)
{
	return h->n < HANDOVER_MAX ? add(h, kind, rdonly, -1, index, why) : NULL;
}

void handover_plan(const struct vm_config *vm, size_t n_claims, struct handover *h)
{
	char why[sizeof(h->e[0].why)];

	memset(h, 0, sizeof(*h));
	add(h, FD_QMP, false, -1, 0, "QMP socket");
	add(h, FD_LOCK, true, -1, 0, "name lease");
	add(h, FD_LOCK, true, -1, 1, "uid lease");
	for (size_t i = 0; i < n_claims && i < VM_DEV_MAX; i++) {
		snprintf(why, sizeof(why), "claim %zu", i);
		add(h, FD_LOCK, true, -1, 2 + (int)i, why);
	}
	if (strcmp(vm->serial, "socket") == 0)
		add(h, FD_CONSOLE, false, -1, 0, "console socket");
	for (size_t i = 0; i < vm->n_disk; i++) {
		snprintf(why, sizeof(why), "disk %zu (read-only): %s", i, vm->disk[i].file);
		add(h, FD_DRIVE, true, (int)i + 1, (int)i, why);
		if (!vm->disk[i].readonly) {
			snprintf(why, sizeof(why), "disk %zu (read-write): %s", i, vm->disk[i].file);
			add(h, FD_DRIVE, false, (int)i + 1, (int)i, why);
		}
	}
	if (vm->kernel[0]) {
		snprintf(why, sizeof(why), "kernel (sealed copy): %s", vm->kernel);
		add(h, FD_KERNEL, true, -1, 0, why);
	}
	if (vm->initrd[0]) {
		snprintf(why, sizeof(why), "initrd (sealed copy): %s", vm->initrd);
		add(h, FD_INITRD, true, -1, 0, why);
	}
	for (size_t i = 0; i < vm->n_net; i++)
		if (strcmp(vm->net[i].mode, "tap") == 0) {
			snprintf(why, sizeof(why), "tap of net %zu: %s %s", i,
				 vm->net[i].ifname[0] ? "ifname" : "a new one on bridge",
				 vm->net[i].ifname[0] ? vm->net[i].ifname : vm->net[i].bridge);
			add(h, FD_TAP, false, -1, (int)i, why);
		}
	if (strcmp(vm->firmware, "uefi") == 0) {
		add(h, FD_FIRMWARE, true, FDSET_OVMF_CODE, 0, "OVMF code (read-only): ovmf_code");
		snprintf(why, sizeof(why), "OVMF variables (read-only): nvram_dir/%s.fd", vm->name);
		add(h, FD_FIRMWARE, true, FDSET_OVMF_VARS, 1, why);
		snprintf(why, sizeof(why), "OVMF variables (read-write): nvram_dir/%s.fd", vm->name);
		add(h, FD_FIRMWARE, false, FDSET_OVMF_VARS, 1, why);
	}
}

/* The last match: for a writable disk, its read-write descriptor. -1 when none. */
static long find(const struct handover *h, enum fd_kind kind, int index)
{
	long found = -1;

	for (size_t i = 0; i < h->n; i++)
		if (h->e[i].kind == kind && h->e[i].index == index)
			found = (long)i;
	return found;
}

struct fd_entry *handover_find(struct handover *h, enum fd_kind kind, int index)
{
	long i = find(h, kind, index);

	return i < 0 ? NULL : &h->e[i];
}

const struct fd_entry *handover_get(const struct handover *h, enum fd_kind kind, int index)
{
	long i = find(h, kind, index);

	return i < 0 ? NULL : &h->e[i];
}

const char *handover_kind(enum fd_kind kind)
{
	static const char *const kinds[] = {
		[FD_QMP] = "qmp", [FD_CONSOLE] = "console", [FD_LOCK] = "lock", [FD_DRIVE] = "drive",
		[FD_KERNEL] = "kernel", [FD_INITRD] = "initrd", [FD_TAP] = "tap",
		[FD_FIRMWARE] = "firmware", [FD_ROM] = "rom",
	};

	return (size_t)kind < sizeof(kinds) / sizeof(kinds[0]) && kinds[kind] ? kinds[kind] : "?";
}

void handover_show(const struct handover *h, struct sbuf *b)
{
	for (size_t i = 0; i < h->n; i++) {
		const struct fd_entry *f = &h->e[i];
		char why[sizeof(f->why) * 4];

		sbuf_printf(b, "fd %d %s %s", f->target, handover_kind(f->kind), f->rdonly ? "ro" : "rw");
		if (f->fdset >= 0)
			sbuf_printf(b, " set=%d", f->fdset);
		snprintf(why, sizeof(why), "%s", f->why);
		log_escape(why, sizeof(why)); /* a path from vm.ini: no raw control or C1 byte */
		sbuf_printf(b, ": %s\n", why);
	}
}
