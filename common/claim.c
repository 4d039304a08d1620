/* claim.c - device claims: <state_dir>/claims/<addr>, held by an OFD lock for the VM's life. */
#include "claim.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "inifile.h"

static int parse_pid(const struct ini_pos *at, const struct ini_key *k, const char *value,
		     void *field, struct perr *e)
{
	const char *why;
	long long v;
	char b[128];

	if (parse_ll(value, 10, 1, 4194304, &v, &why) < 0) /* PID_MAX_LIMIT */
		return ini_fail(e, at, EX_DATAERR, "%s: expected a process id, got \"%s\" (%s)",
				k->name, shown(value, b), why);
	*(long *)field = (long)v;
	return 0;
}

static const struct ini_key claim_keys[] = {
	INI_KEY("vm", ini_parse_word, struct claim_info, vm, 65),
	INI_KEY("pid", parse_pid, struct claim_info, pid, 0),
	/* An unbound device has no driver to go back to: "orig_driver =" is fine. */
	INI_KEY("orig_driver", ini_parse_opt_word, struct claim_info, orig_driver, 64),
	INI_KEY("model", ini_parse_word, struct claim_info, model, MODEL_NAME_MAX + 1),
};

struct parse_state {
	struct claim_info *ci;
	unsigned seen;
};

static int on_section(void *user, const struct ini_pos *at, const char *name, struct perr *e)
{
	(void)user;
	(void)name;
	return ini_fail(e, at, EX_DATAERR, "a claim has no sections");
}

static int on_key(void *user, const struct ini_pos *at, const char *section, const char *key,
		  const char *value, struct perr *e)
{
	struct parse_state *ps = user;

	(void)section;
	return ini_set(claim_keys, sizeof(claim_keys) / sizeof(claim_keys[0]), ps->ci, &ps->seen,
		       at, "claim", key, value, e);
}

static const struct ini_ops claim_ops = { on_section, on_key };

int claim_parse(const char *text, size_t len, const char *name, struct claim_info *ci,
		struct perr *e)
{
	struct parse_state ps = { ci, 0 };

	return ini_read_mem(text, len, name, &claim_ops, &ps, e);
}

int claim_inspect(const char *state_dir, const char *addr, struct claim_info *ci, struct perr *e)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	char path[512], *text;
	size_t len;
	int fd, r;

	memset(ci, 0, sizeof(*ci));
	if (xsnprintf(path, sizeof(path), "%s/claims/%s", state_dir, addr) < 0)
		return fail(e, EX_SOFTWARE, "%s: path too long", state_dir);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return errno == ENOENT ? 0 : fail_errno(e, EX_OSERR, "%s", path);
	ci->exists = true;
	if (fcntl(fd, F_OFD_GETLK, &fl) < 0) {
		close(fd);
		return fail_errno(e, EX_OSERR, "%s: F_OFD_GETLK", path);
	}
	ci->held = fl.l_type != F_UNLCK;
	r = slurp_fd(fd, path, &text, &len, e);
	close(fd);
	if (r < 0)
		return -1;
	/* A claim read while its owner writes it may be partial; that is no reason to fail a
	 * --list, and its lock still says whether the device is taken. */
	{
		struct perr ignore = { 0 };
		if (claim_parse(text, len, path, ci, &ignore) < 0) {
			bool held = ci->held;
			memset(ci, 0, sizeof(*ci));
			ci->exists = true;
			ci->held = held;
			ci->unreadable = true;
		}
	}
	free(text);
	return 0;
}

