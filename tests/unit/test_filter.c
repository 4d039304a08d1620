/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_filter.c - the seccomp policy is sorted data whose every name is a reviewed syscall of
 * x86_64, pinned by tests/golden/seccomp-rules; and the installed filter really refuses each
 * rule's calls with the rule's action (killed under kill, EPERM under errno, ENOSYS for the
 * ENOSYS rules and for every number newer than the table, whatever the action), while threads,
 * fork, posix_spawn and ordinary ioctls still work. The filter is installed in a forked child,
 * so the test process itself is never filtered. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>

#include "cm.h"
#include "filter.h"
#include "filter_build.h"

#define GOLDEN "tests/golden/seccomp-rules"
/* what a child exits with when its call failed with EPERM, or with ENOSYS */
#define GOT_EPERM 42
#define GOT_ENOSYS 43

extern char **environ;

static int rule_cmp(const struct filter_rule *a, const struct filter_rule *b)
{
	int c = strcmp(a->name, b->name);

	if (c != 0)
		return c;
	if (a->test != b->test)
		return a->test < b->test ? -1 : 1;
	if (a->arg != b->arg)
		return a->arg < b->arg ? -1 : 1;
	return a->value < b->value ? -1 : a->value > b->value;
}

/* What QEMU 7.2 or glibc 2.36 probe at start, and must survive under kill. */
static const char *const probed[] = { "clone3", "io_uring_enter", "io_uring_register", "io_uring_setup" };

static void test_table(void **state)
{
	(void)state;
	assert_true(filter_rules_n > 70);
	for (size_t i = 0, j = 0; i < sizeof(probed) / sizeof(probed[0]); i++) {
		while (j < filter_rules_n && strcmp(filter_rules[j].name, probed[i]) != 0)
			j++;
		if (j == filter_rules_n || filter_rules[j].action != FILTER_ENOSYS)
			fail_msg("%s: QEMU or glibc probes it, so it must be an ENOSYS rule", probed[i]);
	}
	for (size_t i = 0; i < filter_rules_n; i++) {
		const struct filter_rule *r = &filter_rules[i];
		int nr = seccomp_syscall_resolve_name(r->name);
		if (i > 0 && rule_cmp(&filter_rules[i - 1], r) >= 0)
			fail_msg("rules not sorted, or repeated, at %s", r->name);
		/* a rule for every call of a syscall leaves no room for another rule on it */
		if (i > 0 && strcmp(filter_rules[i - 1].name, r->name) == 0 &&
		    (filter_rules[i - 1].test == TEST_ALL || r->test == TEST_ALL))
			fail_msg("%s: a rule for every call beside another rule", r->name);
		if (nr < 0)
			fail_msg("%s is not a syscall on this architecture", r->name);
		if (nr > FILTER_REVIEWED_MAX)
			fail_msg("%s is %d, newer than the reviewed table (%d)", r->name, nr, FILTER_REVIEWED_MAX);
		if (r->why == NULL || strlen(r->why) < 5 || r->arg > 5)
			fail_msg("%s: no reason given, or no such argument", r->name);
		if ((r->test == TEST_FLAG || r->test == TEST_LOW32_EQ) && (r->value == 0 || r->label == NULL))
			fail_msg("%s: an argument rule without its value and name", r->name);
		if (r->test == TEST_LOW32_EQ && r->value > 0xffffffffULL)
			fail_msg("%s: a 32-bit value above 32 bits", r->name);
	}
}

/* The table as the golden list shows it: one line a rule, then the range of newer numbers. */
static char *render(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	for (size_t i = 0; i < filter_rules_n; i++) {
		const struct filter_rule *r = &filter_rules[i];
		unsigned long long v = r->value;
		fprintf(f, "%s %s ", r->name, r->action == FILTER_ENOSYS ? "enosys" : "deny");
		switch (r->test) {
		case TEST_ALL: fprintf(f, "all\n"); break;
		case TEST_FLAG: fprintf(f, "arg%u&%#llx==%#llx %s\n", r->arg, v, v, r->label); break;
		case TEST_LOW32_EQ: fprintf(f, "arg%u&0xffffffff==%#llx %s\n", r->arg, v, r->label); break;
		case TEST_LOW32_MIXED: fprintf(f, "arg%u&0xffffffff!=0,0xffffffff\n", r->arg); break;
		case TEST_NOT_SELF: fprintf(f, "arg%u!=self\n", r->arg); break;
		}
	}
	fprintf(f, "* enosys nr>%d x86_64-not-x32\n", FILTER_REVIEWED_MAX);
	assert_int_equal(fclose(f), 0);
	return text;
}

