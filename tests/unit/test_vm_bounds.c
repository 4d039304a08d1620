/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_vm_bounds.c - item 18 of issue 9: vm.ini's values are copied into fixed fields bounded
 * by the fields themselves, not by the line length of whatever libinih the system has.
 *
 * Debian's inih hands our reader 200-byte buffers, so no vm.ini line can carry a value longer
 * than ~190 bytes there. This program stands in for an inih built with a larger INI_MAX_LINE:
 * it defines ini_parse_stream itself, which takes precedence over the shared library's, and
 * gives the reader 4096-byte lines. A value longer than its field must then be an error naming
 * file:line, never an overflow (run under ASan, `make asan`, an overflow would also abort). */
#include "cm.h"
#include <ini.h>
#include "vmconf.h"

/* Just enough of inih for the lines our reader hands on: the reader has already checked each
 * line and taken its key; here only the value is cut out. */
int ini_parse_stream(ini_reader reader, void *stream, ini_handler handler, void *user)
{
	char line[4096], *eq, *v, *end;
	int n = 0;

	while (reader(line, (int)sizeof(line), stream)) {
		n++;
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '[' || line[0] == ';' || line[0] == '#' || (eq = strchr(line, '=')) == NULL)
			continue;
		for (v = eq + 1; *v == ' '; v++)
			;
		for (end = v + strlen(v); end > v && end[-1] == ' ';)
			*--end = '\0';
		*eq = '\0';
		if (!handler(user, "", line, v))
			return n;
	}
	return 0;
}

static int vm(const char *text, struct vm_config *v, struct perr *e)
{
	static struct host_config host;

	memset(e, 0, sizeof(*e));
	config_defaults(&host);
	return vm_parse(text, strlen(text), "vm.ini", &host, v, e);
}

/* "[vm] name, memory", `before`, a value of len bytes (`prefix`, then x's), `after` */
static int vm_with(const char *before, const char *prefix, size_t len, const char *after,
		   struct vm_config *v, struct perr *e)
{
	static char value[4000], text[8192];

	assert_true(len < sizeof(value) && strlen(prefix) <= len);
	memset(value, 'x', len);
	memcpy(value, prefix, strlen(prefix));
	value[len] = '\0';
	snprintf(text, sizeof(text), "[vm]\nname = a\nmemory = 1G\n%s%s%s", before, value, after);
	return vm(text, v, e);
}

static void test_long_values(void **state)
{
	static const char img[] = "/var/lib/pcipass/images/";
	static const struct { const char *before, *prefix, *after, *msg; } cases[] = {
		{ "[boot]\nkernel = /var/lib/pcipass/images/k\nappend = ", "", "\n", "vm.ini:6: append: longer than 255 characters" },
		{ "[boot]\nkernel = ", img, "\n", "vm.ini:5: kernel: longer than 255 characters" },
		{ "[boot]\nkernel = /var/lib/pcipass/images/k\ninitrd = ", img, "\n", "vm.ini:6: initrd: longer than 255 characters" },
		{ "[disk]\nfile = ", img, "\nformat = raw\n", "vm.ini:5: file: longer than 255 characters" },
	};
	static struct vm_config v;
	struct perr e;

	(void)state;
	/* the stand-in reads an ordinary file as the library does */
	assert_int_equal(vm("[vm]\nname = a\nmemory = 1G\n[boot]\nkernel = /var/lib/pcipass/images/k\n"
			    "append = console=ttyS0\n", &v, &e), 0);
	assert_string_equal(v.append, "console=ttyS0");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* 255 fits the 256-byte field whole; 256 and 3000 are refused, naming the line */
		assert_int_equal(vm_with(cases[i].before, cases[i].prefix, 255, cases[i].after, &v, &e), 0);
		for (size_t len = 256; len <= 3000; len += 2744) {
			assert_int_equal(vm_with(cases[i].before, cases[i].prefix, len, cases[i].after, &v, &e), -1);
			assert_string_equal(e.msg, cases[i].msg);
			assert_int_equal(e.code, EX_DATAERR);
		}
	}
	/* a short field: its own check bounds it */
	assert_int_equal(vm("[vm]\nname = a\nmemory = 1G\n[net]\nmode = tap\nifname = tap0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz\n",
			    &v, &e), -1);
	assert_int_equal(e.code, EX_DATAERR);
	assert_non_null(strstr(e.msg, "vm.ini:6: ifname: expected an interface name of 1-15 characters"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_long_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
