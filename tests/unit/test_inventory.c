/* test_inventory.c - the inventory's text: render, parse back, and refuse torn or edited files. */
#include "cm.h"
#include "inventory.h"

static void fill(struct inventory *inv)
{
	struct inv_device a = { .addr = "0000:3b:00.0", .model = "Atlas-800", .dev_type = "NPU",
				.vendor = 0x19e5, .device = 0xd801, .has_subsys = true,
				.subsys_vendor = 0x19e5, .subsys_device = 0x0100, .class = 0x1200,
				.iommu_group = 17, .numa_node = 0 };
	struct inv_device b = { .addr = "0000:af:00.0", .model = "Alveo", .dev_type = "FPGA",
				.vendor = 0x10ee, .device = 0x903f, .class = 0x0580,
				.iommu_group = -1, .numa_node = -1, .driver = "vfio-pci" };
	struct perr e = { 0 };

	memset(inv, 0, sizeof(*inv));
	strcpy(inv->generated, "2026-11-24T10:00:00Z");
	assert_int_equal(inventory_add(inv, &a, &e), 0);
	assert_int_equal(inventory_add(inv, &b, &e), 0);
}

static void test_render(void **state)
{
	struct inventory inv;
	struct sbuf b = { 0 };

	(void)state;
	fill(&inv);
	assert_int_equal(inventory_render(&inv, &b), 0);
	assert_string_equal(b.p,
		"; written by pcipass-probe; do not edit\n[host]\ngenerated = 2026-11-24T10:00:00Z\n"
		"disabled  = false\ndevices   = 2\n\n"
		"[0000:3b:00.0]\nmodel       = Atlas-800\ndev_type    = NPU\nvendor_id   = 19e5\n"
		"device_id   = d801\nsubsystem_vendor_id = 19e5\nsubsystem_device_id = 0100\n"
		"class       = 1200\niommu_group = 17\nnuma_node   = 0\ndriver      =\n\n"
		"[0000:af:00.0]\nmodel       = Alveo\ndev_type    = FPGA\nvendor_id   = 10ee\n"
		"device_id   = 903f\nclass       = 0580\niommu_group = -1\nnuma_node   = -1\n"
		"driver      = vfio-pci\n");
	sbuf_free(&b);
	inventory_free(&inv);
}

static void test_roundtrip(void **state)
{
	struct inventory inv, back = { 0 };
	struct sbuf b = { 0 }, b2 = { 0 };
	struct perr e = { 0 };

	(void)state;
	fill(&inv);
	inv.disabled = true;
	assert_int_equal(inventory_render(&inv, &b), 0);
	assert_int_equal(inventory_parse(b.p, b.len, "i.ini", &back, &e), 0);
	assert_true(back.disabled);
	assert_int_equal(back.n, 2);
	assert_true(back.dev[0].has_subsys);
	assert_false(back.dev[1].has_subsys);
	assert_int_equal(back.dev[1].iommu_group, -1);
	assert_string_equal(back.dev[0].driver, "");
	assert_string_equal(back.dev[1].driver, "vfio-pci");
	assert_int_equal(inventory_render(&back, &b2), 0);
	assert_string_equal(b.p, b2.p);
	assert_ptr_equal(inventory_find(&back, "0000:af:00.0"), &back.dev[1]);
	assert_null(inventory_find(&back, "0000:af:00.1"));
	sbuf_free(&b);
	sbuf_free(&b2);
	inventory_free(&inv);
	inventory_free(&back);
}

static void test_errors(void **state)
{
	static const char head[] = "[host]\ngenerated = 2026-11-24T10:00:00Z\ndisabled = false\n";
	static const char dev[] = "model = A\ndev_type = NPU\nvendor_id = 19e5\ndevice_id = d801\n"
				  "class = 1200\niommu_group = 1\nnuma_node = 0\ndriver =\n";
	/* each case: head, pre, the device keys (if dev), post */
	static const struct { const char *pre; bool dev; const char *post, *msg; } cases[] = {
		{ "devices = 2\n[0000:01:00.0]\n", true, "", "i.ini: [host] says 2 devices, the file has 1" },
		{ "devices = 2\n[0000:02:00.0]\n", true, "[0000:01:00.0]\n", "i.ini:14: [0000:01:00.0]: devices out of address order or repeated" },
		{ "devices = 1\n[01:00.0]\n", true, "", "i.ini:5: expected a PCI address like [0000:3b:00.0], got [01:00.0]" },
		{ "devices = 1\n[0000:01:00.0]\nmodel = A\n", false, "", "i.ini: [0000:01:00.0]: missing dev_type" },
		{ "devices = 1\n[0000:01:00.0]\n", true, "colour = red\n", "i.ini:14: unknown key \"colour\" in [0000:01:00.0]" },
		{ "devices = 1\n[0000:01:00.0]\n", true, "numa_node = 1\n", "i.ini:14: numa_node: given twice in [0000:01:00.0]" },
	};
	char text[2048];
	struct inventory inv = { 0 };
	struct perr e;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "%s%s%s%s", head, cases[i].pre, cases[i].dev ? dev : "", cases[i].post);
		memset(&e, 0, sizeof(e));
		assert_int_equal(inventory_parse(text, strlen(text), "i.ini", &inv, &e), -1);
		assert_string_equal(e.msg, cases[i].msg);
		assert_int_equal(e.code, EX_DATAERR);
		inventory_free(&inv);
	}
	memset(&e, 0, sizeof(e));
	assert_int_equal(inventory_parse("[host]\ngenerated = yesterday\n", 29, "i.ini", &inv, &e), -1);
	assert_string_equal(e.msg, "i.ini:2: generated: expected a UTC time like 2026-11-24T10:00:00Z, got \"yesterday\"");
	inventory_free(&inv);
	memset(&e, 0, sizeof(e));
	assert_int_equal(inventory_parse("", 0, "i.ini", &inv, &e), -1); /* an empty file is torn */
	inventory_free(&inv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
