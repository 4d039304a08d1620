/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qemu_attack.c - test helper: a compromised QEMU. pcipass-run execs it with QEMU's argv, under
 * the real privilege drop and seccomp filter, and it tries every way out that SPEC "Isolation"
 * closes (tests/t-isolation.sh). Every attack is harmless to the host when it works: it reads,
 * writes back what it read, sends signal 0 or SIGCONT, writes zero bytes, truncates to the
 * current size; only a test's marker command is ever injected into a terminal.
 *
 * stdout: "ready" once set up, then one line per attack, "attack NAME blocked|OPEN|ERROR DETAIL",
 * then "done"; "note ..." lines say what was found. OPEN: the attack worked, or was stopped in a
 * way the contract does not allow (killed where an errno is due). With -S in argv it then stays
 * up until killed, as a paused VM would.
 *
 * It runs with a clean environment under an unprivileged id, so it takes its orders from
 * attack.targets beside its own executable (a test copies it into its temp tree), one per line:
 *   wait NAME              VM NAME waits for a file "go" beside it before attacking
 *   file NAME|* LABEL PATH VM NAME (or every VM) must not be able to open PATH
 *   inject NAME PATH       VM NAME types "touch PATH" into its terminal with TIOCSTI
 *   unlock NAME            VM NAME drops every lock it holds on a lease or claim, last
 *   peer NAME              VM NAME is one to attack (another test's VMs are left alone)
 * Everything else comes from argv and /proc: its name (-name guest=NAME), the state directory
 * (where its QMP socket is bound), the other VMs' processes (whose argv has -name guest=NAME). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PEERS_MAX 16
#define LEASES_MAX 80
#define TARGETS_MAX 32

struct peer {
	pid_t pid;
	char name[80];
};

struct lease {
	int fd;
	char rel[256]; /* its path under the state directory */
};

struct target {
	char who[80], label[64], path[512];
};

static char me[80], state_dir[512], here[512];
static char vnc_path[256];
static struct lease leases[LEASES_MAX];
static size_t n_leases;
static struct target files[TARGETS_MAX];
static size_t n_files;
static char inject_path[512];
static char peer_names[PEERS_MAX][80];
static size_t n_peer_names;
static bool wait_go, unlock;
static pid_t caller; /* who exec'd it: pcipass-run's parent (each attack runs in a child) */

/* Cut to size: what it copies (names, paths from argv and /proc) is bounded by the test. */
static void copy(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static const char *err(int e)
{
	const char *s = strerrorname_np(e);
	return s ? s : "errno?";
}

/* An attack, run in a child of its own: a filter that kills (SIGSYS) then ends only that child,
 * and the next attack still runs. fn returns true when the attack worked (OPEN) and says how in
 * d. kill_ok: being killed counts as blocked (else the contract wants an errno there). */
typedef bool attack_fn(char *d, size_t n, const void *arg);

static void attack(const char *name, attack_fn *fn, const void *arg, bool kill_ok)
{
	int st;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		char d[400] = "";
		bool open = fn(d, sizeof(d), arg);

		printf("attack %s %s %s\n", name, open ? "OPEN" : "blocked", d);
		fflush(stdout);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0) {
		printf("attack %s ERROR fork/wait: %s\n", name, err(errno));
	} else if (WIFSIGNALED(st)) {
		printf("attack %s %s killed by signal %d%s\n", name, kill_ok ? "blocked" : "OPEN",
		       WTERMSIG(st), kill_ok ? "" : " (QEMU probes this: the filter must answer with an errno)");
	} else if (WEXITSTATUS(st) != 0) {
		printf("attack %s ERROR child exit %d\n", name, WEXITSTATUS(st));
	}
	fflush(stdout);
}

/* A call made with arguments the kernel itself refuses with `kernel` (EBADF, say: descriptor
 * 999 is never open here): that answer means the filter let the call through. */
static bool reached(char *d, size_t n, long r, int kernel)
{
	int e = errno;

	if (r >= 0) {
		snprintf(d, n, "succeeded (%ld)", r);
		return true;
	}
	snprintf(d, n, "%s%s", err(e), e == kernel ? ": the kernel's own answer, the filter let it through" : "");
	return e == kernel;
}

/* Success is the attack working; any error is the attack refused. */
static bool worked(char *d, size_t n, long r, const char *what)
{
	if (r >= 0) {
		snprintf(d, n, "%s", what);
		return true;
	}
	snprintf(d, n, "%s", err(errno));
	return false;
}

/* ---- the terminal: no way back to the caller ---- */

static bool a_ctty(char *d, size_t n, const void *arg)
{
	char buf[1024], *p;
	int tty = -1;
	FILE *f = fopen("/proc/self/stat", "r");

	(void)arg;
	if (f && fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
		sscanf(p + 2, "%*c %*d %*d %*d %d", &tty); /* state ppid pgrp session tty_nr */
	if (f)
		fclose(f);
	snprintf(d, n, "tty_nr=%d sid=%ld pgid=%ld caller %ld", tty, (long)getsid(0), (long)getpgid(0),
		 (long)caller);
	return tty != 0;
}

static bool a_devtty(char *d, size_t n, const void *arg)
{
	(void)arg;
	return worked(d, n, open("/dev/tty", O_RDWR | O_CLOEXEC), "opened the controlling terminal");
}

/* On /dev/null the kernel answers ENOTTY: then the filter let the ioctl through, and only the
 * terminal's own rules stand between the VM and the caller's input. Nothing is injected. */
static bool a_ioctl_filter(char *d, size_t n, const void *arg)
{
	unsigned long req = *(const unsigned long *)arg;
	char c = req == TIOCLINUX ? 6 /* TIOCL_GETSHIFTSTATE: a read */ : ' ';
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	return reached(d, n, ioctl(fd, req, &c), ENOTTY);
}

static void inject_into(int fd, char *d, size_t n)
{
	char line[600];
	size_t done = 0;

	snprintf(line, sizeof(line), "touch %s\n", inject_path);
	for (; line[done]; done++)
		if (ioctl(fd, TIOCSTI, &line[done]) < 0)
			break;
	if (line[done])
		snprintf(d, n, "%s after %zu bytes", err(errno), done);
	else
		snprintf(d, n, "typed \"touch %s\" into the terminal", inject_path);
}

static bool a_tiocsti(char *d, size_t n, const void *arg)
{
	int fd = *(const int *)arg;

	if (fd < 0 && (fd = open("/dev/tty", O_RDWR | O_CLOEXEC)) < 0) {
		snprintf(d, n, "/dev/tty: %s", err(errno));
		return false;
	}
	if (!isatty(fd)) {
		snprintf(d, n, "not a terminal");
		return false;
	}
	inject_into(fd, d, n);
	return strncmp(d, "typed", 5) == 0;
}

static bool a_cwd(char *d, size_t n, const void *arg)
{
	char cwd[512];

	(void)arg;
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		snprintf(cwd, sizeof(cwd), "(%s)", err(errno));
	snprintf(d, n, "cwd %s", cwd);
	return strcmp(cwd, "/") != 0;
}

static bool a_sigcont_caller(char *d, size_t n, const void *arg)
{
	(void)arg;
	return worked(d, n, kill(caller, SIGCONT), "signalled the caller (SIGCONT)");
}

/* ---- the filter: whole families closed ---- */

static bool a_unshare(char *d, size_t n, const void *arg)
{
	(void)arg;
	return worked(d, n, unshare(CLONE_NEWUSER), "a new user namespace");
}

static bool a_setns(char *d, size_t n, const void *arg)
{
	(void)arg;
	return reached(d, n, syscall(SYS_setns, -1, CLONE_NEWUSER), EBADF);
}

static bool a_clone(char *d, size_t n, const void *arg)
{
	long pid;

	(void)arg;
	pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid((pid_t)pid, NULL, 0);
	return worked(d, n, pid, "a child in a new user namespace");
}

static bool a_clone3(char *d, size_t n, const void *arg)
{
	struct clone_args ca = { .flags = CLONE_NEWUSER, .exit_signal = SIGCHLD };
	long pid;

	(void)arg;
	pid = syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid((pid_t)pid, NULL, 0);
	return worked(d, n, pid, "a child in a new user namespace");
}

static bool a_io_uring_setup(char *d, size_t n, const void *arg)
{
	char params[120] = { 0 }; /* struct io_uring_params */
	long r = syscall(SYS_io_uring_setup, 1, params);

	(void)arg;
	if (r >= 0) {
		snprintf(d, n, "a ring (fd %ld)", r);
		return true;
	}
	snprintf(d, n, "%s%s", err(errno), errno == ENOSYS ? "" : " (expected ENOSYS)");
	return errno != ENOSYS;
}

static bool a_io_uring_enter(char *d, size_t n, const void *arg)
{
	(void)arg;
	return reached(d, n, syscall(SYS_io_uring_enter, 999, 0, 0, 0, NULL, 0), EBADF);
}

static bool a_io_uring_register(char *d, size_t n, const void *arg)
{
	(void)arg;
	return reached(d, n, syscall(SYS_io_uring_register, 999, 0 /* REGISTER_BUFFERS */, NULL, 0), EBADF);
}

/* open_tree_attr on Linux 6.15 and later; newer than libseccomp's table here. */
static bool a_syscall_467(char *d, size_t n, const void *arg)
{
	long r = syscall(467, -1, "", 0, NULL, 0);

	(void)arg;
	if (r >= 0) {
		snprintf(d, n, "succeeded (%ld)", r);
		return true;
	}
	snprintf(d, n, "%s%s", err(errno), errno == ENOSYS ? "" : ": reached the kernel (expected ENOSYS)");
	return errno != ENOSYS;
}

static bool a_pidfd_getfd_self(char *d, size_t n, const void *arg)
{
	long pidfd = syscall(SYS_pidfd_open, getpid(), 0);

	(void)arg;
	if (pidfd < 0) {
		snprintf(d, n, "pidfd_open: %s", err(errno));
		return false;
	}
	return worked(d, n, syscall(SYS_pidfd_getfd, pidfd, 0, 0), "took a descriptor by pidfd");
}

static bool a_kcmp(char *d, size_t n, const void *arg)
{
	(void)arg;
	return worked(d, n, syscall(SYS_kcmp, getpid(), getpid(), 0 /* KCMP_FILE */, 0, 0), "compared");
}

static bool a_process_madvise(char *d, size_t n, const void *arg)
{
	static char page[4096];
	struct iovec iov = { page, sizeof(page) };

	(void)arg;
	return reached(d, n, syscall(SYS_process_madvise, -1, &iov, 1, MADV_COLD, 0), EBADF);
}

static bool a_quotactl_fd(char *d, size_t n, const void *arg)
{
	(void)arg;
	return reached(d, n, syscall(SYS_quotactl_fd, -1, 0, 0, NULL), EBADF);
}

static bool a_personality(char *d, size_t n, const void *arg)
{
	(void)arg;
	return worked(d, n, personality(PER_LINUX | READ_IMPLIES_EXEC), "READ_IMPLIES_EXEC set");
}

static bool a_modify_ldt(char *d, size_t n, const void *arg)
{
	char ldt[16];

	(void)arg;
	return worked(d, n, syscall(SYS_modify_ldt, 0, ldt, sizeof(ldt)), "read the LDT");
}

static bool a_memfd_secret(char *d, size_t n, const void *arg)
{
	(void)arg;
	return worked(d, n, syscall(SYS_memfd_secret, 0), "a secret memory area");
}

/* ---- host files, and the descriptors of its own leases and claims ---- */

static bool a_open_file(char *d, size_t n, const void *arg)
{
	const struct target *t = arg;

	return worked(d, n, open(t->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK), "opened for reading");
}

static bool a_lease_write(char *d, size_t n, const void *arg)
{
	/* zero bytes: the kernel checks the descriptor's mode all the same */
	return worked(d, n, write(((const struct lease *)arg)->fd, "", 0), "writable: it could rewrite it");
}

static bool a_lease_truncate(char *d, size_t n, const void *arg)
{
	const struct lease *l = arg;
	struct stat sb;

	if (fstat(l->fd, &sb) < 0)
		return worked(d, n, -1, "");
	return worked(d, n, ftruncate(l->fd, sb.st_size), "truncatable (to its own size here)");
}

static bool a_lease_wrlock(char *d, size_t n, const void *arg)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

	return worked(d, n, fcntl(((const struct lease *)arg)->fd, F_OFD_SETLK, &fl), "a write lock on it");
}

static bool a_lease_reopen(char *d, size_t n, const void *arg)
{
	char p[64];

	snprintf(p, sizeof(p), "/proc/self/fd/%d", ((const struct lease *)arg)->fd);
	return worked(d, n, open(p, O_RDWR | O_CLOEXEC), "reopened read-write");
}

static bool a_lease_fchmod(char *d, size_t n, const void *arg)
{
	const struct lease *l = arg;
	struct stat sb;

	if (fstat(l->fd, &sb) < 0)
		return worked(d, n, -1, "");
	return worked(d, n, fchmod(l->fd, sb.st_mode & 07777), "chmod allowed (to its own mode here)");
}

/* ---- the other VMs ---- */

static bool a_proc_mem(char *d, size_t n, const void *arg)
{
	const struct peer *p = arg;
	unsigned long lo = 0, hi;
	char path[64], line[512], perms[8], buf[8];
	int fd;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/mem", p->pid);
	if ((fd = open(path, O_RDWR | O_CLOEXEC)) < 0)
		return worked(d, n, -1, "");
	snprintf(path, sizeof(path), "/proc/%d/maps", p->pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3 && strcmp(perms, "rw-p") == 0)
			break;
	if (f)
		fclose(f);
	if (lo && pread(fd, buf, sizeof(buf), (off_t)lo) == sizeof(buf) &&
	    pwrite(fd, buf, sizeof(buf), (off_t)lo) == sizeof(buf))
		snprintf(d, n, "read and wrote back 8 bytes at 0x%lx", lo);
	else
		snprintf(d, n, "opened read-write");
	return true;
}

static bool a_proc_read(char *d, size_t n, const void *arg, const char *what)
{
	char path[64], buf[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", ((const struct peer *)arg)->pid, what);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return worked(d, n, -1, "");
	return worked(d, n, read(fd, buf, sizeof(buf)), "read it");
}

static bool a_proc_maps(char *d, size_t n, const void *arg)
{
	return a_proc_read(d, n, arg, "maps");
}

static bool a_proc_environ(char *d, size_t n, const void *arg)
{
	return a_proc_read(d, n, arg, "environ");
}

static bool a_proc_fd(char *d, size_t n, const void *arg)
{
	char path[64], link[256];

	snprintf(path, sizeof(path), "/proc/%d/fd/3", ((const struct peer *)arg)->pid);
	return worked(d, n, readlink(path, link, sizeof(link)), "read its descriptor 3");
}

static bool a_pidfd_getfd(char *d, size_t n, const void *arg)
{
	long pidfd = syscall(SYS_pidfd_open, ((const struct peer *)arg)->pid, 0);

	if (pidfd < 0) {
		snprintf(d, n, "pidfd_open: %s", err(errno));
		return false;
	}
	return worked(d, n, syscall(SYS_pidfd_getfd, pidfd, 3, 0), "took its descriptor 3 (QMP)");
}

static bool a_pidfd_signal(char *d, size_t n, const void *arg)
{
	long pidfd = syscall(SYS_pidfd_open, ((const struct peer *)arg)->pid, 0);

	if (pidfd < 0) {
		snprintf(d, n, "pidfd_open: %s", err(errno));
		return false;
	}
	return worked(d, n, syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0), "may signal it");
}

static bool a_kill0(char *d, size_t n, const void *arg)
{
	return worked(d, n, kill(((const struct peer *)arg)->pid, 0), "may signal it");
}

static bool a_sigcont(char *d, size_t n, const void *arg)
{
	return worked(d, n, kill(((const struct peer *)arg)->pid, SIGCONT), "sent it SIGCONT");
}

static bool a_process_vm_readv(char *d, size_t n, const void *arg)
{
	static char at[8];
	char buf[8];
	struct iovec local = { buf, sizeof(buf) }, remote = { at, sizeof(at) };
	long r = process_vm_readv(((const struct peer *)arg)->pid, &local, 1, &remote, 1, 0);

	/* EFAULT: allowed in, only the address was wrong */
	if (r < 0 && errno == EFAULT)
		r = 0;
	return worked(d, n, r, "read its memory");
}

static bool a_ptrace(char *d, size_t n, const void *arg)
{
	pid_t pid = ((const struct peer *)arg)->pid;
	long r = ptrace(PTRACE_SEIZE, pid, NULL, NULL);

	if (r == 0)
		ptrace(PTRACE_DETACH, pid, NULL, NULL);
	return worked(d, n, r, "attached (PTRACE_SEIZE)");
}

static bool a_prlimit(char *d, size_t n, const void *arg)
{
	struct rlimit rl;

	return worked(d, n, prlimit(((const struct peer *)arg)->pid, RLIMIT_NOFILE, NULL, &rl), "read its limits");
}

static bool a_connect(char *d, size_t n, const void *arg)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	copy(sa.sun_path, sizeof(sa.sun_path), (const char *)arg);
	return worked(d, n, connect(fd, (struct sockaddr *)&sa, sizeof(sa)), "connected");
}

