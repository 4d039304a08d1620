/* SPDX-License-Identifier: GPL-2.0-or-later */
/* files.c - the files and taps a vm.ini names, opened as root and handed to QEMU by descriptor.
 *
 * A VM's identity has no right on any host file, so every path of vm.ini is resolved here,
 * by root, under a policy vm.ini cannot widen: beneath an image dir the admin named, no
 * symlink, a regular file. QEMU is then given descriptors and never sees a path. */
#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/if_tun.h>
#include <linux/openat2.h>
#include <linux/sockios.h>

#include "firmware.h"

/* A descriptor as a path: the only way to reopen an O_PATH descriptor for reading or writing,
 * and how QEMU's -kernel/-initrd (which take a file name) reach a memfd. */
#define PROC_FD "/proc/self/fd/%d"
#define AT_MAX (2 * VM_PATH_MAX + 64)

/* The start of every message about one value of vm.ini: `vm.ini:7: [disk] file "/x"`
 * (line 0: vm.ini does not say). fail() escapes what is not printable. */
static const char *where(char at[AT_MAX], const struct vm_config *vm, int line, const char *key,
			 const char *value)
{
	if (line > 0)
		snprintf(at, AT_MAX, "%s:%d: %s \"%s\"", vm->file, line, key, value);
	else
		snprintf(at, AT_MAX, "%s: %s \"%s\"", vm->file, key, value);
	return at;
}

/* The longest image dir that is a prefix of path at a component boundary ("/img" holds
 * "/img/a" but not "/imgx/a"), and in *rel the rest of the path below it; -1 when none is. */
static int image_dir_of(const struct host_config *host, const char *path, const char **rel)
{
	size_t best_n = 0;
	int best = -1;

	for (size_t i = 0; i < host->n_image_dirs; i++) {
		const char *d = host->image_dirs[i];
		size_t n = strlen(d);
		while (n > 0 && d[n - 1] == '/') /* "/img/" is "/img", and "/" the empty prefix */
			n--;
		if (strncmp(path, d, n) == 0 && path[n] == '/' && (best < 0 || n > best_n)) {
			best = (int)i;
			best_n = n;
		}
	}
	if (best >= 0)
		for (*rel = path + best_n; **rel == '/';)
			(*rel)++;
	return best;
}

static const char *type_of(mode_t m)
{
	return S_ISDIR(m) ? "a directory" : S_ISFIFO(m) ? "a FIFO" : S_ISSOCK(m) ? "a socket" :
	       S_ISCHR(m) ? "a character device" : S_ISBLK(m) ? "a block device" : "not a regular file";
}

/* path as an O_PATH descriptor of a regular file (its stat in *st), reached beneath its image
 * dir without following a symlink or leaving the dir. The image dir itself is the admin's and
 * may be reached through symlinks. No RESOLVE_NO_XDEV: a file system mounted under an image
 * dir is root's choice too. O_PATH opens nothing: no FIFO blocks, no device driver runs. */
static int open_beneath(const struct host_config *host, const char *at, const char *path,
			struct stat *st, struct perr *e)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC,
				.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
	const char *rel = "";
	int i = image_dir_of(host, path, &rel), dir, fd, err;

	if (i < 0)
		return fail(e, EX_NOPERM, "%s: expected a file under the host's image_dirs, got a path outside them", at);
	dir = open(host->image_dirs[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return fail_errno(e, EX_CONFIG, "%s: image_dirs: cannot open %s", at, host->image_dirs[i]);
	fd = (int)syscall(SYS_openat2, dir, rel, &how, sizeof(how));
	err = errno;
	close(dir);
	errno = err;
	if (fd < 0) {
		switch (err) {
		case ENOENT:
		case ENOTDIR:
			return fail(e, EX_NOINPUT, "%s: expected an existing file, got none", at);
		case ELOOP:
			return fail(e, EX_NOPERM, "%s: expected a path without symlinks beneath image dir %s, got a symlink",
				    at, host->image_dirs[i]);
		case EXDEV:
			return fail(e, EX_NOPERM, "%s: expected a path beneath image dir %s, got one that leaves it",
				    at, host->image_dirs[i]);
		default:
			return fail_errno(e, EX_OSERR, "%s: cannot open", at);
		}
	}
	if (fstat(fd, st) < 0) {
		fail_errno(e, EX_OSERR, "%s: fstat", at);
		close(fd);
		return -1;
	}
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		return fail(e, EX_NOPERM, "%s: expected a regular file, got %s", at, type_of(st->st_mode));
	}
	return fd;
}

