/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_pcidev.c - one device's sysfs facts: each file as the kernel writes it, absent (older
 * kernels, no capability) and hostile (huge, binary, negative, no newline); config reads. */
#include <fcntl.h>

#include "cm.h"
#include "pcidev.h"

static struct pcidev_info info;
static char why[160];

static int parse(unsigned bit, const char *text)
{
	pcidev_clear(&info);
	why[0] = '\0';
	return pcidev_parse(bit, text, strlen(text), &info, why, sizeof(why));
}

/* The resource file of a device with a 64-bit prefetchable 16 GiB BAR 0, a 32-bit 16 MiB BAR
 * 2, an I/O BAR 4 and a ROM, then the SR-IOV lines. */
#define RES_LINE0 "0x0000004000000000 0x00000043ffffffff 0x000000000014220c\n"
static const char resource_ok[] =
	RES_LINE0
	"0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
	"0x00000000f6000000 0x00000000f6ffffff 0x0000000000040200\n"
	"0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
	"0x000000000000e000 0x000000000000e07f 0x0000000000040101\n"
	"0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
	"0x00000000f7000000 0x00000000f707ffff 0x0000000000046200\n"
	"0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
	"0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
	"0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
	"0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
	"0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
	"0x0000000000000000 0x0000000000000000 0x0000000000000000\n";

static void test_resource(void **state)
{
	(void)state;
	assert_int_equal(parse(PCIDEV_RESOURCE, resource_ok), 0);
	assert_int_equal(info.n_bar, 4);
	assert_int_equal(info.bar[0].index, 0);
	assert_true(info.bar[0].size == 16ull << 30);
	assert_true(info.bar[0].mem && info.bar[0].mem64 && info.bar[0].prefetch);
	assert_int_equal(info.bar[1].index, 2);
	assert_true(info.bar[1].size == 16u << 20);
	assert_true(info.bar[1].mem && !info.bar[1].mem64 && !info.bar[1].prefetch);
	assert_int_equal(info.bar[2].index, 4);
	assert_int_equal(info.bar[2].size, 128);
	assert_false(info.bar[2].mem);
	assert_int_equal(info.bar[3].index, 6);
	assert_int_equal(info.bar[3].size, 512 << 10);

	/* an unassigned BAR (start 0, flags UNSET|MEM) still has its size */
	assert_int_equal(parse(PCIDEV_RESOURCE,
			       "0x0000000000000000 0x0000000000000fff 0x0000000020000200\n"
			       "0x0 0x0 0x0\n0x0 0x0 0x0\n0x0 0x0 0x0\n0x0 0x0 0x0\n0x0 0x0 0x0\n0x0 0x0 0x0\n"), 0);
	assert_int_equal(info.n_bar, 1);
	assert_int_equal(info.bar[0].size, 4096);

	/* an I/O region whose flags also carry memory bits: 64-bit and prefetchable are memory's */
	assert_int_equal(parse(PCIDEV_RESOURCE,
			       "0x0000000000001000 0x000000000000107f 0x000000000014219c\n"
			       "0x0 0x0 0x0\n0x0 0x0 0x0\n0x0 0x0 0x0\n0x0 0x0 0x0\n0x0 0x0 0x0\n0x0 0x0 0x0\n"), 0);
	assert_false(info.bar[0].mem || info.bar[0].mem64 || info.bar[0].prefetch);

	/* hostile: each leaves no BAR and says which line */
	const char *bad[] = {
		"",                                    /* empty */
		RES_LINE0,                             /* too few lines */
		"0x0000004000000000 0x00000043ffffffff 0x000000000014220c", /* no newline */
		"-0x1 0x2 0x200\n",                    /* negative */
		"0x10 0x1 0x200\n",                    /* end below start */
		"0x0 0xffffffffffffffff 0x200\n",      /* 2^64 bytes */
		"0x1000 0x1fff 0x0\n",                 /* neither memory nor I/O */
		"0x1000 0x3fff 0x200\n",               /* 12 KiB: not a power of two */
		"0x1000 0x1fff\n",                     /* two fields */
		"0x1000  0x1fff 0x200\n",              /* two spaces */
		"0x1000 0x1fff 0x200 \n",              /* trailing space */
		"0x10000000000000000 0x1 0x200\n",     /* 17 digits */
		"0x1000 0x1FFF 0x200\n",               /* upper case: not the kernel's */
		"1000 1fff 200\n",                     /* no 0x */
		"0x1000 0x1f\0f 0x200\n",              /* NUL (strlen stops: too few lines) */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[1024];
		snprintf(text, sizeof(text), "%s%s", bad[i],
			 i >= 3 ? "0x0 0x0 0x0\n0x0 0x0 0x0\n0x0 0x0 0x0\n0x0 0x0 0x0\n0x0 0x0 0x0\n0x0 0x0 0x0\n" : "");
		if (parse(PCIDEV_RESOURCE, text) != -1)
			fail_msg("resource case %zu parsed: %s", i, bad[i]);
		assert_int_equal(info.n_bar, 0);
		assert_true(why[0] != '\0');
	}
	assert_int_equal(parse(PCIDEV_RESOURCE, "0x0 0x1 0x200\n0x0 0x0 0x0\n"), -1);
	assert_string_equal(why, "expected at least 7 lines (6 BARs and the ROM), got 2");
	assert_int_equal(parse(PCIDEV_RESOURCE, "0x1000 0x1fff 0x200\nzz\n"), -1);
	assert_string_equal(why, "line 2: expected \"0xSTART 0xEND 0xFLAGS\"");
}

