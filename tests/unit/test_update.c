/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_update.c - one probe run over a small sysfs tree the test builds itself: the scan, the
 * inventory written only when it changed, the Prometheus file, and the errors. */
#include <errno.h>
#include <fcntl.h>

#include "cm.h"
#include "config.h"
#include "inventory.h"
#include "scan.h"
#include "stats.h"
#include "trust.h"
#include "update.h"

struct tree {
	char root[256];
	struct host_config c;
};

static void mkdirs(const char *path)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
	assert_int_equal(system(cmd), 0);
}

/* A device directory as libpci's sysfs method reads it. sv < 0: no subsystem files. */
static void add_dev(struct tree *t, const char *addr, unsigned vendor, unsigned device, unsigned cls,
		    int sv, int sd, int numa, int group, const char *driver)
{
	char dir[384], path[700], text[64];

	snprintf(dir, sizeof(dir), "%s/sys/bus/pci/devices/%s", t->root, addr);
	mkdirs(dir);
	snprintf(text, sizeof(text), "0x%04x\n", vendor);
	put_file(dir, "vendor", text, 0644);
	snprintf(text, sizeof(text), "0x%04x\n", device);
	put_file(dir, "device", text, 0644);
	snprintf(text, sizeof(text), "0x%06x\n", cls);
	put_file(dir, "class", text, 0644);
	if (sv >= 0) {
		snprintf(text, sizeof(text), "0x%04x\n", (unsigned)sv);
		put_file(dir, "subsystem_vendor", text, 0644);
		snprintf(text, sizeof(text), "0x%04x\n", (unsigned)sd);
		put_file(dir, "subsystem_device", text, 0644);
	}
	snprintf(text, sizeof(text), "%d\n", numa);
	put_file(dir, "numa_node", text, 0644);
	if (group >= 0) {
		snprintf(path, sizeof(path), "%s/sys/kernel/iommu_groups/%d", t->root, group);
		mkdirs(path);
		snprintf(path, sizeof(path), "%s/iommu_group", dir);
		snprintf(text, sizeof(text), "../../../../kernel/iommu_groups/%d", group);
		assert_int_equal(symlink(text, path), 0);
	}
	if (driver) {
		snprintf(path, sizeof(path), "%s/sys/bus/pci/drivers/%s", t->root, driver);
		mkdirs(path);
		snprintf(path, sizeof(path), "%s/driver", dir);
		snprintf(text, sizeof(text), "../../drivers/%s", driver);
		assert_int_equal(symlink(text, path), 0);
	}
}

static void make_tree(struct tree *t)
{
	char path[384];
	struct perr e = { 0 };
	char conf[2048];

	scratch(t->root);
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices", t->root);
	mkdirs(path);
	snprintf(path, sizeof(path), "%s/models.d", t->root);
	mkdirs(path);
	put_file(path, "npu.conf", "[Plain]\ndev_type=NPU\nvendor_id=19e5\ndevice_id=d801\n"
				   "[Sub]\ndev_type=NPU\nvendor_id=19e5\ndevice_id=d801\n"
				   "subsystem_vendor_id=19e5\nsubsystem_device_id=0200\n", 0644);
	put_file(path, "bridge.conf", "[Br]\ndev_type=X\nvendor_id=8086\ndevice_id=1234\n", 0644);
	snprintf(conf, sizeof(conf),
		 "[host]\nsysfs_root = %s/sys\nmodels_dir = %s/models.d\ninventory = %s/var/inventory.ini\n"
		 "state_dir = %s/run\nexclude = 00:1f.2\n",
		 t->root, t->root, t->root, t->root);
	assert_int_equal(config_parse(conf, strlen(conf), "pcipass.conf", &t->c, &e), 0);

	add_dev(t, "0000:00:01.0", 0x8086, 0x1234, 0x060400, -1, 0, -1, -1, "pcieport"); /* bridge */
	add_dev(t, "0000:00:1f.2", 0x19e5, 0xd801, 0x120000, -1, 0, -1, 3, NULL);        /* excluded */
	add_dev(t, "0000:af:00.0", 0x19e5, 0xd801, 0x120000, 0x19e5, 0x0100, 1, 42, "vfio-pci");
	add_dev(t, "0000:3b:00.0", 0x19e5, 0xd801, 0x120000, 0x19e5, 0x0200, 0, 17, NULL);
	add_dev(t, "0000:5e:00.0", 0x10ee, 0x903f, 0x058000, 0x10ee, 0x0007, 0, 20, "xdma"); /* no model */
}

