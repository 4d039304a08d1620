/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_atomic.c - files replaced whole or not at all, and the writers' lock. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include "cm.h"
#include "atomic.h"

/* Entries of dir other than . and .., and the names in one string ("a b c", sorted). */
static int entries(const char *dir, char *names, size_t size)
{
	struct dirent **list;
	int n = scandir(dir, &list, NULL, alphasort), k = 0;
	size_t o = 0;

	assert_true(n >= 0);
	if (names)
		names[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (strcmp(list[i]->d_name, ".") && strcmp(list[i]->d_name, "..")) {
			k++;
			if (names)
				o += (size_t)snprintf(names + o, size - o, "%s%s", o ? " " : "", list[i]->d_name);
		}
		free(list[i]);
	}
	free(list);
	return k;
}

static void read_back(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
}

static void test_replace(void **state)
{
	char dir[256], path[300], text[64], names[512];
	struct perr e = { 0 };
	struct stat sb;
	int lock;
	mode_t old;

	(void)state;
	scratch(dir);
	snprintf(path, sizeof(path), "%s/inv.ini", dir);
	lock = file_lock(path, &e);
	assert_true(lock >= 0);
	assert_int_equal(fcntl(lock, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	put_file(dir, ".inv.ini.Ab12Cd", "left by a killed writer", 0600);
	put_file(dir, ".inv.ini.zzzzzz", "left by another", 0644);
	assert_int_equal(atomic_replace(path, "one\n", 4, 0644, &e), 0);
	/* the stale temporaries are gone; only the file and its lock remain */
	assert_int_equal(entries(dir, names, sizeof(names)), 2);
	assert_string_equal(names, ".inv.ini.lock inv.ini");
	read_back(path, text, sizeof(text));
	assert_string_equal(text, "one\n");
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0644);

	/* content and mode both replaced, whatever the umask */
	old = umask(077);
	assert_int_equal(atomic_replace(path, "two\n", 4, 0640, &e), 0);
	umask(old);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0640);
	read_back(path, text, sizeof(text));
	assert_string_equal(text, "two\n");
	assert_int_equal(sb.st_size, 4);

	/* shorter, empty, and binary content */
	assert_int_equal(atomic_replace(path, "", 0, 0600, &e), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(atomic_replace(path, "a\0b", 3, 0644, &e), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, 3);
	assert_int_equal(entries(dir, names, sizeof(names)), 2);
	close(lock);
	rmtree(dir);
}

static void test_sweep_spares_others(void **state)
{
	char dir[256], path[300], names[1024];
	struct perr e = { 0 };

	(void)state;
	scratch(dir);
	snprintf(path, sizeof(path), "%s/inv.ini", dir);
	/* what is not a temporary of inv.ini stays */
	put_file(dir, ".inv.ini.lock", "", 0600);      /* our own lock */
	put_file(dir, ".inv.ini.ABCDE", "", 0600);     /* 5, not 6 */
	put_file(dir, ".inv.ini.ABCDEFG", "", 0600);   /* 7 */
	put_file(dir, "inv.ini.ABCDEF", "", 0600);     /* not hidden */
	put_file(dir, ".inv.iniXABCDEF", "", 0600);    /* no dot */
	put_file(dir, ".inv.in.ABCDEF", "", 0600);     /* another base */
	put_file(dir, ".other.ABCDEF", "", 0600);      /* another file's temporary */
	put_file(dir, ".xinv.ini.ABCDEF", "", 0600);
	assert_int_equal(atomic_replace(path, "x", 1, 0644, &e), 0);
	assert_int_equal(entries(dir, names, sizeof(names)), 9);
	assert_string_equal(names, ".inv.in.ABCDEF .inv.ini.ABCDE .inv.ini.ABCDEFG .inv.ini.lock "
				   ".inv.iniXABCDEF .other.ABCDEF .xinv.ini.ABCDEF inv.ini inv.ini.ABCDEF");
	/* atomic_create does not sweep (it runs without the lock) */
	put_file(dir, ".new.conf.AAAAAA", "", 0600);
	snprintf(path, sizeof(path), "%s/new.conf", dir);
	assert_int_equal(atomic_create(path, "x", 1, 0644, &e), 0);
	assert_int_equal(entries(dir, NULL, 0), 11);
	rmtree(dir);
}

/* The sweep takes any ".<base>.<6 characters>" for a temporary of <base>. mkostemp's six
 * characters are letters and digits; a name with a '.' in those six is somebody else's file, e.g.
 * the lock file of a sibling "<base>.y": ".<base>.y.lock". Deleting a lock file that another
 * writer holds lets a third one lock a new file of that name: no more mutual exclusion. */
static void test_sweep_spares_sibling_lock(void **state)
{
	char dir[256], path[300], sibling[300], lockpath[400];
	struct perr e = { 0 };
	int lock;

	(void)state;
	scratch(dir);
	snprintf(path, sizeof(path), "%s/x", dir);
	snprintf(sibling, sizeof(sibling), "%s/x.y", dir);
	lock = file_lock(sibling, &e); /* creates and holds .x.y.lock */
	assert_true(lock >= 0);
	snprintf(lockpath, sizeof(lockpath), "%s/.x.y.lock", dir);
	assert_int_equal(access(lockpath, F_OK), 0);
	assert_int_equal(atomic_replace(path, "data", 4, 0644, &e), 0);
	bool gone = access(lockpath, F_OK) != 0;
	close(lock);
	rmtree(dir);
	if (gone)
		fail_msg("atomic_replace(\"%s\") deleted %s, the lock file of %s (held)", path, lockpath, sibling);
}

static void test_replace_errors(void **state)
{
	char dir[256], path[300], target[300], want[1024], text[64], names[512];
	struct perr e = { 0 };
	struct stat sb;

	(void)state;
	scratch(dir);
	/* a missing directory */
	snprintf(path, sizeof(path), "%s/no/inv.ini", dir);
	assert_int_equal(atomic_replace(path, "x", 1, 0644, &e), -1);
	assert_int_equal(e.code, EX_CANTCREAT);
	snprintf(want, sizeof(want), "%s: cannot create a temporary file in %s/no: No such file or directory", path, dir);
	assert_string_equal(e.msg, want);

	/* a symlink at the path is replaced, never written through */
	put_file(dir, "target", "precious\n", 0644);
	snprintf(target, sizeof(target), "%s/target", dir);
	snprintf(path, sizeof(path), "%s/inv.ini", dir);
	assert_int_equal(symlink(target, path), 0);
	memset(&e, 0, sizeof(e));
	assert_int_equal(atomic_replace(path, "new\n", 4, 0644, &e), 0);
	assert_int_equal(lstat(path, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	read_back(target, text, sizeof(text));
	assert_string_equal(text, "precious\n");
	read_back(path, text, sizeof(text));
	assert_string_equal(text, "new\n");

	/* a directory in the way: the error is reported and no temporary is left */
	snprintf(path, sizeof(path), "%s/sub", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	put_file(path, "f", "", 0644);
	memset(&e, 0, sizeof(e));
	assert_int_equal(atomic_replace(path, "x", 1, 0644, &e), -1);
	assert_int_equal(e.code, EX_IOERR);
	assert_int_equal(entries(dir, names, sizeof(names)), 3);
	assert_string_equal(names, "inv.ini sub target");
	rmtree(dir);
}

static void test_create(void **state)
{
	char dir[256], path[300], text[64], names[512], want[600], target[300];
	struct perr e = { 0 };
	struct stat sb;

	(void)state;
	scratch(dir);
	snprintf(path, sizeof(path), "%s/m.conf", dir);
	assert_int_equal(atomic_create(path, "first\n", 6, 0600, &e), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(sb.st_nlink, 1); /* the temporary's name is gone */
	assert_int_equal(entries(dir, names, sizeof(names)), 1);
	assert_string_equal(names, "m.conf");

	assert_int_equal(atomic_create(path, "second\n", 7, 0644, &e), -1);
	assert_int_equal(e.code, EX_CANTCREAT);
	snprintf(want, sizeof(want), "%s: already exists, and is never overwritten", path);
	assert_string_equal(e.msg, want);
	read_back(path, text, sizeof(text));
	assert_string_equal(text, "first\n");
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600); /* untouched, mode too */
	assert_int_equal(entries(dir, NULL, 0), 1);  /* no temporary left behind */

	/* a dangling symlink counts as existing: never created through */
	snprintf(path, sizeof(path), "%s/l.conf", dir);
	snprintf(target, sizeof(target), "%s/elsewhere", dir);
	assert_int_equal(symlink(target, path), 0);
	memset(&e, 0, sizeof(e));
	assert_int_equal(atomic_create(path, "x", 1, 0644, &e), -1);
	assert_int_equal(e.code, EX_CANTCREAT);
	assert_int_equal(access(target, F_OK), -1);
	assert_int_equal(entries(dir, NULL, 0), 2);
	rmtree(dir);
}

/* Can another process take the OFD lock on path right now? (0 yes, 1 no) */
static int other_can_lock(const char *path)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
		int fd = open(path, O_RDWR);
		_exit(fd >= 0 && fcntl(fd, F_OFD_SETLK, &fl) == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_file_lock(void **state)
{
	char dir[256], path[300], lockpath[400], want[1024];
	struct perr e = { 0 };
	struct stat sb;
	int lock, status;
	pid_t pid;

	(void)state;
	scratch(dir);
	/* the directory is made (one level) if missing */
	snprintf(path, sizeof(path), "%s/var/inventory.ini", dir);
	lock = file_lock(path, &e);
	assert_true(lock >= 0);
	snprintf(lockpath, sizeof(lockpath), "%s/var/.inventory.ini.lock", dir);
	assert_int_equal(stat(lockpath, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(access(path, F_OK), -1); /* the file itself is not created */

	/* held: another process cannot take it... */
	assert_int_equal(other_can_lock(lockpath), 1);
	/* ...nor can this one through another open file */
	{
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
		int fd = open(lockpath, O_RDWR);
		assert_int_equal(fcntl(fd, F_OFD_SETLK, &fl), -1);
		close(fd);
	}
	/* closing the descriptor releases it: a child then takes it with file_lock */
	close(lock);
	assert_int_equal(other_can_lock(lockpath), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct perr ce = { 0 };
		int fd = file_lock(path, &ce);
		_exit(fd >= 0 && other_can_lock(lockpath) == 1 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* the child's exit released it */
	lock = file_lock(path, &e);
	assert_true(lock >= 0);
	close(lock);

	/* two levels missing: an error naming the directory */
	snprintf(path, sizeof(path), "%s/a/b/inventory.ini", dir);
	memset(&e, 0, sizeof(e));
	assert_int_equal(file_lock(path, &e), -1);
	assert_int_equal(e.code, EX_CANTCREAT);
	snprintf(want, sizeof(want), "%s/a/b: No such file or directory", dir);
	assert_string_equal(e.msg, want);

	/* a symlink planted as the lock file is not followed */
	snprintf(path, sizeof(path), "%s/p.prom", dir);
	snprintf(lockpath, sizeof(lockpath), "%s/.p.prom.lock", dir);
	assert_int_equal(symlink("/etc/passwd", lockpath), 0);
	memset(&e, 0, sizeof(e));
	assert_int_equal(file_lock(path, &e), -1);
	assert_int_equal(e.code, EX_OSERR);
	rmtree(dir);
}

static void test_lock_open(void **state)
{
	char dir[256], path[300];
	struct perr e = { 0 };
	struct stat sb;
	int fd, fd2;

	(void)state;
	scratch(dir);
	snprintf(path, sizeof(path), "%s/claim", dir);
	fd = lock_open(path, &e);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0); /* inherited across exec */
	assert_int_equal(fstat(fd, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	/* a second open file loses at once, even in this process */
	assert_int_equal(lock_open(path, &e), -2);
	assert_int_equal(e.code, 0); /* losing a race is not an error */
	assert_int_equal(other_can_lock(path), 1);
	close(fd);
	fd2 = lock_open(path, &e);
	assert_true(fd2 >= 0);
	close(fd2);
	/* never through a symlink */
	snprintf(path, sizeof(path), "%s/link", dir);
	assert_int_equal(symlink("claim", path), 0);
	assert_int_equal(lock_open(path, &e), -1);
	assert_int_equal(e.code, EX_CANTCREAT);
	rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replace),
		cmocka_unit_test(test_sweep_spares_others),
		cmocka_unit_test(test_sweep_spares_sibling_lock),
		cmocka_unit_test(test_replace_errors),
		cmocka_unit_test(test_create),
		cmocka_unit_test(test_file_lock),
		cmocka_unit_test(test_lock_open),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
