/* fuzz_vmconf.c - vm.ini, the untrusted file: whatever parses stays within its bounds, and its
 * QEMU argv has no control character and keeps QEMU's -sandbox. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "argv.h"
#include "vmconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct host_config host;
	static struct vm_config vm;
	const char devs[1][PCI_ADDR_LEN] = { "0000:01:00.0" };
	struct perr e = { 0 };
	struct argv a;
	bool sandbox = false;

	config_defaults(&host);
	if (vm_parse((const char *)data, size, "fuzz.ini", &host, &vm, &e) < 0) {
		assert(e.code != 0 && strncmp(e.msg, "fuzz.ini", 8) == 0 && !strchr(e.msg, '\n'));
		return 0;
	}
	assert(strcmp(vm.user, "root") != 0);
	assert(vm.memory_mib >= 64 && vm.cpus >= 1 && vm.cpus <= 255);
	assert(vm.n_req <= VM_REQ_MAX && vm.n_disk <= VM_DISK_MAX && vm.n_net <= VM_NET_MAX);
	for (size_t i = 0; i < vm.n_disk; i++)
		assert(vm.disk[i].file[0] == '/' && strncmp(vm.disk[i].file, "/run/pcipass/", 13) != 0);
	if (qemu_argv(&host, &vm, devs, 1, &a, &e) < 0)
		return 0;
	assert(strcmp(a.v[0], host.qemu) == 0);
	for (size_t i = 0; i < a.n; i++) {
		for (const char *p = a.v[i]; *p; p++)
			assert((unsigned char)*p >= 0x20 && *p != 0x7f);
		if (i + 1 < a.n && strcmp(a.v[i], "-sandbox") == 0)
			sandbox = strncmp(a.v[i + 1], "on,obsolete=deny,elevateprivileges=deny,spawn=deny", 50) == 0;
	}
	assert(sandbox);
	argv_free(&a);
	return 0;
}
