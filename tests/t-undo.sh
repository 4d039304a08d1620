#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# pcipass-run with devices, as root, on fake trees with build/kernelsim.so playing the kernel:
# every way a launch can fail before the exec (a control write refused at each point, the probe
# binding nothing, a VFIO device that never appears, a fault after the VFIO nodes were handed
# to the VM, an IOMMU group with a host device, a stale inventory, a claim held by another VM)
# leaves every device on its original driver, every VFIO node with its owner and mode, and no
# claim behind; a dead VM's claim is taken over with its original driver kept; --release gives
# devices back, and goes on past one it cannot give back.
# The same checks run with and without CAP_SYS_RESOURCE (a container's root lacks it, the test
# guest has it): the late fault is the memlock refusal without it, the stand-in's setresgid
# refusal with it; both come after the binds and the hand-over. (A launch that gets as far as
# the exec is tests/t-launch-dev.sh.)
. "$(dirname "$0")/lib.sh"

RUN=$BUILD/pcipass-run
use_kernelsim
if [ "$(id -u)" != 0 ]; then
	skip "undo tests: pcipass-run must run as root (binds devices, drops to the VM's uid)"
	exit 0
fi
# LATE: the fault injected after the hand-over, and the last line it gives
LATE=(PCIPASS_SIM_FAIL_SETRESGID=1)
if has_sys_resource; then
	late_line='^pcipass-run: setresgid [0-9]*: Operation not permitted$'
else
	late_line='^pcipass-run: RLIMIT_MEMLOCK to [0-9]* MiB: Operation not permitted$'
fi

# run VM.INI [ENV...]: pcipass-run under the kernel stand-in; its status in $st, stderr in
# $TMPROOT/err
run() {
	local ini=$1
	shift
	env LD_PRELOAD="$SIM" PCIPASS_SIM_SYSFS="$H/sys" PCIPASS_SIM_DEV="$H/dev" "$@" \
		"$RUN" -c "$C" "$ini" >"$TMPROOT/out" 2>"$TMPROOT/err"
	st=$?
}
# release [ENV...] -- [ADDR...]: pcipass-run --release likewise
release() {
	local envs=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	env LD_PRELOAD="$SIM" PCIPASS_SIM_SYSFS="$H/sys" PCIPASS_SIM_DEV="$H/dev" ${envs[@]+"${envs[@]}"} \
		"$RUN" -c "$C" --release "$@" >"$TMPROOT/out" 2>"$TMPROOT/err"
	st=$?
}
# exits NAME N: the last run exited N (else its stderr is shown)
exits() {
	if [ "$st" = "$2" ]; then
		pass "$1: exit $2"
	else
		failt "$1: exit $st, expected $2"
		tail -n 5 "$TMPROOT/err" | sed 's/^/#   /'
	fi
}
# says NAME ERE: the last line of the last run's stderr matches ERE
says() {
	if tail -n 1 "$TMPROOT/err" | grep -q -- "$2"; then
		pass "$1: its last line says so"
	else
		failt "$1: last line \"$(tail -n 1 "$TMPROOT/err")\", expected /$2/"
	fi
}
driver() { basename "$(readlink "$H/sys/bus/pci/devices/$1/driver")" 2>/dev/null; }
# state: every device's driver and override, the claims, uid leases and QEMU sockets, and the
# VFIO nodes with their owner and mode (an undo must give them back to root)
state() {
	local d
	for d in "$H"/sys/bus/pci/devices/*; do
		printf '%s %s %s\n' "${d##*/}" "$(driver "${d##*/}")" "$(cat "$d/driver_override")"
	done
	# files only: the claims, ids and vms directories themselves are the state dir's furniture
	(cd "$H" && find run/claims run/ids run/vms ! -type d ! -name '*.lock' 2>/dev/null | sort)
	(cd "$H" && find dev/vfio ! -type d -printf '%p %U:%G %m\n' 2>/dev/null | sort)
}
# unchanged NAME: the state is what it was in $before
unchanged() {
	local now
	now=$(state)
	if [ "$now" = "$before" ]; then
		pass "$1: every device as it was, every VFIO node root's as it was, no claim left"
	else
		failt "$1: something changed"
		diff <(echo "$before") <(echo "$now") | sed 's/^/#   /'
	fi
}
# vfio_node GROUP: the group's VFIO node as the kernel makes it, root's and 0600
vfio_node() { mkdir -p "$H/dev/vfio" && (umask 077 && : >"$H/dev/vfio/$1"); }
# host_with NAME DESC: the host, its config (the VM's identity dynamic, no extra group), a
# model NPU1 for 19e5:d801, probed; sets H and C
host_with() {
	mkhost "$1" "$2" || { failt "mkhost $1"; exit 1; }
	C=$TMPROOT/$1.conf
	cp "$CONF" "$C"
	printf 'qemu = %s\nvm_groups =\n' "$BUILD/qemu-report" >>"$C"
	$MODEL -c "$C" create NPU1 NPU 19e5 d801 >/dev/null
	$PROBE -c "$C" -q
}

