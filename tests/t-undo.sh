#!/usr/bin/env bash
# pcipass-run with devices, as root, on fake trees with build/kernelsim.so playing the kernel:
# every way a launch can fail before the exec (a control write refused at each point, a VFIO
# device that never appears, an IOMMU group with a host device, a stale inventory, a claim held
# by another VM) leaves every device on its original driver and no claim behind; a dead VM's
# claim is taken over with its original driver kept; --release gives devices back.
# (A launch that gets as far as the exec needs CAP_SYS_RESOURCE for the memlock limit: that is
# tests/t-launch-dev.sh.)
. "$(dirname "$0")/lib.sh"

RUN=$BUILD/pcipass-run
use_kernelsim
root_with_nobody "undo tests" || exit 0
# with CAP_SYS_RESOURCE, a launch that binds every device goes on to the exec
has_sysres=0
has_sys_resource && has_sysres=1

# run VM.INI [ENV...]: pcipass-run under the kernel stand-in; stderr in $TMPROOT/err
run() {
	local ini=$1
	shift
	env LD_PRELOAD="$SIM" PCIPASS_SIM_SYSFS="$H/sys" PCIPASS_SIM_DEV="$H/dev" "$@" \
		"$RUN" -c "$C" "$ini" >"$TMPROOT/out" 2>"$TMPROOT/err"
}
release() { env LD_PRELOAD="$SIM" PCIPASS_SIM_SYSFS="$H/sys" PCIPASS_SIM_DEV="$H/dev" "$RUN" -c "$C" --release "$@"; }
# state: every custom device's driver and override, the claims, the VFIO devices, QMP sockets
state() {
	local d
	for d in "$H"/sys/bus/pci/devices/*; do
		[ "$(cat "$d/class")" = 0x120000 ] || continue
		printf '%s %s %s\n' "${d##*/}" "$(basename "$(readlink "$d/driver")" 2>/dev/null)" "$(cat "$d/driver_override")"
	done
	# files only: the claims and vms directories themselves are the state dir's furniture
	(cd "$H" && find run/claims dev/vfio run/vms ! -type d ! -name '*.lock' 2>/dev/null | sort)
}
last_line() { tail -n 1 "$TMPROOT/err"; }
# unchanged NAME: the state is what it was in $before, and the last line of stderr is an error
unchanged() {
	local now
	now=$(state)
	if [ "$now" = "$before" ]; then
		pass "$1: every device as it was, no claim, no VFIO device left"
	else
		failt "$1: something changed"
		diff <(echo "$before") <(echo "$now") | sed 's/^/#   /'
	fi
}

cat >"$TMPROOT/undo.host" <<'HOST'
0000:00:00.0  0600  8086:2020  8086:0000  0   0  -
0000:00:01.0  0604  8086:2030  -          1   0  pcieport
0000:3b:00.0  1200  19e5:d801  19e5:0100  17  0  npudrv
0000:3c:00.0  1200  19e5:d801  19e5:0100  18  0  -
0000:af:00.0  1200  19e5:d801  19e5:0100  42  1  npudrv
HOST
mkhost undo "$TMPROOT/undo.host" || { failt "mkhost"; exit 1; }
C=$TMPROOT/undo.conf
cp "$CONF" "$C"
printf 'qemu = %s\nrun_as = nobody\n' "$BUILD/qemu-report" >>"$C"
$MODEL -c "$C" create NPU1 NPU 19e5 d801 >/dev/null
$PROBE -c "$C" -q
printf '[vm]\nname = u1\nmemory = 256M\naccel = tcg\n[devices]\nNPU1 = 3\n' >"$TMPROOT/u1.ini"
before=$(state)

