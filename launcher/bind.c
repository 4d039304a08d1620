/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bind.c - SPEC step 5: a device moved to vfio-pci, and back. */
#include "bind.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <poll.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pcidev.h"

/* Write s to a sysfs control file: one write, as the kernel wants it. */
static int control(const char *path, const char *s, struct perr *e)
{
	size_t n = strlen(s);
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	ssize_t w;

	if (fd < 0)
		return fail_errno(e, EX_OSERR, "%s", path);
	w = write(fd, s, n);
	if (w != (ssize_t)n) {
		if (w >= 0)
			errno = EIO;
		/* "\n" clears an override: shown as "", the message stays one line */
		fail_errno(e, EX_OSERR, "writing \"%s\" to %s", strcmp(s, "\n") == 0 ? "" : s, path);
		close(fd);
		return -1;
	}
	if (close(fd) < 0)
		return fail_errno(e, EX_OSERR, "%s", path);
	return 0;
}

static int dev_path(char *buf, size_t size, const char *sysfs_root, const char *addr,
		    const char *file, struct perr *e)
{
	if (xsnprintf(buf, size, "%s/bus/pci/devices/%s/%s", sysfs_root, addr, file) < 0)
		return fail(e, EX_CONFIG, "sysfs_root too long");
	return 0;
}

/* The last component of the device's link `name` (driver, iommu_group): "" when absent. */
static int link_base(const char *sysfs_root, const char *addr, const char *name, char *out,
		     size_t size, struct perr *e)
{
	char path[1024], target[1024], *base;
	ssize_t n;

	out[0] = '\0';
	if (dev_path(path, sizeof(path), sysfs_root, addr, name, e) < 0)
		return -1;
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return errno == ENOENT ? 0 : fail_errno(e, EX_OSERR, "%s", path);
	target[n] = '\0';
	base = strrchr(target, '/');
	if (xsnprintf(out, size, "%s", base ? base + 1 : target) < 0)
		return fail(e, EX_DATAERR, "%s: %s name too long", path, name);
	return 0;
}

int driver_of(const char *sysfs_root, const char *addr, char out[DRIVER_MAX], struct perr *e)
{
	return link_base(sysfs_root, addr, "driver", out, DRIVER_MAX, e);
}

int group_of(const char *sysfs_root, const char *addr, struct perr *e)
{
	char g[16];
	const char *why;
	long long v;

	if (link_base(sysfs_root, addr, "iommu_group", g, sizeof(g), e) < 0)
		return -1;
	if (parse_ll(g, 10, 0, 1 << 30, &v, &why) < 0)
		return fail(e, EX_DATAERR, "%s: no IOMMU group", addr);
	return (int)v;
}

int bind_vfio(const char *sysfs_root, const char *dev_root, const char *addr, int group,
	      const char *vfio_driver, const char *orig, struct perr *e)
{
	char path[1024], now[DRIVER_MAX];

	/* Nothing loads vfio-pci by itself: without its driver directory the override would bind
	 * nothing, and the message would only say so after the device left its driver. Say what to
	 * do before anything is written. */
	if (strcmp(orig, vfio_driver) != 0) {
		struct stat sb;
		if (xsnprintf(path, sizeof(path), "%s/bus/pci/drivers/%s", sysfs_root, vfio_driver) < 0)
			return fail(e, EX_CONFIG, "sysfs_root too long");
		if (stat(path, &sb) < 0 && errno == ENOENT)
			return fail(e, EX_OSERR, "%s is not loaded: modprobe %s%s", vfio_driver, vfio_driver,
				    strcmp(vfio_driver, "vfio-pci") == 0 ? " (the package loads it at boot)" : "");
	}
	/* already there (bound by the admin, or a dead VM's device never released): nothing to
	 * write, so nothing for an undo to put back */
	if (strcmp(orig, vfio_driver) != 0 &&
	    (dev_path(path, sizeof(path), sysfs_root, addr, "driver_override", e) < 0 ||
	     control(path, vfio_driver, e) < 0))
		return -1;
	if (orig[0] && strcmp(orig, vfio_driver) != 0) {
		if (dev_path(path, sizeof(path), sysfs_root, addr, "driver/unbind", e) < 0 ||
		    control(path, addr, e) < 0)
			return -1;
	}
	if (strcmp(orig, vfio_driver) != 0) {
		if (xsnprintf(path, sizeof(path), "%s/bus/pci/drivers_probe", sysfs_root) < 0)
			return fail(e, EX_CONFIG, "sysfs_root too long");
		if (control(path, addr, e) < 0)
			return -1;
	}
	if (driver_of(sysfs_root, addr, now, e) < 0)
		return -1;
	if (strcmp(now, vfio_driver) != 0)
		return fail(e, EX_OSERR, "%s: bound to %s after the probe, not %s (is the %s module loaded?)",
			    addr, now[0] ? now : "no driver", vfio_driver, vfio_driver);
	if (xsnprintf(path, sizeof(path), "%s/vfio/%d", dev_root, group) < 0)
		return fail(e, EX_CONFIG, "dev_root too long");
	return vfio_node_wait(addr, path, VFIO_WAIT_MS, e);
}

