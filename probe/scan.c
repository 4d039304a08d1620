/* SPDX-License-Identifier: GPL-2.0-or-later */
/* scan.c - the PCI bus as libpci's sysfs method sees it, one device at a time. */
#include "scan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pci/pci.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* libpci reports a fatal error through a callback that must not return. We jump back to the
 * device being read: if that device has vanished (hot-unplug between the directory listing
 * and the read of its vendor file) it is skipped, otherwise the scan fails with libpci's
 * message. */
static jmp_buf scan_jmp;
static char scan_msg[1600];
static const char *scan_bus_path; /* libpci's "./devices/..." is said as "<bus>/devices/..." */
static struct scan *scan_cur;
static int scan_flags;

/* msg with libpci's relative "./devices/" paths made whole again */
static void whole_paths(const char *msg, char *out, size_t size)
{
	const char *at = strstr(msg, "./devices/");

	if (at == NULL || scan_bus_path == NULL)
		snprintf(out, size, "%s", msg);
	else
		snprintf(out, size, "%.*s%s%s", (int)(at - msg), msg, scan_bus_path, at + 1);
}

static void PRINTF(1, 2) NORETURN on_error(char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	whole_paths(msg, scan_msg, sizeof(scan_msg));
	longjmp(scan_jmp, 1);
}

