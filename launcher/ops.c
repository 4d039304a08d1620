/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ops.c - --status and --stop: what runs, and stopping it, decided from leases and /proc.
 *
 * A VM is live while its name lease (<state_dir>/vms/NAME.lock) is held; its pid and start time
 * come from that lease, never from QEMU (QMP replies, /proc/PID/cmdline: QEMU writes both). */
#include "ops.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "claim.h"
#include "ident.h"
#include "prepare.h"
#include "qmp.h"
#include "vmconf.h"

#define VMS_MAX 4096        /* names looked at under vms/: more is not a host we know */
#define QMP_CONNECT_MS 2000 /* a QMP busy with another client or dead: on to the next rung */
#define QUIT_WAIT_MS 5000   /* after quit (or SIGTERM) */
#define KILL_WAIT_MS 10000  /* after SIGKILL: a device's teardown can take a moment */

static bool vm_name_ok(const char *s)
{
	return str_only(s, WORD_CHARS, VM_NAME_MAX) && s[0] != '.' && s[0] != '-';
}

static int name_check(const char *name, struct perr *e)
{
	char b[128];

	if (!vm_name_ok(name))
		return fail(e, EX_USAGE, "\"%s\": expected a VM name (1 to %d of A-Z a-z 0-9 . _ -, not starting with . or -)",
			    shown(name, b), VM_NAME_MAX);
	return 0;
}

static int vms_dir(const char *state_dir, char *buf, size_t size, struct perr *e)
{
	if (xsnprintf(buf, size, "%s/vms", state_dir) < 0)
		return fail(e, EX_CONFIG, "state_dir too long");
	return 0;
}

/* The name lease of vm, looked at without taking it. ci->held and a record naming vm: live. */
static int name_inspect(const char *state_dir, const char *vm, struct claim_info *ci, struct perr *e)
{
	char dir[512], file[VM_NAME_MAX + 8];

	if (vms_dir(state_dir, dir, sizeof(dir), e) < 0)
		return -1;
	snprintf(file, sizeof(file), "%s.lock", vm);
	return lease_inspect(dir, file, ci, e);
}

int vm_lease(const char *state_dir, const char *name, struct claim_info *ci, struct perr *e)
{
	return name_check(name, e) < 0 ? -1 : name_inspect(state_dir, name, ci, e);
}

/* ------------------------------------------------------------------------------------------ */
/* --status */

struct vm_dev {
	char addr[PCI_ADDR_LEN];
	char model[MODEL_NAME_MAX + 1];
};

struct vm_row {
	char name[VM_NAME_MAX + 1];
	bool live;                 /* else: ended, its devices not released */
	bool dead_lock;            /* its name lease is there and not held: cleaned */
	long pid;
	unsigned long long start;
	long long memory_mib;      /* recorded at launch; 0 unknown */
	long long uid;             /* -1 unknown */
	long long rss_kib;         /* -1 unknown */
	char ended[LEASE_ENDED_MAX + 1];
	bool qmp, console, vnc;
	size_t n_dev;
	struct vm_dev *dev;
};

struct status {
	const char *state_dir;
	const char *only;          /* NULL: every VM */
	struct vm_row *row;
	size_t n, cap;
	struct perr *e;
};

/* The row of VM name, live or not, of that process (pid and start time). */
static struct vm_row *row_find(struct status *st, const char *name, bool live, long pid,
			       unsigned long long start)
{
	for (size_t i = 0; i < st->n; i++)
		if (strcmp(st->row[i].name, name) == 0 && st->row[i].live == live &&
		    st->row[i].pid == pid && st->row[i].start == start)
			return &st->row[i];
	return NULL;
}

static struct vm_row *row_add(struct status *st, const char *name)
{
	struct vm_row *r;

	if (st->n == st->cap) {
		size_t cap = st->cap ? 2 * st->cap : 16;
		void *p = cap > VMS_MAX ? NULL : realloc(st->row, cap * sizeof(*st->row));

		if (p == NULL) {
			fail(st->e, EX_SOFTWARE, "more than %d VMs, or out of memory", VMS_MAX);
			return NULL;
		}
		st->row = p;
		st->cap = cap;
	}
	r = &st->row[st->n++];
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->uid = r->rss_kib = -1;
	return r;
}

