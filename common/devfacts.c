/* SPDX-License-Identifier: GPL-2.0-or-later */
/* devfacts.c - a device's sysfs facts as the inventory's text. */
#include "devfacts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const keys[FACT_COUNT] = {
	[FACT_BARS] = "bars", [FACT_RESET] = "reset_methods", [FACT_POWER] = "power_state",
	[FACT_LINK] = "link", [FACT_AER] = "aer", [FACT_BOOT_VGA] = "boot_vga",
};

const char *devfact_key(enum devfact f)
{
	return keys[f];
}

const char *devfact_size(unsigned long long size, char out[24])
{
	static const char units[] = "KMGTPE";
	int u = -1;

	while (u < 5 && size >= 1024 && size % 1024 == 0)
		size /= 1024, u++;
	if (u < 0)
		snprintf(out, 24, "%llu", size);
	else
		snprintf(out, 24, "%llu%c", size, units[u]);
	return out;
}

/* --- render --- */

static void bars(const struct pcidev_info *p, char *out)
{
	size_t o = 0;

	if (p->n_bar == 0) {
		strcpy(out, (p->absent | p->bad) & PCIDEV_RESOURCE ? "-" : "none");
		return;
	}
	out[0] = '\0';
	for (size_t i = 0; i < p->n_bar && i < 7; i++) {
		const struct pcidev_bar *b = &p->bar[i];
		char idx[8], size[24];

		if (b->index == 6)
			strcpy(idx, "rom");
		else
			snprintf(idx, sizeof(idx), "%u", b->index);
		o += (size_t)snprintf(out + o, DEVFACT_MAX - o, "%s%s:%s%s%s%s", o ? " " : "", idx,
				      devfact_size(b->size, size), b->mem ? "" : ",io",
				      b->mem64 ? ",64" : "", b->prefetch ? ",pref" : "");
	}
}

static void speed_width(int speed, int width, char *out, size_t size)
{
	char s[16], w[16];

	if (speed < 0)
		strcpy(s, "-");
	else if (speed == 0)
		strcpy(s, "unknown");
	else
		snprintf(s, sizeof(s), "%d.%dGT/s", speed / 10, speed % 10);
	if (width < 0)
		strcpy(w, "-");
	else
		snprintf(w, sizeof(w), "x%d", width);
	snprintf(out, size, "%s %s", s, w);
}

static void count(long long v, char out[24])
{
	if (v < 0)
		strcpy(out, "-");
	else
		snprintf(out, 24, "%lld", v);
}

const char *devfact_render(const struct pcidev_info *p, enum devfact f, char out[DEVFACT_MAX])
{
	char a[40], b[40], x[24], y[24], z[24];

	switch (f) {
	case FACT_BARS:
		bars(p, out);
		break;
	case FACT_RESET:
		snprintf(out, DEVFACT_MAX, "%s", p->reset_methods[0] ? p->reset_methods : "none");
		break;
	case FACT_POWER:
		snprintf(out, DEVFACT_MAX, "%s", p->power_state[0] ? p->power_state : "-");
		break;
	case FACT_LINK:
		if (p->cur_speed < 0 && p->cur_width < 0 && p->max_speed < 0 && p->max_width < 0) {
			strcpy(out, "-");
			break;
		}
		speed_width(p->cur_speed, p->cur_width, a, sizeof(a));
		speed_width(p->max_speed, p->max_width, b, sizeof(b));
		snprintf(out, DEVFACT_MAX, "%s, max %s", a, b);
		break;
	case FACT_AER:
		if (p->aer_cor < 0 && p->aer_nonfatal < 0 && p->aer_fatal < 0) {
			strcpy(out, "-");
			break;
		}
		count(p->aer_cor, x);
		count(p->aer_nonfatal, y);
		count(p->aer_fatal, z);
		snprintf(out, DEVFACT_MAX, "correctable %s, nonfatal %s, fatal %s", x, y, z);
		break;
	case FACT_BOOT_VGA:
		snprintf(out, DEVFACT_MAX, "%s", p->boot_vga < 0 ? "-" : p->boot_vga ? "1" : "0");
		break;
	case FACT_COUNT:
		out[0] = '\0';
		break;
	}
	return out;
}

/* --- parse: read leniently, then insist the text is exactly what would be rendered --- */

