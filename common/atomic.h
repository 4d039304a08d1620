/* SPDX-License-Identifier: GPL-2.0-or-later */
/* atomic.h - files replaced whole or not at all. */
#ifndef PCIPASS_ATOMIC_H
#define PCIPASS_ATOMIC_H

#include <sys/types.h>
#include "util.h"

/* How long a writer waits for another one to finish before giving up (EX_TEMPFAIL). */
#define LOCK_WAIT_MS 60000

/* Lock out other writers of `path` through the sibling lock file "<dir>/.<name>.lock" (an OFD
 * lock, so threads and forks behave). Creates the directory (one level) if missing. Returns the
 * lock's descriptor: closing it unlocks. */
int file_lock(const char *path, struct perr *e) MUST_CHECK;

/* Open path (created 0600, never through a symlink) and take its OFD write lock without
 * waiting. Not close-on-exec: a program exec'd with it keeps the lock, which then lasts exactly
 * as long as that process. Returns the descriptor, -2 when another open file holds the lock,
 * -1 on error. */
int lock_open(const char *path, struct perr *e) MUST_CHECK;

/* Replace path by data: a temporary in the same directory, fsync, rename, fsync of the
 * directory. A reader sees the old file or the new one, never a mix, whatever kills us.
 * Call under file_lock(): it also removes temporaries a killed writer left behind. */
int atomic_replace(const char *path, const void *data, size_t len, mode_t mode,
		   struct perr *e) MUST_CHECK;

/* Like atomic_replace, but fail with EX_CANTCREAT if path exists: never overwrites. */
int atomic_create(const char *path, const void *data, size_t len, mode_t mode,
		  struct perr *e) MUST_CHECK;

#endif
