/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fakehost.c - build a fake sysfs tree from a short description of a PCI host.
 *
 *   fakehost DESC_FILE OUTDIR     one device per line (the format: conf/example-host.txt)
 *   fakehost --synth N OUTDIR     a deterministic host of N devices (0-65536), for the benchmark
 *
 * The tree is what the kernel shows under /sys and what libpci's linux-sysfs method reads
 * (pciutils lib/sysfs.c), so that lspci and pcipass can both be pointed at it:
 *
 *   devices/pciDDDD:00/<addr>/   vendor device class revision subsystem_{vendor,device} irq
 *                                resource numa_node config driver_override enable local_cpulist
 *                                modalias, and the links subsystem, iommu_group, driver;
 *                                reset reset_method power_state, and when asked for
 *                                {current,max}_link_{speed,width} aer_dev_* boot_vga
 *   class/{block,net,tty}/<name>, dev/block/<maj:min>   what the host uses on a device
 *   bus/pci/devices/<addr>       -> ../../../devices/pciDDDD:00/<addr>
 *   bus/pci/drivers/<drv>/       bind unbind new_id remove_id, and <addr> -> the device
 *   bus/pci/drivers_probe, rescan, drivers_autoprobe; bus/pci/drivers/vfio-pci/ always
 *   kernel/iommu_groups/<n>/devices/<addr> -> the device
 *
 * Every link is relative, so the tree can be moved or copied. Files are 0644 and directories
 * 0755 whatever the caller's umask, so a tree made by root passes pcipass's ownership checks.
 * The description is read and checked whole before anything is written, and the tree is built
 * in OUTDIR.tmp-XXXXXX and renamed into place: a failure never leaves half a host behind. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#define PRINTF(f, a) __attribute__((format(printf, f, a)))
#define MUST_CHECK __attribute__((warn_unused_result))

enum {
	MAX_LINE = 255,       /* bytes in a description line, newline excluded */
	MAX_DEVICES = 65536,  /* in a description, and for --synth */
	MAX_DRIVER = 32,      /* characters in a driver name */
	MAX_GROUP = 1000000,  /* highest IOMMU group number */
	MAX_NODE = 1023,      /* highest NUMA node */
	PER_DOMAIN = 4096,    /* --synth: devices per PCI domain */
	PER_BUS = 32,         /* --synth: a root port and the 31 endpoints behind it */
};

enum numa { NUMA_VALUE, NUMA_NONE, NUMA_UNREADABLE };

struct dev {
	unsigned dom, bus, slot, fn;
	unsigned class;           /* 24 bits: base class, subclass, prog-if */
	unsigned vendor, device;
	unsigned sv, sd;          /* subsystem, when has_subsys */
	bool has_subsys;
	long group;               /* -1: no iommu_group link */
	int numa;                 /* the node (or -1) when numa_mode is NUMA_VALUE */
	enum numa numa_mode;
	char driver[MAX_DRIVER + 1]; /* "" when unbound */
	bool vanished;            /* listed in bus/pci/devices, directory gone */
	unsigned sec, sub;        /* PCI-to-PCI bridges: secondary and subordinate bus */
	unsigned line;            /* in the description, for messages */
	/* the facts pcipass-probe records (key=value columns; dev_defaults() says what is there
	 * when a line does not say) */
	char reset[64];           /* reset_method's methods, space-separated; "" no reset at all;
				   * "-" a kernel before 5.15 (`reset` alone); "=" an empty list */
	char power[16];           /* power_state; "" no file */
	int speed[2], width[2];   /* PCIe link now and at most: tenths of GT/s, lanes; -1 no file */
	long long aer[3];         /* AER totals (correctable, nonfatal, fatal); -1 no files */
	int boot_vga;             /* -1 no file */
	unsigned long long bar0;  /* BAR 0's size (bytes, a power of two) */
	char block[32];           /* a disk on the device: its name, */
	unsigned bmaj, bmin;      /* and device number; "" none */
	char net[16];             /* a network interface on the device; "" none */
	char tty[16];             /* a serial port on the device; "" none */
};

struct host {
	struct dev *v;
	size_t n, cap;
};

/* The tree being written and, after a failure, what could not be written and why. */
struct tree {
	int root;                 /* directory descriptor of OUTDIR.tmp-XXXXXX */
	int bus_devices;          /* and of its bus/pci/devices */
	long last_dom;            /* the domain whose devices/pciDDDD:00 was made last, or -1 */
	char drivers[64][MAX_DRIVER + 1]; /* driver directories made so far (the first 64) */
	size_t n_drivers;
	const char *dev;          /* the device being written ("" outside one) */
	char err[512];
};

/* ---- reading a description (pure: no file is written here) ---- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Exactly `digits` hex digits, nothing else (no 0x: the columns have fixed widths). */
static int parse_hex(const char *s, size_t digits, unsigned *out)
{
	unsigned v = 0;

	if (strlen(s) != digits)
		return -1;
	for (size_t i = 0; i < digits; i++) {
		int h = hexval((unsigned char)s[i]);
		if (h < 0)
			return -1;
		v = v << 4 | (unsigned)h;
	}
	*out = v;
	return 0;
}

