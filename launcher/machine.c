/* SPDX-License-Identifier: GPL-2.0-or-later */
/* machine.c - the guest's memory map: the 64-bit PCI window and the address bits. Pure. */
#include "machine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GIB (1ULL << 30)
#define MIB (1ULL << 20)
#define AMD_HT_START (1012ULL * GIB) /* QEMU's AMD_HT_START: the hole below 1 TiB */
#define AMD_ABOVE_1TB (1024ULL * GIB)

const char *machine_pcihost(bool q35)
{
	return q35 ? "q35-pcihost" : "i440FX-pcihost";
}

const char *machine_size(uint64_t bytes, char buf[32])
{
	static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned u = 0;

	while (u + 1 < sizeof(units) / sizeof(units[0]) && bytes >= 1024 && bytes % 1024 == 0) {
		bytes /= 1024;
		u++;
	}
	snprintf(buf, 32, "%llu %s", (unsigned long long)bytes, units[u]);
	return buf;
}

/* The smallest power of two >= x (0 for 0); false when it is past 2^63. */
static bool pow2_up(uint64_t x, uint64_t *out)
{
	uint64_t p = 1;

	if (x > 1ULL << 63)
		return false;
	while (p < x)
		p <<= 1;
	*out = x ? p : 0;
	return true;
}

/* The largest power of two <= x (x > 0). */
static uint64_t pow2_down(uint64_t x)
{
	uint64_t p = 1ULL << 63;

	while (p > x)
		p >>= 1;
	return p;
}

/* x rounded up to a (a power of two, or 0 for none); false on overflow. */
static bool align_up(uint64_t x, uint64_t a, uint64_t *out)
{
	if (a <= 1) {
		*out = x;
		return true;
	}
	if (__builtin_add_overflow(x, a - 1, out))
		return false;
	*out &= ~(a - 1);
	return true;
}

/* What lies behind one bridge window (q35: one root port) or, on pc, all of the bus. */
struct group {
	unsigned port;
	uint64_t size, align;
};

static int by_align(const void *a, const void *b)
{
	const struct group *x = a, *y = b;

	if (x->align != y->align)
		return x->align < y->align ? 1 : -1;
	return (x->size < y->size) - (x->size > y->size);
}

/* The BARs placed as firmware places them: within a group by size, largest first (powers of two
 * that way need no padding: their sum), a group's window rounded up to a bridge's 1 MiB and
 * aligned to its largest BAR; the groups by alignment, largest first. false on overflow. */
static bool pack(const struct machine_in *in, uint64_t *need, uint64_t *sum)
{
	static struct group g[MACHINE_BAR_MAX]; /* 6 KiB: not on the stack */
	size_t n = 0;
	uint64_t at = 0;

	*sum = 0;
	for (size_t i = 0; i < in->n_bar && i < MACHINE_BAR_MAX; i++) {
		unsigned port = in->q35 ? in->bar[i].port : 0;
		uint64_t size;
		size_t k = 0;

		if (in->bar[i].size == 0)
			continue;
		if (!pow2_up(in->bar[i].size, &size) || __builtin_add_overflow(*sum, size, sum))
			return false;
		while (k < n && g[k].port != port)
			k++;
		if (k == n)
			g[n++] = (struct group){ port, 0, 0 };
		if (__builtin_add_overflow(g[k].size, size, &g[k].size))
			return false;
		g[k].align = size > g[k].align ? size : g[k].align;
	}
	for (size_t k = 0; in->q35 && k < n; k++) {
		if (!align_up(g[k].size, MIB, &g[k].size))
			return false;
		g[k].align = g[k].align < MIB ? MIB : g[k].align;
	}
	qsort(g, n, sizeof(g[0]), by_align);
	for (size_t k = 0; k < n; k++)
		if (!align_up(at, g[k].align, &at) || __builtin_add_overflow(at, g[k].size, &at))
			return false;
	*need = at;
	return true;
}

