# SPDX-License-Identifier: GPL-2.0-or-later
# pcipass - GNU make. `make help` lists the targets.
#
# Out-of-tree objects go to $(BUILD) (default build/). The sanitizer build is the same
# tree compiled into build/asan with SAN=1; the fuzzers need clang and go to build/fuzz.

PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
LOCALSTATEDIR ?= /var
# systemd reads tmpfiles.d and modules-load.d under /usr/local/lib as under /usr/lib
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
MODULESLOADDIR ?= $(PREFIX)/lib/modules-load.d
PKGDATADIR ?= $(PREFIX)/share/pcipass
DOCDIR     ?= $(PREFIX)/share/doc/pcipass
DESTDIR    ?=
BUILD      ?= build
CC         ?= cc
CFLAGS     ?= -O2 -g
LDFLAGS    ?=
SAN        ?=
FUZZ_SECONDS ?= 5

# Always on, whatever CFLAGS the caller gives: the warnings are part of the code review.
WARN := -std=c17 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wconversion -Wsign-conversion \
	-Wstrict-prototypes -Wmissing-prototypes -Wvla -Wundef -Wcast-qual -Wwrite-strings \
	-Wnull-dereference -Wimplicit-fallthrough
DEFS := -D_GNU_SOURCE -Icommon -Iprobe -Ilauncher
ifeq ($(SAN),1)
HARDEN   := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -fPIE
LDHARDEN := -fsanitize=address,undefined -pie
else
HARDEN   := -D_FORTIFY_SOURCE=3 -fstack-protector-strong -fstack-clash-protection -fPIE
LDHARDEN := -pie -Wl,-z,relro,-z,now -Wl,-z,noexecstack
endif

ALL_CFLAGS  = $(WARN) $(DEFS) $(HARDEN) $(CFLAGS) -MMD -MP
ALL_LDFLAGS = $(LDHARDEN) $(LDFLAGS)
LIBS_INI  := -linih
LIBS_PCI  := -lpci
LIBS_TEST := -lcmocka
LIBS_SECCOMP := -lseccomp

