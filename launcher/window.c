/* SPDX-License-Identifier: GPL-2.0-or-later */
/* window.c - the 64-bit PCI window for the devices picked: what sysfs and /proc say, then
 * machine_window() decides. */
#include "window.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pcidev.h"

#define TCG_PHYS_BITS 40   /* QEMU 7.2: TCG's phys-bits, and a CPU model's under KVM */
#define CPUINFO_READ 65536 /* the first CPU's lines are all we need */

/* The host's physical address bits from <proc_root>/cpuinfo; 0 with why when unknown. */
static unsigned host_bits(const struct host_config *host, char *why, size_t size)
{
	static char text[CPUINFO_READ];
	char path[CONF_PATH_MAX + 16];
	const char *because = NULL;
	size_t len = 0;
	unsigned bits = 0;
	ssize_t n = 1;
	int fd;

	if (xsnprintf(path, sizeof(path), "%s/cpuinfo", host->proc_root) < 0) {
		snprintf(why, size, "proc_root too long");
		return 0;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0) {
		snprintf(why, size, "%s: %s", path, strerror(errno));
		return 0;
	}
	while (len < sizeof(text) && (n = read(fd, text + len, sizeof(text) - len)) > 0)
		len += (size_t)n;
	close(fd);
	if (n < 0)
		snprintf(why, size, "%s: %s", path, strerror(errno));
	else if (machine_phys_bits(text, len, &bits, &because) < 0)
		snprintf(why, size, "%s: %s", path, because);
	return n < 0 ? 0 : bits;
}

/* The guest's physical address bits, and where they come from (in from[size]). */
static unsigned guest_bits(const struct host_config *host, const struct vm_config *vm, char *from,
			   size_t size, char *unknown, size_t usize)
{
	unsigned hb;

	if (strcmp(vm->accel, "tcg") == 0) {
		snprintf(from, size, "TCG's phys-bits");
		return TCG_PHYS_BITS;
	}
	hb = host_bits(host, unknown, usize);
	if (!vm->cpu[0] || strcmp(vm->cpu, "host") == 0) {
		snprintf(from, size, "%s/cpuinfo's, which -cpu host passes on", host->proc_root);
		return hb;
	}
	if (hb && hb < TCG_PHYS_BITS) {
		snprintf(from, size, "%s/cpuinfo's, fewer than CPU model %s's 40", host->proc_root, vm->cpu);
		return hb;
	}
	snprintf(from, size, "CPU model %s's phys-bits", vm->cpu);
	return TCG_PHYS_BITS;
}

int window_plan(const struct host_config *host, const struct vm_config *vm,
		const struct qemu_dev *devs, const struct pcidev_info *const *known, size_t n_dev,
		struct machine_window *w, struct perr *e)
{
	static struct machine_in in; /* 30 KB: not on the stack */
	char from[CONF_PATH_MAX + 96], unknown[CONF_PATH_MAX + 96] = "";
	int r;

	memset(&in, 0, sizeof(in));
	in.q35 = strcmp(vm->machine, "q35") == 0;
	in.uefi = strcmp(vm->firmware, "uefi") == 0;
	in.memory_mib = vm->memory_mib;
	in.phys_bits = guest_bits(host, vm, from, sizeof(from), unknown, sizeof(unknown));
	in.bits_from = from;
	for (size_t i = 0; i < n_dev; i++) {
		struct pcidev_info info;

		if (known && known[i])
			info = *known[i];
		else if (pcidev_read(host->sysfs_root, devs[i].addr, &info, e) < 0) {
			memset(w, 0, sizeof(*w));
			return -1;
		}
		/* a file the kernel always has but that is not there or not its format: the BARs
		 * are not known, and a window sized without them could be too small */
		if (info.bad & PCIDEV_RESOURCE) {
			memset(w, 0, sizeof(*w));
			return fail(e, EX_OSERR, "%s: cannot size the 64-bit PCI window: %s", devs[i].addr,
				    info.why_bad);
		}
		for (size_t k = 0; k < info.n_bar && in.n_bar < MACHINE_BAR_MAX; k++) {
			const struct pcidev_bar *b = &info.bar[k];
			if (!b->mem || !b->mem64 || b->index > 5)
				continue;
			in.bar[in.n_bar] = (struct machine_bar){ b->size, devs[i].port, "" };
			snprintf(in.bar[in.n_bar].addr, sizeof(in.bar[0].addr), "%s", devs[i].addr);
			in.n_bar++;
		}
	}
	r = machine_window(&in, w, e);
	if (in.phys_bits == 0) {
		size_t o = strlen(w->why);
		snprintf(w->why + o, sizeof(w->why) - o, "; guest physical address bits not checked (%s)", unknown);
	}
	return r;
}