/* One pause of the wait: until the watched directory changes, or the next look of the
 * backoff (*step_us, doubled up to 10 ms), never past left_ms. */
static void node_pause(int watch_fd, long long left_ms, long *step_us)
{
	char events[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	if (watch_fd >= 0) {
		struct pollfd p = { .fd = watch_fd, .events = POLLIN };
		if (poll(&p, 1, left_ms > 1000 ? 1000 : (int)left_ms) > 0)
			while (read(watch_fd, events, sizeof(events)) > 0)
				; /* which entry changed does not matter: the caller looks again */
		return;
	}
	long us = *step_us < left_ms * 1000 ? *step_us : (long)(left_ms * 1000);
	struct timespec t = { us / 1000000, (us % 1000000) * 1000 };
	nanosleep(&t, NULL);
	*step_us = *step_us >= 5000 ? 10000 : *step_us * 2;
}

int vfio_node_wait(const char *addr, const char *path, int timeout_ms, struct perr *e)
{
	char dir[1024], *slash;
	long long deadline, left;
	long step_us = 50;
	int fd = -1, r = 0;

	if (access(path, F_OK) == 0)
		return 0;
	deadline = now_ms() + timeout_ms;
	if (xsnprintf(dir, sizeof(dir), "%s", path) >= 0 && (slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
		/* a directory not there yet cannot be watched: the backoff then */
		if (fd >= 0 && inotify_add_watch(fd, dir[0] ? dir : "/", IN_CREATE | IN_MOVED_TO | IN_ATTRIB) < 0) {
			close(fd);
			fd = -1;
		}
	}
	/* looked at again after the watch is set: made in between, it is seen here */
	while (access(path, F_OK) < 0) {
		if ((left = deadline - now_ms()) <= 0) {
			r = fail(e, EX_OSERR, "%s: %s did not appear within %d ms", addr, path, timeout_ms);
			break;
		}
		node_pause(fd, left, &step_us);
	}
	if (fd >= 0)
		close(fd);
	return r;
}

int unbind_vfio(const char *sysfs_root, const char *addr, const char *vfio_driver,
		const char *orig, struct perr *e)
{
	char path[1024], now[DRIVER_MAX];
	int r = 0;

	/* an empty override (a newline) means "none" to the kernel */
	if (dev_path(path, sizeof(path), sysfs_root, addr, "driver_override", e) < 0 ||
	    control(path, "\n", e) < 0)
		r = -1;
	if (driver_of(sysfs_root, addr, now, e) < 0)
		return -1;
	if (strcmp(now, orig) == 0)
		return r;
	if (strcmp(now, vfio_driver) == 0 &&
	    (dev_path(path, sizeof(path), sysfs_root, addr, "driver/unbind", e) < 0 ||
	     control(path, addr, e) < 0))
		r = -1;
	if (orig[0]) {
		if (xsnprintf(path, sizeof(path), "%s/bus/pci/drivers/%s/bind", sysfs_root, orig) < 0 ||
		    control(path, addr, e) < 0)
			r = -1;
	}
	return r;
}

int reset_method_get(const char *sysfs_root, const char *addr, char out[RESET_METHOD_MAX + 1],
		     struct perr *e)
{
	struct pcidev_info info;

	if (pcidev_read(sysfs_root, addr, &info, e) < 0)
		return -1;
	if (info.bad & PCIDEV_RESET_METHOD)
		return fail(e, EX_OSERR, "%s: reset_method: %s", addr, info.why_bad);
	if (xsnprintf(out, RESET_METHOD_MAX + 1, "%s", info.reset_methods) < 0)
		return fail(e, EX_DATAERR, "%s: reset_method: longer than %d characters", addr, RESET_METHOD_MAX);
	return 0;
}

int reset_method_set(const char *sysfs_root, const char *addr, const char *methods, bool check,
		     struct perr *e)
{
	char path[1024], now[RESET_METHOD_MAX + 1];

	if (dev_path(path, sizeof(path), sysfs_root, addr, "reset_method", e) < 0)
		return -1;
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return fail(e, EX_UNAVAILABLE, "%s: cannot set reset_method = %s: the kernel has no %s "
			    "(before 5.15, or the device offers no reset method)", addr, methods, path);
	if (control(path, methods, e) < 0)
		return -1;
	/* "default" reads back as the kernel's own list */
	if (!check || strcmp(methods, "default") == 0)
		return 0;
	if (reset_method_get(sysfs_root, addr, now, e) < 0)
		return -1;
	if (strcmp(now, methods) != 0)
		return fail(e, EX_UNAVAILABLE, "%s: reset_method = %s not taken whole: the kernel keeps \"%s\" "
			    "(a method the device does not offer?)", addr, methods, now);
	return 0;
}
