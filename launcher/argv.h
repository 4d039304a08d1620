/* SPDX-License-Identifier: GPL-2.0-or-later */
/* argv.h - QEMU's command line, built as an argv (never through a shell). */
#ifndef PCIPASS_ARGV_H
#define PCIPASS_ARGV_H

#include "config.h"
#include "handover.h"
#include "machine.h"
#include "numa.h"
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

/* One device passed through, as QEMU gets it. On q35 every port is a pcie-root-port
 * pcipass.rp<port> on `bus` ("" the machine's own pcie.0; a pxb-pcie's id for a NUMA node); a
 * slot passed whole (model functions = all) has its functions on one port at addr=00.<func>,
 * function 0 with multifunction=on and added last (QEMU's rule for a slot's hotplug; harmless
 * at start). On pc every device sits on pci.0 by itself (no port, no slot layout). */
#define QDEV_BUS_MAX 32
struct qemu_dev {
	char addr[PCI_ADDR_LEN];
	unsigned id;          /* hostdev<id>: the id its claim records (its pick's index) */
	unsigned port;        /* pcipass.rp<port> (q35) */
	unsigned func;        /* its function on the port: 0 unless in a whole slot */
	bool slot;            /* in a whole slot: addr=00.<func> is given */
	bool multifunction;   /* function 0 of a whole slot */
	int rombar;           /* -1 QEMU's default, 0 off, 1 on (model rombar) */
	int romfile_fd;       /* model romfile: the sealed copy's descriptor in QEMU; -1 none */
	char bus[QDEV_BUS_MAX]; /* the port's bus: "" pcie.0 */
};

/* The whole argv for vm with devs[0..n_dev) passed through, every descriptor (QMP, console,
 * disks, kernel, initrd, taps, ROMs) named by its number in the hand-over table h: no path of
 * vm.ini is in it, and QEMU opens no host path but the VNC socket it makes under
 * <state_dir>/vms/. QEMU's own -sandbox closes exec after start, whatever vm.ini says. */
/* numa (NULL: nothing chosen) says where guest memory lives: bound to a host node (a guest
 * NUMA node 0 of that memory and every vCPU; on q35 a pxb-pcie of that guest node holds the
 * devices' root ports), hugetlb pages, both or neither (QEMU's own RAM). */
int qemu_argv(const struct host_config *host, const struct vm_config *vm,
	      const struct qemu_dev *devs, size_t n_dev, const struct handover *h,
	      const struct numa_choice *numa, struct argv *out, struct perr *e) MUST_CHECK;
void argv_free(struct argv *a);

/* The 64-bit PCI window machine_window() chose, appended to a: when larger than QEMU's
 * default, -global <pcihost>.pci-hole64-size=<bytes>; when larger than OVMF's aperture too,
 * -fw_cfg name=opt/ovmf/X-PciMmio64Mb,string=<MiB>. Nothing when QEMU's default holds it.
 * -1 when out of memory (argv_free still frees a). */
int argv_window(struct argv *a, const struct vm_config *vm, const struct machine_window *w,
		struct perr *e) MUST_CHECK;

/* How QEMU 7.2's vfio-pci is told its host device: host=ADDR, or, for a domain wider than 16
 * bits (which host= refuses), sysfsdev=/sys/bus/pci/devices/ADDR: QEMU reads the real sysfs
 * there, whatever sysfs_root says. */
#define VFIO_VALUE_LEN (PCI_ADDR_LEN + 24)
const char *vfio_key(const char *addr);
const char *vfio_value(const char *addr, char val[VFIO_VALUE_LEN]);

/* The argv for a human (--dry-run): one option per line, shell-quoted where needed, every byte
 * that is not printable ASCII as \xNN inside $'...' (bash's quoting), never raw. */
void argv_show(const struct argv *a, struct sbuf *out);

#endif