/* A new open file of what fd names (an O_PATH descriptor, a memfd): the same inode. */
static int reopen(int fd, int flags)
{
	char p[sizeof(PROC_FD) + 16];

	snprintf(p, sizeof(p), PROC_FD, fd);
	return open(p, flags | O_CLOEXEC | O_NOCTTY);
}

int files_reopen(int fd, int flags)
{
	return reopen(fd, flags);
}

/* The disk p (an O_PATH descriptor of st) opened O_RDONLY, or O_RDWR (never O_CREAT or
 * O_TRUNC): the same inode, or an error. */
static int reopen_disk(int p, const struct stat *st, bool rdonly, const char *at, struct perr *e)
{
	struct stat got;
	int fd = reopen(p, rdonly ? O_RDONLY : O_RDWR);

	if (fd < 0) {
		if (errno == EACCES || errno == EPERM || errno == EROFS || errno == ETXTBSY)
			return fail_errno(e, EX_NOPERM, "%s: expected a file root can %s", at,
					  rdonly ? "read" : "write (or readonly = true)");
		return fail_errno(e, EX_OSERR, "%s: cannot open", at);
	}
	if (fstat(fd, &got) < 0 || got.st_dev != st->st_dev || got.st_ino != st->st_ino) {
		close(fd);
		return fail(e, EX_OSERR, "%s: not the same file when opened again", at);
	}
	return fd;
}

static const char *disk_at(char at[AT_MAX], const struct vm_config *vm, size_t i)
{
	const struct vm_disk *d = &vm->disk[i];

	return where(at, vm, d->file_line ? d->file_line : d->line, "[disk] file", d->file);
}

/* Every FD_DRIVE entry of disk i: O_RDONLY, or O_RDWR for the read-write half of a writable
 * disk's fdset, all on the one inode found beneath the image dir. */
static int open_disk(const struct host_config *host, const struct vm_config *vm, size_t i,
		     struct handover *h, struct perr *e)
{
	struct stat st;
	char at[AT_MAX];
	int p, found = 0;

	if ((p = open_beneath(host, disk_at(at, vm, i), vm->disk[i].file, &st, e)) < 0)
		return -1;
	for (size_t k = 0; k < h->n; k++) {
		struct fd_entry *f = &h->e[k];
		if (f->kind != FD_DRIVE || f->index != (int)i)
			continue;
		found++;
		if ((f->src = reopen_disk(p, &st, f->rdonly, at, e)) < 0) {
			close(p);
			return -1;
		}
	}
	close(p);
	if (found == 0)
		return fail(e, EX_SOFTWARE, "%s: no descriptor planned for it", at);
	return 0;
}

int files_check_disk(const struct host_config *host, const struct vm_config *vm, size_t i,
		     struct perr *e)
{
	struct stat st;
	char at[AT_MAX];
	int p, fd;

	if ((p = open_beneath(host, disk_at(at, vm, i), vm->disk[i].file, &st, e)) < 0)
		return -1;
	fd = reopen_disk(p, &st, true, at, e);
	if (fd >= 0) {
		close(fd);
		if (!vm->disk[i].readonly && (fd = reopen_disk(p, &st, false, at, e)) >= 0)
			close(fd);
	}
	close(p);
	return fd < 0 ? -1 : 0;
}

#define TOO_BIG "%s: expected a file no larger than the VM's memory (%llu MiB), got a larger one"

/* path copied into a memfd sealed against every change, of at most the VM's memory (a larger
 * kernel or initrd could not boot, and the copy lives as long as QEMU); f gets an O_RDONLY
 * descriptor of it. QEMU cannot change what it boots, and nobody else can either. */
