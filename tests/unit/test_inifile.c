/* test_inifile.c - the checked line reader under inih: what Debian's inih would do silently
 * (cut long lines, join indented ones, cut long names) must be an error or not happen. */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),      cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_long_names), cmocka_unit_test(test_errors),
		cmocka_unit_test(test_nul_and_bom), cmocka_unit_test(test_key_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
