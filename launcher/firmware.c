/* SPDX-License-Identifier: GPL-2.0-or-later */
/* firmware.c - firmware = uefi: OVMF's code and the VM's own variable store, by descriptor.
 *
 * The code and the template of the variables are the host's (its config names them), so they
 * get the config's trust rule; the VM's copy lives in nvram_dir, which is root's alone, and is
 * the only one of them QEMU may write. The VM's identity needs no right on any of them. */
#include "firmware.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "files.h"
#include "trust.h"

#define AT_MAX (VM_PATH_MAX + 32)
#define VARS_PATH_MAX (CONF_PATH_MAX + VM_NAME_MAX + 8)

/* The start of every message: "vm.ini:5: firmware = uefi". */
static const char *where(char at[AT_MAX], const struct vm_config *vm)
{
	if (vm->firmware_line > 0)
		snprintf(at, AT_MAX, "%s:%d: firmware = uefi", vm->file, vm->firmware_line);
	else
		snprintf(at, AT_MAX, "%s: firmware = uefi", vm->file);
	return at;
}

static const char *type_of(mode_t m)
{
	return S_ISLNK(m) ? "a symlink" : S_ISDIR(m) ? "a directory" : S_ISFIFO(m) ? "a FIFO" :
	       S_ISSOCK(m) ? "a socket" : S_ISCHR(m) ? "a character device" :
	       S_ISBLK(m) ? "a block device" : "not a regular file";
}

static int vars_path(char out[VARS_PATH_MAX], const struct host_config *host,
		     const struct vm_config *vm, struct perr *e)
{
	/* a VM's name is a file name: [A-Za-z0-9._-], never starting with '.' or '-' (vmconf.c) */
	if (xsnprintf(out, VARS_PATH_MAX, "%s/%s.fd", host->nvram_dir, vm->name) < 0)
		return fail(e, EX_CONFIG, "nvram_dir too long");
	return 0;
}

void fw_describe(const struct host_config *host, const struct vm_config *vm, struct handover *h)
{
	char path[VARS_PATH_MAX];
	struct perr ignore = { 0 };

	if (vars_path(path, host, vm, &ignore) < 0)
		snprintf(path, sizeof(path), "%s", "nvram_dir (too long)");
	for (size_t i = 0; i < h->n; i++) {
		struct fd_entry *f = &h->e[i];
		if (f->kind != FD_FIRMWARE)
			continue;
		if (f->index == 0)
			snprintf(f->why, sizeof(f->why), "OVMF code (read-only): %.*s",
				 (int)(sizeof(f->why) - 32), host->ovmf_code);
		else
			snprintf(f->why, sizeof(f->why), "OVMF variables (%s): %.*s",
				 f->rdonly ? "read-only" : "read-write", (int)(sizeof(f->why) - 40), path);
	}
}

/* ovmf_code or ovmf_vars (key), a file of the host's: regular and no symlink itself, root's and
 * writable by nobody else, on a path trust_path() accepts; opened O_RDONLY. O_PATH first, so
 * that nothing but a regular file is ever opened (no FIFO blocks, no driver runs). */
static int host_file(const char *at, const char *key, const char *path, struct stat *st,
		     struct perr *e)
{
	struct perr t = { 0 };
	int p = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC), fd;

	if (p < 0 && (errno == ENOENT || errno == ENOTDIR))
		return fail(e, EX_NOINPUT, "%s: %s %s: expected OVMF's %s (Debian's ovmf package), got no such file",
			    at, key, path, strcmp(key, "ovmf_code") == 0 ? "code" : "variable store template");
	if (p < 0)
		return fail_errno(e, EX_OSERR, "%s: %s %s", at, key, path);
	if (fstat(p, st) < 0) {
		fail_errno(e, EX_OSERR, "%s: %s %s: fstat", at, key, path);
		close(p);
		return -1;
	}
	if (!S_ISREG(st->st_mode)) {
		close(p);
		return fail(e, EX_CONFIG, "%s: %s %s: expected a regular file, got %s%s", at, key, path,
			    type_of(st->st_mode), S_ISLNK(st->st_mode) ? " (name the file it leads to)" : "");
	}
	if (trust_check(st, path, &t) < 0 || trust_path(path, &t) < 0) {
		close(p);
		return fail(e, EX_CONFIG, "%s: %s: %s", at, key, t.msg);
	}
	fd = files_reopen(p, O_RDONLY);
	close(p);
	if (fd < 0)
		return fail_errno(e, EX_OSERR, "%s: %s %s", at, key, path);
	return fd;
}

