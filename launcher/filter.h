/* filter.h - the seccomp filter pcipass-run installs just before it execs QEMU (SPEC step 8).
 * (Not seccomp.h: that name is libseccomp's.) */
#ifndef PCIPASS_FILTER_H
#define PCIPASS_FILTER_H

#include <stddef.h>
#include "config.h"
#include "util.h"

/* The deny list: sorted, no duplicates, every name a syscall of this architecture (a unit test
 * checks all three). */
extern const char *const seccomp_deny[];
extern const size_t seccomp_deny_n;

/* Build and load the filter: every denied syscall gets `action` (kill the process, fail with
 * EPERM, or log), and so does any syscall of another ABI (x32, i386). Call last before execve,
 * after PR_SET_NO_NEW_PRIVS. */
int seccomp_install(enum seccomp_action action, struct perr *e) MUST_CHECK;

/* The filter in libseccomp's readable form (pfc), for --dry-run and review. */
int seccomp_show(enum seccomp_action action, int fd, struct perr *e) MUST_CHECK;

#endif
