/* SPDX-License-Identifier: GPL-2.0-or-later */
/* trust.h - opening root-owned configuration the way sshd's StrictModes does. */
#ifndef PCIPASS_TRUST_H
#define PCIPASS_TRUST_H

#include <sys/stat.h>
#include "util.h"

/* Refuse sb unless it is owned by root (or, when we run unprivileged on a test tree, by us)
 * and writable by nobody else. `what` names it in the message. */
int trust_check(const struct stat *sb, const char *what, struct perr *e) MUST_CHECK;

/* The trust rule for a path that must exist (a directory such as state_dir, or a file): it is
 * resolved with realpath() first, so a symlink anywhere on the way is judged by what it leads
 * to. The resolved path must pass trust_check(); so must every ancestor up to /, except that a
 * world- or group-writable ancestor with the sticky bit (/tmp, /dev/shm) is accepted. Errors are
 * EX_CONFIG naming the path at fault, EX_NOINPUT when path is missing, EX_OSERR otherwise. */
int trust_path(const char *path, struct perr *e) MUST_CHECK;

/* Open path read-only, refusing FIFOs and devices. With `trusted`, the file and the directory
 * holding it must pass trust_check(), and every directory above them trust_path()'s rule.
 * Returns the descriptor or -1 (EX_NOINPUT when missing). */
int open_config(const char *path, bool trusted, struct perr *e) MUST_CHECK;

/* open_config() and read the whole file (at most INI_MAX_FILE) into a NUL-terminated buffer. */
int read_config(const char *path, bool trusted, char **text, size_t *len, struct perr *e) MUST_CHECK;

/* trust_path() on a path that must be a directory. */
int trust_dir(const char *dir, struct perr *e) MUST_CHECK;

#endif
