/* SPDX-License-Identifier: GPL-2.0-or-later */
/* numa.h - NUMA locality and hugepages of a VM (vm.ini numa = strict|prefer|any, hugepages =
 * 2M|1G): the host's node facts from sysfs (numahost.c), the pure choice of a node from them
 * (numa.c), and the launcher bound to that node's CPUs before exec (numahost.c). */
#ifndef PCIPASS_NUMA_H
#define PCIPASS_NUMA_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"
#include "vmconf.h"

#define NUMA_CPUS_MAX 8192    /* CPUs a cpulist may name: x86's largest NR_CPUS */
#define NUMA_NODES_MAX 1024   /* node0..node1023: vm.ini's numa_node range */
#define NUMA_TEXT_MAX 65536   /* a sysfs file read whole, at most */

enum { HP_2M, HP_1G, HP_SIZES };

/* One node, as <sysfs_root>/devices/system/node/node<id>/ says. */
struct numa_node {
	int id;
	char *cpulist;        /* the kernel's list ("0-3,8-11"), checked; NULL: no cpulist file */
	unsigned n_cpus;
	long long free_pages[HP_SIZES]; /* hugepages/hugepages-<size>kB/free_hugepages; -1 absent */
};

/* The host: its nodes in id order (none when the kernel shows no node directories), and the
 * pool of each page size over the whole host (<sysfs_root>/kernel/mm/hugepages). */
struct numa_host {
	size_t n;
	struct numa_node *node;
	long long free_all[HP_SIZES]; /* -1: that page size is not offered */
};

/* Per node, whether select_devices could take every requested device from it alone; else why
 * not (its message). */
struct numa_fit {
	bool devices;
	char why[200];
};

/* What the launch does about NUMA and hugepages. */
struct numa_choice {
	int filter;           /* every device from this node (select_devices); -1 from any */
	int node;             /* guest memory and QEMU's threads bound to this host node; -1 not */
	const char *cpulist;  /* node >= 0: its CPUs (points into the numa_host) */
	unsigned page_mib;    /* hugepages: 2 or 1024; 0 none */
	unsigned long long pages; /* hugepages needed (memory / page size) */
	long long free;       /* and free where they come from (the node, or the host) */
	bool fell_back;       /* numa = prefer could not have one node */
	char note[640];       /* for --dry-run and the log; "" when there is nothing to say */
};

/* numa = strict or prefer, or hugepages: the node facts matter. */
bool numa_wanted(const struct vm_config *vm);
/* numa = strict or prefer: one node for devices, memory and vCPUs. */
bool numa_one_node(const struct vm_config *vm);

/* Parse a kernel cpulist ("0-3,8,10-11", a trailing newline allowed; "" is no CPU) into bits
 * (nbits of them, an unsigned long array as cpu_set_t is; NULL only to check and count). A CPU
 * number of nbits or more, a range backwards, anything else: -1. Pure. */
int numa_cpulist(const char *s, unsigned long *bits, size_t nbits, unsigned *count) MUST_CHECK;

/* Choose (pure), with fit[i] for h->node[i] (NULL: the devices fit anywhere; unused for any):
 * - any: devices from vm's numa_node if it names one (as before), nothing bound;
 * - strict: the node numa_node names, else the node that fits: every requested device free on
 *   it (fit), then enough free hugepages on it if asked, and CPUs to run the vCPUs on (a node
 *   without CPUs never fits); among those, one with at least as many CPUs as vCPUs before one
 *   with fewer; the lowest node number on ties. None fits: EX_UNAVAILABLE naming each node's
 *   reason;
 * - prefer: as strict when a node fits; else devices from any node, nothing bound, and
 *   c->note says which node it wanted and why it could not have it.
 * Hugepages not bound to a node are checked against the whole host's pool. On a host with one
 * node every device is on it, whatever its numa_node says (-1 there: firmware without
 * locality); on several, a device of numa_node -1 is on none. */
int numa_choose(const struct numa_host *h, const struct vm_config *vm, const struct numa_fit *fit,
		struct numa_choice *c, struct perr *e) MUST_CHECK;

/* numahost.c: the node facts of <sysfs_root>. A file that is absent is unknown (older kernels,
 * a page size the CPU lacks); one that is malformed is an error naming it. */
int numa_read(const char *sysfs_root, struct numa_host *h, struct perr *e) MUST_CHECK;
void numa_free(struct numa_host *h);

/* c->node >= 0: bind this process (and so QEMU, every thread of it, vCPUs included, once
 * exec'd: affinity is inherited and QEMU's -sandbox resourcecontrol=deny refuses it
 * sched_setaffinity) to the node's CPUs. got: the CPUs it really has now (a cpuset may allow
 * fewer), as a list. Nothing to do: 0, got "". */
int numa_bind_cpus(const struct numa_choice *c, char *got, size_t size, struct perr *e) MUST_CHECK;

#endif
