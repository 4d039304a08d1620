#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The man pages render without a groff warning, and `make install` puts every file in place
# under DESTDIR (programs, man pages, configuration) without touching the host.
. "$(dirname "$0")/lib.sh"

if command -v groff >/dev/null; then
	for m in "$ROOT"/probe/*.8 "$ROOT"/conf/*.5 "$ROOT"/launcher/*.[58]; do
		out=$(LC_ALL=C groff -man -ww -z -Tutf8 "$m" 2>&1)
		check "man page $(basename "$m") renders without warnings" test -z "$out"
	done
else
	skip "man page rendering (groff not installed)"
fi
make -s -C "$ROOT" install BUILD="$BUILD" DESTDIR="$TMPROOT/dest" PREFIX=/usr >/dev/null 2>&1
for p in pcipass-probe pcipass-model pcipass-run; do
	check "install: $p" test -x "$TMPROOT/dest/usr/sbin/$p"
done
for m in man8/pcipass-probe.8 man8/pcipass-model.8 man8/pcipass-run.8 man5/pcipass.conf.5 man5/vm.ini.5; do
	check "install: man page $m" test -f "$TMPROOT/dest/usr/share/man/$m"
done
check "install: configuration and models.d" test -f "$TMPROOT/dest/etc/pcipass/pcipass.conf" -a -d "$TMPROOT/dest/etc/pcipass/models.d"
# the installed example parses: a copy of it whose models_dir is an empty directory of ours
mkdir -m 0755 "$TMPROOT/md"
sed "s|^models_dir *=.*|models_dir = $TMPROOT/md|" "$TMPROOT/dest/etc/pcipass/pcipass.conf" >"$TMPROOT/installed.conf"
chmod 0644 "$TMPROOT/installed.conf"
"$TMPROOT/dest/usr/sbin/pcipass-model" -c "$TMPROOT/installed.conf" list >"$TMPROOT/list" 2>"$TMPROOT/list.err"
check "install: the installed pcipass.conf is valid (exit 0)" test $? = 0
check "install: the installed pcipass.conf is valid (nothing on stderr, the header and no model)" \
	bash -c "[ ! -s '$TMPROOT/list.err' ] && [ \$(wc -l <'$TMPROOT/list') = 1 ] && grep -q '^MODEL ' '$TMPROOT/list'"
check "install: the example config is the shipped one" cmp -s "$ROOT/conf/pcipass.conf" "$TMPROOT/dest/etc/pcipass/pcipass.conf"

# --- what the package creates too (debian/rules runs this install) ---
D=$TMPROOT/dest
make -s -C "$ROOT" install BUILD="$BUILD" DESTDIR="$D" PREFIX=/usr >"$TMPROOT/install.out" 2>&1
check "install: exit 0" test $? = 0
# mode TYPE PATH: the file's octal mode and type (root's when we are root)
mode() { stat -c '%a %F' "$D$2" 2>/dev/null | grep -qx "$1"; }
for d in /etc/pcipass /etc/pcipass/models.d /etc/pcipass/vms /var/lib/pcipass /var/lib/pcipass/images; do
	check "install: $d, a directory, 0755" mode "755 directory" "$d"
done
check "install: /var/lib/pcipass/nvram (the VMs' UEFI variables), a directory, 0755" \
	mode "755 directory" /var/lib/pcipass/nvram
check "install: no /run (tmpfiles.d makes /run/pcipass at boot)" test ! -e "$D/run"
check "install: tmpfiles.d entry for /run/pcipass, 0644" mode "644 regular file" /usr/lib/tmpfiles.d/pcipass.conf
check "install: tmpfiles.d makes /run/pcipass and claims, vms, ids, root's" \
	test "$(grep -c '^d /run/pcipass\(/claims\|/vms\|/ids\)\? 07[05][05] root root -$' "$D/usr/lib/tmpfiles.d/pcipass.conf")" = 4
check "install: modules-load.d loads vfio-pci at boot (/usr/lib/modules-load.d/pcipass.conf, 0644)" \
	bash -c "[ \$(stat -c %a '$D/usr/lib/modules-load.d/pcipass.conf') = 644 ] && [ \"\$(grep -v '^#' '$D/usr/lib/modules-load.d/pcipass.conf')\" = vfio-pci ]"
check "install: the alert rules in /usr/share/pcipass/prometheus" \
	cmp -s "$ROOT/contrib/prometheus/pcipass.rules.yml" "$D/usr/share/pcipass/prometheus/pcipass.rules.yml"
check "install: the example vm.ini in /usr/share/doc/pcipass/examples" \
	cmp -s "$ROOT/conf/vm.ini" "$D/usr/share/doc/pcipass/examples/vm.ini"
check "install: says what is left to do (daemon-reload, the timer, a vm.ini in /etc/pcipass/vms)" \
	bash -c "grep -q '^  systemctl daemon-reload$' '$TMPROOT/install.out' &&
		grep -q '^  systemctl enable --now pcipass-probe.timer' '$TMPROOT/install.out' &&
		grep -q '^  cp /usr/share/doc/pcipass/examples/vm.ini /etc/pcipass/vms/NAME.ini' '$TMPROOT/install.out' &&
		grep -q '^  modprobe vfio-pci' '$TMPROOT/install.out'"
check "install: says no system user is needed" grep -q '^No system user is needed' "$TMPROOT/install.out"
# the VM unit: vfio-pci loaded first (a failure ignored), a graceful stop with systemd's own
# timeout above pcipass-run's, every pcipass Exec line at the installed SBINDIR
U=$D/usr/lib/systemd/system/pcipass@.service
check "pcipass@.service: ExecStartPre=-/sbin/modprobe vfio-pci" grep -qx 'ExecStartPre=-/sbin/modprobe vfio-pci' "$U"
check "pcipass@.service: ExecStop is pcipass-run --stop of the instance, with a timeout" \
	grep -qx 'ExecStop=/usr/sbin/pcipass-run --stop %i --timeout [0-9]*' "$U"
stop_t=$(sed -n 's/^ExecStop=.* --timeout \([0-9]*\)$/\1/p' "$U")
unit_t=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)$/\1/p' "$U")
check "pcipass@.service: TimeoutStopSec ($unit_t) leaves --stop's timeout ($stop_t) 20 s or more for quit and kill" \
	test "${unit_t:-0}" -ge $((${stop_t:-1000} + 20))
check "pcipass@.service: no socat, no shell in an Exec line" bash -c "! grep -Eq '^Exec.*(socat|/bin/sh)' '$U'"
check "pcipass@.service: every Exec line of a program of ours names /usr/sbin" \
	bash -c "! grep -h '^Exec' '$D'/usr/lib/systemd/system/pcipass* | grep pcipass- | grep -v '=[-@:+!]*/usr/sbin/pcipass-'"