/* "64 GiB + 16 GiB of 0000:3b:00.0, 0000:3c:00.0": each device's total, then the devices
 * (BARs of one device come together); at most 8 named, then "and N more". */
static void bar_list(const struct machine_in *in, char *out, size_t size)
{
	char sizes[256] = "", addrs[256] = "", s[32];
	size_t o = 0, a = 0, devs = 0;

	for (size_t i = 0; i < in->n_bar && i < MACHINE_BAR_MAX;) {
		uint64_t total = 0;
		size_t k = i;

		for (; k < in->n_bar && k < MACHINE_BAR_MAX && strcmp(in->bar[k].addr, in->bar[i].addr) == 0; k++)
			total = __builtin_add_overflow(total, in->bar[k].size, &total) ? UINT64_MAX : total;
		if (devs++ < 8) {
			o += (size_t)snprintf(sizes + o, o < sizeof(sizes) ? sizeof(sizes) - o : 0, "%s%s",
					      o ? " + " : "", machine_size(total, s));
			a += (size_t)snprintf(addrs + a, a < sizeof(addrs) ? sizeof(addrs) - a : 0, "%s%s",
					      a ? ", " : "", in->bar[i].addr);
		}
		i = k;
	}
	/* a list cut short still reads, and says no less than it can hold */
	if (devs > 8 ? xsnprintf(out, size, "%s ... of %s and %zu more devices", sizes, addrs, devs - 8) :
		       xsnprintf(out, size, "%s of %s", sizes, addrs))
		return;
}

/* Where the map ends: RAM above 4 GiB from ram_start, then QEMU's window (size), and OVMF's
 * aperture (ovmf_size, 0 without OVMF) aligned to itself. false on overflow. */
static bool map_end(uint64_t ram_start, uint64_t above, uint64_t size, uint64_t ovmf_size,
		    uint64_t *top)
{
	uint64_t start, end, base;

	if (!align_up(ram_start + above, GIB, &start) || __builtin_add_overflow(start, size, top))
		return false;
	if (ovmf_size == 0)
		return true;
	if (!align_up(start, pow2_down(ovmf_size), &base) || __builtin_add_overflow(base, ovmf_size, &end))
		return false;
	*top = end > *top ? end : *top;
	return true;
}

