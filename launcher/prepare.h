/* prepare.h - SPEC steps 6 and 7: the process QEMU will be, made ready, then unprivileged.
 * These touch the system; the decisions they act on are made before (plan, argv). */
#ifndef PCIPASS_PREPARE_H
#define PCIPASS_PREPARE_H

#include <sys/types.h>
#include "util.h"

struct vm_user {
	char name[33];
	uid_t uid;
	gid_t gid;
};

/* Look the VM's user up; uid 0 under any name is refused unless allow_root. */
int user_resolve(const char *name, bool allow_root, struct vm_user *u, struct perr *e) MUST_CHECK;

/* The VM's name, held for its life like a claim: <state_dir>/vms/<vm>.lock. Returns the
 * descriptor, -2 when a VM of that name runs, -1 on error. */
int name_lock(const char *state_dir, const char *vm, struct perr *e) MUST_CHECK;

/* Bind <state_dir>/vms/<vm>.qmp as root, hand it to the VM's user (mode 0600), listen, and
 * return the descriptor QEMU gets. Call with the name lock held. */
int qmp_listen(const char *state_dir, const char *vm, const struct vm_user *u,
	       struct perr *e) MUST_CHECK;

/* <dev_root>/vfio/<group> to the VM's user, mode 0600 (QEMU opens it after the drop), and
 * back to root when the launch is undone. */
int vfio_handover(const char *dev_root, int group, const struct vm_user *u, struct perr *e) MUST_CHECK;
void vfio_takeback(const char *dev_root, int group);

/* RLIMIT_MEMLOCK = guest memory + 1 GiB (VFIO pins all guest RAM), RLIMIT_CORE = 0,
 * umask 077. Without CAP_SYS_RESOURCE (a container) the memlock limit cannot be raised: that
 * is an error when devices are passed through (need_memlock), else *kept_memlock says so. */
int limits_set(unsigned long long memory_mib, bool need_memlock, bool *kept_memlock,
	       struct perr *e) MUST_CHECK;

/* No signal blocked or ignored: what pcipass-run inherited (say, SIGTERM ignored by the shell
 * that started it) must not reach QEMU, or it could not be stopped. */
void signals_reset(void);

/* Descriptors as QEMU gets them: stdio, qmp on QMP_FD, keep[] right after, nothing else. */
int fds_arrange(int qmp, const int *keep, size_t n, struct perr *e) MUST_CHECK;

/* Step 7: supplementary groups, gid, uid; checked that none of the old ids can come back;
 * then PR_SET_NO_NEW_PRIVS. */
int privs_drop(const struct vm_user *u, struct perr *e) MUST_CHECK;

#endif
