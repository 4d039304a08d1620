/* prepare.c - SPEC steps 6 and 7: the process QEMU will be, made ready, then unprivileged. */
#include "prepare.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "argv.h"
#include "atomic.h"

int user_resolve(const char *name, bool allow_root, struct vm_user *u, struct perr *e)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(name);
	if (pw == NULL)
		return errno ? fail_errno(e, EX_OSERR, "user %s", name)
			     : fail(e, EX_NOUSER, "no user %s (create it, or set run_as / user)", name);
	if (pw->pw_uid == 0 && !allow_root)
		return fail(e, EX_NOPERM, "user %s has uid 0; the host's allow_root_vm is false", name);
	if (xsnprintf(u->name, sizeof(u->name), "%s", name) < 0)
		return fail(e, EX_DATAERR, "user name too long");
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	return 0;
}

static int vms_path(char *buf, size_t size, const char *state_dir, const char *vm,
		    const char *suffix, struct perr *e)
{
	char dir[512];

	if (xsnprintf(dir, sizeof(dir), "%s/vms", state_dir) < 0 ||
	    xsnprintf(buf, size, "%s/%s.%s", dir, vm, suffix) < 0)
		return fail(e, EX_CONFIG, "state_dir too long");
	if (mkdir(state_dir, 0755) < 0 && errno != EEXIST)
		return fail_errno(e, EX_CANTCREAT, "%s", state_dir);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return fail_errno(e, EX_CANTCREAT, "%s", dir);
	return 0;
}

int name_lock(const char *state_dir, const char *vm, struct perr *e)
{
	char path[600];

	if (vms_path(path, sizeof(path), state_dir, vm, "lock", e) < 0)
		return -1;
	return lock_open(path, e);
}

int qmp_listen(const char *state_dir, const char *vm, const struct vm_user *u, struct perr *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char path[600];
	mode_t old;
	int fd, r;

	if (vms_path(path, sizeof(path), state_dir, vm, "qmp", e) < 0)
		return -1;
	if (strlen(path) >= sizeof(sa.sun_path))
		return fail(e, EX_CONFIG, "%s: too long for a socket path", path);
	strcpy(sa.sun_path, path);
	/* under the name lock, whatever is at the path is a dead VM's socket */
	if (unlink(path) < 0 && errno != ENOENT)
		return fail_errno(e, EX_CANTCREAT, "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail_errno(e, EX_OSERR, "socket");
	old = umask(0177); /* born 0600: no window where others may connect */
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || chown(path, u->uid, u->gid) < 0 || listen(fd, 4) < 0) {
		fail_errno(e, EX_OSERR, "%s", path);
		close(fd);
		unlink(path);
		return -1;
	}
	return fd;
}

static int vfio_path(char *buf, size_t size, const char *dev_root, int group, struct perr *e)
{
	if (xsnprintf(buf, size, "%s/vfio/%d", dev_root, group) < 0)
		return fail(e, EX_CONFIG, "dev_root too long");
	return 0;
}

int vfio_handover(const char *dev_root, int group, const struct vm_user *u, struct perr *e)
{
	char path[512];

	if (vfio_path(path, sizeof(path), dev_root, group, e) < 0)
		return -1;
	if (fchownat(AT_FDCWD, path, u->uid, u->gid, AT_SYMLINK_NOFOLLOW) < 0 ||
	    fchmodat(AT_FDCWD, path, 0600, 0) < 0)
		return fail_errno(e, EX_OSERR, "%s", path);
	return 0;
}

void vfio_takeback(const char *dev_root, int group)
{
	char path[512];
	struct perr ignore = { 0 };

	/* gone already when the device left vfio-pci: nothing to give back then */
	if (vfio_path(path, sizeof(path), dev_root, group, &ignore) == 0 &&
	    fchownat(AT_FDCWD, path, 0, 0, AT_SYMLINK_NOFOLLOW) < 0 && errno != ENOENT)
		warnx_("%s: cannot give it back to root: %s", path, strerror(errno));
}

int limits_set(unsigned long long memory_mib, bool need_memlock, bool *kept_memlock,
	       struct perr *e)
{
	struct rlimit mem = { .rlim_cur = (rlim_t)(memory_mib + 1024) << 20 };
	struct rlimit core = { 0, 0 };

	mem.rlim_max = mem.rlim_cur;
	*kept_memlock = false;
	if (setrlimit(RLIMIT_MEMLOCK, &mem) < 0) {
		if (errno != EPERM || need_memlock)
			return fail_errno(e, EX_OSERR, "RLIMIT_MEMLOCK to %llu MiB", memory_mib + 1024);
		*kept_memlock = true;
	}
	if (setrlimit(RLIMIT_CORE, &core) < 0)
		return fail_errno(e, EX_OSERR, "RLIMIT_CORE");
	umask(077);
	return 0;
}

void signals_reset(void)
{
	/* the kernel's struct sigaction: glibc's sigaction() refuses the two real-time signals it
	 * keeps for itself (32, 33), which a parent such as make may leave ignored */
	struct {
		void (*handler)(int);
		unsigned long flags;
		void (*restorer)(void);
		unsigned long mask;
	} dfl = { SIG_DFL, 0, NULL, 0 };
	sigset_t none;

	for (long sig = 1; sig <= 64; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof(dfl.mask));
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

int fds_arrange(int qmp, const int *keep, size_t n, struct perr *e)
{
	int high[2 + VM_DEV_MAX];
	size_t all = 1 + n;

	if (n > 1 + VM_DEV_MAX)
		return fail(e, EX_SOFTWARE, "too many descriptors to keep");
	/* first above the target range (so that no source is overwritten), then into place */
	for (size_t i = 0; i < all; i++) {
		high[i] = fcntl(i == 0 ? qmp : keep[i - 1], F_DUPFD_CLOEXEC, QMP_FD + (int)all);
		if (high[i] < 0)
			return fail_errno(e, EX_OSERR, "fcntl F_DUPFD");
	}
	for (size_t i = 0; i < all; i++)
		if (dup2(high[i], QMP_FD + (int)i) < 0) /* dup2's copy is not close-on-exec */
			return fail_errno(e, EX_OSERR, "dup2");
	if (close_range((unsigned)(QMP_FD + (int)all), ~0U, 0) < 0)
		return fail_errno(e, EX_OSERR, "close_range");
	return 0;
}

int privs_drop(const struct vm_user *u, struct perr *e)
{
	uid_t r, ef, s;
	gid_t rg, eg, sg;

	if (initgroups(u->name, u->gid) < 0)
		return fail_errno(e, EX_OSERR, "initgroups %s", u->name);
	if (setresgid(u->gid, u->gid, u->gid) < 0)
		return fail_errno(e, EX_OSERR, "setresgid %u", (unsigned)u->gid);
	if (setresuid(u->uid, u->uid, u->uid) < 0)
		return fail_errno(e, EX_OSERR, "setresuid %u", (unsigned)u->uid);
	if (getresuid(&r, &ef, &s) < 0 || r != u->uid || ef != u->uid || s != u->uid ||
	    getresgid(&rg, &eg, &sg) < 0 || rg != u->gid || eg != u->gid || sg != u->gid)
		return fail(e, EX_SOFTWARE, "the ids did not all change");
	if ((u->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) ||
	    (u->uid != 0 && u->gid != 0 && (setgid(0) == 0 || setegid(0) == 0)))
		return fail(e, EX_SOFTWARE, "root could be regained after dropping it");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return fail_errno(e, EX_OSERR, "PR_SET_NO_NEW_PRIVS");
	return 0;
}
