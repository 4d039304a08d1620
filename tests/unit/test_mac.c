/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_mac.c - the MAC address a [net] without mac = gets (vm_mac): stable across runs, locally
 * administered unicast, never QEMU's default, and distinct over 10,000 VMs of 4 NICs each. */
#include "cm.h"
#include "vmconf.h"

#define NAMES 10000
#define NICS 4

static uint64_t value(const char *mac)
{
	uint64_t v = 0;

	for (int i = 0; i < 17; i += 3)
		v = v << 8 | strtoul((char[3]){ mac[i], mac[i + 1], 0 }, NULL, 16);
	return v;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* The values of today (checked against a Python rendering of FNV-1a 64 and splitmix64's
 * finalizer): a change of the hash would give every VM new addresses on upgrade. */
static void test_mac_golden(void **state)
{
	static const struct { const char *name; unsigned nic; const char *mac; } golden[] = {
		{ "npu-worker-1", 0, "d2:48:0a:b1:39:79" },
		{ "npu-worker-1", 1, "6a:80:2e:0d:b7:c3" },
		{ "npu-worker-2", 0, "82:4b:70:2b:cc:a6" },
		{ "a", 3, "5a:c9:b0:f4:d9:bd" },
	};
	char mac[18], again[18];

	(void)state;
	for (size_t i = 0; i < sizeof(golden) / sizeof(golden[0]); i++) {
		vm_mac(golden[i].name, golden[i].nic, mac);
		vm_mac(golden[i].name, golden[i].nic, again);
		assert_string_equal(mac, again);
		assert_string_equal(mac, golden[i].mac);
	}
}

static void test_mac_distinct(void **state)
{
	static uint64_t all[NAMES * NICS];
	char name[VM_NAME_MAX + 1], mac[18];
	size_t n = 0;

	(void)state;
	for (unsigned i = 0; i < NAMES; i++) {
		/* names as an admin would make them: a stem and a number */
		snprintf(name, sizeof(name), "%s-%u", i % 2 ? "vm" : "npu-worker", i / 2);
		for (unsigned k = 0; k < NICS; k++) {
			vm_mac(name, k, mac);
			assert_int_equal(strlen(mac), 17);
			for (int c = 0; c < 17; c++)
				assert_true(c % 3 == 2 ? mac[c] == ':' : strchr("0123456789abcdef", mac[c]) != NULL);
			all[n] = value(mac);
			/* first octet: bit 1 set (locally administered), bit 0 clear (unicast) */
			assert_int_equal((all[n] >> 40) & 3, 2);
			assert_string_not_equal(mac, "52:54:00:12:34:56");
			n++;
		}
	}
	qsort(all, n, sizeof(all[0]), cmp_u64);
	for (size_t i = 1; i < n; i++)
		if (all[i] == all[i - 1])
			fail_msg("two NICs share %012llx", (unsigned long long)all[i]);
}

/* vm.ini: a [net] without mac gets vm_mac(name, its index); one with a mac keeps it. */
static void test_mac_vmconf(void **state)
{
	static const char text[] = "[vm]\nname = w-1\nmemory = 512M\n[net]\nmode = user\n"
				   "[net]\nmode = user\nmac = 52:54:00:AA:BB:CC\n[net]\nmode = user\n";
	static struct vm_config v;
	struct host_config host;
	struct perr e = { 0 };
	char mac[18];

	(void)state;
	config_defaults(&host);
	assert_int_equal(vm_parse(text, strlen(text), "vm.ini", &host, &v, &e), 0);
	vm_mac("w-1", 0, mac);
	assert_string_equal(v.net[0].mac, mac);
	assert_string_equal(v.net[1].mac, "52:54:00:aa:bb:cc");
	vm_mac("w-1", 2, mac);
	assert_string_equal(v.net[2].mac, mac);
	assert_string_not_equal(v.net[0].mac, v.net[2].mac);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mac_golden),
		cmocka_unit_test(test_mac_distinct),
		cmocka_unit_test(test_mac_vmconf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
