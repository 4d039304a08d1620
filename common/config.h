/* SPDX-License-Identifier: GPL-2.0-or-later */
/* config.h - the host configuration, pcipass.conf, section [host]. */
#ifndef PCIPASS_CONFIG_H
#define PCIPASS_CONFIG_H

#include "util.h"

#define DEFAULT_CONFIG "/etc/pcipass/pcipass.conf"
#define CONF_PATH_MAX 256 /* a value sits on one line, and inih's lines are 200 bytes */
#define EXCLUDE_MAX 256
#define NAME_LIST_MAX 32    /* allowed_users, vm_groups */
#define IMAGE_DIRS_MAX 8
#define USER_NAME_MAX 32    /* a user or group name, as useradd allows */
/* dynamic_ids' default: above useradd's subordinate ids (/etc/subuid, up to 600100000) and
 * systemd-nspawn's container ranges (up to 0x6fffffff), so no container's mapped ids and no
 * passwd user can be a VM's; see pcipass.conf(5). */
#define DYNAMIC_FIRST 1879048192u
#define DYNAMIC_LAST  1879052287u

enum seccomp_action { SECCOMP_KILL, SECCOMP_ERRNO, SECCOMP_LOG };

struct host_config {
	char file[CONF_PATH_MAX];          /* where it was read from ("" for built-in defaults) */
	char sysfs_root[CONF_PATH_MAX];
	char dev_root[CONF_PATH_MAX];
	char models_dir[CONF_PATH_MAX];
	char inventory[CONF_PATH_MAX];
	char state_dir[CONF_PATH_MAX];
	char qemu[CONF_PATH_MAX];
	char pci_ids[CONF_PATH_MAX];       /* names for --all; libpci's default when empty */
	char ovmf_code[CONF_PATH_MAX];     /* firmware = uefi: OVMF's code, handed over read-only */
	char ovmf_vars[CONF_PATH_MAX];     /* the variable store every VM's own copy starts from */
	char nvram_dir[CONF_PATH_MAX];     /* the VMs' copies, <nvram_dir>/<name>.fd; root's */
	char rom_dir[CONF_PATH_MAX];       /* where a model's romfile is found (by name) */
	char proc_root[CONF_PATH_MAX];     /* <proc_root>/cpuinfo, mountinfo...: /proc, or a fake tree */
	char vfio_driver[64];
	char run_as[USER_NAME_MAX + 1];    /* "dynamic" (every VM an id of its own) or a user name */
	unsigned dynamic_first, dynamic_last; /* dynamic_ids, inclusive; uids and gids alike */
	size_t n_vm_groups;                /* supplementary groups of every VM: exactly these */
	char vm_groups[NAME_LIST_MAX][USER_NAME_MAX + 1];
	size_t n_allowed_users;            /* the users a vm.ini may name with user = */
	char allowed_users[NAME_LIST_MAX][USER_NAME_MAX + 1];
	size_t n_image_dirs;               /* where a vm.ini's files may come from */
	char image_dirs[IMAGE_DIRS_MAX][CONF_PATH_MAX];
	bool disable_custom_device;
	bool allow_root_vm;
	int seccomp_action;                /* enum seccomp_action */
	size_t n_exclude;
	char exclude[EXCLUDE_MAX][PCI_ADDR_LEN]; /* sorted */
	size_t n_allow_critical;           /* host-critical devices that may be handed out all the same */
	char allow_critical[EXCLUDE_MAX][PCI_ADDR_LEN]; /* sorted */
};

/* Built-in defaults (SPEC's table). */
void config_defaults(struct host_config *c);

/* Read pcipass.conf. `explicit` says the path came from -c: then a missing file is an error;
 * the default path may be absent (every key is optional). */
int config_load(const char *path, bool explicit, struct host_config *c, struct perr *e) MUST_CHECK;

/* Parse configuration text (tests, fuzzers); `name` is used in messages. */
int config_parse(const char *text, size_t len, const char *name, struct host_config *c,
		 struct perr *e) MUST_CHECK;

bool config_excluded(const struct host_config *c, const char *addr);
/* allow_host_critical lists addr: the launcher may hand it out though the host uses it. */
bool config_allows_critical(const struct host_config *c, const char *addr);

/* An absolute path with no "." or ".." component, no "//" and no trailing '/' ("/" itself
 * is clean): its text then says where it is, up to symlinks. */
bool config_clean_path(const char *p);
/* path lies strictly below dir (both clean), at a component boundary: /a/b is under /a, /ab is not. */
bool config_under(const char *path, const char *dir);

#endif
