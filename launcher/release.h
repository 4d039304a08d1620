/* SPDX-License-Identifier: GPL-2.0-or-later */
/* release.h - --release: devices of VMs that are gone, back to their drivers. */
#ifndef PCIPASS_RELEASE_H
#define PCIPASS_RELEASE_H

#include "config.h"
#include "inventory.h"
#include "util.h"

/* A device whose claim ends here (--release, --detach): see release.c. */
int give_back(const struct host_config *h, const char *addr, bool whole, const char *orig_driver,
	      const char *orig_reset, char now[DRIVER_MAX], bool *other, struct perr *e) MUST_CHECK;
/* --release [ADDR...]: every claim no longer held (none named: all, and the uid leases of VMs
 * gone), each with a line; one failure does not stop the others, the first one's status wins. */
int release(const struct host_config *h, char **addrs, int n, struct perr *e) MUST_CHECK;

#endif
