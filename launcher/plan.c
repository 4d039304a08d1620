/* SPDX-License-Identifier: GPL-2.0-or-later */
/* plan.c - one launch's plan: SPEC's steps 1 to 6 as the launch, --dry-run and --attach share
 * them, each change journalled for rollback(). */
#include "plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bind.h"
#include "files.h"
#include "firmware.h"
#include "health.h"
#include "prepare.h"
#include "rom.h"
#include "window.h"

struct jentry *journal(struct plan *p, enum jkind kind)
{
	struct jentry *j = &p->j[p->n_j++];

	memset(j, 0, sizeof(*j));
	j->kind = kind;
	j->fd = -1;
	return j;
}

void journal_lease(struct plan *p, int fd, const char *dir, const char *name, bool keep)
{
	struct jentry *j = journal(p, J_LEASE);

	j->fd = fd;
	snprintf(j->path, sizeof(j->path), "%s", dir);
	snprintf(j->name, sizeof(j->name), "%s", name);
	j->keep = keep;
}

void plan_free(struct plan *p)
{
	models_free(&p->models);
	inventory_free(&p->inv);
	free(p->claims);
	free(p->busy);
	free(p->unfit);
	free(p->judged);
	free(p->live);
	free(p->live_ok);
	hostuse_free(&p->hu);
	numa_free(&p->nodes);
	argv_free(&p->argv);
}


/* SPEC step 1: every file read and checked. */
int plan_read(struct plan *p, const char *vm_ini, struct perr *e)
{
	size_t n_dev = 0;

	if (vm_load(vm_ini, &p->host, &p->vm, e) < 0)
		return -1;
	/* models and inventory matter to a VM that asks for devices; one without may start on a
	 * host never probed */
	if (p->vm.n_req > 0 && (models_load(p->host.models_dir, true, &p->models, e) < 0 ||
				inventory_load(p->host.inventory, &p->inv, e) < 0))
		return -1;
	if (p->host.disable_custom_device && p->vm.n_req > 0)
		return fail(e, EX_UNAVAILABLE, "custom devices are disabled on this host (disable_custom_device)");
	for (size_t i = 0; i < p->vm.n_req; i++) {
		if (p->vm.req[i].model[0] && !models_find(&p->models, p->vm.req[i].model))
			return fail(e, EX_DATAERR, "%s:%d: no model named %s (see pcipass-model list)",
				    p->vm.file, p->vm.req[i].line, p->vm.req[i].model);
		n_dev += p->vm.req[i].count;
	}
	/* a launch gets every device it asks for or none: the descriptors are known now */
	handover_plan(&p->vm, n_dev, &p->fds);
	fw_describe(&p->host, &p->vm, &p->fds);
	return 0;
}

/* A member of a group being planned that another live VM holds: the group is the unit, so it
 * is not ours to take (SPEC, Isolation). 0 when none. */
static int group_held(const struct plan *p, const struct inv_device *d,
		      const struct group_member *m, size_t n, struct perr *e)
{
	for (size_t i = 0; i < n; i++) {
		struct claim_info ci;
		bool ours = false;

		for (size_t k = 0; k < p->n_picks; k++)
			ours |= strcmp(p->picks[k].dev->addr, m[i].addr) == 0;
		if (ours || claim_inspect(p->host.state_dir, m[i].addr, &ci, e) < 0)
			continue;
		if (ci.held)
			return fail(e, EX_UNAVAILABLE, "%s: IOMMU group %d also holds %s, which VM %s (pid %ld) has",
				    d->addr, d->iommu_group, m[i].addr, ci.vm[0] ? ci.vm : "?", ci.pid);
	}
	return e->code ? -1 : 0;
}

/* SPEC steps 2 to 4: devices selected (and claimed, with claim; NULL for --dry-run), checked
 * again in sysfs, their IOMMU groups checked; then QEMU's argv. */
static int cmp_int(const void *a, const void *b)
{
	return (*(const int *)a > *(const int *)b) - (*(const int *)a < *(const int *)b);
}

struct unfit_run {
	struct plan *p;
	struct perr *e;
};