/* Dropping or adding a rule, or changing its action or argument rule, is a visible diff. */
static void test_golden(void **state)
{
	char *got = render(), want[16384], dir[256], path[512], cmd[1200];
	const char *update = getenv("UPDATE_GOLDEN");
	size_t n;
	FILE *f;

	(void)state;
	if (update != NULL && strcmp(update, "1") == 0) {
		f = fopen(GOLDEN, "w");
		assert_non_null(f);
		assert_true(fputs(got, f) >= 0);
		assert_int_equal(fclose(f), 0);
	}
	f = fopen(GOLDEN, "r");
	if (f == NULL)
		fail_msg("%s: %s (run from the top of the tree; UPDATE_GOLDEN=1 writes it)", GOLDEN, strerror(errno));
	n = fread(want, 1, sizeof(want) - 1, f);
	fclose(f);
	assert_true(n < sizeof(want) - 1);
	want[n] = '\0';
	if (strcmp(want, got) != 0) {
		scratch(dir);
		put_file(dir, "got", got, 0644);
		snprintf(path, sizeof(path), "%s/got", dir);
		snprintf(cmd, sizeof(cmd), "diff -u %s '%s' >&2", GOLDEN, path);
		assert_true(system(cmd) != -1);
		rmtree(dir);
		free(got);
		fail_msg("the rules differ from %s (UPDATE_GOLDEN=1 rewrites it)", GOLDEN);
	}
	free(got);
}

/* Run fn(arg) in a child, under the filter when `filter`; its wait status. */
static int child(bool filter, enum seccomp_action action, void (*fn)(long), long arg)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		struct perr e = { 0 };
		setsid(); /* no controlling terminal but the one fn opens */
		if (filter && seccomp_install(action, &e) < 0) {
			fprintf(stderr, "%s\n", e.msg);
			_exit(100);
		}
		fn(arg);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static int filtered(enum seccomp_action action, void (*fn)(long), long arg)
{
	return child(true, action, fn, arg);
}

static bool exited(int status, int code)
{
	return WIFEXITED(status) && WEXITSTATUS(status) == code;
}

static bool killed(int status)
{
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS;
}

/* A pty made this process's controlling terminal (it has just called setsid), so TIOCSTI
 * works on it unfiltered, for any user; its slave side. */
static int own_tty(void)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY), s;

	if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0)
		_exit(101);
	s = open(ptsname(m), O_RDWR);
	if (s < 0)
		_exit(102);
	return s;
}

/* Exit GOT_EPERM or GOT_ENOSYS after a call that failed so, else 0. */
static void exit_by(long rc)
{
	if (rc == -1 && errno == EPERM)
		_exit(GOT_EPERM);
	if (rc == -1 && errno == ENOSYS)
		_exit(GOT_ENOSYS);
	_exit(0);
}

/* Rule i's syscall with arguments that match the rule, harmless even unfiltered. */
static void call_rule(long i)
{
	const struct filter_rule *r = &filter_rules[i];
	long nr = seccomp_syscall_resolve_name(r->name), a[6] = { 0 }, rc;
	char c = '#';

	if (nr == SYS_sethostname || nr == SYS_setdomainname)
		a[1] = 1 << 20; /* too long: EINVAL before anything is set */
	if (nr == SYS_acct || nr == SYS_chroot)
		a[0] = 1; /* a bad pointer: EFAULT */
	switch (r->test) {
	case TEST_ALL: break;
	case TEST_FLAG:
	case TEST_LOW32_EQ: a[r->arg] = (long)r->value; break;
	case TEST_LOW32_MIXED: a[r->arg] = 1; break;
	case TEST_NOT_SELF: a[r->arg] = getppid(); break; /* signal 0 below: only asks */
	}
	if (nr == SYS_tkill)
		a[0] = getppid();
	if (nr == SYS_rt_sigqueueinfo || nr == SYS_rt_tgsigqueueinfo)
		a[2] = 1; /* a bad siginfo pointer: EFAULT */
	if (nr == SYS_clone)
		a[0] |= SIGCHLD; /* fork-like, should it get through */
	if (nr == SYS_ioctl) {
		a[0] = own_tty();
		a[2] = (long)&c;
	}
	errno = 0;
	rc = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	if (nr == SYS_clone && rc == 0)
		_exit(0); /* the child of a clone the filter let through */
	if (nr == SYS_clone && rc > 0)
		waitpid((pid_t)rc, NULL, 0);
	exit_by(rc);
}

