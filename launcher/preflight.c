/* SPDX-License-Identifier: GPL-2.0-or-later */
/* preflight.c - --dry-run's checks beyond the plan: would the launch succeed?
 *
 * Each check asks what the launch step would meet, through the launch's own code where it can
 * (the same openat2 beneath image_dirs, the same identity rules), but stops short of the change
 * the step makes: no directory made, no lease taken, no tap made, no file written, no device
 * touched. A failed check is kept and the next one made, so that one run shows every problem. */
#include "preflight.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

#include "claim.h"
#include "files.h"
#include "firmware.h"
#include "prepare.h"

void problem_add(struct problems *ps, struct perr *e)
{
	if (e->code == 0) /* a check that failed without saying why: still a failure */
		fail(e, EX_SOFTWARE, "a check failed without a message");
	if (ps->n < PROBLEMS_MAX)
		ps->p[ps->n++] = *e;
	else
		ps->lost++;
	memset(e, 0, sizeof(*e));
}

int problems_status(const struct problems *ps)
{
	return ps->n ? ps->p[0].code : 0;
}

bool memlock_raisable(unsigned long long need_mib, unsigned long long hard, bool cap_sys_resource)
{
	return cap_sys_resource || hard == (unsigned long long)RLIM_INFINITY || hard >= need_mib << 20;
}

/* "FILE:LINE: " (or "FILE: ") before e's message: where in vm.ini the problem comes from. */
static void located(struct perr *e, const char *file, int line)
{
	char msg[VM_PATH_MAX + 16 + sizeof(e->msg)];

	if (line > 0)
		snprintf(msg, sizeof(msg), "%s:%d: %s", file, line, e->msg);
	else
		snprintf(msg, sizeof(msg), "%s: %s", file, e->msg);
	snprintf(e->msg, sizeof(e->msg), "%.*s", (int)sizeof(e->msg) - 1, msg);
	log_escape(e->msg, sizeof(e->msg)); /* the file's name is the caller's */
}

static bool cap_sys_resource(void)
{
	struct __user_cap_header_struct hd = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &hd, d) < 0)
		return false;
	return (d[CAP_SYS_RESOURCE / 32].effective >> (CAP_SYS_RESOURCE % 32)) & 1;
}

/* The name lease as name_lock would find it: no VM of that name running. */
static int name_free(const struct host_config *h, const struct vm_config *vm, struct perr *e)
{
	char dir[CONF_PATH_MAX + 8], name[VM_NAME_MAX + 8];
	struct claim_info ci;

	if (xsnprintf(dir, sizeof(dir), "%s/vms", h->state_dir) < 0)
		return fail(e, EX_CONFIG, "state_dir too long");
	snprintf(name, sizeof(name), "%s.lock", vm->name);
	if (lease_inspect(dir, name, &ci, e) < 0)
		return -1;
	if (ci.held)
		return fail(e, EX_UNAVAILABLE, "a VM named %s is running", vm->name);
	return 0;
}

/* The VM's identity as ident_resolve and ident_lease would make it, each group and the user
 * checked on their own, the uid found without a lease. True when it is whole. */
static bool identity(const struct host_config *h, const struct vm_config *vm, struct vm_user *u,
		     struct problems *ps)
{
	struct perr e = { 0 };
	bool whole = true;

	for (size_t i = 0; i < h->n_vm_groups; i++) {
		if (ident_group(h, h->vm_groups[i], &u->groups[u->n_groups], &e) < 0) {
			problem_add(ps, &e);
			whole = false;
			continue;
		}
		u->n_groups++;
	}
	if (ident_user(h, vm, u, &e) < 0) {
		if (vm->user[0])
			located(&e, vm->file, vm->user_line);
		problem_add(ps, &e);
		return false;
	}
	if (name_free(h, vm, &e) < 0)
		problem_add(ps, &e);
	if (ident_peek(h, u, &e) < 0) {
		problem_add(ps, &e);
		return false;
	}
	return whole;
}

/* numa_node = N: the host has node N. */
static int numa_check(const struct host_config *h, const struct vm_config *vm, struct perr *e)
{
	char path[CONF_PATH_MAX + 48];
	struct stat st;

	if (xsnprintf(path, sizeof(path), "%s/devices/system/node/node%d", h->sysfs_root, vm->numa_node) < 0)
		return fail(e, EX_CONFIG, "sysfs_root too long");
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	fail(e, EX_DATAERR, "numa_node = %d: expected a NUMA node of this host, got one it does not have (no %s)",
	     vm->numa_node, path);
	located(e, vm->file, vm->numa_line);
	return -1;
}

/* The groups' names, for a message: "kvm users" or "none". */
static const char *group_names(const struct host_config *h, char *buf, size_t size)
{
	size_t o = 0;

	snprintf(buf, size, "none");
	for (size_t i = 0; i < h->n_vm_groups && o < size; i++)
		o += (size_t)snprintf(buf + o, size - o, "%s%s", i ? " " : "", h->vm_groups[i]);
	return buf;
}

/* accel = kvm: <dev_root>/kvm is the KVM device, and the VM's identity (when known) can open it
 * read-write, as QEMU will. */
