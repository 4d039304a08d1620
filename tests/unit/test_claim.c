/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_claim.c - leases (device claims, VM names, identities): their text, inspecting them
 * without taking them, and the promises of SPEC "Isolation: Claims QEMU cannot forge". */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>

#include "cm.h"
#include "claim.h"

/* A pid no process has (pids are below pid_max, at most PID_MAX_LIMIT, this) yet one a record
 * may hold: a dead process. */
#define NO_PID 4194304L

/* dir/name's text, NUL-terminated; its length, or -1 when it cannot be opened. */
static ssize_t read_text(const char *dir, const char *name, char *buf, size_t size)
{
	char path[600];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	return n;
}

/* A fresh state directory with its claims directory. */
static int make_claims(char dir[256], char claims[300])
{
	scratch(dir);
	snprintf(claims, 300, "%s/claims", dir);
	return mkdir(claims, 0700);
}

/* Hold a lock on dir/claims/addr through a new open file description: an OFD lock (F_OFD_SETLK) or a
 * classic POSIX one; F_RDLCK or F_WRLCK. */
static int hold(const char *claims, const char *addr, int cmd, short type)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET };
	char path[400];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", claims, addr);
	fd = open(path, type == F_RDLCK ? O_RDONLY : O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, cmd, &fl), 0);
	return fd;
}

/* What another open file description would meet asking for a lock of type on fd's file. */
static short lock_seen(int fd, short type)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET };
	char self[64];
	int other;

	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	other = open(self, O_RDONLY | O_CLOEXEC);
	assert_true(other >= 0);
	assert_int_equal(fcntl(other, F_OFD_GETLK, &fl), 0);
	close(other);
	return fl.l_type;
}

/* A child's one-byte answer (0 at EOF). */
static char answer(int fd)
{
	char c = 0;

	return read(fd, &c, 1) == 1 ? c : 0;
}

static void test_parse(void **state)
{
	struct claim_info ci = { 0 };
	struct perr e = { 0 };
	static const char ok[] = "vm=npu-1\npid=4242\nstart=981\norig_driver=\nmodel=Atlas-800\n";
	static const char id[] = "vm=npu-1\npid=4242\nstart=981\nuid=61234\n";

	(void)state;
	assert_int_equal(claim_parse(ok, strlen(ok), "c", &ci, &e), 0);
	assert_string_equal(ci.vm, "npu-1");
	assert_int_equal(ci.pid, 4242);
	assert_int_equal(ci.start, 981);
	assert_int_equal(ci.uid, -1); /* not an identity lease */
	assert_string_equal(ci.orig_driver, "");
	assert_string_equal(ci.model, "Atlas-800");
	memset(&ci, 0, sizeof(ci));
	assert_int_equal(claim_parse(id, strlen(id), "c", &ci, &e), 0);
	assert_int_equal(ci.uid, 61234);
	assert_string_equal(ci.model, "");
	assert_int_equal(claim_parse("pid=0\n", 6, "c", &ci, &e), -1);
	assert_string_equal(e.msg, "c:1: pid: expected a process id, got \"0\" (too small)");
	memset(&e, 0, sizeof(e));
	assert_int_equal(claim_parse("[s]\n", 4, "c", &ci, &e), -1);
	assert_string_equal(e.msg, "c:1: a claim has no sections");
}

static void test_parse_more(void **state)
{
	static const struct { const char *text, *msg; } bad[] = {
		{ "pid=4194305\n", "c:1: pid: expected a process id, got \"4194305\" (too large)" },
		{ "pid=-1\n", "c:1: pid: expected a process id, got \"-1\" (not a number)" },
		{ "pid=12x\n", "c:1: pid: expected a process id, got \"12x\" (not a number)" },
		{ "pid=\n", "c:1: pid: expected a process id, got \"\" (not a number)" },
		{ "start=0\n", "c:1: start: expected a start time, got \"0\" (too small)" },
		{ "start=9223372036854775808\n",
		  "c:1: start: expected a start time, got \"9223372036854775808\" (too large)" },
		{ "start=-5\n", "c:1: start: expected a start time, got \"-5\" (not a number)" },
		{ "start=+5\n", "c:1: start: expected a start time, got \"+5\" (not a number)" },
		{ "start=0x10\n", "c:1: start: expected a start time, got \"0x10\" (not a number)" },
		{ "start=1\nstart=1\n", "c:2: start: given twice in [claim]" },
		{ "uid=4294967295\n", "c:1: uid: expected a uid, got \"4294967295\" (too large)" },
		{ "uid=-1\n", "c:1: uid: expected a uid, got \"-1\" (not a number)" },
		{ "uid=\n", "c:1: uid: expected a uid, got \"\" (not a number)" },
		{ "uid=1\nuid=2\n", "c:2: uid: given twice in [claim]" },
		{ "vm=\n", "c:1: vm: expected 1-64 characters of A-Z a-z 0-9 . _ -, got \"\"" },
		{ "vm=a b\n", "c:1: vm: expected 1-64 characters of A-Z a-z 0-9 . _ -, got \"a b\"" },
		{ "vm=a\nvm=b\n", "c:2: vm: given twice in [claim]" },
		{ "vm=a\nuser=root\n", "c:2: unknown key \"user\" in [claim]" },
		{ "orig_driver=a/b\n", "c:1: orig_driver: expected a driver name of 1-63 characters of A-Z a-z 0-9 . _ - and single spaces, got \"a/b\"" },
		{ "model=\n", "c:1: model: expected 1-64 characters of A-Z a-z 0-9 . _ -, got \"\"" },
		{ "vm=a\n[claim]\n", "c:2: a claim has no sections" },
		{ "vm=a\npi", "c:2: expected `key = value`, `[section]` or a comment" },
	};
	struct claim_info ci;
	struct perr e;
	char text[256], vm64[65];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&e, 0, sizeof(e));
		memset(&ci, 0, sizeof(ci));
		assert_int_equal(claim_parse(bad[i].text, strlen(bad[i].text), "c", &ci, &e), -1);
		assert_string_equal(e.msg, bad[i].msg);
		assert_int_equal(e.code, EX_DATAERR);
	}
	/* the bounds of a pid, a start time and a uid, and the longest VM name */
	memset(vm64, 'v', 64);
	vm64[64] = '\0';
	snprintf(text, sizeof(text), "vm = %s\npid = 1\nstart = 1\norig_driver = nvidia\nmodel = M\n", vm64);
	memset(&ci, 0, sizeof(ci));
	memset(&e, 0, sizeof(e));
	assert_int_equal(claim_parse(text, strlen(text), "c", &ci, &e), 0);
	assert_string_equal(ci.vm, vm64);
	assert_int_equal(ci.pid, 1);
	assert_int_equal(ci.start, 1);
	assert_string_equal(ci.orig_driver, "nvidia");
	assert_string_equal(ci.model, "M");
	assert_int_equal(claim_parse("pid=4194304\n", 12, "c", &ci, &e), 0);
	assert_int_equal(ci.pid, 4194304);
	assert_int_equal(claim_parse("start=9223372036854775807\n", 26, "c", &ci, &e), 0);
	assert_true(ci.start == 9223372036854775807ULL);
	assert_int_equal(claim_parse("uid=4294967294\n", 15, "c", &ci, &e), 0);
	assert_true(ci.uid == 4294967294LL);
	assert_int_equal(claim_parse("uid=0\n", 6, "c", &ci, &e), 0);
	assert_int_equal(ci.uid, 0);
	/* no uid= line: -1, whatever the struct held before */
	memset(&ci, 0x5a, sizeof(ci));
	assert_int_equal(claim_parse("vm=x\n", 5, "c", &ci, &e), 0);
	assert_int_equal(ci.uid, -1);
	/* a 65-character name is refused */
	snprintf(text, sizeof(text), "vm=%sv\n", vm64);
	assert_int_equal(claim_parse(text, strlen(text), "c", &ci, &e), -1);
	/* the order of the lines does not matter; comments are fine */
	memset(&ci, 0, sizeof(ci));
	memset(&e, 0, sizeof(e));
	assert_int_equal(claim_parse("; c\nmodel=X\norig_driver=\nstart=5\npid=77\nvm=w\n", 45, "c", &ci, &e), 0);
	assert_string_equal(ci.vm, "w");
	assert_int_equal(ci.pid, 77);
	assert_int_equal(ci.start, 5);
	assert_string_equal(ci.orig_driver, "");
}