cat >"$TMPROOT/undo.host" <<'HOST'
0000:00:00.0  0600  8086:2020  8086:0000  0   0  -
0000:00:01.0  0604  8086:2030  -          1   0  pcieport
0000:3b:00.0  1200  19e5:d801  19e5:0100  17  0  npudrv
0000:3c:00.0  1200  19e5:d801  19e5:0100  18  0  -
0000:af:00.0  1200  19e5:d801  19e5:0100  42  1  npudrv
HOST
host_with undo "$TMPROOT/undo.host"
printf '[vm]\nname = u1\nmemory = 256M\naccel = tcg\n[devices]\nNPU1 = 3\n' >"$TMPROOT/u1.ini"
before=$(state)

# a fault after every device was bound and its VFIO node handed over: all of it undone, and
# the control writes of the binds and of the undo, in order: never new_id
run "$TMPROOT/u1.ini" PCIPASS_SIM_COUNT="$TMPROOT/ops" "${LATE[@]}"
exits "a fault after the hand-over" 71
says "a fault after the hand-over" "$late_line"
check "a fault after the hand-over: all 3 devices had been bound" \
	test "$(grep -c ': claimed, on vfio-pci' "$TMPROOT/err")" = 3
unchanged "a fault after the hand-over"
check "the binds, then the undo in reverse: override, unbind, probe / override, unbind, bind; never new_id" \
	test "$(awk '{print $2}' "$TMPROOT/ops" | tr '\n' ' ')" = \
	"driver_override unbind drivers_probe driver_override drivers_probe driver_override unbind drivers_probe driver_override unbind bind driver_override unbind driver_override unbind bind "
check "the undo is logged, device by device" \
	bash -c "grep -q '0000:3b:00.0: given back to npudrv' '$TMPROOT/err' && grep -q '0000:3c:00.0: given back to no driver' '$TMPROOT/err'"
# a failure at each of the 8 control writes of the binds
for n in 1 2 3 4 5 6 7 8; do
	run "$TMPROOT/u1.ini" PCIPASS_SIM_FAIL=$n
	exits "fault at control write $n" 71
	says "fault at control write $n: names the write and the error" '^pcipass-run: writing .* Device or resource busy$'
	unchanged "fault at control write $n"
done
# the probe binds nothing (vfio-pci not loaded, say): the driver link read back says so
run "$TMPROOT/u1.ini" PCIPASS_SIM_NOPROBE=1
exits "the probe binds nothing" 71
says "the probe binds nothing: names the device and the driver it found" \
	'^pcipass-run: 0000:3b:00.0: bound to no driver after the probe, not vfio-pci (is the vfio-pci module loaded?)$'
unchanged "the probe binds nothing"
# the VFIO group device never appears (no /dev to make it in): a bounded wait, then the undo
env LD_PRELOAD="$SIM" PCIPASS_SIM_SYSFS="$H/sys" "$RUN" -c "$C" "$TMPROOT/u1.ini" >/dev/null 2>"$TMPROOT/err"
st=$?
exits "no VFIO device" 71
says "no VFIO device: refused after the bounded wait" 'dev/vfio/17 did not appear within 5000 ms$'
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
exits "held claim, then a fault" 71
unchanged "held claim, then a fault"
check "held claim: still the other VM's" grep -q '^vm=other$' "$H/run/claims/0000:3b:00.0"
# an undo that fails itself (the first write after the 5 binds, clearing an override): said,
# and the device keeps its unheld claim, so that --release gives it back later
run "$TMPROOT/u2.ini" PCIPASS_SIM_FAIL=6 "${LATE[@]}"
exits "failed undo" 71
says "failed undo: the launch's own fault comes last" "$late_line"
check "failed undo: said, naming the device and --release" \
	grep -q '0000:af:00.0: not given back (.*Device or resource busy); its claim stays for pcipass-run --release' "$TMPROOT/err"
