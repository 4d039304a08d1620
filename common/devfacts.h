/* SPDX-License-Identifier: GPL-2.0-or-later */
/* devfacts.h - a device's sysfs facts (pcidev.h) as text: the inventory's values, which
 * --list and --all print too. One form per fact, canonical: what is rendered parses back to
 * the same facts, and a value that is not exactly what would be rendered is refused.
 *
 *   bars          = 0:16G,64,pref 2:16M 4:128,io rom:512K,pref    (none: none; unknown: -)
 *   reset_methods = flr bus       (none offered: none; unknown, a kernel before 5.15: -)
 *   power_state   = D0            (unknown: -)
 *   link          = 8.0GT/s x8, max 16.0GT/s x16   (each part - when unknown; all: -)
 *   aer           = correctable 0, nonfatal 0, fatal 0   (each count - when unknown; all: -)
 *   boot_vga      = 1             (0, 1, or -)
 *
 * BAR sizes are powers of two (the PCI rule; pcidev refuses others), shown with the largest
 * binary unit that divides them: K M G T P E. */
#ifndef PCIPASS_DEVFACTS_H
#define PCIPASS_DEVFACTS_H

#include <stddef.h>

#include "pcidev.h"

enum devfact { FACT_BARS, FACT_RESET, FACT_POWER, FACT_LINK, FACT_AER, FACT_BOOT_VGA, FACT_COUNT };

/* The longest value: 7 BARs of "rom:512E,64,pref", or three counts of 19 digits. */
#define DEVFACT_MAX 128

/* The inventory key of a fact ("bars", "reset_methods", ...). */
const char *devfact_key(enum devfact f);

/* The fact's text, in out[DEVFACT_MAX]; returns out. */
const char *devfact_render(const struct pcidev_info *p, enum devfact f, char out[DEVFACT_MAX]);

/* Set the fact in p from its text (the absent bits of p follow: "-" marks the files absent).
 * -1 with the expected form in *why when the text is not canonical. */
int devfact_parse(struct pcidev_info *p, enum devfact f, const char *text, const char **why);

/* A BAR size as text, "16M", "128": out[24]. */
const char *devfact_size(unsigned long long size, char out[24]);

#endif
