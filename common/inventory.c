/* SPDX-License-Identifier: GPL-2.0-or-later */
/* inventory.c - the host's inventory of custom devices. */
#include "inventory.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "devfacts.h"
#include "inifile.h"
#include "trust.h"

int inventory_check(const struct inv_device *d, size_t n, struct perr *e)
{
	char b[128];

	/* The driver comes from a sysfs link name, which may hold any byte but '/': what we could
	 * not read back (and Ansible's INI facts would choke on, e.g. '%') is never written. */
	if (d->driver[0] && !driver_name_ok(d->driver, DRIVER_MAX - 1))
		return fail(e, EX_DATAERR, "%s: driver name \"%s\" is not one the inventory can hold "
			    "(expected A-Z a-z 0-9 . _ - and single spaces)", d->addr, shown(d->driver, b));
	if (n >= INVENTORY_MAX)
		return fail(e, EX_DATAERR, "more than %d devices", INVENTORY_MAX);
	return 0;
}

int inventory_add(struct inventory *inv, const struct inv_device *d, struct perr *e)
{
	if (inventory_check(d, inv->n, e) < 0)
		return -1;
	if (inv->n == inv->cap) {
		size_t cap = inv->cap ? inv->cap * 2 : 64;
		struct inv_device *v = realloc(inv->dev, cap * sizeof(*v));
		if (v == NULL)
			return fail_errno(e, EX_OSERR, "inventory");
		inv->dev = v;
		inv->cap = cap;
	}
	inv->dev[inv->n++] = *d;
	return 0;
}

void inventory_free(struct inventory *inv)
{
	free(inv->dev);
	memset(inv, 0, sizeof(*inv));
}

/* What the probe writes, it can always read back. */
_Static_assert((size_t)INVENTORY_MAX * INV_DEVICE_MAX + 200 <= INI_MAX_FILE, "inventory larger than INI_MAX_FILE");
/* every line within inifile's 197 bytes */
_Static_assert(16 + DEVFACT_MAX < 197 && 16 + HOSTUSE_WHY_MAX < 197, "an inventory line too long");

size_t inventory_head(const char *generated, bool disabled, size_t n, char out[INV_HEAD_MAX])
{
	return (size_t)snprintf(out, INV_HEAD_MAX, "; written by pcipass-probe; do not edit\n[host]\n"
				"generated = %s\ndisabled  = %s\ndevices   = %zu\n",
				generated, disabled ? "true" : "false", n);
}

/* A device's text is put together with these rather than printf, which was most of the
 * probe's own (user) time: a cursor in a buffer of INV_DEVICE_MAX bytes, which the device
 * cannot overrun (every field is bounded; test_inventory renders the largest). */
struct cur {
	char *p;
};

static void put(struct cur *c, const char *s)
{
	size_t n = strlen(s);

	memcpy(c->p, s, n);
	c->p += n;
}

/* as printf's %04x */
static void put_hex4(struct cur *c, unsigned v)
{
	static const char digit[] = "0123456789abcdef";
	int shift = 12;

	while (shift < 28 && v >> (shift + 4) != 0)
		shift += 4;
	for (; shift >= 0; shift -= 4)
		*c->p++ = digit[(v >> shift) & 0xf];
}

static void put_int(struct cur *c, int v)
{
	char tmp[12];
	int n = 0;
	unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;

	do
		tmp[n++] = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*c->p++ = '-';
	while (n > 0)
		*c->p++ = tmp[--n];
}

/* "key = value\n"; with maybe_empty, "key =\n" for an empty value, as the format has it */
static void put_line(struct cur *c, const char *key, const char *value, bool maybe_empty)
{
	put(c, key);
	put(c, value[0] || !maybe_empty ? " = " : " =");
	put(c, value);
	*c->p++ = '\n';
}

void inventory_render_device(const struct inv_device *d, struct sbuf *b)
{
	char text[INV_DEVICE_MAX + 64], v[DEVFACT_MAX], key[16];
	struct cur c = { text };

	put(&c, "\n[");
	put(&c, d->addr);
	put(&c, "]\n");
	put_line(&c, "model      ", d->model, false);
	put_line(&c, "dev_type   ", d->dev_type, false);
	put(&c, "vendor_id   = ");
	put_hex4(&c, d->vendor);
	put(&c, "\ndevice_id   = ");
	put_hex4(&c, d->device);
	if (d->has_subsys) {
		put(&c, "\nsubsystem_vendor_id = ");
		put_hex4(&c, d->subsys_vendor);
		put(&c, "\nsubsystem_device_id = ");
		put_hex4(&c, d->subsys_device);
	}
	put(&c, "\nclass       = ");
	put_hex4(&c, d->class);
	put(&c, "\niommu_group = ");
	put_int(&c, d->iommu_group);
	put(&c, "\nnuma_node   = ");
	put_int(&c, d->numa_node);
	*c.p++ = '\n';
	put_line(&c, "driver     ", d->driver, true);
	for (int f = 0; f < FACT_COUNT; f++) {
		snprintf(key, sizeof(key), "%-11s", devfact_key(f));
		put_line(&c, key, devfact_render(&d->pci, f, v), false);
	}
	put_line(&c, "host_critical", d->host_critical, true);
	sbuf_add(b, text, (size_t)(c.p - text));
}

