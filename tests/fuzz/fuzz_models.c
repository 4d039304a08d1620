/* fuzz_models.c - models.d files: valid models survive a render and re-parse unchanged, and
 * every model is found again by its own ids. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct model_set ms = { 0 };
	struct perr e = { 0 };
	char text[1024], out[DEV_TYPE_MAX + 1];

	if (models_parse((const char *)data, size, "fuzz.conf", &ms, &e) < 0 ||
	    models_finish(&ms, &e) < 0) {
		assert(e.code == EX_DATAERR || e.code == EX_OSERR);
		assert(strchr(e.msg, '\n') == NULL);
		models_free(&ms);
		return 0;
	}
	for (size_t i = 0; i < ms.n; i++) {
		const struct model *m = &ms.v[i], *found;
		struct model_set again = { 0 };
		struct perr e2 = { 0 };

		assert(model_name_check(m->name) == NULL);
		assert(dev_type_check(m->dev_type, out) == NULL && strcmp(out, m->dev_type) == 0);
		assert(m->vendor <= 0xffff && m->device <= 0xffff);
		found = models_match(&ms, m->vendor, m->device, m->has_subsys, m->subsys_vendor,
				     m->subsys_device);
		assert(found == m);
		assert(model_render(m, text, sizeof(text)) > 0);
		assert(models_parse(text, strlen(text), "again.conf", &again, &e2) == 0);
		assert(again.n == 1);
		assert(strcmp(again.v[0].name, m->name) == 0 && strcmp(again.v[0].dev_type, m->dev_type) == 0);
		assert(again.v[0].vendor == m->vendor && again.v[0].device == m->device);
		assert(again.v[0].has_subsys == m->has_subsys);
		assert(!m->has_subsys || (again.v[0].subsys_vendor == m->subsys_vendor &&
					  again.v[0].subsys_device == m->subsys_device));
		models_free(&again);
	}
	models_free(&ms);
	return 0;
}
