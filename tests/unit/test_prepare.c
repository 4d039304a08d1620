/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_prepare.c - what the launcher does to the host before the drop, on a scratch tree:
 * nothing is chowned, chmodded or created through a symlink; the state directory is refused
 * when someone else could write in it; the endpoints stay root's. Needs root (chown). */
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "cm.h"
#include "claim.h"
#include "prepare.h"

static const struct vm_user vm_uid = { "dynamic", true, 1879048777, 1879048777, 0, { 0 } };

static bool root(void)
{
	if (geteuid() == 0)
		return true;
	print_message("SKIP: needs root (chown)\n");
	return false;
}

static void test_vfio_handover_no_symlink(void **state)
{
	char dir[256], vfio[300], path[400], target[400];
	struct perr e = { 0 };
	struct stat sb;

	(void)state;
	if (!root())
		skip();
	scratch(dir);
	snprintf(vfio, sizeof(vfio), "%s/vfio", dir);
	assert_int_equal(mkdir(vfio, 0755), 0);
	/* a symlink in place of the group node: whatever it points at stays as it was */
	snprintf(target, sizeof(target), "%s/precious", dir);
	assert_int_equal(close(open(target, O_CREAT | O_WRONLY, 0644)), 0);
	snprintf(path, sizeof(path), "%s/7", vfio);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(vfio_handover(dir, 7, &vm_uid, &e), -1);
	assert_non_null(strstr(e.msg, "not a VFIO device node"));
	assert_int_equal(stat(target, &sb), 0);
	assert_int_equal(sb.st_uid, 0);
	assert_int_equal(sb.st_mode & 07777, 0644);
	assert_int_equal(lstat(path, &sb), 0);
	assert_int_equal(sb.st_uid, 0);
	/* a real node: to the VM's identity, 0600; and back to root */
	snprintf(path, sizeof(path), "%s/8", vfio);
	assert_int_equal(close(open(path, O_CREAT | O_WRONLY, 0666)), 0);
	memset(&e, 0, sizeof(e));
	assert_int_equal(vfio_handover(dir, 8, &vm_uid, &e), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_uid, vm_uid.uid);
	assert_int_equal(sb.st_mode & 07777, 0600);
	/* what a dead VM of that uid was handed goes back; a symlink is not followed */
	assert_int_equal(lchown(vfio, 0, 0), 0);
	snprintf(path, sizeof(path), "%s/9", vfio);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(chown(target, vm_uid.uid, vm_uid.gid), 0);
	assert_int_equal(vfio_takeback_uid(dir, vm_uid.uid), 0);
	snprintf(path, sizeof(path), "%s/8", vfio);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_uid, 0);
	assert_int_equal(stat(target, &sb), 0);
	assert_int_equal(sb.st_uid, vm_uid.uid); /* only reachable through the symlink: untouched */
	rmtree(dir);
}

static void test_state_check(void **state)
{
	char dir[256], st[300], sub[400], other[400];
	struct perr e = { 0 };

	(void)state;
	if (!root())
		skip();
	scratch(dir);
	snprintf(st, sizeof(st), "%s/run", dir);
	assert_int_equal(state_check(st, &e), 0);
	snprintf(sub, sizeof(sub), "%s/claims", st);
	struct stat sb;
	assert_int_equal(stat(sub, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0700);
	/* a subdirectory others may write in */
	assert_int_equal(chmod(sub, 0777), 0);
	assert_int_equal(state_check(st, &e), -1);
	assert_int_equal(e.code, EX_CONFIG);
	assert_non_null(strstr(e.msg, "writable by group or others"));
	assert_int_equal(chmod(sub, 0700), 0);
	/* a subdirectory owned by someone else */
	memset(&e, 0, sizeof(e));
	snprintf(sub, sizeof(sub), "%s/vms", st);
	assert_int_equal(chown(sub, 1879048777, 0), 0);
	assert_int_equal(state_check(st, &e), -1);
	assert_non_null(strstr(e.msg, "owned by uid 1879048777"));
	assert_int_equal(chown(sub, 0, 0), 0);
	/* a symlink in place of a subdirectory, even to a good one */
	memset(&e, 0, sizeof(e));
	snprintf(sub, sizeof(sub), "%s/ids", st);
	snprintf(other, sizeof(other), "%s/elsewhere", dir);
	assert_int_equal(mkdir(other, 0700), 0);
	assert_int_equal(rmdir(sub), 0);
	assert_int_equal(symlink(other, sub), 0);
	assert_int_equal(state_check(st, &e), -1);
	assert_non_null(strstr(e.msg, "not a directory"));
	assert_int_equal(unlink(sub), 0);
	/* the state directory under a directory others may write in */
	memset(&e, 0, sizeof(e));
	assert_int_equal(chmod(dir, 0777), 0);
	assert_int_equal(state_check(st, &e), -1);
	assert_int_equal(e.code, EX_CONFIG);
	assert_int_equal(chmod(dir, 0755), 0);
	memset(&e, 0, sizeof(e));
	assert_int_equal(state_check(st, &e), 0);
	rmtree(dir);
}

static void test_sock_listen(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[256], path[300];
	struct perr e = { 0 };
	struct stat sb;
	int fd, c;

	(void)state;
	scratch(dir);
	snprintf(path, sizeof(path), "%s/vm.qmp", dir);
	/* a dead VM's socket is replaced */
	assert_int_equal(close(open(path, O_CREAT | O_WRONLY, 0644)), 0);
	fd = sock_listen(path, &e);
	assert_true(fd >= 0);
	assert_int_equal(lstat(path, &sb), 0);
	assert_true(S_ISSOCK(sb.st_mode));
	assert_int_equal(sb.st_uid, geteuid()); /* the launcher's, never the VM's */
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC); /* only through the hand-over table */
	assert_true(strlen(path) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(connect(c, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(c);
	close(fd);
	rmtree(dir);
}

static void test_name_lock(void **state)
{
	char dir[256];
	struct perr e = { 0 };
	int fd;

	(void)state;
	scratch(dir);
	fd = name_lock(dir, "vm-1", 2048, 3, &e);
	assert_true(fd >= 0);
	{ /* what --status and --attach read back */
		struct claim_info ci;
		char vms[300];

		snprintf(vms, sizeof(vms), "%s/vms", dir);
		assert_int_equal(lease_inspect(vms, "vm-1.lock", &ci, &e), 0);
		assert_true(ci.held);
		assert_int_equal(ci.memory_mib, 2048);
		assert_int_equal(ci.slots, 3);
		assert_string_equal(ci.vm, "vm-1");
	}
	assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	assert_false(fcntl(fd, F_GETFD) & FD_CLOEXEC); /* QEMU inherits it */
	assert_int_equal(name_lock(dir, "vm-1", 2048, 0, &e), -2);
	close(fd);
	/* this process is alive and recorded: still taken once the lock is gone */
	assert_int_equal(name_lock(dir, "vm-1", 2048, 0, &e), -2);
	rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vfio_handover_no_symlink),
		cmocka_unit_test(test_state_check),
		cmocka_unit_test(test_sock_listen),
		cmocka_unit_test(test_name_lock),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