static int sealed_copy(const struct host_config *host, const struct vm_config *vm,
		       const char *what, const char *path, int line, struct fd_entry *f, struct perr *e)
{
	unsigned long long max = vm->memory_mib << 20;
	char at[AT_MAX], name[32];
	struct stat st;
	int p, in, r;

	where(at, vm, line, what, path);
	if (f == NULL)
		return fail(e, EX_SOFTWARE, "%s: no descriptor planned for it", at);
	if ((p = open_beneath(host, at, path, &st, e)) < 0)
		return -1;
	in = reopen(p, O_RDONLY);
	close(p);
	if (in < 0)
		return fail_errno(e, EX_OSERR, "%s: cannot open", at);
	snprintf(name, sizeof(name), "pcipass-%s", what + strlen("[boot] "));
	r = files_seal(in, max, name, at, &f->src, e);
	close(in);
	if (r == -2) { /* said in the VM's terms */
		e->code = 0;
		fail(e, EX_DATAERR, TOO_BIG, at, vm->memory_mib);
	}
	return r < 0 ? -1 : 0;
}

int files_seal(int in, unsigned long long max, const char *name, const char *at, int *out,
	       struct perr *e)
{
	unsigned long long done = 0;
	int mem, r = 0;

	if ((mem = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING)) < 0)
		return fail_errno(e, EX_OSERR, "%s: memfd_create", at);
	for (ssize_t n = 1; n > 0 && r == 0;) {
		if ((n = sendfile(mem, in, NULL, 1 << 24)) < 0)
			r = fail_errno(e, EX_OSERR, "%s: cannot copy", at);
		else if ((done += (unsigned long long)n) > max)
			r = fail(e, EX_DATAERR, "%s: expected at most %llu bytes, got more", at, max) - 1;
	}
	if (r == 0 && fcntl(mem, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
		r = fail_errno(e, EX_OSERR, "%s: sealing its copy", at);
	if (r == 0 && (*out = reopen(mem, O_RDONLY)) < 0)
		r = fail_errno(e, EX_OSERR, "%s: reopening its copy", at);
	close(mem);
	return r;
}

int files_check_boot(const struct host_config *host, const struct vm_config *vm, bool initrd,
		     struct perr *e)
{
	const char *path = initrd ? vm->initrd : vm->kernel;
	char at[AT_MAX];
	struct stat st;
	int p, in;

	where(at, vm, initrd ? vm->initrd_line : vm->kernel_line, initrd ? "[boot] initrd" : "[boot] kernel",
	      path);
	if ((p = open_beneath(host, at, path, &st, e)) < 0)
		return -1;
	in = reopen(p, O_RDONLY);
	close(p);
	if (in < 0)
		return fail_errno(e, EX_OSERR, "%s: cannot open", at);
	close(in);
	if ((unsigned long long)st.st_size > vm->memory_mib << 20)
		return fail(e, EX_DATAERR, TOO_BIG, at, vm->memory_mib);
	return 0;
}

/* <dev_root>/net/tun attached to the tap name (or a new one, for "pcipass%d"), with virtio-net's
 * header, as QEMU's fd= expects. */
static int tap_attach(const struct host_config *host, const char *at, const char *name,
		      struct ifreq *ifr, struct perr *e)
{
	char tun[CONF_PATH_MAX + 16];
	int fd, err;

	if (xsnprintf(tun, sizeof(tun), "%s/net/tun", host->dev_root) < 0)
		return fail(e, EX_CONFIG, "dev_root too long");
	if ((fd = open(tun, O_RDWR | O_CLOEXEC | O_NOCTTY)) < 0)
		return fail_errno(e, EX_OSERR, "%s: cannot open %s", at, tun);
	memset(ifr, 0, sizeof(*ifr));
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", name);
	ifr->ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, ifr) == 0)
		return fd;
	err = errno;
	close(fd);
	errno = err;
	if (err == EBUSY)
		return fail(e, EX_UNAVAILABLE, "%s: expected a tap no other process holds, got one in use", at);
	return fail_errno(e, EX_OSERR, "%s: TUNSETIFF", at);
}

static int net_path(char *buf, size_t size, const struct host_config *host, const char *ifname,
		    const char *file, struct perr *e)
{
	if (xsnprintf(buf, size, "%s/class/net/%s%s", host->sysfs_root, ifname, file) < 0)
		return fail(e, EX_CONFIG, "sysfs_root too long");
	return 0;
}

#define NO_SUCH_TAP "%s: expected an existing tap device, got no such interface"

/* Interface ifname is a tap, as <sysfs_root>/class/net/IF/tun_flags says. */
static int tap_flags(const struct host_config *host, const char *at, const char *ifname,
		     struct perr *e)
{
	char path[CONF_PATH_MAX + 64], text[32] = "";
	long long flags = 0;
	const char *why;
	ssize_t n = -1;
	int fd;

