/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rom.c - a model's romfile, opened as root and handed to QEMU as a sealed copy. */
#include "rom.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files.h"
#include "model.h"
#include "trust.h"

int rom_open(const struct host_config *host, const char *name, int *out, struct perr *e)
{
	char at[CONF_PATH_MAX + ROMFILE_MAX + 16];
	struct stat st;
	int dir, fd, r;

	snprintf(at, sizeof(at), "romfile %s/%s", host->rom_dir, name);
	if (romfile_check(name) != NULL) /* the model's parser said so already: never a path */
		return fail(e, EX_DATAERR, "%s: expected a file name", at);
	if (trust_dir(host->rom_dir, e) < 0)
		return -1;
	if ((dir = open(host->rom_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return fail_errno(e, EX_OSERR, "%s", host->rom_dir);
	/* O_NONBLOCK: a FIFO put there must not hang the launch before it is refused */
	fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	close(dir);
	if (fd < 0) {
		if (errno == ENOENT)
			return fail(e, EX_NOINPUT, "%s: no such file", at);
		if (errno == ELOOP)
			return fail(e, EX_NOPERM, "%s: expected a regular file, got a symlink", at);
		return fail_errno(e, EX_OSERR, "%s", at);
	}
	r = fstat(fd, &st) < 0 ? fail_errno(e, EX_OSERR, "%s", at) : 0;
	if (r == 0 && !S_ISREG(st.st_mode))
		r = fail(e, EX_NOPERM, "%s: expected a regular file", at);
	if (r == 0 && trust_check(&st, at, e) < 0)
		r = -1;
	if (r == 0 && (st.st_size <= 0 || st.st_size > ROM_MAX))
		r = fail(e, EX_DATAERR, "%s: expected 1 byte to %u MiB, got %lld bytes", at, ROM_MAX >> 20,
			 (long long)st.st_size);
	if (r == 0 && files_seal(fd, ROM_MAX, "pcipass-rom", at, out, e) < 0)
		r = -1;
	close(fd);
	return r;
}
