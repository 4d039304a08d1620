/* SPDX-License-Identifier: GPL-2.0-or-later */
/* numa.c - which host node a VM's devices, memory and vCPUs come from, and whether its
 * hugepages are there: decisions only, over facts numahost.c read. */
#include "numa.h"

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define ULONG_BITS (sizeof(unsigned long) * CHAR_BIT)

static const char *const size_name[HP_SIZES] = { "2M", "1G" };

bool numa_one_node(const struct vm_config *vm)
{
	return strcmp(vm->numa, "strict") == 0 || strcmp(vm->numa, "prefer") == 0;
}

bool numa_wanted(const struct vm_config *vm)
{
	return vm->hugepage_mib > 0 || numa_one_node(vm);
}

/* A CPU number of at most 5 digits, below nbits. */
static int cpu_number(const char **p, size_t nbits, unsigned long *out)
{
	unsigned long v = 0;
	int digits = 0;

	while (isdigit((unsigned char)**p) && digits < 6) {
		v = v * 10 + (unsigned long)(**p - '0');
		(*p)++;
		digits++;
	}
	if (digits == 0 || digits > 5 || v >= nbits)
		return -1;
	*out = v;
	return 0;
}

int numa_cpulist(const char *s, unsigned long *bits, size_t nbits, unsigned *count)
{
	const char *p = s;

	*count = 0;
	if (bits)
		memset(bits, 0, (nbits + ULONG_BITS - 1) / ULONG_BITS * sizeof(*bits));
	if (strcmp(p, "\n") == 0 || *p == '\0') /* a node without CPUs */
		return 0;
	for (;;) {
		unsigned long lo, hi;

		if (cpu_number(&p, nbits, &lo) < 0)
			return -1;
		hi = lo;
		if (*p == '-') {
			p++;
			if (cpu_number(&p, nbits, &hi) < 0 || hi < lo)
				return -1;
		}
		*count += (unsigned)(hi - lo + 1); /* the kernel writes no overlap */
		for (unsigned long c = lo; bits && c <= hi; c++)
			bits[c / ULONG_BITS] |= 1UL << (c % ULONG_BITS);
		if (*p == '\0' || strcmp(p, "\n") == 0)
			return 0;
		if (*p++ != ',')
			return -1;
	}
}

/* Text appended to buf, cut with "..." when it no longer fits. */
static void add(char *buf, size_t size, const char *fmt, ...) PRINTF(3, 4);
static void add(char *buf, size_t size, const char *fmt, ...)
{
	size_t o = strlen(buf);
	va_list ap;
	int n;

	if (o + 4 >= size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + o, size - o, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n >= size - o)
		strcpy(buf + size - 4, "...");
}

static int size_index(unsigned page_mib)
{
	return page_mib == 2 ? HP_2M : HP_1G;
}

/* Free pages of the VM's size on node i: the node's own count; on a host of one node whose
 * node shows none (an old kernel), the host's. -1: unknown. */
static long long node_free(const struct numa_host *h, size_t i, int hs)
{
	long long f = h->node[i].free_pages[hs];

	return f < 0 && h->n == 1 ? h->free_all[hs] : f;
}

/* Whether node i fits (see numa_choose), else its reason appended to why. */
static bool fits(const struct numa_host *h, size_t i, const struct vm_config *vm,
		 const struct numa_fit *fit, unsigned long long need, char *why, size_t size)
{
	const struct numa_node *n = &h->node[i];
	int hs = size_index(vm->hugepage_mib);
	size_t o = strlen(why);
	long long f = 0;

	add(why, size, "%snode %d: ", o ? "; " : "", n->id);
	if (fit && !fit[i].devices) { /* NULL: the devices fit anywhere */
		add(why, size, "%s", fit[i].why[0] ? fit[i].why : "its devices are not all free");
		return false;
	}
	if (need > 0 && (f = node_free(h, i, hs)) < 0) {
		add(why, size, "no %s pages", size_name[hs]);
		return false;
	}
	if (need > 0 && (unsigned long long)f < need) {
		add(why, size, "%lld %s pages free, %llu needed", f, size_name[hs], need);
		return false;
	}
	if (n->n_cpus == 0) {
		add(why, size, "no CPUs to run the vCPUs on");
		return false;
	}
	why[o] = '\0'; /* a node that fits has no reason to give */
	return true;
}

/* Hugepages from the whole host (nothing bound): its pool, or the nodes' sum. */
static int pool_check(const struct numa_host *h, const struct vm_config *vm, struct numa_choice *c,
		      struct perr *e)
{
	int hs = size_index(vm->hugepage_mib);
	long long total = h->free_all[hs];