/* A decimal in [min, max]; the whole string, no sign but '-', no leading junk (strtonum-like). */
static int parse_long(const char *s, long min, long max, long *out)
{
	const char *p = s[0] == '-' ? s + 1 : s;
	char *end;
	long v;

	if (*p < '0' || *p > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* "abcd:ef01" into two 16-bit ids. */
static int parse_pair(const char *s, unsigned *a, unsigned *b)
{
	char x[5], y[5];

	if (strlen(s) != 9 || s[4] != ':')
		return -1;
	memcpy(x, s, 4);
	x[4] = '\0';
	memcpy(y, s + 5, 5);
	return parse_hex(x, 4, a) < 0 || parse_hex(y, 4, b) < 0 ? -1 : 0;
}

/* "DDDD:BB:DD.F", any case; the domain 4 to 8 hex digits (VMD's 10000-1ffff). */
static int parse_addr(const char *s, struct dev *d)
{
	char dom[9], bus[3], slot[3];
	size_t n = strlen(s), dn = n - 8;

	if (n < 12 || n > 16)
		return -1;
	s += dn - 4; /* from here on as a four-digit domain */
	if (s[4] != ':' || s[7] != ':' || s[10] != '.' || s[11] < '0' || s[11] > '7')
		return -1;
	memcpy(dom, s - (dn - 4), dn);
	dom[dn] = '\0';
	memcpy(bus, s + 5, 2);
	bus[2] = '\0';
	memcpy(slot, s + 8, 2);
	slot[2] = '\0';
	if (parse_hex(dom, dn, &d->dom) < 0 || parse_hex(bus, 2, &d->bus) < 0 ||
	    parse_hex(slot, 2, &d->slot) < 0 || d->slot > 0x1f)
		return -1;
	d->fn = (unsigned)(s[11] - '0');
	return 0;
}

/* A token as it may appear inside "..." in a one-line message: control bytes shown as '?',
 * long ones cut with "..." (the line itself was already refused or is being refused). */
static const char *shown(const char *s)
{
	static char buf[48];
	size_t i;

	for (i = 0; s[i] != '\0' && i < sizeof(buf) - 4; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	strcpy(buf + i, s[i] != '\0' ? "..." : "");
	return buf;
}

/* What a device has when its line says nothing more: a kernel of today that can reset it
 * (flr), in D0, its one 16 MiB BAR; no link, AER or boot_vga files, nothing the host uses. */
static void dev_defaults(struct dev *d)
{
	if (d->class >> 16 != 0x06)
		strcpy(d->reset, "flr");
	strcpy(d->power, "D0");
	d->speed[0] = d->speed[1] = d->width[0] = d->width[1] = -1;
	d->aer[0] = d->aer[1] = d->aer[2] = -1;
	d->boot_vga = -1;
	d->bar0 = 16u << 20;
}

/* "8.0x16": a speed in GT/s with one decimal and a width into tenths and lanes. */
static int parse_link(const char *s, int *speed, int *width)
{
	long whole, lanes;
	char w[8];
	const char *dot = strchr(s, '.'), *x = strchr(s, 'x');

	if (dot == NULL || x != dot + 2 || dot - s > 3 || dot == s || dot[1] < '0' || dot[1] > '9')
		return -1;
	memcpy(w, s, (size_t)(dot - s));
	w[dot - s] = '\0';
	if (parse_long(w, 0, 999, &whole) < 0 || parse_long(x + 1, 0, 63, &lanes) < 0 || w[0] == '-')
		return -1;
	*speed = (int)(whole * 10 + (dot[1] - '0'));
	*width = (int)lanes;
	return 0;
}

/* One key=value column after the seven; on error a message in msg. */
static MUST_CHECK int parse_fact(char *kv, struct dev *d, char *msg, size_t size)
{
	char *v = strchr(kv, '='), *slash;
	long a, b, c;

	if (v == NULL)
		goto bad;
	*v++ = '\0';
	if (strcmp(kv, "reset") == 0) {
		if (strlen(v) >= sizeof(d->reset) || strspn(v, "abcdefghijklmnopqrstuvwxyz_,") != strlen(v) || !*v)
			goto bad;
		strcpy(d->reset, strcmp(v, "none") == 0 ? "" : strcmp(v, "old") == 0 ? "-" :
				 strcmp(v, "empty") == 0 ? "=" : v);
		for (char *p = d->reset; *p; p++)
			*p = *p == ',' ? ' ' : *p;
	} else if (strcmp(kv, "power") == 0) {
		if (strlen(v) >= sizeof(d->power) || !*v || strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-") != strlen(v))
			goto bad;
		strcpy(d->power, strcmp(v, "-") == 0 ? "" : v);
	} else if (strcmp(kv, "link") == 0) {
		if ((slash = strchr(v, '/')) == NULL)
			goto bad;
		*slash = '\0';
		if (parse_link(v, &d->speed[0], &d->width[0]) < 0 || parse_link(slash + 1, &d->speed[1], &d->width[1]) < 0)
			goto bad;
	} else if (strcmp(kv, "aer") == 0) {
		char *p2 = strchr(v, '/'), *p3 = p2 ? strchr(p2 + 1, '/') : NULL;
		if (p3 == NULL)
			goto bad;
		*p2 = *p3 = '\0';
		if (parse_long(v, 0, 1000000000, &a) < 0 || parse_long(p2 + 1, 0, 1000000000, &b) < 0 ||
		    parse_long(p3 + 1, 0, 1000000000, &c) < 0 || v[0] == '-' || p2[1] == '-' || p3[1] == '-')
			goto bad;
		d->aer[0] = a, d->aer[1] = b, d->aer[2] = c;
	} else if (strcmp(kv, "boot_vga") == 0) {
		if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0)
			goto bad;
		d->boot_vga = v[0] - '0';
	} else if (strcmp(kv, "bar0") == 0) {
		static const char units[] = "KMG";
		size_t n = strlen(v);
		const char *u = n ? strchr(units, v[n - 1]) : NULL;
		char num[16];
		if (u == NULL || n < 2 || n > sizeof(num))
			goto bad;
		memcpy(num, v, n - 1);
		num[n - 1] = '\0';
		if (parse_long(num, 1, 1023, &a) < 0 || (a & (a - 1)) || num[0] == '-')
			goto bad;
		d->bar0 = (unsigned long long)a << (10 * (u - units + 1));
	} else if (strcmp(kv, "block") == 0) {
		char name[32];
		unsigned ma, mi;
		int used = 0;
		if (sscanf(v, "%31[a-z0-9]:%u:%u%n", name, &ma, &mi, &used) != 3 || v[used] != '\0' ||
		    ma == 0 || ma > 4095 || mi > 1048575)
			goto bad;
		strcpy(d->block, name);
		d->bmaj = ma, d->bmin = mi;
	} else if (strcmp(kv, "net") == 0 || strcmp(kv, "tty") == 0) {
		char *to = kv[0] == 'n' ? d->net : d->tty;
		if (strlen(v) >= sizeof(d->net) || !*v || strspn(v, "abcdefghijklmnopqrstuvwxyzS0123456789") != strlen(v))
			goto bad;
		strcpy(to, v);
	} else {
		goto bad;
	}
	return 0;
bad:
	snprintf(msg, size, "expected `vanished` or KEY=VALUE with KEY reset, power, link, aer, boot_vga, "
		 "bar0, block, net or tty (see the usage), got \"%s%s%s\"", shown(kv), v ? "=" : "", v ? shown(v) : "");
	return -1;
}

/* Split one description line into d; on error a message "column: expected ..., got ..." in msg. */
static MUST_CHECK int parse_line(char *line, struct dev *d, char *msg, size_t size)
{
	char *col[17], *save = NULL;
	int n = 0;
	long v;

	for (char *w = strtok_r(line, " \t\r", &save); w != NULL && n < 17;
	     w = strtok_r(NULL, " \t\r", &save))
		col[n++] = w;
	if (n < 7 || n > 16) {
		snprintf(msg, size,
			 "expected 7 columns (address class vendor:device subsystem iommu_group numa "
			 "driver) and optional `vanished` and KEY=VALUE ones, got %s%d",
			 n == 17 ? "more than " : "", n == 17 ? 16 : n);
		return -1;
	}
	memset(d, 0, sizeof(*d));
	if (parse_addr(col[0], d) < 0) {
		snprintf(msg, size,
			 "address: expected DDDD:BB:DD.F in hex (device 00-1f, function 0-7), got \"%s\"",
			 shown(col[0]));
		return -1;
	}
	if (parse_hex(col[1], 4, &d->class) == 0) {
		d->class <<= 8; /* prog-if 00 */
	} else if (parse_hex(col[1], 6, &d->class) < 0) {
		snprintf(msg, size, "class: expected 4 hex digits (or 6, with prog-if), got \"%s\"",
			 shown(col[1]));
		return -1;
	}
	if (parse_pair(col[2], &d->vendor, &d->device) < 0) {
		snprintf(msg, size, "vendor:device: expected two 4-digit hex ids like 19e5:d801, got \"%s\"",
			 shown(col[2]));
		return -1;
	}
	d->has_subsys = strcmp(col[3], "-") != 0;
	if (d->has_subsys && parse_pair(col[3], &d->sv, &d->sd) < 0) {
		snprintf(msg, size, "subsystem: expected two 4-digit hex ids like 19e5:0100, or -, got \"%s\"",
			 shown(col[3]));
		return -1;
	}
	d->group = -1;
	if (strcmp(col[4], "-") != 0 && parse_long(col[4], 0, MAX_GROUP, &d->group) < 0) {
		snprintf(msg, size, "iommu_group: expected a number 0-%d, or -, got \"%s\"", MAX_GROUP,
			 shown(col[4]));
		return -1;
	}
	d->numa = -1;
	if (strcmp(col[5], "-") == 0) {
		d->numa_mode = NUMA_NONE;
	} else if (strcmp(col[5], "!") == 0) {
		d->numa_mode = NUMA_UNREADABLE;
	} else if (parse_long(col[5], -1, MAX_NODE, &v) == 0) {
		d->numa = (int)v;
	} else {
		snprintf(msg, size,
			 "numa: expected a node 0-%d, -1, - (no numa_node file) or ! (unreadable), got \"%s\"",
			 MAX_NODE, shown(col[5]));
		return -1;
	}
	if (strcmp(col[6], "-") != 0) {
		size_t len = strlen(col[6]);
		if (len > MAX_DRIVER || strspn(col[6], "abcdefghijklmnopqrstuvwxyz0123456789_-") != len) {
			snprintf(msg, size, "driver: expected 1-%d of [a-z0-9_-], or -, got \"%s\"",
				 MAX_DRIVER, shown(col[6]));
			return -1;
		}
		memcpy(d->driver, col[6], len + 1);
	}
	dev_defaults(d);
	for (int i = 7; i < n; i++) {
		if (strcmp(col[i], "vanished") == 0)
			d->vanished = true;
		else if (parse_fact(col[i], d, msg, size) < 0)
			return -1;
	}
	return 0;
}

/* One line of f into buf (at most MAX_LINE bytes, newline dropped). 1 for a line, 0 at the
 * end, -1 with a message for an over-long line or a NUL byte: a bound, never a silent cut. */
static MUST_CHECK int read_line(FILE *f, char buf[MAX_LINE + 1], char *msg, size_t size)
{
	size_t n = 0;
	int c;

	while ((c = getc(f)) != EOF && c != '\n') {
		if (c == '\0') {
			snprintf(msg, size, "expected text, got a NUL byte");
			return -1;
		}
		if (n == MAX_LINE) {
			snprintf(msg, size, "expected a line of at most %d bytes, got a longer one", MAX_LINE);
			return -1;
		}
		buf[n++] = (char)c;
	}
	buf[n] = '\0';
	return c == EOF && n == 0 ? 0 : 1;
}

static MUST_CHECK int add_dev(struct host *h, const struct dev *d)
{
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 64;
		struct dev *v = realloc(h->v, cap * sizeof(*v));
		if (v == NULL)
			return -1;
		h->v = v;
		h->cap = cap;
	}
	h->v[h->n++] = *d;
	return 0;
}

/* Address order, then description order (so that of two equal addresses the first line wins). */
static int by_addr(const void *pa, const void *pb)
{
	const struct dev *a = pa, *b = pb;
	unsigned long long ka = (unsigned long long)a->dom << 32 | a->bus << 16 | a->slot << 8 | a->fn;
	unsigned long long kb = (unsigned long long)b->dom << 32 | b->bus << 16 | b->slot << 8 | b->fn;

	if (ka != kb)
		return ka < kb ? -1 : 1;
	return a->line < b->line ? -1 : a->line > b->line;
}

/* Read a whole description into h, in address order. -1 with "name:line: ..." in msg, and errno
 * EINVAL for bad data or the read error's errno. */
static MUST_CHECK int read_desc(FILE *f, const char *name, struct host *h, char *msg, size_t size)
{
	char line[MAX_LINE + 1], why[400];
	unsigned lineno = 0;
	struct dev d;
	int r;

	while ((r = read_line(f, line, why, sizeof(why))) != 0) {
		char *s = line;
		lineno++;
		if (r < 0)
			goto bad;
		s += strspn(s, " \t\r");
		if (*s == '#' || *s == '\0')
			continue;
		if (parse_line(s, &d, why, sizeof(why)) < 0)
			goto bad;
		if (h->n == MAX_DEVICES) {
			snprintf(why, sizeof(why), "expected at most %d devices, got more", MAX_DEVICES);
			goto bad;
		}
		d.line = lineno;
		if (add_dev(h, &d) < 0) {
			snprintf(msg, size, "%s: %s", name, strerror(errno));
			return -1;
		}
	}
	if (ferror(f)) {
		int e = errno;
		snprintf(msg, size, "%s: %s", name, strerror(e));
		errno = e;
		return -1;
	}
	if (h->n > 0)
		qsort(h->v, h->n, sizeof(h->v[0]), by_addr);
	for (size_t i = 1; i < h->n; i++) {
		const struct dev *a = &h->v[i - 1], *b = &h->v[i];
		if (by_addr(a, b) != 0 && a->dom == b->dom && a->bus == b->bus && a->slot == b->slot &&
		    a->fn == b->fn) {
			snprintf(msg, size,
				 "%s:%u: address: expected each device once, got \"%04x:%02x:%02x.%x\" again "
				 "(first on line %u)",
				 name, b->line, b->dom, b->bus, b->slot, b->fn, a->line);
			errno = EINVAL;
			return -1;
		}
	}
	return 0;
bad:
	snprintf(msg, size, "%s:%u: %s", name, lineno, why);
	errno = EINVAL;
	return -1;
}

static bool is_p2p_bridge(const struct dev *d)
{
	return d->class >> 8 == 0x0604;
}

/* Give each PCI-to-PCI bridge of a description plausible secondary and subordinate buses (the
 * description is flat and does not say which bridge leads where; only lspci -vvv and -t show
 * these numbers). Bridges are taken from the highest address down, so that a bridge's children
 * have their ranges when it gets its own. Each takes the lowest bus above its own that holds
 * devices, that no bridge took yet and that no bus holding a bridge comes before (such a bus
 * is another root, like 3a on a Xeon); or else the lowest bus number nobody uses. Its
 * subordinate bus covers whatever the bridges on its secondary bus lead to. h is in address
 * order. */
static void plan_buses(struct host *h)
{
	bool used[256], bridges[256], taken[256];
	unsigned below[256]; /* per bus: the highest bus reached through bridges on it */

	for (size_t end = h->n; end > 0;) {
		size_t start = end;
		unsigned dom = h->v[end - 1].dom;

		while (start > 0 && h->v[start - 1].dom == dom)
			start--;
		memset(used, 0, sizeof(used));
		memset(bridges, 0, sizeof(bridges));
		memset(taken, 0, sizeof(taken));
		memset(below, 0, sizeof(below));
		for (size_t i = start; i < end; i++) {
			used[h->v[i].bus] = true;
			bridges[h->v[i].bus] |= is_p2p_bridge(&h->v[i]);
		}
		for (size_t i = end; i-- > start;) {
			struct dev *d = &h->v[i];
			unsigned s;
			if (!is_p2p_bridge(d))
				continue;
			for (s = d->bus + 1; s < 256 && (!used[s] || taken[s]); s++)
				if (bridges[s]) {
					s = 256;
					break;
				}
			if (s == 256)
				for (s = d->bus + 1; s < 256 && (used[s] || taken[s]); s++)
					;
			if (s == 256) { /* no bus left above: an unconfigured bridge */
				d->sec = d->sub = 0;
				continue;
			}
			taken[s] = true;
			d->sec = s;
			d->sub = below[s] > s ? below[s] : s;
			if (d->sub > below[d->bus])
				below[d->bus] = d->sub;
		}
		end = start;
	}
}

/* ---- --synth: a big deterministic host ---- */

/* Endpoint kinds of the synthetic host and how often each appears (out of the weights' sum):
 * the custom cards pcipass is about are more than half, the rest is what a GPU/NPU server has. */
static const struct kind {
	unsigned class, vendor, device, sv, sd, weight;
	const char *driver;
} kinds[] = {
	{ 0x120000, 0x19e5, 0xd801, 0x19e5, 0x0100, 6, "" },          /* Huawei NPU, free */
	{ 0x120000, 0x19e5, 0xd801, 0x19e5, 0x0200, 3, "vfio-pci" },  /* Huawei NPU, other model, in a VM */
	{ 0x120000, 0x10ee, 0x903f, 0x10ee, 0x0007, 4, "" },          /* Xilinx FPGA */
	{ 0x120000, 0x10ee, 0x903f, 0x10ee, 0x0007, 1, "vfio-pci" },
	{ 0x020000, 0x8086, 0x1572, 0x8086, 0x0000, 2, "i40e" },      /* Intel X710 */
	{ 0x020700, 0x15b3, 0x101b, 0x15b3, 0x0007, 2, "mlx5_core" }, /* Mellanox ConnectX-6 */
	{ 0x030200, 0x10de, 0x20b5, 0x10de, 0x1533, 2, "nvidia" },    /* NVIDIA A100 */
	{ 0x010802, 0x144d, 0xa808, 0x144d, 0xa801, 2, "nvme" },      /* Samsung NVMe */
	{ 0x010802, 0x8086, 0x0b60, 0x8086, 0x8008, 1, "nvme" },      /* Intel NVMe */
	{ 0x0b4000, 0x8086, 0x37c8, 0x8086, 0x35c5, 1, "" },          /* Intel QAT, unbound */
};

/* Per domain of PER_DOMAIN devices: a host bridge at 00:00.0, then runs of PER_BUS devices, each
 * a root port on bus 00 (slot 1 + k/8, function k%8, leading to bus k+1) and 31 endpoints on
 * bus k+1 (slots 0-3, functions 0-7). NUMA nodes alternate per root port; every device has its
 * own IOMMU group. h is left in generation order, which the writer does not mind. */
static MUST_CHECK int synth(struct host *h, unsigned n)
{
	unsigned total = 0;

	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		total += kinds[k].weight;
	for (unsigned i = 0; i < n; i++) {
		unsigned j = i % PER_DOMAIN, q = j - 1, bus = q / PER_BUS, pos = q % PER_BUS;
		struct dev d = { .dom = i / PER_DOMAIN, .group = i, .line = 0 };

		d.numa = j == 0 ? 0 : (int)(bus % 2);
		if (j == 0) {
			d.class = 0x060000;
			d.vendor = 0x8086, d.device = 0x2020;
			d.sv = 0x8086, d.sd = 0x0000, d.has_subsys = true;
		} else if (pos == 0) {
			d.slot = 1 + bus / 8, d.fn = bus % 8;
			d.class = 0x060400;
			d.vendor = 0x8086, d.device = 0x2030 + bus % 4;
			d.sec = d.sub = bus + 1;
			strcpy(d.driver, "pcieport");
		} else {
			/* a multiplicative hash spreads the kinds evenly but not in a visible cycle */
			unsigned pick = (i * 2654435761u >> 8) % total, k = 0;
			while (pick >= kinds[k].weight)
				pick -= kinds[k++].weight;
			d.bus = bus + 1, d.slot = (pos - 1) / 8, d.fn = (pos - 1) % 8;
			d.class = kinds[k].class;
			d.vendor = kinds[k].vendor, d.device = kinds[k].device;
			d.sv = kinds[k].sv, d.sd = kinds[k].sd, d.has_subsys = true;
			strcpy(d.driver, kinds[k].driver);
		}
		dev_defaults(&d);
		if (add_dev(h, &d) < 0)
			return -1;
	}
	return 0;
}

/* ---- writing the tree (the only part that touches the file system) ---- */

/* Record what failed (errno kept) and return -1. */
static int fail(struct tree *t, const char *name)
{
	int e = errno;

	snprintf(t->err, sizeof(t->err), "%s%s%s%s: %s", name, t->dev[0] ? " (device " : "", t->dev,
		 t->dev[0] ? ")" : "", strerror(e));
	errno = e;
	return -1;
}

/* mkdir name under dir; 1 if it was there already (which is fine when we made it earlier). */
static MUST_CHECK int make_dir(struct tree *t, int dir, const char *name)
{
	if (mkdirat(dir, name, 0755) == 0)
		return 0;
	return errno == EEXIST ? 1 : fail(t, name);
}

/* mkdir name under dir, which must not be there yet. */
static MUST_CHECK int new_dir(struct tree *t, int dir, const char *name)
{
	return mkdirat(dir, name, 0755) < 0 ? fail(t, name) : 0;
}

/* A new file holding data. The tree is new, so an entry already there is a bug: O_EXCL says so,
 * and O_NOFOLLOW keeps a link from sending the write anywhere else. */
static MUST_CHECK int put(struct tree *t, int dir, const char *name, const void *data, size_t len)
{
	int fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	ssize_t w;

	if (fd < 0)
		return fail(t, name);
	w = len ? write(fd, data, len) : 0;
	if (w != (ssize_t)len) {
		if (w >= 0)
			errno = ENOSPC;
		close(fd);
		return fail(t, name);
	}
	return close(fd) < 0 ? fail(t, name) : 0;
}

static MUST_CHECK PRINTF(4, 5) int putf(struct tree *t, int dir, const char *name, const char *fmt, ...)
{
	char text[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(text)) {
		errno = EOVERFLOW;
		return fail(t, name);
	}
	return put(t, dir, name, text, (size_t)n);
}

static MUST_CHECK int link_at(struct tree *t, const char *target, int dir, const char *name)
{
	return symlinkat(target, dir, name) < 0 ? fail(t, name) : 0;
}

static void le16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v & 0xff);
	p[1] = (unsigned char)(v >> 8 & 0xff);
}