check "failed undo: the claim stays (unheld), with the original driver" \
	grep -q '^orig_driver=npudrv$' "$H/run/claims/0000:af:00.0"
release -- 0000:af:00.0
exits "failed undo, then --release" 0
check "failed undo: --release gives it back to npudrv" test "$(driver 0000:af:00.0)" = npudrv
unchanged "failed undo, then --release"
run "$TMPROOT/u1.ini"
exits "held claim: 3 asked for, 2 free" 69
says "held claim: 3 asked for, 2 free" 'u1.ini:6: 3 NPU1 asked for, 2 free (3 in all)$'
unchanged "not enough free devices"
printf '[vm]\nname = u3\nmemory = 256M\n[devices]\naddress = 3b:00.0\n' >"$TMPROOT/u3.ini"
run "$TMPROOT/u3.ini"
exits "an explicit address another VM holds" 69
says "an explicit address another VM holds" 'u3.ini:5: 0000:3b:00.0 is not free: another VM has it, or a device of its IOMMU group$'
unchanged "explicit address held"
# --release leaves a held claim alone, and says so when it is named
release --
exits "--release with a held claim" 0
check "--release: a held claim is skipped" test -e "$H/run/claims/0000:3b:00.0"
release -- 0000:3b:00.0
exits "--release of a held claim" 69
check "--release of a held claim: one line, naming VM and pid" \
	bash -c "test \$(wc -l <'$TMPROOT/err') = 1 && grep -q 'claimed by VM other (pid $holder), which is running' '$TMPROOT/err'"
kill $holder
wait $holder 2>/dev/null

# a dead VM's claim, never released: its device is on vfio-pci, its claim names npudrv. A new
# launch may take it, and its undo leaves it as it found it: on vfio-pci, the claim kept, its
# VFIO node root's again.
rm -f "$H/run/claims/0000:3b:00.0"
LD_PRELOAD=$SIM PCIPASS_SIM_SYSFS=$H/sys PCIPASS_SIM_DEV=$H/dev "$BUILD/bindtool" bind "$H/sys" "$H/dev" 0000:3b:00.0 17 >/dev/null
printf 'vm=dead\npid=99999\norig_driver=npudrv\nmodel=NPU1\n' >"$H/run/claims/0000:3b:00.0"
chmod 600 "$H/run/claims/0000:3b:00.0"
before=$(state)
$PROBE -c "$C" --list >"$TMPROOT/list"
check "--list: the dead VM's device is free (not yet released)" \
	grep -q '^0000:3b:00.0 .*free (not yet released)$' "$TMPROOT/list"
# it is taken first (lowest address), and needs no write; the fault is the next device's probe
printf '[vm]\nname = u4\nmemory = 256M\n[devices]\nNPU1 = 2\n' >"$TMPROOT/u4.ini"
rm -f "$TMPROOT/ops"
run "$TMPROOT/u4.ini" PCIPASS_SIM_FAIL=2 PCIPASS_SIM_COUNT="$TMPROOT/ops"
exits "an unreleased device, then a fault" 71
check "an unreleased device is taken (lowest address first), without a write" \
	grep -q '^pcipass-run: vm u4: 0000:3b:00.0 (NPU1): claimed, on vfio-pci (was vfio-pci)$' "$TMPROOT/err"
check "an unreleased device, then a fault: the fault was hit (write 2, the next device's probe)" \
	test "$(head -n 2 "$TMPROOT/ops" | tr '\n' ' ')" = "1 driver_override 2 drivers_probe "
says "an unreleased device, then a fault: names the failed write" \
	'^pcipass-run: writing "0000:3c:00.0" to .*/bus/pci/drivers_probe: Device or resource busy$'
unchanged "an unreleased device, then a fault"
check "the claim still names the original driver" grep -q '^orig_driver=npudrv$' "$H/run/claims/0000:3b:00.0"
# again, the fault after its VFIO node was handed over: the node stays (the device stays on
# vfio-pci), and must be root's again
printf '[vm]\nname = u5\nmemory = 256M\n[devices]\nNPU1 = 1\n' >"$TMPROOT/u5.ini"
run "$TMPROOT/u5.ini" "${LATE[@]}"
exits "an unreleased device, then a fault after the hand-over" 71
says "an unreleased device, then a fault after the hand-over" "$late_line"
unchanged "an unreleased device, then a fault after the hand-over"
check "an unreleased device: its VFIO node is still there, root's, 0600" \
	test "$(stat -c '%u:%g %a' "$H/dev/vfio/17")" = "0:0 600"
