/* SPDX-License-Identifier: GPL-2.0-or-later */
/* report.c - what the probe decides and prints. Pure: structs in, text out. */
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int match_inventory(const struct scan *s, const struct model_set *ms, const struct host_config *c,
		    struct inventory *inv, struct perr *e)
{
	inv->disabled = c->disable_custom_device;
	if (inv->disabled)
		return 0;
	for (size_t i = 0; i < s->n; i++) {
		const struct pci_found *f = &s->v[i];
		const struct model *m;
		struct inv_device d = { 0 };

		if (pci_is_bridge(f->class) || config_excluded(c, f->addr))
			continue;
		m = models_match(ms, f->vendor, f->device, f->has_subsys, f->subsys_vendor,
				 f->subsys_device);
		if (m == NULL)
			continue;
		memcpy(d.addr, f->addr, sizeof(d.addr));
		strcpy(d.model, m->name);
		strcpy(d.dev_type, m->dev_type);
		d.vendor = f->vendor;
		d.device = f->device;
		d.has_subsys = f->has_subsys;
		d.subsys_vendor = f->subsys_vendor;
		d.subsys_device = f->subsys_device;
		d.class = f->class;
		d.iommu_group = f->iommu_group;
		d.numa_node = f->numa_node;
		memcpy(d.driver, f->driver, sizeof(d.driver));
		if (inventory_add(inv, &d, e) < 0)
			return -1;
	}
	return 0;
}

static const char *dash(const char *s)
{
	return s[0] ? s : "-";
}

/* "17", or "-" for -1. */
static const char *num(int v, char buf[16])
{
	if (v < 0)
		return "-";
	snprintf(buf, 16, "%d", v);
	return buf;
}

static void subsys_text(bool has, unsigned v, unsigned d, char buf[16])
{
	if (has)
		snprintf(buf, 16, "%04x:%04x", v, d);
	else
		strcpy(buf, "-");
}

void report_all(const struct scan *s, const struct model_set *ms, const struct host_config *c,
		bool json, struct sbuf *b)
{
	char g[16], n[16], sub[16];

	if (json)
		sbuf_printf(b, "[");
	else
		sbuf_printf(b, "%-12s  %-5s  %-9s  %-9s  %-10s  %-5s  %-4s  %-16s  %s\n", "ADDRESS",
			    "CLASS", "VEN:DEV", "SUBSYSTEM", "DRIVER", "GROUP", "NUMA", "MODEL",
			    "DESCRIPTION");
	for (size_t i = 0; i < s->n; i++) {
		const struct pci_found *f = &s->v[i];
		const struct model *m = models_match(ms, f->vendor, f->device, f->has_subsys,
						     f->subsys_vendor, f->subsys_device);
		const char *cls = f->names ? f->names : "";
		const char *ven = cls + strlen(cls) + (f->names ? 1 : 0);
		const char *dev = ven + strlen(ven) + (f->names ? 1 : 0);
		bool excl = config_excluded(c, f->addr), bridge = pci_is_bridge(f->class);
		const char *model = m == NULL ? "" : excl ? "(excluded)" : bridge ? "(bridge)" : m->name;

		subsys_text(f->has_subsys, f->subsys_vendor, f->subsys_device, sub);
		if (!json) {
			sbuf_printf(b, "%-12s  %-5.4x  %04x:%04x  %-9s  %-10s  %-5s  %-4s  %-16s  %s: %s %s\n",
				    f->addr, f->class, f->vendor, f->device, sub, dash(f->driver),
				    num(f->iommu_group, g), num(f->numa_node, n), dash(model), cls, ven, dev);
			continue;
		}
		sbuf_printf(b, "%s\n {\"address\": \"%s\", \"class\": \"%04x\", \"vendor_id\": \"%04x\", "
			    "\"device_id\": \"%04x\", \"subsystem\": ", i ? "," : "", f->addr, f->class,
			    f->vendor, f->device);
		json_str(b, f->has_subsys ? sub : "");
		sbuf_printf(b, ", \"driver\": ");
		json_str(b, f->driver);
		sbuf_printf(b, ", \"iommu_group\": %d, \"numa_node\": %d, \"excluded\": %s, \"bridge\": %s, \"model\": ",
			    f->iommu_group, f->numa_node, excl ? "true" : "false", bridge ? "true" : "false");
		json_str(b, m && !excl && !bridge ? m->name : "");
		sbuf_printf(b, ", \"class_name\": ");
		json_str(b, cls);
		sbuf_printf(b, ", \"vendor_name\": ");
		json_str(b, ven);
		sbuf_printf(b, ", \"device_name\": ");
		json_str(b, dev);
		sbuf_printf(b, "}");
	}
	if (json)
		sbuf_printf(b, "%s]\n", s->n ? "\n" : "");
}

