/* test_launch_plan.c - vm.ini, device selection, the IOMMU group rule and QEMU's argv. */
#include "cm.h"
#include "argv.h"
#include "select.h"
#include "vmconf.h"

static struct host_config host;

static int vm(const char *text, struct vm_config *v, struct perr *e)
{
	memset(e, 0, sizeof(*e));
	config_defaults(&host);
	return vm_parse(text, strlen(text), "vm.ini", &host, v, e);
}

static void test_vm_good(void **state)
{
	static struct vm_config v;
	struct perr e;

	(void)state;
	assert_int_equal(vm("[vm]\nname = w-1\nmemory = 512M\n", &v, &e), 0);
	assert_int_equal(v.memory_mib, 512);
	assert_int_equal(v.cpus, 1);
	assert_string_equal(v.machine, "q35");
	assert_string_equal(v.user, "pcipass"); /* the host's run_as */
	assert_int_equal(v.numa_node, -1);
	assert_int_equal(vm("[vm]\nname=a\nmemory=4g\ncpus=8\naccel=tcg\nnuma_node=1\npaused=true\n"
			    "[devices]\nAtlas-800 = 2\naddress = 3b:00.0\n"
			    "[disk]\nfile=/img/a.qcow2\nformat=qcow2\n[disk]\nfile=/img/b.raw\nformat=raw\nreadonly=yes\n"
			    "[net]\nmode=tap\nifname=tap0\nmac=52:54:00:AA:BB:CC\n[net]\nmode=user\n"
			    "[display]\nvnc=[::1]:3\nserial=stdio\n[boot]\nkernel=/k\ninitrd=/i\nappend=console=ttyS0 a,b\n",
			    &v, &e), 0);
	assert_int_equal(v.memory_mib, 4096);
	assert_int_equal(v.n_req, 2);
	assert_string_equal(v.req[0].model, "Atlas-800");
	assert_int_equal(v.req[0].count, 2);
	assert_string_equal(v.req[1].addr, "0000:3b:00.0");
	assert_int_equal(v.n_disk, 2);
	assert_true(v.disk[1].readonly);
	assert_string_equal(v.net[0].mac, "52:54:00:aa:bb:cc");
	assert_string_equal(v.vnc, "[::1]:3");
}

