/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_util.c - the checked parsers and string helpers everything else stands on. */
#include <errno.h>
#include <limits.h>

#include "cm.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_parse_ll(void **state)
{
	long long v;
	const char *why;

	(void)state;
	assert_int_equal(parse_ll("42", 10, 0, 100, &v, &why), 0);
	assert_int_equal(v, 42);
	assert_null(why);
	assert_int_equal(parse_ll("-1", 10, -1, 100, &v, &why), 0);
	assert_int_equal(v, -1);
	assert_int_equal(parse_ll("101", 10, 0, 100, &v, &why), -1);
	assert_string_equal(why, "too large");
	assert_int_equal(parse_ll("-2", 10, -1, 100, &v, &why), -1);
	assert_string_equal(why, "too small");
	assert_int_equal(parse_ll("-1", 10, 0, 100, &v, &why), -1);
	assert_string_equal(why, "not a number");
	const char *bad[] = { "", " 1", "+1", "1 ", "1x", "0x10", "\t1", "1\n", "--1", "-", "- 1" };
	for (size_t i = 0; i < N(bad); i++) {
		v = 12345;
		why = NULL;
		assert_int_equal(parse_ll(bad[i], 10, -5, 100, &v, &why), -1);
		assert_string_equal(why, "not a number");
		assert_int_equal(v, 12345); /* *out untouched on failure */
	}
	assert_int_equal(parse_ll(NULL, 10, 0, 100, &v, &why), -1);
	assert_string_equal(why, "not a number");
}

static void test_parse_ll_bounds(void **state)
{
	long long v;
	const char *why;

	(void)state;
	/* the bounds themselves are in range */
	assert_int_equal(parse_ll("0", 10, 0, 0, &v, &why), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse_ll("100", 10, 0, 100, &v, &why), 0);
	assert_int_equal(parse_ll("-5", 10, -5, 5, &v, &why), 0);
	assert_int_equal(v, -5);
	assert_int_equal(parse_ll("9223372036854775807", 10, 0, LLONG_MAX, &v, &why), 0);
	assert_true(v == LLONG_MAX);
	assert_int_equal(parse_ll("-9223372036854775808", 10, LLONG_MIN, 0, &v, &why), 0);
	assert_true(v == LLONG_MIN);
	/* overflow is reported by direction, not as junk */
	assert_int_equal(parse_ll("99999999999999999999", 10, 0, 100, &v, &why), -1);
	assert_string_equal(why, "too large");
	assert_int_equal(parse_ll("9223372036854775808", 10, 0, LLONG_MAX, &v, &why), -1);
	assert_string_equal(why, "too large");
	assert_int_equal(parse_ll("-99999999999999999999", 10, -1, 100, &v, &why), -1);
	assert_string_equal(why, "too small");
	/* a negative number where none is allowed is not a number, not "too small" */
	assert_int_equal(parse_ll("-0", 10, 0, 100, &v, &why), -1);
	assert_string_equal(why, "not a number");
	/* leading zeros are still decimal */
	assert_int_equal(parse_ll("010", 10, 0, 100, &v, &why), 0);
	assert_int_equal(v, 10);
	/* other bases */
	assert_int_equal(parse_ll("ff", 16, 0, 255, &v, &why), 0);
	assert_int_equal(v, 255);
	assert_int_equal(parse_ll("100", 16, 0, 255, &v, &why), -1);
	assert_string_equal(why, "too large");
	assert_int_equal(parse_ll("fg", 16, 0, 255, &v, &why), -1);
	assert_string_equal(why, "not a number");
	assert_int_equal(parse_ll("8", 8, 0, 255, &v, &why), -1);
}

