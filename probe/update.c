/* SPDX-License-Identifier: GPL-2.0-or-later */
/* update.c - one probe run: scan, match, and rewrite the inventory only when it changed. */
#include "update.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "atomic.h"
#include "facts.h"
#include "report.h"
#include "scan.h"
#include "stats.h"

static void utc_stamp(time_t t, char out[32])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The `generated` stamp of the inventory fd holds, "" when its head is not the probe's. Only
 * a stamp as utc_stamp writes it is taken (the comparison then needs no parse of the file). */
static void old_stamp(int fd, char stamp[32])
{
	static const char lead[] = "; written by pcipass-probe; do not edit\n[host]\ngenerated = ";
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ\n";
	char head[sizeof(lead) + sizeof(shape)];
	const size_t want = sizeof(lead) - 1 + sizeof(shape) - 1;
	ssize_t n = pread(fd, head, want, 0);

	stamp[0] = '\0';
	if (n != (ssize_t)want || memcmp(head, lead, sizeof(lead) - 1) != 0)
		return;
	for (size_t i = 0; i < sizeof(shape) - 1; i++) {
		char c = head[sizeof(lead) - 1 + i];
		if (shape[i] == 'd' ? c < '0' || c > '9' : c != shape[i])
			return;
	}
	memcpy(stamp, head + sizeof(lead) - 1, sizeof(shape) - 2);
	stamp[sizeof(shape) - 2] = '\0';
}

/* Does fd hold exactly p[0..len)? Read a piece at a time: the old text is never held whole. */
static bool same_text(int fd, const char *p, size_t len)
{
	char buf[16384];
	size_t off = 0;
	ssize_t n;

	while ((n = pread(fd, buf, sizeof(buf), (off_t)off)) > 0) {
		if ((size_t)n > len - off || memcmp(buf, p + off, (size_t)n) != 0)
			return false;
		off += (size_t)n;
	}
	return n == 0 && off == len;
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

/* One probe's walk: the inventory's text is rendered device by device as the bus is read, so
 * that no array of devices is held (with --prom, the devices are kept too, for the metrics). */
struct walk {
	const struct host_config *c;
	const struct model_set *ms;
	bool quiet;
	struct hostuse hu;
	bool hu_read;
	struct sbuf text;        /* INV_HEAD_MAX bytes kept for the head, then the devices */
	size_t n;
	struct inventory *keep;  /* NULL: no --prom */
};

static bool wanted(const struct pci_found *f, void *user)
{
	const struct walk *w = user;

	return models_name_ids(w->ms, f->vendor, f->device);
}

static int add_device(struct pci_found *f, void *user, struct perr *e)
{
	struct walk *w = user;
	const struct model *m = match_device(w->c, w->ms, f);
	struct inv_device d;

	if (m == NULL)
		return 0;
	inventory_entry(f, m, &d);
	if (inventory_check(&d, w->n, e) < 0)
		return -1;
	facts_device(w->c, d.addr, f->dir, (int)f->class, w->quiet, &d.pci);
	/* /proc is read once, and only when there is a device to decide about */
	if (!w->hu_read) {
		if (facts_host_use(w->c, w->quiet, &w->hu, e) < 0)
			return -1;
		w->hu_read = true;
	}
	hostuse_reason(hostuse_find(&w->hu, d.addr), d.pci.boot_vga == 1, d.host_critical);
	inventory_render_device(&d, &w->text);
	w->n++;
	return w->keep ? inventory_add(w->keep, &d, e) : 0;
}

int probe_update(const struct host_config *c, bool quiet, const char *prom,
		 struct probe_result *res, struct perr *e)
{
	struct model_set ms = { 0 };
	struct inventory inv = { 0 };
	struct scan s = { 0 };
	struct walk w = { .c = c, .ms = &ms, .quiet = quiet, .keep = prom ? &inv : NULL };
	char stamp[32], head[INV_HEAD_MAX];
	const char *text;
	size_t len, hlen;
	time_t now = time(NULL);
	int lock = -1, old, r = -1;

	memset(res, 0, sizeof(*res));
	sbuf_printf(&w.text, "%*s", INV_HEAD_MAX, "");
	if (!c->disable_custom_device &&
	    (models_load(c->models_dir, true, &ms, e) < 0 ||
	     scan_walk(c->sysfs_root, c->pci_ids, quiet ? SCAN_QUIET : 0, wanted, add_device, &w, &s,
		       e) < 0))
		goto out;
	if (w.text.oom) {
		fail(e, EX_OSERR, "out of memory");
		goto out;
	}
	inv.disabled = c->disable_custom_device;
	res->devices = w.n;
	res->vanished = s.vanished;
	/* Under the lock: compare with what is there, keeping its stamp, and only write when the
	 * devices changed, so a probe every minute costs no disk writes. The head goes right
	 * before the devices' text, in the room kept for it. */
	if ((lock = file_lock(c->inventory, e)) < 0)
		goto out;
	old = open(c->inventory, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	stamp[0] = '\0';
	if (old >= 0)
		old_stamp(old, stamp);
	for (int pass = stamp[0] ? 0 : 1; pass < 2; pass++) {
		if (pass == 1)
			utc_stamp(now, stamp);
		hlen = inventory_head(stamp, inv.disabled, w.n, head);
		text = w.text.p + INV_HEAD_MAX - hlen;
		len = w.text.len - INV_HEAD_MAX + hlen;
		memcpy(w.text.p + INV_HEAD_MAX - hlen, head, hlen);
		if (pass == 0 && same_text(old, text, len)) {
			r = 0;
			break;
		}
		if (pass == 1 && atomic_replace(c->inventory, text, len, 0644, e) == 0)
			r = 0, res->changed = true;
	}
	if (old >= 0)
		close(old);
	close(lock);
	snprintf(inv.generated, sizeof(inv.generated), "%s", stamp);
	if (r == 0 && prom)
		r = write_prom(prom, c, &inv, true, now, e);
out:
	if (w.hu_read)
		hostuse_free(&w.hu);
	sbuf_free(&w.text);
	inventory_free(&inv);
	models_free(&ms);
	return r;
}
