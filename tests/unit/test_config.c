/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_config.c - pcipass.conf: defaults, every key, every error, and the trust checks. */
#include "cm.h"
#include "config.h"
#include "trust.h"

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
	assert_string_equal(c.run_as, "dynamic");
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
	snprintf(want, sizeof(want), "%s: refusing it: writable by group or others (mode 0775) (it holds %s)", dir, path);
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
	assert_string_equal(c.run_as, "dynamic");
	assert_int_equal(c.dynamic_first, DYNAMIC_FIRST);
	assert_int_equal(c.dynamic_last, DYNAMIC_LAST);
	assert_int_equal(c.n_vm_groups, 1);
	assert_string_equal(c.vm_groups[0], "kvm");
	assert_int_equal(c.n_allowed_users, 0);
	assert_int_equal(c.n_image_dirs, 1);
	assert_string_equal(c.image_dirs[0], "/var/lib/pcipass/images");
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

	/* world-writable directory holding it, even sticky (only ancestors above may be sticky) */
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(chmod(dir, 01777), 0);
	memset(&e, 0, sizeof(e));
	assert_int_equal(config_load(path, true, &c, &e), -1);
	assert_int_equal(e.code, EX_CONFIG);
	snprintf(want, sizeof(want), "%s: refusing it: writable by group or others (mode 1777) (it holds %s)", dir, path);
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
		snprintf(want, sizeof(want), "%s: refusing it: owned by uid 1234, expected root (it holds %s)", dir, path);
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

/* run_as, dynamic_ids, vm_groups, allowed_users, image_dirs: values, lists, defaults replaced */
static void test_isolation_keys(void **state)
{
	struct host_config c;
	struct perr e;

	(void)state;
	assert_int_equal(parse("[host]\nrun_as = pcipass\ndynamic_ids = 100000-100999\n"
			       "vm_groups = kvm, render\nvm_groups = video\nallowed_users = alice bob,carol\n"
			       "image_dirs = /srv/img/ /data\nimage_dirs = /mnt/a,b\n", &c, &e), 0);
	assert_string_equal(c.run_as, "pcipass");
	assert_int_equal(c.dynamic_first, 100000);
	assert_int_equal(c.dynamic_last, 100999);
	assert_int_equal(c.n_vm_groups, 3); /* the first line replaced the default kvm */
	assert_string_equal(c.vm_groups[0], "kvm");
	assert_string_equal(c.vm_groups[1], "render");
	assert_string_equal(c.vm_groups[2], "video");
	assert_int_equal(c.n_allowed_users, 3);
	assert_string_equal(c.allowed_users[2], "carol");
	assert_int_equal(c.n_image_dirs, 3); /* the default is replaced, a trailing / dropped */
	assert_string_equal(c.image_dirs[0], "/srv/img");
	assert_string_equal(c.image_dirs[1], "/data");
	assert_string_equal(c.image_dirs[2], "/mnt/a,b"); /* a comma is part of a path */
	/* an empty list is a list of nothing */
	assert_int_equal(parse("[host]\nvm_groups =\nimage_dirs =\nallowed_users =\n", &c, &e), 0);
	assert_int_equal(c.n_vm_groups, 0);
	assert_int_equal(c.n_image_dirs, 0);
	assert_int_equal(c.n_allowed_users, 0);
	/* the edges of dynamic_ids: right below and right above the two ids it must skip */
	assert_int_equal(parse("[host]\ndynamic_ids = 1-65533\n", &c, &e), 0);
	assert_int_equal(c.dynamic_last, 65533);
	assert_int_equal(parse("[host]\ndynamic_ids = 65536-4294967294\n", &c, &e), 0);
	assert_int_equal(c.dynamic_first, 65536);
	assert_int_equal(c.dynamic_last, 4294967294u);
	assert_int_equal(parse("[host]\ndynamic_ids = 7-7\n", &c, &e), 0);
	/* image_dirs = / is a clean path, but holds state_dir (below) */
	assert_true(config_clean_path("/"));
	assert_false(config_clean_path("/a/"));
	assert_false(config_clean_path("/a/./b"));
	assert_false(config_clean_path("/a/.."));
	assert_false(config_clean_path("a/b"));
	assert_true(config_under("/a/b", "/a"));
	assert_true(config_under("/a/b/c", "/"));
	assert_false(config_under("/ab", "/a"));
	assert_false(config_under("/a", "/a"));
	assert_false(config_under("/a/", "/a"));

	/* NAME_LIST_MAX names, IMAGE_DIRS_MAX directories; one more is an error */
	char text[2048];
	size_t o = (size_t)snprintf(text, sizeof(text), "[host]\n");
	for (int i = 0; i < NAME_LIST_MAX; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, "allowed_users = u%d\n", i);
	for (int i = 0; i < IMAGE_DIRS_MAX; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, "image_dirs = /i/%d\n", i);
	assert_int_equal(parse(text, &c, &e), 0);
	assert_int_equal(c.n_allowed_users, NAME_LIST_MAX);
	assert_int_equal(c.n_image_dirs, IMAGE_DIRS_MAX);
	snprintf(text + o, sizeof(text) - o, "image_dirs = /i/x\n");
	assert_int_equal(parse(text, &c, &e), -1);
	assert_int_equal(e.code, EX_CONFIG);
	snprintf(text + o, sizeof(text) - o, "allowed_users = x\n");
	assert_int_equal(parse(text, &c, &e), -1);
	char want[128];
	snprintf(want, sizeof(want), "p.conf:%d: allowed_users: more than %d names", 2 + NAME_LIST_MAX + IMAGE_DIRS_MAX, NAME_LIST_MAX);
	assert_string_equal(e.msg, want);
}

