/* SPDX-License-Identifier: GPL-2.0-or-later */
/* machine.h - the guest's memory map: the 64-bit PCI window sized to the BARs of the devices
 * passed through, checked against the physical address bits the guest can use. Pure.
 *
 * What QEMU 7.2 and the firmware do, which this follows (measured, see vm.ini(5)):
 *  - RAM above 4 GiB: on q35, memory from 2816 MiB up keeps 2 GiB below 4 GiB and puts the rest
 *    above; on pc, from 3584 MiB up it keeps 3 GiB. The 64-bit window starts at the end of that
 *    RAM (4 GiB when there is none) rounded up to 1 GiB.
 *  - Its size is the host bridge's pci-hole64-size: 32 GiB on q35, 2 GiB on pc by default.
 *  - OVMF (Debian 12's, edk2 2022.11) has an aperture of its own, 32 GiB unless fw_cfg's
 *    opt/ovmf/X-PciMmio64Mb says otherwise, aligned to its size (rounded down to a power of
 *    two); it puts every 64-bit BAR there. SeaBIOS sizes its window to the BARs.
 *  - With an AMD vCPU, QEMU moves RAM above 4 GiB to 1 TiB when the map would reach AMD's
 *    HyperTransport hole below 1 TiB (from 1012 GiB); the check assumes it does (an Intel vCPU
 *    then has 12 GiB more than is asked of it).
 *  - QEMU refuses to start when the map's end passes 2^phys-bits: TCG's phys-bits is 40, a
 *    CPU model's under KVM is 40 too, -cpu host under KVM has the host's. */
#ifndef PCIPASS_MACHINE_H
#define PCIPASS_MACHINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"
#include "vmconf.h"

#define MACHINE_BAR_MAX (VM_DEV_MAX * 6) /* six BARs a function, at most */
#define MACHINE_WHY_MAX 640

/* One 64-bit memory BAR of a device passed through. */
struct machine_bar {
	uint64_t size;          /* bytes; a BAR is a power of two (any other size counts as the next one) */
	unsigned port;          /* q35: the root port it is behind; a port's BARs share its bridge window */
	char addr[PCI_ADDR_LEN];
};

struct machine_in {
	bool q35;               /* else pc (i440FX): no bridge between a device and the window */
	bool uefi;              /* OVMF: its aperture counts too */
	unsigned long long memory_mib;
	unsigned phys_bits;     /* the guest's usable physical address bits; 0 unknown: not checked */
	const char *bits_from;  /* where they come from, for messages: "TCG's phys-bits" */
	size_t n_bar;
	struct machine_bar bar[MACHINE_BAR_MAX];
};

struct machine_window {
	uint64_t bars;          /* the 64-bit BARs, summed */
	uint64_t need;          /* packed as firmware does: naturally aligned, a bridge window a port */
	uint64_t size;          /* the window QEMU gets: its default, or the smallest power of two
				 * holding need when that is larger */
	uint64_t qemu_default;  /* 32 GiB (q35), 2 GiB (pc) */
	bool hole64;            /* size > qemu_default: -global <pcihost>.pci-hole64-size=<size> */
	bool ovmf;              /* uefi and size > 32 GiB: -fw_cfg name=opt/ovmf/X-PciMmio64Mb */
	uint64_t top;           /* the end of the guest physical addresses in use (RAM and window) */
	char why[MACHINE_WHY_MAX]; /* for --dry-run: the window and why, the address check */
};

#define MACHINE_OVMF_DEFAULT (32ULL << 30)

/* Size the window for in and check that it fits. 0 with w filled; -1 (EX_UNAVAILABLE) when the
 * map cannot fit the guest's physical address bits, or the BARs cannot fit 64-bit addresses at
 * all, naming the BAR totals, the devices and where the bits come from. w is filled either way. */
int machine_window(const struct machine_in *in, struct machine_window *w, struct perr *e) MUST_CHECK;

/* The host bridge QEMU's -global names: "q35-pcihost" or "i440FX-pcihost". */
const char *machine_pcihost(bool q35);

/* The physical address bits of the first "address sizes : N bits physical, ..." line of
 * /proc/cpuinfo's text[0..len) (any bytes, no NUL needed): 0, or -1 with why (a line that is
 * not there, or a number outside 32-52). */
int machine_phys_bits(const char *text, size_t len, unsigned *bits, const char **why) MUST_CHECK;

/* A size for a human: "32 GiB", "1 TiB", "512 MiB", "4096 bytes" (the largest unit it is a
 * whole number of), into buf[32]. */
const char *machine_size(uint64_t bytes, char buf[32]);

#endif