static void test_parse_hex16(void **state)
{
	unsigned v;

	(void)state;
	assert_int_equal(parse_hex16("19e5", &v), 0);
	assert_int_equal(v, 0x19e5);
	assert_int_equal(parse_hex16("0xD801", &v), 0);
	assert_int_equal(v, 0xd801);
	assert_int_equal(parse_hex16("0X00ff", &v), 0);
	assert_int_equal(v, 0xff);
	assert_int_equal(parse_hex16("0000", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse_hex16("FFFF", &v), 0);
	assert_int_equal(v, 0xffff);
	assert_int_equal(parse_hex16("aBcD", &v), 0);
	assert_int_equal(v, 0xabcd);
	const char *bad[] = { "", "0x", "0X", "123", "12345", "19g5", "0x123", "0x12345", " 19e5",
			      "19e5 ", "-001", "+001", "x19e5", "0x 19e", "00x19e5", "19e5\n", "1 e5" };
	for (size_t i = 0; i < N(bad); i++) {
		v = 0x4242;
		if (parse_hex16(bad[i], &v) != -1)
			fail_msg("parse_hex16 accepted \"%s\"", bad[i]);
		assert_int_equal(v, 0x4242);
	}
}

static void test_parse_bool(void **state)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	static const char *const bad[] = { "TRUE", "True", "", "2", "y", "n", " true", "true ",
					   "enabled", "01", "truex" };
	bool b;

	(void)state;
	for (size_t i = 0; i < N(yes); i++) {
		b = false;
		assert_int_equal(parse_bool(yes[i], &b), 0);
		assert_true(b);
	}
	for (size_t i = 0; i < N(no); i++) {
		b = true;
		assert_int_equal(parse_bool(no[i], &b), 0);
		assert_false(b);
	}
	for (size_t i = 0; i < N(bad); i++) {
		b = true;
		if (parse_bool(bad[i], &b) != -1)
			fail_msg("parse_bool accepted \"%s\"", bad[i]);
		assert_true(b); /* untouched */
	}
}

static void test_parse_pci_addr(void **state)
{
	static const struct { const char *in, *out; } good[] = {
		{ "0000:3B:00.0", "0000:3b:00.0" }, { "00:1f.2", "0000:00:1f.2" },
		{ "3b:00.0", "0000:3b:00.0" },      { "FFFF:FF:1F.7", "ffff:ff:1f.7" },
		{ "0001:00:00.0", "0001:00:00.0" }, { "aF:1e.6", "0000:af:1e.6" },
		/* Intel VMD's domains, as lspci and sysfs print them; leading zeros go */
		{ "10000:e1:00.0", "10000:e1:00.0" }, { "1FFFF:00:1f.7", "1ffff:00:1f.7" },
		{ "ffffffff:ff:1f.7", "ffffffff:ff:1f.7" }, { "00010000:e1:00.0", "10000:e1:00.0" },
		{ "00000:3b:00.0", "0000:3b:00.0" },
	};
	static const char *const bad[] = {
		"100000000:00:1f.2", "0000:00:20.0", "-1000:00:1f.2", "1 000:00:1f.2", "1000g:00:1f.2", "00:20.0", "0000:00:1f.8", "00:1f.8", "0000:00:ff.0",
		"0000-00:1f.2", "0000:00:1f.2 ", " 0000:00:1f.2", "", "0:00:1f.2", "000:00:1f.2",
		"0000:0:01f.2", "0000:00:1f:2", "0000:00.1f.2", "00:1f", "001f.2", "0000:g0:00.0",
		"0000:00:1f.", "0000:00:1f.22", "00:1f.2\n", "0x00:1f.2", "+000:00:1f.2",
	};
	char a[PCI_ADDR_LEN];

	(void)state;
	for (size_t i = 0; i < N(good); i++) {
		memset(a, 'X', sizeof(a));
		assert_int_equal(parse_pci_addr(good[i].in, a), 0);
		assert_string_equal(a, good[i].out);
		/* canonical output parses back to itself */
		char b[PCI_ADDR_LEN];
		assert_int_equal(parse_pci_addr(a, b), 0);
		assert_string_equal(a, b);
	}
	for (size_t i = 0; i < N(bad); i++) {
		strcpy(a, "untouched");
		if (parse_pci_addr(bad[i], a) != -1)
			fail_msg("parse_pci_addr accepted \"%s\" as %s", bad[i], a);
		assert_string_equal(a, "untouched");
	}
}

