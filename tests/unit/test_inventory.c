/* SPDX-License-Identifier: GPL-2.0-or-later */
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

	/* a: every fact known; b: none (an older kernel, no PCIe, no AER) */
	pcidev_clear(&a.pci);
	a.pci.n_bar = 2;
	a.pci.bar[0] = (struct pcidev_bar){ 0, 16ull << 30, true, true, true };
	a.pci.bar[1] = (struct pcidev_bar){ 6, 512 << 10, true, false, true };
	strcpy(a.pci.reset_methods, "flr bus");
	strcpy(a.pci.power_state, "D0");
	a.pci.cur_speed = 80, a.pci.cur_width = 8, a.pci.max_speed = 160, a.pci.max_width = 16;
	a.pci.aer_cor = 3, a.pci.aer_nonfatal = 0, a.pci.aer_fatal = 0;
	a.pci.boot_vga = 0;
	strcpy(a.host_critical, "mounted / and 2 more, swap");
	pcidev_clear(&b.pci);
	b.pci.absent = PCIDEV_ALL_FILES;
	strcpy(b.pci.reset_methods, "-");
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
		"class       = 1200\niommu_group = 17\nnuma_node   = 0\ndriver      =\n"
		"bars        = 0:16G,64,pref rom:512K,pref\nreset_methods = flr bus\npower_state = D0\n"
		"link        = 8.0GT/s x8, max 16.0GT/s x16\naer         = correctable 3, nonfatal 0, fatal 0\n"
		"boot_vga    = 0\nhost_critical = mounted / and 2 more, swap\n\n"
		"[0000:af:00.0]\nmodel       = Alveo\ndev_type    = FPGA\nvendor_id   = 10ee\n"
		"device_id   = 903f\nclass       = 0580\niommu_group = -1\nnuma_node   = -1\n"
		"driver      = vfio-pci\nbars        = -\nreset_methods = -\npower_state = -\nlink        = -\n"
		"aer         = -\nboot_vga    = -\nhost_critical =\n");
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

static void roundtrip(const struct inventory *inv, struct inventory *back)
{
	struct sbuf b = { 0 }, b2 = { 0 };
	struct perr e = { 0 };

	memset(back, 0, sizeof(*back));
	assert_int_equal(inventory_render(inv, &b), 0);
	if (inventory_parse(b.p, b.len, "i.ini", back, &e) != 0)
		fail_msg("%s\n--- in:\n%s", e.msg, b.p);
	assert_int_equal(inventory_render(back, &b2), 0);
	assert_string_equal(b.p, b2.p);
	sbuf_free(&b);
	sbuf_free(&b2);
}