/* Field 22 of /proc/pid/stat split naively on spaces: right only while the name has none. */
static unsigned long long naive_start(pid_t pid)
{
	char dir[64], text[1024], *save = NULL, *tok;
	unsigned long long v = 0;

	snprintf(dir, sizeof(dir), "/proc/%ld", (long)pid);
	assert_true(read_text(dir, "stat", text, sizeof(text)) > 0);
	tok = strtok_r(text, " ", &save);
	for (int field = 1; tok && field < 22; field++)
		tok = strtok_r(NULL, " ", &save);
	assert_non_null(tok);
	assert_int_equal(sscanf(tok, "%llu", &v), 1);
	return v;
}

static void test_proc_start(void **state)
{
	static const char name[] = "a) b c d) e f"; /* 13 characters: fits TASK_COMM_LEN */
	unsigned long long me = proc_start(getpid()), before;
	char dir[64], comm[64];
	int cmd[2], ack[2], status;
	pid_t child;

	(void)state;
	assert_true(me != 0);
	assert_true(me == proc_start(getpid()));
	assert_true(me == naive_start(getpid()));
	assert_true(proc_start(0) == 0);
	assert_true(proc_start(-1) == 0);
	assert_true(proc_start(NO_PID) == 0);
	/* a process that was there and is gone (reaped) */
	child = fork();
	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(proc_start(child) == 0);

	/* a process that names itself so as to look like more fields */
	assert_int_equal(pipe(cmd), 0);
	assert_int_equal(pipe(ack), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		close(cmd[1]);
		close(ack[0]);
		if (answer(cmd[0]) != 'n' || prctl(PR_SET_NAME, name, 0, 0, 0) < 0)
			_exit(1);
		(void)!write(ack[1], "n", 1);
		(void)answer(cmd[0]); /* until the parent closes its end */
		_exit(0);
	}
	close(cmd[0]);
	close(ack[1]);
	before = proc_start(child);
	assert_true(before != 0);
	assert_true(before == naive_start(child));
	assert_int_equal(write(cmd[1], "n", 1), 1);
	assert_int_equal(answer(ack[0]), 'n');
	snprintf(dir, sizeof(dir), "/proc/%ld", (long)child);
	assert_true(read_text(dir, "comm", comm, sizeof(comm)) > 0);
	assert_string_equal(comm, "a) b c d) e f\n");
	assert_true(naive_start(child) != before); /* the name does fool a naive reader */
	assert_true(proc_start(child) == before);
	close(cmd[1]);
	close(ack[0]);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_true(proc_start(child) == 0);
}

static void test_lease_record(void **state)
{
	struct claim_info rec;

	(void)state;
	memset(&rec, 0x5a, sizeof(rec));
	lease_record(&rec, "vm-a");
	assert_string_equal(rec.vm, "vm-a");
	assert_int_equal(rec.pid, getpid());
	assert_true(rec.start != 0 && rec.start == proc_start(getpid()));
	assert_int_equal(rec.uid, -1);
	assert_string_equal(rec.orig_driver, "");
	assert_string_equal(rec.model, "");
	assert_false(rec.exists || rec.held || rec.locked || rec.alive || rec.unreadable);
}

static int count_held(void *user, const char *addr, const struct claim_info *ci)
{
	(void)addr;
	(void)ci;
	(*(int *)user)++;
	return 0;
}

static void test_inspect(void **state)
{
	char dir[256], claims[300], path[400];
	struct claim_info ci;
	struct perr e = { 0 };
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int fd, held = 0;

	(void)state;
	assert_int_equal(make_claims(dir, claims), 0);
	assert_int_equal(claim_inspect(dir, "0000:3b:00.0", &ci, &e), 0);
	assert_false(ci.exists);

	put_file(claims, "0000:3b:00.0", "vm=a\npid=7\norig_driver=nvidia\n", 0600);
	assert_int_equal(claim_inspect(dir, "0000:3b:00.0", &ci, &e), 0);
	assert_true(ci.exists);
	assert_false(ci.held || ci.locked || ci.alive); /* no start time: never alive */
	assert_string_equal(ci.orig_driver, "nvidia");

	/* An OFD lock taken through another open file description, as the launcher holds it */
	snprintf(path, sizeof(path), "%s/0000:3b:00.0", claims);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_OFD_SETLK, &fl), 0);
	assert_int_equal(claim_inspect(dir, "0000:3b:00.0", &ci, &e), 0);
	assert_true(ci.held && ci.locked && !ci.alive);
	assert_string_equal(ci.vm, "a");
	/* inspecting took nothing: the lock is still ours alone */
	assert_int_equal(claim_inspect(dir, "0000:3b:00.0", &ci, &e), 0);
	assert_true(ci.held);
	assert_int_equal(lock_seen(fd, F_RDLCK), F_WRLCK);

	/* caught half-written: still held, details unknown, and no error for --list */
	put_file(claims, "0000:3b:00.0", "vm=a\npi", 0600);
	assert_int_equal(claim_inspect(dir, "0000:3b:00.0", &ci, &e), 0);
	assert_true(ci.held && ci.unreadable);
	put_file(claims, "0000:af:00.0", "vm=b\npid=8\n", 0600);     /* not held */
	put_file(claims, "README", "not a claim\n", 0600);            /* not an address */
	assert_int_equal(claim_each_held(dir, count_held, &held, &e), 0);
	assert_int_equal(held, 1);
	close(fd);
	held = 0;
	assert_int_equal(claim_each_held(dir, count_held, &held, &e), 0);
	assert_int_equal(held, 0);

	/* a symlink planted at a claim path is refused, never followed */
	snprintf(path, sizeof(path), "%s/0000:01:00.0", claims);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	assert_int_equal(claim_inspect(dir, "0000:01:00.0", &ci, &e), -1);
	assert_int_equal(e.code, EX_OSERR);
	rmtree(dir);
}

