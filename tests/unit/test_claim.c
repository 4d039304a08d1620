/* test_claim.c - claims are inspected without being taken; atomic files never tear. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include "cm.h"
#include "atomic.h"
#include "claim.h"

static void test_parse(void **state)
{
	struct claim_info ci = { 0 };
	struct perr e = { 0 };
	static const char ok[] = "vm=npu-1\npid=4242\norig_driver=\nmodel=Atlas-800\n";

	(void)state;
	assert_int_equal(claim_parse(ok, strlen(ok), "c", &ci, &e), 0);
	assert_string_equal(ci.vm, "npu-1");
	assert_int_equal(ci.pid, 4242);
	assert_string_equal(ci.orig_driver, "");
	assert_string_equal(ci.model, "Atlas-800");
	assert_int_equal(claim_parse("pid=0\n", 6, "c", &ci, &e), -1);
	assert_string_equal(e.msg, "c:1: pid: expected a process id, got \"0\" (too small)");
	memset(&e, 0, sizeof(e));
	assert_int_equal(claim_parse("[s]\n", 4, "c", &ci, &e), -1);
	assert_string_equal(e.msg, "c:1: a claim has no sections");
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
	scratch(dir);
	snprintf(claims, sizeof(claims), "%s/claims", dir);
	assert_int_equal(mkdir(claims, 0700), 0);
	assert_int_equal(claim_inspect(dir, "0000:3b:00.0", &ci, &e), 0);
	assert_false(ci.exists);

	put_file(claims, "0000:3b:00.0", "vm=a\npid=7\norig_driver=nvidia\n", 0600);
	assert_int_equal(claim_inspect(dir, "0000:3b:00.0", &ci, &e), 0);
	assert_true(ci.exists);
	assert_false(ci.held);
	assert_string_equal(ci.orig_driver, "nvidia");

	/* An OFD lock taken through another open file description, as the launcher holds it */
	snprintf(path, sizeof(path), "%s/0000:3b:00.0", claims);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_OFD_SETLK, &fl), 0);
	assert_int_equal(claim_inspect(dir, "0000:3b:00.0", &ci, &e), 0);
	assert_true(ci.held);
	assert_string_equal(ci.vm, "a");
	/* inspecting took nothing: the lock is still ours alone */
	assert_int_equal(claim_inspect(dir, "0000:3b:00.0", &ci, &e), 0);
	assert_true(ci.held);

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

static void test_take(void **state)
{
	char dir[256], path[400], text[256];
	struct claim_info ci;
	struct perr e = { 0 };
	struct stat sb;
	pid_t child;
	int fd, fd2, status;
	FILE *f;
	size_t n;

	(void)state;
	scratch(dir);
	fd = claim_take(dir, "0000:3b:00.0", "vm-a", "", "Atlas-800", &e);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0); /* QEMU must inherit it */
	snprintf(path, sizeof(path), "%s/claims/0000:3b:00.0", dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	f = fopen(path, "r");
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	char want[128];
	snprintf(want, sizeof(want), "vm=vm-a\npid=%ld\norig_driver=\nmodel=Atlas-800\n", (long)getpid());
	assert_string_equal(text, want);
	/* a second claim loses, even from this process (OFD locks belong to the open file) */
	assert_int_equal(claim_take(dir, "0000:3b:00.0", "vm-b", "", "Atlas-800", &e), -2);
	assert_int_equal(claim_inspect(dir, "0000:3b:00.0", &ci, &e), 0);
	assert_true(ci.held);
	assert_string_equal(ci.vm, "vm-a");
	assert_int_equal(ci.pid, getpid());

	/* the claim goes with the descriptor across exec, and ends with the process */
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		execl("/bin/sleep", "sleep", "30", (char *)NULL);
		_exit(127);
	}
	close(fd);
	usleep(100 * 1000);
	assert_int_equal(claim_inspect(dir, "0000:3b:00.0", &ci, &e), 0);
	assert_true(ci.held);
	assert_int_equal(kill(child, SIGKILL), 0);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_int_equal(claim_inspect(dir, "0000:3b:00.0", &ci, &e), 0);
	assert_false(ci.held);
	fd2 = claim_take(dir, "0000:3b:00.0", "vm-b", "nvidia", "Atlas-800", &e);
	assert_true(fd2 >= 0);
	assert_int_equal(claim_inspect(dir, "0000:3b:00.0", &ci, &e), 0);
	assert_string_equal(ci.vm, "vm-b"); /* the old content was replaced whole */
	assert_string_equal(ci.orig_driver, "nvidia");
	close(fd2);

	/* never through a symlink planted in the claims directory */
	snprintf(path, sizeof(path), "%s/claims/0000:af:00.0", dir);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	memset(&e, 0, sizeof(e));
	assert_int_equal(claim_take(dir, "0000:af:00.0", "vm-c", "", "Atlas-800", &e), -1);
	assert_int_equal(e.code, EX_CANTCREAT);
	rmtree(dir);
}

static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += de->d_name[0] != '.' || (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."));
	closedir(d);
	return n;
}

static void test_atomic(void **state)
{
	char dir[256], path[300], text[64];
	struct perr e = { 0 };
	struct stat sb;
	FILE *f;
	int lock;
	pid_t pid;
	int status;

	(void)state;
	scratch(dir);
	snprintf(path, sizeof(path), "%s/inv.ini", dir);
	lock = file_lock(path, &e);
	assert_true(lock >= 0);
	put_file(dir, ".inv.ini.Ab12Cd", "left by a killed writer", 0600);
	assert_int_equal(atomic_replace(path, "one\n", 4, 0644, &e), 0);
	assert_int_equal(atomic_replace(path, "two\n", 4, 0640, &e), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0640);
	f = fopen(path, "r");
	assert_non_null(fgets(text, sizeof(text), f));
	fclose(f);
	assert_string_equal(text, "two\n");
	/* only the file and its lock remain: the stale temporary was swept */
	assert_int_equal(entries(dir), 2);

	/* the lock excludes another process until it is closed */
	pid = fork();
	if (pid == 0) {
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
		char lp[400];
		snprintf(lp, sizeof(lp), "%s/.inv.ini.lock", dir);
		int fd = open(lp, O_RDWR);
		_exit(fd >= 0 && fcntl(fd, F_OFD_SETLK, &fl) < 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
	close(lock);
	lock = file_lock(path, &e);
	assert_true(lock >= 0);
	close(lock);

	assert_int_equal(atomic_create(path, "three\n", 6, 0644, &e), -1);
	assert_int_equal(e.code, EX_CANTCREAT);
	f = fopen(path, "r");
	assert_non_null(fgets(text, sizeof(text), f));
	fclose(f);
	assert_string_equal(text, "two\n"); /* never overwritten */
	snprintf(path, sizeof(path), "%s/new.conf", dir);
	memset(&e, 0, sizeof(e));
	assert_int_equal(atomic_create(path, "x\n", 2, 0644, &e), 0);
	assert_int_equal(entries(dir), 3);
	rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_inspect),
		cmocka_unit_test(test_take),
		cmocka_unit_test(test_atomic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
