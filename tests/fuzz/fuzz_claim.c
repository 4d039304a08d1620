/* fuzz_claim.c - claim files (vm=, pid=, orig_driver=, model=): a parse either fails with one
 * "fuzz.claim:..." line, or gives values within their bounds and character sets. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "claim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char word[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";

/* "" (not given) or a word that fits its buffer. */
static void word_ok(const char *s, size_t size)
{
	assert(strnlen(s, size) < size);
	assert(s[0] == '\0' || str_only(s, word, size - 1));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct claim_info ci = { 0 };
	struct perr e = { 0 };

	if (claim_parse((const char *)data, size, "fuzz.claim", &ci, &e) < 0) {
		assert(e.code == EX_DATAERR);
		assert(strncmp(e.msg, "fuzz.claim", 10) == 0);
		assert(strchr(e.msg, '\n') == NULL);
		return 0;
	}
	assert(e.code == 0);
	assert(!ci.exists && !ci.held && !ci.unreadable); /* the parser only reads the text */
	assert(ci.pid == 0 || (ci.pid >= 1 && ci.pid <= 4194304));
	word_ok(ci.vm, sizeof(ci.vm));
	word_ok(ci.orig_driver, sizeof(ci.orig_driver));
	word_ok(ci.model, sizeof(ci.model));
	return 0;
}
