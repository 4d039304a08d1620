/* SPDX-License-Identifier: GPL-2.0-or-later */
/* inifile.h - every INI file pcipass reads goes through here (inih underneath).
 *
 * inih is small and well tested, but Debian's build cuts lines at 200 bytes, cuts section and
 * key names at 50, joins indented lines to the previous value and keeps going after a syntax
 * error. This layer feeds inih one checked line at a time, so none of that can happen silently:
 * over-long lines, control characters and malformed lines are errors with file:line. */
#ifndef PCIPASS_INIFILE_H
#define PCIPASS_INIFILE_H

#include <stddef.h>
#include "util.h"

/* Largest file we agree to read: the largest inventory the probe can write (INVENTORY_MAX
 * devices with the longest names, see inventory.c) fits. */
#define INI_MAX_FILE (32u << 20)

struct ini_pos {
	const char *file;
	int line;
};

/* What a file type does with what the reader finds. Each returns 0, or -1 with e set. */
struct ini_ops {
	int (*section)(void *user, const struct ini_pos *at, const char *name, struct perr *e);
	int (*key)(void *user, const struct ini_pos *at, const char *section, const char *key,
		   const char *value, struct perr *e);
};

/* Parse the open file fd (named `name` in messages). Stops at the first error. */
int ini_read_fd(int fd, const char *name, const struct ini_ops *ops, void *user,
		struct perr *e) MUST_CHECK;
/* Read a whole regular file of at most INI_MAX_FILE bytes into a NUL-terminated buffer. */
int slurp_fd(int fd, const char *name, char **text, size_t *len, struct perr *e) MUST_CHECK;

/* Same for text in memory (tests and fuzzers). */
int ini_read_mem(const char *text, size_t len, const char *name, const struct ini_ops *ops,
		 void *user, struct perr *e) MUST_CHECK;

/* Error at a place: "file:line: ..." */
int ini_fail(struct perr *e, const struct ini_pos *at, int code, const char *fmt, ...) PRINTF(4, 5);

/* A key table: callers keep their keys as data, not an if-chain. */
struct ini_key;
typedef int (*ini_parse_fn)(const struct ini_pos *at, const struct ini_key *k, const char *value,
			    void *field, struct perr *e);
struct ini_key {
	const char *name;
	ini_parse_fn parse;
	size_t off;  /* offset of the field in the object */
	size_t size; /* for strings: the size of the buffer */
	bool repeat; /* may be given several times (each adds to a list) */
};

#define INI_KEY(name, parse, type, field, size) { name, parse, offsetof(type, field), size, false }

/* Find `key` in the table, refuse unknown keys and repeated ones (unless k->repeat) (seen is a bitmap, one bit per
 * table entry, at most 32 entries), and parse the value into obj. */
int ini_set(const struct ini_key *table, size_t n, void *obj, unsigned *seen,
	    const struct ini_pos *at, const char *section, const char *key, const char *value,
	    struct perr *e) MUST_CHECK;

/* Value parsers for key tables. */
int ini_parse_path(const struct ini_pos *, const struct ini_key *, const char *, void *, struct perr *);
int ini_parse_bool(const struct ini_pos *, const struct ini_key *, const char *, void *, struct perr *);
int ini_parse_word(const struct ini_pos *, const struct ini_key *, const char *, void *, struct perr *);
/* A word, or nothing (e.g. the driver of an unbound device). */
int ini_parse_opt_word(const struct ini_pos *, const struct ini_key *, const char *, void *, struct perr *);
/* A kernel driver's name (driver_name_ok), or nothing (an unbound device). */
int ini_parse_driver(const struct ini_pos *, const struct ini_key *, const char *, void *, struct perr *);
int ini_parse_hex16(const struct ini_pos *, const struct ini_key *, const char *, void *, struct perr *);
int ini_parse_int(const struct ini_pos *, const struct ini_key *, const char *, void *, struct perr *);

#endif
