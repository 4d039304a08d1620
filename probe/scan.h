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
	int dir;              /* the device's directory during scan_walk's each(), else -1 */
	char *names;          /* with SCAN_NAMES: "class name\0vendor name\0device name\0" */
	/* filled by facts_scan (facts.h) for --all, not by the scan */
	bool has_facts;       /* pci holds the device's facts */
	struct pcidev_info pci;
	char host_critical[HOSTUSE_WHY_MAX]; /* "" the host does not use it */
};

struct scan {
	struct pci_found *v;
	size_t n, cap;
	size_t vanished;      /* devices listed by the bus but gone before we could read them */
	size_t warnings;      /* libpci warnings (e.g. an unreadable numa_node) */
};

enum { SCAN_NAMES = 1, SCAN_QUIET = 2 };

/* Walk <sysfs_root>/bus/pci in address order, one device at a time (libpci holds one struct
 * pci_dev, never the whole bus). Each device's vendor and device ids are read; want(f, user)
 * (NULL: always) says whether to read the rest of f (class, subsystem, NUMA node, IOMMU group,
 * driver, and with SCAN_NAMES its names) and call each(f, user, e), which may keep f's names
 * (then it sets f->names to NULL). s gets the counts (vanished, warnings); its v stays NULL.
 * pci_ids: the names database for SCAN_NAMES ("" for libpci's default). */
typedef bool scan_want_fn(const struct pci_found *f, void *user);
typedef int scan_each_fn(struct pci_found *f, void *user, struct perr *e);
int scan_walk(const char *sysfs_root, const char *pci_ids, int flags, scan_want_fn *want,
	      scan_each_fn *each, void *user, struct scan *s, struct perr *e) MUST_CHECK;

/* Every device of the bus, read whole, in s (address order). */
int scan_bus(const char *sysfs_root, const char *pci_ids, int flags, struct scan *s,
	     struct perr *e) MUST_CHECK;
void scan_free(struct scan *s);

static inline bool pci_is_bridge(unsigned class)
{
	return (class >> 8) == 0x06;
}

#endif
