#!/usr/bin/env bash
# SPEC step 5 on a fake tree, with build/kernelsim.so playing the kernel (LD_PRELOAD): a device
# moves to vfio-pci through driver_override, unbind and drivers_probe (never new_id), its VFIO
# group appears, and it goes back to its original driver, or to none. A failure injected at
# every control write leaves, after the undo, the device exactly as it was.
. "$(dirname "$0")/lib.sh"

use_kernelsim
bt() { LD_PRELOAD=$SIM PCIPASS_SIM_SYSFS=$H/sys PCIPASS_SIM_DEV=$H/dev "$BUILD/bindtool" "$@"; }
driver() { basename "$(readlink "$H/sys/bus/pci/devices/$1/driver")" 2>/dev/null; }
state() { # the device as it stands: driver, override, VFIO group device
	echo "$(driver "$1")|$(cat "$H/sys/bus/pci/devices/$1/driver_override")|$(ls "$H/dev/vfio" 2>/dev/null | tr '\n' ' ')"
}

# a device bound to a host driver (the VGA card, group 6), and an unbound one (NPU, group 17)
mkhost bind "$ROOT/conf/example-host.txt" || { failt "mkhost"; exit 1; }
before=$(state 0000:03:00.0)
export PCIPASS_SIM_COUNT=$TMPROOT/ops
orig=$(bt bind "$H/sys" "$H/dev" 0000:03:00.0 6)
check "bind: reports the original driver" test "$orig" = mgag200
check "bind: now on vfio-pci" test "$(driver 0000:03:00.0)" = vfio-pci
check "bind: the group's VFIO device appeared" test -e "$H/dev/vfio/6"
check "bind: through driver_override, unbind, drivers_probe; never new_id" \
	test "$(awk '{print $2}' "$TMPROOT/ops" | tr '\n' ' ')" = "driver_override unbind drivers_probe "
bt unbind "$H/sys" 0000:03:00.0 mgag200
check "unbind: back to mgag200, no override, no VFIO device" test "$(state 0000:03:00.0)" = "$before"
orig=$(bt bind "$H/sys" "$H/dev" 0000:3b:00.0 17)
check "bind of an unbound device: original is none" test "$orig" = -
check "bind of an unbound device: on vfio-pci" test "$(driver 0000:3b:00.0)" = vfio-pci
bt unbind "$H/sys" 0000:3b:00.0 -
check "unbind: an originally unbound device is left unbound" test -z "$(driver 0000:3b:00.0)"
unset PCIPASS_SIM_COUNT

# a failure at each of the three control writes of a bind: refused with the kernel's error,
# and the undo restores the device exactly
for n in 1 2 3; do
	mkhost "fault$n" "$ROOT/conf/example-host.txt" >/dev/null
	before=$(state 0000:03:00.0)
	PCIPASS_SIM_FAIL=$n bt bind "$H/sys" "$H/dev" 0000:03:00.0 6 >/dev/null 2>"$TMPROOT/err"
	st=$?
	check "fault at write $n: bind fails (71)" test $st = 71
	check "fault at write $n: one line naming the write and the error" \
		grep -q "^bindtool: writing .* Device or resource busy$" "$TMPROOT/err"
	bt unbind "$H/sys" 0000:03:00.0 mgag200
	check "fault at write $n: after the undo the device is as it was" test "$(state 0000:03:00.0)" = "$before"
done
# the undo goes on through a failure of its own, and says so: a failing unbind still clears the
# override and rebinds; a failing override leaves the device off vfio-pci (the kernel then
# refuses the rebind, as the override still names vfio-pci) and reports it
mkhost undo "$ROOT/conf/example-host.txt" >/dev/null
bt bind "$H/sys" "$H/dev" 0000:03:00.0 6 >/dev/null
PCIPASS_SIM_FAIL=2 bt unbind "$H/sys" 0000:03:00.0 mgag200 2>"$TMPROOT/err"
check "undo, failing unbind: reported (71)" test $? = 71
check "undo, failing unbind: still on vfio-pci, named in the error" \
	bash -c "[ \"\$(basename \"\$(readlink '$H/sys/bus/pci/devices/0000:03:00.0/driver')\")\" = vfio-pci ] && grep -q unbind '$TMPROOT/err'"
bt unbind "$H/sys" 0000:03:00.0 mgag200
check "undo again: back on mgag200" test "$(driver 0000:03:00.0)" = mgag200
bt bind "$H/sys" "$H/dev" 0000:03:00.0 6 >/dev/null
PCIPASS_SIM_FAIL=1 bt unbind "$H/sys" 0000:03:00.0 mgag200 2>"$TMPROOT/err"
check "undo, failing override: reported (71)" test $? = 71
check "undo, failing override: off vfio-pci at least" test "$(driver 0000:03:00.0)" != vfio-pci
