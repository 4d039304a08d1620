/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostuse.h - which PCI devices the host itself is using: the disks of its mounted filesystems
 * and of its swap, the NICs of its default routes, the device of its serial console. Handing
 * one of them to a VM takes the host's root filesystem, network or console away; the probe
 * marks them host-critical and the launcher refuses them unless pcipass.conf allows one by
 * address (allow_host_critical). The boot VGA (the firmware's console) is a per-device fact,
 * read with the device's other sysfs facts (pcidev.h); hostuse_reason() joins it in.
 *
 * Every input is a file of /proc or /sys (<proc_root>, <sysfs_root>, so tests use fake trees):
 * read bounded, parsed strictly; a line or a link that cannot be understood is skipped and
 * counted as a warning (the rest still counts), never a reason to mark nothing. */
#ifndef PCIPASS_HOSTUSE_H
#define PCIPASS_HOSTUSE_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

#define HOSTUSE_WHY_MAX 160   /* a reason, as the inventory's host_critical holds it */
#define HOSTUSE_MOUNT_MAX 48  /* a mount point as shown in a reason (longer: cut, with "...") */
#define HOSTUSE_NAME_MAX 16   /* an interface or tty name (IFNAMSIZ) */
#define HOSTUSE_FILE_MAX (8u << 20) /* mountinfo of a host with thousands of mounts fits */

/* What one PCI device does for the host. */
struct hostuse_dev {
	char addr[PCI_ADDR_LEN];
	char mount[HOSTUSE_MOUNT_MAX]; /* the shortest mount point it backs ("" none) */
	size_t mounts;                 /* how many mounts it backs */
	bool swap;                     /* a swap partition */
	char route_if[HOSTUSE_NAME_MAX]; /* the interface of a default route ("" none) */
	char console[HOSTUSE_NAME_MAX];  /* the active console tty it drives ("" none) */
	size_t last_use;               /* the scan's own: the last use counted (a mount reached
					* twice, through two slaves or a loop, counts once) */
};

struct hostuse {
	struct hostuse_dev *v;         /* in address order after hostuse_scan */
	size_t n, cap;
	size_t warnings;               /* lines or links that could not be understood */
	char warning[256];             /* the first one: "mountinfo:12: expected ..." */
};

/* Find what the host uses, from <proc_root>/self/mountinfo, <proc_root>/swaps,
 * <proc_root>/net/route and net/ipv6_route, <sysfs_root>/dev/block, class/block, class/net and
 * class/tty/console/active. Absent files are not errors (a host without IPv6, a fake tree).
 * -1 only when memory runs out or a root path does not fit. */
int hostuse_scan(const char *sysfs_root, const char *proc_root, struct hostuse *hu,
		 struct perr *e) MUST_CHECK;
void hostuse_free(struct hostuse *hu);

/* The device's entry, or NULL when the host does not use it. */
const struct hostuse_dev *hostuse_find(const struct hostuse *hu, const char *addr);

/* The reason a device is host-critical, in out[HOSTUSE_WHY_MAX]: "mounted /", "mounted /boot
 * and 2 more", "swap", "default route eth0", "console ttyS1", "boot VGA", joined by ", ". d may
 * be NULL. "" (and false) when it is not critical. Only printable ASCII without ';' (the
 * inventory holds it as an INI value). */
bool hostuse_reason(const struct hostuse_dev *d, bool boot_vga, char out[HOSTUSE_WHY_MAX]);

/* --- the parsers, pure, over a file's text (no NUL needed; any byte may appear) --- */

/* One mounted filesystem: its device number, its mount point (octal escapes decoded) and its
 * source ("/dev/sda1", "none"). Return -1 to stop. */
typedef int (*hostuse_mount_fn)(void *user, unsigned major, unsigned minor, const char *mnt,
				const char *source);
/* /proc/self/mountinfo. Lines that do not parse are counted in *bad, the first one's reason in
 * why[size] ("line 3: expected ..."). -1 only when each() says stop. */
int hostuse_parse_mountinfo(const char *text, size_t len, hostuse_mount_fn each, void *user,
			    size_t *bad, char *why, size_t size);

/* /proc/swaps: each() gets every swap area's file name. */
typedef int (*hostuse_name_fn)(void *user, const char *name);
int hostuse_parse_swaps(const char *text, size_t len, hostuse_name_fn each, void *user,
			size_t *bad, char *why, size_t size);

/* /proc/net/route (v6 false) or /proc/net/ipv6_route (v6 true): each() gets the interface of
 * every default route that is up (destination and mask zero). */
int hostuse_parse_routes(const char *text, size_t len, bool v6, hostuse_name_fn each, void *user,
			 size_t *bad, char *why, size_t size);

/* The PCI addresses among the components of a sysfs path
 * ("/sys/devices/pci0000:00/0000:00:1d.0/0000:3d:00.0/nvme/nvme0" gives 0000:00:1d.0 and
 * 0000:3d:00.0), each() called with each. */
int hostuse_path_addrs(const char *path, hostuse_name_fn each, void *user);

#endif
