/* SPDX-License-Identifier: GPL-2.0-or-later */
/* prepare.c - SPEC steps 6 and 7: the process QEMU will be, made ready, then unprivileged. */
#include "prepare.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "claim.h"
#include "trust.h"

int vms_path(char *buf, size_t size, const char *state_dir, const char *vm, const char *suffix,
	     struct perr *e)
{
	if (xsnprintf(buf, size, "%s/vms/%s.%s", state_dir, vm, suffix) < 0)
		return fail(e, EX_CONFIG, "state_dir too long");
	return 0;
}

/* dir made if missing (mode), then checked: a directory, not a symlink, the config's trust. */
static int state_sub(const char *dir, mode_t mode, struct perr *e)
{
	struct stat sb;

	if (mkdir(dir, mode) < 0 && errno != EEXIST)
		return fail_errno(e, EX_CANTCREAT, "%s", dir);
	if (lstat(dir, &sb) < 0)
		return fail_errno(e, EX_OSERR, "%s", dir);
	if (!S_ISDIR(sb.st_mode))
		return fail(e, EX_CONFIG, "%s: refusing it: not a directory", dir);
	return trust_check(&sb, dir, e);
}

static const struct { const char *name; mode_t mode; } state_subs[] = {
	{ "claims", 0700 }, { "vms", 0755 }, { "ids", 0700 },
};

int state_check(const char *state_dir, struct perr *e)
{
	char dir[600];

	if (mkdir(state_dir, 0755) < 0 && errno != EEXIST)
		return fail_errno(e, EX_CANTCREAT, "%s", state_dir);
	if (trust_path(state_dir, e) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(state_subs) / sizeof(state_subs[0]); i++)
		if (xsnprintf(dir, sizeof(dir), "%s/%s", state_dir, state_subs[i].name) < 0 ||
		    state_sub(dir, state_subs[i].mode, e) < 0)
			return e->code ? -1 : fail(e, EX_CONFIG, "state_dir too long");
	return 0;
}

/* A state_dir that is not there yet: mkdir would make it root's in its parent, and trust_path
 * would then judge the parent and every directory above as ancestors (a sticky /tmp passes). */
static int state_parent_verify(const char *state_dir, struct perr *e)
{
	char parent[600], real[PATH_MAX], *slash;
	struct stat sb;

	if (xsnprintf(parent, sizeof(parent), "%s", state_dir) < 0)
		return fail(e, EX_CONFIG, "state_dir too long");
	slash = strrchr(parent, '/');
	if (slash == NULL)
		return fail(e, EX_CONFIG, "%s: expected an absolute path", state_dir);
	slash[slash == parent] = '\0';
	if (realpath(parent, real) == NULL || stat(real, &sb) < 0)
		return fail_errno(e, EX_CANTCREAT, "%s: cannot be made: %s", state_dir, parent);
	if (!S_ISDIR(sb.st_mode))
		return fail(e, EX_CANTCREAT, "%s: cannot be made: %s is not a directory", state_dir, parent);
	if (!(sb.st_mode & S_ISVTX) || strcmp(real, "/") == 0)
		return trust_path(real, e);
	/* sticky: only its owner matters here, then what is above it */
	if (sb.st_uid != 0 && sb.st_uid != geteuid())
		return trust_check(&sb, real, e);
	slash = strrchr(real, '/');
	slash[slash == real] = '\0';
	return trust_path(real, e);
}

int state_verify(const char *state_dir, struct perr *e)
{
	char dir[600];
	struct stat sb;

	if (lstat(state_dir, &sb) < 0 && errno == ENOENT)
		return state_parent_verify(state_dir, e);
	if (trust_path(state_dir, e) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(state_subs) / sizeof(state_subs[0]); i++) {
		if (xsnprintf(dir, sizeof(dir), "%s/%s", state_dir, state_subs[i].name) < 0)
			return fail(e, EX_CONFIG, "state_dir too long");
		if (lstat(dir, &sb) < 0) {
			if (errno == ENOENT)
				continue; /* it would be made */
			return fail_errno(e, errno == ENOTDIR ? EX_CANTCREAT : EX_OSERR, "%s", dir);
		}
		if (!S_ISDIR(sb.st_mode))
			return fail(e, EX_CONFIG, "%s: refusing it: not a directory", dir);
		if (trust_check(&sb, dir, e) < 0)
			return -1;
	}
	return 0;
}

int name_lock(const char *state_dir, const char *vm, unsigned long long memory_mib, int slots,
	      struct perr *e)
{
	struct claim_info rec, old;
	char dir[512], name[VM_NAME_MAX + 8];