int inventory_render(const struct inventory *inv, struct sbuf *b)
{
	char head[INV_HEAD_MAX];

	inventory_head(inv->generated, inv->disabled, inv->n, head);
	sbuf_printf(b, "%s", head);
	for (size_t i = 0; i < inv->n; i++)
		inventory_render_device(&inv->dev[i], b);
	return b->oom ? -1 : 0;
}

/* --- parsing --- */

static int parse_stamp(const struct ini_pos *at, const struct ini_key *k, const char *value,
		       void *field, struct perr *e)
{
	struct tm tm = { 0 };
	const char *end;
	char b[128];

	/* strptime checks the fields' ranges; the length check keeps it to exactly this shape */
	if (strlen(value) != 20 || (end = strptime(value, "%Y-%m-%dT%H:%M:%SZ", &tm)) == NULL ||
	    *end != '\0' || strspn(value, "0123456789-:TZ") != 20 || value[4] != '-' || value[7] != '-')
		return ini_fail(e, at, EX_DATAERR, "%s: expected a UTC time like 2026-11-24T10:00:00Z, got \"%s\"",
				k->name, shown(value, b));
	strcpy(field, value);
	return 0;
}

static int parse_model(const struct ini_pos *at, const struct ini_key *k, const char *value,
		       void *field, struct perr *e)
{
	const char *why = model_name_check(value);
	char b[128];

	if (why)
		return ini_fail(e, at, EX_DATAERR, "%s: \"%s\" %s", k->name, shown(value, b), why);
	strcpy(field, value);
	return 0;
}

static int parse_type(const struct ini_pos *at, const struct ini_key *k, const char *value,
		      void *field, struct perr *e)
{
	const char *why = dev_type_check(value, field);
	char b[128];

	if (why || strcmp(value, field) != 0)
		return ini_fail(e, at, EX_DATAERR, "%s: \"%s\" %s", k->name, shown(value, b),
				why ? why : "is not upper case");
	return 0;
}

static const struct ini_key host_keys[] = {
	INI_KEY("generated", parse_stamp, struct inventory, generated, 0),
	INI_KEY("disabled", ini_parse_bool, struct inventory, disabled, 0),
	INI_KEY("devices", ini_parse_int, struct inventory, declared, INVENTORY_MAX),
};

/* A fact of devfacts.h: the key's name says which. */
static int parse_fact(const struct ini_pos *at, const struct ini_key *k, const char *value,
		      void *field, struct perr *e)
{
	const char *why;
	char b[128];

	for (int f = 0; f < FACT_COUNT; f++)
		if (strcmp(k->name, devfact_key(f)) == 0) {
			if (devfact_parse(field, f, value, &why) == 0)
				return 0;
			return ini_fail(e, at, EX_DATAERR, "%s: expected %s, got \"%s\"", k->name, why,
					shown(value, b));
		}
	return ini_fail(e, at, EX_SOFTWARE, "%s: no such fact", k->name);
}

/* What hostuse_reason() writes: printable ASCII without ';' (inih's comments), or nothing. */
static int parse_critical(const struct ini_pos *at, const struct ini_key *k, const char *value,
			  void *field, struct perr *e)
{
	static const char ok[] = " ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/._+,:@=%~?-";
	char b[128];

	if (value[0] && !str_only(value, ok, HOSTUSE_WHY_MAX - 1))
		return ini_fail(e, at, EX_DATAERR, "%s: expected a reason of at most %d characters "
				"(A-Z a-z 0-9 space / . _ + , : @ = %% ~ ? -), got \"%s\"", k->name,
				HOSTUSE_WHY_MAX - 1, shown(value, b));
	strcpy(field, value);
	return 0;
}

enum { K_MODEL, K_TYPE, K_VENDOR, K_DEVICE, K_SV, K_SD, K_CLASS, K_GROUP, K_NUMA, K_DRIVER,
       K_FIRST_OPTIONAL };
#define DEV(name, parse, field, size) INI_KEY(name, parse, struct inv_device, field, size)
static const struct ini_key dev_keys[] = {
	[K_MODEL] = DEV("model", parse_model, model, 0),
	[K_TYPE] = DEV("dev_type", parse_type, dev_type, 0),
	[K_VENDOR] = DEV("vendor_id", ini_parse_hex16, vendor, 0),
	[K_DEVICE] = DEV("device_id", ini_parse_hex16, device, 0),
	[K_SV] = DEV("subsystem_vendor_id", ini_parse_hex16, subsys_vendor, 0),
	[K_SD] = DEV("subsystem_device_id", ini_parse_hex16, subsys_device, 0),
	[K_CLASS] = DEV("class", ini_parse_hex16, class, 0),
	[K_GROUP] = DEV("iommu_group", ini_parse_int, iommu_group, 1000000),
	[K_NUMA] = DEV("numa_node", ini_parse_int, numa_node, 4095),
	[K_DRIVER] = DEV("driver", ini_parse_driver, driver, DRIVER_MAX),
	/* optional: an inventory of an older pcipass has none of these */
	DEV("bars", parse_fact, pci, 0),
	DEV("reset_methods", parse_fact, pci, 0),
	DEV("power_state", parse_fact, pci, 0),
	DEV("link", parse_fact, pci, 0),
	DEV("aer", parse_fact, pci, 0),
	DEV("boot_vga", parse_fact, pci, 0),
	DEV("host_critical", parse_critical, host_critical, 0),
};