static void le32(unsigned char *p, unsigned long long v)
{
	le16(p, (unsigned)(v & 0xffff));
	le16(p + 2, (unsigned)(v >> 16 & 0xffff));
}

/* Base classes 06 (bridges of every kind) have no BAR and no interrupt here; the others get
 * one 16 MiB 64-bit prefetchable BAR (what an accelerator's BAR0 looks like), placed by idx. */
static bool has_bar(const struct dev *d)
{
	return d->class >> 16 != 0x06;
}

static unsigned long long bar_base(size_t idx)
{
	return 0x380000000000ull + (unsigned long long)idx * 0x1000000ull;
}

static unsigned irq_of(const struct dev *d, size_t idx)
{
	return has_bar(d) ? 24 + (unsigned)(idx % 200) : 0;
}

/* The first 256 bytes of config space (what sysfs gives an unprivileged reader), consistent
 * with the attribute files: lspci reads the header, the BARs and the capability list here. */
static void config_space(const struct dev *d, size_t idx, unsigned char cfg[256])
{
	memset(cfg, 0, 256);
	le16(cfg + 0x00, d->vendor);
	le16(cfg + 0x02, d->device);
	le16(cfg + 0x04, 0x0006);     /* command: memory space, bus master */
	le16(cfg + 0x06, 0x0010);     /* status: capability list present */
	cfg[0x08] = 0x00;             /* revision */
	cfg[0x09] = (unsigned char)(d->class & 0xff);
	cfg[0x0a] = (unsigned char)(d->class >> 8 & 0xff);
	cfg[0x0b] = (unsigned char)(d->class >> 16 & 0xff);
	cfg[0x34] = 0x40;             /* capabilities at 0x40 */
	cfg[0x40] = 0x01;             /* power management, version 3, last in the list */
	le16(cfg + 0x42, 0x0003);
	if (is_p2p_bridge(d)) {
		cfg[0x0e] = 0x01;     /* header type 1 */
		cfg[0x18] = (unsigned char)d->bus;
		cfg[0x19] = (unsigned char)d->sec;
		cfg[0x1a] = (unsigned char)d->sub;
		/* every window closed (base above limit), as the resource file says */
		cfg[0x1c] = 0xf0;
		le16(cfg + 0x20, 0xfff0);
		le16(cfg + 0x24, 0xfff1); /* 64-bit prefetchable window type */
		le16(cfg + 0x26, 0x0001);
		return;
	}
	if (has_bar(d)) {
		unsigned long long base = bar_base(idx);
		le32(cfg + 0x10, (base & 0xfffffff0u) | 0xc); /* 64-bit, prefetchable */
		le32(cfg + 0x14, base >> 32);
		cfg[0x3c] = (unsigned char)(irq_of(d, idx) & 0xff);
		cfg[0x3d] = 0x01;     /* INTA */
	}
	if (d->has_subsys) {
		le16(cfg + 0x2c, d->sv);
		le16(cfg + 0x2e, d->sd);
	}
}