static void test_each_rule(void **state)
{
	(void)state;
	for (size_t i = 0; i < filter_rules_n; i++) {
		const struct filter_rule *r = &filter_rules[i];
		long li = (long)i;
		int kill_st = filtered(SECCOMP_KILL, call_rule, li);
		int errno_st = filtered(SECCOMP_ERRNO, call_rule, li);
		if (r->action == FILTER_ENOSYS) {
			/* whatever the action: QEMU probes these and must survive */
			if (!exited(kill_st, GOT_ENOSYS) || !exited(errno_st, GOT_ENOSYS) ||
			    !exited(filtered(SECCOMP_LOG, call_rule, li), GOT_ENOSYS))
				fail_msg("%s: not ENOSYS under every action (kill: status %#x)", r->name, kill_st);
			continue;
		}
		if (!killed(kill_st))
			fail_msg("%s (rule %zu): not killed by the filter (status %#x)", r->name, i, kill_st);
		if (!exited(errno_st, GOT_EPERM))
			fail_msg("%s (rule %zu): no EPERM from the errno filter (status %#x)", r->name, i, errno_st);
	}
}

static void call_unshare(long flags)
{
	exit_by(syscall(SYS_unshare, flags));
}

/* The ENOSYS rules answer for themselves, not the kernel: unfiltered, io_uring_setup and clone3
 * with bad arguments get another error (said, not failed, where a container's filter already
 * refuses them). A denied call under log goes through. */
static void test_enosys_is_the_filters(void **state)
{
	(void)state;
	for (size_t i = 0; i < filter_rules_n; i++)
		if (filter_rules[i].action == FILTER_ENOSYS &&
		    exited(child(false, SECCOMP_KILL, call_rule, (long)i), GOT_ENOSYS))
			fprintf(stderr, "note: %s gets ENOSYS here without our filter too (a container's "
				"own filter?); its ENOSYS proves less\n", filter_rules[i].name);
	assert_true(exited(filtered(SECCOMP_LOG, call_unshare, 0), 0)); /* allowed, and logged */
	assert_true(exited(filtered(SECCOMP_ERRNO, call_unshare, CLONE_NEWUSER), GOT_EPERM));
	assert_true(killed(filtered(SECCOMP_KILL, call_unshare, CLONE_NEWUSER)));
}

static void *thread_main(void *p)
{
	*(int *)p = 1;
	return NULL;
}

/* glibc's fork (clone), pthread_create and posix_spawn (clone3, then clone on ENOSYS). */
static void threads_and_fork(long arg)
{
	char name[] = "true", *argv[] = { name, NULL };
	pthread_t t;
	pid_t pid;
	int st, ran = 0;

	(void)arg;
	pid = fork();
	if (pid == 0)
		_exit(7);
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !exited(st, 7))
		_exit(1);
	if (pthread_create(&t, NULL, thread_main, &ran) != 0 || pthread_join(t, NULL) != 0 || ran != 1)
		_exit(2);
	if (posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ) != 0 ||
	    waitpid(pid, &st, 0) != pid || !exited(st, 0))
		_exit(3);
	_exit(0);
}

/* An ordinary ioctl works, also with high bits set in its cmd: exit 0, else 4. */
static void tty_ordinary(long arg)
{
	int fd = own_tty();
	struct termios tio;

	(void)arg;
	if (ioctl(fd, TCGETS, &tio) != 0 || syscall(SYS_ioctl, fd, (1L << 32) | TCGETS, &tio) != 0)
		_exit(4);
	_exit(0);
}

/* ioctl(cmd) on this process's own terminal; unfiltered, TIOCSTI works (or EIO when the host
 * set dev.tty.legacy_tiocsti = 0) and TIOCLINUX fails as a pty is no console. */