static void test_reset_power_vga(void **state)
{
	(void)state;
	assert_int_equal(parse(PCIDEV_RESET_METHOD, "flr bus\n"), 0);
	assert_string_equal(info.reset_methods, "flr bus");
	assert_int_equal(parse(PCIDEV_RESET_METHOD, "device_specific acpi flr af_flr pm bus cxl_bus\n"), 0);
	assert_string_equal(info.reset_methods, "device_specific acpi flr af_flr pm bus cxl_bus");
	/* every method turned off: the kernel writes nothing, not even a newline */
	strcpy(info.reset_methods, "x");
	assert_int_equal(pcidev_parse(PCIDEV_RESET_METHOD, "", 0, &info, why, sizeof(why)), 0);
	assert_string_equal(info.reset_methods, "");
	const char *bad_reset[] = { "\n", "flr\n\n", "flr", " flr\n", "flr \n", "flr  bus\n",
				    "FLR\n", "flr;rm\n", "flr\tbus\n", "-1\n",
				    "a_very_long_list_of_methods_that_goes_on_and_on_past_sixty_four_chars\n" };
	for (size_t i = 0; i < sizeof(bad_reset) / sizeof(bad_reset[0]); i++)
		if (parse(PCIDEV_RESET_METHOD, bad_reset[i]) != -1 || info.reset_methods[0] != '\0')
			fail_msg("reset_method case %zu parsed", i);

	assert_int_equal(parse(PCIDEV_POWER_STATE, "D3cold\n"), 0);
	assert_string_equal(info.power_state, "D3cold");
	assert_int_equal(parse(PCIDEV_POWER_STATE, "D0\n"), 0);
	assert_string_equal(info.power_state, "D0");
	const char *bad_power[] = { "", "\n", "D0", "D 0\n", "D0\nD3\n", "D3cold-ish\n",
				    "0123456789abcdef\n", "\xff\n" };
	for (size_t i = 0; i < sizeof(bad_power) / sizeof(bad_power[0]); i++)
		if (parse(PCIDEV_POWER_STATE, bad_power[i]) != -1 || info.power_state[0] != '\0')
			fail_msg("power_state case %zu parsed", i);

	assert_int_equal(parse(PCIDEV_BOOT_VGA, "1\n"), 0);
	assert_int_equal(info.boot_vga, 1);
	assert_int_equal(parse(PCIDEV_BOOT_VGA, "0\n"), 0);
	assert_int_equal(info.boot_vga, 0);
	const char *bad_vga[] = { "", "1", "-1\n", "2\n", "01\n", " 1\n", "1\n1\n", "yes\n" };
	for (size_t i = 0; i < sizeof(bad_vga) / sizeof(bad_vga[0]); i++)
		if (parse(PCIDEV_BOOT_VGA, bad_vga[i]) != -1 || info.boot_vga != -1)
			fail_msg("boot_vga case %zu parsed", i);
	/* a NUL inside is not text */
	pcidev_clear(&info);
	assert_int_equal(pcidev_parse(PCIDEV_BOOT_VGA, "1\0\n", 3, &info, why, sizeof(why)), -1);
	assert_int_equal(info.boot_vga, -1);
}

