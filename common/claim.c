/* SPDX-License-Identifier: GPL-2.0-or-later */
/* claim.c - leases: device claims, VM names and VM identities, each held for its QEMU's life. */
#include "claim.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "atomic.h"
#include "inifile.h"

static int parse_num(const struct ini_pos *at, const struct ini_key *k, const char *value,
		     long long min, long long max, const char *what, long long *out, struct perr *e)
{
	const char *why;
	char b[128];

	if (parse_ll(value, 10, min, max, out, &why) < 0)
		return ini_fail(e, at, EX_DATAERR, "%s: expected %s, got \"%s\" (%s)", k->name, what,
				shown(value, b), why);
	return 0;
}

static int parse_pid(const struct ini_pos *at, const struct ini_key *k, const char *value,
		     void *field, struct perr *e)
{
	long long v;

	if (parse_num(at, k, value, 1, 4194304 /* PID_MAX_LIMIT */, "a process id", &v, e) < 0)
		return -1;
	*(long *)field = (long)v;
	return 0;
}

static int parse_start(const struct ini_pos *at, const struct ini_key *k, const char *value,
		       void *field, struct perr *e)
{
	long long v;

	if (parse_num(at, k, value, 1, (long long)(~0ULL >> 1), "a start time", &v, e) < 0)
		return -1;
	*(unsigned long long *)field = (unsigned long long)v;
	return 0;
}

static int parse_uid(const struct ini_pos *at, const struct ini_key *k, const char *value,
		     void *field, struct perr *e)
{
	return parse_num(at, k, value, 0, 4294967294LL, "a uid", field, e);
}

static int parse_memory(const struct ini_pos *at, const struct ini_key *k, const char *value,
			void *field, struct perr *e)
{
	return parse_num(at, k, value, 1, 1LL << 40, "MiB", field, e);
}

static int parse_slots(const struct ini_pos *at, const struct ini_key *k, const char *value,
		       void *field, struct perr *e)
{
	long long v;

	if (parse_num(at, k, value, 0, LEASE_SLOTS_MAX, "a number of slots", &v, e) < 0)
		return -1;
	*(int *)field = (int)v;
	return 0;
}

static const struct ini_key claim_keys[] = {
	INI_KEY("vm", ini_parse_word, struct claim_info, vm, LEASE_VM_MAX + 1),
	INI_KEY("pid", parse_pid, struct claim_info, pid, 0),
	INI_KEY("start", parse_start, struct claim_info, start, 0),
	INI_KEY("uid", parse_uid, struct claim_info, uid, 0),
	/* An unbound device has no driver to go back to: "orig_driver =" is fine. */
	INI_KEY("orig_driver", ini_parse_driver, struct claim_info, orig_driver, 64),
	INI_KEY("model", ini_parse_word, struct claim_info, model, MODEL_NAME_MAX + 1),
	INI_KEY("qdev", ini_parse_word, struct claim_info, qdev, LEASE_QDEV_MAX + 1),
	/* the kernel's method names, as reset_method lists them: words and single spaces */
	INI_KEY("orig_reset_method", ini_parse_driver, struct claim_info, orig_reset, RESET_METHOD_MAX + 1),
	INI_KEY("memory", parse_memory, struct claim_info, memory_mib, 0),
	INI_KEY("hotplug_slots", parse_slots, struct claim_info, slots, 0),
	INI_KEY("ended", ini_parse_word, struct claim_info, ended, LEASE_ENDED_MAX + 1),
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

	ci->uid = -1;
	ci->slots = -1;
	return ini_read_mem(text, len, name, &claim_ops, &ps, e);
}

unsigned long long proc_start(long pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* after the command name, which may hold anything: its last ')' ends it; then fields 3 to
	 * 21, and the start time is field 22 */
	p = strrchr(buf, ')');
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (p == NULL || sscanf(p + 1, "%llu", &start) != 1)
		return 0;
	return start;
}

