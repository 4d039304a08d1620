/* SPDX-License-Identifier: GPL-2.0-or-later */
/* util.c - errors, checked numbers and small string helpers. */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

const char *progname = "pcipass";

void stdout_die(void)
{
	fprintf(stderr, "%s: cannot write to standard output\n", progname);
	_exit(EX_IOERR);
}

/* At exit: what was printed must have reached standard output (a full disk, a closed pipe),
 * or the exit status says it did not. */
static void stdout_check(void)
{
	if (fflush(stdout) != 0 || ferror(stdout))
		stdout_die();
}

void stdio_ensure(void)
{
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR | O_NOCTTY) != fd)
			_exit(EX_OSERR); /* cannot even say so: stderr may be the one missing */
	atexit(stdout_check);
}

void log_escape(char *s, size_t size)
{
	char out[1024];
	size_t o = 0;

	for (const char *p = s; *p && o + 5 < sizeof(out); p++) {
		unsigned char c = (unsigned char)*p;
		if (c >= 0x20 && c < 0x7f)
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, sizeof(out) - o, "\\x%02x", c);
	}
	out[o] = '\0';
	snprintf(s, size, "%s", out);
}

static void vset(struct perr *e, int code, const char *fmt, va_list ap, int err)
{
	if (e->code != 0)
		return; /* the first error is the one worth reporting */
	e->code = code;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	if (err) {
		size_t n = strlen(e->msg);
		snprintf(e->msg + n, sizeof(e->msg) - n, ": %s", strerror(err));
	}
	log_escape(e->msg, sizeof(e->msg));
}

int fail(struct perr *e, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset(e, code, fmt, ap, 0);
	va_end(ap);
	return -1;
}

int fail_errno(struct perr *e, int code, const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	vset(e, code, fmt, ap, err);
	va_end(ap);
	errno = err;
	return -1;
}

void die_perr(const struct perr *e)
{
	fprintf(stderr, "%s: %s\n", progname, e->msg);
	exit(e->code ? e->code : EX_SOFTWARE);
}

void die_getopt(int ch, int argc, char **argv)
{
	const char *w = argv[optind - 1];
	size_t n = strlen(w);

	/* glibc moves optind past a word once its last letter is read: an unknown letter inside a
	 * group leaves optind on the group itself */
	if (optopt != 0 && optind < argc && argv[optind][0] == '-' && argv[optind][1] != '-' &&
	    strchr(argv[optind] + 1, optopt) != NULL &&
	    !(w[0] == '-' && w[1] != '-' && n > 1 && w[n - 1] == optopt))
		w = argv[optind];
	if (ch == ':')
		die(EX_USAGE, "missing argument for \"%s\" (try --help)", w);
	die(EX_USAGE, "unknown option \"%s\" (try --help)", w);
}

void die(int code, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_escape(msg, sizeof(msg));
	fprintf(stderr, "%s: %s\n", progname, msg);
	exit(code);
}

void warnx_(const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_escape(msg, sizeof(msg));
	fprintf(stderr, "%s: warning: %s\n", progname, msg);
}

int parse_ll(const char *s, int base, long long min, long long max, long long *out,
	     const char **why)
{
	char *end;
	long long v;

	*why = "not a number";
	/* strtoll skips leading blanks and accepts a sign; we want neither for a config value. */
	if (s == NULL || *s == '\0' || isspace((unsigned char)*s) || *s == '+')
		return -1;
	if (*s == '-' && min >= 0)
		return -1;
	errno = 0;
	v = strtoll(s, &end, base);
	if (end == s || *end != '\0')
		return -1;
	if ((errno == ERANGE && v == LLONG_MIN) || v < min) {
		*why = "too small";
		return -1;
	}
	if ((errno == ERANGE && v == LLONG_MAX) || v > max) {
		*why = "too large";
		return -1;
	}
	*why = NULL;
	*out = v;
	return 0;
}

int parse_hex16(const char *s, unsigned *out)
{
	unsigned v = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (int i = 0; i < 4; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return -1;
		v = v * 16 + (unsigned)(isdigit((unsigned char)s[i]) ? s[i] - '0'
							   : tolower((unsigned char)s[i]) - 'a' + 10);
	}
	if (s[4] != '\0')
		return -1;
	*out = v;
	return 0;
}

