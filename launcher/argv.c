/* SPDX-License-Identifier: GPL-2.0-or-later */
/* argv.c - QEMU's command line, built as an argv (never through a shell). */
#include "argv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* QEMU's own seccomp sandbox: after start it can no longer exec, raise privileges, or spawn. */
static const char sandbox[] = "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny";

int qemu_escape(const char *in, char *out, size_t size)
{
	size_t o = 0;

	for (; *in; in++) {
		unsigned char c = (unsigned char)*in;
		if (c < 0x20 || c == 0x7f)
			return -1;
		if (o + 3 > size)
			return -1;
		out[o++] = *in;
		if (c == ',')
			out[o++] = ',';
	}
	out[o] = '\0';
	return 0;
}

static void add(struct argv *a, const char *fmt, ...) PRINTF(2, 3);
static void add(struct argv *a, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (a->oom)
		return;
	if (a->n + 2 > a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		char **v = realloc(a->v, cap * sizeof(*v));
		if (v == NULL) {
			a->oom = true;
			return;
		}
		a->v = v;
		a->cap = cap;
	}
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0) {
		a->oom = true;
		s = NULL;
	}
	va_end(ap);
	if (s == NULL)
		return;
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

/* Escape src into buf, or give up on the whole argv. */
#define ESC(buf, src)                                                \
	do {                                                         \
		if (qemu_escape((src), (buf), sizeof(buf)) < 0) {    \
			bad = (src);                                 \
			goto out;                                    \
		}                                                    \
	} while (0)

const char *vfio_key(const char *addr)
{
	return pci_addr_domain16(addr) ? "host" : "sysfsdev";
}

const char *vfio_value(const char *addr, char val[VFIO_VALUE_LEN])
{
	snprintf(val, VFIO_VALUE_LEN, "%s%s", pci_addr_domain16(addr) ? "" : "/sys/bus/pci/devices/", addr);
	return val;
}

/* One vfio-pci device: on its root port (q35), at its function when in a whole slot, with
 * the model's ROM choices. */
static void add_vfio(struct argv *a, bool q35, const struct qemu_dev *d)
{
	char val[VFIO_VALUE_LEN], port[48] = "", fn[48] = "", rombar[24] = "", romfile[48] = "";

	if (q35)
		snprintf(port, sizeof(port), ",bus=pcipass.rp%u", d->port);
	if (q35 && d->slot)
		snprintf(fn, sizeof(fn), ",addr=00.%u%s", d->func, d->multifunction ? ",multifunction=on" : "");
	if (d->rombar >= 0)
		snprintf(rombar, sizeof(rombar), ",rombar=%d", d->rombar);
	/* QEMU opens a romfile by name: the sealed copy's, as QEMU itself sees it */
	if (d->romfile_fd >= 0)
		snprintf(romfile, sizeof(romfile), ",romfile=/proc/self/fd/%d", d->romfile_fd);
	add(a, "-device");
	add(a, "vfio-pci,%s=%s,id=hostdev%u%s%s%s%s", vfio_key(d->addr), vfio_value(d->addr, val), d->id,
	    port, fn, rombar, romfile);
}

/* One more "key=value" part of an option list such as -machine's (the type first). */
static void opt_part(char *list, size_t size, const char *fmt, ...) PRINTF(3, 4);
static void opt_part(char *list, size_t size, const char *fmt, ...)
{
	size_t o = strlen(list);
	va_list ap;

	if (o > 0 && o + 1 < size)
		list[o++] = ',';
	va_start(ap, fmt);
	vsnprintf(list + o, size - o, fmt, ap);
	va_end(ap);
}

/* Guest memory where numa says: a backend bound to the host node, of hugetlb pages, or both;
 * with a node, the guest sees one NUMA node (0) holding that memory and every vCPU. A hugetlb
 * backend is preallocated, so that a pool short of pages fails QEMU at start rather than the
 * guest later (a fault with no page is SIGBUS); a memfd needs no hugetlbfs mount, so no path
 * the VM's identity would need a right on. */
static void add_memory(struct argv *a, const struct vm_config *vm, const struct numa_choice *numa)
{
	char hugetlb[64] = "", bind[48] = "";

	if (numa->page_mib)
		snprintf(hugetlb, sizeof(hugetlb), ",hugetlb=on,hugetlbsize=%s,prealloc=on",
			 numa->page_mib == 2 ? "2M" : "1G");
	if (numa->node >= 0)
		snprintf(bind, sizeof(bind), ",host-nodes=%d,policy=bind", numa->node);
	add(a, "-object");
	add(a, "%s,id=pcipass.ram,size=%lluM%s%s", numa->page_mib ? "memory-backend-memfd" : "memory-backend-ram",
	    vm->memory_mib, hugetlb, bind);
	if (numa->node < 0)
		return; /* -machine memory-backend= names it: QEMU refuses that with -numa memdev= */
	add(a, "-numa");
	if (vm->cpus > 1)
		add(a, "node,nodeid=0,cpus=0-%u,memdev=pcipass.ram", vm->cpus - 1);
	else
		add(a, "node,nodeid=0,cpus=0,memdev=pcipass.ram");
}

