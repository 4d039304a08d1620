/* SPDX-License-Identifier: GPL-2.0-or-later */
/* inventory.h - the host's inventory of custom devices (written by pcipass-probe only). */
#ifndef PCIPASS_INVENTORY_H
#define PCIPASS_INVENTORY_H

#include "model.h"
#include "util.h"

#define INVENTORY_MAX 65536
#define DRIVER_MAX 64

struct inv_device {
	char addr[PCI_ADDR_LEN];
	char model[MODEL_NAME_MAX + 1];
	char dev_type[DEV_TYPE_MAX + 1];
	unsigned vendor, device, subsys_vendor, subsys_device;
	bool has_subsys;
	unsigned class;   /* base class and subclass, e.g. 0x1200 */
	int iommu_group;  /* -1: none */
	int numa_node;    /* -1: unknown */
	char driver[DRIVER_MAX]; /* "": unbound */
	unsigned seen;
};

struct inventory {
	char generated[32]; /* 2026-11-24T10:00:00Z */
	bool disabled;
	int declared;       /* the [host] devices = count */
	struct inv_device *dev;
	size_t n, cap;
};

/* Append a device (sorted order is the caller's business). */
int inventory_add(struct inventory *inv, const struct inv_device *d, struct perr *e) MUST_CHECK;
void inventory_free(struct inventory *inv);

/* The file's text. Devices must already be in address order. */
int inventory_render(const struct inventory *inv, struct sbuf *out) MUST_CHECK;

/* Parse an inventory; checks the device count, address order and every value. */
int inventory_parse(const char *text, size_t len, const char *name, struct inventory *inv,
		    struct perr *e) MUST_CHECK;
/* Read it from path (root-owned: trusted); a missing file is EX_NOINPUT. */
int inventory_load(const char *path, struct inventory *inv, struct perr *e) MUST_CHECK;

const struct inv_device *inventory_find(const struct inventory *inv, const char *addr);

#endif
