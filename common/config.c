/* config.c - the host configuration, pcipass.conf. */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inifile.h"
#include "trust.h"

void config_defaults(struct host_config *c)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->sysfs_root, "/sys");
	strcpy(c->dev_root, "/dev");
	strcpy(c->models_dir, "/etc/pcipass/models.d");
	strcpy(c->inventory, "/var/lib/pcipass/inventory.ini");
	strcpy(c->state_dir, "/run/pcipass");
	strcpy(c->qemu, "/usr/bin/qemu-system-x86_64");
	strcpy(c->vfio_driver, "vfio-pci");
	strcpy(c->run_as, "pcipass");
	c->seccomp_action = SECCOMP_KILL;
}

static int cmp_addr(const void *a, const void *b)
{
	return strcmp(a, b);
}

static int parse_exclude(const struct ini_pos *at, const struct ini_key *k, const char *value,
			 void *field, struct perr *e)
{
	struct host_config *c = (struct host_config *)((char *)field - offsetof(struct host_config, exclude));
	char copy[1024], *save = NULL, b[128];

	if (xsnprintf(copy, sizeof(copy), "%s", value) < 0)
		return ini_fail(e, at, EX_CONFIG, "%s: value too long", k->name);
	for (char *w = strtok_r(copy, " \t,", &save); w; w = strtok_r(NULL, " \t,", &save)) {
		if (c->n_exclude == EXCLUDE_MAX)
			return ini_fail(e, at, EX_CONFIG, "%s: more than %d addresses", k->name, EXCLUDE_MAX);
		if (parse_pci_addr(w, c->exclude[c->n_exclude]) < 0)
			return ini_fail(e, at, EX_CONFIG,
					"%s: expected PCI addresses like 0000:00:1f.2, got \"%s\"",
					k->name, shown(w, b));
		c->n_exclude++;
	}
	qsort(c->exclude, c->n_exclude, sizeof(c->exclude[0]), cmp_addr);
	return 0;
}

static int parse_action(const struct ini_pos *at, const struct ini_key *k, const char *value,
			void *field, struct perr *e)
{
	static const char *const names[] = { [SECCOMP_KILL] = "kill", [SECCOMP_ERRNO] = "errno",
					     [SECCOMP_LOG] = "log" };
	char b[128];

	for (int i = 0; i < 3; i++)
		if (strcmp(value, names[i]) == 0)
			return *(int *)field = i, 0;
	return ini_fail(e, at, EX_CONFIG, "%s: expected kill, errno or log, got \"%s\"", k->name,
			shown(value, b));
}

#define PATHKEY(n) INI_KEY(#n, ini_parse_path, struct host_config, n, CONF_PATH_MAX)
static const struct ini_key host_keys[] = {
	PATHKEY(sysfs_root),
	PATHKEY(dev_root),
	PATHKEY(models_dir),
	PATHKEY(inventory),
	PATHKEY(state_dir),
	PATHKEY(qemu),
	PATHKEY(pci_ids),
	INI_KEY("vfio_driver", ini_parse_word, struct host_config, vfio_driver, 64),
	INI_KEY("run_as", ini_parse_word, struct host_config, run_as, 33),
	INI_KEY("disable_custom_device", ini_parse_bool, struct host_config, disable_custom_device, 0),
	INI_KEY("allow_root_vm", ini_parse_bool, struct host_config, allow_root_vm, 0),
	INI_KEY("seccomp_action", parse_action, struct host_config, seccomp_action, 0),
	{ "exclude", parse_exclude, offsetof(struct host_config, exclude), 0, true },
};

struct parse_state {
	struct host_config *c;
	unsigned seen;
	bool had_host;
};

static int on_section(void *user, const struct ini_pos *at, const char *name, struct perr *e)
{
	struct parse_state *ps = user;
	char b[128];

	if (strcmp(name, "host") != 0)
		return ini_fail(e, at, EX_CONFIG, "unknown section [%s], expected [host]", shown(name, b));
	if (ps->had_host)
		return ini_fail(e, at, EX_CONFIG, "section [host] given twice");
	ps->had_host = true;
	return 0;
}

static int on_key(void *user, const struct ini_pos *at, const char *section, const char *key,
		  const char *value, struct perr *e)
{
	struct parse_state *ps = user;

	if (section == NULL)
		return ini_fail(e, at, EX_CONFIG, "%s: key outside a section, expected [host] first", key);
	if (ini_set(host_keys, sizeof(host_keys) / sizeof(host_keys[0]), ps->c, &ps->seen, at,
		    section, key, value, e) < 0) {
		e->code = EX_CONFIG; /* whatever the parser said, a bad host config is EX_CONFIG */
		return -1;
	}
	return 0;
}

static const struct ini_ops config_ops = { on_section, on_key };

int config_parse(const char *text, size_t len, const char *name, struct host_config *c,
		 struct perr *e)
{
	struct parse_state ps = { .c = c };

	config_defaults(c);
	if (xsnprintf(c->file, sizeof(c->file), "%s", name) < 0)
		return fail(e, EX_CONFIG, "config path too long");
	if (ini_read_mem(text, len, name, &config_ops, &ps, e) < 0) {
		e->code = EX_CONFIG;
		return -1;
	}
	return 0;
}

int config_load(const char *path, bool explicit, struct host_config *c, struct perr *e)
{
	struct parse_state ps = { .c = c };
	int fd, r;

	config_defaults(c);
	if (!explicit && access(path, F_OK) < 0 && errno == ENOENT)
		return 0;
	if (xsnprintf(c->file, sizeof(c->file), "%s", path) < 0)
		return fail(e, EX_CONFIG, "config path too long");
	fd = open_config(path, true, e);
	if (fd >= 0) {
		r = ini_read_fd(fd, path, &config_ops, &ps, e);
		close(fd);
	} else {
		r = -1;
	}
	if (r < 0 && e->code == EX_DATAERR) /* whatever is wrong with it, it is the host's config */
		e->code = EX_CONFIG;
	return r;
}

bool config_excluded(const struct host_config *c, const char *addr)
{
	return bsearch(addr, c->exclude, c->n_exclude, sizeof(c->exclude[0]), cmp_addr) != NULL;
}