static void test_roundtrip_shapes(void **state)
{
	struct inventory inv = { .generated = "2027-01-02T03:04:05Z" }, back;
	struct inv_device d = { .model = "M", .dev_type = "T", .vendor = 0xffff, .device = 0,
				.class = 0xff00, .iommu_group = 1000000, .numa_node = 4095,
				.driver = "a.b_c-d" };
	struct sbuf b = { 0 };
	struct perr e = { 0 };

	(void)state;
	/* no devices */
	roundtrip(&inv, &back);
	assert_int_equal(back.n, 0);
	assert_int_equal(back.declared, 0);
	assert_false(back.disabled);
	assert_string_equal(back.generated, "2027-01-02T03:04:05Z");
	inventory_free(&back);
	assert_int_equal(inventory_render(&inv, &b), 0);
	assert_string_equal(b.p, "; written by pcipass-probe; do not edit\n[host]\ngenerated = 2027-01-02T03:04:05Z\n"
				 "disabled  = false\ndevices   = 0\n");
	sbuf_free(&b);

	/* a disabled host */
	inv.disabled = true;
	roundtrip(&inv, &back);
	assert_true(back.disabled);
	assert_int_equal(back.n, 0);
	inventory_free(&back);
	inv.disabled = false;

	/* the extremes of every value, in many devices across domains */
	for (unsigned i = 0; i < 300; i++) {
		snprintf(d.addr, sizeof(d.addr), "%04x:%02x:%02x.%x", (i / 100) & 0xffffu, (i % 100) & 0xffu, (i / 8) % 32, i % 8);
		d.has_subsys = i % 2;
		d.subsys_vendor = d.has_subsys ? 0xabcd : 0;
		d.subsys_device = d.has_subsys ? i : 0;
		d.iommu_group = i % 3 ? (int)i : -1;
		d.numa_node = i % 5 ? 4095 : -1;
		d.driver[0] = i % 7 ? 'a' : '\0';
		assert_int_equal(inventory_add(&inv, &d, &e), 0);
	}
	roundtrip(&inv, &back);
	assert_int_equal(back.n, 300);
	for (size_t i = 0; i < back.n; i++) {
		assert_string_equal(back.dev[i].addr, inv.dev[i].addr);
		assert_int_equal(back.dev[i].has_subsys, inv.dev[i].has_subsys);
		assert_int_equal(back.dev[i].subsys_device, inv.dev[i].subsys_device);
		assert_int_equal(back.dev[i].iommu_group, inv.dev[i].iommu_group);
		assert_int_equal(back.dev[i].numa_node, inv.dev[i].numa_node);
		assert_int_equal(back.dev[i].vendor, 0xffff);
		assert_int_equal(back.dev[i].device, 0);
		assert_int_equal(back.dev[i].class, 0xff00);
		assert_string_equal(back.dev[i].driver, inv.dev[i].driver);
		assert_ptr_equal(inventory_find(&back, inv.dev[i].addr), &back.dev[i]);
	}
	assert_null(inventory_find(&back, "0000:00:00.1"));
	assert_null(inventory_find(&back, "0003:00:00.0"));
	assert_null(inventory_find(&back, "ffff:ff:1f.7"));
	assert_null(inventory_find(&back, ""));
	inventory_free(&back);
	inventory_free(&inv);
	assert_null(inv.dev);
	assert_int_equal(inv.n, 0);
}

