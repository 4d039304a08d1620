/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_report.c - matching a scan to models, and what --all, --list, --prom and list print. */
#include "cm.h"
#include "report.h"

static struct pci_found devs[] = {
	{ .addr = "0000:00:01.0", .vendor = 0x19e5, .device = 0xd801, .class = 0x0604, .iommu_group = 1, .numa_node = 0 },
	{ .addr = "0000:00:1f.2", .vendor = 0x19e5, .device = 0xd801, .class = 0x1200, .iommu_group = 5, .numa_node = 0 },
	{ .addr = "0000:3b:00.0", .vendor = 0x19e5, .device = 0xd801, .class = 0x1200, .has_subsys = true,
	  .subsys_vendor = 0x19e5, .subsys_device = 0x0200, .iommu_group = 17, .numa_node = 0 },
	{ .addr = "0000:af:00.0", .vendor = 0x19e5, .device = 0xd801, .class = 0x1200, .has_subsys = true,
	  .subsys_vendor = 0x19e5, .subsys_device = 0x0100, .iommu_group = 42, .numa_node = 1, .driver = "vfio-pci" },
	{ .addr = "0000:d8:00.0", .vendor = 0x10ee, .device = 0x903f, .class = 0x1200, .iommu_group = 55, .numa_node = 1 },
};

/* The inventory the probe writes for scan s, as probe_update builds it device by device
 * (a disabled host scans nothing). */
static int match_inventory(const struct scan *s, const struct model_set *ms,
			   const struct host_config *c, struct inventory *inv, struct perr *e)
{
	inv->disabled = c->disable_custom_device;
	for (size_t i = 0; !inv->disabled && i < s->n; i++) {
		const struct model *m = match_device(c, ms, &s->v[i]);
		struct inv_device d;
		if (m == NULL)
			continue;
		inventory_entry(&s->v[i], m, &d);
		if (inventory_add(inv, &d, e) < 0)
			return -1;
	}
	return 0;
}

static void setup(struct model_set *ms, struct host_config *c, struct scan *s)
{
	static const char models[] = "[Plain]\ndev_type=NPU\nvendor_id=19e5\ndevice_id=d801\n"
		"[Sub]\ndev_type=NPU\nvendor_id=19e5\ndevice_id=d801\nsubsystem_vendor_id=19e5\nsubsystem_device_id=0200\n";
	struct perr e = { 0 };

	memset(ms, 0, sizeof(*ms));
	assert_int_equal(models_parse(models, strlen(models), "m.conf", ms, &e), 0);
	assert_int_equal(models_finish(ms, &e), 0);
	assert_int_equal(config_parse("[host]\nexclude = 00:1f.2\n", 25, "c", c, &e), 0);
	s->v = devs;
	s->n = sizeof(devs) / sizeof(devs[0]);
}

static void test_match(void **state)
{
	struct model_set ms;
	struct host_config c;
	struct scan s = { 0 };
	struct inventory inv = { 0 };
	struct perr e = { 0 };

	(void)state;
	setup(&ms, &c, &s);
	assert_int_equal(match_inventory(&s, &ms, &c, &inv, &e), 0);
	/* the bridge (01.0) and the excluded device (1f.2) are left out even though they match */
	assert_int_equal(inv.n, 2);
	assert_string_equal(inv.dev[0].addr, "0000:3b:00.0");
	assert_string_equal(inv.dev[0].model, "Sub");
	assert_string_equal(inv.dev[1].model, "Plain");
	assert_string_equal(inv.dev[1].driver, "vfio-pci");
	assert_int_equal(inv.dev[1].numa_node, 1);
	assert_false(inv.disabled);
	inventory_free(&inv);

	c.disable_custom_device = true;
	assert_int_equal(match_inventory(&s, &ms, &c, &inv, &e), 0);
	assert_int_equal(inv.n, 0);
	assert_true(inv.disabled);
	inventory_free(&inv);
	models_free(&ms);
}

