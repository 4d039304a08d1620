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
file   = /var/lib/pcipass/images/worker,1.qcow2
format = qcow2

[net]
mode = user
VM
expect_ok run-dry-run $RUN -c "$CONF" --dry-run "$TMPROOT/vm.ini"
check "q35: each device behind a PCIe root port of its own" \
	test "$(grep -c -- '-device pcie-root-port,' "$TMPROOT/out")" = 2
# the plan could not be written: a failure (74), never a silent exit 0
expect_ioerr "dry-run" $RUN -c "$CONF" --dry-run "$TMPROOT/vm.ini"
# machine = pc (vm.ini(5)): accepted; a pc has no PCIe, so no root port, devices on its bus
printf '[vm]\nname = fpga-1\nmemory = 512M\nmachine = pc\naccel = tcg\nnuma_node = 1\npaused = true\n[devices]\naddress = 0000:d8:00.0\n' >"$TMPROOT/pc.ini"
expect_ok run-dry-run-pc $RUN -c "$CONF" --dry-run "$TMPROOT/pc.ini"
check "machine = pc: -machine pc, and no pcie-root-port in the argv" \
	bash -c "grep -q -- '-machine pc,accel=tcg' '$TMPROOT/out' && ! grep -q pcie-root-port '$TMPROOT/out'"
# --version: exit 0, the version on stdout
expect_ok run-version $RUN --version

# The host's configuration is read at every launch: what it says now rules over an inventory
# written before it changed (the probe has not run since).
check "the inventory on disk is not marked disabled" grep -qx 'disabled  = false' "$H/var/inventory.ini"
printf '%s\ndisable_custom_device = true\n' "$(cat "$CONF")" >"$TMPROOT/disabled.conf"
chmod 644 "$TMPROOT/disabled.conf"
expect_fail run-host-disabled 69 $RUN -c "$TMPROOT/disabled.conf" --dry-run "$TMPROOT/vm.ini"
# a device the host config excludes now, though the inventory lists it: refused, named
check "the inventory on disk lists 0000:3b:00.0" grep -qx '\[0000:3b:00.0\]' "$H/var/inventory.ini"
printf '%s\nexclude = 0000:3b:00.0\n' "$(cat "$CONF")" >"$TMPROOT/exclude.conf"
chmod 644 "$TMPROOT/exclude.conf"
printf '[vm]\nname = a\nmemory = 1G\n[devices]\naddress = 0000:3b:00.0\n' >"$TMPROOT/excluded.ini"
expect_fail run-host-excluded 65 $RUN -c "$TMPROOT/exclude.conf" --dry-run "$TMPROOT/excluded.ini"

# a claimed device is skipped: the other NPU is the only free one
"$BUILD/claimhold" "$H/run" 0000:3b:00.0 other-vm >"$TMPROOT/hold" &
holder=$!
for _ in $(seq 50); do grep -q held "$TMPROOT/hold" && break; sleep 0.1; done
expect_fail run-claimed 69 $RUN -c "$CONF" --dry-run "$TMPROOT/vm.ini"
kill $holder
wait $holder 2>/dev/null

# an endpoint bound to a host driver in the NPU's IOMMU group blocks it, named
ln -s ../../../../devices/pci0000:00/0000:00:19.0 "$H/sys/kernel/iommu_groups/17/devices/0000:00:19.0"
expect_fail run-group-blocked 69 $RUN -c "$CONF" --dry-run "$TMPROOT/vm.ini"
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
printf '[vm]\nname = a\nmemory = 1G\n[disk]\nfile = /var/lib/pcipass/images/a.qcow2,file.driver=host_device\nformat = qcow2\n' >"$TMPROOT/comma.ini"
ok_run "a disk with a comma in its path" $RUN -c "$CONF" --dry-run "$TMPROOT/comma.ini"
check "a disk with a comma in its path: QEMU gets the descriptor set" \
	grep -q -- '-drive file=/dev/fdset/1,format=qcow2,if=none,id=disk0' "$TMPROOT/out"
check "a disk with a comma in its path: the path is nowhere in QEMU's argv" \
	bash -c "! sed -n '/^qemu:/,\$p' '$TMPROOT/out' | grep -q host_device"
# (launches with devices: tests/t-undo.sh and tests/t-launch-dev.sh)
expect_fail run-no-file 66 $RUN -c "$CONF" --dry-run "$TMPROOT/none.ini"
expect_fail run-args 64 $RUN -c "$CONF" --dry-run

