/* SPDX-License-Identifier: GPL-2.0-or-later */
/* stats.h - a few counters kept by root in <state_dir>/stats (one "key count" line each), for
 * pcipass-probe to export: e.g. launch_failures, bumped by pcipass-run when a launch fails.
 * The state directory is a tmpfs on a real host, so the counts start again at boot, which is
 * what a Prometheus counter expects of a reset. */
#ifndef PCIPASS_STATS_H
#define PCIPASS_STATS_H

#include "util.h"

#define STATS_KEY_MAX 64    /* a key: WORD_CHARS, 1 to this many */
#define STATS_KEYS_MAX 32   /* keys in the file */
#define STATS_FILE_MAX 4096 /* bytes: anything longer is not ours */

/* Add one to key in <state_dir>/stats: under an OFD lock (<state_dir>/.stats.lock), the file
 * replaced whole (temporary, fsync, rename), mode 0644, never through a symlink. Returns 0, or
 * -1 with errno set (EINVAL: a bad key; EBADMSG: the file is not ours, and is left alone). */
int stats_bump(const char *state_dir, const char *key) MUST_CHECK;

/* key's count in <state_dir>/stats: 0 when the file or the key is absent; -1 (errno set) when
 * the file cannot be read, is a symlink or not a regular file, or is not ours. */
long long stats_get(const char *state_dir, const char *key) MUST_CHECK;

#endif