static void test_outputs(void **state)
{
	struct model_set ms;
	struct host_config c;
	struct scan s = { 0 };
	struct inventory inv = { 0 };
	struct claim_info ci[2] = { { .exists = true, .held = true, .vm = "vm-1", .pid = 4242 },
				     { .exists = true } };
	struct sbuf b = { 0 };
	struct perr e = { 0 };

	(void)state;
	setup(&ms, &c, &s);
	assert_int_equal(match_inventory(&s, &ms, &c, &inv, &e), 0);
	strcpy(inv.generated, "2026-11-24T10:00:00Z");

	report_list(&inv, ci, NULL, NULL, false, &b);
	assert_non_null(strstr(b.p, "0000:3b:00.0  Sub "));
	assert_non_null(strstr(b.p, "claimed by vm-1 (pid 4242)\n"));
	assert_non_null(strstr(b.p, "free (not yet released)\n"));
	sbuf_free(&b);
	report_list(&inv, ci, NULL, NULL, true, &b);
	assert_non_null(strstr(b.p, "\"state\": \"claimed\", \"vm\": \"vm-1\", \"pid\": 4242, \"released\": false, "));
	assert_non_null(strstr(b.p, "{\"disabled\": false, \"generated\": \"2026-11-24T10:00:00Z\""));
	sbuf_free(&b);

	report_prom(&inv, ci, NULL, true, 1700000000, 3, &b);
	assert_non_null(strstr(b.p, "pcipass_devices{model=\"Plain\",dev_type=\"NPU\",numa_node=\"1\",state=\"free\"} 1\n"));
	/* the second device's claim exists, nobody holds it: free to claim, but unreleased */
	assert_non_null(strstr(b.p, "\npcipass_device_info{address=\"0000:3b:00.0\",model=\"Sub\",dev_type=\"NPU\",numa_node=\"0\",state=\"claimed\"} 1\n"));
	assert_non_null(strstr(b.p, "\npcipass_device_info{address=\"0000:af:00.0\",model=\"Plain\",dev_type=\"NPU\",numa_node=\"1\",state=\"unreleased\"} 1\n"));
	assert_non_null(strstr(b.p, "\npcipass_launch_failures_total 3\n"));
	assert_non_null(strstr(b.p, "pcipass_devices{model=\"Sub\",dev_type=\"NPU\",numa_node=\"0\",state=\"claimed\"} 1\n"));
	assert_non_null(strstr(b.p, "pcipass_probe_success 1\n"));
	assert_non_null(strstr(b.p, "pcipass_probe_timestamp_seconds 1700000000\n"));
	sbuf_free(&b);

	report_all(&s, &ms, &c, false, &b);
	assert_non_null(strstr(b.p, "0000:00:01.0  0604 "));
	assert_non_null(strstr(b.p, "(bridge)"));
	assert_non_null(strstr(b.p, "(excluded)"));
	sbuf_free(&b);
	report_all(&s, &ms, &c, true, &b);
	assert_non_null(strstr(b.p, "\"address\": \"0000:d8:00.0\""));
	assert_non_null(strstr(b.p, "\"excluded\": true, \"bridge\": false, \"model\": \"\""));
	sbuf_free(&b);

	report_models(&ms, true, &b);
	assert_non_null(strstr(b.p, "\"name\": \"Sub\", \"dev_type\": \"NPU\", \"vendor_id\": \"19e5\", "
				    "\"device_id\": \"d801\", \"subsystem\": \"19e5:0200\""));
	sbuf_free(&b);
	inventory_free(&inv);
	models_free(&ms);
}

static void test_json_str(void **state)
{
	struct sbuf b = { 0 };

	(void)state;
	json_str(&b, "a\"b\\c\n\x01");
	assert_string_equal(b.p, "\"a\\\"b\\\\c\\u000a\\u0001\"");
	sbuf_free(&b);
}

static const char two_models[] =
	"[Sub]\ndev_type=NPU\nvendor_id=19e5\ndevice_id=d801\nsubsystem_vendor_id=19e5\nsubsystem_device_id=0200\n"
	"[Br]\ndev_type=X\nvendor_id=8086\ndevice_id=1234\n";

static void load_models(struct model_set *ms, const char *text, const char *file)
{
	struct perr e = { 0 };

	memset(ms, 0, sizeof(*ms));
	assert_int_equal(models_parse(text, strlen(text), file, ms, &e), 0);
	assert_int_equal(models_finish(ms, &e), 0);
}

static void host(struct host_config *c, const char *text)
{
	struct perr e = { 0 };

	assert_int_equal(config_parse(text, strlen(text), "c", c, &e), 0);
}

