/* run.c - pcipass-run: start a VM with custom PCI devices passed through.
 *
 * launch() reads like SPEC's nine steps; --dry-run runs steps 1, 2 and 4 and prints the plan;
 * --release gives back the devices of VMs that are gone. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/stat.h>
#include <unistd.h>

#include "argv.h"
#include "bind.h"
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
		    "       pcipass-run [-c FILE] --release [ADDR...]\n"
		    "  -c, --config FILE  host configuration (default " DEFAULT_CONFIG ")\n"
		    "  -n, --dry-run      check everything, change nothing, print the plan and QEMU's argv\n"
		    "  -r, --release      give devices whose VM is gone back to their original driver\n"
		    "  -h, --help, --version\n");
}

/* What the launch did to one device, so that it can be undone: held[i] is picks[i]. */
struct held {
	int fd;                  /* the claim, locked */
	char path[512];
	char was[DRIVER_MAX];    /* its driver when claimed: where an undo puts it back */
	char orig[DRIVER_MAX];   /* in the claim: where --release puts it */
	bool inherited;          /* a dead VM's claim, never released: it stays */
	bool bind_tried, handed;
};

struct plan {
	struct host_config host;
	struct model_set models;
	struct inventory inv;
	struct vm_config vm;
	struct claim_info *claims;
	bool *busy;
	struct pick picks[VM_DEV_MAX];
	size_t n_picks;
	struct held held[VM_DEV_MAX];
	size_t n_held;
	struct vm_user user;
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

static bool to_syslog;

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

/* An error that does not end the run (--release goes on with the other devices). */
static void complain(const struct perr *e)
{
	fprintf(stderr, "%s: %s\n", progname, e->msg);
	if (to_syslog)
		syslog(LOG_ERR, "%s", e->msg);
}

/* The last word, an error: to syslog too (as every step), then out. */
static void NORETURN quit(const struct perr *e)
{
	if (to_syslog && e->msg[0])
		syslog(LOG_ERR, "%s", e->msg);
	die_perr(e);
}

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

/* SPEC step 1: every file read and checked. */
static int plan_read(struct plan *p, const char *vm_ini, struct perr *e)
{
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
	return 0;
}

/* SPEC steps 2 to 4: devices selected (and claimed, with claim; NULL for --dry-run), checked
 * again in sysfs, their IOMMU groups checked; then QEMU's argv. */
static int plan_devices(struct plan *p, claim_fn claim, struct perr *e)
{
	char addrs[VM_DEV_MAX][PCI_ADDR_LEN];

	if ((p->claims = claims_of(p->host.state_dir, &p->inv, e)) == NULL)
		return -1;
	if ((p->busy = calloc(p->inv.n ? p->inv.n : 1, sizeof(*p->busy))) == NULL)
		return fail_errno(e, EX_OSERR, "plan");
	for (size_t i = 0; i < p->inv.n; i++)
		p->busy[i] = p->claims[i].held;
	if (select_devices(&p->inv, p->busy, &p->vm, claim, p, p->picks, &p->n_picks, e) < 0)
		return -1;
	for (size_t i = 0; i < p->n_picks; i++) {
		const struct inv_device *d = p->picks[i].dev;

		if (config_excluded(&p->host, d->addr))
			return fail(e, EX_DATAERR, "%s: %s is excluded by %s; run pcipass-probe",
				    p->host.inventory, d->addr, p->host.file);
		if (device_recheck(p->host.sysfs_root, p->host.inventory, d, e) < 0)
			return -1;
	}
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

/* SPEC step 3, for select_devices: claim d, or lose the race for it (1). Recorded in held[]
 * as soon as the lock is ours, so that the undo sees it. */
static int take(void *user, const struct inv_device *d, struct perr *e)
{
	struct plan *p = user;
	struct held *h = &p->held[p->n_held];
	struct claim_info old;
	int fd = claim_lock(p->host.state_dir, d->addr, &old, h->path, sizeof(h->path), e);

	if (fd < 0)
		return fd == -2 ? 1 : -1;
	h->fd = fd;
	h->inherited = old.exists && !old.unreadable;
	p->n_held++;
	if (driver_of(p->host.sysfs_root, d->addr, h->was, e) < 0)
		return -1;
	strcpy(h->orig, h->inherited ? old.orig_driver : h->was);
	return claim_write(fd, h->path, p->vm.name, h->orig, d->model, e);
}

/* Undo steps 3 to 6 in reverse, going on through failures. A device that cannot be given back
 * keeps its (now unheld) claim, so that --release can try again. */
static void rollback(struct plan *p)
{
	const char *vfio = p->host.vfio_driver;

	for (size_t i = p->n_held; i-- > 0;) {
		struct held *h = &p->held[i];
		const struct inv_device *d = i < p->n_picks ? p->picks[i].dev : NULL;
		struct perr e = { 0 };
		bool back = true;

		if (h->handed)
			vfio_takeback(p->host.dev_root, d->iommu_group);
		if (h->bind_tried && strcmp(h->was, vfio) != 0 &&
		    unbind_vfio(p->host.sysfs_root, d->addr, vfio, h->was, &e) < 0) {
			say(p->vm.name, "%s: not given back (%s); its claim stays for pcipass-run --release",
			    d->addr, e.msg);
			back = false;
		} else if (h->bind_tried) {
			say(p->vm.name, "%s: given back to %s", d->addr, h->was[0] ? h->was : "no driver");
		}
		if (back && !h->inherited)
			unlink(h->path);
		close(h->fd);
	}
	p->n_held = 0;
}

/* The launch, SPEC's steps in order. A failure before the exec undoes what was done; after
 * it, the name lock and the claims end with the QEMU process itself. */
static int launch(struct plan *p, const char *vm_ini, struct perr *e)
{
	static char path[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin"; /* the whole environment */
	char *const env[] = { path, NULL };
	int keep[1 + VM_DEV_MAX], name = -1, qmp = -1;
	const char *vm;
	bool kept;

	if (geteuid() != 0)
		return fail(e, EX_NOPERM, "must run as root (binds devices, then drops to the VM's user)");
	/* 1: every file read and checked; the VM's user and name are ours before any device */
	if (plan_read(p, vm_ini, e) < 0 || user_resolve(p->vm.user, p->host.allow_root_vm, &p->user, e) < 0)
		return -1;
	vm = p->vm.name;
	name = name_lock(p->host.state_dir, vm, e);
	if (name == -2)
		return fail(e, EX_UNAVAILABLE, "a VM named %s is running", vm);
	if (name < 0)
		return -1;
	/* 2, 3, 4: devices selected and claimed (a lost race moves on to the next), checked in
	 * sysfs, their IOMMU groups checked */
	if (plan_devices(p, take, e) < 0)
		goto undo;
	say(vm, "planned: %zu device%s, user %s", p->n_picks, p->n_picks == 1 ? "" : "s", p->vm.user);
	/* 5: bind */
	for (size_t i = 0; i < p->n_picks; i++) {
		const struct inv_device *d = p->picks[i].dev;
		struct held *h = &p->held[i];

		h->bind_tried = true;
		if (bind_vfio(p->host.sysfs_root, p->host.dev_root, d->addr, d->iommu_group,
			      p->host.vfio_driver, h->was, e) < 0)
			goto undo;
		say(vm, "%s (%s): claimed, on %s (was %s)", d->addr, d->model, p->host.vfio_driver,
		    h->was[0] ? h->was : "unbound");
	}
	/* 6: prepare */
	for (size_t i = 0; i < p->n_picks; i++) {
		bool first = true;
		for (size_t j = 0; j < i; j++)
			first &= p->picks[j].dev->iommu_group != p->picks[i].dev->iommu_group;
		if (first) {
			if (vfio_handover(p->host.dev_root, p->picks[i].dev->iommu_group, &p->user, e) < 0)
				goto undo;
			p->held[i].handed = true;
		}
	}
	if ((qmp = qmp_listen(p->host.state_dir, vm, &p->user, e)) < 0 ||
	    limits_set(p->vm.memory_mib, p->n_picks > 0, &kept, e) < 0)
		goto undo;
	/* what exec could still refuse, refused while the undo is possible */
	if (access(p->argv.v[0], X_OK) < 0) {
		fail_errno(e, EX_CONFIG, "%s: qemu: %s", p->host.file[0] ? p->host.file : DEFAULT_CONFIG,
			   p->argv.v[0]);
		goto undo;
	}
	if (kept)
		say(vm, "warning: cannot raise RLIMIT_MEMLOCK (no CAP_SYS_RESOURCE); kept, as no device is passed through");
	say(vm, "QMP socket %s/vms/%s.qmp; memlock limit %llu MiB; exec %s as %s (uid %u)",
	    p->host.state_dir, vm, p->vm.memory_mib + 1024, p->argv.v[0], p->user.name,
	    (unsigned)p->user.uid);
	keep[0] = name;
	for (size_t i = 0; i < p->n_picks; i++)
		keep[1 + i] = p->held[i].fd;
	signals_reset();
	closelog();
	if (fds_arrange(qmp, keep, 1 + p->n_picks, e) < 0)
		goto undo;
	/* 7: drop privileges; 8: the seccomp filter, last before 9: exec. From here on there is no
	 * way back to root: the claims end with this process, and --release gives the devices back. */
	if (privs_drop(&p->user, e) < 0 || seccomp_install(p->host.seccomp_action, e) < 0) {
		say(vm, "privileges dropped, cannot undo: run pcipass-run --release");
		return -1;
	}
	execve(p->argv.v[0], p->argv.v, env);
	fail_errno(e, EX_OSERR, "exec %s", p->argv.v[0]);
	say(vm, "%s; the devices stay on %s until pcipass-run --release", e->msg, p->host.vfio_driver);
	return -1;
undo:
	rollback(p);
	if (qmp >= 0) {
		char sock[600];
		close(qmp);
		if (xsnprintf(sock, sizeof(sock), "%s/vms/%s.qmp", p->host.state_dir, vm) >= 0)
			unlink(sock);
	}
	close(name);
	return -1;
}

/* --release, one claim: the device goes back to the driver its claim records, and the claim
 * file goes. explicit: named on the command line, so a held claim is an error, not a skip. */
static int release_one(const struct host_config *h, const char *addr, bool explicit,
		       struct perr *e)
{
	struct claim_info ci, old;
	char path[512];
	int fd;

	if (claim_inspect(h->state_dir, addr, &ci, e) < 0)
		return -1;
	if (!ci.exists)
		return explicit ? fail(e, EX_NOINPUT, "%s: no claim to release", addr) : 0;
	if (ci.held)
		return explicit ? fail(e, EX_UNAVAILABLE, "%s is claimed by VM %s (pid %ld), which is running",
				       addr, ci.vm[0] ? ci.vm : "?", ci.pid) : 0;
	fd = claim_lock(h->state_dir, addr, &old, path, sizeof(path), e);
	if (fd == -2) /* a launch took it in between: it is that VM's now */
		return explicit ? fail(e, EX_UNAVAILABLE, "%s was claimed just now", addr) : 0;
	if (fd < 0)
		return -1;
	if (old.exists && !old.unreadable) {
		struct perr ignore = { 0 };
		int group = group_of(h->sysfs_root, addr, &ignore);

		/* the VM's user owned the group's VFIO device: not a moment longer */
		if (group >= 0)
			vfio_takeback(h->dev_root, group);
		if (unbind_vfio(h->sysfs_root, addr, h->vfio_driver, old.orig_driver, e) < 0) {
			close(fd);
			return -1;
		}
	}
	unlink(path);
	close(fd);
	/* empty or cut short (a launcher killed between lock and write): the device was never
	 * moved, as binding comes after the claim is written */
	if (!old.exists || old.unreadable)
		say("?", "%s: claim cut short before its device was moved; removed", addr);
	else
		say(old.vm, "%s: released, back to %s", addr, old.orig_driver[0] ? old.orig_driver : "no driver");
	return 0;
}

struct release_run {
	const struct host_config *h;
	bool explicit;
	int code; /* the first failure's status */
};

/* One failure does not stop the others: each has its line, the first one's status wins. */
static int release_addr(void *user, const char *addr)
{
	struct release_run *run = user;
	struct perr one = { 0 };

	if (release_one(run->h, addr, run->explicit, &one) < 0) {
		complain(&one);
		run->code = run->code ? run->code : one.code;
	}
	return 0;
}

static int release(const struct host_config *h, char **addrs, int n, struct perr *e)
{
	struct release_run run = { h, n > 0, 0 };
	char addr[PCI_ADDR_LEN], b[128];

	if (geteuid() != 0)
		return fail(e, EX_NOPERM, "must run as root (gives devices back to their drivers)");
	for (int i = 0; i < n; i++)
		if (parse_pci_addr(addrs[i], addr) < 0)
			return fail(e, EX_USAGE, "\"%s\": expected a PCI address like 0000:3b:00.0",
				    shown(addrs[i], b));
	for (int i = 0; i < n; i++)
		if (parse_pci_addr(addrs[i], addr) == 0)
			release_addr(&run, addr);
	if (n == 0 && claim_each(h->state_dir, release_addr, &run, e) < 0)
		return -1;
	e->code = run.code;
	return run.code ? -1 : 0;
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
		{ "release", no_argument, NULL, 'r' },      { "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },      { 0 },
	};
	const char *config = DEFAULT_CONFIG;
	bool explicit = false, dry = false, rel = false;
	struct plan p = { 0 };
	struct sbuf b = { 0 };
	struct perr e = { 0 };
	int ch;

	progname = "pcipass-run";
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":c:nrh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': config = optarg; explicit = true; break;
		case 'n': dry = true; break;
		case 'r': rel = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("pcipass-run %s\n", PCIPASS_VERSION); return 0;
		default: die_getopt(ch, argc, argv);
		}
	}
	if (rel && dry)
		die(EX_USAGE, "--release and --dry-run do not go together (try --help)");
	if (!rel && argc - optind != 1)
		die(EX_USAGE, "expected one VM definition (try --help)");
	to_syslog = !isatty(STDERR_FILENO) && !stderr_is_journal();
	if (to_syslog)
		openlog("pcipass-run", LOG_PID, LOG_DAEMON);
	if (config_load(config, explicit, &p.host, &e) < 0)
		quit(&e);
	if (rel) {
		if (release(&p.host, argv + optind, argc - optind, &e) < 0) {
			if (e.msg[0])
				quit(&e);
			exit(e.code); /* each device's failure has had its line */
		}
		return 0;
	}
	if (!dry) {
		launch(&p, argv[optind], &e);
		plan_free(&p);
		quit(&e); /* the exec did not happen */
	}
	if (plan_read(&p, argv[optind], &e) < 0 || plan_devices(&p, NULL, &e) < 0) {
		plan_free(&p);
		quit(&e);
	}
	show_plan(&p, &b);
	plan_free(&p);
	if (b.oom || fwrite(b.p, 1, b.len, stdout) != b.len || fflush(stdout) != 0)
		die(EX_IOERR, "cannot write to standard output");
	sbuf_free(&b);
	return 0;
}
