/* test_claim.c - claims: their text, and inspecting them without ever taking them. */
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include "cm.h"
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

/* The launcher's two halves: what an earlier holder left is told, and ours replaces it. */
static void test_lock_and_write(void **state)
{
	char dir[256], claims[300], path[400], text[256];
	struct claim_info old, ci;
	struct perr e = { 0 };
	struct stat a, b;
	int fd, fd2;
	FILE *f;
	size_t n;

	(void)state;
	scratch(dir);
	snprintf(claims, sizeof(claims), "%s/claims", dir);
	/* nothing there: created, nothing inherited */
	fd = claim_lock(dir, "0000:3b:00.0", &old, path, sizeof(path), &e);
	assert_true(fd >= 0);
	assert_false(old.exists);
	assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	assert_int_equal(claim_lock(dir, "0000:3b:00.0", &old, text, sizeof(text), &e), -2);
	/* a longer old claim is overwritten and cut to the new length */
	put_file(claims, "0000:3b:00.0", "vm=a-very-long-vm-name\npid=4242\norig_driver=npudrv\nmodel=Atlas-800\n", 0600);
	assert_int_equal(claim_write(fd, path, "b", "x", "M", &e), 0);
	close(fd);
	f = fopen(path, "r");
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	char want[128];
	snprintf(want, sizeof(want), "vm=b\npid=%ld\norig_driver=x\nmodel=M\n", (long)getpid());
	assert_string_equal(text, want);

	/* a dead VM's whole claim: told, with its original driver */
	put_file(claims, "0000:3b:00.0", "vm=dead\npid=4242\norig_driver=npudrv\nmodel=Atlas-800\n", 0600);
	fd = claim_lock(dir, "0000:3b:00.0", &old, path, sizeof(path), &e);
	assert_true(fd >= 0);
	assert_true(old.exists && !old.unreadable);
	assert_string_equal(old.vm, "dead");
	assert_int_equal(old.pid, 4242);
	assert_string_equal(old.orig_driver, "npudrv");
	close(fd);
	/* cut short (a launcher killed between lock and write), or without vm and pid: unreadable */
	static const char *const cut[] = { "vm=a\npi", "orig_driver=npudrv\n", "vm=a\n" };
	for (size_t i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
		put_file(claims, "0000:3b:00.0", cut[i], 0600);
		fd = claim_lock(dir, "0000:3b:00.0", &old, path, sizeof(path), &e);
		assert_true(fd >= 0);
		assert_true(old.exists && old.unreadable);
		assert_string_equal(old.orig_driver, "");
		close(fd);
	}
	/* an empty file is no claim */
	put_file(claims, "0000:3b:00.0", "", 0600);
	fd = claim_lock(dir, "0000:3b:00.0", &old, path, sizeof(path), &e);
	assert_true(fd >= 0);
	assert_false(old.exists);
	close(fd);

	/* removed under its holder's lock (release, undo): the next one locks the new file, not
	 * the unlinked one, and so does whoever comes after it */
	fd = claim_lock(dir, "0000:af:00.0", &old, path, sizeof(path), &e);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &a), 0);
	assert_int_equal(unlink(path), 0);
	fd2 = claim_lock(dir, "0000:af:00.0", &old, path, sizeof(path), &e);
	assert_true(fd2 >= 0);
	assert_int_equal(fstat(fd2, &b), 0);
	assert_true(a.st_ino != b.st_ino);
	assert_int_equal(stat(path, &a), 0);
	assert_true(a.st_ino == b.st_ino);
	assert_int_equal(claim_inspect(dir, "0000:af:00.0", &ci, &e), 0);
	assert_true(ci.held);
	close(fd);
	close(fd2);
	rmtree(dir);
}

