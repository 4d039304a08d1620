/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_inventory.c - the inventory. A failure is one "fuzz.ini..." line and leaks nothing.
 * Whatever parses is in address order with valid fields, renders to text that parses to the
 * same inventory field by field, and renders to the same bytes every time. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "devfacts.h"
#include "inventory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_device(const struct inv_device *x, const struct inv_device *y)
{
	assert(strcmp(x->addr, y->addr) == 0);
	assert(strcmp(x->model, y->model) == 0);
	assert(strcmp(x->dev_type, y->dev_type) == 0);
	assert(x->vendor == y->vendor && x->device == y->device);
	assert(x->has_subsys == y->has_subsys);
	assert(!x->has_subsys ||
	       (x->subsys_vendor == y->subsys_vendor && x->subsys_device == y->subsys_device));
	assert(x->class == y->class);
	assert(x->iommu_group == y->iommu_group);
	assert(x->numa_node == y->numa_node);
	assert(strcmp(x->driver, y->driver) == 0);
	assert(strcmp(x->host_critical, y->host_critical) == 0);
	for (int f = 0; f < FACT_COUNT; f++) {
		char a[DEVFACT_MAX], b[DEVFACT_MAX];
		assert(strcmp(devfact_render(&x->pci, f, a), devfact_render(&y->pci, f, b)) == 0);
	}
}

static void valid_device(const struct inventory *inv, size_t i)
{
	const struct inv_device *d = &inv->dev[i];
	char addr[PCI_ADDR_LEN], type[DEV_TYPE_MAX + 1];

	assert(parse_pci_addr(d->addr, addr) == 0 && strcmp(addr, d->addr) == 0);
	assert(i == 0 || strcmp(inv->dev[i - 1].addr, d->addr) < 0);
	assert(inventory_find(inv, d->addr) == d);
	assert(model_name_check(d->model) == NULL);
	assert(dev_type_check(d->dev_type, type) == NULL && strcmp(type, d->dev_type) == 0);
	assert(d->vendor <= 0xffff && d->device <= 0xffff && d->class <= 0xffff);
	assert(d->iommu_group >= -1 && d->iommu_group <= 1000000);
	assert(d->numa_node >= -1 && d->numa_node <= 4095);
	assert(strnlen(d->driver, sizeof(d->driver)) < sizeof(d->driver));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct inventory a = { 0 }, b = { 0 };
	struct sbuf t1 = { 0 }, t2 = { 0 }, t3 = { 0 };
	struct perr e = { 0 };

	if (inventory_parse((const char *)data, size, "fuzz.ini", &a, &e) < 0) {
		assert(e.code == EX_DATAERR);
		assert(strncmp(e.msg, "fuzz.ini", 8) == 0);
		assert(strchr(e.msg, '\n') == NULL);
		inventory_free(&a);
		return 0;
	}
	assert(e.code == 0);
	assert(a.declared >= 0 && (size_t)a.declared == a.n);
	assert(strlen(a.generated) == 20);
	for (size_t i = 0; i < a.n; i++)
		valid_device(&a, i);

	assert(inventory_render(&a, &t1) == 0 && t1.len == strlen(t1.p));
	assert(inventory_parse(t1.p, t1.len, "again.ini", &b, &e) == 0);
	assert(strcmp(a.generated, b.generated) == 0);
	assert(a.disabled == b.disabled && a.declared == b.declared && a.n == b.n);
	for (size_t i = 0; i < a.n; i++)
		same_device(&a.dev[i], &b.dev[i]);

	assert(inventory_render(&b, &t2) == 0);
	assert(inventory_render(&a, &t3) == 0);
	assert(t1.len == t2.len && memcmp(t1.p, t2.p, t1.len) == 0);
	assert(t1.len == t3.len && memcmp(t1.p, t3.p, t1.len) == 0);
	sbuf_free(&t1);
	sbuf_free(&t2);
	sbuf_free(&t3);
	inventory_free(&a);
	inventory_free(&b);
	return 0;
}