COMMON_SRC := $(wildcard common/*.c)
COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/%.o)
PROBE_SRC  := probe/probe.c
PROBE_LIB  := probe/scan.c probe/report.c probe/update.c probe/facts.c
MODEL_SRC  := probe/model_cmd.c
RUN_SRC    := launcher/run.c
RUN_LIB    := launcher/vmconf.c launcher/argv.c launcher/select.c launcher/handover.c launcher/qmp.c launcher/numa.c \
              launcher/machine.c
RUN_SYS    := launcher/plan.c launcher/release.c launcher/hotplug.c launcher/filter.c launcher/filter_load.c launcher/prepare.c launcher/bind.c launcher/files.c launcher/rom.c launcher/slot.c launcher/ident.c \
              launcher/ops.c launcher/console.c launcher/preflight.c launcher/numahost.c \
              launcher/firmware.c launcher/window.c
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

PROGS := $(BUILD)/pcipass-probe $(BUILD)/pcipass-model $(BUILD)/pcipass-run
MAN8  := probe/pcipass-probe.8 probe/pcipass-model.8 launcher/pcipass-run.8
MAN5  := conf/pcipass.conf.5 launcher/vm.ini.5
UNITS := contrib/pcipass-probe.service contrib/pcipass-probe.timer contrib/pcipass@.service
TOOLS := $(BUILD)/fakehost $(BUILD)/claimhold $(BUILD)/qemu-report $(BUILD)/qemu-attack $(BUILD)/kernelsim.so $(BUILD)/bindtool \
	 $(BUILD)/fileshand $(BUILD)/qmptool $(BUILD)/affprobe.so

.SECONDARY:
.PHONY: all check unit blackbox e2e asan fuzz fuzz-smoke bench demo install uninstall clean help deps
.PHONY: deb deb-test mutants e2e-accel
all: $(PROGS) $(TOOLS)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/libcommon.a: $(COMMON_OBJ)
	$(AR) rcs $@ $^

$(BUILD)/libprobe.a: $(PROBE_LIB:%.c=$(BUILD)/%.o)
	$(AR) rcs $@ $^

$(BUILD)/pcipass-probe: $(PROBE_SRC:%.c=$(BUILD)/%.o) $(BUILD)/libprobe.a $(BUILD)/libcommon.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS_PCI) $(LIBS_INI)

$(BUILD)/pcipass-model: $(MODEL_SRC:%.c=$(BUILD)/%.o) $(BUILD)/libprobe.a $(BUILD)/libcommon.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS_PCI) $(LIBS_INI)

$(BUILD)/liblauncher.a: $(RUN_LIB:%.c=$(BUILD)/%.o) $(RUN_SYS:%.c=$(BUILD)/%.o) $(BUILD)/gen/filter_progs.o
	$(AR) rcs $@ $^

# The seccomp filter is compiled from launcher/filter.c's table by libseccomp here, once, not
# at every launch: filter_gen writes the programs (issue 13), and filter.o's change remakes them.
# pcipass-run installs them without libseccomp; the unit test holds them to libseccomp's build.
$(BUILD)/filter_gen: $(BUILD)/launcher/filter_gen.o $(BUILD)/launcher/filter_build.o $(BUILD)/launcher/filter.o $(BUILD)/libcommon.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS_INI) $(LIBS_SECCOMP)

$(BUILD)/gen/filter_progs.c: $(BUILD)/filter_gen
	@mkdir -p $(@D)
	$(BUILD)/filter_gen >$@.tmp && mv $@.tmp $@

$(BUILD)/gen/filter_progs.o: $(BUILD)/gen/filter_progs.c
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/test_filter: $(BUILD)/launcher/filter_build.o

$(BUILD)/pcipass-run: $(RUN_SRC:%.c=$(BUILD)/%.o) $(BUILD)/liblauncher.a $(BUILD)/libcommon.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS_INI)

$(BUILD)/fakehost: $(BUILD)/tests/fakehost.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^

$(BUILD)/claimhold: $(BUILD)/tests/claimhold.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^

$(BUILD)/qmptool: $(BUILD)/tests/qmptool.o $(BUILD)/liblauncher.a $(BUILD)/libcommon.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS_INI) $(LIBS_SECCOMP)

$(BUILD)/bindtool: $(BUILD)/tests/bindtool.o $(BUILD)/liblauncher.a $(BUILD)/libcommon.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS_INI) $(LIBS_SECCOMP)

$(BUILD)/fileshand: $(BUILD)/tests/fileshand.o $(BUILD)/liblauncher.a $(BUILD)/libcommon.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS_INI) $(LIBS_SECCOMP)

# The kernel stand-in is preloaded into pcipass-run; never sanitized (it must not come first).
$(BUILD)/kernelsim.so: tests/kernelsim.c
	$(CC) -std=c17 -Wall -Wextra -Werror -O2 -g -fPIC -shared -o $@ $< -ldl

# Preloaded into the real QEMU (tests/t-numa.sh); never sanitized, like kernelsim.so.
$(BUILD)/affprobe.so: tests/affprobe.c
	$(CC) -std=c17 -Wall -Wextra -Werror -O2 -g -fPIC -shared -o $@ $< -lpthread

# The stand-in QEMU runs under our seccomp filter, where LeakSanitizer's ptrace at exit would
# be killed: it is never built with sanitizers.
$(BUILD)/qemu-report: HARDEN := -fPIE
$(BUILD)/qemu-report: LDHARDEN := -pie
$(BUILD)/qemu-report: $(BUILD)/tests/qemu_report.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^

# Likewise the compromised QEMU (tests/t-isolation.sh), which its filter is meant to kill.
$(BUILD)/qemu-attack: HARDEN := -fPIE
$(BUILD)/qemu-attack: LDHARDEN := -pie
$(BUILD)/qemu-attack: $(BUILD)/tests/qemu_attack.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^

# Unit tests link the code under test straight from its objects (no mocks of our own code).
$(BUILD)/tests/test_%: $(BUILD)/tests/unit/test_%.o $(BUILD)/libprobe.a $(BUILD)/liblauncher.a $(BUILD)/libcommon.a
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS_TEST) $(LIBS_PCI) $(LIBS_INI) $(LIBS_SECCOMP)

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

blackbox: all
	@BUILD=$(BUILD) tests/blackbox.sh

# The real kernel: QEMU's edu device passed through by our tools inside a TCG guest with an IOMMU;
# three guest runs (tests/e2e/run.sh: inside.sh, hotplug.sh, accel.sh). e2e-accel runs only the
# third (issue 12: multifunction, UEFI, NUMA and hugepages, the 64-bit window, boot VGA).
e2e: all
	@BUILD=$(BUILD) tests/e2e/run.sh

e2e-accel: all
	@BUILD=$(BUILD) tests/e2e/run.sh accel

# Single edits of the product that each break a promise (launcher/MUTANTS, common/MUTANTS,
# probe/MUTANTS), applied one at a time to a scratch copy under $(BUILD)/mutants: every one must
# make one of its tests fail (tests/mutants.py; `tests/mutants.py ID...` runs some).
mutants:
	@BUILD=$(BUILD) tests/mutants.py

# The whole suite: unit tests, each fuzzer briefly, the black-box tests, the end-to-end test on a
# real kernel, the Debian package installed in a clean root, the mutants, then the unit and
# black-box tests again under ASan+UBSan.
check: all
	$(MAKE) --no-print-directory unit
	$(MAKE) --no-print-directory fuzz-smoke
	$(MAKE) --no-print-directory blackbox
	$(MAKE) --no-print-directory e2e
	$(MAKE) --no-print-directory deb-test
	$(MAKE) --no-print-directory mutants
	$(MAKE) --no-print-directory asan

# Under ASan+UBSan every test but four: t-ansible.sh and t-fleet.sh (ansible's own run time,
# around programs the other tests cover), t-grafana.sh (promtool's, around one --prom t-prom.sh
# covers), and t-robust.sh (hundreds of probes killed by SIGKILL, which no sanitizer
# reports on): minutes that find nothing the plain pass does not.
asan:
	BLACKBOX_SKIP="t-ansible.sh t-fleet.sh t-grafana.sh t-robust.sh" \
	$(MAKE) --no-print-directory BUILD=build/asan SAN=1 CFLAGS="-O1 -g" all unit blackbox

comma := ,
FUZZERS := $(patsubst tests/fuzz/fuzz_%.c,build/fuzz/fuzz_%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_CFLAGS := -std=c17 -D_GNU_SOURCE -Icommon -Ilauncher -g -O1 -fsanitize=fuzzer,address,undefined
# the code under test compiled once (instrumented, without libFuzzer's main), linked into each
FUZZ_OBJ := $(patsubst %.c,build/fuzz/obj/%.o,$(COMMON_SRC) $(RUN_LIB))
build/fuzz/obj/%.o: %.c common/*.h launcher/*.h
	@mkdir -p $(@D)
	clang $(subst fuzzer$(comma),fuzzer-no-link$(comma),$(FUZZ_CFLAGS)) -c -o $@ $<
build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJ)
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_OBJ) $(LIBS_INI)

fuzz-smoke: $(FUZZERS)
	@tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZERS)

fuzz: $(FUZZERS)
	@tests/fuzz/run.sh $${FUZZ_SECONDS:-300} $(FUZZERS)

bench: all
	@BUILD=$(BUILD) tests/bench/bench.sh

demo: all
	@BUILD=$(BUILD) contrib/demo.sh

deps:
	contrib/install-deps.sh

# What the Debian package installs and creates too (it runs this target): the programs, man
# pages, configuration, units, tmpfiles.d and modules-load.d entries, the alert rules, the Grafana
# dashboard, the example vm.ini, and the empty directories of the configuration and the data.
# Then what is left to do.
install: all
	install -d $(DESTDIR)$(SBINDIR)
	install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/pcipass $(DESTDIR)$(SYSCONFDIR)/pcipass/models.d \
		$(DESTDIR)$(SYSCONFDIR)/pcipass/vms
	@# the inventory's directory, and image_dirs' default (disks, kernels: root's, read by the
	@# launcher only); /run/pcipass comes from tmpfiles.d
	install -d -m 0755 $(DESTDIR)$(LOCALSTATEDIR)/lib/pcipass $(DESTDIR)$(LOCALSTATEDIR)/lib/pcipass/images
	@# nvram_dir's default: each UEFI VM's variables (the files root's, 0600; the directory
	@# 0755 as Debian wants it)
	install -d -m 0755 $(DESTDIR)$(LOCALSTATEDIR)/lib/pcipass/nvram
	install -m 0755 $(PROGS) $(DESTDIR)$(SBINDIR)/
	install -d $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5
	install -m 0644 $(MAN8) $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/
	test -e $(DESTDIR)$(SYSCONFDIR)/pcipass/pcipass.conf || \
		install -m 0644 conf/pcipass.conf $(DESTDIR)$(SYSCONFDIR)/pcipass/pcipass.conf
	@# The units in contrib/ run /usr/local/sbin/...: their Exec lines (and the commented
	@# examples of Exec lines) get $(SBINDIR) instead.
	install -d $(DESTDIR)$(SYSTEMDUNITDIR)
	set -e; for u in $(UNITS); do \
		sed 's|^\(#* *Exec[A-Za-z]*=[-@:+!]*\)/usr/local/sbin/|\1$(SBINDIR)/|' $$u \
			>$(DESTDIR)$(SYSTEMDUNITDIR)/$${u##*/}; \
		chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$${u##*/}; \
	done
	@# one completion file for the three programs, found by each name (bash-completion loads
	@# completions/<command> on demand)
	install -d $(DESTDIR)$(BASHCOMPDIR)
	install -m 0644 contrib/bash-completion/pcipass $(DESTDIR)$(BASHCOMPDIR)/pcipass-probe
	ln -sf pcipass-probe $(DESTDIR)$(BASHCOMPDIR)/pcipass-model
	ln -sf pcipass-probe $(DESTDIR)$(BASHCOMPDIR)/pcipass-run
	install -d $(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(MODULESLOADDIR)
	install -m 0644 contrib/pcipass.tmpfiles.conf $(DESTDIR)$(TMPFILESDIR)/pcipass.conf
	install -m 0644 contrib/pcipass.modules-load.conf $(DESTDIR)$(MODULESLOADDIR)/pcipass.conf
	install -d $(DESTDIR)$(PKGDATADIR)/prometheus $(DESTDIR)$(PKGDATADIR)/grafana $(DESTDIR)$(DOCDIR)/examples
	install -m 0644 contrib/prometheus/pcipass.rules.yml $(DESTDIR)$(PKGDATADIR)/prometheus/
	install -m 0644 contrib/grafana/pcipass.json $(DESTDIR)$(PKGDATADIR)/grafana/
	install -m 0644 conf/vm.ini $(DESTDIR)$(DOCDIR)/examples/
	@echo "pcipass is installed. Still to do, as root:"
	@echo "  systemctl daemon-reload"
	@echo "  systemd-tmpfiles --create pcipass.conf       # /run/pcipass now (at boot from now on)"
	@echo "  modprobe vfio-pci                            # now (at boot from now on: $(MODULESLOADDIR)/pcipass.conf)"
	@echo "  systemctl enable --now pcipass-probe.timer   # the inventory, every minute"
	@echo "  pcipass-model create --probe MODEL DEV_TYPE VENDOR_ID DEVICE_ID"
	@echo "  cp $(DOCDIR)/examples/vm.ini $(SYSCONFDIR)/pcipass/vms/NAME.ini   # then edit it: [vm] name = NAME,"
	@echo "      # disks and kernels under $(LOCALSTATEDIR)/lib/pcipass/images"
	@echo "  systemctl start pcipass@NAME"
	@echo "  alert rules for Prometheus: $(PKGDATADIR)/prometheus/pcipass.rules.yml"
	@echo "  a dashboard for Grafana (import it): $(PKGDATADIR)/grafana/pcipass.json"
	@echo "No system user is needed: every VM runs under a uid of its own (run_as = dynamic), with group kvm for /dev/kvm."

uninstall:
	rm -f $(addprefix $(DESTDIR)$(SBINDIR)/,$(notdir $(PROGS)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(MAN8))) $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(MAN5)))
	rm -f $(addprefix $(DESTDIR)$(SYSTEMDUNITDIR)/,$(notdir $(UNITS)))
	rm -f $(addprefix $(DESTDIR)$(BASHCOMPDIR)/,pcipass-probe pcipass-model pcipass-run)
	rm -f $(DESTDIR)$(TMPFILESDIR)/pcipass.conf $(DESTDIR)$(MODULESLOADDIR)/pcipass.conf
	rm -f $(DESTDIR)$(PKGDATADIR)/prometheus/pcipass.rules.yml $(DESTDIR)$(DOCDIR)/examples/vm.ini
	rm -f $(DESTDIR)$(PKGDATADIR)/grafana/pcipass.json