static void test_isolation_errors(void **state)
{
	static const struct { const char *text, *msg; } cases[] = {
		{ "[host]\ndynamic_ids = 100\n", "p.conf:2: dynamic_ids: expected FIRST-LAST, ids from 1 to 4294967294, got \"100\" (no '-')" },
		{ "[host]\ndynamic_ids = 0-10\n", "p.conf:2: dynamic_ids: expected FIRST-LAST, ids from 1 to 4294967294, got \"0-10\" (too small)" },
		{ "[host]\ndynamic_ids = 1-4294967295\n", "p.conf:2: dynamic_ids: expected FIRST-LAST, ids from 1 to 4294967294, got \"1-4294967295\" (too large)" },
		{ "[host]\ndynamic_ids = 10-\n", "p.conf:2: dynamic_ids: expected FIRST-LAST, ids from 1 to 4294967294, got \"10-\" (not a number)" },
		{ "[host]\ndynamic_ids = -5-10\n", "p.conf:2: dynamic_ids: expected FIRST-LAST, ids from 1 to 4294967294, got \"-5-10\" (not a number)" },
		{ "[host]\ndynamic_ids = 10 - 20\n", "p.conf:2: dynamic_ids: expected FIRST-LAST, ids from 1 to 4294967294, got \"10 - 20\" (not a number)" },
		{ "[host]\ndynamic_ids = 20-10\n", "p.conf:2: dynamic_ids: FIRST is above LAST in \"20-10\"" },
		{ "[host]\ndynamic_ids = 60000-70000\n", "p.conf:2: dynamic_ids: \"60000-70000\" holds 65534 or 65535 (nobody, and (uint16_t)-1): a VM must not share them" },
		{ "[host]\ndynamic_ids = 65535-65535\n", "p.conf:2: dynamic_ids: \"65535-65535\" holds 65534 or 65535 (nobody, and (uint16_t)-1): a VM must not share them" },
		{ "[host]\ndynamic_ids = 65534-65534\n", "p.conf:2: dynamic_ids: \"65534-65534\" holds 65534 or 65535 (nobody, and (uint16_t)-1): a VM must not share them" },
		{ "[host]\ndynamic_ids = 1-2\ndynamic_ids = 3-4\n", "p.conf:3: dynamic_ids: given twice in [host]" },
		{ "[host]\nrun_as = dyn amic\n", "p.conf:2: run_as: expected 1-32 characters of A-Z a-z 0-9 . _ -, got \"dyn amic\"" },
		{ "[host]\nvm_groups = kvm video!\n", "p.conf:2: vm_groups: expected group names of 1-32 characters of A-Z a-z 0-9 . _ - (not starting with -), got \"video!\"" },
		{ "[host]\nvm_groups = -kvm\n", "p.conf:2: vm_groups: expected group names of 1-32 characters of A-Z a-z 0-9 . _ - (not starting with -), got \"-kvm\"" },
		{ "[host]\nallowed_users = abcdefghijklmnopqrstuvwxyz0123456\n",
		  "p.conf:2: allowed_users: expected user names of 1-32 characters of A-Z a-z 0-9 . _ - (not starting with -), got \"abcdefghijklmnopqrstuvwxyz0123456\"" },
		{ "[host]\nallowed_users = alice dynamic\n", "p.conf:2: allowed_users: \"dynamic\" is run_as's word for an identity of its own, not a user name" },
		{ "[host]\nimage_dirs = images\n", "p.conf:2: image_dirs: expected absolute paths without . or .. parts or //, got \"images\"" },
		{ "[host]\nimage_dirs = /srv/../run\n", "p.conf:2: image_dirs: expected absolute paths without . or .. parts or //, got \"/srv/../run\"" },
		{ "[host]\nimage_dirs = /srv//img\n", "p.conf:2: image_dirs: expected absolute paths without . or .. parts or //, got \"/srv//img\"" },
		{ "[host]\nimage_dirs = /srv/.\n", "p.conf:2: image_dirs: expected absolute paths without . or .. parts or //, got \"/srv/.\"" },
		{ "[host]\nimage_dirs = /a /b /c /d /e /f /g /h /i\n", "p.conf:2: image_dirs: more than 8 directories" },
		/* an image dir may not be, hold or lie inside state_dir, whichever line comes first */
		{ "[host]\nimage_dirs = /run/pcipass\n", "p.conf:2: image_dirs: /run/pcipass is state_dir /run/pcipass: VM files and pcipass's state must not overlap" },
		{ "[host]\nimage_dirs = /srv /run/pcipass/vms\n", "p.conf:2: image_dirs: /run/pcipass/vms lies inside state_dir /run/pcipass: VM files and pcipass's state must not overlap" },
		{ "[host]\nimage_dirs = /run\n", "p.conf:2: image_dirs: /run contains state_dir /run/pcipass: VM files and pcipass's state must not overlap" },
		{ "[host]\nimage_dirs = /\n", "p.conf:2: image_dirs: / contains state_dir /run/pcipass: VM files and pcipass's state must not overlap" },
		{ "[host]\nimage_dirs = /t/img\nstate_dir = /t\n", "p.conf:2: image_dirs: /t/img lies inside state_dir /t: VM files and pcipass's state must not overlap" },
		{ "[host]\nstate_dir = /t/s/../img/x\nimage_dirs = /t/img\n", "p.conf:3: image_dirs: /t/img contains state_dir /t/s/../img/x: VM files and pcipass's state must not overlap" },
		/* with the default image dir, it is state_dir's line that is wrong */
		{ "[host]\nstate_dir = /var/lib/pcipass\n", "p.conf:2: state_dir: /var/lib/pcipass contains image dir /var/lib/pcipass/images: VM files and pcipass's state must not overlap" },
		{ "[host]\nstate_dir = /var/lib/pcipass/images/run\n", "p.conf:2: state_dir: /var/lib/pcipass/images/run lies inside image dir /var/lib/pcipass/images: VM files and pcipass's state must not overlap" },
		{ "[host]\nstate_dir = /var/lib/pcipass/images/\n", "p.conf:2: state_dir: /var/lib/pcipass/images/ is image dir /var/lib/pcipass/images: VM files and pcipass's state must not overlap" },
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

/* An alias (a symlinked parent) cannot hide an image dir inside state_dir: the resolved forms
 * are compared too, also for parts that do not exist yet. */
static void test_image_dirs_aliases(void **state)
{
	char dir[256], text[1024], want[2048];
	struct host_config c;
	struct perr e;

	(void)state;
	scratch(dir);
	snprintf(text, sizeof(text), "%s/real", dir);
	assert_int_equal(mkdir(text, 0755), 0);
	snprintf(text, sizeof(text), "%s/alias", dir);
	assert_int_equal(symlink("real", text), 0);
	/* state_dir through the alias, not made yet; the image dir through the real name */
	snprintf(text, sizeof(text), "[host]\nstate_dir = %s/alias/run\nimage_dirs = %s/real/run/images\n", dir, dir);
	assert_int_equal(parse(text, &c, &e), -1);
	assert_int_equal(e.code, EX_CONFIG);
	snprintf(want, sizeof(want),
		 "p.conf:3: image_dirs: %s/real/run/images lies inside state_dir %s/alias/run (resolved: %s/real/run/images and %s/real/run): VM files and pcipass's state must not overlap",
		 dir, dir, dir, dir);
	assert_string_equal(e.msg, want);
	/* the other way round, and with the state directory existing */
	snprintf(text, sizeof(text), "%s/real/run", dir);
	assert_int_equal(mkdir(text, 0755), 0);
	snprintf(text, sizeof(text), "[host]\nstate_dir = %s/real/run\nimage_dirs = %s/alias\n", dir, dir);
	assert_int_equal(parse(text, &c, &e), -1);
	snprintf(want, sizeof(want),
		 "p.conf:3: image_dirs: %s/alias contains state_dir %s/real/run (resolved: %s/real and %s/real/run): VM files and pcipass's state must not overlap",
		 dir, dir, dir, dir);
	assert_string_equal(e.msg, want);
	/* side by side is fine */
	snprintf(text, sizeof(text), "[host]\nstate_dir = %s/alias/run\nimage_dirs = %s/real/images\n", dir, dir);
	assert_int_equal(parse(text, &c, &e), 0);
	rmtree(dir);
}

/* mkdir -p of dir/rel with mode m on the last component */
static void mkdir_at(const char *dir, const char *rel, mode_t m, char out[200])
{
	char cmd[1200];

	assert_true(snprintf(out, 200, "%s/%s", dir, rel) < 200);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", out);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(chmod(out, m), 0);
}

/* The trust rule on every ancestor (sshd's StrictModes): a writable directory anywhere above a
 * config, state_dir or models.d is refused unless it is sticky; symlinks are judged by what
 * they lead to. */
static void test_trust_ancestors(void **state)
{
	char dir[256], a[200], deep[200], path[1024], want[2048];
	struct host_config c;
	struct perr e;

	(void)state;
	scratch(dir);
	mkdir_at(dir, "a", 0755, a);
	mkdir_at(dir, "a/b/c/d", 0755, deep);
	put_file(deep, "pcipass.conf", "[host]\n", 0644);
	snprintf(path, sizeof(path), "%s/pcipass.conf", deep);
	memset(&e, 0, sizeof(e));
	assert_int_equal(config_load(path, true, &c, &e), 0);
	assert_int_equal(trust_path(deep, &e), 0);

	/* a 0777 ancestor three levels up is refused, for the file and for the directory */
	assert_int_equal(chmod(a, 0777), 0);
	assert_int_equal(config_load(path, true, &c, &e), -1);
	assert_int_equal(e.code, EX_CONFIG);
	snprintf(want, sizeof(want), "%s: refusing it: writable by group or others (mode 0777) (it holds %s)", a, path);
	assert_string_equal(e.msg, want);
	memset(&e, 0, sizeof(e));
	assert_int_equal(trust_path(deep, &e), -1);
	snprintf(want, sizeof(want), "%s: refusing it: writable by group or others (mode 0777) (it holds %s)", a, deep);
	assert_string_equal(e.msg, want);
	/* group-writable is no better */
	assert_int_equal(chmod(a, 0775), 0);
	memset(&e, 0, sizeof(e));
	assert_int_equal(trust_dir(deep, &e), -1);
	assert_int_equal(e.code, EX_CONFIG);
	/* a sticky one (like /tmp and /dev/shm) is fine: nobody else can swap what is below */
	assert_int_equal(chmod(a, 01777), 0);
	memset(&e, 0, sizeof(e));
	assert_int_equal(config_load(path, true, &c, &e), 0);
	assert_int_equal(trust_path(deep, &e), 0);
	assert_int_equal(trust_path(path, &e), 0);
	/* ...but not as the directory being trusted itself */
	memset(&e, 0, sizeof(e));
	assert_int_equal(trust_dir(a, &e), -1);
	snprintf(want, sizeof(want), "%s: refusing it: writable by group or others (mode 1777)", a);
	assert_string_equal(e.msg, want);
	assert_int_equal(chmod(a, 0755), 0);

	/* a symlinked config file is judged where it really is: here, in a 0777 directory */
	mkdir_at(dir, "pub", 0777, a);
	put_file(a, "x.conf", "[host]\n", 0644);
	assert_true(snprintf(a, sizeof(a), "%s/a", dir) < (int)sizeof(a));
	snprintf(want, sizeof(want), "%s/etc", dir);
	assert_int_equal(mkdir(want, 0755), 0);
	snprintf(path, sizeof(path), "%s/etc/pcipass.conf", dir);
	assert_int_equal(symlink("../pub/x.conf", path), 0);
	memset(&e, 0, sizeof(e));
	assert_int_equal(config_load(path, true, &c, &e), -1);
	snprintf(want, sizeof(want), "%s/pub: refusing it: writable by group or others (mode 0777) (it holds %s/pub/x.conf, which %s resolves to)",
		 dir, dir, path);
	assert_string_equal(e.msg, want);

	/* trust_path's other errors: missing, and a file that is itself writable */
	snprintf(path, sizeof(path), "%s/none", dir);
	memset(&e, 0, sizeof(e));
	assert_int_equal(trust_path(path, &e), -1);
	assert_int_equal(e.code, EX_NOINPUT);
	snprintf(path, sizeof(path), "%s/pub/x.conf", dir);
	memset(&e, 0, sizeof(e));
	assert_int_equal(chmod(path, 0666), 0);
	assert_int_equal(trust_path(path, &e), -1);
	snprintf(want, sizeof(want), "%s: refusing it: writable by group or others (mode 0666)", path);
	assert_string_equal(e.msg, want);

	if (geteuid() == 0) {
		/* models.d as a symlink into a directory another uid owns */
		char models[512], other[200];
		mkdir_at(dir, "home/u/m", 0755, other);
		snprintf(models, sizeof(models), "%s/etc/models.d", dir);
		assert_int_equal(symlink("../home/u/m", models), 0);
		memset(&e, 0, sizeof(e));
		assert_int_equal(trust_dir(models, &e), 0); /* all root's so far */
		snprintf(want, sizeof(want), "%s/home/u", dir);
		assert_int_equal(chown(want, 1234, 1234), 0);
		memset(&e, 0, sizeof(e));
		assert_int_equal(trust_dir(models, &e), -1);
		assert_int_equal(e.code, EX_CONFIG);
		snprintf(want, sizeof(want), "%s/home/u: refusing it: owned by uid 1234, expected root (it holds %s, which %s resolves to)",
			 dir, other, models);
		assert_string_equal(e.msg, want);
		snprintf(want, sizeof(want), "%s/home/u", dir);
		assert_int_equal(chown(want, 0, 0), 0);
		assert_int_equal(chown(other, 1234, 0), 0);
		memset(&e, 0, sizeof(e));
		assert_int_equal(trust_dir(models, &e), -1);
		snprintf(want, sizeof(want), "%s: refusing it: owned by uid 1234, expected root (%s resolves to it)", other, models);
		assert_string_equal(e.msg, want);
		/* a sticky ancestor must still be root's: its owner could swap the tree below */
		assert_int_equal(chown(other, 0, 0), 0);
		assert_int_equal(chmod(a, 01777), 0);
		assert_int_equal(chown(a, 1234, 0), 0);
		memset(&e, 0, sizeof(e));
		assert_int_equal(trust_path(deep, &e), -1);
		snprintf(want, sizeof(want), "%s: refusing it: owned by uid 1234, expected root (it holds %s)", a, deep);
		assert_string_equal(e.msg, want);
	} else {
		print_message("SKIP symlinked models.d into another uid's directory: needs root\n");
	}
	rmtree(dir);
}

/* allow_host_critical: a list of addresses like exclude, apart from it (an address may be
 * excluded and not allowed, or allowed and not excluded); hostile values refused. */
static void test_allow_host_critical(void **state)
{
	static const struct { const char *text, *msg; } bad[] = {
		{ "[host]\nallow_host_critical = 0000:03:00.0 03:00\n",
		  "p.conf:2: allow_host_critical: expected PCI addresses like 0000:00:1f.2, got \"03:00\"" },
		{ "[host]\nallow_host_critical = /dev/sda\n",
		  "p.conf:2: allow_host_critical: expected PCI addresses like 0000:00:1f.2, got \"/dev/sda\"" },
		{ "[host]\nallow_host_critical = 100000000:00:00.0\n",
		  "p.conf:2: allow_host_critical: expected PCI addresses like 0000:00:1f.2, got \"100000000:00:00.0\"" },
		{ "[host]\nallow_host_critical = all\n",
		  "p.conf:2: allow_host_critical: expected PCI addresses like 0000:00:1f.2, got \"all\"" },
	};
	struct host_config c;
	struct perr e;

	(void)state;
	assert_int_equal(parse("[host]\nexclude = 00:1f.2\n", &c, &e), 0);
	assert_int_equal(c.n_allow_critical, 0);
	assert_false(config_allows_critical(&c, "0000:00:1f.2"));
	assert_int_equal(parse("[host]\nallow_host_critical = 03:00.0, 10000:E1:00.0\nallow_host_critical = 0000:00:02.0\n",
			       &c, &e), 0);
	assert_int_equal(c.n_allow_critical, 3);
	assert_int_equal(c.n_exclude, 0);
	assert_string_equal(c.allow_critical[0], "0000:00:02.0");
	assert_true(config_allows_critical(&c, "0000:03:00.0"));
	assert_true(config_allows_critical(&c, "10000:e1:00.0"));
	assert_false(config_allows_critical(&c, "0000:03:00.1"));
	assert_false(config_excluded(&c, "0000:03:00.0"));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i].text, &c, &e), -1);
		assert_string_equal(e.msg, bad[i].msg);
		assert_int_equal(e.code, EX_CONFIG);
	}
}

