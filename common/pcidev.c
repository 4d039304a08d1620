/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pcidev.c - one PCI device's facts from sysfs: BARs, reset methods, power, link, AER, VGA. */
#include "pcidev.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The kernel's resource flags (include/linux/ioport.h). */
enum {
	IORESOURCE_IO = 0x100,
	IORESOURCE_MEM = 0x200,
	IORESOURCE_PREFETCH = 0x2000,
	IORESOURCE_MEM_64 = 0x100000,
};

static const char *const file_names[] = {
	"resource", "reset_method", "power_state", "current_link_speed", "current_link_width",
	"max_link_speed", "max_link_width", "aer_dev_correctable", "aer_dev_nonfatal",
	"aer_dev_fatal", "boot_vga",
};
_Static_assert(sizeof(file_names) / sizeof(file_names[0]) == 11, "one name per enum pcidev_file bit");

const char *pcidev_file_name(unsigned bit)
{
	for (unsigned i = 0; i < sizeof(file_names) / sizeof(file_names[0]); i++)
		if (bit == 1u << i)
			return file_names[i];
	return "?";
}

void pcidev_clear(struct pcidev_info *out)
{
	memset(out, 0, sizeof(*out));
	out->cur_speed = out->max_speed = out->cur_width = out->max_width = -1;
	out->aer_cor = out->aer_nonfatal = out->aer_fatal = -1;
	out->boot_vga = -1;
}

/* --- the parsers: text as the kernel writes it, nothing else --- */

/* A cursor over one file's bytes. */
struct text {
	const char *p, *end;
};

/* The next line without its newline into [*s, *s + *n): 1, or 0 at the end; -1 when the last
 * line has no newline (the kernel ends every line). */
static int next_line(struct text *t, const char **s, size_t *n)
{
	const char *nl;

	if (t->p == t->end)
		return 0;
	nl = memchr(t->p, '\n', (size_t)(t->end - t->p));
	if (nl == NULL)
		return -1;
	*s = t->p;
	*n = (size_t)(nl - t->p);
	t->p = nl + 1;
	return 1;
}

/* The whole file as one line ("VALUE\n"), copied into buf[size] as a string: 0, or -1 with
 * why. Takes care of the bytes no single-value file has: NULs, a second line, no newline. */
