/* SPDX-License-Identifier: GPL-2.0-or-later */
/* report.h - what the probe decides and prints: matching, --all, --list, the Prometheus file.
 * Pure functions over structs; nothing here touches the system. */
#ifndef PCIPASS_REPORT_H
#define PCIPASS_REPORT_H

#include "claim.h"
#include "config.h"
#include "health.h"
#include "inventory.h"
#include "model.h"
#include "scan.h"

/* The model that takes f into the inventory (custom devices only: a model matches it, it is
 * not a bridge, not excluded), or NULL. */
const struct model *match_device(const struct host_config *c, const struct model_set *ms,
				 const struct pci_found *f);
/* d: f as model m's inventory entry, its facts and host use not yet filled. */
void inventory_entry(const struct pci_found *f, const struct model *m, struct inv_device *d);

/* `pcipass-probe --all`: every device, with its names and the model it matches; under a
 * device facts_scan gave facts to, a line of them, and one saying why the host needs it. */
void report_all(const struct scan *s, const struct model_set *ms, const struct host_config *c,
		bool json, struct sbuf *out);

/* A device's health mark ("" none), one per inventory device. */
typedef char health_why[HEALTH_WHY_MAX];

/* `pcipass-probe --list`: the inventory's devices with their claims (claims[i] for dev[i]),
 * health marks (unhealthy[i]; NULL: none), host-critical reasons (allowed or not by c's
 * allow_host_critical; c may be NULL) and facts. */
void report_list(const struct inventory *inv, const struct claim_info *claims,
		 const health_why *unhealthy, const struct host_config *c, bool json,
		 struct sbuf *out);

/* node_exporter textfile: device counts by model, type, NUMA node and state (free or claimed);
 * one pcipass_device_info series per device (free, claimed or unreleased); per device whether
 * the host uses it and whether it is marked unhealthy (unhealthy may be NULL), its AER counts,
 * BAR sizes and PCIe link, where known; the launch-failure counter (left out when
 * launch_failures < 0: unknown); the probe's success and time. */
void report_prom(const struct inventory *inv, const struct claim_info *claims,
		 const health_why *unhealthy, bool ok, long long now, long long launch_failures,
		 struct sbuf *out);

/* `pcipass-model list`. */
void report_models(const struct model_set *ms, bool json, struct sbuf *out);

#endif
