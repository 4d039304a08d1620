/* SPDX-License-Identifier: GPL-2.0-or-later */
/* filter.c - the seccomp filter pcipass-run installs just before it execs QEMU.
 *
 * A deny list, as jailers for QEMU keep it, by whole families: nothing a VM monitor needs,
 * everything that would let a compromised one reach past its VM (kernel code, the kernel
 * itself, the host's clock, names and swap, mounts, namespaces, other processes' memory and
 * descriptors, keyrings, raw port I/O, file handles, the caller's terminal), and every syscall
 * newer than the table, which nobody has reviewed. QEMU's own -sandbox narrows it further once
 * it has started.
 *
 * Two filters are stacked: libseccomp's, from the table, and a small classic-BPF one for the
 * numbers above FILTER_REVIEWED_MAX (libseccomp cannot express a range). The kernel runs both
 * and keeps the most severe answer; they never both refuse one call with an errno, so which
 * errno wins never arises: the second one leaves other ABIs and every number up to
 * FILTER_REVIEWED_MAX to the first. */
#include "filter.h"

#include <errno.h>
#include <linux/filter.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define DENY(n, why) { n, FILTER_DENY, TEST_ALL, 0, 0, NULL, why }
#define NOSYS(n, why) { n, FILTER_ENOSYS, TEST_ALL, 0, 0, NULL, why }
#define DENY_FLAG(n, a, flag, why) { n, FILTER_DENY, TEST_FLAG, a, flag, #flag, why }
#define DENY_CMD(n, a, cmd, why) { n, FILTER_DENY, TEST_LOW32_EQ, a, cmd, #cmd, why }
#define DENY_MIXED(n, a, why) { n, FILTER_DENY, TEST_LOW32_MIXED, a, 0, NULL, why }
#define DENY_OTHERS(n, a, why) { n, FILTER_DENY, TEST_NOT_SELF, a, 0, NULL, why }

/* QEMU signals its own threads and itself, never another process: not the caller (a root
 * shell of the same session may be sent SIGCONT whatever its uid), not another VM. */
#define SIG_WHY "other processes: a signal to any process but QEMU itself"

#define NS_WHY "namespaces: a child in a new namespace (threads and fork never ask for one)"

