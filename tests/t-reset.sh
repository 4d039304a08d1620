#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A model's reset_method (issue 12), as root on fake trees with build/kernelsim.so playing the
# kernel (its reset_method refuses a method the device does not offer, as 6.x does):
#  - written to <dev>/reset_method before the bind, after the claim records the original;
#  - a launch that fails after it puts the original back, after the device left vfio-pci;
#  - a method the device does not offer (refused, or skipped as 5.15 did): the launch fails
#    naming it, everything as it was;
#  - --release of a dead VM's claim puts the recorded original back, then gives the device
#    back; a dead VM's claim taken over by a new launch keeps the first original;
#  - a whole slot's functions (functions = all) are bound and undone like the device.
. "$(dirname "$0")/lib.sh"

RUN=$BUILD/pcipass-run
use_kernelsim
if [ "$(id -u)" != 0 ]; then
	skip "reset_method tests: pcipass-run must run as root"
	exit 0
fi
# the fault injected after the binds and the hand-over (tests/t-undo.sh)
LATE=(PCIPASS_SIM_FAIL_SETRESGID=1)
run() { # run VM.INI [ENV...]: status in $st, stderr in $TMPROOT/err
	local ini=$1
	shift
	env LD_PRELOAD="$SIM" PCIPASS_SIM_SYSFS="$H/sys" PCIPASS_SIM_DEV="$H/dev" "$@" \
		"$RUN" -c "$C" "$ini" >"$TMPROOT/out" 2>"$TMPROOT/err"
	st=$?
}
release() {
	env LD_PRELOAD="$SIM" PCIPASS_SIM_SYSFS="$H/sys" PCIPASS_SIM_DEV="$H/dev" \
		"$RUN" -c "$C" --release "$@" >"$TMPROOT/out" 2>"$TMPROOT/err"
	st=$?
}
driver() { basename "$(readlink "$H/sys/bus/pci/devices/$1/driver")" 2>/dev/null; }
state() { # every device's driver, override and reset methods; the claims
	local d
	for d in "$H"/sys/bus/pci/devices/*; do
		printf '%s %s %s %s\n' "${d##*/}" "$(driver "${d##*/}")" "$(cat "$d/driver_override")" \
			"$(cat "$d/reset_method" 2>/dev/null)"
	done
	(cd "$H" && find run/claims ! -type d 2>/dev/null | sort)
}
unchanged() {
	local now
	now=$(state)
	if [ "$now" = "$before" ]; then
		pass "$1: every device, its reset methods and the claims as they were"
	else
		failt "$1: something changed"
		diff <(echo "$before") <(echo "$now") | sed 's/^/#   /'
	fi
}
says() { grep -q -- "$2" "$TMPROOT/err" && pass "$1" || { failt "$1"; tail -n 3 "$TMPROOT/err" | sed 's/^/#   /'; }; }

cat >"$TMPROOT/r.host" <<'HOST'
0000:00:00.0  0600  8086:2020  8086:0000  0   0  -
0000:3b:00.0  1200  19e5:d801  19e5:0100  17  0  npudrv  reset=flr,bus
0000:60:00.0  1200  19e5:d811  19e5:0100  60  0  npudrv
0000:60:00.1  0403  19e5:d812  19e5:0100  60  0  snd_hda_intel
HOST
mkhost r "$TMPROOT/r.host" || { failt "mkhost"; exit 1; }
C=$TMPROOT/r.conf
cp "$CONF" "$C"
printf 'qemu = %s\nvm_groups =\n' "$BUILD/qemu-report" >>"$C"
dev=$H/sys/bus/pci/devices/0000:3b:00.0
printf 'flr bus\n' >"$dev/.sim_reset_offered" # what the device offers (kernelsim)
printf '[NPU1]\ndev_type = NPU\nvendor_id = 19e5\ndevice_id = d801\nreset_method = bus\n' \
	>"$H/etc/models.d/NPU1.conf"
printf '[NPU2]\ndev_type = NPU\nvendor_id = 19e5\ndevice_id = d811\nfunctions = all\n' \
	>"$H/etc/models.d/NPU2.conf"
$PROBE -c "$C" -q
printf '[vm]\nname = r1\nmemory = 256M\naccel = tcg\n[devices]\nNPU1 = 1\n' >"$TMPROOT/r1.ini"
mkdir -p "$H/dev/vfio"
before=$(state)

# a fault after the bind: the reset methods were set, then put back after the unbind
run "$TMPROOT/r1.ini" PCIPASS_SIM_COUNT="$TMPROOT/ops" "${LATE[@]}"
check "a fault after the bind: exit 71" test $st = 71
says "the log says the methods were set, and what they were" '0000:3b:00.0: reset_method bus (was flr bus)$'
unchanged "a fault after the bind"
check "the writes: reset_method first, the bind, then the unbind and reset_method last" \
	test "$(awk '{print $2}' "$TMPROOT/ops" | tr '\n' ' ')" = \
	"reset_method driver_override unbind drivers_probe driver_override unbind bind reset_method "