/* The template: a host file of 1 byte to FW_VARS_MAX. */
static int template_open(const char *at, const struct host_config *host, struct stat *st,
			 struct perr *e)
{
	int fd = host_file(at, "ovmf_vars", host->ovmf_vars, st, e);

	if (fd >= 0 && (st->st_size <= 0 || st->st_size > FW_VARS_MAX)) {
		close(fd);
		return fail(e, EX_CONFIG, "%s: ovmf_vars %s: expected a variable store of 1 byte to %u MiB, got %lld bytes",
			    at, host->ovmf_vars, FW_VARS_MAX >> 20, (long long)st->st_size);
	}
	return fd;
}

/* nvram_dir as a directory descriptor, made (0700) first when make and it is missing; either
 * way it must pass trust_dir(). */
static int nvram_open(const char *at, const struct host_config *host, bool make, struct perr *e)
{
	struct perr t = { 0 };
	int fd;

	if (make && mkdir(host->nvram_dir, 0700) < 0 && errno != EEXIST)
		return fail_errno(e, EX_CANTCREAT, "%s: nvram_dir %s: cannot make it", at, host->nvram_dir);
	if (trust_dir(host->nvram_dir, &t) < 0)
		return fail(e, t.code, "%s: nvram_dir: %s", at, t.msg);
	if ((fd = open(host->nvram_dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return fail_errno(e, EX_OSERR, "%s: nvram_dir %s", at, host->nvram_dir);
	return fd;
}

/* A VM's variable store as pcipass makes it: a regular file of root's, one link (a second one
 * elsewhere, in an image dir say, could hand it to another VM), writable by root alone, as
 * large as the template (else it was made for other firmware). */
static int vars_verify(int fd, const char *at, const char *path, const struct host_config *host,
		       off_t want, struct perr *e)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return fail_errno(e, EX_OSERR, "%s: %s: fstat", at, path);
	if (!S_ISREG(st.st_mode))
		return fail(e, EX_NOPERM, "%s: %s: refusing it: expected a regular file, got %s", at, path,
			    type_of(st.st_mode));
	if (st.st_uid != 0)
		return fail(e, EX_NOPERM, "%s: %s: refusing it: owned by uid %u, expected root", at, path,
			    (unsigned)st.st_uid);
	if (st.st_nlink != 1)
		return fail(e, EX_NOPERM, "%s: %s: refusing it: %lu links, expected 1", at, path,
			    (unsigned long)st.st_nlink);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return fail(e, EX_NOPERM, "%s: %s: refusing it: writable by group or others (mode %04o)", at,
			    path, (unsigned)(st.st_mode & 07777));
	if (st.st_size != want)
		return fail(e, EX_DATAERR,
			    "%s: %s: expected %lld bytes, as ovmf_vars %s, got %lld: made for other firmware; move it away to start from the template again (its variables are lost)",
			    at, path, (long long)want, host->ovmf_vars, (long long)st.st_size);
	return 0;
}

/* <nvram_dir>/<name>.fd made whole from the template (size bytes). */
static int vars_create(const char *at, const char *path, int tmpl, off_t size, struct perr *e)
{
	char *data = malloc((size_t)size);
	struct perr t = { 0 };
	size_t got = 0;
	int r;

	if (data == NULL)
		return fail_errno(e, EX_OSERR, "%s: %s", at, path);
	while (got < (size_t)size) {
		ssize_t n = pread(tmpl, data + got, (size_t)size - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(data);
			return n < 0 ? fail_errno(e, EX_IOERR, "%s: reading ovmf_vars", at) :
				       fail(e, EX_IOERR, "%s: ovmf_vars shrank while being copied", at);
		}
		got += (size_t)n;
	}
	r = atomic_create(path, data, (size_t)size, 0600, &t);
	free(data);
	return r < 0 ? fail(e, t.code, "%s: %s", at, t.msg) : 0;
}

int fw_open(const struct host_config *host, const struct vm_config *vm, struct handover *h,
	    struct perr *e)
{
	struct fd_entry *code = handover_find(h, FD_FIRMWARE, 0), *rw = handover_find(h, FD_FIRMWARE, 1);
	struct fd_entry *ro = NULL;
	char at[AT_MAX], path[VARS_PATH_MAX];
	struct stat tst, st;
	int tmpl = -1, dir = -1, p = -1;

	where(at, vm);
	for (size_t i = 0; i < h->n; i++)
		if (h->e[i].kind == FD_FIRMWARE && h->e[i].index == 1 && h->e[i].rdonly)
			ro = &h->e[i];
	if (code == NULL || rw == NULL || ro == NULL || rw->rdonly)
		return fail(e, EX_SOFTWARE, "%s: no descriptors planned for it", at);
	if (vars_path(path, host, vm, e) < 0 ||
	    (code->src = host_file(at, "ovmf_code", host->ovmf_code, &st, e)) < 0 ||
	    (tmpl = template_open(at, host, &tst, e)) < 0 || (dir = nvram_open(at, host, true, e)) < 0)
		goto fail;
	p = openat(dir, strrchr(path, '/') + 1, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (p < 0 && errno == ENOENT) {
		if (vars_create(at, path, tmpl, tst.st_size, e) < 0)
			goto fail;
		say(vm->name, "firmware variables %s made from %s", path, host->ovmf_vars);
		p = openat(dir, strrchr(path, '/') + 1, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	}
	if (p < 0) {
		fail_errno(e, EX_OSERR, "%s: %s", at, path);
		goto fail;
	}
	if (vars_verify(p, at, path, host, tst.st_size, e) < 0)
		goto fail;
	if ((ro->src = files_reopen(p, O_RDONLY)) < 0 || (rw->src = files_reopen(p, O_RDWR)) < 0) {
		fail_errno(e, EX_OSERR, "%s: %s", at, path);
		goto fail;
	}
	close(p);
	close(dir);
	close(tmpl);
	return 0;
fail:
	for (struct fd_entry *f = code; f; f = f == code ? ro : f == ro ? rw : NULL)
		if (f->src >= 0) {
			close(f->src);
			f->src = -1;
		}
	if (p >= 0)
		close(p);
	if (dir >= 0)
		close(dir);
	if (tmpl >= 0)
		close(tmpl);
	return -1;
}

/* nvram_dir would be made: its parent must be there, and trusted. */
static int nvram_parent_check(const char *at, const struct host_config *host, struct perr *e)
{
	char parent[CONF_PATH_MAX];
	struct perr t = { 0 };
	char *slash;

	snprintf(parent, sizeof(parent), "%s", host->nvram_dir);
	slash = strrchr(parent, '/');
	if (slash == NULL)
		return fail(e, EX_CONFIG, "%s: nvram_dir %s: expected an absolute path", at, host->nvram_dir);
	slash[slash == parent] = '\0';
	if (trust_dir(parent, &t) < 0)
		return fail(e, t.code == EX_NOINPUT ? EX_CANTCREAT : t.code, "%s: nvram_dir %s cannot be made: %s",
			    at, host->nvram_dir, t.msg);
	return 0;
}

int fw_check(const struct host_config *host, const struct vm_config *vm, struct perr *e)
{
	char at[AT_MAX], path[VARS_PATH_MAX];
	struct stat tst, st;
	int fd, dir, p, r = 0;

	where(at, vm);
	if (vars_path(path, host, vm, e) < 0 ||
	    (fd = host_file(at, "ovmf_code", host->ovmf_code, &st, e)) < 0)
		return -1;
	close(fd);
	if ((fd = template_open(at, host, &tst, e)) < 0)
		return -1;
	close(fd);
	if (lstat(host->nvram_dir, &st) < 0 && errno == ENOENT)
		return nvram_parent_check(at, host, e); /* made at launch, and the copy in it */
	if ((dir = nvram_open(at, host, false, e)) < 0)
		return -1;
	p = openat(dir, strrchr(path, '/') + 1, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	close(dir);
	if (p < 0)
		return errno == ENOENT ? 0 : fail_errno(e, EX_OSERR, "%s: %s", at, path);
	if (vars_verify(p, at, path, host, tst.st_size, e) < 0)
		r = -1;
	for (int i = 0; r == 0 && i < 2; i++) { /* as the launch opens it: never O_CREAT or O_TRUNC */
		if ((fd = files_reopen(p, i ? O_RDWR : O_RDONLY)) < 0)
			r = fail_errno(e, errno == EACCES || errno == EROFS ? EX_NOPERM : EX_OSERR, "%s: %s", at, path);
		else
			close(fd);
	}
	close(p);
	return r;
}
