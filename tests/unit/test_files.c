/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_files.c - files and taps of vm.ini opened by the launcher and handed over by descriptor:
 * the path policy (beneath an image dir, no symlink, regular files), the descriptors each kind
 * gets, the sealed kernel copy, taps by name and on a bridge, and nothing left open on failure. */
#include "cm.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <linux/if_tun.h>

#include "files.h"

static char dir[256];
static struct host_config host;
static struct vm_config vm;
static char kernel_bytes[200000];

static void path(char *out, const char *rel)
{
	assert_true(xsnprintf(out, VM_PATH_MAX, "%s/%s", dir, rel) >= 0);
}

/* The tree: img/ the image dir; outside/ not one; imgx/ shares img's prefix, not its path. */
static int setup(void **state)
{
	char p[VM_PATH_MAX];
	FILE *f;

	(void)state;
	scratch(dir);
	for (const char *const *d = (const char *const[]){ "img", "img/sub", "outside", "imgx", NULL }; *d; d++) {
		path(p, *d);
		assert_int_equal(mkdir(p, 0755), 0);
	}
	put_file(dir, "img/a.raw", "disk-a", 0644);
	put_file(dir, "img/sub/b.raw", "disk-b", 0644);
	put_file(dir, "img/initrd", "INITRD", 0644);
	put_file(dir, "outside/secret", "secret", 0600);
	put_file(dir, "imgx/a.raw", "not an image", 0644);
	for (size_t i = 0; i < sizeof(kernel_bytes); i++)
		kernel_bytes[i] = (char)(i * 7 + i / 251);
	path(p, "img/vmlinuz");
	assert_non_null(f = fopen(p, "w"));
	assert_int_equal(fwrite(kernel_bytes, 1, sizeof(kernel_bytes), f), sizeof(kernel_bytes));
	assert_int_equal(fclose(f), 0);
	put_file(dir, "img/big", "", 0644); /* 1 MiB and a byte: too big for a VM of 1 MiB */
	path(p, "img/big");
	assert_int_equal(truncate(p, (1 << 20) + 1), 0);
	path(p, "img/link");
	assert_int_equal(symlink("a.raw", p), 0);
	path(p, "img/dirlink");
	assert_int_equal(symlink("sub", p), 0);
	path(p, "img/esc");
	assert_int_equal(symlink("../outside", p), 0);
	path(p, "imglink");
	assert_int_equal(symlink("img", p), 0);
	path(p, "img/fifo");
	assert_int_equal(mkfifo(p, 0644), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rmtree(dir);
	return 0;
}

/* A VM of nothing but what each test adds; image_dirs = <dir>/img. */
static void reset(void)
{
	config_defaults(&host);
	host.n_image_dirs = 1;
	path(host.image_dirs[0], "img");
	memset(&vm, 0, sizeof(vm));
	strcpy(vm.file, "vm.ini");
	strcpy(vm.name, "w");
	strcpy(vm.serial, "none");
	vm.memory_mib = 64;
}

static void add_disk(const char *rel, bool readonly, int line)
{
	struct vm_disk *d = &vm.disk[vm.n_disk++];

	path(d->file, rel);
	strcpy(d->format, "raw");
	d->readonly = readonly;
	d->line = line;
}

static void add_tap(const char *ifname, const char *bridge, int line)
{
	struct vm_net *n = &vm.net[vm.n_net++];

	strcpy(n->mode, "tap");
	snprintf(n->ifname, sizeof(n->ifname), "%s", ifname);
	snprintf(n->bridge, sizeof(n->bridge), "%s", bridge);
	n->line = line;
}

static int open_all(struct handover *h, struct perr *e)
{
	handover_plan(&vm, 0, h);
	memset(e, 0, sizeof(*e));
	return files_open(&host, &vm, h, e);
}

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static int accmode(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	assert_true(fl >= 0);
	assert_int_equal(fcntl(fd, F_GETFD), FD_CLOEXEC);
	return fl & O_ACCMODE;
}

static void test_disks(void **state)
{
	const struct fd_entry *d[3];
	struct handover h;
	struct perr e;
	struct stat st, a, b;
	char buf[16] = "", p[VM_PATH_MAX];
	size_t n = 0;
	int was[3];

	(void)state;
	reset();
	add_disk("img/a.raw", true, 3);
	add_disk("img/sub/b.raw", false, 6);
	assert_int_equal(open_all(&h, &e), 0);
	for (size_t i = 0; i < h.n; i++)
		if (h.e[i].kind == FD_DRIVE && n < 3)
			d[n++] = &h.e[i];
	assert_int_equal(n, 3);
	/* the read-only disk: one O_RDONLY descriptor of the file */
	assert_int_equal(d[0]->index, 0);
	assert_int_equal(accmode(d[0]->src), O_RDONLY);
	assert_int_equal(pread(d[0]->src, buf, sizeof(buf), 0), 6);
	assert_string_equal(buf, "disk-a");
	/* the writable one: O_RDONLY and O_RDWR in one fdset, on the inode vm.ini named */
	assert_true(d[1]->index == 1 && d[2]->index == 1 && d[1]->fdset == d[2]->fdset);
	assert_int_equal(accmode(d[1]->src), O_RDONLY);
	assert_int_equal(accmode(d[2]->src), O_RDWR);
	path(p, "img/sub/b.raw");
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(fstat(d[1]->src, &a), 0);
	assert_int_equal(fstat(d[2]->src, &b), 0);
	assert_true(a.st_dev == st.st_dev && a.st_ino == st.st_ino && b.st_dev == st.st_dev && b.st_ino == st.st_ino);
	assert_int_equal(pwrite(d[2]->src, "D", 1, 0), 1);
	assert_int_equal(pread(d[1]->src, buf, sizeof(buf), 0), 6);
	assert_string_equal(buf, "Disk-b");
	for (size_t i = 0; i < 3; i++)
		was[i] = d[i]->src;
	files_close(&h);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(d[i]->src, -1);
		assert_int_equal(fcntl(was[i], F_GETFD), -1);
	}
	/* nothing but these kinds is touched */
	assert_int_equal(h.e[0].kind, FD_QMP);
	assert_int_equal(h.e[0].src, -1);
}

