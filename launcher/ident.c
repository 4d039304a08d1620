/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ident.c - who a VM's QEMU runs as, and the lease that keeps that identity its own. */
#include "ident.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "claim.h"

int ident_group(const struct host_config *h, const char *name, gid_t *gid, struct perr *e)
{
	struct group *gr;

	errno = 0;
	if ((gr = getgrnam(name)) == NULL)
		return errno ? fail_errno(e, EX_OSERR, "group %s", name)
			     : fail(e, EX_CONFIG, "%s: vm_groups: no group %s on this host",
				    h->file[0] ? h->file : DEFAULT_CONFIG, name);
	if (gr->gr_gid == 0 && !h->allow_root_vm)
		return fail(e, EX_CONFIG, "%s: vm_groups: %s is gid 0; the host's allow_root_vm is false",
			    h->file[0] ? h->file : DEFAULT_CONFIG, name);
	*gid = gr->gr_gid;
	return 0;
}

int ident_resolve(const struct host_config *h, const struct vm_config *vm, struct vm_user *u,
		  struct perr *e)
{
	memset(u, 0, sizeof(*u));
	for (size_t i = 0; i < h->n_vm_groups; i++)
		if (ident_group(h, h->vm_groups[i], &u->groups[u->n_groups++], e) < 0)
			return -1;
	return ident_user(h, vm, u, e);
}

int ident_user(const struct host_config *h, const struct vm_config *vm, struct vm_user *u,
	       struct perr *e)
{
	const char *name = vm->user[0] ? vm->user : h->run_as;

	snprintf(u->name, sizeof(u->name), "%s", name);
	if (!vm->user[0] && strcmp(h->run_as, "dynamic") == 0) {
		u->dynamic = true;
		return 0;
	}
	struct passwd *pw;
	errno = 0;
	pw = getpwnam(name);
	if (pw == NULL)
		return errno ? fail_errno(e, EX_OSERR, "user %s", name)
			     : fail(e, EX_NOUSER, "no user %s (create it, or set run_as / user)", name);
	if ((pw->pw_uid == 0 || pw->pw_gid == 0) && !h->allow_root_vm)
		return fail(e, EX_NOPERM, "user %s has %s 0; the host's allow_root_vm is false", name,
			    pw->pw_uid == 0 ? "uid" : "gid");
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	return 0;
}

int ids_dir(const char *state_dir, char *buf, size_t size, struct perr *e)
{
	if (xsnprintf(buf, size, "%s/ids", state_dir) < 0)
		return fail(e, EX_CONFIG, "%s: path too long", state_dir);
	return 0;
}

int vfio_takeback_uid(const char *dev_root, uid_t uid)
{
	char dir[512];
	struct dirent *d;
	int left = 0;
	DIR *dp;

	if (xsnprintf(dir, sizeof(dir), "%s/vfio", dev_root) < 0 || (dp = opendir(dir)) == NULL)
		return 0;
	while ((d = readdir(dp)) != NULL) {
		struct stat sb;

		/* never through a symlink: fstatat and fchownat on the entry itself */
		if (d->d_name[0] == '.' || fstatat(dirfd(dp), d->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0 ||
		    S_ISLNK(sb.st_mode) || sb.st_uid != uid)
			continue;
		if (fchownat(dirfd(dp), d->d_name, 0, 0, AT_SYMLINK_NOFOLLOW) < 0) {
			warnx_("%s/%s: cannot give it back to root: %s", dir, d->d_name, strerror(errno));
			left++;
		}
	}
	closedir(dp);
	return left;
}

/* An id some account has is that account's, not a VM's. */
static bool id_of_account(unsigned long id)
{
	return getpwuid((uid_t)id) != NULL || getgrgid((gid_t)id) != NULL;
}

/* Does any process run as uid (real, effective or saved)? A dead VM's fork that outlived it
 * would otherwise meet the next VM given the same id. */
static bool uid_in_use(uid_t uid)
{
	char path[300], line[256];
	struct dirent *d;
	bool used = false;
	DIR *dp = opendir("/proc");

	while (dp && !used && (d = readdir(dp)) != NULL) {
		unsigned long r, ef, sv;
		FILE *f;

		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/status", d->d_name);
		if ((f = fopen(path, "re")) == NULL)
			continue;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "Uid: %lu %lu %lu", &r, &ef, &sv) == 3) {
				used = r == uid || ef == uid || sv == uid;
				break;
			}
		fclose(f);
	}
	if (dp)
		closedir(dp);
	return used;
}