static int dev_add(struct status *st, struct vm_row *r, const char *addr, const char *model)
{
	struct vm_dev *d = realloc(r->dev, (r->n_dev + 1) * sizeof(*r->dev));

	if (d == NULL)
		return fail_errno(st->e, EX_OSERR, "status");
	r->dev = d;
	snprintf(d[r->n_dev].addr, sizeof(d->addr), "%s", addr);
	snprintf(d[r->n_dev].model, sizeof(d->model), "%s", model);
	r->n_dev++;
	return 0;
}

/* "NAME.lock" -> NAME, when NAME could be a VM's */
static bool lock_stem(const char *file, char stem[VM_NAME_MAX + 1])
{
	size_t n = strlen(file);

	if (n <= 5 || n - 5 > VM_NAME_MAX || strcmp(file + n - 5, ".lock") != 0)
		return false;
	memcpy(stem, file, n - 5);
	stem[n - 5] = '\0';
	return vm_name_ok(stem);
}

static bool is_lock(const char *file)
{
	char stem[VM_NAME_MAX + 1];

	return lock_stem(file, stem);
}

/* One name lease: a live VM is a row; a dead one's lease is remembered for the cleaning. */
static int on_name(void *user, const char *file)
{
	struct status *st = user;
	struct claim_info ci;
	char stem[VM_NAME_MAX + 1];
	struct vm_row *r;

	if (!lock_stem(file, stem) || (st->only && strcmp(stem, st->only) != 0))
		return 0;
	if (name_inspect(st->state_dir, stem, &ci, st->e) < 0)
		return -1;
	/* a record naming another VM is not this name's: left alone */
	if (ci.exists && !ci.unreadable && strcmp(ci.vm, stem) != 0)
		return 0;
	if ((r = row_add(st, stem)) == NULL)
		return -1;
	r->live = ci.held && !ci.unreadable;
	r->dead_lock = !ci.held;
	r->pid = ci.pid;
	r->start = ci.start;
	r->memory_mib = ci.memory_mib;
	snprintf(r->ended, sizeof(r->ended), "%s", ci.ended);
	return 0;
}

/* One device claim: held, a device of a live VM; not held but whole, a device not released. */
static int on_claim(void *user, const char *addr)
{
	struct status *st = user;
	struct claim_info ci;
	struct vm_row *r;

	if (claim_inspect(st->state_dir, addr, &ci, st->e) < 0)
		return -1;
	if (!ci.exists || ci.unreadable || (st->only && strcmp(ci.vm, st->only) != 0))
		return 0;
	/* the row of its VM's name lease when that lease records the same process (then how it
	 * ended is known); else a row of its own: a process holding a claim without a held name
	 * lease, or an earlier run of that name */
	r = row_find(st, ci.vm, ci.held, ci.pid, ci.start);
	if (r == NULL) {
		if ((r = row_add(st, ci.vm)) == NULL)
			return -1;
		r->live = ci.held;
		r->pid = ci.pid;
		r->start = ci.start;
	}
	return dev_add(st, r, addr, ci.model);
}

static int on_id(void *user, const char *name)
{
	struct status *st = user;
	struct claim_info ci;
	char dir[512];

	if (ids_dir(st->state_dir, dir, sizeof(dir), st->e) < 0 || lease_inspect(dir, name, &ci, st->e) < 0)
		return -1;
	for (size_t i = 0; ci.held && ci.uid >= 0 && i < st->n; i++)
		if (st->row[i].live && st->row[i].pid == ci.pid && strcmp(st->row[i].name, ci.vm) == 0)
			st->row[i].uid = ci.uid;
	return 0;
}

static bool is_uid(const char *name)
{
	return str_only(name, "0123456789", 10);
}

/* /proc/PID/status: the real uid (when no identity lease says) and the resident set. */
/* uid (unless its identity lease said) and resident memory, from the kernel */
static void vm_proc(struct vm_row *r)
{
	struct proc_status ps;

	proc_status(r->pid, r->start, &ps);
	if (r->uid < 0 || ps.uid < 0)
		r->uid = ps.uid;
	r->rss_kib = ps.rss_kib;
}

