/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cm.h - what every unit test includes: cmocka and a scratch directory helper. */
#ifndef PCIPASS_CM_H
#define PCIPASS_CM_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"
#include <cmocka.h>
#undef fail /* cmocka's; ours (util.h) is the one under test */
#undef fail_msg
#define fail_msg(...) do { print_error(__VA_ARGS__); print_error("\n"); _fail(__FILE__, __LINE__); } while (0)

/* A fresh directory under $TMPDIR (or /tmp), mode 0755, removed by rmtree(). */
static inline void scratch(char dir[256])
{
	const char *t = getenv("TMPDIR");
	snprintf(dir, 256, "%s/pcipass-unit.XXXXXX", t && *t ? t : "/tmp");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chmod(dir, 0755), 0);
}

static inline void rmtree(const char *dir)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* Write text to dir/name with mode. */
static inline void put_file(const char *dir, const char *name, const char *text, mode_t mode)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

#endif
