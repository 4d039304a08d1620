/* fakehost.c - build a fake sysfs tree from a short description of a PCI host.
 *
 *   fakehost DESC_FILE OUTDIR     one device per line (see conf/example-host.txt)
 *   fakehost --synth N OUTDIR     a deterministic host of N devices (benchmarks)
 *
 * The tree mirrors what the kernel shows and what libpci's sysfs method reads, with relative
 * symlinks so it can be moved (umask 022 is set, so modes are right whatever the caller's): devices/pciDDDD:00/<addr>/{vendor,device,class,revision,
 * subsystem_*,irq,resource,numa_node,config,driver_override,...}, bus/pci/devices/<addr>,
 * bus/pci/drivers/<drv>/, kernel/iommu_groups/<n>/devices/. Files are 0644 and directories
 * 0755 whatever the umask, so a tree made by root passes pcipass's ownership checks. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

struct dev {
	unsigned dom, bus, slot, fn;
	unsigned class; /* 24 bits: base, sub, prog-if */
	unsigned vendor, device, sv, sd;
	int has_subsys;
	int group;      /* -1: none */
	int numa;       /* -1 */
	int numa_mode;  /* 0 value, 1 no file, 2 unreadable */
	char driver[64];
	int vanished;
};

static char root[4096];

/* Format a path into pbuf; -1 when it does not fit. */
static char pbuf[8192];
static int path_of(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int path_of(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(pbuf, sizeof(pbuf), fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= sizeof(pbuf) ? -1 : 0;
}

/* mkdir -p, cheap when the parent exists (the common case). */
static int mkdirs(const char *p)
{
	char parent[8192];
	char *slash;

	if (mkdir(p, 0755) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT || strlen(p) >= sizeof(parent))
		return -1;
	strcpy(parent, p);
	slash = strrchr(parent, '/');
	if (slash == NULL || slash == parent)
		return -1;
	*slash = '\0';
	if (mkdirs(parent) < 0)
		return -1;
	return mkdir(p, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

static int put(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		return -1;
	if (write(fd, data, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	return close(fd);
}

static int putf(const char *dir, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int putf(const char *dir, const char *name, const char *fmt, ...)
{
	char path[8192], text[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(text) ||
	    snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return -1;
	return put(path, text, (size_t)n);
}

static void le16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v & 0xff);
	p[1] = (unsigned char)(v >> 8);
}

static void le32(unsigned char *p, unsigned v)
{
	le16(p, v & 0xffff);
	le16(p + 2, v >> 16);
}

static int is_bridge(const struct dev *d)
{
	return (d->class >> 8) == 0x0604;
}

/* The first 256 bytes of config space, consistent with the sysfs attributes. */
static void config_space(const struct dev *d, unsigned idx, unsigned char cfg[256])
{
	memset(cfg, 0, 256);
	le16(cfg + 0x00, d->vendor);
	le16(cfg + 0x02, d->device);
	le16(cfg + 0x04, 0x0006);     /* memory space and bus master on */
	le16(cfg + 0x06, 0x0010);     /* capability list present */
	cfg[0x08] = 0x01;             /* revision */
	cfg[0x09] = (unsigned char)(d->class & 0xff);
	cfg[0x0a] = (unsigned char)((d->class >> 8) & 0xff);
	cfg[0x0b] = (unsigned char)(d->class >> 16);
	cfg[0x34] = 0x40;             /* capabilities at 0x40 */
	cfg[0x40] = 0x01;             /* power management, last in the list */
	le16(cfg + 0x42, 0x0003);
	if (is_bridge(d)) {
		cfg[0x0e] = 0x01; /* PCI-to-PCI bridge header */
		cfg[0x18] = (unsigned char)d->bus;
		cfg[0x19] = (unsigned char)(d->bus + 1 + (idx & 0x3f));
		cfg[0x1a] = cfg[0x19];
	} else {
		le32(cfg + 0x10, 0xf0000000u + (idx & 0xfff) * 0x10000u); /* BAR0, 32-bit memory */
		if (d->has_subsys) {
			le16(cfg + 0x2c, d->sv);
			le16(cfg + 0x2e, d->sd);
		}
		cfg[0x3d] = 0x01; /* INTA */
	}
}

static int rel_link(const char *target, const char *link)
{
	return symlink(target, link);
}

static int driver_dir(const char *drv)
{
	static const char *const files[] = { "bind", "unbind", "new_id", "remove_id" };
	static char made[64][64];
	static size_t n_made;

	for (size_t i = 0; i < n_made; i++)
		if (strcmp(made[i], drv) == 0)
			return 0;
	if (n_made < 64)
		snprintf(made[n_made++], sizeof(made[0]), "%s", drv);

	if (path_of("%s/bus/pci/drivers/%s", root, drv) < 0 || mkdirs(pbuf) < 0)
		return -1;
	char dir[8192];
	strcpy(dir, pbuf);
	for (size_t i = 0; i < 4; i++)
		if (putf(dir, files[i], "%s", "") < 0)
			return -1;
	return 0;
}

static int write_dev(const struct dev *d, unsigned idx)
{
	char addr[32], dir[8192], rel[256], res[2048];
	unsigned char cfg[256];
	size_t o = 0;

	snprintf(addr, sizeof(addr), "%04x:%02x:%02x.%x", d->dom, d->bus, d->slot, d->fn);
	snprintf(rel, sizeof(rel), "devices/pci%04x:00/%s", d->dom, addr);
	if (path_of("%s/%s", root, rel) < 0)
		return -1;
	strcpy(dir, pbuf);
	snprintf(res, sizeof(res), "../../../%s", rel);
	if (path_of("%s/bus/pci/devices/%s", root, addr) < 0 || rel_link(res, pbuf) < 0)
		return -1;
	if (d->vanished)
		return 0; /* listed on the bus, but its directory is gone: a hot-unplug mid-scan */
	if (mkdirs(dir) < 0)
		return -1;
	if (putf(dir, "vendor", "0x%04x\n", d->vendor) < 0 ||
	    putf(dir, "device", "0x%04x\n", d->device) < 0 ||
	    putf(dir, "class", "0x%06x\n", d->class) < 0 || putf(dir, "revision", "0x01\n") < 0 ||
	    putf(dir, "irq", "%u\n", is_bridge(d) ? 0 : 16 + idx % 16) < 0 ||
	    putf(dir, "driver_override", "(null)\n") < 0 || putf(dir, "enable", "1\n") < 0 ||
	    putf(dir, "local_cpulist", "%s\n", d->numa == 1 ? "16-31" : "0-15") < 0 ||
	    putf(dir, "modalias", "pci:v0000%04Xd0000%04Xsv0000%04Xsd0000%04Xbc%02Xsc%02Xi%02X\n",
		 d->vendor, d->device, d->sv, d->sd, d->class >> 16, (d->class >> 8) & 0xff,
		 d->class & 0xff) < 0)
		return -1;
	if (d->has_subsys && (putf(dir, "subsystem_vendor", "0x%04x\n", d->sv) < 0 ||
			      putf(dir, "subsystem_device", "0x%04x\n", d->sd) < 0))
		return -1;
	/* resource: 13 lines "start end flags"; BAR0 a 64 KiB memory region for endpoints */
	for (int i = 0; i < 13; i++) {
		unsigned long long start = 0, end = 0, flags = 0;
		if (i == 0 && !is_bridge(d)) {
			start = 0xf0000000ull + (idx & 0xfff) * 0x10000ull;
			end = start + 0xffff;
			flags = 0x40200;
		}
		o += (size_t)snprintf(res + o, sizeof(res) - o, "0x%016llx 0x%016llx 0x%016llx\n",
				      start, end, flags);
	}
	if (putf(dir, "resource", "%s", res) < 0)
		return -1;
	config_space(d, idx, cfg);
	if (path_of("%s/config", dir) < 0 || put(pbuf, cfg, sizeof(cfg)) < 0)
		return -1;
	if (d->numa_mode == 0 && putf(dir, "numa_node", "%d\n", d->numa) < 0)
		return -1;
	if (d->numa_mode == 2) { /* present, but read() fails even for root (EISDIR) */
		if (path_of("%s/numa_node", dir) < 0 || mkdirs(pbuf) < 0)
			return -1;
	}
	if (path_of("%s/subsystem", dir) < 0 || rel_link("../../../bus/pci", pbuf) < 0)
		return -1;
	if (d->group >= 0) {
		char gdir[8192];
		if (path_of("%s/kernel/iommu_groups/%d/devices", root, d->group) < 0 || mkdirs(pbuf) < 0)
			return -1;
		strcpy(gdir, pbuf);
		snprintf(res, sizeof(res), "../../../kernel/iommu_groups/%d", d->group);
		if (path_of("%s/iommu_group", dir) < 0 || rel_link(res, pbuf) < 0)
			return -1;
		snprintf(res, sizeof(res), "../../../../%s", rel);
		if (path_of("%s/%s", gdir, addr) < 0 || rel_link(res, pbuf) < 0)
			return -1;
	}
	if (d->driver[0]) {
		if (driver_dir(d->driver) < 0)
			return -1;
		snprintf(res, sizeof(res), "../../../bus/pci/drivers/%s", d->driver);
		if (path_of("%s/driver", dir) < 0 || rel_link(res, pbuf) < 0)
			return -1;
		snprintf(res, sizeof(res), "../../../../%s", rel);
		if (path_of("%s/bus/pci/drivers/%s/%s", root, d->driver, addr) < 0 ||
		    rel_link(res, pbuf) < 0)
			return -1;
	}
	return 0;
}

static int skeleton(void)
{
	static const char *const dirs[] = { "bus/pci/devices", "bus/pci/drivers", "kernel/iommu_groups",
					    "devices" };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (path_of("%s/%s", root, dirs[i]) < 0 || mkdirs(pbuf) < 0)
			return -1;
	if (path_of("%s/bus/pci", root) < 0)
		return -1;
	char bus[8192];
	strcpy(bus, pbuf);
	if (putf(bus, "drivers_probe", "%s", "") < 0 || putf(bus, "rescan", "%s", "") < 0 ||
	    putf(bus, "drivers_autoprobe", "1\n") < 0)
		return -1;
	return driver_dir("vfio-pci");
}

/* --- descriptions --- */

static int hexn(const char *s, size_t n, unsigned *out)
{
	unsigned v = 0;

	if (strlen(s) != n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return -1;
		v = v * 16 + (unsigned)(isdigit((unsigned char)s[i]) ? s[i] - '0'
								     : tolower((unsigned char)s[i]) - 'a' + 10);
	}
	*out = v;
	return 0;
}

static int pair(const char *s, unsigned *a, unsigned *b)
{
	char x[5], y[5];

	if (strlen(s) != 9 || s[4] != ':')
		return -1;
	memcpy(x, s, 4);
	x[4] = '\0';
	memcpy(y, s + 5, 4);
	y[4] = '\0';
	return hexn(x, 4, a) < 0 || hexn(y, 4, b) < 0 ? -1 : 0;
}

static int number(const char *s, int min, int max, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno || v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

/* One description line into d; NULL, or what was expected. */
static const char *parse_line(char *line, struct dev *d)
{
	char *col[9], *save = NULL, a[5], b[3], c[3];
	int n = 0;

	for (char *w = strtok_r(line, " \t", &save); w && n < 9; w = strtok_r(NULL, " \t", &save))
		col[n++] = w;
	if (n < 7 || n > 8)
		return "expected 7 columns: address class vendor:device subsystem iommu_group numa driver";
	memset(d, 0, sizeof(*d));
	if (strlen(col[0]) != 12 || col[0][4] != ':' || col[0][7] != ':' || col[0][10] != '.')
		return "expected an address like 0000:3b:00.0";
	memcpy(a, col[0], 4), a[4] = '\0';
	memcpy(b, col[0] + 5, 2), b[2] = '\0';
	memcpy(c, col[0] + 8, 2), c[2] = '\0';
	if (hexn(a, 4, &d->dom) < 0 || hexn(b, 2, &d->bus) < 0 || hexn(c, 2, &d->slot) < 0 ||
	    d->slot > 0x1f || !isdigit((unsigned char)col[0][11]) || col[0][11] > '7')
		return "expected an address like 0000:3b:00.0";
	d->fn = (unsigned)(col[0][11] - '0');
	if (hexn(col[1], 4, &d->class) == 0)
		d->class <<= 8;
	else if (hexn(col[1], 6, &d->class) < 0)
		return "expected a class of 4 (or 6) hex digits";
	if (pair(col[2], &d->vendor, &d->device) < 0)
		return "expected vendor:device like 19e5:d801";
	if (strcmp(col[3], "-") != 0) {
		if (pair(col[3], &d->sv, &d->sd) < 0)
			return "expected a subsystem like 19e5:0100, or -";
		d->has_subsys = 1;
	}
	d->group = -1;
	if (strcmp(col[4], "-") != 0 && number(col[4], 0, 1000000, &d->group) < 0)
		return "expected an IOMMU group number, or -";
	d->numa = -1;
	if (strcmp(col[5], "-") == 0)
		d->numa_mode = 1;
	else if (strcmp(col[5], "!") == 0)
		d->numa_mode = 2;
	else if (number(col[5], -1, 1023, &d->numa) < 0)
		return "expected a NUMA node, -1, - (no file) or ! (unreadable)";
	if (strcmp(col[6], "-") != 0) {
		if (strlen(col[6]) >= sizeof(d->driver) ||
		    strspn(col[6], "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(col[6]))
			return "expected a driver name of [a-z0-9_-], or -";
		strcpy(d->driver, col[6]);
	}
	if (n == 8) {
		if (strcmp(col[7], "vanished") != 0)
			return "expected nothing or `vanished` in column 8";
		d->vanished = 1;
	}
	return NULL;
}

static int from_file(const char *desc)
{
	FILE *f = fopen(desc, "r");
	char line[1024];
	int lineno = 0;
	unsigned idx = 0;
	struct dev d;

	if (f == NULL) {
		fprintf(stderr, "fakehost: %s: %s\n", desc, strerror(errno));
		return EX_NOINPUT;
	}
	while (fgets(line, sizeof(line), f)) {
		char *s = line;
		const char *why;
		lineno++;
		s[strcspn(s, "\n")] = '\0';
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '#' || *s == '\0')
			continue;
		if ((why = parse_line(s, &d)) != NULL) {
			fprintf(stderr, "fakehost: %s:%d: %s\n", desc, lineno, why);
			fclose(f);
			return EX_DATAERR;
		}
		if (write_dev(&d, idx++) < 0) {
			fprintf(stderr, "fakehost: %s:%d: cannot write the device: %s\n", desc, lineno,
				strerror(errno));
			fclose(f);
			return EX_CANTCREAT;
		}
	}
	fclose(f);
	return 0;
}

/* A deterministic big host: per bus one root port, then endpoints; a mix of vendors where
 * the custom cards (19e5:d801, 10ee:903f) are common. */
static int synth(unsigned n)
{
	static const struct { unsigned class, vendor, device, sv, sd; const char *drv; } kinds[] = {
		{ 0x120000, 0x19e5, 0xd801, 0x19e5, 0x0100, "" },
		{ 0x120000, 0x19e5, 0xd801, 0x19e5, 0x0200, "vfio-pci" },
		{ 0x058000, 0x10ee, 0x903f, 0x10ee, 0x0007, "" },
		{ 0x020000, 0x8086, 0x1572, 0x8086, 0x0000, "i40e" },
		{ 0x030200, 0x10de, 0x20b0, 0x10de, 0x1450, "nvidia" },
		{ 0x010802, 0x144d, 0xa808, 0x144d, 0xa801, "nvme" },
		{ 0x120000, 0x1d0f, 0xefa1, 0x1d0f, 0x0000, "" },
	};
	struct dev d;

	for (unsigned i = 0; i < n; i++) {
		memset(&d, 0, sizeof(d));
		d.dom = i / 8192;
		d.bus = 1 + (i % 8192) / 32;
		d.slot = (i % 32) / 8;
		d.fn = i % 8;
		d.group = (int)i;
		d.numa = (int)((i / 4096) % 2);
		if (i % 32 == 0) { /* a root port heads every bus */
			d.bus -= 1;
			d.class = 0x060400;
			d.vendor = 0x8086;
			d.device = 0x2030;
			strcpy(d.driver, "pcieport");
		} else {
			unsigned k = (i * 7 + i / 5) % (sizeof(kinds) / sizeof(kinds[0]));
			d.class = kinds[k].class;
			d.vendor = kinds[k].vendor;
			d.device = kinds[k].device;
			d.sv = kinds[k].sv;
			d.sd = kinds[k].sd;
			d.has_subsys = 1;
			strcpy(d.driver, kinds[k].drv);
		}
		if (i % 32 == 0)
			d.bus = (d.bus & 0xff), d.slot = 0x1c + (i / 32) % 4;
		d.bus &= 0xff;
		if (write_dev(&d, i) < 0) {
			fprintf(stderr, "fakehost: cannot write device %u: %s\n", i, strerror(errno));
			return EX_CANTCREAT;
		}
	}
	return 0;
}

static int remove_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	return remove(path) < 0 ? -1 : 0;
}

static void usage(FILE *to)
{
	fprintf(to, "usage: fakehost DESC_FILE OUTDIR\n       fakehost --synth N OUTDIR\n");
}

int main(int argc, char **argv)
{
	const char *out;
	int synth_n = -1, r;

	if (argc == 2 && strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "--synth") == 0) {
		if (number(argv[2], 0, 65536, &synth_n) < 0) {
			fprintf(stderr, "fakehost: --synth: expected 0-65536 devices, got \"%s\"\n", argv[2]);
			return EX_USAGE;
		}
		out = argv[3];
	} else if (argc == 3) {
		out = argv[2];
	} else {
		usage(stderr);
		return EX_USAGE;
	}
	umask(022);
	if (mkdir(out, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "fakehost: %s: %s\n", out, strerror(errno));
		return EX_CANTCREAT;
	}
	if (rmdir(out) < 0 && errno == ENOTEMPTY) {
		fprintf(stderr, "fakehost: %s: not empty\n", out);
		return EX_CANTCREAT;
	}
	if (snprintf(root, sizeof(root), "%s", out) >= (int)sizeof(root) || skeleton() < 0) {
		fprintf(stderr, "fakehost: %s: %s\n", out, strerror(errno));
		return EX_CANTCREAT;
	}
	r = synth_n >= 0 ? synth((unsigned)synth_n) : from_file(argv[1]);
	if (r != 0) /* no half-built tree left behind for the caller to trip over */
		nftw(out, remove_one, 64, FTW_DEPTH | FTW_PHYS);
	return r;
}