/* "16M", "128": a power of two, at most 2^63. */
static bool parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "KMGTPE";
	const char *u;
	char *end;
	unsigned long long v;
	int shift = 0;

	if (*s < '1' || *s > '9')
		return false;
	v = strtoull(s, &end, 10);
	if (*end != '\0') {
		if (end[1] != '\0' || (u = strchr(units, *end)) == NULL)
			return false;
		shift = 10 * (int)(u - units + 1);
	}
	if (v == 0 || (v & (v - 1)) || v > 512 || (v << shift >> shift) != v || (v << shift) > (1ull << 63))
		return false;
	*out = v << shift;
	return true;
}

static int parse_bars(struct pcidev_info *p, const char *text)
{
	char copy[DEVFACT_MAX], *save = NULL;

	p->n_bar = 0;
	p->absent &= ~(unsigned)PCIDEV_RESOURCE;
	if (strcmp(text, "-") == 0) {
		p->absent |= PCIDEV_RESOURCE;
		return 0;
	}
	if (strcmp(text, "none") == 0)
		return 0;
	if (snprintf(copy, sizeof(copy), "%s", text) >= (int)sizeof(copy))
		return -1;
	for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		struct pcidev_bar b = { .mem = true };
		char *colon = strchr(t, ':'), *flags;
		unsigned idx;

		if (colon == NULL || p->n_bar == 7)
			return -1;
		*colon = '\0';
		if (strcmp(t, "rom") == 0)
			idx = 6;
		else if (strlen(t) == 1 && t[0] >= '0' && t[0] <= '5')
			idx = (unsigned)(t[0] - '0');
		else
			return -1;
		if (p->n_bar > 0 && p->bar[p->n_bar - 1].index >= idx)
			return -1;
		b.index = idx;
		if ((flags = strchr(colon + 1, ',')) != NULL)
			*flags++ = '\0';
		if (!parse_size(colon + 1, &b.size))
			return -1;
		for (char *f = flags; f;) {
			char *next = strchr(f, ',');
			if (next)
				*next++ = '\0';
			if (strcmp(f, "io") == 0)
				b.mem = false;
			else if (strcmp(f, "64") == 0)
				b.mem64 = true;
			else if (strcmp(f, "pref") == 0)
				b.prefetch = true;
			else
				return -1;
			f = next;
		}
		if (!b.mem && (b.mem64 || b.prefetch))
			return -1;
		p->bar[p->n_bar++] = b;
	}
	return p->n_bar > 0 ? 0 : -1;
}

/* "8.0GT/s", "unknown", "-" into tenths; "x8", "-" into lanes. */
static bool parse_speed(const char *s, int *out)
{
	const char *why;
	long long whole, tenth;
	char num[8];
	size_t n = strlen(s);

	if (strcmp(s, "-") == 0 || strcmp(s, "unknown") == 0) {
		*out = s[0] == '-' ? -1 : 0;
		return true;
	}
	/* "16.0GT/s": the whole part, '.', one digit, "GT/s" */
	if (n < 7 || n > 9 || strcmp(s + n - 4, "GT/s") != 0 || s[n - 6] != '.' ||
	    s[n - 5] < '0' || s[n - 5] > '9')
		return false;
	memcpy(num, s, n - 6);
	num[n - 6] = '\0';
	if (num[0] < '0' || num[0] > '9' || parse_ll(num, 10, 0, 999, &whole, &why) < 0)
		return false;
	tenth = s[n - 5] - '0';
	*out = (int)(whole * 10 + tenth);
	return *out > 0;
}

static bool parse_width(const char *s, int *out)
{
	const char *why;
	long long v;

	if (strcmp(s, "-") == 0) {
		*out = -1;
		return true;
	}
	if (s[0] != 'x' || parse_ll(s + 1, 10, 0, 63, &v, &why) < 0)
		return false;
	*out = (int)v;
	return true;
}

static int parse_link(struct pcidev_info *p, const char *text)
{
	char cs[16], cw[8], ms[16], mw[8], tail;

	p->absent &= ~(unsigned)(PCIDEV_CUR_SPEED | PCIDEV_CUR_WIDTH | PCIDEV_MAX_SPEED | PCIDEV_MAX_WIDTH);
	if (strcmp(text, "-") == 0) {
		p->cur_speed = p->cur_width = p->max_speed = p->max_width = -1;
	} else if (sscanf(text, "%15s %7[^,], max %15s %7s%c", cs, cw, ms, mw, &tail) != 4 ||
		   !parse_speed(cs, &p->cur_speed) || !parse_width(cw, &p->cur_width) ||
		   !parse_speed(ms, &p->max_speed) || !parse_width(mw, &p->max_width)) {
		return -1;
	}
	p->absent |= (p->cur_speed < 0 ? PCIDEV_CUR_SPEED : 0u) | (p->cur_width < 0 ? PCIDEV_CUR_WIDTH : 0u) |
		     (p->max_speed < 0 ? PCIDEV_MAX_SPEED : 0u) | (p->max_width < 0 ? PCIDEV_MAX_WIDTH : 0u);
	return 0;
}

