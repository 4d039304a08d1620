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

int qemu_argv(const struct host_config *host, const struct vm_config *vm,
	      const char (*devs)[PCI_ADDR_LEN], size_t n_dev, const struct handover *h,
	      struct argv *a, struct perr *e)
{
	const struct fd_entry *qmp = handover_get(h, FD_QMP, 0), *f;
	char vnc[CONF_PATH_MAX + VM_NAME_MAX + 32], escaped[2 * sizeof(vnc)], missing[48] = "";
	const char *bad = NULL;
	bool q35 = strcmp(vm->machine, "q35") == 0, kvm = strcmp(vm->accel, "kvm") == 0;

	memset(a, 0, sizeof(*a));
	if (qmp == NULL) {
		snprintf(missing, sizeof(missing), "the QMP socket");
		goto out;
	}
	add(a, "%s", host->qemu);
	add(a, "-name");
	add(a, "guest=%s,debug-threads=on", vm->name); /* a name is [A-Za-z0-9._-] */
	add(a, "-machine");
	add(a, "%s,accel=%s", vm->machine, vm->accel);
	add(a, "-cpu");
	add(a, "%s", kvm ? "host" : "max");
	add(a, "-m");
	add(a, "%llu", vm->memory_mib);
	add(a, "-smp");
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
	for (size_t i = 0; i < n_dev; i++) {
		if (q35) { /* one root port each, as on real hardware: hotplug and ACS per device */
			add(a, "-device");
			add(a, "pcie-root-port,id=pcipass.rp%zu,chassis=%zu,slot=%zu", i, i + 1, i + 1);
		}
		add(a, "-device");
		if (q35)
			add(a, "vfio-pci,host=%s,id=hostdev%zu,bus=pcipass.rp%zu", devs[i], i, i);
		else
			add(a, "vfio-pci,host=%s,id=hostdev%zu", devs[i], i);
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
		add(a, "pcie-root-port,id=pcipass.hp%u,chassis=%zu,slot=%zu", k, n_dev + 1 + k, n_dev + 1 + k);
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