/* Sorted by name, then by test and value (the unit test keeps it so). */
const struct filter_rule filter_rules[] = {
	DENY("_sysctl", "obsolete: the old sysctl interface"),
	DENY("acct", "host: process accounting"),
	DENY("add_key", "keyrings: the kernel's key store"),
	DENY("adjtimex", "clock: sets the host's clock"),
	DENY("afs_syscall", "obsolete: never implemented"),
	DENY("bpf", "kernel code: BPF programs and maps"),
	DENY("chroot", "mounts: another root directory"),
	DENY("clock_adjtime", "clock: sets the host's clock"),
	DENY("clock_settime", "clock: sets the host's clock"),
	DENY_FLAG("clone", 0, CLONE_NEWNS, NS_WHY),
	DENY_FLAG("clone", 0, CLONE_NEWCGROUP, NS_WHY),
	DENY_FLAG("clone", 0, CLONE_NEWUTS, NS_WHY),
	DENY_FLAG("clone", 0, CLONE_NEWIPC, NS_WHY),
	DENY_FLAG("clone", 0, CLONE_NEWUSER, NS_WHY),
	DENY_FLAG("clone", 0, CLONE_NEWPID, NS_WHY),
	DENY_FLAG("clone", 0, CLONE_NEWNET, NS_WHY),
	/* its flags live in memory the filter cannot read; glibc 2.36 falls back to clone */
	NOSYS("clone3", "namespaces: flags out of the filter's sight"),
	DENY("create_module", "modules: obsolete"),
	DENY("delete_module", "modules: unloads kernel code"),
	DENY("finit_module", "modules: loads kernel code"),
	DENY("fsconfig", "mounts: the mount API"),
	DENY("fsmount", "mounts: the mount API"),
	DENY("fsopen", "mounts: the mount API"),
	DENY("fspick", "mounts: the mount API"),
	DENY("get_kernel_syms", "modules: obsolete"),
	DENY("get_robust_list", "other processes: another thread's futex list address"),
	DENY("init_module", "modules: loads kernel code"),
	/* io_uring runs its operations in the kernel, where this filter never sees them; QEMU
	 * probes it at start and falls back to its thread pool on ENOSYS */
	NOSYS("io_uring_enter", "io_uring: calls out of the filter's sight"),
	NOSYS("io_uring_register", "io_uring: calls out of the filter's sight"),
	NOSYS("io_uring_setup", "io_uring: calls out of the filter's sight"),
	DENY_CMD("ioctl", 1, TIOCSTI, "terminals: pushes input into a terminal (root's shell)"),
	DENY_CMD("ioctl", 1, TIOCLINUX, "terminals: pastes the console selection as input"),
	DENY("ioperm", "hardware: raw port I/O"),
	DENY("iopl", "hardware: raw port I/O"),
	DENY("kcmp", "other processes: which kernel objects two processes share"),
	DENY("kexec_file_load", "kernel: replaces the running kernel"),
	DENY("kexec_load", "kernel: replaces the running kernel"),
	DENY("keyctl", "keyrings: the kernel's key store"),
	DENY_OTHERS("kill", 0, SIG_WHY),
	DENY("lookup_dcookie", "kernel profiling: paths from profiling cookies"),
	DENY("memfd_secret", "memory: hidden from the kernel, blocks hibernation"),
	DENY("migrate_pages", "other processes: moves another process's pages"),
	DENY("modify_ldt", "legacy ABI: 16-bit segments, a long line of kernel bugs"),
	DENY("mount", "mounts"),
	DENY("mount_setattr", "mounts: the mount API"),
	DENY("move_mount", "mounts: the mount API"),
	DENY("move_pages", "other processes: moves another process's pages"),
	DENY("name_to_handle_at", "file handles: with open_by_handle_at, past any path check"),
	DENY("nfsservctl", "obsolete: the old NFS server interface"),
	DENY("open_by_handle_at", "file handles: opens a file past any path check"),
	DENY("open_tree", "mounts: the mount API"),
	DENY("perf_event_open", "kernel profiling: watches other processes and the kernel"),
	/* 0 (PER_LINUX, which QEMU runs under anyway) and 0xffffffff (the query) are harmless;
	 * every other value sets an execution domain or a flag QEMU has no use for and a
	 * compromised one would, for what it execs: READ_IMPLIES_EXEC, ADDR_NO_RANDOMIZE,
	 * MMAP_PAGE_ZERO (a kernel NULL dereference made exploitable), UNAME26 (an old leak) */
	DENY_MIXED("personality", 0, "legacy ABI: execution domains and their flags"),
	DENY("pidfd_getfd", "other processes: copies another process's descriptor"),
	DENY("pidfd_send_signal", SIG_WHY),
	DENY("pivot_root", "mounts: another root directory"),
	DENY("process_madvise", "other processes: advice on another process's memory"),
	DENY("process_mrelease", "other processes: reaps another process's memory"),
	DENY("process_vm_readv", "other processes: reads another process's memory"),
	DENY("process_vm_writev", "other processes: writes another process's memory"),
	DENY("ptrace", "other processes: traces another process"),
	DENY("query_module", "modules: obsolete"),
	DENY("quotactl", "quotas: the file systems' quotas"),
	DENY("quotactl_fd", "quotas: the file systems' quotas"),
	DENY("reboot", "host: reboots or halts"),
	DENY("request_key", "keyrings: the kernel's key store"),
	DENY_OTHERS("rt_sigqueueinfo", 0, SIG_WHY),
	DENY_OTHERS("rt_tgsigqueueinfo", 0, SIG_WHY),
	DENY("setdomainname", "host: the host's names"),
	DENY("sethostname", "host: the host's names"),
	DENY("setns", "namespaces: joins another process's namespace"),
	DENY("settimeofday", "clock: sets the host's clock"),
	DENY("swapoff", "host: swap"),
	DENY("swapon", "host: swap"),
	DENY("syslog", "kernel log: reads or clears it"),
	DENY_OTHERS("tgkill", 0, SIG_WHY),
	DENY("tkill", SIG_WHY),
	DENY("umount2", "mounts"),
	DENY("unshare", "namespaces: new ones (a user namespace gives capabilities in it)"),
	DENY("uselib", "obsolete: a.out libraries"),
	DENY("userfaultfd", "memory: holds the kernel on a page fault, an exploit's tool"),
	DENY("ustat", "obsolete: file system statistics"),
	DENY("vhangup", "terminals: hangs up the terminal"),
};
const size_t filter_rules_n = sizeof(filter_rules) / sizeof(filter_rules[0]);

#define LOW32 0xffffffffULL

static uint32_t deny_action(enum seccomp_action a)
{
	switch (a) {
	case SECCOMP_ERRNO: return SCMP_ACT_ERRNO(EPERM);
	case SECCOMP_LOG: return SCMP_ACT_LOG;
	case SECCOMP_KILL: break;
	}
	return SCMP_ACT_KILL_PROCESS;
}

static struct scmp_arg_cmp masked(unsigned arg, uint64_t mask, uint64_t value)
{
	return (struct scmp_arg_cmp){ .arg = arg, .op = SCMP_CMP_MASKED_EQ, .datum_a = mask, .datum_b = value };
}