static void test_match_rules(void **state)
{
	/* every kind of bridge (class 06xx) is left out, whatever model it matches */
	struct pci_found v[] = {
		{ .addr = "0000:00:00.0", .vendor = 0x8086, .device = 0x1234, .class = 0x0600 },
		{ .addr = "0000:00:01.0", .vendor = 0x8086, .device = 0x1234, .class = 0x0604 },
		{ .addr = "0000:00:01.1", .vendor = 0x8086, .device = 0x1234, .class = 0x0680 },
		{ .addr = "0000:00:02.0", .vendor = 0x8086, .device = 0x1234, .class = 0x0580, .iommu_group = 3,
		  .numa_node = 2, .driver = "x" },
		{ .addr = "0000:00:03.0", .vendor = 0x8086, .device = 0x1235, .class = 0x1200 },
		{ .addr = "0000:00:04.0", .vendor = 0x8086, .device = 0x1234, .class = 0x0700, .has_subsys = true,
		  .subsys_vendor = 1, .subsys_device = 2, .iommu_group = -1, .numa_node = -1 },
		{ .addr = "0000:00:05.0", .vendor = 0x8086, .device = 0x1234, .class = 0x0000 },
		{ .addr = "0001:00:00.0", .vendor = 0x8086, .device = 0x1234, .class = 0x1200 },
	};
	struct scan s = { .v = v, .n = sizeof(v) / sizeof(v[0]) };
	struct model_set ms;
	struct host_config c;
	struct inventory inv = { 0 };
	struct perr e = { 0 };

	(void)state;
	load_models(&ms, two_models, "m.conf");
	host(&c, "[host]\nexclude = 00:05.0\n");
	assert_int_equal(match_inventory(&s, &ms, &c, &inv, &e), 0);
	assert_int_equal(inv.n, 3);
	/* order preserved, every field copied */
	assert_string_equal(inv.dev[0].addr, "0000:00:02.0");
	assert_string_equal(inv.dev[0].model, "Br");
	assert_string_equal(inv.dev[0].dev_type, "X");
	assert_int_equal(inv.dev[0].vendor, 0x8086);
	assert_int_equal(inv.dev[0].device, 0x1234);
	assert_int_equal(inv.dev[0].class, 0x0580);
	assert_int_equal(inv.dev[0].iommu_group, 3);
	assert_int_equal(inv.dev[0].numa_node, 2);
	assert_string_equal(inv.dev[0].driver, "x");
	assert_false(inv.dev[0].has_subsys);
	assert_string_equal(inv.dev[1].addr, "0000:00:04.0");
	assert_true(inv.dev[1].has_subsys); /* the device's subsystem, though the plain model matched */
	assert_int_equal(inv.dev[1].subsys_vendor, 1);
	assert_int_equal(inv.dev[1].subsys_device, 2);
	assert_int_equal(inv.dev[1].iommu_group, -1);
	assert_int_equal(inv.dev[1].numa_node, -1);
	assert_string_equal(inv.dev[1].driver, "");
	assert_string_equal(inv.dev[2].addr, "0001:00:00.0");
	assert_false(inv.disabled);
	inventory_free(&inv);

	/* an empty scan, or no models: an empty inventory, not an error */
	s.n = 0;
	assert_int_equal(match_inventory(&s, &ms, &c, &inv, &e), 0);
	assert_int_equal(inv.n, 0);
	inventory_free(&inv);
	models_free(&ms);
	s.n = sizeof(v) / sizeof(v[0]);
	assert_int_equal(match_inventory(&s, &ms, &c, &inv, &e), 0);
	assert_int_equal(inv.n, 0);
	inventory_free(&inv);

	/* a disabled host: empty and marked, whatever matches */
	load_models(&ms, two_models, "m.conf");
	host(&c, "[host]\ndisable_custom_device = true\n");
	assert_int_equal(match_inventory(&s, &ms, &c, &inv, &e), 0);
	assert_int_equal(inv.n, 0);
	assert_true(inv.disabled);
	inventory_free(&inv);
	models_free(&ms);
}

static char names[] = "Processing accelerators\0Huawei \"Tech\"\0Atlas\\300\t\x01";

static struct pci_found all_devs[] = {
	{ .addr = "0000:00:01.0", .vendor = 0x8086, .device = 0x1234, .class = 0x0604, .iommu_group = 1, .numa_node = 0 },
	{ .addr = "0000:3b:00.0", .vendor = 0x19e5, .device = 0xd801, .class = 0x1200, .has_subsys = true,
	  .subsys_vendor = 0x19e5, .subsys_device = 0x0200, .iommu_group = 17, .numa_node = 0, .names = names },
	{ .addr = "0000:af:00.0", .vendor = 0x8086, .device = 0x1234, .class = 0x1200, .iommu_group = -1,
	  .numa_node = -1, .driver = "vfio-pci" },
	{ .addr = "0000:d8:00.0", .vendor = 0x10ee, .device = 0x903f, .class = 0x0580, .iommu_group = 5,
	  .numa_node = 1, .driver = "xdma" },
};

