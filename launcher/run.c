/* SPDX-License-Identifier: GPL-2.0-or-later */
/* run.c - pcipass-run: start a VM with custom PCI devices passed through.
 *
 * launch() reads like SPEC's nine steps; --dry-run runs steps 1, 2 and 4 and prints the plan;
 * --release gives back the devices of VMs that are gone. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/stat.h>
#include <unistd.h>

#include "argv.h"
#include "bind.h"
#include "claim.h"
#include "config.h"
#include "inventory.h"
#include "files.h"
#include "filter.h"
#include "firmware.h"
#include "health.h"
#include "ident.h"
#include "model.h"
#include "numa.h"
#include "ops.h"
#include "pcidev.h"
#include "preflight.h"
#include "prepare.h"
#include "qmp.h"
#include "hostuse.h"
#include "rom.h"
#include "slot.h"
#include "select.h"
#include "stats.h"
#include "vmconf.h"
#include "window.h"

#define STOP_TIMEOUT 60 /* --stop's default: seconds the guest has to power down */
#define DETACH_TIMEOUT 30 /* --detach's default: seconds the guest has to let a device go */
#define QMP_TIMEOUT_MS 10000 /* one QMP exchange of --attach and --detach */

/* The undo journal: one entry appended after each step that changed something, walked
 * backwards by rollback(). */
enum jkind { J_LEASE, J_FILES, J_BIND, J_HANDED, J_SOCKET, J_VNCDIR, J_RESET };
struct jentry {
	enum jkind kind;
	int fd;                 /* J_LEASE, J_SOCKET */
	char path[512];         /* J_LEASE: its directory; J_SOCKET: the socket */
	char name[80];          /* J_LEASE: its file name */
	bool keep;              /* J_LEASE: it stays (a dead VM's claim, a device not given back) */
	size_t dev;             /* J_BIND, J_RESET: picks[dev]; J_HANDED: the group's */
	size_t claim;           /* J_BIND: the journal entry of its claim */
};
#define JOURNAL_MAX (16 + 4 * VM_DEV_MAX) /* leases, files, sockets; claim, reset, bind, hand-over */

struct plan {
	struct host_config host;
	struct model_set models;
	struct inventory inv;
	struct vm_config vm;
	struct claim_info *claims;
	bool *busy;
	char (*unfit)[UNFIT_MAX]; /* inv.dev[i] may not be handed out, and why ("": it may) */
	struct numa_host nodes;   /* read when vm.ini's numa or hugepages need them */
	struct numa_choice numa;  /* the node of devices, memory and vCPUs; the hugepages */
	struct machine_window window; /* the 64-bit PCI window, and why (window.c) */
	struct pick picks[VM_DEV_MAX];
	size_t n_picks;
	char was[VM_DEV_MAX][DRIVER_MAX]; /* each pick's driver when claimed */
	size_t claim_j[VM_DEV_MAX];       /* each pick's claim in the journal */
	/* model functions = all: a pick's slot and IOMMU groups go whole (plan_whole) */
	struct inv_device extra[VM_DEV_MAX]; /* picks the inventory does not list */
	size_t n_extra;
	bool outside[VM_DEV_MAX];   /* picks[i] is one of those: passed as no model */
	size_t with[VM_DEV_MAX];    /* picks[i]'s whole slot: its lead's index; NO_SLOT alone */
	bool whole[VM_DEV_MAX];     /* picks[i]'s IOMMU group goes whole with it */
	char goes_with[VM_DEV_MAX][PCI_ADDR_LEN + 16]; /* for --dry-run: "slot of ADDR", "group of ADDR" */
	char orig_reset[VM_DEV_MAX][RESET_METHOD_MAX + 1]; /* its reset_method before its model's */
	struct hostuse hu;          /* what the host itself uses (host-critical devices) */
	struct jentry j[JOURNAL_MAX];
	size_t n_j;
	struct vm_user user;
	struct handover fds;
	struct argv argv;
	long qemu_pid;              /* --attach: the running VM's QEMU, whose claims these are */
	unsigned long long qemu_start;
	char qdev[LEASE_QDEV_MAX + 1]; /* --attach: the device's id in QEMU */
};

static struct jentry *journal(struct plan *p, enum jkind kind)
{
	struct jentry *j = &p->j[p->n_j++];

	memset(j, 0, sizeof(*j));
	j->kind = kind;
	j->fd = -1;
	return j;
}

static void journal_lease(struct plan *p, int fd, const char *dir, const char *name, bool keep)
{
	struct jentry *j = journal(p, J_LEASE);

	j->fd = fd;
	snprintf(j->path, sizeof(j->path), "%s", dir);
	snprintf(j->name, sizeof(j->name), "%s", name);
	j->keep = keep;
}

static void plan_free(struct plan *p)
{
	models_free(&p->models);
	inventory_free(&p->inv);
	free(p->claims);
	free(p->busy);
	free(p->unfit);
	hostuse_free(&p->hu);
	numa_free(&p->nodes);
	argv_free(&p->argv);
}


/* systemd gives a service's stderr to the journal and says so in JOURNAL_STREAM: logging to
 * syslog as well would put every line there twice. */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat sb;

	return js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &sb) == 0 &&
	       sb.st_dev == dev && sb.st_ino == ino;
}

/* An error that does not end the run (--release goes on with the other devices). */
static void complain(const struct perr *e)
{
	fprintf(stderr, "%s: %s\n", progname, e->msg);
	if (say_syslog)
		syslog(LOG_ERR, "%s", e->msg);
}

/* The last word, an error: to syslog too (as every step), then out. */
static void NORETURN quit(const struct perr *e)
{
	if (say_syslog && e->msg[0])
		syslog(LOG_ERR, "%s", e->msg);
	die_perr(e);
}

/* SPEC step 1: every file read and checked. */
static int plan_read(struct plan *p, const char *vm_ini, struct perr *e)
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
static const struct model *model_of(const struct plan *p, size_t i)
{
	return p->outside[i] ? NULL : models_find(&p->models, p->picks[i].dev->model);
}