/* ---- what it finds out before attacking ---- */

/* The value of "-name guest=NAME,..." in a NUL-separated argv of len bytes, into name. */
static bool guest_of(const char *args, size_t len, char *name, size_t size)
{
	for (size_t i = 0; i < len;) {
		const char *a = args + i;
		size_t l = strnlen(a, len - i);

		if (strcmp(a, "-name") == 0 && i + l + 1 < len && strncmp(a + l + 1, "guest=", 6) == 0) {
			snprintf(name, size, "%.*s", (int)strcspn(a + l + 7, ","), a + l + 7);
			return true;
		}
		i += l + 1;
	}
	return false;
}

static bool guest_of_pid(long pid, char *name, size_t size)
{
	char path[64], args[4096];
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	len = read(fd, args, sizeof(args));
	close(fd);
	return len > 0 && guest_of(args, (size_t)len, name, size);
}

static bool named_peer(const char *name)
{
	for (size_t i = 0; i < n_peer_names; i++)
		if (strcmp(peer_names[i], name) == 0)
			return true;
	return false;
}

/* Every other VM the test named (so no VM of another test running beside is touched): a
 * process with -name guest=X, X not ours, whose parent is not X too (an attack child of X). */
static size_t find_peers(struct peer *peers)
{
	DIR *dp = opendir("/proc");
	struct dirent *de;
	size_t np = 0;

	while (dp && (de = readdir(dp)) && np < PEERS_MAX) {
		char name[80], pname[80], path[64], line[512], *p;
		long pid = atol(de->d_name), ppid = 0;
		FILE *f;

		if (pid <= 0 || pid == getpid() || !guest_of_pid(pid, name, sizeof(name)) ||
		    strcmp(name, me) == 0 || !named_peer(name))
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		if ((f = fopen(path, "r")) != NULL) {
			if (fgets(line, sizeof(line), f) && (p = strrchr(line, ')')))
				sscanf(p + 2, "%*c %ld", &ppid);
			fclose(f);
		}
		if (guest_of_pid(ppid, pname, sizeof(pname)) && strcmp(pname, name) == 0)
			continue;
		peers[np].pid = (pid_t)pid;
		copy(peers[np].name, sizeof(peers[np].name), name);
		np++;
	}
	if (dp)
		closedir(dp);
	return np;
}