static int mark_unfit(void *user, const char *addr)
{
	struct unfit_run *u = user;
	const struct inv_device *d = inventory_find(&u->p->inv, addr);
	char why[HEALTH_WHY_MAX];
	int r;

	if (d == NULL)
		return 0;
	if ((r = health_mark_get(u->p->host.state_dir, addr, why, u->e)) > 0)
		snprintf(u->p->unfit[d - u->p->inv.dev], UNFIT_MAX, "marked unhealthy (%.100s); "
			 "pcipass-run --release %s clears it once the device answers", why, addr);
	return r < 0 ? -1 : 0;
}

/* Why each inventoried device may not be handed out, however free ("" when it may). */
static int plan_unfit(struct plan *p, struct perr *e)
{
	struct unfit_run u = { p, e };

	if ((p->unfit = calloc(p->inv.n ? p->inv.n : 1, sizeof(*p->unfit))) == NULL)
		return fail_errno(e, EX_OSERR, "plan");
	return health_each(p->host.state_dir, mark_unfit, &u, e) != 0 ? -1 : 0;
}

/* The model picks[i] is passed as: its own, or none for a slot's function or a group's
 * endpoint the inventory does not list. */
const struct model *model_of(const struct plan *p, size_t i)
{
	return p->outside[i] ? NULL : models_find(&p->models, p->picks[i].dev->model);
}

/* Why the host's own use of addr keeps it from a VM, into why ("" when it does not, or
 * pcipass.conf's allow_host_critical names it): what the probe found (inv: the inventory's
 * host_critical, "" none) or what is true now (hostuse, and boot_vga: pcidev's 1). */
static void host_gate(const struct plan *p, const char *addr, const char *inv, int boot_vga,
		      char why[UNFIT_MAX])
{
	char reason[HOSTUSE_WHY_MAX];

	why[0] = '\0';
	if (!hostuse_reason(hostuse_find(&p->hu, addr), boot_vga == 1, reason))
		snprintf(reason, sizeof(reason), "%s", inv);
	if (reason[0] && !config_allows_critical(&p->host, addr))
		snprintf(why, UNFIT_MAX, "the host uses it (%s); pcipass.conf's allow_host_critical "
			 "would let it go", reason);
}

/* A function of a slot passed whole (model m says functions = all) needs no reset method of
 * its own (live) when the slot can be reset as one: ALLOW_NO_RESET then, else 0. */
static unsigned slot_reset(const struct plan *p, const struct model *m, const char *addr,
			   const struct pcidev_info *live)
{
	return live->reset_methods[0] == '\0' && m && m->functions_all &&
	       slot_bus_resettable(p->host.sysfs_root, addr) ? ALLOW_NO_RESET : 0;
}

/* The launch's own gates on inventoried device i, into p->unfit[i], when a pick first looks at
 * it (select.c): the host's use of it, unless allow_host_critical names it; its health, read
 * live (pcidev_read), unless its model's allow waives it; a reset_method its model asks for
 * that the kernel cannot set; and a function of a slot whose lower function's model says
 * functions = all goes only with that one. */
static void gate_one(struct fitness *fit, size_t i)
{
	struct plan *p = fit->user;
	const struct inv_device *d = &p->inv.dev[i];
	const struct model *m = models_find(&p->models, d->model);
	char *why = p->unfit[i];
	struct pcidev_info *live = &p->live[i];
	struct perr ignore = { 0 };

	if (why[0] || m == NULL)
		return;
	for (size_t k = i; k-- > 0 && same_slot(p->inv.dev[k].addr, d->addr) && !why[0];) {
		const struct model *lead = models_find(&p->models, p->inv.dev[k].model);
		if (lead && lead->functions_all)
			snprintf(why, UNFIT_MAX, "it goes with %s, a lower function of its slot (model %s: "
				 "functions = all); ask for that one", p->inv.dev[k].addr, lead->name);
	}
	/* a device gone from sysfs is the re-check's to report, naming the inventory */
	if (why[0] || pcidev_read(p->host.sysfs_root, d->addr, live, &ignore) < 0)
		return;
	p->live_ok[i] = true; /* kept for the 64-bit window (plan_argv): one read per launch */
	host_gate(p, d->addr, d->host_critical, live->boot_vga, why);
	if (!why[0])
		health_gate(live, m->allow | slot_reset(p, m, d->addr, live), why);
	if (!why[0] && m->reset_method[0] &&
	    (live->reset_methods[0] == '\0' || strcmp(live->reset_methods, "-") == 0))
		snprintf(why, UNFIT_MAX, "its model's reset_method = %s cannot be set: the kernel has no "
			 "reset_method for it (before 5.15, or no method)", m->reset_method);
}