static void test_report_all(void **state)
{
	struct scan s = { .v = all_devs, .n = 4 };
	struct model_set ms;
	struct host_config c;
	struct sbuf b = { 0 };

	(void)state;
	load_models(&ms, two_models, "m.conf");
	host(&c, "[host]\nexclude = af:00.0\n");
	report_all(&s, &ms, &c, false, &b);
	assert_false(b.oom);
	assert_string_equal(b.p,
		"ADDRESS       CLASS  VEN:DEV    SUBSYSTEM  DRIVER      GROUP  NUMA  MODEL             DESCRIPTION\n"
		"0000:00:01.0  0604   8086:1234  -          -           1      0     (bridge)          :  \n"
		"0000:3b:00.0  1200   19e5:d801  19e5:0200  -           17     0     Sub               "
		"Processing accelerators: Huawei \"Tech\" Atlas\\300\t\x01\n"
		"0000:af:00.0  1200   8086:1234  -          vfio-pci    -      -     (excluded)        :  \n"
		"0000:d8:00.0  0580   10ee:903f  -          xdma        5      1     -                 :  \n");
	sbuf_free(&b);

	report_all(&s, &ms, &c, true, &b);
	assert_false(b.oom);
	assert_string_equal(b.p,
		"[\n"
		" {\"address\": \"0000:00:01.0\", \"class\": \"0604\", \"vendor_id\": \"8086\", \"device_id\": \"1234\", "
		"\"subsystem\": \"\", \"driver\": \"\", \"iommu_group\": 1, \"numa_node\": 0, \"excluded\": false, "
		"\"bridge\": true, \"model\": \"\", \"class_name\": \"\", \"vendor_name\": \"\", \"device_name\": \"\", "
		"\"host_critical\": \"\", \"host_critical_allowed\": false, \"facts\": null},\n"
		" {\"address\": \"0000:3b:00.0\", \"class\": \"1200\", \"vendor_id\": \"19e5\", \"device_id\": \"d801\", "
		"\"subsystem\": \"19e5:0200\", \"driver\": \"\", \"iommu_group\": 17, \"numa_node\": 0, \"excluded\": false, "
		"\"bridge\": false, \"model\": \"Sub\", \"class_name\": \"Processing accelerators\", "
		"\"vendor_name\": \"Huawei \\\"Tech\\\"\", \"device_name\": \"Atlas\\\\300\\u0009\\u0001\", "
		"\"host_critical\": \"\", \"host_critical_allowed\": false, \"facts\": null},\n"
		" {\"address\": \"0000:af:00.0\", \"class\": \"1200\", \"vendor_id\": \"8086\", \"device_id\": \"1234\", "
		"\"subsystem\": \"\", \"driver\": \"vfio-pci\", \"iommu_group\": -1, \"numa_node\": -1, \"excluded\": true, "
		"\"bridge\": false, \"model\": \"\", \"class_name\": \"\", \"vendor_name\": \"\", \"device_name\": \"\", "
		"\"host_critical\": \"\", \"host_critical_allowed\": false, \"facts\": null},\n"
		" {\"address\": \"0000:d8:00.0\", \"class\": \"0580\", \"vendor_id\": \"10ee\", \"device_id\": \"903f\", "
		"\"subsystem\": \"\", \"driver\": \"xdma\", \"iommu_group\": 5, \"numa_node\": 1, \"excluded\": false, "
		"\"bridge\": false, \"model\": \"\", \"class_name\": \"\", \"vendor_name\": \"\", \"device_name\": \"\", "
		"\"host_critical\": \"\", \"host_critical_allowed\": false, \"facts\": null}\n"
		"]\n");
	sbuf_free(&b);

	s.n = 0;
	report_all(&s, &ms, &c, true, &b);
	assert_string_equal(b.p, "[]\n");
	sbuf_free(&b);
	report_all(&s, &ms, &c, false, &b);
	assert_string_equal(b.p, "ADDRESS       CLASS  VEN:DEV    SUBSYSTEM  DRIVER      GROUP  NUMA  MODEL             DESCRIPTION\n");
	sbuf_free(&b);
	models_free(&ms);
}

/* The facts of a device the kernel shows none of, as JSON. */
#define NULL_FACTS "\"facts\": {\"bars\": null, \"reset_methods\": null, \"power_state\": null, " \
	"\"link\": {\"speed_gts\": null, \"width\": null, \"max_speed_gts\": null, \"max_width\": null}, " \
	"\"aer\": {\"correctable\": null, \"nonfatal\": null, \"fatal\": null}, \"boot_vga\": null}"

