/* run.c - pcipass-run: start a VM with custom PCI devices passed through.
 *
 * Built so far: the plan (SPEC steps 1, 2 and 4, printed by --dry-run) and the launch of a VM
 * without passthrough devices (steps 6 to 9). Claiming and binding devices (3 and 5) and
 * --release come next; until then a VM asking for devices is refused before anything changes. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "argv.h"
#include "claim.h"
#include "config.h"
#include "inventory.h"
#include "filter.h"
#include "model.h"
#include "prepare.h"
#include "select.h"
#include "vmconf.h"

static void usage(FILE *to)
{
	fprintf(to, "usage: pcipass-run [-c FILE] [--dry-run] VM.INI\n"
		    "  -c, --config FILE  host configuration (default " DEFAULT_CONFIG ")\n"
		    "  -n, --dry-run      check everything, change nothing, print the plan and QEMU's argv\n"
		    "  -h, --help, --version\n");
}

struct plan {
	struct host_config host;
	struct model_set models;
	struct inventory inv;
	struct vm_config vm;
	struct claim_info *claims;
	bool *busy;
	struct pick picks[VM_DEV_MAX];
	size_t n_picks;
	struct argv argv;
};

static void plan_free(struct plan *p)
{
	models_free(&p->models);
	inventory_free(&p->inv);
	free(p->claims);
	free(p->busy);
	argv_free(&p->argv);
}

/* SPEC steps 1, 2 and 4: read and check every file, select devices, check their groups. */
static int plan_launch(struct plan *p, const char *vm_ini, struct perr *e)
{
	char addrs[VM_DEV_MAX][PCI_ADDR_LEN];

	if (vm_load(vm_ini, &p->host, &p->vm, e) < 0)
		return -1;
	/* models and inventory matter to a VM that asks for devices; one without may start on a
	 * host never probed */
	if (p->vm.n_req > 0 && (models_load(p->host.models_dir, true, &p->models, e) < 0 ||
				inventory_load(p->host.inventory, &p->inv, e) < 0))
		return -1;
	if (p->host.disable_custom_device && p->vm.n_req > 0)
		return fail(e, EX_UNAVAILABLE, "custom devices are disabled on this host (disable_custom_device)");
	for (size_t i = 0; i < p->vm.n_req; i++)
		if (p->vm.req[i].model[0] && !models_find(&p->models, p->vm.req[i].model))
			return fail(e, EX_DATAERR, "%s:%d: no model named %s (see pcipass-model list)",
				    p->vm.file, p->vm.req[i].line, p->vm.req[i].model);
	if ((p->claims = claims_of(p->host.state_dir, &p->inv, e)) == NULL)
		return -1;
	if ((p->busy = calloc(p->inv.n ? p->inv.n : 1, sizeof(*p->busy))) == NULL)
		return fail_errno(e, EX_OSERR, "plan");
	for (size_t i = 0; i < p->inv.n; i++)
		p->busy[i] = p->claims[i].held;
	if (select_devices(&p->inv, p->busy, &p->vm, NULL, NULL, p->picks, &p->n_picks, e) < 0)
		return -1;
	for (size_t i = 0; i < p->n_picks; i++) {
		const struct inv_device *d = p->picks[i].dev;
		struct group_member *m = NULL;
		size_t n = 0;
		int r = d->iommu_group < 0 ? 0 : group_read(p->host.sysfs_root, d->iommu_group, &m, &n, e);

		if (r == 0)
			r = group_check(d->addr, d->iommu_group, m, n, p->picks, p->n_picks,
					p->host.vfio_driver, e);
		free(m);
		if (r < 0)
			return -1;
		strcpy(addrs[i], d->addr);
	}
	return qemu_argv(&p->host, &p->vm, (const char(*)[PCI_ADDR_LEN])addrs, p->n_picks, &p->argv, e);
}

static bool to_syslog;

/* Every step, with the VM's name: on stderr, and in syslog when stderr is not a terminal. */
static void say(const char *vm, const char *fmt, ...) PRINTF(2, 3);
static void say(const char *vm, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "pcipass-run: vm %s: %s\n", vm, msg);
	if (to_syslog)
		syslog(LOG_INFO, "vm %s: %s", vm, msg);
}

/* The launch, SPEC's steps in order. A failure before the exec undoes what was done; after
 * it, the name lock (and the claims) end with the QEMU process itself. */