/* What gate_one needs before the picks: what the host uses now, when vm.ini asks for any
 * device; and the fitness select.c asks. */
static int gate_start(struct plan *p, struct perr *e)
{
	if (p->vm.n_req > 0 && hostuse_scan(p->host.sysfs_root, p->host.proc_root, &p->hu, e) < 0)
		return -1;
	if ((p->judged = calloc(p->inv.n ? p->inv.n : 1, sizeof(*p->judged))) == NULL ||
	    (p->live = calloc(p->inv.n ? p->inv.n : 1, sizeof(*p->live))) == NULL ||
	    (p->live_ok = calloc(p->inv.n ? p->inv.n : 1, sizeof(*p->live_ok))) == NULL)
		return fail_errno(e, EX_OSERR, "plan");
	p->fit = (struct fitness){ .why = p->unfit, .known = p->judged, .judge = gate_one, .user = p };
	return 0;
}

/* A device that goes with picks[lead] (a function of its slot, or an endpoint of an IOMMU
 * group it is in): claimed as the VM's (claim: take; NULL for --dry-run, which only looks) and
 * appended to the picks; or the launch is refused, naming it and why it cannot go. */
static int go_with(struct plan *p, claim_fn claim, const struct inv_device *sys, size_t lead,
		   bool slot, struct perr *e)
{
	const struct inv_device *ld = p->picks[lead].dev, *d = inventory_find(&p->inv, sys->addr);
	const struct model *own = d ? models_find(&p->models, d->model) : NULL;
	char how[2 * PCI_ADDR_LEN + MODEL_NAME_MAX + 80], why[UNFIT_MAX], mark[HEALTH_WHY_MAX];
	struct pcidev_info live;
	struct claim_info ci;
	size_t i = p->n_picks;
	int r;

	/* (precisions: what the fields can hold, which the compiler cannot always see) */
	if (slot)
		snprintf(how, sizeof(how), "%.16s goes with %.16s, its slot's function (model %.64s: functions = all)",
			 sys->addr, ld->addr, ld->model);
	else
		snprintf(how, sizeof(how), "%.16s goes with %.16s, in its IOMMU group %d (model %.64s: functions = all)",
			 sys->addr, ld->addr, sys->iommu_group, ld->model);
	for (size_t k = 0; k < p->n_picks; k++)
		if (strcmp(p->picks[k].dev->addr, sys->addr) == 0)
			return p->whole[k] ? 0 : fail(e, EX_UNAVAILABLE, "%s, but vm.ini asks for it on its own too", how);
	if (i == VM_DEV_MAX)
		return fail(e, EX_UNAVAILABLE, "%s, but that makes more than %d devices", how, VM_DEV_MAX);
	if (config_excluded(&p->host, sys->addr))
		return fail(e, EX_UNAVAILABLE, "%s, but the host's exclude names it", how);
	if ((r = health_mark_get(p->host.state_dir, sys->addr, mark, e)) != 0)
		return r < 0 ? -1 : fail(e, EX_UNAVAILABLE, "%s, but it is marked unhealthy (%s)", how, mark);
	if (pcidev_read(p->host.sysfs_root, sys->addr, &live, e) < 0)
		return -1;
	host_gate(p, sys->addr, d ? d->host_critical : "", live.boot_vga, why);
	if (!why[0] && own) /* an inventoried device: its own model's health gate */
		health_gate(&live, own->allow | (slot ? slot_reset(p, models_find(&p->models, ld->model),
								    ld->addr, &live) : 0), why);
	if (why[0])
		return fail(e, EX_UNAVAILABLE, "%s, but %s", how, why);
	if (d == NULL) { /* not inventoried: as sysfs shows it, under its lead's model's name */
		struct inv_device *x = &p->extra[p->n_extra++];

		*x = *sys;
		snprintf(x->model, sizeof(x->model), "%s", ld->model);
		snprintf(x->dev_type, sizeof(x->dev_type), "%s", ld->dev_type);
		d = x;
	}
	p->outside[i] = own == NULL;
	if (claim)
		r = claim(p, d, e);
	else
		r = claim_inspect(p->host.state_dir, d->addr, &ci, e) < 0 ? -1 : ci.held;
	if (r < 0)
		return -1;
	if (r > 0)
		return claim_inspect(p->host.state_dir, d->addr, &ci, e) < 0 ? -1 :
		       fail(e, EX_UNAVAILABLE, "%s, but VM %s (pid %ld) has it", how, ci.vm[0] ? ci.vm : "?", ci.pid);
	p->picks[i] = (struct pick){ d, p->picks[lead].req };
	p->with[i] = slot ? lead : NO_SLOT;
	p->whole[i] = true;
	snprintf(p->goes_with[i], sizeof(p->goes_with[i]), "%s of %s", slot ? "slot" : "group", ld->addr);
	p->n_picks++;
	return 0;
}

