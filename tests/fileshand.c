/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fileshand.c - test driver for launcher/files.c with the real QEMU (tests/t-files.sh).
 *   fileshand CONFIG VM.INI UID
 * What pcipass-run does with a vm.ini's files and taps, and nothing else (no device, no
 * lease, no filter): both files read by the project's parsers, the hand-over table planned,
 * the QMP and console sockets bound as root, /dev/null for the leases, files_open, QEMU's argv
 * (printed on stderr with the table), fds_arrange, then UID:UID with no supplementary group,
 * cwd /, and exec. */
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "argv.h"
#include "files.h"
#include "prepare.h"

int main(int argc, char **argv)
{
	static struct host_config host;
	static struct vm_config vm;
	static struct handover h;
	struct sbuf b = { 0 };
	struct argv a;
	struct perr e = { 0 };
	char path[512];
	long long id;
	const char *why;

	progname = "fileshand";
	if (argc != 4 || parse_ll(argv[3], 10, 1, 0xfffffffe, &id, &why) < 0)
		die(EX_USAGE, "usage: fileshand CONFIG VM.INI UID");
	if (config_load(argv[1], true, &host, &e) < 0 || vm_load(argv[2], &host, &vm, &e) < 0)
		die_perr(&e);
	handover_plan(&vm, 0, &h);
	for (size_t i = 0; i < h.n; i++) {
		struct fd_entry *f = &h.e[i];
		if (f->kind == FD_LOCK)
			f->src = open("/dev/null", O_RDONLY | O_CLOEXEC);
		else if (f->kind == FD_QMP || f->kind == FD_CONSOLE)
			if (vms_path(path, sizeof(path), host.state_dir, vm.name,
				     f->kind == FD_QMP ? "qmp" : "console", &e) < 0 ||
			    (f->src = sock_listen(path, &e)) < 0)
				die_perr(&e);
	}
	if (files_open(&host, &vm, &h, &e) < 0 || qemu_argv(&host, &vm, NULL, 0, &h, NULL, &a, &e) < 0)
		die_perr(&e);
	handover_show(&h, &b);
	argv_show(&a, &b);
	fprintf(stderr, "%s", b.p ? b.p : "");
	if (fds_arrange(&h, &e) < 0)
		die_perr(&e);
	if (chdir("/") < 0 || setgroups(0, NULL) < 0 || setresgid((gid_t)id, (gid_t)id, (gid_t)id) < 0 ||
	    setresuid((uid_t)id, (uid_t)id, (uid_t)id) < 0)
		die(EX_OSERR, "cannot become %lld", id);
	execv(a.v[0], a.v);
	die(EX_OSERR, "cannot exec %s", a.v[0]);
}
