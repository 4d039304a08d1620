#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Hot-plug on a real kernel, inside the guest of tests/guest/run.sh (intel-iommu, vfio-pci, the
# edu device 1234:11e8 alone in its IOMMU group): a nested VM ("L3", paused: see below) started
# with hotplug_slots = 2 and no device; then, one result line per assertion:
#   1. --attach L3 MODEL claims, binds and device_adds the edu device on pcipass.hp0: L3's
#      query-pci shows it; the claim records L3's QEMU (pid, hotdev0) and QEMU holds the claim's
#      descriptor (getfd), read-only; the VFIO node is L3's uid's;
#   2. a second --attach with no free device: 69, nothing changed;
#   3. --detach L3 ADDR: DEVICE_DELETED, the device back to no driver, the claim gone, the node
#      root's; query-pci no longer shows it; L3 still runs;
#   4. attached again, then L3 killed: the claim ends with QEMU (free, not yet released) and
#      --release gives the device back;
#   5. --attach to a VM without hotplug ports, to a VM not running, --detach of a device not the
#      VM's: refused with one line each, nothing changed; an --attach that QEMU refuses (a port
#      it lacks) undone whole.
# Prints "# timing: attach S s, detach S s" for the closing note.
set -u
B=${BUILD:?}
QMPPY=$(dirname "$0")/qmp.py
W=${TMPDIR:-/run/tmp}/hotplug
rm -rf "$W"
mkdir -p "$W/etc/models.d" "$W/var" "$W/run" "$W/img"
QEMU=$(command -v qemu-system-x86_64)
C=$W/etc/pcipass.conf
cat >"$C" <<CONF
[host]
models_dir = $W/etc/models.d
inventory  = $W/var/inventory.ini
state_dir  = $W/run
qemu       = $QEMU
vm_groups  = kvm
image_dirs = $W/img
CONF
PROBE="$B/pcipass-probe -c $C"
RUN="$B/pcipass-run -c $C"
fails=0
result() { # result NAME COMMAND...
	local name=$1
	shift
	if "$@"; then echo "ok - $name"; else echo "not ok - $name"; fails=$((fails + 1)); fi
}
driver() { basename "$(readlink "/sys/bus/pci/devices/$1/driver")" 2>/dev/null; }
owner() { stat -c '%u %g %a' "$1" 2>/dev/null || echo "no $1"; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

alone=
for d in $(grep -l '^0x11e8$' /sys/bus/pci/devices/*/device); do
	a=$(basename "$(dirname "$d")")
	g=$(basename "$(readlink "/sys/bus/pci/devices/$a/iommu_group")")
	[ "$(ls "/sys/kernel/iommu_groups/$g/devices" | wc -l)" = 1 ] && alone=$a group=$g
done
[ -n "$alone" ] || { echo "not ok - an edu device alone in its IOMMU group (guest topology)"; exit 1; }
node=/dev/vfio/$group
state() { driver "$alone"; owner "$node"; ls "$W/run/claims" 2>&1; }
"$B/pcipass-model" -c "$C" create Edu-Test ACCEL 1234 11e8 >/dev/null && $PROBE -q ||
	{ echo "not ok - model and probe"; exit 1; }

# L3 is paused (-S) and boots nothing: a nested TCG guest takes minutes to boot, and pcipass's
# side of hot-plug is all in QEMU and the host kernel. Its hotplug ports are native PCIe
# (argv.c), so a device in a slot no guest powered on leaves at once on device_del, where a
# running guest's pciehp lets it go after its 5 s attention-button wait.
cat >"$W/l3.ini" <<VM
[vm]
name          = l3
memory        = 128M
accel         = tcg
paused        = true
hotplug_slots = 2
VM
sed 's/^hotplug_slots.*//; s/^name .*/name = flat/' "$W/l3.ini" >"$W/flat.ini"
# started NAME PID: the launcher PID has exec'd QEMU, which answers on NAME's QMP socket
started() {
	local i
	for i in $(seq 600); do
		grep -q ' exec ' "$W/$1.err" 2>/dev/null &&
			python3 "$QMPPY" --pid "$2" "$W/run/vms/$1.qmp" query-status 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
$RUN "$W/l3.ini" >"$W/l3.out" 2>"$W/l3.err" </dev/null &
l3=$!
started l3 "$l3" || { echo "not ok - L3 started ($(tail -n 2 "$W/l3.err"))"; exit 1; }
uid=$(awk '/^Uid:/ {print $2}' "/proc/$l3/status")
echo "# L3 runs as uid $uid, pid $l3"

# 1. attach
before=$(state)
t0=$(now)
$RUN --attach l3 Edu-Test >"$W/att.out" 2>"$W/att.err"
st=$?
t1=$(now)
attach_s=$(secs "$t0" "$t1")
sed 's/^/# attach: /' "$W/att.err"
result "1. --attach l3 Edu-Test exits 0 and says where it went" \
	test "$st|$(tail -n 1 "$W/att.err")" = "0|pcipass-run: vm l3: $alone (Edu-Test) attached as hotdev0 on pcipass.hp0"
result "1. the device is on vfio-pci, its VFIO node L3's uid's" \
	test "$(driver "$alone")|$(owner "$node")" = "vfio-pci|$uid $uid 600"
result "1. the claim records L3's QEMU: vm, its pid, hotdev0" \
	bash -c "grep -qx 'vm=l3' '$W/run/claims/$alone' && grep -qx 'pid=$l3' '$W/run/claims/$alone' && grep -qx 'qdev=hotdev0' '$W/run/claims/$alone'"
held=
for fd in /proc/$l3/fd/*; do
	[ "$(readlink "$fd")" = "$W/run/claims/$alone" ] && held=$(awk '/^flags:/ {print $2}' "/proc/$l3/fdinfo/${fd##*/}")
done
result "1. QEMU holds the claim's descriptor (getfd), read-only" \
	bash -c "test -n '$held' && test \$((0$held & 3)) = 0"
python3 "$QMPPY" "$W/run/vms/l3.qmp" query-pci >"$W/pci1" 2>&1
result "1. L3's query-pci shows 1234:11e8" grep -qx 'device 1234:11e8' "$W/pci1"
$PROBE --list >"$W/list"
result "1. pcipass-probe --list shows it claimed by l3 (pid $l3)" grep -q "^$alone .*claimed by l3 (pid $l3)$" "$W/list"

# 2. nothing free
before=$(state; cat "$W/run/claims/$alone")
$RUN --attach l3 Edu-Test >/dev/null 2>"$W/att2.err"
st=$?
result "2. a second --attach with no free device exits 69, nothing changed" \
	test "$st|$(state; cat "$W/run/claims/$alone")" = "69|$before"

# 3. detach
t0=$(now)
$RUN --detach l3 "$alone" >"$W/det.out" 2>"$W/det.err"
st=$?
detach_s=$(secs "$t0" "$(now)")
sed 's/^/# detach: /' "$W/det.err"
result "3. --detach l3 $alone exits 0: detached, back to no driver" \
	bash -c "test $st = 0 && tail -n 1 '$W/det.err' | grep -Eq '^pcipass-run: vm l3: $alone detached in [0-9.]+ s, back to no driver$'"
result "3. the device on no driver, no claim, the VFIO node gone or root's" \
	bash -c "test -z \"\$(readlink /sys/bus/pci/devices/$alone/driver)\" && test ! -e '$W/run/claims/$alone' && { test ! -e '$node' || test \"\$(stat -c %u '$node')\" = 0; }"
python3 "$QMPPY" "$W/run/vms/l3.qmp" query-pci >"$W/pci2" 2>&1
result "3. L3's query-pci no longer shows 1234:11e8; L3 still runs" \
	bash -c "! grep -q 'device 1234:11e8' '$W/pci2' && grep -q '^device ' '$W/pci2' && kill -0 $l3"

# 4. attached again; L3 killed: the claim ends with QEMU
$RUN --attach l3 "$alone" >/dev/null 2>"$W/att3.err"
result "4. --attach by address works again (hotdev0 is free again)" \
	grep -q "attached as hotdev0 on pcipass.hp0$" "$W/att3.err"
kill -9 "$l3"
wait "$l3" 2>/dev/null
$PROBE --list >"$W/list"
result "4. L3 killed: the claim is free at once (not yet released)" \
	grep -q "^$alone .*free (not yet released)$" "$W/list"
$RUN --release >"$W/rel" 2>&1
result "4. --release gives it back to no driver, no claim left" \
	bash -c "grep -q '$alone: released, back to no driver' '$W/rel' && test -z \"\$(readlink /sys/bus/pci/devices/$alone/driver)\" && test ! -e '$W/run/claims/$alone'"

# 5. refusals, nothing changed
$RUN "$W/flat.ini" >/dev/null 2>"$W/flat.err" </dev/null &
flat=$!
started flat "$flat" || echo "not ok - the VM without hotplug ports started"
before=$(state)
$RUN --attach flat Edu-Test >/dev/null 2>"$W/r1.err"
st1=$?
$RUN --attach gone Edu-Test >/dev/null 2>"$W/r2.err"
st2=$?
$RUN --detach flat "$alone" >/dev/null 2>"$W/r3.err"
st3=$?
result "5. --attach to a VM without hotplug ports: 69, one line" \
	test "$st1|$(cat "$W/r1.err")" = "69|pcipass-run: VM flat has no hotplug port (hotplug_slots in its vm.ini)"
result "5. --attach to a VM not running: 69, one line" \
	test "$st2|$(cat "$W/r2.err")" = "69|pcipass-run: no VM named gone is running"
result "5. --detach of a device not the VM's: 69, one line" \
	test "$st3|$(cat "$W/r3.err")" = "69|pcipass-run: $alone is not a device of VM flat"
result "5. ... nothing changed" test "$(state)" = "$before"
# the name lease forged (as root) to promise a port QEMU lacks: device_add fails inside QEMU,
# after the claim, bind, hand-over and getfd; all of it is undone
sed -i 's/^hotplug_slots=0$/hotplug_slots=1/' "$W/run/vms/flat.lock"
$RUN --attach flat Edu-Test >/dev/null 2>"$W/r4.err"
st4=$?
sed 's/^/# refused: /' "$W/r4.err"
claimfds=$(find "/proc/$flat/fd" -lname "$W/run/claims/*" 2>/dev/null | wc -l)
result "5. --attach that QEMU refuses (no such port): exits non-zero, QEMU's error on the last line" \
	bash -c "test $st4 != 0 && tail -n 1 '$W/r4.err' | grep -q \"pcipass.hp0.*not found\""
result "5. ... undone: the device on no driver, its node gone or root's, no claim, no claim fd in QEMU" \
	test "$(state)|$claimfds" = "$before|0"
kill -9 "$flat" 2>/dev/null
wait "$flat" 2>/dev/null
echo "# timing: attach $attach_s s, detach $detach_s s (nested TCG guest)"
exit $((fails > 0))
