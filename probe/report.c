/* SPDX-License-Identifier: GPL-2.0-or-later */
/* report.c - what the probe decides and prints. Pure: structs in, text out. */
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devfacts.h"

const struct model *match_device(const struct host_config *c, const struct model_set *ms,
				 const struct pci_found *f)
{
	if (pci_is_bridge(f->class) || config_excluded(c, f->addr))
		return NULL;
	return models_match(ms, f->vendor, f->device, f->has_subsys, f->subsys_vendor, f->subsys_device);
}

void inventory_entry(const struct pci_found *f, const struct model *m, struct inv_device *d)
{
	memset(d, 0, sizeof(*d));
	memcpy(d->addr, f->addr, sizeof(d->addr));
	strcpy(d->model, m->name);
	strcpy(d->dev_type, m->dev_type);
	d->vendor = f->vendor;
	d->device = f->device;
	d->has_subsys = f->has_subsys;
	d->subsys_vendor = f->subsys_vendor;
	d->subsys_device = f->subsys_device;
	d->class = f->class;
	d->iommu_group = f->iommu_group;
	d->numa_node = f->numa_node;
	memcpy(d->driver, f->driver, sizeof(d->driver));
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

/* The address column: 12 wide as before, wider when a domain has more than four digits. */
static int addr_width(const char *first, size_t n, size_t stride)
{
	size_t w = 12;

	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(first + i * stride);
		w = l > w ? l : w;
	}
	return (int)w;
}

/* Under a device's line: its facts as the inventory says them, "bars ...; reset_methods ...". */
static void facts_text(struct sbuf *b, int indent, const struct pcidev_info *p)
{
	sbuf_printf(b, "%*s", indent, "");
	for (int f = 0; f < FACT_COUNT; f++) {
		char v[DEVFACT_MAX];
		sbuf_printf(b, "%s%s %s", f ? "; " : "", devfact_key(f), devfact_render(p, f, v));
	}
	sbuf_printf(b, "\n");
}

static void json_count(struct sbuf *b, const char *name, long long v)
{
	if (v < 0)
		sbuf_printf(b, "\"%s\": null", name);
	else
		sbuf_printf(b, "\"%s\": %lld", name, v);
}

static void json_speed(struct sbuf *b, const char *name, int tenths)
{
	if (tenths <= 0)
		sbuf_printf(b, "\"%s\": null", name);
	else
		sbuf_printf(b, "\"%s\": %d.%d", name, tenths / 10, tenths % 10);
}

/* The facts as a JSON object: what is unknown is null (reset_methods [] is "none offered"). */
static void json_facts(struct sbuf *b, const struct pcidev_info *p)
{
	sbuf_printf(b, "{\"bars\": ");
	if (p->n_bar == 0 && ((p->absent | p->bad) & PCIDEV_RESOURCE))
		sbuf_printf(b, "null");
	else {
		sbuf_printf(b, "[");
		for (size_t i = 0; i < p->n_bar; i++) {
			char bar[8] = "rom";
			if (p->bar[i].index < 6)
				snprintf(bar, sizeof(bar), "%u", p->bar[i].index);
			sbuf_printf(b, "%s{\"bar\": \"%s\", \"bytes\": %llu, \"io\": %s, \"mem64\": %s, \"prefetch\": %s}",
				    i ? ", " : "", bar, (unsigned long long)p->bar[i].size,
				    p->bar[i].mem ? "false" : "true", p->bar[i].mem64 ? "true" : "false",
				    p->bar[i].prefetch ? "true" : "false");
		}
		sbuf_printf(b, "]");
	}
	sbuf_printf(b, ", \"reset_methods\": ");
	if (strcmp(p->reset_methods, "-") == 0)
		sbuf_printf(b, "null");
	else {
		char copy[PCIDEV_RESET_MAX], *save = NULL;
		int n = 0;
		strcpy(copy, p->reset_methods);
		sbuf_printf(b, "[");
		for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
			sbuf_printf(b, "%s\"%s\"", n++ ? ", " : "", w);
		sbuf_printf(b, "]");
	}
	sbuf_printf(b, ", \"power_state\": ");
	if (p->power_state[0])
		json_str(b, p->power_state);
	else
		sbuf_printf(b, "null");
	sbuf_printf(b, ", \"link\": {");
	json_speed(b, "speed_gts", p->cur_speed);
	sbuf_printf(b, ", ");
	json_count(b, "width", p->cur_width);
	sbuf_printf(b, ", ");
	json_speed(b, "max_speed_gts", p->max_speed);
	sbuf_printf(b, ", ");
	json_count(b, "max_width", p->max_width);
	sbuf_printf(b, "}, \"aer\": {");
	json_count(b, "correctable", p->aer_cor);
	sbuf_printf(b, ", ");
	json_count(b, "nonfatal", p->aer_nonfatal);
	sbuf_printf(b, ", ");
	json_count(b, "fatal", p->aer_fatal);
	sbuf_printf(b, "}, \"boot_vga\": %s}", p->boot_vga < 0 ? "null" : p->boot_vga ? "true" : "false");
}

