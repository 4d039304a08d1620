/* SPDX-License-Identifier: GPL-2.0-or-later */
/* prepare.h - SPEC steps 6 and 7: the process QEMU will be, made ready, then unprivileged.
 * These touch the system; the decisions they act on are made before (plan, argv). */
#ifndef PCIPASS_PREPARE_H
#define PCIPASS_PREPARE_H

#include <sys/types.h>
#include "handover.h"
#include "ident.h"
#include "util.h"

/* The state directory and its subdirectories (claims/ 0700, vms/ 0755, ids/ 0700), made if
 * missing, and checked like the config: root's (or the caller's on a test tree), not group or
 * world writable, every ancestor too, no symlink in place of a subdirectory. */
int state_check(const char *state_dir, struct perr *e) MUST_CHECK;
/* state_check that makes nothing (--dry-run): a state_dir or subdirectory that is missing
 * passes, as it would be made (state_dir: in an existing, trusted parent). */
int state_verify(const char *state_dir, struct perr *e) MUST_CHECK;

/* The VM's name, held for its life like a claim: <state_dir>/vms/<vm>.lock, recording its memory
 * (for --status) and its hotplug slots (for --attach). Returns the
 * read-only descriptor QEMU inherits, -2 when a VM of that name runs, -1 on error. */
int name_lock(const char *state_dir, const char *vm, unsigned long long memory_mib, int slots,
	      struct perr *e) MUST_CHECK;

/* <state_dir>/vms/<vm>.<suffix> into buf. */
int vms_path(char *buf, size_t size, const char *state_dir, const char *vm, const char *suffix,
	     struct perr *e) MUST_CHECK;

/* Bind a UNIX socket at path as root, mode 0600, and listen: the QMP and console endpoints.
 * QEMU gets the listening descriptor and never needs the path; the inode stays root's, so no
 * VM identity can connect to it or chmod it. Call with the name lock held. */
int sock_listen(const char *path, struct perr *e) MUST_CHECK;

/* The VM's VNC directory <state_dir>/vms/<vm>.vnc: made 0700 and given to the VM's identity,
 * in which QEMU makes its socket (QEMU's -vnc takes no descriptor). A dead VM's is removed
 * first. vnc_dir_remove undoes it. */
int vnc_dir(const char *state_dir, const char *vm, const struct vm_user *u, struct perr *e) MUST_CHECK;
void vnc_dir_remove(const char *state_dir, const char *vm);

/* <dev_root>/vfio/<group> to the VM's user, mode 0600 (QEMU opens it after the drop), never
 * through a symlink; and back to root when the launch is undone. */
int vfio_handover(const char *dev_root, int group, const struct vm_user *u, struct perr *e) MUST_CHECK;
void vfio_takeback(const char *dev_root, int group);

/* RLIMIT_MEMLOCK = guest memory + 1 GiB (VFIO pins all guest RAM), RLIMIT_CORE = 0,
 * umask 077. Without CAP_SYS_RESOURCE (a container) the memlock limit cannot be raised: that
 * is an error when devices are passed through (need_memlock), else kept. *memlock_mib says
 * what QEMU gets (RLIM_INFINITY as ~0ULL). */
int limits_set(unsigned long long memory_mib, bool need_memlock, unsigned long long *memlock_mib,
	       struct perr *e) MUST_CHECK;

/* No signal blocked or ignored: what pcipass-run inherited (say, SIGTERM ignored by the shell
 * that started it) must not reach QEMU, or it could not be stopped. */
void signals_reset(void);

/* No way back to the caller: no controlling terminal (setsid; TIOCNOTTY when we lead a process
 * group), cwd "/", stdin /dev/null, and a terminal on stdout or stderr reopened write-only (a
 * descriptor of the caller's terminal that can read would read root's keystrokes). */
int detach(struct perr *e) MUST_CHECK;

/* Descriptors as QEMU gets them: stdio, then every entry of h on its target, nothing else;
 * an entry marked read-only must be open O_RDONLY. */
int fds_arrange(const struct handover *h, struct perr *e) MUST_CHECK;

/* Step 7, first half, still undoable: supplementary groups exactly u's, then the gid. */
int privs_groups(const struct vm_user *u, struct perr *e) MUST_CHECK;
/* The point of no return: the uid; then checked that none of the old ids can come back, and
 * PR_SET_NO_NEW_PRIVS. */
int privs_uid(const struct vm_user *u, struct perr *e) MUST_CHECK;

#endif
