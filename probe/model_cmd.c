/* SPDX-License-Identifier: GPL-2.0-or-later */
/* model_cmd.c - pcipass-model: create, list, delete and check custom device models. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic.h"
#include "claim.h"
#include "config.h"
#include "facts.h"
#include "report.h"
#include "trust.h"
#include "update.h"

static void usage(FILE *to)
{
	fprintf(to,
		"usage: pcipass-model [-c FILE] create [--probe] MODEL DEV_TYPE VENDOR_ID DEVICE_ID [--subsystem VEN:DEV]\n"
		"       pcipass-model [-c FILE] list [--json]\n"
		"       pcipass-model [-c FILE] delete [--probe] MODEL\n"
		"       pcipass-model [-c FILE] check [MODEL_FILE]\n"
		"  -c, --config FILE  host configuration (default " DEFAULT_CONFIG ")\n"
		"      --probe        run the probe at once, so the inventory follows\n"
		"  check MODEL_FILE   check a file of one model as if installed as models_dir/MODEL.conf\n"
		"  -h, --help, --version\n");
}

/* The lock that serialises every change to models.d (a hidden file, ignored as a model). */
static int lock_models(const struct host_config *c, struct perr *e)
{
	char path[512];

	if (xsnprintf(path, sizeof(path), "%s/models", c->models_dir) < 0)
		return fail(e, EX_CONFIG, "models_dir too long");
	return file_lock(path, e);
}

static int after(const struct host_config *c, bool probe, struct perr *e)
{
	struct probe_result res;

	if (!probe)
		return 0;
	if (probe_update(c, false, NULL, &res, e) < 0)
		return -1;
	printf("%s: %zu custom device%s, %s\n", c->inventory, res.devices, res.devices == 1 ? "" : "s",
	       res.changed ? "written" : "unchanged");
	return 0;
}

static int create(const struct host_config *c, char **arg, const char *subsys, bool probe,
		  struct perr *e)
{
	struct model m = { 0 };
	struct model_set ms = { 0 };
	char path[512], text[1024], sv[8], b[128];
	const char *why;
	int lock, r = -1;

	if ((why = model_name_check(arg[0])))
		return fail(e, EX_USAGE, "MODEL \"%s\": %s", shown(arg[0], b), why);
	if ((why = dev_type_check(arg[1], m.dev_type)))
		return fail(e, EX_USAGE, "DEV_TYPE \"%s\" %s", shown(arg[1], b), why);
	if (parse_hex16(arg[2], &m.vendor) < 0)
		return fail(e, EX_USAGE, "VENDOR_ID: expected four hex digits, got \"%s\"", shown(arg[2], b));
	if (parse_hex16(arg[3], &m.device) < 0)
		return fail(e, EX_USAGE, "DEVICE_ID: expected four hex digits, got \"%s\"", shown(arg[3], b));
	if (subsys) {
		const char *colon = strchr(subsys, ':');
		if (colon == NULL || colon - subsys > 6 ||
		    xsnprintf(sv, sizeof(sv), "%.*s", (int)(colon - subsys), subsys) < 0 ||
		    parse_hex16(sv, &m.subsys_vendor) < 0 || parse_hex16(colon + 1, &m.subsys_device) < 0)
			return fail(e, EX_USAGE, "--subsystem: expected VEN:DEV like 19e5:0100, got \"%s\"",
				    shown(subsys, b));
		m.has_subsys = true;
	}
	strcpy(m.name, arg[0]);
	if (xsnprintf(path, sizeof(path), "%s/%s.conf", c->models_dir, m.name) < 0)
		return fail(e, EX_CONFIG, "models_dir too long");
	strcpy(m.file, path);
	if ((lock = lock_models(c, e)) < 0)
		return -1;
	/* The new model goes through the same cross-checks as every file in models.d. */
	if (models_load(c->models_dir, true, &ms, e) == 0 && models_add(&ms, &m, e) == 0 &&
	    models_finish(&ms, e) == 0 && model_render(&m, text, sizeof(text)) > 0 &&
	    atomic_create(path, text, strlen(text), 0644, e) == 0)
		r = 0;
	close(lock);
	if (r < 0) {
		models_free(&ms);
		return e->code ? -1 : fail(e, EX_SOFTWARE, "cannot render the model");
	}
	printf("created model %s (%s, %04x:%04x) in %s\n", m.name, m.dev_type, m.vendor, m.device, path);
	/* created all the same: the admin may mean it (allow_host_critical), and the launcher
	 * refuses the device otherwise; the warning says which devices, now, not at launch */
	if (fflush(stdout) != 0)
		stdout_die();
	facts_warn_critical(c, &ms, m.name);
	models_free(&ms);
	return after(c, probe, e);
}

