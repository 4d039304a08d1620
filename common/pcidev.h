/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pcidev.h - what sysfs tells about one PCI device beyond its ids: BAR sizes, reset methods,
 * power state, PCIe link, AER counters, boot VGA; and whether it still answers config reads.
 * Every file may be absent (older kernels, no capability) or hostile (anything a root-owned
 * but buggy or fake tree could hold): reads are bounded and parsing strict, and a file that is
 * there but unparsable is told apart from one that is absent. */
#ifndef PCIPASS_PCIDEV_H
#define PCIPASS_PCIDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* The largest sysfs file we read: the kernel's attributes fit a page. */
#define PCIDEV_FILE_MAX 4096

/* The files, as bits of pcidev_info's absent and bad masks. */
enum pcidev_file {
	PCIDEV_RESOURCE = 1u << 0,       /* resource */
	PCIDEV_RESET_METHOD = 1u << 1,   /* reset_method (and reset, see below) */
	PCIDEV_POWER_STATE = 1u << 2,    /* power_state */
	PCIDEV_CUR_SPEED = 1u << 3,      /* current_link_speed */
	PCIDEV_CUR_WIDTH = 1u << 4,      /* current_link_width */
	PCIDEV_MAX_SPEED = 1u << 5,      /* max_link_speed */
	PCIDEV_MAX_WIDTH = 1u << 6,      /* max_link_width */
	PCIDEV_AER_COR = 1u << 7,        /* aer_dev_correctable */
	PCIDEV_AER_NONFATAL = 1u << 8,   /* aer_dev_nonfatal */
	PCIDEV_AER_FATAL = 1u << 9,      /* aer_dev_fatal */
	PCIDEV_BOOT_VGA = 1u << 10,      /* boot_vga */
	PCIDEV_ALL_FILES = (1u << 11) - 1,
};

/* The sysfs file name of one bit of enum pcidev_file ("?" for anything else). */
const char *pcidev_file_name(unsigned bit);

/* One memory or I/O region the device decodes. */
struct pcidev_bar {
	unsigned index;     /* 0-5 the BARs, 6 the expansion ROM */
	uint64_t size;      /* bytes, > 0 */
	bool mem, mem64, prefetch; /* !mem: an I/O port range */
};

#define PCIDEV_RESET_MAX 64
#define PCIDEV_POWER_MAX 16

struct pcidev_info {
	size_t n_bar;                /* regions of size > 0, in index order */
	struct pcidev_bar bar[7];
	/* The kernel's reset methods, space-separated ("flr bus"). "" none offered: reset_method
	 * empty, or absent together with `reset` (since 5.15 reset_method is hidden when no method
	 * works; before, `reset` was). "-" unknown: a kernel before 5.15 that offers a reset
	 * (`reset` present) but does not say which. */
	char reset_methods[PCIDEV_RESET_MAX];
	char power_state[PCIDEV_POWER_MAX]; /* "D0".."D3cold", "unknown"; "" absent */
	/* PCIe link: speed in tenths of GT/s (25 = 2.5 GT/s, 160 = 16 GT/s), 0 when the kernel
	 * says "Unknown"; width in lanes. -1 when the file is absent (not PCIe) or bad. */
	int cur_speed, max_speed, cur_width, max_width;
	/* AER: each file's TOTAL_ERR_* line; -1 absent (no AER, or a kernel without the files) */
	long long aer_cor, aer_nonfatal, aer_fatal;
	int boot_vga;                /* 1 the firmware's console VGA, 0 not, -1 absent */
	unsigned absent;             /* enum pcidev_file bits: files not there */
	unsigned bad;                /* files there but unreadable or unparsable: their field
				      * holds its "absent" value, and why_bad says why (first) */
	char why_bad[160];           /* "aer_dev_fatal: line 3: expected NAME COUNT" */
};

/* Read the facts of <sysfs_root>/bus/pci/devices/<addr>/. Files absent or bad are recorded in
 * out (absent, bad), never an error: -1 only when the device directory itself cannot be read
 * (gone: EX_NOINPUT) or a path does not fit. */
int pcidev_read(const char *sysfs_root, const char *addr, struct pcidev_info *out,
		struct perr *e) MUST_CHECK;
/* The same from the device's directory, open as dir; it cannot fail. class: the device's class
 * and subclass (0x0300) when the caller knows it: files the kernel's rules say are absent
 * (pcidev.c) are then not tried; -1: every file is tried. */
void pcidev_read_at(int dir, int class, struct pcidev_info *out);

/* Does the device answer config reads? The vendor id from the first two bytes of <dev>/config
 * (not the `vendor` file, which the kernel caches): 1 answers, 0 reads 0xffff (or 0x0000: no
 * vendor has either), -1 error (cannot open, short read; in e). */
int pcidev_alive(const char *sysfs_root, const char *addr, struct perr *e) MUST_CHECK;

/* The pure parsers behind pcidev_read, one per file (bit: one of enum pcidev_file), over
 * text[0..len) as read from the file (no NUL needed, may hold any byte). Sets the file's
 * field in out; -1 with a reason in why[size] when the text is not what the kernel writes. */
int pcidev_parse(unsigned bit, const char *text, size_t len, struct pcidev_info *out,
		 char *why, size_t size) MUST_CHECK;

/* out as "nothing known": every field at its absent value, masks clear. */
void pcidev_clear(struct pcidev_info *out);

/* "16.0" for 160, "2.5" for 25, "unknown" for 0, "-" for -1, into buf[16]. */
const char *pcidev_speed_text(int tenths, char buf[16]);

#endif
