/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_config.c - pcipass.conf: a parse either fails with one "fuzz.conf:..." line and
 * EX_CONFIG, or gives a configuration whose invariants hold: absolute paths, words that are
 * words, a known seccomp action, the exclude list sorted, canonical and searchable, a dynamic
 * id range that avoids root and nobody, and image dirs apart from the state directory. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char word[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";

static void path_ok(const char *p)
{
	size_t n = strnlen(p, CONF_PATH_MAX);

	assert(n < CONF_PATH_MAX && p[0] == '/');
	for (; *p; p++)
		assert(((unsigned char)*p >= 0x20 || *p == '\t') && *p != 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct host_config c; /* 5 KiB: keep it off the fuzzer's stack */
	struct perr e = { 0 };
	char addr[PCI_ADDR_LEN];

	if (config_parse((const char *)data, size, "fuzz.conf", &c, &e) < 0) {
		assert(e.code == EX_CONFIG);
		assert(strncmp(e.msg, "fuzz.conf", 9) == 0);
		assert(strchr(e.msg, '\n') == NULL);
		return 0;
	}
	assert(e.code == 0 && strcmp(c.file, "fuzz.conf") == 0);
	path_ok(c.sysfs_root);
	path_ok(c.dev_root);
	path_ok(c.models_dir);
	path_ok(c.inventory);
	path_ok(c.state_dir);
	path_ok(c.qemu);
	if (c.pci_ids[0] != '\0')
		path_ok(c.pci_ids);
	assert(str_only(c.vfio_driver, word, sizeof(c.vfio_driver) - 1));
	assert(str_only(c.run_as, word, sizeof(c.run_as) - 1));
	/* dynamic ids: a range, never root, nobody, (uint16_t)-1 or (uid_t)-1 */
	assert(c.dynamic_first >= 1 && c.dynamic_first <= c.dynamic_last && c.dynamic_last <= 4294967294u);
	assert(c.dynamic_last < 65534 || c.dynamic_first > 65535);
	assert(c.n_vm_groups <= NAME_LIST_MAX && c.n_allowed_users <= NAME_LIST_MAX);
	for (size_t i = 0; i < c.n_vm_groups; i++)
		assert(str_only(c.vm_groups[i], word, USER_NAME_MAX) && c.vm_groups[i][0] != '-');
	for (size_t i = 0; i < c.n_allowed_users; i++)
		assert(str_only(c.allowed_users[i], word, USER_NAME_MAX) && c.allowed_users[i][0] != '-' &&
		       strcmp(c.allowed_users[i], "dynamic") != 0);
	/* image dirs: clean, and neither holding nor inside state_dir (by text at least) */
	assert(c.n_image_dirs <= IMAGE_DIRS_MAX);
	for (size_t i = 0; i < c.n_image_dirs; i++) {
		path_ok(c.image_dirs[i]);
		assert(config_clean_path(c.image_dirs[i]));
		if (config_clean_path(c.state_dir))
			assert(strcmp(c.image_dirs[i], c.state_dir) != 0 &&
			       !config_under(c.image_dirs[i], c.state_dir) && !config_under(c.state_dir, c.image_dirs[i]));
	}
	assert(c.seccomp_action >= SECCOMP_KILL && c.seccomp_action <= SECCOMP_LOG);
	assert(c.n_exclude <= EXCLUDE_MAX);
	for (size_t i = 0; i < c.n_exclude; i++) {
		assert(parse_pci_addr(c.exclude[i], addr) == 0 && strcmp(addr, c.exclude[i]) == 0);
		assert(i == 0 || strcmp(c.exclude[i - 1], c.exclude[i]) <= 0);
		assert(config_excluded(&c, c.exclude[i]));
	}
	return 0;
}
