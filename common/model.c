/* SPDX-License-Identifier: GPL-2.0-or-later */
/* model.c - custom device models: the rules, models.d/, and matching devices to models. */
#include "model.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "inifile.h"
#include "trust.h"

/* The platform we mirror passes these through with types of its own. */
static const char *const builtin_types[] = {
	"GPU", "GPU-HPC", "GPU-VGA", "LEGACY-VGPU", "NIC", "NVME-PT", "SRIOV-VGPU", "USB",
};

const char *model_name_check(const char *name)
{
	if (!str_only(name, WORD_CHARS, MODEL_NAME_MAX))
		return "expected 1-64 characters of A-Z a-z 0-9 . _ -";
	/* A leading dot would hide the model's file; a leading dash reads as an option. */
	if (name[0] == '.' || name[0] == '-')
		return "must not start with '.' or '-'";
	return NULL;
}

const char *dev_type_check(const char *in, char out[DEV_TYPE_MAX + 1])
{
	size_t n = strlen(in);

	if (n < 1 || n > DEV_TYPE_MAX)
		return "must be 1-32 characters of A-Z 0-9 _ -";
	for (size_t i = 0; i <= n; i++)
		out[i] = (char)(in[i] >= 'a' && in[i] <= 'z' ? in[i] - 'a' + 'A' : in[i]);
	if (!str_only(out, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", DEV_TYPE_MAX))
		return "must be 1-32 characters of A-Z 0-9 _ -";
	for (size_t i = 0; i < sizeof(builtin_types) / sizeof(builtin_types[0]); i++)
		if (strcmp(out, builtin_types[i]) == 0)
			return "is a built-in passthrough type of the platform, not a custom one";
	return NULL;
}

const char *romfile_check(const char *in)
{
	/* a name in rom_dir, never a path: no '/', and no hidden file, "." or ".." */
	if (!str_only(in, WORD_CHARS, ROMFILE_MAX))
		return "expected a file name of 1-128 characters of A-Z a-z 0-9 . _ - (no '/')";
	if (in[0] == '.' || in[0] == '-')
		return "must not start with '.' or '-'";
	return NULL;
}

/* The next word (*word) of a list of single-space-separated words at *p: its length, 0 at the
 * end; -1 for a list that is not one (an empty word: leading, trailing or doubled spaces). */
static long next_word(const char **p, const char **word)
{
	const char *w = *p, *end = strchr(w, ' ');
	size_t n = end ? (size_t)(end - w) : strlen(w);

	if (*w == '\0')
		return 0;
	if (n == 0 || (end && end[1] == '\0'))
		return -1;
	*word = w;
	*p = end ? end + 1 : w + n;
	return (long)n;
}

/* The index of word w[0..n) in names (NULL-terminated), or -1. */
static int word_index(const char *const *names, const char *w, size_t n)
{
	for (int i = 0; names[i]; i++)
		if (strlen(names[i]) == n && strncmp(names[i], w, n) == 0)
			return i;
	return -1;
}

const char *reset_method_check(const char *in, char out[RESET_METHOD_MAX + 1])
{
	/* the kernel's names (drivers/pci/pci.c, pci_reset_fn_methods), and "default" alone */
	static const char *const names[] = { "flr", "pm", "bus", "af", "device_specific", "cxl_bus",
					     "default", NULL };
	static const char expected[] =
		"expected \"default\" or kernel reset methods (flr pm bus af device_specific cxl_bus), "
		"separated by single spaces, each once";
	const char *p = in, *w;
	unsigned seen = 0, n_words = 0;
	long n;

	if (strlen(in) > RESET_METHOD_MAX)
		return expected;
	while ((n = next_word(&p, &w)) > 0) {
		int i = word_index(names, w, (size_t)n);

		if (i < 0 || (seen & (1u << i)))
			return expected;
		seen |= 1u << i;
		n_words++;
	}
	if (n < 0 || n_words == 0 || ((seen & (1u << 6)) && n_words > 1))
		return expected;
	strcpy(out, in);
	return NULL;
}

static const char *const allow_names[] = { "no-reset", "d3cold", "aer", NULL };

const char *allow_check(const char *in, unsigned *out)
{
	static const char expected[] = "expected no-reset, d3cold or aer, separated by single spaces, each once";
	const char *p = in, *w;
	unsigned bits = 0;
	long n;

	while ((n = next_word(&p, &w)) > 0) {
		int i = word_index(allow_names, w, (size_t)n);

		if (i < 0 || (bits & (1u << i)))
			return expected;
		bits |= 1u << i;
	}
	if (n < 0 || bits == 0)
		return expected;
	*out = bits;
	return NULL;
}

const char *allow_text(unsigned bits, char *buf, size_t size)
{
	size_t o = 0;

	buf[0] = '\0';
	for (int i = 0; allow_names[i]; i++)
		if (bits & (1u << i))
			o += (size_t)snprintf(buf + o, o < size ? size - o : 0, "%s%s", o ? " " : "",
					      allow_names[i]);
	return buf;
}

/* "file:line", or "the command line". */
static const char *model_where(const struct model *m, char *buf, size_t size)
{
	if (m->line == 0)
		snprintf(buf, size, "the command line");
	else
		snprintf(buf, size, "%s:%d", m->file, m->line);
	return buf;
}

/* "file:line: " for a model from a file, "" for one from the command line. */
static const char *prefix(const struct model *m, char *buf, size_t size)
{
	if (m->line == 0)
		buf[0] = '\0';
	else
		snprintf(buf, size, "%s:%d: ", m->file, m->line);
	return buf;
}

static int grow(struct model_set *ms, struct perr *e)
{
	if (ms->n == ms->cap) {
		size_t cap = ms->cap ? ms->cap * 2 : 16;
		struct model *v = realloc(ms->v, cap * sizeof(*v));
		if (v == NULL)
			return fail_errno(e, EX_OSERR, "models");
		ms->v = v;
		ms->cap = cap;
	}
	return 0;
}

int models_add(struct model_set *ms, const struct model *m, struct perr *e)
{
	char w[400];

	if (ms->n == MODELS_MAX)
		return fail(e, EX_DATAERR, "%s[%s]: more than %d models", prefix(m, w, sizeof(w)),
			    m->name, MODELS_MAX);
	if (grow(ms, e) < 0)
		return -1;
	ms->v[ms->n] = *m;
	ms->v[ms->n].seq = ms->n;
	ms->n++;
	return 0;
}

static int parse_dev_type(const struct ini_pos *at, const struct ini_key *k, const char *value,
			  void *field, struct perr *e)
{
	const char *why = dev_type_check(value, field);
	char b[128];

	if (why)
		return ini_fail(e, at, EX_DATAERR, "%s: \"%s\" %s", k->name, shown(value, b), why);
	return 0;
}

static int parse_functions(const struct ini_pos *at, const struct ini_key *k, const char *value,
			   void *field, struct perr *e)
{
	char b[128];

	if (strcmp(value, "all") != 0 && strcmp(value, "one") != 0)
		return ini_fail(e, at, EX_DATAERR, "%s: expected all or one, got \"%s\"", k->name,
				shown(value, b));
	*(bool *)field = strcmp(value, "all") == 0;
	return 0;
}

static int parse_rombar(const struct ini_pos *at, const struct ini_key *k, const char *value,
			void *field, struct perr *e)
{
	char b[128];

	if (strcmp(value, "on") != 0 && strcmp(value, "off") != 0)
		return ini_fail(e, at, EX_DATAERR, "%s: expected on or off, got \"%s\"", k->name,
				shown(value, b));
	*(int *)field = strcmp(value, "on") == 0 ? ROMBAR_ON : ROMBAR_OFF;
	return 0;
}

static int parse_romfile(const struct ini_pos *at, const struct ini_key *k, const char *value,
			 void *field, struct perr *e)
{
	const char *why = romfile_check(value);
	char b[128];

	if (why)
		return ini_fail(e, at, EX_DATAERR, "%s: \"%s\": %s", k->name, shown(value, b), why);
	strcpy(field, value);
	return 0;
}

static int parse_reset_method(const struct ini_pos *at, const struct ini_key *k, const char *value,
			      void *field, struct perr *e)
{
	const char *why = reset_method_check(value, field);
	char b[128];

	if (why)
		return ini_fail(e, at, EX_DATAERR, "%s: %s, got \"%s\"", k->name, why, shown(value, b));
	return 0;
}

static int parse_allow(const struct ini_pos *at, const struct ini_key *k, const char *value,
		       void *field, struct perr *e)
{
	const char *why = allow_check(value, field);
	char b[128];

	if (why)
		return ini_fail(e, at, EX_DATAERR, "%s: %s, got \"%s\"", k->name, why, shown(value, b));
	return 0;
}

enum { K_DEV_TYPE, K_VENDOR, K_DEVICE, K_SUBSYS_VENDOR, K_SUBSYS_DEVICE };
static const struct ini_key model_keys[] = {
	[K_DEV_TYPE] = INI_KEY("dev_type", parse_dev_type, struct model, dev_type, DEV_TYPE_MAX + 1),
	[K_VENDOR] = INI_KEY("vendor_id", ini_parse_hex16, struct model, vendor, 0),
	[K_DEVICE] = INI_KEY("device_id", ini_parse_hex16, struct model, device, 0),
	[K_SUBSYS_VENDOR] = INI_KEY("subsystem_vendor_id", ini_parse_hex16, struct model, subsys_vendor, 0),
	[K_SUBSYS_DEVICE] = INI_KEY("subsystem_device_id", ini_parse_hex16, struct model, subsys_device, 0),
	/* how the launcher passes a device of the model (pcipass-model(8)) */
	INI_KEY("functions", parse_functions, struct model, functions_all, 0),
	INI_KEY("rombar", parse_rombar, struct model, rombar, 0),
	INI_KEY("romfile", parse_romfile, struct model, romfile, 0),
	INI_KEY("reset_method", parse_reset_method, struct model, reset_method, 0),
	INI_KEY("allow", parse_allow, struct model, allow, 0),
};

struct parse_state {
	struct model_set *ms;
	size_t first; /* first model of this file */
	const char *file;
};

static int on_section(void *user, const struct ini_pos *at, const char *name, struct perr *e)
{
	struct parse_state *ps = user;
	const char *why = model_name_check(name);
	struct model m = { .line = at->line };
	char b[128];

	if (why)
		return ini_fail(e, at, EX_DATAERR, "model name \"%s\": %s", shown(name, b), why);
	if (ps->ms->n == MODELS_MAX)
		return ini_fail(e, at, EX_DATAERR, "[%s]: more than %d models", name, MODELS_MAX);
	strcpy(m.name, name);
	if (xsnprintf(m.file, sizeof(m.file), "%s", ps->file) < 0)
		return fail(e, EX_DATAERR, "%s: path too long", ps->file);
	return models_add(ps->ms, &m, e);
}

static int on_key(void *user, const struct ini_pos *at, const char *section, const char *key,
		  const char *value, struct perr *e)
{
	struct parse_state *ps = user;
	struct model *m;

	if (section == NULL || ps->ms->n == ps->first)
		return ini_fail(e, at, EX_DATAERR, "%s: key outside a section, expected [MODEL] first", key);
	m = &ps->ms->v[ps->ms->n - 1];
	return ini_set(model_keys, sizeof(model_keys) / sizeof(model_keys[0]), m, &m->seen, at,
		       section, key, value, e);
}

static const struct ini_ops model_ops = { on_section, on_key };

/* Every key a model needs, checked once its file is read. */
static int check_complete(struct model *m, struct perr *e)
{
	static const unsigned need[] = { K_DEV_TYPE, K_VENDOR, K_DEVICE };
	const unsigned sub = 1u << K_SUBSYS_VENDOR | 1u << K_SUBSYS_DEVICE;
	struct ini_pos at = { m->file, m->line };

	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (!(m->seen & (1u << need[i])))
			return ini_fail(e, &at, EX_DATAERR, "[%s]: missing %s", m->name,
					model_keys[need[i]].name);
	if ((m->seen & sub) != 0 && (m->seen & sub) != sub)
		return ini_fail(e, &at, EX_DATAERR,
				"[%s]: subsystem_vendor_id and subsystem_device_id go together", m->name);
	m->has_subsys = (m->seen & sub) == sub;
	return 0;
}

int models_parse(const char *text, size_t len, const char *name, struct model_set *ms,
		 struct perr *e)
{
	struct parse_state ps = { ms, ms->n, name };

	if (ini_read_mem(text, len, name, &model_ops, &ps, e) < 0)
		return -1;
	for (size_t i = ps.first; i < ms->n; i++)
		if (check_complete(&ms->v[i], e) < 0)
			return -1;
	return 0;
}

static int cmp_match(const struct model *a, const struct model *b)
{
	if (a->vendor != b->vendor)
		return a->vendor < b->vendor ? -1 : 1;
	if (a->device != b->device)
		return a->device < b->device ? -1 : 1;
	if (a->has_subsys != b->has_subsys)
		return a->has_subsys ? 1 : -1;
	if (!a->has_subsys)
		return 0;
	if (a->subsys_vendor != b->subsys_vendor)
		return a->subsys_vendor < b->subsys_vendor ? -1 : 1;
	if (a->subsys_device != b->subsys_device)
		return a->subsys_device < b->subsys_device ? -1 : 1;
	return 0;
}

static int by_match(const void *a, const void *b)
{
	const struct model *x = *(struct model *const *)a, *y = *(struct model *const *)b;
	int c = cmp_match(x, y);

	return c ? c : x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int by_name(const void *a, const void *b)
{
	const struct model *x = *(struct model *const *)a, *y = *(struct model *const *)b;
	int c = strcasecmp(x->name, y->name);

	return c ? c : x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void match_text(const struct model *m, char *buf, size_t size)
{
	if (m->has_subsys)
		snprintf(buf, size, "%04x:%04x subsystem %04x:%04x", m->vendor, m->device,
			 m->subsys_vendor, m->subsys_device);
	else
		snprintf(buf, size, "%04x:%04x", m->vendor, m->device);
}

int models_finish(struct model_set *ms, struct perr *e)
{
	struct model **idx;
	char w1[400], w2[400], mt[64];

	free(ms->index);
	ms->index = NULL;
	idx = malloc((ms->n ? ms->n : 1) * sizeof(*idx));
	if (idx == NULL)
		return fail_errno(e, EX_OSERR, "models");
	for (size_t i = 0; i < ms->n; i++)
		idx[i] = &ms->v[i];
	/* Names: unique ignoring case, so Atlas-800 and atlas-800 cannot both exist. */
	qsort(idx, ms->n, sizeof(*idx), by_name);
	for (size_t i = 1; i < ms->n; i++)
		if (strcasecmp(idx[i - 1]->name, idx[i]->name) == 0) {
			fail(e, EX_DATAERR, "%smodel \"%s\" is already defined at %s",
			     prefix(idx[i], w1, sizeof(w1)), idx[i]->name,
			     model_where(idx[i - 1], w2, sizeof(w2)));
			free(idx);
			return -1;
		}
	qsort(idx, ms->n, sizeof(*idx), by_match);
	for (size_t i = 1; i < ms->n; i++)
		if (cmp_match(idx[i - 1], idx[i]) == 0) {
			match_text(idx[i], mt, sizeof(mt));
			fail(e, EX_DATAERR, "%smodel \"%s\" matches %s like model \"%s\" (%s)",
			     prefix(idx[i], w1, sizeof(w1)), idx[i]->name, mt, idx[i - 1]->name,
			     model_where(idx[i - 1], w2, sizeof(w2)));
			free(idx);
			return -1;
		}
	ms->index = idx;
	return 0;
}

static int conf_file(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	/* Hidden files are editors' and our own temporaries; only *.conf is a model file. */
	return d->d_name[0] != '.' && n > 5 && strcmp(d->d_name + n - 5, ".conf") == 0;
}

int models_read(const char *dir, bool trusted, const char *skip, struct model_set *ms,
		struct perr *e)
{
	struct dirent **list;
	int n, r = 0;

	if (trusted && trust_dir(dir, e) < 0)
		return -1;
	n = scandir(dir, &list, conf_file, alphasort);
	if (n < 0)
		return fail_errno(e, errno == ENOENT ? EX_NOINPUT : EX_OSERR, "%s", dir);
	for (int i = 0; i < n; i++) {
		char path[320], *text;
		size_t len;

		/* the file check MODEL_FILE replaces: neither its models nor its mode count */
		if (skip && strcmp(list[i]->d_name, skip) == 0) {
			free(list[i]);
			continue;
		}
		if (r == 0 && xsnprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name) < 0)
			r = fail(e, EX_DATAERR, "%s/%s: path too long", dir, list[i]->d_name);
		if (r == 0 && (r = read_config(path, trusted, &text, &len, e)) == 0) {
			r = models_parse(text, len, path, ms, e);
			free(text);
		}
		free(list[i]);
	}
	free(list);
	return r;
}

int models_load(const char *dir, bool trusted, struct model_set *ms, struct perr *e)
{
	if (models_read(dir, trusted, NULL, ms, e) < 0)
		return -1;
	return models_finish(ms, e);
}

int models_parse_one(const char *text, size_t len, const char *name, struct model *m,
		     struct perr *e)
{
	struct model_set f = { 0 };
	int r = -1;

	if (models_parse(text, len, name, &f, e) < 0)
		goto out;
	/* One model, one file named for it: the file it replaces once installed is then plain,
	 * and an empty file (a template that rendered nothing) installs no model at all. */
	if (f.n == 0)
		fail(e, EX_DATAERR, "%s: expected one model section, got none", name);
	else if (f.n > 1)
		fail(e, EX_DATAERR, "%s:%d: [%s]: expected one model section, got %zu", name,
		     f.v[1].line, f.v[1].name, f.n);
	else {
		*m = f.v[0];
		r = 0;
	}
out:
	models_free(&f);
	return r;
}

void models_free(struct model_set *ms)
{
	free(ms->v);
	free(ms->index);
	memset(ms, 0, sizeof(*ms));
}

/* The first index entry not ordered before key (cmp_match), ms->n when none is. */
static size_t lower_bound(const struct model_set *ms, const struct model *key)
{
	size_t lo = 0, hi = ms->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cmp_match(ms->index[mid], key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct model *models_match(const struct model_set *ms, unsigned vendor, unsigned device,
				 bool has_subsys, unsigned sv, unsigned sd)
{
	struct model key = { .vendor = vendor, .device = device, .has_subsys = has_subsys,
			     .subsys_vendor = sv, .subsys_device = sd };

	/* Equal keys cannot exist after models_finish(). */
	for (int pass = 0; pass < 2; pass++) {
		size_t lo = lower_bound(ms, &key);
		if (lo < ms->n && cmp_match(ms->index[lo], &key) == 0)
			return ms->index[lo];
		if (!key.has_subsys)
			break;
		key.has_subsys = false; /* no model for this subsystem: try the plain vendor:device */
	}
	return NULL;
}

bool models_name_ids(const struct model_set *ms, unsigned vendor, unsigned device)
{
	/* without a subsystem a key sorts before every model of the same ids that has one */
	struct model key = { .vendor = vendor, .device = device };
	size_t lo = lower_bound(ms, &key);

	return lo < ms->n && ms->index[lo]->vendor == vendor && ms->index[lo]->device == device;
}

const struct model *models_find(const struct model_set *ms, const char *name)
{
	for (size_t i = 0; i < ms->n; i++)
		if (strcmp(ms->v[i].name, name) == 0)
			return &ms->v[i];
	return NULL;
}

/* Append to buf[0..size) at *n (-1 once anything did not fit: the render fails whole). */
static void append(char *buf, size_t size, int *n, const char *fmt, ...) PRINTF(4, 5);
static void append(char *buf, size_t size, int *n, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (*n < 0)
		return;
	va_start(ap, fmt);
	w = vsnprintf(buf + *n, size - (size_t)*n, fmt, ap);
	va_end(ap);
	*n = w < 0 || (size_t)w >= size - (size_t)*n ? -1 : *n + w;
}

int model_render(const struct model *m, char *buf, size_t size)
{
	char allow[32];
	int n = 0;

	append(buf, size, &n, "; written by pcipass-model\n[%s]\ndev_type  = %s\nvendor_id = %04x\ndevice_id = %04x\n",
	       m->name, m->dev_type, m->vendor, m->device);
	if (m->has_subsys)
		append(buf, size, &n, "subsystem_vendor_id = %04x\nsubsystem_device_id = %04x\n",
		       m->subsys_vendor, m->subsys_device);
	/* the launch keys, those given */
	if (m->functions_all)
		append(buf, size, &n, "functions = all\n");
	if (m->rombar != ROMBAR_DEFAULT)
		append(buf, size, &n, "rombar = %s\n", m->rombar == ROMBAR_ON ? "on" : "off");
	if (m->romfile[0])
		append(buf, size, &n, "romfile = %s\n", m->romfile);
	if (m->reset_method[0])
		append(buf, size, &n, "reset_method = %s\n", m->reset_method);
	if (m->allow)
		append(buf, size, &n, "allow = %s\n", allow_text(m->allow, allow, sizeof(allow)));
	return n;
}
