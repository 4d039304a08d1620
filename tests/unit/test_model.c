/* SPDX-License-Identifier: GPL-2.0-or-later */
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
	/* the probe's first test: some model names the ids, whatever its subsystem */
	assert_true(models_name_ids(&ms, 0x19e5, 0xd801));
	assert_true(models_name_ids(&ms, 0x10ee, 0x903f)); /* a model with a subsystem only */
	assert_true(models_name_ids(&ms, 0x1000 + 499, 499));
	assert_false(models_name_ids(&ms, 0x10ee, 0x903e));
	assert_false(models_name_ids(&ms, 0x10ee, 0x9040));
	assert_false(models_name_ids(&ms, 0x1000, 1));
	assert_false(models_name_ids(&ms, 0xffff, 0xffff));
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

static void test_name_rules(void **state)
{
	static const char *const good[] = { "A", "z", "0", "_x", "9abc", "a-", "a.", "Atlas.800_v2-b",
					    "a..b", "A-Z.a-z_0-9" };
	static const char *const bad_chars[] = { "a b", "a/b", "a:b", "a\tb", "a=b", "[a]", "a;b",
						 "a#b", "a@b", "a*b", "\xc3\xa9", "a\"b" };
	char out[DEV_TYPE_MAX + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (model_name_check(good[i]) != NULL)
			fail_msg("model name \"%s\" refused", good[i]);
	for (size_t i = 0; i < sizeof(bad_chars) / sizeof(bad_chars[0]); i++)
		assert_string_equal(model_name_check(bad_chars[i]), "expected 1-64 characters of A-Z a-z 0-9 . _ -");
	assert_string_equal(model_name_check(""), "expected 1-64 characters of A-Z a-z 0-9 . _ -");
	assert_string_equal(model_name_check("."), "must not start with '.' or '-'");
	assert_string_equal(model_name_check("-"), "must not start with '.' or '-'");
	assert_string_equal(model_name_check("--help"), "must not start with '.' or '-'");

	/* dev types: the allowed set, upper-cased */
	assert_null(dev_type_check("a_b-9", out));
	assert_string_equal(out, "A_B-9");
	assert_null(dev_type_check("-", out));
	assert_null(dev_type_check("GPU-HPC2", out));  /* only the exact built-in names */
	assert_null(dev_type_check("NVME_PT", out));
	assert_null(dev_type_check("XGPU", out));
	const char *bad_types[] = { "a b", "A.B", "A/B", "\xc3\xa9", "A:B", "a\tb" };
	for (size_t i = 0; i < sizeof(bad_types) / sizeof(bad_types[0]); i++)
		assert_string_equal(dev_type_check(bad_types[i], out), "must be 1-32 characters of A-Z 0-9 _ -");
	assert_string_equal(dev_type_check("", out), "must be 1-32 characters of A-Z 0-9 _ -");
}

static void test_more_parse_errors(void **state)
{
	char name65[80], type33[40], text[300];
	static const struct { const char *text, *msg; } cases[] = {
		{ "[A]\ndev_type = a.b\n", "m.conf:2: dev_type: \"a.b\" must be 1-32 characters of A-Z 0-9 _ -" },
		{ "[A]\ndev_type = Nvme-Pt\n", "m.conf:2: dev_type: \"Nvme-Pt\" is a built-in passthrough type of the platform, not a custom one" },
		{ "[A]\ndev_type = sriov-VGPU\n", "m.conf:2: dev_type: \"sriov-VGPU\" is a built-in passthrough type of the platform, not a custom one" },
		{ "[A]\ndev_type = X\nvendor_id = 0x19e5x\n", "m.conf:3: vendor_id: expected four hex digits, got \"0x19e5x\"" },
		{ "[A]\ndevice_id = d80\n", "m.conf:2: device_id: expected four hex digits, got \"d80\"" },
		{ "[A]\ndevice_id = 0d801\n", "m.conf:2: device_id: expected four hex digits, got \"0d801\"" },
		{ "[A]\nsubsystem_device_id = 12345\n", "m.conf:2: subsystem_device_id: expected four hex digits, got \"12345\"" },
		{ "[A]\ndev_type = X\ndevice_id = d801\n", "m.conf:1: [A]: missing vendor_id" },
		{ "[A]\n", "m.conf:1: [A]: missing dev_type" },
		{ "\n\n[A]\ndev_type=X\nvendor_id=1111\ndevice_id=2222\nsubsystem_device_id=1111\n",
		  "m.conf:3: [A]: subsystem_vendor_id and subsystem_device_id go together" },
		{ "[A]\ndev_type=X\nvendor_id=1111\ndevice_id=2222\n[B]\ndev_type=X\n",
		  "m.conf:5: [B]: missing vendor_id" },
		{ "[-A]\n", "m.conf:1: model name \"-A\": must not start with '.' or '-'" },
		{ "[]\n", "m.conf:1: model name \"\": expected 1-64 characters of A-Z a-z 0-9 . _ -" },
		{ "[A]\ndev_type = X\ndev_type = Y\n", "m.conf:3: dev_type: given twice in [A]" },
		{ "[A]\nDev_Type = X\n", "m.conf:2: unknown key \"Dev_Type\" in [A]" },
		{ "[A]\nname = A\n", "m.conf:2: unknown key \"name\" in [A]" },
		/* the same name in one file, whatever its case */
		{ "[atlas]\ndev_type=X\nvendor_id=1111\ndevice_id=2222\n[ATLAS]\ndev_type=Y\nvendor_id=1111\ndevice_id=3333\n",
		  "m.conf:5: model \"ATLAS\" is already defined at m.conf:1" },
		/* the same subsystem match */
		{ "[A]\ndev_type=X\nvendor_id=1111\ndevice_id=2222\nsubsystem_vendor_id=3333\nsubsystem_device_id=4444\n"
		  "[B]\ndev_type=X\nvendor_id=0x1111\ndevice_id=2222\nsubsystem_vendor_id=3333\nsubsystem_device_id=4444\n",
		  "m.conf:7: model \"B\" matches 1111:2222 subsystem 3333:4444 like model \"A\" (m.conf:1)" },
		/* upper and lower case hex are the same id */
		{ "[A]\ndev_type=X\nvendor_id=abcd\ndevice_id=EF01\n[B]\ndev_type=X\nvendor_id=0XABCD\ndevice_id=ef01\n",
		  "m.conf:5: model \"B\" matches abcd:ef01 like model \"A\" (m.conf:1)" },
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
	memset(name65, 'n', 65);
	name65[65] = '\0';
	snprintf(text, sizeof(text), "[%s]\n", name65);
	assert_int_equal(parse(text, &ms, &e), -1);
	assert_string_equal(e.msg, "m.conf:1: model name \"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn...\": expected 1-64 characters of A-Z a-z 0-9 . _ -");
	models_free(&ms);
	name65[64] = '\0';
	snprintf(text, sizeof(text), "[%s]\ndev_type=X\nvendor_id=1\n", name65);
	assert_int_equal(parse(text, &ms, &e), -1);
	assert_int_equal(ms.n, 1);
	assert_string_equal(ms.v[0].name, name65); /* 64 characters arrive whole */
	models_free(&ms);
	memset(type33, 'T', 33);
	type33[33] = '\0';
	snprintf(text, sizeof(text), "[A]\ndev_type = %s\n", type33);
	assert_int_equal(parse(text, &ms, &e), -1);
	assert_string_equal(e.msg, "m.conf:2: dev_type: \"TTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTT\" must be 1-32 characters of A-Z 0-9 _ -");
	models_free(&ms);
}

static void test_values_stored(void **state)
{
	struct model_set ms = { 0 };
	struct perr e;

	(void)state;
	assert_int_equal(parse("; models\n\n[Crypto.1]\ndev_type = crypto-x_1\nvendor_id = 0XABCD\n"
			       "device_id = 0x00eF\nsubsystem_device_id = 0001\nsubsystem_vendor_id = FFFF\n", &ms, &e), 0);
	assert_int_equal(ms.n, 1);
	assert_string_equal(ms.v[0].name, "Crypto.1");
	assert_string_equal(ms.v[0].dev_type, "CRYPTO-X_1");
	assert_int_equal(ms.v[0].vendor, 0xabcd);
	assert_int_equal(ms.v[0].device, 0xef);
	assert_true(ms.v[0].has_subsys);
	assert_int_equal(ms.v[0].subsys_vendor, 0xffff);
	assert_int_equal(ms.v[0].subsys_device, 0x0001);
	assert_string_equal(ms.v[0].file, "m.conf");
	assert_int_equal(ms.v[0].line, 3);
	models_free(&ms);
}

static void test_cross_file_conflicts(void **state)
{
	static const char a[] = "[Atlas-800]\ndev_type=NPU\nvendor_id=19e5\ndevice_id=d801\n";
	static const char b_name[] = "\n[Other]\ndev_type=NPU\nvendor_id=19e5\ndevice_id=d802\n[atlas-800]\ndev_type=NPU\nvendor_id=19e5\ndevice_id=d803\n";
	static const char b_match[] = "[Second]\ndev_type=FPGA\nvendor_id=19E5\ndevice_id=D801\n";
	static const char b_variant[] = "[Variant]\ndev_type=NPU\nvendor_id=19e5\ndevice_id=d801\n"
					"subsystem_vendor_id=19e5\nsubsystem_device_id=0001\n";
	struct model_set ms = { 0 };
	struct perr e = { 0 };
	struct model cli = { .name = "ATLAS-800", .dev_type = "X", .vendor = 1, .device = 2 };

	(void)state;
	/* names are unique ignoring case, across files; the later one is blamed */
	assert_int_equal(models_parse(a, strlen(a), "/m/a.conf", &ms, &e), 0);
	assert_int_equal(models_parse(b_name, strlen(b_name), "/m/b.conf", &ms, &e), 0);
	assert_int_equal(models_finish(&ms, &e), -1);
	assert_string_equal(e.msg, "/m/b.conf:6: model \"atlas-800\" is already defined at /m/a.conf:1");
	assert_int_equal(e.code, EX_DATAERR);
	models_free(&ms);

	/* the same vendor:device in two files names both places */
	memset(&e, 0, sizeof(e));
	assert_int_equal(models_parse(a, strlen(a), "/m/a.conf", &ms, &e), 0);
	assert_int_equal(models_parse(b_match, strlen(b_match), "/m/b.conf", &ms, &e), 0);
	assert_int_equal(models_finish(&ms, &e), -1);
	assert_string_equal(e.msg, "/m/b.conf:1: model \"Second\" matches 19e5:d801 like model \"Atlas-800\" (/m/a.conf:1)");
	models_free(&ms);

	/* a subsystem variant of a plain model is allowed */
	memset(&e, 0, sizeof(e));
	assert_int_equal(models_parse(a, strlen(a), "/m/a.conf", &ms, &e), 0);
	assert_int_equal(models_parse(b_variant, strlen(b_variant), "/m/b.conf", &ms, &e), 0);
	assert_int_equal(models_finish(&ms, &e), 0);
	assert_int_equal(ms.n, 2);

	/* a model from the command line against the files */
	assert_int_equal(models_add(&ms, &cli, &e), 0);
	assert_int_equal(models_finish(&ms, &e), -1);
	assert_string_equal(e.msg, "model \"ATLAS-800\" is already defined at /m/a.conf:1");
	memset(&e, 0, sizeof(e));
	ms.n--;
	strcpy(cli.name, "New");
	cli.vendor = 0x19e5;
	cli.device = 0xd801;
	cli.has_subsys = true;
	cli.subsys_vendor = 0x19e5;
	cli.subsys_device = 1;
	assert_int_equal(models_add(&ms, &cli, &e), 0);
	assert_int_equal(models_finish(&ms, &e), -1);
	assert_string_equal(e.msg, "model \"New\" matches 19e5:d801 subsystem 19e5:0001 like model \"Variant\" (/m/b.conf:1)");
	memset(&e, 0, sizeof(e));
	ms.v[ms.n - 1].subsys_device = 2;
	assert_int_equal(models_finish(&ms, &e), 0);
	assert_string_equal(models_match(&ms, 0x19e5, 0xd801, true, 0x19e5, 2)->name, "New");
	models_free(&ms);

	/* a model from the command line defined first, then a file: the file is blamed */
	memset(&e, 0, sizeof(e));
	strcpy(cli.name, "Atlas-800");
	cli.vendor = 9;
	assert_int_equal(models_add(&ms, &cli, &e), 0);
	assert_int_equal(models_parse(a, strlen(a), "/m/a.conf", &ms, &e), 0);
	assert_int_equal(models_finish(&ms, &e), -1);
	assert_string_equal(e.msg, "/m/a.conf:1: model \"Atlas-800\" is already defined at the command line");
	models_free(&ms);
}

static void test_match_rules(void **state)
{
	static const char text[] =
		"[P]\ndev_type=T\nvendor_id=1234\ndevice_id=5678\n"
		"[S1]\ndev_type=T\nvendor_id=1234\ndevice_id=5678\nsubsystem_vendor_id=1111\nsubsystem_device_id=0001\n"
		"[S2]\ndev_type=T\nvendor_id=1234\ndevice_id=5678\nsubsystem_vendor_id=1111\nsubsystem_device_id=0002\n"
		"[S3]\ndev_type=T\nvendor_id=1234\ndevice_id=5678\nsubsystem_vendor_id=2222\nsubsystem_device_id=0001\n"
		"[Q]\ndev_type=T\nvendor_id=1234\ndevice_id=5679\nsubsystem_vendor_id=1111\nsubsystem_device_id=0001\n"
		"[Low]\ndev_type=T\nvendor_id=0000\ndevice_id=0000\n"
		"[High]\ndev_type=T\nvendor_id=ffff\ndevice_id=ffff\n";
	struct model_set ms = { 0 }, empty = { 0 };
	struct perr e;

	(void)state;
	assert_int_equal(parse(text, &ms, &e), 0);
	assert_string_equal(models_match(&ms, 0x1234, 0x5678, true, 0x1111, 1)->name, "S1");
	assert_string_equal(models_match(&ms, 0x1234, 0x5678, true, 0x1111, 2)->name, "S2");
	assert_string_equal(models_match(&ms, 0x1234, 0x5678, true, 0x2222, 1)->name, "S3");
	/* no model for this subsystem: the plain one */
	assert_string_equal(models_match(&ms, 0x1234, 0x5678, true, 0x2222, 2)->name, "P");
	assert_string_equal(models_match(&ms, 0x1234, 0x5678, true, 0x1111, 3)->name, "P");
	/* a device without subsystem ids only matches the plain model (the subsystem fields are ignored) */
	assert_string_equal(models_match(&ms, 0x1234, 0x5678, false, 0x1111, 1)->name, "P");
	/* only subsystem models for this device */
	assert_string_equal(models_match(&ms, 0x1234, 0x5679, true, 0x1111, 1)->name, "Q");
	assert_null(models_match(&ms, 0x1234, 0x5679, true, 0x1111, 2));
	assert_null(models_match(&ms, 0x1234, 0x5679, false, 0x1111, 1));
	/* the extremes of the key space */
	assert_string_equal(models_match(&ms, 0, 0, false, 0, 0)->name, "Low");
	assert_string_equal(models_match(&ms, 0xffff, 0xffff, true, 0xffff, 0xffff)->name, "High");
	assert_null(models_match(&ms, 0xffff, 0xfffe, false, 0, 0));
	assert_null(models_match(&ms, 0x1233, 0x5678, false, 0, 0));
	assert_null(models_match(&ms, 0x5678, 0x1234, false, 0, 0)); /* vendor and device not swapped */
	/* models_find is by exact name */
	assert_ptr_equal(models_find(&ms, "S2"), &ms.v[2]);
	assert_null(models_find(&ms, "s2"));
	assert_null(models_find(&ms, ""));
	models_free(&ms);
	/* an empty set matches nothing, finished or not */
	assert_null(models_match(&empty, 0x1234, 0x5678, false, 0, 0));
	assert_int_equal(models_finish(&empty, &e), 0);
	assert_null(models_match(&empty, 0x1234, 0x5678, true, 1, 2));
	models_free(&empty);
}

static void test_match_many(void **state)
{
	struct model_set ms = { 0 };
	struct perr e = { 0 };
	struct model m = { .dev_type = "T" };

	(void)state;
	/* added in a scrambled order: the index, not the order of definition, finds them */
	for (unsigned i = 0; i < 2000; i++) {
		unsigned k = (i * 7919u) % 2000u;
		snprintf(m.name, sizeof(m.name), "M%u", k);
		m.vendor = 0x1000 + k / 100;
		m.device = k % 100;
		m.has_subsys = k % 3 == 0;
		m.subsys_vendor = m.has_subsys ? 0xaaaa : 0;
		m.subsys_device = m.has_subsys ? k : 0;
		assert_int_equal(models_add(&ms, &m, &e), 0);
	}
	assert_int_equal(models_finish(&ms, &e), 0);
	for (unsigned k = 0; k < 2000; k++) {
		char name[16];
		const struct model *got = models_match(&ms, 0x1000 + k / 100, k % 100, true, 0xaaaa, k);
		snprintf(name, sizeof(name), "M%u", k);
		assert_non_null(got);
		assert_string_equal(got->name, name); /* the subsystem model, or the plain one */
		got = models_match(&ms, 0x1000 + k / 100, k % 100, false, 0, 0);
		if (k % 3 == 0) {
			assert_null(got); /* a device without subsystem ids never matches a subsystem model */
			assert_null(models_match(&ms, 0x1000 + k / 100, k % 100, true, 0xaaab, k));
		} else {
			assert_non_null(got);
			assert_string_equal(got->name, name);
		}
	}
	models_free(&ms);
}

static void test_models_max(void **state)
{
	size_t size = (MODELS_MAX + 1) * 64, o = 0;
	char *text = malloc(size);
	struct model_set ms = { 0 };
	struct perr e = { 0 };
	char want[96];

	(void)state;
	assert_non_null(text);
	for (unsigned i = 0; i < MODELS_MAX; i++)
		o += (size_t)snprintf(text + o, size - o, "[m%u]\ndev_type=T\nvendor_id=%04x\ndevice_id=%04x\n",
				      i, 1 + i / 4096, i % 4096);
	assert_int_equal(models_parse(text, o, "m.conf", &ms, &e), 0);
	assert_int_equal(models_finish(&ms, &e), 0);
	assert_int_equal(ms.n, MODELS_MAX);
	models_free(&ms);
	snprintf(text + o, size - o, "[one-more]\n");
	assert_int_equal(models_parse(text, strlen(text), "m.conf", &ms, &e), -1);
	snprintf(want, sizeof(want), "m.conf:%d: [one-more]: more than %d models", MODELS_MAX * 4 + 1, MODELS_MAX);
	assert_string_equal(e.msg, want);
	assert_int_equal(e.code, EX_DATAERR);
	models_free(&ms);
	free(text);
}

static void test_render_plain(void **state)
{
	struct model m = { .name = "x_1.Y", .dev_type = "FPGA", .vendor = 0x10ee, .device = 0x0a0b };
	struct model_set ms = { 0 };
	struct perr e;
	char text[512];
	int n;

	(void)state;
	n = model_render(&m, text, sizeof(text));
	assert_string_equal(text, "; written by pcipass-model\n[x_1.Y]\ndev_type  = FPGA\nvendor_id = 10ee\n"
				  "device_id = 0a0b\n");
	assert_int_equal(n, (int)strlen(text));
	assert_int_equal(parse(text, &ms, &e), 0);
	assert_int_equal(ms.n, 1);
	assert_string_equal(ms.v[0].name, m.name);
	assert_string_equal(ms.v[0].dev_type, m.dev_type);
	assert_int_equal(ms.v[0].vendor, m.vendor);
	assert_int_equal(ms.v[0].device, m.device);
	assert_false(ms.v[0].has_subsys);
	models_free(&ms);
	/* the exact size fits; one less does not */
	assert_int_equal(model_render(&m, text, (size_t)n + 1), n);
	assert_int_equal(model_render(&m, text, (size_t)n), -1);
	/* with a subsystem, a buffer that holds only the first part is refused too */
	m.has_subsys = true;
	m.subsys_vendor = 0xa;
	m.subsys_device = 0xb;
	assert_int_equal(model_render(&m, text, (size_t)n + 1), -1);
	n = model_render(&m, text, sizeof(text));
	assert_true(n > 0);
	assert_int_equal(n, (int)strlen(text));
	assert_non_null(strstr(text, "subsystem_vendor_id = 000a\nsubsystem_device_id = 000b\n"));
	assert_int_equal(parse(text, &ms, &e), 0);
	assert_true(ms.v[0].has_subsys);
	assert_int_equal(ms.v[0].subsys_vendor, 0xa);
	assert_int_equal(ms.v[0].subsys_device, 0xb);
	models_free(&ms);
}

static void test_load_dir_more(void **state)
{
	char dir[256], sub[1024];
	struct model_set ms = { 0 };
	struct perr e = { 0 };

	(void)state;
	scratch(dir);
	/* an empty directory: no models, no error */
	assert_int_equal(models_load(dir, true, &ms, &e), 0);
	assert_int_equal(ms.n, 0);
	models_free(&ms);
	/* name order, several models per file, definition order kept inside a file */
	put_file(dir, "z.conf", "[Z]\ndev_type=X\nvendor_id=1111\ndevice_id=0009\n", 0644);
	put_file(dir, "m.conf", "[M2]\ndev_type=X\nvendor_id=1111\ndevice_id=0005\n"
				"[M1]\ndev_type=X\nvendor_id=1111\ndevice_id=0004\n", 0600);
	put_file(dir, "a.conf", "; nothing but a comment\n", 0644);
	put_file(dir, "b.conf", "[B]\ndev_type=X\nvendor_id=1111\ndevice_id=0001\n", 0400);
	put_file(dir, ".conf", "garbage\n", 0644);
	put_file(dir, "x.conf~", "garbage\n", 0644);
	put_file(dir, "x.CONF", "garbage\n", 0644);
	put_file(dir, ".#m.conf", "garbage\n", 0644);
	put_file(dir, "conf", "garbage\n", 0644);
	put_file(dir, "y.conf.swp", "garbage\n", 0644);
	assert_int_equal(models_load(dir, true, &ms, &e), 0);
	assert_int_equal(ms.n, 4);
	assert_string_equal(ms.v[0].name, "B");
	assert_string_equal(ms.v[1].name, "M2");
	assert_string_equal(ms.v[2].name, "M1");
	assert_string_equal(ms.v[3].name, "Z");
	snprintf(sub, sizeof(sub), "%s/m.conf", dir);
	assert_string_equal(ms.v[2].file, sub);
	assert_int_equal(ms.v[2].line, 5);
	assert_string_equal(models_match(&ms, 0x1111, 5, false, 0, 0)->name, "M2");
	models_free(&ms);

	/* a bad file stops the load, naming file:line */
	put_file(dir, "n.conf", "[N]\ndev_type=X\nvendor_id=11111\ndevice_id=0006\n", 0644);
	assert_int_equal(models_load(dir, true, &ms, &e), -1);
	snprintf(sub, sizeof(sub), "%s/n.conf:3: vendor_id: expected four hex digits, got \"11111\"", dir);
	assert_string_equal(e.msg, sub);
	assert_int_equal(e.code, EX_DATAERR);
	models_free(&ms);
	put_file(dir, "n.conf", "[N]\ndev_type=X\nvendor_id=1111\n", 0644);
	memset(&e, 0, sizeof(e));
	assert_int_equal(models_load(dir, true, &ms, &e), -1);
	snprintf(sub, sizeof(sub), "%s/n.conf:1: [N]: missing device_id", dir);
	assert_string_equal(e.msg, sub);
	models_free(&ms);
	/* the same name in another file */
	put_file(dir, "n.conf", "\n[m1]\ndev_type=X\nvendor_id=1111\ndevice_id=0006\n", 0644);
	memset(&e, 0, sizeof(e));
	assert_int_equal(models_load(dir, true, &ms, &e), -1);
	snprintf(sub, sizeof(sub), "%s/n.conf:2: model \"m1\" is already defined at %s/m.conf:5", dir, dir);
	assert_string_equal(e.msg, sub);
	models_free(&ms);
	snprintf(sub, sizeof(sub), "%s/n.conf", dir);
	assert_int_equal(unlink(sub), 0);

	/* a directory called *.conf is not a model file */
	snprintf(sub, sizeof(sub), "%s/d.conf", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	memset(&e, 0, sizeof(e));
	assert_int_equal(models_load(dir, true, &ms, &e), -1);
	snprintf(sub, sizeof(sub), "%s/d.conf: not a regular file", dir);
	assert_string_equal(e.msg, sub);
	models_free(&ms);
	snprintf(sub, sizeof(sub), "%s/d.conf", dir);
	assert_int_equal(rmdir(sub), 0);

	/* an over-long line in a model file */
	snprintf(sub, sizeof(sub), "[L]\ndev_type=%0*d\n", 200, 0);
	put_file(dir, "l.conf", sub, 0644);
	memset(&e, 0, sizeof(e));
	assert_int_equal(models_load(dir, true, &ms, &e), -1);
	snprintf(sub, sizeof(sub), "%s/l.conf:2: line longer than 197 bytes", dir);
	assert_string_equal(e.msg, sub);
	models_free(&ms);
	rmtree(dir);
}

/* The launch keys (issue 12): trusted files, parsed as strictly as the rest. */
static void test_launch_keys(void **state)
{
	static const char head[] = "[A]\ndev_type = NPU\nvendor_id = 19e5\ndevice_id = d801\n";
	static const struct { const char *line, *msg; } bad[] = {
		{ "functions = some", "m.conf:5: functions: expected all or one, got \"some\"" },
		{ "functions = ALL", "m.conf:5: functions: expected all or one, got \"ALL\"" },
		{ "functions =", "m.conf:5: functions: expected all or one, got \"\"" },
		{ "rombar = 0", "m.conf:5: rombar: expected on or off, got \"0\"" },
		{ "rombar = true", "m.conf:5: rombar: expected on or off, got \"true\"" },
		/* romfile: a name in rom_dir, never a path out of it */
		{ "romfile = ../../etc/shadow", "m.conf:5: romfile: \"../../etc/shadow\": expected a file name of 1-128 characters of A-Z a-z 0-9 . _ - (no '/')" },
		{ "romfile = /usr/share/qemu/efi-e1000.rom", "m.conf:5: romfile: \"/usr/share/qemu/efi-e1000.rom\": expected a file name of 1-128 characters of A-Z a-z 0-9 . _ - (no '/')" },
		{ "romfile = ..", "m.conf:5: romfile: \"..\": must not start with '.' or '-'" },
		{ "romfile = .hidden.rom", "m.conf:5: romfile: \".hidden.rom\": must not start with '.' or '-'" },
		{ "romfile = -x", "m.conf:5: romfile: \"-x\": must not start with '.' or '-'" },
		{ "romfile = a,b.rom", "m.conf:5: romfile: \"a,b.rom\": expected a file name of 1-128 characters of A-Z a-z 0-9 . _ - (no '/')" },
		{ "romfile =", "m.conf:5: romfile: \"\": expected a file name of 1-128 characters of A-Z a-z 0-9 . _ - (no '/')" },
		/* reset_method: the kernel's names, each once, "default" alone */
		{ "reset_method = flr,bus", "m.conf:5: reset_method: expected \"default\" or kernel reset methods (flr pm bus af device_specific cxl_bus), separated by single spaces, each once, got \"flr,bus\"" },
		{ "reset_method = flr flr", "m.conf:5: reset_method: expected \"default\" or kernel reset methods (flr pm bus af device_specific cxl_bus), separated by single spaces, each once, got \"flr flr\"" },
		{ "reset_method = flr  bus", "m.conf:5: reset_method: expected \"default\" or kernel reset methods (flr pm bus af device_specific cxl_bus), separated by single spaces, each once, got \"flr  bus\"" },
		{ "reset_method = default flr", "m.conf:5: reset_method: expected \"default\" or kernel reset methods (flr pm bus af device_specific cxl_bus), separated by single spaces, each once, got \"default flr\"" },
		{ "reset_method = FLR", "m.conf:5: reset_method: expected \"default\" or kernel reset methods (flr pm bus af device_specific cxl_bus), separated by single spaces, each once, got \"FLR\"" },
		{ "reset_method = fl", "m.conf:5: reset_method: expected \"default\" or kernel reset methods (flr pm bus af device_specific cxl_bus), separated by single spaces, each once, got \"fl\"" },
		{ "reset_method = flrx", "m.conf:5: reset_method: expected \"default\" or kernel reset methods (flr pm bus af device_specific cxl_bus), separated by single spaces, each once, got \"flrx\"" },
		{ "reset_method =", "m.conf:5: reset_method: expected \"default\" or kernel reset methods (flr pm bus af device_specific cxl_bus), separated by single spaces, each once, got \"\"" },
		{ "reset_method = flr\tbus", NULL }, /* a tab: the INI layer refuses it first */
		/* allow: the health overrides, nothing else (host-critical is pcipass.conf's) */
		{ "allow = host-critical", "m.conf:5: allow: expected no-reset, d3cold or aer, separated by single spaces, each once, got \"host-critical\"" },
		{ "allow = aer aer", "m.conf:5: allow: expected no-reset, d3cold or aer, separated by single spaces, each once, got \"aer aer\"" },
		{ "allow = aer,d3cold", "m.conf:5: allow: expected no-reset, d3cold or aer, separated by single spaces, each once, got \"aer,d3cold\"" },
		{ "allow =", "m.conf:5: allow: expected no-reset, d3cold or aer, separated by single spaces, each once, got \"\"" },
		{ "allow = all", "m.conf:5: allow: expected no-reset, d3cold or aer, separated by single spaces, each once, got \"all\"" },
		{ "functions = all\nfunctions = one", "m.conf:6: functions: given twice in [A]" },
	};
	struct model_set ms = { 0 };
	struct perr e;
	char text[512], out[64];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "%s%s\n", head, bad[i].line);
		assert_int_equal(parse(text, &ms, &e), -1);
		assert_int_equal(e.code, EX_DATAERR);
		if (bad[i].msg)
			assert_string_equal(e.msg, bad[i].msg);
		models_free(&ms);
	}
	/* the longest romfile name, and one more */
	memset(out, 0, sizeof(out));
	{
		char name[ROMFILE_MAX + 2];
		memset(name, 'r', ROMFILE_MAX);
		name[ROMFILE_MAX] = '\0';
		assert_null(romfile_check(name));
		strcat(name, "r");
		assert_non_null(romfile_check(name));
	}
	/* every key, stored; the defaults when absent */
	snprintf(text, sizeof(text), "%sfunctions = all\nrombar = off\nromfile = npu-v2.rom\n"
		 "reset_method = bus flr\nallow = d3cold no-reset\n[B]\ndev_type = NPU\nvendor_id = 19e5\n"
		 "device_id = d802\nrombar = on\nreset_method = default\nallow = aer\n", head);
	assert_int_equal(parse(text, &ms, &e), 0);
	assert_true(ms.v[0].functions_all);
	assert_int_equal(ms.v[0].rombar, ROMBAR_OFF);
	assert_string_equal(ms.v[0].romfile, "npu-v2.rom");
	assert_string_equal(ms.v[0].reset_method, "bus flr"); /* the order is the kernel's priority */
	assert_int_equal(ms.v[0].allow, ALLOW_D3COLD | ALLOW_NO_RESET);
	assert_false(ms.v[1].functions_all);
	assert_int_equal(ms.v[1].rombar, ROMBAR_ON);
	assert_string_equal(ms.v[1].romfile, "");
	assert_string_equal(ms.v[1].reset_method, "default");
	assert_int_equal(ms.v[1].allow, ALLOW_AER);
	/* what pcipass-model writes reads back the same */
	assert_true(model_render(&ms.v[0], text, sizeof(text)) > 0);
	assert_non_null(strstr(text, "functions = all\nrombar = off\nromfile = npu-v2.rom\n"
				     "reset_method = bus flr\nallow = no-reset d3cold\n"));
	{
		struct model_set again = { 0 };
		assert_int_equal(parse(text, &again, &e), 0);
		assert_true(again.v[0].functions_all);
		assert_int_equal(again.v[0].rombar, ROMBAR_OFF);
		assert_string_equal(again.v[0].romfile, "npu-v2.rom");
		assert_string_equal(again.v[0].reset_method, "bus flr");
		assert_int_equal(again.v[0].allow, ALLOW_D3COLD | ALLOW_NO_RESET);
		models_free(&again);
	}
	models_free(&ms);
	/* every method once is the longest list, and fits */
	assert_null(reset_method_check("flr pm bus af device_specific cxl_bus", out));
	assert_string_equal(out, "flr pm bus af device_specific cxl_bus");
	assert_string_equal(allow_text(ALLOW_AER | ALLOW_NO_RESET | ALLOW_D3COLD, out, sizeof(out)),
			    "no-reset d3cold aer");
	assert_string_equal(allow_text(0, out, sizeof(out)), "");
}

/* check MODEL_FILE, purely: the file (/t/new) must hold one model, and is checked as if
 * installed as /m/<its name>.conf: that file of models_dir is left out (models_read's skip),
 * every other one counts. models_dir: A.conf holds A, cards.conf B and C. */
static int installing(const char *text, struct model_set *ms, struct perr *e)
{
	static const struct { const char *file, *text; } dir[] = {
		{ "/m/A.conf", "[A]\ndev_type=NPU\nvendor_id=19e5\ndevice_id=d801\n" },
		{ "/m/cards.conf", "[B]\ndev_type=NPU\nvendor_id=19e5\ndevice_id=d802\n\n"
				   "[C]\ndev_type=NPU\nvendor_id=19e5\ndevice_id=d803\n" },
	};
	struct model m;
	char as[128];

	memset(ms, 0, sizeof(*ms));
	memset(e, 0, sizeof(*e));
	if (models_parse_one(text, strlen(text), "/t/new", &m, e) < 0)
		return -1;
	assert_string_equal(m.file, "/t/new");
	snprintf(as, sizeof(as), "/m/%s.conf", m.name);
	for (size_t i = 0; i < sizeof(dir) / sizeof(dir[0]); i++)
		if (strcmp(dir[i].file, as) != 0)
			assert_int_equal(models_parse(dir[i].text, strlen(dir[i].text), dir[i].file, ms, e), 0);
	if (models_add(ms, &m, e) < 0)
		return -1;
	return models_finish(ms, e);
}

static void test_install_check(void **state)
{
	static const struct { const char *text, *msg; } refused[] = {
		/* A moves onto another model's ids: the file is blamed, the other named where it is */
		{ "[A]\ndev_type=NPU\nvendor_id=19e5\ndevice_id=d802\n",
		  "/t/new:1: model \"A\" matches 19e5:d802 like model \"B\" (/m/cards.conf:1)" },
		{ "[A]\ndev_type=NPU\nvendor_id=19e5\ndevice_id=d803\n",
		  "/t/new:1: model \"A\" matches 19e5:d803 like model \"C\" (/m/cards.conf:6)" },
		/* B installed as B.conf replaces nothing: cards.conf still defines B */
		{ "[B]\ndev_type=NPU\nvendor_id=19e5\ndevice_id=d809\n",
		  "/t/new:1: model \"B\" is already defined at /m/cards.conf:1" },
		/* a.conf is not A.conf: a second A */
		{ "[a]\ndev_type=NPU\nvendor_id=19e5\ndevice_id=d809\n",
		  "/t/new:1: model \"a\" is already defined at /m/A.conf:1" },
		/* a new model on an installed one's ids */
		{ "\n[N]\ndev_type=FPGA\nvendor_id=19E5\ndevice_id=0xD801\n",
		  "/t/new:2: model \"N\" matches 19e5:d801 like model \"A\" (/m/A.conf:1)" },
		/* one model per file; an empty file installs none */
		{ "[A]\ndev_type=NPU\nvendor_id=0001\ndevice_id=0002\n\n[N]\ndev_type=NPU\nvendor_id=0001\ndevice_id=0003\n",
		  "/t/new:6: [N]: expected one model section, got 2" },
		{ "[N]\n[O]\n[P]\n", "/t/new:1: [N]: missing dev_type" },
		{ "", "/t/new: expected one model section, got none" },
		{ "; a template that rendered no model\n\n", "/t/new: expected one model section, got none" },
		/* the rules of a models.d file, with the file's name and line */
		{ "[N]\ndev_type = gpu-vga\n",
		  "/t/new:2: dev_type: \"gpu-vga\" is a built-in passthrough type of the platform, not a custom one" },
		{ "[N]\ndev_type=NPU\nvendor_id=19e5\n", "/t/new:1: [N]: missing device_id" },
		{ "[N]\ndev_type=N\001PU\n", NULL },
		{ "[N]\ndev_type=NPU\nvendor_id=19e5\ndevice_id=d809\n[O]\ndev_type=NPU\n", "/t/new:5: [O]: missing vendor_id" },
	};
	struct model_set ms;
	struct perr e;

	(void)state;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		assert_int_equal(installing(refused[i].text, &ms, &e), -1);
		assert_int_equal(e.code, EX_DATAERR);
		if (refused[i].msg)
			assert_string_equal(e.msg, refused[i].msg);
		else
			assert_true(strncmp(e.msg, "/t/new:2: ", 10) == 0);
		models_free(&ms);
	}
	/* three sections: the count is the whole file's */
	assert_int_equal(installing("[N]\ndev_type=T\nvendor_id=0001\ndevice_id=0001\n"
				    "[O]\ndev_type=T\nvendor_id=0001\ndevice_id=0002\n"
				    "[P]\ndev_type=T\nvendor_id=0001\ndevice_id=0003\n", &ms, &e), -1);
	assert_string_equal(e.msg, "/t/new:5: [O]: expected one model section, got 3");
	models_free(&ms);

	/* a new model: checked with all three */
	assert_int_equal(installing("[N]\ndev_type=npu\nvendor_id=19e5\ndevice_id=d804\n", &ms, &e), 0);
	assert_int_equal(ms.n, 4);
	assert_string_equal(models_match(&ms, 0x19e5, 0xd804, false, 0, 0)->file, "/t/new");
	models_free(&ms);
	/* A.conf replaced by A on its own ids: no overlap with its old self */
	assert_int_equal(installing("[A]\ndev_type=NPU\nvendor_id=19e5\ndevice_id=d801\n", &ms, &e), 0);
	assert_int_equal(ms.n, 3);
	models_free(&ms);
	/* ...or on other ids, a subsystem variant of B's: the old A is gone */
	assert_int_equal(installing("[A]\ndev_type=NPU\nvendor_id=19e5\ndevice_id=d802\n"
				    "subsystem_vendor_id=19e5\nsubsystem_device_id=0001\n", &ms, &e), 0);
	assert_null(models_match(&ms, 0x19e5, 0xd801, false, 0, 0));
	assert_string_equal(models_match(&ms, 0x19e5, 0xd802, true, 0x19e5, 1)->name, "A");
	assert_string_equal(models_match(&ms, 0x19e5, 0xd802, true, 0x19e5, 2)->name, "B");
	models_free(&ms);
}