static void test_refused(void **state)
{
	static const struct { const char *rel; int code; const char *why; } cases[] = {
		{ "img/link", 77, "expected a path without symlinks beneath image dir @/img, got a symlink" },
		{ "img/dirlink/b.raw", 77, "expected a path without symlinks beneath image dir @/img, got a symlink" },
		{ "img/esc/secret", 77, "expected a path without symlinks beneath image dir @/img, got a symlink" },
		{ "img/../outside/secret", 77, "expected a path beneath image dir @/img, got one that leaves it" },
		{ "outside/secret", 77, "expected a file under the host's image_dirs, got a path outside them" },
		{ "imgx/a.raw", 77, "expected a file under the host's image_dirs, got a path outside them" },
		{ "img/fifo", 77, "expected a regular file, got a FIFO" },
		{ "img/sub", 77, "expected a regular file, got a directory" },
		{ "img/none.raw", 66, "expected an existing file, got none" },
		{ "img/a.raw/x", 66, "expected an existing file, got none" },
	};
	struct handover h;
	struct perr e;
	char want[1024], *at;
	int before = open_fds();

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (int kind = 0; kind < 3; kind++) { /* a writable disk, a read-only one, a kernel */
			reset();
			if (kind < 2)
				add_disk(cases[i].rel, kind == 1, 7);
			else
				path(vm.kernel, cases[i].rel);
			assert_int_equal(open_all(&h, &e), -1);
			if (kind < 2)
				snprintf(want, sizeof(want), "vm.ini:7: [disk] file \"%s/%s\": %s", dir, cases[i].rel, cases[i].why);
			else
				snprintf(want, sizeof(want), "vm.ini: [boot] kernel \"%s/%s\": %s", dir, cases[i].rel, cases[i].why);
			if ((at = strchr(want + strlen(dir), '@')) != NULL) { /* @ is the scratch dir */
				char tail[512];
				snprintf(tail, sizeof(tail), "%s", at + 1);
				snprintf(at, sizeof(want) - (size_t)(at - want), "%s%s", dir, tail);
			}
			assert_string_equal(e.msg, want);
			assert_int_equal(e.code, cases[i].code);
			assert_int_equal(open_fds(), before);
		}
	}
	/* no image dir at all: nothing is a VM's */
	reset();
	host.n_image_dirs = 0;
	add_disk("img/a.raw", true, 3);
	assert_int_equal(open_all(&h, &e), -1);
	assert_int_equal(e.code, EX_NOPERM);
}