# the control writes of binding three devices, in order: never new_id
if [ "$has_sysres" = 0 ]; then
	run "$TMPROOT/u1.ini" PCIPASS_SIM_COUNT="$TMPROOT/ops"
	check "no fault, no CAP_SYS_RESOURCE: every device bound, then refused at the memlock limit (71)" \
		bash -c "test $? = 71 && grep -q 'RLIMIT_MEMLOCK' '$TMPROOT/err' && grep -c ': claimed, on vfio-pci' '$TMPROOT/err' | grep -qx 3"
	unchanged "memlock refused after binding"
	check "the binds: driver_override, unbind, drivers_probe for each bound device; never new_id" \
		test "$(head -n 8 "$TMPROOT/ops" | awk '{print $2}' | tr '\n' ' ')" = \
		"driver_override unbind drivers_probe driver_override drivers_probe driver_override unbind drivers_probe "
	check "the undo wrote no new_id either" bash -c "! grep -q new_id '$TMPROOT/ops'"
	check "the undo is logged, device by device" \
		bash -c "grep -q '0000:3b:00.0: given back to npudrv' '$TMPROOT/err' && grep -q '0000:3c:00.0: given back to no driver' '$TMPROOT/err'"
else
	skip "memlock refusal after binding (this host has CAP_SYS_RESOURCE: t-launch-dev.sh launches)"
fi
# a failure at each of the 8 control writes of the binds
for n in 1 2 3 4 5 6 7 8; do
	run "$TMPROOT/u1.ini" PCIPASS_SIM_FAIL=$n
	st=$?
	check "fault at control write $n: refused (71), the last line names the write and the error" \
		bash -c "test $st = 71 && tail -n 1 '$TMPROOT/err' | grep -q '^pcipass-run: writing .* Device or resource busy$'"
	unchanged "fault at control write $n"
done
# the VFIO group device never appears (no /dev to make it in): a bounded wait, then the undo
env LD_PRELOAD="$SIM" PCIPASS_SIM_SYSFS="$H/sys" "$RUN" -c "$C" "$TMPROOT/u1.ini" >/dev/null 2>"$TMPROOT/err"
check "no VFIO device: refused (71) after the bounded wait, naming it" \
	bash -c "test $? = 71 && tail -n 1 '$TMPROOT/err' | grep -q 'dev/vfio/17 did not appear within 5000 ms'"
unchanged "no VFIO device"

# a claim held by a running VM: the launch takes the next free device, and leaves that claim be
"$BUILD/claimhold" "$H/run" 0000:3b:00.0 other NPU1 >"$TMPROOT/hold" &
holder=$!
for _ in $(seq 50); do grep -q held "$TMPROOT/hold" 2>/dev/null && break; sleep 0.1; done
before=$(state)
printf '[vm]\nname = u2\nmemory = 256M\naccel = tcg\n[devices]\nNPU1 = 2\n' >"$TMPROOT/u2.ini"
run "$TMPROOT/u2.ini" PCIPASS_SIM_FAIL=5
check "held claim: the launch took the two other devices" \
	bash -c "grep -q '0000:3c:00.0 (NPU1): claimed' '$TMPROOT/err' && ! grep -q '0000:3b:00.0 (NPU1): claimed' '$TMPROOT/err'"
unchanged "held claim, then a fault"
check "held claim: still the other VM's" grep -q '^vm=other$' "$H/run/claims/0000:3b:00.0"
# an undo that fails itself (the first write after the 5 binds, clearing an override): said,
# and the device keeps its unheld claim, so that --release gives it back later
if [ "$has_sysres" = 0 ]; then
	run "$TMPROOT/u2.ini" PCIPASS_SIM_FAIL=6
	check "failed undo: said, naming the device and --release" \
		grep -q '0000:af:00.0: not given back (.*Device or resource busy); its claim stays for pcipass-run --release' "$TMPROOT/err"
	check "failed undo: the claim stays (unheld), with the original driver" \
		grep -q '^orig_driver=npudrv$' "$H/run/claims/0000:af:00.0"
	release 0000:af:00.0 >/dev/null 2>&1
	check "failed undo: --release gives it back to npudrv" \
		test "$(basename "$(readlink "$H/sys/bus/pci/devices/0000:af:00.0/driver")")" = npudrv
	unchanged "failed undo, then --release"
