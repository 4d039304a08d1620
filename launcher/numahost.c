/* SPDX-License-Identifier: GPL-2.0-or-later */
/* numahost.c - the host's NUMA nodes and hugepage pools, read from sysfs (never written: the
 * pools are the admin's), and the launcher bound to a node's CPUs before it execs QEMU. */
#include "numa.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const unsigned page_kib[HP_SIZES] = { 2048, 1048576 };

/* A small sysfs file whole, as a string: *text NULL when it does not exist; longer than
 * NUMA_TEXT_MAX or holding a NUL byte: an error naming it. */
static int read_text(const char *path, char **text, struct perr *e)
{
	char *buf = NULL;
	size_t len = 0;
	int fd;

	*text = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0)
		return errno == ENOENT ? 0 : fail_errno(e, EX_OSERR, "%s", path);
	if ((buf = malloc(NUMA_TEXT_MAX + 1)) == NULL) {
		close(fd);
		return fail_errno(e, EX_OSERR, "%s", path);
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, NUMA_TEXT_MAX + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fail_errno(e, EX_OSERR, "%s", path);
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > NUMA_TEXT_MAX) {
			fail(e, EX_DATAERR, "%s: expected at most %d bytes, got more", path, NUMA_TEXT_MAX);
			break;
		}
	}
	close(fd);
	if (e->code == 0 && memchr(buf, '\0', len))
		fail(e, EX_DATAERR, "%s: expected text, got a NUL byte", path);
	if (e->code) {
		free(buf);
		return -1;
	}
	buf[len] = '\0';
	*text = buf;
	return 0;
}

/* A count of pages ("512\n"): -1 when the file is absent. */
static int read_pages(const char *path, long long *out, struct perr *e)
{
	const char *why = "not a number";
	char *text, b[128];
	size_t n;
	int r = 0;

	*out = -1;
	if (read_text(path, &text, e) < 0)
		return -1;
	if (text == NULL)
		return 0;
	n = strlen(text);
	if (n > 0 && text[n - 1] == '\n')
		text[--n] = '\0';
	if (parse_ll(text, 10, 0, 1LL << 40, out, &why) < 0)
		r = fail(e, EX_DATAERR, "%s: expected a count of pages, got \"%s\" (%s)", path, shown(text, b), why);
	free(text);
	return r;
}

static int node_read(const char *dir, struct numa_node *n, struct perr *e)
{
	char path[CONF_PATH_MAX + 128], b[128];

	snprintf(path, sizeof(path), "%s/node%d/cpulist", dir, n->id);
	if (read_text(path, &n->cpulist, e) < 0)
		return -1;
	if (n->cpulist) {
		size_t len = strlen(n->cpulist);
		if (numa_cpulist(n->cpulist, NULL, NUMA_CPUS_MAX, &n->n_cpus) < 0)
			return fail(e, EX_DATAERR, "%s: expected a list of CPUs below %d like 0-3,8-11, got \"%s\"",
				    path, NUMA_CPUS_MAX, shown(n->cpulist, b));
		if (len > 0 && n->cpulist[len - 1] == '\n')
			n->cpulist[len - 1] = '\0';
	}
	for (int hs = 0; hs < HP_SIZES; hs++) {
		snprintf(path, sizeof(path), "%s/node%d/hugepages/hugepages-%ukB/free_hugepages", dir, n->id,
			 page_kib[hs]);
		if (read_pages(path, &n->free_pages[hs], e) < 0)
			return -1;
	}
	return 0;
}

