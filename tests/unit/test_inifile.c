/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_inifile.c - the checked line reader under inih: what Debian's inih would do silently
 * (cut long lines, join indented ones, cut long names) must be an error or not happen. */
#include <fcntl.h>

#include "cm.h"
#include "inifile.h"

struct rec {
	int n;
	char seen[16][400]; /* "line:section:key=value" or "line:[name]" */
};

static int on_section(void *user, const struct ini_pos *at, const char *name, struct perr *e)
{
	struct rec *r = user;

	(void)e;
	if (r->n < 16)
		snprintf(r->seen[r->n++], 400, "%d:[%s]", at->line, name);
	return 0;
}

static int on_key(void *user, const struct ini_pos *at, const char *section, const char *key,
		  const char *value, struct perr *e)
{
	struct rec *r = user;

	if (strcmp(key, "bad") == 0)
		return ini_fail(e, at, EX_DATAERR, "bad: refused");
	if (r->n < 16)
		snprintf(r->seen[r->n++], 400, "%d:%s:%s=%s", at->line, section ? section : "-", key, value);
	return 0;
}

static const struct ini_ops ops = { on_section, on_key };

static int parse(const char *text, struct rec *r, struct perr *e)
{
	memset(r, 0, sizeof(*r));
	memset(e, 0, sizeof(*e));
	return ini_read_mem(text, strlen(text), "t.ini", &ops, r, e);
}

static void test_basic(void **state)
{
	struct rec r;
	struct perr e;

	(void)state;
	assert_int_equal(parse("; c\n# c\n\n[a]\nk = v ; inline\nk2: v2\n  k3 = v3\r\n[b] ; c\nx=\n", &r, &e), 0);
	assert_int_equal(r.n, 6);
	assert_string_equal(r.seen[0], "4:[a]");
	assert_string_equal(r.seen[1], "5:a:k=v");
	assert_string_equal(r.seen[2], "6:a:k2=v2");
	/* an indented line is a key of its own, never a continuation of k2 */
	assert_string_equal(r.seen[3], "7:a:k3=v3");
	assert_string_equal(r.seen[4], "8:[b]");
	assert_string_equal(r.seen[5], "9:b:x=");
}

static void test_long_lines(void **state)
{
	char text[600];
	struct rec r;
	struct perr e;

	(void)state;
	/* 197 bytes is the longest line Debian's inih (200-byte buffer) takes whole */
	snprintf(text, sizeof(text), "[a]\nk = %0*d\n", 193, 0);
	assert_int_equal(strlen(strchr(text, '\n') + 1), 198);
	assert_int_equal(parse(text, &r, &e), 0);
	assert_int_equal(strlen(r.seen[1]), strlen("2:a:k=") + 193);
	snprintf(text, sizeof(text), "[a]\nk = %0*d\nafter = 1\n", 194, 0);
	assert_int_equal(parse(text, &r, &e), -1);
	assert_int_equal(e.code, EX_DATAERR);
	assert_string_equal(e.msg, "t.ini:2: line longer than 197 bytes");
	assert_int_equal(r.n, 1); /* nothing after the error was seen */
}

static void test_long_names(void **state)
{
	char text[300], name[80];
	struct rec r;
	struct perr e;

	(void)state;
	memset(name, 'N', 64);
	name[64] = '\0';
	snprintf(text, sizeof(text), "[%s]\n%s = 1\n", name, name);
	assert_int_equal(parse(text, &r, &e), 0);
	assert_int_equal(strlen(r.seen[0]), strlen("1:[]") + 64);
	assert_int_equal(strlen(r.seen[1]), strlen("2::=1") + 128);
}

static void test_errors(void **state)
{
	static const struct { const char *text, *msg; } cases[] = {
		{ "[a]\njunk\n", "t.ini:2: expected `key = value`, `[section]` or a comment" },
		{ "[a\n", "t.ini:1: expected `[section]`, found no ']'" },
		{ "[a] x\n", "t.ini:1: expected nothing but a comment after `[section]`" },
		{ "[a]\n= v\n", "t.ini:2: expected a key before '='" },
		{ "[a]\nk = v\x01\n", "t.ini:2: control character \\x01 in line" },
		{ "[a]\nk = \x7f\n", "t.ini:2: control character \\x7f in line" },
		{ "[a]\n\nbad = 1\nk = 2\n", "t.ini:3: bad: refused" },
	};
	struct rec r;
	struct perr e;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(cases[i].text, &r, &e), -1);
		assert_string_equal(e.msg, cases[i].msg);
		assert_int_equal(e.code, EX_DATAERR);
	}
}

