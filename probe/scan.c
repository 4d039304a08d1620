/* SPDX-License-Identifier: GPL-2.0-or-later */
/* scan.c - the PCI bus as libpci's sysfs method sees it. */
#include "scan.h"

#include <errno.h>
#include <pci/pci.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* libpci reports a fatal error through a callback that must not return. We jump back to the
 * device being read: if that device has vanished (hot-unplug between the directory scan and
 * the read of its vendor file) it is skipped, otherwise the scan fails with libpci's message. */
static jmp_buf scan_jmp;
static char scan_msg[512];
static struct scan *scan_cur;
static int scan_flags;

static void PRINTF(1, 2) NORETURN on_error(char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(scan_msg, sizeof(scan_msg), fmt, ap);
	va_end(ap);
	longjmp(scan_jmp, 1);
}

static void PRINTF(1, 2) on_warning(char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	scan_cur->warnings++;
	if (!(scan_flags & SCAN_QUIET))
		warnx_("libpci: %s", msg);
}

static void PRINTF(1, 2) on_debug(char *fmt, ...)
{
	(void)fmt;
}

static int by_addr(const void *a, const void *b)
{
	return pci_addr_cmp(((const struct pci_found *)a)->addr, ((const struct pci_found *)b)->addr);
}

static char *names_of(struct pci_access *a, struct pci_dev *d)
{
	char c[128], v[128], dv[256];
	const int how = PCI_LOOKUP_NO_HWDB;
	char *out;

	pci_lookup_name(a, c, sizeof(c), PCI_LOOKUP_CLASS | how, d->device_class);
	pci_lookup_name(a, v, sizeof(v), PCI_LOOKUP_VENDOR | how, d->vendor_id);
	pci_lookup_name(a, dv, sizeof(dv), PCI_LOOKUP_DEVICE | how, d->vendor_id, d->device_id);
	if (asprintf(&out, "%s%c%s%c%s", c, 0, v, 0, dv) < 0)
		return NULL;
	return out;
}

/* The last component of the target of <sysfs_root>/bus/pci/devices/<addr>/<link> into out:
 * 1 when found, 0 when there is no such link, -1 when it does not fit. */
static int link_name(const char *sysfs_root, const char *addr, const char *link, char *out,
		     size_t size)
{
	char path[1024], target[1024], *base;
	ssize_t n;

	out[0] = '\0';
	if (xsnprintf(path, sizeof(path), "%s/bus/pci/devices/%s/%s", sysfs_root, addr, link) < 0)
		return 0;
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return 0;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	return xsnprintf(out, size, "%s", base) < 0 ? -1 : 1;
}

/* Fill f from d; 1 if the device vanished, -1 on error. Kept apart from scan_bus so that
 * nothing live in scan_bus's frame is modified between setjmp and longjmp. */
static int read_dev(struct pci_access *a, struct pci_dev *d, const char *sysfs_root, int flags,
		    struct pci_found *f, struct perr *e)
{
	/* The IOMMU group and the driver we read ourselves (link_name): libpci resolves both links
	 * with realpath(), a dozen readlink calls each, which was most of a probe's time. */
	const int want = PCI_FILL_IDENT | PCI_FILL_CLASS | PCI_FILL_SUBSYS | PCI_FILL_NUMA_NODE;
	char path[1024], group[16];
	struct stat sb;
	const char *why;
	long long g;

	snprintf(f->addr, sizeof(f->addr), "%04x:%02x:%02x.%x", (unsigned)d->domain,
		 d->bus & 0xffu, d->dev & 0x1fu, d->func & 7u);
	if (setjmp(scan_jmp) != 0) {
		if (xsnprintf(path, sizeof(path), "%s/bus/pci/devices/%s/", sysfs_root, f->addr) >= 0 &&
		    stat(path, &sb) < 0 && errno == ENOENT)
			return 1;
		return fail(e, EX_OSERR, "%s", scan_msg);
	}
	pci_fill_info(d, want);
	f->vendor = d->vendor_id;
	f->device = d->device_id;
	f->class = d->device_class;
	f->has_subsys = (d->known_fields & PCI_FILL_SUBSYS) != 0;
	if (f->has_subsys) {
		f->subsys_vendor = d->subsys_vendor_id;
		f->subsys_device = d->subsys_id;
	}
	f->numa_node = d->numa_node < 0 ? -1 : d->numa_node;
	f->iommu_group = -1;
	if (link_name(sysfs_root, f->addr, "iommu_group", group, sizeof(group)) > 0 &&
	    parse_ll(group, 10, 0, 1000000, &g, &why) == 0)
		f->iommu_group = (int)g;
	if (link_name(sysfs_root, f->addr, "driver", f->driver, sizeof(f->driver)) < 0)
		return fail(e, EX_DATAERR, "%s: driver name too long", f->addr);
	if ((flags & SCAN_NAMES) && (f->names = names_of(a, d)) == NULL)
		return fail_errno(e, EX_OSERR, "names");
	return 0;
}

/* Point libpci at the tree and list the bus. */
static int start(struct pci_access *a, char *bus, const char *pci_ids, struct perr *e)
{
	char param[] = "sysfs.path";

	if (setjmp(scan_jmp) != 0)
		return fail(e, EX_OSERR, "cannot scan %s: %s", bus, scan_msg);
	pci_set_param(a, param, bus);
	if (pci_ids[0])
		pci_set_name_list_path(a, (char *)(uintptr_t)pci_ids, 0);
	pci_init(a);
	pci_scan_bus(a);
	return 0;
}

int scan_bus(const char *sysfs_root, const char *pci_ids, int flags, struct scan *s,
	     struct perr *e)
{
	char bus[1024];
	struct pci_access *a;
	size_t cap = 0;
	int r = 0;

	memset(s, 0, sizeof(*s));
	if (xsnprintf(bus, sizeof(bus), "%s/bus/pci", sysfs_root) < 0)
		return fail(e, EX_CONFIG, "sysfs_root too long");
	a = pci_alloc();
	if (a == NULL)
		return fail(e, EX_OSERR, "libpci: cannot allocate");
	a->method = PCI_ACCESS_SYS_BUS_PCI;
	a->error = on_error;
	a->warning = on_warning;
	a->debug = on_debug;
	scan_cur = s;
	scan_flags = flags;
	if (start(a, bus, pci_ids, e) < 0) {
		r = -1;
		goto out;
	}
	for (struct pci_dev *d = a->devices; d; d = d->next)
		cap++;
	s->v = calloc(cap ? cap : 1, sizeof(*s->v));
	if (s->v == NULL) {
		r = fail_errno(e, EX_OSERR, "scan");
		goto out;
	}
	for (struct pci_dev *d = a->devices; d && r == 0; d = d->next) {
		struct pci_found *f = &s->v[s->n];
		int got = read_dev(a, d, sysfs_root, flags, f, e);
		if (got < 0)
			r = -1;
		else if (got > 0) {
			s->vanished++;
			if (!(flags & SCAN_QUIET))
				warnx_("%s went away during the scan, skipped", f->addr);
		}
		else
			s->n++;
	}
	if (s->n > 1) /* base may be NULL when empty */
		qsort(s->v, s->n, sizeof(*s->v), by_addr);
out:
	pci_cleanup(a);
	if (r < 0)
		scan_free(s);
	return r;
}

void scan_free(struct scan *s)
{
	for (size_t i = 0; s->v && i < s->n; i++)
		free(s->v[i].names);
	free(s->v);
	memset(s, 0, sizeof(*s));
}
