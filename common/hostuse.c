/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostuse.c - which PCI devices the host itself is using (mounts, swap, default routes,
 * console). */
#include "hostuse.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
	LINE_MAX_BYTES = 40000, /* a mountinfo line: two escaped paths of PATH_MAX and the rest */
	DEPTH_MAX = 8,          /* dm on md on dm...: slaves followed this deep, no further */
	SLAVES_MAX = 64,        /* entries of one slaves/ or lower_* listing looked at */
	RTF_UP = 0x1,
};

/* --- the parsers --- */

struct cursor {
	const char *p, *end;
	size_t line;
};

/* The next line into [*s, *s + *n) without its newline: 1, 0 at the end. A last line without
 * a newline still counts (the caller's checks decide); NUL bytes are the caller's too. */
static int next_line(struct cursor *c, const char **s, size_t *n)
{
	const char *nl;

	if (c->p >= c->end)
		return 0;
	nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
	*s = c->p;
	*n = (size_t)((nl ? nl : c->end) - c->p);
	c->p = nl ? nl + 1 : c->end;
	c->line++;
	return 1;
}

static void note_bad(size_t *bad, char *why, size_t size, size_t line, const char *what)
{
	if ((*bad)++ == 0)
		snprintf(why, size, "line %zu: %s", line, what);
}

/* Split [s, s+n) at single characters of seps into at most max fields (empty fields skipped
 * when squeeze): the count, or -1 for more than max. */
static int split(char *s, const char *seps, bool squeeze, char **f, int max)
{
	int k = 0;
	char *p = s;

	for (;;) {
		size_t w = strcspn(p, seps);
		if (w > 0 || !squeeze) {
			if (k == max)
				return -1;
			f[k++] = p;
		}
		if (p[w] == '\0')
			return k;
		p[w] = '\0';
		p += w + 1;
	}
}

/* Decode the kernel's octal escapes (\040 for a space, \012, \134...) in place; false for a
 * backslash not followed by three octal digits, or a NUL produced. */
static bool unescape(char *s)
{
	char *o = s;

	for (const char *p = s; *p; p++) {
		if (*p != '\\') {
			*o++ = *p;
			continue;
		}
		if (p[1] < '0' || p[1] > '3' || p[2] < '0' || p[2] > '7' || p[3] < '0' || p[3] > '7')
			return false;
		*o = (char)((p[1] - '0') << 6 | (p[2] - '0') << 3 | (p[3] - '0'));
		if (*o++ == '\0')
			return false;
		p += 3;
	}
	*o = '\0';
	return true;
}

/* Only digits, at most 10 of them, up to max. */
static bool number(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	size_t n = strlen(s);

	if (n == 0 || n > 10 || strspn(s, "0123456789") != n)
		return false;
	for (; *s; s++)
		v = v * 10 + (unsigned long)(*s - '0');
	*out = v;
	return v <= max;
}