static void tty_ioctl(long cmd)
{
	int fd = own_tty();
	char c = '#';

	errno = 0;
	exit_by(syscall(SYS_ioctl, fd, cmd, &c));
}

/* clone as fork does it, with extra flags: exit 0 when it went through, GOT_EPERM when refused. */
static void call_clone(long flags)
{
	long rc = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);

	if (rc == 0)
		_exit(0);
	if (rc > 0)
		waitpid((pid_t)rc, NULL, 0);
	exit_by(rc);
}

/* What QEMU does with signals: to itself and its own threads (exit 0); arg 1 asks for the
 * parent instead (GOT_EPERM when refused). */
static void call_signals(long parent)
{
	pid_t to = parent ? getppid() : getpid();
	long tid = parent ? 0 : syscall(SYS_gettid);

	if (syscall(SYS_kill, to, 0) < 0 || syscall(SYS_tgkill, to, parent ? to : tid, 0) < 0)
		exit_by(-1);
	if (!parent && raise(SIGCONT) != 0)
		_exit(1);
	_exit(0);
}

static void test_signals(void **state)
{
	(void)state;
	assert_true(exited(filtered(SECCOMP_KILL, call_signals, 0), 0));
	assert_true(killed(filtered(SECCOMP_KILL, call_signals, 1)));
	assert_true(exited(filtered(SECCOMP_ERRNO, call_signals, 1), GOT_EPERM));
}

static void test_arguments(void **state)
{
	/* the kernel reads the low 32 bits of an ioctl's cmd */
	const long cmds[] = { TIOCSTI, (1L << 32) | TIOCSTI, (long)(0xdeadbeefUL << 32) | TIOCSTI,
			      TIOCLINUX, (1L << 32) | TIOCLINUX };

	(void)state;
	/* plain clone for threads and fork still works, under kill */
	assert_true(exited(filtered(SECCOMP_KILL, threads_and_fork, 0), 0));
	assert_true(exited(filtered(SECCOMP_KILL, call_clone, 0), 0));
	/* a namespace flag is refused, alone, among others, or with high bits the kernel drops */
	assert_true(exited(filtered(SECCOMP_ERRNO, call_clone, CLONE_NEWUSER), GOT_EPERM));
	assert_true(exited(filtered(SECCOMP_ERRNO, call_clone, CLONE_NEWNET | CLONE_FS), GOT_EPERM));
	assert_true(exited(filtered(SECCOMP_ERRNO, call_clone, (1L << 32) | CLONE_NEWUSER), GOT_EPERM));
	assert_true(killed(filtered(SECCOMP_KILL, call_clone, CLONE_NEWUSER)));
	assert_true(exited(filtered(SECCOMP_KILL, tty_ordinary, 0), 0));
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		int st = child(false, SECCOMP_KILL, tty_ioctl, cmds[i]);
		if (!exited(st, 0))
			fail_msg("ioctl %#lx unfiltered: status %#x", (unsigned long)cmds[i], st);
		st = filtered(SECCOMP_ERRNO, tty_ioctl, cmds[i]);
		if (!exited(st, GOT_EPERM))
			fail_msg("ioctl %#lx: no EPERM from the errno filter (status %#x)", (unsigned long)cmds[i], st);
		st = filtered(SECCOMP_KILL, tty_ioctl, cmds[i]);
		if (!killed(st))
			fail_msg("ioctl %#lx: not killed by the filter (status %#x)", (unsigned long)cmds[i], st);
	}
}

/* personality: 0 and 0xffffffff pass (so does 1 << 32, which the kernel reads as 0); every
 * other 32-bit value with a bit set and a bit clear is refused. Exit 0, or the failing case. */
static void personalities(long arg)
{
	const unsigned long ok[] = { PER_LINUX, 0xffffffffUL, 1UL << 32 };
	const unsigned long bad[] = { ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC, UNAME26, PER_LINUX32,
				      PER_SVR4, 0x7fffffffUL, 0xfffffffeUL, (1UL << 32) | ADDR_NO_RANDOMIZE };

	(void)arg;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (syscall(SYS_personality, ok[i]) < 0)
			_exit(1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!(syscall(SYS_personality, bad[i]) == -1 && errno == EPERM))
			_exit(2);
	for (unsigned i = 0; i < 32; i++) {
		unsigned long one = 1UL << i, all_but_one = 0xffffffffUL & ~one;
		if (!(syscall(SYS_personality, one) == -1 && errno == EPERM))
			_exit(3);
		if (!(syscall(SYS_personality, all_but_one) == -1 && errno == EPERM))
			_exit(4);
	}
	_exit(0);
}

