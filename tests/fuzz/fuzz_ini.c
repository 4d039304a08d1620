/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_ini.c - the checked line reader under inih. Line numbers only grow; every section and
 * key handed over is found, as written, on the input line it is reported at; no name or value
 * holds a newline or control character; and a file that reads cleanly has no line over the limit
 * (inih's 200-byte buffer less "\n\0" and one byte to tell a full buffer), so nothing is cut. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "inifile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LINE_LIMIT 197 /* INI_MAX_LINE - 3 */

static const char *text;
static size_t text_len;
static int last_line;

/* Line `no` (1-based) of the input as the reader sees it: without "\n", a trailing "\r" and, on
 * line 1, a UTF-8 BOM. False when the input has no such line. Callers ask in increasing order
 * (a cursor keeps this linear); asking for an earlier line starts over. */
static const char *cur;
static int cur_no;

static bool input_line(int no, const char **s, size_t *n)
{
	const char *end = text + text_len, *nl;

	if (cur == NULL || no < cur_no) {
		cur = text;
		cur_no = 1;
	}
	for (;;) {
		if (cur >= end)
			return false;
		nl = memchr(cur, '\n', (size_t)(end - cur));
		if (cur_no == no)
			break;
		if (nl == NULL)
			return false;
		cur = nl + 1;
		cur_no++;
	}
	*s = cur;
	*n = (size_t)((nl ? nl : end) - cur);
	if (*n > 0 && cur[*n - 1] == '\r')
		(*n)--;
	if (no == 1 && *n >= 3 && memcmp(cur, "\xef\xbb\xbf", 3) == 0) {
		*s += 3;
		*n -= 3;
	}
	return true;
}

static void skip_blanks(const char **s, size_t *n)
{
	while (*n > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
}

static void clean(const char *s)
{
	assert(strlen(s) <= LINE_LIMIT);
	for (; *s; s++)
		assert(((unsigned char)*s >= 0x20 || *s == '\t') && *s != 0x7f);
}

static void next_line(const struct ini_pos *at)
{
	assert(strcmp(at->file, "fuzz.ini") == 0);
	assert(at->line > last_line);
	last_line = at->line;
}

static int on_section(void *user, const struct ini_pos *at, const char *name, struct perr *e)
{
	const char *s;
	size_t n, k = strlen(name);

	(void)user;
	(void)e;
	next_line(at);
	clean(name);
	assert(input_line(at->line, &s, &n));
	skip_blanks(&s, &n);
	assert(n >= k + 2 && s[0] == '[' && memcmp(s + 1, name, k) == 0 && s[k + 1] == ']');
	assert(memchr(name, ']', k) == NULL);
	return 0;
}

static int on_key(void *user, const struct ini_pos *at, const char *section, const char *key,
		  const char *value, struct perr *e)
{
	const char *s, *rest;
	size_t n, k = strlen(key), v = strlen(value);

	(void)user;
	(void)e;
	next_line(at);
	if (section)
		clean(section);
	clean(key);
	clean(value);
	assert(k > 0 && key[0] != ' ' && key[0] != '\t' && key[0] != '[' && key[0] != ';' &&
	       key[0] != '#');
	assert(key[k - 1] != ' ' && key[k - 1] != '\t');
	assert(strpbrk(key, "=:") == NULL);
	/* The key as written starts its line, then blanks and the separator... */
	assert(input_line(at->line, &s, &n));
	skip_blanks(&s, &n);
	assert(n > k && memcmp(s, key, k) == 0);
	rest = s + k;
	n -= k;
	skip_blanks(&rest, &n);
	assert(n > 0 && (*rest == '=' || *rest == ':'));
	/* ...and the value is a piece of the rest of that line (inih trims it and drops comments). */
	assert(v <= n - 1 && (v == 0 || memmem(rest + 1, n - 1, value, v) != NULL));
	return 0;
}

static const struct ini_ops ops = { on_section, on_key };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct perr e = { 0 };
	const char *s;
	size_t n;

	text = (const char *)data;
	text_len = size;
	cur = NULL;
	last_line = 0;
	if (ini_read_mem(text, size, "fuzz.ini", &ops, NULL, &e) < 0) {
		assert(e.code == EX_DATAERR && strncmp(e.msg, "fuzz.ini:", 9) == 0);
		assert(strchr(e.msg, '\n') == NULL);
		return 0;
	}
	assert(e.code == 0);
	/* Read cleanly: then every line was short and free of control characters. */
	for (int no = 1; input_line(no, &s, &n); no++) {
		assert(n <= LINE_LIMIT);
		for (size_t i = 0; i < n; i++)
			assert(((unsigned char)s[i] >= 0x20 || s[i] == '\t') && s[i] != 0x7f);
	}
	return 0;
}
