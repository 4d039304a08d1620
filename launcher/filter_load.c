/* SPDX-License-Identifier: GPL-2.0-or-later */
/* filter_load.c - SPEC step 8: the seccomp filters installed, last before QEMU's exec.
 *
 * The first filter is filter.c's table, compiled by libseccomp once at build time (the
 * generated filter_progs); it was compiled at every launch before, which cost each launch
 * libseccomp's work and its loading. Only the pid the table spares is known at run time: it is
 * put in place here. The second filter is written out below. The kernel runs both and keeps the
 * most severe answer (filter_build.c says why they never disagree on an errno). */
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
	struct sock_filter code[FILTER_PROG_MAX];
	struct sock_fprog prog;
	int n = filter_program(action, (uint32_t)getpid(), code);

	if (n < 0)
		return fail(e, EX_SOFTWARE, "seccomp: no filter built for action %d", (int)action);
	/* what lets an unprivileged process install a filter (libseccomp set it too) */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return fail_errno(e, EX_OSERR, "seccomp: PR_SET_NO_NEW_PRIVS");
	/* as libseccomp's seccomp_load did it: no flags */
	prog = (struct sock_fprog){ .len = (unsigned short)n, .filter = code };
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0)
		return fail_errno(e, EX_OSERR, "seccomp: loading the filter");
	return newer_install(e);
}