static void test_nul_and_bom(void **state)
{
	static const char nul[] = "[a]\nk = v\0w\n";
	struct rec r;
	struct perr e = { 0 };

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(ini_read_mem(nul, sizeof(nul) - 1, "t.ini", &ops, &r, &e), -1);
	assert_string_equal(e.msg, "t.ini:2: control character \\x00 in line");
	assert_int_equal(parse("\xef\xbb\xbf[a]\nk=v", &r, &e), 0);
	assert_string_equal(r.seen[0], "1:[a]");
	assert_string_equal(r.seen[1], "2:a:k=v"); /* no final newline is fine */
}

static void test_line_numbers(void **state)
{
	struct rec r;
	struct perr e;

	(void)state;
	assert_int_equal(parse("\n\n; one\n# two\n   \n\t\n[s]\r\n\r\nk=1\r\n\n\n  ; three\nj=2", &r, &e), 0);
	assert_int_equal(r.n, 3);
	assert_string_equal(r.seen[0], "7:[s]");
	assert_string_equal(r.seen[1], "9:s:k=1");
	assert_string_equal(r.seen[2], "13:s:j=2");
	/* an error on the last line, without a newline, names that line */
	assert_int_equal(parse("[s]\n\n\n\nk", &r, &e), -1);
	assert_string_equal(e.msg, "t.ini:5: expected `key = value`, `[section]` or a comment");
	/* an empty text is a file with nothing in it */
	assert_int_equal(parse("", &r, &e), 0);
	assert_int_equal(r.n, 0);
}

static void test_values(void **state)
{
	struct rec r;
	struct perr e;

	(void)state;
	assert_int_equal(parse("k0 = a=b\nk1 =\nk2=   spaced   out   \nk3 = v;x\nk4 = v\t; c\n"
			       "k5\t=\tt\nk6 = v # not a comment\nk7 :v\n", &r, &e), 0);
	assert_int_equal(r.n, 8);
	assert_string_equal(r.seen[0], "1:-:k0=a=b");   /* the first '=' splits */
	assert_string_equal(r.seen[1], "2:-:k1=");      /* an empty value is a value */
	assert_string_equal(r.seen[2], "3:-:k2=spaced   out");
	assert_string_equal(r.seen[3], "4:-:k3=v;x");   /* ';' starts a comment only after a blank */
	assert_string_equal(r.seen[4], "5:-:k4=v");
	assert_string_equal(r.seen[5], "6:-:k5=t");
	assert_string_equal(r.seen[6], "7:-:k6=v # not a comment");
	assert_string_equal(r.seen[7], "8:-:k7=v");
}

static void test_sections(void **state)
{
	struct rec r;
	struct perr e;

	(void)state;
	assert_int_equal(parse("[a];c\n[b]#c\n  [c]  \t\n[a.b-c_d 1]\nk=v\n", &r, &e), 0);
	assert_int_equal(r.n, 5);
	assert_string_equal(r.seen[0], "1:[a]");
	assert_string_equal(r.seen[1], "2:[b]");
	assert_string_equal(r.seen[2], "3:[c]");
	assert_string_equal(r.seen[3], "4:[a.b-c_d 1]");
	assert_string_equal(r.seen[4], "5:a.b-c_d 1:k=v");
	/* a key before any section comes with no section at all */
	assert_int_equal(parse("k=v\n[s]\n", &r, &e), 0);
	assert_string_equal(r.seen[0], "1:-:k=v");
}