static void test_report_list(void **state)
{
	struct inventory inv = { .generated = "2026-11-24T10:00:00Z" };
	struct inv_device d = { .model = "Atlas-800", .dev_type = "NPU", .vendor = 0x19e5, .device = 0xd801,
				.class = 0x1200 };
	struct claim_info ci[4] = {
		{ 0 },                                                              /* never claimed */
		{ .exists = true },                                                 /* claim left behind */
		{ .exists = true, .held = true, .vm = "vm-1", .pid = 4242 },        /* live */
		{ .exists = true, .held = true, .unreadable = true },               /* live, being written */
	};
	struct perr e = { 0 };
	struct sbuf b = { 0 };

	(void)state;
	pcidev_clear(&d.pci);
	d.pci.absent = PCIDEV_ALL_FILES;
	strcpy(d.pci.reset_methods, "-");
	for (unsigned i = 0; i < 4; i++) {
		snprintf(d.addr, sizeof(d.addr), "0000:0%c:00.0", (char)('1' + i));
		d.numa_node = (int)i - 1;
		d.iommu_group = (int)i * 10 - 1;
		strcpy(d.driver, i == 2 ? "vfio-pci" : "");
		assert_int_equal(inventory_add(&inv, &d, &e), 0);
	}
	report_list(&inv, ci, NULL, NULL, false, &b);
	assert_string_equal(b.p,
		"ADDRESS       MODEL             DEV_TYPE  VEN:DEV    NUMA  GROUP  DRIVER      STATE\n"
		"0000:01:00.0  Atlas-800         NPU       19e5:d801  -     -      -           free\n"
		"              bars -; reset_methods -; power_state -; link -; aer -; boot_vga -\n"
		"0000:02:00.0  Atlas-800         NPU       19e5:d801  0     9      -           free (not yet released)\n"
		"              bars -; reset_methods -; power_state -; link -; aer -; boot_vga -\n"
		"0000:03:00.0  Atlas-800         NPU       19e5:d801  1     19     vfio-pci    claimed by vm-1 (pid 4242)\n"
		"              bars -; reset_methods -; power_state -; link -; aer -; boot_vga -\n"
		"0000:04:00.0  Atlas-800         NPU       19e5:d801  2     29     -           claimed\n"
		"              bars -; reset_methods -; power_state -; link -; aer -; boot_vga -\n");
	sbuf_free(&b);

	report_list(&inv, ci, NULL, NULL, true, &b);
	assert_string_equal(b.p,
		"{\"disabled\": false, \"generated\": \"2026-11-24T10:00:00Z\", \"devices\": [\n"
		" {\"address\": \"0000:01:00.0\", \"model\": \"Atlas-800\", \"dev_type\": \"NPU\", \"vendor_id\": \"19e5\", "
		"\"device_id\": \"d801\", \"numa_node\": -1, \"iommu_group\": -1, \"driver\": \"\", \"state\": \"free\", "
		"\"vm\": \"\", \"pid\": 0, \"released\": true, \"unhealthy\": \"\", \"host_critical\": \"\", "
		"\"host_critical_allowed\": false, "
		NULL_FACTS
		"},\n"
		" {\"address\": \"0000:02:00.0\", \"model\": \"Atlas-800\", \"dev_type\": \"NPU\", \"vendor_id\": \"19e5\", "
		"\"device_id\": \"d801\", \"numa_node\": 0, \"iommu_group\": 9, \"driver\": \"\", \"state\": \"free\", "
		"\"vm\": \"\", \"pid\": 0, \"released\": false, \"unhealthy\": \"\", \"host_critical\": \"\", "
		"\"host_critical_allowed\": false, "
		NULL_FACTS
		"},\n"
		" {\"address\": \"0000:03:00.0\", \"model\": \"Atlas-800\", \"dev_type\": \"NPU\", \"vendor_id\": \"19e5\", "
		"\"device_id\": \"d801\", \"numa_node\": 1, \"iommu_group\": 19, \"driver\": \"vfio-pci\", \"state\": \"claimed\", "
		"\"vm\": \"vm-1\", \"pid\": 4242, \"released\": false, \"unhealthy\": \"\", \"host_critical\": \"\", "
		"\"host_critical_allowed\": false, "
		NULL_FACTS
		"},\n"
		" {\"address\": \"0000:04:00.0\", \"model\": \"Atlas-800\", \"dev_type\": \"NPU\", \"vendor_id\": \"19e5\", "
		"\"device_id\": \"d801\", \"numa_node\": 2, \"iommu_group\": 29, \"driver\": \"\", \"state\": \"claimed\", "
		"\"vm\": \"\", \"pid\": 0, \"released\": false, \"unhealthy\": \"\", \"host_critical\": \"\", "
		"\"host_critical_allowed\": false, "
		NULL_FACTS
		"}\n"
		"]}\n");
	sbuf_free(&b);
	inventory_free(&inv);

	/* disabled and empty */
	inv.disabled = true;
	strcpy(inv.generated, "2026-11-24T10:00:00Z");
	report_list(&inv, NULL, NULL, NULL, false, &b);
	assert_string_equal(b.p, "custom devices are disabled on this host (disable_custom_device = true)\n");
	sbuf_free(&b);
	report_list(&inv, NULL, NULL, NULL, true, &b);
	assert_string_equal(b.p, "{\"disabled\": true, \"generated\": \"2026-11-24T10:00:00Z\", \"devices\": []}\n");
	sbuf_free(&b);
	inv.disabled = false;
	report_list(&inv, NULL, NULL, NULL, false, &b);
	assert_string_equal(b.p, "ADDRESS       MODEL             DEV_TYPE  VEN:DEV    NUMA  GROUP  DRIVER      STATE\n");
	sbuf_free(&b);
}

/* What the facts add: the STATE column (unhealthy, host-critical, allowed), the facts line,
 * their JSON, and the per-device gauges (only what is known). */
