/* filter.c - the seccomp filter pcipass-run installs just before it execs QEMU.
 *
 * A deny list, as jailers for QEMU keep it: nothing a VM monitor needs, everything that would
 * let a compromised one reach past its VM (load kernel code, replace the kernel, reboot, mount,
 * trace or read other processes, load BPF, touch keyrings, swap, set the clock, raw port I/O,
 * open files by handle). QEMU's own -sandbox narrows it further once it has started. */
#include "filter.h"

#include <errno.h>
#include <seccomp.h>
#include <string.h>

/* Sorted by name (the unit test keeps it so). */
const char *const seccomp_deny[] = {
	"_sysctl",           /* obsolete sysctl interface */
	"acct",              /* process accounting */
	"add_key",           /* keyrings */
	"adjtimex",          /* clock */
	"afs_syscall",
	"bpf",               /* BPF programs */
	"chroot",
	"clock_adjtime",     /* clock */
	"clock_settime",
	"create_module",     /* modules */
	"delete_module",
	"finit_module",
	"fsconfig",          /* new mount API */
	"fsmount",
	"fsopen",
	"fspick",
	"get_kernel_syms",
	"init_module",
	"ioperm",            /* raw port I/O */
	"iopl",
	"kexec_file_load",   /* replacing the kernel */
	"kexec_load",
	"keyctl",            /* keyrings */
	"lookup_dcookie",
	"mount",             /* mounts */
	"mount_setattr",
	"move_mount",
	"name_to_handle_at", /* file handles (open_by_handle_at escapes) */
	"nfsservctl",
	"open_by_handle_at",
	"open_tree",
	"perf_event_open",   /* kernel profiling */
	"pivot_root",
	"process_vm_readv",  /* other processes' memory */
	"process_vm_writev",
	"ptrace",
	"query_module",
	"quotactl",
	"reboot",
	"request_key",       /* keyrings */
	"setdomainname",
	"sethostname",
	"settimeofday",      /* clock */
	"swapoff",           /* swap */
	"swapon",
	"syslog",            /* kernel log */
	"umount2",
	"uselib",
	"userfaultfd",
	"ustat",
	"vhangup",
};
const size_t seccomp_deny_n = sizeof(seccomp_deny) / sizeof(seccomp_deny[0]);

static uint32_t action_of(enum seccomp_action a)
{
	switch (a) {
	case SECCOMP_ERRNO: return SCMP_ACT_ERRNO(EPERM);
	case SECCOMP_LOG: return SCMP_ACT_LOG;
	case SECCOMP_KILL: break;
	}
	return SCMP_ACT_KILL_PROCESS;
}

static scmp_filter_ctx build(enum seccomp_action action, struct perr *e)
{
	uint32_t act = action_of(action);
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int r;

	if (ctx == NULL) {
		fail(e, EX_OSERR, "seccomp_init failed");
		return NULL;
	}
	/* Only the native ABI is in the filter: an x32 or i386 syscall gets the deny action.
	 * (libseccomp's x86_64 filter also checks the x32 bit of the syscall number.) */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, action == SECCOMP_LOG ? SCMP_ACT_KILL_PROCESS : act);
	for (size_t i = 0; r == 0 && i < seccomp_deny_n; i++) {
		int nr = seccomp_syscall_resolve_name(seccomp_deny[i]);
		if (nr == __NR_SCMP_ERROR) {
			fail(e, EX_SOFTWARE, "seccomp: no syscall %s on this architecture", seccomp_deny[i]);
			seccomp_release(ctx);
			return NULL;
		}
		r = seccomp_rule_add(ctx, act, nr, 0);
	}
	if (r != 0) {
		errno = -r;
		fail_errno(e, EX_OSERR, "seccomp: building the filter");
		seccomp_release(ctx);
		return NULL;
	}
	return ctx;
}

int seccomp_install(enum seccomp_action action, struct perr *e)
{
	scmp_filter_ctx ctx = build(action, e);
	int r;

	if (ctx == NULL)
		return -1;
	r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r != 0) {
		errno = -r;
		return fail_errno(e, EX_OSERR, "seccomp: loading the filter");
	}
	return 0;
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
	return 0;
}
