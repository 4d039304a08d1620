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
	root) st=77 ;;
	too-many) st=69 ;;
	*) st=65 ;;
	esac
	expect_fail "run-hostile-$name" $st $RUN -c "$CONF" --dry-run "$TMPROOT/$name.ini"
done
printf '[vm]\nname = a\nmemory = 1G\n[disk]\nfile = %s/claims/0000:3b:00.0\nformat = raw\n' "$H/run" >"$TMPROOT/state-dir.ini"
expect_fail run-hostile-state-dir 65 $RUN -c "$CONF" --dry-run "$TMPROOT/state-dir.ini"
check "hostile vm.ini files changed nothing" test "$(tree_sum "$H")" = "$before"
# a comma in a path is legal, and cannot start a QEMU option of its own: it is doubled
printf '[vm]\nname = a\nmemory = 1G\n[disk]\nfile = /img/a.qcow2,file.driver=host_device\nformat = qcow2\n' >"$TMPROOT/comma.ini"
$RUN -c "$CONF" --dry-run "$TMPROOT/comma.ini" >"$TMPROOT/out"
check "a comma in a disk path is doubled in the argv" \
	grep -q -- '-drive file=/img/a.qcow2,,file.driver=host_device,format=qcow2,if=none,id=disk0' "$TMPROOT/out"
expect_fail run-not-built 69 $RUN -c "$CONF" "$TMPROOT/vm.ini"
expect_fail run-no-file 66 $RUN -c "$CONF" --dry-run "$TMPROOT/none.ini"
expect_fail run-args 64 $RUN -c "$CONF" --dry-run

# The argv the dry-run prints is one real QEMU accepts: start it (TCG, paused, no devices: this
# host has no IOMMU) and ask it over the QMP socket the argv names.
qmp() { # qmp SOCKET COMMAND...: send each command, print each reply
	python3 - "$@" <<'PY'
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX)
for _ in range(100):
    try:
        s.connect(sys.argv[1]); break
    except OSError:
        time.sleep(0.1)
f = s.makefile("rw")
f.readline()
for cmd in sys.argv[2:]:
    f.write(json.dumps({"execute": cmd}) + "\n"); f.flush()
    while True:
        r = json.loads(f.readline())
        if "event" not in r:
            print(json.dumps(r.get("return")))
            break
PY
}
if command -v qemu-system-x86_64 >/dev/null && command -v python3 >/dev/null; then
	mkdir -p "$H/run/vms"
	truncate -s 8M "$TMPROOT/disk.raw"
	printf '[vm]\nname = qemu-check\nmemory = 128M\naccel = tcg\npaused = true\n[disk]\nfile = %s\nformat = raw\n[net]\nmode = user\n' \
		"$TMPROOT/disk.raw" >"$TMPROOT/real.ini"
	$RUN -c "$CONF" --dry-run "$TMPROOT/real.ini" | sed '1,/^qemu:$/d' | tr -d '\\\n' >"$TMPROOT/argv"
	sed -i "s|/usr/bin/qemu-system-x86_64|$(command -v qemu-system-x86_64)|" "$TMPROOT/argv"
	eval "set -- $(cat "$TMPROOT/argv")"
	timeout 60 "$@" >"$TMPROOT/qemu.log" 2>&1 &
	qemu=$!
	qmp "$H/run/vms/qemu-check.qmp" qmp_capabilities query-status quit >"$TMPROOT/qmp" 2>&1
	wait $qemu
	check "real QEMU accepts the dry-run argv (exit after quit)" test $? = 0
	check "real QEMU over QMP: paused (-S), as vm.ini asked" grep -q '"status": "prelaunch"' "$TMPROOT/qmp"
else
	skip "real QEMU accepts the dry-run argv (qemu-system-x86 or python3 not installed)"
fi