struct in_use {
	const char *model;
	const struct inventory *inv;
	char addr[PCI_ADDR_LEN];
	struct claim_info ci;
};

static int uses(void *user, const char *addr, const struct claim_info *ci)
{
	struct in_use *u = user;
	const struct inv_device *d = inventory_find(u->inv, addr);
	const char *model = ci->model[0] ? ci->model : d ? d->model : "";

	if (strcmp(model, u->model) != 0)
		return 0;
	strcpy(u->addr, addr);
	u->ci = *ci;
	return 1;
}

static int delete(const struct host_config *c, const char *name, bool probe, struct perr *e)
{
	struct model_set ms = { 0 };
	struct inventory inv = { 0 };
	struct in_use u = { .model = name, .inv = &inv };
	struct perr ignore = { 0 };
	const struct model *m;
	char b[128];
	int lock, r = -1, n_in_file = 0;

	/* the lock would create a missing models.d: nothing to delete is no reason to */
	if (access(c->models_dir, F_OK) < 0)
		return fail_errno(e, errno == ENOENT ? EX_NOINPUT : EX_OSERR, "%s", c->models_dir);
	if ((lock = lock_models(c, e)) < 0)
		return -1;
	if (models_load(c->models_dir, true, &ms, e) < 0)
		goto out;
	if ((m = models_find(&ms, name)) == NULL) {
		fail(e, EX_NOINPUT, "no model named \"%s\" in %s", shown(name, b), c->models_dir);
		goto out;
	}
	for (size_t i = 0; i < ms.n; i++)
		n_in_file += strcmp(ms.v[i].file, m->file) == 0;
	if (n_in_file > 1) {
		fail(e, EX_DATAERR, "%s: defines %d models; remove [%s] from it by hand", m->file,
		     n_in_file, name);
		goto out;
	}
	/* A missing or unreadable inventory only loses the address-to-model map; claims that
	 * record their model still count. */
	if (inventory_load(c->inventory, &inv, &ignore) < 0)
		inventory_free(&inv);
	r = claim_each_held(c->state_dir, uses, &u, e);
	if (r > 0) {
		fail(e, EX_TEMPFAIL, "model \"%s\" is in use: %s is claimed by VM %s (pid %ld)", name,
		     u.addr, u.ci.vm[0] ? u.ci.vm : "?", u.ci.pid);
		r = -1;
	}
	if (r == 0 && unlink(m->file) < 0)
		r = fail_errno(e, EX_CANTCREAT, "%s", m->file);
	if (r == 0)
		printf("deleted model %s (%s)\n", name, m->file);
out:
	close(lock);
	models_free(&ms);
	inventory_free(&inv);
	return r < 0 ? -1 : after(c, probe, e);
}

/* check MODEL_FILE: the file (anywhere: Ansible's validate= passes a temporary copy) holds one
 * model and is checked as if installed as models_dir/<its name>.conf, replacing that file and
 * beside every other one. Nothing written, no lock taken. */