# The Debian package (debian/), built with dpkg-buildpackage in a copy of the tree (all but build/
# and what .gitignore ignores) at $(BUILD)/deb/pcipass: the build starts with `debian/rules clean`
# (so `make clean`) and writes the .deb beside its source tree, so the package lands in
# $(BUILD)/deb/ and this tree is left alone. Then lintian's every tag (deb-test fails on its
# errors and warnings).
DEB_DIR := $(BUILD)/deb
deb:
	rm -rf $(DEB_DIR)/pcipass $(DEB_DIR)/pcipass_* $(DEB_DIR)/pcipass-dbgsym_*
	mkdir -p $(DEB_DIR)/pcipass
	tar -cf - --exclude-vcs --exclude-vcs-ignores --exclude=./build --exclude=./$(BUILD) . | \
		tar -xf - -C $(DEB_DIR)/pcipass
	cd $(DEB_DIR)/pcipass && dpkg-buildpackage -us -uc -b -J >../build.log 2>&1 || \
		{ tail -40 ../build.log; exit 1; }
	rm -rf $(DEB_DIR)/pcipass/build # its objects' .d files would be -included below
	@# lintian leaves temporary files behind in TMPDIR: give it one of its own
	t=$$(mktemp -d) && TMPDIR=$$t lintian --info --display-info --pedantic --fail-on none \
		$(DEB_DIR)/pcipass_*.changes; rm -rf "$$t"
	@ls -l $(DEB_DIR)/pcipass_*.deb

# The package installed, checked, removed and purged in a clean Debian 12 root (tests/deb/run.sh).
deb-test: deb $(BUILD)/fakehost
	@BUILD=$(BUILD) tests/deb/run.sh

clean:
	rm -rf build

help:
	@echo "targets: all check unit blackbox e2e e2e-accel deb deb-test mutants asan fuzz fuzz-smoke bench demo install uninstall clean deps"

-include $(shell find $(BUILD) -type f -name '*.o' 2>/dev/null | sed 's/\.o$$/.d/')