/* Model functions = all: each such pick's slot goes whole (its other functions claimed and
 * passed with it, on its root port), then every IOMMU group those devices are in goes whole
 * too (the other endpoints claimed and passed, each on a root port of its own): all, or the
 * launch is refused naming what cannot go. Other picks keep the group rule (group_check). */
static int plan_whole(struct plan *p, claim_fn claim, struct perr *e)
{
	size_t n_sel = p->n_picks;

	for (size_t i = 0; i < n_sel; i++) {
		const struct model *m = model_of(p, i);
		struct inv_device sib[SLOT_FUNCS];
		size_t n;

		p->with[i] = NO_SLOT;
		p->whole[i] = m && m->functions_all;
		if (!p->whole[i])
			continue;
		if (slot_siblings(p->host.sysfs_root, p->picks[i].dev->addr, sib, &n, e) < 0)
			return -1;
		p->with[i] = n > 0 ? i : NO_SLOT;
		for (size_t k = 0; k < n; k++)
			if (go_with(p, claim, &sib[k], i, true, e) < 0)
				return -1;
	}
	for (size_t i = 0; i < p->n_picks; i++) { /* n_picks grows as endpoints join */
		struct group_member *m = NULL;
		size_t n = 0;
		int g = p->picks[i].dev->iommu_group, r = 0;

		if (!p->whole[i] || g < 0)
			continue; /* no group: group_check says so */
		if (group_read(p->host.sysfs_root, g, &m, &n, e) < 0)
			return -1;
		for (size_t k = 0; k < n && r == 0; k++) {
			struct inv_device sys;

			if ((m[k].class >> 8) == 0x06)
				continue; /* bridges are not passed */
			r = sysfs_device(p->host.sysfs_root, m[k].addr, &sys, e);
			if (r == 0)
				r = go_with(p, claim, &sys, p->with[i] == NO_SLOT ? i : p->with[i], false, e);
		}
		free(m);
		if (r < 0)
			return -1;
	}
	return 0;
}

int plan_devices(struct plan *p, claim_fn claim, struct perr *e)
{
	int *held_groups = NULL;
	size_t n_held = 0;

	if ((p->claims = claims_of(p->host.state_dir, &p->inv, e)) == NULL)
		return -1;
	if ((p->busy = calloc(p->inv.n ? p->inv.n : 1, sizeof(*p->busy))) == NULL ||
	    (held_groups = calloc(p->inv.n ? p->inv.n : 1, sizeof(*held_groups))) == NULL)
		return fail_errno(e, EX_OSERR, "plan");
	/* a held claim makes its device busy, and every device of its IOMMU group */
	for (size_t k = 0; k < p->inv.n; k++) {
		if (!p->claims[k].held)
			continue;
		p->busy[k] = true;
		held_groups[n_held++] = p->inv.dev[k].iommu_group;
	}
	qsort(held_groups, n_held, sizeof(*held_groups), cmp_int);
	for (size_t i = 0; i < p->inv.n; i++)
		p->busy[i] |= p->inv.dev[i].iommu_group >= 0 &&
			      bsearch(&p->inv.dev[i].iommu_group, held_groups, n_held,
				      sizeof(*held_groups), cmp_int) != NULL;
	free(held_groups);
	/* the node first (numa.h): the devices come from it, and hugepages are checked free there
	 * before any device is claimed */
	if (plan_unfit(p, e) < 0 || gate_start(p, e) < 0 ||
	    (numa_wanted(&p->vm) && numa_read(p->host.sysfs_root, &p->nodes, e) < 0) ||
	    select_node(&p->inv, p->busy, &p->fit, &p->vm, &p->nodes, &p->numa, e) < 0 ||
	    select_on_node(&p->inv, p->busy, &p->fit, &p->vm, p->numa.filter, claim, p, p->picks,
			   &p->n_picks, e) < 0 ||
	    plan_whole(p, claim, e) < 0)
		return -1;
	for (size_t i = 0; i < p->n_picks; i++) {
		const struct inv_device *d = p->picks[i].dev;

		if (config_excluded(&p->host, d->addr))
			return fail(e, EX_DATAERR, "%s: %s is excluded by %s; run pcipass-probe",
				    p->host.inventory, d->addr, p->host.file);
		if (device_recheck(p->host.sysfs_root, p->host.inventory, d, e) < 0)
			return -1;
	}
	for (size_t i = 0; i < p->n_picks; i++) {
		const struct inv_device *d = p->picks[i].dev;
		struct group_member *m = NULL;
		size_t n = 0;
		int r = d->iommu_group < 0 ? 0 : group_read(p->host.sysfs_root, d->iommu_group, &m, &n, e);

		if (r == 0)
			r = group_check(d->addr, d->iommu_group, m, n, p->picks, p->n_picks,
					p->host.vfio_driver, e);
		if (r == 0)
			r = group_held(p, d, m, n, e);
		free(m);
		if (r < 0)
			return -1;
	}
	return 0;
}

