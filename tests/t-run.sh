#!/usr/bin/env bash
# pcipass-run --dry-run on the example host: the plan and the exact argv (golden), and a corpus
# of hostile vm.ini files (tests/vm/), each refused with one file:line line and nothing changed.
. "$(dirname "$0")/lib.sh"

RUN=$BUILD/pcipass-run
mkhost run "$ROOT/conf/example-host.txt" || { failt "mkhost"; exit 1; }
$MODEL -c "$CONF" create Atlas-800 NPU 19e5 d801 >/dev/null
$MODEL -c "$CONF" create Alveo-U50 FPGA 10ee 903f >/dev/null
$PROBE -c "$CONF" -q

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
$RUN -c "$CONF" --dry-run "$TMPROOT/vm.ini" >"$TMPROOT/out" 2>&1
check "dry-run: exit 0" test $? = 0
golden run-dry-run "$TMPROOT/out"
printf '[vm]\nname = fpga-1\nmemory = 512M\nmachine = pc\naccel = tcg\nnuma_node = 1\npaused = true\n[devices]\naddress = 0000:d8:00.0\n' >"$TMPROOT/pc.ini"
$RUN -c "$CONF" --dry-run "$TMPROOT/pc.ini" >"$TMPROOT/out" 2>&1 && golden run-dry-run-pc "$TMPROOT/out"

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
$RUN -c "$CONF" --dry-run "$TMPROOT/comma.ini" >"$TMPROOT/out"
check "a disk with a comma in its path: QEMU gets the descriptor set" \
	grep -q -- '-drive file=/dev/fdset/1,format=qcow2,if=none,id=disk0' "$TMPROOT/out"
check "a disk with a comma in its path: the path is nowhere in QEMU's argv" \
	bash -c "! sed -n '/^qemu:/,\$p' '$TMPROOT/out' | grep -q host_device"
# (launches with devices: tests/t-undo.sh and tests/t-launch-dev.sh)
expect_fail run-no-file 66 $RUN -c "$CONF" --dry-run "$TMPROOT/none.ini"
expect_fail run-args 64 $RUN -c "$CONF" --dry-run

