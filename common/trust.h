/* trust.h - opening root-owned configuration the way sshd's StrictModes does. */
#ifndef PCIPASS_TRUST_H
#define PCIPASS_TRUST_H

#include <sys/stat.h>
#include "util.h"

/* Refuse sb unless it is owned by root (or, when we run unprivileged on a test tree, by us)
 * and writable by nobody else. `what` names it in the message. */
int trust_check(const struct stat *sb, const char *what, struct perr *e) MUST_CHECK;

/* Open path read-only, refusing FIFOs and devices. With `trusted`, the file and the directory
 * holding it must pass trust_check(). Returns the descriptor or -1 (EX_NOINPUT when missing). */
int open_config(const char *path, bool trusted, struct perr *e) MUST_CHECK;

/* open_config() and read the whole file (at most INI_MAX_FILE) into a NUL-terminated buffer. */
int read_config(const char *path, bool trusted, char **text, size_t *len, struct perr *e) MUST_CHECK;

/* trust_check() on a directory by path. */
int trust_dir(const char *dir, struct perr *e) MUST_CHECK;

#endif