static void test_report_facts(void **state)
{
	struct inventory inv = { .generated = "2026-11-24T10:00:00Z" };
	struct inv_device d = { .model = "M", .dev_type = "NPU", .vendor = 0x19e5, .device = 0xd801,
				.class = 0x1200, .iommu_group = 1, .numa_node = 0 };
	struct claim_info ci[5] = { 0 };
	health_why sick[5] = { "", "config space reads 0xffff after release", "", "", "gone" };
	struct host_config c;
	struct perr e = { 0 };
	struct sbuf b = { 0 };

	(void)state;
	host(&c, "[host]\nallow_host_critical = 10000:e1:00.0\n");
	pcidev_clear(&d.pci);
	d.pci.n_bar = 2;
	d.pci.bar[0] = (struct pcidev_bar){ 0, 16ull << 30, true, true, true };
	d.pci.bar[1] = (struct pcidev_bar){ 4, 128, false, false, false };
	strcpy(d.pci.reset_methods, "flr bus");
	strcpy(d.pci.power_state, "D3cold");
	d.pci.cur_speed = 25, d.pci.cur_width = 1, d.pci.max_speed = 160, d.pci.max_width = 16;
	d.pci.aer_cor = 7, d.pci.aer_nonfatal = -1, d.pci.aer_fatal = 1;
	d.pci.boot_vga = 0;
	for (unsigned i = 0; i < 5; i++) {
		snprintf(d.addr, sizeof(d.addr), i == 4 ? "10000:e1:00.0" : "0000:0%u:00.0", i + 1);
		strcpy(d.host_critical, i >= 2 ? "mounted /" : "");
		assert_int_equal(inventory_add(&inv, &d, &e), 0);
	}
	ci[3] = (struct claim_info){ .exists = true, .held = true, .vm = "v", .pid = 9 };
	report_list(&inv, ci, sick, &c, false, &b);
	assert_string_equal(b.p,
		"ADDRESS        MODEL             DEV_TYPE  VEN:DEV    NUMA  GROUP  DRIVER      STATE\n"
		"0000:01:00.0   M                 NPU       19e5:d801  0     1      -           free\n"
		"               bars 0:16G,64,pref 4:128,io; reset_methods flr bus; power_state D3cold; "
		"link 2.5GT/s x1, max 16.0GT/s x16; aer correctable 7, nonfatal -, fatal 1; boot_vga 0\n"
		"0000:02:00.0   M                 NPU       19e5:d801  0     1      -           unhealthy: config space reads 0xffff after release\n"
		"               bars 0:16G,64,pref 4:128,io; reset_methods flr bus; power_state D3cold; "
		"link 2.5GT/s x1, max 16.0GT/s x16; aer correctable 7, nonfatal -, fatal 1; boot_vga 0\n"
		"0000:03:00.0   M                 NPU       19e5:d801  0     1      -           host-critical: mounted /\n"
		"               bars 0:16G,64,pref 4:128,io; reset_methods flr bus; power_state D3cold; "
		"link 2.5GT/s x1, max 16.0GT/s x16; aer correctable 7, nonfatal -, fatal 1; boot_vga 0\n"
		"0000:04:00.0   M                 NPU       19e5:d801  0     1      -           claimed by v (pid 9)\n"
		"               bars 0:16G,64,pref 4:128,io; reset_methods flr bus; power_state D3cold; "
		"link 2.5GT/s x1, max 16.0GT/s x16; aer correctable 7, nonfatal -, fatal 1; boot_vga 0\n"
		"10000:e1:00.0  M                 NPU       19e5:d801  0     1      -           unhealthy: gone; host-critical, allowed: mounted /\n"
		"               bars 0:16G,64,pref 4:128,io; reset_methods flr bus; power_state D3cold; "
		"link 2.5GT/s x1, max 16.0GT/s x16; aer correctable 7, nonfatal -, fatal 1; boot_vga 0\n");
	sbuf_free(&b);

	report_list(&inv, ci, sick, &c, true, &b);
	assert_non_null(strstr(b.p, "\"address\": \"10000:e1:00.0\""));
	assert_non_null(strstr(b.p, "\"released\": true, \"unhealthy\": \"gone\", \"host_critical\": \"mounted /\", "
				    "\"host_critical_allowed\": true, \"facts\": {\"bars\": [{\"bar\": \"0\", \"bytes\": 17179869184, "
				    "\"io\": false, \"mem64\": true, \"prefetch\": true}, {\"bar\": \"4\", \"bytes\": 128, \"io\": true, "
				    "\"mem64\": false, \"prefetch\": false}], \"reset_methods\": [\"flr\", \"bus\"], \"power_state\": \"D3cold\", "
				    "\"link\": {\"speed_gts\": 2.5, \"width\": 1, \"max_speed_gts\": 16.0, \"max_width\": 16}, "
				    "\"aer\": {\"correctable\": 7, \"nonfatal\": null, \"fatal\": 1}, \"boot_vga\": false}}\n]}\n"));
	sbuf_free(&b);

	/* no reset method at all: an empty list, not null */
	strcpy(inv.dev[0].pci.reset_methods, "");
	report_list(&inv, ci, NULL, NULL, true, &b);
	assert_non_null(strstr(b.p, "\"reset_methods\": [], "));
	assert_null(strstr(b.p, "\"host_critical_allowed\": true"));
	sbuf_free(&b);

	report_prom(&inv, ci, sick, true, 1, -1, &b);
	assert_non_null(strstr(b.p, "\npcipass_device_host_critical{address=\"0000:02:00.0\",model=\"M\"} 0\n"
				    "pcipass_device_host_critical{address=\"0000:03:00.0\",model=\"M\"} 1\n"));
	assert_non_null(strstr(b.p, "\npcipass_device_unhealthy{address=\"0000:01:00.0\",model=\"M\"} 0\n"
				    "pcipass_device_unhealthy{address=\"0000:02:00.0\",model=\"M\"} 1\n"));
	assert_non_null(strstr(b.p, "\npcipass_device_aer_errors_total{address=\"0000:01:00.0\",model=\"M\",kind=\"correctable\"} 7\n"
				    "pcipass_device_aer_errors_total{address=\"0000:01:00.0\",model=\"M\",kind=\"fatal\"} 1\n"));
	assert_non_null(strstr(b.p, "\npcipass_device_bar_bytes{address=\"10000:e1:00.0\",model=\"M\",bar=\"0\"} 17179869184\n"
				    "pcipass_device_bar_bytes{address=\"10000:e1:00.0\",model=\"M\",bar=\"4\"} 128\n"));
	assert_non_null(strstr(b.p, "\npcipass_device_link_speed_gts{address=\"0000:01:00.0\",model=\"M\",link=\"current\"} 2.5\n"
				    "pcipass_device_link_speed_gts{address=\"0000:01:00.0\",model=\"M\",link=\"max\"} 16.0\n"));
	assert_non_null(strstr(b.p, "\npcipass_device_link_width_lanes{address=\"0000:01:00.0\",model=\"M\",link=\"current\"} 1\n"));
	assert_null(strstr(b.p, "kind=\"nonfatal\""));
	sbuf_free(&b);
	inventory_free(&inv);
}