int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(s, yes[i]) == 0)
			return *out = true, 0;
		if (strcmp(s, no[i]) == 0)
			return *out = false, 0;
	}
	return -1;
}

/* n hex digits of s, at most max in value. */
static int hexfield(const char *s, int n, unsigned max, unsigned *out)
{
	unsigned v = 0;

	for (int i = 0; i < n; i++) {
		int c = tolower((unsigned char)s[i]);
		if (!isxdigit(c))
			return -1;
		v = v * 16 + (unsigned)(isdigit(c) ? c - '0' : c - 'a' + 10);
	}
	*out = v;
	return v <= max ? 0 : -1;
}

int parse_pci_addr(const char *s, char out[PCI_ADDR_LEN])
{
	unsigned dom = 0, bus, dev, fn;
	size_t len = strlen(s), dlen = len - 8;

	/* "bb:dd.f" alone means domain 0, as lspci -s takes it */
	if (len >= 12 && len <= 16) {
		if (hexfield(s, (int)dlen, 0xffffffffu, &dom) < 0 || s[dlen] != ':')
			return -1;
		s += dlen + 1;
	} else if (len != 7) {
		return -1;
	}
	if (hexfield(s, 2, 0xff, &bus) < 0 || s[2] != ':' || hexfield(s + 3, 2, 0x1f, &dev) < 0 ||
	    s[5] != '.' || hexfield(s + 6, 1, 7, &fn) < 0)
		return -1;
	snprintf(out, PCI_ADDR_LEN, "%04x:%02x:%02x.%x", dom, bus, dev, fn);
	return 0;
}

int pci_addr_cmp(const char *a, const char *b)
{
	size_t la = strcspn(a, ":"), lb = strcspn(b, ":");

	/* canonical domains have no leading zero beyond four digits: longer is larger */
	if (la != lb)
		return la < lb ? -1 : 1;
	return strcmp(a, b);
}

bool pci_addr_domain16(const char *addr)
{
	return strcspn(addr, ":") == 4;
}

bool driver_name_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max || s[0] == ' ' || s[n - 1] == ' ' || strstr(s, "  "))
		return false;
	for (; *s; s++)
		if (*s != ' ' && !strchr(WORD_CHARS, *s))
			return false;
	return true;
}

bool str_only(const char *s, const char *allowed, size_t max)
{
	size_t n = strlen(s);

	return n >= 1 && n <= max && strspn(s, allowed) == n;
}

int xsnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return n;
}

const char *shown(const char *s, char buf[static 128])
{
	size_t o = 0;

	for (; *s && o < 120; s++) {
		unsigned char c = (unsigned char)*s;
		if (o >= 40) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, 128 - o, "\\x%02x", c);
	}
	buf[o] = '\0';
	return buf;
}

/* Room for n more bytes and a NUL; false (and oom) when memory runs out. */
static bool sbuf_room(struct sbuf *b, size_t n)
{
	size_t cap;
	char *p;

	if (b->oom)
		return false;
	if (b->cap - b->len > n)
		return true;
	cap = (b->cap ? b->cap * 2 : 4096) + n;
	if ((p = realloc(b->p, cap)) == NULL) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		size_t room = b->cap - b->len;
		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		if (!sbuf_room(b, (size_t)n))
			return;
	}
}

void sbuf_add(struct sbuf *b, const char *s, size_t n)
{
	if (!sbuf_room(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void sbuf_free(struct sbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* s as a JSON string: quotes, backslashes and control characters escaped. */
void json_str(struct sbuf *b, const char *s)
{
	sbuf_printf(b, "\"");
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			sbuf_printf(b, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			sbuf_printf(b, "\\u%04x", ch);
		else
			sbuf_printf(b, "%c", ch);
	}
	sbuf_printf(b, "\"");
}

long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

bool say_syslog;

void say(const char *vm, const char *fmt, ...)
{
	char msg[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_escape(msg, sizeof(msg)); /* paths, names and QEMU's words come from outside */
	fprintf(stderr, "%s: vm %s: %s\n", progname, vm, msg);
	if (say_syslog)
		syslog(LOG_INFO, "vm %s: %s", vm, msg);
}

void complain(const struct perr *e)
{
	fprintf(stderr, "%s: %s\n", progname, e->msg);
	if (say_syslog)
		syslog(LOG_ERR, "%s", e->msg);
}