static bool is_type(const char *path, mode_t type)
{
	struct stat sb;

	return lstat(path, &sb) == 0 && (sb.st_mode & S_IFMT) == type;
}

static void sockets(const char *state_dir, struct vm_row *r)
{
	struct perr ignore = { 0 };
	char path[600];

	r->qmp = vms_path(path, sizeof(path), state_dir, r->name, "qmp", &ignore) == 0 &&
		 is_type(path, S_IFSOCK);
	r->console = vms_path(path, sizeof(path), state_dir, r->name, "console", &ignore) == 0 &&
		     is_type(path, S_IFSOCK);
	r->vnc = vms_path(path, sizeof(path), state_dir, r->name, "vnc/socket", &ignore) == 0 &&
		 is_type(path, S_IFSOCK);
}

static void socket_remove(const char *state_dir, const char *vm, const char *suffix)
{
	struct perr ignore = { 0 };
	char path[600];

	if (vms_path(path, sizeof(path), state_dir, vm, suffix, &ignore) == 0 && is_type(path, S_IFSOCK))
		unlink(path);
}

/* A dead VM's sockets, and its name lease unless devices it had are not released yet (then the
 * lease stays: it says who ran last and how it ended). All under the name's lock, which a live
 * VM holds: lease_lock refuses it then, and nothing of a live VM is touched. */
static void clean(const struct status *st, const char *vm, bool unreleased)
{
	struct perr ignore = { 0 };
	struct claim_info old;
	char dir[512], file[VM_NAME_MAX + 8];
	int fd;

	if (vms_dir(st->state_dir, dir, sizeof(dir), &ignore) < 0)
		return;
	snprintf(file, sizeof(file), "%s.lock", vm);
	fd = lease_lock(dir, file, &old, &ignore);
	if (fd < 0)
		return;
	socket_remove(st->state_dir, vm, "qmp");
	socket_remove(st->state_dir, vm, "console");
	vnc_dir_remove(st->state_dir, vm);
	if (!unreleased)
		lease_remove(dir, file);
	close(fd);
}

/* Devices of an ended VM of that name are not released yet. */
static bool unreleased(const struct status *st, const char *vm)
{
	for (size_t i = 0; i < st->n; i++)
		if (!st->row[i].live && st->row[i].n_dev > 0 && strcmp(st->row[i].name, vm) == 0)
			return true;
	return false;
}

static int cmp_row(const void *a, const void *b)
{
	const struct vm_row *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->live < y->live) - (x->live > y->live);
}

static int cmp_dev(const void *a, const void *b)
{
	return pci_addr_cmp(((const struct vm_dev *)a)->addr, ((const struct vm_dev *)b)->addr);
}

