/* SPDX-License-Identifier: GPL-2.0-or-later */
/* update.h - one probe run: scan, match, and rewrite the inventory only when it changed. */
#ifndef PCIPASS_UPDATE_H
#define PCIPASS_UPDATE_H

#include "config.h"
#include "inventory.h"

struct probe_result {
	size_t devices;  /* custom devices inventoried */
	size_t vanished; /* devices that went away during the scan */
	bool changed;    /* the inventory file was rewritten */
};

/* Run a probe with host configuration c. quiet: no libpci warnings on stderr. prom: also
 * write the Prometheus textfile there (NULL: no). */
int probe_update(const struct host_config *c, bool quiet, const char *prom,
		 struct probe_result *res, struct perr *e) MUST_CHECK;

/* Write a Prometheus textfile saying the probe failed (best effort, for --prom): success 0, no
 * device series. c: the host configuration, or NULL when it could not be loaded. */
void probe_prom_failed(const char *prom, const struct host_config *c);

#endif
