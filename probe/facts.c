/* SPDX-License-Identifier: GPL-2.0-or-later */
/* facts.c - the sysfs facts and host use of the devices the probe reports. */
#include "facts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "health.h"
#include "hostuse.h"
#include "pcidev.h"

void facts_device(const struct host_config *c, const char *addr, int dir, int class, bool quiet,
		  struct pcidev_info *out)
{
	struct perr e = { 0 };

	if (dir >= 0) {
		pcidev_read_at(dir, class, out);
	} else if (pcidev_read(c->sysfs_root, addr, out, &e) < 0) {
		pcidev_clear(out);
		out->absent = PCIDEV_ALL_FILES;
		if (!quiet)
			warnx_("%s: facts not read: %s", addr, e.msg);
		return;
	}
	if (out->bad && !quiet) {
		char why[sizeof(out->why_bad)];
		snprintf(why, sizeof(why), "%s", out->why_bad);
		log_escape(why, sizeof(why));
		warnx_("%s: %s (shown as unknown)", addr, why);
	}
}

int facts_host_use(const struct host_config *c, bool quiet, struct hostuse *hu, struct perr *e)
{
	if (hostuse_scan(c->sysfs_root, c->proc_root, hu, e) < 0)
		return -1;
	if (hu->warnings && !quiet)
		warnx_("host use: %zu thing%s not understood, first: %s", hu->warnings,
		       hu->warnings == 1 ? "" : "s", hu->warning);
	return 0;
}

static bool is_display(unsigned class)
{
	return (class >> 8) == 0x03;
}

int facts_scan(const struct host_config *c, const struct model_set *ms, struct scan *s, bool quiet,
	       struct perr *e)
{
	struct hostuse hu;

	for (size_t i = 0; i < s->n; i++) {
		struct pci_found *f = &s->v[i];
		if (match_device(c, ms, f)) {
			facts_device(c, f->addr, f->dir, (int)f->class, quiet, &f->pci);
			f->has_facts = true;
		} else if (is_display(f->class)) {
			/* a display device no model takes: only its boot_vga counts (whether it
			 * is the console), read quietly with the rest, which costs little here */
			facts_device(c, f->addr, -1, -1, true, &f->pci);
		} else {
			pcidev_clear(&f->pci);
			f->pci.absent = PCIDEV_ALL_FILES;
		}
	}
	if (s->n == 0)
		return 0;
	if (facts_host_use(c, quiet, &hu, e) < 0)
		return -1;
	for (size_t i = 0; i < s->n; i++) {
		struct pci_found *f = &s->v[i];
		hostuse_reason(hostuse_find(&hu, f->addr), f->pci.boot_vga == 1, f->host_critical);
	}
	hostuse_free(&hu);
	return 0;
}

void facts_warn_critical(const struct host_config *c, const struct model_set *ms, const char *name)
{
	struct scan s;
	struct perr e = { 0 };

	if (scan_bus(c->sysfs_root, c->pci_ids, SCAN_QUIET, &s, &e) < 0)
		return;
	/* facts_scan reads every fact of the devices some model takes; the others' do not matter */
	if (facts_scan(c, ms, &s, true, &e) == 0) {
		for (size_t i = 0; i < s.n; i++) {
			const struct pci_found *f = &s.v[i];
			const struct model *m = match_device(c, ms, f);
			if (m == NULL || strcmp(m->name, name) != 0 || !f->host_critical[0])
				continue;
			if (config_allows_critical(c, f->addr))
				warnx_("model %s matches %s, which the host uses (%s); "
				       "allow_host_critical lets pcipass-run hand it out all the same",
				       name, f->addr, f->host_critical);
			else
				warnx_("model %s matches %s, which the host uses (%s); "
				       "pcipass-run will not hand it out unless allow_host_critical lists it",
				       name, f->addr, f->host_critical);
		}
	}
	scan_free(&s);
}

health_why *facts_health(const struct host_config *c, const struct inventory *inv)
{
	health_why *h = calloc(inv->n ? inv->n : 1, sizeof(*h));

	for (size_t i = 0; h && i < inv->n; i++) {
		struct perr e = { 0 };
		if (health_mark_get(c->state_dir, inv->dev[i].addr, h[i], &e) < 0) {
			warnx_("%s", e.msg);
			snprintf(h[i], sizeof(h[i]), "its health mark cannot be read");
		}
	}
	return h;
}
