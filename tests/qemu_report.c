/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qemu_report.c - test helper: stands in for QEMU and reports what it was given (steps 6-9):
 * ids and groups, capabilities, NoNewPrivs, seccomp mode, rlimits, umask, open descriptors,
 * environment and argv, one "key=value" per line on stdout. With -S in its argv it then stays
 * up until killed, as a paused VM would. A guest named try-denied-* then makes a call the filter
 * refuses (acct) and says what it got: denied=EPERM under seccomp_action = errno; under kill it
 * never gets to say. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	char line[256], link[256], path[64];
	gid_t groups[64];
	uid_t r, e, s;
	gid_t rg, eg, sg;
	struct rlimit rl;
	struct dirent *d;
	FILE *f;
	DIR *dp;
	int n, paused = 0;

	getresuid(&r, &e, &s);
	getresgid(&rg, &eg, &sg);
	printf("uid=%u,%u,%u\ngid=%u,%u,%u\ngroups=", r, e, s, rg, eg, sg);
	n = getgroups(64, groups);
	for (int i = 0; i < n; i++)
		printf("%s%u", i ? "," : "", groups[i]);
	printf("\n");
	f = fopen("/proc/self/status", "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "Cap", 3) || !strncmp(line, "NoNewPrivs:", 11) ||
		    !strncmp(line, "Seccomp:", 8) || !strncmp(line, "Umask:", 6) ||
		    !strncmp(line, "SigIgn:", 7) || !strncmp(line, "SigBlk:", 7)) {
			char key[32], val[64];
			if (sscanf(line, "%31[^:]:%63s", key, val) == 2)
				printf("%s=%s\n", key, val);
		}
	if (f)
		fclose(f);
	getrlimit(RLIMIT_MEMLOCK, &rl);
	printf("memlock=%llu,%llu\n", (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max);
	getrlimit(RLIMIT_CORE, &rl);
	printf("core=%llu,%llu\n", (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max);
	dp = opendir("/proc/self/fd");
	printf("fds=");
	for (int first = 1; dp && (d = readdir(dp));) {
		if (d->d_name[0] == '.' || atoi(d->d_name) == dirfd(dp))
			continue;
		printf("%s%s", first ? "" : ",", d->d_name);
		first = 0;
	}
	printf("\n");
	if (dp)
		closedir(dp);
	for (int fd = 0; fd < 16; fd++) {
		ssize_t k;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if ((k = readlink(path, link, sizeof(link) - 1)) > 0) {
			link[k] = '\0';
			printf("fd%d=%s\n", fd, strncmp(link, "socket:", 7) == 0 ? "socket" : link);
		}
	}
	if (getcwd(line, sizeof(line)))
		printf("cwd=%s\n", line);
	/* the controlling terminal: field 7 of /proc/self/stat, after the ')' that ends the name */
	f = fopen("/proc/self/stat", "r");
	if (f && fgets(line, sizeof(line), f)) {
		int tty = -1;
		char *p = strrchr(line, ')');
		if (p && sscanf(p + 1, " %*c %*d %*d %*d %d", &tty) == 1)
			printf("tty_nr=%d\n", tty);
	}
	if (f)
		fclose(f);
	printf("fd0_flags=%d\nfd2_flags=%d\n", fcntl(0, F_GETFL) & O_ACCMODE, fcntl(2, F_GETFL) & O_ACCMODE);
	for (char **v = environ; *v; v++)
		printf("env=%s\n", *v);
	for (int i = 0; i < argc; i++) {
		printf("argv=%s\n", argv[i]);
		paused |= strcmp(argv[i], "-S") == 0;
	}
	fflush(stdout);
	for (int i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], "-name") == 0 && strncmp(argv[i + 1], "guest=try-denied", 16) == 0) {
			long rc = syscall(SYS_acct, NULL);
			printf("denied=%s\n", rc == 0 ? "allowed" : errno == EPERM ? "EPERM" : strerror(errno));
			fflush(stdout);
		}
	while (paused)
		pause();
	return 0;
}
