/* fuzz_config.c - pcipass.conf: a parse either fails with one file:line message, or gives a
 * configuration whose invariants hold. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct host_config c;
	struct perr e = { 0 };
	char addr[PCI_ADDR_LEN];

	if (config_parse((const char *)data, size, "fuzz.conf", &c, &e) < 0) {
		assert(e.code == EX_CONFIG);
		assert(strncmp(e.msg, "fuzz.conf", 9) == 0);
		assert(strchr(e.msg, '\n') == NULL);
		return 0;
	}
	const char *paths[] = { c.sysfs_root, c.dev_root, c.models_dir, c.inventory, c.state_dir, c.qemu };
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		assert(paths[i][0] == '/');
	assert(c.pci_ids[0] == '\0' || c.pci_ids[0] == '/');
	assert(c.seccomp_action >= SECCOMP_KILL && c.seccomp_action <= SECCOMP_LOG);
	assert(c.n_exclude <= EXCLUDE_MAX);
	for (size_t i = 0; i < c.n_exclude; i++) {
		assert(parse_pci_addr(c.exclude[i], addr) == 0 && strcmp(addr, c.exclude[i]) == 0);
		assert(i == 0 || strcmp(c.exclude[i - 1], c.exclude[i]) <= 0);
		assert(config_excluded(&c, c.exclude[i]));
	}
	return 0;
}