static void test_no_continuation(void **state)
{
	struct rec r;
	struct perr e;

	(void)state;
	/* Debian's inih (INI_ALLOW_MULTILINE) would append "more" to k's value */
	assert_int_equal(parse("[a]\nk = one\n  more\n", &r, &e), -1);
	assert_string_equal(e.msg, "t.ini:3: expected `key = value`, `[section]` or a comment");
	assert_int_equal(r.n, 2);
	assert_string_equal(r.seen[1], "2:a:k=one");
	/* ... and a tab-indented key = value line is a key of its own */
	assert_int_equal(parse("[a]\nk = one\n\tk2 = two\n", &r, &e), 0);
	assert_int_equal(r.n, 3);
	assert_string_equal(r.seen[1], "2:a:k=one");
	assert_string_equal(r.seen[2], "3:a:k2=two");
}

static void test_long_line_edges(void **state)
{
	char text[700];
	struct rec r;
	struct perr e;

	(void)state;
	/* CRLF: the CR is not part of the 197 */
	snprintf(text, sizeof(text), "k = %0*d\r\n", 193, 0);
	assert_int_equal(parse(text, &r, &e), 0);
	assert_int_equal(r.n, 1);
	/* a BOM on line 1 is not part of the 197 either */
	snprintf(text, sizeof(text), "\xef\xbb\xbfk = %0*d\n", 193, 0);
	assert_int_equal(parse(text, &r, &e), 0);
	assert_int_equal(r.n, 1);
	/* a long comment is a long line too: never half read */
	snprintf(text, sizeof(text), "[a]\n; %0*d\nk = 1\n", 196, 0);
	assert_int_equal(parse(text, &r, &e), -1);
	assert_string_equal(e.msg, "t.ini:2: line longer than 197 bytes");
	assert_int_equal(r.n, 1);
	/* a long section line */
	snprintf(text, sizeof(text), "[%0*d]\nk = 1\n", 197, 0);
	assert_int_equal(parse(text, &r, &e), -1);
	assert_string_equal(e.msg, "t.ini:1: line longer than 197 bytes");
	assert_int_equal(r.n, 0);
	/* blank padding counts */
	snprintf(text, sizeof(text), "%*s\n", 198, "k = v");
	assert_int_equal(parse(text, &r, &e), -1);
	assert_string_equal(e.msg, "t.ini:1: line longer than 197 bytes");
	/* a 600-byte last line without a newline */
	memset(text, 'x', 600);
	memcpy(text, "[a]\nk=", 6);
	text[600] = '\0';
	assert_int_equal(parse(text, &r, &e), -1);
	assert_string_equal(e.msg, "t.ini:2: line longer than 197 bytes");
	assert_int_equal(r.n, 1);
}

static void test_name_limits(void **state)
{
	char text[1024], name[200], want[1024];
	struct rec r;
	struct perr e;

	(void)state;
	/* 120 characters: far over inih's 50, under our 128 */
	memset(name, 's', 120);
	name[120] = '\0';
	snprintf(text, sizeof(text), "[%s]\n", name);
	assert_int_equal(parse(text, &r, &e), 0);
	snprintf(want, sizeof(want), "1:[%s]", name);
	assert_string_equal(r.seen[0], want);
	memset(name, 'k', 120);
	snprintf(text, sizeof(text), "[s]\n%s = v\n", name);
	assert_int_equal(parse(text, &r, &e), 0);
	snprintf(want, sizeof(want), "2:s:%s=v", name);
	assert_string_equal(r.seen[1], want);
	/* 51 characters: the first inih would cut */
	name[51] = '\0';
	snprintf(text, sizeof(text), "[%s]\n%s=v\n", name, name);
	assert_int_equal(parse(text, &r, &e), 0);
	snprintf(want, sizeof(want), "2:%s:%s=v", name, name);
	assert_string_equal(r.seen[1], want);
	/* over our own limits: an error, never a cut */
	memset(name, 'n', 150);
	name[150] = '\0';
	snprintf(text, sizeof(text), "[%s]\n", name);
	assert_int_equal(parse(text, &r, &e), -1);
	assert_string_equal(e.msg, "t.ini:1: section name too long");
	assert_int_equal(r.n, 0);
	snprintf(text, sizeof(text), "[s]\n%s = v\n", name);
	assert_int_equal(parse(text, &r, &e), -1);
	assert_string_equal(e.msg, "t.ini:2: key too long");
	assert_int_equal(r.n, 1);
}