/* QEMU's argv for the devices picked, and what each claim descriptor is for. */
int plan_argv(struct plan *p, struct perr *e)
{
	static struct qemu_dev devs[VM_DEV_MAX];
	const char *addr[VM_DEV_MAX];
	const struct pcidev_info *known[VM_DEV_MAX];
	struct slot_place at[VM_DEV_MAX];

	for (size_t i = 0; i < p->n_picks; i++) {
		const struct inv_device *d = p->picks[i].dev;
		size_t k = (size_t)(d - p->inv.dev);
		bool listed = d >= p->inv.dev && k < p->inv.n; /* not one of p->extra */

		addr[i] = d->addr;
		known[i] = listed && p->live_ok[k] ? &p->live[k] : NULL;
	}
	slot_layout(addr, p->with, p->n_picks, at);
	for (size_t i = 0; i < p->n_picks; i++) {
		const struct model *m = model_of(p, i);
		struct fd_entry *f = handover_find(&p->fds, FD_LOCK, 2 + (int)i);
		char why[sizeof(f->why)];

		devs[i] = (struct qemu_dev){ .id = (unsigned)i, .port = at[i].port, .func = at[i].func,
					     .slot = at[i].slot, .multifunction = at[i].multifunction,
					     .rombar = -1, .romfile_fd = -1 };
		strcpy(devs[i].addr, addr[i]);
		/* a whole slot's functions and a group's endpoints bring claims of their own */
		snprintf(why, sizeof(why), "claim %s", addr[i]);
		if (f == NULL && (f = handover_add(&p->fds, FD_LOCK, true, 2 + (int)i, why)) == NULL)
			return fail(e, EX_SOFTWARE, "no room for the descriptors of %zu devices", p->n_picks);
		snprintf(f->why, sizeof(f->why), "%s", why);
		if (m && m->rombar != ROMBAR_DEFAULT)
			devs[i].rombar = m->rombar == ROMBAR_ON;
		if (m && m->romfile[0]) { /* the model's ROM, a sealed copy (rom.c) */
			snprintf(why, sizeof(why), "ROM of %s (sealed copy): rom_dir/%s", addr[i], m->romfile);
			if ((f = handover_find(&p->fds, FD_ROM, (int)i)) == NULL &&
			    (f = handover_add(&p->fds, FD_ROM, true, (int)i, why)) == NULL)
				return fail(e, EX_SOFTWARE, "no room for the descriptors of %zu devices", p->n_picks);
			devs[i].romfile_fd = f->target;
		}
	}
	/* the 64-bit PCI window sized to their BARs, checked against the guest's address bits */
	if (window_plan(&p->host, &p->vm, devs, known, p->n_picks, &p->window, e) < 0)
		return -1;
	if (qemu_argv(&p->host, &p->vm, devs, p->n_picks, &p->fds, &p->numa, &p->argv, e) < 0)
		return -1;
	return argv_window(&p->argv, &p->vm, &p->window, e);
}