static void test_link(void **state)
{
	char buf[16];

	(void)state;
	assert_int_equal(parse(PCIDEV_CUR_SPEED, "16.0 GT/s PCIe\n"), 0);
	assert_int_equal(info.cur_speed, 160);
	assert_int_equal(parse(PCIDEV_MAX_SPEED, "2.5 GT/s PCIe\n"), 0);
	assert_int_equal(info.max_speed, 25);
	assert_int_equal(parse(PCIDEV_MAX_SPEED, "8 GT/s\n"), 0); /* 4.x kernels */
	assert_int_equal(info.max_speed, 80);
	assert_int_equal(parse(PCIDEV_CUR_SPEED, "Unknown\n"), 0);
	assert_int_equal(info.cur_speed, 0);
	assert_int_equal(parse(PCIDEV_CUR_SPEED, "Unknown speed\n"), 0);
	assert_int_equal(info.cur_speed, 0);
	assert_string_equal(pcidev_speed_text(160, buf), "16.0");
	assert_string_equal(pcidev_speed_text(25, buf), "2.5");
	assert_string_equal(pcidev_speed_text(0, buf), "unknown");
	assert_string_equal(pcidev_speed_text(-1, buf), "-");
	const char *bad_speed[] = { "", "16.0 GT/s PCIe", "-8 GT/s\n", "8.00 GT/s\n", ".5 GT/s\n",
				    "8. GT/s\n", "0 GT/s\n", "8 GT/s PCIe \n", "8 GT/s PCIe x\n",
				    "8GT/s\n", "99999 GT/s\n", "8 MT/s\n", "unknown\n", "8 GT/s\n8 GT/s\n" };
	for (size_t i = 0; i < sizeof(bad_speed) / sizeof(bad_speed[0]); i++)
		if (parse(PCIDEV_CUR_SPEED, bad_speed[i]) != -1 || info.cur_speed != -1)
			fail_msg("speed case %zu parsed", i);

	assert_int_equal(parse(PCIDEV_CUR_WIDTH, "16\n"), 0);
	assert_int_equal(info.cur_width, 16);
	assert_int_equal(parse(PCIDEV_MAX_WIDTH, "0\n"), 0);
	assert_int_equal(info.max_width, 0);
	const char *bad_width[] = { "", "16", "-1\n", "64\n", "x16\n", "+4\n", " 4\n", "4 \n",
				    "99999999999999999999\n" };
	for (size_t i = 0; i < sizeof(bad_width) / sizeof(bad_width[0]); i++)
		if (parse(PCIDEV_MAX_WIDTH, bad_width[i]) != -1 || info.max_width != -1)
			fail_msg("width case %zu parsed", i);
}

