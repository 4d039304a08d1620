/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_slots.c - whole slots (model functions = all): the layout on root ports, QEMU's argv
 * for it, a slot's functions read from a fake sysfs; and the launch's health gate. */
#include "cm.h"
#include "argv.h"
#include "handover.h"
#include "pcidev.h"
#include "select.h"
#include "slot.h"
#include "vmconf.h"

static void test_same_slot(void **state)
{
	(void)state;
	assert_true(same_slot("0000:60:00.0", "0000:60:00.7"));
	assert_false(same_slot("0000:60:00.0", "0000:60:01.0"));
	assert_false(same_slot("0000:60:00.0", "0001:60:00.0"));
	assert_true(same_slot("10000:e1:00.0", "10000:e1:00.1"));   /* a VMD domain */
	assert_false(same_slot("0000:e1:00.0", "10000:e1:00.0"));
	assert_false(same_slot("", ""));
}

static void test_layout(void **state)
{
	struct slot_place at[6];

	(void)state;
	{ /* nobody whole: a port each, in order, no slot */
		const char *a[] = { "0000:01:00.0", "0000:02:00.0", "0000:01:00.1" };
		const size_t with[] = { NO_SLOT, NO_SLOT, NO_SLOT };
		slot_layout(a, with, 3, at);
		for (unsigned i = 0; i < 3; i++) {
			assert_int_equal(at[i].port, i);
			assert_int_equal(at[i].func, 0);
			assert_false(at[i].slot);
			assert_false(at[i].multifunction);
		}
	}
	{ /* a slot of three led by 0, another device alone, a group's endpoint after them */
		const char *a[] = { "0000:60:00.0", "0000:61:00.0", "0000:60:00.1", "0000:60:00.2",
				    "0000:62:00.0" };
		const size_t with[] = { 0, NO_SLOT, 0, 0, NO_SLOT };
		slot_layout(a, with, 5, at);
		assert_int_equal(at[0].port, 0);
		assert_int_equal(at[2].port, 0);
		assert_int_equal(at[3].port, 0);
		assert_int_equal(at[1].port, 1);
		assert_int_equal(at[4].port, 2);
		assert_int_equal(at[0].func, 0);
		assert_int_equal(at[2].func, 1);
		assert_int_equal(at[3].func, 2);
		assert_true(at[0].slot && at[2].slot && at[3].slot);
		assert_false(at[1].slot || at[4].slot);
		assert_true(at[0].multifunction);
		assert_false(at[2].multifunction || at[3].multifunction);
	}
	{ /* the host's function numbers kept where function 0 is there: gaps stay */
		const char *a[] = { "0000:60:00.0", "0000:60:00.5" };
		const size_t with[] = { 0, 0 };
		slot_layout(a, with, 2, at);
		assert_int_equal(at[0].func, 0);
		assert_int_equal(at[1].func, 5);
	}
	{ /* no function 0 among them (a bridge function left out): numbered from 0, in address
	   * order, whatever order they come in; the guest looks for function 0 first */
		const char *a[] = { "0000:60:00.3", "0000:60:00.1" };
		const size_t with[] = { 0, 0 };
		slot_layout(a, with, 2, at);
		assert_int_equal(at[0].port, 0);
		assert_int_equal(at[1].port, 0);
		assert_int_equal(at[0].func, 1);
		assert_int_equal(at[1].func, 0);
		assert_true(at[1].multifunction);
		assert_false(at[0].multifunction);
	}
	{ /* a lead with no sibling: a plain device */
		const char *a[] = { "0000:60:00.0" };
		const size_t with[] = { 0 };
		slot_layout(a, with, 1, at);
		assert_false(at[0].slot);
		assert_false(at[0].multifunction);
	}
	{ /* a lead listed after its function still shares its port */
		const char *a[] = { "0000:70:00.0", "0000:60:00.1", "0000:60:00.0" };
		const size_t with[] = { NO_SLOT, 2, 2 };
		slot_layout(a, with, 3, at);
		assert_int_equal(at[0].port, 0);
		assert_int_equal(at[1].port, 1);
		assert_int_equal(at[2].port, 1);
		assert_true(at[2].multifunction);
	}
}