/* The kernel's resource file, "start end flags" per resource: 13 lines for an endpoint (6 BARs,
 * the ROM, 6 SR-IOV BARs on a CONFIG_PCI_IOV kernel), 4 more for a bridge's windows (libpci
 * takes windows from an 11- or 17-line file only; a line it cannot parse is fatal to it). */
static MUST_CHECK int write_resource(struct tree *t, int dir, const struct dev *d, size_t idx)
{
	char text[17 * 60 + 1];
	size_t o = 0;
	int lines = is_p2p_bridge(d) ? 17 : 13;

	for (int i = 0; i < lines; i++) {
		unsigned long long start = 0, end = 0, flags = 0;
		if (i == 0 && has_bar(d)) {
			start = bar_base(idx);
			end = start + d->bar0 - 1;
			flags = 0x14220c; /* MEM | PREFETCH | MEM_64 | SIZEALIGN, PCI bits 0xc */
		}
		o += (size_t)snprintf(text + o, sizeof(text) - o, "0x%016llx 0x%016llx 0x%016llx\n", start,
				      end, flags);
	}
	return put(t, dir, "resource", text, o);
}

/* bus/pci/drivers/<drv>/ with its control files, made by the first device bound to it. */
static MUST_CHECK int driver_dir(struct tree *t, const char *drv)
{
	static const char *const files[] = { "bind", "unbind", "new_id", "remove_id" };
	char path[128];
	int r, fd;

	/* most devices share a handful of drivers: remember them rather than ask mkdir each time */
	for (size_t i = 0; i < t->n_drivers; i++)
		if (strcmp(t->drivers[i], drv) == 0)
			return 0;
	if (t->n_drivers < sizeof(t->drivers) / sizeof(t->drivers[0]))
		strcpy(t->drivers[t->n_drivers++], drv);
	snprintf(path, sizeof(path), "bus/pci/drivers/%s", drv);
	if ((r = make_dir(t, t->root, path)) != 0)
		return r < 0 ? -1 : 0;
	if ((fd = openat(t->root, path, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return fail(t, path);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (put(t, fd, files[i], "", 0) < 0) {
			close(fd);
			return -1;
		}
	close(fd);
	return 0;
}

/* The files of what pcipass-probe records beyond the ids: reset, power, link, AER, boot VGA,
 * as a 6.1 kernel writes them. */
static MUST_CHECK int write_facts(struct tree *t, int fd, const struct dev *d)
{
	static const char *const aer_file[3] = { "aer_dev_correctable", "aer_dev_nonfatal", "aer_dev_fatal" };
	static const char *const aer_total[3] = { "COR", "NONFATAL", "FATAL" };

	if (d->reset[0] && put(t, fd, "reset", "", 0) < 0)
		return -1;
	if (d->reset[0] && d->reset[0] != '-' &&
	    (d->reset[0] == '=' ? put(t, fd, "reset_method", "", 0) : putf(t, fd, "reset_method", "%s\n", d->reset)) < 0)
		return -1;
	if (d->power[0] && putf(t, fd, "power_state", "%s\n", d->power) < 0)
		return -1;
	if (d->speed[0] >= 0 &&
	    (putf(t, fd, "current_link_speed", "%d.%d GT/s PCIe\n", d->speed[0] / 10, d->speed[0] % 10) < 0 ||
	     putf(t, fd, "current_link_width", "%d\n", d->width[0]) < 0 ||
	     putf(t, fd, "max_link_speed", "%d.%d GT/s PCIe\n", d->speed[1] / 10, d->speed[1] % 10) < 0 ||
	     putf(t, fd, "max_link_width", "%d\n", d->width[1]) < 0))
		return -1;
	for (int k = 0; k < 3; k++)
		if (d->aer[k] >= 0 && putf(t, fd, aer_file[k], "%s 0\nTOTAL_ERR_%s %lld\n",
					   k == 0 ? "RxErr" : "Undefined", aer_total[k], d->aer[k]) < 0)
			return -1;
	if (d->boot_vga >= 0 && putf(t, fd, "boot_vga", "%d\n", d->boot_vga) < 0)
		return -1;
	return 0;
}

/* What the host uses on the device: <dev>/KIND/NAME, and the link <class>/NAME (and for a disk
 * dev/block/MAJ:MIN) to it, as hostuse.c follows them. */
static MUST_CHECK int host_link(struct tree *t, int fd, const char *rel, const char *kind,
				const char *cls, const char *name)
{
	char path[256], target[256];

	snprintf(path, sizeof(path), "%s/%s", kind, name);
	if (make_dir(t, fd, kind) < 0 || new_dir(t, fd, path) < 0)
		return -1;
	snprintf(path, sizeof(path), "class/%s", cls);
	if (make_dir(t, t->root, "class") < 0 || make_dir(t, t->root, path) < 0)
		return -1;
	snprintf(path, sizeof(path), "class/%s/%s", cls, name);
	snprintf(target, sizeof(target), "../../%s/%s/%s", rel, kind, name);
	return link_at(t, target, t->root, path);
}

static MUST_CHECK int write_uses(struct tree *t, int fd, const struct dev *d, const char *rel)
{
	char path[256], target[256];

	if (d->block[0]) {
		if (host_link(t, fd, rel, "block", "block", d->block) < 0)
			return -1;
		snprintf(path, sizeof(path), "block/%s/dev", d->block);
		if (putf(t, fd, path, "%u:%u\n", d->bmaj, d->bmin) < 0 || make_dir(t, t->root, "dev") < 0 ||
		    make_dir(t, t->root, "dev/block") < 0)
			return -1;
		snprintf(path, sizeof(path), "dev/block/%u:%u", d->bmaj, d->bmin);
		snprintf(target, sizeof(target), "../../%s/block/%s", rel, d->block);
		if (link_at(t, target, t->root, path) < 0)
			return -1;
	}
	if (d->net[0] && host_link(t, fd, rel, "net", "net", d->net) < 0)
		return -1;
	if (d->tty[0] && host_link(t, fd, rel, "tty", "tty", d->tty) < 0)
		return -1;
	return 0;
}

/* The attribute files of one device, in its directory fd. idx places its BAR and interrupt. */
static MUST_CHECK int write_attrs(struct tree *t, int fd, const struct dev *d, size_t idx)
{
	unsigned char cfg[256];

	config_space(d, idx, cfg);
	if (putf(t, fd, "vendor", "0x%04x\n", d->vendor) < 0 ||
	    putf(t, fd, "device", "0x%04x\n", d->device) < 0 ||
	    putf(t, fd, "class", "0x%06x\n", d->class) < 0 || putf(t, fd, "revision", "0x00\n") < 0 ||
	    putf(t, fd, "irq", "%u\n", irq_of(d, idx)) < 0 || write_resource(t, fd, d, idx) < 0 ||
	    put(t, fd, "config", cfg, sizeof(cfg)) < 0 ||
	    putf(t, fd, "driver_override", "(null)\n") < 0 ||
	    putf(t, fd, "enable", "%d\n", d->driver[0] ? 1 : 0) < 0 ||
	    putf(t, fd, "local_cpulist", "%s\n", d->numa == 1 ? "16-31" : "0-15") < 0 ||
	    /* the kernel's modalias has subsystem ids even when there are no files (0 then) */
	    putf(t, fd, "modalias", "pci:v0000%04Xd0000%04Xsv0000%04Xsd0000%04Xbc%02Xsc%02Xi%02X\n",
		 d->vendor, d->device, d->sv, d->sd, d->class >> 16, d->class >> 8 & 0xff,
		 d->class & 0xff) < 0)
		return -1;
	if (d->has_subsys && (putf(t, fd, "subsystem_vendor", "0x%04x\n", d->sv) < 0 ||
			      putf(t, fd, "subsystem_device", "0x%04x\n", d->sd) < 0))
		return -1;
	/* an endpoint the kernel can reset, as most are (dev_defaults): pcipass-run refuses one
	 * it cannot (tests write other contents over it) */
	if (write_facts(t, fd, d) < 0)
		return -1;
	switch (d->numa_mode) {
	case NUMA_VALUE:
		return putf(t, fd, "numa_node", "%d\n", d->numa);
	case NUMA_UNREADABLE: /* a directory: open() works, read() fails with EISDIR, even for root */
		return new_dir(t, fd, "numa_node");
	case NUMA_NONE:
		break;
	}
	return 0;
}

/* The links between the device (directory fd, path rel from the root) and the rest of the
 * tree: subsystem, its IOMMU group both ways, its driver both ways. */
static MUST_CHECK int write_links(struct tree *t, int fd, const struct dev *d, const char *addr,
				  const char *rel)
{
	char target[128], path[128];
	int r;

	if (link_at(t, "../../../bus/pci", fd, "subsystem") < 0)
		return -1;
	snprintf(target, sizeof(target), "../../../../%s", rel); /* from <dir>/<sub>/<dir>/<addr> */
	if (d->group >= 0) {
		snprintf(path, sizeof(path), "kernel/iommu_groups/%ld", d->group);
		if ((r = make_dir(t, t->root, path)) < 0)
			return -1;
		snprintf(path, sizeof(path), "kernel/iommu_groups/%ld/devices", d->group);
		if (r == 0 && new_dir(t, t->root, path) < 0) /* a new group: its devices/ too */
			return -1;
		snprintf(path, sizeof(path), "kernel/iommu_groups/%ld/devices/%s", d->group, addr);
		if (link_at(t, target, t->root, path) < 0)
			return -1;
		snprintf(path, sizeof(path), "../../../kernel/iommu_groups/%ld", d->group);
		if (link_at(t, path, fd, "iommu_group") < 0)
			return -1;
	}
	if (d->driver[0]) {
		if (driver_dir(t, d->driver) < 0)
			return -1;
		snprintf(path, sizeof(path), "bus/pci/drivers/%s/%s", d->driver, addr);
		if (link_at(t, target, t->root, path) < 0)
			return -1;
		snprintf(path, sizeof(path), "../../../bus/pci/drivers/%s", d->driver);
		if (link_at(t, path, fd, "driver") < 0)
			return -1;
	}
	return 0;
}

/* One device: the bus link, then its directory (kept open as a descriptor, so that its ~20
 * entries cost no path walk from the root: this is what makes 8192 devices quick). */
static MUST_CHECK int write_dev(struct tree *t, const struct dev *d, size_t idx)
{
	char addr[24], rel[64], path[128];
	int fd, r;

	snprintf(addr, sizeof(addr), "%04x:%02x:%02x.%x", d->dom, d->bus, d->slot, d->fn);
	snprintf(rel, sizeof(rel), "devices/pci%04x:00/%s", d->dom, addr);
	t->dev = addr;
	snprintf(path, sizeof(path), "../../../%s", rel);
	if (link_at(t, path, t->bus_devices, addr) < 0)
		return -1;
	if (d->vanished) /* hot-removed between libpci's readdir and its reads: a dangling link */
		return 0;
	if (t->last_dom != (long)d->dom) { /* devices come in domain order: one mkdir per domain */
		snprintf(path, sizeof(path), "devices/pci%04x:00", d->dom);
		if (make_dir(t, t->root, path) < 0)
			return -1;
		t->last_dom = d->dom;
	}
	if (new_dir(t, t->root, rel) < 0)
		return -1;
	if ((fd = openat(t->root, rel, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return fail(t, rel);
	r = write_attrs(t, fd, d, idx) < 0 || write_links(t, fd, d, addr, rel) < 0 ||
	    write_uses(t, fd, d, rel) < 0 ? -1 : 0;
	close(fd);
	t->dev = "";
	return r;
}

/* What exists on every host, even one without a single device. */
static MUST_CHECK int skeleton(struct tree *t)
{
	static const char *const dirs[] = { "bus", "bus/pci", "bus/pci/devices", "bus/pci/drivers",
					    "devices", "kernel", "kernel/iommu_groups" };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (new_dir(t, t->root, dirs[i]) < 0)
			return -1;
	if (put(t, t->root, "bus/pci/drivers_probe", "", 0) < 0 ||
	    put(t, t->root, "bus/pci/rescan", "", 0) < 0 ||
	    putf(t, t->root, "bus/pci/drivers_autoprobe", "1\n") < 0)
		return -1;
	if ((t->bus_devices = openat(t->root, "bus/pci/devices", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return fail(t, "bus/pci/devices");
	return driver_dir(t, "vfio-pci"); /* pcipass binds to it: always there, as when loaded */
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)type, (void)ftw;
	return remove(path) < 0 ? -1 : 0;
}

/* Write h as a tree at out: built in out.tmp-XXXXXX beside it, then renamed into place, so that
 * out is either the whole host or untouched. rename() also enforces that out is new or an empty
 * directory (which it replaces): a fake host is never mixed with anything else. */
static MUST_CHECK int build(const char *out, const struct host *h, char *msg, size_t size)
{
	struct tree t = { .root = -1, .bus_devices = -1, .last_dom = -1, .dev = "" };
	char tmp[4096];
	size_t len = strlen(out);
	int r = -1;

	while (len > 1 && out[len - 1] == '/')
		len--;
	if (len > sizeof(tmp) - sizeof(".tmp-XXXXXX")) {
		snprintf(msg, size, "%s: %s", out, strerror(ENAMETOOLONG));
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%.*s.tmp-XXXXXX", (int)len, out);
	if (mkdtemp(tmp) == NULL) {
		snprintf(msg, size, "%s: cannot create a directory beside it: %s", out, strerror(errno));
		return -1;
	}
	/* mkdtemp makes it 0700; the tree's root is a directory like the others */
	if ((t.root = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || fchmod(t.root, 0755) < 0) {
		snprintf(msg, size, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (skeleton(&t) < 0)
		goto fail;
	for (size_t i = 0; i < h->n; i++)
		if (write_dev(&t, &h->v[i], i) < 0)
			goto fail;
	if (rename(tmp, out) < 0) {
		snprintf(msg, size, "%s: expected a new or empty directory; cannot rename %s there: %s",
			 out, tmp + len, strerror(errno));
		goto out;
	}
	r = 0;
	goto out;
fail:
	snprintf(msg, size, "%s: cannot write %s", out, t.err);
out:
	if (t.bus_devices >= 0)
		close(t.bus_devices);
	if (t.root >= 0)
		close(t.root);
	if (r < 0)
		nftw(tmp, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	return r;
}

static void usage(FILE *to)
{
	fprintf(to,
		"usage: fakehost DESC_FILE OUTDIR\n"
		"       fakehost --synth N OUTDIR\n"
		"Write a fake sysfs tree (bus/pci, devices, kernel/iommu_groups) at OUTDIR, which must\n"
		"not exist or be empty: from DESC_FILE, one device per line\n"
		"  address class vendor:device subsystem iommu_group numa driver [vanished] [KEY=VALUE...]\n"
		"  0000:3b:00.0 1200 19e5:d801 19e5:0100 17 0 - link=8.0x8/16.0x16 aer=0/0/0\n"
		"(subsystem, iommu_group, driver: - for none; numa: a node, -1, - for no file, ! for an\n"
		"unreadable one; see conf/example-host.txt), or a deterministic host of N devices (0-%d).\n"
		"KEY=VALUE: reset=flr,bus|none|old|empty (default flr; bridges none), power=D0|D3cold|-\n"
		"(default D0), link=CUR/MAX as 8.0x8, aer=COR/NONFATAL/FATAL, boot_vga=0|1, bar0=16M\n"
		"(default 16M), and what the host uses on it: block=sda:8:0, net=eth0, tty=ttyS4.\n",
		MAX_DEVICES);
}

int main(int argc, char **argv)
{
	struct host h = { 0 };
	const char *out;
	char msg[8192];
	long n = -1;

	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "--synth") == 0) {
		if (parse_long(argv[2], 0, MAX_DEVICES, &n) < 0) {
			fprintf(stderr, "fakehost: --synth: expected a number of devices 0-%d, got \"%s\"\n",
				MAX_DEVICES, shown(argv[2]));
			return EX_USAGE;
		}
		out = argv[3];
	} else if (argc == 3 && argv[1][0] != '-' && argv[2][0] != '\0') {
		out = argv[2];
	} else {
		usage(stderr);
		return EX_USAGE;
	}
	/* with 022, the explicit 0644 and 0755 below are exactly what lands on disk */
	umask(022);

	if (n >= 0) {
		if (synth(&h, (unsigned)n) < 0) {
			fprintf(stderr, "fakehost: --synth %ld: %s\n", n, strerror(errno));
			return EX_OSERR;
		}
	} else {
		FILE *f = fopen(argv[1], "re");
		int r;
		if (f == NULL) {
			fprintf(stderr, "fakehost: %s: %s\n", argv[1], strerror(errno));
			return EX_NOINPUT;
		}
		r = read_desc(f, argv[1], &h, msg, sizeof(msg));
		fclose(f);
		if (r < 0) {
			fprintf(stderr, "fakehost: %s\n", msg);
			return errno == EINVAL ? EX_DATAERR : EX_IOERR;
		}
		plan_buses(&h);
	}
	if (build(out, &h, msg, sizeof(msg)) < 0) {
		fprintf(stderr, "fakehost: %s\n", msg);
		free(h.v);
		return EX_CANTCREAT;
	}
	free(h.v);
	return 0;
}
