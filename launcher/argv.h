/* SPDX-License-Identifier: GPL-2.0-or-later */
/* argv.h - QEMU's command line, built as an argv (never through a shell). */
#ifndef PCIPASS_ARGV_H
#define PCIPASS_ARGV_H

#include "config.h"
#include "handover.h"
#include "util.h"
#include "vmconf.h"

struct argv {
	char **v;   /* NULL-terminated */
	size_t n, cap;
	bool oom;
};

/* Every value placed inside a QEMU option (a "key=value,key=value" list) has its commas
 * doubled, so it cannot start an option of its own; control characters are refused. */
int qemu_escape(const char *in, char *out, size_t size) MUST_CHECK;

/* The whole argv for vm with devs passed through, every descriptor (QMP, console, disks,
 * kernel, initrd, taps) named by its number in the hand-over table h: no path of vm.ini is in
 * it, and QEMU opens no host path but the VNC socket it makes under <state_dir>/vms/.
 * QEMU's own -sandbox closes exec after start, whatever vm.ini says. */
int qemu_argv(const struct host_config *host, const struct vm_config *vm,
	      const char (*devs)[PCI_ADDR_LEN], size_t n_dev, const struct handover *h,
	      struct argv *out, struct perr *e) MUST_CHECK;
void argv_free(struct argv *a);

/* The argv for a human (--dry-run): one option per line, shell-quoted where needed, every byte
 * that is not printable ASCII as \xNN inside $'...' (bash's quoting), never raw. */
void argv_show(const struct argv *a, struct sbuf *out);

#endif
