/* SPDX-License-Identifier: GPL-2.0-or-later */
/* slot.c - whole slots: a slot's functions from sysfs, and where a VM's devices sit. */
#include "slot.h"

#include <dirent.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bind.h"
#include "select.h"

bool same_slot(const char *a, const char *b)
{
	size_t n = strlen(a);

	return n > 1 && n == strlen(b) && strncmp(a, b, n - 1) == 0;
}

static unsigned function_of(const char *addr)
{
	char c = addr[strlen(addr) - 1];

	return c >= '0' && c <= '7' ? (unsigned)(c - '0') : 0;
}

/* The slot device i sits in, as the index of its lead (its own for a device alone). */
static size_t slot_key(const size_t *with, size_t n, size_t i)
{
	return with[i] < n ? with[i] : i;
}

void slot_layout(const char *const *addr, const size_t *with, size_t n, struct slot_place *out)
{
	unsigned ports = 0;

	for (size_t i = 0; i < n; i++) {
		size_t key = slot_key(with, n, i), members = 0, before = 0, k;
		bool zero = false;

		memset(&out[i], 0, sizeof(out[i]));
		for (k = 0; k < i && slot_key(with, n, k) != key; k++)
			;
		out[i].port = k < i ? out[k].port : ports++;
		for (k = 0; k < n; k++)
			if (slot_key(with, n, k) == key) {
				members++;
				zero |= function_of(addr[k]) == 0;
				before += strcmp(addr[k], addr[i]) < 0;
			}
		if (members < 2)
			continue;
		out[i].slot = true;
		out[i].func = zero ? function_of(addr[i]) : (unsigned)before;
		out[i].multifunction = out[i].func == 0;
	}
}

int sysfs_device(const char *sysfs_root, const char *addr, struct inv_device *out, struct perr *e)
{
	char path[1024];
	size_t n;
	long v[5];
	static const char *const files[] = { "vendor", "device", "subsystem_vendor", "subsystem_device",
					     "class" };

	memset(out, 0, sizeof(*out));
	if (xsnprintf(path, sizeof(path), "%s/bus/pci/devices/%s/", sysfs_root, addr) < 0 ||
	    xsnprintf(out->addr, sizeof(out->addr), "%s", addr) < 0)
		return fail(e, EX_CONFIG, "sysfs_root too long");
	n = strlen(path);
	for (size_t i = 0; i < 5; i++) {
		snprintf(path + n, sizeof(path) - n, "%s", files[i]);
		v[i] = sysfs_number(path, 16, 0, 0xffffffffL, -1);
	}
	if (v[0] < 0 || v[0] > 0xffff || v[1] < 0 || v[1] > 0xffff || v[4] < 0 || v[4] > 0xffffff)
		return fail(e, EX_DATAERR, "%s: not a device in %s/bus/pci/devices", addr, sysfs_root);
	out->vendor = (unsigned)v[0];
	out->device = (unsigned)v[1];
	out->has_subsys = v[2] >= 0 && v[2] <= 0xffff && v[3] >= 0 && v[3] <= 0xffff;
	out->subsys_vendor = out->has_subsys ? (unsigned)v[2] : 0;
	out->subsys_device = out->has_subsys ? (unsigned)v[3] : 0;
	out->class = (unsigned)v[4] >> 8;
	snprintf(path + n, sizeof(path) - n, "numa_node");
	out->numa_node = (int)sysfs_number(path, 10, -1, 1 << 20, -1);
	out->iommu_group = group_of(sysfs_root, addr, e);
	if (out->iommu_group < 0)
		memset(e, 0, sizeof(*e)); /* none: the group rule says so, naming the device */
	return driver_of(sysfs_root, addr, out->driver, e);
}

static int by_addr(const void *a, const void *b)
{
	return pci_addr_cmp(((const struct inv_device *)a)->addr, ((const struct inv_device *)b)->addr);
}

int slot_siblings(const char *sysfs_root, const char *addr, struct inv_device *out, size_t *n,
		  struct perr *e)
{
	char dir[1024], path[1100];
	struct dirent *d;
	struct stat sb;
	DIR *dp;
	int r = 0;

	*n = 0;
	if (xsnprintf(dir, sizeof(dir), "%s/bus/pci/devices", sysfs_root) < 0)
		return fail(e, EX_CONFIG, "sysfs_root too long");
	if ((dp = opendir(dir)) == NULL)
		return fail_errno(e, EX_OSERR, "%s", dir);
	while (r == 0 && (d = readdir(dp)) != NULL) {
		char a[PCI_ADDR_LEN];

		if (parse_pci_addr(d->d_name, a) < 0 || strcmp(a, d->d_name) != 0 || strcmp(a, addr) == 0 ||
		    !same_slot(a, addr))
			continue;
		snprintf(path, sizeof(path), "%s/%s/physfn", dir, a);
		if (lstat(path, &sb) == 0)
			continue; /* an SR-IOV VF */
		if (*n == SLOT_FUNCS - 1) {
			r = fail(e, EX_DATAERR, "%s: more than %d functions in its slot", addr, SLOT_FUNCS);
			break;
		}
		if ((r = sysfs_device(sysfs_root, a, &out[*n], e)) == 0 && (out[*n].class >> 8) != 0x06)
			(*n)++;
	}
	closedir(dp);
	qsort(out, *n, sizeof(*out), by_addr);
	return r;
}

bool slot_bus_resettable(const char *sysfs_root, const char *addr)
{
	char path[1024], target[1024], up[PCI_ADDR_LEN], *last, *parent;
	size_t bus_len = strlen(addr) - 4; /* "dddd:bb:" */
	struct dirent *d;
	bool alone = true;
	ssize_t n;
	DIR *dp;

	/* <sysfs>/bus/pci/devices/<addr> -> ../../../devices/pci0000:00/0000:00:01.0/<addr>: the
	 * component before the device's own names its bridge, or pciDDDD:BB (a root bus) */
	if (xsnprintf(path, sizeof(path), "%s/bus/pci/devices/%s", sysfs_root, addr) < 0 ||
	    (n = readlink(path, target, sizeof(target) - 1)) <= 0)
		return false;
	target[n] = '\0';
	if ((last = strrchr(target, '/')) == NULL)
		return false;
	*last = '\0';
	parent = strrchr(target, '/');
	parent = parent ? parent + 1 : target;
	if (parse_pci_addr(parent, up) < 0 || strcmp(up, parent) != 0)
		return false;
	if (xsnprintf(path, sizeof(path), "%s/bus/pci/devices", sysfs_root) < 0 ||
	    (dp = opendir(path)) == NULL)
		return false;
	while (alone && (d = readdir(dp)) != NULL)
		alone = strlen(d->d_name) != strlen(addr) || strncmp(d->d_name, addr, bus_len) != 0 ||
			same_slot(d->d_name, addr);
	closedir(dp);
	return alone;
}