static void test_inspect_more(void **state)
{
	char dir[256], claims[300], path[400], want[600];
	struct claim_info ci;
	struct perr e = { 0 };
	int fd, p[2], status;
	pid_t child;

	(void)state;
	/* no claims directory at all: nothing claimed */
	scratch(dir);
	memset(&ci, 0x5a, sizeof(ci));
	assert_int_equal(claim_inspect(dir, "0000:3b:00.0", &ci, &e), 0);
	assert_false(ci.exists);
	assert_false(ci.held);
	assert_false(ci.unreadable);
	assert_string_equal(ci.vm, "");
	assert_int_equal(ci.uid, -1);
	rmtree(dir);

	assert_int_equal(make_claims(dir, claims), 0);
	put_file(claims, "0000:3b:00.0", "vm=a\npid=7\norig_driver=\nmodel=M\n", 0600);
	/* a shared lock is a holder too */
	fd = hold(claims, "0000:3b:00.0", F_OFD_SETLK, F_RDLCK);
	assert_int_equal(claim_inspect(dir, "0000:3b:00.0", &ci, &e), 0);
	assert_true(ci.exists && ci.held && !ci.unreadable);
	assert_string_equal(ci.vm, "a");
	assert_int_equal(ci.pid, 7);
	assert_string_equal(ci.model, "M");
	close(fd);
	assert_int_equal(claim_inspect(dir, "0000:3b:00.0", &ci, &e), 0);
	assert_true(ci.exists && !ci.held);
	assert_string_equal(ci.vm, "a"); /* a stale claim is still read: --release needs orig_driver */

	/* a classic POSIX lock held by another process counts as well */
	assert_int_equal(pipe(p), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		close(p[1]);
		fd = hold(claims, "0000:3b:00.0", F_SETLK, F_WRLCK);
		(void)answer(p[0]); /* until the parent closes its end */
		_exit(0);
	}
	close(p[0]);
	for (int i = 0; i < 500; i++) {
		assert_int_equal(claim_inspect(dir, "0000:3b:00.0", &ci, &e), 0);
		if (ci.held)
			break;
		usleep(2000);
	}
	assert_true(ci.held);
	close(p[1]);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_int_equal(claim_inspect(dir, "0000:3b:00.0", &ci, &e), 0);
	assert_false(ci.held);

	/* an unreadable claim without a holder is just a stale one */
	put_file(claims, "0000:3b:00.0", "garbage\n", 0600);
	assert_int_equal(claim_inspect(dir, "0000:3b:00.0", &ci, &e), 0);
	assert_true(ci.exists && !ci.held && ci.unreadable);
	assert_int_equal(e.code, 0);

	/* a symlink, even to a good claim, is refused and named */
	snprintf(path, sizeof(path), "%s/0000:af:00.0", claims);
	assert_int_equal(symlink("0000:3b:00.0", path), 0);
	assert_int_equal(claim_inspect(dir, "0000:af:00.0", &ci, &e), -1);
	assert_int_equal(e.code, EX_OSERR);
	snprintf(want, sizeof(want), "%s: Too many levels of symbolic links", path);
	assert_string_equal(e.msg, want);
	rmtree(dir);
}

/* In a child that became an unprivileged user, as QEMU runs: what it can do with fd. Returns
 * a bit for each forgery that worked (0: none did). */
static int forge_as_nobody(int fd)
{
	struct flock wr = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	char self[64];
	int r = 0, rw;

	if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
	    setresuid(65534, 65534, 65534) < 0)
		return 64;
	if (write(fd, "vm=x\n", 5) >= 0 || errno != EBADF)
		r |= 1;
	if (ftruncate(fd, 0) == 0)
		r |= 2;
	if (fcntl(fd, F_OFD_SETLK, &wr) == 0 || errno != EBADF)
		r |= 4;
	/* a new read-write open file of the same inode, through /proc */
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	rw = open(self, O_RDWR);
	if (rw >= 0)
		r |= 8;
	return r;
}

