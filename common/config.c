/* SPDX-License-Identifier: GPL-2.0-or-later */
/* config.c - the host configuration, pcipass.conf. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
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
	/* Debian's ovmf package: the 4 MiB build without Secure Boot's keys enrolled */
	strcpy(c->ovmf_code, "/usr/share/OVMF/OVMF_CODE_4M.fd");
	strcpy(c->ovmf_vars, "/usr/share/OVMF/OVMF_VARS_4M.fd");
	strcpy(c->nvram_dir, "/var/lib/pcipass/nvram");
	strcpy(c->rom_dir, "/usr/lib/pcipass/rom");
	strcpy(c->proc_root, "/proc");
	strcpy(c->run_as, "dynamic");
	c->dynamic_first = DYNAMIC_FIRST;
	c->dynamic_last = DYNAMIC_LAST;
	/* every VM's QEMU opens /dev/kvm, which is 0660 root:kvm on Debian */
	strcpy(c->vm_groups[c->n_vm_groups++], "kvm");
	strcpy(c->image_dirs[c->n_image_dirs++], "/var/lib/pcipass/images");
	c->seccomp_action = SECCOMP_KILL;
}

bool config_clean_path(const char *p)
{
	size_t n = strlen(p);

	if (p[0] != '/')
		return false;
	if (n == 1)
		return true;
	return p[n - 1] != '/' && !strstr(p, "//") && !strstr(p, "/./") && !strstr(p, "/../") &&
	       !(n >= 2 && strcmp(p + n - 2, "/.") == 0) && !(n >= 3 && strcmp(p + n - 3, "/..") == 0);
}

bool config_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return path[0] == '/' && path[1] != '\0';
	return strncmp(path, dir, n) == 0 && path[n] == '/' && path[n + 1] != '\0';
}