static int one_line(const char *text, size_t len, char *buf, size_t size, char *why, size_t wsize)
{
	struct text t = { text, text + len };
	const char *s = NULL;
	size_t n = 0;

	if (next_line(&t, &s, &n) <= 0) {
		snprintf(why, wsize, "expected one line ending in a newline");
		return -1;
	}
	if (t.p != t.end) {
		snprintf(why, wsize, "expected one line, got more");
		return -1;
	}
	if (n >= size) {
		snprintf(why, wsize, "expected at most %zu characters, got %zu", size - 1, n);
		return -1;
	}
	if (memchr(s, '\0', n) != NULL) {
		snprintf(why, wsize, "expected text, got a NUL byte");
		return -1;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	return 0;
}

/* "0x" and 1 to 16 hex digits, exactly the span [s, s + n). */
static bool hex64(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (n < 3 || n > 18 || s[0] != '0' || s[1] != 'x')
		return false;
	for (size_t i = 2; i < n; i++) {
		unsigned d;
		if (s[i] >= '0' && s[i] <= '9')
			d = (unsigned)(s[i] - '0');
		else if (s[i] >= 'a' && s[i] <= 'f')
			d = (unsigned)(s[i] - 'a' + 10);
		else
			return false;
		v = v << 4 | d;
	}
	*out = v;
	return true;
}

/* Decimal digits only (no sign, no space), at most 19, exactly the span [s, s + n). */
static bool dec(const char *s, size_t n, long long max, long long *out)
{
	long long v = 0;

	if (n == 0 || n > 19)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (v > (max - (s[i] - '0')) / 10)
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* resource: one "0xSTART 0xEND 0xFLAGS" line per resource; the first six the BARs, the
 * seventh the ROM, then (SR-IOV, bridge windows) lines we check but do not keep. */
static int parse_resource(const char *text, size_t len, struct pcidev_info *out, char *why,
			  size_t size)
{
	struct text t = { text, text + len };
	const char *s;
	size_t n, line = 0;
	int r;

	out->n_bar = 0;
	while ((r = next_line(&t, &s, &n)) > 0) {
		const char *sp1 = memchr(s, ' ', n), *sp2;
		uint64_t v[3];

		line++;
		sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(s + n - sp1 - 1)) : NULL;
		if (sp2 == NULL || !hex64(s, (size_t)(sp1 - s), &v[0]) ||
		    !hex64(sp1 + 1, (size_t)(sp2 - sp1 - 1), &v[1]) ||
		    !hex64(sp2 + 1, (size_t)(s + n - sp2 - 1), &v[2])) {
			snprintf(why, size, "line %zu: expected \"0xSTART 0xEND 0xFLAGS\"", line);
			goto bad;
		}
		if (line > 7 || v[1] == 0)
			continue;
		if (v[1] < v[0] || (v[0] == 0 && v[1] == UINT64_MAX)) {
			snprintf(why, size, "line %zu: expected an end above the start, below 2^64", line);
			goto bad;
		}
		/* BARs are naturally aligned powers of two (what the inventory relies on to print
		 * them short); anything else is not the kernel's */
		if ((v[1] - v[0] + 1) & (v[1] - v[0])) {
			snprintf(why, size, "line %zu: expected a size that is a power of two", line);
			goto bad;
		}
		if (!(v[2] & (IORESOURCE_IO | IORESOURCE_MEM))) {
			snprintf(why, size, "line %zu: a region neither memory nor I/O", line);
			goto bad;
		}
		/* 64-bit and prefetchable say something of memory only */
		out->bar[out->n_bar++] = (struct pcidev_bar){
			.index = (unsigned)line - 1,
			.size = v[1] - v[0] + 1,
			.mem = (v[2] & IORESOURCE_MEM) != 0,
			.mem64 = (v[2] & IORESOURCE_MEM) && (v[2] & IORESOURCE_MEM_64),
			.prefetch = (v[2] & IORESOURCE_MEM) && (v[2] & IORESOURCE_PREFETCH),
		};
	}
	if (r < 0) {
		snprintf(why, size, "line %zu: expected a newline at the end", line + 1);
		goto bad;
	}
	if (line < 7) {
		snprintf(why, size, "expected at least 7 lines (6 BARs and the ROM), got %zu", line);
		goto bad;
	}
	return 0;
bad:
	out->n_bar = 0;
	return -1;
}

/* reset_method: method names separated by single spaces and a newline, or nothing at all
 * (the kernel writes no newline when the list is empty). */
static int parse_reset(const char *text, size_t len, struct pcidev_info *out, char *why,
		       size_t size)
{
	char buf[PCIDEV_RESET_MAX];

	if (len == 0) {
		out->reset_methods[0] = '\0';
		return 0;
	}
	if (one_line(text, len, buf, sizeof(buf), why, size) < 0)
		return -1;
	for (size_t i = 0; buf[i]; i++) {
		bool word = (buf[i] >= 'a' && buf[i] <= 'z') || (buf[i] >= '0' && buf[i] <= '9') ||
			    buf[i] == '_';
		if (!word && !(buf[i] == ' ' && i > 0 && buf[i - 1] != ' ' && buf[i + 1] != '\0')) {
			snprintf(why, size, "expected method names (a-z 0-9 _) and single spaces");
			return -1;
		}
	}
	if (buf[0] == '\0') {
		snprintf(why, size, "expected method names, got an empty line");
		return -1;
	}
	memcpy(out->reset_methods, buf, sizeof(buf));
	return 0;
}

static int parse_power(const char *text, size_t len, struct pcidev_info *out, char *why,
		       size_t size)
{
	char buf[PCIDEV_POWER_MAX];

	if (one_line(text, len, buf, sizeof(buf), why, size) < 0)
		return -1;
	if (!str_only(buf, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
		      sizeof(buf) - 1)) {
		snprintf(why, size, "expected a state like D0 or D3cold");
		return -1;
	}
	memcpy(out->power_state, buf, sizeof(buf));
	return 0;
}

/* "8.0 GT/s PCIe" (5.x on), "8 GT/s" (4.x), "Unknown" or "Unknown speed": tenths of GT/s. */
static int parse_speed(const char *text, size_t len, int *field, char *why, size_t size)
{
	char buf[32];
	const char *dot, *gt;
	long long whole, tenth = 0;

	if (one_line(text, len, buf, sizeof(buf), why, size) < 0)
		return -1;
	if (strcmp(buf, "Unknown") == 0 || strcmp(buf, "Unknown speed") == 0) {
		*field = 0;
		return 0;
	}
	gt = strstr(buf, " GT/s");
	if (gt == NULL || (strcmp(gt, " GT/s") != 0 && strcmp(gt, " GT/s PCIe") != 0))
		goto bad;
	dot = memchr(buf, '.', (size_t)(gt - buf));
	if (!dec(buf, (size_t)((dot ? dot : gt) - buf), 999, &whole) ||
	    (dot && (gt - dot != 2 || !dec(dot + 1, 1, 9, &tenth))) || whole * 10 + tenth == 0)
		goto bad;
	*field = (int)(whole * 10 + tenth);
	return 0;
bad:
	snprintf(why, size, "expected a speed like \"16.0 GT/s PCIe\" or Unknown");
	return -1;
}

static int parse_width(const char *text, size_t len, int *field, char *why, size_t size)
{
	char buf[8];
	long long v;

	if (one_line(text, len, buf, sizeof(buf), why, size) < 0)
		return -1;
	/* the Link Status register's width field has six bits */
	if (!dec(buf, strlen(buf), 63, &v)) {
		snprintf(why, size, "expected a lane count 0-63");
		return -1;
	}
	*field = (int)v;
	return 0;
}

/* aer_dev_*: "NAME COUNT" lines, the last one "TOTAL_ERR_<kind> COUNT"; the total is kept. */
static int parse_aer(const char *text, size_t len, const char *total, long long *field,
		     char *why, size_t size)
{
	static const char name_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_[]";
	struct text t = { text, text + len };
	const char *s;
	size_t n, line = 0;
	long long v = -1;
	bool last_total = false;
	int r;

	while ((r = next_line(&t, &s, &n)) > 0) {
		const char *sp = memchr(s, ' ', n);
		size_t nlen = sp ? (size_t)(sp - s) : 0;

		line++;
		if (sp == NULL || nlen == 0 || nlen > 64 || strspn(s, name_chars) != nlen ||
		    !dec(sp + 1, (size_t)(s + n - sp - 1), INT64_MAX, &v)) {
			snprintf(why, size, "line %zu: expected \"NAME COUNT\"", line);
			return -1;
		}
		last_total = nlen == strlen(total) && memcmp(s, total, nlen) == 0;
		if (last_total && t.p != t.end) {
			snprintf(why, size, "line %zu: %s before the end", line, total);
			return -1;
		}
	}
	if (r < 0) {
		snprintf(why, size, "line %zu: expected a newline at the end", line + 1);
		return -1;
	}
	if (!last_total) {
		snprintf(why, size, "expected a last line \"%s COUNT\"", total);
		return -1;
	}
	*field = v;
	return 0;
}

static int parse_boot_vga(const char *text, size_t len, struct pcidev_info *out, char *why,
			  size_t size)
{
	char buf[4];

	if (one_line(text, len, buf, sizeof(buf), why, size) < 0)
		return -1;
	if (strcmp(buf, "0") != 0 && strcmp(buf, "1") != 0) {
		snprintf(why, size, "expected 0 or 1");
		return -1;
	}
	out->boot_vga = buf[0] - '0';
	return 0;
}

int pcidev_parse(unsigned bit, const char *text, size_t len, struct pcidev_info *out,
		 char *why, size_t size)
{
	if (len > PCIDEV_FILE_MAX) {
		snprintf(why, size, "expected at most %d bytes, got more", PCIDEV_FILE_MAX);
		return -1;
	}
	switch (bit) {
	case PCIDEV_RESOURCE: return parse_resource(text, len, out, why, size);
	case PCIDEV_RESET_METHOD: return parse_reset(text, len, out, why, size);
	case PCIDEV_POWER_STATE: return parse_power(text, len, out, why, size);
	case PCIDEV_CUR_SPEED: return parse_speed(text, len, &out->cur_speed, why, size);
	case PCIDEV_MAX_SPEED: return parse_speed(text, len, &out->max_speed, why, size);
	case PCIDEV_CUR_WIDTH: return parse_width(text, len, &out->cur_width, why, size);
	case PCIDEV_MAX_WIDTH: return parse_width(text, len, &out->max_width, why, size);
	case PCIDEV_AER_COR: return parse_aer(text, len, "TOTAL_ERR_COR", &out->aer_cor, why, size);
	case PCIDEV_AER_NONFATAL:
		return parse_aer(text, len, "TOTAL_ERR_NONFATAL", &out->aer_nonfatal, why, size);
	case PCIDEV_AER_FATAL:
		return parse_aer(text, len, "TOTAL_ERR_FATAL", &out->aer_fatal, why, size);
	case PCIDEV_BOOT_VGA: return parse_boot_vga(text, len, out, why, size);
	default:
		snprintf(why, size, "no such file");
		return -1;
	}
}

const char *pcidev_speed_text(int tenths, char buf[16])
{
	if (tenths < 0)
		return "-";
	if (tenths == 0)
		return "unknown";
	snprintf(buf, 16, "%d.%d", tenths / 10, tenths % 10);
	return buf;
}

/* --- reading the files --- */

/* Read <dir>/name whole (at most PCIDEV_FILE_MAX + 1 bytes, to see a longer one): the length,
 * -2 when the file is absent, -1 when it cannot be read (why says so). Never blocks, and
 * needs no fstat per file (a probe reads thousands): a symlink is refused by O_NOFOLLOW, a
 * directory fails the read (EISDIR), a FIFO reads empty (O_NONBLOCK), and a device node
 * endless or long is over the bound; each is then not what the kernel writes. */
static ssize_t slurp(int dir, const char *name, char *buf, size_t size, char *why, size_t wsize)
{
	ssize_t got = 0, n;
	int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);

	if (fd < 0 && errno == ENOENT)
		return -2;
	if (fd < 0) {
		snprintf(why, wsize, "%s", errno == ELOOP ? "a symlink" : strerror(errno));
		return -1;
	}
	while ((size_t)got < size && (n = read(fd, buf + got, size - (size_t)got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) { /* a FIFO with a writer, or the like */
			snprintf(why, wsize, "not a regular file");
			close(fd);
			return -1;
		}
		if (n < 0) {
			snprintf(why, wsize, "%s", strerror(errno));
			close(fd);
			return -1;
		}
		got += n;
		/* a short read of a file is its end: sysfs hands an attribute over in one read */
		if ((size_t)n < size - (size_t)(got - n))
			break;
	}
	close(fd);
	return got;
}

static int open_dev(const char *sysfs_root, const char *addr, struct perr *e)
{
	char path[1024];
	int dir;

	if (xsnprintf(path, sizeof(path), "%s/bus/pci/devices/%s", sysfs_root, addr) < 0)
		return fail(e, EX_CONFIG, "sysfs_root too long");
	dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return fail_errno(e, errno == ENOENT ? EX_NOINPUT : EX_OSERR, "%s", path);
	return dir;
}

static void mark_bad(struct pcidev_info *out, unsigned bit, const char *why)
{
	if (out->bad == 0)
		snprintf(out->why_bad, sizeof(out->why_bad), "%s: %s", pcidev_file_name(bit), why);
	out->bad |= bit;
}

/* What the kernel's own rules say is absent once a file is found absent, or from the class
 * (pci-sysfs.c, aer.c): the four link files show for a PCIe device only, and the three AER
 * counters only with AER, which only PCIe has; boot_vga only for a VGA device (class 0300, or
 * 0001, the pre-2.0 VGA). The probe, which reads thousands of devices, then does not try those
 * files: on a device without PCIe each failed open costs as much as a read (a listing of the
 * directory cost more than they do). pcipass-run, which gates on the facts of a few devices,
 * tries every file (class -1): a tree that breaks the rules is still read whole. */
static unsigned absent_with(unsigned bit)
{
	if (bit == PCIDEV_CUR_SPEED)
		return PCIDEV_CUR_SPEED | PCIDEV_CUR_WIDTH | PCIDEV_MAX_SPEED | PCIDEV_MAX_WIDTH |
		       PCIDEV_AER_COR | PCIDEV_AER_NONFATAL | PCIDEV_AER_FATAL;
	if (bit == PCIDEV_AER_COR)
		return PCIDEV_AER_COR | PCIDEV_AER_NONFATAL | PCIDEV_AER_FATAL;
	return bit;
}

void pcidev_read_at(int dir, int class, struct pcidev_info *out)
{
	char buf[PCIDEV_FILE_MAX + 1], why[128];
	struct stat sb;

	pcidev_clear(out);
	if (class >= 0 && class != 0x0300 && class != 0x0001)
		out->absent |= PCIDEV_BOOT_VGA;
	for (unsigned bit = 1; bit & PCIDEV_ALL_FILES; bit <<= 1) {
		struct pcidev_info one;
		ssize_t n;

		if (out->absent & bit)
			continue;
		n = slurp(dir, pcidev_file_name(bit), buf, sizeof(buf), why, sizeof(why));
		if (n == -2) {
			out->absent |= class >= 0 ? absent_with(bit) : bit;
			continue;
		}
		/* parsed into a copy, so that a bad file leaves its field at "absent" */
		one = *out;
		if (n < 0 || pcidev_parse(bit, buf, (size_t)n, &one, why, sizeof(why)) < 0)
			mark_bad(out, bit, why);
		else
			*out = one;
	}
	/* No reset_method: before 5.15 the kernel did not have it; since, it hides it (and
	 * `reset`) when no method works. `reset` tells the two apart. */
	if ((out->absent & PCIDEV_RESET_METHOD) && fstatat(dir, "reset", &sb, AT_SYMLINK_NOFOLLOW) == 0)
		strcpy(out->reset_methods, "-");
}

int pcidev_read(const char *sysfs_root, const char *addr, struct pcidev_info *out, struct perr *e)
{
	int dir = open_dev(sysfs_root, addr, e);

	if (dir < 0) {
		pcidev_clear(out);
		return -1;
	}
	pcidev_read_at(dir, -1, out);
	close(dir);
	return 0;
}

int pcidev_alive(const char *sysfs_root, const char *addr, struct perr *e)
{
	unsigned char v[2];
	char why[128];
	int dir = open_dev(sysfs_root, addr, e);
	ssize_t n;
	unsigned vendor;

	if (dir < 0)
		return -1;
	n = slurp(dir, "config", (char *)v, sizeof(v), why, sizeof(why));
	close(dir);
	if (n == -2)
		return fail(e, EX_NOINPUT, "%s: no config file", addr);
	if (n < 0)
		return fail(e, EX_OSERR, "%s: config: %s", addr, why);
	if (n < 2)
		return fail(e, EX_OSERR, "%s: config: expected 2 bytes, got %zd", addr, n);
	vendor = (unsigned)v[0] | (unsigned)v[1] << 8; /* config space is little-endian */
	return vendor == 0xffff || vendor == 0 ? 0 : 1;
}