static void test_argv_slot(void **state)
{
	static struct vm_config v;
	static struct host_config host;
	struct handover fds;
	struct argv a;
	struct perr e = { 0 };
	/* functions 1 and 2 of 60:00 first, as plan_argv may list them; 61:00.0 alone */
	struct qemu_dev devs[4] = {
		{ .addr = "0000:60:00.0", .id = 0, .port = 0, .func = 0, .slot = true, .multifunction = true,
		  .rombar = 0, .romfile_fd = 9 },
		{ .addr = "0000:61:00.0", .id = 1, .port = 1, .rombar = 1, .romfile_fd = -1 },
		{ .addr = "0000:60:00.2", .id = 2, .port = 0, .func = 2, .slot = true, .rombar = -1, .romfile_fd = -1 },
		{ .addr = "0000:60:00.1", .id = 3, .port = 0, .func = 1, .slot = true, .rombar = -1, .romfile_fd = -1 },
	};
	static const char *const want[] = {
		"-device", "pcie-root-port,id=pcipass.rp0,chassis=1,slot=1",
		"-device", "vfio-pci,host=0000:60:00.2,id=hostdev2,bus=pcipass.rp0,addr=00.2",
		"-device", "vfio-pci,host=0000:60:00.1,id=hostdev3,bus=pcipass.rp0,addr=00.1",
		"-device", "vfio-pci,host=0000:60:00.0,id=hostdev0,bus=pcipass.rp0,addr=00.0,multifunction=on,"
			   "rombar=0,romfile=/proc/self/fd/9",
		"-device", "pcie-root-port,id=pcipass.rp1,chassis=2,slot=2",
		"-device", "vfio-pci,host=0000:61:00.0,id=hostdev1,bus=pcipass.rp1,rombar=1",
		"-global", "ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off",
		/* the hotplug ports number on from the slots' ports, not from the devices */
		"-device", "pcie-root-port,id=pcipass.hp0,chassis=3,slot=3",
	};
	static const char hp[] = "[vm]\nname=w\nmemory=1G\nhotplug_slots=1\n";
	static const char pc[] = "[vm]\nname=w\nmemory=1G\nmachine=pc\n";
	size_t first = 0;

	(void)state;
	config_defaults(&host);
	assert_int_equal(vm_parse(hp, strlen(hp), "vm.ini", &host, &v, &e), 0);
	handover_plan(&v, 4, &fds);
	assert_int_equal(qemu_argv(&host, &v, devs, 4, &fds, NULL, &a, &e), 0);
	while (first < a.n && strstr(a.v[first], "pcipass.rp0") == NULL)
		first++;
	assert_true(first > 0 && first < a.n);
	first--; /* its -device */
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_true(first + i < a.n);
		assert_string_equal(a.v[first + i], want[i]);
	}
	argv_free(&a);

	/* a port on a bus of its own (a NUMA node's pxb-pcie): said on the port, comma-escaped */
	snprintf(devs[0].bus, sizeof(devs[0].bus), "pcipass.pxb1");
	assert_int_equal(qemu_argv(&host, &v, devs, 4, &fds, NULL, &a, &e), 0);
	for (first = 0; first < a.n && strncmp(a.v[first], "pcie-root-port,id=pcipass.rp0", 29) != 0; first++)
		;
	assert_true(first < a.n);
	assert_string_equal(a.v[first], "pcie-root-port,id=pcipass.rp0,chassis=1,slot=1,bus=pcipass.pxb1");
	argv_free(&a);

	/* machine = pc: no ports, no slot layout; the ROM choices stay */
	assert_int_equal(vm_parse(pc, strlen(pc), "vm.ini", &host, &v, &e), 0);
	handover_plan(&v, 4, &fds);
	assert_int_equal(qemu_argv(&host, &v, devs, 4, &fds, NULL, &a, &e), 0);
	for (size_t i = 0; i < a.n; i++) {
		assert_null(strstr(a.v[i], "pcie-root-port"));
		assert_null(strstr(a.v[i], "addr=00."));
		assert_null(strstr(a.v[i], "multifunction"));
	}
	for (first = 0; first < a.n && strncmp(a.v[first], "vfio-pci,host=0000:60:00.0", 26) != 0; first++)
		;
	assert_true(first < a.n);
	assert_string_equal(a.v[first], "vfio-pci,host=0000:60:00.0,id=hostdev0,rombar=0,romfile=/proc/self/fd/9");
	argv_free(&a);
}