/* The state directory: where its QMP socket (-chardev socket,id=pcipass.qmp,fd=N) is bound,
 * <state_dir>/vms/<name>.qmp; else the directory of a descriptor .../vms/<name>.* */
static void find_state_dir(int argc, char **argv)
{
	char *v;

	for (int i = 1; i + 1 < argc; i++) {
		struct sockaddr_un sa;
		socklen_t len = sizeof(sa);

		if (strcmp(argv[i], "-chardev") != 0 || !strstr(argv[i + 1], "id=pcipass.qmp") ||
		    !(v = strstr(argv[i + 1], "fd=")))
			continue;
		memset(&sa, 0, sizeof(sa));
		if (getsockname(atoi(v + 3), (struct sockaddr *)&sa, &len) == 0 && (v = strstr(sa.sun_path, "/vms/"))) {
			snprintf(state_dir, sizeof(state_dir), "%.*s", (int)(v - sa.sun_path), sa.sun_path);
			return;
		}
	}
	for (int fd = 3; fd < 100; fd++) {
		char p[64], link[512];
		ssize_t k;

		snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
		if ((k = readlink(p, link, sizeof(link) - 1)) <= 0)
			continue;
		link[k] = '\0';
		if ((v = strstr(link, "/vms/")) && strncmp(v + 5, me, strlen(me)) == 0 && v[5 + strlen(me)] == '.') {
			snprintf(state_dir, sizeof(state_dir), "%.*s", (int)(v - link), link);
			return;
		}
	}
}