static void test_scan(void **state)
{
	struct tree t;
	struct scan s;
	struct perr e = { 0 };
	char path[384], want[1024];

	(void)state;
	make_tree(&t);
	/* a device listed by the bus whose directory is gone (hot-unplug) is skipped, and counted */
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/0000:60:00.0", t.root);
	assert_int_equal(symlink("../../../devices/gone", path), 0);
	assert_int_equal(scan_bus(t.c.sysfs_root, "", SCAN_QUIET, &s, &e), 0);
	assert_int_equal(s.n, 5);
	assert_int_equal(s.vanished, 1);
	/* in address order, whatever the directory order */
	assert_string_equal(s.v[0].addr, "0000:00:01.0");
	assert_string_equal(s.v[1].addr, "0000:00:1f.2");
	assert_string_equal(s.v[2].addr, "0000:3b:00.0");
	assert_string_equal(s.v[3].addr, "0000:5e:00.0");
	assert_string_equal(s.v[4].addr, "0000:af:00.0");
	assert_int_equal(s.v[0].class, 0x0604);
	assert_string_equal(s.v[0].driver, "pcieport");
	assert_int_equal(s.v[2].vendor, 0x19e5);
	assert_int_equal(s.v[2].device, 0xd801);
	assert_true(s.v[2].has_subsys);
	assert_int_equal(s.v[2].subsys_device, 0x0200);
	assert_int_equal(s.v[2].iommu_group, 17);
	assert_int_equal(s.v[2].numa_node, 0);
	assert_string_equal(s.v[2].driver, "");
	assert_int_equal(s.v[4].iommu_group, 42);
	assert_int_equal(s.v[4].numa_node, 1);
	assert_string_equal(s.v[4].driver, "vfio-pci");
	assert_null(s.v[4].names);
	scan_free(&s);

	/* no bus at all */
	snprintf(path, sizeof(path), "%s/nosys", t.root);
	assert_int_equal(scan_bus(path, "", SCAN_QUIET, &s, &e), -1);
	assert_int_equal(e.code, EX_OSERR);
	snprintf(want, sizeof(want), "cannot scan %s/bus/pci: Cannot open %s/bus/pci/devices", path, path);
	assert_string_equal(e.msg, want);
	rmtree(t.root);
}

static void file_stat(const char *path, struct stat *sb)
{
	assert_int_equal(stat(path, sb), 0);
}

static void test_update(void **state)
{
	struct tree t;
	struct probe_result res;
	struct inventory inv = { 0 };
	struct perr e = { 0 };
	struct stat sb1, sb2;
	char stamp[32];

	(void)state;
	make_tree(&t);
	assert_int_equal(probe_update(&t.c, true, NULL, &res, &e), 0);
	assert_int_equal(res.devices, 2);
	assert_int_equal(res.vanished, 0);
	assert_true(res.changed);
	assert_int_equal(inventory_load(t.c.inventory, &inv, &e), 0);
	assert_int_equal(inv.n, 2);
	assert_false(inv.disabled);
	assert_string_equal(inv.dev[0].addr, "0000:3b:00.0");
	assert_string_equal(inv.dev[0].model, "Sub");
	assert_int_equal(inv.dev[0].iommu_group, 17);
	assert_string_equal(inv.dev[1].addr, "0000:af:00.0");
	assert_string_equal(inv.dev[1].model, "Plain");
	assert_string_equal(inv.dev[1].driver, "vfio-pci");
	assert_int_equal(strlen(inv.generated), 20);
	strcpy(stamp, inv.generated);
	inventory_free(&inv);
	file_stat(t.c.inventory, &sb1);
	assert_int_equal(sb1.st_mode & 07777, 0644);

	/* nothing changed: the file is not rewritten (same inode, same stamp) */
	assert_int_equal(probe_update(&t.c, true, NULL, &res, &e), 0);
	assert_false(res.changed);
	assert_int_equal(res.devices, 2);
	file_stat(t.c.inventory, &sb2);
	assert_int_equal(sb1.st_ino, sb2.st_ino);
	assert_int_equal(inventory_load(t.c.inventory, &inv, &e), 0);
	assert_string_equal(inv.generated, stamp);
	inventory_free(&inv);

	/* a new device: rewritten */
	add_dev(&t, "0000:d8:00.0", 0x19e5, 0xd801, 0x120000, -1, 0, 1, 55, NULL);
	assert_int_equal(probe_update(&t.c, true, NULL, &res, &e), 0);
	assert_true(res.changed);
	assert_int_equal(res.devices, 3);
	assert_int_equal(inventory_load(t.c.inventory, &inv, &e), 0);
	assert_string_equal(inv.dev[2].addr, "0000:d8:00.0");
	assert_string_equal(inv.dev[2].model, "Plain");
	inventory_free(&inv);

	/* a torn inventory is replaced whole */
	put_file(t.root, "var/inventory.ini", "[host]\ngenerated = 2026-11-24T10:00:00Z\ndisab", 0644);
	assert_int_equal(probe_update(&t.c, true, NULL, &res, &e), 0);
	assert_true(res.changed);
	assert_int_equal(inventory_load(t.c.inventory, &inv, &e), 0);
	assert_int_equal(inv.n, 3);
	inventory_free(&inv);

	/* disabled: written empty and marked, with no models directory needed */
	t.c.disable_custom_device = true;
	strcpy(t.c.models_dir, "/nonexistent/models.d");
	assert_int_equal(probe_update(&t.c, true, NULL, &res, &e), 0);
	assert_true(res.changed);
	assert_int_equal(res.devices, 0);
	assert_int_equal(inventory_load(t.c.inventory, &inv, &e), 0);
	assert_true(inv.disabled);
	assert_int_equal(inv.n, 0);
	inventory_free(&inv);
	assert_int_equal(probe_update(&t.c, true, NULL, &res, &e), 0);
	assert_false(res.changed);
	rmtree(t.root);
}