/* firmware = uefi: OVMF's code and the VM's variables, each an fdset QEMU opens as
 * /dev/fdset/N (the variables' set has an O_RDONLY and an O_RDWR descriptor, as QEMU asks
 * for each), as block nodes -machine's pflash0 and pflash1 name. -1 when a descriptor is not
 * planned (missing says which). */
static int add_firmware(struct argv *a, const struct handover *h, char *missing, size_t size)
{
	static const struct { int set; const char *node, *what; bool rdonly; } flash[] = {
		{ FDSET_OVMF_CODE, "pcipass.ovmf-code", "OVMF's code", true },
		{ FDSET_OVMF_VARS, "pcipass.ovmf-vars", "the OVMF variables", false },
	};

	for (size_t i = 0; i < sizeof(flash) / sizeof(flash[0]); i++) {
		bool found = false;
		for (size_t k = 0; k < h->n; k++)
			if (h->e[k].kind == FD_FIRMWARE && h->e[k].fdset == flash[i].set) {
				found = true;
				add(a, "-add-fd");
				add(a, "fd=%d,set=%d", h->e[k].target, flash[i].set);
			}
		if (!found) {
			snprintf(missing, size, "%s", flash[i].what);
			return -1;
		}
		add(a, "-blockdev");
		add(a, "driver=file,filename=/dev/fdset/%d,node-name=%s%s", flash[i].set, flash[i].node,
		    flash[i].rdonly ? ",read-only=on" : "");
	}
	return 0;
}

