/* kernelsim.c - LD_PRELOAD test library that plays the kernel for sysfs writes under a fake
 * tree (as libvirt's virpcimock does): writing to driver_override, a driver's bind/unbind or
 * bus/pci/drivers_probe moves the device's `driver` link and makes <dev>/vfio/<group> appear,
 * as the PCI core and vfio-pci would.
 *   PCIPASS_SIM_SYSFS  the fake sysfs root (required; other writes pass through untouched)
 *   PCIPASS_SIM_DEV    the fake /dev
 *   PCIPASS_SIM_FAIL   N: the Nth control write fails with EBUSY (fault injection)
 *   PCIPASS_SIM_COUNT  a file to which the number of control writes is appended, one per line
 *   PCIPASS_SIM_FAIL_SETRESGID  set: setresgid() fails with EPERM in the process itself, not in
 *                      its children (a drop that fails while the launcher is still root: it
 *                      must undo) */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static ssize_t (*real_write)(int, const void *, size_t);
static int ops;

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

static int group_of(const char *root, const char *addr)
{
	char p[PATH_MAX], t[PATH_MAX];
	ssize_t n;

	snprintf(p, sizeof(p), "%s/bus/pci/devices/%s/iommu_group", root, addr);
	n = readlink(p, t, sizeof(t) - 1);
	if (n <= 0)
		return -1;
	t[n] = '\0';
	return atoi(strrchr(t, '/') + 1);
}

static void vfio_dev(const char *addr, int present)
{
	const char *root = env("PCIPASS_SIM_SYSFS"), *dev = env("PCIPASS_SIM_DEV");
	char p[PATH_MAX];
	int g = group_of(root, addr), fd;

	if (!dev || g < 0)
		return;
	snprintf(p, sizeof(p), "%s/vfio", dev);
	mkdir(dev, 0755);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/vfio/%d", dev, g);
	if (!present) {
		unlink(p);
	} else if ((fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0600)) >= 0) {
		close(fd);
	}
}

static void unbind(const char *root, const char *addr)
{
	char p[PATH_MAX], t[PATH_MAX];
	ssize_t n;

	snprintf(p, sizeof(p), "%s/bus/pci/devices/%s/driver", root, addr);
	n = readlink(p, t, sizeof(t) - 1);
	if (n <= 0)
		return;
	t[n] = '\0';
	if (strcmp(strrchr(t, '/') + 1, "vfio-pci") == 0)
		vfio_dev(addr, 0);
	snprintf(p, sizeof(p), "%s/bus/pci/drivers/%s/%s", root, strrchr(t, '/') + 1, addr);
	unlink(p);
	snprintf(p, sizeof(p), "%s/bus/pci/devices/%s/driver", root, addr);
	unlink(p);
}

static void bind(const char *root, const char *addr, const char *drv)
{
	char p[PATH_MAX + 64], t[PATH_MAX], dev[PATH_MAX];

	snprintf(p, sizeof(p), "%s/bus/pci/drivers/%s", root, drv);
	if (access(p, F_OK) < 0)
		return;
	snprintf(p, sizeof(p), "%s/bus/pci/devices/%s", root, addr);
	if (!realpath(p, dev))
		return;
	snprintf(p, sizeof(p), "%s/driver", dev);
	snprintf(t, sizeof(t), "%s/bus/pci/drivers/%s", root, drv);
	if (symlink(t, p) < 0)
		return;
	snprintf(p, sizeof(p), "%s/bus/pci/drivers/%s/%s", root, drv, addr);
	symlink(dev, p);
	if (strcmp(drv, "vfio-pci") == 0)
		vfio_dev(addr, 1);
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

ssize_t write(int fd, const void *buf, size_t n)
{
	const char *root = env("PCIPASS_SIM_SYSFS"), *failn = env("PCIPASS_SIM_FAIL"), *count;
	char link[64], path[PATH_MAX], rroot[PATH_MAX], arg[64], *base, ovr[64];
	ssize_t len;

	if (!real_write)
		real_write = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if (!root || !realpath(root, rroot) || (len = readlink(link, path, sizeof(path) - 1)) <= 0)
		return real_write(fd, buf, n);
	path[len] = '\0';
	base = strrchr(path, '/') + 1;
	if (strncmp(path, rroot, strlen(rroot)) != 0 ||
	    (strcmp(base, "driver_override") && strcmp(base, "bind") && strcmp(base, "unbind") &&
	     strcmp(base, "drivers_probe")))
		return real_write(fd, buf, n);
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
		return -1;
	}
	snprintf(arg, sizeof(arg), "%.*s", (int)(n < 63 ? n : 63), (const char *)buf);
	arg[strcspn(arg, "\n")] = '\0';
	if (strcmp(base, "driver_override") == 0) {
		if (ftruncate(fd, 0) < 0)
			return -1;
		return real_write(fd, arg[0] ? buf : "(null)\n", arg[0] ? n : 7) < 0 ? -1 : (ssize_t)n;
	}
	if (strcmp(base, "unbind") == 0) {
		unbind(root, arg);
	} else if (strcmp(base, "bind") == 0) {
		/* as the PCI core: with an override set, only that driver may take the device */
		*strrchr(path, '/') = '\0';
		override_of(root, arg, ovr, sizeof(ovr));
		if (ovr[0] && strcmp(ovr, strrchr(path, '/') + 1) != 0) {
			errno = EINVAL;
			return -1;
		}
		bind(root, arg, strrchr(path, '/') + 1);
	} else { /* drivers_probe: the override wins; without one, nothing binds in this world */
		override_of(root, arg, ovr, sizeof(ovr));
		if (ovr[0])
			bind(root, arg, ovr);
	}
	return (ssize_t)n;
}

static pid_t loaded_in;

__attribute__((constructor)) static void loaded(void)
{
	loaded_in = getpid();
}

int setresgid(gid_t r, gid_t e, gid_t s)
{
	static int (*real)(gid_t, gid_t, gid_t);

	if (env("PCIPASS_SIM_FAIL_SETRESGID") && getpid() == loaded_in) {
		errno = EPERM;
		return -1;
	}
	if (!real)
		real = (int (*)(gid_t, gid_t, gid_t))dlsym(RTLD_NEXT, "setresgid");
	return real(r, e, s);
}