struct parse_state {
	struct inventory *inv;
	unsigned host_seen;
	int section; /* 0 none yet, 1 host, 2 device */
	const char *name;
};

/* Every key a device needs; called when its section ends. */
static int check_device(struct parse_state *ps, struct perr *e)
{
	const unsigned sub = 1u << K_SV | 1u << K_SD;
	struct inv_device *d;

	if (ps->section != 2)
		return 0;
	d = &ps->inv->dev[ps->inv->n - 1];
	for (size_t i = 0; i < K_FIRST_OPTIONAL; i++)
		if (!(d->seen & (1u << i)) && !((1u << i) & sub))
			return fail(e, EX_DATAERR, "%s: [%s]: missing %s", ps->name, d->addr,
				    dev_keys[i].name);
	if ((d->seen & sub) != 0 && (d->seen & sub) != sub)
		return fail(e, EX_DATAERR, "%s: [%s]: subsystem ids go together", ps->name, d->addr);
	d->has_subsys = (d->seen & sub) == sub;
	return 0;
}

static int on_section(void *user, const struct ini_pos *at, const char *name, struct perr *e)
{
	struct parse_state *ps = user;
	struct inv_device d = { .iommu_group = -1, .numa_node = -1 };
	char b[128];

	/* every fact unknown until its key says otherwise */
	pcidev_clear(&d.pci);
	d.pci.absent = PCIDEV_ALL_FILES;
	strcpy(d.pci.reset_methods, "-");
	if (check_device(ps, e) < 0)
		return -1;
	if (strcmp(name, "host") == 0) {
		if (ps->section != 0)
			return ini_fail(e, at, EX_DATAERR, "[host] must come first, and once");
		ps->section = 1;
		return 0;
	}
	if (ps->section == 0)
		return ini_fail(e, at, EX_DATAERR, "expected [host] first");
	if (parse_pci_addr(name, d.addr) < 0 || strcmp(d.addr, name) != 0)
		return ini_fail(e, at, EX_DATAERR, "expected a PCI address like [0000:3b:00.0], got [%s]",
				shown(name, b));
	if (ps->inv->n > 0 && pci_addr_cmp(ps->inv->dev[ps->inv->n - 1].addr, d.addr) >= 0)
		return ini_fail(e, at, EX_DATAERR, "[%s]: devices out of address order or repeated", name);
	ps->section = 2;
	return inventory_add(ps->inv, &d, e);
}

static int on_key(void *user, const struct ini_pos *at, const char *section, const char *key,
		  const char *value, struct perr *e)
{
	struct parse_state *ps = user;
	struct inv_device *d;

	if (ps->section == 0)
		return ini_fail(e, at, EX_DATAERR, "%s: key outside a section, expected [host] first", key);
	if (ps->section == 1)
		return ini_set(host_keys, sizeof(host_keys) / sizeof(host_keys[0]), ps->inv,
			       &ps->host_seen, at, section, key, value, e);
	d = &ps->inv->dev[ps->inv->n - 1];
	return ini_set(dev_keys, sizeof(dev_keys) / sizeof(dev_keys[0]), d, &d->seen, at, section,
		       key, value, e);
}

static const struct ini_ops inventory_ops = { on_section, on_key };

int inventory_parse(const char *text, size_t len, const char *name, struct inventory *inv,
		    struct perr *e)
{
	struct parse_state ps = { .inv = inv, .name = name };

	if (ini_read_mem(text, len, name, &inventory_ops, &ps, e) < 0 || check_device(&ps, e) < 0)
		return -1;
	if (ps.section == 0 || ps.host_seen != 7)
		return fail(e, EX_DATAERR, "%s: [host] with generated, disabled and devices missing", name);
	if ((size_t)inv->declared != inv->n)
		return fail(e, EX_DATAERR, "%s: [host] says %d devices, the file has %zu", name,
			    inv->declared, inv->n);
	return 0;
}

int inventory_load(const char *path, struct inventory *inv, struct perr *e)
{
	char *text;
	size_t len;
	int r;

	if (read_config(path, true, &text, &len, e) < 0)
		return -1;
	r = inventory_parse(text, len, path, inv, e);
	free(text);
	return r;
}

static int by_addr(const void *key, const void *elem)
{
	return pci_addr_cmp(key, ((const struct inv_device *)elem)->addr);
}

const struct inv_device *inventory_find(const struct inventory *inv, const char *addr)
{
	/* bsearch's base must not be NULL, even for no elements */
	return inv->n == 0 ? NULL : bsearch(addr, inv->dev, inv->n, sizeof(inv->dev[0]), by_addr);
}
