/* SPDX-License-Identifier: GPL-2.0-or-later */
/* filter_build.h - filter.c's table compiled by libseccomp: for the build-time generator
 * (filter_gen.c), the unit test that holds the generated programs to it, and review. Not in
 * pcipass-run, which installs the generated programs without libseccomp (filter_load.c). */
#ifndef PCIPASS_FILTER_BUILD_H
#define PCIPASS_FILTER_BUILD_H

#include <linux/filter.h>
#include "filter.h"

/* The table of `action` as libseccomp builds it from filter_rules, with `self` as the
 * pid TEST_NOT_SELF rules spare: its classic BPF in *code (malloc'd, the caller frees it) and
 * the number of instructions in *len. */
int filter_build_bpf(enum seccomp_action action, uint64_t self, struct sock_filter **code,
		     size_t *len, struct perr *e) MUST_CHECK;

/* The filter in libseccomp's readable form (pfc), with this process's pid as self, and a line
 * for the check of newer numbers before it, for review. */
int seccomp_show(enum seccomp_action action, int fd, struct perr *e) MUST_CHECK;

#endif
