/* SPDX-License-Identifier: GPL-2.0-or-later */
/* atomic.c - files replaced whole or not at all. */
#include "atomic.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* dir and base name of path, into buffers of PATH_MAX. */
static int split(const char *path, char *dir, char *base, struct perr *e)
{
	char a[PATH_MAX], b[PATH_MAX];

	if (xsnprintf(a, sizeof(a), "%s", path) < 0 || xsnprintf(b, sizeof(b), "%s", path) < 0)
		return fail(e, EX_CANTCREAT, "%s: path too long", path);
	strcpy(dir, dirname(a));
	strcpy(base, basename(b));
	return 0;
}

int file_lock(const char *path, struct perr *e)
{
	char dir[PATH_MAX], base[PATH_MAX], lock[PATH_MAX];
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int fd;

	if (split(path, dir, base, e) < 0)
		return -1;
	if (xsnprintf(lock, sizeof(lock), "%s/.%s.lock", dir, base) < 0)
		return fail(e, EX_CANTCREAT, "%s: path too long", path);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return fail_errno(e, EX_CANTCREAT, "%s", dir);
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	if (fd < 0)
		return fail_errno(e, errno == EACCES || errno == EPERM || errno == EROFS ? EX_CANTCREAT : EX_OSERR,
				  "%s", lock);
	/* Poll instead of F_OFD_SETLKW so that a hung writer costs a bounded wait, not a pile of
	 * cron jobs. */
	for (int waited = 0; fcntl(fd, F_OFD_SETLK, &fl) < 0; waited += 10) {
		if ((errno != EAGAIN && errno != EACCES) || waited >= LOCK_WAIT_MS) {
			fail_errno(e, errno == EAGAIN || errno == EACCES ? EX_TEMPFAIL : EX_OSERR,
				   "%s: waited %d ms for the lock", lock, waited);
			close(fd);
			return -1;
		}
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
	}
	return fd;
}

int lock_open(const char *path, struct perr *e)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK, 0600);

	if (fd < 0)
		return fail_errno(e, EX_CANTCREAT, "%s", path);
	if (fcntl(fd, F_OFD_SETLK, &fl) < 0) {
		int err = errno;
		close(fd);
		if (err == EAGAIN || err == EACCES)
			return -2;
		errno = err;
		return fail_errno(e, EX_OSERR, "%s: F_OFD_SETLK", path);
	}
	return fd;
}

/* mkostemp's six characters are letters and digits: ".<base>.y.lock" is not a temporary. */
static bool temp_suffix(const char *s)
{
	size_t i;

	for (i = 0; i < 6 && s[i] != '\0'; i++)
		if (!isalnum((unsigned char)s[i]))
			return false;
	return i == 6 && s[6] == '\0';
}

/* Temporaries are ".<base>.XXXXXX"; under the lock, any such file is a dead writer's. */
static void sweep(const char *dir, const char *base)
{
	size_t n = strlen(base);
	struct dirent *d;
	DIR *dp = opendir(dir);

	if (dp == NULL)
		return;
	while ((d = readdir(dp)) != NULL) {
		const char *s = d->d_name;
		if (s[0] == '.' && strncmp(s + 1, base, n) == 0 && s[n + 1] == '.' &&
		    temp_suffix(s + n + 2))
			unlinkat(dirfd(dp), s, 0);
	}
	closedir(dp);
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r;

	if (fd < 0)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

static int publish(const char *path, const void *data, size_t len, mode_t mode, bool replace,
		   struct perr *e)
{
	char dir[PATH_MAX], base[PATH_MAX], tmp[PATH_MAX];
	int fd;

	if (split(path, dir, base, e) < 0)
		return -1;
	if (xsnprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, base) < 0)
		return fail(e, EX_CANTCREAT, "%s: path too long", path);
	if (replace)
		sweep(dir, base);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return fail_errno(e, EX_CANTCREAT, "%s: cannot create a temporary file in %s", path, dir);
	if (write_all(fd, data, len) < 0 || fchmod(fd, mode) < 0 || fsync(fd) < 0) {
		fail_errno(e, EX_IOERR, "%s: writing %s", path, tmp);
		goto undo;
	}
	if (close(fd) < 0) {
		fd = -1;
		fail_errno(e, EX_IOERR, "%s: writing %s", path, tmp);
		goto undo;
	}
	fd = -1;
	if (replace ? rename(tmp, path) < 0 : link(tmp, path) < 0) {
		if (errno == EEXIST)
			fail(e, EX_CANTCREAT, "%s: already exists, and is never overwritten", path);
		else
			fail_errno(e, EX_IOERR, "%s", path);
		goto undo;
	}
	if (!replace)
		unlink(tmp);
	if (fsync_dir(dir) < 0)
		return fail_errno(e, EX_IOERR, "%s: fsync", dir);
	return 0;
undo:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
}

int atomic_replace(const char *path, const void *data, size_t len, mode_t mode, struct perr *e)
{
	return publish(path, data, len, mode, true, e);
}

int atomic_create(const char *path, const void *data, size_t len, mode_t mode, struct perr *e)
{
	return publish(path, data, len, mode, false, e);
}