void report_list(const struct inventory *inv, const struct claim_info *claims, bool json,
		 struct sbuf *b)
{
	char g[16], n[16];

	if (json)
		sbuf_printf(b, "{\"disabled\": %s, \"generated\": \"%s\", \"devices\": [",
			    inv->disabled ? "true" : "false", inv->generated);
	else if (inv->disabled)
		sbuf_printf(b, "custom devices are disabled on this host (disable_custom_device = true)\n");
	else
		sbuf_printf(b, "%-12s  %-16s  %-8s  %-9s  %-4s  %-5s  %-10s  %s\n", "ADDRESS", "MODEL",
			    "DEV_TYPE", "VEN:DEV", "NUMA", "GROUP", "DRIVER", "STATE");
	for (size_t i = 0; i < inv->n; i++) {
		const struct inv_device *d = &inv->dev[i];
		const struct claim_info *ci = &claims[i];

		if (!json) {
			sbuf_printf(b, "%-12s  %-16s  %-8s  %04x:%04x  %-4s  %-5s  %-10s  ", d->addr,
				    d->model, d->dev_type, d->vendor, d->device, num(d->numa_node, n),
				    num(d->iommu_group, g), dash(d->driver));
			if (ci->held && ci->unreadable)
				sbuf_printf(b, "claimed\n");
			else if (ci->held)
				sbuf_printf(b, "claimed by %s (pid %ld)\n", dash(ci->vm), ci->pid);
			else
				sbuf_printf(b, "free%s\n", ci->exists ? " (not yet released)" : "");
			continue;
		}
		sbuf_printf(b, "%s\n {\"address\": \"%s\", \"model\": \"%s\", \"dev_type\": \"%s\", "
			    "\"vendor_id\": \"%04x\", \"device_id\": \"%04x\", \"numa_node\": %d, "
			    "\"iommu_group\": %d, \"driver\": ", i ? "," : "", d->addr, d->model,
			    d->dev_type, d->vendor, d->device, d->numa_node, d->iommu_group);
		json_str(b, d->driver);
		sbuf_printf(b, ", \"state\": \"%s\", \"vm\": ", ci->held ? "claimed" : "free");
		json_str(b, ci->held ? ci->vm : "");
		sbuf_printf(b, ", \"pid\": %ld, \"released\": %s}", ci->held ? ci->pid : 0,
			    ci->exists ? "false" : "true");
	}
	if (json)
		sbuf_printf(b, "%s]}\n", inv->n ? "\n" : "");
}

struct prom_key {
	const struct inv_device *d;
	bool held;
};

static int prom_cmp(const void *a, const void *b)
{
	const struct prom_key *x = a, *y = b;
	int c = strcmp(x->d->model, y->d->model);

	if (c == 0)
		c = x->d->numa_node - y->d->numa_node;
	if (c == 0)
		c = (int)x->held - (int)y->held;
	return c;
}

/* A device's state for the metrics: "unreleased" is a claim file whose lease nobody holds (its
 * VM is gone, --release has not run): the device is still on vfio-pci. */
static const char *prom_state(const struct claim_info *ci)
{
	return ci->held ? "claimed" : ci->exists ? "unreleased" : "free";
}