static void test_parse_more(void **state)
{
	static const struct { const char *text, *msg; } bad[] = {
		{ "pid=4194305\n", "c:1: pid: expected a process id, got \"4194305\" (too large)" },
		{ "pid=-1\n", "c:1: pid: expected a process id, got \"-1\" (not a number)" },
		{ "pid=12x\n", "c:1: pid: expected a process id, got \"12x\" (not a number)" },
		{ "pid=\n", "c:1: pid: expected a process id, got \"\" (not a number)" },
		{ "vm=\n", "c:1: vm: expected 1-64 characters of A-Z a-z 0-9 . _ -, got \"\"" },
		{ "vm=a b\n", "c:1: vm: expected 1-64 characters of A-Z a-z 0-9 . _ -, got \"a b\"" },
		{ "vm=a\nvm=b\n", "c:2: vm: given twice in [claim]" },
		{ "vm=a\nuser=root\n", "c:2: unknown key \"user\" in [claim]" },
		{ "orig_driver=a/b\n", "c:1: orig_driver: expected 1-63 characters of A-Z a-z 0-9 . _ -, got \"a/b\"" },
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
	/* the bounds of a pid, and the longest VM name */
	memset(vm64, 'v', 64);
	vm64[64] = '\0';
	snprintf(text, sizeof(text), "vm = %s\npid = 1\norig_driver = nvidia\nmodel = M\n", vm64);
	memset(&ci, 0, sizeof(ci));
	memset(&e, 0, sizeof(e));
	assert_int_equal(claim_parse(text, strlen(text), "c", &ci, &e), 0);
	assert_string_equal(ci.vm, vm64);
	assert_int_equal(ci.pid, 1);
	assert_string_equal(ci.orig_driver, "nvidia");
	assert_string_equal(ci.model, "M");
	assert_int_equal(claim_parse("pid=4194304\n", 12, "c", &ci, &e), 0);
	assert_int_equal(ci.pid, 4194304);
	/* a 65-character name is refused */
	snprintf(text, sizeof(text), "vm=%sv\n", vm64);
	assert_int_equal(claim_parse(text, strlen(text), "c", &ci, &e), -1);
	/* the order of the lines does not matter; comments are fine */
	memset(&ci, 0, sizeof(ci));
	memset(&e, 0, sizeof(e));
	assert_int_equal(claim_parse("; c\nmodel=X\norig_driver=\npid=77\nvm=w\n", 37, "c", &ci, &e), 0);
	assert_string_equal(ci.vm, "w");
	assert_int_equal(ci.pid, 77);
	assert_string_equal(ci.orig_driver, "");
}

static int claims_dir(char dir[256], char claims[300])
{
	scratch(dir);
	snprintf(claims, 300, "%s/claims", dir);
	return mkdir(claims, 0700);
}

/* Hold a lock on dir/claims/addr through a new open file description: an OFD lock (ofd) or a
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
	rmtree(dir);

	assert_int_equal(claims_dir(dir, claims), 0);
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
		char c;
		close(p[1]);
		fd = hold(claims, "0000:3b:00.0", F_SETLK, F_WRLCK);
		(void)!read(p[0], &c, 1); /* until the parent closes its end */
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
	char dir[256], claims[300];
	struct seen_claims s = { 0 };
	struct perr e = { 0 };
	int fds[4];

	(void)state;
	/* no claims directory: nothing to visit, no error */
	scratch(dir);
	assert_int_equal(claim_each_held(dir, record, &s, &e), 0);
	assert_int_equal(s.n, 0);
	rmtree(dir);

	assert_int_equal(claims_dir(dir, claims), 0);
	put_file(claims, "0000:3b:00.0", "vm=vm-a\npid=1\n", 0600);   /* held */
	put_file(claims, "0000:af:00.0", "vm=vm-b\npid=2\n", 0600);   /* stale */
	put_file(claims, "0000:d8:00.1", "vm=vm-c\npid=3\n", 0600);   /* held */
	put_file(claims, "0000:AF:00.1", "vm=vm-d\npid=4\n", 0600);   /* held, not a canonical name */
	put_file(claims, "af:00.2", "vm=vm-e\npid=5\n", 0600);        /* held, short form */
	put_file(claims, ".0000:af:00.3.tmp", "vm=vm-f\n", 0600);
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
	assert_int_equal(claims_dir(dir, claims), 0);
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
		cmocka_unit_test(test_inspect),
		cmocka_unit_test(test_take),
		cmocka_unit_test(test_lock_and_write),
		cmocka_unit_test(test_parse_more),
		cmocka_unit_test(test_inspect_more),
		cmocka_unit_test(test_each_held),
		cmocka_unit_test(test_claims_of),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