static void test_more_errors(void **state)
{
	static const char dev[] = "model = A\ndev_type = NPU\nvendor_id = 19e5\ndevice_id = d801\n"
				  "class = 1200\niommu_group = 1\nnuma_node = 0\ndriver =\n";
	static const struct { const char *text, *msg; } cases[] = {
		{ "[host]\ngenerated = 2026-11-24T10:00:00Z\ndisabled = false\ndevices = 0\n[host]\n",
		  "i.ini:5: [host] must come first, and once" },
		{ "[0000:01:00.0]\n", "i.ini:1: expected [host] first" },
		{ "; c\ndevices = 0\n", "i.ini:2: devices: key outside a section, expected [host] first" },
		{ "[host]\ngenerated = 2026-11-24T10:00:00Z\ndevices = 0\n",
		  "i.ini: [host] with generated, disabled and devices missing" },
		{ "[host]\ndisabled = false\ndevices = 0\n", "i.ini: [host] with generated, disabled and devices missing" },
		{ "[host]\ngenerated = 2026-11-24T10:00:00Z\ndisabled = false\n",
		  "i.ini: [host] with generated, disabled and devices missing" },
		{ "[host]\ngenerated = 2026-11-24T10:00:00\n",
		  "i.ini:2: generated: expected a UTC time like 2026-11-24T10:00:00Z, got \"2026-11-24T10:00:00\"" },
		{ "[host]\ngenerated = 2026-11-24 10:00:00Z\n",
		  "i.ini:2: generated: expected a UTC time like 2026-11-24T10:00:00Z, got \"2026-11-24 10:00:00Z\"" },
		{ "[host]\ndisabled = maybe\n", "i.ini:2: disabled: expected true or false, got \"maybe\"" },
		{ "[host]\ndevices = 32769\n", "i.ini:2: devices: expected a number from -1 to 32768, got \"32769\" (too large)" },
		{ "[host]\ndevices = many\n", "i.ini:2: devices: expected a number from -1 to 32768, got \"many\" (not a number)" },
		{ "[host]\nhostname = x\n", "i.ini:2: unknown key \"hostname\" in [host]" },
		{ "[host]\ndevices = 1\ndevices = 1\n", "i.ini:3: devices: given twice in [host]" },
		{ "[host]\ngenerated = 2026-11-24T10:00:00Z\ndisabled = false\ndevices = -1\n",
		  "i.ini: [host] says -1 devices, the file has 0" },
		{ "[host]\ngenerated = 2026-11-24T10:00:00Z\ndisabled = false\ndevices = 1\n",
		  "i.ini: [host] says 1 devices, the file has 0" },
	};
	char text[2048];
	struct inventory inv = { 0 };
	struct perr e;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&e, 0, sizeof(e));
		assert_int_equal(inventory_parse(cases[i].text, strlen(cases[i].text), "i.ini", &inv, &e), -1);
		assert_string_equal(e.msg, cases[i].msg);
		assert_int_equal(e.code, EX_DATAERR);
		inventory_free(&inv);
	}

	/* device sections: each case replaces one line of a good device, or adds one */
	static const char head[] = "[host]\ngenerated = 2026-11-24T10:00:00Z\ndisabled = false\ndevices = 2\n"
				   "[0000:01:00.0]\n";
	static const struct { const char *sec2, *extra, *msg; } dcases[] = {
		{ "[0000:01:00.0]", "", "i.ini:14: [0000:01:00.0]: devices out of address order or repeated" },
		{ "[0000:00:1f.7]", "", "i.ini:14: [0000:00:1f.7]: devices out of address order or repeated" },
		{ "[0000:01:00.1]", "model = a b\n", "i.ini:15: model: \"a b\" expected 1-64 characters of A-Z a-z 0-9 . _ -" },
		{ "[0000:01:00.1]", "dev_type = npu\n", "i.ini:15: dev_type: \"npu\" is not upper case" },
		{ "[0000:01:00.1]", "dev_type = GPU\n", "i.ini:15: dev_type: \"GPU\" is a built-in passthrough type of the platform, not a custom one" },
		{ "[0000:01:00.1]", "class = 12000\n", "i.ini:15: class: expected four hex digits, got \"12000\"" },
		{ "[0000:01:00.1]", "iommu_group = 1000001\n", "i.ini:15: iommu_group: expected a number from -1 to 1000000, got \"1000001\" (too large)" },
		{ "[0000:01:00.1]", "numa_node = -2\n", "i.ini:15: numa_node: expected a number from -1 to 4095, got \"-2\" (too small)" },
		{ "[0000:01:00.1]", "numa_node = 4096\n", "i.ini:15: numa_node: expected a number from -1 to 4095, got \"4096\" (too large)" },
		{ "[0000:01:00.1]", "driver = a  b\n", "i.ini:15: driver: expected a driver name of 1-63 characters of A-Z a-z 0-9 . _ - and single spaces, got \"a  b\"" },
		{ "[0000:01:00.1]", "subsystem_vendor_id = 19e5\n", "i.ini: [0000:01:00.1]: subsystem ids go together" },
		{ "[0000:01:00.1]", "subsystem_device_id = 19e5\n", "i.ini: [0000:01:00.1]: subsystem ids go together" },
		{ "[0000:01:00.1]", "[0000:01:00.2]\n", "i.ini: [0000:01:00.1]: missing model" },
		{ "[0000:01:00.1] x", "", "i.ini:14: expected nothing but a comment after `[section]`" },
		{ "[0000:01:00.8]", "", "i.ini:14: expected a PCI address like [0000:3b:00.0], got [0000:01:00.8]" },
		{ "[0000:0A:00.0]", "", "i.ini:14: expected a PCI address like [0000:3b:00.0], got [0000:0A:00.0]" },
		{ "[host]", "", "i.ini:14: [host] must come first, and once" },
	};
	for (size_t i = 0; i < sizeof(dcases) / sizeof(dcases[0]); i++) {
		/* the extra line comes first in the second device (line 15), in place of its own key */
		char dev2[sizeof(dev)], key[32];
		strcpy(dev2, dev);
		if (sscanf(dcases[i].extra, "%31[a-z_] =", key) == 1) {
			char *p = strstr(dev2, key);
			if (p != NULL && (p == dev2 || p[-1] == '\n'))
				memmove(p, strchr(p, '\n') + 1, strlen(strchr(p, '\n') + 1) + 1);
		}
		snprintf(text, sizeof(text), "%s%s%s\n%s%s", head, dev, dcases[i].sec2, dcases[i].extra, dev2);
		memset(&e, 0, sizeof(e));
		assert_int_equal(inventory_parse(text, strlen(text), "i.ini", &inv, &e), -1);
		assert_string_equal(e.msg, dcases[i].msg);
		assert_int_equal(e.code, EX_DATAERR);
		inventory_free(&inv);
	}
	/* the good file these cases start from */
	snprintf(text, sizeof(text), "%s%s[0000:01:00.1]\n%s", head, dev, dev);
	memset(&e, 0, sizeof(e));
	assert_int_equal(inventory_parse(text, strlen(text), "i.ini", &inv, &e), 0);
	assert_int_equal(inv.n, 2);
	assert_int_equal(inv.dev[1].iommu_group, 1);
	inventory_free(&inv);
	/* every device key is required (subsystem ids are optional) */
	static const char *const keys[] = { "model", "dev_type", "vendor_id", "device_id", "class",
					    "iommu_group", "numa_node", "driver" };
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		char want[128], *p;
		snprintf(text, sizeof(text), "%s%s[0000:01:00.1]\n%s", head, dev, dev);
		/* drop the key from the second device */
		p = strstr(strstr(text, "[0000:01:00.1]"), keys[k]);
		memmove(p, strchr(p, '\n') + 1, strlen(strchr(p, '\n') + 1) + 1);
		memset(&e, 0, sizeof(e));
		assert_int_equal(inventory_parse(text, strlen(text), "i.ini", &inv, &e), -1);
		snprintf(want, sizeof(want), "i.ini: [0000:01:00.1]: missing %s", keys[k]);
		assert_string_equal(e.msg, want);
		inventory_free(&inv);
	}
}

