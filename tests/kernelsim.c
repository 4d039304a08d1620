/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kernelsim.c - LD_PRELOAD test library that plays the kernel for sysfs writes under a fake
 * tree (as libvirt's virpcimock does): writing to driver_override, a driver's bind/unbind or
 * bus/pci/drivers_probe moves the device's `driver` link, and <dev>/vfio/<group> is there while
 * a device of the group is on vfio-pci, as the PCI core and vfio-pci do. Where it matters it
 * answers as Linux does (drivers/base/bus.c, drivers/pci/pci-driver.c):
 *   - a driver's `bind`: ENODEV for a device that is not there, or that the driver does not
 *     match (the override names another driver; vfio-pci without an override, having no IDs of
 *     its own), EBUSY for a device that already has a driver;
 *   - a driver's `unbind`: ENODEV unless the device is bound to that very driver;
 *   - drivers_probe: ENODEV for a device that is not there; a device that has a driver keeps
 *     it; else the override's driver takes it, if that driver is there (a module not loaded
 *     binds nothing, and the write still succeeds); without an override nothing binds here;
 *   - <dev>/vfio/<group> appears (the caller's, 0600) when the first device of the group binds to
 *     vfio-pci and goes when the last one leaves; in between its owner and mode are left be;
 *   - <dev>/reset_method (drivers/pci/pci.c reset_method_store, 6.x): "default" puts back the
 *     methods the device offers (the fake file <dev>/.sim_reset_offered, "flr" when absent); a
 *     list of names sets it, EINVAL when one is not offered (PCIPASS_SIM_RESET_SKIP set: as 5.15
 *     to 5.19 did, such a name is skipped and the write succeeds with the rest).
 * Knobs:
 *   PCIPASS_SIM_SYSFS  the fake sysfs root (required; other writes pass through untouched)
 *   PCIPASS_SIM_DEV    the fake /dev
 *   PCIPASS_SIM_FAIL   N: the Nth control write fails with EBUSY (fault injection)
 *   PCIPASS_SIM_COUNT  a file to which the number of control writes is appended, one per line
 *   PCIPASS_SIM_NOPROBE  set: drivers_probe succeeds and binds nothing, override or not (as
 *                      with the override's module missing): the caller must read the driver
 *                      link back to notice
 *   PCIPASS_SIM_FAIL_SETRESGID  set: setresgid() fails with EPERM in the process itself, not in
 *                      its children (a drop that fails while the launcher is still root: it
 *                      must undo)
 *   PCIPASS_SIM_MEMLOCK  set: RLIMIT_MEMLOCK is the stand-in's (getrlimit, setrlimit, prlimit
 *                      on the process itself): its hard limit starts unlimited, as under
 *                      systemd's LimitMEMLOCK=infinity, so raising it needs no CAP_SYS_RESOURCE
 *                      (the launcher's preflight accepts an unlimited hard limit without the
 *                      capability) and setrlimit stores what it is given, checked as the kernel
 *                      does (soft above hard: EINVAL; hard raised: EPERM). For a root without
 *                      CAP_SYS_RESOURCE (a container) that must launch with devices; the real
 *                      limit is untouched, so the exec'd program gets the real one. Other
 *                      resources pass through; getrlimit64 and the like are not caught.
 *   PCIPASS_SIM_COST   a file (which must exist, writable by the VM's user when the launcher
 *                      execs) to which each process appends, when it execs or exits, the time
 *                      spent in the hooks, which a real kernel would spend in its own code:
 *                      "NAME PID NANOSECONDS CALLS\n" (NAME: program_invocation_short_name).
 *                      Counted: the whole of a simulated write, rlimit call and this knob's
 *                      own bookkeeping; for a call passed on to libc, the deciding only, not the
 *                      real call. A forked child starts from 0; a process ended by _exit or a
 *                      signal writes nothing. (make bench subtracts it, tests/bench/launch.sh) */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define VFIO "vfio-pci"

static ssize_t (*real_write)(int, const void *, size_t);
static int ops;

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

/* PCIPASS_SIM_COST: this process's time in the hooks */
static const char *cost_file;
static int cost_done;
static long long cost_ns;
static unsigned long cost_calls;

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* A hook's start (0 when not counting) and end: the time in between is the stand-in's. */
static long long cost_start(void)
{
	return cost_file ? now_ns() : 0;
}

static void cost_end(long long t0)
{
	if (t0) {
		cost_ns += now_ns() - t0;
		cost_calls++;
	}
}

static void cost_child(void)
{
	cost_ns = 0;
	cost_calls = 0;
}

/* One line per process, once: at exec or at exit. The file is opened then, not kept open: the
 * launcher closes every descriptor it does not hand over, and by its exec it runs as the VM's
 * user (the bench makes the file writable for it). */
static void cost_write(void)
{
	long long t0 = cost_start();
	char line[128];
	int len, fd;

	if (!cost_file || cost_done)
		return;
	cost_done = 1;
	if ((fd = open(cost_file, O_WRONLY | O_APPEND | O_CLOEXEC)) < 0)
		return; /* a line missing shows as a count short in the bench */
	cost_end(t0);
	len = snprintf(line, sizeof(line), "%s %ld %lld %lu\n", program_invocation_short_name, (long)getpid(),
		       cost_ns, cost_calls);
	if (len > 0 && (size_t)len < sizeof(line))
		real_write(fd, line, (size_t)len);
	close(fd);
}

__attribute__((destructor)) static void cost_at_exit(void)
{
	cost_write();
}

int execve(const char *path, char *const argv[], char *const envp[])
{
	static int (*real)(const char *, char *const[], char *const[]);

	if (!real)
		real = (int (*)(const char *, char *const[], char *const[]))dlsym(RTLD_NEXT, "execve");
	cost_write();
	return real(path, argv, envp);
}

/* The last component of <root>/bus/pci/devices/<addr>/<name>'s link target; "" when none. */
static void link_base(const char *root, const char *addr, const char *name, char *out, size_t size)
{
	char p[PATH_MAX], t[PATH_MAX], *base;
	ssize_t n;

	out[0] = '\0';
	snprintf(p, sizeof(p), "%s/bus/pci/devices/%s/%s", root, addr, name);
	n = readlink(p, t, sizeof(t) - 1);
	if (n <= 0)
		return;
	t[n] = '\0';
	base = strrchr(t, '/') ? strrchr(t, '/') + 1 : t;
	if (strlen(base) < size)
		memcpy(out, base, strlen(base) + 1);
}

static int group_of(const char *root, const char *addr)
{
	char g[32];

	link_base(root, addr, "iommu_group", g, sizeof(g));
	return g[0] ? atoi(g) : -1;
}

/* Whether some device of IOMMU group g is bound to vfio-pci. */
static int group_on_vfio(const char *root, int g)
{
	char p[PATH_MAX], drv[64];
	struct dirent *d;
	DIR *dp;
	int on = 0;

	snprintf(p, sizeof(p), "%s/kernel/iommu_groups/%d/devices", root, g);
	if ((dp = opendir(p)) == NULL)
		return 0;
	while (!on && (d = readdir(dp)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		link_base(root, d->d_name, "driver", drv, sizeof(drv));
		on = strcmp(drv, VFIO) == 0;
	}
	closedir(dp);
	return on;
}

/* vfio-pci's group node for addr's group: made when the group's first device came to vfio-pci,
 * removed when its last one left, otherwise untouched (whoever it was handed to keeps it). */
static void vfio_sync(const char *root, const char *addr)
{
	const char *dev = env("PCIPASS_SIM_DEV");
	char p[PATH_MAX];
	int g = group_of(root, addr), fd;

	if (!dev || g < 0)
		return;
	snprintf(p, sizeof(p), "%s/vfio/%d", dev, g);
	if (!group_on_vfio(root, g)) {
		unlink(p);
		return;
	}
	mkdir(dev, 0755);
	snprintf(p, sizeof(p), "%s/vfio", dev);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/vfio/%d", dev, g);
	if ((fd = open(p, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600)) >= 0) {
		if (fchmod(fd, 0600) < 0) /* whatever the umask */
			unlink(p);
		close(fd);
	}
}

static int detach(const char *root, const char *addr, const char *drv)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/bus/pci/drivers/%s/%s", root, drv, addr);
	unlink(p);
	snprintf(p, sizeof(p), "%s/bus/pci/devices/%s/driver", root, addr);
	if (unlink(p) < 0)
		return -1;
	vfio_sync(root, addr);
	return 0;
}

static int attach(const char *root, const char *addr, const char *drv)
{
	char p[PATH_MAX + 64], t[PATH_MAX], dev[PATH_MAX];

	snprintf(p, sizeof(p), "%s/bus/pci/devices/%s", root, addr);
	if (!realpath(p, dev)) {
		errno = ENODEV;
		return -1;
	}
	snprintf(p, sizeof(p), "%s/driver", dev);
	snprintf(t, sizeof(t), "%s/bus/pci/drivers/%s", root, drv);
	if (symlink(t, p) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/bus/pci/drivers/%s/%s", root, drv, addr);
	if (symlink(dev, p) < 0)
		return -1;
	vfio_sync(root, addr);
	return 0;
}

static void override_of(const char *root, const char *addr, char *out, size_t size)
{
	char p[PATH_MAX];
	FILE *f;

	out[0] = '\0';
	snprintf(p, sizeof(p), "%s/bus/pci/devices/%s/driver_override", root, addr);
	if ((f = fopen(p, "re"))) {
		if (!fgets(out, (int)size, f))
			out[0] = '\0';
		fclose(f);
	}
	out[strcspn(out, "\n")] = '\0';
	if (strcmp(out, "(null)") == 0)
		out[0] = '\0';
}

static int exists(const char *root, const char *addr)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/bus/pci/devices/%s", root, addr);
	return access(p, F_OK) == 0;
}

/* bus.c bind_store: the device must be there and match the driver (pci_match_device: an
 * override names the only driver that matches; vfio-pci has no IDs of its own), and have no
 * driver yet (driver_probe_device's EBUSY). */
static int bind_store(const char *root, const char *addr, const char *drv)
{
	char ovr[64], now[64];

	override_of(root, addr, ovr, sizeof(ovr));
	if (!exists(root, addr) || (ovr[0] && strcmp(ovr, drv) != 0) || (!ovr[0] && strcmp(drv, VFIO) == 0)) {
		errno = ENODEV;
		return -1;
	}
	link_base(root, addr, "driver", now, sizeof(now));
	if (now[0]) {
		errno = EBUSY;
		return -1;
	}
	return attach(root, addr, drv);
}

/* bus.c unbind_store: only the driver the device is bound to can let it go. */
static int unbind_store(const char *root, const char *addr, const char *drv)
{
	char now[64];

	link_base(root, addr, "driver", now, sizeof(now));
	if (!exists(root, addr) || strcmp(now, drv) != 0) {
		errno = ENODEV;
		return -1;
	}
	return detach(root, addr, drv);
}

/* pci.c reset_method_store: a list of offered methods, or "default". */
static int reset_store(const char *root, const char *path, int fd, const char *arg)
{
	char offered[256] = "flr", p[PATH_MAX], list[256], *w, *save = NULL;
	FILE *f;

	snprintf(p, sizeof(p), "%.*s/.sim_reset_offered", (int)(strrchr(path, '/') - path), path);
	if ((f = fopen(p, "re"))) {
		if (!fgets(offered, sizeof(offered), f))
			offered[0] = '\0';
		fclose(f);
		offered[strcspn(offered, "\n")] = '\0';
	}
	(void)root;
	snprintf(list, sizeof(list), "%s", strcmp(arg, "default") == 0 ? offered : arg);
	char kept[256] = "";
	for (char *s = list; (w = strtok_r(s, " ", &save)); s = NULL) {
		char o[256], *ow, *osave = NULL;
		int found = 0;
		snprintf(o, sizeof(o), "%s", offered);
		for (char *os = o; (ow = strtok_r(os, " ", &osave)); os = NULL)
			found |= strcmp(ow, w) == 0;
		if (!found && !env("PCIPASS_SIM_RESET_SKIP")) {
			errno = EINVAL;
			return -1;
		}
		if (found && strlen(kept) + strlen(w) + 2 < sizeof(kept))
			strcat(strcat(kept, kept[0] ? " " : ""), w);
	}
	snprintf(list, sizeof(list), "%s%s", kept, kept[0] ? "\n" : "");
	if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0 ||
	    real_write(fd, list, strlen(list)) != (ssize_t)strlen(list))
		return -1;
	return 0;
}