/* MODELS_MAX counts the installed models; the one over it is named with its file and line. */
static void test_install_check_max(void **state)
{
	size_t size = MODELS_MAX * 64, o = 0;
	char *text = malloc(size);
	static const char one[] = "; new\n[extra]\ndev_type=T\nvendor_id=9999\ndevice_id=0002\n";
	struct model_set ms = { 0 };
	struct perr e = { 0 };
	struct model m;
	char want[96];

	(void)state;
	assert_non_null(text);
	for (unsigned i = 0; i < MODELS_MAX; i++)
		o += (size_t)snprintf(text + o, size - o, "[m%u]\ndev_type=T\nvendor_id=%04x\ndevice_id=%04x\n",
				      i, 1 + i / 4096, i % 4096);
	assert_int_equal(models_parse(text, o, "/m/many.conf", &ms, &e), 0);
	assert_int_equal(models_parse_one(one, strlen(one), "/t/new", &m, &e), 0);
	assert_int_equal(models_add(&ms, &m, &e), -1);
	snprintf(want, sizeof(want), "/t/new:2: [extra]: more than %d models", MODELS_MAX);
	assert_string_equal(e.msg, want);
	assert_int_equal(e.code, EX_DATAERR);
	models_free(&ms);
	free(text);
}

/* models_read() leaves the cross-check to its caller, and leaves out the file it is told to:
 * its models, its rules and its mode (the file check MODEL_FILE replaces). */
