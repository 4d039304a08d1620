/* SPDX-License-Identifier: GPL-2.0-or-later */
/* trust.c - opening root-owned configuration the way sshd's StrictModes does. */
#include "trust.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inifile.h"

/* Why sb cannot be trusted, in buf, or NULL when it can. `sticky_ok`: sb is an ancestor
 * directory above what we trust, and then group or world write access is harmless when the
 * sticky bit is set: in such a directory (/tmp, /dev/shm) only the owner of an entry, the
 * directory's owner or root may rename or remove that entry, and both owners are checked to
 * be root (or us), so nobody else can swap the tree below it for one of their own. */
static const char *untrusted(const struct stat *sb, bool sticky_ok, char buf[static 64])
{
	uid_t me = geteuid();

	if (sb->st_uid != 0 && sb->st_uid != me) {
		snprintf(buf, 64, "owned by uid %u, expected root", (unsigned)sb->st_uid);
		return buf;
	}
	if ((sb->st_mode & (S_IWGRP | S_IWOTH)) &&
	    !(sticky_ok && S_ISDIR(sb->st_mode) && (sb->st_mode & S_ISVTX))) {
		snprintf(buf, 64, "writable by group or others (mode %04o)", (unsigned)(sb->st_mode & 07777));
		return buf;
	}
	return NULL;
}

int trust_check(const struct stat *sb, const char *what, struct perr *e)
{
	char buf[64];
	const char *why = untrusted(sb, false, buf);

	return why ? fail(e, EX_CONFIG, "%s: refusing it: %s", what, why) : 0;
}

/* The message for `at`, found on the way from `given` (as the caller named it) to `real`. */
static int refuse(struct perr *e, const char *at, const char *real, const char *given, const char *why)
{
	if (strcmp(at, given) == 0)
		return fail(e, EX_CONFIG, "%s: refusing it: %s", at, why);
	if (strcmp(at, real) == 0)
		return fail(e, EX_CONFIG, "%s: refusing it: %s (%s resolves to it)", at, why, given);
	if (strcmp(real, given) == 0)
		return fail(e, EX_CONFIG, "%s: refusing it: %s (it holds %s)", at, why, given);
	return fail(e, EX_CONFIG, "%s: refusing it: %s (it holds %s, which %s resolves to)", at, why,
		    real, given);
}

/* Check `real` (a realpath() result) and every ancestor up to /. `from` is the level to start
 * at (0: real itself, 1: its directory); the levels below `strict` get no sticky exemption. */
static int walk(const char *real, const char *given, int from, int strict, struct perr *e)
{
	char p[PATH_MAX], buf[64];
	const char *why;
	struct stat sb;

	if (xsnprintf(p, sizeof(p), "%s", real) < 0)
		return fail(e, EX_CONFIG, "%s: path too long", given);
	for (int level = 0;; level++) {
		if (level >= from) {
			if (lstat(p, &sb) < 0)
				return fail_errno(e, EX_OSERR, "%s", p);
			if (S_ISLNK(sb.st_mode)) /* realpath() resolved it: it was swapped since */
				return refuse(e, p, real, given, "a symbolic link appeared");
			if ((why = untrusted(&sb, level >= strict, buf)))
				return refuse(e, p, real, given, why);
		}
		char *slash = strrchr(p, '/');
		if (slash == NULL || strcmp(p, "/") == 0)
			return 0;
		slash[slash == p] = '\0'; /* "/a" -> "/", "/a/b" -> "/a" */
	}
}

int trust_path(const char *path, struct perr *e)
{
	char real[PATH_MAX];

	if (realpath(path, real) == NULL)
		return fail_errno(e, errno == ENOENT ? EX_NOINPUT : EX_OSERR, "%s", path);
	return walk(real, path, 0, 1, e);
}

int trust_dir(const char *dir, struct perr *e)
{
	struct stat sb;

	if (stat(dir, &sb) < 0)
		return fail_errno(e, errno == ENOENT ? EX_NOINPUT : EX_OSERR, "%s", dir);
	if (!S_ISDIR(sb.st_mode))
		return fail(e, EX_CONFIG, "%s: not a directory", dir);
	return trust_path(dir, e);
}

/* The file opened through path (sb: its fstat) and the directories above it. realpath() must
 * lead to that same file, or something moved between the open and now. */
static int trust_open_file(const struct stat *sb, const char *path, struct perr *e)
{
	char real[PATH_MAX];
	struct stat rs;

	if (trust_check(sb, path, e) < 0)
		return -1;
	if (realpath(path, real) == NULL || stat(real, &rs) < 0)
		return fail_errno(e, EX_OSERR, "%s", path);
	if (rs.st_dev != sb->st_dev || rs.st_ino != sb->st_ino)
		return fail(e, EX_CONFIG, "%s: refusing it: it was replaced while being opened", path);
	/* The directory holding the file is as strict as the file (sshd's rule); above it, the
	 * sticky exemption of untrusted(). */
	return walk(real, path, 1, 2, e);
}

int open_config(const char *path, bool trusted, struct perr *e)
{
	struct stat sb;
	int fd;

	/* O_NONBLOCK: a FIFO planted at the path must not hang a cron job. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return fail_errno(e, errno == ENOENT ? EX_NOINPUT : errno == EACCES ? EX_NOPERM : EX_OSERR,
				  "%s", path);
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return fail(e, EX_DATAERR, "%s: not a regular file", path);
	}
	if (trusted && trust_open_file(&sb, path, e) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int read_config(const char *path, bool trusted, char **text, size_t *len, struct perr *e)
{
	int fd = open_config(path, trusted, e), r;

	if (fd < 0)
		return -1;
	r = slurp_fd(fd, path, text, len, e);
	close(fd);
	return r;
}
