#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# pcipass-run --dry-run on the example host: the plan and the exact argv (golden), and a corpus
# of hostile vm.ini files (tests/vm/), each refused with one file:line line and nothing changed.
. "$(dirname "$0")/lib.sh"

RUN=$BUILD/pcipass-run
mkhost run "$ROOT/conf/example-host.txt" || { failt "mkhost"; exit 1; }
ok_run "create Atlas-800" $MODEL -c "$CONF" create Atlas-800 NPU 19e5 d801
ok_run "create Alveo-U50" $MODEL -c "$CONF" create Alveo-U50 FPGA 10ee 903f
ok_run "probe" $PROBE -c "$CONF" -q
# --dry-run also checks what a launch needs (tests/t-preflight.sh): this host has it, under a
# config of its own (G): the disks under an image dir, <dev_root>/kvm for group kvm, NUMA nodes 0
# and 1, a QEMU. The hostile files below keep the plain config: they fail before any check.
mkdir -p "$H/img" "$H/bin" "$H/dev" "$H/sys/devices/system/node/node0" "$H/sys/devices/system/node/node1"
: >"$H/img/worker,1.qcow2"
: >"$H/img/a.qcow2,file.driver=host_device"
install -m 0755 /bin/true "$H/bin/qemu-system-x86_64"
if [ "$(id -u)" = 0 ]; then
	mknod "$H/dev/kvm" c 10 232 && chgrp kvm "$H/dev/kvm" && chmod 0660 "$H/dev/kvm"
fi
chmod -R go-w "$H/img" "$H/sys"
G=$TMPROOT/good.conf
# the host's physical address bits (the 64-bit PCI window's check) from a cpuinfo of its own
mkdir -p "$H/proc"
printf 'processor\t: 0\naddress sizes\t: 46 bits physical, 48 bits virtual\n' >"$H/proc/cpuinfo"
printf '%s\nimage_dirs = %s\nqemu = %s\nproc_root = %s\n' "$(cat "$CONF")" "$H/img" "$H/bin/qemu-system-x86_64" \
	"$H/proc" >"$G"
chmod 644 "$G"
# plan_ok NAME VM.INI: its --dry-run finds no problem but what this host lacks (host_lacks in
# lib.sh), and its plan matches tests/golden/NAME (but for the identity line, whose dynamic uid
# depends on what else runs here: checked on its own)
plan_ok() {
	local got
	$RUN -c "$G" --dry-run "$2" >"$TMPROOT/out" 2>"$TMPROOT/err"
	got=$?
	check "$1: exit $got, no problem but what this host lacks ($(host_lacks "$2"))" preflight_clean "$2" $got "$TMPROOT/err" ||
		sed 's/^/#   /' "$TMPROOT/err"
	if [ "$(id -u)" = 0 ]; then
		check "$1: the identity it would get" grep -qx 'identity: uid [0-9]*, gid [0-9]*, groups kvm([0-9]*)' "$TMPROOT/out"
	fi
	sed -i '/^identity: /d' "$TMPROOT/out"
	golden "$1" "$TMPROOT/out"
}

cat >"$TMPROOT/vm.ini" <<VM
[vm]
name    = npu-worker-1
memory  = 4G
cpus    = 4
machine = q35
accel   = kvm

[devices]
Atlas-800 = 2

[disk]
file   = $H/img/worker,1.qcow2
format = qcow2

[net]
mode = user
VM
plan_ok run-dry-run "$TMPROOT/vm.ini"
check "q35: each device behind a PCIe root port of its own" \
	test "$(grep -c -- '-device pcie-root-port,' "$TMPROOT/out")" = 2
# the plan could not be written: a failure (74), never a silent exit 0
expect_ioerr "dry-run" $RUN -c "$G" --dry-run "$TMPROOT/vm.ini"
# machine = pc (vm.ini(5)): accepted; a pc has no PCIe, so no root port, devices on its bus
printf '[vm]\nname = fpga-1\nmemory = 512M\nmachine = pc\naccel = tcg\nnuma_node = 1\npaused = true\n[devices]\naddress = 0000:d8:00.0\n' >"$TMPROOT/pc.ini"
plan_ok run-dry-run-pc "$TMPROOT/pc.ini"
check "machine = pc: -machine pc, and no pcie-root-port in the argv" \
	bash -c "grep -q -- '-machine pc,accel=tcg' '$TMPROOT/out' && ! grep -q pcie-root-port '$TMPROOT/out'"
