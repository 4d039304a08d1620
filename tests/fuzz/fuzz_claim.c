/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_claim.c - lease records (vm=, pid=, start=, uid=, orig_driver=, model=): a parse either
 * fails with one "fuzz.claim:..." line, or gives values within their bounds and character sets. */
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
	/* the parser only reads the text */
	assert(!ci.exists && !ci.held && !ci.locked && !ci.alive && !ci.unreadable);
	assert(ci.pid == 0 || (ci.pid >= 1 && ci.pid <= 4194304));
	assert(ci.start <= (~0ULL >> 1)); /* 0: not given */
	assert(ci.uid >= -1 && ci.uid <= 4294967294LL); /* -1: not given; (uid_t)-1 is no uid */
	word_ok(ci.vm, sizeof(ci.vm));
	assert(ci.orig_driver[0] == '\0' || driver_name_ok(ci.orig_driver, sizeof(ci.orig_driver) - 1));
	word_ok(ci.model, sizeof(ci.model));
	return 0;
}