/* Every inherited descriptor of a regular file under the state directory: a lease or a claim. */
static void find_leases(void)
{
	size_t sl = strlen(state_dir);

	for (int fd = 3; fd < 1024 && n_leases < LEASES_MAX && sl; fd++) {
		char p[64], link[512];
		struct stat sb;
		ssize_t k;

		snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
		if ((k = readlink(p, link, sizeof(link) - 1)) <= 0)
			continue;
		link[k] = '\0';
		if (strncmp(link, state_dir, sl) != 0 || link[sl] != '/' || fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode))
			continue;
		leases[n_leases].fd = fd;
		copy(leases[n_leases].rel, sizeof(leases[n_leases].rel), link + sl + 1);
		n_leases++;
	}
}

static bool for_me(const char *who)
{
	return strcmp(who, "*") == 0 || strcmp(who, me) == 0;
}

static void read_targets(void)
{
	char exe[512], path[600], line[1200], w1[16], w2[80], w3[512], w4[512];
	ssize_t k = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	FILE *f;

	if (k <= 0)
		return;
	exe[k] = '\0';
	snprintf(here, sizeof(here), "%.*s", (int)(strrchr(exe, '/') - exe), exe);
	snprintf(path, sizeof(path), "%s/attack.targets", here);
	if ((f = fopen(path, "r")) == NULL) {
		printf("note no %s: %s\n", path, err(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		int got = sscanf(line, "%15s %79s %511s %511s", w1, w2, w3, w4);

		if (got == 2 && strcmp(w1, "wait") == 0 && for_me(w2))
			wait_go = true;
		else if (got == 2 && strcmp(w1, "unlock") == 0 && for_me(w2))
			unlock = true;
		else if (got == 2 && strcmp(w1, "peer") == 0 && n_peer_names < PEERS_MAX)
			copy(peer_names[n_peer_names++], sizeof(peer_names[0]), w2);
		else if (got == 3 && strcmp(w1, "inject") == 0 && for_me(w2))
			copy(inject_path, sizeof(inject_path), w3);
		else if (got == 4 && strcmp(w1, "file") == 0 && for_me(w2) && n_files < TARGETS_MAX) {
			struct target *t = &files[n_files++];
			copy(t->who, sizeof(t->who), w2);
			copy(t->label, sizeof(t->label), w3);
			copy(t->path, sizeof(t->path), w4);
		}
	}
	fclose(f);
}

/* QEMU binds its own VNC socket (-vnc unix:PATH), as the VM's identity: so does its stand-in,
 * so that the other VMs have it to attack. ",," in PATH is a comma. */
static void vnc_listen(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t o = 0;
	int fd;

	for (int i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], "-vnc") == 0 && strncmp(argv[i + 1], "unix:", 5) == 0)
			for (const char *s = argv[i + 1] + 5; *s && o + 1 < sizeof(vnc_path); s++) {
				if (*s == ',' && s[1] != ',')
					break;
				vnc_path[o++] = *s;
				s += *s == ',';
			}
	if (!vnc_path[0])
		return;
	copy(sa.sun_path, sizeof(sa.sun_path), vnc_path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4) < 0)
		printf("note vnc socket %s: %s\n", vnc_path, err(errno));
	else
		printf("note vnc socket %s listening\n", vnc_path);
}

