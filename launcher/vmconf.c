/* vmconf.c - reading a VM definition (vm.ini), which is untrusted input. */
#include "vmconf.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inifile.h"
#include "trust.h"

enum { S_NONE, S_VM, S_DEVICES, S_DISK, S_NET, S_DISPLAY, S_BOOT };
static const char *const sections[] = { "", "vm", "devices", "disk", "net", "display", "boot" };

/* One of a fixed set of words (NULL-terminated), copied into a small buffer. */
static int one_of(const struct ini_pos *at, const struct ini_key *k, const char *value,
		  void *field, struct perr *e, const char *const *words)
{
	char b[128];

	for (size_t i = 0; words[i]; i++)
		if (strcmp(value, words[i]) == 0)
			return strcpy(field, value), 0;
	char list[64] = "";
	for (size_t i = 0; words[i]; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "", words[i]);
	return ini_fail(e, at, EX_DATAERR, "%s: expected one of %s, got \"%s\"", k->name, list,
			shown(value, b));
}

#define ENUM_PARSER(fn, ...)                                                                  \
	static int fn(const struct ini_pos *at, const struct ini_key *k, const char *value,   \
		      void *field, struct perr *e)                                            \
	{                                                                                     \
		static const char *const words[] = { __VA_ARGS__, NULL };                     \
		return one_of(at, k, value, field, e, words);                                 \
	}
ENUM_PARSER(parse_machine, "q35", "pc")
ENUM_PARSER(parse_accel, "kvm", "tcg")
ENUM_PARSER(parse_format, "raw", "qcow2")
ENUM_PARSER(parse_mode, "user", "tap")
ENUM_PARSER(parse_serial, "none", "stdio")

/* 512M, 4G, 1T: binary units, the whole number of MiB from 64M to 4T. */
static int parse_size(const struct ini_pos *at, const struct ini_key *k, const char *value,
		      void *field, struct perr *e)
{
	static const struct { char unit; unsigned long long mib; } units[] = {
		{ 'M', 1 }, { 'G', 1024 }, { 'T', 1024 * 1024 },
	};
	size_t n = strlen(value);
	char num[32], b[128];
	const char *why = "not a size";
	long long v;

	for (size_t i = 0; n >= 2 && n < sizeof(num) && i < 3; i++) {
		if (toupper((unsigned char)value[n - 1]) != units[i].unit)
			continue;
		memcpy(num, value, n - 1);
		num[n - 1] = '\0';
		if (parse_ll(num, 10, 1, 4LL * 1024 * 1024, &v, &why) == 0 &&
		    (unsigned long long)v * units[i].mib >= 64 &&
		    (unsigned long long)v * units[i].mib <= 4ULL * 1024 * 1024) {
			*(unsigned long long *)field = (unsigned long long)v * units[i].mib;
			return 0;
		}
		why = "out of range";
	}
	return ini_fail(e, at, EX_DATAERR, "%s: expected a size from 64M to 4T like 512M or 4G, got \"%s\" (%s)",
			k->name, shown(value, b), why);
}

static int parse_count(const struct ini_pos *at, const struct ini_key *k, const char *value,
		       void *field, struct perr *e)
{
	const char *why;
	long long v;
	char b[128];

	if (parse_ll(value, 10, 1, (long long)k->size, &v, &why) < 0)
		return ini_fail(e, at, EX_DATAERR, "%s: expected a number from 1 to %zu, got \"%s\" (%s)",
				k->name, k->size, shown(value, b), why);
	*(unsigned *)field = (unsigned)v;
	return 0;
}

static int parse_numa(const struct ini_pos *at, const struct ini_key *k, const char *value,
		      void *field, struct perr *e)
{
	const char *why;
	long long v;
	char b[128];

	if (parse_ll(value, 10, 0, 1023, &v, &why) < 0)
		return ini_fail(e, at, EX_DATAERR, "%s: expected a NUMA node from 0 to 1023, got \"%s\" (%s)",
				k->name, shown(value, b), why);
	*(int *)field = (int)v;
	return 0;
}

/* An absolute path without "." or ".." components or doubled slashes, so that a prefix check
 * against the state directory means what it says; no tab (the only control character a line
 * may hold) either, since it would reach QEMU's argv. */
static int parse_vm_path(const struct ini_pos *at, const struct ini_key *k, const char *value,
			 void *field, struct perr *e)
{
	char b[128];

	if (value[0] != '/' || strlen(value) >= k->size || strchr(value, '\t') || strstr(value, "//") ||
	    strstr(value, "/./") || strstr(value, "/../") ||
	    (strlen(value) >= 2 && strcmp(value + strlen(value) - 2, "/.") == 0) ||
	    (strlen(value) >= 3 && strcmp(value + strlen(value) - 3, "/..") == 0))
		return ini_fail(e, at, EX_DATAERR,
				"%s: expected an absolute path without . or .. parts, got \"%s\"", k->name,
				shown(value, b));
	strcpy(field, value);
	return 0;
}

