/* SPDX-License-Identifier: GPL-2.0-or-later */
/* filter_build.c - filter.c's table as libseccomp filters (see filter_build.h).
 *
 * Two filters are stacked at install: libseccomp's, from the table, and a small classic-BPF
 * one for the numbers above FILTER_REVIEWED_MAX (libseccomp cannot express a range). The kernel
 * runs both and keeps the most severe answer; they never both refuse one call with an errno,
 * so which errno wins never arises: the second one leaves other ABIs and every number up to
 * FILTER_REVIEWED_MAX to the first. */
#include "filter_build.h"

#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

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
static int rule_add(scmp_filter_ctx ctx, uint32_t act, int nr, const struct filter_rule *r, uint64_t self)
{
	int rc = 0;
	struct scmp_arg_cmp other = { .arg = r->arg, .op = SCMP_CMP_NE, .datum_a = self };

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

static scmp_filter_ctx build(enum seccomp_action action, uint64_t self, struct perr *e)
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
	/* The rules as a binary tree of syscall numbers, not a list: the kernel runs the filter
	 * for every syscall number when it is installed (to cache the ones always allowed), and at
	 * every syscall QEMU makes; a list of ~200 numbers took ~0.15 ms to install (issue 13). */
	if (r == 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	for (size_t i = 0; r == 0 && i < filter_rules_n; i++) {
		const struct filter_rule *rule = &filter_rules[i];
		int nr = seccomp_syscall_resolve_name(rule->name);
		if (nr < 0 || nr > FILTER_REVIEWED_MAX) {
			fail(e, EX_SOFTWARE, "seccomp: expected a syscall numbered 0-%d, got %s (%d)",
			     FILTER_REVIEWED_MAX, rule->name, nr);
			seccomp_release(ctx);
			return NULL;
		}
		r = rule_add(ctx, rule->action == FILTER_ENOSYS ? SCMP_ACT_ERRNO(ENOSYS) : deny, nr, rule, self);
	}
	if (r != 0) {
		errno = -r;
		fail_errno(e, EX_OSERR, "seccomp: building the filter");
		seccomp_release(ctx);
		return NULL;
	}
	return ctx;
}

int filter_build_bpf(enum seccomp_action action, uint64_t self, struct sock_filter **code,
		     size_t *len, struct perr *e)
{
	scmp_filter_ctx ctx;
	struct stat sb;
	int fd, r;

	*code = NULL;
	*len = 0;
	if ((ctx = build(action, self, e)) == NULL)
		return -1;
	fd = memfd_create("pcipass-filter", MFD_CLOEXEC);
	r = fd < 0 ? -errno : seccomp_export_bpf(ctx, fd);
	seccomp_release(ctx);
	if (r != 0) {
		errno = -r;
		fail_errno(e, EX_OSERR, "seccomp: exporting the filter");
	} else if (fstat(fd, &sb) < 0) {
		fail_errno(e, EX_OSERR, "seccomp: the exported filter");
	} else if (sb.st_size <= 0 || sb.st_size % (off_t)sizeof(**code) != 0 || sb.st_size > 1 << 20) {
		fail(e, EX_SOFTWARE, "seccomp: expected whole instructions, got %lld bytes", (long long)sb.st_size);
	} else if ((*code = malloc((size_t)sb.st_size)) == NULL) {
		fail(e, EX_OSERR, "out of memory");
	} else if (pread(fd, *code, (size_t)sb.st_size, 0) != sb.st_size) {
		fail_errno(e, EX_OSERR, "seccomp: reading the exported filter");
		free(*code);
		*code = NULL;
	} else {
		*len = (size_t)sb.st_size / sizeof(**code);
	}
	if (fd >= 0)
		close(fd);
	return *code ? 0 : -1;
}

int seccomp_show(enum seccomp_action action, int fd, struct perr *e)
{
	scmp_filter_ctx ctx = build(action, (uint64_t)getpid(), e);
	int r;

	if (ctx == NULL)
		return -1;
	r = seccomp_export_pfc(ctx, fd);
	seccomp_release(ctx);
	if (r != 0) {
		errno = -r;
		return fail_errno(e, EX_OSERR, "seccomp: export");
	}
	if (dprintf(fd, "# and before the table, in the same program: x86_64 syscall numbers %d and up (not x32) -> ERRNO(ENOSYS)\n",
		    FILTER_REVIEWED_MAX + 1) < 0)
		return fail_errno(e, EX_IOERR, "seccomp: export");
	return 0;
}
