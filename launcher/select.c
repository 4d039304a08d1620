/* SPDX-License-Identifier: GPL-2.0-or-later */
/* select.c - which devices a VM gets, and whether their IOMMU groups allow it. */
#include "select.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool picked(const struct pick *picks, size_t n, const struct inv_device *d)
{
	for (size_t i = 0; i < n; i++)
		if (picks[i].dev == d)
			return true;
	return false;
}

int select_devices(const struct inventory *inv, const bool *busy, const struct vm_config *vm,
		   claim_fn claim, void *user, struct pick *picks, size_t *n_picks, struct perr *e)
{
	*n_picks = 0;
	if (inv->disabled)
		return fail(e, EX_UNAVAILABLE, "custom devices are disabled on this host (disable_custom_device)");
	/* explicit addresses first, so that a model's pick cannot take them */
	for (size_t r = 0; r < vm->n_req; r++) {
		const struct vm_request *q = &vm->req[r];
		const struct inv_device *d;
		int got;

		if (!q->addr[0])
			continue;
		d = inventory_find(inv, q->addr);
		if (d == NULL)
			return fail(e, EX_UNAVAILABLE, "%s:%d: %s is not a custom device of this host's inventory",
				    vm->file, q->line, q->addr);
		got = busy[d - inv->dev] ? 1 : claim ? claim(user, d, e) : 0;
		if (got < 0)
			return -1;
		if (got > 0)
			return fail(e, EX_UNAVAILABLE,
				    "%s:%d: %s is not free: another VM has it, or a device of its IOMMU group", vm->file,
				    q->line, q->addr);
		picks[(*n_picks)++] = (struct pick){ d, q };
	}
	for (size_t r = 0; r < vm->n_req; r++) {
		const struct vm_request *q = &vm->req[r];
		unsigned want = q->count, found = 0, got_n = 0;

		if (!q->model[0])
			continue;
		/* the inventory is in address order, so this is lowest address first */
		for (size_t i = 0; i < inv->n && got_n < want; i++) {
			const struct inv_device *d = &inv->dev[i];
			int got;

			if (strcmp(d->model, q->model) != 0 ||
			    (vm->numa_node >= 0 && d->numa_node != vm->numa_node))
				continue;
			found++;
			if (busy[i] || picked(picks, *n_picks, d))
				continue;
			got = claim ? claim(user, d, e) : 0;
			if (got < 0)
				return -1;
			if (got > 0)
				continue; /* lost a race for it: the next one */
			picks[(*n_picks)++] = (struct pick){ d, q };
			got_n++;
		}
		if (got_n < want) {
			char node[32] = "";
			if (vm->numa_node >= 0)
				snprintf(node, sizeof(node), " on NUMA node %d", vm->numa_node);
			if (found == 0)
				return fail(e, EX_UNAVAILABLE, "%s:%d: no device of model %s%s on this host",
					    vm->file, q->line, q->model, node);
			return fail(e, EX_UNAVAILABLE, "%s:%d: %u %s asked for, %u free%s (%u in all)",
				    vm->file, q->line, want, q->model, got_n, node, found);
		}
	}
	return 0;
}

static bool is_passed(const struct pick *picks, size_t n, const char *addr)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(picks[i].dev->addr, addr) == 0)
			return true;
	return false;
}

int group_check(const char *addr, int group, const struct group_member *m, size_t n,
		const struct pick *picks, size_t n_picks, const char *vfio_driver, struct perr *e)
{
	if (group < 0)
		return fail(e, EX_UNAVAILABLE, "%s: no IOMMU group; is the IOMMU on (intel_iommu=on or amd_iommu=on)?",
			    addr);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(m[i].addr, addr) == 0 || (m[i].class >> 8) == 0x06)
			continue; /* the device itself; bridges */
		if (m[i].driver[0] == '\0' || strcmp(m[i].driver, vfio_driver) == 0 ||
		    is_passed(picks, n_picks, m[i].addr))
			continue;
		return fail(e, EX_UNAVAILABLE,
			    "%s: IOMMU group %d also holds %s, bound to %s; unbind it or pass it through too",
			    addr, group, m[i].addr, m[i].driver);
	}
	return 0;
}

/* The first line of a small sysfs file as a number in base 16 ("0x120000"). */
static long read_hex(const char *path)
{
	char buf[32];
	FILE *f = fopen(path, "re");
	long v = -1;

	if (f == NULL)
		return -1;
	if (fgets(buf, sizeof(buf), f))
		v = strtol(buf, NULL, 16);
	fclose(f);
	return v;
}

int group_read(const char *sysfs_root, int group, struct group_member **out, size_t *n,
	       struct perr *e)
{
	char dir[512], path[1024], target[512];
	struct group_member *m = NULL;
	struct dirent *d;
	size_t cap = 0;
	DIR *dp;

	*out = NULL;
	*n = 0;
	if (xsnprintf(dir, sizeof(dir), "%s/kernel/iommu_groups/%d/devices", sysfs_root, group) < 0)
		return fail(e, EX_CONFIG, "sysfs_root too long");
	dp = opendir(dir);
	if (dp == NULL)
		return fail_errno(e, EX_OSERR, "%s", dir);
	while ((d = readdir(dp)) != NULL) {
		char addr[PCI_ADDR_LEN];
		ssize_t len;
		long cls;

		if (parse_pci_addr(d->d_name, addr) < 0 || strcmp(addr, d->d_name) != 0)
			continue;
		if (*n == cap) {
			struct group_member *g = realloc(m, (cap = cap ? cap * 2 : 8) * sizeof(*m));
			if (g == NULL) {
				closedir(dp);
				free(m);
				return fail_errno(e, EX_OSERR, "%s", dir);
			}
			m = g;
		}
		memset(&m[*n], 0, sizeof(m[*n]));
		strcpy(m[*n].addr, addr);
		snprintf(path, sizeof(path), "%s/%s/class", dir, addr);
		cls = read_hex(path);
		m[*n].class = cls < 0 ? 0 : (unsigned)(cls >> 8);
		snprintf(path, sizeof(path), "%s/%s/driver", dir, addr);
		len = readlink(path, target, sizeof(target) - 1);
		if (len > 0) {
			target[len] = '\0';
			const char *base = strrchr(target, '/');
			if (xsnprintf(m[*n].driver, sizeof(m[*n].driver), "%s", base ? base + 1 : target) < 0)
				strcpy(m[*n].driver, "?"); /* too long to be a driver we know: it blocks */
		}
		(*n)++;
	}
	closedir(dp);
	*out = m;
	return 0;
}

int device_recheck(const char *sysfs_root, const char *inventory, const struct inv_device *d,
		   struct perr *e)
{
	char path[1024];
	long vendor, device;

	if (xsnprintf(path, sizeof(path), "%s/bus/pci/devices/%s/vendor", sysfs_root, d->addr) < 0)
		return fail(e, EX_CONFIG, "sysfs_root too long");
	vendor = read_hex(path);
	strcpy(strrchr(path, '/') + 1, "device");
	device = read_hex(path);
	if (vendor < 0 || device < 0)
		return fail(e, EX_DATAERR, "%s: %s is no longer on this host; run pcipass-probe",
			    inventory, d->addr);
	if ((unsigned long)vendor != d->vendor || (unsigned long)device != d->device)
		return fail(e, EX_DATAERR, "%s: %s is %04lx:%04lx now, not %04x:%04x; run pcipass-probe",
			    inventory, d->addr, vendor, device, d->vendor, d->device);
	return 0;
}