static int cmp_addr(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The object a key table entry's field belongs to. */
static struct host_config *host_of(void *field, const struct ini_key *k)
{
	return (struct host_config *)((char *)field - k->off);
}

/* exclude, allow_host_critical: addresses separated by blanks or commas, on one line or several. */
static int parse_exclude(const struct ini_pos *at, const struct ini_key *k, const char *value,
			 void *field, struct perr *e)
{
	struct host_config *c = host_of(field, k);
	bool excl = k->off == offsetof(struct host_config, exclude);
	size_t *n = excl ? &c->n_exclude : &c->n_allow_critical;
	char(*list)[PCI_ADDR_LEN] = excl ? c->exclude : c->allow_critical;
	char copy[1024], *save = NULL, b[128];

	if (xsnprintf(copy, sizeof(copy), "%s", value) < 0)
		return ini_fail(e, at, EX_CONFIG, "%s: value too long", k->name);
	for (char *w = strtok_r(copy, " \t,", &save); w; w = strtok_r(NULL, " \t,", &save)) {
		if (*n == EXCLUDE_MAX)
			return ini_fail(e, at, EX_CONFIG, "%s: more than %d addresses", k->name, EXCLUDE_MAX);
		if (parse_pci_addr(w, list[*n]) < 0)
			return ini_fail(e, at, EX_CONFIG,
					"%s: expected PCI addresses like 0000:00:1f.2, got \"%s\"",
					k->name, shown(w, b));
		(*n)++;
	}
	qsort(list, *n, sizeof(list[0]), cmp_addr);
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

/* FIRST-LAST. 0 is root and 4294967295 is (uid_t)-1, "leave unchanged" to setresuid(). 65534
 * is nobody, the id the kernel shows for every id a user namespace does not map (and NFS's
 * squashed id), and 65535 is (uint16_t)-1, "unchanged" to the 16-bit set*id calls: a VM
 * running as either would share its identity with whatever else the host maps there. */
static int parse_ids(const struct ini_pos *at, const struct ini_key *k, const char *value,
		     void *field, struct perr *e)
{
	struct host_config *c = host_of(field, k);
	const char *dash = strchr(value, '-'), *why = "no '-'";
	long long first, last;
	char a[24], b[128];

	if (dash && (size_t)(dash - value) < sizeof(a)) {
		memcpy(a, value, (size_t)(dash - value));
		a[dash - value] = '\0';
		if (parse_ll(a, 10, 1, 4294967294LL, &first, &why) == 0 &&
		    parse_ll(dash + 1, 10, 1, 4294967294LL, &last, &why) == 0)
			why = NULL;
	}
	if (why)
		return ini_fail(e, at, EX_CONFIG,
				"%s: expected FIRST-LAST, ids from 1 to 4294967294, got \"%s\" (%s)",
				k->name, shown(value, b), why);
	if (first > last)
		return ini_fail(e, at, EX_CONFIG, "%s: FIRST is above LAST in \"%s\"", k->name, shown(value, b));
	if (first <= 65535 && last >= 65534)
		return ini_fail(e, at, EX_CONFIG,
				"%s: \"%s\" holds 65534 or 65535 (nobody, and (uint16_t)-1): a VM must not share them",
				k->name, shown(value, b));
	c->dynamic_first = (unsigned)first;
	c->dynamic_last = (unsigned)last;
	return 0;
}

/* vm_groups, allowed_users: names separated by blanks or commas, on one line or several. */
static int parse_names(const struct ini_pos *at, const struct ini_key *k, const char *value,
		       void *field, struct perr *e)
{
	struct host_config *c = host_of(field, k);
	bool groups = k->off == offsetof(struct host_config, vm_groups);
	size_t *n = groups ? &c->n_vm_groups : &c->n_allowed_users;
	char(*names)[USER_NAME_MAX + 1] = groups ? c->vm_groups : c->allowed_users;
	char copy[1024], *save = NULL, b[128];

	if (xsnprintf(copy, sizeof(copy), "%s", value) < 0)
		return ini_fail(e, at, EX_CONFIG, "%s: value too long", k->name);
	for (char *w = strtok_r(copy, " \t,", &save); w; w = strtok_r(NULL, " \t,", &save)) {
		if (*n == NAME_LIST_MAX)
			return ini_fail(e, at, EX_CONFIG, "%s: more than %d names", k->name, NAME_LIST_MAX);
		if (!str_only(w, WORD_CHARS, USER_NAME_MAX) || w[0] == '-')
			return ini_fail(e, at, EX_CONFIG,
					"%s: expected %s names of 1-%d characters of A-Z a-z 0-9 . _ - (not starting with -), got \"%s\"",
					k->name, groups ? "group" : "user", USER_NAME_MAX, shown(w, b));
		/* vm.ini's user = dynamic would read as run_as's keyword */
		if (!groups && strcmp(w, "dynamic") == 0)
			return ini_fail(e, at, EX_CONFIG,
					"%s: \"dynamic\" is run_as's word for an identity of its own, not a user name",
					k->name);
		memcpy(names[*n], w, strlen(w) + 1);
		(*n)++;
	}
	return 0;
}

/* Absolute directories separated by blanks, on one line or several; a trailing '/' is dropped. */
static int parse_image_dirs(const struct ini_pos *at, const struct ini_key *k, const char *value,
			    void *field, struct perr *e)
{
	struct host_config *c = host_of(field, k);
	char copy[1024], *save = NULL, b[128];

	if (xsnprintf(copy, sizeof(copy), "%s", value) < 0)
		return ini_fail(e, at, EX_CONFIG, "%s: value too long", k->name);
	for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		size_t len = strlen(w);

		if (c->n_image_dirs == IMAGE_DIRS_MAX)
			return ini_fail(e, at, EX_CONFIG, "%s: more than %d directories", k->name, IMAGE_DIRS_MAX);
		if (len > 1 && w[len - 1] == '/')
			w[--len] = '\0';
		if (!config_clean_path(w) || len >= sizeof(c->image_dirs[0]))
			return ini_fail(e, at, EX_CONFIG,
					"%s: expected absolute paths without . or .. parts or //, got \"%s\"",
					k->name, shown(w, b));
		memcpy(c->image_dirs[c->n_image_dirs++], w, len + 1);
	}
	return 0;
}

/* A path the launcher opens as root for every VM (firmware, the variable stores, ROMs): clean
 * (config_clean_path), so that what it says is where it is, and not "/". */
static int parse_clean_path(const struct ini_pos *at, const struct ini_key *k, const char *value,
			    void *field, struct perr *e)
{
	char b[128];

	if (!config_clean_path(value) || strcmp(value, "/") == 0 || strlen(value) >= k->size)
		return ini_fail(e, at, EX_CONFIG, "%s: expected an absolute path without . or .. parts or //, got \"%s\"",
				k->name, shown(value, b));
	strcpy(field, value);
	return 0;
}

#define PATHKEY(n) INI_KEY(#n, ini_parse_path, struct host_config, n, CONF_PATH_MAX)
#define FIELD_SIZE(n) sizeof(((struct host_config *)0)->n)
enum { K_STATE_DIR, K_VM_GROUPS, K_ALLOWED_USERS, K_IMAGE_DIRS, K_EXCLUDE };
static const struct ini_key host_keys[] = {
	[K_STATE_DIR] = PATHKEY(state_dir),
	[K_VM_GROUPS] = { "vm_groups", parse_names, offsetof(struct host_config, vm_groups), 0, true },
	[K_ALLOWED_USERS] = { "allowed_users", parse_names, offsetof(struct host_config, allowed_users), 0, true },
	[K_IMAGE_DIRS] = { "image_dirs", parse_image_dirs, offsetof(struct host_config, image_dirs), 0, true },
	[K_EXCLUDE] = { "exclude", parse_exclude, offsetof(struct host_config, exclude), 0, true },
	{ "allow_host_critical", parse_exclude, offsetof(struct host_config, allow_critical), 0, true },
	PATHKEY(sysfs_root),
	PATHKEY(dev_root),
	PATHKEY(models_dir),
	PATHKEY(inventory),
	PATHKEY(qemu),
	PATHKEY(pci_ids),
	PATHKEY(proc_root),
	INI_KEY("ovmf_code", parse_clean_path, struct host_config, ovmf_code, CONF_PATH_MAX),
	INI_KEY("ovmf_vars", parse_clean_path, struct host_config, ovmf_vars, CONF_PATH_MAX),
	INI_KEY("nvram_dir", parse_clean_path, struct host_config, nvram_dir, CONF_PATH_MAX),
	INI_KEY("rom_dir", parse_clean_path, struct host_config, rom_dir, CONF_PATH_MAX),
	INI_KEY("vfio_driver", ini_parse_word, struct host_config, vfio_driver, FIELD_SIZE(vfio_driver)),
	INI_KEY("run_as", ini_parse_word, struct host_config, run_as, FIELD_SIZE(run_as)),
	INI_KEY("dynamic_ids", parse_ids, struct host_config, dynamic_first, 0),
	INI_KEY("disable_custom_device", ini_parse_bool, struct host_config, disable_custom_device, 0),
	INI_KEY("allow_root_vm", ini_parse_bool, struct host_config, allow_root_vm, 0),
	INI_KEY("seccomp_action", parse_action, struct host_config, seccomp_action, 0),
};
#define N_KEYS (sizeof(host_keys) / sizeof(host_keys[0]))

struct parse_state {
	struct host_config *c;
	unsigned seen;
	bool had_host;
	int state_line;                    /* where state_dir was set (0: the default) */
	int image_line[IMAGE_DIRS_MAX];    /* where each image dir was given (0: the default) */
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
	struct host_config *c = ps->c;
	size_t images = c->n_image_dirs;

	if (section == NULL)
		return ini_fail(e, at, EX_CONFIG, "%s: key outside a section, expected [host] first", key);
	/* The first line of a list replaces its built-in default; later lines add to it. */
	if (strcmp(key, "vm_groups") == 0 && !(ps->seen & 1u << K_VM_GROUPS))
		c->n_vm_groups = 0;
	if (strcmp(key, "image_dirs") == 0 && !(ps->seen & 1u << K_IMAGE_DIRS))
		images = c->n_image_dirs = 0;
	if (ini_set(host_keys, N_KEYS, c, &ps->seen, at, section, key, value, e) < 0) {
		e->code = EX_CONFIG; /* whatever the parser said, a bad host config is EX_CONFIG */
		return -1;
	}
	for (size_t i = images; i < c->n_image_dirs; i++)
		ps->image_line[i] = at->line;
	if (strcmp(key, "state_dir") == 0)
		ps->state_line = at->line;
	return 0;
}

static const struct ini_ops config_ops = { on_section, on_key };

/* p with "." and empty components dropped and ".." taken back, by the text alone. */
static int lexical(const char *p, char out[static PATH_MAX])
{
	char copy[PATH_MAX], *save = NULL;
	size_t n = 0;

	if (xsnprintf(copy, sizeof(copy), "%s", p) < 0)
		return -1;
	out[0] = '\0';
	for (char *w = strtok_r(copy, "/", &save); w; w = strtok_r(NULL, "/", &save)) {
		if (strcmp(w, ".") == 0)
			continue;
		if (strcmp(w, "..") == 0) {
			char *slash = strrchr(out, '/');
			n = slash ? (size_t)(slash - out) : 0;
			out[n] = '\0';
			continue;
		}
		if (n + 1 + strlen(w) >= PATH_MAX)
			return -1;
		n += (size_t)sprintf(out + n, "/%s", w);
	}
	if (n == 0)
		strcpy(out, "/");
	return 0;
}

/* p as the file system sees it: realpath() of the longest part of it that exists, and the
 * rest by the text (it does not exist yet; when it is made, that is what it will be). */
static int canonical(const char *p, char out[static PATH_MAX])
{
	char head[PATH_MAX], real[PATH_MAX], joined[2 * PATH_MAX];

	if (xsnprintf(head, sizeof(head), "%s", p) < 0)
		return -1;
	struct stat sb;

	/* lstat() first: one call says a prefix is missing (then realpath() would fail too), where
	 * realpath() asks readlink() of every component from / each time */
	while (lstat(head, &sb) < 0 || realpath(head, real) == NULL) {
		char *slash = strrchr(head, '/');
		if (slash == NULL || strcmp(head, "/") == 0)
			return lexical(p, out);
		slash[slash == head] = '\0';
	}
	if (xsnprintf(joined, sizeof(joined), "%s/%s", real, p + strlen(head)) < 0)
		return -1;
	return lexical(joined, out);
}

enum { APART, SAME, INSIDE, CONTAINS };
static int relation(const char *a, const char *b)
{
	return strcmp(a, b) == 0 ? SAME : config_under(a, b) ? INSIDE : config_under(b, a) ? CONTAINS : APART;
}

/* No image dir may be, hold or lie inside state_dir: a VM's files would reach claims and
 * sockets, and the launcher's files the VM's. Compared as written and as resolved (aliases
 * such as /var/run -> /run, a symlinked parent), the stricter of the two wins. */
static int check_dirs(const struct parse_state *ps, struct perr *e)
{
	static const char *const verb[] = { [SAME] = "is", [INSIDE] = "lies inside", [CONTAINS] = "contains" };
	const struct host_config *c = ps->c;
	char ls[PATH_MAX], cs[PATH_MAX], li[PATH_MAX], ci[PATH_MAX];

	if (lexical(c->state_dir, ls) < 0 || canonical(c->state_dir, cs) < 0)
		return fail(e, EX_CONFIG, "%s: state_dir: path too long", c->file);
	for (size_t i = 0; i < c->n_image_dirs; i++) {
		const char *img = c->image_dirs[i];
		char resolved[2 * PATH_MAX + 32] = "";
		int r, line;

		if (lexical(img, li) < 0 || canonical(img, ci) < 0)
			return fail(e, EX_CONFIG, "%s: image_dirs: path too long", c->file);
		if ((r = relation(li, ls)) == APART) {
			if ((r = relation(ci, cs)) == APART)
				continue;
			snprintf(resolved, sizeof(resolved), " (resolved: %s and %s)", ci, cs);
		}
		/* on the image dir's line, unless only state_dir was written: then it moved onto one */
		const char *key = "image_dirs", *mine = img, *other = "state_dir", *theirs = c->state_dir;
		line = ps->image_line[i];
		if (!line && ps->state_line) {
			key = "state_dir", mine = c->state_dir, other = "image dir", theirs = img;
			line = ps->state_line;
			r = r == INSIDE ? CONTAINS : r == CONTAINS ? INSIDE : r;
		}
		struct ini_pos at = { c->file, line };
		if (line == 0) /* both built in, and the file system makes them meet */
			return fail(e, EX_CONFIG, "%s: %s: %s %s %s %s%s: VM files and pcipass's state must not overlap",
				    c->file, key, mine, verb[r], other, theirs, resolved);
		return ini_fail(e, &at, EX_CONFIG, "%s: %s %s %s %s%s: VM files and pcipass's state must not overlap",
				key, mine, verb[r], other, theirs, resolved);
	}
	return 0;
}

/* nvram_dir apart from every image dir: a VM's disk could otherwise be another VM's firmware
 * variables, opened read-write by root for it. Compared as written and as resolved. */
static int check_nvram(const struct host_config *c, struct perr *e)
{
	char ln[PATH_MAX], cn[PATH_MAX], li[PATH_MAX], ci[PATH_MAX];

	if (lexical(c->nvram_dir, ln) < 0 || canonical(c->nvram_dir, cn) < 0)
		return fail(e, EX_CONFIG, "%s: nvram_dir: path too long", c->file);
	for (size_t i = 0; i < c->n_image_dirs; i++) {
		if (lexical(c->image_dirs[i], li) < 0 || canonical(c->image_dirs[i], ci) < 0)
			return fail(e, EX_CONFIG, "%s: image_dirs: path too long", c->file);
		if (relation(ln, li) != APART || relation(cn, ci) != APART)
			return fail(e, EX_CONFIG,
				    "%s: nvram_dir %s and image dir %s overlap: a VM's disk could be another VM's firmware variables",
				    c->file[0] ? c->file : DEFAULT_CONFIG, c->nvram_dir, c->image_dirs[i]);
	}
	return 0;
}

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
	return check_dirs(&ps, e) < 0 ? -1 : check_nvram(c, e);
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
	return r < 0 || check_dirs(&ps, e) < 0 ? -1 : check_nvram(c, e);
}

bool config_excluded(const struct host_config *c, const char *addr)
{
	return bsearch(addr, c->exclude, c->n_exclude, sizeof(c->exclude[0]), cmp_addr) != NULL;
}

bool config_allows_critical(const struct host_config *c, const char *addr)
{
	return bsearch(addr, c->allow_critical, c->n_allow_critical, sizeof(c->allow_critical[0]),
		       cmp_addr) != NULL;
}
