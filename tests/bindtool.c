/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bindtool.c - test driver for launcher/bind.c: one bind or unbind, as the launcher does it.
 *   bindtool bind SYSFS DEV ADDR GROUP      (prints the original driver, or "-")
 *   bindtool unbind SYSFS ADDR ORIG         (ORIG "-" for none)
 *   bindtool write FILE TEXT                (one write of TEXT, as an admin's echo would do)
 *   bindtool wait ADDR PATH MS              (the wait for a group's VFIO device, MS at most)
 * Run under build/kernelsim.so, which plays the kernel for the fake tree. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bind.h"

int main(int argc, char **argv)
{
	char orig[DRIVER_MAX];
	struct perr e = { 0 };

	progname = "bindtool";
	if (argc == 6 && strcmp(argv[1], "bind") == 0) {
		if (driver_of(argv[2], argv[4], orig, &e) < 0 ||
		    bind_vfio(argv[2], argv[3], argv[4], atoi(argv[5]), "vfio-pci", orig, &e) < 0)
			die_perr(&e);
		printf("%s\n", orig[0] ? orig : "-");
		return 0;
	}
	if (argc == 5 && strcmp(argv[1], "unbind") == 0) {
		if (unbind_vfio(argv[2], argv[3], "vfio-pci", strcmp(argv[4], "-") ? argv[4] : "", &e) < 0)
			die_perr(&e);
		return 0;
	}
	if (argc == 5 && strcmp(argv[1], "wait") == 0) {
		if (vfio_node_wait(argv[2], argv[3], atoi(argv[4]), &e) < 0)
			die_perr(&e);
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "write") == 0) {
		size_t n = strlen(argv[3]);
		int fd = open(argv[2], O_WRONLY | O_CLOEXEC);

		if (fd < 0 || write(fd, argv[3], n) != (ssize_t)n) {
			fprintf(stderr, "bindtool: writing \"%s\" to %s: %s\n", argv[3], argv[2], strerror(errno));
			return EX_OSERR;
		}
		close(fd);
		return 0;
	}
	fprintf(stderr, "usage: bindtool bind SYSFS DEV ADDR GROUP | unbind SYSFS ADDR ORIG | write FILE TEXT | wait ADDR PATH MS\n");
	return EX_USAGE;
}
