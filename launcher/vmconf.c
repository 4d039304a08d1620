/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vmconf.c - reading a VM definition (vm.ini), which is untrusted input. */
#include "vmconf.h"

#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inifile.h"
#include "trust.h"

enum { S_NONE, S_VM, S_DEVICES, S_DISK, S_NET, S_DISPLAY, S_BOOT };
static const char *const sections[] = { "", "vm", "devices", "disk", "net", "display", "boot" };

/* Every value is copied into its fixed field through here: bounded by the key's size (the
 * field's, from the table), never by how long a line the INI reader happens to allow. */
static int put(const struct ini_pos *at, const struct ini_key *k, const char *value, void *field,
	       struct perr *e)
{
	if (xsnprintf(field, k->size, "%s", value) < 0)
		return ini_fail(e, at, EX_DATAERR, "%s: longer than %zu characters", k->name, k->size - 1);
	return 0;
}

/* One of a fixed set of words (NULL-terminated). */
static int one_of(const struct ini_pos *at, const struct ini_key *k, const char *value,
		  void *field, struct perr *e, const char *const *words)
{
	char b[128];

	for (size_t i = 0; words[i]; i++)
		if (strcmp(value, words[i]) == 0)
			return put(at, k, value, field, e);
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
ENUM_PARSER(parse_firmware, "bios", "uefi")

/* cpu = host or a model name for QEMU's -cpu: a word, so that nothing after a comma (QEMU's
 * CPU options and feature flags) or an '=' can ride along, never starting with '-' or '.' and
 * never "help" (which would list the models and exit). Whether QEMU knows the model is QEMU's to
 * say when it starts. */
static int parse_cpu(const struct ini_pos *at, const struct ini_key *k, const char *value,
		     void *field, struct perr *e)
{
	char b[128];

	if (strpbrk(value, ",="))
		return ini_fail(e, at, EX_DATAERR,
				"%s: expected host or a CPU model name, without options (no ',' or '='), got \"%s\"",
				k->name, shown(value, b));
	if (!str_only(value, WORD_CHARS, VM_CPU_MAX) || value[0] == '-' || value[0] == '.' ||
	    strcmp(value, "help") == 0)
		return ini_fail(e, at, EX_DATAERR,
				"%s: expected host or a CPU model name of 1-%d characters of A-Z a-z 0-9 . _ - (as qemu-system-x86_64 -cpu help lists them), got \"%s\"",
				k->name, VM_CPU_MAX, shown(value, b));
	return put(at, k, value, field, e);
}
ENUM_PARSER(parse_numa_policy, "any", "strict", "prefer")

/* hugepages = 2M | 1G: the page size guest memory is backed with (a memfd of hugetlb pages);
 * never a path or a count: the pool is the admin's (vm.ini(5)), the launcher only reads it. */
static int parse_hugepages(const struct ini_pos *at, const struct ini_key *k, const char *value,
			   void *field, struct perr *e)
{
	char b[128];

	if (strcmp(value, "2M") == 0 || strcmp(value, "1G") == 0) {
		*(unsigned *)field = value[1] == 'M' ? 2 : 1024;
		return 0;
	}
	return ini_fail(e, at, EX_DATAERR, "%s: expected one of 2M, 1G, got \"%s\"", k->name,
			shown(value, b));
}

/* The console on a UNIX socket, or none: stdio would hand QEMU the caller's terminal. */
static int parse_serial(const struct ini_pos *at, const struct ini_key *k, const char *value,
			void *field, struct perr *e)
{
	static const char *const words[] = { "none", "socket", NULL };

	if (strcmp(value, "stdio") == 0)
		return ini_fail(e, at, EX_DATAERR,
				"%s: stdio is refused: it would give QEMU the caller's terminal; expected none or socket (a UNIX socket under the state directory)",
				k->name);
	return one_of(at, k, value, field, e, words);
}

/* VNC is on or off; when on, it listens on a UNIX socket under the state directory only. */
static int parse_vnc(const struct ini_pos *at, const struct ini_key *k, const char *value,
		     void *field, struct perr *e)
{
	char b[128];

	if (parse_bool(value, field) < 0)
		return ini_fail(e, at, EX_DATAERR,
				"%s: expected on or off, got \"%s\" (VNC listens only on a UNIX socket under the state directory, never on TCP)",
				k->name, shown(value, b));
	return 0;
}

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

/* A count from min to the key's size (its largest value). */
static int parse_from(unsigned min, const struct ini_pos *at, const struct ini_key *k,
		      const char *value, void *field, struct perr *e)
{
	const char *why;
	long long v;
	char b[128];

	if (parse_ll(value, 10, min, (long long)k->size, &v, &why) < 0)
		return ini_fail(e, at, EX_DATAERR, "%s: expected a number from %u to %zu, got \"%s\" (%s)",
				k->name, min, k->size, shown(value, b), why);
	*(unsigned *)field = (unsigned)v;
	return 0;
}

static int parse_count(const struct ini_pos *at, const struct ini_key *k, const char *value,
		       void *field, struct perr *e)
{
	return parse_from(1, at, k, value, field, e);
}

static int parse_upto(const struct ini_pos *at, const struct ini_key *k, const char *value,
		      void *field, struct perr *e)
{
	return parse_from(0, at, k, value, field, e);
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

/* An absolute path without "." or ".." components, doubled or trailing slashes, so that the
 * check against image_dirs (on_key) means what it says; no tab either (the only control
 * character a line may hold), which no file name handed to a VM needs. */
static int parse_vm_path(const struct ini_pos *at, const struct ini_key *k, const char *value,
			 void *field, struct perr *e)
{
	char b[128];

	if (!config_clean_path(value) || strcmp(value, "/") == 0 || strchr(value, '\t'))
		return ini_fail(e, at, EX_DATAERR,
				"%s: expected an absolute path without . or .. parts, got \"%s\"", k->name,
				shown(value, b));
	return put(at, k, value, field, e);
}

/* Free text for the kernel command line: one QEMU argument, printable ASCII only. */
static int parse_text(const struct ini_pos *at, const struct ini_key *k, const char *value,
		      void *field, struct perr *e)
{
	for (const char *p = value; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			return ini_fail(e, at, EX_DATAERR, "%s: only printable ASCII is allowed", k->name);
	return put(at, k, value, field, e);
}

static int parse_ifname(const struct ini_pos *at, const struct ini_key *k, const char *value,
			void *field, struct perr *e)
{
	char b[128];

	if (!str_only(value, WORD_CHARS, 15) || value[0] == '.' || value[0] == '-')
		return ini_fail(e, at, EX_DATAERR, "%s: expected an interface name of 1-15 characters, got \"%s\"",
				k->name, shown(value, b));
	return put(at, k, value, field, e);
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
	if (put(at, k, value, field, e) < 0)
		return -1;
	for (char *p = field; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return 0;
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

/* Each string key carries its field's size, which bounds every copy (put()). */
#define SIZE(type, field) sizeof(((type *)0)->field)
#define VM(name, fn, field) INI_KEY(name, fn, struct vm_config, field, SIZE(struct vm_config, field))
#define DISK(name, fn, field) INI_KEY(name, fn, struct vm_disk, field, SIZE(struct vm_disk, field))
#define NET(name, fn, field) INI_KEY(name, fn, struct vm_net, field, SIZE(struct vm_net, field))
enum { K_NAME, K_MEMORY };
static const struct ini_key vm_keys[] = {
	[K_NAME] = VM("name", parse_vm_name, name),
	[K_MEMORY] = VM("memory", parse_size, memory_mib),
	INI_KEY("cpus", parse_count, struct vm_config, cpus, 255), /* size: the largest count */
	VM("machine", parse_machine, machine),
	VM("accel", parse_accel, accel),
	VM("user", ini_parse_word, user),
	VM("numa_node", parse_numa, numa_node),
	VM("numa", parse_numa_policy, numa),
	INI_KEY("hugepages", parse_hugepages, struct vm_config, hugepage_mib, 0),
	VM("paused", ini_parse_bool, paused),
	INI_KEY("hotplug_slots", parse_upto, struct vm_config, hotplug_slots, VM_HOTPLUG_MAX),
	VM("firmware", parse_firmware, firmware),
	VM("cpu", parse_cpu, cpu),
	INI_KEY("sockets", parse_count, struct vm_config, sockets, 255), /* size: as cpus */
	INI_KEY("cores", parse_count, struct vm_config, cores, 255),
	INI_KEY("threads", parse_count, struct vm_config, threads, 255),
};
static const struct ini_key display_keys[] = {
	VM("vnc", parse_vnc, vnc),
	VM("serial", parse_serial, serial),
};
static const struct ini_key boot_keys[] = {
	VM("kernel", parse_vm_path, kernel),
	VM("initrd", parse_vm_path, initrd),
	VM("append", parse_text, append),
};
enum { D_FILE, D_FORMAT };
static const struct ini_key disk_keys[] = {
	[D_FILE] = DISK("file", parse_vm_path, file),
	[D_FORMAT] = DISK("format", parse_format, format),
	DISK("readonly", ini_parse_bool, readonly),
};
enum { N_MODE, N_IFNAME, N_BRIDGE };
static const struct ini_key net_keys[] = {
	[N_MODE] = NET("mode", parse_mode, mode),
	[N_IFNAME] = NET("ifname", parse_ifname, ifname),
	[N_BRIDGE] = NET("bridge", parse_ifname, bridge),
	NET("mac", parse_mac, mac),
};
#define N(t) (sizeof(t) / sizeof((t)[0]))

struct parse_state {
	struct vm_config *vm;
	const struct host_config *host;
	unsigned counted;  /* devices asked for so far */
	unsigned sections; /* bit per section seen */
};

/* A file vm.ini names must lie under one of the host's image_dirs: the launcher opens it as
 * root and hands QEMU the descriptor, so this is what keeps a VM from every other host file
 * (image dirs never overlap the state directory: config.c). path is clean (parse_vm_path). */
static int under_images(const struct ini_pos *at, const char *key, const char *path,
			const struct host_config *host, struct perr *e)
{
	char list[384] = "";
	size_t o = 0;

	for (size_t i = 0; i < host->n_image_dirs; i++)
		if (config_under(path, host->image_dirs[i]))
			return 0;
	for (size_t i = 0; i < host->n_image_dirs && o < sizeof(list); i++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", i ? " " : "", host->image_dirs[i]);
	/* whole, not cut like other values: the path is the point (fail() escapes the message) */
	return ini_fail(e, at, EX_NOPERM, "%s: \"%s\" is not under image_dirs (%s)", key, path,
			host->n_image_dirs ? list : "none");
}

/* user = only a name the host lists in allowed_users; root also needs allow_root_vm. */
static int allowed_user(const struct ini_pos *at, const char *user, const struct host_config *host,
			struct perr *e)
{
	char b[128];

	if (strcmp(user, "root") == 0 && !host->allow_root_vm)
		return ini_fail(e, at, EX_NOPERM, "user = root is refused (the host's allow_root_vm is false)");
	for (size_t i = 0; i < host->n_allowed_users; i++)
		if (strcmp(user, host->allowed_users[i]) == 0)
			return 0;
	return ini_fail(e, at, EX_NOPERM, "user: \"%s\" is not in the host's allowed_users", shown(user, b));
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
		if (xsnprintf(r->model, sizeof(r->model), "%s", key) < 0) /* model_name_check() bounds it */
			return ini_fail(e, at, EX_DATAERR, "model \"%s\": too long", shown(key, b));
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
		if (ini_set(vm_keys, N(vm_keys), vm, &vm->vm_seen, at, section, key, value, e) < 0)
			return -1;
		if (strcmp(key, "accel") == 0)
			vm->accel_line = at->line;
		else if (strcmp(key, "numa_node") == 0)
			vm->numa_line = at->line;
		else if (strcmp(key, "numa") == 0)
			vm->numa_policy_line = at->line;
		else if (strcmp(key, "hugepages") == 0)
			vm->hugepages_line = at->line;
		else if (strcmp(key, "user") == 0)
			vm->user_line = at->line;
		else if (strcmp(key, "hotplug_slots") == 0)
			vm->hotplug_line = at->line;
		else if (strcmp(key, "firmware") == 0)
			vm->firmware_line = at->line;
		else if (strcmp(key, "cpu") == 0)
			vm->cpu_line = at->line;
		else if (strcmp(key, "sockets") == 0 || strcmp(key, "cores") == 0 || strcmp(key, "threads") == 0)
			vm->topology_line = at->line;
		return strcmp(key, "user") == 0 ? allowed_user(at, vm->user, ps->host, e) : 0;
	case S_DEVICES:
		return on_device(ps, at, key, value, e);
	case S_DISPLAY:
		return ini_set(display_keys, N(display_keys), vm, &vm->display_seen, at, section, key, value, e);
	case S_BOOT:
		if (ini_set(boot_keys, N(boot_keys), vm, &vm->boot_seen, at, section, key, value, e) < 0)
			return -1;
		if (strcmp(key, "kernel") == 0)
			vm->kernel_line = at->line;
		else if (strcmp(key, "initrd") == 0)
			vm->initrd_line = at->line;
		return strcmp(key, "append") == 0 ? 0 : under_images(at, key, value, ps->host, e);
	case S_DISK: {
		struct vm_disk *d = &vm->disk[vm->n_disk - 1];
		if (ini_set(disk_keys, N(disk_keys), d, &d->seen, at, section, key, value, e) < 0)
			return -1;
		if (strcmp(key, "file") != 0)
			return 0;
		d->file_line = at->line;
		return under_images(at, key, value, ps->host, e);
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

static unsigned given(unsigned n)
{
	return n ? n : 1;
}

/* cpu and the topology, once accel and cpus are known: cpu = host copies the host's CPU, which
 * only KVM can; sockets * cores * threads, when any is given, is cpus exactly (a missing one
 * counts 1), never left for QEMU to fill in. */
static int cpu_finish(const struct vm_config *vm, struct perr *e)
{
	struct ini_pos at = { vm->file, vm->cpu_line };

	if (strcmp(vm->cpu, "host") == 0 && strcmp(vm->accel, "tcg") == 0)
		return ini_fail(e, &at, EX_DATAERR,
				"cpu = host needs accel = kvm (TCG has no host CPU to pass on); expected max or a CPU model with accel = tcg");
	at.line = vm->topology_line;
	if ((vm->sockets || vm->cores || vm->threads) &&
	    given(vm->sockets) * given(vm->cores) * given(vm->threads) != vm->cpus)
		return ini_fail(e, &at, EX_DATAERR,
				"expected sockets * cores * threads = cpus (%u), got %u * %u * %u = %u (one not given counts 1)",
				vm->cpus, given(vm->sockets), given(vm->cores), given(vm->threads),
				given(vm->sockets) * given(vm->cores) * given(vm->threads));
	return 0;
}

/* What can only be checked once the whole file is read. */
static int finish(struct parse_state *ps, struct perr *e)
{
	struct vm_config *vm = ps->vm;
	struct ini_pos at = { vm->file, 0 };

	if (!(vm->vm_seen & (1u << K_NAME)) || !(vm->vm_seen & (1u << K_MEMORY)))
		return fail(e, EX_DATAERR, "%s: [vm] needs name and memory", vm->file);
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
		bool tap = strcmp(n->mode, "tap") == 0, ifname = n->seen & 1u << N_IFNAME,
		     bridge = n->seen & 1u << N_BRIDGE;
		if (!tap && (ifname || bridge))
			return ini_fail(e, &at, EX_DATAERR, "[net]: ifname and bridge go with mode = tap only");
		if (tap && ifname == bridge)
			return ini_fail(e, &at, EX_DATAERR,
					"[net]: mode = tap needs one of ifname (an existing tap) or bridge (to make a tap on), not %s",
					ifname ? "both" : "neither");
	}
	at.line = vm->hotplug_line;
	if (vm->hotplug_slots > 0 && strcmp(vm->machine, "q35") != 0)
		return ini_fail(e, &at, EX_DATAERR, "hotplug_slots needs machine = q35 (PCIe root ports)");
	if (cpu_finish(vm, e) < 0)
		return -1;
	/* a hugetlb backend is whole pages: QEMU would refuse it later, after devices moved */
	at.line = vm->hugepages_line;
	if (vm->hugepage_mib > 0 && vm->memory_mib % vm->hugepage_mib != 0)
		return ini_fail(e, &at, EX_DATAERR, "hugepages = %s: expected memory in whole %s pages, got %llu MiB",
				vm->hugepage_mib == 2 ? "2M" : "1G", vm->hugepage_mib == 2 ? "2M" : "1G",
				vm->memory_mib);
	for (size_t i = 0; i < vm->n_net; i++)
		if (!vm->net[i].mac[0])
			vm_mac(vm->name, (unsigned)i, vm->net[i].mac);
	if (vm->initrd[0] && !vm->kernel[0])
		return fail(e, EX_DATAERR, "%s: [boot] initrd needs a kernel", vm->file);
	if (vm->append[0] && !vm->kernel[0])
		return fail(e, EX_DATAERR, "%s: [boot] append needs a kernel", vm->file);
	return 0;
}

/* splitmix64's finalizer: every input bit reaches every output bit, which FNV-1a alone does
 * not do for its last bytes (the NIC index) */
static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void vm_mac(const char *name, unsigned index, char out[18])
{
	static const char qemu_default[] = "52:54:00:12:34:56"; /* what every NIC would share */
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a 64 over the name, then the index's 4 bytes */

	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	for (int i = 0; i < 4; i++)
		h = (h ^ ((index >> (8 * i)) & 0xff)) * 0x100000001b3ULL;
	for (h = mix64(h);; h = mix64(h + 1)) {
		/* the top 46 bits; the first octet's two low bits say local (1) and unicast (0) */
		snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", (unsigned)((h >> 56) & 0xfc) | 0x02,
			 (unsigned)(h >> 48) & 0xff, (unsigned)(h >> 40) & 0xff, (unsigned)(h >> 32) & 0xff,
			 (unsigned)(h >> 24) & 0xff, (unsigned)(h >> 16) & 0xff);
		if (strcmp(out, qemu_default) != 0)
			return;
	}
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
	strcpy(vm->firmware, "bios");
	vm->numa_node = -1;
	strcpy(vm->numa, "any");
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
