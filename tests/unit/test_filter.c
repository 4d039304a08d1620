/* test_filter.c - the seccomp deny list is sorted data whose every name is a syscall here, and
 * the installed filter really stops each one: killed (kill) or EPERM (errno). The filter is
 * installed in a forked child, so the test process itself is never filtered. */
#include <errno.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "cm.h"
#include "filter.h"

static void test_table(void **state)
{
	(void)state;
	assert_true(seccomp_deny_n > 40);
	for (size_t i = 0; i < seccomp_deny_n; i++) {
		if (i > 0 && strcmp(seccomp_deny[i - 1], seccomp_deny[i]) >= 0)
			fail_msg("deny list not sorted or repeated at %s", seccomp_deny[i]);
		if (seccomp_syscall_resolve_name(seccomp_deny[i]) < 0)
			fail_msg("%s is not a syscall on this architecture", seccomp_deny[i]);
	}
}

/* Run fn in a child under the filter; its wait status. */
static int filtered(enum seccomp_action action, void (*fn)(long), long arg)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		struct perr e = { 0 };
		setsid(); /* no controlling terminal, should vhangup ever get through */
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || seccomp_install(action, &e) < 0)
			_exit(100);
		fn(arg);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

/* Each denied syscall with harmless arguments: even unfiltered, none would change the host. */
static void call_denied(long nr)
{
	long a1 = 0, a2 = 0;

	if (nr == SYS_sethostname || nr == SYS_setdomainname)
		a2 = 1 << 20; /* too long: EINVAL before anything is set */
	if (nr == SYS_acct || nr == SYS_chroot)
		a1 = 1; /* a bad pointer: EFAULT */
	errno = 0;
	if (syscall(nr, a1, a2, 0, 0, 0, 0) == -1 && errno == EPERM)
		_exit(42); /* what the errno action gives */
	_exit(0);
}

static void test_each_denied(void **state)
{
	(void)state;
	for (size_t i = 0; i < seccomp_deny_n; i++) {
		long nr = seccomp_syscall_resolve_name(seccomp_deny[i]);
		int st = filtered(SECCOMP_KILL, call_denied, nr);
		if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGSYS)
			fail_msg("%s: not killed by the filter (status %#x)", seccomp_deny[i], st);
		st = filtered(SECCOMP_ERRNO, call_denied, nr);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 42)
			fail_msg("%s: no EPERM from the errno filter (status %#x)", seccomp_deny[i], st);
	}
}

static void call_allowed(long arg)
{
	(void)arg;
	if (syscall(SYS_getpid) <= 0)
		_exit(1);
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	int mode = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Seccomp: %d", &mode) == 1)
			break;
	_exit(mode == 2 ? 0 : 2);
}

/* i386's getpid (20) through int 0x80, and x32's (39 with the x32 bit): other ABIs are refused. */
static void call_i386(long arg)
{
	long r;

	(void)arg;
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory");
	_exit(r > 0 ? 0 : 3);
}

static void call_x32(long arg)
{
	(void)arg;
	syscall(0x40000000L | 39);
	_exit(0);
}

static void test_rest_allowed_other_abis_not(void **state)
{
	int st;

	(void)state;
	st = filtered(SECCOMP_KILL, call_allowed, 0);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0); /* allowed calls work, and Seccomp: 2 */
	st = filtered(SECCOMP_KILL, call_i386, 0);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
	st = filtered(SECCOMP_KILL, call_x32, 0);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
	st = filtered(SECCOMP_LOG, call_i386, 0); /* log mode still refuses other ABIs */
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_each_denied),
		cmocka_unit_test(test_rest_allowed_other_abis_not),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
