/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_preflight.c - --dry-run's checks: the problem list, the memlock decision, the state
 * directory looked at without making anything, a file's access checked as a VM's identity
 * (root's ids back afterwards). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sys/resource.h>

#include "cm.h"
#include "ident.h"
#include "preflight.h"
#include "prepare.h"

static void test_problems(void **state)
{
	static struct problems ps;
	struct perr e = { 0 };

	(void)state;
	assert_int_equal(problems_status(&ps), 0);
	fail(&e, EX_NOINPUT, "first");
	problem_add(&ps, &e);
	assert_int_equal(e.code, 0); /* cleared: the next check's failure is recorded */
	assert_string_equal(e.msg, "");
	fail(&e, EX_NOPERM, "second");
	problem_add(&ps, &e);
	assert_int_equal(ps.n, 2);
	assert_string_equal(ps.p[1].msg, "second");
	assert_int_equal(problems_status(&ps), EX_NOINPUT); /* the first one's */
	for (int i = 0; i < PROBLEMS_MAX; i++) {
		fail(&e, EX_OSERR, "more %d", i);
		problem_add(&ps, &e);
	}
	assert_int_equal(ps.n, PROBLEMS_MAX);
	assert_int_equal(ps.lost, 2);
	assert_int_equal(problems_status(&ps), EX_NOINPUT);
	problem_add(&ps, &e); /* a failure without a message is still one */
	assert_int_equal(ps.lost, 3);
}

static void test_memlock(void **state)
{
	(void)state;
	/* 4 GiB of guest: 5 GiB to lock */
	assert_false(memlock_raisable(5120, 8ULL << 20, false)); /* a container's 8 MiB */
	assert_true(memlock_raisable(5120, 8ULL << 20, true));   /* CAP_SYS_RESOURCE raises it */
	assert_true(memlock_raisable(5120, (unsigned long long)RLIM_INFINITY, false));
	assert_true(memlock_raisable(5120, 5120ULL << 20, false));
	assert_false(memlock_raisable(5120, (5120ULL << 20) - 1, false));
}

/* The listing of a tree, to show that nothing was made. */
static void listing(const char *dir, char *out, size_t size)
{
	char cmd[400];
	FILE *f;
	size_t n;

	snprintf(cmd, sizeof(cmd), "cd '%s' && find . -printf '%%p %%y %%m %%C@\\n' | sort", dir);
	assert_non_null(f = popen(cmd, "r"));
	n = fread(out, 1, size - 1, f);
	out[n] = '\0';
	assert_int_equal(pclose(f), 0);
}

static void test_state_verify(void **state)
{
	char dir[256], st[300], sub[400], before[4096], after[4096];
	struct perr e = { 0 };
	struct stat sb;

	(void)state;
	scratch(dir);
	listing(dir, before, sizeof(before));
	/* absent: fine (it would be made), and still absent */
	snprintf(st, sizeof(st), "%s/run", dir);
	assert_int_equal(state_verify(st, &e), 0);
	assert_int_equal(lstat(st, &sb), -1);
	/* its parent absent: mkdir would fail */
	snprintf(sub, sizeof(sub), "%s/no/run", dir);
	assert_int_equal(state_verify(sub, &e), -1);
	assert_int_equal(e.code, EX_CANTCREAT);
	listing(dir, after, sizeof(after));
	assert_string_equal(before, after);
	/* there, without its subdirectories: fine, and none is made */
	assert_int_equal(mkdir(st, 0755), 0);
	memset(&e, 0, sizeof(e));
	assert_int_equal(state_verify(st, &e), 0);
	snprintf(sub, sizeof(sub), "%s/claims", st);
	assert_int_equal(lstat(sub, &sb), -1);
	/* a symlink in place of a subdirectory: refused, as state_check does */
	assert_int_equal(symlink("/tmp", sub), 0);
	assert_int_equal(state_verify(st, &e), -1);
	assert_int_equal(e.code, EX_CONFIG);
	assert_non_null(strstr(e.msg, "claims: refusing it: not a directory"));
	assert_int_equal(unlink(sub), 0);
	/* writable by the group: refused */
	assert_int_equal(chmod(st, 0775), 0);
	memset(&e, 0, sizeof(e));
	assert_int_equal(state_verify(st, &e), -1);
	assert_int_equal(e.code, EX_CONFIG);
	assert_non_null(strstr(e.msg, "writable by group or others"));
	/* a sticky, world-writable parent (as /tmp) with the state dir absent: fine */
	assert_int_equal(chmod(st, 01777), 0);
	snprintf(sub, sizeof(sub), "%s/run", st);
	memset(&e, 0, sizeof(e));
	assert_int_equal(state_verify(sub, &e), 0);
	/* a non-sticky, world-writable parent: refused */
	assert_int_equal(chmod(st, 0777), 0);
	assert_int_equal(state_verify(sub, &e), -1);
	assert_int_equal(e.code, EX_CONFIG);
	rmtree(dir);
}

static void test_ident_access(void **state)
{
	struct vm_user u = { "dynamic", true, 1879048777, 1879048777, 0, { 0 } };
	gid_t before[64], after[64];
	char dir[256], path[300];
	struct perr e = { 0 };
	int n, m, err = 0;

	(void)state;
	if (geteuid() != 0) {
		print_message("SKIP: needs root (switches effective ids)\n");
		skip();
	}
	n = getgroups(64, before);
	scratch(dir);
	put_file(dir, "kvm", "", 0660);
	snprintf(path, sizeof(path), "%s/kvm", dir);
	assert_int_equal(chown(path, 0, 1879048778), 0);
	/* neither its owner nor in its group: no */
	assert_int_equal(ident_access(&u, path, R_OK | W_OK, &err, &e), 1);
	assert_int_equal(err, EACCES);
	/* exactly the groups given, so the group's member may */
	u.groups[u.n_groups++] = 1879048778;
	assert_int_equal(ident_access(&u, path, R_OK | W_OK, &err, &e), 0);
	assert_int_equal(ident_access(&u, path, X_OK, &err, &e), 1);
	/* root's ids, all of them, back */
	assert_int_equal(geteuid(), 0);
	assert_int_equal(getegid(), getgid());
	m = getgroups(64, after);
	assert_int_equal(m, n);
	assert_memory_equal(before, after, (size_t)n * sizeof(gid_t));
	assert_int_equal(e.code, 0);
	rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_problems),
		cmocka_unit_test(test_memlock),
		cmocka_unit_test(test_state_verify),
		cmocka_unit_test(test_ident_access),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