/* "Unchanged" is decided on the bytes (issue 13: no parse of the old file): the text the probe
 * would write, with the old file's stamp in it, must be the whole old file. old: the text to
 * put in place of the inventory; want_changed: whether the probe must rewrite it. */
static void bytes_case(struct tree *t, const char *old, bool want_changed, const char *why)
{
	struct probe_result res;
	struct perr e = { 0 };
	char *text;
	size_t len;

	put_file(t->root, "var/inventory.ini", old, 0644);
	assert_int_equal(probe_update(&t->c, true, NULL, &res, &e), 0);
	if (res.changed != want_changed)
		fail_msg("%s: expected %s", why, want_changed ? "a rewrite" : "no write");
	assert_int_equal(read_config(t->c.inventory, false, &text, &len, &e), 0);
	if (want_changed)
		assert_null(strstr(text, "generated = 2001-02-03T04:05:06Z"));
	else
		assert_string_equal(text, old);
	free(text);
}

static void test_update_bytes(void **state)
{
	struct tree t;
	struct probe_result res;
	struct perr e = { 0 };
	char *text, *other, *stamp;
	size_t len;

	(void)state;
	make_tree(&t);
	assert_int_equal(probe_update(&t.c, true, NULL, &res, &e), 0);
	assert_int_equal(read_config(t.c.inventory, false, &text, &len, &e), 0);
	stamp = strstr(text, "generated = ");
	assert_non_null(stamp);
	stamp += strlen("generated = ");
	other = strdup(text);
	assert_non_null(other);

	/* another stamp of the right shape: the same inventory, kept as it is */
	memcpy(other + (stamp - text), "2001-02-03T04:05:06Z", 20);
	bytes_case(&t, other, false, "another stamp");
	/* a stamp of another shape: rewritten (with a stamp of now) */
	memcpy(other + (stamp - text), "2001-02-03 04:05:06Z", 20);
	bytes_case(&t, other, true, "a stamp with a space");
	memcpy(other + (stamp - text), "2001-02-03T04:05:06Z", 20);
	/* one byte more, one byte less, one byte changed: rewritten */
	{
		char *more = malloc(len + 2);
		assert_non_null(more);
		memcpy(more, other, len);
		memcpy(more + len, "\n", 2);
		bytes_case(&t, more, true, "a byte more");
		free(more);
	}
	other[len - 1] = '\0';
	bytes_case(&t, other, true, "a byte less");
	other[len - 1] = '\n';
	other[len / 2] = other[len / 2] == 'x' ? 'y' : 'x';
	bytes_case(&t, other, true, "a byte changed");
	free(other);
	free(text);
	rmtree(t.root);
}