int machine_window(const struct machine_in *in, struct machine_window *w, struct perr *e)
{
	/* QEMU 7.2: below this much RAM all of it sits below 4 GiB; from it, 2 GiB (q35) or 3 GiB
	 * (pc) stay below and the rest goes above 4 GiB */
	unsigned long long split = in->q35 ? 2816 : 3584, low = in->q35 ? 2048 : 3072;
	uint64_t above = in->memory_mib >= split ? (in->memory_mib - low) * MIB : 0, ovmf_size = 0;
	char bars[400], s1[32], s2[32], s3[32], s4[32];
	bool ok;
	int n;

	memset(w, 0, sizeof(*w));
	w->qemu_default = in->q35 ? 32 * GIB : 2 * GIB;
	w->size = w->qemu_default;
	bar_list(in, bars, sizeof(bars));
	ok = pack(in, &w->need, &w->bars);
	if (ok && !pow2_up(w->need, &w->size))
		ok = false;
	if (!ok) {
		snprintf(w->why, sizeof(w->why), "64-bit PCI window: the BARs (%s) do not fit 64-bit addresses", bars);
		return fail(e, EX_UNAVAILABLE, "%s", w->why);
	}
	w->hole64 = w->size > w->qemu_default;
	if (!w->hole64)
		w->size = w->qemu_default;
	w->ovmf = in->uefi && w->size > MACHINE_OVMF_DEFAULT;
	if (in->uefi)
		ovmf_size = w->ovmf ? w->size : MACHINE_OVMF_DEFAULT;
	if (w->bars == 0)
		n = snprintf(w->why, sizeof(w->why), "64-bit PCI window: QEMU's default (%s): no 64-bit BARs",
			     machine_size(w->size, s1));
	else if (!w->hole64)
		n = snprintf(w->why, sizeof(w->why), "64-bit PCI window: QEMU's default (%s) holds the BARs, %s",
			     machine_size(w->size, s1), bars);
	else
		n = snprintf(w->why, sizeof(w->why), "64-bit PCI window %s: BARs %s; QEMU's default is %s",
			     machine_size(w->size, s1), bars, machine_size(w->qemu_default, s2));
	if (w->ovmf && n >= 0 && (size_t)n < sizeof(w->why))
		snprintf(w->why + n, sizeof(w->why) - (size_t)n, "; OVMF's aperture likewise (its default is %s)",
			 machine_size(MACHINE_OVMF_DEFAULT, s1));
	/* QEMU moves RAM above 4 GiB to 1 TiB for an AMD vCPU when the map reaches the hole */
	ok = map_end(4 * GIB, above, w->size, ovmf_size, &w->top);
	if (ok && w->top > AMD_HT_START)
		ok = map_end(AMD_ABOVE_1TB, above, w->size, ovmf_size, &w->top);
	if (ok && (in->phys_bits == 0 || w->top <= 1ULL << in->phys_bits)) {
		size_t o = strlen(w->why);
		if (in->phys_bits)
			snprintf(w->why + o, sizeof(w->why) - o, "; addresses up to %s of %s (%u bits: %s)",
				 machine_size(w->top, s1), machine_size(1ULL << in->phys_bits, s2), in->phys_bits,
				 in->bits_from ? in->bits_from : "the guest's phys-bits");
		return 0;
	}
	if (!ok)
		return fail(e, EX_UNAVAILABLE,
			    "the guest's memory map does not fit 64-bit addresses: RAM above 4 GiB %s, 64-bit PCI window %s (BARs %s)",
			    machine_size(above, s1), machine_size(w->size, s2), bars);
	return fail(e, EX_UNAVAILABLE,
		    "the guest's memory map needs physical addresses up to %s (RAM above 4 GiB %s, 64-bit PCI window %s%s%s%s), expected at most %s (%u bits: %s)",
		    machine_size(w->top, s1), machine_size(above, s2), machine_size(w->size, s3),
		    w->bars ? " for BARs " : "", w->bars ? bars : "", ovmf_size ? ", OVMF's aperture aligned to its size" : "",
		    machine_size(1ULL << in->phys_bits, s4), in->phys_bits,
		    in->bits_from ? in->bits_from : "the guest's phys-bits");
}

int machine_phys_bits(const char *text, size_t len, unsigned *bits, const char **why)
{
	static const char key[] = "address sizes";
	const char *end = text + len;
	long long v;

	for (const char *p = text; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *eol = nl ? nl : end, *q = p;
		char num[8];
		size_t n = 0;

		p = nl ? nl + 1 : end;
		if ((size_t)(eol - q) < sizeof(key) - 1 || memcmp(q, key, sizeof(key) - 1) != 0)
			continue;
		for (q += sizeof(key) - 1; q < eol && (*q == ' ' || *q == '\t'); q++)
			;
		if (q < eol && *q == ':')
			q++;
		while (q < eol && *q == ' ')
			q++;
		while (q + n < eol && n + 1 < sizeof(num) && q[n] >= '0' && q[n] <= '9') {
			num[n] = q[n];
			n++;
		}
		num[n] = '\0';
		if (n == 0 || (size_t)(eol - (q + n)) < 14 || memcmp(q + n, " bits physical", 14) != 0) {
			*why = "expected \"address sizes : N bits physical, ...\"";
			return -1;
		}
		if (parse_ll(num, 10, 32, 52, &v, why) < 0) {
			*why = "expected 32 to 52 bits physical";
			return -1;
		}
		*bits = (unsigned)v;
		return 0;
	}
	*why = "no \"address sizes\" line";
	return -1;
}