/* lspci's order: numeric, not by text */
static void test_pci_addr_cmp(void **state)
{
	static const char *const sorted[] = {
		"0000:00:00.0", "0000:00:1f.7", "0000:3b:00.0", "0001:00:00.0", "ffff:ff:1f.7",
		"10000:00:00.0", "10000:e1:00.0", "1ffff:00:00.0", "ffffffff:00:00.0",
	};

	(void)state;
	for (size_t i = 0; i < N(sorted); i++)
		for (size_t j = 0; j < N(sorted); j++) {
			int c = pci_addr_cmp(sorted[i], sorted[j]);
			if ((i < j && c >= 0) || (i == j && c != 0) || (i > j && c <= 0))
				fail_msg("pci_addr_cmp(%s, %s) = %d", sorted[i], sorted[j], c);
		}
	assert_true(pci_addr_domain16("ffff:ff:1f.7"));
	assert_false(pci_addr_domain16("10000:e1:00.0"));
}

static void test_str_only(void **state)
{
	(void)state;
	assert_true(str_only("abc", "abc", 3));
	assert_true(str_only("a", "abc", 1));
	assert_true(str_only("cab", "abc", 100));
	assert_false(str_only("abcd", "abcd", 3)); /* over max */
	assert_false(str_only("", "abc", 3));      /* empty */
	assert_false(str_only("abx", "abc", 3));
	assert_false(str_only("xab", "abc", 3));
	assert_false(str_only("a\tb", "ab", 3));
	assert_false(str_only("\xc3\xa9", "abc", 3));
}