/* SPEC, Isolation: what QEMU inherits is a read-only descriptor holding a read lock. */
static void test_take(void **state)
{
	struct flock wr = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	char dir[256], claims[300], path[400], text[600], want[600];
	struct claim_info ci, old;
	struct perr e = { 0 };
	struct stat sb, at;
	pid_t child;
	int fd, fl, status;

	(void)state;
	scratch(dir);
	snprintf(claims, sizeof(claims), "%s/claims", dir);
	fd = claim_take(dir, "0000:3b:00.0", "vm-a", "", "Atlas-800", &e);
	assert_true(fd >= 0);
	fl = fcntl(fd, F_GETFL);
	assert_true(fl >= 0);
	assert_int_equal(fl & O_ACCMODE, O_RDONLY);
	assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0); /* QEMU must inherit it */
	/* it is the file at the path, and it holds a read lock: another open file can share it
	 * but never write-lock it */
	snprintf(path, sizeof(path), "%s/0000:3b:00.0", claims);
	assert_int_equal(lstat(path, &at), 0);
	assert_int_equal(fstat(fd, &sb), 0);
	assert_true(S_ISREG(at.st_mode) && sb.st_ino == at.st_ino && sb.st_dev == at.st_dev);
	assert_int_equal(at.st_mode & 07777, 0600);
	assert_int_equal(stat(claims, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0700);
	assert_int_equal(lock_seen(fd, F_WRLCK), F_RDLCK);
	assert_int_equal(lock_seen(fd, F_RDLCK), F_UNLCK);
	/* and the holder cannot rewrite it, cut it, or make its lock a write lock */
	errno = 0;
	assert_int_equal(write(fd, "vm=x\n", 5), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(ftruncate(fd, 0), -1);
	errno = 0;
	assert_int_equal(fcntl(fd, F_OFD_SETLK, &wr), -1);
	assert_int_equal(errno, EBADF);
	assert_true(read_text(claims, "0000:3b:00.0", text, sizeof(text)) > 0);
	snprintf(want, sizeof(want), "vm=vm-a\npid=%ld\nstart=%llu\norig_driver=\nmodel=Atlas-800\n",
		 (long)getpid(), proc_start(getpid()));
	assert_string_equal(text, want);
	/* no temporary left behind */
	snprintf(path, sizeof(path), "%s/.0000:3b:00.0.new", claims);
	assert_int_equal(lstat(path, &sb), -1);

	/* as the VM's own user (QEMU's), not even through /proc */
	if (geteuid() == 0) {
		child = fork();
		assert_true(child >= 0);
		if (child == 0)
			_exit(forge_as_nobody(fd));
		assert_int_equal(waitpid(child, &status, 0), child);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	} else {
		print_message("not root: the forgery as another user is not tried\n");
	}
	assert_true(read_text(claims, "0000:3b:00.0", text, sizeof(text)) > 0);
	assert_string_equal(text, want);

	/* a second launcher loses, even from this process (OFD locks belong to the open file) */
	assert_int_equal(lease_lock(claims, "0000:3b:00.0", &old, &e), -2);
	assert_int_equal(claim_take(dir, "0000:3b:00.0", "vm-b", "", "Atlas-800", &e), -2);
	assert_int_equal(claim_inspect(dir, "0000:3b:00.0", &ci, &e), 0);
	assert_true(ci.exists && ci.held && ci.locked && ci.alive && !ci.unreadable);
	assert_string_equal(ci.vm, "vm-a");
	assert_int_equal(ci.pid, getpid());
	assert_true(ci.start == proc_start(getpid()));
	assert_int_equal(ci.uid, -1);
	assert_int_equal(e.code, 0);

	/* its lock gone, it stays taken while the process it records lives (this one) */
	close(fd);
	assert_int_equal(claim_inspect(dir, "0000:3b:00.0", &ci, &e), 0);
	assert_true(ci.held && !ci.locked && ci.alive);
	assert_int_equal(lease_lock(claims, "0000:3b:00.0", &old, &e), -2);
	assert_true(old.held && old.alive && !old.locked);
	assert_string_equal(old.vm, "vm-a");
	assert_int_equal(e.code, 0);

	/* never through a symlink planted in the claims directory */
	snprintf(path, sizeof(path), "%s/0000:af:00.0", claims);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	assert_int_equal(claim_take(dir, "0000:af:00.0", "vm-c", "", "Atlas-800", &e), -1);
	assert_int_equal(e.code, EX_CANTCREAT);
	rmtree(dir);
}

/* The launcher's two halves: what an earlier holder left is told, and ours replaces it whole. */
static void test_lock_and_commit(void **state)
{
	char dir[256], claims[300], path[400], text[600], want[600];
	struct claim_info old, ci, rec;
	struct perr e = { 0 };
	struct stat a, b;
	int fd, fd2, ro;

	(void)state;
	scratch(dir);
	snprintf(claims, sizeof(claims), "%s/claims", dir);
	snprintf(path, sizeof(path), "%s/0000:3b:00.0", claims);
	/* nothing there: the directory and an empty file made, nothing inherited */
	fd = lease_lock(claims, "0000:3b:00.0", &old, &e);
	assert_true(fd >= 0);
	assert_false(old.exists || old.held || old.alive);
	assert_int_equal(old.uid, -1);
	assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC); /* never reaches QEMU */
	assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
	assert_int_equal(stat(claims, &a), 0);
	assert_int_equal(a.st_mode & 07777, 0700);
	assert_int_equal(lstat(path, &a), 0);
	assert_true(S_ISREG(a.st_mode) && a.st_size == 0 && (a.st_mode & 07777) == 0600);
	assert_int_equal(lease_lock(claims, "0000:3b:00.0", &old, &e), -2);
	/* caught between lock and commit: held, unreadable */
	assert_int_equal(lease_inspect(claims, "0000:3b:00.0", &ci, &e), 0);
	assert_true(ci.exists && ci.held && ci.locked && ci.unreadable && !ci.alive);

	/* a longer old text goes, whole: the new one is a new file renamed over it */
	put_file(claims, "0000:3b:00.0", "vm=a-very-long-vm-name\npid=4242\norig_driver=npudrv\nmodel=Atlas-800\n", 0600);
	lease_record(&rec, "b");
	snprintf(rec.orig_driver, sizeof(rec.orig_driver), "x");
	snprintf(rec.model, sizeof(rec.model), "M");
	ro = lease_commit(fd, claims, "0000:3b:00.0", &rec, &e);
	assert_true(ro >= 0);
	errno = 0;
	assert_int_equal(fcntl(fd, F_GETFD), -1); /* lock_fd is closed */
	assert_int_equal(errno, EBADF);
	assert_int_equal(lstat(path, &b), 0);
	assert_true(a.st_ino != b.st_ino);
	assert_true(read_text(claims, "0000:3b:00.0", text, sizeof(text)) > 0);
	snprintf(want, sizeof(want), "vm=b\npid=%ld\nstart=%llu\norig_driver=x\nmodel=M\n",
		 (long)getpid(), rec.start);
	assert_string_equal(text, want);
	close(ro);
	assert_int_equal(unlink(path), 0);

	/* an identity lease records its uid */
	fd = lease_lock(dir, "61234", &old, &e);
	assert_true(fd >= 0);
	lease_record(&rec, "vm-u");
	rec.uid = 61234;
	ro = lease_commit(fd, dir, "61234", &rec, &e);
	assert_true(ro >= 0);
	assert_int_equal(lease_inspect(dir, "61234", &ci, &e), 0);
	assert_true(ci.held && ci.locked && ci.alive);
	assert_int_equal(ci.uid, 61234);
	assert_string_equal(ci.orig_driver, "");
	assert_true(read_text(dir, "61234", text, sizeof(text)) > 0);
	snprintf(want, sizeof(want), "vm=vm-u\npid=%ld\nstart=%llu\nuid=61234\n", (long)getpid(), rec.start);
	assert_string_equal(text, want);
	close(ro);

	/* a dead VM's whole claim: told, with its original driver (pid 4242 may live here, but
	 * not since tick 1) */
	put_file(claims, "0000:3b:00.0", "vm=dead\npid=4242\nstart=1\norig_driver=npudrv\nmodel=Atlas-800\n", 0600);
	fd = lease_lock(claims, "0000:3b:00.0", &old, &e);
	assert_true(fd >= 0);
	assert_true(old.exists && !old.unreadable && !old.alive && !old.held);
	assert_string_equal(old.vm, "dead");
	assert_int_equal(old.pid, 4242);
	assert_string_equal(old.orig_driver, "npudrv");
	close(fd);
	/* cut short (a launcher killed between lock and write, by an older version), without vm
	 * and pid, or longer than any record of ours: unreadable */
	char big[LEASE_TEXT_MAX + 64];
	snprintf(big, sizeof(big), "vm=a\npid=1\nmodel=M\n; %*s\n", LEASE_TEXT_MAX, "");
	const char *const cut[] = { "vm=a\npi", "orig_driver=npudrv\n", "vm=a\n", "pid=5\n", big };
	for (size_t i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
		put_file(claims, "0000:3b:00.0", cut[i], 0600);
		fd = lease_lock(claims, "0000:3b:00.0", &old, &e);
		assert_true(fd >= 0);
		assert_true(old.exists && old.unreadable && !old.alive);
		assert_string_equal(old.orig_driver, "");
		assert_string_equal(old.vm, "");
		close(fd);
	}
	/* an empty file (a launcher killed between lease_lock and lease_commit) is no claim */
	put_file(claims, "0000:3b:00.0", "", 0600);
	fd = lease_lock(claims, "0000:3b:00.0", &old, &e);
	assert_true(fd >= 0);
	assert_false(old.exists);
	close(fd);

	/* removed under its holder's lock (release, undo): the next one locks the new file, not
	 * the unlinked one, and so does whoever comes after it */
	snprintf(path, sizeof(path), "%s/0000:af:00.0", claims);
	fd = lease_lock(claims, "0000:af:00.0", &old, &e);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &a), 0);
	lease_remove(claims, "0000:af:00.0");
	assert_int_equal(lstat(path, &b), -1);
	fd2 = lease_lock(claims, "0000:af:00.0", &old, &e);
	assert_true(fd2 >= 0);
	assert_int_equal(fstat(fd2, &b), 0);
	assert_true(a.st_ino != b.st_ino);
	assert_int_equal(stat(path, &a), 0);
	assert_true(a.st_ino == b.st_ino);
	assert_int_equal(lease_inspect(claims, "0000:af:00.0", &ci, &e), 0);
	assert_true(ci.held && ci.locked);
	assert_int_equal(lease_lock(claims, "0000:af:00.0", &old, &e), -2);
	close(fd);
	close(fd2);

	/* only a regular file of ours is a lease */
	snprintf(path, sizeof(path), "%s/0000:d8:00.0", claims);
	assert_int_equal(mkdir(path, 0700), 0);
	memset(&e, 0, sizeof(e));
	assert_int_equal(lease_lock(claims, "0000:d8:00.0", &old, &e), -1);
	assert_int_equal(e.code, EX_CANTCREAT);
	if (geteuid() == 0) {
		put_file(claims, "0000:d8:00.1", "vm=a\npid=7\n", 0600);
		snprintf(path, sizeof(path), "%s/0000:d8:00.1", claims);
		assert_int_equal(chown(path, 65534, 65534), 0);
		memset(&e, 0, sizeof(e));
		assert_int_equal(lease_lock(claims, "0000:d8:00.1", &old, &e), -1);
		assert_int_equal(e.code, EX_CANTCREAT);
		snprintf(want, sizeof(want), "%s: not a lease file of ours", path);
		assert_string_equal(e.msg, want);
	}
	rmtree(dir);
}