static void test_health_gate(void **state)
{
	struct pcidev_info live;
	char why[UNFIT_MAX];

	(void)state;
	pcidev_clear(&live);
	strcpy(live.reset_methods, "flr bus");
	strcpy(live.power_state, "D0");
	health_gate(&live, 0, why);
	assert_string_equal(why, "");
	/* a kernel before 5.15 offers a reset without saying which: unknown, passes */
	strcpy(live.reset_methods, "-");
	health_gate(&live, 0, why);
	assert_string_equal(why, "");
	/* no method at all */
	live.reset_methods[0] = '\0';
	health_gate(&live, 0, why);
	assert_string_equal(why, "the kernel offers no reset method for it, so it would reach the next VM "
				 "as this one left it (its model's allow = no-reset passes it)");
	health_gate(&live, ALLOW_D3COLD | ALLOW_AER, why);
	assert_true(why[0] != '\0');
	health_gate(&live, ALLOW_NO_RESET, why);
	assert_string_equal(why, "");
	strcpy(live.reset_methods, "flr");
	/* powered off */
	strcpy(live.power_state, "D3cold");
	health_gate(&live, ALLOW_NO_RESET | ALLOW_AER, why);
	assert_string_equal(why, "it is powered off (D3cold) (its model's allow = d3cold passes it)");
	health_gate(&live, ALLOW_D3COLD, why);
	assert_string_equal(why, "");
	strcpy(live.power_state, "D3hot"); /* asleep, not off: the kernel wakes it */
	health_gate(&live, 0, why);
	assert_string_equal(why, "");
	/* uncorrectable AER errors, fatal or not; correctable ones do not count; -1 is absent */
	live.aer_cor = 1000;
	health_gate(&live, 0, why);
	assert_string_equal(why, "");
	live.aer_nonfatal = 2;
	health_gate(&live, 0, why);
	assert_string_equal(why, "it has logged uncorrectable AER errors (0 fatal, 2 non-fatal) (its model's "
				 "allow = aer passes it)");
	live.aer_nonfatal = -1;
	live.aer_fatal = 1;
	health_gate(&live, 0, why);
	assert_string_equal(why, "it has logged uncorrectable AER errors (1 fatal, 0 non-fatal) (its model's "
				 "allow = aer passes it)");
	health_gate(&live, ALLOW_AER, why);
	assert_string_equal(why, "");
	live.aer_fatal = 0;
	/* a file there but unparsable is no fact to pass on */
	live.bad = PCIDEV_POWER_STATE;
	live.power_state[0] = '\0';
	snprintf(live.why_bad, sizeof(live.why_bad), "power_state: expected D0 to D3cold");
	health_gate(&live, 0, why);
	assert_string_equal(why, "its power_state cannot be read (power_state: expected D0 to D3cold)");
	health_gate(&live, ALLOW_D3COLD, why);
	assert_string_equal(why, "");
	live.bad = PCIDEV_RESET_METHOD;
	live.reset_methods[0] = '\0';
	health_gate(&live, 0, why);
	assert_non_null(strstr(why, "its reset_method cannot be read"));
	health_gate(&live, ALLOW_NO_RESET, why);
	assert_string_equal(why, "");
}

/* A fake device directory under root/bus/pci/devices. */
static void fake_dev(const char *root, const char *addr, const char *vendor, const char *cls,
		     int group, bool vf)
{
	char dir[300], path[400];

	snprintf(dir, sizeof(dir), "%.256s/bus/pci/devices/%.17s", root, addr);
	assert_int_equal(mkdir(dir, 0755), 0);
	put_file(dir, "vendor", vendor, 0644);
	put_file(dir, "device", "0xd801\n", 0644);
	put_file(dir, "class", cls, 0644);
	put_file(dir, "numa_node", "1\n", 0644);
	if (group >= 0) {
		snprintf(path, sizeof(path), "%s/iommu_group", dir);
		char target[64];
		snprintf(target, sizeof(target), "../../../kernel/iommu_groups/%d", group);
		assert_int_equal(symlink(target, path), 0);
	}
	if (vf) {
		snprintf(path, sizeof(path), "%s/physfn", dir);
		assert_int_equal(symlink("../0000:60:00.0", path), 0);
	}
}