/* The stamp is documented as "a UTC time like 2026-11-24T10:00:00Z" and inventory_parse as
 * checking every value; parse_stamp only checks the length and the character set. */
static void test_stamp_is_a_time(void **state)
{
	static const char *const bad[] = { "ZZZZZZZZZZZZZZZZZZZZ", "2026-11-24T10:00:0ZZ",
					   "20261124T10:00:00ZZZ", "2026-13-45T99:99:99Z" };
	char text[256];
	struct inventory inv = { 0 };
	struct perr e;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "[host]\ngenerated = %s\ndisabled = false\ndevices = 0\n", bad[i]);
		memset(&e, 0, sizeof(e));
		if (inventory_parse(text, strlen(text), "i.ini", &inv, &e) != -1)
			fail_msg("generated = %s accepted as a time", bad[i]);
		inventory_free(&inv);
	}
}

static void test_load(void **state)
{
	char dir[256], path[512], want[1024];
	struct inventory inv = { 0 };
	struct perr e = { 0 };

	(void)state;
	scratch(dir);
	snprintf(path, sizeof(path), "%s/inventory.ini", dir);
	assert_int_equal(inventory_load(path, &inv, &e), -1);
	assert_int_equal(e.code, EX_NOINPUT);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	assert_string_equal(e.msg, want);
	inventory_free(&inv);

	put_file(dir, "inventory.ini", "[host]\ngenerated = 2026-11-24T10:00:00Z\ndisabled = true\ndevices = 0\n", 0644);
	memset(&e, 0, sizeof(e));
	assert_int_equal(inventory_load(path, &inv, &e), 0);
	assert_true(inv.disabled);
	inventory_free(&inv);

	put_file(dir, "inventory.ini", "[host]\ngenerated = 2026-11-24T10:00:00Z\ndisabled = true\ndevices = 1\n", 0644);
	memset(&e, 0, sizeof(e));
	assert_int_equal(inventory_load(path, &inv, &e), -1);
	snprintf(want, sizeof(want), "%s: [host] says 1 devices, the file has 0", path);
	assert_string_equal(e.msg, want);
	inventory_free(&inv);

	/* the probe's file, written by root: a world-writable one is not believed */
	assert_int_equal(chmod(path, 0666), 0);
	memset(&e, 0, sizeof(e));
	assert_int_equal(inventory_load(path, &inv, &e), -1);
	assert_int_equal(e.code, EX_CONFIG);
	inventory_free(&inv);
	rmtree(dir);
}