static void PRINTF(1, 2) on_warning(char *fmt, ...)
{
	char msg[512], whole[1600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	scan_cur->warnings++;
	whole_paths(msg, whole, sizeof(whole));
	if (!(scan_flags & SCAN_QUIET))
		warnx_("libpci: %s", whole);
}

static void PRINTF(1, 2) on_debug(char *fmt, ...)
{
	(void)fmt;
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

/* The last component of the target of <dir>/<link> into out: 1 when found, 0 when there is
 * no such link, -1 when it does not fit. */
static int link_name(int dir, const char *link, char *out, size_t size)
{
	char target[1024], *base;
	ssize_t n;

	out[0] = '\0';
	n = readlinkat(dir, link, target, sizeof(target) - 1);
	if (n <= 0)
		return 0;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	return xsnprintf(out, size, "%s", base) < 0 ? -1 : 1;
}

/* What a device costs depends on what the caller wants of it: every device's vendor and device
 * ids are read (two small files), the rest (class, subsystem, NUMA node, and the IOMMU group
 * and driver links) only when want() asks for it. libpci reads the files (the kernel's view,
 * quirks applied); the two links we read ourselves, relative to the device's directory:
 * libpci resolves both with realpath(), a dozen readlink calls each. */
struct walk {
	struct pci_access *a;
	int devices;            /* <sysfs_root>/bus/pci/devices */
	int home, bus;          /* the working directory to go back to; <sysfs_root>/bus/pci */
	int flags;
	scan_want_fn *want;
	void *user;
};

/* Fill f from d; 1 if the device vanished, 2 if want() passed it over, -1 on error. Kept apart
 * from scan_walk so that nothing live in scan_walk's frame is modified between setjmp and
 * longjmp. */
static int read_dev(const struct walk *w, struct pci_dev *d, struct pci_found *f, struct perr *e)
{
	char group[16];
	struct stat sb;
	const char *why;
	long long g;
	int dir;

	if (setjmp(scan_jmp) != 0) {
		if (fstatat(w->devices, f->addr, &sb, 0) < 0 && errno == ENOENT)
			return 1;
		return fail(e, EX_OSERR, "%s", scan_msg);
	}
	pci_fill_info(d, PCI_FILL_IDENT);
	f->vendor = d->vendor_id;
	f->device = d->device_id;
	if (w->want && !w->want(f, w->user))
		return 2;
	pci_fill_info(d, PCI_FILL_IDENT | PCI_FILL_CLASS | PCI_FILL_SUBSYS | PCI_FILL_NUMA_NODE);
	f->class = d->device_class;
	f->has_subsys = (d->known_fields & PCI_FILL_SUBSYS) != 0;
	if (f->has_subsys) {
		f->subsys_vendor = d->subsys_vendor_id;
		f->subsys_device = d->subsys_id;
	}
	f->numa_node = d->numa_node < 0 ? -1 : d->numa_node;
	f->iommu_group = -1;
	f->dir = dir = openat(w->devices, f->addr, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return errno == ENOENT ? 1 : fail_errno(e, EX_OSERR, "%s", f->addr);
	if (link_name(dir, "iommu_group", group, sizeof(group)) > 0 &&
	    parse_ll(group, 10, 0, 1000000, &g, &why) == 0)
		f->iommu_group = (int)g;
	if (link_name(dir, "driver", f->driver, sizeof(f->driver)) < 0)
		return fail(e, EX_DATAERR, "%s: driver name too long", f->addr);
	if ((w->flags & SCAN_NAMES) && (f->names = names_of(w->a, d)) == NULL)
		return fail_errno(e, EX_OSERR, "names");
	return 0;
}

/* Point libpci at the tree. */
static int start(struct pci_access *a, const char *bus, char *path, const char *pci_ids,
		 struct perr *e)
{
	char param[] = "sysfs.path";

	if (setjmp(scan_jmp) != 0)
		return fail(e, EX_OSERR, "cannot scan %s: %s", bus, scan_msg);
	pci_set_param(a, param, path);
	if (pci_ids[0])
		pci_set_name_list_path(a, (char *)(uintptr_t)pci_ids, 0);
	pci_init(a);
	return 0;
}

/* An address as one integer, in lspci's order: domain, bus, device, function. */
static uint64_t key_of(unsigned dom, unsigned bus, unsigned dev, unsigned func)
{
	return (uint64_t)dom << 32 | (bus & 0xffu) << 16 | (dev & 0x1fu) << 8 | (func & 7u);
}

static int by_key(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The devices directory's entries as sorted keys: the list libpci's sysfs method makes, with
 * its rules (names starting with a dot are not devices; any other name must parse, domains
 * fit an int), without a 424-byte struct pci_dev held for each. */
static int list_devices(int devices, const char *bus, uint64_t **out, size_t *n, struct perr *e)
{
	DIR *d;
	struct dirent *de;
	uint64_t *v = NULL;
	size_t cap = 0;
	int fd = dup(devices);

	*n = 0;
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return fail_errno(e, EX_OSERR, "cannot scan %s", bus);
	}
	while ((de = readdir(d)) != NULL) {
		unsigned dom, b, dev, func;

		if (de->d_name[0] == '.')
			continue;
		if (sscanf(de->d_name, "%x:%x:%x.%u", &dom, &b, &dev, &func) < 4) {
			fail(e, EX_OSERR, "cannot scan %s: sysfs_scan: Couldn't parse entry name %s", bus,
			     de->d_name);
			goto bad;
		}
		if (dom > 0x7fffffff) {
			fail(e, EX_OSERR, "cannot scan %s: sysfs_scan: Invalid domain %x", bus, dom);
			goto bad;
		}
		if (*n == cap) {
			uint64_t *p = reallocarray(v, cap = cap ? cap * 2 : 256, sizeof(*v));
			if (p == NULL) {
				fail_errno(e, EX_OSERR, "scan");
				goto bad;
			}
			v = p;
		}
		v[(*n)++] = key_of(dom, b, dev, func);
	}
	closedir(d);
	if (*n > 1)
		qsort(v, *n, sizeof(*v), by_key);
	*out = v;
	return 0;
bad:
	closedir(d);
	free(v);
	return -1;
}

int scan_walk(const char *sysfs_root, const char *pci_ids, int flags, scan_want_fn *want,
	      scan_each_fn *each, void *user, struct scan *s, struct perr *e)
{
	char bus[1024], path[1100], here[] = ".";
	struct walk w = { .flags = flags, .want = want, .user = user, .devices = -1, .home = -1, .bus = -1 };
	uint64_t *keys = NULL;
	size_t n = 0;
	int r = 0;

	memset(s, 0, sizeof(*s));
	if (xsnprintf(bus, sizeof(bus), "%s/bus/pci", sysfs_root) < 0)
		return fail(e, EX_CONFIG, "sysfs_root too long");
	snprintf(path, sizeof(path), "%s/devices", bus);
	w.devices = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w.devices < 0)
		return fail(e, EX_OSERR, "cannot scan %s: Cannot open %s", bus, path);
	/* libpci opens "<sysfs.path>/devices/<addr>/<file>": with the bus as the working
	 * directory and sysfs.path ".", the kernel walks three components for each file instead
	 * of the whole path (a third of the kernel's time went to walking it). */
	w.home = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	w.bus = open(bus, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (w.home < 0 || w.bus < 0 || fchdir(w.bus) < 0) {
		r = fail_errno(e, EX_OSERR, "cannot scan %s", bus);
		goto out;
	}
	w.a = pci_alloc();
	if (w.a == NULL) {
		r = fail(e, EX_OSERR, "libpci: cannot allocate");
		goto out;
	}
	w.a->method = PCI_ACCESS_SYS_BUS_PCI;
	w.a->error = on_error;
	w.a->warning = on_warning;
	w.a->debug = on_debug;
	scan_cur = s;
	scan_flags = flags;
	scan_bus_path = bus;
	if (start(w.a, bus, here, pci_ids, e) < 0 || list_devices(w.devices, bus, &keys, &n, e) < 0) {
		r = -1;
		goto out;
	}
	for (size_t i = 0; i < n && r == 0; i++) {
		uint64_t k = keys[i];
		struct pci_dev *d = pci_get_dev(w.a, (int)(k >> 32), (int)(k >> 16 & 0xff),
						(int)(k >> 8 & 0x1f), (int)(k & 7));
		struct pci_found f = { .dir = -1 };
		int got;

		snprintf(f.addr, sizeof(f.addr), "%04x:%02x:%02x.%x", (unsigned)d->domain,
			 d->bus & 0xffu, d->dev & 0x1fu, d->func & 7u);
		got = read_dev(&w, d, &f, e);
		pci_free_dev(d);
		if (got < 0) {
			r = -1;
		} else if (got == 1) {
			s->vanished++;
			if (!(flags & SCAN_QUIET))
				warnx_("%s went away during the scan, skipped", f.addr);
		} else if (got == 0) {
			r = each(&f, user, e);
		}
		free(f.names);
		if (f.dir >= 0)
			close(f.dir);
	}
out:
	free(keys);
	if (w.a)
		pci_cleanup(w.a);
	if (w.home >= 0 && fchdir(w.home) < 0 && r == 0)
		r = fail_errno(e, EX_OSERR, "cannot go back to the working directory");
	close(w.devices);
	if (w.home >= 0)
		close(w.home);
	if (w.bus >= 0)
		close(w.bus);
	return r;
}

/* scan_bus: keep every device */
static int keep(struct pci_found *f, void *user, struct perr *e)
{
	struct scan *s = user;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct pci_found *p = reallocarray(s->v, cap, sizeof(*p));
		if (p == NULL)
			return fail_errno(e, EX_OSERR, "scan");
		s->v = p;
		s->cap = cap;
	}
	s->v[s->n] = *f;
	s->v[s->n++].dir = -1;
	f->names = NULL; /* the copy owns them */
	return 0;
}

int scan_bus(const char *sysfs_root, const char *pci_ids, int flags, struct scan *s,
	     struct perr *e)
{
	struct scan all = { 0 }, counts;

	if (scan_walk(sysfs_root, pci_ids, flags, NULL, keep, &all, &counts, e) < 0) {
		scan_free(&all);
		return -1;
	}
	all.vanished = counts.vanished;
	all.warnings = counts.warnings;
	*s = all;
	return 0;
}

void scan_free(struct scan *s)
{
	for (size_t i = 0; s->v && i < s->n; i++)
		free(s->v[i].names);
	free(s->v);
	memset(s, 0, sizeof(*s));
}
