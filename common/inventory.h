/* SPDX-License-Identifier: GPL-2.0-or-later */
/* inventory.h - the host's inventory of custom devices (written by pcipass-probe only). */
#ifndef PCIPASS_INVENTORY_H
#define PCIPASS_INVENTORY_H

#include "hostuse.h"
#include "model.h"
#include "pcidev.h"
#include "util.h"

/* Custom devices in one inventory. Real hosts have hundreds of PCI functions; the bound keeps
 * the largest inventory with every fact (inventory.c) within INI_MAX_FILE. */
#define INVENTORY_MAX 32768
#define DRIVER_MAX 64
/* A device renders to at most this many bytes: 376 for the ids, names and numbers, and 559 for
 * its facts' longest lines: bars 106 (seven "5:8E,64,pref"), reset_methods 79, power_state 29,
 * link 46, aer 102 (three counts of 19 digits), boot_vga 15, host_critical 175, newlines 7
 * (test_inventory renders the worst device and checks). */
#define INV_DEVICE_MAX 975

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
	/* The facts of issue 12 (devfacts.h has their text): BARs, reset methods, power state,
	 * link, AER counters, boot VGA. An inventory written before them parses with every
	 * fact unknown (absent, reset_methods "-"); a file pcidev found bad comes back absent. */
	struct pcidev_info pci;
	char host_critical[HOSTUSE_WHY_MAX]; /* why the host needs the device; "" it does not */
	unsigned seen;
};

struct inventory {
	char generated[32]; /* 2026-11-24T10:00:00Z */
	bool disabled;
	int declared;       /* the [host] devices = count */
	struct inv_device *dev;
	size_t n, cap;
};

/* Can d be the inventory's device number n + 1 (its driver name, the count)? */
int inventory_check(const struct inv_device *d, size_t n, struct perr *e) MUST_CHECK;
/* Append a device (sorted order is the caller's business). */
int inventory_add(struct inventory *inv, const struct inv_device *d, struct perr *e) MUST_CHECK;
void inventory_free(struct inventory *inv);

/* The file's text. Devices must already be in address order. */
int inventory_render(const struct inventory *inv, struct sbuf *out) MUST_CHECK;

/* The text piece by piece, for a writer that holds no array of devices: the head (the [host]
 * section; its length is returned, at most INV_HEAD_MAX - 1), then each device in turn. */
#define INV_HEAD_MAX 160
size_t inventory_head(const char *generated, bool disabled, size_t n, char out[INV_HEAD_MAX]);
void inventory_render_device(const struct inv_device *d, struct sbuf *b);

/* Parse an inventory; checks the device count, address order and every value. */
int inventory_parse(const char *text, size_t len, const char *name, struct inventory *inv,
		    struct perr *e) MUST_CHECK;
/* Read it from path (root-owned: trusted); a missing file is EX_NOINPUT. */
int inventory_load(const char *path, struct inventory *inv, struct perr *e) MUST_CHECK;

const struct inv_device *inventory_find(const struct inventory *inv, const char *addr);

#endif