static int cmp_node(const void *a, const void *b)
{
	const struct numa_node *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

int numa_read(const char *sysfs_root, struct numa_host *h, struct perr *e)
{
	char dir[CONF_PATH_MAX + 64], path[CONF_PATH_MAX + 96];
	struct dirent *d;
	DIR *dp;

	memset(h, 0, sizeof(*h));
	for (int hs = 0; hs < HP_SIZES; hs++) {
		if (xsnprintf(path, sizeof(path), "%s/kernel/mm/hugepages/hugepages-%ukB/free_hugepages",
			      sysfs_root, page_kib[hs]) < 0)
			return fail(e, EX_CONFIG, "sysfs_root too long");
		if (read_pages(path, &h->free_all[hs], e) < 0)
			return -1;
	}
	snprintf(dir, sizeof(dir), "%s/devices/system/node", sysfs_root);
	if ((dp = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : fail_errno(e, EX_OSERR, "%s", dir);
	if ((h->node = calloc(NUMA_NODES_MAX, sizeof(*h->node))) == NULL) {
		closedir(dp);
		return fail_errno(e, EX_OSERR, "%s", dir);
	}
	while ((d = readdir(dp)) != NULL) {
		const char *why;
		long long id;

		/* node<N>, N as the kernel writes it (no sign, no leading zero) */
		if (strncmp(d->d_name, "node", 4) != 0 || parse_ll(d->d_name + 4, 10, 0, NUMA_NODES_MAX - 1, &id, &why) < 0 ||
		    (d->d_name[4] == '0' && d->d_name[5] != '\0') || d->d_name[4] == '+' || d->d_name[4] == '-')
			continue;
		h->node[h->n].id = (int)id;
		h->node[h->n].free_pages[HP_2M] = h->node[h->n].free_pages[HP_1G] = -1;
		h->n++; /* at most NUMA_NODES_MAX names fit the pattern */
	}
	closedir(dp);
	qsort(h->node, h->n, sizeof(*h->node), cmp_node);
	for (size_t i = 0; i < h->n; i++)
		if (node_read(dir, &h->node[i], e) < 0) {
			numa_free(h);
			return -1;
		}
	return 0;
}

void numa_free(struct numa_host *h)
{
	for (size_t i = 0; h->node && i < h->n; i++)
		free(h->node[i].cpulist);
	free(h->node);
	h->node = NULL;
	h->n = 0;
}

/* The CPUs of set as a cpulist. */
static void cpus_show(const cpu_set_t *set, size_t setsize, char *out, size_t size)
{
	size_t o = 0;

	out[0] = '\0';
	for (int c = 0; c < NUMA_CPUS_MAX && o < size; c++) {
		int hi = c;

		if (!CPU_ISSET_S((size_t)c, setsize, set))
			continue;
		while (hi + 1 < NUMA_CPUS_MAX && CPU_ISSET_S((size_t)hi + 1, setsize, set))
			hi++;
		o += (size_t)snprintf(out + o, size - o, hi > c ? "%s%d-%d" : "%s%d", o ? "," : "", c, hi);
		c = hi;
	}
}

int numa_bind_cpus(const struct numa_choice *c, char *got, size_t size, struct perr *e)
{
	size_t setsize = CPU_ALLOC_SIZE(NUMA_CPUS_MAX);
	cpu_set_t *set;
	unsigned count;
	char b[128];
	int r = 0;

	got[0] = '\0';
	if (c->node < 0)
		return 0;
	if (c->cpulist == NULL)
		return fail(e, EX_UNAVAILABLE, "node %d: its CPUs are not known (no cpulist)", c->node);
	if ((set = CPU_ALLOC(NUMA_CPUS_MAX)) == NULL)
		return fail_errno(e, EX_OSERR, "CPU set");
	/* a cpu_set_t is an array of unsigned long, bit c of the array for CPU c */
	if (numa_cpulist(c->cpulist, (unsigned long *)set, NUMA_CPUS_MAX, &count) < 0 || count == 0)
		r = fail(e, EX_DATAERR, "node %d: expected CPUs, got \"%s\"", c->node, shown(c->cpulist, b));
	else if (sched_setaffinity(0, setsize, set) < 0)
		r = fail_errno(e, EX_OSERR, "binding to node %d's CPUs %s", c->node, c->cpulist);
	else if (sched_getaffinity(0, setsize, set) < 0)
		r = fail_errno(e, EX_OSERR, "sched_getaffinity");
	else
		cpus_show(set, setsize, got, size);
	CPU_FREE(set);
	return r;
}