/* Does vm.ini ask for d, by its model or its address? */
static bool requested(const struct plan *p, const struct inv_device *d)
{
	for (size_t r = 0; r < p->vm.n_req; r++)
		if (strcmp(p->vm.req[r].model, d->model) == 0 || strcmp(p->vm.req[r].addr, d->addr) == 0)
			return true;
	return false;
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

/* The launch's own gates on each inventoried device vm.ini could get (issue 12), into
 * p->unfit: the host's use of it, unless allow_host_critical names it; its health, read live
 * (pcidev_read), unless its model's allow waives it; a reset_method its model asks for that
 * the kernel cannot set; and a function of a slot whose lower function's model says
 * functions = all goes only with that one. */
static int gate_unfit(struct plan *p, struct perr *e)
{
	if (p->vm.n_req > 0 && hostuse_scan(p->host.sysfs_root, p->host.proc_root, &p->hu, e) < 0)
		return -1;
	for (size_t i = 0; i < p->inv.n; i++) {
		const struct inv_device *d = &p->inv.dev[i];
		const struct model *m = models_find(&p->models, d->model);
		char *why = p->unfit[i];
		struct pcidev_info live;
		struct perr ignore = { 0 };

		if (why[0] || m == NULL || !requested(p, d))
			continue;
		for (size_t k = i; k-- > 0 && same_slot(p->inv.dev[k].addr, d->addr) && !why[0];) {
			const struct model *lead = models_find(&p->models, p->inv.dev[k].model);
			if (lead && lead->functions_all)
				snprintf(why, UNFIT_MAX, "it goes with %s, a lower function of its slot (model %s: "
					 "functions = all); ask for that one", p->inv.dev[k].addr, lead->name);
		}
		/* a device gone from sysfs is the re-check's to report, naming the inventory */
		if (why[0] || pcidev_read(p->host.sysfs_root, d->addr, &live, &ignore) < 0)
			continue;
		host_gate(p, d->addr, d->host_critical, live.boot_vga, why);
		if (!why[0])
			health_gate(&live, m->allow | slot_reset(p, m, d->addr, &live), why);
		if (!why[0] && m->reset_method[0] &&
		    (live.reset_methods[0] == '\0' || strcmp(live.reset_methods, "-") == 0))
			snprintf(why, UNFIT_MAX, "its model's reset_method = %s cannot be set: the kernel has no "
				 "reset_method for it (before 5.15, or no method)", m->reset_method);
	}
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

static int plan_devices(struct plan *p, claim_fn claim, struct perr *e)
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
	if (plan_unfit(p, e) < 0 || gate_unfit(p, e) < 0 ||
	    (numa_wanted(&p->vm) && numa_read(p->host.sysfs_root, &p->nodes, e) < 0) ||
	    select_node(&p->inv, p->busy, (const char(*)[UNFIT_MAX])p->unfit, &p->vm, &p->nodes,
			&p->numa, e) < 0 ||
	    select_on_node(&p->inv, p->busy, (const char(*)[UNFIT_MAX])p->unfit, &p->vm, p->numa.filter,
			   claim, p, p->picks, &p->n_picks, e) < 0 ||
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
static int plan_argv(struct plan *p, struct perr *e)
{
	static struct qemu_dev devs[VM_DEV_MAX];
	const char *addr[VM_DEV_MAX];
	struct slot_place at[VM_DEV_MAX];

	for (size_t i = 0; i < p->n_picks; i++)
		addr[i] = p->picks[i].dev->addr;
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
	if (window_plan(&p->host, &p->vm, devs, p->n_picks, &p->window, e) < 0)
		return -1;
	if (qemu_argv(&p->host, &p->vm, devs, p->n_picks, &p->fds, &p->numa, &p->argv, e) < 0)
		return -1;
	return argv_window(&p->argv, &p->vm, &p->window, e);
}

/* SPEC step 3, for select_devices: claim d, or lose the race for it (1). Journalled as soon
 * as the lock is ours, so that the undo sees it. */
static int take(void *user, const struct inv_device *d, struct perr *e)
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
static void rollback(struct plan *p)
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
static int endpoints(struct plan *p, struct perr *e)
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
static int roms_open(struct plan *p, bool check, struct perr *e)
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
static int devices_bind(struct plan *p, struct perr *e)
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

/* The launch, SPEC's steps in order. A failure before the uid changes undoes what was done;
 * after it, the leases end with the QEMU process itself. */
static int launch(struct plan *p, const char *vm_ini, struct perr *e)
{
	static char path[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin"; /* the whole environment */
	char *const env[] = { path, NULL };
	unsigned long long memlock;
	char dir[512], uid[16], limit[32], cpus[256];
	const char *vm;
	bool kept;
	int fd;

	if (geteuid() != 0)
		return fail(e, EX_NOPERM, "must run as root (binds devices, then drops to the VM's user)");
	/* 1: every file read and checked; the state directory trusted; the VM's name ours */
	if (plan_read(p, vm_ini, e) < 0 || state_check(p->host.state_dir, e) < 0 ||
	    ident_resolve(&p->host, &p->vm, &p->user, e) < 0)
		return -1;
	vm = p->vm.name;
	fd = name_lock(p->host.state_dir, vm, p->vm.memory_mib, (int)p->vm.hotplug_slots, e);
	if (fd == -2)
		return fail(e, EX_UNAVAILABLE, "a VM named %s is running", vm);
	if (fd < 0)
		return -1;
	snprintf(dir, sizeof(dir), "%s/vms", p->host.state_dir);
	journal_lease(p, fd, dir, "", true); /* the name lease stays: it says who ran last */
	handover_find(&p->fds, FD_LOCK, 0)->src = fd;
	/* 2, 3, 4: devices selected and claimed (a lost race moves on to the next), checked in
	 * sysfs, their IOMMU groups checked; a launch that gets none stops here, cheaply */
	if (plan_devices(p, take, e) < 0 || plan_argv(p, e) < 0)
		goto undo;
	for (size_t i = 0; i < p->n_picks; i++)
		handover_find(&p->fds, FD_LOCK, 2 + (int)i)->src = p->j[p->claim_j[i]].fd;
	/* the VM's identity, whether it may run QEMU, its files and taps: all before any device
	 * is moved, so that none of these can fail with a device half-way */
	if ((fd = ident_lease(&p->host, vm, &p->user, &kept, e)) < 0)
		goto undo;
	if (ids_dir(p->host.state_dir, dir, sizeof(dir), e) < 0) {
		close(fd);
		goto undo;
	}
	snprintf(uid, sizeof(uid), "%u", (unsigned)p->user.uid);
	journal_lease(p, fd, dir, uid, kept);
	handover_find(&p->fds, FD_LOCK, 1)->src = fd;
	if (ident_can_exec(&p->user, p->host.qemu, e) < 0 || files_open(&p->host, &p->vm, &p->fds, e) < 0)
		goto undo;
	journal(p, J_FILES);
	if (roms_open(p, false, e) < 0)
		goto undo;
	say(vm, "planned: %zu device%s, %s uid %u", p->n_picks, p->n_picks == 1 ? "" : "s",
	    p->user.dynamic ? "dynamic" : p->user.name, (unsigned)p->user.uid);
	if (p->numa.note[0]) /* the node chosen, or why numa = prefer has none */
		say(vm, "%s", p->numa.note);
	/* the node's CPUs for this process, so for QEMU and every thread it makes (numa.h) */
	if (numa_bind_cpus(&p->numa, cpus, sizeof(cpus), e) < 0)
		goto undo;
	if (cpus[0])
		say(vm, "bound to node %d: CPUs %s", p->numa.node, cpus);
	/* 5: bind; 6: prepare */
	if (devices_bind(p, e) < 0 || endpoints(p, e) < 0 ||
	    limits_set(p->vm.memory_mib, p->n_picks > 0 || p->vm.hotplug_slots > 0, &memlock, e) < 0)
		goto undo;
	if (memlock != p->vm.memory_mib + 1024)
		say(vm, "warning: cannot raise RLIMIT_MEMLOCK (no CAP_SYS_RESOURCE); kept, as no device is passed through");
	if (memlock == ~0ULL)
		snprintf(limit, sizeof(limit), "unlimited");
	else
		snprintf(limit, sizeof(limit), "%llu MiB", memlock);
	/* what QEMU gets, read back: not what was asked for */
	say(vm, "QMP socket %s/vms/%s.qmp; memlock limit %s; exec %s as uid %u gid %u",
	    p->host.state_dir, vm, limit, p->argv.v[0], (unsigned)p->user.uid, (unsigned)p->user.gid);
	signals_reset();
	closelog();
	/* 7: drop privileges, the groups first (still undoable), then the uid: from there on
	 * there is no way back to root; the leases end with this process, and --release gives the
	 * devices back. 8: the seccomp filter, last before 9: exec. */
	if (detach(e) < 0 || fds_arrange(&p->fds, e) < 0 || privs_groups(&p->user, e) < 0)
		goto undo;
	if (privs_uid(&p->user, e) < 0 || seccomp_install(p->host.seccomp_action, e) < 0) {
		say(vm, "privileges dropped, cannot undo: run pcipass-run --release");
		return -1;
	}
	execve(p->argv.v[0], p->argv.v, env);
	fail_errno(e, EX_OSERR, "exec %s", p->argv.v[0]);
	say(vm, "%s; the devices stay on %s until pcipass-run --release", e->msg, p->host.vfio_driver);
	return -1;
undo:
	rollback(p);
	return -1;
}

/* A device whose claim ends here (--release, --detach): its VFIO node back to root whatever the
 * claim says; the device back to orig_driver if whole (a claim that records one) and it is still
 * on vfio_driver, unbound (an undo cut short) or already back: sysfs decides with the claim. On
 * some other driver since, it is that driver's now, left alone (*other, its name in now). */
static int give_back(const struct host_config *h, const char *addr, bool whole, const char *orig_driver,
		     const char *orig_reset, char now[DRIVER_MAX], bool *other, struct perr *e)
{
	struct perr ignore = { 0 }, reset = { 0 };
	int group;

	/* the VM's user owned the group's VFIO device: not a moment longer */
	if ((group = group_of(h->sysfs_root, addr, &ignore)) >= 0)
		vfio_takeback(h->dev_root, group);
	now[0] = '\0';
	*other = driver_of(h->sysfs_root, addr, now, &ignore) == 0 && now[0] &&
		 strcmp(now, h->vfio_driver) != 0 && strcmp(now, orig_driver) != 0;
	/* the reset methods its model set, back as they were before its driver sees it again; a
	 * failure is said and does not keep the device from its driver */
	if (whole && !*other && orig_reset[0] &&
	    reset_method_set(h->sysfs_root, addr, orig_reset, false, &reset) < 0)
		complain(&reset);
	if (whole && !*other && unbind_vfio(h->sysfs_root, addr, h->vfio_driver, orig_driver, e) < 0)
		return -1;
	return 0;
}

/* After a VM: does the device still answer config reads? A card its VM wedged reads 0xffff;
 * given to the next VM it would be dead there, or hang the host on it. Marked, never picked
 * again until --release ADDR sees it answer (the admin's reset or rescan). */
static void check_answers(const struct host_config *h, const char *addr, const char *vm)
{
	struct perr e = { 0 };
	int alive = pcidev_alive(h->sysfs_root, addr, &e);

	if (alive < 0) {
		say(vm, "%s: cannot check that it answers: %s", addr, e.msg);
		return;
	}
	if (alive == 1)
		return;
	if (health_mark_set(h->state_dir, addr, "config space reads 0xffff after release", &e) < 0)
		say(vm, "%s: does not answer config reads (0xffff), and cannot be marked: %s", addr, e.msg);
	else
		say(vm, "%s: does not answer config reads (0xffff): marked unhealthy, never handed out until "
			"it answers again (reset or remove and rescan it, then pcipass-run --release %s)", addr, addr);
}

/* --release ADDR with no claim: a device marked unhealthy is looked at again, the mark cleared
 * when it answers. */
static int recheck_mark(const struct host_config *h, const char *addr, struct perr *e)
{
	char why[HEALTH_WHY_MAX];
	int marked = health_mark_get(h->state_dir, addr, why, e), alive;

	if (marked <= 0)
		return marked < 0 ? -1 : fail(e, EX_NOINPUT, "%s: no claim to release", addr);
	if ((alive = pcidev_alive(h->sysfs_root, addr, e)) < 0)
		return -1;
	if (alive == 0)
		return fail(e, EX_UNAVAILABLE, "%s: still reads 0xffff from its config space (%s); reset or remove "
			    "and rescan it first", addr, why);
	if (health_mark_clear(h->state_dir, addr, e) < 0)
		return -1;
	say("?", "%s: answers config reads again; its unhealthy mark is cleared", addr);
	return 0;
}

/* --release, one claim: the device's VFIO node goes back to root whatever the claim says; the
 * device goes back to the driver a whole claim records (if it is still on vfio_driver: sysfs
 * decides with the claim), and the claim file goes. explicit: named on the command line, so a
 * held claim is an error, not a skip. */
static int release_one(const struct host_config *h, const char *addr, bool explicit,
		       struct perr *e)
{
	struct claim_info ci, old;
	char dir[512], now[DRIVER_MAX];
	bool other;
	int fd;

	if (claim_inspect(h->state_dir, addr, &ci, e) < 0 || claims_dir(h->state_dir, dir, sizeof(dir), e) < 0)
		return -1;
	if (!ci.exists && explicit) /* a mark alone: the admin says the device was seen to */
		return recheck_mark(h, addr, e);
	if (!ci.exists)
		return 0;
	fd = ci.held ? -2 : lease_lock(dir, addr, &old, e);
	if (fd == -2) /* its VM runs (or a launch took it in between: it is that VM's now) */
		return explicit ? fail(e, EX_UNAVAILABLE, "%s is claimed by VM %s (pid %ld), which is running",
				       addr, ci.vm[0] ? ci.vm : old.vm[0] ? old.vm : "?",
				       ci.pid ? ci.pid : old.pid) : 0;
	if (fd < 0)
		return -1;
	if (give_back(h, addr, old.exists && !old.unreadable, old.orig_driver, old.orig_reset, now, &other,
		      e) < 0) {
		close(fd);
		return -1;
	}
	lease_remove(dir, addr);
	close(fd);
	if (old.exists && !old.unreadable)
		check_answers(h, addr, old.vm);
	/* empty or not ours (a launcher killed before its claim was whole): the device was never
	 * moved, as binding comes after the claim is written */
	if (!old.exists || old.unreadable)
		say("?", "%s: claim empty or unreadable; removed, the device left on %s", addr,
		    now[0] ? now : "no driver");
	else if (other)
		say(old.vm, "%s: released; the device is on %s now, left there", addr, now);
	else
		say(old.vm, "%s: released, back to %s", addr, old.orig_driver[0] ? old.orig_driver : "no driver");
	return 0;
}

struct release_run {
	const struct host_config *h;
	bool explicit;
	int code; /* the first failure's status */
};

/* --release, one identity lease whose VM is gone: what that uid was handed goes back to root,
 * then the uid is free. */
static int release_id(void *user, const char *name)
{
	const struct host_config *h = ((struct release_run *)user)->h;
	struct claim_info old;
	struct perr e = { 0 };
	char dir[512];
	int fd;

	if (ids_dir(h->state_dir, dir, sizeof(dir), &e) < 0 || (fd = lease_lock(dir, name, &old, &e)) == -2)
		return 0;
	if (fd < 0) {
		complain(&e);
		return 0;
	}
	if (!old.exists || old.unreadable || old.uid < 0 || vfio_takeback_uid(h->dev_root, (uid_t)old.uid) == 0)
		lease_remove(dir, name);
	close(fd);
	return 0;
}

static bool is_uid(const char *name)
{
	return str_only(name, "0123456789", 10);
}

/* One failure does not stop the others: each has its line, the first one's status wins. */
static int release_addr(void *user, const char *addr)
{
	struct release_run *run = user;
	struct perr one = { 0 };

	if (release_one(run->h, addr, run->explicit, &one) < 0) {
		complain(&one);
		run->code = run->code ? run->code : one.code;
	}
	return 0;
}

static int release(const struct host_config *h, char **addrs, int n, struct perr *e)
{
	struct release_run run = { h, n > 0, 0 };
	char addr[PCI_ADDR_LEN], b[128], dir[512];

	if (geteuid() != 0)
		return fail(e, EX_NOPERM, "must run as root (gives devices back to their drivers)");
	for (int i = 0; i < n; i++)
		if (parse_pci_addr(addrs[i], addr) < 0)
			return fail(e, EX_USAGE, "\"%s\": expected a PCI address like 0000:3b:00.0",
				    shown(addrs[i], b));
	for (int i = 0; i < n; i++)
		if (parse_pci_addr(addrs[i], addr) == 0)
			release_addr(&run, addr);
	if (n == 0 && claim_each(h->state_dir, release_addr, &run, e) < 0)
		return -1;
	if (n == 0 && ids_dir(h->state_dir, dir, sizeof(dir), e) == 0 &&
	    lease_each(dir, is_uid, release_id, &run, e) < 0)
		return -1;
	e->code = run.code;
	return run.code ? -1 : 0;
}

/* --dry-run: the CPU, topology and firmware chosen, the memory map and why. */
static void show_guest(const struct plan *p, struct sbuf *b)
{
	const struct vm_config *v = &p->vm;

	sbuf_printf(b, "guest: cpu %s%s%s; ", v->cpu[0] ? v->cpu : strcmp(v->accel, "kvm") == 0 ? "host" : "max",
		    v->cpu[0] ? "" : " (the default with ", v->cpu[0] ? "" : strcmp(v->accel, "kvm") == 0 ? "kvm)" : "tcg)");
	if (v->sockets || v->cores || v->threads)
		sbuf_printf(b, "sockets %u x cores %u x threads %u; ", v->sockets ? v->sockets : 1,
			    v->cores ? v->cores : 1, v->threads ? v->threads : 1);
	if (strcmp(v->firmware, "uefi") == 0)
		sbuf_printf(b, "firmware uefi (OVMF %s, variables %s/%s.fd)\n", p->host.ovmf_code,
			    p->host.nvram_dir, v->name);
	else
		sbuf_printf(b, "firmware bios (SeaBIOS)\n");
	sbuf_printf(b, "memory map: %s\n", p->window.why);
}

/* --dry-run's plan for a human; u: the identity the VM would get, when resolved. */
static void show_plan(const struct plan *p, const struct vm_user *u, bool resolved, struct sbuf *b)
{
	sbuf_printf(b, "vm %s: user %s, %llu MiB (memlock limit %llu MiB), %u cpu%s, %s/%s, %zu device%s\n",
		    p->vm.name, p->vm.user[0] ? p->vm.user : p->host.run_as, p->vm.memory_mib,
		    p->vm.memory_mib + 1024, p->vm.cpus,
		    p->vm.cpus == 1 ? "" : "s", p->vm.machine, p->vm.accel, p->n_picks,
		    p->n_picks == 1 ? "" : "s");
	for (size_t i = 0; i < p->n_picks; i++) {
		const struct inv_device *d = p->picks[i].dev;
		const struct model *m = model_of(p, i);
		sbuf_printf(b, "  %s  %-16s %-8s numa %-2d group %-4d %s -> %s\n", d->addr, d->model,
			    d->dev_type, d->numa_node, d->iommu_group, d->driver[0] ? d->driver : "(none)",
			    p->host.vfio_driver);
		/* what its model (or its lead's functions = all) makes of it: the argv has the rest */
		if (p->goes_with[i][0])
			sbuf_printf(b, "    goes whole with the %s (functions = all)\n", p->goes_with[i]);
		if (m && m->reset_method[0])
			sbuf_printf(b, "    reset_method %s before binding (restored at --release)\n", m->reset_method);
		if (m && (m->rombar != ROMBAR_DEFAULT || m->romfile[0]))
			sbuf_printf(b, "    rom bar %s%s%s\n", m->rombar == ROMBAR_OFF ? "off" : "on",
				    m->romfile[0] ? ", romfile " : "", m->romfile);
	}
	if (p->numa.note[0])
		sbuf_printf(b, "%s\n", p->numa.note);
	show_guest(p, b);
	if (resolved) {
		sbuf_printf(b, "identity: uid %u, gid %u, groups", (unsigned)u->uid, (unsigned)u->gid);
		for (size_t i = 0; i < u->n_groups; i++)
			sbuf_printf(b, " %s(%u)", p->host.vm_groups[i], (unsigned)u->groups[i]);
		sbuf_printf(b, "%s\n", u->n_groups ? "" : " none");
	}
	sbuf_printf(b, "descriptors:\n");
	handover_show(&p->fds, b);
	sbuf_printf(b, "qemu:\n");
	argv_show(&p->argv, b);
}

/* The running VM called name: its QEMU's pid and start time (from its name lease: root's
 * record, checked against /proc), its uid and gid (from /proc: the kernel's word, not QEMU's)
 * and its hotplug slots. */
static int vm_running(struct plan *p, const char *name, struct claim_info *lease, struct perr *e)
{
	struct proc_status ps;

	if (vm_lease(p->host.state_dir, name, lease, e) < 0)
		return -1;
	if (lease->exists && lease->alive && strcmp(lease->vm, name) == 0)
		proc_status(lease->pid, lease->start, &ps);
	else
		ps.uid = ps.gid = -1;
	if (ps.uid < 0 || ps.gid < 0)
		return fail(e, EX_UNAVAILABLE, "no VM named %s is running", name);
	snprintf(p->vm.name, sizeof(p->vm.name), "%s", name);
	p->vm.numa_node = -1;
	p->qemu_pid = lease->pid;
	p->qemu_start = lease->start;
	p->user.uid = (uid_t)ps.uid;
	p->user.gid = (gid_t)ps.gid;
	return 0;
}

/* For slot_taken: the hotplug ports in use by the VM's live claims. */
struct slots {
	const char *vm;
	long pid;
	bool used[VM_HOTPLUG_MAX];
};

static int slot_taken(void *user, const char *addr, const struct claim_info *ci)
{
	struct slots *s = user;
	unsigned k;

	(void)addr;
	if (strcmp(ci->vm, s->vm) == 0 && ci->pid == s->pid && sscanf(ci->qdev, "hotdev%u", &k) == 1 &&
	    k < VM_HOTPLUG_MAX)
		s->used[k] = true;
	return 0;
}

/* The name under which QEMU holds an attached device's claim (getfd): a word, "claim-0000_3b_00.0". */
static void claim_fdname(const char *addr, char out[48])
{
	snprintf(out, 48, "claim-%s", addr);
	for (char *c = out; *c; c++)
		*c = *c == ':' ? '_' : *c;
}

/* What --attach does not do, from the model of what it is asked for: a whole slot (QMP's
 * device_add of several functions, and their claims, as one: a slot's hotplug) and a romfile
 * (QEMU opens one by name, at start only: nothing to hand it by descriptor now). */
static int attach_refused(struct plan *p, struct perr *e)
{
	const struct vm_request *q = &p->vm.req[0];
	const struct inv_device *d = q->addr[0] ? inventory_find(&p->inv, q->addr) : NULL;
	const struct model *m = models_find(&p->models, d ? d->model : q->model);

	if (m && m->functions_all)
		return fail(e, EX_UNAVAILABLE, "model %s passes whole slots (functions = all), which --attach "
			    "does not hot-plug; name it in the VM's vm.ini", m->name);
	if (m && m->romfile[0])
		return fail(e, EX_UNAVAILABLE, "model %s has a romfile, which QEMU takes at start only; "
			    "name it in the VM's vm.ini", m->name);
	return 0;
}

/* --attach NAME MODEL|ADDR: one device into a running VM's first free hotplug port, with the
 * launch's rules (select, claim, recheck, group, bind, hand over: the same functions and undo
 * journal); QEMU gets the claim's read-only locked descriptor with getfd, so that the claim
 * ends with it, then device_add. Any failure undoes it all. */
static int attach(struct plan *p, const char *name, const char *what, struct perr *e)
{
	struct slots used = { name, 0, { false } };
	struct claim_info lease;
	struct qmp_msg reply;
	struct qmp q = { .fd = -1 };
	char path[512], fdname[48], args[320], addr[PCI_ADDR_LEN], val[VFIO_VALUE_LEN];
	const struct inv_device *d;
	const struct model *m;
	unsigned k;

	if (geteuid() != 0)
		return fail(e, EX_NOPERM, "must run as root (binds devices)");
	if (vm_running(p, name, &lease, e) < 0)
		return -1;
	if (lease.slots <= 0)
		return fail(e, EX_UNAVAILABLE, "VM %s has no hotplug port (hotplug_slots in its vm.ini)", name);
	used.pid = lease.pid;
	if (claim_each_held(p->host.state_dir, slot_taken, &used, e) < 0)
		return -1;
	for (k = 0; k < (unsigned)lease.slots && used.used[k]; k++)
		;
	if (k == (unsigned)lease.slots)
		return fail(e, EX_UNAVAILABLE, "VM %s: all %d hotplug ports are in use", name, lease.slots);
	snprintf(p->qdev, sizeof(p->qdev), "hotdev%u", k);
	p->vm.n_req = 1;
	p->vm.req[0].count = 1;
	if (parse_pci_addr(what, addr) == 0)
		snprintf(p->vm.req[0].addr, sizeof(p->vm.req[0].addr), "%s", addr);
	else
		snprintf(p->vm.req[0].model, sizeof(p->vm.req[0].model), "%s", what);
	if (models_load(p->host.models_dir, true, &p->models, e) < 0 ||
	    inventory_load(p->host.inventory, &p->inv, e) < 0)
		return -1;
	if (p->host.disable_custom_device)
		return fail(e, EX_UNAVAILABLE, "custom devices are disabled on this host (disable_custom_device)");
	if (p->vm.req[0].model[0] && !models_find(&p->models, what))
		return fail(e, EX_DATAERR, "no model named %s (see pcipass-model list)", p->vm.req[0].model);
	if (attach_refused(p, e) < 0)
		return -1;
	/* the launch's steps 2 to 6 for one device */
	if (state_check(p->host.state_dir, e) < 0 || plan_devices(p, take, e) < 0 ||
	    devices_bind(p, e) < 0)
		goto undo;
	d = p->picks[0].dev;
	m = model_of(p, 0);
	claim_fdname(d->addr, fdname);
	snprintf(args, sizeof(args),
		 "{\"driver\": \"vfio-pci\", \"%s\": \"%s\", \"id\": \"%s\", \"bus\": \"pcipass.hp%u\"%s}",
		 vfio_key(d->addr), vfio_value(d->addr, val), p->qdev, k,
		 m && m->rombar != ROMBAR_DEFAULT ? m->rombar == ROMBAR_ON ? ", \"rombar\": 1" : ", \"rombar\": 0" : "");
	if (vms_path(path, sizeof(path), p->host.state_dir, name, "qmp", e) < 0 ||
	    qmp_connect(&q, path, QMP_TIMEOUT_MS, e) < 0 ||
	    qmp_getfd(&q, p->j[p->claim_j[0]].fd, fdname, e) < 0)
		goto undo;
	if (qmp_execute(&q, "device_add", args, &reply, e) < 0) {
		struct perr ignore = { 0 };

		snprintf(args, sizeof(args), "{\"fdname\": \"%s\"}", fdname);
		(void)!qmp_execute(&q, "closefd", args, &reply, &ignore);
		goto undo;
	}
	qmp_close(&q);
	for (size_t i = 0; i < p->n_j; i++) /* QEMU holds the claim now */
		if (p->j[i].kind == J_LEASE)
			close(p->j[i].fd);
	say(name, "%s (%s) attached as %s on pcipass.hp%u", d->addr, d->model, p->qdev, k);
	return 0;
undo:
	qmp_close(&q);
	rollback(p);
	return -1;
}

/* For detach: the VM's other devices in the group of the one leaving. */
struct peers {
	const char *vm, *sysfs_root, *addr;
	long pid;
	int group;
	char other[PCI_ADDR_LEN];
};

static int group_peer(void *user, const char *addr, const struct claim_info *ci)
{
	struct peers *s = user;
	struct perr ignore = { 0 };

	if (strcmp(addr, s->addr) != 0 && strcmp(ci->vm, s->vm) == 0 && ci->pid == s->pid &&
	    group_of(s->sysfs_root, addr, &ignore) == s->group)
		snprintf(s->other, sizeof(s->other), "%s", addr);
	return 0;
}

/* --detach NAME ADDR: device_del the device by the id its claim records, wait for QEMU's
 * DEVICE_DELETED, then give it back as --release does (VFIO node to root, the device to its
 * driver, the claim removed: QEMU may still hold the old claim's descriptor, which then locks
 * nothing that exists). Whatever QEMU says, only the claim (root's) says which device is this
 * VM's and under which id. */
static int detach_dev(struct plan *p, const char *name, const char *what, unsigned timeout,
		  struct perr *e)
{
	const struct host_config *h = &p->host;
	struct claim_info lease, ci;
	struct qmp_msg reply;
	struct qmp q = { .fd = -1 };
	struct peers peers = { name, h->sysfs_root, NULL, 0, -1, "" };
	char path[512], args[128], dir[512], addr[PCI_ADDR_LEN], b[128], now[DRIVER_MAX];
	char fdname[48];
	long long t0, t1;
	bool other;

	if (geteuid() != 0)
		return fail(e, EX_NOPERM, "must run as root (gives devices back to their drivers)");
	if (parse_pci_addr(what, addr) < 0)
		return fail(e, EX_USAGE, "\"%s\": expected a PCI address like 0000:3b:00.0", shown(what, b));
	if (vm_running(p, name, &lease, e) < 0 || claim_inspect(h->state_dir, addr, &ci, e) < 0)
		return -1;
	if (!ci.exists || strcmp(ci.vm, name) != 0 || ci.pid != lease.pid || ci.start != lease.start)
		return fail(e, EX_UNAVAILABLE, "%s is not a device of VM %s", addr, name);
	if (!ci.qdev[0])
		return fail(e, EX_UNAVAILABLE, "%s: its claim records no QEMU id (a VM started by an older pcipass-run)", addr);
	peers.addr = addr;
	peers.pid = lease.pid;
	if ((peers.group = group_of(h->sysfs_root, addr, e)) < 0 ||
	    claim_each_held(h->state_dir, group_peer, &peers, e) < 0)
		return -1;
	if (peers.other[0])
		return fail(e, EX_UNAVAILABLE, "%s shares IOMMU group %d with %s, also in VM %s: a group leaves a VM whole, when the VM ends",
			    addr, peers.group, peers.other, name);
	t0 = now_ms();
	snprintf(args, sizeof(args), "{\"id\": \"%s\"}", ci.qdev);
	if (vms_path(path, sizeof(path), h->state_dir, name, "qmp", e) < 0 ||
	    qmp_connect(&q, path, QMP_TIMEOUT_MS, e) < 0 ||
	    qmp_execute(&q, "device_del", args, &reply, e) < 0 ||
	    qmp_wait_event(&q, "DEVICE_DELETED", ci.qdev, (int)timeout * 1000, e) < 0) {
		qmp_close(&q);
		return -1;
	}
	claim_fdname(addr, fdname);
	snprintf(args, sizeof(args), "{\"fdname\": \"%s\"}", fdname);
	{ /* an attached device's claim descriptor: QEMU lets go of it (a launch's stays, unlinked) */
		struct perr ignore = { 0 };
		(void)!qmp_execute(&q, "closefd", args, &reply, &ignore);
	}
	qmp_close(&q);
	t1 = now_ms();
	if (give_back(h, addr, true, ci.orig_driver, ci.orig_reset, now, &other, e) < 0)
		return -1; /* the claim stays: --release tries again once the VM is gone */
	if (claims_dir(h->state_dir, dir, sizeof(dir), e) < 0)
		return -1;
	lease_remove(dir, addr);
	say(name, "%s detached in %.1f s, back to %s", addr, (double)(t1 - t0) / 1000,
	    other ? now : ci.orig_driver[0] ? ci.orig_driver : "no driver");
	return 0;
}

/* --dry-run --json: one document. planned: the plan was made (else devices, descriptors and
 * argv are empty, and the one problem is why). */
static void show_json(const struct plan *p, bool planned, const struct vm_user *u, bool resolved,
		      const struct problems *ps, struct sbuf *b)
{
	sbuf_printf(b, "{\"vm\": ");
	json_str(b, p->vm.name);
	sbuf_printf(b, ", \"user\": ");
	json_str(b, p->vm.user[0] ? p->vm.user : p->host.run_as);
	if (resolved)
		sbuf_printf(b, ", \"uid\": %u, \"gid\": %u", (unsigned)u->uid, (unsigned)u->gid);
	else
		sbuf_printf(b, ", \"uid\": null, \"gid\": null");
	sbuf_printf(b, ", \"memory_mib\": %llu, \"memlock_mib\": %llu, \"cpus\": %u, \"machine\": ",
		    p->vm.memory_mib, p->vm.memory_mib + 1024, p->vm.cpus);
	json_str(b, p->vm.machine);
	sbuf_printf(b, ", \"accel\": ");
	json_str(b, p->vm.accel);
	sbuf_printf(b, ", \"firmware\": ");
	json_str(b, p->vm.firmware);
	sbuf_printf(b, ", \"pci_hole64\": ");
	if (planned) { /* the window (bytes) QEMU gets; set: not its default */
		sbuf_printf(b, "{\"bytes\": %llu, \"set\": %s, \"why\": ", (unsigned long long)p->window.size,
			    p->window.hole64 ? "true" : "false");
		json_str(b, p->window.why);
		sbuf_printf(b, "}");
	} else {
		sbuf_printf(b, "null");
	}
	sbuf_printf(b, ", \"devices\": [");
	for (size_t i = 0; planned && i < p->n_picks; i++) {
		const struct inv_device *d = p->picks[i].dev;
		sbuf_printf(b, "%s{\"address\": ", i ? ", " : "");
		json_str(b, d->addr);
		sbuf_printf(b, ", \"model\": ");
		json_str(b, d->model);
		sbuf_printf(b, ", \"dev_type\": ");
		json_str(b, d->dev_type);
		sbuf_printf(b, ", \"numa_node\": %d, \"iommu_group\": %d, \"driver\": ", d->numa_node,
			    d->iommu_group);
		if (d->driver[0])
			json_str(b, d->driver);
		else
			sbuf_printf(b, "null");
		sbuf_printf(b, ", \"to\": ");
		json_str(b, p->host.vfio_driver);
		sbuf_printf(b, ", \"goes_with\": ");
		if (p->goes_with[i][0])
			json_str(b, p->goes_with[i]);
		else
			sbuf_printf(b, "null");
		sbuf_printf(b, "}");
	}
	sbuf_printf(b, "], \"numa\": {\"policy\": ");
	json_str(b, p->vm.numa[0] ? p->vm.numa : "any");
	if (planned && p->numa.node >= 0)
		sbuf_printf(b, ", \"node\": %d", p->numa.node);
	else
		sbuf_printf(b, ", \"node\": null");
	sbuf_printf(b, ", \"fell_back\": %s, \"hugepages\": ", planned && p->numa.fell_back ? "true" : "false");
	if (p->vm.hugepage_mib)
		json_str(b, p->vm.hugepage_mib == 2 ? "2M" : "1G");
	else
		sbuf_printf(b, "null");
	sbuf_printf(b, ", \"pages\": %llu, \"note\": ", planned ? p->numa.pages : 0);
	json_str(b, planned ? p->numa.note : "");
	sbuf_printf(b, "}");
	sbuf_printf(b, ", \"descriptors\": [");
	for (size_t i = 0; planned && i < p->fds.n; i++) {
		const struct fd_entry *f = &p->fds.e[i];
		sbuf_printf(b, "%s{\"fd\": %d, \"kind\": \"%s\", \"rdonly\": %s, \"fdset\": ", i ? ", " : "",
			    f->target, handover_kind(f->kind), f->rdonly ? "true" : "false");
		if (f->fdset >= 0)
			sbuf_printf(b, "%d", f->fdset);
		else
			sbuf_printf(b, "null");
		sbuf_printf(b, ", \"why\": ");
		json_str(b, f->why);
		sbuf_printf(b, "}");
	}
	sbuf_printf(b, "], \"argv\": [");
	for (size_t i = 0; planned && i < p->argv.n; i++) {
		sbuf_printf(b, "%s", i ? ", " : "");
		json_str(b, p->argv.v[i]);
	}
	sbuf_printf(b, "], \"problems\": [");
	for (size_t i = 0; i < ps->n; i++) {
		sbuf_printf(b, "%s{\"status\": %d, \"message\": ", i ? ", " : "", ps->p[i].code);
		json_str(b, ps->p[i].msg);
		sbuf_printf(b, "}");
	}
	sbuf_printf(b, "], \"ok\": %s}\n", ps->n == 0 ? "true" : "false");
}

/* --dry-run: SPEC steps 1, 2 and 4, then the preflight (preflight.c), nothing changed. The
 * plan and QEMU's argv on stdout (or one JSON document), every problem on stderr, one line
 * each; the status is the first problem's. A vm.ini that cannot be read, or devices that cannot
 * be planned, are one line as before (and in the JSON document, once vm.ini was read). */
static int dry_run(struct plan *p, const char *vm_ini, bool json, struct perr *e)
{
	static struct problems ps; /* 25 KB: not on the stack */
	struct vm_user u;
	struct sbuf b = { 0 };
	bool resolved = false, planned;

	if (plan_read(p, vm_ini, e) < 0)
		return -1;
	planned = plan_devices(p, NULL, e) == 0 && plan_argv(p, e) == 0;
	if (!planned && !json)
		return -1;
	memset(&ps, 0, sizeof(ps));
	memset(&u, 0, sizeof(u));
	if (planned)
		preflight(&p->host, &p->vm, p->n_picks, &u, &resolved, &ps);
	else
		problem_add(&ps, e);
	if (planned && geteuid() == 0 && roms_open(p, true, e) < 0) /* the ROMs, opened and let go */
		problem_add(&ps, e);
	if (json)
		show_json(p, planned, &u, resolved, &ps, &b);
	else
		show_plan(p, &u, resolved, &b);
	if (b.oom || fwrite(b.p, 1, b.len, stdout) != b.len || fflush(stdout) != 0)
		stdout_die();
	sbuf_free(&b);
	for (size_t i = 0; i < ps.n; i++) /* messages are escaped (fail()) */
		if (planned)
			fprintf(stderr, "%s: vm %s: %s\n", progname, p->vm.name, ps.p[i].msg);
		else
			fprintf(stderr, "%s: %s\n", progname, ps.p[i].msg);
	if (ps.lost)
		fprintf(stderr, "%s: vm %s: and %zu more problems\n", progname, p->vm.name, ps.lost);
	e->code = problems_status(&ps);
	e->msg[0] = '\0'; /* each has had its line */
	return e->code ? -1 : 0;
}

/* The command line, once parsed: what the commands below get. */
struct cmdline {
	struct plan *p;
	char **args;
	int n_args;
	bool json;
	unsigned timeout;  /* --timeout S; 0: the command's default */
};

static int cmd_launch(struct cmdline *c, struct perr *e)
{
	return launch(c->p, c->args[0], e);
}

static int cmd_dry_run(struct cmdline *c, struct perr *e)
{
	return dry_run(c->p, c->args[0], c->json, e);
}

static int cmd_release(struct cmdline *c, struct perr *e)
{
	return release(&c->p->host, c->args, c->n_args, e);
}

static int cmd_status(struct cmdline *c, struct perr *e)
{
	return op_status(&c->p->host, c->n_args ? c->args[0] : NULL, c->json, e);
}

static int cmd_stop(struct cmdline *c, struct perr *e)
{
	return op_stop(&c->p->host, c->args[0], c->timeout ? c->timeout : STOP_TIMEOUT, c->json, e);
}

static int cmd_attach(struct cmdline *c, struct perr *e)
{
	return attach(c->p, c->args[0], c->args[1], e);
}

static int cmd_detach(struct cmdline *c, struct perr *e)
{
	return detach_dev(c->p, c->args[0], c->args[1], c->timeout ? c->timeout : DETACH_TIMEOUT, e);
}

static int cmd_console(struct cmdline *c, struct perr *e)
{
	return op_console(&c->p->host, c->args[0], e);
}

/* What pcipass-run can do: the usage text, the option parser and the argument checks come from
 * this table (vmctl's ctl_commands); launch is the command of no option. */
enum { OPT_STATUS = 256, OPT_STOP, OPT_CONSOLE, OPT_ATTACH, OPT_DETACH, OPT_JSON, OPT_TIMEOUT, OPT_VERSION };
static const struct command {
	int opt;              /* its option (0: none, the launch) */
	const char *name;     /* the option's long name */
	int (*fn)(struct cmdline *c, struct perr *e);
	bool json;            /* takes --json */
	bool timeout;         /* takes --timeout */
	int min_args, max_args;
	const char *args, *help;
} commands[] = {
	{ 0, NULL, cmd_launch, false, false, 1, 1, "VM.INI",
	  "start the VM: claim and bind its devices, drop privileges, exec QEMU" },
	{ 'n', "dry-run", cmd_dry_run, true, false, 1, 1, "VM.INI",
	  "check everything a launch needs, change nothing; print the plan and QEMU's argv" },
	{ 'r', "release", cmd_release, false, false, 0, VM_DEV_MAX, "[ADDR...]",
	  "give devices whose VM is gone back to their original driver" },
	{ OPT_STATUS, "status", cmd_status, true, false, 0, 1, "[NAME]",
	  "the live VMs (or one): pid, uptime, uid, memory, devices, sockets; and the unreleased" },
	{ OPT_STOP, "stop", cmd_stop, true, true, 1, 1, "NAME",
	  "ACPI power-down, wait --timeout S (default 60), then quit, then kill" },
	{ OPT_CONSOLE, "console", cmd_console, false, false, 1, 1, "NAME",
	  "attach to the VM's serial console (serial = socket); Ctrl-] detaches" },
	{ OPT_ATTACH, "attach", cmd_attach, false, false, 2, 2, "NAME MODEL|ADDR",
	  "hot-plug a free device into a running VM's spare port (hotplug_slots)" },
	{ OPT_DETACH, "detach", cmd_detach, false, true, 2, 2, "NAME ADDR",
	  "hot-unplug a device (wait --timeout S, default 30), then give it back" },
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *to)
{
	fprintf(to, "usage: pcipass-run [-c FILE] VM.INI\n");
	for (size_t i = 1; i < N_COMMANDS; i++)
		fprintf(to, "       pcipass-run [-c FILE] --%s%s%s %s\n", commands[i].name,
			commands[i].timeout ? " [--timeout S]" : "", commands[i].json ? " [--json]" : "",
			commands[i].args);
	fprintf(to, "  -c, --config FILE  host configuration (default " DEFAULT_CONFIG ")\n");
	for (size_t i = 0; i < N_COMMANDS; i++) {
		char opt[32];

		if (commands[i].opt == 0)
			snprintf(opt, sizeof(opt), "%s", commands[i].args);
		else if (commands[i].opt < 256)
			snprintf(opt, sizeof(opt), "-%c, --%s", commands[i].opt, commands[i].name);
		else
			snprintf(opt, sizeof(opt), "    --%s", commands[i].name);
		fprintf(to, "  %-17s  %s\n", opt, commands[i].help);
	}
	fprintf(to, "      --json         output for scripts (where the command says [--json])\n"
		    "      --timeout S    seconds to wait (where the command says [--timeout S])\n"
		    "  -h, --help, --version\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },  { "dry-run", no_argument, NULL, 'n' },
		{ "release", no_argument, NULL, 'r' },       { "status", no_argument, NULL, OPT_STATUS },
		{ "stop", no_argument, NULL, OPT_STOP },     { "console", no_argument, NULL, OPT_CONSOLE },
		{ "attach", no_argument, NULL, OPT_ATTACH }, { "detach", no_argument, NULL, OPT_DETACH },
		{ "json", no_argument, NULL, OPT_JSON },     { "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "help", no_argument, NULL, 'h' },          { "version", no_argument, NULL, OPT_VERSION },
		{ 0 },
	};
	const char *config = DEFAULT_CONFIG;
	const struct command *cmd = &commands[0];
	struct plan p = { 0 };
	struct cmdline c = { .p = &p };
	struct perr e = { 0 };
	bool explicit = false, timeout = false;
	const char *why;
	long long secs;
	char b[128];
	int ch;

	progname = "pcipass-run";

	stdio_ensure();
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":c:nrh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': config = optarg; explicit = true; continue;
		case OPT_JSON: c.json = true; continue;
		case OPT_TIMEOUT:
			if (parse_ll(optarg, 10, 1, 86400, &secs, &why) < 0)
				die(EX_USAGE, "--timeout \"%s\": %s; expected seconds, 1 to 86400",
				    shown(optarg, b), why);
			c.timeout = (unsigned)secs;
			timeout = true;
			continue;
		case 'h': usage(stdout); return 0;
		case OPT_VERSION: printf("pcipass-run %s\n", PCIPASS_VERSION); return 0;
		case ':': case '?': die_getopt(ch, argc, argv);
		}
		for (size_t i = 1; i < N_COMMANDS; i++) {
			if (commands[i].opt != ch)
				continue;
			if (cmd != &commands[0] && cmd != &commands[i])
				die(EX_USAGE, "--%s and --%s do not go together (try --help)", cmd->name,
				    commands[i].name);
			cmd = &commands[i];
		}
	}
	c.args = argv + optind;
	c.n_args = argc - optind;
	if (c.json && !cmd->json)
		die(EX_USAGE, "--json goes with %s (try --help)", "--dry-run, --status and --stop");
	if (timeout && !cmd->timeout)
		die(EX_USAGE, "--timeout goes with --stop and --detach (try --help)");
	if (c.n_args < cmd->min_args || c.n_args > cmd->max_args) {
		if (strcmp(cmd->args, "VM.INI") == 0)
			die(EX_USAGE, "expected one VM definition (try --help)");
		die(EX_USAGE, "--%s takes %s (try --help)", cmd->name, cmd->args);
	}
	say_syslog = !isatty(STDERR_FILENO) && !stderr_is_journal();
	if (say_syslog)
		openlog("pcipass-run", LOG_PID, LOG_DAEMON);
	if (config_load(config, explicit, &p.host, &e) < 0)
		quit(&e);
	if (cmd->fn(&c, &e) < 0) {
		/* for pcipass-probe --prom: pcipass_launch_failures_total (best effort) */
		if (cmd->fn == cmd_launch && geteuid() == 0)
			(void)!stats_bump(p.host.state_dir, "launch_failures");
		plan_free(&p);
		if (e.msg[0])
			quit(&e);
		exit(e.code); /* each failure has had its line (--release, one per device) */
	}
	plan_free(&p);
	return 0;
}
