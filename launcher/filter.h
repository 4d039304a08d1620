/* SPDX-License-Identifier: GPL-2.0-or-later */
/* filter.h - the seccomp filter pcipass-run installs just before it execs QEMU (SPEC step 8).
 * (Not seccomp.h: that name is libseccomp's.) */
#ifndef PCIPASS_FILTER_H
#define PCIPASS_FILTER_H

#include <stddef.h>
#include <stdint.h>
#include <linux/filter.h>
#include "config.h"
#include "util.h"

/* The highest x86_64 syscall number the table was reviewed against: set_mempolicy_home_node,
 * the last call of upstream libseccomp 2.5.4's table and of Debian 12's kernel (6.1). Every
 * native number above it (cachestat, ..., open_tree_attr 467, and whatever comes next) fails
 * with ENOSYS: the table cannot name them, so nobody has decided they are safe. */
#define FILTER_REVIEWED_MAX 450

/* How a rule refuses the calls it matches. */
enum filter_action {
	FILTER_DENY,   /* the host's seccomp_action: kill the process, EPERM, or log */
	FILTER_ENOSYS, /* ENOSYS whatever seccomp_action: QEMU or glibc probe it and fall back */
};

/* Which calls of the syscall a rule matches, by one argument. */
enum filter_test {
	TEST_ALL,         /* every call */
	TEST_FLAG,        /* (arg & value) == value: a flag is set (clone's namespace flags) */
	TEST_LOW32_EQ,    /* (arg & 0xffffffff) == value: the kernel reads 32 bits (ioctl's cmd) */
	TEST_LOW32_MIXED, /* the low 32 bits are neither 0 nor 0xffffffff (personality) */
	TEST_NOT_SELF,    /* arg != the installing process's pid (which QEMU keeps across exec):
			   * a signal to anyone else, by pid, group (0, -N) or everyone (-1) */
};

struct filter_rule {
	const char *name; /* the syscall, as libseccomp names it */
	enum filter_action action;
	enum filter_test test;
	unsigned arg;      /* the argument the test reads, 0-5 */
	uint64_t value;    /* TEST_FLAG, TEST_LOW32_EQ */
	const char *label; /* value's name (CLONE_NEWUSER, TIOCSTI), or NULL */
	const char *why;   /* "family: reason" */
};

/* The policy: sorted by name, then by test and value; no two rules alike; every name a syscall
 * of x86_64 numbered at most FILTER_REVIEWED_MAX (a unit test checks all of it, and pins the
 * table against tests/golden/seccomp-rules). */
extern const struct filter_rule filter_rules[];
extern const size_t filter_rules_n;

/* The first filter of each seccomp_action, compiled from filter_rules by libseccomp at build
 * time (filter_gen.c writes them, filter_build.c compiles; a unit test holds them byte for
 * byte to what libseccomp builds now). Its TEST_NOT_SELF comparisons hold a stand-in, never a
 * pid, at the instructions self_at names: the installing process's pid goes there. */
struct filter_prog {
	const struct sock_filter *code;
	size_t len;
	const unsigned short *self_at;
	size_t n_self;
};
#define FILTER_PROG_MAX 1024 /* instructions; the generator refuses more */
extern const struct filter_prog filter_progs[SECCOMP_LOG + 1];

/* filter_progs[action] with `self` put in place into out (FILTER_PROG_MAX instructions): the
 * number of instructions, or -1 for an action that has no program. */
int filter_program(enum seccomp_action action, uint32_t self, struct sock_filter out[FILTER_PROG_MAX]);

/* Load the filter: every rule's calls get the rule's action; syscalls of another ABI (x32,
 * i386) get `action` (kill under log); native numbers above FILTER_REVIEWED_MAX get ENOSYS (a
 * second, small classic-BPF filter). Sets PR_SET_NO_NEW_PRIVS, so an unprivileged process can
 * call it. No libseccomp: the programs are built already. Call last before execve. */
int seccomp_install(enum seccomp_action action, struct perr *e) MUST_CHECK;

#endif