static void test_aer(void **state)
{
	(void)state;
	assert_int_equal(parse(PCIDEV_AER_COR, "RxErr 0\nBadTLP 2\nBadDLLP 1\nRollover 0\nTimeout 0\n"
			       "NonFatalErr 0\nCorrIntErr 0\nHeaderOF 0\nTOTAL_ERR_COR 3\n"), 0);
	assert_int_equal(info.aer_cor, 3);
	assert_int_equal(parse(PCIDEV_AER_FATAL, "Undefined 0\nDLP 1\nSDES 0\nTLP 0\nFCP 0\n"
			       "CmpltTO 0\nCmpltAbrt 0\nUnxCmplt 0\nRxOF 0\nMalfTLP 0\nECRC 0\n"
			       "UnsupReq 0\nACSViol 0\nUncorrIntErr 0\nBlockedTLP 0\nAtomicOpBlocked 0\n"
			       "TLPBlockedErr 0\nPoisonTLPBlocked 0\nTOTAL_ERR_FATAL 1\n"), 0);
	assert_int_equal(info.aer_fatal, 1);
	assert_int_equal(parse(PCIDEV_AER_NONFATAL, "cor_bit[7] 5\nTOTAL_ERR_NONFATAL 18446744073\n"), 0);
	assert_int_equal(info.aer_nonfatal, 18446744073LL);
	assert_int_equal(parse(PCIDEV_AER_NONFATAL, "TOTAL_ERR_NONFATAL 9223372036854775807\n"), 0);
	assert_int_equal(info.aer_nonfatal, 9223372036854775807LL);

	const char *bad[] = {
		"",                                    /* no total */
		"RxErr 0\n",                           /* no total */
		"TOTAL_ERR_FATAL 1\n",                 /* another file's total */
		"TOTAL_ERR_NONFATAL 1",                /* no newline */
		"TOTAL_ERR_NONFATAL -1\n",             /* negative */
		"TOTAL_ERR_NONFATAL 9223372036854775808\n", /* over 2^63-1 */
		"TOTAL_ERR_NONFATAL 1\nRxErr 0\n",     /* total not last */
		"TOTAL_ERR_NONFATAL  1\n",             /* two spaces */
		"TOTAL_ERR_NONFATAL\n",                /* no count */
		"Rx Err 0\nTOTAL_ERR_NONFATAL 0\n",    /* name with a space */
		"Rx\x01Err 0\nTOTAL_ERR_NONFATAL 0\n", /* control byte */
		" 0\nTOTAL_ERR_NONFATAL 0\n",          /* empty name */
		"TOTAL_ERR_NONFATAL 0x10\n",           /* hex */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse(PCIDEV_AER_NONFATAL, bad[i]) != -1 || info.aer_nonfatal != -1)
			fail_msg("aer case %zu parsed", i);
}

static void test_huge(void **state)
{
	static char big[PCIDEV_FILE_MAX + 2];

	(void)state;
	memset(big, '1', sizeof(big) - 2);
	big[sizeof(big) - 2] = '\n';
	pcidev_clear(&info);
	assert_int_equal(pcidev_parse(PCIDEV_BOOT_VGA, big, sizeof(big) - 1, &info, why, sizeof(why)), -1);
	assert_string_equal(why, "expected at most 4096 bytes, got more");
	assert_int_equal(pcidev_parse(0, "1\n", 2, &info, why, sizeof(why)), -1);
	assert_string_equal(pcidev_file_name(PCIDEV_AER_FATAL), "aer_dev_fatal");
	assert_string_equal(pcidev_file_name(3), "?");
}

/* --- on a tree --- */

static char root[256], dev[400];

static void make_dev(void)
{
	char cmd[1024];

	scratch(root);
	snprintf(dev, sizeof(dev), "%s/bus/pci/devices/0000:3b:00.0", root);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", dev);
	assert_int_equal(system(cmd), 0);
}

