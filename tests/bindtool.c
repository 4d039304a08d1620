/* bindtool.c - test driver for launcher/bind.c: one bind or unbind, as the launcher does it.
 *   bindtool bind SYSFS DEV ADDR GROUP      (prints the original driver, or "-")
 *   bindtool unbind SYSFS ADDR ORIG         (ORIG "-" for none)
 * Run under build/kernelsim.so, which plays the kernel for the fake tree. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	fprintf(stderr, "usage: bindtool bind SYSFS DEV ADDR GROUP | unbind SYSFS ADDR ORIG\n");
	return EX_USAGE;
}