/* bus.c drivers_probe_store: a device with a driver keeps it; otherwise the driver that
 * matches takes it, when there is one (here: the override's, when its module is "loaded"). */
static int probe_store(const char *root, const char *addr)
{
	char ovr[64], now[64], p[PATH_MAX];

	if (!exists(root, addr)) {
		errno = ENODEV;
		return -1;
	}
	link_base(root, addr, "driver", now, sizeof(now));
	override_of(root, addr, ovr, sizeof(ovr));
	if (now[0] || !ovr[0] || env("PCIPASS_SIM_NOPROBE"))
		return 0;
	snprintf(p, sizeof(p), "%s/bus/pci/drivers/%s", root, ovr);
	return access(p, F_OK) == 0 ? attach(root, addr, ovr) : 0;
}

/* The fake sysfs root with its links resolved, found once: every write of the process asks. */
static const char *real_root(const char *root)
{
	static char rroot[PATH_MAX];

	if (!rroot[0] && !realpath(root, rroot))
		rroot[0] = '\0';
	return rroot[0] ? rroot : NULL;
}

/* A write to one of the control files under the fake root, done as the kernel would: 1 with
 * the result in *ret; 0 for any other write, left to libc. */
static int control_write(int fd, const void *buf, size_t n, ssize_t *ret)
{
	const char *root = env("PCIPASS_SIM_SYSFS"), *failn = env("PCIPASS_SIM_FAIL"), *count, *rroot;
	char link[64], path[PATH_MAX], arg[64], *base, *drv;
	ssize_t len;
	int r;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if (!root || !(rroot = real_root(root)) || (len = readlink(link, path, sizeof(path) - 1)) <= 0)
		return 0;
	path[len] = '\0';
	base = strrchr(path, '/') + 1;
	if (strncmp(path, rroot, strlen(rroot)) != 0 ||
	    (strcmp(base, "driver_override") && strcmp(base, "bind") && strcmp(base, "unbind") &&
	     strcmp(base, "drivers_probe") && strcmp(base, "reset_method")))
		return 0;
	*ret = -1;
	ops++;
	if ((count = env("PCIPASS_SIM_COUNT"))) {
		FILE *f = fopen(count, "ae");
		if (f) {
			fprintf(f, "%d %s\n", ops, base);
			fclose(f);
		}
	}
	if (failn && atoi(failn) == ops) {
		errno = EBUSY;
		return 1;
	}
	snprintf(arg, sizeof(arg), "%.*s", (int)(n < 63 ? n : 63), (const char *)buf);
	arg[strcspn(arg, "\n")] = '\0';
	if (strcmp(base, "reset_method") == 0) {
		r = reset_store(root, path, fd, arg);
	} else if (strcmp(base, "driver_override") == 0) {
		r = ftruncate(fd, 0) < 0 || real_write(fd, arg[0] ? buf : "(null)\n", arg[0] ? n : 7) < 0 ? -1 : 0;
	} else {
		/* a driver's bind or unbind: the driver is the directory the file is in */
		base[-1] = '\0';
		drv = strrchr(path, '/') + 1;
		if (strcmp(base, "unbind") == 0)
			r = unbind_store(root, arg, drv);
		else if (strcmp(base, "bind") == 0)
			r = bind_store(root, arg, drv);
		else
			r = probe_store(root, arg);
	}
	*ret = r < 0 ? -1 : (ssize_t)n;
	return 1;
}