/* One table rule as libseccomp rules; 0 or a negative errno. */
static int rule_add(scmp_filter_ctx ctx, uint32_t act, int nr, const struct filter_rule *r)
{
	int rc = 0;
	struct scmp_arg_cmp other = { .arg = r->arg, .op = SCMP_CMP_NE, .datum_a = (uint64_t)getpid() };

	switch (r->test) {
	case TEST_ALL:
		return seccomp_rule_add(ctx, act, nr, 0);
	case TEST_FLAG:
		return seccomp_rule_add(ctx, act, nr, 1, masked(r->arg, r->value, r->value));
	case TEST_LOW32_EQ:
		return seccomp_rule_add(ctx, act, nr, 1, masked(r->arg, LOW32, r->value));
	case TEST_LOW32_MIXED:
		/* libseccomp takes one comparison per argument, so "neither 0 nor 0xffffffff" is
		 * said as: somewhere round the 32 bits, a set bit is followed by a clear one.
		 * Every other value has such a pair; all-clear and all-set have none. */
		for (unsigned i = 0; rc == 0 && i < 32; i++) {
			uint64_t bit = 1ULL << i, next = 1ULL << ((i + 1) % 32);
			rc = seccomp_rule_add(ctx, act, nr, 1, masked(r->arg, bit | next, bit));
		}
		return rc;
	case TEST_NOT_SELF:
		/* all 64 bits: a pid with anything in the high half is not ours either */
		return seccomp_rule_add(ctx, act, nr, 1, other);
	}
	return -EINVAL;
}

static scmp_filter_ctx build(enum seccomp_action action, struct perr *e)
{
	uint32_t deny = deny_action(action);
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int r;

	if (ctx == NULL) {
		fail(e, EX_OSERR, "seccomp_init failed");
		return NULL;
	}
	/* Only the native ABI is in the filter: an x32 or i386 syscall gets the deny action (kill
	 * under log). libseccomp's x86_64 filter checks the x32 bit of the number too. */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, action == SECCOMP_LOG ? SCMP_ACT_KILL_PROCESS : deny);
	for (size_t i = 0; r == 0 && i < filter_rules_n; i++) {
		const struct filter_rule *rule = &filter_rules[i];
		int nr = seccomp_syscall_resolve_name(rule->name);
		if (nr < 0 || nr > FILTER_REVIEWED_MAX) {
			fail(e, EX_SOFTWARE, "seccomp: expected a syscall numbered 0-%d, got %s (%d)",
			     FILTER_REVIEWED_MAX, rule->name, nr);
			seccomp_release(ctx);
			return NULL;
		}
		r = rule_add(ctx, rule->action == FILTER_ENOSYS ? SCMP_ACT_ERRNO(ENOSYS) : deny, nr, rule);
	}
	if (r != 0) {
		errno = -r;
		fail_errno(e, EX_OSERR, "seccomp: building the filter");
		seccomp_release(ctx);
		return NULL;
	}
	return ctx;
}

/* The second filter: ENOSYS for a native x86_64 number above FILTER_REVIEWED_MAX. Another arch,
 * an x32 number (and -1) it allows, for the first filter to refuse. */
static int newer_install(struct perr *e)
{
#if defined(__x86_64__)
	enum { X32_BIT = 0x40000000 };
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_BIT, 1, 0),
		BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, FILTER_REVIEWED_MAX, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
	};
	struct sock_fprog prog = { .len = (unsigned short)(sizeof(code) / sizeof(code[0])), .filter = code };

	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0)
		return fail_errno(e, EX_OSERR, "seccomp: loading the filter of newer syscalls");
	return 0;
#else
	return fail(e, EX_SOFTWARE, "seccomp: the filter's table is reviewed for x86_64 only");
#endif
}

int seccomp_install(enum seccomp_action action, struct perr *e)
{
	scmp_filter_ctx ctx;
	int r;

	/* what lets an unprivileged process install a filter (libseccomp would set it too) */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return fail_errno(e, EX_OSERR, "seccomp: PR_SET_NO_NEW_PRIVS");
	ctx = build(action, e);
	if (ctx == NULL)
		return -1;
	r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r != 0) {
		errno = -r;
		return fail_errno(e, EX_OSERR, "seccomp: loading the filter");
	}
	return newer_install(e);
}

int seccomp_show(enum seccomp_action action, int fd, struct perr *e)
{
	scmp_filter_ctx ctx = build(action, e);
	int r;

	if (ctx == NULL)
		return -1;
	r = seccomp_export_pfc(ctx, fd);
	seccomp_release(ctx);
	if (r != 0) {
		errno = -r;
		return fail_errno(e, EX_OSERR, "seccomp: export");
	}
	if (dprintf(fd, "# and a second filter: x86_64 syscall numbers %d and up (not x32) -> ERRNO(ENOSYS)\n",
		    FILTER_REVIEWED_MAX + 1) < 0)
		return fail_errno(e, EX_IOERR, "seccomp: export");
	return 0;
}
