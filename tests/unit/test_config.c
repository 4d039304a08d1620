/* test_config.c - pcipass.conf: defaults, every key, every error, and the trust checks. */
#include "cm.h"
#include "config.h"

static int parse(const char *text, struct host_config *c, struct perr *e)
{
	memset(e, 0, sizeof(*e));
	return config_parse(text, strlen(text), "p.conf", c, e);
}

static void test_defaults_and_keys(void **state)
{
	struct host_config c;
	struct perr e;

	(void)state;
	assert_int_equal(parse("", &c, &e), 0);
	assert_string_equal(c.sysfs_root, "/sys");
	assert_string_equal(c.inventory, "/var/lib/pcipass/inventory.ini");
	assert_string_equal(c.qemu, "/usr/bin/qemu-system-x86_64");
	assert_string_equal(c.run_as, "pcipass");
	assert_false(c.disable_custom_device);
	assert_false(c.allow_root_vm);
	assert_int_equal(c.seccomp_action, SECCOMP_KILL);
	assert_int_equal(parse("[host]\nsysfs_root = /t/sys\ndisable_custom_device = yes\nseccomp_action = log\n"
			       "exclude = 00:1f.2, 0000:00:19.0\nexclude = 0000:3B:00.0\nrun_as = vmuser\n",
			       &c, &e), 0);
	assert_string_equal(c.sysfs_root, "/t/sys");
	assert_true(c.disable_custom_device);
	assert_int_equal(c.seccomp_action, SECCOMP_LOG);
	assert_int_equal(c.n_exclude, 3);
	assert_string_equal(c.exclude[0], "0000:00:19.0"); /* sorted, canonical */
	assert_true(config_excluded(&c, "0000:00:1f.2"));
	assert_true(config_excluded(&c, "0000:3b:00.0"));
	assert_false(config_excluded(&c, "0000:3b:00.1"));
}

static void test_errors(void **state)
{
	static const struct { const char *text, *msg; } cases[] = {
		{ "[host]\nsysfs = /sys\n", "p.conf:2: unknown key \"sysfs\" in [host]" },
		{ "[hots]\n", "p.conf:1: unknown section [hots], expected [host]" },
		{ "[host]\n[host]\n", "p.conf:2: section [host] given twice" },
		{ "qemu = /bin/true\n", "p.conf:1: qemu: key outside a section, expected [host] first" },
		{ "[host]\nstate_dir = run/pcipass\n", "p.conf:2: state_dir: expected an absolute path, got \"run/pcipass\"" },
		{ "[host]\nallow_root_vm = maybe\n", "p.conf:2: allow_root_vm: expected true or false, got \"maybe\"" },
		{ "[host]\nseccomp_action = trap\n", "p.conf:2: seccomp_action: expected kill, errno or log, got \"trap\"" },
		{ "[host]\nexclude = 0000:00:1f.2 00:1g.0\n", "p.conf:2: exclude: expected PCI addresses like 0000:00:1f.2, got \"00:1g.0\"" },
		{ "[host]\nrun_as = a b\n", "p.conf:2: run_as: expected 1-32 characters of A-Z a-z 0-9 . _ -, got \"a b\"" },
		{ "[host]\nqemu = /a\nqemu = /b\n", "p.conf:3: qemu: given twice in [host]" },
	};
	struct host_config c;
	struct perr e;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(cases[i].text, &c, &e), -1);
		assert_string_equal(e.msg, cases[i].msg);
		assert_int_equal(e.code, EX_CONFIG);
	}
}

static void test_load(void **state)
{
	char dir[256], path[512], want[1024];
	struct host_config c;
	struct perr e = { 0 };

	(void)state;
	scratch(dir);
	snprintf(path, sizeof(path), "%s/pcipass.conf", dir);
	assert_int_equal(config_load(path, false, &c, &e), 0); /* default path may be absent */
	assert_string_equal(c.sysfs_root, "/sys");
	assert_int_equal(config_load(path, true, &c, &e), -1); /* a named one may not */
	assert_int_equal(e.code, EX_NOINPUT);

	put_file(dir, "pcipass.conf", "[host]\nsysfs_root = /x\n", 0644);
	memset(&e, 0, sizeof(e));
	assert_int_equal(config_load(path, true, &c, &e), 0);
	assert_string_equal(c.sysfs_root, "/x");
	assert_string_equal(c.file, path);

	assert_int_equal(chmod(path, 0646), 0);
	assert_int_equal(config_load(path, true, &c, &e), -1);
	assert_int_equal(e.code, EX_CONFIG);
	snprintf(want, sizeof(want), "%s: refusing it: writable by group or others (mode 0646)", path);
	assert_string_equal(e.msg, want);

	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(chmod(dir, 0775), 0);
	memset(&e, 0, sizeof(e));
	assert_int_equal(config_load(path, true, &c, &e), -1);
	snprintf(want, sizeof(want), "%s: refusing it: writable by group or others (mode 0775)", dir);
	assert_string_equal(e.msg, want);
	assert_int_equal(chmod(dir, 0755), 0);

	if (geteuid() == 0) { /* only root can give a file away */
		assert_int_equal(chown(path, 1234, 0), 0);
		memset(&e, 0, sizeof(e));
		assert_int_equal(config_load(path, true, &c, &e), -1);
		snprintf(want, sizeof(want), "%s: refusing it: owned by uid 1234, expected root", path);
		assert_string_equal(e.msg, want);
	} else {
		print_message("SKIP owner check: needs root\n");
	}
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkfifo(path, 0600), 0); /* must not hang */
	memset(&e, 0, sizeof(e));
	assert_int_equal(config_load(path, true, &c, &e), -1);
	snprintf(want, sizeof(want), "%s: not a regular file", path);
	assert_string_equal(e.msg, want);

	unlink(path);
	put_file(dir, "pcipass.conf", "[host]\nqemu = /usr/bin/qemu\n[other]\n", 0644);
	memset(&e, 0, sizeof(e));
	assert_int_equal(config_load(path, true, &c, &e), -1);
	assert_int_equal(e.code, EX_CONFIG);
	rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_keys),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
