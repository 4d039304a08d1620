/* config.h - the host configuration, pcipass.conf, section [host]. */
#ifndef PCIPASS_CONFIG_H
#define PCIPASS_CONFIG_H

#include "util.h"

#define DEFAULT_CONFIG "/etc/pcipass/pcipass.conf"
#define CONF_PATH_MAX 256 /* a value sits on one line, and inih's lines are 200 bytes */
#define EXCLUDE_MAX 256

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
	char vfio_driver[64];
	char run_as[33];
	bool disable_custom_device;
	bool allow_root_vm;
	int seccomp_action;                /* enum seccomp_action */
	size_t n_exclude;
	char exclude[EXCLUDE_MAX][PCI_ADDR_LEN]; /* sorted */
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

#endif