static void personality_aslr_off(long arg)
{
	(void)arg;
	exit_by(syscall(SYS_personality, ADDR_NO_RANDOMIZE));
}

static void test_personality(void **state)
{
	int st;

	(void)state;
	st = filtered(SECCOMP_ERRNO, personalities, 0);
	if (!exited(st, 0))
		fail_msg("personality: status %#x", st);
	assert_true(killed(filtered(SECCOMP_KILL, personality_aslr_off, 0)));
	assert_true(exited(child(false, SECCOMP_KILL, personality_aslr_off, 0), 0)); /* unfiltered */
}

/* Every native number from FILTER_REVIEWED_MAX + 1 to 600, and the last one below the x32 bit,
 * fails with ENOSYS (exit 0), whatever the action; FILTER_REVIEWED_MAX itself does not (else 1). */
static void newer_calls(long arg)
{
	(void)arg;
	for (long nr = FILTER_REVIEWED_MAX + 1; nr <= 600; nr++) {
		errno = 0;
		if (!(syscall(nr, -1L, 0, 0, 0, 0, 0) == -1 && errno == ENOSYS))
			_exit((int)(nr - FILTER_REVIEWED_MAX));
	}
	errno = 0;
	if (!(syscall(0x3fffffffL) == -1 && errno == ENOSYS))
		_exit(200);
	errno = 0;
	if (syscall(FILTER_REVIEWED_MAX, 0, 0, 0, 0) == -1 && errno == ENOSYS)
		_exit(201); /* set_mempolicy_home_node(0, 0, 0, 0): EINVAL or 0 */
	_exit(0);
}

/* open_tree_attr (467) and cachestat (451) with bad arguments: ENOSYS only if not implemented. */
static void kernel_has_newer(long nr)
{
	errno = 0;
	exit_by(syscall(nr, -1L, 0, 0, 0, 0, 0));
}

static void test_newer_numbers(void **state)
{
	const enum seccomp_action actions[] = { SECCOMP_KILL, SECCOMP_ERRNO, SECCOMP_LOG };
	const long newer[] = { 451, 467 }; /* cachestat, open_tree_attr */

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		int st = filtered(actions[i], newer_calls, 0);
		if (!exited(st, 0))
			fail_msg("newer numbers under action %d: status %#x (exit = nr - %d)", (int)actions[i],
				 st, FILTER_REVIEWED_MAX);
	}
	/* that the ENOSYS is the filter's, not the kernel's, shows where the kernel has them */
	for (size_t i = 0; i < 2; i++) {
		long nr = newer[i];
		if (!exited(child(false, SECCOMP_KILL, kernel_has_newer, nr), 0))
			fprintf(stderr, "note: this kernel has no syscall %ld; its ENOSYS proves less\n", nr);
		assert_true(exited(filtered(SECCOMP_KILL, kernel_has_newer, nr), GOT_ENOSYS));
	}
}

static void call_allowed(long arg)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	int mode = -1, filters = -1;

	(void)arg;
	if (syscall(SYS_getpid) <= 0)
		_exit(1);
	while (f && fgets(line, sizeof(line), f)) {
		sscanf(line, "Seccomp: %d", &mode);
		sscanf(line, "Seccomp_filters: %d", &filters);
	}
	_exit(mode == 2 && (filters == 1 || filters == -1) ? 0 : 2); /* -1: a kernel before 5.9 */
}

/* i386's getpid (20) through int 0x80, and x32's (39 with the x32 bit): other ABIs are refused,
 * by the table's action (EPERM under errno, not the ENOSYS of numbers above the table's). */
static void call_i386(long arg)
{
	long r;

	(void)arg;
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory");
	_exit(r > 0 ? 0 : r == -EPERM ? GOT_EPERM : 3);
}

static void call_x32(long arg)
{
	(void)arg;
	exit_by(syscall(0x40000000L | 39));
}

