/* SPDX-License-Identifier: GPL-2.0-or-later */
/* affprobe.c - LD_PRELOAD into a real QEMU (tests/t-numa.sh): once QEMU's own -sandbox is in
 * place (a second seccomp filter, or the first when run bare), a thread of QEMU tries to move
 * itself to another CPU, as a compromised QEMU undoing pcipass-run's binding would, and writes
 * what sched_setaffinity returned to $AFFPROBE_OUT. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The number of seccomp filters on this process (Seccomp_filters in /proc/self/status). */
static int filters(void)
{
	char line[256];
	int n = -1;
	FILE *f = fopen("/proc/self/status", "re");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Seccomp_filters: %d", &n) == 1)
			break;
	fclose(f);
	return n;
}

static void *probe(void *arg)
{
	const char *out = arg;
	cpu_set_t set;
	FILE *f;
	int r, before = filters(), err;

	for (int i = 0; i < 200 && filters() <= before; i++) /* QEMU's sandbox, within 20 s */
		usleep(100 * 1000);
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	r = sched_setaffinity(0, sizeof(set), &set);
	err = errno;
	if ((f = fopen(out, "we")) == NULL)
		return NULL;
	fprintf(f, "filters=%d sched_setaffinity=%s\n", filters(), r == 0 ? "0" : strerror(err));
	fclose(f);
	return NULL;
}

__attribute__((constructor)) static void start(void)
{
	const char *out = getenv("AFFPROBE_OUT");
	pthread_t t;

	if (out && *out && pthread_create(&t, NULL, probe, strdup(out)) == 0)
		pthread_detach(t);
}
