/* SPDX-License-Identifier: GPL-2.0-or-later */
/* claim.h - leases: files under the state directory that say "this is taken, by this VM, for
 * as long as its QEMU lives". A device claim (<state_dir>/claims/<addr>), a VM name
 * (<state_dir>/vms/<name>.lock) and a VM identity (<state_dir>/ids/<uid>) are all leases.
 *
 * A lease is held while a process holds an OFD lock on it OR while the process it records
 * (pid and start time) is alive: QEMU inherits a read-only descriptor with a read lock, so it
 * can neither rewrite the record nor free the lease by dropping its lock. The record is written
 * to a temporary, locked, then renamed into place: whole or absent after a kill at any instant. */
#ifndef PCIPASS_CLAIM_H
#define PCIPASS_CLAIM_H

#include "inventory.h"
#include "model.h"
#include "util.h"

#define LEASE_VM_MAX 64   /* a VM's name */
#define LEASE_QDEV_MAX 31 /* a claim's QEMU device id */
#define LEASE_SLOTS_MAX 64 /* a name lease's hotplug_slots */
#define LEASE_TEXT_MAX 512 /* a record is a few short lines: anything longer is not ours */
#define LEASE_ENDED_MAX 15 /* a name lease's ended= */

struct claim_info {
	bool exists;      /* a lease file is there */
	bool held;        /* locked, or its process alive: taken */
	bool locked;      /* some open file holds its lock */
	bool alive;       /* the process it records lives (same pid and start time) */
	bool unreadable;  /* empty, cut short or not a record of ours */
	char vm[LEASE_VM_MAX + 1];
	long pid;
	unsigned long long start;        /* the process's start time (/proc/PID/stat field 22) */
	long long uid;                   /* an identity lease: its uid; else -1 */
	char orig_driver[64];            /* a claim: where --release puts the device back */
	char model[MODEL_NAME_MAX + 1];  /* a claim: the model it was taken as */
	char qdev[LEASE_QDEV_MAX + 1];   /* a claim: QEMU's id of the device ("" when not known) */
	char orig_reset[RESET_METHOD_MAX + 1]; /* a claim: the device's reset_method before its model's
					  * was written, restored by --release; "" nothing to restore */
	long long memory_mib;            /* a name lease: the VM's memory (0 when not recorded) */
	int slots;                       /* a name lease: its hotplug_slots; -1 when not recorded */
	char ended[LEASE_ENDED_MAX + 1]; /* a name lease of a VM gone: how --stop ended it (powerdown,
					  * quit, kill); "" when nobody knows */
};

/* The start time of process pid, in clock ticks after boot; 0 when there is no such process. */
unsigned long long proc_start(long pid);

/* From /proc/PID/status (the kernel's word: a process cannot rewrite it), for the process pid
 * started at start: its real uid and gid, its resident memory in KiB; -1 each when unknown,
 * and all -1 when pid is not that process (any more). */
struct proc_status {
	long long uid, gid, rss_kib;
};
void proc_status(long pid, unsigned long long start, struct proc_status *ps);

/* Fill in the record of this process (vm, pid, start; uid -1, no driver or model). */
void lease_record(struct claim_info *rec, const char *vm);

/* Look at lease dir/name without taking it (F_OFD_GETLK), so it never disturbs a launch. */
int lease_inspect(const char *dir, const char *name, struct claim_info *ci, struct perr *e) MUST_CHECK;

/* Lock dir/name (created 0600 if absent, dir made 0700 if missing, never through a symlink)
 * with an exclusive OFD lock, and tell what an earlier holder left in *old. Returns the
 * read-write descriptor, -2 when the lease is held (locked, or its process alive), -1 on error.
 * The descriptor is close-on-exec: only lease_commit's read-only one reaches QEMU. */
int lease_lock(const char *dir, const char *name, struct claim_info *old, struct perr *e) MUST_CHECK;

/* Replace the lease locked by lock_fd with rec, whole (a temporary locked, then renamed over
 * it), and keep it with a read lock on a read-only descriptor, NOT close-on-exec: that one
 * QEMU inherits. lock_fd is closed in any case. Returns the read-only descriptor or -1. */
int lease_commit(int lock_fd, const char *dir, const char *name, const struct claim_info *rec,
		 struct perr *e) MUST_CHECK;

/* lease_lock then lease_commit: -2 when held. *old says what was there. */
int lease_take(const char *dir, const char *name, const struct claim_info *rec,
	       struct claim_info *old, struct perr *e) MUST_CHECK;

/* Remove dir/name, whose lock the caller holds (through fd). */
void lease_remove(const char *dir, const char *name);

/* Parse a record's text (vm=, pid=, start=, uid=, orig_driver=, model= lines). */
int claim_parse(const char *text, size_t len, const char *name, struct claim_info *ci,
		struct perr *e) MUST_CHECK;

/* The claims directory, <state_dir>/claims, into buf. */
int claims_dir(const char *state_dir, char *buf, size_t size, struct perr *e) MUST_CHECK;

/* Device claims: lease_inspect of <state_dir>/claims/<addr>. */
int claim_inspect(const char *state_dir, const char *addr, struct claim_info *ci,
		  struct perr *e) MUST_CHECK;

/* Claim addr for VM vm as this process: the whole record, then held (for tests and tools; the
 * launcher uses lease_lock and lease_commit to learn what it replaces). Returns the read-only
 * descriptor, -2 when held, -1 on error. */
int claim_take(const char *state_dir, const char *addr, const char *vm, const char *orig_driver,
	       const char *model, struct perr *e) MUST_CHECK;

/* Call fn for every lease file in dir whose name passes ok (NULL: a canonical PCI address),
 * held or not; stops at fn's first non-zero, which it returns. */
int lease_each(const char *dir, bool (*ok)(const char *name),
	       int (*fn)(void *user, const char *name), void *user, struct perr *e) MUST_CHECK;

/* Every device claim under state_dir (names that are canonical addresses). */
int claim_each(const char *state_dir, int (*fn)(void *user, const char *addr), void *user,
	       struct perr *e) MUST_CHECK;

/* Call fn for every held claim under state_dir; stops at fn's first non-zero. */
int claim_each_held(const char *state_dir,
		    int (*fn)(void *user, const char *addr, const struct claim_info *ci),
		    void *user, struct perr *e) MUST_CHECK;

/* The claim of every device of inv, in order (calloc'ed; NULL with e set on error). */
struct claim_info *claims_of(const char *state_dir, const struct inventory *inv, struct perr *e);

#endif