static void test_read_tree(void **state)
{
	struct pcidev_info d;
	struct perr e = { 0 };
	char path[600], huge[8192];

	(void)state;
	make_dev();
	/* nothing there: a kernel without any of the files, no reset */
	assert_int_equal(pcidev_read(root, "0000:3b:00.0", &d, &e), 0);
	assert_int_equal(d.absent, PCIDEV_ALL_FILES);
	assert_int_equal(d.bad, 0);
	assert_string_equal(d.reset_methods, "");
	assert_int_equal(d.n_bar, 0);
	assert_int_equal(d.boot_vga, -1);
	assert_true(d.aer_fatal == -1 && d.cur_width == -1 && d.power_state[0] == '\0');
	/* a kernel before 5.15 with a reset: methods unknown */
	put_file(dev, "reset", "", 0200);
	assert_int_equal(pcidev_read(root, "0000:3b:00.0", &d, &e), 0);
	assert_string_equal(d.reset_methods, "-");

	put_file(dev, "resource", resource_ok, 0444);
	put_file(dev, "reset_method", "flr\n", 0644);
	put_file(dev, "power_state", "D0\n", 0444);
	put_file(dev, "current_link_speed", "8.0 GT/s PCIe\n", 0444);
	put_file(dev, "max_link_speed", "16.0 GT/s PCIe\n", 0444);
	put_file(dev, "current_link_width", "8\n", 0444);
	put_file(dev, "max_link_width", "16\n", 0444);
	put_file(dev, "aer_dev_correctable", "RxErr 4\nTOTAL_ERR_COR 4\n", 0444);
	put_file(dev, "aer_dev_nonfatal", "TOTAL_ERR_NONFATAL 0\n", 0444);
	put_file(dev, "aer_dev_fatal", "TOTAL_ERR_FATAL 0\n", 0444);
	put_file(dev, "boot_vga", "0\n", 0444);
	assert_int_equal(pcidev_read(root, "0000:3b:00.0", &d, &e), 0);
	assert_int_equal(d.absent, 0);
	assert_int_equal(d.bad, 0);
	assert_int_equal(d.n_bar, 4);
	assert_string_equal(d.reset_methods, "flr");
	assert_string_equal(d.power_state, "D0");
	assert_int_equal(d.cur_speed, 80);
	assert_int_equal(d.max_speed, 160);
	assert_int_equal(d.cur_width, 8);
	assert_int_equal(d.max_width, 16);
	assert_true(d.aer_cor == 4 && d.aer_nonfatal == 0 && d.aer_fatal == 0);
	assert_int_equal(d.boot_vga, 0);

	/* hostile: a huge file, binary, a directory, a FIFO (never blocks), a symlink */
	memset(huge, '0', sizeof(huge) - 2);
	huge[sizeof(huge) - 2] = '\n';
	huge[sizeof(huge) - 1] = '\0';
	put_file(dev, "aer_dev_fatal", huge, 0444);
	put_file(dev, "boot_vga", "\x01\x02\xff", 0444);
	snprintf(path, sizeof(path), "%s/power_state", dev);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkfifo(path, 0644), 0);
	snprintf(path, sizeof(path), "%s/reset_method", dev);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/max_link_width", dev);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink("current_link_width", path), 0);
	assert_int_equal(pcidev_read(root, "0000:3b:00.0", &d, &e), 0);
	assert_int_equal(d.bad, PCIDEV_AER_FATAL | PCIDEV_BOOT_VGA | PCIDEV_POWER_STATE |
				    PCIDEV_RESET_METHOD | PCIDEV_MAX_WIDTH);
	assert_int_equal(d.absent, 0);
	assert_string_equal(d.why_bad, "reset_method: Is a directory");
	assert_true(d.aer_fatal == -1 && d.boot_vga == -1 && d.max_width == -1);
	assert_string_equal(d.power_state, "");
	assert_string_equal(d.reset_methods, ""); /* bad is not "-": reset is there, but unreadable */
	assert_int_equal(d.cur_width, 8);

	/* no such device */
	assert_int_equal(pcidev_read(root, "0000:3b:00.1", &d, &e), -1);
	assert_int_equal(e.code, EX_NOINPUT);
	rmtree(root);
}

/* The kernel's rules for what comes together (issue 13: a file known absent is not tried):
 * AER counters only on PCIe (where the link files are), boot_vga only on a VGA device. */