release --
exits "--release of the unreleased device" 0
check "--release: the device is back on npudrv, its claim gone" \
	bash -c "[ \"\$(basename \"\$(readlink '$H/sys/bus/pci/devices/0000:3b:00.0/driver')\")\" = npudrv ] && test ! -e '$H/run/claims/0000:3b:00.0'"
check "--release: logged with the name of the VM that last held it" grep -q '^pcipass-run: vm u5: 0000:3b:00.0: released, back to npudrv$' "$TMPROOT/err"
check "--release: the override is cleared" test "$(cat "$H/sys/bus/pci/devices/0000:3b:00.0/driver_override")" = "(null)"
check "--release: the VFIO node went with the device" test ! -e "$H/dev/vfio/17"
release -- 0000:3b:00.0
exits "--release of an address without a claim" 66
says "--release of an address without a claim" 'no claim to release$'
release -- 3b:00.0x
exits "--release of a malformed address" 64
check "--release of a malformed address: one line" test "$(wc -l <"$TMPROOT/err")" = 1
# an empty claim (a launcher killed between lock and record): its device was never moved
: >"$H/run/claims/0000:3c:00.0"
release --
exits "--release of an empty claim" 0
check "--release: an empty claim is removed, the device left alone" \
	bash -c "test ! -e '$H/run/claims/0000:3c:00.0' && ! test -e '$H/sys/bus/pci/devices/0000:3c:00.0/driver'"
check "--release: the empty claim is logged" \
	grep -q '0000:3c:00.0: claim empty or unreadable; removed, the device left on no driver' "$TMPROOT/err"

# two dead VMs' claims, and giving back the first fails: the second is still released, and
# the exit status is the first failure's. Named on the command line (in that order), then all
# (in directory order: whichever comes first fails)
dead_pair() {
	local bt=(env LD_PRELOAD="$SIM" PCIPASS_SIM_SYSFS="$H/sys" PCIPASS_SIM_DEV="$H/dev" "$BUILD/bindtool")
	"${bt[@]}" bind "$H/sys" "$H/dev" 0000:3c:00.0 18 >/dev/null
	"${bt[@]}" bind "$H/sys" "$H/dev" 0000:af:00.0 42 >/dev/null
	printf 'vm=dead1\npid=99998\norig_driver=\nmodel=NPU1\n' >"$H/run/claims/0000:3c:00.0"
	printf 'vm=dead2\npid=99999\norig_driver=npudrv\nmodel=NPU1\n' >"$H/run/claims/0000:af:00.0"
	chmod 600 "$H/run/claims/0000:3c:00.0" "$H/run/claims/0000:af:00.0"
	chown 4242:4242 "$H/dev/vfio/18" "$H/dev/vfio/42" # the dead VMs' uid had them
}
before=$(state)
dead_pair
release PCIPASS_SIM_FAIL=2 -- 0000:3c:00.0 0000:af:00.0
exits "--release of two, the first failing" 71
check "--release of two: the first's failure is one line naming the device and the write" \
	grep -q '^pcipass-run: writing "0000:3c:00.0" to .*/unbind: Device or resource busy$' "$TMPROOT/err"
check "--release of two: the first keeps its claim, on vfio-pci" \
	bash -c "test -e '$H/run/claims/0000:3c:00.0' && test \"\$(basename \"\$(readlink '$H/sys/bus/pci/devices/0000:3c:00.0/driver')\")\" = vfio-pci"
check "--release of two: the first's VFIO node is root's again all the same" \
	test "$(stat -c '%u:%g %a' "$H/dev/vfio/18")" = "0:0 600"
check "--release of two: the second is still released, back to npudrv" \
	bash -c "grep -q '^pcipass-run: vm dead2: 0000:af:00.0: released, back to npudrv$' '$TMPROOT/err' && test ! -e '$H/run/claims/0000:af:00.0' && test \"\$(basename \"\$(readlink '$H/sys/bus/pci/devices/0000:af:00.0/driver')\")\" = npudrv"
release --
exits "--release again" 0
unchanged "--release of two, then again"
dead_pair
release PCIPASS_SIM_FAIL=2 --
exits "--release of all, the first failing" 71
check "--release of all: one failure said, one device released" \
	test "$(grep -c 'Device or resource busy$' "$TMPROOT/err") $(grep -c ': released, back to ' "$TMPROOT/err")" = "1 1"
