/* fuzz_claim.c - claim files: parsed values stay within their bounds. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "claim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct claim_info ci = { 0 };
	struct perr e = { 0 };

	if (claim_parse((const char *)data, size, "fuzz.claim", &ci, &e) < 0) {
		assert(e.code != 0 && strncmp(e.msg, "fuzz.claim", 10) == 0);
		return 0;
	}
	assert(ci.pid == 0 || (ci.pid >= 1 && ci.pid <= 4194304));
	assert(strlen(ci.vm) < sizeof(ci.vm) && strlen(ci.orig_driver) < sizeof(ci.orig_driver));
	return 0;
}