# (systemd-analyze verify of the installed units: tests/deb/run.sh, in a root with systemd)

# PREFIX and DESTDIR honoured: another prefix, the same set of files under it, nothing elsewhere
D2=$TMPROOT/dest2
make -s -C "$ROOT" install BUILD="$BUILD" DESTDIR="$D2" PREFIX=/opt/pp >"$TMPROOT/install2.out" 2>&1
check "install PREFIX=/opt/pp: exit 0" test $? = 0
check "install PREFIX=/opt/pp: the same files, under /opt/pp instead of /usr" \
	test "$(cd "$D2" && find . ! -path ./opt | sed 's|^\./opt/pp|./usr|' | sort)" = "$(cd "$D" && find . | sort)"
check "install PREFIX=/opt/pp: the units run /opt/pp/sbin" \
	grep -qx 'ExecStop=/opt/pp/sbin/pcipass-run --stop %i --timeout [0-9]*' "$D2/opt/pp/lib/systemd/system/pcipass@.service"
check "install PREFIX=/opt/pp: the message names its paths" \
	grep -q '/opt/pp/share/doc/pcipass/examples/vm.ini' "$TMPROOT/install2.out"
check "install PREFIX=/opt/pp: nothing outside DESTDIR" test ! -e /opt/pp
# The Ansible role's defaults are the package's paths (its programs in /usr/sbin, as installed
# with PREFIX=/usr by debian/rules; the configuration's defaults)
DEF=$ROOT/contrib/ansible/roles/pcipass/defaults/main.yml
yml() { sed -n "s/^$1: *//p" "$DEF"; }
check "ansible default pcipass_bin is the package's SBINDIR (/usr/sbin)" \
	bash -c "[ '$(yml pcipass_bin)' = /usr/sbin ] && [ -x '$D$(yml pcipass_bin)/pcipass-probe' ] && grep -q 'PREFIX=/usr' '$ROOT/debian/rules'"
check "ansible default pcipass_config is the programs' default -c" \
	grep -q "^#define DEFAULT_CONFIG \"$(yml pcipass_config)\"" "$ROOT/common/config.h"
check "ansible default pcipass_models_dir is the installed config's models_dir" \
	grep -qx "models_dir *= *$(yml pcipass_models_dir)" "$D/etc/pcipass/pcipass.conf"
check "ansible default pcipass_inventory is the installed config's inventory" \
	grep -qx "inventory *= *$(yml pcipass_inventory)" "$D/etc/pcipass/pcipass.conf"
check "ansible default pcipass_inventory lies in a directory the install makes" test -d "$D$(dirname "$(yml pcipass_inventory)")"
