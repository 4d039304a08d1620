/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vmconf.h - a VM definition (vm.ini). Untrusted input: it can choose only what the VM's user
 * could do anyway; never the QEMU binary, a path under the state directory, root as the user
 * (unless the host allows it), or a raw QEMU argument. See vm.ini(5). */
#ifndef PCIPASS_VMCONF_H
#define PCIPASS_VMCONF_H

#include "config.h"
#include "model.h"
#include "util.h"

#define VM_NAME_MAX 64
#define VM_REQ_MAX 16     /* [devices] lines */
#define VM_DEV_MAX 64     /* devices in one VM */
#define VM_DISK_MAX 8
#define VM_NET_MAX 4
#define VM_PATH_MAX 256
#define VM_HOTPLUG_MAX 16 /* hotplug_slots */
#define VM_CPU_MAX 32     /* a -cpu model name */

struct vm_request {       /* one [devices] line */
	char model[MODEL_NAME_MAX + 1]; /* "" for an explicit address */
	char addr[PCI_ADDR_LEN];
	unsigned count;
	int line;
};

struct vm_disk {
	char file[VM_PATH_MAX];
	char format[8];   /* raw | qcow2: never probed, a guest could fake a header */
	bool readonly;
	unsigned seen;
	int line;         /* of [disk] */
	int file_line;    /* of its file = */
};

struct vm_net {
	char mode[8];     /* user | tap */
	char ifname[16];  /* tap: an existing tap device, opened by the launcher, or */
	char bridge[16];  /* tap: a bridge, on which the launcher makes a tap for this VM */
	char mac[18];     /* given, or vm_mac()'s */
	unsigned seen;
	int line;
};

struct vm_config {
	char file[VM_PATH_MAX];
	char name[VM_NAME_MAX + 1];
	unsigned long long memory_mib;
	unsigned cpus;
	char machine[8];  /* q35 | pc */
	char accel[8];    /* kvm | tcg */
	char user[USER_NAME_MAX + 1]; /* "" : the host's run_as */
	int numa_node;    /* -1: any */
	char numa[8];     /* any | strict | prefer ("" as any): see numa.h */
	unsigned hugepage_mib; /* 0: none; 2 or 1024 (hugepages = 2M | 1G) */
	bool paused;      /* start with -S (tests, debugging) */
	unsigned hotplug_slots; /* empty pcie-root-ports pcipass.hp0.. for --attach (q35) */
	char firmware[8]; /* bios (SeaBIOS, QEMU's own) | uefi (the host's OVMF, per-VM variables) */
	char cpu[VM_CPU_MAX + 1]; /* "" the default: host with kvm, max with tcg */
	unsigned sockets, cores, threads; /* 0: not given (then 1, when another is given) */
	int firmware_line, cpu_line, topology_line; /* topology: the last of sockets/cores/threads */
	bool vnc;         /* a VNC server on <state_dir>/vms/<name>.vnc/socket (UNIX only) */
	char serial[8];   /* none | socket: <state_dir>/vms/<name>.console */
	char kernel[VM_PATH_MAX], initrd[VM_PATH_MAX], append[VM_PATH_MAX];
	int kernel_line, initrd_line; /* where they were given, for messages */
	int accel_line, user_line, numa_line, hotplug_line; /* likewise (0: not given), for --dry-run's */
	int numa_policy_line, hugepages_line;
	unsigned vm_seen, display_seen, boot_seen;
	size_t n_req, n_disk, n_net;
	struct vm_request req[VM_REQ_MAX];
	struct vm_disk disk[VM_DISK_MAX];
	struct vm_net net[VM_NET_MAX];
	int section;      /* the section being read */
};

/* The MAC address of NIC index of VM name, for a [net] that gives none: locally administered
 * unicast (the first octet's bit 1 set, bit 0 clear), its other 46 bits from a 64-bit hash of
 * name and index, so that a VM keeps its addresses across restarts; never QEMU's default
 * 52:54:00:12:34:56. out: "xx:xx:xx:xx:xx:xx", lower case. Pure. */
void vm_mac(const char *name, unsigned index, char out[18]);

/* Parse vm.ini text against the host configuration (for run_as, allow_root_vm, state_dir). */
int vm_parse(const char *text, size_t len, const char *name, const struct host_config *host,
	     struct vm_config *vm, struct perr *e) MUST_CHECK;

/* Read it from path. vm.ini is not trusted, so no ownership rule applies, only the bounds. */
int vm_load(const char *path, const struct host_config *host, struct vm_config *vm,
	    struct perr *e) MUST_CHECK;

#endif