/* A holder that keeps its record and drops its lock, as a compromised QEMU could: the lease
 * stays taken for as long as the recorded process lives, and is free when it dies. */
static void test_dropped_lock(void **state)
{
	char dir[256], claims[300], text[600], want[600];
	struct claim_info ci, old, rec;
	struct perr e = { 0 };
	int cmd[2], ack[2], status, fd, ro;
	pid_t child;

	(void)state;
	scratch(dir);
	snprintf(claims, sizeof(claims), "%s/claims", dir);
	assert_int_equal(pipe(cmd), 0);
	assert_int_equal(pipe(ack), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct flock un = { .l_type = F_UNLCK, .l_whence = SEEK_SET };
		struct perr ce = { 0 };
		int lease;

		close(cmd[1]);
		close(ack[0]);
		lease = claim_take(dir, "0000:3b:00.0", "vm-live", "nvidia", "M", &ce);
		(void)!write(ack[1], lease >= 0 ? "r" : "f", 1);
		if (lease < 0 || answer(cmd[0]) != 'u')
			_exit(1);
		(void)!write(ack[1], fcntl(lease, F_OFD_SETLK, &un) == 0 ? "u" : "f", 1);
		(void)answer(cmd[0]); /* until the parent closes its end */
		_exit(0);
	}
	close(cmd[0]);
	close(ack[1]);
	assert_int_equal(answer(ack[0]), 'r');
	assert_int_equal(claim_inspect(dir, "0000:3b:00.0", &ci, &e), 0);
	assert_true(ci.held && ci.locked && ci.alive);
	assert_int_equal(ci.pid, child);
	assert_int_equal(lease_lock(claims, "0000:3b:00.0", &old, &e), -2);

	/* the lock dropped: --list still says taken, and no launcher or --release gets it */
	assert_int_equal(write(cmd[1], "u", 1), 1);
	assert_int_equal(answer(ack[0]), 'u');
	assert_int_equal(claim_inspect(dir, "0000:3b:00.0", &ci, &e), 0);
	assert_true(ci.exists && ci.held && !ci.locked && ci.alive && !ci.unreadable);
	assert_string_equal(ci.vm, "vm-live");
	assert_int_equal(ci.pid, child);
	assert_int_equal(lease_lock(claims, "0000:3b:00.0", &old, &e), -2);
	assert_true(old.exists && old.held && old.alive && !old.locked);
	assert_string_equal(old.vm, "vm-live");
	assert_int_equal(old.pid, child);
	assert_int_equal(claim_take(dir, "0000:3b:00.0", "vm-b", "", "M", &e), -2);
	assert_int_equal(e.code, 0);
	assert_true(read_text(claims, "0000:3b:00.0", text, sizeof(text)) > 0);
	assert_non_null(strstr(text, "vm=vm-live\n")); /* untouched by those attempts */

	/* the process gone (reaped): free, and what it left is told */
	close(cmd[1]);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(ack[0]);
	assert_int_equal(claim_inspect(dir, "0000:3b:00.0", &ci, &e), 0);
	assert_true(ci.exists && !ci.held && !ci.locked && !ci.alive && !ci.unreadable);
	fd = lease_lock(claims, "0000:3b:00.0", &old, &e);
	assert_true(fd >= 0);
	assert_true(old.exists && !old.held && !old.alive && !old.unreadable);
	assert_string_equal(old.vm, "vm-live");
	assert_int_equal(old.pid, child);
	assert_string_equal(old.orig_driver, "nvidia");
	assert_string_equal(old.model, "M");
	lease_record(&rec, "vm-next");
	snprintf(rec.orig_driver, sizeof(rec.orig_driver), "%s", old.orig_driver);
	snprintf(rec.model, sizeof(rec.model), "M");
	ro = lease_commit(fd, claims, "0000:3b:00.0", &rec, &e);
	assert_true(ro >= 0);
	assert_true(read_text(claims, "0000:3b:00.0", text, sizeof(text)) > 0);
	snprintf(want, sizeof(want), "vm=vm-next\npid=%ld\nstart=%llu\norig_driver=nvidia\nmodel=M\n",
		 (long)getpid(), rec.start);
	assert_string_equal(text, want);
	close(ro);
	rmtree(dir);
}

/* The thread that keeps a child alive after its main thread left: until its pipe closes. */
static void *linger(void *arg)
{
	(void)answer(*(int *)arg);
	return NULL;
}

/* A state letter of /proc/PID/stat (Z for a zombie). */
static char proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n > 0);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	assert_non_null(p);
	return p[2];
}

/* An exited process not reaped yet (a zombie) keeps its pid and start time but holds nothing:
 * its lease is free at once (--stop records how the VM ended; a restart need not wait for the
 * reaper). A leader whose own thread left while another runs on is not gone: still held. */