	if (net_path(path, sizeof(path), host, ifname, "/tun_flags", e) < 0)
		return -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		n = read(fd, text, sizeof(text) - 1);
		close(fd);
	}
	if (n > 0) {
		text[n] = '\0';
		text[strcspn(text, "\n")] = '\0';
		if (parse_ll(text, 16, 0, 0xffff, &flags, &why) < 0)
			return fail(e, EX_OSERR, "%s: %s: expected flags like 0x1002, got \"%s\"", at, path, text);
	}
	if (n <= 0 || !(flags & IFF_TAP))
		return fail(e, EX_NOPERM, "%s: expected a tap device, got %s", at,
			    n > 0 ? "a tun device" : "an interface that is not a tap");
	return 0;
}

/* An existing tap, by name. TUNSETIFF would make a new tap of a name that is gone, so the
 * interface must be there before and be the same one after. */
static int tap_existing(const struct host_config *host, const char *at, const char *ifname,
			struct perr *e)
{
	unsigned idx = if_nametoindex(ifname);
	struct ifreq ifr;
	int fd;

	if (idx == 0)
		return fail(e, EX_NOINPUT, NO_SUCH_TAP, at);
	if (tap_flags(host, at, ifname, e) < 0)
		return -1;
	if ((fd = tap_attach(host, at, ifname, &ifr, e)) < 0)
		return -1;
	if (if_nametoindex(ifname) != idx) {
		close(fd);
		return fail(e, EX_OSERR, "%s: the interface changed while being opened", at);
	}
	return fd;
}

/* bridge is one, as <sysfs_root>/class/net/BR/bridge says. */
static int bridge_check(const struct host_config *host, const char *at, const char *bridge,
			struct perr *e)
{
	char path[CONF_PATH_MAX + 64];
	struct stat st;

	if (net_path(path, sizeof(path), host, bridge, "", e) < 0)
		return -1;
	if (stat(path, &st) < 0)
		return fail(e, EX_NOINPUT, "%s: expected an existing bridge, got no such interface", at);
	if (net_path(path, sizeof(path), host, bridge, "/bridge", e) < 0)
		return -1;
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return fail(e, EX_NOPERM, "%s: expected a bridge, got an interface that is not one", at);
	return 0;
}

/* A new tap on bridge, named by the kernel; not persistent: it goes with its last descriptor,
 * so with QEMU. Up, and with the bridge's MTU (a smaller one would shrink the bridge's). */
static int tap_on_bridge(const struct host_config *host, const char *at, const char *bridge,
			 struct fd_entry *f, struct perr *e)
{
	struct ifreq tap, q;
	int fd, s, mtu, r = 0;

	if (bridge_check(host, at, bridge, e) < 0)
		return -1;
	if ((fd = tap_attach(host, at, "pcipass%d", &tap, e)) < 0)
		return -1;
	if ((s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0) {
		fail_errno(e, EX_OSERR, "%s: socket", at);
		close(fd);
		return -1;
	}
	memset(&q, 0, sizeof(q));
	snprintf(q.ifr_name, sizeof(q.ifr_name), "%s", bridge);
	if (ioctl(s, SIOCGIFMTU, &q) < 0)
		r = fail_errno(e, EX_OSERR, "%s: SIOCGIFMTU", at);
	mtu = q.ifr_mtu;
	q = tap;
	q.ifr_mtu = mtu;
	if (r == 0 && ioctl(s, SIOCSIFMTU, &q) < 0)
		r = fail_errno(e, EX_OSERR, "%s: setting the MTU of %s to %d", at, tap.ifr_name, mtu);
	snprintf(q.ifr_name, sizeof(q.ifr_name), "%s", bridge);
	q.ifr_ifindex = (int)if_nametoindex(tap.ifr_name);
	if (r == 0 && ioctl(s, SIOCBRADDIF, &q) < 0)
		r = fail_errno(e, EX_OSERR, "%s: adding %s to it", at, tap.ifr_name);
	q = tap;
	if (r == 0 && ioctl(s, SIOCGIFFLAGS, &q) < 0)
		r = fail_errno(e, EX_OSERR, "%s: SIOCGIFFLAGS %s", at, tap.ifr_name);
	q.ifr_flags |= IFF_UP;
	if (r == 0 && ioctl(s, SIOCSIFFLAGS, &q) < 0)
		r = fail_errno(e, EX_OSERR, "%s: setting %s up", at, tap.ifr_name);
	close(s);
	if (r < 0) {
		close(fd); /* the tap goes with it, and off the bridge */
		return -1;
	}
	snprintf(f->why, sizeof(f->why), "tap %.16s on bridge %.16s (net %d)", tap.ifr_name, bridge, f->index);
	return fd;
}

static const char *tap_at(char at[AT_MAX], const struct vm_config *vm, size_t i)
{
	const struct vm_net *n = &vm->net[i];

	return where(at, vm, n->line, n->ifname[0] ? "[net] ifname" : "[net] bridge",
		     n->ifname[0] ? n->ifname : n->bridge);
}

static int open_tap(const struct host_config *host, const struct vm_config *vm, size_t i,
		    struct handover *h, struct perr *e)
{
	const struct vm_net *n = &vm->net[i];
	struct fd_entry *f = handover_find(h, FD_TAP, (int)i);
	char at[AT_MAX];