/* Finding an address in an empty inventory (dev == NULL, n == 0): inventory_find passes the NULL
 * array to bsearch(), which glibc declares nonnull: undefined behaviour that UBSan aborts on. Kept
 * last so that, under the sanitizers, every other test has run first. */
/* What the inventory cannot read back is never added: a driver link's name is any bytes. A
 * name with single inner spaces is the kernel's own (i6300esb's "i6300ESB timer"): held, and
 * read back as it was. */
static void test_add_odd_driver(void **state)
{
	static const char *const odd[] = { "we%rd", "a;b", " lead", "trail ", "two  spaces", "x=y", "\x01" };
	struct inventory back = { 0 };
	struct inventory inv = { 0 };
	struct inv_device d = { .addr = "0000:3b:00.0", .model = "M", .dev_type = "NPU" };
	struct perr e;

	(void)state;
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		memset(&e, 0, sizeof(e));
		strcpy(d.driver, odd[i]);
		assert_int_equal(inventory_add(&inv, &d, &e), -1);
		assert_int_equal(e.code, EX_DATAERR);
		assert_non_null(strstr(e.msg, "0000:3b:00.0: driver name"));
		assert_int_equal(inv.n, 0);
	}
	strcpy(d.driver, "vfio-pci");
	assert_int_equal(inventory_add(&inv, &d, &e), 0);
	d.driver[0] = '\0';
	strcpy(d.addr, "0000:3c:00.0");
	assert_int_equal(inventory_add(&inv, &d, &e), 0);
	strcpy(d.driver, "i6300ESB timer");
	strcpy(d.addr, "0000:3d:00.0");
	strcpy(inv.generated, "2026-11-24T10:00:00Z");
	assert_int_equal(inventory_add(&inv, &d, &e), 0);
	assert_int_equal(inv.n, 3);
	roundtrip(&inv, &back);
	assert_int_equal(back.n, 3);
	assert_string_equal(back.dev[2].driver, "i6300ESB timer");
	inventory_free(&back);
	inventory_free(&inv);
}

static void test_find_empty(void **state)
{
	struct inventory inv = { 0 };
	struct perr e = { 0 };

	(void)state;
	assert_int_equal(inventory_parse("[host]\ngenerated = 2026-11-24T10:00:00Z\ndisabled = false\ndevices = 0\n",
					 69, "i.ini", &inv, &e), 0);
	assert_int_equal(inv.n, 0);
	assert_null(inventory_find(&inv, "0000:3b:00.0"));
	inventory_free(&inv);
}

/* The facts of issue 12: an older inventory without them still parses (every fact unknown),
 * each fact's text parses back to itself, anything else is refused with the form expected,
 * and the worst device fits INV_DEVICE_MAX. */