/* A copy of one line as a C string in buf (LINE_MAX_BYTES + 1), or NULL with a reason. */
static char *take_line(const char *s, size_t n, char *buf, const char **what)
{
	if (n > LINE_MAX_BYTES) {
		*what = "line too long";
		return NULL;
	}
	if (memchr(s, '\0', n)) {
		*what = "NUL byte in line";
		return NULL;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	return buf;
}

int hostuse_parse_mountinfo(const char *text, size_t len, hostuse_mount_fn each, void *user,
			    size_t *bad, char *why, size_t size)
{
	static char buf[LINE_MAX_BYTES + 1];
	struct cursor c = { text, text + len, 0 };
	const char *s, *what = NULL;
	size_t n;

	while (next_line(&c, &s, &n)) {
		char *f[64], *line, *mm;
		unsigned long id, major, minor;
		int k, sep = -1;

		if (c.p == c.end && (c.p == text || c.p[-1] != '\n')) {
			note_bad(bad, why, size, c.line, "no newline at the end");
			break;
		}
		if ((line = take_line(s, n, buf, &what)) == NULL)
			goto bad;
		what = "expected ID PARENT MAJOR:MINOR ROOT MOUNTPOINT OPTIONS ... - TYPE SOURCE OPTIONS";
		if ((k = split(line, " ", false, f, 64)) < 10)
			goto bad;
		for (int i = 0; i < k; i++)
			if (f[i][0] == '\0')
				goto bad;
		for (int i = 6; i < k; i++)
			if (strcmp(f[i], "-") == 0) {
				sep = i;
				break;
			}
		mm = strchr(f[2], ':');
		if (sep < 0 || k != sep + 4 || !number(f[0], 0xffffffffUL, &id) ||
		    !number(f[1], 0xffffffffUL, &id) || mm == NULL)
			goto bad;
		*mm = '\0';
		if (!number(f[2], 0xfffUL, &major) || !number(mm + 1, 0xfffffUL, &minor) ||
		    f[4][0] != '/' || !unescape(f[4]) || !unescape(f[sep + 2]))
			goto bad;
		if (each(user, (unsigned)major, (unsigned)minor, f[4], f[sep + 2]) < 0)
			return -1;
		continue;
bad:
		note_bad(bad, why, size, c.line, what);
	}
	return 0;
}

int hostuse_parse_swaps(const char *text, size_t len, hostuse_name_fn each, void *user,
			size_t *bad, char *why, size_t size)
{
	static char buf[LINE_MAX_BYTES + 1];
	struct cursor c = { text, text + len, 0 };
	const char *s, *what = NULL;
	size_t n;

	while (next_line(&c, &s, &n)) {
		char *f[8], *line;

		if ((line = take_line(s, n, buf, &what)) == NULL) {
			note_bad(bad, why, size, c.line, what);
			continue;
		}
		if (c.line == 1) {
			if (strncmp(line, "Filename", 8) != 0)
				note_bad(bad, why, size, c.line, "expected the header line \"Filename Type ...\"");
			continue;
		}
		/* name, type, size, used, priority: the name padded with blanks, then tabs */
		if (split(line, " \t", true, f, 8) != 5 || f[0][0] != '/' || !unescape(f[0])) {
			note_bad(bad, why, size, c.line, "expected FILENAME TYPE SIZE USED PRIORITY");
			continue;
		}
		if (each(user, f[0]) < 0)
			return -1;
	}
	return 0;
}

/* All hex digits, exactly n of them, and all zero when zero is asked. */
static bool hexes(const char *s, size_t n, bool zero)
{
	return strlen(s) == n && strspn(s, zero ? "0" : "0123456789abcdefABCDEF") == n;
}

int hostuse_parse_routes(const char *text, size_t len, bool v6, hostuse_name_fn each, void *user,
			 size_t *bad, char *why, size_t size)
{
	static char buf[LINE_MAX_BYTES + 1];
	struct cursor c = { text, text + len, 0 };
	const char *s, *what = NULL;
	size_t n;

	while (next_line(&c, &s, &n)) {
		char *f[16], *line, *end;
		const char *ifname;
		unsigned long flags;
		int k;

		if ((line = take_line(s, n, buf, &what)) == NULL) {
			note_bad(bad, why, size, c.line, what);
			continue;
		}
		if (!v6 && c.line == 1) { /* IPv4's table has a header, IPv6's none */
			if (strncmp(line, "Iface\t", 6) != 0)
				note_bad(bad, why, size, c.line, "expected the header line \"Iface ...\"");
			continue;
		}
		k = split(line, " \t", true, f, 16);
		if (!v6) {
			/* Iface Destination Gateway Flags RefCnt Use Metric Mask MTU Window IRTT */
			if (k != 11 || !hexes(f[1], 8, false) || !hexes(f[3], 4, false) ||
			    !hexes(f[7], 8, false))
				goto bad;
			ifname = f[0];
			flags = strtoul(f[3], &end, 16);
			if (!hexes(f[1], 8, true) || !hexes(f[7], 8, true) || !(flags & RTF_UP))
				continue;
		} else {
			/* dest plen src plen nexthop metric refcnt use flags iface */
			if (k != 10 || !hexes(f[0], 32, false) || !hexes(f[1], 2, false) ||
			    !hexes(f[8], 8, false))
				goto bad;
			ifname = f[9];
			flags = strtoul(f[8], &end, 16);
			if (!hexes(f[0], 32, true) || !hexes(f[1], 2, true) || !(flags & RTF_UP))
				continue;
		}
		if (each(user, ifname) < 0)
			return -1;
		continue;
bad:
		note_bad(bad, why, size, c.line, v6 ? "expected the 10 fields of an IPv6 route"
						    : "expected the 11 fields of an IPv4 route");
	}
	return 0;
}

int hostuse_path_addrs(const char *path, hostuse_name_fn each, void *user)
{
	char comp[PCI_ADDR_LEN + 1], canon[PCI_ADDR_LEN];

	for (const char *p = path; *p;) {
		size_t w = strcspn(p, "/");
		if (w > 0 && w < sizeof(comp)) {
			memcpy(comp, p, w);
			comp[w] = '\0';
			/* canonical only: "3b:00.0" parses too, but sysfs never names a device so */
			if (parse_pci_addr(comp, canon) == 0 && strcmp(canon, comp) == 0 &&
			    each(user, canon) < 0)
				return -1;
		}
		p += w;
		p += *p == '/';
	}
	return 0;
}

/* --- the reason --- */

/* A mount point as a reason shows it: characters that could upset a terminal, an INI value or
 * a Prometheus label become '?', and a long one is cut with "...". */
static void shown_mount(const char *mnt, char out[HOSTUSE_MOUNT_MAX])
{
	static const char ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/._+,:@=%~-";
	size_t i;

	for (i = 0; mnt[i] && i < HOSTUSE_MOUNT_MAX - 1; i++)
		out[i] = strchr(ok, mnt[i]) ? mnt[i] : '?';
	out[i] = '\0';
	if (mnt[i])
		strcpy(out + HOSTUSE_MOUNT_MAX - 4, "...");
}

/* Append ", " (unless first) and the formatted text to out, as far as it fits. */
static void PRINTF(3, 4) add(char out[HOSTUSE_WHY_MAX], size_t *n, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (*n > 0 && *n + 2 < HOSTUSE_WHY_MAX)
		*n += (size_t)snprintf(out + *n, HOSTUSE_WHY_MAX - *n, ", ");
	if (*n + 1 >= HOSTUSE_WHY_MAX)
		return;
	va_start(ap, fmt);
	w = vsnprintf(out + *n, HOSTUSE_WHY_MAX - *n, fmt, ap);
	va_end(ap);
	*n = w < 0 ? *n : *n + (size_t)w < HOSTUSE_WHY_MAX ? *n + (size_t)w : HOSTUSE_WHY_MAX - 1;
}

/* The longest reason: "mounted " 47 " and 18446744073709551614 more, swap, default route "
 * 15 ", console " 15 ", boot VGA" is 157 characters. */
_Static_assert(HOSTUSE_WHY_MAX >= 8 + HOSTUSE_MOUNT_MAX - 1 + 30 + 6 + 16 + 10 + 10 +
		       2 * (HOSTUSE_NAME_MAX - 1) + 1, "HOSTUSE_WHY_MAX too small for every reason");

bool hostuse_reason(const struct hostuse_dev *d, bool boot_vga, char out[HOSTUSE_WHY_MAX])
{
	char more[48] = "";
	size_t n = 0;

	out[0] = '\0';
	if (d && d->mounts > 0) {
		if (d->mounts > 1)
			snprintf(more, sizeof(more), " and %zu more", d->mounts - 1);
		add(out, &n, "mounted %s%s", d->mount, more);
	}
	if (d && d->swap)
		add(out, &n, "swap");
	if (d && d->route_if[0])
		add(out, &n, "default route %s", d->route_if);
	if (d && d->console[0])
		add(out, &n, "console %s", d->console);
	if (boot_vga)
		add(out, &n, "boot VGA");
	return n > 0;
}

/* --- the scan --- */

struct scan_state {
	struct hostuse *hu;
	const char *sys, *proc;
	char sysreal[PATH_MAX];    /* realpath of sysfs_root: components above it are not ours */
	/* what the current mark is about */
	enum { USE_MOUNT, USE_SWAP, USE_ROUTE, USE_CONSOLE } kind;
	const char *what;          /* mount point, interface or tty */
	size_t use;                /* counts the uses (mounts, swaps...) seen so far */
	struct perr *e;
	bool failed;
};

static void warn(struct scan_state *st, const char *fmt, ...) PRINTF(2, 3);
static void warn(struct scan_state *st, const char *fmt, ...)
{
	va_list ap;

	if (st->hu->warnings++ == 0) {
		va_start(ap, fmt);
		vsnprintf(st->hu->warning, sizeof(st->hu->warning), fmt, ap);
		va_end(ap);
		log_escape(st->hu->warning, sizeof(st->hu->warning));
	}
}

static struct hostuse_dev *entry(struct scan_state *st, const char *addr)
{
	struct hostuse *hu = st->hu;

	for (size_t i = 0; i < hu->n; i++)
		if (strcmp(hu->v[i].addr, addr) == 0)
			return &hu->v[i];
	if (hu->n == hu->cap) {
		size_t cap = hu->cap ? hu->cap * 2 : 8;
		struct hostuse_dev *v = realloc(hu->v, cap * sizeof(*v));
		if (v == NULL)
			return NULL;
		hu->v = v;
		hu->cap = cap;
	}
	memset(&hu->v[hu->n], 0, sizeof(hu->v[0]));
	strcpy(hu->v[hu->n].addr, addr);
	return &hu->v[hu->n++];
}

/* One PCI address on the way to what the host uses: record the use. */
static int mark(void *user, const char *addr)
{
	struct scan_state *st = user;
	struct hostuse_dev *d = entry(st, addr);

	if (d == NULL) {
		st->failed = true;
		return fail_errno(st->e, EX_OSERR, "host use");
	}
	if (d->last_use == st->use)
		return 0;
	d->last_use = st->use;
	switch (st->kind) {
	case USE_MOUNT: {
		char shown[HOSTUSE_MOUNT_MAX];
		shown_mount(st->what, shown);
		/* the shortest mount point says most (/ rather than /var/lib/docker/...) */
		if (d->mounts++ == 0 || strlen(st->what) < strlen(d->mount))
			strcpy(d->mount, shown);
		break;
	}
	case USE_SWAP: d->swap = true; break;
	case USE_ROUTE:
		if (!d->route_if[0])
			snprintf(d->route_if, sizeof(d->route_if), "%s", st->what);
		break;
	case USE_CONSOLE:
		if (!d->console[0])
			snprintf(d->console, sizeof(d->console), "%s", st->what);
		break;
	}
	return 0;
}

/* The PCI addresses on the real path of a sysfs directory, below sysfs_root. */
static int mark_real(struct scan_state *st, const char *real)
{
	size_t n = strlen(st->sysreal);

	if (strncmp(real, st->sysreal, n) != 0 || (real[n] != '/' && real[n] != '\0'))
		return 0; /* a link out of the tree: not a device of this host */
	return hostuse_path_addrs(real + n, mark, st);
}

/* A block device (the real path of its sysfs directory): its PCI path, and through slaves/ the
 * disks under a dm or md device, depth levels down at most. */
static int mark_block(struct scan_state *st, const char *real, int depth)
{
	char path[PATH_MAX + 16], sub[PATH_MAX], slave[PATH_MAX + 300];
	struct dirent *de;
	DIR *dir;
	int seen = 0, r = 0;

	if (mark_real(st, real) < 0)
		return -1;
	if (xsnprintf(path, sizeof(path), "%s/slaves", real) < 0 || (dir = opendir(path)) == NULL)
		return 0;
	if (depth >= DEPTH_MAX) {
		warn(st, "%s: slaves deeper than %d levels, not followed", path, DEPTH_MAX);
		closedir(dir);
		return 0;
	}
	while (r == 0 && (de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (++seen > SLAVES_MAX) {
			warn(st, "%s: more than %d slaves, the rest not followed", path, SLAVES_MAX);
			break;
		}
		if (xsnprintf(slave, sizeof(slave), "%s/%s", path, de->d_name) < 0 ||
		    realpath(slave, sub) == NULL)
			continue;
		r = mark_block(st, sub, depth + 1);
	}
	closedir(dir);
	return r;
}

/* <sysfs_root>/REL, resolved, as a block device; 0 also when it is not there. */
static int mark_block_at(struct scan_state *st, const char *rel)
{
	char path[PATH_MAX], real[PATH_MAX];

	if (xsnprintf(path, sizeof(path), "%s/%s", st->sys, rel) < 0 || realpath(path, real) == NULL)
		return 0;
	return mark_block(st, real, 0);
}

/* A kernel name (interface, tty, block device, dm name) of 1 to max characters that we may
 * put into a sysfs path. */
static bool kernel_name_ok(const char *s, size_t max)
{
	return str_only(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._@:+-", max) &&
	       strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

/* Read a small sysfs file's first line into buf: 0, or -1. */
static int read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* A block device named by a /dev path (a mount's source, a swap partition): /dev/NAME in
 * class/block, or /dev/mapper/NAME as the dm device of that name. Others (/dev/disk/by-*) we
 * cannot resolve without the host's /dev. */
static int mark_dev_path(struct scan_state *st, const char *devpath)
{
	const char *base = strrchr(devpath, '/');
	char rel[PATH_MAX], dirpath[PATH_MAX], name[256];
	struct dirent *de;
	DIR *dir;
	int r = 0;

	if (strncmp(devpath, "/dev/", 5) != 0 || !kernel_name_ok(++base, 128))
		return 0;
	if (strchr(devpath + 5, '/') == NULL) {
		snprintf(rel, sizeof(rel), "class/block/%s", base);
		return mark_block_at(st, rel);
	}
	if (strncmp(devpath, "/dev/mapper/", 12) != 0 || strchr(devpath + 12, '/') != NULL)
		return 0;
	if (xsnprintf(dirpath, sizeof(dirpath), "%s/class/block", st->sys) < 0 ||
	    (dir = opendir(dirpath)) == NULL)
		return 0;
	while (r == 0 && (de = readdir(dir)) != NULL) {
		if (strncmp(de->d_name, "dm-", 3) != 0 ||
		    xsnprintf(rel, sizeof(rel), "%s/%s/dm/name", dirpath, de->d_name) < 0 ||
		    read_small(rel, name, sizeof(name)) < 0 || strcmp(name, base) != 0)
			continue;
		snprintf(rel, sizeof(rel), "class/block/%s", de->d_name);
		r = mark_block_at(st, rel);
	}
	closedir(dir);
	return r;
}

static int on_mount(void *user, unsigned major, unsigned minor, const char *mnt, const char *source)
{
	struct scan_state *st = user;
	char rel[64], path[PATH_MAX];
	struct stat sb;

	st->kind = USE_MOUNT;
	st->what = mnt;
	st->use++;
	snprintf(rel, sizeof(rel), "dev/block/%u:%u", major, minor);
	if (xsnprintf(path, sizeof(path), "%s/%s", st->sys, rel) < 0)
		return -1;
	if (major != 0 && lstat(path, &sb) == 0)
		return mark_block_at(st, rel);
	/* btrfs and a few others show an anonymous device number: go by the source instead */
	return mark_dev_path(st, source);
}

static int on_swap(void *user, const char *name)
{
	struct scan_state *st = user;

	/* a swap file lives on a mounted filesystem, whose disk the mounts already mark */
	st->kind = USE_SWAP;
	st->what = name;
	st->use++;
	return mark_dev_path(st, name);
}

/* The PCI devices under a network interface (the real path of its class/net directory), and for
 * a bridge, bond or VLAN those of its lower_* interfaces, depth levels down at most. */
static int mark_net(struct scan_state *st, const char *real, int depth)
{
	char sub[PATH_MAX], link[PATH_MAX + 300];
	struct dirent *de;
	DIR *dir;
	int seen = 0, r;

	if ((r = mark_real(st, real)) < 0 || (dir = opendir(real)) == NULL)
		return r;
	while (r == 0 && (de = readdir(dir)) != NULL) {
		if (strncmp(de->d_name, "lower_", 6) != 0)
			continue;
		if (depth >= DEPTH_MAX || ++seen > SLAVES_MAX) {
			warn(st, "%s: lower interfaces deeper than %d or more than %d, not followed",
			     real, DEPTH_MAX, SLAVES_MAX);
			break;
		}
		if (xsnprintf(link, sizeof(link), "%s/%s", real, de->d_name) < 0 ||
		    realpath(link, sub) == NULL)
			continue;
		r = mark_net(st, sub, depth + 1);
	}
	closedir(dir);
	return r;
}

/* <sysfs_root>/class/CLASS/NAME resolved, for mark_net (also fine for a tty: no lower_*). */
static int mark_class(struct scan_state *st, const char *cls, const char *name)
{
	char path[PATH_MAX], real[PATH_MAX];

	if (xsnprintf(path, sizeof(path), "%s/class/%s/%s", st->sys, cls, name) < 0 ||
	    realpath(path, real) == NULL)
		return 0;
	return mark_net(st, real, 0);
}

static int on_route(void *user, const char *ifname)
{
	struct scan_state *st = user;
	char b[128];

	if (!kernel_name_ok(ifname, HOSTUSE_NAME_MAX - 1)) {
		warn(st, "route: interface name \"%s\" not understood", shown(ifname, b));
		return 0;
	}
	st->kind = USE_ROUTE;
	st->what = ifname;
	st->use++;
	return mark_class(st, "net", ifname);
}

/* <dir>/<name> whole into a malloc'd buffer, at most HOSTUSE_FILE_MAX bytes (more: a warning
 * and the first part). 1 read, 0 absent, -1 out of memory; unreadable: a warning, 0. */
static int read_file(struct scan_state *st, const char *root, const char *name, char **text,
		     size_t *len)
{
	char path[PATH_MAX];
	size_t cap = 0;
	struct stat sb;
	ssize_t n;
	int fd;

	*text = NULL;
	*len = 0;
	if (xsnprintf(path, sizeof(path), "%s/%s", root, name) < 0)
		return 0;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno != ENOENT)
			warn(st, "%s: %s", path, strerror(errno));
		return 0;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		warn(st, "%s: not a regular file", path);
		close(fd);
		return 0;
	}
	for (;;) {
		if (*len == cap) {
			char *p;
			if (cap == HOSTUSE_FILE_MAX) {
				warn(st, "%s: larger than %u bytes, the rest not read", path, HOSTUSE_FILE_MAX);
				break;
			}
			cap = cap ? cap * 4 : 16384;
			cap = cap > HOSTUSE_FILE_MAX ? HOSTUSE_FILE_MAX : cap;
			if ((p = realloc(*text, cap)) == NULL) {
				close(fd);
				free(*text);
				*text = NULL;
				return fail_errno(st->e, EX_OSERR, "%s", path);
			}
			*text = p;
		}
		n = read(fd, *text + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			warn(st, "%s: %s", path, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	close(fd);
	return 1;
}

/* One /proc file through its parser; its bad lines become one warning. */
static int proc_file(struct scan_state *st, const char *name, int (*run)(struct scan_state *,
		     const char *, size_t, size_t *, char *, size_t))
{
	char *text, why[160];
	size_t len, bad = 0;
	int r = read_file(st, st->proc, name, &text, &len);

	if (r <= 0)
		return r;
	r = run(st, text, len, &bad, why, sizeof(why));
	free(text);
	if (bad)
		warn(st, "%s/%s: %zu line%s not understood, first %s", st->proc, name, bad,
		     bad == 1 ? "" : "s", why);
	return st->failed ? -1 : r;
}

static int run_mounts(struct scan_state *st, const char *t, size_t n, size_t *bad, char *why, size_t sz)
{
	return hostuse_parse_mountinfo(t, n, on_mount, st, bad, why, sz);
}

static int run_swaps(struct scan_state *st, const char *t, size_t n, size_t *bad, char *why, size_t sz)
{
	return hostuse_parse_swaps(t, n, on_swap, st, bad, why, sz);
}

static int run_route4(struct scan_state *st, const char *t, size_t n, size_t *bad, char *why, size_t sz)
{
	return hostuse_parse_routes(t, n, false, on_route, st, bad, why, sz);
}

static int run_route6(struct scan_state *st, const char *t, size_t n, size_t *bad, char *why, size_t sz)
{
	return hostuse_parse_routes(t, n, true, on_route, st, bad, why, sz);
}

/* The active consoles (class/tty/console/active: "tty0 ttyS0"): the PCI device behind each
 * one that has a device (a serial card); virtual terminals are the boot VGA's business. */
static int consoles(struct scan_state *st)
{
	char path[PATH_MAX], line[256], *f[16], b[128];
	int k, r = 0;

	if (xsnprintf(path, sizeof(path), "%s/class/tty/console/active", st->sys) < 0 ||
	    read_small(path, line, sizeof(line)) < 0)
		return 0;
	if ((k = split(line, " ", true, f, 16)) < 0) {
		warn(st, "%s: more than 16 consoles", path);
		return 0;
	}
	st->kind = USE_CONSOLE;
	for (int i = 0; i < k && r == 0; i++) {
		if (!kernel_name_ok(f[i], HOSTUSE_NAME_MAX - 1)) {
			warn(st, "%s: console name \"%s\" not understood", path, shown(f[i], b));
			continue;
		}
		st->what = f[i];
		st->use++;
		r = mark_class(st, "tty", f[i]);
	}
	return r;
}

static int by_addr(const void *a, const void *b)
{
	return pci_addr_cmp(((const struct hostuse_dev *)a)->addr, ((const struct hostuse_dev *)b)->addr);
}

int hostuse_scan(const char *sysfs_root, const char *proc_root, struct hostuse *hu, struct perr *e)
{
	struct scan_state st = { .hu = hu, .sys = sysfs_root, .proc = proc_root, .e = e };

	memset(hu, 0, sizeof(*hu));
	if (realpath(sysfs_root, st.sysreal) == NULL)
		return 0; /* no tree, no device the host could be using */
	if (strcmp(st.sysreal, "/") == 0)
		st.sysreal[0] = '\0';
	if (proc_file(&st, "self/mountinfo", run_mounts) < 0 || proc_file(&st, "swaps", run_swaps) < 0 ||
	    proc_file(&st, "net/route", run_route4) < 0 || proc_file(&st, "net/ipv6_route", run_route6) < 0 ||
	    consoles(&st) < 0 || st.failed) {
		hostuse_free(hu);
		return -1;
	}
	if (hu->n > 1)
		qsort(hu->v, hu->n, sizeof(hu->v[0]), by_addr);
	return 0;
}

void hostuse_free(struct hostuse *hu)
{
	free(hu->v);
	memset(hu, 0, sizeof(*hu));
}

const struct hostuse_dev *hostuse_find(const struct hostuse *hu, const char *addr)
{
	for (size_t i = 0; i < hu->n; i++)
		if (strcmp(hu->v[i].addr, addr) == 0)
			return &hu->v[i];
	return NULL;
}
