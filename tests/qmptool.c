/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qmptool.c - test driver for launcher/qmp.c against a real QEMU (tests/t-qmp.sh):
 *   qmptool SOCKET CMD [ARGS_JSON]         prints "return", and " status=S" for query-status
 *   qmptool SOCKET --getfd NAME            hands QEMU a pipe's read end; prints "pipe:[INODE]"
 *   qmptool SOCKET --wait EVENT [DEVICE] MS
 * Every wait for QEMU is QMPTOOL_TIMEOUT_MS (default 5000) at most. Errors: one line, the
 * client's exit status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qmp.h"

static struct qmp q;

int main(int argc, char **argv)
{
	const char *t = getenv("QMPTOOL_TIMEOUT_MS");
	long long ms = 5000, wait_ms;
	const char *why;
	struct qmp_msg r;
	struct perr e = { 0 };
	struct stat st;
	int p[2];

	progname = "qmptool";
	if (argc < 3 || argc > 6)
		die(EX_USAGE, "usage: qmptool SOCKET CMD [ARGS_JSON] | --getfd NAME | --wait EVENT [DEVICE] MS");
	if (t && parse_ll(t, 10, 1, 600000, &ms, &why) < 0)
		die(EX_USAGE, "QMPTOOL_TIMEOUT_MS: %s", why);
	if (strcmp(argv[2], "--wait") == 0) {
		if ((argc != 5 && argc != 6) || parse_ll(argv[argc - 1], 10, 0, 600000, &wait_ms, &why) < 0)
			die(EX_USAGE, "--wait EVENT [DEVICE] MS");
		if (qmp_connect(&q, argv[1], (int)ms, &e) < 0 ||
		    qmp_wait_event(&q, argv[3], argc == 6 ? argv[4] : NULL, (int)wait_ms, &e) < 0)
			die_perr(&e);
		printf("%s\n", argv[3]);
	} else if (strcmp(argv[2], "--getfd") == 0) {
		if (argc != 4)
			die(EX_USAGE, "--getfd NAME");
		if (pipe(p) < 0 || fstat(p[0], &st) < 0)
			die(EX_OSERR, "pipe: failed");
		if (qmp_connect(&q, argv[1], (int)ms, &e) < 0 || qmp_getfd(&q, p[0], argv[3], &e) < 0)
			die_perr(&e);
		printf("pipe:[%llu]\n", (unsigned long long)st.st_ino);
	} else {
		if (argc > 4)
			die(EX_USAGE, "CMD [ARGS_JSON]");
		if (qmp_connect(&q, argv[1], (int)ms, &e) < 0 ||
		    qmp_execute(&q, argv[2], argc == 4 ? argv[3] : NULL, &r, &e) < 0)
			die_perr(&e);
		printf("return%s%s\n", r.status[0] ? " status=" : "", r.status);
	}
	qmp_close(&q);
	return 0;
}
