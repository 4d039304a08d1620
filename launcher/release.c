/* SPDX-License-Identifier: GPL-2.0-or-later */
/* release.c - --release: the devices of VMs that are gone back to their drivers, their claims
 * removed, a device that no longer answers marked. */
#include "release.h"

#include <string.h>
#include <unistd.h>

#include "bind.h"
#include "claim.h"
#include "health.h"
#include "prepare.h"

/* A device whose claim ends here (--release, --detach): its VFIO node back to root whatever the
 * claim says; the device back to orig_driver if whole (a claim that records one) and it is still
 * on vfio_driver, unbound (an undo cut short) or already back: sysfs decides with the claim. On
 * some other driver since, it is that driver's now, left alone (*other, its name in now). */
int give_back(const struct host_config *h, const char *addr, bool whole, const char *orig_driver,
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

int release(const struct host_config *h, char **addrs, int n, struct perr *e)
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
