/* trust.c - opening root-owned configuration the way sshd's StrictModes does. */
#include "trust.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "inifile.h"

int trust_check(const struct stat *sb, const char *what, struct perr *e)
{
	uid_t me = geteuid();

	if (sb->st_uid != 0 && sb->st_uid != me)
		return fail(e, EX_CONFIG, "%s: refusing it: owned by uid %u, expected root", what,
			    (unsigned)sb->st_uid);
	if (sb->st_mode & (S_IWGRP | S_IWOTH))
		return fail(e, EX_CONFIG, "%s: refusing it: writable by group or others (mode %04o)",
			    what, (unsigned)(sb->st_mode & 07777));
	return 0;
}

int trust_dir(const char *dir, struct perr *e)
{
	struct stat sb;

	if (stat(dir, &sb) < 0)
		return fail_errno(e, errno == ENOENT ? EX_NOINPUT : EX_OSERR, "%s", dir);
	if (!S_ISDIR(sb.st_mode))
		return fail(e, EX_CONFIG, "%s: not a directory", dir);
	return trust_check(&sb, dir, e);
}

int open_config(const char *path, bool trusted, struct perr *e)
{
	char dir[PATH_MAX];
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
	if (trusted) {
		if (xsnprintf(dir, sizeof(dir), "%s", path) < 0 || trust_check(&sb, path, e) < 0 ||
		    trust_dir(dirname(dir), e) < 0) {
			if (e->code == 0)
				fail(e, EX_CONFIG, "%s: path too long", path);
			close(fd);
			return -1;
		}
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
