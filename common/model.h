/* SPDX-License-Identifier: GPL-2.0-or-later */
/* model.h - custom device models: the rules, models.d/, and matching devices to models. */
#ifndef PCIPASS_MODEL_H
#define PCIPASS_MODEL_H

#include <stddef.h>
#include "util.h"

#define MODEL_NAME_MAX 64
#define DEV_TYPE_MAX 32
#define MODELS_MAX 4096
#define ROMFILE_MAX 128      /* a romfile's name under rom_dir */
#define RESET_METHOD_MAX 63  /* reset_method: the kernel's names, space-separated */

/* What a device's model lets through the launcher's health gate (allow = ...). */
enum model_allow {
	ALLOW_NO_RESET = 1u << 0, /* no-reset: the kernel offers no reset method */
	ALLOW_D3COLD = 1u << 1,   /* d3cold: the device is powered off (D3cold) */
	ALLOW_AER = 1u << 2,      /* aer: it has logged uncorrectable (fatal, non-fatal) AER errors */
};

enum model_rombar { ROMBAR_DEFAULT, ROMBAR_ON, ROMBAR_OFF };

struct model {
	char name[MODEL_NAME_MAX + 1];
	char dev_type[DEV_TYPE_MAX + 1];
	unsigned vendor, device;
	unsigned subsys_vendor, subsys_device;
	bool has_subsys;
	char file[320];  /* where it is defined, for messages and delete */
	int line;        /* its [section] line; 0 = given on the command line */
	size_t seq;      /* definition order, to blame the later of two conflicting models */
	unsigned seen;   /* keys given, bit per key-table entry */
	/* how the launcher passes it (trusted: models are root's; vm.ini sets none of these) */
	bool functions_all; /* functions = all: its slot's other functions go with it */
	int rombar;         /* enum model_rombar */
	char romfile[ROMFILE_MAX + 1]; /* a file name under the host's rom_dir; "" none */
	char reset_method[RESET_METHOD_MAX + 1]; /* written to sysfs before binding; "" left alone */
	unsigned allow;     /* enum model_allow bits */
};

struct model_set {
	struct model *v;
	size_t n, cap;
	struct model **index; /* by match key, built by models_finish() */
};

/* Why a name / device type is refused, or NULL when it is fine. dev_type_check() also writes
 * the upper-cased type to out. */
const char *model_name_check(const char *name);
const char *dev_type_check(const char *in, char out[DEV_TYPE_MAX + 1]);
/* Likewise for the launch keys: a romfile name; a reset_method list (out: normalized, single
 * spaces); an allow list (out: enum model_allow bits). */
const char *romfile_check(const char *in);
const char *reset_method_check(const char *in, char out[RESET_METHOD_MAX + 1]);
const char *allow_check(const char *in, unsigned *out);
/* "no-reset d3cold aer" for bits, into buf (size 32 is enough); "" for none. */
const char *allow_text(unsigned bits, char *buf, size_t size);

/* Parse one models.d file's text, appending its models (not yet cross-checked). */
int models_parse(const char *text, size_t len, const char *name, struct model_set *ms,
		 struct perr *e) MUST_CHECK;
/* Append a model built elsewhere (the command line). */
int models_add(struct model_set *ms, const struct model *m, struct perr *e) MUST_CHECK;
/* Cross-check the set (unique names, no two models with the same match) and index it. */
int models_finish(struct model_set *ms, struct perr *e) MUST_CHECK;
/* Read every *.conf of dir (in name order) and finish the set. `trusted`: see open_config(). */
int models_load(const char *dir, bool trusted, struct model_set *ms, struct perr *e) MUST_CHECK;
/* The same without the cross-check, and without the file of dir named `skip` (NULL: none):
 * the set is left unfinished. */
int models_read(const char *dir, bool trusted, const char *skip, struct model_set *ms,
		struct perr *e) MUST_CHECK;
/* Parse a file meant for models_dir that must define exactly one model, into m (check
 * MODEL_FILE: it is then checked as if installed as models_dir/<its name>.conf). */
int models_parse_one(const char *text, size_t len, const char *name, struct model *m,
		     struct perr *e) MUST_CHECK;
void models_free(struct model_set *ms);

/* The model a device matches: one with its exact subsystem beats one without. O(log n). */
const struct model *models_match(const struct model_set *ms, unsigned vendor, unsigned device,
				 bool has_subsys, unsigned sv, unsigned sd);
/* Does any model name vendor:device (whatever its subsystem)? The probe's cheap first test. */
bool models_name_ids(const struct model_set *ms, unsigned vendor, unsigned device);
const struct model *models_find(const struct model_set *ms, const char *name);

/* The text of a model file as pcipass-model writes it. */
int model_render(const struct model *m, char *buf, size_t size) MUST_CHECK;

#endif
