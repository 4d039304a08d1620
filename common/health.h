/* SPDX-License-Identifier: GPL-2.0-or-later */
/* health.h - devices that stopped answering: <state_dir>/health/<addr>, one line saying why.
 * --release writes a mark when a device it gave back reads 0xffff from its config space (a
 * card wedged by its VM: the next VM would get a dead device, or hang the host on it); the
 * launcher never picks a marked device; --release ADDR clears the mark once the device answers
 * again (after the admin's reset or rescan). Root's files under the root-owned state dir, made
 * and read without following a symlink. */
#ifndef PCIPASS_HEALTH_H
#define PCIPASS_HEALTH_H

#include <stddef.h>

#include "util.h"

#define HEALTH_WHY_MAX 128

/* 1 and the reason (one line, escaped for a terminal) in why when addr is marked, 0 when not,
 * -1 on error (a mark that is not a regular file of root's is an error, not "healthy"). */
int health_mark_get(const char *state_dir, const char *addr, char why[HEALTH_WHY_MAX],
		    struct perr *e) MUST_CHECK;
/* Mark addr (replacing any mark), whole or not at all. */
int health_mark_set(const char *state_dir, const char *addr, const char *why, struct perr *e) MUST_CHECK;
/* Call fn for every marked address (canonical names only); stops at fn's first non-zero. */
int health_each(const char *state_dir, int (*fn)(void *user, const char *addr), void *user,
		struct perr *e) MUST_CHECK;
/* Remove addr's mark, if any. */
int health_mark_clear(const char *state_dir, const char *addr, struct perr *e) MUST_CHECK;

#endif
