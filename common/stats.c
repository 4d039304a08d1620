/* SPDX-License-Identifier: GPL-2.0-or-later */
/* stats.c - counters in <state_dir>/stats, replaced whole under a lock. */
#include "stats.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"

struct stats {
	size_t n;
	char key[STATS_KEYS_MAX][STATS_KEY_MAX + 1];
	long long v[STATS_KEYS_MAX];
};

static int stats_path(char *buf, size_t size, const char *state_dir)
{
	if (xsnprintf(buf, size, "%s/stats", state_dir) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* Parse "key count\n" lines; a line we would not have written makes the whole file not ours. */
static int stats_parse(char *text, struct stats *s)
{
	char *line = text, *nl;

	s->n = 0;
	for (; *line; line = nl + 1) {
		char *sp;
		const char *why;

		nl = strchr(line, '\n');
		if (nl == NULL || s->n == STATS_KEYS_MAX)
			goto bad;
		*nl = '\0';
		sp = strchr(line, ' ');
		if (sp == NULL)
			goto bad;
		*sp = '\0';
		if (!str_only(line, WORD_CHARS, STATS_KEY_MAX) ||
		    parse_ll(sp + 1, 10, 0, LLONG_MAX, &s->v[s->n], &why) < 0)
			goto bad;
		for (size_t i = 0; i < s->n; i++)
			if (strcmp(s->key[i], line) == 0)
				goto bad;
		strcpy(s->key[s->n++], line);
	}
	return 0;
bad:
	errno = EBADMSG;
	return -1;
}

/* Read path into s; an absent file is an empty one. */
static int stats_read(const char *path, struct stats *s)
{
	char text[STATS_FILE_MAX + 2]; /* one byte more than we accept, to see an over-long file */
	struct stat sb;
	size_t len = 0;
	ssize_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);

	s->n = 0;
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &sb) < 0) {
		int err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	/* ours is a regular file only root writes */
	if (!S_ISREG(sb.st_mode) || (sb.st_mode & 022) != 0) {
		close(fd);
		errno = EBADMSG;
		return -1;
	}
	while (len < sizeof(text) - 1 && (n = read(fd, text + len, sizeof(text) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	if (n < 0)
		return -1;
	if (len > STATS_FILE_MAX) {
		errno = EFBIG;
		return -1;
	}
	text[len] = '\0';
	if (strlen(text) != len) {
		errno = EBADMSG;
		return -1;
	}
	return stats_parse(text, s);
}

int stats_bump(const char *state_dir, const char *key)
{
	char path[PATH_MAX], text[STATS_FILE_MAX + 1];
	struct stats s;
	struct perr e = { 0 };
	size_t i, len = 0;
	int lock, r = -1, err = 0;

	if (!str_only(key, WORD_CHARS, STATS_KEY_MAX)) {
		errno = EINVAL;
		return -1;
	}
	if (stats_path(path, sizeof(path), state_dir) < 0)
		return -1;
	errno = 0;
	if ((lock = file_lock(path, &e)) < 0) {
		if (errno == 0)
			errno = EIO;
		return -1;
	}
	if (stats_read(path, &s) < 0) {
		err = errno;
		goto out;
	}
	for (i = 0; i < s.n && strcmp(s.key[i], key) != 0; i++)
		;
	if (i == s.n) {
		if (s.n == STATS_KEYS_MAX) {
			err = ENOSPC;
			goto out;
		}
		strcpy(s.key[s.n], key);
		s.v[s.n++] = 0;
	}
	if (s.v[i] == LLONG_MAX) {
		err = EOVERFLOW;
		goto out;
	}
	s.v[i]++;
	for (size_t j = 0; j < s.n; j++) {
		int w = snprintf(text + len, sizeof(text) - len, "%s %lld\n", s.key[j], s.v[j]);
		if (w < 0 || (size_t)w >= sizeof(text) - len) {
			err = EFBIG;
			goto out;
		}
		len += (size_t)w;
	}
	errno = 0;
	if (atomic_replace(path, text, len, 0644, &e) < 0)
		err = errno ? errno : EIO;
	else
		r = 0;
out:
	close(lock);
	if (r < 0)
		errno = err;
	return r;
}

long long stats_get(const char *state_dir, const char *key)
{
	char path[PATH_MAX];
	struct stats s;

	if (!str_only(key, WORD_CHARS, STATS_KEY_MAX)) {
		errno = EINVAL;
		return -1;
	}
	if (stats_path(path, sizeof(path), state_dir) < 0 || stats_read(path, &s) < 0)
		return -1;
	for (size_t i = 0; i < s.n; i++)
		if (strcmp(s.key[i], key) == 0)
			return s.v[i];
	return 0;
}