/* Lock ids/<uid> for vm: 0 and *fd set, 1 when the uid is someone else's, -1 on error. */
static int try_uid(const struct host_config *h, const char *dir, const char *vm, uid_t uid,
		   bool dynamic, int *fd, struct claim_info *old, struct perr *e)
{
	struct claim_info rec;
	char name[16];
	int lock;

	snprintf(name, sizeof(name), "%u", (unsigned)uid);
	lock = lease_lock(dir, name, old, e);
	if (lock == -2) {
		struct perr ignore = { 0 };
		if (!old->exists && lease_inspect(dir, name, old, &ignore) < 0)
			memset(old, 0, sizeof(*old)); /* who has it is for the message only */
		return 1;
	}
	if (lock < 0)
		return -1;
	if (dynamic && uid_in_use(uid)) {
		close(lock);
		return 1;
	}
	/* its last VM is gone: whatever it was handed goes back to root before anyone else gets
	 * the uid (--release would have done it; a crash may not have let it) */
	if (vfio_takeback_uid(h->dev_root, uid) > 0) {
		close(lock);
		return fail(e, EX_OSERR, "uid %u: a dead VM's VFIO devices could not be taken back; run pcipass-run --release",
			    (unsigned)uid);
	}
	lease_record(&rec, vm);
	rec.uid = uid;
	*fd = lease_commit(lock, dir, name, &rec, e);
	return *fd < 0 ? -1 : 0;
}

int ident_lease(const struct host_config *h, const char *vm, struct vm_user *u, bool *taken_over,
		struct perr *e)
{
	struct claim_info old;
	char dir[512];
	int fd = -1, r;

	if (ids_dir(h->state_dir, dir, sizeof(dir), e) < 0)
		return -1;
	if (!u->dynamic) {
		r = try_uid(h, dir, vm, u->uid, false, &fd, &old, e);
		*taken_over = old.exists && !old.unreadable;
		if (r == 1)
			return fail(e, EX_UNAVAILABLE, "user %s (uid %u) already runs VM %s (pid %ld); no two VMs share a uid",
				    u->name, (unsigned)u->uid, old.vm[0] ? old.vm : "?", old.pid);
		return r < 0 ? -1 : fd;
	}
	for (unsigned long id = h->dynamic_first; id <= h->dynamic_last; id++) {
		if (id_of_account(id))
			continue;
		r = try_uid(h, dir, vm, (uid_t)id, true, &fd, &old, e);
		if (r < 0)
			return -1;
		if (r == 0) {
			*taken_over = old.exists && !old.unreadable;
			u->uid = (uid_t)id;
			u->gid = (gid_t)id;
			snprintf(u->name, sizeof(u->name), "dynamic");
			return fd;
		}
	}
	return fail(e, EX_UNAVAILABLE, "no free id left in dynamic_ids %u-%u", h->dynamic_first,
		    h->dynamic_last);
}

int ident_peek(const struct host_config *h, struct vm_user *u, struct perr *e)
{
	struct claim_info old;
	char dir[512], name[16];

	if (ids_dir(h->state_dir, dir, sizeof(dir), e) < 0)
		return -1;
	if (!u->dynamic) {
		snprintf(name, sizeof(name), "%u", (unsigned)u->uid);
		if (lease_inspect(dir, name, &old, e) < 0)
			return -1;
		if (old.held)
			return fail(e, EX_UNAVAILABLE, "user %s (uid %u) already runs VM %s (pid %ld); no two VMs share a uid",
				    u->name, (unsigned)u->uid, old.vm[0] ? old.vm : "?", old.pid);
		return 0;
	}
	/* ident_lease's choice, made without its lock: the lowest id no account, lease or
	 * process has (a launch in between may take it first, and gets the next) */
	for (unsigned long id = h->dynamic_first; id <= h->dynamic_last; id++) {
		if (id_of_account(id))
			continue;
		snprintf(name, sizeof(name), "%lu", id);
		if (lease_inspect(dir, name, &old, e) < 0)
			return -1;
		if (old.held || uid_in_use((uid_t)id))
			continue;
		u->uid = (uid_t)id;
		u->gid = (gid_t)id;
		return 0;
	}
	return fail(e, EX_UNAVAILABLE, "no free id left in dynamic_ids %u-%u", h->dynamic_first,
		    h->dynamic_last);
}

int ident_access(const struct vm_user *u, const char *path, int mode, int *err, struct perr *e)
{
	gid_t groups[NAME_LIST_MAX * 4];
	gid_t egid = getegid();
	int n = getgroups(NAME_LIST_MAX * 4, groups), ok;

	if (n < 0)
		return fail_errno(e, EX_OSERR, "getgroups");
	/* the VM's ids as the effective ones for one faccessat (no fork: it is paid by every
	 * launch), root's again at once: the saved uid stays 0 throughout */
	if (setgroups(u->n_groups, u->groups) < 0 || setegid(u->gid) < 0 || seteuid(u->uid) < 0) {
		*err = errno;
		ok = -1;
	} else {
		ok = faccessat(AT_FDCWD, path, mode, AT_EACCESS);
		*err = errno;
	}
	if (seteuid(0) < 0 || setegid(egid) < 0 || setgroups((size_t)n, groups) < 0)
		return fail_errno(e, EX_OSERR, "cannot become root again after checking %s for uid %u",
				  path, (unsigned)u->uid);
	return ok == 0 ? 0 : 1;
}

int ident_can_exec(const struct vm_user *u, const char *path, struct perr *e)
{
	int err = 0, r = ident_access(u, path, X_OK, &err, e);

	if (r <= 0)
		return r;
	errno = err;
	return fail_errno(e, EX_CONFIG, "qemu: %s cannot be executed by the VM's identity (uid %u)", path,
			  (unsigned)u->uid);
}
