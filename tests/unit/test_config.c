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

static void test_all_defaults(void **state)
{
	struct host_config c;

	(void)state;
	memset(&c, 0x5a, sizeof(c));
	config_defaults(&c);
	assert_string_equal(c.file, "");
	assert_string_equal(c.sysfs_root, "/sys");
	assert_string_equal(c.dev_root, "/dev");
	assert_string_equal(c.models_dir, "/etc/pcipass/models.d");
	assert_string_equal(c.inventory, "/var/lib/pcipass/inventory.ini");
	assert_string_equal(c.state_dir, "/run/pcipass");
	assert_string_equal(c.qemu, "/usr/bin/qemu-system-x86_64");
	assert_string_equal(c.pci_ids, "");
	assert_string_equal(c.vfio_driver, "vfio-pci");
	assert_string_equal(c.run_as, "pcipass");
	assert_false(c.disable_custom_device);
	assert_false(c.allow_root_vm);
	assert_int_equal(c.seccomp_action, SECCOMP_KILL);
	assert_int_equal(c.n_exclude, 0);
	assert_false(config_excluded(&c, "0000:00:1f.2"));
}

static void test_every_key(void **state)
{
	static const char text[] =
		"; a full pcipass.conf\n"
		"[host]\n"
		"sysfs_root  = /t/sys\n"
		"dev_root    = /t/dev        ; inline comment\n"
		"models_dir  = /t/models.d\n"
		"inventory   = /t/var/inventory.ini\n"
		"state_dir   = /t/run\n"
		"qemu        = /opt/qemu/bin/qemu-system-aarch64\n"
		"pci_ids     = /usr/share/misc/pci.ids\n"
		"vfio_driver = vfio_pci.x-2\n"
		"disable_custom_device = on\n"
		"exclude     = 0000:00:1F.2\t00:19.0,ab:1f.7\n"
		"run_as      = qemu-user_1\n"
		"allow_root_vm = 1\n"
		"seccomp_action = errno\n";
	struct host_config c;
	struct perr e;

	(void)state;
	assert_int_equal(parse(text, &c, &e), 0);
	assert_string_equal(c.file, "p.conf");
	assert_string_equal(c.sysfs_root, "/t/sys");
	assert_string_equal(c.dev_root, "/t/dev");
	assert_string_equal(c.models_dir, "/t/models.d");
	assert_string_equal(c.inventory, "/t/var/inventory.ini");
	assert_string_equal(c.state_dir, "/t/run");
	assert_string_equal(c.qemu, "/opt/qemu/bin/qemu-system-aarch64");
	assert_string_equal(c.pci_ids, "/usr/share/misc/pci.ids");
	assert_string_equal(c.vfio_driver, "vfio_pci.x-2");
	assert_true(c.disable_custom_device);
	assert_string_equal(c.run_as, "qemu-user_1");
	assert_true(c.allow_root_vm);
	assert_int_equal(c.seccomp_action, SECCOMP_ERRNO);
	assert_int_equal(c.n_exclude, 3);
	assert_string_equal(c.exclude[0], "0000:00:19.0");
	assert_string_equal(c.exclude[1], "0000:00:1f.2");
	assert_string_equal(c.exclude[2], "0000:ab:1f.7");
	assert_true(config_excluded(&c, "0000:ab:1f.7"));
	assert_false(config_excluded(&c, "0000:AB:1f.7")); /* the caller gives canonical addresses */
	assert_false(config_excluded(&c, "ab:1f.7"));

	/* each seccomp action, and parsing again starts from the defaults */
	assert_int_equal(parse("[host]\nseccomp_action = kill\n", &c, &e), 0);
	assert_int_equal(c.seccomp_action, SECCOMP_KILL);
	assert_int_equal(parse("[host]\nseccomp_action = log\n", &c, &e), 0);
	assert_int_equal(c.seccomp_action, SECCOMP_LOG);
	assert_int_equal(c.n_exclude, 0);
	assert_string_equal(c.sysfs_root, "/sys");
	/* an empty exclude excludes nothing; an empty [host] is fine */
	assert_int_equal(parse("[host]\nexclude =\n", &c, &e), 0);
	assert_int_equal(c.n_exclude, 0);
	assert_int_equal(parse("[host]\n", &c, &e), 0);
	/* false spellings */
	assert_int_equal(parse("[host]\ndisable_custom_device = no\nallow_root_vm = off\n", &c, &e), 0);
	assert_false(c.disable_custom_device);
	assert_false(c.allow_root_vm);
}