	if (xsnprintf(dir, sizeof(dir), "%s/vms", state_dir) < 0 ||
	    xsnprintf(name, sizeof(name), "%s.lock", vm) < 0)
		return fail(e, EX_CONFIG, "state_dir too long");
	lease_record(&rec, vm);
	rec.memory_mib = (long long)memory_mib;
	rec.slots = slots;
	return lease_take(dir, name, &rec, &old, e);
}

int sock_listen(const char *path, struct perr *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t old;
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return fail(e, EX_CONFIG, "%s: too long for a socket path", path);
	strcpy(sa.sun_path, path);
	/* under the name lock, whatever is at the path is a dead VM's socket */
	if (unlink(path) < 0 && errno != ENOENT)
		return fail_errno(e, EX_CANTCREAT, "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail_errno(e, EX_OSERR, "socket");
	old = umask(0177); /* born 0600 and root's: no window where others may connect */
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(fd, 4) < 0) {
		fail_errno(e, EX_OSERR, "%s", path);
		close(fd);
		unlink(path);
		return -1;
	}
	return fd;
}

/* Empty the directory dirfd (one level: QEMU makes a socket there, nothing deeper). */
static void empty_dir(int dfd)
{
	DIR *dp = fdopendir(dfd);
	struct dirent *d;

	if (dp == NULL) {
		close(dfd);
		return;
	}
	while ((d = readdir(dp)) != NULL)
		if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0)
			unlinkat(dirfd(dp), d->d_name, 0);
	closedir(dp);
}

void vnc_dir_remove(const char *state_dir, const char *vm)
{
	struct perr ignore = { 0 };
	char path[600];
	int dfd;

	if (vms_path(path, sizeof(path), state_dir, vm, "vnc", &ignore) < 0)
		return;
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd >= 0)
		empty_dir(dfd);
	rmdir(path);
}

int vnc_dir(const char *state_dir, const char *vm, const struct vm_user *u, struct perr *e)
{
	char path[600];

	if (vms_path(path, sizeof(path), state_dir, vm, "vnc", e) < 0)
		return -1;
	vnc_dir_remove(state_dir, vm);
	if (mkdir(path, 0700) < 0 || fchownat(AT_FDCWD, path, u->uid, u->gid, AT_SYMLINK_NOFOLLOW) < 0) {
		fail_errno(e, EX_CANTCREAT, "%s", path);
		rmdir(path);
		return -1;
	}
	return 0;
}

static int vfio_path(char *buf, size_t size, const char *dev_root, int group, struct perr *e)
{
	if (xsnprintf(buf, size, "%s/vfio/%d", dev_root, group) < 0)
		return fail(e, EX_CONFIG, "dev_root too long");
	return 0;
}

