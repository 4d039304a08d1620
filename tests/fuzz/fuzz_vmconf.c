/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_vmconf.c - vm.ini, the untrusted file: whatever parses stays within its bounds, and its
 * QEMU argv has no control character and keeps QEMU's -sandbox; it names no file outside
 * image_dirs and no user the host does not allow. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "argv.h"
#include "vmconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool in_images(const char *p)
{
	static const char dir[] = "/var/lib/pcipass/images/";

	return strncmp(p, dir, sizeof(dir) - 1) == 0 && p[sizeof(dir) - 1] != '\0' && !strstr(p, "/../") &&
	       !strstr(p, "/./") && !strstr(p, "//") && p[strlen(p) - 1] != '/' && strlen(p) < VM_PATH_MAX;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct host_config host;
	static struct vm_config vm;
	const struct qemu_dev devs[1] = { { .addr = "0000:01:00.0", .rombar = -1, .romfile_fd = -1 } };
	struct perr e = { 0 };
	struct argv a;
	struct handover fds;
	bool sandbox = false;

	config_defaults(&host);
	if (vm_parse((const char *)data, size, "fuzz.ini", &host, &vm, &e) < 0) {
		assert(e.code != 0 && strncmp(e.msg, "fuzz.ini", 8) == 0 && !strchr(e.msg, '\n'));
		return 0;
	}
	/* the default host allows no user by name: the VM runs as the host's run_as */
	assert(vm.user[0] == '\0');
	assert(vm.memory_mib >= 64 && vm.cpus >= 1 && vm.cpus <= 255);
	assert(vm.n_req <= VM_REQ_MAX && vm.n_disk <= VM_DISK_MAX && vm.n_net <= VM_NET_MAX);
	/* every file it names lies under the one image dir, by its clean text */
	for (size_t i = 0; i < vm.n_disk; i++)
		assert(in_images(vm.disk[i].file));
	assert(vm.kernel[0] == '\0' || in_images(vm.kernel));
	assert(vm.initrd[0] == '\0' || in_images(vm.initrd));
	assert(strlen(vm.append) < sizeof(vm.append));
	assert(strcmp(vm.serial, "none") == 0 || strcmp(vm.serial, "socket") == 0);
	for (size_t i = 0; i < vm.n_net; i++) { /* a tap is named one way, exactly */
		const struct vm_net *n = &vm.net[i];
		if (strcmp(n->mode, "tap") == 0)
			assert((n->ifname[0] != '\0') != (n->bridge[0] != '\0'));
		else
			assert(strcmp(n->mode, "user") == 0 && !n->ifname[0] && !n->bridge[0]);
	}
	/* numa and hugepages: a policy word, a page size of whole pages; then a choice on a host of
	 * two nodes, whose memory lines reach the argv (never a mem-path: no host path for RAM) */
	assert(strcmp(vm.numa, "any") == 0 || numa_one_node(&vm));
	assert(vm.hugepage_mib == 0 ||
	       ((vm.hugepage_mib == 2 || vm.hugepage_mib == 1024) && vm.memory_mib % vm.hugepage_mib == 0));
	static char c0[] = "0-3", c1[] = "4-7";
	struct numa_node nodes[2] = { { 0, c0, 4, { 1 << 20, 64 } }, { 1, c1, 4, { 1 << 20, 64 } } };
	const struct numa_host two = { 2, nodes, { 2 << 20, 128 } };
	const struct numa_fit fit[2] = { { true, "" }, { false, "busy" } };
	struct numa_choice nc;
	bool chosen = numa_choose(&two, &vm, fit, &nc, &e) == 0;
	memset(&e, 0, sizeof(e));
	/* firmware, cpu, topology: a fixed word; a model that is one word, no option riding along
	 * (no ',' or '='), never host under TCG; sockets * cores * threads = cpus when given */
	assert(strcmp(vm.firmware, "bios") == 0 || strcmp(vm.firmware, "uefi") == 0);
	assert(vm.cpu[0] == '\0' || (strlen(vm.cpu) <= VM_CPU_MAX && strspn(vm.cpu, WORD_CHARS) == strlen(vm.cpu) &&
				      vm.cpu[0] != '-' && vm.cpu[0] != '.'));
	assert(!(strcmp(vm.cpu, "host") == 0 && strcmp(vm.accel, "tcg") == 0));
	assert(!(vm.sockets || vm.cores || vm.threads) ||
	       (vm.sockets ? vm.sockets : 1) * (vm.cores ? vm.cores : 1) * (vm.threads ? vm.threads : 1) == vm.cpus);
	handover_plan(&vm, 1, &fds);
	if (qemu_argv(&host, &vm, devs, 1, &fds, chosen ? &nc : NULL, &a, &e) < 0)
		return 0;
	for (size_t i = 0; i < a.n; i++)
		assert(!strstr(a.v[i], "mem-path="));
	assert(strcmp(a.v[0], host.qemu) == 0);
	for (size_t i = 0; i < a.n; i++) {
		for (const char *p = a.v[i]; *p; p++)
			assert((unsigned char)*p >= 0x20 && *p != 0x7f);
		if (i + 1 < a.n && strcmp(a.v[i], "-cpu") == 0)
			assert(strpbrk(a.v[i + 1], ",=") == NULL);
		if (i + 1 < a.n && strcmp(a.v[i], "-sandbox") == 0)
			sandbox = strncmp(a.v[i + 1], "on,obsolete=deny,elevateprivileges=deny,spawn=deny", 50) == 0;
	}
	assert(sandbox);
	argv_free(&a);
	return 0;
}
