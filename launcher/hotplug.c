/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hotplug.c - --attach and --detach. */
#include "hotplug.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bind.h"
#include "ops.h"
#include "prepare.h"
#include "qmp.h"
#include "release.h"

#define QMP_TIMEOUT_MS 10000 /* one QMP exchange of --attach and --detach */

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
int attach(struct plan *p, const char *name, const char *what, struct perr *e)
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
int detach_dev(struct plan *p, const char *name, const char *what, unsigned timeout,
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