int vfio_handover(const char *dev_root, int group, const struct vm_user *u, struct perr *e)
{
	char path[512], self[64];
	struct stat sb;
	int fd;

	if (vfio_path(path, sizeof(path), dev_root, group, e) < 0)
		return -1;
	/* the node itself, never what a symlink in its place points at: O_PATH|O_NOFOLLOW gives
	 * the link if there is one, and fstat says so */
	fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return fail_errno(e, EX_OSERR, "%s", path);
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	if (fstat(fd, &sb) < 0 || !(S_ISCHR(sb.st_mode) || S_ISREG(sb.st_mode))) {
		close(fd);
		return fail(e, EX_OSERR, "%s: not a VFIO device node", path);
	}
	if (fchownat(fd, "", u->uid, u->gid, AT_EMPTY_PATH) < 0 || chmod(self, 0600) < 0) {
		fail_errno(e, EX_OSERR, "%s", path);
		close(fd);
		return -1;
	}
	close(fd);
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

int limits_set(unsigned long long memory_mib, bool need_memlock, unsigned long long *memlock_mib,
	       struct perr *e)
{
	struct rlimit mem = { .rlim_cur = (rlim_t)(memory_mib + 1024) << 20 };
	struct rlimit core = { 0, 0 };

	mem.rlim_max = mem.rlim_cur;
	if (setrlimit(RLIMIT_MEMLOCK, &mem) < 0 && (errno != EPERM || need_memlock))
		return fail_errno(e, EX_OSERR, "RLIMIT_MEMLOCK to %llu MiB", memory_mib + 1024);
	if (setrlimit(RLIMIT_CORE, &core) < 0)
		return fail_errno(e, EX_OSERR, "RLIMIT_CORE");
	if (getrlimit(RLIMIT_MEMLOCK, &mem) < 0)
		return fail_errno(e, EX_OSERR, "RLIMIT_MEMLOCK");
	*memlock_mib = mem.rlim_cur == RLIM_INFINITY ? ~0ULL : (unsigned long long)mem.rlim_cur >> 20;
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

int fds_arrange(const struct handover *h, struct perr *e)
{
	int high[HANDOVER_MAX];
	int top = HANDOVER_FIRST + (int)h->n;

	/* first above the target range (so that no source is overwritten), then into place */
	for (size_t i = 0; i < h->n; i++) {
		const struct fd_entry *f = &h->e[i];
		int fl = fcntl(f->src, F_GETFL);

		if (fl < 0)
			return fail_errno(e, EX_SOFTWARE, "%s: not open", f->why);
		if (f->rdonly && (fl & O_ACCMODE) != O_RDONLY)
			return fail(e, EX_SOFTWARE, "%s: open for writing, but QEMU may only read it", f->why);
		if ((high[i] = fcntl(f->src, F_DUPFD_CLOEXEC, top)) < 0)
			return fail_errno(e, EX_OSERR, "fcntl F_DUPFD");
	}
	for (size_t i = 0; i < h->n; i++)
		if (dup2(high[i], h->e[i].target) < 0) /* dup2's copy is not close-on-exec */
			return fail_errno(e, EX_OSERR, "dup2");
	if (close_range((unsigned)top, ~0U, 0) < 0)
		return fail_errno(e, EX_OSERR, "close_range");
	return 0;
}

int detach(struct perr *e)
{
	int fd;

	/* a new session has no controlling terminal; a process-group leader (a shell's job)
	 * cannot make one, so it lets go of the terminal instead */
	if (setsid() < 0) {
		fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (fd >= 0) {
			int r = ioctl(fd, TIOCNOTTY);
			close(fd);
			if (r < 0)
				return fail_errno(e, EX_OSERR, "TIOCNOTTY");
		} else if (errno != ENXIO) {
			return fail_errno(e, EX_OSERR, "/dev/tty");
		}
	}
	if (chdir("/") < 0)
		return fail_errno(e, EX_OSERR, "chdir /");
	fd = open("/dev/null", O_RDONLY | O_NOCTTY);
	if (fd < 0 || (fd != STDIN_FILENO && (dup2(fd, STDIN_FILENO) < 0 || close(fd) < 0)))
		return fail_errno(e, EX_OSERR, "/dev/null");
	for (int out = STDOUT_FILENO; out <= STDERR_FILENO; out++) {
		char self[64];

		if (!isatty(out))
			continue;
		snprintf(self, sizeof(self), "/proc/self/fd/%d", out);
		fd = open(self, O_WRONLY | O_NOCTTY | O_CLOEXEC);
		if (fd < 0 || dup2(fd, out) < 0)
			return fail_errno(e, EX_OSERR, "reopening the terminal write-only");
		close(fd);
	}
	return 0;
}

int privs_groups(const struct vm_user *u, struct perr *e)
{
	if (setgroups(u->n_groups, u->groups) < 0)
		return fail_errno(e, EX_OSERR, "setgroups");
	if (setresgid(u->gid, u->gid, u->gid) < 0)
		return fail_errno(e, EX_OSERR, "setresgid %u", (unsigned)u->gid);
	return 0;
}

int privs_uid(const struct vm_user *u, struct perr *e)
{
	gid_t groups[NAME_LIST_MAX + 1];
	uid_t r, ef, s;
	gid_t rg, eg, sg;
	int n;

	if (setresuid(u->uid, u->uid, u->uid) < 0)
		return fail_errno(e, EX_OSERR, "setresuid %u", (unsigned)u->uid);
	if (getresuid(&r, &ef, &s) < 0 || r != u->uid || ef != u->uid || s != u->uid ||
	    getresgid(&rg, &eg, &sg) < 0 || rg != u->gid || eg != u->gid || sg != u->gid)
		return fail(e, EX_SOFTWARE, "the ids did not all change");
	n = getgroups(NAME_LIST_MAX + 1, groups);
	if (n < 0 || (size_t)n != u->n_groups || memcmp(groups, u->groups, (size_t)n * sizeof(gid_t)) != 0)
		return fail(e, EX_SOFTWARE, "the supplementary groups are not exactly vm_groups");
	if ((u->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) ||
	    (u->uid != 0 && u->gid != 0 && (setgid(0) == 0 || setegid(0) == 0)))
		return fail(e, EX_SOFTWARE, "root could be regained after dropping it");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return fail_errno(e, EX_OSERR, "PR_SET_NO_NEW_PRIVS");
	return 0;
}