fi
run "$TMPROOT/u1.ini"
check "held claim: 3 asked for, 2 free: refused (69)" \
	bash -c "test $? = 69 && tail -n 1 '$TMPROOT/err' | grep -q 'u1.ini:6: 3 NPU1 asked for, 2 free (3 in all)'"
unchanged "not enough free devices"
printf '[vm]\nname = u3\nmemory = 256M\n[devices]\naddress = 3b:00.0\n' >"$TMPROOT/u3.ini"
run "$TMPROOT/u3.ini"
check "an explicit address another VM holds: refused (69)" \
	bash -c "test $? = 69 && tail -n 1 '$TMPROOT/err' | grep -q 'u3.ini:5: 0000:3b:00.0 is not free: another VM has it, or a device of its IOMMU group'"
unchanged "explicit address held"
# --release leaves a held claim alone, and says so when it is named
release >"$TMPROOT/rel" 2>&1
check "--release: a held claim is skipped" bash -c "test $? = 0 && test -e '$H/run/claims/0000:3b:00.0'"
release 0000:3b:00.0 >/dev/null 2>"$TMPROOT/err"
check "--release of a held claim: refused (69) with one line naming VM and pid" \
	bash -c "test $? = 69 && test \$(wc -l <'$TMPROOT/err') = 1 && grep -q 'claimed by VM other (pid $holder), which is running' '$TMPROOT/err'"
kill $holder
wait $holder 2>/dev/null

# a dead VM's claim, never released: its device is on vfio-pci, its claim names npudrv. A new
# launch may take it, and its undo leaves it as it found it: on vfio-pci, the claim kept.
rm -f "$H/run/claims/0000:3b:00.0"
LD_PRELOAD=$SIM PCIPASS_SIM_SYSFS=$H/sys PCIPASS_SIM_DEV=$H/dev "$BUILD/bindtool" bind "$H/sys" "$H/dev" 0000:3b:00.0 17 >/dev/null
printf 'vm=dead\npid=99999\norig_driver=npudrv\nmodel=NPU1\n' >"$H/run/claims/0000:3b:00.0"
chmod 600 "$H/run/claims/0000:3b:00.0"
before=$(state)
$PROBE -c "$C" --list >"$TMPROOT/list"
check "--list: the dead VM's device is free (not yet released)" \
	grep -q '^0000:3b:00.0 .*free (not yet released)$' "$TMPROOT/list"
printf '[vm]\nname = u4\nmemory = 256M\n[devices]\nNPU1 = 1\n' >"$TMPROOT/u4.ini"
run "$TMPROOT/u4.ini" PCIPASS_SIM_FAIL=1
check "an unreleased device is taken (lowest address first)" \
	bash -c "test $? = 71 && grep -q '0000:3b:00.0' '$TMPROOT/err'"
unchanged "unreleased device, then a fault"
check "the claim still names the original driver" grep -q '^orig_driver=npudrv$' "$H/run/claims/0000:3b:00.0"
release >"$TMPROOT/rel" 2>&1
check "--release: exit 0, the device is back on npudrv, its claim gone" \
	bash -c "test $? = 0 && [ \"\$(basename \"\$(readlink '$H/sys/bus/pci/devices/0000:3b:00.0/driver')\")\" = npudrv ] && test ! -e '$H/run/claims/0000:3b:00.0'"
check "--release: logged with the name of the VM that last held it" grep -q '^pcipass-run: vm u4: 0000:3b:00.0: released, back to npudrv$' "$TMPROOT/rel"
check "--release: the override is cleared" test "$(cat "$H/sys/bus/pci/devices/0000:3b:00.0/driver_override")" = "(null)"
release 0000:3b:00.0 >/dev/null 2>"$TMPROOT/err"
check "--release of an address without a claim: refused (66)" bash -c "test $? = 66 && grep -q 'no claim to release' '$TMPROOT/err'"
release 3b:00.0x >/dev/null 2>"$TMPROOT/err"
check "--release of a malformed address: refused (64) with one line" \
	bash -c "test $? = 64 && test \$(wc -l <'$TMPROOT/err') = 1"