static int refuse_section(void *user, const struct ini_pos *at, const char *name, struct perr *e)
{
	struct rec *r = user;

	if (strcmp(name, "no") == 0)
		return ini_fail(e, at, EX_CONFIG, "[%s]: refused", name);
	if (r->n < 16)
		snprintf(r->seen[r->n++], 400, "%d:[%s]", at->line, name);
	return 0;
}

static void test_callback_errors_stop(void **state)
{
	static const struct ini_ops sops = { refuse_section, on_key };
	static const char text[] = "[a]\nk=1\n[no]\nk=2\n[b]\n";
	struct rec r = { 0 };
	struct perr e = { 0 };

	(void)state;
	assert_int_equal(ini_read_mem(text, strlen(text), "s.ini", &sops, &r, &e), -1);
	assert_string_equal(e.msg, "s.ini:3: [no]: refused");
	assert_int_equal(e.code, EX_CONFIG); /* the callback's code is kept */
	assert_int_equal(r.n, 2);
}

/* Lines that our reader lets through but inih itself refuses (a " ;" inline comment before the
 * '='): the error must be the first one, at its line, and nothing after it may be handed to the
 * callbacks ("Stops at the first error", inifile.h). */
static void test_inih_syntax_error_stops(void **state)
{
	struct rec r;
	struct perr e;

	(void)state;
	assert_int_equal(parse("[a]\nk ;x = 1\n", &r, &e), -1);
	assert_int_equal(e.code, EX_DATAERR);
	assert_string_equal(e.msg, "t.ini:2: expected `key = value`, `[section]` or a comment");
	assert_int_equal(parse("[a]\nk ;x = 1\nafter = 2\nbad = 3\n", &r, &e), -1);
	assert_string_equal(e.msg, "t.ini:2: expected `key = value`, `[section]` or a comment");
	assert_int_equal(r.n, 1); /* only [a]: "after" comes after the error */
	/* a ']' inside an inline comment does not close a section, for inih or for us */
	assert_int_equal(parse("[a ;x]\nafter = 2\nbad = 3\n", &r, &e), -1);
	assert_string_equal(e.msg, "t.ini:1: expected `[section]`, found no ']'");
	assert_int_equal(r.n, 0);
}

static void test_file_limits(void **state)
{
	size_t big = INI_MAX_FILE + 1;
	char *text = malloc(big), want[100];
	struct rec r = { 0 };
	struct perr e = { 0 };

	(void)state;
	assert_non_null(text);
	memset(text, '\n', big);
	assert_int_equal(ini_read_mem(text, big, "big.ini", &ops, &r, &e), -1);
	assert_int_equal(e.code, EX_DATAERR);
	snprintf(want, sizeof(want), "big.ini: file larger than %u bytes", INI_MAX_FILE);
	assert_string_equal(e.msg, want);
	memset(&e, 0, sizeof(e));
	assert_int_equal(ini_read_mem(text, INI_MAX_FILE, "big.ini", &ops, &r, &e), 0);
	free(text);
}

static void test_read_fd(void **state)
{
	char dir[256], path[300];
	struct rec r = { 0 };
	struct perr e = { 0 };
	char *text;
	size_t len;
	int fd, p[2];

	(void)state;
	scratch(dir);
	put_file(dir, "f.ini", "[s]\nk = v\n", 0644);
	snprintf(path, sizeof(path), "%s/f.ini", dir);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(ini_read_fd(fd, "f.ini", &ops, &r, &e), 0);
	close(fd);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.seen[1], "2:s:k=v");

	fd = open(path, O_RDONLY);
	assert_int_equal(slurp_fd(fd, "f.ini", &text, &len, &e), 0);
	close(fd);
	assert_int_equal(len, 10);
	assert_string_equal(text, "[s]\nk = v\n");
	free(text);

	put_file(dir, "empty.ini", "", 0644);
	snprintf(path, sizeof(path), "%s/empty.ini", dir);
	fd = open(path, O_RDONLY);
	assert_int_equal(slurp_fd(fd, "empty.ini", &text, &len, &e), 0);
	close(fd);
	assert_int_equal(len, 0);
	assert_string_equal(text, "");
	free(text);

	/* a pipe (or a FIFO, or a device) is not a file to read whole */
	assert_int_equal(pipe(p), 0);
	assert_int_equal(ini_read_fd(p[0], "pipe", &ops, &r, &e), -1);
	assert_int_equal(e.code, EX_DATAERR);
	assert_string_equal(e.msg, "pipe: not a regular file");
	close(p[0]);
	close(p[1]);
	rmtree(dir);
}

