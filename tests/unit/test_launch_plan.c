/* SPDX-License-Identifier: GPL-2.0-or-later */
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
	assert_string_equal(v.user, ""); /* the launcher uses the host's run_as */
	assert_int_equal(v.numa_node, -1);
	assert_false(v.vnc);
	assert_string_equal(v.serial, "none");
	assert_int_equal(vm("[vm]\nname=a\nmemory=4g\ncpus=8\naccel=tcg\nnuma_node=1\npaused=true\n"
			    "[devices]\nAtlas-800 = 2\naddress = 3b:00.0\n"
			    "[disk]\nfile=/var/lib/pcipass/images/a.qcow2\nformat=qcow2\n"
			    "[disk]\nfile=/var/lib/pcipass/images/sub/b,1.raw\nformat=raw\nreadonly=yes\n"
			    "[net]\nmode=tap\nifname=tap0\nmac=52:54:00:AA:BB:CC\n[net]\nmode=user\n"
			    "[net]\nmode=tap\nbridge=br-vms.1\n"
			    "[display]\nvnc=on\nserial=socket\n"
			    "[boot]\nkernel=/var/lib/pcipass/images/k\ninitrd=/var/lib/pcipass/images/i\n"
			    "append=console=ttyS0 a,b\n",
			    &v, &e), 0);
	assert_int_equal(v.memory_mib, 4096);
	assert_int_equal(v.n_req, 2);
	assert_string_equal(v.req[0].model, "Atlas-800");
	assert_int_equal(v.req[0].count, 2);
	assert_string_equal(v.req[1].addr, "0000:3b:00.0");
	assert_int_equal(v.n_disk, 2);
	assert_string_equal(v.disk[1].file, "/var/lib/pcipass/images/sub/b,1.raw");
	assert_true(v.disk[1].readonly);
	assert_int_equal(v.n_net, 3);
	assert_string_equal(v.net[0].ifname, "tap0");
	assert_string_equal(v.net[0].bridge, "");
	assert_string_equal(v.net[0].mac, "52:54:00:aa:bb:cc");
	assert_string_equal(v.net[2].bridge, "br-vms.1");
	assert_string_equal(v.net[2].ifname, "");
	assert_true(v.vnc);
	assert_string_equal(v.serial, "socket");
	assert_string_equal(v.kernel, "/var/lib/pcipass/images/k");
	assert_string_equal(v.append, "console=ttyS0 a,b");

	/* a user the host allows; several image dirs; root only with both keys */
	static const char text[] = "[vm]\nname=a\nmemory=1G\nuser=alice\n[disk]\nfile=/srv/vm/a.raw\nformat=raw\n";
	config_defaults(&host);
	host.n_allowed_users = 2;
	strcpy(host.allowed_users[0], "bob");
	strcpy(host.allowed_users[1], "alice");
	host.n_image_dirs = 2;
	strcpy(host.image_dirs[1], "/srv/vm");
	memset(&e, 0, sizeof(e));
	assert_int_equal(vm_parse(text, strlen(text), "vm.ini", &host, &v, &e), 0);
	assert_string_equal(v.user, "alice");
	static const char root_vm[] = "[vm]\nname=a\nmemory=1G\nuser=root\n";
	strcpy(host.allowed_users[1], "root");
	host.allow_root_vm = true;
	assert_int_equal(vm_parse(root_vm, strlen(root_vm), "vm.ini", &host, &v, &e), 0);
	assert_string_equal(v.user, "root");

	/* a value as long as its field allows, and no longer (append: 255) */
	char longer[512];
	snprintf(longer, sizeof(longer), "[vm]\nname=a\nmemory=1G\n[boot]\nkernel=/var/lib/pcipass/images/k\nappend=%0*d\n", 180, 0);
	assert_int_equal(vm(longer, &v, &e), 0);
	assert_int_equal(strlen(v.append), 180);
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
		{ "[vm]\nname=a\nmemory=1G\nuser=root\n", "vm.ini:4: user = root is refused (the host's allow_root_vm is false)", 77 },
		/* item 3 of issue 9: vm.ini picked any account */
		{ "[vm]\nname=a\nmemory=1G\nuser=daemon\n", "vm.ini:4: user: \"daemon\" is not in the host's allowed_users", 77 },
		{ "[vm]\nuser=dynamic\n", "vm.ini:2: user: \"dynamic\" is not in the host's allowed_users", 77 },
		{ "[vm]\nuser=a b\n", "vm.ini:2: user: expected 1-32 characters of A-Z a-z 0-9 . _ -, got \"a b\"", 65 },
		{ "[vm]\nname=a\n", "vm.ini: [vm] needs name and memory", 65 },
		{ "[vm]\naccel = hvf\n", "vm.ini:2: accel: expected one of kvm, tcg, got \"hvf\"", 65 },
		{ "[qemu]\n", "vm.ini:1: unknown section [qemu], expected [vm], [devices], [disk], [net], [display] or [boot]", 65 },
		{ "[vm]\n[vm]\n", "vm.ini:2: section [vm] given twice", 65 },
		{ "[devices]\nAtlas-800 = 65\n", "vm.ini:2: count: expected a number from 1 to 64, got \"65\" (too large)", 65 },
		{ "[devices]\nbad name = 1\n", "vm.ini:2: model \"bad name\": expected 1-64 characters of A-Z a-z 0-9 . _ -", 65 },
		{ "[devices]\nA = 1\nA = 2\n", "vm.ini:3: A given twice in [devices] (line 2)", 65 },
		{ "[devices]\nA = 40\nB = 40\n", "vm.ini:3: more than 64 devices for one VM", 65 },
		{ "[devices]\naddress = 0000:3b:00.0,id=x\n", "vm.ini:2: address: expected a PCI address like 0000:3b:00.0, got \"0000:3b:00.0,id=x\"", 65 },
		/* paths: the shape first (65), then image_dirs (77) */
		{ "[disk]\nfile = img.qcow2\n", "vm.ini:2: file: expected an absolute path without . or .. parts, got \"img.qcow2\"", 65 },
		{ "[disk]\nfile = /var/lib/pcipass/images/../x\n", "vm.ini:2: file: expected an absolute path without . or .. parts, got \"/var/lib/pcipass/images/../x\"", 65 },
		{ "[disk]\nfile = /var/lib/pcipass/images//a\n", "vm.ini:2: file: expected an absolute path without . or .. parts, got \"/var/lib/pcipass/images//a\"", 65 },
		{ "[disk]\nfile = /var/lib/pcipass/images/a/\n", "vm.ini:2: file: expected an absolute path without . or .. parts, got \"/var/lib/pcipass/images/a/\"", 65 },
		{ "[disk]\nfile = /var/lib/pcipass/images/.\n", "vm.ini:2: file: expected an absolute path without . or .. parts, got \"/var/lib/pcipass/images/.\"", 65 },
		{ "[disk]\nfile = /\n", "vm.ini:2: file: expected an absolute path without . or .. parts, got \"/\"", 65 },
		{ "[disk]\nfile = /run/pcipass/vms/other.qmp\n", "vm.ini:2: file: \"/run/pcipass/vms/other.qmp\" is not under image_dirs (/var/lib/pcipass/images)", 77 },
		{ "[disk]\nfile = /etc/shadow\n", "vm.ini:2: file: \"/etc/shadow\" is not under image_dirs (/var/lib/pcipass/images)", 77 },
		{ "[disk]\nfile = /var/lib/pcipass/images\n", "vm.ini:2: file: \"/var/lib/pcipass/images\" is not under image_dirs (/var/lib/pcipass/images)", 77 },
		{ "[disk]\nfile = /var/lib/pcipass/images2/a\n", "vm.ini:2: file: \"/var/lib/pcipass/images2/a\" is not under image_dirs (/var/lib/pcipass/images)", 77 },
		{ "[boot]\nkernel = /run/pcipass\n", "vm.ini:2: kernel: \"/run/pcipass\" is not under image_dirs (/var/lib/pcipass/images)", 77 },
		{ "[boot]\ninitrd = /boot/initrd.img\n", "vm.ini:2: initrd: \"/boot/initrd.img\" is not under image_dirs (/var/lib/pcipass/images)", 77 },
		{ "[disk]\nformat = vmdk\n", "vm.ini:2: format: expected one of raw, qcow2, got \"vmdk\"", 65 },
		{ "[vm]\nname=a\nmemory=1G\n[disk]\nfile=/var/lib/pcipass/images/a\n", "vm.ini:4: [disk] needs file and format", 65 },
		/* [net] */
		{ "[net]\nmode = bridge\n", "vm.ini:2: mode: expected one of user, tap, got \"bridge\"", 65 },
		{ "[vm]\nname=a\nmemory=1G\n[net]\nmode=user\nifname=tap0\n", "vm.ini:4: [net]: ifname and bridge go with mode = tap only", 65 },
		{ "[vm]\nname=a\nmemory=1G\n[net]\nmode=user\nbridge=br0\n", "vm.ini:4: [net]: ifname and bridge go with mode = tap only", 65 },
		{ "[vm]\nname=a\nmemory=1G\n[net]\nmode=tap\n", "vm.ini:4: [net]: mode = tap needs one of ifname (an existing tap) or bridge (to make a tap on), not neither", 65 },
		{ "[vm]\nname=a\nmemory=1G\n[net]\nmode=tap\nifname=tap0\nbridge=br0\n", "vm.ini:4: [net]: mode = tap needs one of ifname (an existing tap) or bridge (to make a tap on), not both", 65 },
		{ "[net]\nbridge = br0,id=x\n", "vm.ini:2: bridge: expected an interface name of 1-15 characters, got \"br0,id=x\"", 65 },
		{ "[net]\nbridge = 0123456789abcdef\n", "vm.ini:2: bridge: expected an interface name of 1-15 characters, got \"0123456789abcdef\"", 65 },
		{ "[net]\nifname = -tap\n", "vm.ini:2: ifname: expected an interface name of 1-15 characters, got \"-tap\"", 65 },
		{ "[net]\nmac = 01:00:5e:00:00:01\n", "vm.ini:2: mac: expected a unicast MAC like 52:54:00:12:34:56, got \"01:00:5e:00:00:01\"", 65 },
		/* item 4: nothing listens on TCP; item 1: no terminal for QEMU */
		{ "[display]\nvnc = 0.0.0.0:0\n", "vm.ini:2: vnc: expected on or off, got \"0.0.0.0:0\" (VNC listens only on a UNIX socket under the state directory, never on TCP)", 65 },
		{ "[display]\nvnc = 127.0.0.1:0\n", "vm.ini:2: vnc: expected on or off, got \"127.0.0.1:0\" (VNC listens only on a UNIX socket under the state directory, never on TCP)", 65 },
		{ "[display]\nserial = stdio\n", "vm.ini:2: serial: stdio is refused: it would give QEMU the caller's terminal; expected none or socket (a UNIX socket under the state directory)", 65 },
		{ "[display]\nserial = tcp::4444\n", "vm.ini:2: serial: expected one of none, socket, got \"tcp::4444\"", 65 },
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
	/* root needs allowed_users as well as allow_root_vm */
	host.allow_root_vm = true;
	memset(&e, 0, sizeof(e));
	static const char root_vm[] = "[vm]\nname=a\nmemory=1G\nuser=root\n";
	assert_int_equal(vm_parse(root_vm, strlen(root_vm), "vm.ini", &host, &v, &e), -1);
	assert_string_equal(e.msg, "vm.ini:4: user: \"root\" is not in the host's allowed_users");
	/* with no image dir at all, no file can be named */
	host.n_image_dirs = 0;
	static const char disk[] = "[disk]\nfile=/var/lib/pcipass/images/a\n";
	memset(&e, 0, sizeof(e));
	assert_int_equal(vm_parse(disk, strlen(disk), "vm.ini", &host, &v, &e), -1);
	assert_string_equal(e.msg, "vm.ini:2: file: \"/var/lib/pcipass/images/a\" is not under image_dirs (none)");
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
	assert_int_equal(select_devices(&inv, busy, NULL, &v, NULL, NULL, picks, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_string_equal(picks[0].dev->addr, "0000:01:00.0"); /* lowest address first */
	assert_string_equal(picks[1].dev->addr, "0000:02:00.0");
	busy[0] = true;
	assert_int_equal(select_devices(&inv, busy, NULL, &v, NULL, NULL, picks, &n, &e), 0);
	assert_string_equal(picks[0].dev->addr, "0000:02:00.0");
	assert_string_equal(picks[1].dev->addr, "0000:81:00.0");
	/* a lost race moves on to the next free device */
	busy[0] = false;
	assert_int_equal(select_devices(&inv, busy, NULL, &v, lose_first, &calls, picks, &n, &e), 0);
	assert_string_equal(picks[0].dev->addr, "0000:02:00.0");
	assert_string_equal(picks[1].dev->addr, "0000:81:00.0");
	/* not enough */
	busy[1] = true;
	calls = 0;
	memset(&e, 0, sizeof(e));
	assert_int_equal(select_devices(&inv, busy, NULL, &v, lose_first, &calls, picks, &n, &e), -1);
	assert_int_equal(e.code, EX_UNAVAILABLE);
	assert_string_equal(e.msg, "vm.ini:5: 2 Atlas-800 asked for, 1 free (3 in all)");
	/* NUMA node filter, and explicit addresses taken first */
	busy[1] = false;
	assert_int_equal(vm("[vm]\nname=a\nmemory=1G\nnuma_node=0\n[devices]\nAtlas-800 = 1\naddress = 0000:01:00.0\n", &v, &e), 0);
	assert_int_equal(select_devices(&inv, busy, NULL, &v, NULL, NULL, picks, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_string_equal(picks[0].dev->addr, "0000:01:00.0");
	assert_string_equal(picks[1].dev->addr, "0000:02:00.0");
	assert_int_equal(vm("[vm]\nname=a\nmemory=1G\nnuma_node=1\n[devices]\nAtlas-800 = 2\n", &v, &e), 0);
	assert_int_equal(select_devices(&inv, busy, NULL, &v, NULL, NULL, picks, &n, &e), -1);
	assert_string_equal(e.msg, "vm.ini:6: 2 Atlas-800 asked for, 1 free on NUMA node 1 (1 in all)");
	assert_int_equal(vm("[vm]\nname=a\nmemory=1G\n[devices]\nNope = 1\n", &v, &e), 0);
	assert_int_equal(select_devices(&inv, busy, NULL, &v, NULL, NULL, picks, &n, &e), -1);
	assert_string_equal(e.msg, "vm.ini:5: no device of model Nope on this host");
	assert_int_equal(vm("[vm]\nname=a\nmemory=1G\n[devices]\naddress = 0000:09:00.0\n", &v, &e), 0);
	assert_int_equal(select_devices(&inv, busy, NULL, &v, NULL, NULL, picks, &n, &e), -1);
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
	/* every descriptor by number from the hand-over table: QMP 3, leases 4 5, claims 6 7,
	 * console 8, the read-only disk 9 (set 1), the writable one 10 and 11 (set 2), kernel 12,
	 * initrd 13, tap 14 */
	static const char *const want[] = {
		"/usr/bin/qemu-system-x86_64", "-name", "guest=w,debug-threads=on",
		"-machine", "q35,accel=tcg", "-cpu", "max", "-m", "1024", "-smp", "1",
		"-nodefaults", "-no-user-config",
		"-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny",
		"-chardev", "socket,id=pcipass.qmp,fd=3,server=on,wait=off",
		"-mon", "chardev=pcipass.qmp,mode=control",
		"-device", "VGA", "-vnc", "unix:/run/pcipass/vms/w.vnc/socket",
		"-chardev", "socket,id=pcipass.console,fd=8,server=on,wait=off",
		"-serial", "chardev:pcipass.console", "-S",
		"-device", "pcie-root-port,id=pcipass.rp0,chassis=1,slot=1",
		"-device", "vfio-pci,host=0000:01:00.0,id=hostdev0,bus=pcipass.rp0",
		"-device", "pcie-root-port,id=pcipass.rp1,chassis=2,slot=2",
		"-device", "vfio-pci,host=0000:02:00.0,id=hostdev1,bus=pcipass.rp1",
		"-add-fd", "fd=9,set=1",
		"-drive", "file=/dev/fdset/1,format=raw,if=none,id=disk0,readonly=on",
		"-device", "virtio-blk-pci,drive=disk0",
		"-add-fd", "fd=10,set=2", "-add-fd", "fd=11,set=2",
		"-drive", "file=/dev/fdset/2,format=qcow2,if=none,id=disk1",
		"-device", "virtio-blk-pci,drive=disk1",
		"-netdev", "tap,id=net0,fd=14", "-device", "virtio-net-pci,netdev=net0,mac=52:54:00:12:34:56",
		"-netdev", "user,id=net1", "-device", "virtio-net-pci,netdev=net1,mac=ae:6a:ed:74:a2:15", /* vm_mac */
		"-kernel", "/proc/self/fd/12", "-initrd", "/proc/self/fd/13",
		"-append", "console=ttyS0 a,b",
	};
	static struct vm_config v, bare;
	char out[64];
	const struct qemu_dev devs[2] = { { .addr = "0000:01:00.0", .id = 0, .port = 0, .rombar = -1, .romfile_fd = -1 },
					  { .addr = "0000:02:00.0", .id = 1, .port = 1, .rombar = -1, .romfile_fd = -1 } };
	static char w0[] = "a\x9b" "b", w1[] = "caf\xc3\xa9", w2[] = "x'y\\z\n", w3[] = "it's", w4[] = "-kernel";
	char *odd[] = { w0, w1, w2, w3, w4, NULL };
	struct argv a, shown_argv = { odd, 5, 6, false };
	struct handover fds;
	struct sbuf b = { 0 };
	struct perr e;

	(void)state;
	assert_int_equal(qemu_escape("a,b,,c", out, sizeof(out)), 0);
	assert_string_equal(out, "a,,b,,,,c");
	assert_int_equal(qemu_escape("a\nb", out, sizeof(out)), -1);
	assert_int_equal(qemu_escape(",,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,", out, sizeof(out)), -1); /* would not fit */
	assert_int_equal(vm("[vm]\nname=w\nmemory=1G\naccel=tcg\npaused=true\n"
			    "[disk]\nfile=/var/lib/pcipass/images/ro.raw\nformat=raw\nreadonly=true\n"
			    "[disk]\nfile=/var/lib/pcipass/images/a,format=raw,file=/etc/shadow\nformat=qcow2\n"
			    "[net]\nmode=tap\nifname=tap0\nmac=52:54:00:12:34:56\n[net]\nmode=user\n"
			    "[display]\nvnc=true\nserial=socket\n"
			    "[boot]\nkernel=/var/lib/pcipass/images/vmlinuz\ninitrd=/var/lib/pcipass/images/initrd.img\n"
			    "append=console=ttyS0 a,b\n",
			    &v, &e), 0);
	handover_plan(&v, 2, &fds);
	assert_int_equal(qemu_argv(&host, &v, devs, 2, &fds, NULL, &a, &e), 0);
	for (size_t i = 0; i < a.n && i < sizeof(want) / sizeof(want[0]); i++)
		assert_string_equal(a.v[i], want[i]);
	assert_int_equal(a.n, sizeof(want) / sizeof(want[0]));
	assert_null(a.v[a.n]);
	for (size_t i = 0; i < a.n; i++) /* no path or name from vm.ini reaches QEMU */
		assert_true(strstr(a.v[i], "/var/lib") == NULL && strstr(a.v[i], "shadow") == NULL &&
			    strstr(a.v[i], "tap0") == NULL);
	argv_show(&a, &b);
	assert_non_null(strstr(b.p, " \\\n    -device pcie-root-port,id=pcipass.rp1,chassis=2,slot=2 \\\n"
				    "    -device vfio-pci,host=0000:02:00.0,id=hostdev1,bus=pcipass.rp1"));
	assert_non_null(strstr(b.p, " \\\n    -append 'console=ttyS0 a,b'\n"));
	sbuf_free(&b);
	argv_free(&a);

	/* the VNC socket's path is the host's, and escaped like any value in an option list */
	snprintf(host.state_dir, sizeof(host.state_dir), "/run/a,b");
	assert_int_equal(qemu_argv(&host, &v, devs, 2, &fds, NULL, &a, &e), 0);
	for (size_t i = 0; i + 1 < a.n; i++)
		if (strcmp(a.v[i], "-vnc") == 0)
			assert_string_equal(a.v[i + 1], "unix:/run/a,,b/vms/w.vnc/socket");
	argv_free(&a);

	/* a table planned for another VM is a bug, not a QEMU started without its disk */
	assert_int_equal(vm("[vm]\nname=w\nmemory=1G\n", &bare, &e), 0);
	handover_plan(&bare, 0, &fds);
	assert_int_equal(qemu_argv(&host, &v, devs, 0, &fds, NULL, &a, &e), -1);
	assert_int_equal(e.code, EX_SOFTWARE);
	assert_string_equal(e.msg, "no descriptor planned for the console socket");

	/* --dry-run: no control, C1 or UTF-8 byte reaches the terminal raw; bash reads it back */
	argv_show(&shown_argv, &b);
	assert_string_equal(b.p, "$'a\\x9bb' $'caf\\xc3\\xa9' $'x\\'y\\\\z\\x0a' 'it'\\''s' \\\n    -kernel\n");
	sbuf_free(&b);
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