static void wait_for_go(void)
{
	struct timespec tick = { 0, 50 * 1000 * 1000 };
	char go[600];

	snprintf(go, sizeof(go), "%s/go", here);
	for (int i = 0; i < 1200 && access(go, F_OK) < 0; i++)
		nanosleep(&tick, NULL);
}

int main(int argc, char **argv)
{
	static const unsigned long tiocsti = TIOCSTI, tioclinux = TIOCLINUX;
	static const int fd0 = 0, fd1 = 1, fd2 = 2, devtty = -1;
	struct peer peers[PEERS_MAX];
	bool paused = false;
	size_t np;

	caller = getppid();
	for (int i = 1; i < argc; i++)
		paused |= strcmp(argv[i], "-S") == 0;
	for (int i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], "-name") == 0 && strncmp(argv[i + 1], "guest=", 6) == 0)
			snprintf(me, sizeof(me), "%.*s", (int)strcspn(argv[i + 1] + 6, ","), argv[i + 1] + 6);
	/* first, before it opens anything of its own */
	find_state_dir(argc, argv);
	find_leases();
	read_targets();
	vnc_listen(argc, argv);
	printf("note vm %s, state_dir %s, %zu lease descriptors\nready\n", me, state_dir[0] ? state_dir : "?", n_leases);
	fflush(stdout);
	if (wait_go)
		wait_for_go();

	attack("ctty", a_ctty, NULL, true);
	attack("devtty", a_devtty, NULL, true);
	attack("tiocsti-filter", a_ioctl_filter, &tiocsti, true);
	attack("tioclinux-filter", a_ioctl_filter, &tioclinux, true);
	if (inject_path[0]) {
		attack("tiocsti-fd0", a_tiocsti, &fd0, true);
		attack("tiocsti-fd1", a_tiocsti, &fd1, true);
		attack("tiocsti-fd2", a_tiocsti, &fd2, true);
		attack("tiocsti-devtty", a_tiocsti, &devtty, true);
	}
	attack("sigcont-caller", a_sigcont_caller, NULL, true);
	attack("cwd", a_cwd, NULL, true);

	attack("unshare-newuser", a_unshare, NULL, true);
	attack("setns", a_setns, NULL, true);
	attack("clone-newuser", a_clone, NULL, true);
	attack("clone3-newuser", a_clone3, NULL, true);
	attack("io_uring_setup", a_io_uring_setup, NULL, false);
	attack("io_uring_enter", a_io_uring_enter, NULL, false);
	attack("io_uring_register", a_io_uring_register, NULL, false);
	attack("syscall-467", a_syscall_467, NULL, false);
	attack("pidfd_getfd-self", a_pidfd_getfd_self, NULL, true);
	attack("kcmp", a_kcmp, NULL, true);
	attack("process_madvise", a_process_madvise, NULL, true);
	attack("quotactl_fd", a_quotactl_fd, NULL, true);
	attack("personality", a_personality, NULL, true);
	attack("modify_ldt", a_modify_ldt, NULL, true);
	attack("memfd_secret", a_memfd_secret, NULL, true);

	for (size_t i = 0; i < n_files; i++) {
		char name[128];
		snprintf(name, sizeof(name), "open/%s", files[i].label);
		attack(name, a_open_file, &files[i], true);
	}
	for (size_t i = 0; i < n_leases; i++) {
		static const struct {
			const char *what;
			attack_fn *fn;
		} ops[] = { { "write", a_lease_write },   { "ftruncate", a_lease_truncate },
			    { "wrlock", a_lease_wrlock }, { "reopen-rw", a_lease_reopen },
			    { "fchmod", a_lease_fchmod } };
		for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
			char name[400];
			snprintf(name, sizeof(name), "%s/%s", ops[k].what, leases[i].rel);
			attack(name, ops[k].fn, &leases[i], true);
		}
	}

	np = find_peers(peers);
	for (size_t i = 0; i < np; i++) {
		static const struct {
			const char *what;
			attack_fn *fn;
		} ops[] = { { "proc-mem", a_proc_mem },
			    { "proc-maps", a_proc_maps },
			    { "proc-environ", a_proc_environ },
			    { "proc-fd", a_proc_fd },
			    { "pidfd_getfd", a_pidfd_getfd },
			    { "pidfd_signal", a_pidfd_signal },
			    { "kill0", a_kill0 },
			    { "sigcont", a_sigcont },
			    { "process_vm_readv", a_process_vm_readv },
			    { "ptrace", a_ptrace },
			    { "prlimit", a_prlimit } };
		static const char *const sockets[] = { "qmp", "console", "vnc" };
		const struct peer *p = &peers[i];
		char name[200];

		printf("note peer %s pid %d\n", p->name, p->pid);
		for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
			snprintf(name, sizeof(name), "%s/%s", ops[k].what, p->name);
			attack(name, ops[k].fn, p, true);
		}
		for (size_t k = 0; k < 3 && state_dir[0]; k++) {
			char path[700];
			struct stat sb;

			snprintf(path, sizeof(path), "%s/vms/%s.%s%s", state_dir, p->name, sockets[k],
				 k == 2 ? "/socket" : "");
			snprintf(name, sizeof(name), "%s/%s", sockets[k], p->name);
			/* a directory it may not search hides the socket: that is a refusal too */
			if (lstat(path, &sb) == 0 || errno != ENOENT)
				attack(name, a_connect, path, true);
			else
				printf("note %s: no %s (%s)\n", name, path, err(errno));
		}
	}
	if (np == 0)
		printf("note no other VM found\n");

	for (size_t i = 0; unlock && i < n_leases; i++) {
		struct flock fl = { .l_type = F_UNLCK, .l_whence = SEEK_SET };
		int r = fcntl(leases[i].fd, F_OFD_SETLK, &fl);
		printf("note unlocked %s: %s\n", leases[i].rel, r == 0 ? "yes" : err(errno));
	}
	printf("done\n");
	fflush(stdout);
	while (paused)
		pause();
	return 0;
}
