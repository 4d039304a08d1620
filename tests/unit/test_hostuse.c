/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_hostuse.c - which PCI devices the host uses: the /proc parsers on the kernel's formats
 * and hostile text, and the scan over a fake /proc and /sys (disks under dm and md, a btrfs
 * anonymous device, swap, default routes through a bridge, a serial console). */
#include "cm.h"
#include "hostuse.h"

/* --- the parsers --- */

struct seen {
	char text[2048];
	size_t n;
};

static int on_mount(void *user, unsigned major, unsigned minor, const char *mnt, const char *src)
{
	struct seen *s = user;
	size_t o = strlen(s->text);

	snprintf(s->text + o, sizeof(s->text) - o, "%u:%u %s %s|", major, minor, mnt, src);
	s->n++;
	return 0;
}

static int on_name(void *user, const char *name)
{
	struct seen *s = user;
	size_t o = strlen(s->text);

	snprintf(s->text + o, sizeof(s->text) - o, "%s|", name);
	s->n++;
	return 0;
}

static int stop(void *user, const char *name)
{
	(void)user, (void)name;
	return -1;
}

static void test_mountinfo(void **state)
{
	struct seen s = { 0 };
	size_t bad = 0;
	char why[160] = "";
	const char *text =
		"21 1 253:0 / / rw,relatime shared:1 - ext4 /dev/mapper/vg-root rw\n"
		"22 21 8:1 / /boot rw,relatime shared:2 master:3 - ext4 /dev/sda1 rw\n"
		"23 21 0:5 / /proc rw - proc proc rw\n"
		"24 21 9:0 /sub /srv/my\\040data rw - xfs /dev/md0 rw\n"
		"garbage\n"                                             /* 5 */
		"25 21 8:1 / /x rw - ext4 /dev/sda1\n"                  /* 6: no super options */
		"26 21 8:1 / /x rw master:1 ext4 /dev/sda1 rw\n"        /* 7: no separator */
		"27 21 -8:1 / /x rw - ext4 /dev/sda1 rw\n"              /* 8: negative */
		"28 21 8:1 / /x\\08 rw - ext4 /dev/sda1 rw\n"           /* 9: bad escape */
		"29 21 8:1 / /x\\000 rw - ext4 /dev/sda1 rw\n"          /* 10: escaped NUL */
		"30 21 4096:1 / /x rw - ext4 /dev/sda1 rw\n"            /* 11: major over 12 bits */
		"31 21 8:1 / x rw - ext4 /dev/sda1 rw\n"                /* 12: relative mount point */
		"32 21 8:1 / /x  rw - ext4 /dev/sda1 rw\n"              /* 13: two spaces */
		"33 21 8:1 / /last rw - ext4 /dev/sda1 rw";             /* 14: no newline */

	(void)state;
	assert_int_equal(hostuse_parse_mountinfo(text, strlen(text), on_mount, &s, &bad, why, sizeof(why)), 0);
	assert_string_equal(s.text, "253:0 / /dev/mapper/vg-root|8:1 /boot /dev/sda1|0:5 /proc proc|"
				    "9:0 /srv/my data /dev/md0|");
	assert_int_equal(bad, 10);
	assert_string_equal(why, "line 5: expected ID PARENT MAJOR:MINOR ROOT MOUNTPOINT OPTIONS ... - TYPE SOURCE OPTIONS");

	/* a NUL in a line, and a line longer than the bound */
	static char big[50000];
	memset(big, 'a', sizeof(big));
	memcpy(big, "1 2 8:1 / /\0 rw - ext4 /dev/sda1 rw\n", 36);
	big[sizeof(big) - 1] = '\n';
	memset(&s, 0, sizeof(s));
	bad = 0;
	assert_int_equal(hostuse_parse_mountinfo(big, sizeof(big), on_mount, &s, &bad, why, sizeof(why)), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(bad, 2);
	assert_string_equal(why, "line 1: NUL byte in line");
}

static void test_swaps_routes(void **state)
{
	struct seen s = { 0 };
	size_t bad = 0;
	char why[160] = "";
	const char *swaps =
		"Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
		"/dev/sda3                               partition\t8388604\t0\t-2\n"
		"/swap\\040file                           file\t\t1048572\t0\t-3\n"
		"/dev/sdb1 partition 1 0\n"       /* four fields */
		"dev/sdb2 partition 1 0 -1\n";    /* not a path */
	const char *route =
		"Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT       \n"
		"br0\t00000000\t0102A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0                \n"
		"eth0\t0002A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"   /* not default */
		"eth9\t00000000\t0102A8C0\t0002\t0\t0\t0\t00000000\t0\t0\t0\n"   /* default, down */
		"eth8\t00000000\t0102A8C0\t0003\t0\t0\t0\t00000000\t0\t0\n"      /* 10 fields */
		"eth7\t0000000G\t0102A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n";  /* not hex */
	const char *route6 =
		"00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
		"fe800000000000000000000000000001 00000400 00000001 00000000 00000003     eth0\n"
		"00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
		"00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo\n"
		"fe800000000000000000000000000000 40 00000000000000000000000000000000 00 "
		"00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth1\n"
		"00000000000000000000000000000000 00 0000 00 0 0 0 0 3 eth2\n";

	(void)state;
	assert_int_equal(hostuse_parse_swaps(swaps, strlen(swaps), on_name, &s, &bad, why, sizeof(why)), 0);
	assert_string_equal(s.text, "/dev/sda3|/swap file|");
	assert_int_equal(bad, 2);
	assert_string_equal(why, "line 4: expected FILENAME TYPE SIZE USED PRIORITY");
	memset(&s, 0, sizeof(s));
	bad = 0;
	assert_int_equal(hostuse_parse_swaps("/dev/sda3 partition 1 0 -1\n", 27, on_name, &s, &bad, why, sizeof(why)), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(bad, 1); /* no header: not the kernel's file */

	memset(&s, 0, sizeof(s));
	bad = 0;
	assert_int_equal(hostuse_parse_routes(route, strlen(route), false, on_name, &s, &bad, why, sizeof(why)), 0);
	assert_string_equal(s.text, "br0|");
	assert_int_equal(bad, 2);
	assert_string_equal(why, "line 5: expected the 11 fields of an IPv4 route");
	assert_int_equal(hostuse_parse_routes(route, strlen(route), false, stop, NULL, &bad, why, sizeof(why)), -1);

	memset(&s, 0, sizeof(s));
	bad = 0;
	assert_int_equal(hostuse_parse_routes(route6, strlen(route6), true, on_name, &s, &bad, why, sizeof(why)), 0);
	assert_string_equal(s.text, "eth0|");
	assert_int_equal(bad, 1);
}

static void test_path_reason(void **state)
{
	struct seen s = { 0 };
	struct hostuse_dev d = { .mounts = 3, .swap = true };
	char why[HOSTUSE_WHY_MAX];

	(void)state;
	assert_int_equal(hostuse_path_addrs("/devices/pci0000:00/0000:00:1d.0/0000:3d:00.0/nvme/nvme0/"
					    "10000:e1:00.0/3d:00.0/0000:3D:00.0/0000:3d:00.0x", on_name, &s), 0);
	assert_string_equal(s.text, "0000:00:1d.0|0000:3d:00.0|10000:e1:00.0|");

	assert_false(hostuse_reason(NULL, false, why));
	assert_string_equal(why, "");
	assert_true(hostuse_reason(NULL, true, why));
	assert_string_equal(why, "boot VGA");
	strcpy(d.mount, "/boot");
	strcpy(d.route_if, "br0");
	strcpy(d.console, "ttyS4");
	assert_true(hostuse_reason(&d, true, why));
	assert_string_equal(why, "mounted /boot and 2 more, swap, default route br0, console ttyS4, boot VGA");
	/* the longest reason still fits */
	memset(d.mount, 'm', sizeof(d.mount) - 1);
	d.mount[sizeof(d.mount) - 1] = '\0';
	d.mounts = (size_t)-1;
	memset(d.route_if, 'r', sizeof(d.route_if) - 1);
	memset(d.console, 'c', sizeof(d.console) - 1);
	assert_true(hostuse_reason(&d, true, why));
	assert_true(strlen(why) < HOSTUSE_WHY_MAX - 1);
	assert_non_null(strstr(why, ", boot VGA"));
}

/* --- the scan over a fake host --- */

static char root[256];

static void sh(const char *fmt, ...) PRINTF(1, 2);
static void sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int n;

	n = snprintf(cmd, sizeof(cmd), "set -e; cd '%s'; ", root);
	va_start(ap, fmt);
	vsnprintf(cmd + n, sizeof(cmd) - (size_t)n, fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("failed: %s", cmd);
}

#define SATA "devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda"
#define NVME "devices/pci0000:00/0000:00:1d.0/0000:3d:00.0/nvme/nvme0/nvme0n1"

static void fake_host(void)
{
	scratch(root);
	sh("mkdir -p sys/dev/block sys/class/block sys/class/net sys/class/tty/console proc/self proc/net;"
	   "mkdir -p sys/" SATA "/sda1 sys/" SATA "/sda2 sys/" SATA "/sda3 sys/" NVME "/nvme0n1p1;"
	   "mkdir -p sys/devices/virtual/block/dm-0/slaves sys/devices/virtual/block/dm-0/dm;"
	   "mkdir -p sys/devices/virtual/block/md0/slaves;"
	   "echo vg-root >sys/devices/virtual/block/dm-0/dm/name;"
	   "ln -s ../../../../pci0000:00/0000:00:1d.0/0000:3d:00.0/nvme/nvme0/nvme0n1/nvme0n1p1 sys/devices/virtual/block/dm-0/slaves/nvme0n1p1;"
	   "ln -s ../../dm-0 sys/devices/virtual/block/md0/slaves/dm-0;"
	   "ln -s ../../" SATA "/sda1 sys/dev/block/8:1;"
	   "ln -s ../../devices/virtual/block/dm-0 sys/dev/block/253:0;"
	   "ln -s ../../devices/virtual/block/md0 sys/dev/block/9:0;"
	   "ln -s ../../" SATA "/sda2 sys/class/block/sda2;"
	   "ln -s ../../" SATA "/sda3 sys/class/block/sda3;"
	   "ln -s ../../devices/virtual/block/dm-0 sys/class/block/dm-0;");
	sh("mkdir -p sys/devices/pci0000:00/0000:00:19.0/net/eth0 sys/devices/pci0000:00/0000:00:1c.0/0000:04:00.0/net/eth1;"
	   "mkdir -p sys/devices/virtual/net/br0 sys/devices/pci0000:00/0000:05:00.0/tty/ttyS4 sys/devices/platform/serial8250/tty/ttyS0;"
	   "ln -s ../../../pci0000:00/0000:00:1c.0/0000:04:00.0/net/eth1 sys/devices/virtual/net/br0/lower_eth1;"
	   "ln -s ../../devices/virtual/net/br0 sys/class/net/br0;"
	   "ln -s ../../devices/pci0000:00/0000:00:19.0/net/eth0 sys/class/net/eth0;"
	   "mkdir -p sys/class/tty; ln -s ../../devices/pci0000:00/0000:05:00.0/tty/ttyS4 sys/class/tty/ttyS4;"
	   "ln -s ../../devices/platform/serial8250/tty/ttyS0 sys/class/tty/ttyS0;"
	   "echo 'tty0 ttyS0 ttyS4' >sys/class/tty/console/active;");
	sh("printf '%%s\\n' '21 1 253:0 / / rw shared:1 - ext4 /dev/mapper/vg-root rw' "
	   "'22 21 8:1 / /boot rw - ext4 /dev/sda1 rw' '23 21 0:5 / /proc rw - proc proc rw' "
	   "'24 21 9:0 / /srv/my\\040data rw - xfs /dev/md0 rw' '25 21 0:40 / /home rw - btrfs /dev/sda2 rw' "
	   "'26 21 8:1 / /var/lib/docker/x rw - ext4 /dev/sda1 rw' 'garbage' "
	   "'27 21 8:99 / /gone rw - ext4 /dev/sdz9 rw' >proc/self/mountinfo;"
	   "printf 'Filename\\t\\t\\t\\tType\\t\\tSize\\t\\tUsed\\t\\tPriority\\n"
	   "/dev/sda3                               partition\\t8388604\\t0\\t-2\\n' >proc/swaps;"
	   "printf 'Iface\\tDestination\\tGateway \\tFlags\\tRefCnt\\tUse\\tMetric\\tMask\\t\\tMTU\\tWindow\\tIRTT\\n"
	   "br0\\t00000000\\t0102A8C0\\t0003\\t0\\t0\\t0\\t00000000\\t0\\t0\\t0\\n' >proc/net/route;"
	   "printf '%%s\\n' '00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
	   "fe800000000000000000000000000001 00000400 00000001 00000000 00000003     eth0' >proc/net/ipv6_route;");
}

static void scan(struct hostuse *hu)
{
	char sys[300], proc[300];
	struct perr e = { 0 };

	snprintf(sys, sizeof(sys), "%s/sys", root);
	snprintf(proc, sizeof(proc), "%s/proc", root);
	assert_int_equal(hostuse_scan(sys, proc, hu, &e), 0);
}

static const char *reason(const struct hostuse *hu, const char *addr)
{
	static char why[HOSTUSE_WHY_MAX];
	hostuse_reason(hostuse_find(hu, addr), false, why);
	return why;
}

static void test_scan(void **state)
{
	struct hostuse hu;

	(void)state;
	fake_host();
	scan(&hu);
	assert_int_equal(hu.n, 7);
	/* address order */
	assert_string_equal(hu.v[0].addr, "0000:00:17.0");
	assert_string_equal(hu.v[6].addr, "0000:3d:00.0");
	/* sda1 twice and btrfs's anonymous 0:40 by its source; the partition of the swap */
	assert_string_equal(reason(&hu, "0000:00:17.0"), "mounted /boot and 2 more, swap");
	/* / on dm-0 and /srv on md0 over dm-0, both on the NVMe and its root port */
	assert_string_equal(reason(&hu, "0000:3d:00.0"), "mounted / and 1 more");
	assert_string_equal(reason(&hu, "0000:00:1d.0"), "mounted / and 1 more");
	/* the IPv4 default route through a bridge, the IPv6 one straight */
	assert_string_equal(reason(&hu, "0000:04:00.0"), "default route br0");
	assert_string_equal(reason(&hu, "0000:00:1c.0"), "default route br0");
	assert_string_equal(reason(&hu, "0000:00:19.0"), "default route eth0");
	/* the PCI serial console; the platform's ttyS0 and the VT have no PCI device */
	assert_string_equal(reason(&hu, "0000:05:00.0"), "console ttyS4");
	assert_null(hostuse_find(&hu, "0000:00:00.0"));
	/* the garbage line: one warning, the rest still read */
	assert_int_equal(hu.warnings, 1);
	assert_non_null(strstr(hu.warning, "self/mountinfo: 1 line not understood, first line 7:"));
	hostuse_free(&hu);

	/* hostile: a slaves loop (dm-0 -> md0 -> dm-0 ...) ends at the depth bound; a mount
	 * point with control characters is shown without them; a console name with a slash and
	 * a route through an interface named .. are refused */
	sh("ln -s ../../md0 sys/devices/virtual/block/dm-0/slaves/md0;"
	   "printf '%%s\\n' '21 1 9:0 / /a\\033[2J\\073b rw - xfs /dev/md0 rw' >proc/self/mountinfo;"
	   "echo 'ttyS4 ../../x' >sys/class/tty/console/active;"
	   "printf 'Iface\\tDestination\\tGateway \\tFlags\\tRefCnt\\tUse\\tMetric\\tMask\\t\\tMTU\\tWindow\\tIRTT\\n"
	   "..\\t00000000\\t0102A8C0\\t0003\\t0\\t0\\t0\\t00000000\\t0\\t0\\t0\\n' >proc/net/route;");
	scan(&hu);
	assert_string_equal(reason(&hu, "0000:3d:00.0"), "mounted /a??2J?b");
	assert_string_equal(reason(&hu, "0000:05:00.0"), "console ttyS4");
	assert_null(hostuse_find(&hu, "0000:04:00.0"));
	assert_true(hu.warnings >= 3);
	assert_non_null(strstr(hu.warning, "slaves deeper than 8 levels"));
	hostuse_free(&hu);

	/* nothing there at all (a fake tree without /proc files): nothing used, no warning */
	sh("rm -rf proc; mkdir proc");
	scan(&hu);
	assert_int_equal(hu.n, 1); /* the console still counts */
	assert_int_equal(hu.warnings, 1); /* ../../x */
	hostuse_free(&hu);
	rmtree(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mountinfo),
		cmocka_unit_test(test_swaps_routes),
		cmocka_unit_test(test_path_reason),
		cmocka_unit_test(test_scan),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
