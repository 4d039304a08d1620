/* test_util.c - the checked parsers and string helpers everything else stands on. */
#include "cm.h"

static void test_parse_ll(void **state)
{
	long long v;
	const char *why;

	(void)state;
	assert_int_equal(parse_ll("42", 10, 0, 100, &v, &why), 0);
	assert_int_equal(v, 42);
	assert_int_equal(parse_ll("-1", 10, -1, 100, &v, &why), 0);
	assert_int_equal(v, -1);
	assert_int_equal(parse_ll("101", 10, 0, 100, &v, &why), -1);
	assert_string_equal(why, "too large");
	assert_int_equal(parse_ll("-2", 10, -1, 100, &v, &why), -1);
	assert_string_equal(why, "too small");
	assert_int_equal(parse_ll("-1", 10, 0, 100, &v, &why), -1);
	assert_string_equal(why, "not a number");
	const char *bad[] = { "", " 1", "+1", "1 ", "1x", "0x10", "99999999999999999999" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse_ll(bad[i], 10, 0, 100, &v, &why), -1);
	assert_int_equal(parse_ll("99999999999999999999", 10, 0, 100, &v, &why), -1);
	assert_string_equal(why, "too large");
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
	const char *bad[] = { "", "0x", "123", "12345", "19g5", "0x123", " 19e5", "19e5 ", "-001" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse_hex16(bad[i], &v), -1);
}

static void test_parse_bool(void **state)
{
	bool b = false;

	(void)state;
	assert_int_equal(parse_bool("true", &b), 0);
	assert_true(b);
	assert_int_equal(parse_bool("off", &b), 0);
	assert_false(b);
	assert_int_equal(parse_bool("TRUE", &b), -1);
	assert_int_equal(parse_bool("", &b), -1);
	assert_int_equal(parse_bool("2", &b), -1);
}

static void test_parse_pci_addr(void **state)
{
	char a[PCI_ADDR_LEN];

	(void)state;
	assert_int_equal(parse_pci_addr("0000:3B:00.0", a), 0);
	assert_string_equal(a, "0000:3b:00.0");
	assert_int_equal(parse_pci_addr("00:1f.2", a), 0);
	assert_string_equal(a, "0000:00:1f.2");
	assert_int_equal(parse_pci_addr("10000:00:1f.2", a), -1);
	assert_int_equal(parse_pci_addr("0000:00:20.0", a), -1); /* device > 0x1f */
	assert_int_equal(parse_pci_addr("0000:00:1f.8", a), -1); /* function > 7 */
	assert_int_equal(parse_pci_addr("0000-00:1f.2", a), -1);
	assert_int_equal(parse_pci_addr("0000:00:1f.2 ", a), -1);
	assert_int_equal(parse_pci_addr("", a), -1);
}

static void test_strings(void **state)
{
	char buf[8], b[128];

	(void)state;
	assert_true(str_only("abc", "abc", 3));
	assert_false(str_only("abcd", "abcd", 3));
	assert_false(str_only("", "abc", 3));
	assert_false(str_only("abx", "abc", 3));
	assert_int_equal(xsnprintf(buf, sizeof(buf), "%s", "1234567"), 7);
	assert_int_equal(xsnprintf(buf, sizeof(buf), "%s", "12345678"), -1);
	assert_string_equal(shown("a\"b\n", b), "a\\x22b\\x0a");
	shown("0123456789012345678901234567890123456789012345", b);
	assert_string_equal(b, "0123456789012345678901234567890123456789...");
}

static void test_sbuf(void **state)
{
	struct sbuf s = { 0 };

	(void)state;
	for (int i = 0; i < 2000; i++)
		sbuf_printf(&s, "%04d,", i);
	assert_false(s.oom);
	assert_int_equal(s.len, 10000);
	assert_int_equal(strncmp(s.p + 9995, "1999,", 5), 0);
	assert_int_equal(s.p[s.len], '\0');
	sbuf_free(&s);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ll),     cmocka_unit_test(test_parse_hex16),
		cmocka_unit_test(test_parse_bool),   cmocka_unit_test(test_parse_pci_addr),
		cmocka_unit_test(test_strings),      cmocka_unit_test(test_sbuf),
		cmocka_unit_test(test_fail_keeps_first),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