static void test_xsnprintf(void **state)
{
	char buf[8];

	(void)state;
	assert_int_equal(xsnprintf(buf, sizeof(buf), "%s", "1234567"), 7);
	assert_string_equal(buf, "1234567");
	errno = 0;
	assert_int_equal(xsnprintf(buf, sizeof(buf), "%s", "12345678"), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	assert_int_equal(xsnprintf(buf, sizeof(buf), "%d-%d", 12, 34), 5);
	assert_string_equal(buf, "12-34");
	assert_int_equal(xsnprintf(buf, sizeof(buf), "%s", ""), 0);
	assert_string_equal(buf, "");
	assert_int_equal(xsnprintf(buf, 1, "%s", "x"), -1);
}

static void test_shown(void **state)
{
	char b[128], in[200];

	(void)state;
	assert_string_equal(shown("plain text", b), "plain text");
	assert_string_equal(shown("", b), "");
	assert_string_equal(shown("a\"b\n", b), "a\\x22b\\x0a");
	assert_string_equal(shown("back\\slash", b), "back\\x5cslash");
	assert_string_equal(shown("\x01\x1f\x7f\x80\xff", b), "\\x01\\x1f\\x7f\\x80\\xff");
	assert_string_equal(shown("tab\there", b), "tab\\x09here");
	/* cut at 40 bytes of output */
	shown("0123456789012345678901234567890123456789012345", b);
	assert_string_equal(b, "0123456789012345678901234567890123456789...");
	/* exactly 40 is not cut */
	shown("0123456789012345678901234567890123456789", b);
	assert_string_equal(b, "0123456789012345678901234567890123456789");
	/* 41 is */
	shown("01234567890123456789012345678901234567890", b);
	assert_string_equal(b, "0123456789012345678901234567890123456789...");
	/* escapes count towards the cut, and the result always fits */
	memset(in, '\x01', sizeof(in) - 1);
	in[sizeof(in) - 1] = '\0';
	shown(in, b);
	assert_true(strlen(b) < 128);
	assert_string_equal(b, "\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01...");
	memset(in, 'a', sizeof(in) - 1);
	shown(in, b);
	assert_int_equal(strlen(b), 43);
	/* the returned pointer is the buffer */
	assert_ptr_equal(shown("x", b), b);
}

static void test_sbuf(void **state)
{
	struct sbuf s = { 0 };
	char big[10000];

	(void)state;
	for (int i = 0; i < 2000; i++)
		sbuf_printf(&s, "%04d,", i);
	assert_false(s.oom);
	assert_int_equal(s.len, 10000);
	assert_true(s.cap > s.len);
	assert_int_equal(strncmp(s.p, "0000,0001,", 10), 0);
	assert_int_equal(strncmp(s.p + 9995, "1999,", 5), 0);
	assert_int_equal(s.p[s.len], '\0');
	assert_int_equal(strlen(s.p), s.len);
	sbuf_free(&s);
	assert_null(s.p);
	assert_int_equal(s.len, 0);
	assert_int_equal(s.cap, 0);

	/* one piece bigger than the first allocation */
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	sbuf_printf(&s, "<%s>", big);
	assert_false(s.oom);
	assert_int_equal(s.len, sizeof(big) + 1);
	assert_int_equal(s.p[0], '<');
	assert_int_equal(s.p[s.len - 1], '>');
	sbuf_printf(&s, "%s", "");
	assert_int_equal(s.len, sizeof(big) + 1);
	sbuf_free(&s);

	/* an empty printf still gives a string */
	sbuf_printf(&s, "%s", "");
	assert_non_null(s.p);
	assert_string_equal(s.p, "");
	sbuf_free(&s);

	/* oom sticks: nothing more is added */
	s.oom = true;
	sbuf_printf(&s, "x");
	assert_null(s.p);
	assert_int_equal(s.len, 0);
	sbuf_free(&s);
	assert_false(s.oom);
}

static void test_fail_keeps_first(void **state)
{
	struct perr e = { 0 };

	(void)state;
	assert_int_equal(fail(&e, EX_DATAERR, "first %d", 1), -1);
	assert_int_equal(fail(&e, EX_OSERR, "second"), -1);
	assert_int_equal(e.code, EX_DATAERR);
	assert_string_equal(e.msg, "first 1");
}

static void test_fail_errno(void **state)
{
	struct perr e = { 0 };
	char longmsg[2000];

	(void)state;
	errno = ENOENT;
	assert_int_equal(fail_errno(&e, EX_NOINPUT, "%s", "/x/y"), -1);
	assert_int_equal(e.code, EX_NOINPUT);
	assert_string_equal(e.msg, "/x/y: No such file or directory");
	assert_int_equal(errno, ENOENT); /* kept for the caller */
	/* a message longer than the buffer is cut, never overflows */
	memset(&e, 0, sizeof(e));
	memset(longmsg, 'm', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';
	errno = EACCES;
	assert_int_equal(fail_errno(&e, EX_NOPERM, "%s", longmsg), -1);
	assert_int_equal(strlen(e.msg), sizeof(e.msg) - 1);
	memset(&e, 0, sizeof(e));
	assert_int_equal(fail(&e, EX_USAGE, "%s", longmsg), -1);
	assert_int_equal(strlen(e.msg), sizeof(e.msg) - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ll),     cmocka_unit_test(test_parse_ll_bounds),
		cmocka_unit_test(test_parse_hex16),  cmocka_unit_test(test_parse_bool),
		cmocka_unit_test(test_parse_pci_addr), cmocka_unit_test(test_pci_addr_cmp), cmocka_unit_test(test_str_only),
		cmocka_unit_test(test_xsnprintf),    cmocka_unit_test(test_shown),
		cmocka_unit_test(test_sbuf),         cmocka_unit_test(test_fail_keeps_first),
		cmocka_unit_test(test_fail_errno),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