/* SPEC step 3, for select_devices: claim d, or lose the race for it (1). Journalled as soon
 * as the lock is ours, so that the undo sees it. */
int take(void *user, const struct inv_device *d, struct perr *e)
{
	struct plan *p = user;
	size_t i = p->n_picks; /* select_devices appends d as picks[i] once this succeeds */
	const struct model *m;
	struct claim_info old, rec;
	char dir[512];
	int fd;

	if (claims_dir(p->host.state_dir, dir, sizeof(dir), e) < 0)
		return -1;
	fd = lease_lock(dir, d->addr, &old, e);
	if (fd < 0)
		return fd == -2 ? 1 : -1;
	if (driver_of(p->host.sysfs_root, d->addr, p->was[i], e) < 0) {
		close(fd);
		return -1;
	}
	lease_record(&rec, p->vm.name);
	/* the reset methods to restore at --release: a dead VM's claim's still (its model's were
	 * written over them), else those of now, when its model will write its own */
	p->orig_reset[i][0] = '\0';
	if (old.exists && !old.unreadable && old.orig_reset[0])
		snprintf(p->orig_reset[i], sizeof(p->orig_reset[i]), "%s", old.orig_reset);
	else if (!p->outside[i] && (m = models_find(&p->models, d->model)) && m->reset_method[0] &&
		 reset_method_get(p->host.sysfs_root, d->addr, p->orig_reset[i], e) < 0) {
		close(fd);
		return -1;
	}
	if (strcmp(p->orig_reset[i], "-") == 0) /* no list to go back to */
		p->orig_reset[i][0] = '\0';
	snprintf(rec.orig_reset, sizeof(rec.orig_reset), "%s", p->orig_reset[i]);
	if (p->qemu_pid > 0) { /* --attach: the claim is the running QEMU's */
		rec.pid = p->qemu_pid;
		rec.start = p->qemu_start;
	}
	/* QEMU's id of the device: hostdev<i> at launch (argv.c), hotdev<k> on hotplug port k */
	if (p->qdev[0])
		snprintf(rec.qdev, sizeof(rec.qdev), "%s", p->qdev);
	else
		snprintf(rec.qdev, sizeof(rec.qdev), "hostdev%zu", i);
	/* a dead VM's claim never released: its original driver is still the one to go back to */
	snprintf(rec.orig_driver, sizeof(rec.orig_driver), "%s",
		 old.exists && !old.unreadable ? old.orig_driver : p->was[i]);
	snprintf(rec.model, sizeof(rec.model), "%s", d->model);
	fd = lease_commit(fd, dir, d->addr, &rec, e);
	if (fd < 0)
		return -1;
	p->claim_j[i] = p->n_j;
	journal_lease(p, fd, dir, d->addr, old.exists && !old.unreadable);
	return 0;
}

/* Undo in reverse, going on through failures. A device that cannot be given back keeps its
 * (now unheld) claim, so that --release can try again. */
void rollback(struct plan *p)
{
	const char *vfio = p->host.vfio_driver;

	while (p->n_j > 0) {
		struct jentry *j = &p->j[--p->n_j];
		const struct inv_device *d = j->dev < p->n_picks ? p->picks[j->dev].dev : NULL;
		struct perr e = { 0 };

		switch (j->kind) {
		case J_FILES:
			files_close(&p->fds);
			break;
		case J_VNCDIR:
			vnc_dir_remove(p->host.state_dir, p->vm.name);
			break;
		case J_SOCKET:
			close(j->fd);
			unlink(j->path);
			break;
		case J_HANDED:
			vfio_takeback(p->host.dev_root, d->iommu_group);
			break;
		case J_RESET: /* after its J_BIND: the device is off vfio-pci again by now */
			if (p->orig_reset[j->dev][0] &&
			    reset_method_set(p->host.sysfs_root, d->addr, p->orig_reset[j->dev], false, &e) < 0)
				say(p->vm.name, "%s: reset_method not put back to %s (%s)", d->addr,
				    p->orig_reset[j->dev], e.msg);
			break;
		case J_BIND:
			if (strcmp(p->was[j->dev], vfio) == 0)
				break;
			if (unbind_vfio(p->host.sysfs_root, d->addr, vfio, p->was[j->dev], &e) < 0) {
				say(p->vm.name, "%s: not given back (%s); its claim stays for pcipass-run --release",
				    d->addr, e.msg);
				p->j[j->claim].keep = true;
			} else {
				say(p->vm.name, "%s: given back to %s", d->addr,
				    p->was[j->dev][0] ? p->was[j->dev] : "no driver");
			}
			break;
		case J_LEASE:
			if (!j->keep)
				lease_remove(j->path, j->name);
			close(j->fd);
			break;
		}
	}
}

