/* SPDX-License-Identifier: GPL-2.0-or-later */
/* inifile.c - checked line-by-line feeding of inih, and key tables. */
#include "inifile.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_SECTION 128
#define MAX_KEY 128

struct stream {
	const char *text;
	size_t len, pos;
	struct ini_pos at;
	char section[MAX_SECTION];
	bool in_section;
	char key[MAX_KEY];
	const struct ini_ops *ops;
	void *user;
	struct perr *e;
	bool failed;
};

int ini_fail(struct perr *e, const struct ini_pos *at, int code, const char *fmt, ...)
{
	char msg[sizeof(e->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return fail(e, code, "%s:%d: %s", at->file, at->line, msg);
}

static int stop(struct stream *st, const char *what)
{
	st->failed = true;
	return ini_fail(st->e, &st->at, EX_DATAERR, "%s", what);
}

static const char *skip_blank(const char *s, const char *end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	return s;
}

/* The first of chars in [s, end), or NULL, stopping where inih would: at a ';' after a blank
 * (an inline comment). Our view of a line must be inih's, or inih reports a syntax error
 * after we have already acted on the line. */
static const char *find_sep(const char *s, const char *end, const char *chars)
{
	for (const char *p = s; p < end; p++) {
		if (strchr(chars, *p) != NULL)
			return p;
		if (*p == ';' && p > s && (p[-1] == ' ' || p[-1] == '\t'))
			return NULL;
	}
	return NULL;
}

/* "[name]" followed by nothing or a comment. */
static int take_section(struct stream *st, const char *s, const char *end)
{
	const char *close = find_sep(s, end, "]");
	const char *rest;

	if (close == NULL)
		return stop(st, "expected `[section]`, found no ']'");
	rest = skip_blank(close + 1, end);
	if (rest < end && *rest != ';' && *rest != '#')
		return stop(st, "expected nothing but a comment after `[section]`");
	if ((size_t)(close - s - 1) >= sizeof(st->section))
		return stop(st, "section name too long");
	memcpy(st->section, s + 1, (size_t)(close - s - 1));
	st->section[close - s - 1] = '\0';
	st->in_section = true;
	if (st->ops->section && st->ops->section(st->user, &st->at, st->section, st->e) < 0) {
		st->failed = true;
		return -1;
	}
	return 0;
}

/* Remember the key as written: inih would cut it at 50 bytes. */
static int take_key(struct stream *st, const char *s, const char *end)
{
	const char *sep = find_sep(s, end, "=:");

	if (sep == NULL)
		return stop(st, "expected `key = value`, `[section]` or a comment");
	while (sep > s && (sep[-1] == ' ' || sep[-1] == '\t'))
		sep--;
	if (sep == s)
		return stop(st, "expected a key before '='");
	if ((size_t)(sep - s) >= sizeof(st->key))
		return stop(st, "key too long");
	memcpy(st->key, s, (size_t)(sep - s));
	st->key[sep - s] = '\0';
	return 0;
}

/* inih's fgets-style reader: hand over one line, checked, with leading blanks removed so that
 * inih never sees a continuation line. */
static char *reader(char *buf, int num, void *stream)
{
	struct stream *st = stream;
	const char *s, *nl, *end;
	size_t n;

	if (st->failed || st->pos >= st->len)
		return NULL;
	s = st->text + st->pos;
	nl = memchr(s, '\n', st->len - st->pos);
	end = nl ? nl : st->text + st->len;
	st->pos = (size_t)(end - st->text) + (nl ? 1 : 0);
	st->at.line++;
	if (end > s && end[-1] == '\r')
		end--;
	if (st->at.line == 1 && end - s >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3;
	if (num < 4 || end - s > num - 3) {
		char msg[64];
		snprintf(msg, sizeof(msg), "line longer than %d bytes", num < 4 ? 0 : num - 3);
		stop(st, msg);
		return NULL;
	}
	for (const char *p = s; p < end; p++) {
		unsigned char c = (unsigned char)*p;
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			char msg[64];
			snprintf(msg, sizeof(msg), "control character \\x%02x in line", c);
			stop(st, msg);
			return NULL;
		}
	}
	s = skip_blank(s, end);
	if (s < end && *s == '[') {
		if (take_section(st, s, end) < 0)
			return NULL;
	} else if (s < end && *s != ';' && *s != '#') {
		if (take_key(st, s, end) < 0)
			return NULL;
	}
	n = (size_t)(end - s);
	memcpy(buf, s, n);
	buf[n] = '\n';
	buf[n + 1] = '\0';
	return buf;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct stream *st = user;

	(void)section; /* ours is the uncut one */
	(void)name;
	if (st->failed)
		return 0;
	if (st->ops->key(st->user, &st->at, st->in_section ? st->section : NULL, st->key, value,
			 st->e) < 0) {
		st->failed = true;
		return 0;
	}
	return 1;
}

int ini_read_mem(const char *text, size_t len, const char *name, const struct ini_ops *ops,
		 void *user, struct perr *e)
{
	struct stream st = { .text = text, .len = len, .at = { name, 0 }, .ops = ops,
			     .user = user, .e = e };
	int r;

	if (len > INI_MAX_FILE)
		return fail(e, EX_DATAERR, "%s: file larger than %u bytes", name, INI_MAX_FILE);
	r = ini_parse_stream(reader, &st, handler, &st);
	if (st.failed || e->code)
		return -1;
	if (r != 0) /* cannot happen: every line was classified above; never trust it silently */
		return fail(e, EX_DATAERR, "%s:%d: syntax error", name, r > 0 ? r : st.at.line);
	return 0;
}

int slurp_fd(int fd, const char *name, char **text, size_t *len, struct perr *e)
{
	struct stat sb;
	char *buf;
	size_t got = 0;

	if (fstat(fd, &sb) < 0)
		return fail_errno(e, EX_OSERR, "%s: stat", name);
	if (!S_ISREG(sb.st_mode))
		return fail(e, EX_DATAERR, "%s: not a regular file", name);
	if (sb.st_size > (off_t)INI_MAX_FILE)
		return fail(e, EX_DATAERR, "%s: file larger than %u bytes", name, INI_MAX_FILE);
	buf = malloc((size_t)sb.st_size + 1);
	if (buf == NULL)
		return fail_errno(e, EX_OSERR, "%s", name);
	/* The size may change under us: read up to one byte past what fstat saw, and refuse that. */
	for (;;) {
		ssize_t n = read(fd, buf + got, (size_t)sb.st_size + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return fail_errno(e, EX_IOERR, "%s: read", name);
		}
		if (n == 0 || (got += (size_t)n) > (size_t)sb.st_size)
			break;
	}
	if (got > (size_t)sb.st_size) {
		free(buf);
		return fail(e, EX_DATAERR, "%s: file changed while being read", name);
	}
	buf[got] = '\0';
	*text = buf;
	*len = got;
	return 0;
}

int ini_read_fd(int fd, const char *name, const struct ini_ops *ops, void *user, struct perr *e)
{
	char *text;
	size_t len;
	int r;

	if (slurp_fd(fd, name, &text, &len, e) < 0)
		return -1;
	r = ini_read_mem(text, len, name, ops, user, e);
	free(text);
	return r;
}

int ini_set(const struct ini_key *table, size_t n, void *obj, unsigned *seen,
	    const struct ini_pos *at, const char *section, const char *key, const char *value,
	    struct perr *e)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(table[i].name, key) != 0)
			continue;
		if ((*seen & (1u << i)) && !table[i].repeat)
			return ini_fail(e, at, EX_DATAERR, "%s: given twice in [%s]", key, section);
		*seen |= 1u << i;
		return table[i].parse(at, &table[i], value, (char *)obj + table[i].off, e);
	}
	char b[128];
	return ini_fail(e, at, EX_DATAERR, "unknown key \"%s\" in [%s]", shown(key, b), section);
}

