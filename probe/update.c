/* SPDX-License-Identifier: GPL-2.0-or-later */
/* update.c - one probe run: scan, match, and rewrite the inventory only when it changed. */
#include "update.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "atomic.h"
#include "facts.h"
#include "inifile.h"
#include "report.h"
#include "scan.h"
#include "stats.h"

/* The `generated` stamp of the inventory now on disk if it parses, else "". The old text is
 * kept in *old for the comparison. */
static void read_old(const char *path, char **old, size_t *len, char stamp[32])
{
	struct inventory inv = { 0 };
	struct perr e = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);

	*old = NULL;
	*len = 0;
	stamp[0] = '\0';
	if (fd < 0)
		return;
	if (slurp_fd(fd, path, old, len, &e) == 0 && inventory_parse(*old, *len, path, &inv, &e) == 0)
		strcpy(stamp, inv.generated);
	close(fd);
	inventory_free(&inv);
}

static void utc_stamp(time_t t, char out[32])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The textfile of this probe. ok false: the probe failed, inv is empty and c may be NULL (the
 * configuration did not load): then no device series at all, since what the last good probe
 * saw may no longer hold, and no launch-failure count without a state directory to read. */
static int write_prom(const char *prom, const struct host_config *c, const struct inventory *inv,
		      bool ok, time_t now, struct perr *e)
{
	struct claim_info *ci = NULL;
	health_why *sick = NULL;
	struct sbuf b = { 0 };
	long long failures = c ? stats_get(c->state_dir, "launch_failures") : -1;
	int lock, r = -1;

	if (ok && (ci = claims_of(c->state_dir, inv, e)) == NULL)
		return -1;
	if (ok && (sick = facts_health(c, inv)) == NULL) {
		free(ci);
		return fail(e, EX_OSERR, "out of memory");
	}
	report_prom(inv, ci, sick, ok, (long long)now, failures, &b);
	if (b.oom)
		fail(e, EX_OSERR, "out of memory");
	else if ((lock = file_lock(prom, e)) >= 0) {
		r = atomic_replace(prom, b.p, b.len, 0644, e);
		close(lock);
	}
	sbuf_free(&b);
	free(sick);
	free(ci);
	return r;
}

void probe_prom_failed(const char *prom, const struct host_config *c)
{
	struct inventory inv = { 0 };
	struct perr e = { 0 };

	if (c)
		inv.disabled = c->disable_custom_device;
	(void)write_prom(prom, c, &inv, false, time(NULL), &e);
}

int probe_update(const struct host_config *c, bool quiet, const char *prom,
		 struct probe_result *res, struct perr *e)
{
	struct model_set ms = { 0 };
	struct inventory inv = { 0 };
	struct scan s = { 0 };
	struct sbuf b = { 0 };
	char *old = NULL;
	size_t oldlen;
	time_t now = time(NULL);
	int lock = -1, r = -1;

	memset(res, 0, sizeof(*res));
	if (!c->disable_custom_device) {
		if (models_load(c->models_dir, true, &ms, e) < 0 ||
		    scan_bus(c->sysfs_root, c->pci_ids, quiet ? SCAN_QUIET : 0, &s, e) < 0)
			goto out;
	}
	if (match_inventory(&s, &ms, c, &inv, e) < 0 || facts_inventory(c, &inv, quiet, e) < 0)
		goto out;
	res->devices = inv.n;
	res->vanished = s.vanished;
	/* Under the lock: compare with what is there, keeping its stamp, and only write when the
	 * devices changed, so a probe every minute costs no disk writes. */
	if ((lock = file_lock(c->inventory, e)) < 0)
		goto out;
	read_old(c->inventory, &old, &oldlen, inv.generated);
	if (inv.generated[0] && inventory_render(&inv, &b) == 0 && b.len == oldlen &&
	    memcmp(b.p, old, oldlen) == 0) {
		r = 0;
	} else {
		utc_stamp(now, inv.generated);
		sbuf_free(&b);
		if (inventory_render(&inv, &b) < 0)
			fail(e, EX_OSERR, "out of memory");
		else if (atomic_replace(c->inventory, b.p, b.len, 0644, e) == 0)
			r = 0, res->changed = true;
	}
	close(lock);
	if (r == 0 && prom)
		r = write_prom(prom, c, &inv, true, now, e);
out:
	free(old);
	sbuf_free(&b);
	scan_free(&s);
	inventory_free(&inv);
	models_free(&ms);
	return r;
}