/* Step 6's endpoints, journalled: the QMP socket, the console socket, the VNC directory. */
int endpoints(struct plan *p, struct perr *e)
{
	static const struct { enum fd_kind kind; const char *suffix; } socks[] = {
		{ FD_QMP, "qmp" }, { FD_CONSOLE, "console" },
	};

	for (size_t i = 0; i < sizeof(socks) / sizeof(socks[0]); i++) {
		struct fd_entry *f = handover_find(&p->fds, socks[i].kind, 0);
		struct jentry *j;
		char path[512];

		if (f == NULL)
			continue;
		if (vms_path(path, sizeof(path), p->host.state_dir, p->vm.name, socks[i].suffix, e) < 0 ||
		    (f->src = sock_listen(path, e)) < 0)
			return -1;
		j = journal(p, J_SOCKET);
		j->fd = f->src;
		snprintf(j->path, sizeof(j->path), "%s", path);
	}
	if (p->vm.vnc) {
		if (vnc_dir(p->host.state_dir, p->vm.name, &p->user, e) < 0)
			return -1;
		journal(p, J_VNCDIR);
	}
	return 0;
}

/* The models' romfiles, opened as root before any device moves (rom.c), each on its pick's
 * FD_ROM entry; check (--dry-run): each opened and closed again. */
int roms_open(struct plan *p, bool check, struct perr *e)
{
	for (size_t i = 0; i < p->n_picks; i++) {
		const struct model *m = model_of(p, i);
		struct fd_entry *f = handover_find(&p->fds, FD_ROM, (int)i);

		if (m == NULL || !m->romfile[0] || f == NULL)
			continue;
		if (rom_open(&p->host, m->romfile, &f->src, e) < 0)
			return -1;
		if (check) {
			close(f->src);
			f->src = -1;
		}
	}
	return 0;
}

/* Step 5, and 6's hand-over of each IOMMU group's VFIO node (once a group). */
int devices_bind(struct plan *p, struct perr *e)
{
	const char *vm = p->vm.name;

	for (size_t i = 0; i < p->n_picks; i++) {
		const struct inv_device *d = p->picks[i].dev;
		const struct model *m = model_of(p, i);
		struct jentry *j;

		/* the model's reset methods, before vfio-pci has the device (it resets it on open
		 * and release); journalled first, as a write the kernel took only in part needs
		 * undoing too */
		if (m && m->reset_method[0]) {
			journal(p, J_RESET)->dev = i;
			if (reset_method_set(p->host.sysfs_root, d->addr, m->reset_method, true, e) < 0)
				return -1;
			say(vm, "%s: reset_method %s (was %s)", d->addr, m->reset_method,
			    p->orig_reset[i][0] ? p->orig_reset[i] : "not known");
		}
		j = journal(p, J_BIND);
		j->dev = i;
		j->claim = p->claim_j[i];
		if (bind_vfio(p->host.sysfs_root, p->host.dev_root, d->addr, d->iommu_group,
			      p->host.vfio_driver, p->was[i], e) < 0)
			return -1;
		say(vm, "%s (%s): claimed, on %s (was %s)", d->addr, d->model, p->host.vfio_driver,
		    p->was[i][0] ? p->was[i] : "unbound");
	}
	for (size_t i = 0; i < p->n_picks; i++) {
		bool first = true;
		for (size_t k = 0; k < i; k++)
			first &= p->picks[k].dev->iommu_group != p->picks[i].dev->iommu_group;
		if (!first)
			continue;
		if (vfio_handover(p->host.dev_root, p->picks[i].dev->iommu_group, &p->user, e) < 0)
			return -1;
		journal(p, J_HANDED)->dev = i;
	}
	return 0;
}