int ini_parse_path(const struct ini_pos *at, const struct ini_key *k, const char *value,
		   void *field, struct perr *e)
{
	char b[128];

	if (value[0] != '/' || strlen(value) >= k->size)
		return ini_fail(e, at, EX_CONFIG, "%s: expected an absolute path, got \"%s\"",
				k->name, shown(value, b));
	strcpy(field, value);
	return 0;
}

int ini_parse_bool(const struct ini_pos *at, const struct ini_key *k, const char *value,
		   void *field, struct perr *e)
{
	char b[128];

	if (parse_bool(value, field) < 0)
		return ini_fail(e, at, EX_DATAERR, "%s: expected true or false, got \"%s\"", k->name,
				shown(value, b));
	return 0;
}

int ini_parse_word(const struct ini_pos *at, const struct ini_key *k, const char *value,
		   void *field, struct perr *e)
{
	char b[128];

	if (!str_only(value, WORD_CHARS, k->size - 1))
		return ini_fail(e, at, EX_DATAERR,
				"%s: expected 1-%zu characters of A-Z a-z 0-9 . _ -, got \"%s\"",
				k->name, k->size - 1, shown(value, b));
	strcpy(field, value);
	return 0;
}

int ini_parse_opt_word(const struct ini_pos *at, const struct ini_key *k, const char *value,
		       void *field, struct perr *e)
{
	return value[0] == '\0' ? 0 : ini_parse_word(at, k, value, field, e);
}

int ini_parse_driver(const struct ini_pos *at, const struct ini_key *k, const char *value,
		     void *field, struct perr *e)
{
	char b[128];

	if (value[0] == '\0')
		return 0;
	if (!driver_name_ok(value, k->size - 1))
		return ini_fail(e, at, EX_DATAERR,
				"%s: expected a driver name of 1-%zu characters of A-Z a-z 0-9 . _ - and single spaces, got \"%s\"",
				k->name, k->size - 1, shown(value, b));
	strcpy(field, value); /* checked to fit just above */
	return 0;
}

int ini_parse_hex16(const struct ini_pos *at, const struct ini_key *k, const char *value,
		    void *field, struct perr *e)
{
	char b[128];

	if (parse_hex16(value, field) < 0)
		return ini_fail(e, at, EX_DATAERR, "%s: expected four hex digits, got \"%s\"",
				k->name, shown(value, b));
	return 0;
}

/* An int from -1 ("unknown", as the kernel writes it) up to k->size. */
int ini_parse_int(const struct ini_pos *at, const struct ini_key *k, const char *value,
		  void *field, struct perr *e)
{
	const char *why;
	long long v;
	char b[128];

	if (parse_ll(value, 10, -1, (long long)k->size, &v, &why) < 0)
		return ini_fail(e, at, EX_DATAERR, "%s: expected a number from -1 to %zu, got \"%s\" (%s)",
				k->name, k->size, shown(value, b), why);
	*(int *)field = (int)v;
	return 0;
}
