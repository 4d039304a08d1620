/* fuzz_inventory.c - the inventory: whatever parses renders to text that parses to the same
 * inventory, and rendering is deterministic. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "inventory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct inventory a = { 0 }, b = { 0 };
	struct sbuf t1 = { 0 }, t2 = { 0 };
	struct perr e = { 0 };

	if (inventory_parse((const char *)data, size, "fuzz.ini", &a, &e) < 0) {
		assert(e.code != 0 && strchr(e.msg, '\n') == NULL);
		inventory_free(&a);
		return 0;
	}
	assert(inventory_render(&a, &t1) == 0);
	assert(inventory_parse(t1.p, t1.len, "again.ini", &b, &e) == 0);
	assert(inventory_render(&b, &t2) == 0);
	assert(t1.len == t2.len && memcmp(t1.p, t2.p, t1.len) == 0);
	assert(a.n == b.n && a.disabled == b.disabled && strcmp(a.generated, b.generated) == 0);
	for (size_t i = 0; i < a.n; i++) {
		const struct inv_device *x = &a.dev[i], *y = &b.dev[i];
		assert(strcmp(x->addr, y->addr) == 0 && strcmp(x->model, y->model) == 0);
		assert(strcmp(x->dev_type, y->dev_type) == 0 && strcmp(x->driver, y->driver) == 0);
		assert(x->vendor == y->vendor && x->device == y->device && x->class == y->class);
		assert(x->has_subsys == y->has_subsys && x->iommu_group == y->iommu_group);
		assert(x->numa_node == y->numa_node);
		assert(inventory_find(&a, x->addr) == x);
	}
	sbuf_free(&t1);
	sbuf_free(&t2);
	inventory_free(&a);
	inventory_free(&b);
	return 0;
}