static int launch(struct plan *p, const char *vm_ini, struct perr *e)
{
	static char path[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin"; /* the whole environment */
	char *const env[] = { path, NULL };
	const char *vm;
	struct vm_user u;
	bool kept;
	int name, qmp;

	if (geteuid() != 0)
		return fail(e, EX_NOPERM, "must run as root (binds devices, then drops to the VM's user)");
	/* 1, 2, 4: every file read and checked, devices selected, their IOMMU groups checked */
	if (plan_launch(p, vm_ini, e) < 0)
		return -1;
	vm = p->vm.name;
	say(vm, "planned: %zu device%s, user %s", p->n_picks, p->n_picks == 1 ? "" : "s", p->vm.user);
	/* 3, 5: claiming and binding devices are the launcher's next step */
	if (p->n_picks > 0)
		return fail(e, EX_UNAVAILABLE,
			    "%s: passing devices through is not built yet (claims and vfio-pci binding come next); "
			    "only VMs without [devices] start", p->vm.file);
	/* 6: prepare */
	if (user_resolve(p->vm.user, p->host.allow_root_vm, &u, e) < 0)
		return -1;
	name = name_lock(p->host.state_dir, vm, e);
	if (name == -2)
		return fail(e, EX_UNAVAILABLE, "a VM named %s is running", vm);
	if (name < 0)
		return -1;
	qmp = qmp_listen(p->host.state_dir, vm, &u, e);
	if (qmp < 0) {
		close(name);
		return -1;
	}
	if (limits_set(p->vm.memory_mib, p->n_picks > 0, &kept, e) < 0) {
		close(qmp);
		close(name);
		return -1;
	}
	signals_reset();
	if (kept)
		say(vm, "warning: cannot raise RLIMIT_MEMLOCK (no CAP_SYS_RESOURCE); kept, as no device is passed through");
	say(vm, "QMP socket %s/vms/%s.qmp; memlock limit %llu MiB; exec %s as %s (uid %u)",
	    p->host.state_dir, vm, p->vm.memory_mib + 1024, p->argv.v[0], u.name, (unsigned)u.uid);
	closelog();
	if (fds_arrange(qmp, &name, 1, e) < 0)
		return -1;
	/* 7: drop privileges; 8: the seccomp filter, last before 9: exec */
	if (privs_drop(&u, e) < 0 || seccomp_install(p->host.seccomp_action, e) < 0)
		return -1;
	execve(p->argv.v[0], p->argv.v, env);
	return fail_errno(e, EX_OSERR, "exec %s", p->argv.v[0]);
}

static void show_plan(const struct plan *p, struct sbuf *b)
{
	sbuf_printf(b, "vm %s: user %s, %llu MiB (memlock limit %llu MiB), %u cpu%s, %s/%s, %zu device%s\n",
		    p->vm.name, p->vm.user, p->vm.memory_mib, p->vm.memory_mib + 1024, p->vm.cpus,
		    p->vm.cpus == 1 ? "" : "s", p->vm.machine, p->vm.accel, p->n_picks,
		    p->n_picks == 1 ? "" : "s");
	for (size_t i = 0; i < p->n_picks; i++) {
		const struct inv_device *d = p->picks[i].dev;
		sbuf_printf(b, "  %s  %-16s %-8s numa %-2d group %-4d %s -> %s\n", d->addr, d->model,
			    d->dev_type, d->numa_node, d->iommu_group, d->driver[0] ? d->driver : "(none)",
			    p->host.vfio_driver);
	}
	sbuf_printf(b, "qemu:\n");
	argv_show(&p->argv, b);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' }, { "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },         { "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	const char *config = DEFAULT_CONFIG;
	bool explicit = false, dry = false;
	struct plan p = { 0 };
	struct sbuf b = { 0 };
	struct perr e = { 0 };
	int ch;

	progname = "pcipass-run";
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":c:nh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': config = optarg; explicit = true; break;
		case 'n': dry = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("pcipass-run %s\n", PCIPASS_VERSION); return 0;
		default: die_getopt(ch, argc, argv);
		}
	}
	if (argc - optind != 1)
		die(EX_USAGE, "expected one VM definition (try --help)");
	to_syslog = !isatty(STDERR_FILENO);
	if (to_syslog)
		openlog("pcipass-run", LOG_PID, LOG_DAEMON);
	if (config_load(config, explicit, &p.host, &e) < 0) {
		plan_free(&p);
		die_perr(&e);
	}
	if (!dry) {
		launch(&p, argv[optind], &e);
		plan_free(&p);
		die_perr(&e); /* the exec did not happen */
	}
	if (plan_launch(&p, argv[optind], &e) < 0) {
		plan_free(&p);
		die_perr(&e);
	}
	show_plan(&p, &b);
	plan_free(&p);
	if (b.oom || fwrite(b.p, 1, b.len, stdout) != b.len || fflush(stdout) != 0)
		die(EX_IOERR, "cannot write to standard output");
	sbuf_free(&b);
	return 0;
}
