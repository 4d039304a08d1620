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

	report_list(&inv, ci, false, &b);
	assert_non_null(strstr(b.p, "0000:3b:00.0  Sub "));
	assert_non_null(strstr(b.p, "claimed by vm-1 (pid 4242)\n"));
	assert_non_null(strstr(b.p, "free (not yet released)\n"));
	sbuf_free(&b);
	report_list(&inv, ci, true, &b);
	assert_non_null(strstr(b.p, "\"state\": \"claimed\", \"vm\": \"vm-1\", \"pid\": 4242, \"released\": false}"));
	assert_non_null(strstr(b.p, "{\"disabled\": false, \"generated\": \"2026-11-24T10:00:00Z\""));
	sbuf_free(&b);

	report_prom(&inv, ci, true, 1700000000, &b);
	assert_non_null(strstr(b.p, "pcipass_devices{model=\"Plain\",dev_type=\"NPU\",numa_node=\"1\",state=\"free\"} 1\n"));
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_outputs),
		cmocka_unit_test(test_json_str),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