	for (size_t i = 0; total < 0 && i < h->n; i++)
		if (h->node[i].free_pages[hs] >= 0)
			total = (total < 0 ? 0 : total) + h->node[i].free_pages[hs];
	if (total < 0)
		return fail(e, EX_UNAVAILABLE, "%s:%d: hugepages = %s: this host offers no %s pages (see vm.ini(5))",
			    vm->file, vm->hugepages_line, size_name[hs], size_name[hs]);
	if ((unsigned long long)total < c->pages)
		return fail(e, EX_UNAVAILABLE,
			    "%s:%d: hugepages = %s: %llu pages needed for %llu MiB, %lld free on this host; the admin reserves them (see vm.ini(5))",
			    vm->file, vm->hugepages_line, size_name[hs], c->pages, vm->memory_mib, total);
	c->free = total;
	add(c->note, sizeof(c->note), "%shugepages: %llu %s pages of %lld free on this host (not bound to a node)",
	    c->note[0] ? "; " : "", c->pages, size_name[hs], total);
	return 0;
}

int numa_choose(const struct numa_host *h, const struct vm_config *vm, const struct numa_fit *fit,
		struct numa_choice *c, struct perr *e)
{
	bool strict = strcmp(vm->numa, "strict") == 0;
	int hs = size_index(vm->hugepage_mib);
	char why[480] = "", wanted[48];
	size_t best = SIZE_MAX;

	memset(c, 0, sizeof(*c));
	c->filter = c->node = -1;
	c->page_mib = vm->hugepage_mib;
	c->pages = vm->hugepage_mib ? vm->memory_mib / vm->hugepage_mib : 0;
	if (!numa_one_node(vm)) {
		c->filter = vm->numa_node;
		return c->pages ? pool_check(h, vm, c, e) : 0;
	}
	if (vm->numa_node >= 0) {
		snprintf(wanted, sizeof(wanted), "node %d (numa_node)", vm->numa_node);
		for (size_t i = 0; i < h->n; i++)
			if (h->node[i].id == vm->numa_node && fits(h, i, vm, fit, c->pages, why, sizeof(why)))
				best = i;
		if (why[0] == '\0')
			add(why, sizeof(why), "this host has no node %d", vm->numa_node);
	} else {
		snprintf(wanted, sizeof(wanted), "one node for all of it");
		for (size_t i = 0; i < h->n; i++)
			if (fits(h, i, vm, fit, c->pages, why, sizeof(why)) &&
			    (best == SIZE_MAX || (h->node[best].n_cpus < vm->cpus && h->node[i].n_cpus >= vm->cpus)))
				best = i;
		if (h->n == 0)
			add(why, sizeof(why), "this host shows no NUMA node");
	}
	if (best != SIZE_MAX) {
		const struct numa_node *n = &h->node[best];

		c->node = n->id;
		c->filter = h->n == 1 ? -1 : n->id; /* one node: every device is on it */
		c->cpulist = n->cpulist;
		add(c->note, sizeof(c->note), "numa = %s: node %d (%s); guest memory and QEMU's threads bound to it, CPUs %s",
		    vm->numa, n->id,
		    vm->numa_node >= 0 ? "numa_node" :
		    h->n == 1 ? "the host's only node" :
		    n->n_cpus >= vm->cpus ? "the lowest that fits, with a CPU for each vCPU" :
		    "the lowest that fits; no node has a CPU for each vCPU",
		    n->cpulist ? n->cpulist : "?");
		if (n->n_cpus < vm->cpus)
			add(c->note, sizeof(c->note), " (%u CPUs for %u vCPUs)", n->n_cpus, vm->cpus);
		if (c->pages) {
			c->free = node_free(h, best, hs);
			add(c->note, sizeof(c->note), "; hugepages: %llu %s pages of %lld free on node %d",
			    c->pages, size_name[hs], c->free, n->id);
		}
		return 0;
	}
	if (strict)
		return fail(e, EX_UNAVAILABLE, "%s:%d: numa = strict: wanted %s, none fits: %s", vm->file,
			    vm->numa_policy_line, wanted, why);
	c->fell_back = true;
	add(c->note, sizeof(c->note), "numa = prefer: wanted %s, none fits (%s); devices from any node, memory and CPUs not bound",
	    wanted, why);
	return c->pages ? pool_check(h, vm, c, e) : 0;
}
