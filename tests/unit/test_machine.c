/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_machine.c - the guest's machine: vm.ini's firmware, cpu, sockets/cores/threads (and
 * what an attacker's vm.ini could try with them), QEMU's -machine/-cpu/-smp and the firmware's
 * descriptors, and the 64-bit PCI window's arithmetic (launcher/machine.c). */
#include "cm.h"
#include "argv.h"
#include "handover.h"
#include "machine.h"
#include "vmconf.h"

#define GIB (1ULL << 30)
#define MIB (1ULL << 20)

static int vm(const char *text, struct vm_config *v, struct perr *e)
{
	static struct host_config host;

	memset(e, 0, sizeof(*e));
	config_defaults(&host);
	return vm_parse(text, strlen(text), "vm.ini", &host, v, e);
}

/* "[vm]\nname = a\nmemory = 1G\n" then `rest`: its lines are 4 and on */
static int vm_rest(const char *rest, struct vm_config *v, struct perr *e)
{
	char text[1024];

	snprintf(text, sizeof(text), "[vm]\nname = a\nmemory = 1G\n%s", rest);
	return vm(text, v, e);
}

static void refused(const char *rest, const char *msg)
{
	static struct vm_config v;
	struct perr e;

	if (vm_rest(rest, &v, &e) != -1 || e.code != EX_DATAERR || strstr(e.msg, msg) == NULL)
		fail_msg("%s: got %d \"%s\", expected EX_DATAERR with \"%s\"", rest, e.code, e.msg, msg);
}

static void test_keys(void **state)
{
	static const char *const bad_cpu[] = {
		"host,kvm=off", "max,+vmx", "qemu64,pmu=on", "a=b", "x,", ",x", /* options ride after a comma */
		"-machine", "-", ".hidden", "help", "", " ", "x y", "Skylake/Server", "$(reboot)",
		"caf\xc3\xa9", "host\\", "a'b", "a\"b", "a;b", "a:b", "a@b",
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", /* 33 */
	};
	static const char *const bad_count[] = { "0", "256", "-1", "4294967297", "1e3", "0x2", "2.0", "two", "" };
	static struct vm_config v;
	char line[128];
	struct perr e;

	(void)state;
	/* defaults: bios, QEMU's CPU for the accelerator, no topology */
	assert_int_equal(vm_rest("", &v, &e), 0);
	assert_string_equal(v.firmware, "bios");
	assert_string_equal(v.cpu, "");
	assert_int_equal(v.sockets + v.cores + v.threads, 0);
	assert_int_equal(vm_rest("firmware = uefi\ncpu = Skylake-Server-v4\n", &v, &e), 0);
	assert_string_equal(v.firmware, "uefi");
	assert_int_equal(v.firmware_line, 4);
	assert_string_equal(v.cpu, "Skylake-Server-v4");
	assert_int_equal(v.cpu_line, 5);
	assert_int_equal(vm_rest("cpu = xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n", &v, &e), 0); /* 32: fits whole */
	assert_int_equal(strlen(v.cpu), 32);
	assert_int_equal(vm_rest("cpu = host\n", &v, &e), 0); /* accel = kvm is the default */
	assert_int_equal(vm_rest("accel = tcg\ncpu = max\n", &v, &e), 0);

	refused("firmware = UEFI\n", "vm.ini:4: firmware: expected one of bios, uefi, got \"UEFI\"");
	refused("firmware = efi\n", "vm.ini:4: firmware: expected one of bios, uefi");
	refused("firmware = uefi,readonly=off\n", "vm.ini:4: firmware: expected one of bios, uefi");
	refused("firmware = /usr/share/OVMF/OVMF_CODE.fd\n", "vm.ini:4: firmware: expected one of bios, uefi");
	for (size_t i = 0; i < sizeof(bad_cpu) / sizeof(bad_cpu[0]); i++) {
		snprintf(line, sizeof(line), "cpu = %s\n", bad_cpu[i]);
		refused(line, "vm.ini:4: cpu: expected host or a CPU model name");
	}
	refused("cpu = a\x01" "b\n", "vm.ini:4: "); /* the reader refuses control characters first */
	refused("cpu = max\x7f\n", "vm.ini:4: ");
	/* host copies the host's CPU: KVM only, whichever line comes first */
	refused("accel = tcg\ncpu = host\n", "vm.ini:5: cpu = host needs accel = kvm");
	refused("cpu = host\naccel = tcg\n", "vm.ini:4: cpu = host needs accel = kvm");

	/* the topology: all three, some (a missing one counts 1), the product exactly cpus */
	assert_int_equal(vm_rest("cpus = 8\nsockets = 2\ncores = 2\nthreads = 2\n", &v, &e), 0);
	assert_int_equal(v.sockets * v.cores * v.threads, 8);
	assert_int_equal(vm_rest("cpus = 4\ncores = 4\n", &v, &e), 0);
	assert_int_equal(vm_rest("sockets = 1\n", &v, &e), 0); /* cpus' default, 1 */
	assert_int_equal(vm_rest("cpus = 255\nthreads = 255\n", &v, &e), 0);
	refused("cpus = 8\nsockets = 2\n",
		"vm.ini:5: expected sockets * cores * threads = cpus (8), got 2 * 1 * 1 = 2 (one not given counts 1)");
	refused("sockets = 2\ncores = 2\ncpus = 2\n", "vm.ini:5: expected sockets * cores * threads = cpus (2), got 2 * 2 * 1 = 4");
	refused("cpus = 255\nsockets = 255\ncores = 255\nthreads = 255\n", /* 16581375: no overflow */
		"vm.ini:7: expected sockets * cores * threads = cpus (255), got 255 * 255 * 255 = 16581375");
	for (size_t i = 0; i < sizeof(bad_count) / sizeof(bad_count[0]); i++) {
		static const char *const keys[] = { "sockets", "cores", "threads" };
		for (size_t k = 0; k < 3; k++) {
			char want[64];
			snprintf(line, sizeof(line), "%s = %s\n", keys[k], bad_count[i]);
			snprintf(want, sizeof(want), "vm.ini:4: %s: expected a number from 1 to 255", keys[k]);
			refused(line, want);
		}
	}
	refused("sockets = 1\nsockets = 1\n", "vm.ini:5: sockets");
}

/* A window for BARs given as {size, port} pairs, on q35 unless pc. */
static int window(bool q35, bool uefi, unsigned long long mib, unsigned bits, const uint64_t (*bars)[2],
		  size_t n, struct machine_window *w, struct perr *e)
{
	static struct machine_in in;

	memset(&in, 0, sizeof(in));
	memset(e, 0, sizeof(*e));
	in.q35 = q35;
	in.uefi = uefi;
	in.memory_mib = mib;
	in.phys_bits = bits;
	in.bits_from = "TCG's phys-bits";
	for (size_t i = 0; i < n; i++) {
		in.bar[i].size = bars[i][0];
		in.bar[i].port = (unsigned)bars[i][1];
		snprintf(in.bar[i].addr, sizeof(in.bar[i].addr), "0000:%02x:00.0", 0x3b + (unsigned)bars[i][1]);
	}
	in.n_bar = n;
	return machine_window(&in, w, e);
}

static void test_window(void **state)
{
	static const uint64_t one16m[][2] = { { 16 * MIB, 0 } };
	static const uint64_t exactly32[][2] = { { 32 * GIB, 0 } };
	static const uint64_t over32[][2] = { { 32 * GIB, 0 }, { 16 * MIB, 1 } };
	static const uint64_t brief[][2] = { { 32 * GIB, 0 }, { 32 * GIB, 0 }, { 16 * GIB, 1 } };
	static const uint64_t three[][2] = { { 16 * GIB, 0 }, { 32 * MIB, 0 }, { 16 * GIB, 1 }, { 32 * MIB, 1 },
					      { 16 * GIB, 2 }, { 32 * MIB, 2 } };
	static const uint64_t odd[][2] = { { 3 * GIB, 0 }, { 0, 0 }, { 30 * GIB, 1 } };
	static const uint64_t huge[][2] = { { 1ULL << 40, 0 } };
	static const uint64_t wrap[][2] = { { 1ULL << 63, 0 }, { 1ULL << 63, 1 } };
	static const uint64_t past[][2] = { { (1ULL << 63) + 1, 0 } };
	struct machine_window w;
	struct perr e;
	char s[32];

	(void)state;
	assert_string_equal(machine_size(32 * GIB, s), "32 GiB");
	assert_string_equal(machine_size(1ULL << 40, s), "1 TiB");
	assert_string_equal(machine_size(1536 * MIB, s), "1536 MiB");
	assert_string_equal(machine_size(4097, s), "4097 bytes");
	assert_string_equal(machine_size(0, s), "0 bytes");
	assert_string_equal(machine_pcihost(true), "q35-pcihost");
	assert_string_equal(machine_pcihost(false), "i440FX-pcihost");

	/* no 64-bit BARs: QEMU's defaults, 32 GiB on q35 and 2 GiB on pc, nothing set */
	assert_int_equal(window(true, false, 1024, 40, NULL, 0, &w, &e), 0);
	assert_true(w.size == 32 * GIB && !w.hole64 && !w.ovmf && w.bars == 0);
	assert_string_equal(w.why, "64-bit PCI window: QEMU's default (32 GiB): no 64-bit BARs; addresses up to 36 GiB of 1 TiB (40 bits: TCG's phys-bits)");
	assert_int_equal(window(false, false, 1024, 40, NULL, 0, &w, &e), 0);
	assert_true(w.size == 2 * GIB && !w.hole64 && w.top == 6 * GIB);
	/* small BARs: the default holds them */
	assert_int_equal(window(true, false, 1024, 40, one16m, 1, &w, &e), 0);
	assert_true(w.size == 32 * GIB && !w.hole64 && w.need == 16 * MIB);
	assert_non_null(strstr(w.why, "QEMU's default (32 GiB) holds the BARs, 16 MiB of 0000:3b:00.0"));
	/* exactly 32 GiB still fits the default; 16 MiB more takes the next power of two */
	assert_int_equal(window(true, false, 1024, 40, exactly32, 1, &w, &e), 0);
	assert_true(w.need == 32 * GIB && w.size == 32 * GIB && !w.hole64);
	assert_int_equal(window(true, false, 1024, 40, over32, 2, &w, &e), 0);
	assert_true(w.need == 32 * GIB + MIB * 16 && w.size == 64 * GIB && w.hole64);
	/* on pc a 4 GiB BAR is more than the default 2 GiB */
	static const uint64_t four[][2] = { { 4 * GIB, 0 } };
	assert_int_equal(window(false, false, 1024, 40, four, 1, &w, &e), 0);
	assert_true(w.size == 4 * GIB && w.hole64 && w.qemu_default == 2 * GIB);
	/* the example: 64 + 16 GiB of two devices is a 128 GiB window */
	assert_int_equal(window(true, false, 4096, 40, brief, 3, &w, &e), 0);
	assert_true(w.bars == 80 * GIB && w.size == 128 * GIB && w.hole64 && !w.ovmf);
	assert_string_equal(w.why, "64-bit PCI window 128 GiB: BARs 64 GiB + 16 GiB of 0000:3b:00.0, 0000:3c:00.0; QEMU's default is 32 GiB; addresses up to 134 GiB of 1 TiB (40 bits: TCG's phys-bits)");
	/* a bridge window a port, aligned to its largest BAR: three ports of 16 GiB + 32 MiB need
	 * 80 GiB + 32 MiB, not their 48 GiB + 96 MiB sum; on pc (no bridges) the sum */
	assert_int_equal(window(true, false, 1024, 40, three, 6, &w, &e), 0);
	assert_true(w.need == 80 * GIB + 32 * MIB && w.size == 128 * GIB);
	assert_int_equal(window(false, false, 1024, 40, three, 6, &w, &e), 0);
	assert_true(w.need == 48 * GIB + 96 * MIB && w.size == 64 * GIB);
	/* a size that is no power of two counts as the next one; a size of 0 as nothing */
	assert_int_equal(window(true, false, 1024, 40, odd, 3, &w, &e), 0);
	assert_true(w.bars == 36 * GIB && w.need == 36 * GIB && w.size == 64 * GIB);
	/* UEFI: OVMF's aperture follows a window past its 32 GiB, aligned to its size */
	assert_int_equal(window(true, true, 8192, 40, NULL, 0, &w, &e), 0);
	assert_true(!w.ovmf && w.top == 64 * GIB); /* RAM to 10 GiB, the aperture at 32 GiB */
	assert_int_equal(window(true, true, 8192, 40, brief, 3, &w, &e), 0);
	assert_true(w.ovmf && w.hole64 && w.top == 256 * GIB);
	assert_non_null(strstr(w.why, "; OVMF's aperture likewise (its default is 32 GiB)"));

	/* RAM above 4 GiB: q35 keeps 2 GiB below from 2816 MiB, pc 3 GiB from 3584 MiB */
	assert_int_equal(window(true, false, 2815, 40, NULL, 0, &w, &e), 0);
	assert_true(w.top == 36 * GIB);
	assert_int_equal(window(true, false, 2816, 40, NULL, 0, &w, &e), 0);
	assert_true(w.top == 37 * GIB); /* 4 GiB + 768 MiB, rounded up to 5 GiB, + 32 GiB */
	assert_int_equal(window(false, false, 3583, 40, NULL, 0, &w, &e), 0);
	assert_true(w.top == 6 * GIB);
	assert_int_equal(window(false, false, 3584, 40, NULL, 0, &w, &e), 0);
	assert_true(w.top == 7 * GIB);

	/* the address bits: 36 bits (64 GiB) hold 30 GiB of RAM and the default window exactly */
	assert_int_equal(window(true, false, 30720, 36, NULL, 0, &w, &e), 0);
	assert_true(w.top == 64 * GIB);
	assert_int_equal(window(true, false, 30721, 36, NULL, 0, &w, &e), -1);
	assert_int_equal(e.code, EX_UNAVAILABLE);
	assert_string_equal(e.msg, "the guest's memory map needs physical addresses up to 65 GiB (RAM above 4 GiB 28673 MiB, 64-bit PCI window 32 GiB), expected at most 64 GiB (36 bits: TCG's phys-bits)");
	/* unknown bits: not checked */
	assert_int_equal(window(true, false, 4ULL << 20, 0, NULL, 0, &w, &e), 0);
	/* a 1 TiB BAR: past TCG's 40 bits, named; with 48 bits it fits, RAM moved above 1 TiB
	 * (AMD's hole), so the map ends at 2 TiB */
	assert_int_equal(window(true, false, 1024, 40, huge, 1, &w, &e), -1);
	assert_int_equal(e.code, EX_UNAVAILABLE);
	assert_string_equal(e.msg, "the guest's memory map needs physical addresses up to 2 TiB (RAM above 4 GiB 0 bytes, 64-bit PCI window 1 TiB for BARs 1 TiB of 0000:3b:00.0), expected at most 1 TiB (40 bits: TCG's phys-bits)");
	assert_int_equal(window(true, false, 1024, 48, huge, 1, &w, &e), 0);
	assert_true(w.size == 1ULL << 40 && w.top == 2ULL << 40);
	/* BARs past 64-bit addresses: refused, never wrapped */
	assert_int_equal(window(true, false, 1024, 0, wrap, 2, &w, &e), -1);
	assert_int_equal(e.code, EX_UNAVAILABLE);
	assert_non_null(strstr(e.msg, "do not fit 64-bit addresses"));
	assert_int_equal(window(false, false, 1024, 0, past, 1, &w, &e), -1);
	assert_non_null(strstr(e.msg, "do not fit 64-bit addresses"));
	static const uint64_t top63[][2] = { { 1ULL << 63, 0 } };
	assert_int_equal(window(true, false, 1024, 0, top63, 1, &w, &e), 0); /* bits unknown: 64 hold it */
	assert_int_equal(window(true, false, 1024, 52, top63, 1, &w, &e), -1);
	assert_non_null(strstr(e.msg, "64-bit PCI window 8 EiB for BARs 8 EiB of 0000:3b:00.0), expected at most 4 PiB (52 bits"));
	assert_int_equal(window(true, true, 1024, 0, top63, 1, &w, &e), -1); /* OVMF's aligned aperture wraps */
	assert_non_null(strstr(e.msg, "does not fit 64-bit addresses"));
}

static void test_phys_bits(void **state)
{
	static const struct { const char *text; int bits; } cases[] = {
		{ "processor\t: 0\nvendor_id\t: AuthenticAMD\naddress sizes\t: 48 bits physical, 48 bits virtual\npower management:\n", 48 },
		{ "address sizes : 46 bits physical, 57 bits virtual", 46 }, /* no newline */
		{ "address sizes\t: 39 bits physical, 48 bits virtual\naddress sizes\t: 52 bits physical, 57 bits virtual\n", 39 },
		{ "address sizes\t: 52 bits physical, 57 bits virtual\n", 52 },
		{ "address sizes\t: 53 bits physical, 57 bits virtual\n", -1 },
		{ "address sizes\t: 31 bits physical\n", -1 },
		{ "address sizes\t: -1 bits physical\n", -1 },
		{ "address sizes\t: 99999999999999999999 bits physical\n", -1 },
		{ "address sizes\t: 48 bits virtual\n", -1 },
		{ "address sizes\t: 48\n", -1 },
		{ "address sizes\t:\n", -1 },
		{ "processor\t: 0\nflags\t: fpu vme\n", -1 },
		{ "", -1 },
		{ "\x7f" "ELF\x01\x02\x00\xff address sizes", -1 },
	};
	const char *why;
	unsigned bits;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bits = 0;
		why = NULL;
		int r = machine_phys_bits(cases[i].text, strlen(cases[i].text), &bits, &why);
		if (cases[i].bits < 0) {
			if (r != -1 || why == NULL)
				fail_msg("case %zu: accepted, %u bits", i, bits);
		} else if (r != 0 || bits != (unsigned)cases[i].bits) {
			fail_msg("case %zu: got %d, %u bits (%s)", i, r, bits, why ? why : "");
		}
	}
	/* a NUL inside the text is a byte like any other: the length bounds it */
	assert_int_equal(machine_phys_bits("x\0\naddress sizes\t: 40 bits physical\n", 36, &bits, &why), 0);
	assert_int_equal(bits, 40);
	assert_int_equal(machine_phys_bits("address sizes\t: 40 bits physical\n", 20, &bits, &why), -1);
}