# --version: exit 0, the version on stdout
expect_ok run-version $RUN --version

# The host's configuration is read at every launch: what it says now rules over an inventory
# written before it changed (the probe has not run since).
check "the inventory on disk is not marked disabled" grep -qx 'disabled  = false' "$H/var/inventory.ini"
printf '%s\ndisable_custom_device = true\n' "$(cat "$G")" >"$TMPROOT/disabled.conf"
chmod 644 "$TMPROOT/disabled.conf"
expect_fail run-host-disabled 69 $RUN -c "$TMPROOT/disabled.conf" --dry-run "$TMPROOT/vm.ini"
# a device the host config excludes now, though the inventory lists it: refused, named
check "the inventory on disk lists 0000:3b:00.0" grep -qx '\[0000:3b:00.0\]' "$H/var/inventory.ini"
printf '%s\nexclude = 0000:3b:00.0\n' "$(cat "$G")" >"$TMPROOT/exclude.conf"
chmod 644 "$TMPROOT/exclude.conf"
printf '[vm]\nname = a\nmemory = 1G\n[devices]\naddress = 0000:3b:00.0\n' >"$TMPROOT/excluded.ini"
expect_fail run-host-excluded 65 $RUN -c "$TMPROOT/exclude.conf" --dry-run "$TMPROOT/excluded.ini"

# a claimed device is skipped: the other NPU is the only free one
"$BUILD/claimhold" "$H/run" 0000:3b:00.0 other-vm >"$TMPROOT/hold" &
holder=$!
for _ in $(seq 50); do grep -q held "$TMPROOT/hold" && break; sleep 0.1; done
expect_fail run-claimed 69 $RUN -c "$G" --dry-run "$TMPROOT/vm.ini"
kill $holder
wait $holder 2>/dev/null

# an endpoint bound to a host driver in the NPU's IOMMU group blocks it, named
ln -s ../../../../devices/pci0000:00/0000:00:19.0 "$H/sys/kernel/iommu_groups/17/devices/0000:00:19.0"
expect_fail run-group-blocked 69 $RUN -c "$G" --dry-run "$TMPROOT/vm.ini"
rm "$H/sys/kernel/iommu_groups/17/devices/0000:00:19.0"

# hostile vm.ini files: one line each, a sysexits status, nothing changed
before=$(tree_sum "$H")
for f in "$ROOT"/tests/vm/*.ini; do
	name=$(basename "$f" .ini)
	cp "$f" "$TMPROOT/$name.ini"
	case $name in
	root | user-* | outside-*) st=77 ;; # well-formed, but not what the host allows
	too-many) st=69 ;;
	*) st=65 ;;
	esac
	expect_fail "run-hostile-$name" $st $RUN -c "$CONF" --dry-run "$TMPROOT/$name.ini"
done
printf '[vm]\nname = a\nmemory = 1G\n[disk]\nfile = %s/claims/0000:3b:00.0\nformat = raw\n' "$H/run" >"$TMPROOT/state-dir.ini"
expect_fail run-hostile-state-dir 77 $RUN -c "$CONF" --dry-run "$TMPROOT/state-dir.ini"
check "hostile vm.ini files changed nothing" test "$(tree_sum "$H")" = "$before"
# a comma in a path is legal, and cannot start a QEMU option of its own: the path never reaches
# QEMU's argv, only a descriptor set does
printf '[vm]\nname = a\nmemory = 1G\n[disk]\nfile = %s/img/a.qcow2,file.driver=host_device\nformat = qcow2\n' "$H" >"$TMPROOT/comma.ini"
$RUN -c "$G" --dry-run "$TMPROOT/comma.ini" >"$TMPROOT/out" 2>"$TMPROOT/err"
check "a disk with a comma in its path: opened, no problem but what this host lacks" preflight_clean "$TMPROOT/comma.ini" $? "$TMPROOT/err"
check "a disk with a comma in its path: QEMU gets the descriptor set" \
	grep -q -- '-drive file=/dev/fdset/1,format=qcow2,if=none,id=disk0' "$TMPROOT/out"
check "a disk with a comma in its path: the path is nowhere in QEMU's argv" \
	bash -c "! sed -n '/^qemu:/,\$p' '$TMPROOT/out' | grep -q host_device"
# (launches with devices: tests/t-undo.sh and tests/t-launch-dev.sh)
expect_fail run-no-file 66 $RUN -c "$CONF" --dry-run "$TMPROOT/none.ini"
expect_fail run-args 64 $RUN -c "$CONF" --dry-run