void report_all(const struct scan *s, const struct model_set *ms, const struct host_config *c,
		bool json, struct sbuf *b)
{
	char g[16], n[16], sub[16];
	int aw = s->n ? addr_width(s->v[0].addr, s->n, sizeof(s->v[0])) : 12;

	if (json)
		sbuf_printf(b, "[");
	else
		sbuf_printf(b, "%-*s  %-5s  %-9s  %-9s  %-10s  %-5s  %-4s  %-16s  %s\n", aw, "ADDRESS",
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
			sbuf_printf(b, "%-*s  %-5.4x  %04x:%04x  %-9s  %-10s  %-5s  %-4s  %-16s  %s: %s %s\n",
				    aw, f->addr, f->class, f->vendor, f->device, sub, dash(f->driver),
				    num(f->iommu_group, g), num(f->numa_node, n), dash(model), cls, ven, dev);
			if (f->has_facts)
				facts_text(b, aw + 2, &f->pci);
			if (f->host_critical[0])
				sbuf_printf(b, "%*shost-critical: %s%s\n", aw + 2, "", f->host_critical,
					    config_allows_critical(c, f->addr) ? " (allowed by allow_host_critical)" : "");
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
		sbuf_printf(b, ", \"host_critical\": ");
		json_str(b, f->host_critical);
		sbuf_printf(b, ", \"host_critical_allowed\": %s, \"facts\": ",
			    config_allows_critical(c, f->addr) ? "true" : "false");
		if (f->has_facts)
			json_facts(b, &f->pci);
		else
			sbuf_printf(b, "null");
		sbuf_printf(b, "}");
	}
	if (json)
		sbuf_printf(b, "%s]\n", s->n ? "\n" : "");
}

/* The STATE column: claimed, or else what keeps the device from being handed out (a health
 * mark, the host's use), or free. */
static void list_state(struct sbuf *b, const struct inv_device *d, const struct claim_info *ci,
		       const char *unhealthy, bool allowed)
{
	bool blocked = false;

	if (ci->held && ci->unreadable) {
		sbuf_printf(b, "claimed\n");
		return;
	}
	if (ci->held) {
		sbuf_printf(b, "claimed by %s (pid %ld)\n", dash(ci->vm), ci->pid);
		return;
	}
	if (unhealthy[0]) {
		sbuf_printf(b, "unhealthy: %s", unhealthy);
		blocked = true;
	}
	if (d->host_critical[0] && !allowed) {
		sbuf_printf(b, "%shost-critical: %s", blocked ? "; " : "", d->host_critical);
		blocked = true;
	}
	if (!blocked)
		sbuf_printf(b, "free%s", ci->exists ? " (not yet released)" : "");
	if (d->host_critical[0] && allowed)
		sbuf_printf(b, "; host-critical, allowed: %s", d->host_critical);
	sbuf_printf(b, "\n");
}

