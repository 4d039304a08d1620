/* test_model.c - SPEC's model rules, matching, and models.d loading. */
#include "cm.h"
#include "model.h"

static int parse(const char *text, struct model_set *ms, struct perr *e)
{
	memset(e, 0, sizeof(*e));
	if (models_parse(text, strlen(text), "m.conf", ms, e) < 0)
		return -1;
	return models_finish(ms, e);
}

static void test_names(void **state)
{
	char name[70];

	(void)state;
	assert_null(model_name_check("Atlas-800"));
	assert_null(model_name_check("a.b_c-9"));
	memset(name, 'a', 64);
	name[64] = '\0';
	assert_null(model_name_check(name));
	name[64] = 'a';
	name[65] = '\0';
	assert_non_null(model_name_check(name));
	const char *bad[] = { "", "a b", "a/b", "..", ".hidden", "-opt", "a:b", "é", "a\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_non_null(model_name_check(bad[i]));
}

static void test_dev_types(void **state)
{
	char out[DEV_TYPE_MAX + 1];

	(void)state;
	assert_null(dev_type_check("npu", out));
	assert_string_equal(out, "NPU");
	assert_null(dev_type_check("Crypto_2-X", out));
	assert_string_equal(out, "CRYPTO_2-X");
	const char *builtin[] = { "GPU", "gpu", "Gpu-Hpc", "GPU-VGA", "sriov-vgpu", "LEGACY-VGPU",
				  "usb", "NIC", "nvme-pt" };
	for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++)
		assert_string_equal(dev_type_check(builtin[i], out),
				    "is a built-in passthrough type of the platform, not a custom one");
	assert_non_null(dev_type_check("", out));
	assert_non_null(dev_type_check("A.B", out));
	assert_non_null(dev_type_check("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456", out)); /* 33 */
	assert_null(dev_type_check("ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", out));  /* 32 */
}

static void test_parse_file(void **state)
{
	struct model_set ms = { 0 };
	struct perr e;

	(void)state;
	assert_int_equal(parse("[Atlas-800]\ndev_type = npu\nvendor_id = 0x19E5\ndevice_id = D801\n"
			       "[Atlas-B]\ndev_type=NPU\nvendor_id=19e5\ndevice_id=d801\n"
			       "subsystem_vendor_id=19e5\nsubsystem_device_id=0100\n", &ms, &e), 0);
	assert_int_equal(ms.n, 2);
	assert_string_equal(ms.v[0].dev_type, "NPU");
	assert_int_equal(ms.v[0].vendor, 0x19e5);
	assert_int_equal(ms.v[0].device, 0xd801);
	assert_false(ms.v[0].has_subsys);
	assert_true(ms.v[1].has_subsys);
	assert_int_equal(ms.v[1].line, 5);
	models_free(&ms);
}

static void test_parse_errors(void **state)
{
	static const struct { const char *text, *msg; } cases[] = {
		{ "[bad name]\n", "m.conf:1: model name \"bad name\": expected 1-64 characters of A-Z a-z 0-9 . _ -" },
		{ "[.x]\n", "m.conf:1: model name \".x\": must not start with '.' or '-'" },
		{ "dev_type = NPU\n", "m.conf:1: dev_type: key outside a section, expected [MODEL] first" },
		{ "[A]\ndev_type = NPU\nvendor_id = 19e5\n", "m.conf:1: [A]: missing device_id" },
		{ "[A]\nvendor_id = 19e5\ndevice_id = d801\n", "m.conf:1: [A]: missing dev_type" },
		{ "[A]\ndev_type = GPU\n", "m.conf:2: dev_type: \"GPU\" is a built-in passthrough type of the platform, not a custom one" },
		{ "[A]\nvendor_id = 19e\n", "m.conf:2: vendor_id: expected four hex digits, got \"19e\"" },
		{ "[A]\nvendor_id = 19e5\nvendor_id = 19e5\n", "m.conf:3: vendor_id: given twice in [A]" },
		{ "[A]\ncolour = red\n", "m.conf:2: unknown key \"colour\" in [A]" },
		{ "[A]\ndev_type=X\nvendor_id=1111\ndevice_id=2222\nsubsystem_vendor_id=1111\n",
		  "m.conf:1: [A]: subsystem_vendor_id and subsystem_device_id go together" },
		{ "[A]\ndev_type=X\nvendor_id=1111\ndevice_id=2222\n[a]\ndev_type=Y\nvendor_id=1111\ndevice_id=3333\n",
		  "m.conf:5: model \"a\" is already defined at m.conf:1" },
		{ "[A]\ndev_type=X\nvendor_id=1111\ndevice_id=2222\n[B]\ndev_type=Y\nvendor_id=1111\ndevice_id=2222\n",
		  "m.conf:5: model \"B\" matches 1111:2222 like model \"A\" (m.conf:1)" },
		{ "[A]\ndev_type=X\nvendor_id=1111\ndevice_id=2222\nsubsystem_vendor_id=1\n",
		  "m.conf:5: subsystem_vendor_id: expected four hex digits, got \"1\"" },
	};
	struct model_set ms = { 0 };
	struct perr e;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(cases[i].text, &ms, &e), -1);
		assert_string_equal(e.msg, cases[i].msg);
		assert_int_equal(e.code, EX_DATAERR);
		models_free(&ms);
	}
}