static void test_read_dir_skip(void **state)
{
	char dir[256], want[512];
	struct model_set ms = { 0 };
	struct perr e = { 0 };

	(void)state;
	scratch(dir);
	put_file(dir, "a.conf", "[A]\ndev_type=X\nvendor_id=1111\ndevice_id=0001\n", 0644);
	put_file(dir, "b.conf", "[B]\ndev_type=X\nvendor_id=1111\ndevice_id=0001\n", 0644);
	assert_int_equal(models_read(dir, true, NULL, &ms, &e), 0);
	assert_int_equal(ms.n, 2);
	assert_null(ms.index); /* not finished: no cross-check yet */
	models_free(&ms);
	assert_int_equal(models_load(dir, true, &ms, &e), -1);
	models_free(&ms);

	put_file(dir, "Broken.conf", "[Broken]\ndev_type=GPU\n", 0666);
	memset(&e, 0, sizeof(e));
	assert_int_equal(models_read(dir, true, "Broken.conf", &ms, &e), 0);
	assert_int_equal(ms.n, 2);
	snprintf(want, sizeof(want), "%s/a.conf", dir);
	assert_string_equal(ms.v[0].file, want);
	models_free(&ms);
	/* the name is a file name, exactly */
	assert_int_equal(models_read(dir, true, "broken.conf", &ms, &e), -1);
	assert_int_equal(e.code, EX_CONFIG);
	models_free(&ms);
	/* not even opened: a directory in its place is no error */
	snprintf(want, sizeof(want), "%s/Broken.conf", dir);
	assert_int_equal(unlink(want), 0);
	assert_int_equal(mkdir(want, 0755), 0);
	memset(&e, 0, sizeof(e));
	assert_int_equal(models_read(dir, true, NULL, &ms, &e), -1);
	models_free(&ms);
	memset(&e, 0, sizeof(e));
	assert_int_equal(models_read(dir, true, "Broken.conf", &ms, &e), 0);
	models_free(&ms);
	assert_int_equal(rmdir(want), 0);
	put_file(dir, "Broken.conf", "[Broken]\ndev_type=GPU\n", 0644);
	memset(&e, 0, sizeof(e));
	assert_int_equal(models_read(dir, true, "a.conf", &ms, &e), -1); /* the others' rules hold */
	assert_int_equal(e.code, EX_DATAERR);
	models_free(&ms);
	rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_launch_keys),
		cmocka_unit_test(test_names),        cmocka_unit_test(test_dev_types),
		cmocka_unit_test(test_parse_file),   cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_match),        cmocka_unit_test(test_render_roundtrip),
		cmocka_unit_test(test_load_dir),
		cmocka_unit_test(test_name_rules),   cmocka_unit_test(test_more_parse_errors),
		cmocka_unit_test(test_values_stored), cmocka_unit_test(test_cross_file_conflicts),
		cmocka_unit_test(test_match_rules),  cmocka_unit_test(test_match_many),
		cmocka_unit_test(test_models_max),   cmocka_unit_test(test_render_plain),
		cmocka_unit_test(test_load_dir_more),
		cmocka_unit_test(test_install_check), cmocka_unit_test(test_install_check_max),
		cmocka_unit_test(test_read_dir_skip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