static void test_argv(void **state)
{
	static struct host_config host;
	static struct vm_config v;
	struct machine_window w = { 0 };
	struct handover fds;
	struct argv a;
	struct perr e;
	bool code = false, vars = false;
	int sets = 0;

	(void)state;
	config_defaults(&host);
	assert_int_equal(vm("[vm]\nname=u\nmemory=1G\nfirmware=uefi\ncpus=4\nsockets=2\ncores=2\n", &v, &e), 0);
	handover_plan(&v, 0, &fds);
	assert_int_equal(qemu_argv(&host, &v, NULL, 0, &fds, NULL, &a, &e), 0);
	for (size_t i = 0; i + 1 < a.n; i++) {
		const char *o = a.v[i], *x = a.v[i + 1];
		if (strcmp(o, "-machine") == 0)
			assert_string_equal(x, "q35,accel=kvm,pflash0=pcipass.ovmf-code,pflash1=pcipass.ovmf-vars");
		if (strcmp(o, "-cpu") == 0)
			assert_string_equal(x, "host");
		if (strcmp(o, "-smp") == 0)
			assert_string_equal(x, "4,sockets=2,cores=2,threads=1");
		if (strcmp(o, "-add-fd") == 0)
			sets += strstr(x, ",set=9") != NULL ? 1 : strstr(x, ",set=10") != NULL ? 10 : 100;
		code |= strcmp(o, "-blockdev") == 0 &&
			strcmp(x, "driver=file,filename=/dev/fdset/9,node-name=pcipass.ovmf-code,read-only=on") == 0;
		vars |= strcmp(o, "-blockdev") == 0 &&
			strcmp(x, "driver=file,filename=/dev/fdset/10,node-name=pcipass.ovmf-vars") == 0;
		/* no path of the host's reaches QEMU: descriptors only */
		assert_null(strstr(x, "OVMF"));
		assert_null(strstr(x, "nvram"));
	}
	assert_true(code && vars);
	assert_int_equal(sets, 1 + 10 + 10); /* the code one descriptor; the variables two */
	argv_free(&a);
	/* a table without the firmware's descriptors is a bug, not a QEMU without its flash */
	struct vm_config bios;
	assert_int_equal(vm("[vm]\nname=u\nmemory=1G\n", &bios, &e), 0);
	handover_plan(&bios, 0, &fds);
	assert_int_equal(qemu_argv(&host, &v, NULL, 0, &fds, NULL, &a, &e), -1);
	assert_int_equal(e.code, EX_SOFTWARE);
	assert_string_equal(e.msg, "no descriptor planned for OVMF's code");

	/* a model, and TCG's default; no firmware options for bios */
	assert_int_equal(vm("[vm]\nname=u\nmemory=1G\naccel=tcg\ncpu=Icelake-Server\n", &v, &e), 0);
	handover_plan(&v, 0, &fds);
	assert_int_equal(qemu_argv(&host, &v, NULL, 0, &fds, NULL, &a, &e), 0);
	for (size_t i = 0; i + 1 < a.n; i++) {
		if (strcmp(a.v[i], "-machine") == 0)
			assert_string_equal(a.v[i + 1], "q35,accel=tcg");
		if (strcmp(a.v[i], "-cpu") == 0)
			assert_string_equal(a.v[i + 1], "Icelake-Server");
		if (strcmp(a.v[i], "-smp") == 0)
			assert_string_equal(a.v[i + 1], "1");
		assert_true(strcmp(a.v[i], "-blockdev") != 0 && strcmp(a.v[i], "-add-fd") != 0);
	}
	/* the window: nothing for QEMU's default; -global past it; OVMF's aperture past 32 GiB */
	size_t n = a.n;
	assert_int_equal(argv_window(&a, &v, &w, &e), 0);
	assert_int_equal(a.n, n);
	w = (struct machine_window){ .size = 64 * GIB, .hole64 = true };
	assert_int_equal(argv_window(&a, &v, &w, &e), 0);
	assert_int_equal(a.n, n + 2);
	assert_string_equal(a.v[n], "-global");
	assert_string_equal(a.v[n + 1], "q35-pcihost.pci-hole64-size=68719476736");
	argv_free(&a);
	assert_int_equal(vm("[vm]\nname=u\nmemory=1G\nmachine=pc\nfirmware=uefi\n", &v, &e), 0);
	handover_plan(&v, 0, &fds);
	assert_int_equal(qemu_argv(&host, &v, NULL, 0, &fds, NULL, &a, &e), 0);
	n = a.n;
	w = (struct machine_window){ .size = 128 * GIB, .hole64 = true, .ovmf = true };
	assert_int_equal(argv_window(&a, &v, &w, &e), 0);
	assert_int_equal(a.n, n + 4);
	assert_string_equal(a.v[n + 1], "i440FX-pcihost.pci-hole64-size=137438953472");
	assert_string_equal(a.v[n + 2], "-fw_cfg");
	assert_string_equal(a.v[n + 3], "name=opt/ovmf/X-PciMmio64Mb,string=131072");
	argv_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_phys_bits),
		cmocka_unit_test(test_argv),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