static int check_file(const struct host_config *c, const char *path, struct perr *e)
{
	struct model_set ms = { 0 };
	struct model m;
	char base[MODEL_NAME_MAX + 6], as[512];
	size_t len;
	char *text;
	int r;

	/* Its owner and mode are not judged (Ansible's temporary is root's 0600; the installed
	 * file's are checked at use); what is not a regular file is still refused. Unreadable is
	 * 66 like missing: an input file, not a system one. */
	if (read_config(path, false, &text, &len, e) < 0) {
		if (e->code == EX_NOPERM)
			e->code = EX_NOINPUT;
		return -1;
	}
	r = models_parse_one(text, len, path, &m, e);
	free(text);
	if (r < 0)
		return -1;
	snprintf(base, sizeof(base), "%s.conf", m.name);
	if (xsnprintf(as, sizeof(as), "%s/%s", c->models_dir, base) < 0)
		return fail(e, EX_CONFIG, "models_dir too long");
	/* the model goes last: a clash blames the file, not the installed model */
	r = models_read(c->models_dir, true, base, &ms, e) == 0 && models_add(&ms, &m, e) == 0 &&
	    models_finish(&ms, e) == 0 ? 0 : -1;
	if (r == 0) {
		printf("%s: model %s valid as %s (%zu other model%s)\n", path, m.name, as, ms.n - 1,
		       ms.n == 2 ? "" : "s");
		if (fflush(stdout) != 0)
			stdout_die();
	}
	models_free(&ms);
	return r;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' }, { "probe", no_argument, NULL, 'p' },
		{ "subsystem", required_argument, NULL, 's' }, { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' }, { "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	const char *config = DEFAULT_CONFIG, *subsys = NULL, *cmd;
	bool explicit = false, probe = false, json = false;
	struct host_config c;
	struct model_set ms = { 0 };
	struct sbuf b = { 0 };
	struct perr e = { 0 };
	int ch, nargs;

	progname = "pcipass-model";

	stdio_ensure();
	opterr = 0; /* one line of our own instead of getopt's */
	while ((ch = getopt_long(argc, argv, ":c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': config = optarg; explicit = true; break;
		case 'p': probe = true; break;
		case 's': subsys = optarg; break;
		case 'j': json = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("pcipass-model %s\n", PCIPASS_VERSION); return 0;
		default: die_getopt(ch, argc, argv);
		}
	}
	if (optind == argc)
		die(EX_USAGE, "expected a command: create, list, delete or check (try --help)");
	cmd = argv[optind++];
	nargs = argc - optind;
	if (!(strcmp(cmd, "create") == 0 && nargs == 4) && !(strcmp(cmd, "delete") == 0 && nargs == 1) &&
	    !(strcmp(cmd, "list") == 0 && nargs == 0) && !(strcmp(cmd, "check") == 0 && nargs <= 1))
		die(EX_USAGE, "expected create, list, delete or check with their arguments (try --help)");
	if ((subsys && strcmp(cmd, "create") != 0) || (json && strcmp(cmd, "list") != 0) ||
	    (probe && strcmp(cmd, "create") != 0 && strcmp(cmd, "delete") != 0))
		die(EX_USAGE, "an option does not go with \"%s\" (try --help)", cmd);
	if (config_load(config, explicit, &c, &e) < 0)
		die_perr(&e);
	if (strcmp(cmd, "create") == 0) {
		if (create(&c, argv + optind, subsys, probe, &e) < 0)
			die_perr(&e);
		return 0;
	}
	if (strcmp(cmd, "delete") == 0) {
		if (delete(&c, argv[optind], probe, &e) < 0)
			die_perr(&e);
		return 0;
	}
	if (strcmp(cmd, "check") == 0 && nargs == 1) {
		if (check_file(&c, argv[optind], &e) < 0)
			die_perr(&e);
		return 0;
	}
	if (models_load(c.models_dir, true, &ms, &e) < 0)
		die_perr(&e);
	if (strcmp(cmd, "check") == 0) {
		printf("%s: %zu model%s, all valid\n", c.models_dir, ms.n, ms.n == 1 ? "" : "s");
	} else {
		report_models(&ms, json, &b);
		if (b.oom || fwrite(b.p, 1, b.len, stdout) != b.len || fflush(stdout) != 0)
			stdout_die();
		sbuf_free(&b);
	}
	models_free(&ms);
	return 0;
}
