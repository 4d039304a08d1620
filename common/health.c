/* SPDX-License-Identifier: GPL-2.0-or-later */
/* health.c - marks on devices that stopped answering. */
#include "health.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "claim.h"

static int mark_path(char *buf, size_t size, const char *state_dir, const char *addr,
		     struct perr *e)
{
	char canon[PCI_ADDR_LEN];

	/* a name from anywhere becomes a path only as a canonical address */
	if (parse_pci_addr(addr, canon) < 0 || strcmp(canon, addr) != 0)
		return fail(e, EX_SOFTWARE, "\"%s\" is not a canonical PCI address", addr);
	if (xsnprintf(buf, size, "%s/health/%s", state_dir, addr) < 0)
		return fail(e, EX_CONFIG, "%s: path too long", state_dir);
	return 0;
}

int health_mark_get(const char *state_dir, const char *addr, char why[HEALTH_WHY_MAX],
		    struct perr *e)
{
	char path[600];
	struct stat sb;
	ssize_t n;
	int fd;

	why[0] = '\0';
	if (mark_path(path, sizeof(path), state_dir, addr, e) < 0)
		return -1;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return errno == ENOENT ? 0 : fail_errno(e, EX_OSERR, "%s", path);
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_uid != 0) {
		close(fd);
		return fail(e, EX_CONFIG, "%s: not a health mark of root's", path);
	}
	n = read(fd, why, HEALTH_WHY_MAX - 1);
	close(fd);
	if (n < 0)
		return fail_errno(e, EX_OSERR, "%s", path);
	why[n] = '\0';
	why[strcspn(why, "\n")] = '\0';
	log_escape(why, HEALTH_WHY_MAX);
	if (why[0] == '\0')
		snprintf(why, HEALTH_WHY_MAX, "marked unhealthy");
	return 1;
}

int health_mark_set(const char *state_dir, const char *addr, const char *why, struct perr *e)
{
	char path[600], dir[600], line[HEALTH_WHY_MAX + 1];
	int lock, r;

	if (mark_path(path, sizeof(path), state_dir, addr, e) < 0)
		return -1;
	snprintf(dir, sizeof(dir), "%s/health", state_dir);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return fail_errno(e, EX_CANTCREAT, "%s", dir);
	snprintf(line, sizeof(line), "%s", why);
	line[strcspn(line, "\n")] = '\0';
	strcat(line, "\n");
	if ((lock = file_lock(path, e)) < 0)
		return -1;
	r = atomic_replace(path, line, strlen(line), 0600, e);
	close(lock);
	return r;
}

int health_mark_clear(const char *state_dir, const char *addr, struct perr *e)
{
	char path[600];

	if (mark_path(path, sizeof(path), state_dir, addr, e) < 0)
		return -1;
	if (unlink(path) < 0 && errno != ENOENT)
		return fail_errno(e, EX_OSERR, "%s", path);
	return 0;
}

int health_each(const char *state_dir, int (*fn)(void *user, const char *addr), void *user,
		struct perr *e)
{
	char dir[600];

	if (xsnprintf(dir, sizeof(dir), "%s/health", state_dir) < 0)
		return fail(e, EX_CONFIG, "%s: path too long", state_dir);
	return lease_each(dir, NULL, fn, user, e); /* one ENOENT when nothing was ever marked */
}
