/* SPDX-License-Identifier: GPL-2.0-or-later */
/* select.c - which devices a VM gets, and whether their IOMMU groups allow it. */
#include "select.h"

#include "model.h"
#include "pcidev.h"

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

/* Why inventory device i may not be handed out ("" it may), judged when first asked. */
static const char *unfit_of(struct fitness *fit, size_t i)
{
	if (fit == NULL)
		return "";
	if (!fit->known[i]) {
		fit->known[i] = true;
		if (fit->judge)
			fit->judge(fit, i);
	}
	return fit->why[i];
}

int select_on_node(const struct inventory *inv, const bool *busy, struct fitness *fit,
		   const struct vm_config *vm, int on_node, claim_fn claim, void *user,
		   struct pick *picks, size_t *n_picks, struct perr *e)
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
		if (unfit_of(fit, (size_t)(d - inv->dev))[0])
			return fail(e, EX_UNAVAILABLE, "%s:%d: %s may not be handed out: %s", vm->file, q->line,
				    q->addr, unfit_of(fit, (size_t)(d - inv->dev)));
		if (on_node >= 0 && numa_one_node(vm) && d->numa_node != on_node)
			return fail(e, EX_UNAVAILABLE, "%s:%d: %s is on NUMA node %d, not on node %d", vm->file,
				    q->line, q->addr, d->numa_node, on_node);
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
		unsigned want = q->count, found = 0, got_n = 0, n_unfit = 0;
		const struct inv_device *first_unfit = NULL;

		if (!q->model[0])
			continue;
		/* the inventory is in address order, so this is lowest address first */
		for (size_t i = 0; i < inv->n && got_n < want; i++) {
			const struct inv_device *d = &inv->dev[i];
			int got;

			if (strcmp(d->model, q->model) != 0 ||
			    (on_node >= 0 && d->numa_node != on_node))
				continue;
			found++;
			if (busy[i] || picked(picks, *n_picks, d))
				continue;
			if (unfit_of(fit, i)[0]) {
				first_unfit = first_unfit ? first_unfit : d;
				n_unfit++;
				continue;
			}
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
			if (on_node >= 0)
				snprintf(node, sizeof(node), " on NUMA node %d", on_node);
			if (found == 0)
				return fail(e, EX_UNAVAILABLE, "%s:%d: no device of model %s%s on this host",
					    vm->file, q->line, q->model, node);
			if (first_unfit)
				return fail(e, EX_UNAVAILABLE, "%s:%d: %u %s asked for, %u free%s (%u in all; %u "
					    "not to be handed out, first %s: %s)", vm->file, q->line, want, q->model,
					    got_n, node, found, n_unfit, first_unfit->addr,
					    unfit_of(fit, (size_t)(first_unfit - inv->dev)));
			return fail(e, EX_UNAVAILABLE, "%s:%d: %u %s asked for, %u free%s (%u in all)",
				    vm->file, q->line, want, q->model, got_n, node, found);
		}
	}
	return 0;
}

int select_devices(const struct inventory *inv, const bool *busy, struct fitness *fit,
		   const struct vm_config *vm, claim_fn claim, void *user, struct pick *picks,
		   size_t *n_picks, struct perr *e)
{
	return select_on_node(inv, busy, fit, vm, vm->numa_node, claim, user, picks, n_picks, e);
}

/* msg without its leading "FILE:LINE: ", to be one node's reason among others. */
static const char *unlocated(const char *msg, const char *file)
{
	size_t n = strlen(file);
	const char *p = msg + n + 1;

	if (strncmp(msg, file, n) != 0 || msg[n] != ':')
		return msg;
	p += strspn(p, "0123456789");
	return p[0] == ':' && p[1] == ' ' ? p + 2 : msg;
}

int select_node(const struct inventory *inv, const bool *busy, struct fitness *fit,
		const struct vm_config *vm, const struct numa_host *h, struct numa_choice *c,
		struct perr *e)
{
	struct pick picks[VM_DEV_MAX];
	struct numa_fit *fits = NULL;
	int r;

	if (numa_one_node(vm) && h->n > 0 && (fits = calloc(h->n, sizeof(*fits))) == NULL)
		return fail_errno(e, EX_OSERR, "plan");
	for (size_t i = 0; fits && i < h->n; i++) {
		struct perr why = { 0 };
		size_t n;

		/* a host of one node: every device is on it, whatever its numa_node says */
		fits[i].devices = select_on_node(inv, busy, fit, vm, h->n == 1 ? -1 : h->node[i].id, NULL,
						 NULL, picks, &n, &why) == 0;
		if (!fits[i].devices)
			snprintf(fits[i].why, sizeof(fits[i].why), "%.*s", (int)sizeof(fits[i].why) - 1,
				 unlocated(why.msg, vm->file));
	}
	r = numa_choose(h, vm, fits, c, e);
	free(fits);
	return r;
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

long sysfs_number(const char *path, int base, long min, long max, long absent)
{
	char buf[32];
	FILE *f = fopen(path, "re");
	const char *why;
	long long v = absent;

	if (f == NULL)
		return absent;
	if (fgets(buf, sizeof(buf), f)) {
		buf[strcspn(buf, "\n")] = '\0';
		if (parse_ll(buf, base, min, max, &v, &why) < 0)
			v = absent;
	}
	fclose(f);
	return (long)v;
}

static long read_hex(const char *path)
{
	return sysfs_number(path, 16, 0, 0xffffffffL, -1);
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

void health_gate(const struct pcidev_info *live, unsigned allow, char why[UNFIT_MAX])
{
	static const struct { unsigned file, allow; } facts[] = {
		{ PCIDEV_RESET_METHOD, ALLOW_NO_RESET }, { PCIDEV_POWER_STATE, ALLOW_D3COLD },
		{ PCIDEV_AER_FATAL, ALLOW_AER }, { PCIDEV_AER_NONFATAL, ALLOW_AER },
	};

	why[0] = '\0';
	/* a fact sysfs gives but nobody can read is not a healthy one */
	for (size_t i = 0; i < sizeof(facts) / sizeof(facts[0]); i++)
		if ((live->bad & facts[i].file) && !(allow & facts[i].allow)) {
			snprintf(why, UNFIT_MAX, "its %s cannot be read (%s)", pcidev_file_name(facts[i].file),
				 live->why_bad);
			return;
		}
	if (live->reset_methods[0] == '\0' && !(live->bad & PCIDEV_RESET_METHOD) && !(allow & ALLOW_NO_RESET))
		snprintf(why, UNFIT_MAX, "the kernel offers no reset method for it, so it would reach the "
			 "next VM as this one left it (its model's allow = no-reset passes it)");
	else if (strcmp(live->power_state, "D3cold") == 0 && !(allow & ALLOW_D3COLD))
		snprintf(why, UNFIT_MAX, "it is powered off (D3cold) (its model's allow = d3cold passes it)");
	else if ((live->aer_fatal > 0 || live->aer_nonfatal > 0) && !(allow & ALLOW_AER))
		snprintf(why, UNFIT_MAX, "it has logged uncorrectable AER errors (%lld fatal, %lld non-fatal) "
			 "(its model's allow = aer passes it)", live->aer_fatal > 0 ? live->aer_fatal : 0,
			 live->aer_nonfatal > 0 ? live->aer_nonfatal : 0);
}