static void test_report_prom(void **state)
{
	struct inventory inv = { 0 };
	struct inv_device d = { .dev_type = "NPU", .class = 0x1200 };
	struct claim_info ci[6] = { 0 };
	struct perr e = { 0 };
	struct sbuf b = { 0 };
	/* model, numa, held: grouped by label set */
	static const struct { const char *model; int numa; bool held; } pd[6] = {
		{ "B", 0, false }, { "A", 1, true }, { "B", 0, false },
		{ "A", 1, false }, { "B", -1, false }, { "A", 1, true },
	};

	(void)state;
	pcidev_clear(&d.pci);
	d.pci.absent = PCIDEV_ALL_FILES;
	for (unsigned i = 0; i < 6; i++) {
		snprintf(d.addr, sizeof(d.addr), "0000:0%c:00.0", (char)('1' + i));
		strcpy(d.model, pd[i].model);
		d.numa_node = pd[i].numa;
		ci[i].held = pd[i].held;
		ci[i].exists = pd[i].held || i == 3; /* 0000:04:00.0: its VM gone, not released */
		assert_int_equal(inventory_add(&inv, &d, &e), 0);
	}
	report_prom(&inv, ci, NULL, true, 1700000000, 0, &b);
	assert_string_equal(b.p,
		"# HELP pcipass_devices Custom PCI devices in the inventory.\n"
		"# TYPE pcipass_devices gauge\n"
		"pcipass_devices{model=\"A\",dev_type=\"NPU\",numa_node=\"1\",state=\"free\"} 1\n"
		"pcipass_devices{model=\"A\",dev_type=\"NPU\",numa_node=\"1\",state=\"claimed\"} 2\n"
		"pcipass_devices{model=\"B\",dev_type=\"NPU\",numa_node=\"-1\",state=\"free\"} 1\n"
		"pcipass_devices{model=\"B\",dev_type=\"NPU\",numa_node=\"0\",state=\"free\"} 2\n"
		"# HELP pcipass_device_info A custom device of the inventory and its state (free, "
		"claimed, or unreleased: its VM is gone and --release has not run).\n"
		"# TYPE pcipass_device_info gauge\n"
		"pcipass_device_info{address=\"0000:01:00.0\",model=\"B\",dev_type=\"NPU\",numa_node=\"0\",state=\"free\"} 1\n"
		"pcipass_device_info{address=\"0000:02:00.0\",model=\"A\",dev_type=\"NPU\",numa_node=\"1\",state=\"claimed\"} 1\n"
		"pcipass_device_info{address=\"0000:03:00.0\",model=\"B\",dev_type=\"NPU\",numa_node=\"0\",state=\"free\"} 1\n"
		"pcipass_device_info{address=\"0000:04:00.0\",model=\"A\",dev_type=\"NPU\",numa_node=\"1\",state=\"unreleased\"} 1\n"
		"pcipass_device_info{address=\"0000:05:00.0\",model=\"B\",dev_type=\"NPU\",numa_node=\"-1\",state=\"free\"} 1\n"
		"pcipass_device_info{address=\"0000:06:00.0\",model=\"A\",dev_type=\"NPU\",numa_node=\"1\",state=\"claimed\"} 1\n"
		"# HELP pcipass_device_host_critical Whether the host uses the device (a mounted filesystem's disk, "
		"swap, a default route's NIC, the console, the boot VGA).\n"
		"# TYPE pcipass_device_host_critical gauge\n"
		"pcipass_device_host_critical{address=\"0000:01:00.0\",model=\"B\"} 0\n"
		"pcipass_device_host_critical{address=\"0000:02:00.0\",model=\"A\"} 0\n"
		"pcipass_device_host_critical{address=\"0000:03:00.0\",model=\"B\"} 0\n"
		"pcipass_device_host_critical{address=\"0000:04:00.0\",model=\"A\"} 0\n"
		"pcipass_device_host_critical{address=\"0000:05:00.0\",model=\"B\"} 0\n"
		"pcipass_device_host_critical{address=\"0000:06:00.0\",model=\"A\"} 0\n"
		"# HELP pcipass_device_unhealthy Whether the device is marked unhealthy (it stopped answering after a VM).\n"
		"# TYPE pcipass_device_unhealthy gauge\n"
		"pcipass_device_unhealthy{address=\"0000:01:00.0\",model=\"B\"} 0\n"
		"pcipass_device_unhealthy{address=\"0000:02:00.0\",model=\"A\"} 0\n"
		"pcipass_device_unhealthy{address=\"0000:03:00.0\",model=\"B\"} 0\n"
		"pcipass_device_unhealthy{address=\"0000:04:00.0\",model=\"A\"} 0\n"
		"pcipass_device_unhealthy{address=\"0000:05:00.0\",model=\"B\"} 0\n"
		"pcipass_device_unhealthy{address=\"0000:06:00.0\",model=\"A\"} 0\n"
		"# HELP pcipass_device_aer_errors_total AER errors the kernel counted for the device since boot, by kind.\n"
		"# TYPE pcipass_device_aer_errors_total counter\n"
		"# HELP pcipass_device_bar_bytes The size of each memory or I/O region the device decodes (BARs 0-5, rom).\n"
		"# TYPE pcipass_device_bar_bytes gauge\n"
		"# HELP pcipass_device_link_speed_gts The PCIe link's speed in GT/s, now and at most.\n"
		"# TYPE pcipass_device_link_speed_gts gauge\n"
		"# HELP pcipass_device_link_width_lanes The PCIe link's width in lanes, now and at most.\n"
		"# TYPE pcipass_device_link_width_lanes gauge\n"
		"# HELP pcipass_custom_devices_disabled Whether disable_custom_device is set.\n"
		"# TYPE pcipass_custom_devices_disabled gauge\n"
		"pcipass_custom_devices_disabled 0\n"
		"# HELP pcipass_launch_failures_total Launches by pcipass-run that failed, since boot.\n"
		"# TYPE pcipass_launch_failures_total counter\n"
		"pcipass_launch_failures_total 0\n"
		"# HELP pcipass_probe_success Whether the last probe succeeded.\n"
		"# TYPE pcipass_probe_success gauge\n"
		"pcipass_probe_success 1\n"
		"# HELP pcipass_probe_timestamp_seconds When the last probe ran.\n"
		"# TYPE pcipass_probe_timestamp_seconds gauge\n"
		"pcipass_probe_timestamp_seconds 1700000000\n");
	sbuf_free(&b);
	/* the inventory's order is left alone */
	assert_string_equal(inv.dev[0].model, "B");
	inventory_free(&inv);

	/* a failed probe on a disabled host, no devices, no claims array */
	inv.disabled = true;
	report_prom(&inv, NULL, NULL, false, 7, -1, &b);
	assert_null(strstr(b.p, "pcipass_devices{"));
	assert_null(strstr(b.p, "pcipass_device_info{"));
	/* unknown count: no series, rather than a 0 that would read as a counter reset */
	assert_null(strstr(b.p, "pcipass_launch_failures_total"));
	assert_non_null(strstr(b.p, "\npcipass_custom_devices_disabled 1\n"));
	assert_non_null(strstr(b.p, "\npcipass_probe_success 0\n"));
	assert_non_null(strstr(b.p, "\npcipass_probe_timestamp_seconds 7\n"));
	sbuf_free(&b);
}

