/* fuzz_ini.c - the checked line reader under inih: line numbers only grow, no value or key
 * holds a newline or control character, and no line longer than the limit gets through. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "inifile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int last_line;

static void clean(const char *s)
{
	assert(strlen(s) <= 197);
	for (; *s; s++)
		assert((unsigned char)*s >= 0x20 || *s == '\t');
}

static int on_section(void *user, const struct ini_pos *at, const char *name, struct perr *e)
{
	(void)user;
	(void)e;
	assert(at->line > last_line);
	last_line = at->line;
	clean(name);
	return 0;
}

static int on_key(void *user, const struct ini_pos *at, const char *section, const char *key,
		  const char *value, struct perr *e)
{
	(void)user;
	(void)e;
	assert(at->line > last_line);
	last_line = at->line;
	if (section)
		clean(section);
	assert(key[0] != '\0' && key[0] != ' ' && key[0] != '[' && key[0] != ';' && key[0] != '#');
	clean(key);
	clean(value);
	return 0;
}

static const struct ini_ops ops = { on_section, on_key };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct perr e = { 0 };

	last_line = 0;
	if (ini_read_mem((const char *)data, size, "fuzz.ini", &ops, NULL, &e) < 0)
		assert(e.code == EX_DATAERR && strncmp(e.msg, "fuzz.ini", 8) == 0);
	return 0;
}