static void test_vm_hostile(void **state)
{
	static const struct { const char *text, *msg; int code; } cases[] = {
		{ "[vm]\nname = a,b\n", "vm.ini:2: name: expected 1-64 characters of A-Z a-z 0-9 . _ -, got \"a,b\"", 65 },
		{ "[vm]\nname = ../x\n", "vm.ini:2: name: expected 1-64 characters of A-Z a-z 0-9 . _ -, got \"../x\"", 65 },
		{ "[vm]\nmemory = lots\n", "vm.ini:2: memory: expected a size from 64M to 4T like 512M or 4G, got \"lots\" (not a size)", 65 },
		{ "[vm]\nmemory = 99999999999G\n", "vm.ini:2: memory: expected a size from 64M to 4T like 512M or 4G, got \"99999999999G\" (out of range)", 65 },
		{ "[vm]\ncpus = 0\n", "vm.ini:2: cpus: expected a number from 1 to 255, got \"0\" (too small)", 65 },
		{ "[vm]\nqemu = /bin/sh\n", "vm.ini:2: unknown key \"qemu\" in [vm]", 65 },
		{ "[vm]\nname=a\nmemory=1G\nuser=root\n", "vm.ini: user = root is refused (the host's allow_root_vm is false)", 77 },
		{ "[vm]\nname=a\n", "vm.ini: [vm] needs name and memory", 65 },
		{ "[vm]\naccel = hvf\n", "vm.ini:2: accel: expected one of kvm, tcg, got \"hvf\"", 65 },
		{ "[qemu]\n", "vm.ini:1: unknown section [qemu], expected [vm], [devices], [disk], [net], [display] or [boot]", 65 },
		{ "[vm]\n[vm]\n", "vm.ini:2: section [vm] given twice", 65 },
		{ "[devices]\nAtlas-800 = 65\n", "vm.ini:2: count: expected a number from 1 to 64, got \"65\" (too large)", 65 },
		{ "[devices]\nbad name = 1\n", "vm.ini:2: model \"bad name\": expected 1-64 characters of A-Z a-z 0-9 . _ -", 65 },
		{ "[devices]\nA = 1\nA = 2\n", "vm.ini:3: A given twice in [devices] (line 2)", 65 },
		{ "[devices]\nA = 40\nB = 40\n", "vm.ini:3: more than 64 devices for one VM", 65 },
		{ "[devices]\naddress = 0000:3b:00.0,id=x\n", "vm.ini:2: address: expected a PCI address like 0000:3b:00.0, got \"0000:3b:00.0,id=x\"", 65 },
		{ "[disk]\nfile = img.qcow2\n", "vm.ini:2: file: expected an absolute path without . or .. parts, got \"img.qcow2\"", 65 },
		{ "[disk]\nfile = /var/../run/pcipass/claims/x\n", "vm.ini:2: file: expected an absolute path without . or .. parts, got \"/var/../run/pcipass/claims/x\"", 65 },
		{ "[disk]\nfile = /run/pcipass/vms/other.qmp\n", "vm.ini:2: file: \"/run/pcipass/vms/other.qmp\" is under the state directory /run/pcipass", 65 },
		{ "[disk]\nformat = vmdk\n", "vm.ini:2: format: expected one of raw, qcow2, got \"vmdk\"", 65 },
		{ "[vm]\nname=a\nmemory=1G\n[disk]\nfile=/a\n", "vm.ini:4: [disk] needs file and format", 65 },
		{ "[net]\nmode = bridge\n", "vm.ini:2: mode: expected one of user, tap, got \"bridge\"", 65 },
		{ "[vm]\nname=a\nmemory=1G\n[net]\nmode=user\nifname=tap0\n", "vm.ini:4: [net]: ifname goes with mode = tap, and only with it", 65 },
		{ "[net]\nmac = 01:00:5e:00:00:01\n", "vm.ini:2: mac: expected a unicast MAC like 52:54:00:12:34:56, got \"01:00:5e:00:00:01\"", 65 },
		{ "[display]\nvnc = 0.0.0.0:0\n", "vm.ini:2: vnc: expected none, 127.0.0.1:DISPLAY or [::1]:DISPLAY (display 0-99), got \"0.0.0.0:0\"", 65 },
		{ "[boot]\nkernel = /run/pcipass\n", "vm.ini:2: kernel: \"/run/pcipass\" is under the state directory /run/pcipass", 65 },
		{ "[boot]\nappend = caf\xc3\xa9\n", "vm.ini:2: append: only printable ASCII is allowed", 65 },
		{ "name = a\n", "vm.ini:1: name: key outside a section, expected [vm] first", 65 },
		{ "[vm]\nname = a\n  -device = x\n", "vm.ini:3: unknown key \"-device\" in [vm]", 65 },
	};
	static struct vm_config v;
	struct perr e;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(vm(cases[i].text, &v, &e), -1);
		assert_string_equal(e.msg, cases[i].msg);
		assert_int_equal(e.code, cases[i].code);
	}
	host.allow_root_vm = true;
	memset(&e, 0, sizeof(e));
	static const char root_vm[] = "[vm]\nname=a\nmemory=1G\nuser=root\n";
	assert_int_equal(vm_parse(root_vm, strlen(root_vm), "vm.ini", &host, &v, &e), 0);
}

static void inventory_of(struct inventory *inv)
{
	static const char *const addrs[] = { "0000:01:00.0", "0000:02:00.0", "0000:03:00.0", "0000:81:00.0" };
	struct perr e = { 0 };

	memset(inv, 0, sizeof(*inv));
	for (int i = 0; i < 4; i++) {
		struct inv_device d = { .dev_type = "NPU", .vendor = 0x19e5, .device = 0xd801,
					.iommu_group = i, .numa_node = i == 3 ? 1 : 0 };
		strcpy(d.addr, addrs[i]);
		strcpy(d.model, i == 2 ? "Other" : "Atlas-800");
		assert_int_equal(inventory_add(inv, &d, &e), 0);
	}
}