static void test_update_prom(void **state)
{
	struct tree t;
	struct probe_result res;
	struct perr e = { 0 };
	char prom[512], *text, claims[384];
	size_t len;
	int fd;

	(void)state;
	make_tree(&t);
	snprintf(prom, sizeof(prom), "%s/textfile/pcipass.prom", t.root);
	/* one device claimed by a live process (this one) */
	snprintf(claims, sizeof(claims), "%s/run/claims", t.root);
	mkdirs(claims);
	put_file(claims, "0000:3b:00.0", "vm=vm-1\npid=1\n", 0600);
	snprintf(claims, sizeof(claims), "%s/run/claims/0000:3b:00.0", t.root);
	fd = open(claims, O_RDWR);
	assert_true(fd >= 0);
	{
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
		assert_int_equal(fcntl(fd, F_OFD_SETLK, &fl), 0);
	}
	/* two failed launches counted in the state directory */
	snprintf(claims, sizeof(claims), "%s/run", t.root);
	assert_int_equal(stats_bump(claims, "launch_failures"), 0);
	assert_int_equal(stats_bump(claims, "launch_failures"), 0);
	assert_int_equal(probe_update(&t.c, true, prom, &res, &e), 0);
	close(fd);
	assert_int_equal(read_config(prom, false, &text, &len, &e), 0);
	assert_non_null(strstr(text, "\npcipass_device_info{address=\"0000:3b:00.0\",model=\"Sub\",dev_type=\"NPU\",numa_node=\"0\",state=\"claimed\"} 1\n"));
	assert_non_null(strstr(text, "\n# TYPE pcipass_launch_failures_total counter\npcipass_launch_failures_total 2\n"));
	assert_non_null(strstr(text, "\npcipass_devices{model=\"Sub\",dev_type=\"NPU\",numa_node=\"0\",state=\"claimed\"} 1\n"));
	assert_non_null(strstr(text, "\npcipass_devices{model=\"Plain\",dev_type=\"NPU\",numa_node=\"1\",state=\"free\"} 1\n"));
	assert_non_null(strstr(text, "\npcipass_probe_success 1\n"));
	assert_non_null(strstr(text, "\npcipass_custom_devices_disabled 0\n"));
	free(text);

	/* a failed probe says so in the same file, without device series (what the last good
	 * probe saw may no longer hold); the launch failures are still counted */
	probe_prom_failed(prom, &t.c);
	assert_int_equal(read_config(prom, false, &text, &len, &e), 0);
	assert_non_null(strstr(text, "\npcipass_probe_success 0\n"));
	assert_null(strstr(text, "pcipass_devices{"));
	assert_null(strstr(text, "pcipass_device_info{"));
	assert_non_null(strstr(text, "\npcipass_launch_failures_total 2\n"));
	free(text);
	/* no configuration: no state directory to read the count from */
	probe_prom_failed(prom, NULL);
	assert_int_equal(read_config(prom, false, &text, &len, &e), 0);
	assert_non_null(strstr(text, "\npcipass_probe_success 0\n"));
	assert_null(strstr(text, "pcipass_launch_failures_total"));
	free(text);
	rmtree(t.root);
}

static void test_update_errors(void **state)
{
	struct tree t;
	struct probe_result res;
	struct perr e = { 0 };
	char want[1024], saved[256];

	(void)state;
	make_tree(&t);
	/* no models directory */
	strcpy(saved, t.c.models_dir);
	strcat(t.c.models_dir, ".missing");
	assert_int_equal(probe_update(&t.c, true, NULL, &res, &e), -1);
	assert_int_equal(e.code, EX_NOINPUT);
	snprintf(want, sizeof(want), "%s: No such file or directory", t.c.models_dir);
	assert_string_equal(e.msg, want);
	assert_int_equal(access(t.c.inventory, F_OK), -1); /* nothing written */
	strcpy(t.c.models_dir, saved);

	/* a bad model file */
	put_file(t.c.models_dir, "zz.conf", "[Bad]\ndev_type = GPU\n", 0644);
	memset(&e, 0, sizeof(e));
	assert_int_equal(probe_update(&t.c, true, NULL, &res, &e), -1);
	assert_int_equal(e.code, EX_DATAERR);
	snprintf(want, sizeof(want), "%s/zz.conf:2: dev_type: \"GPU\" is a built-in passthrough type of the platform, not a custom one", t.c.models_dir);
	assert_string_equal(e.msg, want);
	snprintf(want, sizeof(want), "%s/zz.conf", t.c.models_dir);
	assert_int_equal(unlink(want), 0);

	/* no bus */
	strcat(t.c.sysfs_root, "/nothing");
	memset(&e, 0, sizeof(e));
	assert_int_equal(probe_update(&t.c, true, NULL, &res, &e), -1);
	assert_int_equal(e.code, EX_OSERR);
	assert_int_equal(access(t.c.inventory, F_OK), -1);
	rmtree(t.root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_update),
		cmocka_unit_test(test_update_bytes),
		cmocka_unit_test(test_update_prom),
		cmocka_unit_test(test_update_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
