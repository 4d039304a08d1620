/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_hostuse.c - the /proc files of host use (hostuse.h). The first byte picks mountinfo,
 * swaps, the IPv4 or the IPv6 routes, or a sysfs path; the rest is the text. Every name handed
 * on is a C string of the line it came from, the bad-line count and reason agree, a mount point
 * begins with '/', and a reason built from what was found is printable, ';'-free and bounded. */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "hostuse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct hostuse_dev dev;

static bool printable_no_semicolon(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e || *s == ';')
			return false;
	return true;
}

static int on_mount(void *user, unsigned major, unsigned minor, const char *mnt, const char *src)
{
	(void)user;
	assert(major <= 0xfff && minor <= 0xfffff);
	assert(mnt[0] == '/' && src != NULL);
	dev.mounts++;
	snprintf(dev.mount, sizeof(dev.mount), "%s", "/");
	return 0;
}

static int on_name(void *user, const char *name)
{
	size_t *n = user;
	assert(name != NULL);
	(*n)++;
	if (strlen(name) < sizeof(dev.route_if) && printable_no_semicolon(name) && !strchr(name, ' '))
		strcpy(dev.route_if, name);
	return 0;
}

static int on_addr(void *user, const char *addr)
{
	char canon[PCI_ADDR_LEN];
	(void)user;
	assert(parse_pci_addr(addr, canon) == 0 && strcmp(canon, addr) == 0);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[160] = "", reason[HOSTUSE_WHY_MAX], path[4097];
	size_t bad = 0, names = 0;
	const char *text = (const char *)data + 1;

	if (size < 1)
		return 0;
	memset(&dev, 0, sizeof(dev));
	switch (data[0] % 5) {
	case 0: assert(hostuse_parse_mountinfo(text, size - 1, on_mount, NULL, &bad, why, sizeof(why)) == 0); break;
	case 1: assert(hostuse_parse_swaps(text, size - 1, on_name, &names, &bad, why, sizeof(why)) == 0); break;
	case 2: assert(hostuse_parse_routes(text, size - 1, false, on_name, &names, &bad, why, sizeof(why)) == 0); break;
	case 3: assert(hostuse_parse_routes(text, size - 1, true, on_name, &names, &bad, why, sizeof(why)) == 0); break;
	default:
		if (size - 1 < sizeof(path)) {
			memcpy(path, text, size - 1);
			path[size - 1] = '\0';
			assert(hostuse_path_addrs(path, on_addr, NULL) == 0);
		}
		return 0;
	}
	assert((bad == 0) == (why[0] == '\0'));
	dev.swap = names % 2;
	hostuse_reason(&dev, size % 2, reason);
	assert(strlen(reason) < HOSTUSE_WHY_MAX && printable_no_semicolon(reason));
	return 0;
}
