/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_stats.c - the counters in <state_dir>/stats: counted, replaced whole, under a lock,
 * never through a symlink, and a file that is not ours left alone. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <sys/wait.h>

#include "cm.h"
#include "stats.h"

static void slurp(const char *dir, const char *name, char *buf, size_t size)
{
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* The names in dir other than . and .., sorted, in one string. */
static void names(const char *dir, char *out, size_t size)
{
	struct dirent **list;
	int n = scandir(dir, &list, NULL, alphasort);
	size_t o = 0;

	assert_true(n >= 0);
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (strcmp(list[i]->d_name, ".") && strcmp(list[i]->d_name, ".."))
			o += (size_t)snprintf(out + o, size - o, "%s%s", o ? " " : "", list[i]->d_name);
		free(list[i]);
	}
	free(list);
}

static void test_count(void **state)
{
	char dir[256], text[256], path[512];
	struct stat sb;

	(void)state;
	scratch(dir);
	/* never bumped: 0, and reading creates nothing */
	assert_int_equal(stats_get(dir, "launch_failures"), 0);
	names(dir, text, sizeof(text));
	assert_string_equal(text, "");
	for (int i = 0; i < 3; i++)
		assert_int_equal(stats_bump(dir, "launch_failures"), 0);
	assert_int_equal(stats_bump(dir, "other.key-1"), 0);
	assert_int_equal(stats_get(dir, "launch_failures"), 3);
	assert_int_equal(stats_get(dir, "other.key-1"), 1);
	assert_int_equal(stats_get(dir, "absent"), 0);
	slurp(dir, "stats", text, sizeof(text));
	assert_string_equal(text, "launch_failures 3\nother.key-1 1\n");
	snprintf(path, sizeof(path), "%s/stats", dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0644);
	assert_int_equal(sb.st_uid, geteuid());
	/* the file and its writers' lock, no temporary left */
	names(dir, text, sizeof(text));
	assert_string_equal(text, ".stats.lock stats");
	rmtree(dir);
}

static void test_bad_key(void **state)
{
	char dir[256], text[64];

	(void)state;
	scratch(dir);
	static const char *const bad[] = { "", "a b", "a\nb 9", "x/y", "k=v",
		"a1234567890123456789012345678901234567890123456789012345678901234" /* 65 */ };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		assert_int_equal(stats_bump(dir, bad[i]), -1);
		assert_int_equal(errno, EINVAL);
		assert_int_equal(stats_get(dir, bad[i]), -1);
	}
	names(dir, text, sizeof(text));
	assert_string_equal(text, "");
	rmtree(dir);
}

/* Writers in several processes at once: none of their bumps is lost. */
static void test_concurrent(void **state)
{
	char dir[256];
	enum { PROCS = 4, EACH = 25 };
	pid_t pid[PROCS];

	(void)state;
	scratch(dir);
	for (int p = 0; p < PROCS; p++) {
		pid[p] = fork();
		assert_true(pid[p] >= 0);
		if (pid[p] == 0) {
			for (int i = 0; i < EACH; i++)
				if (stats_bump(dir, "launch_failures") < 0)
					_exit(1);
			_exit(0);
		}
	}
	for (int p = 0; p < PROCS; p++) {
		int st;
		assert_int_equal(waitpid(pid[p], &st, 0), pid[p]);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	assert_int_equal(stats_get(dir, "launch_failures"), PROCS * EACH);
	rmtree(dir);
}

/* A symlink at <state_dir>/stats is neither read nor followed: its target stays as it was. */
static void test_symlink(void **state)
{
	char dir[256], path[512], target[512], text[64];

	(void)state;
	scratch(dir);
	put_file(dir, "target", "launch_failures 5\n", 0644);
	snprintf(path, sizeof(path), "%s/stats", dir);
	snprintf(target, sizeof(target), "%s/target", dir);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(stats_bump(dir, "launch_failures"), -1);
	assert_int_equal(errno, ELOOP);
	assert_int_equal(stats_get(dir, "launch_failures"), -1);
	slurp(dir, "target", text, sizeof(text));
	assert_string_equal(text, "launch_failures 5\n");
	rmtree(dir);
}

/* A file we would not have written is left alone, and read as unknown (-1), never as 0. */
static void test_not_ours(void **state)
{
	static const char *const bad[] = {
		"launch_failures 3",            /* no newline: cut short */
		"launch_failures -1\n",
		"launch_failures 3x\n",
		"launch_failures  3\n",
		"launch_failures\n",
		"launch failures 3\n",
		"launch_failures 3\nlaunch_failures 4\n", /* twice */
		"launch_failures 99999999999999999999\n",
		"\n",
	};
	char dir[256], text[128];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		scratch(dir);
		put_file(dir, "stats", bad[i], 0644);
		errno = 0;
		assert_int_equal(stats_bump(dir, "launch_failures"), -1);
		assert_int_equal(errno, EBADMSG);
		assert_int_equal(stats_get(dir, "launch_failures"), -1);
		slurp(dir, "stats", text, sizeof(text));
		assert_string_equal(text, bad[i]);
		rmtree(dir);
	}
	/* writable by others: not ours either */
	scratch(dir);
	put_file(dir, "stats", "launch_failures 3\n", 0666);
	assert_int_equal(stats_get(dir, "launch_failures"), -1);
	assert_int_equal(stats_bump(dir, "launch_failures"), -1);
	rmtree(dir);
	/* a counter at its maximum stays there */
	scratch(dir);
	snprintf(text, sizeof(text), "launch_failures %lld\n", LLONG_MAX);
	put_file(dir, "stats", text, 0644);
	assert_int_equal(stats_bump(dir, "launch_failures"), -1);
	assert_int_equal(errno, EOVERFLOW);
	assert_int_equal(stats_get(dir, "launch_failures"), LLONG_MAX);
	rmtree(dir);
}

/* The file holds at most STATS_KEYS_MAX keys: one more is refused, the others kept. */
static void test_full(void **state)
{
	char dir[256], key[32];

	(void)state;
	scratch(dir);
	for (int i = 0; i < STATS_KEYS_MAX; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		assert_int_equal(stats_bump(dir, key), 0);
	}
	assert_int_equal(stats_bump(dir, "one_more"), -1);
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(stats_bump(dir, "k0"), 0);
	assert_int_equal(stats_get(dir, "k0"), 2);
	assert_int_equal(stats_get(dir, "k31"), 1);
	rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_count),
		cmocka_unit_test(test_bad_key),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_symlink),
		cmocka_unit_test(test_not_ours),
		cmocka_unit_test(test_full),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