/* Free text for the kernel command line: one QEMU argument, printable ASCII only. */
static int parse_text(const struct ini_pos *at, const struct ini_key *k, const char *value,
		      void *field, struct perr *e)
{
	for (const char *p = value; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			return ini_fail(e, at, EX_DATAERR, "%s: only printable ASCII is allowed", k->name);
	strcpy(field, value); /* a line is shorter than the field */
	return 0;
}

static int parse_ifname(const struct ini_pos *at, const struct ini_key *k, const char *value,
			void *field, struct perr *e)
{
	char b[128];

	if (!str_only(value, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-", 15) ||
	    value[0] == '.' || value[0] == '-')
		return ini_fail(e, at, EX_DATAERR, "%s: expected an interface name of 1-15 characters, got \"%s\"",
				k->name, shown(value, b));
	strcpy(field, value);
	return 0;
}

/* A unicast MAC address, lower-cased. */
static int parse_mac(const struct ini_pos *at, const struct ini_key *k, const char *value,
		     void *field, struct perr *e)
{
	char b[128];
	bool ok = strlen(value) == 17;

	for (int i = 0; ok && i < 17; i++)
		ok = i % 3 == 2 ? value[i] == ':' : isxdigit((unsigned char)value[i]) != 0;
	if (ok)
		ok = (strtoul((char[3]){ value[0], value[1], 0 }, NULL, 16) & 1) == 0;
	if (!ok)
		return ini_fail(e, at, EX_DATAERR, "%s: expected a unicast MAC like 52:54:00:12:34:56, got \"%s\"",
				k->name, shown(value, b));
	for (int i = 0; i <= 17; i++)
		((char *)field)[i] = (char)tolower((unsigned char)value[i]);
	return 0;
}

/* VNC only on loopback: "none", "127.0.0.1:N" or "[::1]:N", N a display from 0 to 99. */
static int parse_vnc(const struct ini_pos *at, const struct ini_key *k, const char *value,
		     void *field, struct perr *e)
{
	const char *colon = strrchr(value, ':'), *why;
	long long d;
	char b[128];

	if (strcmp(value, "none") == 0)
		return ((char *)field)[0] = '\0', 0;
	if (colon && parse_ll(colon + 1, 10, 0, 99, &d, &why) == 0 &&
	    ((colon - value == 9 && strncmp(value, "127.0.0.1", 9) == 0) ||
	     (colon - value == 5 && strncmp(value, "[::1]", 5) == 0)))
		return strcpy(field, value), 0;
	return ini_fail(e, at, EX_DATAERR,
			"%s: expected none, 127.0.0.1:DISPLAY or [::1]:DISPLAY (display 0-99), got \"%s\"",
			k->name, shown(value, b));
}

/* A VM's name names files (<state_dir>/vms/<name>.qmp) and log lines: as a model's name, it
 * must not start with '.' (a hidden file) or '-' (an option, to whoever reads the logs). */
static int parse_vm_name(const struct ini_pos *at, const struct ini_key *k, const char *value,
			 void *field, struct perr *e)
{
	char b[128];

	if (ini_parse_word(at, k, value, field, e) < 0)
		return -1;
	if (value[0] == '.' || value[0] == '-')
		return ini_fail(e, at, EX_DATAERR, "%s: \"%s\" must not start with '.' or '-'", k->name,
				shown(value, b));
	return 0;
}

#define VM(name, fn, field, size) INI_KEY(name, fn, struct vm_config, field, size)
enum { K_NAME, K_MEMORY };
static const struct ini_key vm_keys[] = {
	[K_NAME] = VM("name", parse_vm_name, name, VM_NAME_MAX + 1),
	[K_MEMORY] = VM("memory", parse_size, memory_mib, 0),
	VM("cpus", parse_count, cpus, 255),
	VM("machine", parse_machine, machine, 0),
	VM("accel", parse_accel, accel, 0),
	VM("user", ini_parse_word, user, 33),
	VM("numa_node", parse_numa, numa_node, 0),
	VM("paused", ini_parse_bool, paused, 0),
};
static const struct ini_key display_keys[] = {
	VM("vnc", parse_vnc, vnc, 0),
	VM("serial", parse_serial, serial, 0),
};
static const struct ini_key boot_keys[] = {
	VM("kernel", parse_vm_path, kernel, VM_PATH_MAX),
	VM("initrd", parse_vm_path, initrd, VM_PATH_MAX),
	VM("append", parse_text, append, VM_PATH_MAX),
};
enum { D_FILE, D_FORMAT };
static const struct ini_key disk_keys[] = {
	[D_FILE] = INI_KEY("file", parse_vm_path, struct vm_disk, file, VM_PATH_MAX),
	[D_FORMAT] = INI_KEY("format", parse_format, struct vm_disk, format, 0),
	INI_KEY("readonly", ini_parse_bool, struct vm_disk, readonly, 0),
};
enum { N_MODE, N_IFNAME };
static const struct ini_key net_keys[] = {
	[N_MODE] = INI_KEY("mode", parse_mode, struct vm_net, mode, 0),
	[N_IFNAME] = INI_KEY("ifname", parse_ifname, struct vm_net, ifname, 0),
	INI_KEY("mac", parse_mac, struct vm_net, mac, 0),
};
#define N(t) (sizeof(t) / sizeof((t)[0]))

struct parse_state {
	struct vm_config *vm;
	const struct host_config *host;
	unsigned counted;  /* devices asked for so far */
	unsigned sections; /* bit per section seen */
};

/* Everything under the state directory is pcipass's own (claims, QMP sockets). */
static int outside_state(const struct ini_pos *at, const char *key, const char *path,
			 const struct host_config *host, struct perr *e)
{
	size_t n = strlen(host->state_dir);

	if (path[0] && strncmp(path, host->state_dir, n) == 0 && (path[n] == '/' || path[n] == '\0'))
		return ini_fail(e, at, EX_DATAERR, "%s: \"%s\" is under the state directory %s",
				key, path, host->state_dir);
	return 0;
}

static int on_section(void *user, const struct ini_pos *at, const char *name, struct perr *e)
{
	struct parse_state *ps = user;
	struct vm_config *vm = ps->vm;
	char b[128];
	int s = S_NONE;

	for (int i = 1; i < (int)N(sections); i++)
		if (strcmp(name, sections[i]) == 0)
			s = i;
	if (s == S_NONE)
		return ini_fail(e, at, EX_DATAERR,
				"unknown section [%s], expected [vm], [devices], [disk], [net], [display] or [boot]",
				shown(name, b));
	if (s == S_DISK && vm->n_disk == VM_DISK_MAX)
		return ini_fail(e, at, EX_DATAERR, "more than %d [disk] sections", VM_DISK_MAX);
	if (s == S_NET && vm->n_net == VM_NET_MAX)
		return ini_fail(e, at, EX_DATAERR, "more than %d [net] sections", VM_NET_MAX);
	if (s == S_DISK)
		vm->disk[vm->n_disk++].line = at->line;
	else if (s == S_NET)
		vm->net[vm->n_net++].line = at->line;
	else if (ps->sections & (1u << s)) /* the others come once, in one piece */
		return ini_fail(e, at, EX_DATAERR, "section [%s] given twice", name);
	ps->sections |= 1u << s;
	vm->section = s;
	return 0;
}

static int on_device(struct parse_state *ps, const struct ini_pos *at, const char *key,
		     const char *value, struct perr *e)
{
	static const struct ini_key count_key = { "count", parse_count, 0, VM_DEV_MAX, false };
	struct vm_config *vm = ps->vm;
	struct vm_request *r;
	const char *why;
	char b[128];

	if (vm->n_req == VM_REQ_MAX)
		return ini_fail(e, at, EX_DATAERR, "more than %d lines in [devices]", VM_REQ_MAX);
	r = &vm->req[vm->n_req];
	memset(r, 0, sizeof(*r));
	r->line = at->line;
	if (strcmp(key, "address") == 0) {
		if (parse_pci_addr(value, r->addr) < 0)
			return ini_fail(e, at, EX_DATAERR, "address: expected a PCI address like 0000:3b:00.0, got \"%s\"",
					shown(value, b));
		r->count = 1;
	} else {
		if ((why = model_name_check(key)))
			return ini_fail(e, at, EX_DATAERR, "model \"%s\": %s", shown(key, b), why);
		if (parse_count(at, &count_key, value, &r->count, e) < 0)
			return -1;
		strcpy(r->model, key);
	}
	for (size_t i = 0; i < vm->n_req; i++)
		if ((r->model[0] && strcmp(vm->req[i].model, r->model) == 0) ||
		    (r->addr[0] && strcmp(vm->req[i].addr, r->addr) == 0))
			return ini_fail(e, at, EX_DATAERR, "%s given twice in [devices] (line %d)",
					r->model[0] ? r->model : r->addr, vm->req[i].line);
	ps->counted += r->count;
	if (ps->counted > VM_DEV_MAX)
		return ini_fail(e, at, EX_DATAERR, "more than %d devices for one VM", VM_DEV_MAX);
	vm->n_req++;
	return 0;
}

static int on_key(void *user, const struct ini_pos *at, const char *section, const char *key,
		  const char *value, struct perr *e)
{
	struct parse_state *ps = user;
	struct vm_config *vm = ps->vm;

	switch (vm->section) {
	case S_VM:
		return ini_set(vm_keys, N(vm_keys), vm, &vm->vm_seen, at, section, key, value, e);
	case S_DEVICES:
		return on_device(ps, at, key, value, e);
	case S_DISPLAY:
		return ini_set(display_keys, N(display_keys), vm, &vm->display_seen, at, section, key, value, e);
	case S_BOOT:
		if (ini_set(boot_keys, N(boot_keys), vm, &vm->boot_seen, at, section, key, value, e) < 0)
			return -1;
		return outside_state(at, key, strcmp(key, "append") ? value : "", ps->host, e);
	case S_DISK: {
		struct vm_disk *d = &vm->disk[vm->n_disk - 1];
		if (ini_set(disk_keys, N(disk_keys), d, &d->seen, at, section, key, value, e) < 0)
			return -1;
		return outside_state(at, key, strcmp(key, "file") == 0 ? value : "", ps->host, e);
	}
	case S_NET: {
		struct vm_net *n = &vm->net[vm->n_net - 1];
		return ini_set(net_keys, N(net_keys), n, &n->seen, at, section, key, value, e);
	}
	default:
		return ini_fail(e, at, EX_DATAERR, "%s: key outside a section, expected [vm] first", key);
	}
}

static const struct ini_ops vm_ops = { on_section, on_key };

/* What can only be checked once the whole file is read. */
static int finish(struct parse_state *ps, struct perr *e)
{
	struct vm_config *vm = ps->vm;
	struct ini_pos at = { vm->file, 0 };

	if (!(vm->vm_seen & (1u << K_NAME)) || !(vm->vm_seen & (1u << K_MEMORY)))
		return fail(e, EX_DATAERR, "%s: [vm] needs name and memory", vm->file);
	if (strcmp(vm->user, "root") == 0 && !ps->host->allow_root_vm)
		return fail(e, EX_NOPERM, "%s: user = root is refused (the host's allow_root_vm is false)",
			    vm->file);
	for (size_t i = 0; i < vm->n_disk; i++) {
		at.line = vm->disk[i].line;
		if ((vm->disk[i].seen & (1u << D_FILE | 1u << D_FORMAT)) != (1u << D_FILE | 1u << D_FORMAT))
			return ini_fail(e, &at, EX_DATAERR, "[disk] needs file and format");
	}
	for (size_t i = 0; i < vm->n_net; i++) {
		const struct vm_net *n = &vm->net[i];
		at.line = n->line;
		if (!(n->seen & (1u << N_MODE)))
			return ini_fail(e, &at, EX_DATAERR, "[net] needs mode");
		if ((strcmp(n->mode, "tap") == 0) != ((n->seen & (1u << N_IFNAME)) != 0))
			return ini_fail(e, &at, EX_DATAERR, "[net]: ifname goes with mode = tap, and only with it");
	}
	if (vm->initrd[0] && !vm->kernel[0])
		return fail(e, EX_DATAERR, "%s: [boot] initrd needs a kernel", vm->file);
	if (vm->append[0] && !vm->kernel[0])
		return fail(e, EX_DATAERR, "%s: [boot] append needs a kernel", vm->file);
	return 0;
}

int vm_parse(const char *text, size_t len, const char *name, const struct host_config *host,
	     struct vm_config *vm, struct perr *e)
{
	struct parse_state ps = { vm, host, 0, 0 };

	memset(vm, 0, sizeof(*vm));
	if (xsnprintf(vm->file, sizeof(vm->file), "%s", name) < 0)
		return fail(e, EX_USAGE, "vm.ini path too long");
	vm->cpus = 1;
	strcpy(vm->machine, "q35");
	strcpy(vm->accel, "kvm");
	strcpy(vm->serial, "none");
	strcpy(vm->user, host->run_as);
	vm->numa_node = -1;
	if (ini_read_mem(text, len, name, &vm_ops, &ps, e) < 0)
		return -1;
	return finish(&ps, e);
}

int vm_load(const char *path, const struct host_config *host, struct vm_config *vm,
	    struct perr *e)
{
	char *text;
	size_t len;
	int r;

	if (read_config(path, false, &text, &len, e) < 0)
		return -1;
	r = vm_parse(text, len, path, host, vm, e);
	free(text);
	return r;
}