void report_prom(const struct inventory *inv, const struct claim_info *claims, bool ok,
		 long long now, long long launch_failures, struct sbuf *b)
{
	struct prom_key *k = calloc(inv->n ? inv->n : 1, sizeof(*k));

	if (k == NULL) {
		b->oom = true;
		return;
	}
	sbuf_printf(b, "# HELP pcipass_devices Custom PCI devices in the inventory.\n"
		       "# TYPE pcipass_devices gauge\n");
	for (size_t i = 0; i < inv->n; i++)
		k[i] = (struct prom_key){ &inv->dev[i], claims[i].held };
	/* Models are grouped so that each label set is printed once, with its count. */
	qsort(k, inv->n, sizeof(*k), prom_cmp);
	for (size_t i = 0, j; i < inv->n; i = j) {
		for (j = i + 1; j < inv->n && prom_cmp(&k[i], &k[j]) == 0; j++)
			;
		sbuf_printf(b, "pcipass_devices{model=\"%s\",dev_type=\"%s\",numa_node=\"%d\",state=\"%s\"} %zu\n",
			    k[i].d->model, k[i].d->dev_type, k[i].d->numa_node,
			    k[i].held ? "claimed" : "free", j - i);
	}
	free(k);
	/* One series per device, in address order; the address is a label, not part of the name,
	 * so the series of many hosts aggregate (by model, by state) without renaming. */
	sbuf_printf(b, "# HELP pcipass_device_info A custom device of the inventory and its state "
		       "(free, claimed, or unreleased: its VM is gone and --release has not run).\n"
		       "# TYPE pcipass_device_info gauge\n");
	for (size_t i = 0; i < inv->n; i++) {
		const struct inv_device *d = &inv->dev[i];
		sbuf_printf(b, "pcipass_device_info{address=\"%s\",model=\"%s\",dev_type=\"%s\",numa_node=\"%d\",state=\"%s\"} 1\n",
			    d->addr, d->model, d->dev_type, d->numa_node, prom_state(&claims[i]));
	}
	sbuf_printf(b, "# HELP pcipass_custom_devices_disabled Whether disable_custom_device is set.\n"
		       "# TYPE pcipass_custom_devices_disabled gauge\n"
		       "pcipass_custom_devices_disabled %d\n",
		       inv->disabled);
	/* unknown (no state directory, or its stats file unreadable): left out rather than
	 * reported as 0, which would look like a counter reset */
	if (launch_failures >= 0)
		sbuf_printf(b, "# HELP pcipass_launch_failures_total Launches by pcipass-run that failed, since boot.\n"
			       "# TYPE pcipass_launch_failures_total counter\n"
			       "pcipass_launch_failures_total %lld\n",
			       launch_failures);
	sbuf_printf(b, "# HELP pcipass_probe_success Whether the last probe succeeded.\n"
		       "# TYPE pcipass_probe_success gauge\n"
		       "pcipass_probe_success %d\n"
		       "# HELP pcipass_probe_timestamp_seconds When the last probe ran.\n"
		       "# TYPE pcipass_probe_timestamp_seconds gauge\n"
		       "pcipass_probe_timestamp_seconds %lld\n",
		       ok, now);
}

void report_models(const struct model_set *ms, bool json, struct sbuf *b)
{
	char sub[16];

	if (json)
		sbuf_printf(b, "[");
	else
		sbuf_printf(b, "%-20s  %-10s  %-9s  %-9s  %s\n", "MODEL", "DEV_TYPE", "VEN:DEV",
			    "SUBSYSTEM", "FILE");
	for (size_t i = 0; i < ms->n; i++) {
		const struct model *m = &ms->v[i];
		subsys_text(m->has_subsys, m->subsys_vendor, m->subsys_device, sub);
		if (!json) {
			sbuf_printf(b, "%-20s  %-10s  %04x:%04x  %-9s  %s\n", m->name, m->dev_type,
				    m->vendor, m->device, sub, m->file);
			continue;
		}
		sbuf_printf(b, "%s\n {\"name\": \"%s\", \"dev_type\": \"%s\", \"vendor_id\": \"%04x\", "
			    "\"device_id\": \"%04x\", \"subsystem\": \"%s\", \"file\": ", i ? "," : "",
			    m->name, m->dev_type, m->vendor, m->device, m->has_subsys ? sub : "");
		json_str(b, m->file);
		sbuf_printf(b, "}");
	}
	if (json)
		sbuf_printf(b, "%s]\n", ms->n ? "\n" : "");
}