void proc_status(long pid, unsigned long long start, struct proc_status *ps)
{
	char path[64], buf[8192], *line, *save;
	ssize_t n;
	int fd;

	ps->uid = ps->gid = ps->rss_kib = -1;
	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		long long v;

		if (sscanf(line, "Uid: %lld", &v) == 1)
			ps->uid = v;
		else if (sscanf(line, "Gid: %lld", &v) == 1)
			ps->gid = v;
		else if (sscanf(line, "VmRSS: %lld kB", &v) == 1)
			ps->rss_kib = v;
	}
	/* the pid may have ended and been reused while we read: then none of it is that process's */
	if (proc_start(pid) != start)
		ps->uid = ps->gid = ps->rss_kib = -1;
}

void lease_record(struct claim_info *rec, const char *vm)
{
	memset(rec, 0, sizeof(*rec));
	snprintf(rec->vm, sizeof(rec->vm), "%s", vm);
	rec->pid = (long)getpid();
	rec->start = proc_start(rec->pid);
	rec->uid = -1;
	rec->slots = -1;
}

/* An exited process its parent has not reaped yet (a zombie) keeps its pid and start time but
 * none of its files: it holds nothing. Its pidfd is readable once its whole thread group is gone
 * (a leader that exited alone while its threads run on is not). Without pidfds: not known. */
static bool proc_exited(long pid)
{
	struct pollfd p = { .events = POLLIN };
	bool gone;

	p.fd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
	if (p.fd < 0)
		return errno == ESRCH;
	gone = poll(&p, 1, 0) == 1;
	close(p.fd);
	return gone;
}

/* Read what fd holds: exists, unreadable, the record, and whether its process lives. */
static void read_record(int fd, const char *path, struct claim_info *ci)
{
	struct perr ignore = { 0 };
	struct stat sb;
	char *text;
	size_t len;

	memset(ci, 0, sizeof(*ci));
	ci->uid = -1;
	ci->slots = -1;
	ci->exists = true;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size <= 0 || sb.st_size > LEASE_TEXT_MAX ||
	    slurp_fd(fd, path, &text, &len, &ignore) < 0) {
		ci->unreadable = true;
		return;
	}
	if (claim_parse(text, len, path, ci, &ignore) < 0 || ci->vm[0] == '\0' || ci->pid == 0) {
		memset(ci, 0, sizeof(*ci));
		ci->uid = -1;
	ci->slots = -1;
		ci->exists = ci->unreadable = true;
	}
	free(text);
	/* the recorded process lives: the same pid, started at the same time (not a reused pid) */
	ci->alive = ci->start != 0 && proc_start(ci->pid) == ci->start && !proc_exited(ci->pid);
}

static int lease_path(char *buf, size_t size, const char *dir, const char *name, struct perr *e)
{
	if (xsnprintf(buf, size, "%s/%s", dir, name) < 0)
		return fail(e, EX_CONFIG, "%s: path too long", dir);
	return 0;
}

int lease_inspect(const char *dir, const char *name, struct claim_info *ci, struct perr *e)
{
	char path[600];
	int fd;

	memset(ci, 0, sizeof(*ci));
	ci->uid = -1;
	ci->slots = -1;
	if (lease_path(path, sizeof(path), dir, name, e) < 0)
		return -1;
	for (int tries = 0;; tries++) {
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
		struct stat sb, now;

		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
		if (fd < 0)
			return errno == ENOENT ? 0 : fail_errno(e, EX_OSERR, "%s", path);
		if (fcntl(fd, F_OFD_GETLK, &fl) < 0) {
			close(fd);
			return fail_errno(e, EX_OSERR, "%s: F_OFD_GETLK", path);
		}
		/* a record replaced (lease_commit) between our open and our look at its lock is the
		 * old one, already unlocked: look at the one at the path now */
		if (fstat(fd, &sb) == 0 && lstat(path, &now) == 0 && sb.st_ino == now.st_ino &&
		    sb.st_dev == now.st_dev) {
			read_record(fd, path, ci);
			ci->locked = fl.l_type != F_UNLCK;
			break;
		}
		close(fd);
		fd = -1;
		if (tries == 100)
			return fail(e, EX_TEMPFAIL, "%s: replaced again and again while being read", path);
	}
	close(fd);
	ci->held = ci->locked || ci->alive;
	return 0;
}