	tap_at(at, vm, i);
	if (f == NULL)
		return fail(e, EX_SOFTWARE, "%s: no descriptor planned for it", at);
	f->src = n->ifname[0] ? tap_existing(host, at, n->ifname, e) : tap_on_bridge(host, at, n->bridge, f, e);
	return f->src < 0 ? -1 : 0;
}

int files_check_tap(const struct host_config *host, const struct vm_config *vm, size_t i,
		    struct perr *e)
{
	const struct vm_net *n = &vm->net[i];
	char at[AT_MAX], path[CONF_PATH_MAX + 64];
	struct stat st;

	tap_at(at, vm, i);
	if (n->ifname[0]) {
		/* in <sysfs_root>, not by if_nametoindex: the host the config describes */
		if (net_path(path, sizeof(path), host, n->ifname, "", e) < 0)
			return -1;
		if (stat(path, &st) < 0)
			return fail(e, EX_NOINPUT, NO_SUCH_TAP, at);
		if (tap_flags(host, at, n->ifname, e) < 0)
			return -1;
	} else if (bridge_check(host, at, n->bridge, e) < 0) {
		return -1;
	}
	/* what tap_attach opens (the tun module), looked at, not opened */
	if (xsnprintf(path, sizeof(path), "%s/net/tun", host->dev_root) < 0)
		return fail(e, EX_CONFIG, "dev_root too long");
	if (stat(path, &st) < 0)
		return fail_errno(e, EX_OSERR, "%s: cannot open %s", at, path);
	if (!S_ISCHR(st.st_mode))
		return fail(e, EX_OSERR, "%s: %s: expected the tun device, got %s", at, path, type_of(st.st_mode));
	return 0;
}

int files_open(const struct host_config *host, const struct vm_config *vm, struct handover *h,
	       struct perr *e)
{
	for (size_t i = 0; i < vm->n_disk; i++)
		if (open_disk(host, vm, i, h, e) < 0)
			goto fail;
	if (vm->kernel[0] && sealed_copy(host, vm, "[boot] kernel", vm->kernel, vm->kernel_line,
					 handover_find(h, FD_KERNEL, 0), e) < 0)
		goto fail;
	if (vm->initrd[0] && sealed_copy(host, vm, "[boot] initrd", vm->initrd, vm->initrd_line,
					 handover_find(h, FD_INITRD, 0), e) < 0)
		goto fail;
	for (size_t i = 0; i < vm->n_net; i++)
		if (strcmp(vm->net[i].mode, "tap") == 0 && open_tap(host, vm, i, h, e) < 0)
			goto fail;
	/* last: the one that may make a file (a VM's first variable store) */
	if (strcmp(vm->firmware, "uefi") == 0 && fw_open(host, vm, h, e) < 0)
		goto fail;
	return 0;
fail:
	files_close(h);
	return -1;
}

void files_close(struct handover *h)
{
	for (size_t i = 0; i < h->n; i++) {
		struct fd_entry *f = &h->e[i];
		if ((f->kind == FD_DRIVE || f->kind == FD_KERNEL || f->kind == FD_INITRD ||
		     f->kind == FD_TAP || f->kind == FD_FIRMWARE || f->kind == FD_ROM) &&
		    f->src >= 0) {
			close(f->src);
			f->src = -1;
		}
	}
}
