/* SPDX-License-Identifier: GPL-2.0-or-later */
/* scan.h - the PCI bus as libpci's sysfs method sees it (the only code that talks to libpci). */
#ifndef PCIPASS_SCAN_H
#define PCIPASS_SCAN_H

#include "inventory.h"
#include "util.h"

struct pci_found {
	char addr[PCI_ADDR_LEN];
	unsigned vendor, device, subsys_vendor, subsys_device;
	bool has_subsys;
	unsigned class;       /* base class and subclass */
	int iommu_group;      /* -1: none */
	int numa_node;        /* -1: unknown */
	char driver[DRIVER_MAX];
	char *names;          /* with SCAN_NAMES: "class name\0vendor name\0device name\0" */
	/* filled by facts_scan (facts.h) for --all, not by the scan */
	bool has_facts;       /* pci holds the device's facts */
	struct pcidev_info pci;
	char host_critical[HOSTUSE_WHY_MAX]; /* "" the host does not use it */
};

struct scan {
	struct pci_found *v;
	size_t n;
	size_t vanished;      /* devices listed by the bus but gone before we could read them */
	size_t warnings;      /* libpci warnings (e.g. an unreadable numa_node) */
};

enum { SCAN_NAMES = 1, SCAN_QUIET = 2 };

/* Scan <sysfs_root>/bus/pci. Devices come out in address order. pci_ids: the names database
 * for SCAN_NAMES ("" for libpci's default). */
int scan_bus(const char *sysfs_root, const char *pci_ids, int flags, struct scan *s,
	     struct perr *e) MUST_CHECK;
void scan_free(struct scan *s);

static inline bool pci_is_bridge(unsigned class)
{
	return (class >> 8) == 0x06;
}

#endif