static void show_duration(struct sbuf *b, unsigned long long s)
{
	if (s >= 86400)
		sbuf_printf(b, "%llud%02lluh", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		sbuf_printf(b, "%lluh%02llum", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		sbuf_printf(b, "%llum%02llus", s / 60, s % 60);
	else
		sbuf_printf(b, "%llus", s);
}

static unsigned long long uptime_of(const struct vm_row *r)
{
	struct timespec now;
	long tck = sysconf(_SC_CLK_TCK);
	unsigned long long up, started;

	/* /proc/PID/stat's start time counts clock ticks since boot, as CLOCK_BOOTTIME does */
	if (tck <= 0 || clock_gettime(CLOCK_BOOTTIME, &now) < 0)
		return 0;
	up = (unsigned long long)now.tv_sec;
	started = r->start / (unsigned long long)tck;
	return up > started ? up - started : 0;
}

static const char *ended_how(const struct vm_row *r)
{
	return r->ended[0] ? r->ended : "unknown";
}

static void show_text(const struct status *st, struct sbuf *b)
{
	if (st->n == 0)
		sbuf_printf(b, "no VM running\n");
	for (size_t i = 0; i < st->n; i++) {
		const struct vm_row *r = &st->row[i];

		if (!r->live) {
			sbuf_printf(b, "%s: ended (how: %s), pid %ld, devices not released: run pcipass-run --release\n",
				    r->name, ended_how(r), r->pid);
		} else {
			sbuf_printf(b, "%s: running, pid %ld, up ", r->name, r->pid);
			show_duration(b, uptime_of(r));
			if (r->uid >= 0)
				sbuf_printf(b, ", uid %lld", r->uid);
			else
				sbuf_printf(b, ", uid ?");
			if (r->memory_mib > 0)
				sbuf_printf(b, ", memory %lld MiB", r->memory_mib);
			else
				sbuf_printf(b, ", memory ?");
			if (r->rss_kib >= 0)
				sbuf_printf(b, " (rss %lld MiB)", r->rss_kib / 1024);
			sbuf_printf(b, ", sockets%s%s%s%s\n", r->qmp ? " qmp" : "", r->console ? " console" : "",
				    r->vnc ? " vnc" : "", r->qmp || r->console || r->vnc ? "" : " none");
		}
		for (size_t k = 0; k < r->n_dev; k++)
			sbuf_printf(b, "  %s %s\n", r->dev[k].addr, r->dev[k].model[0] ? r->dev[k].model : "?");
	}
}

static void json_num(struct sbuf *b, const char *key, long long v)
{
	if (v >= 0)
		sbuf_printf(b, ", \"%s\": %lld", key, v);
	else
		sbuf_printf(b, ", \"%s\": null", key);
}

static void show_json(const struct status *st, struct sbuf *b)
{
	sbuf_printf(b, "{\"vms\": [");
	for (size_t i = 0; i < st->n; i++) {
		const struct vm_row *r = &st->row[i];

		sbuf_printf(b, "%s\n  {\"name\": ", i ? "," : "");
		json_str(b, r->name);
		sbuf_printf(b, ", \"state\": \"%s\", \"pid\": %ld", r->live ? "running" : "ended", r->pid);
		if (r->live) {
			sbuf_printf(b, ", \"uptime_seconds\": %llu", uptime_of(r));
			json_num(b, "uid", r->uid);
			json_num(b, "memory_mib", r->memory_mib > 0 ? r->memory_mib : -1);
			json_num(b, "rss_kib", r->rss_kib);
			sbuf_printf(b, ", \"sockets\": {\"qmp\": %s, \"console\": %s, \"vnc\": %s}",
				    r->qmp ? "true" : "false", r->console ? "true" : "false", r->vnc ? "true" : "false");
		} else {
			sbuf_printf(b, ", \"ended_by\": ");
			json_str(b, ended_how(r));
			sbuf_printf(b, ", \"released\": false");
		}
		sbuf_printf(b, ", \"devices\": [");
		for (size_t k = 0; k < r->n_dev; k++) {
			sbuf_printf(b, "%s{\"address\": ", k ? ", " : "");
			json_str(b, r->dev[k].addr);
			sbuf_printf(b, ", \"model\": ");
			json_str(b, r->dev[k].model);
			sbuf_printf(b, "}");
		}
		sbuf_printf(b, "]}");
	}
	sbuf_printf(b, "%s]}\n", st->n ? "\n" : "");
}

static void status_free(struct status *st)
{
	for (size_t i = 0; i < st->n; i++)
		free(st->row[i].dev);
	free(st->row);
}

/* Every name lease, claim and identity lease read into rows; dead VMs' leftovers cleaned. */
static int status_collect(struct status *st, struct perr *e)
{
	char dir[512];
	size_t n_rows;

	if (vms_dir(st->state_dir, dir, sizeof(dir), e) < 0 || lease_each(dir, is_lock, on_name, st, e) < 0 ||
	    claim_each(st->state_dir, on_claim, st, e) < 0 || ids_dir(st->state_dir, dir, sizeof(dir), e) < 0 ||
	    lease_each(dir, is_uid, on_id, st, e) < 0)
		return -1;
	/* a dead name lease: its leftovers go; its row stays only as the holder of devices not
	 * released (on_claim made those rows) */
	n_rows = st->n;
	for (size_t i = 0; i < n_rows; i++)
		if (st->row[i].dead_lock)
			clean(st, st->row[i].name, unreleased(st, st->row[i].name));
	/* rows of dead leases with no device: gone from the list */
	for (size_t i = 0; i < st->n;) {
		if (!st->row[i].live && st->row[i].n_dev == 0) {
			free(st->row[i].dev);
			st->row[i] = st->row[--st->n];
		} else {
			i++;
		}
	}
	for (size_t i = 0; i < st->n; i++) {
		struct vm_row *r = &st->row[i];

		if (r->n_dev > 1) /* (qsort wants an array, even of none) */
			qsort(r->dev, r->n_dev, sizeof(*r->dev), cmp_dev);
		if (r->live) {
			vm_proc(r);
			sockets(st->state_dir, r);
		}
	}
	if (st->n > 1)
		qsort(st->row, st->n, sizeof(*st->row), cmp_row);
	return 0;
}

int op_status(const struct host_config *h, const char *name, bool json, struct perr *e)
{
	struct status st = { .state_dir = h->state_dir, .only = name, .e = e };
	struct sbuf b = { 0 };
	struct stat sb;
	int r = -1;

	if (name && name_check(name, e) < 0)
		return -1;
	/* no state directory: nothing ever ran here (and --status creates nothing) */
	if (stat(h->state_dir, &sb) < 0 && errno == ENOENT)
		;
	else if (state_check(h->state_dir, e) < 0 || status_collect(&st, e) < 0)
		goto out;
	if (name && st.n == 0) {
		fail(e, EX_UNAVAILABLE, "no VM named %s", name);
		goto out;
	}
	if (json)
		show_json(&st, &b);
	else
		show_text(&st, &b);
	if (b.oom || fwrite(b.p, 1, b.len, stdout) != b.len || fflush(stdout) != 0)
		stdout_die();
	r = 0;
out:
	sbuf_free(&b);
	status_free(&st);
	return r;
}

/* ------------------------------------------------------------------------------------------ */
/* --stop: a ladder, as vmd's: ACPI power-down, wait; quit, wait; kill. */

enum rung { R_NONE, R_POWERDOWN, R_QUIT, R_KILL };
static const char *const rung_name[] = { "none", "powerdown", "quit", "kill" };

/* Wait up to ms for the process behind pidfd to end (its whole thread group). 1 when it has. */
static int ended_within(int pidfd, long long ms)
{
	long long deadline = now_ms() + ms;

	for (;;) {
		struct pollfd p = { .fd = pidfd, .events = POLLIN };
		long long left = deadline - now_ms();
		int r = poll(&p, 1, left < 0 ? 0 : (int)(left > 60000 ? 60000 : left));

		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return -1;
		if (r == 0 && now_ms() >= deadline)
			return 0;
	}
}

/* Write how the VM ended into its name lease (kept while its devices are not released, for
 * --status), if that lease is still the record of the process we stopped. Its parent may not
 * have reaped it yet (a zombie still counts as alive): a short, bounded retry. */
static void record_end(const char *state_dir, const char *vm, const struct claim_info *was, enum rung how)
{
	struct perr ignore = { 0 };
	struct claim_info old;
	char dir[512], file[VM_NAME_MAX + 8];
	int fd = -2;

	if (vms_dir(state_dir, dir, sizeof(dir), &ignore) < 0)
		return;
	snprintf(file, sizeof(file), "%s.lock", vm);
	for (int tries = 0; tries < 20 && fd == -2; tries++) {
		fd = lease_lock(dir, file, &old, &ignore);
		if (fd == -2 && (old.pid != was->pid || old.start != was->start))
			return; /* a new VM of that name runs already */
		if (fd == -2)
			usleep(50 * 1000);
	}
	if (fd < 0)
		return;
	if (!old.exists || old.unreadable || old.pid != was->pid || old.start != was->start) {
		close(fd);
		return;
	}
	snprintf(old.ended, sizeof(old.ended), "%s", rung_name[how]);
	fd = lease_commit(fd, dir, file, &old, &ignore);
	if (fd >= 0)
		close(fd);
}

int op_stop(const struct host_config *h, const char *name, unsigned timeout_s, bool json, struct perr *e)
{
	static const char *const said[] = { "none of us (it ended on its own)", "ACPI power-down", "quit",
					    "kill (SIGKILL)" };
	struct claim_info ci;
	struct qmp *q = NULL;
	struct qmp_msg reply;
	struct perr qe = { 0 };
	struct sbuf b = { 0 };
	enum rung how = R_NONE;
	char path[600];
	long long t0;
	int pidfd, done = 0;

	if (name_check(name, e) < 0 || name_inspect(h->state_dir, name, &ci, e) < 0)
		return -1;
	if (!ci.held || !ci.alive || ci.unreadable || strcmp(ci.vm, name) != 0)
		return fail(e, EX_UNAVAILABLE, "no VM named %s is running", name);
	/* the process the lease records, held by a descriptor: once it is ours, no reused pid can
	 * be hit; its start time says it is still that process */
	pidfd = pidfd_open((pid_t)ci.pid, 0);
	if (pidfd < 0)
		return errno == ESRCH ? fail(e, EX_UNAVAILABLE, "no VM named %s is running", name)
				      : fail_errno(e, EX_OSERR, "pidfd_open %ld", ci.pid);
	if (proc_start(ci.pid) != ci.start) {
		close(pidfd);
		return fail(e, EX_UNAVAILABLE, "no VM named %s is running", name);
	}
	t0 = now_ms();
	if ((q = malloc(sizeof(*q))) == NULL) {
		close(pidfd);
		return fail_errno(e, EX_OSERR, "stop");
	}
	if (vms_path(path, sizeof(path), h->state_dir, name, "qmp", e) < 0)
		goto out;
	if (qmp_connect(q, path, QMP_CONNECT_MS, &qe) < 0) {
		say(name, "no ACPI power-down: %s", qe.msg);
	} else if (qmp_execute(q, "system_powerdown", NULL, &reply, &qe) < 0) {
		say(name, "no ACPI power-down: %s", qe.msg);
	} else {
		how = R_POWERDOWN;
		if ((done = ended_within(pidfd, (long long)timeout_s * 1000)) == 0)
			say(name, "still running %u s after the ACPI power-down; quit", timeout_s);
	}
	if (done == 0 && (done = ended_within(pidfd, 0)) == 0) {
		/* quit over QMP, or, when QMP does not answer, SIGTERM: QEMU's own clean exit */
		how = R_QUIT;
		if (q->fd >= 0) {
			memset(&qe, 0, sizeof(qe));
			/* QEMU may close the socket before it answers: success or not, wait */
			(void)!qmp_execute(q, "quit", NULL, &reply, &qe);
		} else if (pidfd_send_signal(pidfd, SIGTERM, NULL, 0) < 0 && errno != ESRCH) {
			fail_errno(e, EX_OSERR, "vm %s: SIGTERM", name);
			goto out;
		}
		if ((done = ended_within(pidfd, QUIT_WAIT_MS)) == 0)
			say(name, "still running %d s after quit; SIGKILL", QUIT_WAIT_MS / 1000);
	}
	if (done == 0) {
		how = R_KILL;
		if (pidfd_send_signal(pidfd, SIGKILL, NULL, 0) < 0 && errno != ESRCH) {
			fail_errno(e, EX_OSERR, "vm %s: SIGKILL", name);
			goto out;
		}
		done = ended_within(pidfd, KILL_WAIT_MS);
	}
	if (done <= 0) {
		fail(e, done < 0 ? EX_OSERR : EX_TEMPFAIL, "vm %s: pid %ld still there %d s after SIGKILL",
		     name, ci.pid, KILL_WAIT_MS / 1000);
		goto out;
	}
	qmp_close(q);
	record_end(h->state_dir, name, &ci, how);
	if (json) {
		sbuf_printf(&b, "{\"vm\": ");
		json_str(&b, name);
		sbuf_printf(&b, ", \"pid\": %ld, \"stopped_by\": \"%s\", \"seconds\": %.1f}\n", ci.pid,
			    rung_name[how], (double)(now_ms() - t0) / 1000);
	} else {
		sbuf_printf(&b, "vm %s: stopped by %s in %.1f s\n", name, said[how], (double)(now_ms() - t0) / 1000);
	}
	if (b.oom || fwrite(b.p, 1, b.len, stdout) != b.len || fflush(stdout) != 0)
		stdout_die();
out:
	if (q)
		qmp_close(q);
	free(q);
	sbuf_free(&b);
	close(pidfd);
	return e->code ? -1 : 0;
}