int lease_lock(const char *dir, const char *name, struct claim_info *old, struct perr *e)
{
	char path[600];
	struct stat sb;
	int fd;

	memset(old, 0, sizeof(*old));
	old->uid = -1;
	old->slots = -1;
	if (lease_path(path, sizeof(path), dir, name, e) < 0)
		return -1;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return fail_errno(e, EX_CANTCREAT, "%s", dir);
	for (int tries = 0;; tries++) {
		struct stat now;

		fd = lock_open(path, e);
		if (fd < 0)
			return fd;
		if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_uid != geteuid()) {
			close(fd);
			return fail(e, EX_CANTCREAT, "%s: not a lease file of ours", path);
		}
		/* A lease is replaced (commit) or removed (release, undo) under its lock: a lock won
		 * on a file that is no longer at the path is a lock on nothing. Try the one there. */
		if (lstat(path, &now) == 0 && now.st_ino == sb.st_ino && now.st_dev == sb.st_dev)
			break;
		close(fd);
		if (tries == 100)
			return fail(e, EX_TEMPFAIL, "%s: replaced again and again while being locked", path);
	}
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		close(fd);
		return fail_errno(e, EX_OSERR, "%s", path);
	}
	if (sb.st_size > 0)
		read_record(fd, path, old);
	/* its QEMU dropped the lock but lives: still taken */
	if (old->alive) {
		old->held = true;
		close(fd);
		return -2;
	}
	return fd;
}

int lease_commit(int lock_fd, const char *dir, const char *name, const struct claim_info *rec,
		 struct perr *e)
{
	struct flock wr = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	struct flock rd = { .l_type = F_RDLCK, .l_whence = SEEK_SET };
	char text[LEASE_TEXT_MAX], path[600], tmp[640];
	int n, fd = -1, ro = -1;

	n = snprintf(text, sizeof(text), "vm=%s\npid=%ld\nstart=%llu\n", rec->vm, rec->pid, rec->start);
	if (n > 0 && rec->uid >= 0)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "uid=%lld\n", rec->uid);
	if (n > 0 && (size_t)n < sizeof(text) && rec->model[0])
		n += snprintf(text + n, sizeof(text) - (size_t)n, "orig_driver=%s\nmodel=%s\n",
			      rec->orig_driver, rec->model);
	if (n > 0 && (size_t)n < sizeof(text) && rec->qdev[0])
		n += snprintf(text + n, sizeof(text) - (size_t)n, "qdev=%s\n", rec->qdev);
	if (n > 0 && (size_t)n < sizeof(text) && rec->orig_reset[0])
		n += snprintf(text + n, sizeof(text) - (size_t)n, "orig_reset_method=%s\n", rec->orig_reset);
	if (n > 0 && (size_t)n < sizeof(text) && rec->memory_mib > 0)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "memory=%lld\n", rec->memory_mib);
	if (n > 0 && (size_t)n < sizeof(text) && rec->slots >= 0)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "hotplug_slots=%d\n", rec->slots);
	if (n > 0 && (size_t)n < sizeof(text) && rec->ended[0])
		n += snprintf(text + n, sizeof(text) - (size_t)n, "ended=%s\n", rec->ended);
	if (lease_path(path, sizeof(path), dir, name, e) < 0 ||
	    xsnprintf(tmp, sizeof(tmp), "%s/.%s.new", dir, name) < 0)
		goto fail;
	if (n < 0 || (size_t)n >= sizeof(text)) {
		fail(e, EX_SOFTWARE, "%s: record too long", path);
		goto fail;
	}
	/* without a start time, a lease whose holder dropped its lock could not be told held */
	if (rec->start == 0) {
		fail(e, EX_OSERR, "%s: no start time for process %ld (is /proc mounted?)", path, rec->pid);
		goto fail;
	}
	/* Under the lock of dir/name, .<name>.new is ours alone: a killed launcher's is stale. */
	if (unlink(tmp) < 0 && errno != ENOENT) {
		fail_errno(e, EX_CANTCREAT, "%s", tmp);
		goto fail;
	}
	fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0 || write(fd, text, (size_t)n) != n || fcntl(fd, F_OFD_SETLK, &wr) < 0) {
		fail_errno(e, EX_IOERR, "%s: writing the lease", tmp);
		goto fail;
	}
	/* whole, locked, then in place: the old file (and its lock) is gone with the rename */
	if (rename(tmp, path) < 0) {
		fail_errno(e, EX_IOERR, "%s", path);
		goto fail;
	}
	/* downgrade, then a read-only descriptor of the same file with a read lock of its own:
	 * the lease stays locked throughout */
	ro = open(path, O_RDONLY | O_NOFOLLOW | O_NOCTTY);
	if (ro < 0 || fcntl(fd, F_OFD_SETLK, &rd) < 0 || fcntl(ro, F_OFD_SETLK, &rd) < 0) {
		/* the record stays, whole: its process is this one, dead once we exit, and a claim
		 * taken over from a dead VM still names the driver --release must restore */
		fail_errno(e, EX_OSERR, "%s: F_OFD_SETLK", path);
		close(fd);
		fd = -1;
		goto fail;
	}
	close(fd);
	close(lock_fd);
	return ro;