# each of those writes failing: all as it was
for n in 1 2 3 4; do
	run "$TMPROOT/r1.ini" PCIPASS_SIM_FAIL=$n
	check "fault at control write $n: exit 71" test $st = 71
	unchanged "fault at control write $n"
done

# a method the device does not offer: the kernel refuses it (EINVAL), nothing moves
printf 'flr\n' >"$dev/.sim_reset_offered"
printf 'flr\n' >"$dev/reset_method"
before=$(state)
run "$TMPROOT/r1.ini"
check "a method not offered: exit 71" test $st = 71
says "a method not offered: the write is named" "writing \"bus\" to $dev/reset_method: Invalid argument\$"
unchanged "a method not offered"
# a kernel that skips it and keeps the rest (5.15 to 5.19): read back, refused, put back
run "$TMPROOT/r1.ini" PCIPASS_SIM_RESET_SKIP=1
check "a method skipped by the kernel: exit 69" test $st = 69
says "a method skipped by the kernel: the line says what the kernel kept" \
	'0000:3b:00.0: reset_method = bus not taken whole: the kernel keeps "" (a method the device does not offer?)$'
unchanged "a method skipped by the kernel"
printf 'flr bus\n' >"$dev/.sim_reset_offered"
printf 'flr bus\n' >"$dev/reset_method"

# a dead VM's device: on vfio-pci with its model's methods on, its claim recording the first
dead_vm() {
	env LD_PRELOAD="$SIM" PCIPASS_SIM_SYSFS="$H/sys" PCIPASS_SIM_DEV="$H/dev" \
		"$BUILD/bindtool" bind "$H/sys" "$H/dev" 0000:3b:00.0 17 >/dev/null
	env LD_PRELOAD="$SIM" PCIPASS_SIM_SYSFS="$H/sys" "$BUILD/bindtool" write "$dev/reset_method" bus
	mkdir -p "$H/run/claims" && chmod 0700 "$H/run/claims"
	printf 'vm=dead\npid=99999\nstart=1\norig_driver=npudrv\nmodel=NPU1\norig_reset_method=flr bus\n' \
		>"$H/run/claims/0000:3b:00.0"
	chmod 0600 "$H/run/claims/0000:3b:00.0"
}
dead_vm
check "a dead VM's device: on vfio-pci, its model's methods on" \
	test "$(driver 0000:3b:00.0) $(cat "$dev/reset_method")" = "vfio-pci bus"
release 0000:3b:00.0
check "--release: exit 0" test $st = 0
check "--release: the recorded reset methods are back" test "$(cat "$dev/reset_method")" = "flr bus"
check "--release: the device back on its driver, the claim gone" \
	test "$(driver 0000:3b:00.0)" = npudrv -a ! -e "$H/run/claims/0000:3b:00.0"
# taken over by a launch that fails: the claim keeps the first original, and the undo puts it back
dead_vm
run "$TMPROOT/r1.ini" "${LATE[@]}"
check "a dead VM's claim taken over: exit 71" test $st = 71
check "a dead VM's claim taken over: it still records the first original" \
	grep -qx 'orig_reset_method=flr bus' "$H/run/claims/0000:3b:00.0"
check "a dead VM's claim taken over: the undo put the first original back" \
	test "$(cat "$dev/reset_method")" = "flr bus"
release 0000:3b:00.0
check "and --release then: exit 0, the device on its driver" test "$st $(driver 0000:3b:00.0)" = "0 npudrv"

# a whole slot: 60:00.1 (no model of its own) is claimed, bound and undone with 60:00.0
printf '[vm]\nname = r2\nmemory = 256M\naccel = tcg\n[devices]\nNPU2 = 1\n' >"$TMPROOT/r2.ini"
before=$(state)
run "$TMPROOT/r2.ini" "${LATE[@]}"
check "a whole slot, a fault after the binds: exit 71" test $st = 71
says "a whole slot: the function is claimed and bound too" '0000:60:00.1 (NPU2): claimed, on vfio-pci (was snd_hda_intel)$'
says "a whole slot: given back to its driver" '0000:60:00.1: given back to snd_hda_intel$'
unchanged "a whole slot, a fault after the binds"
for n in 1 2 3 4 5 6; do
	run "$TMPROOT/r2.ini" PCIPASS_SIM_FAIL=$n
	check "a whole slot, fault at control write $n: exit 71" test $st = 71
	unchanged "a whole slot, fault at control write $n"
done
