/* argv.h - QEMU's command line, built as an argv (never through a shell). */
#ifndef PCIPASS_ARGV_H
#define PCIPASS_ARGV_H

#include "config.h"
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

/* The descriptor QEMU finds its QMP socket on: pcipass-run binds <state_dir>/vms/<name>.qmp
 * itself, as root, gives it to the VM's user and passes it down (as libvirt does), so QEMU
 * never needs to write in the state directory. */
#define QMP_FD 3

/* The whole argv for vm with devs passed through. QEMU's own -sandbox closes exec after start,
 * whatever vm.ini says. */
int qemu_argv(const struct host_config *host, const struct vm_config *vm,
	      const char (*devs)[PCI_ADDR_LEN], size_t n_dev, struct argv *out,
	      struct perr *e) MUST_CHECK;
void argv_free(struct argv *a);

/* The argv for a human (--dry-run): one option per line, shell-quoted where needed. */
void argv_show(const struct argv *a, struct sbuf *out);

#endif
