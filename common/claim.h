/* claim.h - device claims: <state_dir>/claims/<addr>, held by an OFD lock for the VM's life. */
#ifndef PCIPASS_CLAIM_H
#define PCIPASS_CLAIM_H

#include "inventory.h"
#include "model.h"
#include "util.h"

struct claim_info {
	bool exists;  /* a claim file is there */
	bool held;    /* and a live process holds its lock */
	char vm[65];
	long pid;
	char orig_driver[64];
	char model[MODEL_NAME_MAX + 1];
	bool unreadable; /* the file did not parse (e.g. read while being written) */
};

/* Look at the claim of addr without taking it (F_OFD_GETLK), so it never disturbs a launch. */
int claim_inspect(const char *state_dir, const char *addr, struct claim_info *ci,
		  struct perr *e) MUST_CHECK;

/* Claim addr for VM vm (SPEC step 3): open <state_dir>/claims/<addr> without following a
 * symlink, take the OFD write lock without waiting, then write vm=, pid=, orig_driver= and
 * model=. The descriptor is NOT close-on-exec: QEMU inherits it, so the claim lives exactly as
 * long as the VM process. Returns the descriptor, -2 when another process holds the claim
 * (try the next device), -1 on error. */
int claim_take(const char *state_dir, const char *addr, const char *vm, const char *orig_driver,
	       const char *model, struct perr *e) MUST_CHECK;

/* claim_take in two halves, for the launcher: lock the claim (into path, of size bytes) and
 * tell what an earlier holder left in *old (exists; unreadable when cut short, e.g. by a
 * SIGKILL between lock and write), then write ours. A device whose claim is whole but unheld was
 * never given back: its orig_driver is still the one to go back to. */
int claim_lock(const char *state_dir, const char *addr, struct claim_info *old, char *path,
	       size_t size, struct perr *e) MUST_CHECK;
int claim_write(int fd, const char *path, const char *vm, const char *orig_driver,
		const char *model, struct perr *e) MUST_CHECK;

/* Parse a claim file's text (vm=, pid=, orig_driver=, model= lines). */
int claim_parse(const char *text, size_t len, const char *name, struct claim_info *ci,
		struct perr *e) MUST_CHECK;

/* Call fn for every claim file under state_dir (names that are canonical addresses), held or
 * not; stops at fn's first non-zero, which it returns. */
int claim_each(const char *state_dir, int (*fn)(void *user, const char *addr), void *user,
	       struct perr *e) MUST_CHECK;

/* Call fn for every live claim under state_dir; stops at fn's first non-zero. */
int claim_each_held(const char *state_dir,
		    int (*fn)(void *user, const char *addr, const struct claim_info *ci),
		    void *user, struct perr *e) MUST_CHECK;

/* The claim of every device of inv, in order (calloc'ed; NULL with e set on error). */
struct claim_info *claims_of(const char *state_dir, const struct inventory *inv, struct perr *e);

#endif
