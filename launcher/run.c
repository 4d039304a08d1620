/* SPDX-License-Identifier: GPL-2.0-or-later */
/* run.c - pcipass-run: start a VM with custom PCI devices passed through.
 *
 * launch() reads like SPEC's nine steps on the plan of plan.c; --dry-run runs steps 1, 2 and 4
 * and prints the plan; the command table dispatches the rest (--release: release.c, --attach
 * and --detach: hotplug.c, --status, --stop, --console: ops.c). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files.h"
#include "filter.h"
#include "hotplug.h"
#include "ops.h"
#include "plan.h"
#include "preflight.h"
#include "prepare.h"
#include "release.h"
#include "stats.h"

#define STOP_TIMEOUT 60 /* --stop's default: seconds the guest has to power down */
#define DETACH_TIMEOUT 30 /* --detach's default: seconds the guest has to let a device go */

/* systemd gives a service's stderr to the journal and says so in JOURNAL_STREAM: logging to
 * syslog as well would put every line there twice. */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat sb;

	return js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &sb) == 0 &&
	       sb.st_dev == dev && sb.st_ino == ino;
}

/* Whether syslog has a socket to take the lines: without /dev/log (a container, a rescue
 * shell) glibc's syslog() would try to connect, fail and try again at every line. Asked once. */
static bool syslog_socket(void)
{
	struct stat sb;

	return stat(_PATH_LOG, &sb) == 0 && S_ISSOCK(sb.st_mode);
}

/* The last word, an error: to syslog too (as every step), then out. */
static void NORETURN quit(const struct perr *e)
{
	if (say_syslog && e->msg[0])
		syslog(LOG_ERR, "%s", e->msg);
	die_perr(e);
}

/* The launch, SPEC's steps in order. A failure before the uid changes undoes what was done;
 * after it, the leases end with the QEMU process itself. */