static void test_kernel(void **state)
{
	const struct fd_entry *k, *i;
	struct handover h;
	struct perr e;
	static char back[sizeof(kernel_bytes) + 1];
	char p[64], link[128] = "";
	struct stat st;
	int rw;

	(void)state;
	reset();
	path(vm.kernel, "img/vmlinuz");
	path(vm.initrd, "img/initrd");
	assert_int_equal(open_all(&h, &e), 0);
	k = handover_get(&h, FD_KERNEL, 0);
	i = handover_get(&h, FD_INITRD, 0);
	assert_true(k && i && k->src >= 0 && i->src >= 0);
	assert_int_equal(accmode(k->src), O_RDONLY);
	assert_int_equal(fcntl(k->src, F_GET_SEALS), F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
	assert_int_equal(fcntl(i->src, F_GET_SEALS), F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
	assert_int_equal(pread(k->src, back, sizeof(back), 0), sizeof(kernel_bytes));
	assert_memory_equal(back, kernel_bytes, sizeof(kernel_bytes));
	assert_int_equal(pread(i->src, back, sizeof(back), 0), 6);
	assert_memory_equal(back, "INITRD", 6);
	/* a copy, not the file: QEMU reads it by /proc/self/fd/N, and even reopened for writing
	 * (as the VM's identity could) it cannot be changed */
	snprintf(p, sizeof(p), "/proc/self/fd/%d", k->src);
	assert_true(readlink(p, link, sizeof(link) - 1) > 0);
	assert_true(strncmp(link, "/memfd:pcipass-kernel", 21) == 0);
	assert_true((rw = open(p, O_RDWR)) >= 0);
	assert_int_equal(write(rw, "x", 1), -1);
	assert_int_equal(errno, EPERM);
	assert_int_equal(ftruncate(rw, 0), -1);
	assert_int_equal(fcntl(rw, F_ADD_SEALS, 0), -1); /* F_SEAL_SEAL: not even a new seal */
	close(rw);
	assert_int_equal(fstat(k->src, &st), 0);
	assert_int_equal(st.st_size, sizeof(kernel_bytes));
	files_close(&h);
	assert_int_equal(k->src, -1);
	assert_int_equal(i->src, -1);

	/* no larger than the VM's memory */
	reset();
	vm.memory_mib = 1;
	path(vm.kernel, "img/big");
	assert_int_equal(open_all(&h, &e), -1);
	assert_int_equal(e.code, EX_DATAERR);
	assert_non_null(strstr(e.msg, "expected a file no larger than the VM's memory (1 MiB), got a larger one"));
}

static void test_image_dirs(void **state)
{
	struct handover h;
	struct perr e;

	(void)state;
	/* the admin's image dir may itself be reached through a symlink, or end in a slash */
	reset();
	path(host.image_dirs[0], "imglink");
	add_disk("imglink/a.raw", true, 3);
	assert_int_equal(open_all(&h, &e), 0);
	files_close(&h);
	reset();
	path(host.image_dirs[0], "img/");
	add_disk("img/a.raw", true, 3);
	assert_int_equal(open_all(&h, &e), 0);
	files_close(&h);
	/* the longest image dir that holds the path is the one searched: the admin named this
	 * symlinked one, so its files are a VM's */
	reset();
	host.n_image_dirs = 2;
	path(host.image_dirs[1], "img/dirlink");
	add_disk("img/dirlink/b.raw", true, 3);
	assert_int_equal(open_all(&h, &e), 0);
	files_close(&h);
}

static void test_halfway(void **state)
{
	struct handover h;
	struct perr e;
	int before = open_fds();

	(void)state;
	for (int last = 0; last < 2; last++) { /* the initrd is missing; the tap is missing */
		reset();
		add_disk("img/a.raw", true, 3);
		add_disk("img/sub/b.raw", false, 6);
		path(vm.kernel, "img/vmlinuz");
		path(vm.initrd, last == 0 ? "img/initrd.none" : "img/initrd");
		if (last == 1)
			add_tap("pcipassnone9", "", 12);
		assert_int_equal(open_all(&h, &e), -1);
		assert_int_equal(e.code, EX_NOINPUT);
		if (last == 1)
			assert_string_equal(e.msg, "vm.ini:12: [net] ifname \"pcipassnone9\": expected an existing tap device, got no such interface");
		for (size_t i = 0; i < h.n; i++)
			assert_int_equal(h.e[i].src, -1);
		assert_int_equal(open_fds(), before);
	}
}

/* In the child, in a network namespace of its own: cmocka's asserts cannot cross the fork. */
#define CHECK(c)                                                                     \
	do {                                                                         \
		if (!(c)) {                                                          \
			fprintf(stderr, "test_files.c:%d: %s (%s)\n", __LINE__, #c, e.msg); \
			return 1;                                                    \
		}                                                                    \
	} while (0)

static int read_sys(const char *ifname, const char *file, char *out, size_t size)
{
	char p[512];
	ssize_t n;
	int fd;

	snprintf(p, sizeof(p), "%s/class/net/%s/%s", host.sysfs_root, ifname, file);
	if (strcmp(file, "master") == 0)
		n = readlink(p, out, size - 1);
	else if ((fd = open(p, O_RDONLY)) < 0)
		return -1;
	else {
		n = read(fd, out, size - 1);
		close(fd);
	}
	if (n < 0)
		return -1;
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
	return 0;
}

static int taps_child(void)
{
	static const struct { const char *ifname, *bridge; int code; const char *why; } refused[] = {
		{ "nosuch0", "", 66, "[net] ifname \"nosuch0\": expected an existing tap device, got no such interface" },
		{ "pctun0", "", 77, "[net] ifname \"pctun0\": expected a tap device, got a tun device" },
		{ "lo", "", 77, "[net] ifname \"lo\": expected a tap device, got an interface that is not a tap" },
		{ "", "nosuch0", 66, "[net] bridge \"nosuch0\": expected an existing bridge, got no such interface" },
		{ "", "lo", 77, "[net] bridge \"lo\": expected a bridge, got an interface that is not one" },
	};
	struct handover h, h2;
	struct perr e = { 0 };
	struct ifreq ifr;
	char sys[CONF_PATH_MAX], text[128], want[256], name[IFNAMSIZ];
	const struct fd_entry *f;

	if (unshare(CLONE_NEWNET | CLONE_NEWNS) < 0)
		return 77;
	CHECK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
	CHECK(xsnprintf(sys, sizeof(sys), "%s/sys", dir) >= 0);
	CHECK(mkdir(sys, 0755) == 0);
	CHECK(mount("sysfs", sys, "sysfs", 0, NULL) == 0); /* this namespace's interfaces */
	CHECK(system("ip link add pcbr0 type bridge && ip link set pcbr0 mtu 9000 && "
		     "ip tuntap add dev pctap0 mode tap && ip tuntap add dev pctun0 mode tun") == 0);
	reset();
	strcpy(host.sysfs_root, sys);

	/* an existing tap, by name: attached with virtio-net's header */
	add_tap("pctap0", "", 9);
	CHECK(open_all(&h, &e) == 0);
	CHECK((f = handover_get(&h, FD_TAP, 0)) != NULL && f->src >= 0);
	CHECK(ioctl(f->src, TUNGETIFF, &ifr) == 0);
	CHECK(strcmp(ifr.ifr_name, "pctap0") == 0);
	CHECK((ifr.ifr_flags & (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR)) == (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR));
	CHECK((fcntl(f->src, F_GETFL) & O_ACCMODE) == O_RDWR);
	/* held by one VM, it is no other's */
	CHECK(open_all(&h2, &e) == -1 && e.code == EX_UNAVAILABLE);
	files_close(&h);
	CHECK(if_nametoindex("pctap0") != 0); /* the admin's tap stays */

	/* a new tap on a bridge: attached, up, the bridge's MTU; gone with its descriptor */
	reset();
	strcpy(host.sysfs_root, sys);
	add_tap("", "pcbr0", 9);
	memset(&e, 0, sizeof(e));
	CHECK(open_all(&h, &e) == 0);
	CHECK((f = handover_get(&h, FD_TAP, 0)) != NULL && f->src >= 0);
	CHECK(ioctl(f->src, TUNGETIFF, &ifr) == 0);
	snprintf(name, sizeof(name), "%s", ifr.ifr_name);
	CHECK(strncmp(name, "pcipass", 7) == 0);
	CHECK((ifr.ifr_flags & (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR)) == (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR));
	CHECK(read_sys(name, "master", text, sizeof(text)) == 0 && strcmp(strrchr(text, '/'), "/pcbr0") == 0);
	CHECK(read_sys(name, "flags", text, sizeof(text)) == 0 && (strtol(text, NULL, 16) & IFF_UP));
	CHECK(read_sys(name, "mtu", text, sizeof(text)) == 0 && strcmp(text, "9000") == 0);
	snprintf(want, sizeof(want), "tap %s on bridge pcbr0 (net 0)", name);
	CHECK(strcmp(f->why, want) == 0);
	files_close(&h);
	CHECK(if_nametoindex(name) == 0);

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		reset();
		strcpy(host.sysfs_root, sys);
		add_tap(refused[i].ifname, refused[i].bridge, 9);
		CHECK(open_all(&h, &e) == -1);
		snprintf(want, sizeof(want), "vm.ini:9: %s", refused[i].why);
		CHECK(strcmp(e.msg, want) == 0);
		CHECK(e.code == refused[i].code);
	}
	return 0;
}

static void test_taps(void **state)
{
	const char *why = NULL;
	pid_t pid;
	int st;

	(void)state;
	if (geteuid() != 0)
		why = "needs root";
	else if (system("command -v ip >/dev/null") != 0)
		why = "needs ip (iproute2)";
	if (why == NULL) {
		fflush(NULL);
		assert_true((pid = fork()) >= 0);
		if (pid == 0)
			_exit(taps_child());
		assert_int_equal(waitpid(pid, &st, 0), pid);
		assert_true(WIFEXITED(st));
		if (WEXITSTATUS(st) == 77)
			why = "no network namespace of our own (CAP_SYS_ADMIN, CAP_NET_ADMIN)";
		else
			assert_int_equal(WEXITSTATUS(st), 0);
	}
	if (why) {
		print_message("SKIP taps: %s\n", why);
		if (getenv("PCIPASS_MUST_WORK") && strcmp(getenv("PCIPASS_MUST_WORK"), "1") == 0)
			fail_msg("taps cannot be tested here, and PCIPASS_MUST_WORK=1");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_disks),  cmocka_unit_test(test_refused),
		cmocka_unit_test(test_kernel), cmocka_unit_test(test_image_dirs),
		cmocka_unit_test(test_halfway), cmocka_unit_test(test_taps),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