static void test_rest_allowed_other_abis_not(void **state)
{
	(void)state;
	assert_true(exited(filtered(SECCOMP_KILL, call_allowed, 0), 0)); /* and Seccomp: 2, one filter */
	assert_true(killed(filtered(SECCOMP_KILL, call_i386, 0)));
	assert_true(killed(filtered(SECCOMP_KILL, call_x32, 0)));
	assert_true(exited(filtered(SECCOMP_ERRNO, call_i386, 0), GOT_EPERM));
	assert_true(exited(filtered(SECCOMP_ERRNO, call_x32, 0), GOT_EPERM));
	assert_true(killed(filtered(SECCOMP_LOG, call_i386, 0))); /* log mode still refuses other ABIs */
	assert_true(killed(filtered(SECCOMP_LOG, call_x32, 0)));
}

/* As QEMU's user: no capability, and no PR_SET_NO_NEW_PRIVS but what seccomp_install sets. */
static void install_unprivileged(long arg)
{
	struct perr e = { 0 };

	(void)arg;
	if (getuid() == 0 && (setgroups(0, NULL) != 0 || setresgid(65534, 65534, 65534) != 0 ||
			      setresuid(65534, 65534, 65534) != 0))
		_exit(1);
	if (seccomp_install(SECCOMP_ERRNO, &e) != 0) {
		fprintf(stderr, "%s\n", e.msg);
		_exit(2);
	}
	exit_by(syscall(SYS_unshare, 0));
}

static void test_unprivileged(void **state)
{
	(void)state;
	assert_true(exited(child(false, SECCOMP_ERRNO, install_unprivileged, 0), GOT_EPERM));
}

/* The programs built at build time (filter_gen) are, byte for byte, what libseccomp builds
 * from the table now, for each action and whatever the installing process's pid: the table and
 * the installed filter cannot drift apart. Pids that equal other constants of the program (a
 * syscall number, TIOCSTI) would show a stand-in that libseccomp folds into another block. */
static void test_generated_is_libseccomps(void **state)
{
	const uint64_t pids[] = { (uint64_t)getpid(), 1, 2, 62, 200, 234, 450, TIOCSTI, TIOCLINUX, 4194304 };
	struct sock_filter got[FILTER_PROG_MAX];

	(void)state;
	for (int a = SECCOMP_KILL; a <= SECCOMP_LOG; a++)
		for (size_t i = 0; i < sizeof(pids) / sizeof(pids[0]); i++) {
			struct sock_filter *want;
			struct perr e = { 0 };
			size_t n;
			int len = filter_program((enum seccomp_action)a, (uint32_t)pids[i], got);

			if (filter_build_bpf((enum seccomp_action)a, pids[i], &want, &n, &e) < 0)
				fail_msg("%s", e.msg);
			if (len < 0 || (size_t)len != n || memcmp(got, want, n * sizeof(*want)) != 0)
				fail_msg("action %d, pid %llu: the generated program (%d instructions) is not "
					 "libseccomp's (%zu): make remakes it from launcher/filter.c",
					 a, (unsigned long long)pids[i], len, n);
			free(want);
		}
	assert_int_equal(filter_program((enum seccomp_action)(SECCOMP_LOG + 1), 1, got), -1);
}

/* The readable form for review still comes from libseccomp, with the second filter said. */
static void test_show(void **state)
{
	char text[65536];
	struct perr e = { 0 };
	int fd = memfd_create("show", 0);
	ssize_t n;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(seccomp_show(SECCOMP_KILL, fd, &e), 0);
	n = pread(fd, text, sizeof(text) - 1, 0);
	assert_true(n > 0);
	text[n] = '\0';
	assert_non_null(strstr(text, "# filter for syscall \"kexec_load\""));
	assert_non_null(strstr(text, "action KILL_PROCESS;"));
	assert_non_null(strstr(text, "x86_64 syscall numbers 451 and up (not x32) -> ERRNO(ENOSYS)"));
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_generated_is_libseccomps),
		cmocka_unit_test(test_show),
		cmocka_unit_test(test_each_rule),
		cmocka_unit_test(test_enosys_is_the_filters),
		cmocka_unit_test(test_arguments),
		cmocka_unit_test(test_signals),
		cmocka_unit_test(test_personality),
		cmocka_unit_test(test_newer_numbers),
		cmocka_unit_test(test_rest_allowed_other_abis_not),
		cmocka_unit_test(test_unprivileged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