void report_list(const struct inventory *inv, const struct claim_info *claims,
		 const health_why *unhealthy, const struct host_config *c, bool json, struct sbuf *b)
{
	char g[16], n[16];
	int aw = inv->n ? addr_width(inv->dev[0].addr, inv->n, sizeof(inv->dev[0])) : 12;

	if (json)
		sbuf_printf(b, "{\"disabled\": %s, \"generated\": \"%s\", \"devices\": [",
			    inv->disabled ? "true" : "false", inv->generated);
	else if (inv->disabled)
		sbuf_printf(b, "custom devices are disabled on this host (disable_custom_device = true)\n");
	else
		sbuf_printf(b, "%-*s  %-16s  %-8s  %-9s  %-4s  %-5s  %-10s  %s\n", aw, "ADDRESS", "MODEL",
			    "DEV_TYPE", "VEN:DEV", "NUMA", "GROUP", "DRIVER", "STATE");
	for (size_t i = 0; i < inv->n; i++) {
		const struct inv_device *d = &inv->dev[i];
		const struct claim_info *ci = &claims[i];
		const char *sick = unhealthy ? unhealthy[i] : "";
		bool allowed = c && config_allows_critical(c, d->addr);

		if (!json) {
			sbuf_printf(b, "%-*s  %-16s  %-8s  %04x:%04x  %-4s  %-5s  %-10s  ", aw, d->addr,
				    d->model, d->dev_type, d->vendor, d->device, num(d->numa_node, n),
				    num(d->iommu_group, g), dash(d->driver));
			list_state(b, d, ci, sick, allowed);
			facts_text(b, aw + 2, &d->pci);
			continue;
		}
		sbuf_printf(b, "%s\n {\"address\": \"%s\", \"model\": \"%s\", \"dev_type\": \"%s\", "
			    "\"vendor_id\": \"%04x\", \"device_id\": \"%04x\", \"numa_node\": %d, "
			    "\"iommu_group\": %d, \"driver\": ", i ? "," : "", d->addr, d->model,
			    d->dev_type, d->vendor, d->device, d->numa_node, d->iommu_group);
		json_str(b, d->driver);
		sbuf_printf(b, ", \"state\": \"%s\", \"vm\": ", ci->held ? "claimed" : "free");
		json_str(b, ci->held ? ci->vm : "");
		sbuf_printf(b, ", \"pid\": %ld, \"released\": %s, \"unhealthy\": ", ci->held ? ci->pid : 0,
			    ci->exists ? "false" : "true");
		json_str(b, sick);
		sbuf_printf(b, ", \"host_critical\": ");
		json_str(b, d->host_critical);
		sbuf_printf(b, ", \"host_critical_allowed\": %s, \"facts\": ", allowed ? "true" : "false");
		json_facts(b, &d->pci);
		sbuf_printf(b, "}");
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

/* The per-device gauges beyond pcipass_device_info: labels address and model only, so that
 * series of many hosts aggregate, and no series for what is unknown. */
static void prom_facts(const struct inventory *inv, const health_why *unhealthy, struct sbuf *b)
{
#define EACH for (size_t i = 0; i < inv->n; i++)
#define D (&inv->dev[i])
#define LBL "address=\"%s\",model=\"%s\""
	if (inv->n == 0)
		return;
	sbuf_printf(b, "# HELP pcipass_device_host_critical Whether the host uses the device (a mounted "
		       "filesystem's disk, swap, a default route's NIC, the console, the boot VGA).\n"
		       "# TYPE pcipass_device_host_critical gauge\n");
	EACH sbuf_printf(b, "pcipass_device_host_critical{" LBL "} %d\n", D->addr, D->model, D->host_critical[0] != 0);
	sbuf_printf(b, "# HELP pcipass_device_unhealthy Whether the device is marked unhealthy "
		       "(it stopped answering after a VM).\n# TYPE pcipass_device_unhealthy gauge\n");
	EACH sbuf_printf(b, "pcipass_device_unhealthy{" LBL "} %d\n", D->addr, D->model,
			 unhealthy && unhealthy[i][0]);
	sbuf_printf(b, "# HELP pcipass_device_aer_errors_total AER errors the kernel counted for the "
		       "device since boot, by kind.\n# TYPE pcipass_device_aer_errors_total counter\n");
	EACH {
		const long long v[3] = { D->pci.aer_cor, D->pci.aer_nonfatal, D->pci.aer_fatal };
		static const char *const kind[3] = { "correctable", "nonfatal", "fatal" };
		for (int k = 0; k < 3; k++)
			if (v[k] >= 0)
				sbuf_printf(b, "pcipass_device_aer_errors_total{" LBL ",kind=\"%s\"} %lld\n",
					    D->addr, D->model, kind[k], v[k]);
	}
	sbuf_printf(b, "# HELP pcipass_device_bar_bytes The size of each memory or I/O region the "
		       "device decodes (BARs 0-5, rom).\n# TYPE pcipass_device_bar_bytes gauge\n");
	EACH for (size_t k = 0; k < D->pci.n_bar; k++) {
		const struct pcidev_bar *r = &D->pci.bar[k];
		char bar[8] = "rom";
		if (r->index < 6)
			snprintf(bar, sizeof(bar), "%u", r->index);
		sbuf_printf(b, "pcipass_device_bar_bytes{" LBL ",bar=\"%s\"} %llu\n", D->addr, D->model, bar,
			    (unsigned long long)r->size);
	}
	sbuf_printf(b, "# HELP pcipass_device_link_speed_gts The PCIe link's speed in GT/s, now and at most.\n"
		       "# TYPE pcipass_device_link_speed_gts gauge\n");
	EACH {
		if (D->pci.cur_speed > 0)
			sbuf_printf(b, "pcipass_device_link_speed_gts{" LBL ",link=\"current\"} %d.%d\n", D->addr,
				    D->model, D->pci.cur_speed / 10, D->pci.cur_speed % 10);
		if (D->pci.max_speed > 0)
			sbuf_printf(b, "pcipass_device_link_speed_gts{" LBL ",link=\"max\"} %d.%d\n", D->addr,
				    D->model, D->pci.max_speed / 10, D->pci.max_speed % 10);
	}
	sbuf_printf(b, "# HELP pcipass_device_link_width_lanes The PCIe link's width in lanes, now and at most.\n"
		       "# TYPE pcipass_device_link_width_lanes gauge\n");
	EACH {
		if (D->pci.cur_width >= 0)
			sbuf_printf(b, "pcipass_device_link_width_lanes{" LBL ",link=\"current\"} %d\n", D->addr,
				    D->model, D->pci.cur_width);
		if (D->pci.max_width >= 0)
			sbuf_printf(b, "pcipass_device_link_width_lanes{" LBL ",link=\"max\"} %d\n", D->addr,
				    D->model, D->pci.max_width);
	}
#undef EACH
#undef D
#undef LBL
}

void report_prom(const struct inventory *inv, const struct claim_info *claims,
		 const health_why *unhealthy, bool ok, long long now, long long launch_failures,
		 struct sbuf *b)
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
	prom_facts(inv, unhealthy, b);
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