struct obj {
	char word[8];
	bool flag;
	int num;
	unsigned hex;
	char path[16];
};

static const struct ini_key keys[] = {
	INI_KEY("word", ini_parse_word, struct obj, word, 8),
	INI_KEY("flag", ini_parse_bool, struct obj, flag, 0),
	INI_KEY("num", ini_parse_int, struct obj, num, 10),
	INI_KEY("hex", ini_parse_hex16, struct obj, hex, 0),
	INI_KEY("path", ini_parse_path, struct obj, path, 16),
};

static int set(struct obj *o, unsigned *seen, const char *k, const char *v, struct perr *e)
{
	struct ini_pos at = { "o.ini", 3 };

	memset(e, 0, sizeof(*e));
	return ini_set(keys, 5, o, seen, &at, "s", k, v, e);
}

static void test_key_table(void **state)
{
	struct obj o = { 0 };
	unsigned seen = 0;
	struct perr e;

	(void)state;
	assert_int_equal(set(&o, &seen, "word", "a-b.c_1", &e), 0);
	assert_string_equal(o.word, "a-b.c_1");
	assert_int_equal(set(&o, &seen, "word", "x", &e), -1);
	assert_string_equal(e.msg, "o.ini:3: word: given twice in [s]");
	assert_int_equal(set(&o, &seen, "nope", "x", &e), -1);
	assert_string_equal(e.msg, "o.ini:3: unknown key \"nope\" in [s]");
	assert_int_equal(set(&o, &seen, "flag", "yes", &e), 0);
	assert_true(o.flag);
	assert_int_equal(set(&o, &seen, "num", "11", &e), -1);
	assert_string_equal(e.msg, "o.ini:3: num: expected a number from -1 to 10, got \"11\" (too large)");
	seen = 0;
	assert_int_equal(set(&o, &seen, "num", "-1", &e), 0);
	assert_int_equal(o.num, -1);
	assert_int_equal(set(&o, &seen, "hex", "0xABCD", &e), 0);
	assert_int_equal(o.hex, 0xabcd);
	assert_int_equal(set(&o, &seen, "path", "rel/x", &e), -1);
	assert_int_equal(e.code, EX_CONFIG);
	seen = 0;
	assert_int_equal(set(&o, &seen, "path", "/0123456789abcde", &e), -1); /* does not fit */
	assert_int_equal(set(&o, &seen, "word", "has space", &e), -1);
	assert_string_equal(e.msg, "o.ini:3: word: expected 1-7 characters of A-Z a-z 0-9 . _ -, got \"has space\"");
}

struct obj2 {
	char drv[8];
	int count;
};

static int add_one(const struct ini_pos *at, const struct ini_key *k, const char *value,
		   void *field, struct perr *e)
{
	(void)at;
	(void)k;
	(void)value;
	(void)e;
	(*(int *)field)++;
	return 0;
}

