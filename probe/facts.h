/* SPDX-License-Identifier: GPL-2.0-or-later */
/* facts.h - the per-device sysfs facts (pcidev.h) and host use (hostuse.h) of the devices the
 * probe reports. Read only for the devices that need them, so that a host's other devices cost
 * what they did before: the inventory's devices (every fact), and for --all the devices a
 * model matches (every fact) and display devices (boot_vga alone). /proc is read once, and
 * only when there is a device to decide about. */
#ifndef PCIPASS_FACTS_H
#define PCIPASS_FACTS_H

#include "config.h"
#include "inventory.h"
#include "model.h"
#include "report.h"
#include "scan.h"

/* Every fact of the device at addr, read from its directory dir (-1: open it; class as for
 * pcidev_read_at, used with a dir only). An unreadable
 * file, or a device gone since the scan, is a warning on stderr (unless quiet), never an error:
 * the fact shows as unknown. */
void facts_device(const struct host_config *c, const char *addr, int dir, int class, bool quiet,
		  struct pcidev_info *out);
/* What the host uses (hostuse.h), for the devices' host_critical; /proc lines not understood
 * are one warning (unless quiet). */
int facts_host_use(const struct host_config *c, bool quiet, struct hostuse *hu,
		   struct perr *e) MUST_CHECK;

/* For --all: the facts of the devices a model matches, and the host-critical reason of every
 * device (pci_found's has_facts, pci, host_critical). */
int facts_scan(const struct host_config *c, const struct model_set *ms, struct scan *s,
	       bool quiet, struct perr *e) MUST_CHECK;

/* The health mark of each device of inv (<state_dir>/health/<addr>; "" none), for --list and
 * --prom; a mark that cannot be read counts as one (and its error goes to stderr). NULL when
 * memory runs out. */
health_why *facts_health(const struct host_config *c, const struct inventory *inv);

/* pcipass-model create: on stderr, one warning per device the new model `name` takes that the
 * host uses. Best effort: a bus that cannot be scanned says nothing (the probe will). */
void facts_warn_critical(const struct host_config *c, const struct model_set *ms, const char *name);

#endif
