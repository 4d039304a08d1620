/* SPDX-License-Identifier: GPL-2.0-or-later */
/* filter.c - the policy of the seccomp filter pcipass-run installs just before it execs QEMU.
 *
 * A deny list, as jailers for QEMU keep it, by whole families: nothing a VM monitor needs,
 * everything that would let a compromised one reach past its VM (kernel code, the kernel
 * itself, the host's clock, names and swap, mounts, namespaces, other processes' memory and
 * descriptors, keyrings, raw port I/O, file handles, the caller's terminal), and every syscall
 * newer than the table, which nobody has reviewed. QEMU's own -sandbox narrows it further once
 * it has started.
 *
 * This file is the table alone. libseccomp compiles it (filter_build.c) once, at build time
 * (filter_gen.c writes the programs into the build tree); filter_load.c installs them. */
#include "filter.h"

#include <sched.h>
#include <sys/ioctl.h>

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