static int kvm_check(const struct host_config *h, const struct vm_config *vm,
		     const struct vm_user *u, bool resolved, struct perr *e)
{
	char path[CONF_PATH_MAX + 8], names[NAME_LIST_MAX * (USER_NAME_MAX + 1) + 8];
	struct stat st;
	int err = 0, r;

	if (xsnprintf(path, sizeof(path), "%s/kvm", h->dev_root) < 0)
		return fail(e, EX_CONFIG, "dev_root too long");
	if ((r = stat(path, &st)) < 0 && errno != ENOENT) {
		fail_errno(e, EX_OSERR, "accel = kvm: %s", path);
	} else if (r < 0) {
		fail(e, EX_UNAVAILABLE,
		     "accel = kvm: %s: expected the KVM device (the kvm-intel or kvm-amd module; or accel = tcg), got none",
		     path);
	} else if (!S_ISCHR(st.st_mode)) {
		fail(e, EX_CONFIG, "accel = kvm: %s: expected the KVM device, got %s", path,
		     S_ISDIR(st.st_mode) ? "a directory" : "not a character device");
	} else if (!resolved) {
		return 0; /* whose access to check is not known: that problem is reported already */
	} else if ((r = ident_access(u, path, R_OK | W_OK, &err, e)) <= 0) {
		return r; /* -1: root's ids not had back, nothing to do with vm.ini */
	} else {
		errno = err;
		fail_errno(e, EX_NOPERM,
			   "accel = kvm: %s: the VM's identity (uid %u, gid %u, groups %s) cannot open it read-write (mode %04o, owner %u:%u); list its group in vm_groups of %s",
			   path, (unsigned)u->uid, (unsigned)u->gid, group_names(h, names, sizeof(names)),
			   (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid, (unsigned)st.st_gid,
			   h->file[0] ? h->file : DEFAULT_CONFIG);
	}
	located(e, vm->file, vm->accel_line);
	return -1;
}

/* Devices: the VFIO driver they will be bound to is loaded; RLIMIT_MEMLOCK can be raised to
 * the guest's memory + 1 GiB (VFIO pins all of it). */
static void devices_check(const struct host_config *h, const struct vm_config *vm,
			  struct problems *ps)
{
	char path[CONF_PATH_MAX + 96], limit[32];
	struct perr e = { 0 };
	struct rlimit rl;
	struct stat st;

	if (xsnprintf(path, sizeof(path), "%s/bus/pci/drivers/%s", h->sysfs_root, h->vfio_driver) < 0)
		fail(&e, EX_CONFIG, "sysfs_root too long");
	else if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		fail(&e, EX_OSERR, "%s is not loaded: modprobe %s%s", h->vfio_driver, h->vfio_driver, /* as bind.c */
		     strcmp(h->vfio_driver, "vfio-pci") == 0 ? " (the package loads it at boot)" : "");
	if (e.code)
		problem_add(ps, &e);
	if (getrlimit(RLIMIT_MEMLOCK, &rl) < 0) {
		fail_errno(&e, EX_OSERR, "RLIMIT_MEMLOCK");
		problem_add(ps, &e);
		return;
	}
	if (memlock_raisable(vm->memory_mib + 1024, rl.rlim_max, cap_sys_resource()))
		return;
	snprintf(limit, sizeof(limit), "%llu KiB", (unsigned long long)rl.rlim_max >> 10);
	fail(&e, EX_OSERR,
	     "RLIMIT_MEMLOCK: expected to raise it to %llu MiB (memory + 1 GiB: VFIO pins all guest memory), got a hard limit of %s and no CAP_SYS_RESOURCE",
	     vm->memory_mib + 1024, limit);
	problem_add(ps, &e);
}

void preflight(const struct host_config *h, const struct vm_config *vm, size_t n_dev,
	       struct vm_user *u, bool *resolved, struct problems *ps)
{
	struct perr e = { 0 };

	memset(ps, 0, sizeof(*ps));
	memset(u, 0, sizeof(*u));
	*resolved = false;
	if (geteuid() != 0) {
		fail(&e, EX_NOPERM, "not checked whether the launch would succeed: that needs root (the VM's identity, /dev/kvm, QEMU, files and taps)");
		problem_add(ps, &e);
		return;
	}
	if (state_verify(h->state_dir, &e) < 0)
		problem_add(ps, &e);
	*resolved = identity(h, vm, u, ps);
	if (vm->numa_node >= 0 && numa_check(h, vm, &e) < 0)
		problem_add(ps, &e);
	if (*resolved && ident_can_exec(u, h->qemu, &e) < 0)
		problem_add(ps, &e);
	if (strcmp(vm->accel, "kvm") == 0 && kvm_check(h, vm, u, *resolved, &e) < 0)
		problem_add(ps, &e);
	for (size_t i = 0; i < vm->n_disk; i++)
		if (files_check_disk(h, vm, i, &e) < 0)
			problem_add(ps, &e);
	if (vm->kernel[0] && files_check_boot(h, vm, false, &e) < 0)
		problem_add(ps, &e);
	if (vm->initrd[0] && files_check_boot(h, vm, true, &e) < 0)
		problem_add(ps, &e);
	for (size_t i = 0; i < vm->n_net; i++)
		if (strcmp(vm->net[i].mode, "tap") == 0 && files_check_tap(h, vm, i, &e) < 0)
			problem_add(ps, &e);
	if (strcmp(vm->firmware, "uefi") == 0 && fw_check(h, vm, &e) < 0)
		problem_add(ps, &e);
	if (n_dev > 0 || vm->hotplug_slots > 0) /* devices now, or --attach later */
		devices_check(h, vm, ps);
}