static void test_report_models(void **state)
{
	struct model_set ms;
	struct sbuf b = { 0 };

	(void)state;
	load_models(&ms, two_models, "/etc/pcipass/models.d/x.conf");
	report_models(&ms, false, &b);
	assert_string_equal(b.p,
		"MODEL                 DEV_TYPE    VEN:DEV    SUBSYSTEM  FILE\n"
		"Sub                   NPU         19e5:d801  19e5:0200  /etc/pcipass/models.d/x.conf\n"
		"Br                    X           8086:1234  -          /etc/pcipass/models.d/x.conf\n");
	sbuf_free(&b);
	/* JSON escapes the file name (any byte may be in a path) */
	strcpy(ms.v[1].file, "/m/a\"b\\c\nd.conf");
	report_models(&ms, true, &b);
	assert_string_equal(b.p,
		"[\n"
		" {\"name\": \"Sub\", \"dev_type\": \"NPU\", \"vendor_id\": \"19e5\", \"device_id\": \"d801\", "
		"\"subsystem\": \"19e5:0200\", \"file\": \"/etc/pcipass/models.d/x.conf\"},\n"
		" {\"name\": \"Br\", \"dev_type\": \"X\", \"vendor_id\": \"8086\", \"device_id\": \"1234\", "
		"\"subsystem\": \"\", \"file\": \"/m/a\\\"b\\\\c\\u000ad.conf\"}\n"
		"]\n");
	sbuf_free(&b);
	models_free(&ms);
	report_models(&ms, true, &b);
	assert_string_equal(b.p, "[]\n");
	sbuf_free(&b);
	report_models(&ms, false, &b);
	assert_string_equal(b.p, "MODEL                 DEV_TYPE    VEN:DEV    SUBSYSTEM  FILE\n");
	sbuf_free(&b);
}

static void test_json_str_more(void **state)
{
	struct sbuf b = { 0 };

	(void)state;
	json_str(&b, "");
	assert_string_equal(b.p, "\"\"");
	sbuf_free(&b);
	json_str(&b, "\t\r\x1f\x7f /\xc3\xa9");
	assert_string_equal(b.p, "\"\\u0009\\u000d\\u001f\\u007f /\xc3\xa9\"");
	sbuf_free(&b);
	json_str(&b, "a");
	json_str(&b, "b");
	assert_string_equal(b.p, "\"a\"\"b\""); /* appends */
	sbuf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_outputs),
		cmocka_unit_test(test_json_str),
		cmocka_unit_test(test_match_rules),
		cmocka_unit_test(test_report_all),
		cmocka_unit_test(test_report_list),
		cmocka_unit_test(test_report_prom),
		cmocka_unit_test(test_report_facts),
		cmocka_unit_test(test_report_models),
		cmocka_unit_test(test_json_str_more),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
