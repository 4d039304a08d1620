/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hotplug.h - --attach and --detach: a device into or out of a running VM, with the launch's
 * rules (plan.h) and QMP. */
#ifndef PCIPASS_HOTPLUG_H
#define PCIPASS_HOTPLUG_H

#include "plan.h"

/* --attach NAME MODEL|ADDR. */
int attach(struct plan *p, const char *name, const char *what, struct perr *e) MUST_CHECK;
/* --detach NAME ADDR, waiting at most timeout seconds for the guest. */
int detach_dev(struct plan *p, const char *name, const char *what, unsigned timeout,
	       struct perr *e) MUST_CHECK;

#endif
