/* SPDX-License-Identifier: GPL-2.0-or-later */
/* filter_load.c - SPEC step 8: the seccomp filter installed, last before QEMU's exec.
 *
 * filter.c's table, compiled by libseccomp once at build time (the generated filter_progs); it
 * was compiled at every launch before, which cost each launch libseccomp's work and its
 * loading. Only the pid the table spares is known at run time: it is put in place here. Before
 * the table goes the check of numbers newer than it, written out below. */
#include "filter.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int filter_program(enum seccomp_action action, uint32_t self, struct sock_filter out[FILTER_PROG_MAX])
{
	const struct filter_prog *p;

	if ((unsigned)action > SECCOMP_LOG)
		return -1;
	p = &filter_progs[action];
	if (p->len == 0 || p->len > FILTER_PROG_MAX)
		return -1;
	memcpy(out, p->code, p->len * sizeof(*out));
	for (size_t i = 0; i < p->n_self; i++)
		out[p->self_at[i]].k = self;
	return (int)p->len;
}

/* Before the table: ENOSYS for a native x86_64 number above FILTER_REVIEWED_MAX (QEMU and glibc
 * probe newer calls and fall back); another arch, an x32 number (and -1) go on to the table,
 * which refuses them. One program, not two filters: each filter installed costs the kernel a
 * run over every syscall number, and the table's verdict for those numbers was "allow", which
 * ENOSYS overrides whichever filter says it (issue 13). libseccomp's jumps are relative, so
 * the table runs unchanged after these. */
#if defined(__x86_64__)
enum { X32_BIT = 0x40000000, NEWER_LEN = 6 };
static const struct sock_filter newer[NEWER_LEN] = {
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 4),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_BIT, 2, 0),
	BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, FILTER_REVIEWED_MAX, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
};
#endif

int seccomp_install(enum seccomp_action action, struct perr *e)
{
#if defined(__x86_64__)
	struct sock_filter code[NEWER_LEN + FILTER_PROG_MAX];
	struct sock_fprog prog;
	int n = filter_program(action, (uint32_t)getpid(), code + NEWER_LEN);

	if (n < 0)
		return fail(e, EX_SOFTWARE, "seccomp: no filter built for action %d", (int)action);
	memcpy(code, newer, sizeof(newer));
	/* what lets an unprivileged process install a filter (libseccomp set it too) */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return fail_errno(e, EX_OSERR, "seccomp: PR_SET_NO_NEW_PRIVS");
	/* as libseccomp's seccomp_load did it: no flags */
	prog = (struct sock_fprog){ .len = (unsigned short)(NEWER_LEN + n), .filter = code };
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0)
		return fail_errno(e, EX_OSERR, "seccomp: loading the filter");
	return 0;
#else
	(void)action;
	return fail(e, EX_SOFTWARE, "seccomp: the filter's table is reviewed for x86_64 only");
#endif
}