int qemu_argv(const struct host_config *host, const struct vm_config *vm,
	      const struct qemu_dev *devs, size_t n_dev, const struct handover *h,
	      const struct numa_choice *numa, struct argv *a, struct perr *e)
{
	static const struct numa_choice none = { .filter = -1, .node = -1 };
	const struct fd_entry *qmp = handover_get(h, FD_QMP, 0), *f;
	char vnc[CONF_PATH_MAX + VM_NAME_MAX + 32], escaped[2 * sizeof(vnc)], missing[48] = "";
	char bus[2 * QDEV_BUS_MAX];
	const char *bad = NULL;
	bool q35 = strcmp(vm->machine, "q35") == 0, kvm = strcmp(vm->accel, "kvm") == 0, pxb;
	bool uefi = strcmp(vm->firmware, "uefi") == 0;
	unsigned n_ports = 0;
	char machine[256] = "";

	memset(a, 0, sizeof(*a));
	if (qmp == NULL) {
		snprintf(missing, sizeof(missing), "the QMP socket");
		goto out;
	}
	add(a, "%s", host->qemu);
	add(a, "-name");
	add(a, "guest=%s,debug-threads=on", vm->name); /* a name is [A-Za-z0-9._-] */
	if (numa == NULL)
		numa = &none;
	/* the node's devices go behind a host bridge of the guest's node (its ACPI _PXM) */
	pxb = q35 && numa->node >= 0 && n_dev > 0;
	/* -machine from parts: the type, then whatever else needs a machine property */
	opt_part(machine, sizeof(machine), "%s", vm->machine);
	opt_part(machine, sizeof(machine), "accel=%s", vm->accel);
	if (numa->page_mib && numa->node < 0)
		opt_part(machine, sizeof(machine), "memory-backend=pcipass.ram");
	if (uefi) { /* OVMF's flash: the two block nodes of add_firmware() */
		opt_part(machine, sizeof(machine), "pflash0=pcipass.ovmf-code");
		opt_part(machine, sizeof(machine), "pflash1=pcipass.ovmf-vars");
	}
	add(a, "-machine");
	add(a, "%s", machine);
	if (uefi && add_firmware(a, h, missing, sizeof(missing)) < 0)
		goto out;
	add(a, "-cpu"); /* a word (vmconf.c): no option can ride along */
	add(a, "%s", vm->cpu[0] ? vm->cpu : kvm ? "host" : "max");
	add(a, "-m");
	add(a, "%llu", vm->memory_mib);
	if (numa->node >= 0 || numa->page_mib)
		add_memory(a, vm, numa);
	add(a, "-smp");
	if (vm->sockets || vm->cores || vm->threads) /* their product is cpus (vmconf.c) */
		add(a, "%u,sockets=%u,cores=%u,threads=%u", vm->cpus, vm->sockets ? vm->sockets : 1,
		    vm->cores ? vm->cores : 1, vm->threads ? vm->threads : 1);
	else
		add(a, "%u", vm->cpus);
	add(a, "-nodefaults");
	add(a, "-no-user-config");
	add(a, "-sandbox");
	add(a, "%s", sandbox);
	add(a, "-chardev");
	add(a, "socket,id=pcipass.qmp,fd=%d,server=on,wait=off", qmp->target);
	add(a, "-mon");
	add(a, "chardev=pcipass.qmp,mode=control");
	if (vm->vnc) { /* a UNIX socket only: nothing of a VM listens on the network */
		if (xsnprintf(vnc, sizeof(vnc), "%s/vms/%s.vnc/socket", host->state_dir, vm->name) < 0) {
			bad = host->state_dir;
			goto out;
		}
		ESC(escaped, vnc);
		add(a, "-device");
		add(a, "VGA");
		add(a, "-vnc");
		add(a, "unix:%s", escaped);
	} else {
		add(a, "-display");
		add(a, "none");
	}
	if (strcmp(vm->serial, "socket") == 0) {
		if ((f = handover_get(h, FD_CONSOLE, 0)) == NULL) {
			snprintf(missing, sizeof(missing), "the console socket");
			goto out;
		}
		add(a, "-chardev");
		add(a, "socket,id=pcipass.console,fd=%d,server=on,wait=off", f->target);
		add(a, "-serial");
		add(a, "chardev:pcipass.console");
	} else {
		add(a, "-serial");
		add(a, "none");
	}
	if (vm->paused)
		add(a, "-S");
	for (size_t i = 0; !q35 && i < n_dev; i++)
		add_vfio(a, q35, &devs[i]);
	for (size_t i = 0; q35 && i < n_dev; i++)
		n_ports = devs[i].port + 1 > n_ports ? devs[i].port + 1 : n_ports;
	/* one root port a device (a whole slot: a port a slot), as on real hardware: hotplug and
	 * ACS per device; a slot's function 0 last */
	if (pxb) { /* bus numbers 128-255 its own, 1-127 for pcie.0's ports */
		add(a, "-device");
		add(a, "pxb-pcie,id=pcipass.pxb0,bus_nr=128,numa_node=0,bus=pcie.0");
	}
	for (unsigned port = 0; q35 && port < n_ports; port++) {
		const struct qemu_dev *first = NULL;

		for (size_t i = 0; i < n_dev && first == NULL; i++)
			first = devs[i].port == port ? &devs[i] : NULL;
		if (first == NULL)
			continue;
		add(a, "-device");
		if (first->bus[0]) {
			ESC(bus, first->bus);
			add(a, "pcie-root-port,id=pcipass.rp%u,chassis=%u,slot=%u,bus=%s", port, port + 1,
			    port + 1, bus);
		} else if (pxb) {
			add(a, "pcie-root-port,id=pcipass.rp%u,chassis=%u,slot=%u,bus=pcipass.pxb0", port,
			    port + 1, port + 1);
		} else {
			add(a, "pcie-root-port,id=pcipass.rp%u,chassis=%u,slot=%u", port, port + 1, port + 1);
		}
		for (int zero = 0; zero < 2; zero++)
			for (size_t i = 0; i < n_dev; i++)
				if (devs[i].port == port && (devs[i].func == 0) == (zero == 1))
					add_vfio(a, q35, &devs[i]);
	}
	/* empty root ports for --attach: pcipass.hp<k>, the device on it hotdev<k>. Their hotplug
	 * is native PCIe, as on a server's hotplug slots (QEMU's q35 default is ACPI's): any
	 * guest's pciehp drives it, and a slot the guest never powered on (still in firmware, no
	 * hotplug driver) lets --detach end at once instead of waiting for a guest that never
	 * answers. */
	if (vm->hotplug_slots > 0) {
		add(a, "-global");
		add(a, "ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off");
	}
	for (unsigned k = 0; k < vm->hotplug_slots; k++) {
		add(a, "-device");
		add(a, "pcie-root-port,id=pcipass.hp%u,chassis=%u,slot=%u", k, n_ports + 1 + k, n_ports + 1 + k);
	}
	/* A disk is an fdset: QEMU opens /dev/fdset/S and gets the set's descriptor of the access
	 * mode it asks for (a writable disk's set has both, as QEMU asks for each). */
	for (size_t i = 0; i < vm->n_disk; i++) {
		int set = -1;
		for (size_t k = 0; k < h->n; k++)
			if (h->e[k].kind == FD_DRIVE && h->e[k].index == (int)i) {
				set = h->e[k].fdset;
				add(a, "-add-fd");
				add(a, "fd=%d,set=%d", h->e[k].target, set);
			}
		if (set < 0) {
			snprintf(missing, sizeof(missing), "disk %zu", i);
			goto out;
		}
		add(a, "-drive");
		add(a, "file=/dev/fdset/%d,format=%s,if=none,id=disk%zu%s", set, vm->disk[i].format, i,
		    vm->disk[i].readonly ? ",readonly=on" : "");
		add(a, "-device");
		add(a, "virtio-blk-pci,drive=disk%zu", i);
	}
	for (size_t i = 0; i < vm->n_net; i++) {
		const struct vm_net *n = &vm->net[i];
		add(a, "-netdev");
		if (strcmp(n->mode, "tap") == 0) {
			if ((f = handover_get(h, FD_TAP, (int)i)) == NULL) {
				snprintf(missing, sizeof(missing), "the tap of net %zu", i);
				goto out;
			}
			add(a, "tap,id=net%zu,fd=%d", i, f->target);
		} else {
			add(a, "user,id=net%zu", i);
		}
		add(a, "-device");
		add(a, "virtio-net-pci,netdev=net%zu%s%s", i, n->mac[0] ? ",mac=" : "", n->mac);
	}
	/* -kernel and -initrd take a file name: the sealed copy's, as QEMU itself sees it */
	if (vm->kernel[0]) {
		if ((f = handover_get(h, FD_KERNEL, 0)) == NULL) {
			snprintf(missing, sizeof(missing), "the kernel");
			goto out;
		}
		add(a, "-kernel");
		add(a, "/proc/self/fd/%d", f->target);
	}
	if (vm->initrd[0]) {
		if ((f = handover_get(h, FD_INITRD, 0)) == NULL) {
			snprintf(missing, sizeof(missing), "the initrd");
			goto out;
		}
		add(a, "-initrd");
		add(a, "/proc/self/fd/%d", f->target);
	}
	if (vm->append[0]) { /* taken whole, not as an option list */
		add(a, "-append");
		add(a, "%s", vm->append);
	}
out:
	if (bad || missing[0] || a->oom) {
		argv_free(a);
		if (bad)
			return fail(e, EX_DATAERR, "\"%s\" cannot be put on QEMU's command line", bad);
		if (missing[0])
			return fail(e, EX_SOFTWARE, "no descriptor planned for %s", missing);
		return fail(e, EX_OSERR, "out of memory");
	}
	return 0;
}

