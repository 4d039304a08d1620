/* SPDX-License-Identifier: GPL-2.0-or-later */
/* probe.c - pcipass-probe: keep the host's inventory of custom PCI devices. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "facts.h"
#include "report.h"
#include "scan.h"
#include "update.h"

static void usage(FILE *to)
{
	fprintf(to,
		"usage: pcipass-probe [-c FILE] [-q] [--prom FILE]   write the inventory\n"
		"       pcipass-probe [-c FILE] --all [--json]       every PCI device, and its model\n"
		"       pcipass-probe [-c FILE] --list [--json]      the inventory, with claims\n"
		"  -c, --config FILE  host configuration (default " DEFAULT_CONFIG ")\n"
		"  -q, --quiet        say nothing on success (cron)\n"
		"      --prom FILE    also write a node_exporter textfile\n"
		"  -h, --help, --version\n");
}

static void emit(struct sbuf *b)
{
	if (b->oom)
		die(EX_OSERR, "out of memory");
	if (fwrite(b->p, 1, b->len, stdout) != b->len || fflush(stdout) != 0)
		stdout_die();
	sbuf_free(b);
}

static int show_all(const struct host_config *c, bool json, struct perr *e)
{
	struct model_set ms = { 0 };
	struct scan s;
	struct sbuf b = { 0 };

	if (models_load(c->models_dir, true, &ms, e) < 0 ||
	    scan_bus(c->sysfs_root, c->pci_ids, SCAN_NAMES, &s, e) < 0) {
		models_free(&ms);
		return -1;
	}
	if (facts_scan(c, &ms, &s, false, e) < 0) {
		scan_free(&s);
		models_free(&ms);
		return -1;
	}
	report_all(&s, &ms, c, json, &b);
	emit(&b);
	scan_free(&s);
	models_free(&ms);
	return 0;
}

static int show_list(const struct host_config *c, bool json, struct perr *e)
{
	struct inventory inv = { 0 };
	struct claim_info *ci;
	health_why *sick;
	struct sbuf b = { 0 };

	if (inventory_load(c->inventory, &inv, e) < 0) {
		inventory_free(&inv);
		return -1;
	}
	if ((ci = claims_of(c->state_dir, &inv, e)) == NULL) {
		inventory_free(&inv);
		return -1;
	}
	if ((sick = facts_health(c, &inv)) == NULL)
		die(EX_OSERR, "out of memory");
	report_list(&inv, ci, sick, c, json, &b);
	emit(&b);
	free(sick);
	free(ci);
	inventory_free(&inv);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' }, { "quiet", no_argument, NULL, 'q' },
		{ "all", no_argument, NULL, 'a' },          { "list", no_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },         { "prom", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },         { "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	const char *config = DEFAULT_CONFIG, *prom = NULL;
	bool explicit = false, quiet = false, json = false;
	int mode = 0, ch;
	struct host_config c;
	struct probe_result res;
	struct perr e = { 0 };

	progname = "pcipass-probe";

	stdio_ensure();
	opterr = 0; /* one line of our own instead of getopt's */
	while ((ch = getopt_long(argc, argv, ":c:qh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': config = optarg; explicit = true; break;
		case 'q': quiet = true; break;
		case 'a':
		case 'l':
			if (mode && mode != ch)
				die(EX_USAGE, "--all and --list go alone");
			mode = ch;
			break;
		case 'j': json = true; break;
		case 'p': prom = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("pcipass-probe %s\n", PCIPASS_VERSION); return 0;
		default: die_getopt(ch, argc, argv);
		}
	}
	if (optind < argc)
		die(EX_USAGE, "unexpected argument \"%s\" (try --help)", argv[optind]);
	if (json && !mode)
		die(EX_USAGE, "--json goes with --all or --list");
	if (prom && mode)
		die(EX_USAGE, "--prom goes with a probe, not with --all or --list");
	if (prom && prom[0] != '/')
		die(EX_USAGE, "--prom: expected an absolute path, got \"%s\"", prom);
	if (config_load(config, explicit, &c, &e) < 0) {
		if (prom)
			probe_prom_failed(prom, NULL);
		die_perr(&e);
	}
	if (mode == 'a')
		return show_all(&c, json, &e) < 0 ? (die_perr(&e), 1) : 0;
	if (mode == 'l')
		return show_list(&c, json, &e) < 0 ? (die_perr(&e), 1) : 0;
	if (probe_update(&c, quiet, prom, &res, &e) < 0) {
		if (prom)
			probe_prom_failed(prom, &c);
		die_perr(&e);
	}
	if (!quiet) {
		printf("%s: %zu custom device%s%s, %s\n", c.inventory, res.devices,
		       res.devices == 1 ? "" : "s", c.disable_custom_device ? " (disabled)" : "",
		       res.changed ? "written" : "unchanged");
	}
	return 0;
}