/* firmware = uefi's files: Debian's OVMF by default; clean absolute paths only; nvram_dir
 * apart from every image dir (else a VM's disk could be another VM's variables) */
static void test_firmware_keys(void **state)
{
	static const struct { const char *text, *msg; } bad[] = {
		{ "[host]\novmf_code = OVMF_CODE.fd\n",
		  "p.conf:2: ovmf_code: expected an absolute path without . or .. parts or //, got \"OVMF_CODE.fd\"" },
		{ "[host]\novmf_vars = /usr/share/OVMF/../../../etc/shadow\n",
		  "p.conf:2: ovmf_vars: expected an absolute path without . or .. parts or //, got \"/usr/share/OVMF/../../../etc/shadow\"" },
		{ "[host]\nnvram_dir = /\n",
		  "p.conf:2: nvram_dir: expected an absolute path without . or .. parts or //, got \"/\"" },
		{ "[host]\nnvram_dir = /var/lib//nvram\n",
		  "p.conf:2: nvram_dir: expected an absolute path without . or .. parts or //, got \"/var/lib//nvram\"" },
		{ "[host]\nrom_dir = /usr/lib/pcipass/rom/\n",
		  "p.conf:2: rom_dir: expected an absolute path without . or .. parts or //, got \"/usr/lib/pcipass/rom/\"" },
		{ "[host]\nnvram_dir = /var/lib/pcipass/images/nvram\n",
		  "p.conf: nvram_dir /var/lib/pcipass/images/nvram and image dir /var/lib/pcipass/images overlap: a VM's disk could be another VM's firmware variables" },
		{ "[host]\nimage_dirs = /srv/img\nnvram_dir = /srv\n",
		  "p.conf: nvram_dir /srv and image dir /srv/img overlap: a VM's disk could be another VM's firmware variables" },
		{ "[host]\nimage_dirs = /srv/img /srv/nv\nnvram_dir = /srv/nv\n",
		  "p.conf: nvram_dir /srv/nv and image dir /srv/nv overlap: a VM's disk could be another VM's firmware variables" },
	};
	struct host_config c;
	struct perr e;

	(void)state;
	assert_int_equal(parse("[host]\n", &c, &e), 0);
	assert_string_equal(c.ovmf_code, "/usr/share/OVMF/OVMF_CODE_4M.fd");
	assert_string_equal(c.ovmf_vars, "/usr/share/OVMF/OVMF_VARS_4M.fd");
	assert_string_equal(c.nvram_dir, "/var/lib/pcipass/nvram");
	assert_string_equal(c.rom_dir, "/usr/lib/pcipass/rom");
	assert_string_equal(c.proc_root, "/proc");
	assert_int_equal(parse("[host]\novmf_code = /srv/fw/CODE.fd\novmf_vars = /srv/fw/VARS.fd\n"
			       "nvram_dir = /srv/nvram\nproc_root = /tmp/proc\n", &c, &e), 0);
	assert_string_equal(c.ovmf_code, "/srv/fw/CODE.fd");
	assert_string_equal(c.nvram_dir, "/srv/nvram");
	assert_string_equal(c.proc_root, "/tmp/proc");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i].text, &c, &e), -1);
		assert_string_equal(e.msg, bad[i].msg);
		assert_int_equal(e.code, EX_CONFIG);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_firmware_keys),
		cmocka_unit_test(test_defaults_and_keys),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_all_defaults),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_more_errors),
		cmocka_unit_test(test_long_lines_and_exclude_max),
		cmocka_unit_test(test_load_more),
		cmocka_unit_test(test_isolation_keys),
		cmocka_unit_test(test_isolation_errors),
		cmocka_unit_test(test_image_dirs_aliases),
		cmocka_unit_test(test_trust_ancestors),
		cmocka_unit_test(test_allow_host_critical),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