ssize_t write(int fd, const void *buf, size_t n)
{
	long long t0 = cost_start();
	ssize_t ret;

	if (!real_write)
		real_write = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
	if (control_write(fd, buf, n, &ret)) {
		cost_end(t0);
		return ret;
	}
	cost_end(t0);
	return real_write(fd, buf, n);
}

static pid_t loaded_in;

__attribute__((constructor)) static void loaded(void)
{
	long long t0 = env("PCIPASS_SIM_COST") ? now_ns() : 0;

	loaded_in = getpid();
	if (!real_write)
		real_write = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
	if ((cost_file = env("PCIPASS_SIM_COST"))) {
		pthread_atfork(NULL, NULL, cost_child);
		cost_end(t0);
	}
}

int setresgid(gid_t r, gid_t e, gid_t s)
{
	static int (*real)(gid_t, gid_t, gid_t);
	long long t0 = cost_start();

	if (env("PCIPASS_SIM_FAIL_SETRESGID") && getpid() == loaded_in) {
		cost_end(t0);
		errno = EPERM;
		return -1;
	}
	if (!real)
		real = (int (*)(gid_t, gid_t, gid_t))dlsym(RTLD_NEXT, "setresgid");
	cost_end(t0);
	return real(r, e, s);
}

/* PCIPASS_SIM_MEMLOCK: the process's RLIMIT_MEMLOCK as the stand-in keeps it (see the top). */
static struct rlimit memlock;
static int memlock_known;