# an empty claim (a launcher killed between lock and record): its device was never moved
: >"$H/run/claims/0000:3c:00.0"
release >"$TMPROOT/rel" 2>&1
check "--release: an empty claim is removed, the device left alone" \
	bash -c "test $? = 0 && test ! -e '$H/run/claims/0000:3c:00.0' && ! test -e '$H/sys/bus/pci/devices/0000:3c:00.0/driver'"
check "--release: the empty claim is logged" \
	grep -q '0000:3c:00.0: claim empty or unreadable; removed, the device left on no driver' "$TMPROOT/rel"

# an IOMMU group shared with a device bound to a host driver: refused, naming it
cat >"$TMPROOT/group.host" <<'HOST'
0000:00:00.0  0600  8086:2020  8086:0000  0   0  -
0000:3b:00.0  1200  19e5:d801  19e5:0100  17  0  -
0000:3b:00.1  0200  8086:1521  8086:0000  17  0  igb
0000:5e:00.0  1200  19e5:d801  19e5:0100  30  0  vfio-pci
HOST
mkhost group "$TMPROOT/group.host" >/dev/null || { failt "mkhost group"; exit 1; }
C=$TMPROOT/group.conf
cp "$CONF" "$C"
printf 'qemu = %s\nrun_as = nobody\n' "$BUILD/qemu-report" >>"$C"
$MODEL -c "$C" create NPU1 NPU 19e5 d801 >/dev/null
$PROBE -c "$C" -q
mkdir -p "$H/dev/vfio" && : >"$H/dev/vfio/30" # the kernel's, for the device bound to vfio-pci
before=$(state)
printf '[vm]\nname = g1\nmemory = 256M\n[devices]\nNPU1 = 1\n' >"$TMPROOT/g1.ini"
run "$TMPROOT/g1.ini"
check "IOMMU group with a host device: refused (69), naming it" \
	bash -c "test $? = 69 && tail -n 1 '$TMPROOT/err' | grep -q 'IOMMU group 17 also holds 0000:3b:00.1, bound to igb'"
unchanged "IOMMU group refused"
check "IOMMU group refused: igb still has its device" \
	test "$(basename "$(readlink "$H/sys/bus/pci/devices/0000:3b:00.1/driver")")" = igb
# a device the admin bound to vfio-pci: nothing is written to it, so an undo has nothing to
# put back (its driver_override stays unset)
if [ "$has_sysres" = 0 ]; then
	printf '[vm]\nname = g2\nmemory = 256M\n[devices]\naddress = 0000:5e:00.0\n' >"$TMPROOT/g2.ini"
	run "$TMPROOT/g2.ini" PCIPASS_SIM_COUNT="$TMPROOT/ops2"
	check "a device already on vfio-pci: no control write at all, refused at the memlock limit" \
		bash -c "test ! -s '$TMPROOT/ops2' && tail -n 1 '$TMPROOT/err' | grep -q RLIMIT_MEMLOCK"
	unchanged "a device already on vfio-pci, then the memlock refusal"
fi
# a stale inventory: the device in sysfs is not the one the probe saw
echo 0x8086 >"$H/sys/bus/pci/devices/0000:3b:00.0/vendor"
run "$TMPROOT/g1.ini"
check "stale inventory: refused (65), naming the inventory and the IDs" \
	bash -c "test $? = 65 && tail -n 1 '$TMPROOT/err' | grep -q 'inventory.ini: 0000:3b:00.0 is 8086:d801 now, not 19e5:d801; run pcipass-probe'"
unchanged "stale inventory"

# not root: refused before anything is read
setpriv --reuid=nobody --regid=nogroup --clear-groups "$RUN" -c "$C" "$TMPROOT/g1.ini" >/dev/null 2>"$TMPROOT/err"
check "not root: launch refused (77)" test $? = 77
setpriv --reuid=nobody --regid=nogroup --clear-groups "$RUN" -c "$C" --release >/dev/null 2>"$TMPROOT/err"
check "not root: --release refused (77)" test $? = 77
