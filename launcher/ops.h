/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ops.h - what pcipass-run does to VMs it started: --status, --stop, --console. All as root;
 * every decision from leases and /proc, never from what QEMU says. */
#ifndef PCIPASS_OPS_H
#define PCIPASS_OPS_H

#include <stdbool.h>

#include "claim.h"
#include "config.h"
#include "util.h"

/* The name lease of the VM called name (checked as a VM name: 64), looked at without taking it:
 * live when ci->alive and its record names that VM. */
int vm_lease(const char *state_dir, const char *name, struct claim_info *ci, struct perr *e) MUST_CHECK;

/* --status [NAME] [--json]: the live VMs (or the one named), printed on stdout. */
int op_status(const struct host_config *h, const char *name, bool json, struct perr *e) MUST_CHECK;

/* --stop NAME [--timeout S] [--json]: ACPI power-down, wait up to timeout_s, quit, kill. */
int op_stop(const struct host_config *h, const char *name, unsigned timeout_s, bool json,
	    struct perr *e) MUST_CHECK;

/* --console NAME: the caller's terminal on the VM's serial console until the escape key. */
int op_console(const struct host_config *h, const char *name, struct perr *e) MUST_CHECK;

#endif