int argv_window(struct argv *a, const struct vm_config *vm, const struct machine_window *w,
		struct perr *e)
{
	if (w->hole64) {
		add(a, "-global");
		add(a, "%s.pci-hole64-size=%llu", machine_pcihost(strcmp(vm->machine, "q35") == 0),
		    (unsigned long long)w->size);
	}
	if (w->ovmf) { /* OVMF (edk2 2022.11) reads its 64-bit aperture in MiB from fw_cfg */
		add(a, "-fw_cfg");
		add(a, "name=opt/ovmf/X-PciMmio64Mb,string=%llu", (unsigned long long)(w->size >> 20));
	}
	return a->oom ? fail(e, EX_OSERR, "out of memory") : 0;
}

void argv_free(struct argv *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	memset(a, 0, sizeof(*a));
}

/* One word for a shell and a terminal: as is when made of safe characters, in '...' when
 * printable ASCII, else in bash's $'...' with every other byte as \xNN: no control character,
 * C1 or UTF-8 byte reaches the terminal raw, and the line still pastes into bash. */
static void quoted(struct sbuf *b, const char *s)
{
	bool printable = true;

	if (s[0] && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.,:/=+@") == strlen(s)) {
		sbuf_printf(b, "%s", s);
		return;
	}
	for (const char *p = s; *p; p++)
		printable = printable && (unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f;
	sbuf_printf(b, printable ? "'" : "$'");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\'')
			sbuf_printf(b, printable ? "'\\''" : "\\'");
		else if (c == '\\' && !printable)
			sbuf_printf(b, "\\\\");
		else if (c >= 0x20 && c < 0x7f)
			sbuf_printf(b, "%c", c);
		else
			sbuf_printf(b, "\\x%02x", c);
	}
	sbuf_printf(b, "'");
}

void argv_show(const struct argv *a, struct sbuf *b)
{
	for (size_t i = 0; i < a->n; i++) {
		bool opt = a->v[i][0] == '-';
		if (i > 0)
			sbuf_printf(b, opt ? " \\\n    " : " ");
		quoted(b, a->v[i]);
	}
	sbuf_printf(b, "\n");
}