static int (*real_prlimit)(pid_t, __rlimit_resource_t, const struct rlimit *, struct rlimit *);

static int sim_memlock(pid_t pid, __rlimit_resource_t res)
{
	if (!real_prlimit)
		real_prlimit = (int (*)(pid_t, __rlimit_resource_t, const struct rlimit *, struct rlimit *))dlsym(
			RTLD_NEXT, "prlimit");
	return res == RLIMIT_MEMLOCK && (pid == 0 || pid == getpid()) && env("PCIPASS_SIM_MEMLOCK");
}

/* prlimit(2) on the simulated limit: the old one out, the new one in, checked as the kernel does */
static int memlock_swap(const struct rlimit *new, struct rlimit *old)
{
	long long t0 = cost_start();

	if (!memlock_known) {
		if (real_prlimit(0, RLIMIT_MEMLOCK, NULL, &memlock) < 0) {
			cost_end(t0);
			return -1;
		}
		memlock.rlim_max = RLIM_INFINITY;
		memlock_known = 1;
	}
	/* kernel/sys.c do_prlimit: soft above hard is EINVAL; raising hard takes the capability */
	if (new && (new->rlim_cur > new->rlim_max || new->rlim_max > memlock.rlim_max)) {
		cost_end(t0);
		errno = new->rlim_cur > new->rlim_max ? EINVAL : EPERM;
		return -1;
	}
	if (old)
		*old = memlock;
	if (new)
		memlock = *new;
	cost_end(t0);
	return 0;
}

int prlimit(pid_t pid, __rlimit_resource_t res, const struct rlimit *new, struct rlimit *old)
{
	return sim_memlock(pid, res) ? memlock_swap(new, old) : real_prlimit(pid, res, new, old);
}

int getrlimit(__rlimit_resource_t res, struct rlimit *rl)
{
	return prlimit(0, res, NULL, rl);
}

int setrlimit(__rlimit_resource_t res, const struct rlimit *rl)
{
	return prlimit(0, res, rl, NULL);
}
