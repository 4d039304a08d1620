/* run.c - pcipass-run: start a VM with custom PCI devices passed through.
 *
 * This milestone plans a launch (SPEC steps 1, 2 and 4) and prints it with --dry-run; the
 * steps that change the host (claim, bind, prepare, drop privileges, seccomp, exec) come next. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argv.h"
#include "claim.h"
#include "config.h"
#include "inventory.h"
#include "model.h"
#include "select.h"
#include "vmconf.h"

static void usage(FILE *to)
{
	fprintf(to, "usage: pcipass-run [-c FILE] --dry-run VM.INI\n"
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

	if (models_load(p->host.models_dir, true, &p->models, e) < 0 ||
	    inventory_load(p->host.inventory, &p->inv, e) < 0 ||
	    vm_load(vm_ini, &p->host, &p->vm, e) < 0)
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
	while ((ch = getopt_long(argc, argv, "c:nh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': config = optarg; explicit = true; break;
		case 'n': dry = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("pcipass-run %s\n", PCIPASS_VERSION); return 0;
		default: die(EX_USAGE, "unknown option or missing argument in \"%s\" (try --help)", argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		die(EX_USAGE, "expected one VM definition (try --help)");
	if (!dry)
		die(EX_UNAVAILABLE, "launching is not built yet: only --dry-run is (see launcher/README.md)");
	if (config_load(config, explicit, &p.host, &e) < 0 || plan_launch(&p, argv[optind], &e) < 0) {
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