static void test_read_rules(void **state)
{
	struct pcidev_info d;
	int dir;

	(void)state;
	make_dev();
	put_file(dev, "aer_dev_correctable", "TOTAL_ERR_COR 4\n", 0444);
	put_file(dev, "aer_dev_nonfatal", "TOTAL_ERR_NONFATAL 0\n", 0444);
	put_file(dev, "aer_dev_fatal", "TOTAL_ERR_FATAL 0\n", 0444);
	put_file(dev, "boot_vga", "1\n", 0444);
	dir = open(dev, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dir >= 0);
	/* no link files: not PCIe, so the AER files (which no kernel shows there) are not read */
	pcidev_read_at(dir, 0x1200, &d);
	assert_int_equal(d.absent, PCIDEV_ALL_FILES);
	assert_true(d.aer_cor == -1 && d.boot_vga == -1);
	/* the launcher's reading (class unknown) tries every file all the same */
	pcidev_read_at(dir, -1, &d);
	assert_true(d.aer_cor == 4 && d.aer_fatal == 0 && d.boot_vga == 1);
	/* a VGA device's boot_vga is read, and one of an unknown class */
	pcidev_read_at(dir, 0x0300, &d);
	assert_int_equal(d.boot_vga, 1);
	pcidev_read_at(dir, -1, &d);
	assert_int_equal(d.boot_vga, 1);
	/* with the link files, AER is read; a missing first AER file means no AER at all */
	put_file(dev, "current_link_speed", "8.0 GT/s PCIe\n", 0444);
	pcidev_read_at(dir, 0x1200, &d);
	assert_int_equal(d.aer_cor, 4);
	assert_int_equal(d.cur_speed, 80);
	assert_true(d.absent & PCIDEV_BOOT_VGA);
	{
		char path[600];
		snprintf(path, sizeof(path), "%s/aer_dev_correctable", dev);
		assert_int_equal(unlink(path), 0);
	}
	pcidev_read_at(dir, 0x1200, &d);
	assert_true(d.aer_cor == -1 && d.aer_fatal == -1);
	close(dir);
	rmtree(root);
}

static void put_config(const char *bytes, size_t n)
{
	char path[600];
	int fd;

	snprintf(path, sizeof(path), "%s/config", dev);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, bytes, n), (ssize_t)n);
	assert_int_equal(close(fd), 0);
}

static void test_alive(void **state)
{
	struct perr e = { 0 };

	(void)state;
	make_dev();
	put_file(dev, "vendor", "0x1234\n", 0444); /* cached by the kernel: never read */
	assert_int_equal(pcidev_alive(root, "0000:3b:00.0", &e), -1);
	assert_int_equal(e.code, EX_NOINPUT);
	put_config("\x34\x12\xe8\x11", 4);
	assert_int_equal(pcidev_alive(root, "0000:3b:00.0", &e), 1);
	put_config("\xff\xff\xff\xff", 4);
	assert_int_equal(pcidev_alive(root, "0000:3b:00.0", &e), 0);
	put_config("\0\0\0\0", 4);
	assert_int_equal(pcidev_alive(root, "0000:3b:00.0", &e), 0);
	put_config("\x34\x12", 2);
	assert_int_equal(pcidev_alive(root, "0000:3b:00.0", &e), 1);
	e = (struct perr){ 0 };
	put_config("\x34", 1);
	assert_int_equal(pcidev_alive(root, "0000:3b:00.0", &e), -1);
	assert_string_equal(e.msg, "0000:3b:00.0: config: expected 2 bytes, got 1");
	e = (struct perr){ 0 };
	assert_int_equal(pcidev_alive(root, "0000:3b:00.7", &e), -1);
	assert_int_equal(e.code, EX_NOINPUT);
	rmtree(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resource),
		cmocka_unit_test(test_reset_power_vga),
		cmocka_unit_test(test_link),
		cmocka_unit_test(test_aer),
		cmocka_unit_test(test_huge),
		cmocka_unit_test(test_read_tree),
		cmocka_unit_test(test_read_rules),
		cmocka_unit_test(test_alive),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