static int launch(struct plan *p, const char *vm_ini, struct perr *e)
{
	static char path[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin"; /* the whole environment */
	char *const env[] = { path, NULL };
	unsigned long long memlock;
	char dir[512], uid[16], limit[32], cpus[256];
	const char *vm;
	bool kept;
	int fd;

	if (geteuid() != 0)
		return fail(e, EX_NOPERM, "must run as root (binds devices, then drops to the VM's user)");
	/* 1: every file read and checked; the state directory trusted; the VM's name ours */
	if (plan_read(p, vm_ini, e) < 0 || state_check(p->host.state_dir, e) < 0 ||
	    ident_resolve(&p->host, &p->vm, &p->user, e) < 0)
		return -1;
	vm = p->vm.name;
	fd = name_lock(p->host.state_dir, vm, p->vm.memory_mib, (int)p->vm.hotplug_slots, e);
	if (fd == -2)
		return fail(e, EX_UNAVAILABLE, "a VM named %s is running", vm);
	if (fd < 0)
		return -1;
	snprintf(dir, sizeof(dir), "%s/vms", p->host.state_dir);
	journal_lease(p, fd, dir, "", true); /* the name lease stays: it says who ran last */
	handover_find(&p->fds, FD_LOCK, 0)->src = fd;
	/* 2, 3, 4: devices selected and claimed (a lost race moves on to the next), checked in
	 * sysfs, their IOMMU groups checked; a launch that gets none stops here, cheaply */
	if (plan_devices(p, take, e) < 0 || plan_argv(p, e) < 0)
		goto undo;
	for (size_t i = 0; i < p->n_picks; i++)
		handover_find(&p->fds, FD_LOCK, 2 + (int)i)->src = p->j[p->claim_j[i]].fd;
	/* the VM's identity, whether it may run QEMU, its files and taps: all before any device
	 * is moved, so that none of these can fail with a device half-way */
	if ((fd = ident_lease(&p->host, vm, &p->user, &kept, e)) < 0)
		goto undo;
	if (ids_dir(p->host.state_dir, dir, sizeof(dir), e) < 0) {
		close(fd);
		goto undo;
	}
	snprintf(uid, sizeof(uid), "%u", (unsigned)p->user.uid);
	journal_lease(p, fd, dir, uid, kept);
	handover_find(&p->fds, FD_LOCK, 1)->src = fd;
	if (ident_can_exec(&p->user, p->host.qemu, e) < 0 || files_open(&p->host, &p->vm, &p->fds, e) < 0)
		goto undo;
	journal(p, J_FILES);
	if (roms_open(p, false, e) < 0)
		goto undo;
	say(vm, "planned: %zu device%s, %s uid %u", p->n_picks, p->n_picks == 1 ? "" : "s",
	    p->user.dynamic ? "dynamic" : p->user.name, (unsigned)p->user.uid);
	if (p->numa.note[0]) /* the node chosen, or why numa = prefer has none */
		say(vm, "%s", p->numa.note);
	/* the node's CPUs for this process, so for QEMU and every thread it makes (numa.h) */
	if (numa_bind_cpus(&p->numa, cpus, sizeof(cpus), e) < 0)
		goto undo;
	if (cpus[0])
		say(vm, "bound to node %d: CPUs %s", p->numa.node, cpus);
	/* 5: bind; 6: prepare */
	if (devices_bind(p, e) < 0 || endpoints(p, e) < 0 ||
	    limits_set(p->vm.memory_mib, p->n_picks > 0 || p->vm.hotplug_slots > 0, &memlock, e) < 0)
		goto undo;
	if (memlock != p->vm.memory_mib + 1024)
		say(vm, "warning: cannot raise RLIMIT_MEMLOCK (no CAP_SYS_RESOURCE); kept, as no device is passed through");
	if (memlock == ~0ULL)
		snprintf(limit, sizeof(limit), "unlimited");
	else
		snprintf(limit, sizeof(limit), "%llu MiB", memlock);
	/* what QEMU gets, read back: not what was asked for */
	say(vm, "QMP socket %s/vms/%s.qmp; memlock limit %s; exec %s as uid %u gid %u",
	    p->host.state_dir, vm, limit, p->argv.v[0], (unsigned)p->user.uid, (unsigned)p->user.gid);
	signals_reset();
	closelog();
	/* 7: drop privileges, the groups first (still undoable), then the uid: from there on
	 * there is no way back to root; the leases end with this process, and --release gives the
	 * devices back. 8: the seccomp filter, last before 9: exec. */
	if (detach(e) < 0 || fds_arrange(&p->fds, e) < 0 || privs_groups(&p->user, e) < 0)
		goto undo;
	if (privs_uid(&p->user, e) < 0 || seccomp_install(p->host.seccomp_action, e) < 0) {
		say(vm, "privileges dropped, cannot undo: run pcipass-run --release");
		return -1;
	}
	execve(p->argv.v[0], p->argv.v, env);
	fail_errno(e, EX_OSERR, "exec %s", p->argv.v[0]);
	say(vm, "%s; the devices stay on %s until pcipass-run --release", e->msg, p->host.vfio_driver);
	return -1;
undo:
	rollback(p);
	return -1;
}

/* --dry-run: the CPU, topology and firmware chosen, the memory map and why. */
static void show_guest(const struct plan *p, struct sbuf *b)
{
	const struct vm_config *v = &p->vm;

	sbuf_printf(b, "guest: cpu %s%s%s; ", v->cpu[0] ? v->cpu : strcmp(v->accel, "kvm") == 0 ? "host" : "max",
		    v->cpu[0] ? "" : " (the default with ", v->cpu[0] ? "" : strcmp(v->accel, "kvm") == 0 ? "kvm)" : "tcg)");
	if (v->sockets || v->cores || v->threads)
		sbuf_printf(b, "sockets %u x cores %u x threads %u; ", v->sockets ? v->sockets : 1,
			    v->cores ? v->cores : 1, v->threads ? v->threads : 1);
	if (strcmp(v->firmware, "uefi") == 0)
		sbuf_printf(b, "firmware uefi (OVMF %s, variables %s/%s.fd)\n", p->host.ovmf_code,
			    p->host.nvram_dir, v->name);
	else
		sbuf_printf(b, "firmware bios (SeaBIOS)\n");
	sbuf_printf(b, "memory map: %s\n", p->window.why);
}

/* --dry-run's plan for a human; u: the identity the VM would get, when resolved. */
static void show_plan(const struct plan *p, const struct vm_user *u, bool resolved, struct sbuf *b)
{
	sbuf_printf(b, "vm %s: user %s, %llu MiB (memlock limit %llu MiB), %u cpu%s, %s/%s, %zu device%s\n",
		    p->vm.name, p->vm.user[0] ? p->vm.user : p->host.run_as, p->vm.memory_mib,
		    p->vm.memory_mib + 1024, p->vm.cpus,
		    p->vm.cpus == 1 ? "" : "s", p->vm.machine, p->vm.accel, p->n_picks,
		    p->n_picks == 1 ? "" : "s");
	for (size_t i = 0; i < p->n_picks; i++) {
		const struct inv_device *d = p->picks[i].dev;
		const struct model *m = model_of(p, i);
		sbuf_printf(b, "  %s  %-16s %-8s numa %-2d group %-4d %s -> %s\n", d->addr, d->model,
			    d->dev_type, d->numa_node, d->iommu_group, d->driver[0] ? d->driver : "(none)",
			    p->host.vfio_driver);
		/* what its model (or its lead's functions = all) makes of it: the argv has the rest */
		if (p->goes_with[i][0])
			sbuf_printf(b, "    goes whole with the %s (functions = all)\n", p->goes_with[i]);
		if (m && m->reset_method[0])
			sbuf_printf(b, "    reset_method %s before binding (restored at --release)\n", m->reset_method);
		if (m && (m->rombar != ROMBAR_DEFAULT || m->romfile[0]))
			sbuf_printf(b, "    rom bar %s%s%s\n", m->rombar == ROMBAR_OFF ? "off" : "on",
				    m->romfile[0] ? ", romfile " : "", m->romfile);
	}
	if (p->numa.note[0])
		sbuf_printf(b, "%s\n", p->numa.note);
	show_guest(p, b);
	if (resolved) {
		sbuf_printf(b, "identity: uid %u, gid %u, groups", (unsigned)u->uid, (unsigned)u->gid);
		for (size_t i = 0; i < u->n_groups; i++)
			sbuf_printf(b, " %s(%u)", p->host.vm_groups[i], (unsigned)u->groups[i]);
		sbuf_printf(b, "%s\n", u->n_groups ? "" : " none");
	}
	sbuf_printf(b, "descriptors:\n");
	handover_show(&p->fds, b);
	sbuf_printf(b, "qemu:\n");
	argv_show(&p->argv, b);
}

/* --dry-run --json: one document. planned: the plan was made (else devices, descriptors and
 * argv are empty, and the one problem is why). */
static void show_json(const struct plan *p, bool planned, const struct vm_user *u, bool resolved,
		      const struct problems *ps, struct sbuf *b)
{
	sbuf_printf(b, "{\"vm\": ");
	json_str(b, p->vm.name);
	sbuf_printf(b, ", \"user\": ");
	json_str(b, p->vm.user[0] ? p->vm.user : p->host.run_as);
	if (resolved)
		sbuf_printf(b, ", \"uid\": %u, \"gid\": %u", (unsigned)u->uid, (unsigned)u->gid);
	else
		sbuf_printf(b, ", \"uid\": null, \"gid\": null");
	sbuf_printf(b, ", \"memory_mib\": %llu, \"memlock_mib\": %llu, \"cpus\": %u, \"machine\": ",
		    p->vm.memory_mib, p->vm.memory_mib + 1024, p->vm.cpus);
	json_str(b, p->vm.machine);
	sbuf_printf(b, ", \"accel\": ");
	json_str(b, p->vm.accel);
	sbuf_printf(b, ", \"firmware\": ");
	json_str(b, p->vm.firmware);
	sbuf_printf(b, ", \"pci_hole64\": ");
	if (planned) { /* the window (bytes) QEMU gets; set: not its default */
		sbuf_printf(b, "{\"bytes\": %llu, \"set\": %s, \"why\": ", (unsigned long long)p->window.size,
			    p->window.hole64 ? "true" : "false");
		json_str(b, p->window.why);
		sbuf_printf(b, "}");
	} else {
		sbuf_printf(b, "null");
	}
	sbuf_printf(b, ", \"devices\": [");
	for (size_t i = 0; planned && i < p->n_picks; i++) {
		const struct inv_device *d = p->picks[i].dev;
		sbuf_printf(b, "%s{\"address\": ", i ? ", " : "");
		json_str(b, d->addr);
		sbuf_printf(b, ", \"model\": ");
		json_str(b, d->model);
		sbuf_printf(b, ", \"dev_type\": ");
		json_str(b, d->dev_type);
		sbuf_printf(b, ", \"numa_node\": %d, \"iommu_group\": %d, \"driver\": ", d->numa_node,
			    d->iommu_group);
		if (d->driver[0])
			json_str(b, d->driver);
		else
			sbuf_printf(b, "null");
		sbuf_printf(b, ", \"to\": ");
		json_str(b, p->host.vfio_driver);
		sbuf_printf(b, ", \"goes_with\": ");
		if (p->goes_with[i][0])
			json_str(b, p->goes_with[i]);
		else
			sbuf_printf(b, "null");
		sbuf_printf(b, "}");
	}
	sbuf_printf(b, "], \"numa\": {\"policy\": ");
	json_str(b, p->vm.numa[0] ? p->vm.numa : "any");
	if (planned && p->numa.node >= 0)
		sbuf_printf(b, ", \"node\": %d", p->numa.node);
	else
		sbuf_printf(b, ", \"node\": null");
	sbuf_printf(b, ", \"fell_back\": %s, \"hugepages\": ", planned && p->numa.fell_back ? "true" : "false");
	if (p->vm.hugepage_mib)
		json_str(b, p->vm.hugepage_mib == 2 ? "2M" : "1G");
	else
		sbuf_printf(b, "null");
	sbuf_printf(b, ", \"pages\": %llu, \"note\": ", planned ? p->numa.pages : 0);
	json_str(b, planned ? p->numa.note : "");
	sbuf_printf(b, "}");
	sbuf_printf(b, ", \"descriptors\": [");
	for (size_t i = 0; planned && i < p->fds.n; i++) {
		const struct fd_entry *f = &p->fds.e[i];
		sbuf_printf(b, "%s{\"fd\": %d, \"kind\": \"%s\", \"rdonly\": %s, \"fdset\": ", i ? ", " : "",
			    f->target, handover_kind(f->kind), f->rdonly ? "true" : "false");
		if (f->fdset >= 0)
			sbuf_printf(b, "%d", f->fdset);
		else
			sbuf_printf(b, "null");
		sbuf_printf(b, ", \"why\": ");
		json_str(b, f->why);
		sbuf_printf(b, "}");
	}
	sbuf_printf(b, "], \"argv\": [");
	for (size_t i = 0; planned && i < p->argv.n; i++) {
		sbuf_printf(b, "%s", i ? ", " : "");
		json_str(b, p->argv.v[i]);
	}
	sbuf_printf(b, "], \"problems\": [");
	for (size_t i = 0; i < ps->n; i++) {
		sbuf_printf(b, "%s{\"status\": %d, \"message\": ", i ? ", " : "", ps->p[i].code);
		json_str(b, ps->p[i].msg);
		sbuf_printf(b, "}");
	}
	sbuf_printf(b, "], \"ok\": %s}\n", ps->n == 0 ? "true" : "false");
}

/* --dry-run: SPEC steps 1, 2 and 4, then the preflight (preflight.c), nothing changed. The
 * plan and QEMU's argv on stdout (or one JSON document), every problem on stderr, one line
 * each; the status is the first problem's. A vm.ini that cannot be read, or devices that cannot
 * be planned, are one line as before (and in the JSON document, once vm.ini was read). */
static int dry_run(struct plan *p, const char *vm_ini, bool json, struct perr *e)
{
	static struct problems ps; /* 25 KB: not on the stack */
	struct vm_user u;
	struct sbuf b = { 0 };
	bool resolved = false, planned;

	if (plan_read(p, vm_ini, e) < 0)
		return -1;
	planned = plan_devices(p, NULL, e) == 0 && plan_argv(p, e) == 0;
	if (!planned && !json)
		return -1;
	memset(&ps, 0, sizeof(ps));
	memset(&u, 0, sizeof(u));
	if (planned)
		preflight(&p->host, &p->vm, p->n_picks, &u, &resolved, &ps);
	else
		problem_add(&ps, e);
	if (planned && geteuid() == 0 && roms_open(p, true, e) < 0) /* the ROMs, opened and let go */
		problem_add(&ps, e);
	if (json)
		show_json(p, planned, &u, resolved, &ps, &b);
	else
		show_plan(p, &u, resolved, &b);
	if (b.oom || fwrite(b.p, 1, b.len, stdout) != b.len || fflush(stdout) != 0)
		stdout_die();
	sbuf_free(&b);
	for (size_t i = 0; i < ps.n; i++) /* messages are escaped (fail()) */
		if (planned)
			fprintf(stderr, "%s: vm %s: %s\n", progname, p->vm.name, ps.p[i].msg);
		else
			fprintf(stderr, "%s: %s\n", progname, ps.p[i].msg);
	if (ps.lost)
		fprintf(stderr, "%s: vm %s: and %zu more problems\n", progname, p->vm.name, ps.lost);
	e->code = problems_status(&ps);
	e->msg[0] = '\0'; /* each has had its line */
	return e->code ? -1 : 0;
}

/* The command line, once parsed: what the commands below get. */
struct cmdline {
	struct plan *p;
	char **args;
	int n_args;
	bool json;
	unsigned timeout;  /* --timeout S; 0: the command's default */
};

static int cmd_launch(struct cmdline *c, struct perr *e)
{
	return launch(c->p, c->args[0], e);
}

static int cmd_dry_run(struct cmdline *c, struct perr *e)
{
	return dry_run(c->p, c->args[0], c->json, e);
}

static int cmd_release(struct cmdline *c, struct perr *e)
{
	return release(&c->p->host, c->args, c->n_args, e);
}

static int cmd_status(struct cmdline *c, struct perr *e)
{
	return op_status(&c->p->host, c->n_args ? c->args[0] : NULL, c->json, e);
}

static int cmd_stop(struct cmdline *c, struct perr *e)
{
	return op_stop(&c->p->host, c->args[0], c->timeout ? c->timeout : STOP_TIMEOUT, c->json, e);
}

static int cmd_attach(struct cmdline *c, struct perr *e)
{
	return attach(c->p, c->args[0], c->args[1], e);
}

static int cmd_detach(struct cmdline *c, struct perr *e)
{
	return detach_dev(c->p, c->args[0], c->args[1], c->timeout ? c->timeout : DETACH_TIMEOUT, e);
}

static int cmd_console(struct cmdline *c, struct perr *e)
{
	return op_console(&c->p->host, c->args[0], e);
}

/* What pcipass-run can do: the usage text, the option parser and the argument checks come from
 * this table (vmctl's ctl_commands); launch is the command of no option. */
enum { OPT_STATUS = 256, OPT_STOP, OPT_CONSOLE, OPT_ATTACH, OPT_DETACH, OPT_JSON, OPT_TIMEOUT, OPT_VERSION };
static const struct command {
	int opt;              /* its option (0: none, the launch) */
	const char *name;     /* the option's long name */
	int (*fn)(struct cmdline *c, struct perr *e);
	bool json;            /* takes --json */
	bool timeout;         /* takes --timeout */
	int min_args, max_args;
	const char *args, *help;
} commands[] = {
	{ 0, NULL, cmd_launch, false, false, 1, 1, "VM.INI",
	  "start the VM: claim and bind its devices, drop privileges, exec QEMU" },
	{ 'n', "dry-run", cmd_dry_run, true, false, 1, 1, "VM.INI",
	  "check everything a launch needs, change nothing; print the plan and QEMU's argv" },
	{ 'r', "release", cmd_release, false, false, 0, VM_DEV_MAX, "[ADDR...]",
	  "give devices whose VM is gone back to their original driver" },
	{ OPT_STATUS, "status", cmd_status, true, false, 0, 1, "[NAME]",
	  "the live VMs (or one): pid, uptime, uid, memory, devices, sockets; and the unreleased" },
	{ OPT_STOP, "stop", cmd_stop, true, true, 1, 1, "NAME",
	  "ACPI power-down, wait --timeout S (default 60), then quit, then kill" },
	{ OPT_CONSOLE, "console", cmd_console, false, false, 1, 1, "NAME",
	  "attach to the VM's serial console (serial = socket); Ctrl-] detaches" },
	{ OPT_ATTACH, "attach", cmd_attach, false, false, 2, 2, "NAME MODEL|ADDR",
	  "hot-plug a free device into a running VM's spare port (hotplug_slots)" },
	{ OPT_DETACH, "detach", cmd_detach, false, true, 2, 2, "NAME ADDR",
	  "hot-unplug a device (wait --timeout S, default 30), then give it back" },
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *to)
{
	fprintf(to, "usage: pcipass-run [-c FILE] VM.INI\n");
	for (size_t i = 1; i < N_COMMANDS; i++)
		fprintf(to, "       pcipass-run [-c FILE] --%s%s%s %s\n", commands[i].name,
			commands[i].timeout ? " [--timeout S]" : "", commands[i].json ? " [--json]" : "",
			commands[i].args);
	fprintf(to, "  -c, --config FILE  host configuration (default " DEFAULT_CONFIG ")\n");
	for (size_t i = 0; i < N_COMMANDS; i++) {
		char opt[32];

		if (commands[i].opt == 0)
			snprintf(opt, sizeof(opt), "%s", commands[i].args);
		else if (commands[i].opt < 256)
			snprintf(opt, sizeof(opt), "-%c, --%s", commands[i].opt, commands[i].name);
		else
			snprintf(opt, sizeof(opt), "    --%s", commands[i].name);
		fprintf(to, "  %-17s  %s\n", opt, commands[i].help);
	}
	fprintf(to, "      --json         output for scripts (where the command says [--json])\n"
		    "      --timeout S    seconds to wait (where the command says [--timeout S])\n"
		    "  -h, --help, --version\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },  { "dry-run", no_argument, NULL, 'n' },
		{ "release", no_argument, NULL, 'r' },       { "status", no_argument, NULL, OPT_STATUS },
		{ "stop", no_argument, NULL, OPT_STOP },     { "console", no_argument, NULL, OPT_CONSOLE },
		{ "attach", no_argument, NULL, OPT_ATTACH }, { "detach", no_argument, NULL, OPT_DETACH },
		{ "json", no_argument, NULL, OPT_JSON },     { "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "help", no_argument, NULL, 'h' },          { "version", no_argument, NULL, OPT_VERSION },
		{ 0 },
	};
	const char *config = DEFAULT_CONFIG;
	const struct command *cmd = &commands[0];
	/* static: zero without a memset, and only the pages a run touches are ever faulted in
	 * (300 KB, most of it room for devices a launch does not have: issue 13) */
	static struct plan p;
	struct cmdline c = { .p = &p };
	struct perr e = { 0 };
	bool explicit = false, timeout = false;
	const char *why;
	long long secs;
	char b[128];
	int ch;

	progname = "pcipass-run";

	stdio_ensure();
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":c:nrh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': config = optarg; explicit = true; continue;
		case OPT_JSON: c.json = true; continue;
		case OPT_TIMEOUT:
			if (parse_ll(optarg, 10, 1, 86400, &secs, &why) < 0)
				die(EX_USAGE, "--timeout \"%s\": %s; expected seconds, 1 to 86400",
				    shown(optarg, b), why);
			c.timeout = (unsigned)secs;
			timeout = true;
			continue;
		case 'h': usage(stdout); return 0;
		case OPT_VERSION: printf("pcipass-run %s\n", PCIPASS_VERSION); return 0;
		case ':': case '?': die_getopt(ch, argc, argv);
		}
		for (size_t i = 1; i < N_COMMANDS; i++) {
			if (commands[i].opt != ch)
				continue;
			if (cmd != &commands[0] && cmd != &commands[i])
				die(EX_USAGE, "--%s and --%s do not go together (try --help)", cmd->name,
				    commands[i].name);
			cmd = &commands[i];
		}
	}
	c.args = argv + optind;
	c.n_args = argc - optind;
	if (c.json && !cmd->json)
		die(EX_USAGE, "--json goes with %s (try --help)", "--dry-run, --status and --stop");
	if (timeout && !cmd->timeout)
		die(EX_USAGE, "--timeout goes with --stop and --detach (try --help)");
	if (c.n_args < cmd->min_args || c.n_args > cmd->max_args) {
		if (strcmp(cmd->args, "VM.INI") == 0)
			die(EX_USAGE, "expected one VM definition (try --help)");
		die(EX_USAGE, "--%s takes %s (try --help)", cmd->name, cmd->args);
	}
	say_syslog = !isatty(STDERR_FILENO) && !stderr_is_journal() && syslog_socket();
	if (say_syslog)
		openlog("pcipass-run", LOG_PID, LOG_DAEMON);
	if (config_load(config, explicit, &p.host, &e) < 0)
		quit(&e);
	if (cmd->fn(&c, &e) < 0) {
		/* for pcipass-probe --prom: pcipass_launch_failures_total (best effort) */
		if (cmd->fn == cmd_launch && geteuid() == 0)
			(void)!stats_bump(p.host.state_dir, "launch_failures");
		plan_free(&p);
		if (e.msg[0])
			quit(&e);
		exit(e.code); /* each failure has had its line (--release, one per device) */
	}
	plan_free(&p);
	return 0;
}