static void test_zombie(void **state)
{
	char dir[256], claims[300];
	struct claim_info ci;
	struct perr e = { 0 };
	int cmd[2], ack[2], status;
	pid_t child;

	(void)state;
	assert_int_equal(make_claims(dir, claims), 0);
	assert_int_equal(pipe(cmd), 0);
	assert_int_equal(pipe(ack), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct flock un = { .l_type = F_UNLCK, .l_whence = SEEK_SET };
		struct perr ce = { 0 };
		pthread_t t;
		int lease;

		close(cmd[1]);
		close(ack[0]);
		lease = claim_take(dir, "0000:3b:00.0", "vm-z", "", "M", &ce);
		if (lease < 0 || fcntl(lease, F_OFD_SETLK, &un) < 0 || pthread_create(&t, NULL, linger, &cmd[0]) != 0)
			_exit(1);
		(void)!write(ack[1], "r", 1);
		pthread_exit(NULL); /* the leader goes; linger keeps the process */
	}
	close(cmd[0]);
	close(ack[1]);
	assert_int_equal(answer(ack[0]), 'r');
	for (int i = 0; i < 200 && proc_state(child) != 'Z'; i++)
		usleep(10000);
	assert_int_equal(proc_state(child), 'Z');
	assert_int_equal(claim_inspect(dir, "0000:3b:00.0", &ci, &e), 0);
	assert_true(ci.held && ci.alive && !ci.locked);

	/* its last thread gone, the process is a zombie we have not reaped: it holds nothing */
	close(cmd[1]);
	for (int i = 0; i < 200 && ci.alive; i++) {
		usleep(10000);
		assert_int_equal(claim_inspect(dir, "0000:3b:00.0", &ci, &e), 0);
	}
	assert_true(ci.exists && !ci.held && !ci.alive && !ci.locked);
	assert_int_equal(ci.pid, child);
	assert_int_equal(proc_state(child), 'Z');
	assert_true(proc_start(child) != 0); /* pid and start time still there */
	assert_int_equal(waitpid(child, &status, 0), child);
	close(ack[0]);
	rmtree(dir);
}

