/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_pcidev.c - the sysfs files of one device (pcidev.h) and their inventory text
 * (devfacts.h). The first byte picks the file, the rest is its content. Whatever parses is in
 * range and its inventory text parses back to the same fact; whatever does not leaves the
 * fact at its absent value with a reason. Any inventory text that parses is canonical: it
 * renders to itself. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "devfacts.h"
#include "pcidev.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const enum devfact fact_of[11] = { FACT_BARS, FACT_RESET, FACT_POWER, FACT_LINK, FACT_LINK,
					   FACT_LINK, FACT_LINK, FACT_AER, FACT_AER, FACT_AER,
					   FACT_BOOT_VGA };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pcidev_info p, q, blank;
	char why[160] = "", text[DEVFACT_MAX], again[DEVFACT_MAX], nul[DEVFACT_MAX + 1];
	const char *form;
	unsigned k;

	if (size < 1)
		return 0;
	k = data[0] % 11;
	pcidev_clear(&p);
	pcidev_clear(&blank);
	if (pcidev_parse(1u << k, (const char *)data + 1, size - 1, &p, why, sizeof(why)) < 0) {
		assert(why[0] != '\0' && strlen(why) < sizeof(why));
		/* what the parse left may differ only in a field pcidev_read discards (it parses
		 * into a copy): nothing to check beyond memory safety */
		return 0;
	}
	assert(p.n_bar <= 7);
	for (size_t i = 0; i < p.n_bar; i++) {
		assert(p.bar[i].index <= 6 && p.bar[i].size > 0);
		assert((p.bar[i].size & (p.bar[i].size - 1)) == 0);
		assert(i == 0 || p.bar[i - 1].index < p.bar[i].index);
	}
	assert(strlen(p.reset_methods) < sizeof(p.reset_methods));
	assert(strlen(p.power_state) < sizeof(p.power_state));
	assert(p.cur_speed >= -1 && p.cur_speed <= 9999 && p.max_speed >= -1 && p.max_speed <= 9999);
	assert(p.cur_width >= -1 && p.cur_width <= 63 && p.max_width >= -1 && p.max_width <= 63);
	assert(p.aer_cor >= -1 && p.aer_nonfatal >= -1 && p.aer_fatal >= -1);
	assert(p.boot_vga >= -1 && p.boot_vga <= 1);

	/* its inventory text parses back to the same fact, and is canonical */
	devfact_render(&p, fact_of[k], text);
	q = blank;
	assert(devfact_parse(&q, fact_of[k], text, &form) == 0);
	assert(strcmp(devfact_render(&q, fact_of[k], again), text) == 0);

	/* the same bytes as inventory text of the fact: refused, or canonical */
	if (size - 1 < sizeof(nul)) {
		memcpy(nul, data + 1, size - 1);
		nul[size - 1] = '\0';
		q = blank;
		if (devfact_parse(&q, fact_of[k], nul, &form) == 0)
			assert(strcmp(devfact_render(&q, fact_of[k], again), nul) == 0);
		else
			assert(form != NULL && form[0] != '\0');
	}
	return 0;
}