static void test_facts(void **state)
{
	static const char old[] = "[host]\ngenerated = 2026-11-24T10:00:00Z\ndisabled = false\ndevices = 1\n"
				  "[0000:01:00.0]\nmodel = A\ndev_type = NPU\nvendor_id = 19e5\ndevice_id = d801\n"
				  "class = 1200\niommu_group = 1\nnuma_node = 0\ndriver =\n";
	static const struct { const char *key, *value; } good[] = {
		{ "bars", "0:16M" }, { "bars", "0:16G,64,pref 2:4K 4:128,io rom:512K,pref" },
		{ "bars", "0:8E,64" }, { "bars", "5:1" }, { "bars", "none" }, { "bars", "-" },
		{ "reset_methods", "flr" }, { "reset_methods", "device_specific acpi flr af_flr pm bus cxl_bus" },
		{ "reset_methods", "none" }, { "reset_methods", "-" },
		{ "power_state", "D3cold" }, { "power_state", "unknown" }, { "power_state", "-" },
		{ "link", "8.0GT/s x8, max 16.0GT/s x16" }, { "link", "unknown x0, max - -" }, { "link", "-" },
		{ "link", "999.9GT/s x63, max 2.5GT/s x1" },
		{ "aer", "correctable 0, nonfatal 1, fatal 9223372036854775807" },
		{ "aer", "correctable -, nonfatal -, fatal 0" }, { "aer", "-" },
		{ "boot_vga", "1" }, { "boot_vga", "0" }, { "boot_vga", "-" },
		{ "host_critical", "mounted /srv/a?b and 3 more, default route br0, boot VGA" },
	};
	static const struct { const char *key, *value, *msg; } bad[] = {
		{ "bars", "", "expected BAR sizes like \"0:16M,64,pref rom:512K\" in index order, none or -" },
		{ "bars", "0:16384K", NULL }, { "bars", "0:16m", NULL }, { "bars", "0:3M", NULL }, { "bars", "0:0", NULL },
		{ "bars", "0:16E", NULL }, { "bars", "0:1024", NULL }, { "bars", "6:16M", NULL }, { "bars", "0:16M 0:16M", NULL },
		{ "bars", "2:16M 0:16M", NULL }, { "bars", "0:16M,pref,64", NULL }, { "bars", "0:16M,io,64", NULL },
		{ "bars", "0:16M,64,64", NULL }, { "bars", "0:-16M", NULL }, { "bars", "0:16M  2:4K", NULL }, { "bars", "rom", NULL },
		{ "bars", "0:16M,prefetch", NULL }, { "bars", "none 0:16M", NULL }, { "bars", "0:016M", NULL },
		{ "reset_methods", "", "expected reset method names like \"flr bus\", none or -" },
		{ "reset_methods", "FLR", NULL }, { "reset_methods", "flr  bus", NULL }, { "reset_methods", "flr,bus", NULL },
		{ "power_state", "", "expected a power state like D0, or -" }, { "power_state", "D0 hot", NULL },
		{ "power_state", "0123456789abcdef", NULL },
		{ "link", "8.0GT/s x8", "expected \"SPEED WIDTH, max SPEED WIDTH\" like \"8.0GT/s x8, max 16.0GT/s x16\", or -" },
		{ "link", "8GT/s x8, max 16.0GT/s x16", NULL }, { "link", "8.0GT/s x64, max 16.0GT/s x16", NULL },
		{ "link", "8.0GT/s x8, max 16.0GT/s x16 " "x", NULL }, { "link", "8.0GT/s x08, max 16.0GT/s x16", NULL },
		{ "link", "0.0GT/s x8, max - -", NULL }, { "link", "- -, max - -", NULL }, { "link", "8.0 GT/s x8, max - -", NULL },
		{ "aer", "correctable 0, nonfatal 0", "expected \"correctable N, nonfatal N, fatal N\" (N a count or -), or -" },
		{ "aer", "correctable -1, nonfatal 0, fatal 0", NULL }, { "aer", "correctable 00, nonfatal 0, fatal 0", NULL },
		{ "aer", "correctable 0, nonfatal 0, fatal 9223372036854775808", NULL },
		{ "aer", "correctable -, nonfatal -, fatal -", NULL }, { "aer", "fatal 0, nonfatal 0, correctable 0", NULL },
		{ "aer", "correctable 0, nonfatal 0, fatal 0, more 1", NULL },
		{ "boot_vga", "2", "expected 0, 1 or -" }, { "boot_vga", "yes", NULL }, { "boot_vga", "", NULL },
		{ "host_critical", "a;b", "expected a reason of at most 159 characters (A-Z a-z 0-9 space / . _ + , : @ = % ~ ? -), got \"a;b\"" },
		{ "host_critical", "mounted /\"x\"", NULL }, { "host_critical", "caf\xc3\xa9", NULL },
	};
	struct inventory inv = { 0 };
	struct perr e = { 0 };
	char text[4096];

	(void)state;
	assert_int_equal(inventory_parse(old, sizeof(old) - 1, "i.ini", &inv, &e), 0);
	assert_int_equal(inv.dev[0].pci.absent, PCIDEV_ALL_FILES);
	assert_string_equal(inv.dev[0].pci.reset_methods, "-");
	assert_int_equal(inv.dev[0].pci.n_bar, 0);
	assert_true(inv.dev[0].pci.aer_fatal == -1 && inv.dev[0].pci.boot_vga == -1 &&
		    inv.dev[0].pci.cur_speed == -1);
	assert_string_equal(inv.dev[0].host_critical, "");
	inventory_free(&inv);

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct inventory back;
		snprintf(text, sizeof(text), "%s%s = %s\n", old, good[i].key, good[i].value);
		memset(&e, 0, sizeof(e));
		if (inventory_parse(text, strlen(text), "i.ini", &inv, &e) != 0)
			fail_msg("%s = %s: %s", good[i].key, good[i].value, e.msg);
		roundtrip(&inv, &back);
		inventory_free(&back);
		inventory_free(&inv);
	}
	assert_int_equal(inventory_parse(text, strlen(text), "i.ini", &inv, &e), 0);
	inventory_free(&inv);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char msg[600];
		snprintf(text, sizeof(text), "%s%s = %s\n", old, bad[i].key, bad[i].value);
		memset(&e, 0, sizeof(e));
		if (inventory_parse(text, strlen(text), "i.ini", &inv, &e) != -1)
			fail_msg("%s = \"%s\" parsed", bad[i].key, bad[i].value);
		assert_int_equal(e.code, EX_DATAERR);
		if (bad[i].msg && strncmp(bad[i].key, "host", 4) == 0)
			snprintf(msg, sizeof(msg), "i.ini:14: %s: %s", bad[i].key, bad[i].msg);
		else if (bad[i].msg)
			snprintf(msg, sizeof(msg), "i.ini:14: %s: %s, got \"%s\"", bad[i].key, bad[i].msg, bad[i].value);
		if (bad[i].msg)
			assert_string_equal(e.msg, msg);
		inventory_free(&inv);
	}
	/* a fact given twice */
	snprintf(text, sizeof(text), "%sboot_vga = 1\nboot_vga = 0\n", old);
	assert_int_equal(inventory_parse(text, strlen(text), "i.ini", &inv, &e), -1);
	inventory_free(&inv);

	/* the longest device there can be */
	struct inv_device d = { .addr = "ffffffff:ff:1f.7", .vendor = 0xffff, .device = 0xffff,
				.has_subsys = true, .subsys_vendor = 0xffff, .subsys_device = 0xffff,
				.class = 0xffff, .iommu_group = 1000000, .numa_node = 4095 };
	struct sbuf b = { 0 };
	memset(d.model, 'M', MODEL_NAME_MAX);
	memset(d.dev_type, 'T', DEV_TYPE_MAX);
	memset(d.driver, 'd', DRIVER_MAX - 1);
	pcidev_clear(&d.pci);
	d.pci.n_bar = 7;
	for (unsigned i = 0; i < 7; i++)
		d.pci.bar[i] = (struct pcidev_bar){ i, 1ull << 63, true, true, true };
	memset(d.pci.reset_methods, 'r', sizeof(d.pci.reset_methods) - 1);
	memset(d.pci.power_state, 'p', sizeof(d.pci.power_state) - 1);
	d.pci.cur_speed = d.pci.max_speed = 9999;
	d.pci.cur_width = d.pci.max_width = 63;
	d.pci.aer_cor = d.pci.aer_nonfatal = d.pci.aer_fatal = INT64_MAX;
	d.pci.boot_vga = 1;
	memset(d.host_critical, 'h', sizeof(d.host_critical) - 1);
	strcpy(inv.generated, "2026-11-24T10:00:00Z");
	assert_int_equal(inventory_add(&inv, &d, &e), 0);
	assert_int_equal(inventory_render(&inv, &b), 0);
	{
		size_t head = (size_t)(strstr(b.p, "\n\n[") - b.p) + 1; /* the device's blank line on */
		if (b.len - head > INV_DEVICE_MAX)
			fail_msg("the longest device renders to %zu bytes, over INV_DEVICE_MAX", b.len - head);
	}
	sbuf_free(&b);
	inventory_free(&inv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_add_odd_driver),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_roundtrip_shapes),
		cmocka_unit_test(test_more_errors),
		cmocka_unit_test(test_stamp_is_a_time),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_facts),
		cmocka_unit_test(test_find_empty), /* last: aborts under UBSan (a bug) */
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