static void test_key_table_more(void **state)
{
	static const struct ini_key keys2[] = {
		INI_KEY("drv", ini_parse_opt_word, struct obj2, drv, 8),
		{ "many", add_one, offsetof(struct obj2, count), 0, true },
	};
	struct ini_pos at = { "o.ini", 9 };
	struct obj o = { 0 };
	struct obj2 o2 = { .drv = "keep" };
	unsigned seen = 0;
	struct perr e;

	(void)state;
	/* a repeatable key adds each time; the others still refuse a second one */
	for (int i = 0; i < 3; i++) {
		memset(&e, 0, sizeof(e));
		assert_int_equal(ini_set(keys2, 2, &o2, &seen, &at, "s", "many", "x", &e), 0);
	}
	assert_int_equal(o2.count, 3);
	/* an empty optional word leaves the field alone */
	assert_int_equal(ini_set(keys2, 2, &o2, &seen, &at, "s", "drv", "", &e), 0);
	assert_string_equal(o2.drv, "keep");
	seen = 0;
	assert_int_equal(ini_set(keys2, 2, &o2, &seen, &at, "s", "drv", "vfio-pc", &e), 0);
	assert_string_equal(o2.drv, "vfio-pc");
	seen = 0;
	assert_int_equal(ini_set(keys2, 2, &o2, &seen, &at, "s", "drv", "vfio-pci", &e), -1);
	assert_string_equal(e.msg, "o.ini:9: drv: expected 1-7 characters of A-Z a-z 0-9 . _ -, got \"vfio-pci\"");
	assert_int_equal(e.code, EX_DATAERR);
	/* keys are case-sensitive */
	memset(&e, 0, sizeof(e));
	assert_int_equal(ini_set(keys2, 2, &o2, &seen, &at, "s", "DRV", "x", &e), -1);
	assert_string_equal(e.msg, "o.ini:9: unknown key \"DRV\" in [s]");
	/* an unknown key's name is shown safely */
	memset(&e, 0, sizeof(e));
	assert_int_equal(ini_set(keys2, 2, &o2, &seen, &at, "s", "a\"b", "x", &e), -1);
	assert_string_equal(e.msg, "o.ini:9: unknown key \"a\\x22b\" in [s]");

	/* the value parsers' messages */
	seen = 0;
	assert_int_equal(set(&o, &seen, "flag", "maybe", &e), -1);
	assert_string_equal(e.msg, "o.ini:3: flag: expected true or false, got \"maybe\"");
	assert_int_equal(e.code, EX_DATAERR);
	assert_int_equal(set(&o, &seen, "hex", "12345", &e), -1);
	assert_string_equal(e.msg, "o.ini:3: hex: expected four hex digits, got \"12345\"");
	assert_int_equal(set(&o, &seen, "num", "-2", &e), -1);
	assert_string_equal(e.msg, "o.ini:3: num: expected a number from -1 to 10, got \"-2\" (too small)");
	seen = 0;
	assert_int_equal(set(&o, &seen, "num", "x1", &e), -1);
	assert_string_equal(e.msg, "o.ini:3: num: expected a number from -1 to 10, got \"x1\" (not a number)");
	seen = 0;
	assert_int_equal(set(&o, &seen, "num", "10", &e), 0);
	assert_int_equal(o.num, 10);
	assert_int_equal(set(&o, &seen, "path", "rel/x", &e), -1);
	assert_string_equal(e.msg, "o.ini:3: path: expected an absolute path, got \"rel/x\"");
	assert_int_equal(e.code, EX_CONFIG);
	seen = 0;
	assert_int_equal(set(&o, &seen, "path", "/0123456789abcd", &e), 0); /* 15 + NUL fits */
	assert_string_equal(o.path, "/0123456789abcd");
	seen = 0;
	assert_int_equal(set(&o, &seen, "word", "", &e), -1); /* a word is never empty */

	/* ini_fail: "file:line: message" */
	memset(&e, 0, sizeof(e));
	assert_int_equal(ini_fail(&e, &at, EX_USAGE, "x=%d", 5), -1);
	assert_string_equal(e.msg, "o.ini:9: x=5");
	assert_int_equal(e.code, EX_USAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),      cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_long_names), cmocka_unit_test(test_errors),
		cmocka_unit_test(test_nul_and_bom), cmocka_unit_test(test_key_table),
		cmocka_unit_test(test_line_numbers), cmocka_unit_test(test_values),
		cmocka_unit_test(test_sections),   cmocka_unit_test(test_no_continuation),
		cmocka_unit_test(test_long_line_edges), cmocka_unit_test(test_name_limits),
		cmocka_unit_test(test_callback_errors_stop),
		cmocka_unit_test(test_inih_syntax_error_stops),
		cmocka_unit_test(test_file_limits), cmocka_unit_test(test_read_fd),
		cmocka_unit_test(test_key_table_more),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