static int lose_first(void *user, const struct inv_device *d, struct perr *e)
{
	int *calls = user;

	(void)d;
	(void)e;
	return (*calls)++ == 0 ? 1 : 0; /* someone else wins the first one */
}

static void test_select(void **state)
{
	static struct vm_config v;
	struct inventory inv;
	struct pick picks[VM_DEV_MAX];
	bool busy[4] = { false, false, false, false };
	size_t n;
	struct perr e;
	int calls = 0;

	(void)state;
	inventory_of(&inv);
	assert_int_equal(vm("[vm]\nname=a\nmemory=1G\n[devices]\nAtlas-800 = 2\n", &v, &e), 0);
	assert_int_equal(select_devices(&inv, busy, &v, NULL, NULL, picks, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_string_equal(picks[0].dev->addr, "0000:01:00.0"); /* lowest address first */
	assert_string_equal(picks[1].dev->addr, "0000:02:00.0");
	busy[0] = true;
	assert_int_equal(select_devices(&inv, busy, &v, NULL, NULL, picks, &n, &e), 0);
	assert_string_equal(picks[0].dev->addr, "0000:02:00.0");
	assert_string_equal(picks[1].dev->addr, "0000:81:00.0");
	/* a lost race moves on to the next free device */
	busy[0] = false;
	assert_int_equal(select_devices(&inv, busy, &v, lose_first, &calls, picks, &n, &e), 0);
	assert_string_equal(picks[0].dev->addr, "0000:02:00.0");
	assert_string_equal(picks[1].dev->addr, "0000:81:00.0");
	/* not enough */
	busy[1] = true;
	calls = 0;
	memset(&e, 0, sizeof(e));
	assert_int_equal(select_devices(&inv, busy, &v, lose_first, &calls, picks, &n, &e), -1);
	assert_int_equal(e.code, EX_UNAVAILABLE);
	assert_string_equal(e.msg, "vm.ini:5: 2 Atlas-800 asked for, 1 free (3 in all)");
	/* NUMA node filter, and explicit addresses taken first */
	busy[1] = false;
	assert_int_equal(vm("[vm]\nname=a\nmemory=1G\nnuma_node=0\n[devices]\nAtlas-800 = 1\naddress = 0000:01:00.0\n", &v, &e), 0);
	assert_int_equal(select_devices(&inv, busy, &v, NULL, NULL, picks, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_string_equal(picks[0].dev->addr, "0000:01:00.0");
	assert_string_equal(picks[1].dev->addr, "0000:02:00.0");
	assert_int_equal(vm("[vm]\nname=a\nmemory=1G\nnuma_node=1\n[devices]\nAtlas-800 = 2\n", &v, &e), 0);
	assert_int_equal(select_devices(&inv, busy, &v, NULL, NULL, picks, &n, &e), -1);
	assert_string_equal(e.msg, "vm.ini:6: 2 Atlas-800 asked for, 1 free on NUMA node 1 (1 in all)");
	assert_int_equal(vm("[vm]\nname=a\nmemory=1G\n[devices]\nNope = 1\n", &v, &e), 0);
	assert_int_equal(select_devices(&inv, busy, &v, NULL, NULL, picks, &n, &e), -1);
	assert_string_equal(e.msg, "vm.ini:5: no device of model Nope on this host");
	assert_int_equal(vm("[vm]\nname=a\nmemory=1G\n[devices]\naddress = 0000:09:00.0\n", &v, &e), 0);
	assert_int_equal(select_devices(&inv, busy, &v, NULL, NULL, picks, &n, &e), -1);
	assert_string_equal(e.msg, "vm.ini:5: 0000:09:00.0 is not a custom device of this host's inventory");
	inventory_free(&inv);
}

static void test_group(void **state)
{
	struct group_member m[] = {
		{ "0000:00:01.0", 0x0604, "pcieport" }, /* a bridge: fine */
		{ "0000:01:00.0", 0x1200, "" },          /* the device */
		{ "0000:01:00.1", 0x0403, "snd_hda_intel" },
	};
	struct inventory inv;
	struct pick picks[2];
	struct perr e = { 0 };

	(void)state;
	inventory_of(&inv);
	picks[0].dev = &inv.dev[0];
	assert_int_equal(group_check("0000:01:00.0", 5, m, 3, picks, 1, "vfio-pci", &e), -1);
	assert_string_equal(e.msg, "0000:01:00.0: IOMMU group 5 also holds 0000:01:00.1, bound to snd_hda_intel; "
				   "unbind it or pass it through too");
	strcpy(m[2].driver, "vfio-pci");
	assert_int_equal(group_check("0000:01:00.0", 5, m, 3, picks, 1, "vfio-pci", &e), 0);
	m[2].driver[0] = '\0';
	assert_int_equal(group_check("0000:01:00.0", 5, m, 3, picks, 1, "vfio-pci", &e), 0);
	memset(&e, 0, sizeof(e));
	assert_int_equal(group_check("0000:01:00.0", -1, m, 0, picks, 1, "vfio-pci", &e), -1);
	assert_int_equal(e.code, EX_UNAVAILABLE);
	inventory_free(&inv);
}

static void test_argv(void **state)
{
	static struct vm_config v;
	char out[64];
	const char devs[2][PCI_ADDR_LEN] = { "0000:01:00.0", "0000:02:00.0" };
	struct argv a;
	struct sbuf b = { 0 };
	struct perr e;
	bool sandbox = false;

	(void)state;
	assert_int_equal(qemu_escape("a,b,,c", out, sizeof(out)), 0);
	assert_string_equal(out, "a,,b,,,,c");
	assert_int_equal(qemu_escape("a\nb", out, sizeof(out)), -1);
	assert_int_equal(qemu_escape(",,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,", out, sizeof(out)), -1); /* would not fit */
	assert_int_equal(vm("[vm]\nname=w\nmemory=1G\naccel=tcg\npaused=true\n[disk]\nfile=/i/a,format=raw,file=/etc/shadow\nformat=qcow2\n",
			    &v, &e), 0);
	assert_int_equal(qemu_argv(&host, &v, devs, 2, &a, &e), 0);
	assert_string_equal(a.v[0], "/usr/bin/qemu-system-x86_64");
	assert_null(a.v[a.n]);
	for (size_t i = 0; i + 1 < a.n; i++) {
		if (strcmp(a.v[i], "-sandbox") == 0)
			sandbox = strcmp(a.v[i + 1], "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny") == 0;
		if (strcmp(a.v[i], "-drive") == 0)
			assert_string_equal(a.v[i + 1], "file=/i/a,,format=raw,,file=/etc/shadow,format=qcow2,if=none,id=disk0");
		if (strcmp(a.v[i], "-chardev") == 0)
			assert_string_equal(a.v[i + 1], "socket,id=pcipass.qmp,fd=3,server=on,wait=off");
	}
	assert_true(sandbox);
	argv_show(&a, &b);
	assert_non_null(strstr(b.p, " \\\n    -device pcie-root-port,id=pcipass.rp1,chassis=2,slot=2 \\\n"
				    "    -device vfio-pci,host=0000:02:00.0,id=hostdev1,bus=pcipass.rp1"));
	assert_non_null(strstr(b.p, "-cpu max"));
	assert_non_null(strstr(b.p, "-S"));
	sbuf_free(&b);
	argv_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vm_good),  cmocka_unit_test(test_vm_hostile),
		cmocka_unit_test(test_select),   cmocka_unit_test(test_group),
		cmocka_unit_test(test_argv),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