/* The lease goes with its descriptor across exec (QEMU's), the same pid, and ends with it. */
static void test_exec(void **state)
{
	char dir[256], proc[64], comm[64];
	struct claim_info ci;
	struct perr e = { 0 };
	int p[2], status;
	pid_t child;

	(void)state;
	scratch(dir);
	assert_int_equal(pipe(p), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct perr ce = { 0 };

		close(p[0]);
		if (claim_take(dir, "0000:3b:00.0", "vm-q", "", "M", &ce) < 0)
			_exit(1);
		(void)!write(p[1], "r", 1);
		execl("/bin/sleep", "sleep", "30", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	assert_int_equal(answer(p[0]), 'r');
	close(p[0]);
	snprintf(proc, sizeof(proc), "/proc/%ld", (long)child);
	for (int i = 0; i < 500; i++) {
		if (read_text(proc, "comm", comm, sizeof(comm)) > 0 && strcmp(comm, "sleep\n") == 0)
			break;
		usleep(2000);
	}
	assert_string_equal(comm, "sleep\n");
	assert_int_equal(claim_inspect(dir, "0000:3b:00.0", &ci, &e), 0);
	assert_true(ci.held && ci.locked && ci.alive); /* the lock crossed exec */
	assert_int_equal(ci.pid, child);
	assert_int_equal(kill(child, SIGKILL), 0);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_int_equal(claim_inspect(dir, "0000:3b:00.0", &ci, &e), 0);
	assert_true(ci.exists && !ci.held && !ci.locked && !ci.alive);
	rmtree(dir);
}

/* A record is alive only if its pid lives AND started when it says: a reused pid is not. */
static void test_reused_pid(void **state)
{
	char dir[256], text[256];
	struct claim_info ci, old;
	struct perr e = { 0 };
	unsigned long long me = proc_start(getpid());
	int fd;

	(void)state;
	scratch(dir);
	/* the right pid (this process), the wrong start time */
	snprintf(text, sizeof(text), "vm=r\npid=%ld\nstart=%llu\n", (long)getpid(), me + 1);
	put_file(dir, "r.lock", text, 0600);
	assert_int_equal(lease_inspect(dir, "r.lock", &ci, &e), 0);
	assert_true(ci.exists && !ci.alive && !ci.held && !ci.unreadable);
	assert_int_equal(ci.pid, getpid());
	fd = lease_lock(dir, "r.lock", &old, &e);
	assert_true(fd >= 0);
	assert_true(old.exists && !old.alive && !old.held);
	close(fd);
	/* no start time recorded: the pid alone never counts */
	snprintf(text, sizeof(text), "vm=r\npid=%ld\n", (long)getpid());
	put_file(dir, "r.lock", text, 0600);
	assert_int_equal(lease_inspect(dir, "r.lock", &ci, &e), 0);
	assert_true(ci.exists && !ci.alive && !ci.held);
	/* a pid no process has */
	snprintf(text, sizeof(text), "vm=r\npid=%ld\nstart=%llu\n", NO_PID, me);
	put_file(dir, "r.lock", text, 0600);
	assert_int_equal(lease_inspect(dir, "r.lock", &ci, &e), 0);
	assert_true(ci.exists && !ci.alive && !ci.held);
	/* both right: alive, so held with no lock at all */
	snprintf(text, sizeof(text), "vm=r\npid=%ld\nstart=%llu\n", (long)getpid(), me);
	put_file(dir, "r.lock", text, 0600);
	assert_int_equal(lease_inspect(dir, "r.lock", &ci, &e), 0);
	assert_true(ci.exists && ci.alive && ci.held && !ci.locked);
	assert_int_equal(lease_lock(dir, "r.lock", &old, &e), -2);
	assert_true(old.alive && old.held);
	assert_int_equal(e.code, 0);
	rmtree(dir);
}

/* The two dead records test_kill's churn alternates: of different lengths, so that a record
 * written in place over the other would show a torn tail. */
static const char *const dead_vm[2] = { "churn1", "churn1-with-a-longer-name" };
static const char *const dead_drv[2] = { "a-longer-driver-name", "drv" };

/* Child of test_kill: take and give back a lease as fast as it can, until killed. mode 0: our
 * own record, removed again (a launch and its undo); mode 1: a dead process's record, taken over
 * each time by another (a launch after a crash). */
static _Noreturn void churn(const char *dir, int mode)
{
	struct claim_info rec, old;
	struct perr e = { 0 };

	lease_record(&rec, "churn");
	for (unsigned i = 0;; i++) {
		int fd;

		if (mode == 1) {
			snprintf(rec.vm, sizeof(rec.vm), "%s", dead_vm[i & 1]);
			rec.pid = NO_PID;
			rec.start = 1;
			snprintf(rec.orig_driver, sizeof(rec.orig_driver), "%s", dead_drv[i & 1]);
			snprintf(rec.model, sizeof(rec.model), "M");
		}
		fd = lease_take(dir, "0000:3b:00.0", &rec, &old, &e);
		if (fd < 0)
			_exit(fd == -2 ? 2 : 1);
		if (mode == 0)
			lease_remove(dir, "0000:3b:00.0");
		close(fd);
	}
}

/* Shared by test_exclusive's children: how many are inside the lease now, and what they saw. */
struct race {
	atomic_int inside, twice, wins, busy, errors;
};

/* Child of test_exclusive: lock, be inside, then give the lease back by removing it (an undo)
 * or by committing a dead process's record over it (a launch whose QEMU died at once). */
static _Noreturn void contend(const char *dir, struct race *r, unsigned seed)
{
	struct timespec t0, now;
	struct claim_info rec, old;
	struct perr e = { 0 };

	lease_record(&rec, "racer");
	rec.pid = NO_PID;
	rec.start = 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		int fd = lease_lock(dir, "0000:3b:00.0", &old, &e);

		if (fd == -2) {
			atomic_fetch_add(&r->busy, 1);
			goto next;
		}
		if (fd < 0)
			goto error;
		/* inside for a while: long enough for the other to get in too, if it could */
		if (atomic_fetch_add(&r->inside, 1) != 0)
			atomic_fetch_add(&r->twice, 1);
		atomic_fetch_add(&r->wins, 1);
		usleep(20);
		atomic_fetch_sub(&r->inside, 1);
		if (rand_r(&seed) & 1) {
			lease_remove(dir, "0000:3b:00.0");
			close(fd);
		} else {
			fd = lease_commit(fd, dir, "0000:3b:00.0", &rec, &e);
			if (fd < 0)
				goto error;
			close(fd);
		}
next:
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while ((now.tv_sec - t0.tv_sec) * 1000000000L + now.tv_nsec - t0.tv_nsec < 400000000L);
	_exit(0);
error:
	fprintf(stderr, "%s\n", e.msg);
	atomic_fetch_add(&r->errors, 1);
	_exit(1);
}

/* Two launchers at once, the lease removed and replaced under them: never both inside. A lock
 * won on a file that was unlinked or renamed over meanwhile is a lock on nothing. */
static void test_exclusive(void **state)
{
	char dir[256];
	struct race *r;
	pid_t child[2];
	int status;

	(void)state;
	scratch(dir);
	r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(r != MAP_FAILED);
	memset(r, 0, sizeof(*r));
	for (unsigned i = 0; i < 2; i++) {
		child[i] = fork();
		assert_true(child[i] >= 0);
		if (child[i] == 0)
			contend(dir, r, i + 1);
	}
	for (int i = 0; i < 2; i++) {
		assert_int_equal(waitpid(child[i], &status, 0), child[i]);
		assert_true(WIFEXITED(status));
	}
	print_message("%d times inside, %d of them together, %d times busy, %d errors\n",
		      atomic_load(&r->wins), atomic_load(&r->twice), atomic_load(&r->busy),
		      atomic_load(&r->errors));
	assert_int_equal(atomic_load(&r->twice), 0);
	assert_int_equal(atomic_load(&r->errors), 0);
	assert_true(atomic_load(&r->wins) > 20);
	munmap(r, sizeof(*r));
	rmtree(dir);
}

static bool any_name(const char *name)
{
	(void)name;
	return true;
}

static int count_names(void *user, const char *name)
{
	(void)name;
	(*(int *)user)++;
	return 0;
}

/* SPEC, Isolation: whole or absent after a kill at any instant. */
static void test_kill(void **state)
{
	char dir[256], text[LEASE_TEXT_MAX + 1], again[LEASE_TEXT_MAX + 1], path[400];
	struct claim_info ci;
	struct perr e = { 0 };
	struct timespec t0, now;
	int absent = 0, empty = 0, whole = 0, stale = 0, runs = 0, status, n;
	unsigned seed = (unsigned)time(NULL);

	(void)state;
	scratch(dir);
	print_message("seed %u\n", seed);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (runs = 0; runs < 300; runs++) {
		pid_t child;
		ssize_t len;

		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec >= 4)
			break;
		child = fork();
		assert_true(child >= 0);
		if (child == 0)
			churn(dir, runs & 1);
		usleep((useconds_t)(rand_r(&seed) % 1500));
		assert_int_equal(kill(child, SIGKILL), 0);
		assert_int_equal(waitpid(child, &status, 0), child);
		if (!WIFSIGNALED(status))
			fail_msg("run %d: the child stopped by itself, status %d", runs, status);

		len = read_text(dir, "0000:3b:00.0", text, sizeof(text));
		memset(&ci, 0, sizeof(ci));
		memset(&e, 0, sizeof(e));
		if (len < 0) {
			absent++;
		} else if (len == 0) {
			empty++;
		} else {
			/* whole: it parses, and it is exactly what lease_commit writes for it */
			whole++;
			if (claim_parse(text, (size_t)len, "lease", &ci, &e) < 0)
				fail_msg("run %d: a torn lease: \"%s\" (%s)", runs, text, e.msg);
			assert_true(ci.vm[0] != '\0' && ci.pid != 0 && ci.start != 0);
			if (strcmp(ci.vm, dead_vm[0]) == 0 || strcmp(ci.vm, dead_vm[1]) == 0)
				snprintf(again, sizeof(again), "vm=%s\npid=%ld\nstart=1\norig_driver=%s\nmodel=M\n",
					 ci.vm, NO_PID, dead_drv[strcmp(ci.vm, dead_vm[1]) == 0]);
			else
				snprintf(again, sizeof(again), "vm=churn\npid=%ld\nstart=%llu\n", ci.pid, ci.start);
			assert_string_equal(text, again);
		}
		/* a killed holder holds nothing, and only a lease file is one */
		assert_int_equal(lease_inspect(dir, "0000:3b:00.0", &ci, &e), 0);
		assert_true(ci.exists == (len >= 0) && !ci.held && !ci.locked && !ci.alive);
		assert_true(ci.unreadable == (len == 0));
		snprintf(path, sizeof(path), "%s/.0000:3b:00.0.new", dir);
		if (access(path, F_OK) == 0)
			stale++;
		n = 0;
		assert_int_equal(lease_each(dir, any_name, count_names, &n, &e), 0);
		assert_int_equal(n, len >= 0 ? 1 : 0);
	}
	print_message("%d kills in %ld s: absent %d, empty %d, whole %d; a stale temporary %d times\n",
		      runs, (long)(now.tv_sec - t0.tv_sec), absent, empty, whole, stale);
	assert_true(runs >= 50);
	assert_true(whole > 0 && absent + empty > 0); /* the kills did land in both halves */
	rmtree(dir);
}

static int visit(void *user, const char *name)
{
	char *seen = user;

	strcat(seen, name);
	strcat(seen, " ");
	return strcmp(name, "stop.lock") == 0 ? 7 : 0;
}

static bool dot_lock(const char *name)
{
	size_t n = strlen(name);

	return n > 5 && strcmp(name + n - 5, ".lock") == 0;
}

static void test_each(void **state)
{
	char dir[256], claims[300], seen[256] = "";
	struct perr e = { 0 };

	(void)state;
	/* no directory: nothing, no error */
	scratch(dir);
	snprintf(claims, sizeof(claims), "%s/none", dir);
	assert_int_equal(lease_each(claims, dot_lock, visit, seen, &e), 0);
	assert_string_equal(seen, "");
	put_file(dir, "a.lock", "", 0600);
	put_file(dir, ".a.lock.new", "vm=x\npid=1\n", 0600); /* a killed launcher's temporary */
	put_file(dir, ".hidden.lock", "", 0600);
	put_file(dir, "README", "", 0600);
	assert_int_equal(lease_each(dir, dot_lock, visit, seen, &e), 0);
	assert_string_equal(seen, "a.lock ");
	/* fn's first non-zero stops the walk */
	put_file(dir, "stop.lock", "", 0600);
	lease_remove(dir, "a.lock");
	seen[0] = '\0';
	assert_int_equal(lease_each(dir, dot_lock, visit, seen, &e), 7);
	assert_string_equal(seen, "stop.lock ");
	rmtree(dir);

	/* claim_each: canonical addresses, held or not; temporaries never */
	assert_int_equal(make_claims(dir, claims), 0);
	put_file(claims, "0000:3b:00.0", "vm=a\npid=1\n", 0600);
	put_file(claims, ".0000:3b:00.0.new", "vm=a\npid=1\n", 0600);
	put_file(claims, "0000:AF:00.1", "", 0600);
	put_file(claims, "af:00.2", "", 0600);
	seen[0] = '\0';
	assert_int_equal(claim_each(dir, visit, seen, &e), 0);
	assert_string_equal(seen, "0000:3b:00.0 ");
	rmtree(dir);
}

struct seen_claims {
	int n, stop_at;
	char addr[8][PCI_ADDR_LEN];
	char vm[8][65];
};

static int record(void *user, const char *addr, const struct claim_info *ci)
{
	struct seen_claims *s = user;

	assert_true(ci->held);
	assert_true(s->n < 8);
	strcpy(s->addr[s->n], addr);
	strcpy(s->vm[s->n], ci->vm);
	s->n++;
	return s->n == s->stop_at ? 42 : 0;
}

static void test_each_held(void **state)
{
	char dir[256], claims[300], text[128];
	struct seen_claims s = { 0 };
	struct perr e = { 0 };
	int fds[4];

	(void)state;
	/* no claims directory: nothing to visit, no error */
	scratch(dir);
	assert_int_equal(claim_each_held(dir, record, &s, &e), 0);
	assert_int_equal(s.n, 0);
	rmtree(dir);

	assert_int_equal(make_claims(dir, claims), 0);
	put_file(claims, "0000:3b:00.0", "vm=vm-a\npid=1\n", 0600);   /* held */
	put_file(claims, "0000:af:00.0", "vm=vm-b\npid=2\n", 0600);   /* stale */
	put_file(claims, "0000:d8:00.1", "vm=vm-c\npid=3\n", 0600);   /* held */
	put_file(claims, "0000:AF:00.1", "vm=vm-d\npid=4\n", 0600);   /* held, not a canonical name */
	put_file(claims, "af:00.2", "vm=vm-e\npid=5\n", 0600);        /* held, short form */
	put_file(claims, ".0000:af:00.3.tmp", "vm=vm-f\n", 0600);
	/* held by its living process alone, but a temporary: not a claim */
	snprintf(text, sizeof(text), "vm=vm-g\npid=%ld\nstart=%llu\n", (long)getpid(), proc_start(getpid()));
	put_file(claims, ".0000:af:00.4.new", text, 0600);
	fds[0] = hold(claims, "0000:3b:00.0", F_OFD_SETLK, F_WRLCK);
	fds[1] = hold(claims, "0000:d8:00.1", F_OFD_SETLK, F_WRLCK);
	fds[2] = hold(claims, "0000:AF:00.1", F_OFD_SETLK, F_WRLCK);
	fds[3] = hold(claims, "af:00.2", F_OFD_SETLK, F_WRLCK);
	assert_int_equal(claim_each_held(dir, record, &s, &e), 0);
	assert_int_equal(s.n, 2);
	/* directory order is arbitrary */
	if (strcmp(s.addr[0], s.addr[1]) > 0) {
		char t[65];
		strcpy(t, s.addr[0]), strcpy(s.addr[0], s.addr[1]), strcpy(s.addr[1], t);
		strcpy(t, s.vm[0]), strcpy(s.vm[0], s.vm[1]), strcpy(s.vm[1], t);
	}
	assert_string_equal(s.addr[0], "0000:3b:00.0");
	assert_string_equal(s.vm[0], "vm-a");
	assert_string_equal(s.addr[1], "0000:d8:00.1");
	assert_string_equal(s.vm[1], "vm-c");

	/* the callback's first non-zero stops the walk and is returned */
	memset(&s, 0, sizeof(s));
	s.stop_at = 1;
	assert_int_equal(claim_each_held(dir, record, &s, &e), 42);
	assert_int_equal(s.n, 1);
	for (int i = 0; i < 4; i++)
		close(fds[i]);
	memset(&s, 0, sizeof(s));
	assert_int_equal(claim_each_held(dir, record, &s, &e), 0);
	assert_int_equal(s.n, 0);
	/* a claim whose recorded process lives is held without a lock */
	snprintf(text, sizeof(text), "vm=vm-h\npid=%ld\nstart=%llu\n", (long)getpid(), proc_start(getpid()));
	put_file(claims, "0000:af:00.0", text, 0600);
	assert_int_equal(claim_each_held(dir, record, &s, &e), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.addr[0], "0000:af:00.0");
	assert_string_equal(s.vm[0], "vm-h");
	rmtree(dir);
}

static void test_claims_of(void **state)
{
	char dir[256], claims[300];
	struct inventory inv = { 0 };
	struct inv_device d = { .model = "M", .dev_type = "T" };
	struct claim_info *ci;
	struct perr e = { 0 };
	int fd;

	(void)state;
	assert_int_equal(make_claims(dir, claims), 0);
	for (int i = 0; i < 3; i++) {
		snprintf(d.addr, sizeof(d.addr), "0000:0%c:00.0", (char)('1' + i));
		assert_int_equal(inventory_add(&inv, &d, &e), 0);
	}
	put_file(claims, "0000:02:00.0", "vm=old\npid=9\n", 0600);
	put_file(claims, "0000:03:00.0", "vm=live\npid=10\n", 0600);
	fd = hold(claims, "0000:03:00.0", F_OFD_SETLK, F_WRLCK);
	ci = claims_of(dir, &inv, &e);
	assert_non_null(ci);
	assert_false(ci[0].exists);
	assert_true(ci[1].exists && !ci[1].held);
	assert_true(ci[2].exists && ci[2].held);
	assert_string_equal(ci[2].vm, "live");
	free(ci);
	close(fd);
	/* an empty inventory still gets an array to free */
	inventory_free(&inv);
	ci = claims_of(dir, &inv, &e);
	assert_non_null(ci);
	free(ci);
	rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_more),
		cmocka_unit_test(test_proc_start),
		cmocka_unit_test(test_lease_record),
		cmocka_unit_test(test_inspect),
		cmocka_unit_test(test_inspect_more),
		cmocka_unit_test(test_take),
		cmocka_unit_test(test_lock_and_commit),
		cmocka_unit_test(test_dropped_lock),
		cmocka_unit_test(test_exec),
		cmocka_unit_test(test_zombie),
		cmocka_unit_test(test_reused_pid),
		cmocka_unit_test(test_kill),
		cmocka_unit_test(test_exclusive),
		cmocka_unit_test(test_each),
		cmocka_unit_test(test_each_held),
		cmocka_unit_test(test_claims_of),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