fail:
	if (fd >= 0) {
		unlink(tmp);
		close(fd);
	}
	if (ro >= 0)
		close(ro);
	close(lock_fd);
	return -1;
}

int lease_take(const char *dir, const char *name, const struct claim_info *rec,
	       struct claim_info *old, struct perr *e)
{
	int fd = lease_lock(dir, name, old, e);

	return fd < 0 ? fd : lease_commit(fd, dir, name, rec, e);
}

void lease_remove(const char *dir, const char *name)
{
	char path[600];
	struct perr ignore = { 0 };

	if (lease_path(path, sizeof(path), dir, name, &ignore) == 0)
		unlink(path);
}

int claims_dir(const char *state_dir, char *buf, size_t size, struct perr *e)
{
	if (xsnprintf(buf, size, "%s/claims", state_dir) < 0)
		return fail(e, EX_CONFIG, "%s: path too long", state_dir);
	return 0;
}

int claim_inspect(const char *state_dir, const char *addr, struct claim_info *ci, struct perr *e)
{
	char dir[512];

	if (claims_dir(state_dir, dir, sizeof(dir), e) < 0)
		return -1;
	return lease_inspect(dir, addr, ci, e);
}

int claim_take(const char *state_dir, const char *addr, const char *vm, const char *orig_driver,
	       const char *model, struct perr *e)
{
	struct claim_info rec, old;
	char dir[512];

	if (mkdir(state_dir, 0755) < 0 && errno != EEXIST)
		return fail_errno(e, EX_CANTCREAT, "%s", state_dir);
	if (claims_dir(state_dir, dir, sizeof(dir), e) < 0)
		return -1;
	lease_record(&rec, vm);
	snprintf(rec.orig_driver, sizeof(rec.orig_driver), "%s", orig_driver);
	snprintf(rec.model, sizeof(rec.model), "%s", model);
	return lease_take(dir, addr, &rec, &old, e);
}

static bool is_addr(const char *name)
{
	char addr[PCI_ADDR_LEN];

	return parse_pci_addr(name, addr) == 0 && strcmp(addr, name) == 0;
}

int lease_each(const char *dir, bool (*ok)(const char *name),
	       int (*fn)(void *user, const char *name), void *user, struct perr *e)
{
	struct dirent *d;
	DIR *dp;
	int r = 0;

	dp = opendir(dir);
	if (dp == NULL)
		return errno == ENOENT ? 0 : fail_errno(e, EX_OSERR, "%s", dir);
	while (r == 0 && (d = readdir(dp)) != NULL) {
		/* Only names of the kind asked for are leases; anything else is not ours. */
		if (d->d_name[0] == '.' || !(ok ? ok : is_addr)(d->d_name))
			continue;
		r = fn(user, d->d_name);
	}
	closedir(dp);
	return r;
}

int claim_each(const char *state_dir, int (*fn)(void *user, const char *addr), void *user,
	       struct perr *e)
{
	char dir[512];

	if (claims_dir(state_dir, dir, sizeof(dir), e) < 0)
		return -1;
	return lease_each(dir, NULL, fn, user, e);
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