static void test_siblings(void **state)
{
	char root[256], path[512];
	struct inv_device sib[SLOT_FUNCS], d;
	struct perr e = { 0 };
	size_t n;

	(void)state;
	scratch(root);
	snprintf(path, sizeof(path), "%s/bus", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/bus/pci", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/bus/pci/devices", root);
	assert_int_equal(mkdir(path, 0755), 0);
	fake_dev(root, "0000:60:00.0", "0x19e5\n", "0x120000\n", 70, false);
	fake_dev(root, "0000:60:00.3", "0x19e5\n", "0x040300\n", 71, false);
	fake_dev(root, "0000:60:00.1", "0x19e5\n", "0x120000\n", -1, false);
	fake_dev(root, "0000:60:00.2", "0x19e5\n", "0x060400\n", 70, false); /* a bridge */
	fake_dev(root, "0000:60:00.4", "0x19e5\n", "0x120000\n", 72, true);  /* an SR-IOV VF */
	fake_dev(root, "0000:60:01.0", "0x19e5\n", "0x120000\n", 73, false); /* the next slot */
	fake_dev(root, "0000:61:00.0", "0x19e5\n", "0x120000\n", 74, false);
	assert_int_equal(slot_siblings(root, "0000:60:00.0", sib, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_string_equal(sib[0].addr, "0000:60:00.1");
	assert_string_equal(sib[1].addr, "0000:60:00.3");
	assert_int_equal(sib[0].iommu_group, -1);
	assert_int_equal(sib[1].iommu_group, 71);
	assert_int_equal(sib[1].class, 0x0403);
	assert_int_equal(sib[1].vendor, 0x19e5);
	assert_int_equal(sib[1].numa_node, 1);
	assert_string_equal(sib[1].driver, "");
	/* the slot as seen from another of its functions */
	assert_int_equal(slot_siblings(root, "0000:60:00.3", sib, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_string_equal(sib[0].addr, "0000:60:00.0");
	assert_int_equal(slot_siblings(root, "0000:61:00.0", sib, &n, &e), 0);
	assert_int_equal(n, 0);
	/* hostile: a vendor file that is not a number, a class out of range */
	fake_dev(root, "0000:62:00.0", "0x19e5\n", "0x120000\n", 75, false);
	fake_dev(root, "0000:62:00.1", "garbage\n", "0x120000\n", 75, false);
	assert_int_equal(slot_siblings(root, "0000:62:00.0", sib, &n, &e), -1);
	assert_int_equal(e.code, EX_DATAERR);
	assert_non_null(strstr(e.msg, "0000:62:00.1: not a device in "));
	memset(&e, 0, sizeof(e));
	fake_dev(root, "0000:63:00.0", "0x19e5\n", "0x7fffffffffff\n", 76, false);
	assert_int_equal(sysfs_device(root, "0000:63:00.0", &d, &e), -1);
	memset(&e, 0, sizeof(e));
	assert_int_equal(sysfs_device(root, "0000:64:00.0", &d, &e), -1); /* gone */
	rmtree(root);
}

/* A slot alone on a bus behind a bridge can be reset as one; on a root bus, or sharing its
 * bus with another slot, it cannot. */
static void test_bus_reset(void **state)
{
	static const struct { const char *addr, *target; } links[] = {
		{ "0000:02:00.0", "../../../devices/pci0000:00/0000:00:01.0/0000:02:00.0" },
		{ "0000:02:00.1", "../../../devices/pci0000:00/0000:00:01.0/0000:02:00.1" },
		{ "0000:03:00.0", "../../../devices/pci0000:00/0000:00:02.0/0000:03:00.0" },
		{ "0000:03:01.0", "../../../devices/pci0000:00/0000:00:02.0/0000:03:01.0" },
		{ "0000:00:05.0", "../../../devices/pci0000:00/0000:00:05.0" },
		{ "10000:e1:00.0", "../../../devices/pci0000:00/0000:00:0e.0/pci10000:e0/10000:e0:06.0/10000:e1:00.0" },
		{ "0000:04:00.0", "../../../devices/pci0000:00/not-a-bridge/0000:04:00.0" },
	};
	char root[256], path[512];

	(void)state;
	scratch(root);
	snprintf(path, sizeof(path), "%s/bus", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/bus/pci", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/bus/pci/devices", root);
	assert_int_equal(mkdir(path, 0755), 0);
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		snprintf(path, sizeof(path), "%s/bus/pci/devices/%s", root, links[i].addr);
		assert_int_equal(symlink(links[i].target, path), 0);
	}
	assert_true(slot_bus_resettable(root, "0000:02:00.0"));
	assert_true(slot_bus_resettable(root, "0000:02:00.1"));
	assert_true(slot_bus_resettable(root, "10000:e1:00.0"));
	assert_false(slot_bus_resettable(root, "0000:03:00.0")); /* another slot on its bus */
	assert_false(slot_bus_resettable(root, "0000:00:05.0")); /* a root bus */
	assert_false(slot_bus_resettable(root, "0000:04:00.0")); /* no bridge above */
	assert_false(slot_bus_resettable(root, "0000:09:00.0")); /* not there */
	rmtree(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_slot), cmocka_unit_test(test_layout),
		cmocka_unit_test(test_argv_slot), cmocka_unit_test(test_health_gate),
		cmocka_unit_test(test_siblings), cmocka_unit_test(test_bus_reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