check "--release of all: one claim left" test "$(ls "$H/run/claims" | wc -l)" = 1
check "--release of all: the VFIO node left is root's again" \
	test "$(stat -c '%u:%g %a' "$H"/dev/vfio/* | tr '\n' ' ')" = "0:0 600 "
release --
exits "--release of all, again" 0
unchanged "--release of all, then again"

# an IOMMU group shared with a device bound to a host driver: refused, naming it
cat >"$TMPROOT/group.host" <<'HOST'
0000:00:00.0  0600  8086:2020  8086:0000  0   0  -
0000:3b:00.0  1200  19e5:d801  19e5:0100  17  0  -
0000:3b:00.1  0200  8086:1521  8086:0000  17  0  igb
0000:5e:00.0  1200  19e5:d801  19e5:0100  30  0  vfio-pci
0000:5f:00.0  1200  19e5:d801  19e5:0100  31  0  npudrv
0000:5f:00.1  0200  8086:1521  8086:0000  31  0  vfio-pci
HOST
host_with group "$TMPROOT/group.host" >/dev/null
vfio_node 30 # the kernel's, for the devices already on vfio-pci
vfio_node 31
before=$(state)
printf '[vm]\nname = g1\nmemory = 256M\n[devices]\nNPU1 = 1\n' >"$TMPROOT/g1.ini"
run "$TMPROOT/g1.ini"
exits "IOMMU group with a host device" 69
says "IOMMU group with a host device: names it" 'IOMMU group 17 also holds 0000:3b:00.1, bound to igb; unbind it or pass it through too$'
unchanged "IOMMU group refused"
check "IOMMU group refused: igb still has its device" test "$(driver 0000:3b:00.1)" = igb
# a device the admin bound to vfio-pci: nothing is written to it, so an undo has nothing to
# put back (its driver_override stays unset), but its VFIO node was handed over: root's again
printf '[vm]\nname = g2\nmemory = 256M\n[devices]\naddress = 0000:5e:00.0\n' >"$TMPROOT/g2.ini"
rm -f "$TMPROOT/ops"
run "$TMPROOT/g2.ini" PCIPASS_SIM_COUNT="$TMPROOT/ops" "${LATE[@]}"
exits "a device already on vfio-pci, then a fault after the hand-over" 71
says "a device already on vfio-pci, then a fault after the hand-over" "$late_line"
check "a device already on vfio-pci: no control write at all" test ! -s "$TMPROOT/ops"
unchanged "a device already on vfio-pci, then a fault after the hand-over"
# a group whose other device stays on vfio-pci (unclaimed): its VFIO node outlives our
# device's undo, and must be root's again
printf '[vm]\nname = g3\nmemory = 256M\n[devices]\naddress = 0000:5f:00.0\n' >"$TMPROOT/g3.ini"
run "$TMPROOT/g3.ini" "${LATE[@]}"
exits "a group with another device on vfio-pci, then a fault after the hand-over" 71
says "a group with another device on vfio-pci, then a fault after the hand-over" "$late_line"
check "a group with another device on vfio-pci: ours was bound and given back" \
	bash -c "grep -q '0000:5f:00.0 (NPU1): claimed, on vfio-pci (was npudrv)' '$TMPROOT/err' && grep -q '0000:5f:00.0: given back to npudrv' '$TMPROOT/err'"
check "a group with another device on vfio-pci: its VFIO node stays, root's, 0600" \
	test "$(stat -c '%u:%g %a' "$H/dev/vfio/31")" = "0:0 600"
unchanged "a group with another device on vfio-pci, then a fault after the hand-over"
# a stale inventory: the device in sysfs is not the one the probe saw
echo 0x8086 >"$H/sys/bus/pci/devices/0000:3b:00.0/vendor"
before=$(state)
run "$TMPROOT/g1.ini"
exits "stale inventory" 65
says "stale inventory: names the inventory and the IDs" 'inventory.ini: 0000:3b:00.0 is 8086:d801 now, not 19e5:d801; run pcipass-probe$'
unchanged "stale inventory"

# not root (any uid but 0; no account needed): refused before anything is read
setpriv --reuid=65534 --regid=65534 --clear-groups "$RUN" -c "$C" "$TMPROOT/g1.ini" >/dev/null 2>"$TMPROOT/err"
st=$?
exits "not root: launch refused" 77
setpriv --reuid=65534 --regid=65534 --clear-groups "$RUN" -c "$C" --release >/dev/null 2>"$TMPROOT/err"
st=$?
exits "not root: --release refused" 77
