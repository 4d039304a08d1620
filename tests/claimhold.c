/* SPDX-License-Identifier: GPL-2.0-or-later */
/* claimhold.c - test helper: plays a running VM that holds a device claim.
 *
 * claimhold STATE_DIR ADDR VM [MODEL]
 * writes STATE_DIR/claims/ADDR (vm=, pid=, orig_driver=, model=), takes the OFD write lock on it
 * as pcipass-run will, prints "held" once the lock is taken, and sleeps until killed. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	char path[4096];
	int fd;

	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: claimhold STATE_DIR ADDR VM [MODEL]\n");
		return EX_USAGE;
	}
	snprintf(path, sizeof(path), "%s/claims", argv[1]);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/claims/%s", argv[1], argv[2]);
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || fcntl(fd, F_OFD_SETLK, &fl) < 0) {
		perror(path);
		return EX_UNAVAILABLE;
	}
	if (ftruncate(fd, 0) < 0 ||
	    dprintf(fd, "vm=%s\npid=%ld\norig_driver=\n%s%s%s", argv[3], (long)getpid(),
		    argc == 5 ? "model=" : "", argc == 5 ? argv[4] : "", argc == 5 ? "\n" : "") < 0) {
		perror(path);
		return EX_IOERR;
	}
	printf("held\n");
	fflush(stdout);
	for (;;)
		pause();
}