static bool parse_count(const char *s, long long *out)
{
	const char *why;

	if (strcmp(s, "-") == 0) {
		*out = -1;
		return true;
	}
	return s[0] >= '0' && s[0] <= '9' && parse_ll(s, 10, 0, INT64_MAX, out, &why) == 0;
}

static int parse_aer(struct pcidev_info *p, const char *text)
{
	char a[24], b[24], c[24], tail;

	p->absent &= ~(unsigned)(PCIDEV_AER_COR | PCIDEV_AER_NONFATAL | PCIDEV_AER_FATAL);
	if (strcmp(text, "-") == 0) {
		p->aer_cor = p->aer_nonfatal = p->aer_fatal = -1;
	} else if (sscanf(text, "correctable %20[^,], nonfatal %20[^,], fatal %20s%c", a, b, c, &tail) != 3 ||
		   !parse_count(a, &p->aer_cor) || !parse_count(b, &p->aer_nonfatal) ||
		   !parse_count(c, &p->aer_fatal)) {
		return -1;
	}
	p->absent |= (p->aer_cor < 0 ? PCIDEV_AER_COR : 0u) |
		     (p->aer_nonfatal < 0 ? PCIDEV_AER_NONFATAL : 0u) | (p->aer_fatal < 0 ? PCIDEV_AER_FATAL : 0u);
	return 0;
}

/* reset_methods and power_state go through pcidev's own parsers, as the file would hold them. */
static int parse_as_file(struct pcidev_info *p, unsigned bit, const char *text)
{
	char line[DEVFACT_MAX + 2], why[160];
	int n = snprintf(line, sizeof(line), "%s\n", text);

	if (n < 0 || n >= (int)sizeof(line))
		return -1;
	return pcidev_parse(bit, line, (size_t)n, p, why, sizeof(why));
}

static const char *const forms[FACT_COUNT] = {
	[FACT_BARS] = "BAR sizes like \"0:16M,64,pref rom:512K\" in index order, none or -",
	[FACT_RESET] = "reset method names like \"flr bus\", none or -",
	[FACT_POWER] = "a power state like D0, or -",
	[FACT_LINK] = "\"SPEED WIDTH, max SPEED WIDTH\" like \"8.0GT/s x8, max 16.0GT/s x16\", or -",
	[FACT_AER] = "\"correctable N, nonfatal N, fatal N\" (N a count or -), or -",
	[FACT_BOOT_VGA] = "0, 1 or -",
};

int devfact_parse(struct pcidev_info *p, enum devfact f, const char *text, const char **why)
{
	char again[DEVFACT_MAX];
	int r = -1;

	*why = forms[f];
	switch (f) {
	case FACT_BARS:
		r = parse_bars(p, text);
		break;
	case FACT_RESET:
		p->absent &= ~(unsigned)PCIDEV_RESET_METHOD;
		if (strcmp(text, "none") == 0 || strcmp(text, "-") == 0) {
			strcpy(p->reset_methods, text[0] == '-' ? "-" : "");
			r = 0;
		} else {
			r = parse_as_file(p, PCIDEV_RESET_METHOD, text);
		}
		break;
	case FACT_POWER:
		p->absent &= ~(unsigned)PCIDEV_POWER_STATE;
		if (strcmp(text, "-") == 0) {
			p->power_state[0] = '\0';
			p->absent |= PCIDEV_POWER_STATE;
			r = 0;
		} else {
			r = parse_as_file(p, PCIDEV_POWER_STATE, text);
		}
		break;
	case FACT_LINK:
		r = parse_link(p, text);
		break;
	case FACT_AER:
		r = parse_aer(p, text);
		break;
	case FACT_BOOT_VGA:
		p->absent &= ~(unsigned)PCIDEV_BOOT_VGA;
		if (strcmp(text, "-") == 0 || strcmp(text, "0") == 0 || strcmp(text, "1") == 0) {
			p->boot_vga = text[0] == '-' ? -1 : text[0] - '0';
			p->absent |= p->boot_vga < 0 ? PCIDEV_BOOT_VGA : 0u;
			r = 0;
		}
		break;
	case FACT_COUNT:
		break;
	}
	/* one text per fact: "x08", "8.00GT/s" or a different order would parse, and not match */
	if (r == 0 && strcmp(devfact_render(p, f, again), text) != 0)
		r = -1;
	return r;
}