int claim_lock(const char *state_dir, const char *addr, struct claim_info *old, char *path,
	       size_t size, struct perr *e)
{
	struct perr ignore = { 0 };
	struct stat sb;
	char *text;
	size_t len;
	int fd;

	memset(old, 0, sizeof(*old));
	if (xsnprintf(path, size, "%s/claims", state_dir) < 0)
		return fail(e, EX_CONFIG, "%s: path too long", state_dir);
	if (mkdir(state_dir, 0755) < 0 && errno != EEXIST)
		return fail_errno(e, EX_CANTCREAT, "%s", state_dir);
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return fail_errno(e, EX_CANTCREAT, "%s", path);
	if (xsnprintf(path, size, "%s/claims/%s", state_dir, addr) < 0)
		return fail(e, EX_CONFIG, "%s: path too long", state_dir);
	/* not close-on-exec: the lock passes to QEMU; no O_TRUNC: the old content belongs to
	 * whoever holds the lock until we have it */
	for (int tries = 0;; tries++) {
		struct stat now;

		fd = lock_open(path, e);
		if (fd < 0)
			return fd;
		if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_uid != geteuid()) {
			close(fd);
			return fail(e, EX_CANTCREAT, "%s: not a claim file of ours", path);
		}
		/* A claim is removed (release, undo) under its lock: a lock won on a file that is no
		 * longer at the path is a lock on nothing, and a second launcher could lock the new
		 * file. Try again on the file that is there. */
		if (lstat(path, &now) == 0 && now.st_ino == sb.st_ino && now.st_dev == sb.st_dev)
			break;
		close(fd);
		if (tries == 100)
			return fail(e, EX_TEMPFAIL, "%s: removed again and again while being locked", path);
	}
	/* what a dead VM (or a killed launcher) left: whole, or nothing we can use */
	if (sb.st_size > 0 && slurp_fd(fd, path, &text, &len, &ignore) == 0) {
		old->exists = true;
		if (claim_parse(text, len, path, old, &ignore) < 0 || old->vm[0] == '\0' || old->pid == 0) {
			memset(old, 0, sizeof(*old));
			old->exists = old->unreadable = true;
		}
		free(text);
	}
	return fd;
}

int claim_write(int fd, const char *path, const char *vm, const char *orig_driver,
		const char *model, struct perr *e)
{
	char text[256];
	int n = snprintf(text, sizeof(text), "vm=%s\npid=%ld\norig_driver=%s\nmodel=%s\n", vm,
			 (long)getpid(), orig_driver, model);

	/* over the old content, then cut: a failure half-way leaves a claim that does not parse
	 * rather than an empty one */
	if (n < 0 || (size_t)n >= sizeof(text) || pwrite(fd, text, (size_t)n, 0) != n ||
	    ftruncate(fd, n) < 0)
		return fail_errno(e, EX_IOERR, "%s: writing the claim", path);
	return 0;
}

int claim_take(const char *state_dir, const char *addr, const char *vm, const char *orig_driver,
	       const char *model, struct perr *e)
{
	struct claim_info old;
	char path[512];
	int fd = claim_lock(state_dir, addr, &old, path, sizeof(path), e);

	if (fd >= 0 && claim_write(fd, path, vm, orig_driver, model, e) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int claim_each(const char *state_dir, int (*fn)(void *user, const char *addr), void *user,
	       struct perr *e)
{
	char path[512], addr[PCI_ADDR_LEN];
	struct dirent *d;
	DIR *dp;
	int r = 0;

	if (xsnprintf(path, sizeof(path), "%s/claims", state_dir) < 0)
		return fail(e, EX_SOFTWARE, "%s: path too long", state_dir);
	dp = opendir(path);
	if (dp == NULL)
		return errno == ENOENT ? 0 : fail_errno(e, EX_OSERR, "%s", path);
	while (r == 0 && (d = readdir(dp)) != NULL) {
		/* Only names that are canonical addresses are claims; anything else is not ours. */
		if (parse_pci_addr(d->d_name, addr) < 0 || strcmp(addr, d->d_name) != 0)
			continue;
		r = fn(user, addr);
	}
	closedir(dp);
	return r;
}

struct each_held {
	const char *state_dir;
	int (*fn)(void *user, const char *addr, const struct claim_info *ci);
	void *user;
	struct perr *e;
};

static int if_held(void *user, const char *addr)
{
	struct each_held *h = user;
	struct claim_info ci;

	if (claim_inspect(h->state_dir, addr, &ci, h->e) < 0)
		return -1;
	return ci.held ? h->fn(h->user, addr, &ci) : 0;
}

int claim_each_held(const char *state_dir,
		    int (*fn)(void *user, const char *addr, const struct claim_info *ci),
		    void *user, struct perr *e)
{
	struct each_held h = { state_dir, fn, user, e };

	return claim_each(state_dir, if_held, &h, e);
}

struct claim_info *claims_of(const char *state_dir, const struct inventory *inv, struct perr *e)
{
	struct claim_info *ci = calloc(inv->n ? inv->n : 1, sizeof(*ci));

	if (ci == NULL) {
		fail_errno(e, EX_OSERR, "claims");
		return NULL;
	}
	for (size_t i = 0; i < inv->n; i++)
		if (claim_inspect(state_dir, inv->dev[i].addr, &ci[i], e) < 0) {
			free(ci);
			return NULL;
		}
	return ci;
}