static void test_more_errors(void **state)
{
	static const struct { const char *text, *msg; } cases[] = {
		{ "[host]\nqemu =\n", "p.conf:2: qemu: expected an absolute path, got \"\"" },
		{ "[host]\nsysfs_root = sys\n", "p.conf:2: sysfs_root: expected an absolute path, got \"sys\"" },
		{ "[host]\ndev_root = ./dev\n", "p.conf:2: dev_root: expected an absolute path, got \"./dev\"" },
		{ "[host]\nmodels_dir = ~/m\n", "p.conf:2: models_dir: expected an absolute path, got \"~/m\"" },
		{ "[host]\ninventory = i.ini\n", "p.conf:2: inventory: expected an absolute path, got \"i.ini\"" },
		{ "[host]\nqemu = qemu-system-x86_64\n", "p.conf:2: qemu: expected an absolute path, got \"qemu-system-x86_64\"" },
		{ "[host]\npci_ids = pci.ids\n", "p.conf:2: pci_ids: expected an absolute path, got \"pci.ids\"" },
		{ "[host]\ndisable_custom_device = True\n", "p.conf:2: disable_custom_device: expected true or false, got \"True\"" },
		{ "[host]\nseccomp_action = KILL\n", "p.conf:2: seccomp_action: expected kill, errno or log, got \"KILL\"" },
		{ "[host]\nseccomp_action =\n", "p.conf:2: seccomp_action: expected kill, errno or log, got \"\"" },
		{ "[host]\nvfio_driver = vfio pci\n", "p.conf:2: vfio_driver: expected 1-63 characters of A-Z a-z 0-9 . _ -, got \"vfio pci\"" },
		{ "[host]\nrun_as = abcdefghijklmnopqrstuvwxyz0123456\n",
		  "p.conf:2: run_as: expected 1-32 characters of A-Z a-z 0-9 . _ -, got \"abcdefghijklmnopqrstuvwxyz0123456\"" },
		{ "[host]\nexclude = 0000:00:20.0\n", "p.conf:2: exclude: expected PCI addresses like 0000:00:1f.2, got \"0000:00:20.0\"" },
		{ "[host]\nexclude = 0000:00:1f.8\n", "p.conf:2: exclude: expected PCI addresses like 0000:00:1f.2, got \"0000:00:1f.8\"" },
		{ "[host]\nexclude = all\n", "p.conf:2: exclude: expected PCI addresses like 0000:00:1f.2, got \"all\"" },
		{ "[Host]\n", "p.conf:1: unknown section [Host], expected [host]" },
		{ "[host]\n[vm]\n", "p.conf:2: unknown section [vm], expected [host]" },
		{ "[host]\nQemu = /x\n", "p.conf:2: unknown key \"Qemu\" in [host]" },
		{ "\n; c\nexclude = 00:1f.2\n[host]\n", "p.conf:3: exclude: key outside a section, expected [host] first" },
		{ "[host]\nrun_as = a\nrun_as = b\n", "p.conf:3: run_as: given twice in [host]" },
		{ "[host]\nallow_root_vm = true\nallow_root_vm = false\n", "p.conf:3: allow_root_vm: given twice in [host]" },
		/* the reader's own errors are a bad host config too */
		{ "[host]\njunk\n", "p.conf:2: expected `key = value`, `[section]` or a comment" },
		{ "[host\n", "p.conf:1: expected `[section]`, found no ']'" },
		{ "[host]\nqemu = /x\x1b\n", "p.conf:2: control character \\x1b in line" },
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

static void test_long_lines_and_exclude_max(void **state)
{
	char text[8192], line[300];
	size_t o = 0;
	struct host_config c;
	struct perr e;

	(void)state;
	/* a path on a line over the reader's limit: refused, never cut to a shorter path */
	snprintf(text, sizeof(text), "[host]\nqemu = /%0*d\n", 190, 0);
	assert_int_equal(parse(text, &c, &e), -1);
	assert_int_equal(e.code, EX_CONFIG);
	assert_string_equal(e.msg, "p.conf:2: line longer than 197 bytes");

	/* exclude may be repeated up to EXCLUDE_MAX addresses in all */
	o += (size_t)snprintf(text + o, sizeof(text) - o, "[host]\n");
	for (unsigned i = 0; i < EXCLUDE_MAX; i += 8) {
		size_t l = (size_t)snprintf(line, sizeof(line), "exclude =");
		for (unsigned j = i; j < i + 8; j++)
			l += (size_t)snprintf(line + l, sizeof(line) - l, " 0000:%02x:%02x.%x", 255 - j / 32, j % 32, j % 8);
		o += (size_t)snprintf(text + o, sizeof(text) - o, "%s\n", line);
	}
	assert_true(o < sizeof(text) - 100);
	assert_int_equal(parse(text, &c, &e), 0);
	assert_int_equal(c.n_exclude, EXCLUDE_MAX);
	for (size_t i = 1; i < c.n_exclude; i++)
		assert_true(strcmp(c.exclude[i - 1], c.exclude[i]) < 0); /* sorted */
	assert_true(config_excluded(&c, "0000:ff:00.0"));
	assert_true(config_excluded(&c, "0000:f8:1f.7"));
	assert_false(config_excluded(&c, "0000:f7:1f.7"));
	snprintf(text + o, sizeof(text) - o, "exclude = 0000:00:00.0\n");
	assert_int_equal(parse(text, &c, &e), -1);
	assert_int_equal(e.code, EX_CONFIG);
	snprintf(line, sizeof(line), "p.conf:%u: exclude: more than %d addresses", 2 + EXCLUDE_MAX / 8, EXCLUDE_MAX);
	assert_string_equal(e.msg, line);
}

static void test_load_more(void **state)
{
	char dir[256], path[512], want[1024];
	struct host_config c;
	struct perr e = { 0 };

	(void)state;
	scratch(dir);
	snprintf(path, sizeof(path), "%s/pcipass.conf", dir);

	/* the default path, when present, is read and checked like any other */
	put_file(dir, "pcipass.conf", "[host]\nstate_dir = /t/run\n", 0600);
	assert_int_equal(config_load(path, false, &c, &e), 0);
	assert_string_equal(c.state_dir, "/t/run");
	assert_string_equal(c.file, path);
	put_file(dir, "pcipass.conf", "[host]\nstate_dir = t/run\n", 0600);
	assert_int_equal(config_load(path, false, &c, &e), -1);
	assert_int_equal(e.code, EX_CONFIG);
	snprintf(want, sizeof(want), "%s:2: state_dir: expected an absolute path, got \"t/run\"", path);
	assert_string_equal(e.msg, want);

	/* syntax errors of the reader become EX_CONFIG too */
	put_file(dir, "pcipass.conf", "[host]\nnonsense\n", 0600);
	memset(&e, 0, sizeof(e));
	assert_int_equal(config_load(path, true, &c, &e), -1);
	assert_int_equal(e.code, EX_CONFIG);
	snprintf(want, sizeof(want), "%s:2: expected `key = value`, `[section]` or a comment", path);
	assert_string_equal(e.msg, want);

	/* group-writable file */
	put_file(dir, "pcipass.conf", "[host]\n", 0660);
	memset(&e, 0, sizeof(e));
	assert_int_equal(config_load(path, true, &c, &e), -1);
	assert_int_equal(e.code, EX_CONFIG);
	snprintf(want, sizeof(want), "%s: refusing it: writable by group or others (mode 0660)", path);
	assert_string_equal(e.msg, want);
	/* ...also when it is at the default path */
	memset(&e, 0, sizeof(e));
	assert_int_equal(config_load(path, false, &c, &e), -1);
	assert_int_equal(e.code, EX_CONFIG);

	/* world-writable directory, even sticky */
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(chmod(dir, 01777), 0);
	memset(&e, 0, sizeof(e));
	assert_int_equal(config_load(path, true, &c, &e), -1);
	assert_int_equal(e.code, EX_CONFIG);
	snprintf(want, sizeof(want), "%s: refusing it: writable by group or others (mode 1777)", dir);
	assert_string_equal(e.msg, want);
	assert_int_equal(chmod(dir, 0700), 0);
	memset(&e, 0, sizeof(e));
	assert_int_equal(config_load(path, true, &c, &e), 0);
	assert_int_equal(chmod(dir, 0755), 0);

	/* a directory where the file should be */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkdir(path, 0755), 0);
	memset(&e, 0, sizeof(e));
	assert_int_equal(config_load(path, true, &c, &e), -1);
	assert_int_equal(e.code, EX_CONFIG);
	snprintf(want, sizeof(want), "%s: not a regular file", path);
	assert_string_equal(e.msg, want);
	assert_int_equal(rmdir(path), 0);

	/* a FIFO: refused without hanging, as a bad host config */
	assert_int_equal(mkfifo(path, 0600), 0);
	memset(&e, 0, sizeof(e));
	assert_int_equal(config_load(path, false, &c, &e), -1);
	assert_int_equal(e.code, EX_CONFIG);
	assert_int_equal(unlink(path), 0);

	/* a missing explicit file names the path */
	memset(&e, 0, sizeof(e));
	assert_int_equal(config_load(path, true, &c, &e), -1);
	assert_int_equal(e.code, EX_NOINPUT);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	assert_string_equal(e.msg, want);
	/* a missing default file leaves every default in place */
	memset(&e, 0, sizeof(e));
	memset(&c, 0x5a, sizeof(c));
	assert_int_equal(config_load(path, false, &c, &e), 0);
	assert_int_equal(e.code, 0);
	assert_string_equal(c.file, "");
	assert_string_equal(c.qemu, "/usr/bin/qemu-system-x86_64");
	assert_int_equal(c.n_exclude, 0);

	if (geteuid() == 0) {
		/* a directory owned by someone else */
		put_file(dir, "pcipass.conf", "[host]\n", 0644);
		assert_int_equal(chown(dir, 1234, 1234), 0);
		memset(&e, 0, sizeof(e));
		assert_int_equal(config_load(path, true, &c, &e), -1);
		assert_int_equal(e.code, EX_CONFIG);
		snprintf(want, sizeof(want), "%s: refusing it: owned by uid 1234, expected root", dir);
		assert_string_equal(e.msg, want);
		assert_int_equal(chown(dir, 0, 0), 0);
		/* the group does not matter, only its write bit */
		assert_int_equal(chown(path, 0, 1234), 0);
		memset(&e, 0, sizeof(e));
		assert_int_equal(config_load(path, true, &c, &e), 0);
	} else {
		print_message("SKIP directory owner check: needs root\n");
	}
	rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_keys),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_all_defaults),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_more_errors),
		cmocka_unit_test(test_long_lines_and_exclude_max),
		cmocka_unit_test(test_load_more),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