static void test_match(void **state)
{
	struct model_set ms = { 0 };
	struct perr e;
	char text[64 * 1024];
	size_t o = 0;

	(void)state;
	/* many models, so that the lookup is exercised on a real index */
	for (unsigned i = 0; i < 500; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o,
				      "[M%u]\ndev_type=T\nvendor_id=%04x\ndevice_id=%04x\n", i, 0x1000 + i, i);
	snprintf(text + o, sizeof(text) - o,
		 "[Plain]\ndev_type=NPU\nvendor_id=19e5\ndevice_id=d801\n"
		 "[Sub]\ndev_type=NPU\nvendor_id=19e5\ndevice_id=d801\nsubsystem_vendor_id=19e5\nsubsystem_device_id=0200\n"
		 "[OnlySub]\ndev_type=FPGA\nvendor_id=10ee\ndevice_id=903f\nsubsystem_vendor_id=10ee\nsubsystem_device_id=0007\n");
	assert_int_equal(parse(text, &ms, &e), 0);
	assert_string_equal(models_match(&ms, 0x19e5, 0xd801, true, 0x19e5, 0x0200)->name, "Sub");
	assert_string_equal(models_match(&ms, 0x19e5, 0xd801, true, 0x19e5, 0x0100)->name, "Plain");
	assert_string_equal(models_match(&ms, 0x19e5, 0xd801, false, 0, 0)->name, "Plain");
	assert_string_equal(models_match(&ms, 0x10ee, 0x903f, true, 0x10ee, 0x0007)->name, "OnlySub");
	assert_null(models_match(&ms, 0x10ee, 0x903f, true, 0x10ee, 0x0008));
	assert_null(models_match(&ms, 0x10ee, 0x903f, false, 0, 0));
	for (unsigned i = 0; i < 500; i += 37) {
		char name[16];
		snprintf(name, sizeof(name), "M%u", i);
		assert_string_equal(models_match(&ms, 0x1000 + i, i, true, 1, 2)->name, name);
	}
	assert_null(models_match(&ms, 0x1000, 1, false, 0, 0));
	assert_non_null(models_find(&ms, "Sub"));
	assert_null(models_find(&ms, "sub")); /* lookup by exact name */
	models_free(&ms);
}

static void test_render_roundtrip(void **state)
{
	struct model m = { .name = "Atlas-800", .dev_type = "NPU", .vendor = 0x19e5, .device = 0xd801,
			   .has_subsys = true, .subsys_vendor = 0x19e5, .subsys_device = 0x0100 };
	struct model_set ms = { 0 };
	struct perr e;
	char text[512];

	(void)state;
	assert_true(model_render(&m, text, sizeof(text)) > 0);
	assert_string_equal(text, "; written by pcipass-model\n[Atlas-800]\ndev_type  = NPU\nvendor_id = 19e5\n"
				  "device_id = d801\nsubsystem_vendor_id = 19e5\nsubsystem_device_id = 0100\n");
	assert_int_equal(parse(text, &ms, &e), 0);
	assert_int_equal(ms.n, 1);
	assert_true(ms.v[0].has_subsys && ms.v[0].subsys_device == 0x0100);
	assert_int_equal(model_render(&m, text, 40), -1); /* never a cut file */
	models_free(&ms);
}

static void test_load_dir(void **state)
{
	char dir[256], sub[1024];
	struct model_set ms = { 0 };
	struct perr e = { 0 };

	(void)state;
	scratch(dir);
	put_file(dir, "b.conf", "[B]\ndev_type=X\nvendor_id=1111\ndevice_id=0002\n", 0644);
	put_file(dir, "a.conf", "[A]\ndev_type=X\nvendor_id=1111\ndevice_id=0001\n", 0644);
	put_file(dir, ".hidden.conf", "garbage\n", 0644);
	put_file(dir, "notes.txt", "garbage\n", 0644);
	put_file(dir, "c.conf.dpkg-old", "garbage\n", 0644);
	assert_int_equal(models_load(dir, true, &ms, &e), 0);
	assert_int_equal(ms.n, 2);
	assert_string_equal(ms.v[0].name, "A"); /* name order of files */
	models_free(&ms);

	put_file(dir, "c.conf", "[C]\ndev_type=X\nvendor_id=1111\ndevice_id=0001\n", 0644);
	assert_int_equal(models_load(dir, true, &ms, &e), -1);
	snprintf(sub, sizeof(sub), "%s/c.conf:1: model \"C\" matches 1111:0001 like model \"A\" (%s/a.conf:1)", dir, dir);
	assert_string_equal(e.msg, sub);
	models_free(&ms);

	put_file(dir, "c.conf", "[C]\ndev_type=X\nvendor_id=1111\ndevice_id=0003\n", 0664);
	memset(&e, 0, sizeof(e));
	assert_int_equal(models_load(dir, true, &ms, &e), -1);
	assert_int_equal(e.code, EX_CONFIG);
	snprintf(sub, sizeof(sub), "%s/c.conf: refusing it: writable by group or others (mode 0664)", dir);
	assert_string_equal(e.msg, sub);
	models_free(&ms);
	memset(&e, 0, sizeof(e));
	assert_int_equal(models_load(dir, false, &ms, &e), 0); /* untrusted reading skips the check */
	models_free(&ms);

	assert_int_equal(chmod(dir, 0777), 0);
	memset(&e, 0, sizeof(e));
	assert_int_equal(models_load(dir, true, &ms, &e), -1);
	assert_int_equal(e.code, EX_CONFIG);
	models_free(&ms);
	rmtree(dir);
	memset(&e, 0, sizeof(e));
	assert_int_equal(models_load(dir, true, &ms, &e), -1);
	assert_int_equal(e.code, EX_NOINPUT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),        cmocka_unit_test(test_dev_types),
		cmocka_unit_test(test_parse_file),   cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_match),        cmocka_unit_test(test_render_roundtrip),
		cmocka_unit_test(test_load_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
