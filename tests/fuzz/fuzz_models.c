/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_models.c - models.d files through models_parse and models_finish. A failure is one
 * "fuzz.conf..." line and leaks nothing. A success gives models that pass the name and type
 * rules, survive model_render and a re-parse field for field, and are found again by their own
 * ids; models_match agrees with a plain linear search on ids near every model's. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What models_match promises, the slow way: the exact subsystem match, else the plain one. */
static const struct model *slow_match(const struct model_set *ms, unsigned v, unsigned d,
				      bool has_subsys, unsigned sv, unsigned sd)
{
	const struct model *plain = NULL;

	for (size_t i = 0; i < ms->n; i++) {
		const struct model *m = &ms->v[i];
		if (m->vendor != v || m->device != d)
			continue;
		if (!m->has_subsys)
			plain = m;
		else if (has_subsys && m->subsys_vendor == sv && m->subsys_device == sd)
			return m;
	}
	return plain;
}

static void same_match(const struct model_set *ms, unsigned v, unsigned d, bool has_subsys,
		       unsigned sv, unsigned sd)
{
	v &= 0xffff, d &= 0xffff, sv &= 0xffff, sd &= 0xffff;
	assert(models_match(ms, v, d, has_subsys, sv, sd) == slow_match(ms, v, d, has_subsys, sv, sd));
}

static void failed(const struct perr *e)
{
	assert(e->code == EX_DATAERR);
	assert(strncmp(e->msg, "fuzz.conf", 9) == 0);
	assert(strchr(e->msg, '\n') == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct model_set ms = { 0 };
	struct perr e = { 0 };
	char text[1024], out[DEV_TYPE_MAX + 1];

	if (models_parse((const char *)data, size, "fuzz.conf", &ms, &e) < 0 ||
	    models_finish(&ms, &e) < 0) {
		failed(&e);
		models_free(&ms);
		return 0;
	}
	assert(e.code == 0);
	for (size_t i = 0; i < ms.n; i++) {
		const struct model *m = &ms.v[i];
		struct model_set again = { 0 };
		struct perr e2 = { 0 };
		int n;

		assert(model_name_check(m->name) == NULL);
		assert(dev_type_check(m->dev_type, out) == NULL && strcmp(out, m->dev_type) == 0);
		assert(m->vendor <= 0xffff && m->device <= 0xffff);
		assert(!m->has_subsys || (m->subsys_vendor <= 0xffff && m->subsys_device <= 0xffff));
		assert(strcmp(m->file, "fuzz.conf") == 0 && m->line >= 1 && m->seq == i);
		assert(models_find(&ms, m->name) == m);

		/* Its own ids find it; ids next to them find what a linear search finds. */
		assert(models_match(&ms, m->vendor, m->device, m->has_subsys, m->subsys_vendor,
				    m->subsys_device) == m);
		same_match(&ms, m->vendor, m->device, false, 0, 0);
		same_match(&ms, m->vendor, m->device, true, m->subsys_vendor, m->subsys_device);
		same_match(&ms, m->vendor, m->device, true, m->subsys_vendor + 1, m->subsys_device);
		same_match(&ms, m->vendor, m->device, true, m->subsys_vendor, m->subsys_device - 1);
		same_match(&ms, m->vendor, m->device + 1, m->has_subsys, m->subsys_vendor, m->subsys_device);
		same_match(&ms, m->vendor - 1, m->device, false, 0, 0);

		/* What pcipass-model would write reads back as the same model. */
		n = model_render(m, text, sizeof(text));
		assert(n > 0 && (size_t)n == strlen(text));
		assert(models_parse(text, (size_t)n, "again.conf", &again, &e2) == 0);
		assert(models_finish(&again, &e2) == 0);
		assert(again.n == 1);
		assert(strcmp(again.v[0].name, m->name) == 0);
		assert(strcmp(again.v[0].dev_type, m->dev_type) == 0);
		assert(again.v[0].vendor == m->vendor && again.v[0].device == m->device);
		assert(again.v[0].has_subsys == m->has_subsys);
		assert(!m->has_subsys || (again.v[0].subsys_vendor == m->subsys_vendor &&
					  again.v[0].subsys_device == m->subsys_device));
		assert(again.v[0].line == 2 && strcmp(again.v[0].file, "again.conf") == 0);
		models_free(&again);
	}
	/* The same file read twice (a copy in models.d) is refused: every name is taken. */
	if (ms.n > 0) {
		assert(models_parse((const char *)data, size, "fuzz.conf", &ms, &e) == 0);
		assert(models_finish(&ms, &e) < 0);
		failed(&e);
		assert(strstr(e.msg, "is already defined at fuzz.conf:") != NULL);
	}
	models_free(&ms);
	return 0;
}
