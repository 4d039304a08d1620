#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# pcipass-run launching VMs WITH passthrough devices, all the way to the exec, on fake trees
# with build/kernelsim.so playing the kernel, and build/qemu-report standing in for QEMU:
#  - what the exec'd process got: the claims as descriptors, the memlock limit, the VFIO
#    group devices handed to the VM user, the devices on vfio-pci;
#  - a second launch while the first lives changes nothing; the claims end with the VM;
#    --release gives the devices back;
#  - 100 launches at once for 8 devices: exactly 8 start, the rest exit 69, no device twice.
# Raising RLIMIT_MEMLOCK takes CAP_SYS_RESOURCE, which a container's root lacks (this kind of
# CI machine does): there the whole file runs again inside a throwaway guest (tests/guest/).
. "$(dirname "$0")/lib.sh"

RUN=$BUILD/pcipass-run
use_kernelsim
root_with_nobody "device launch tests" || exit 0
if ! has_sys_resource; then
	in_guest "device launch tests need CAP_SYS_RESOURCE (RLIMIT_MEMLOCK)"
	exit 0
fi
VMUID=1879048192 # the first of dynamic_ids (common/config.h): d1's uid

launch() { # launch VM.INI: pcipass-run under the kernel stand-in
	# exec: in the background, $! is then pcipass-run's pid, and so QEMU's
	exec env LD_PRELOAD="$SIM" PCIPASS_SIM_SYSFS="$H/sys" PCIPASS_SIM_DEV="$H/dev" "$RUN" -c "$C" "$1"
}
release() { env LD_PRELOAD="$SIM" PCIPASS_SIM_SYSFS="$H/sys" PCIPASS_SIM_DEV="$H/dev" "$RUN" -c "$C" --release "$@"; }
driver() { basename "$(readlink "$H/sys/bus/pci/devices/$1/driver")" 2>/dev/null; }
drivers() { # every custom device's driver, in address order
	local d
	for d in "$H"/sys/bus/pci/devices/*; do
		[ "$(cat "$d/class")" = 0x120000 ] && printf '%s=%s ' "${d##*/}" "$(driver "${d##*/}")"
	done
}
wait_for() { # wait_for FILE PATTERN: up to 20 s
	for _ in $(seq 200); do grep -q -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}
host_with() { # host_with NAME DESC: the host, a model NPU1 for 19e5:d801, probed; sets C
	mkhost "$1" "$2" >/dev/null || { failt "mkhost $1"; exit 1; }
	C=$TMPROOT/$1.conf
	cp "$CONF" "$C"
	printf 'qemu = %s\nvm_groups = nogroup\n' "$BUILD/qemu-report" >>"$C"
	$MODEL -c "$C" create NPU1 NPU 19e5 d801 >/dev/null
	$PROBE -c "$C" -q
}

# --- one VM with two devices: what QEMU got ---
cat >"$TMPROOT/dev.host" <<'HOST'
0000:00:00.0  0600  8086:2020  8086:0000  0   0  -
0000:3b:00.0  1200  19e5:d801  19e5:0100  17  0  npudrv
0000:3c:00.0  1200  19e5:d801  19e5:0100  18  0  -
0000:af:00.0  1200  19e5:d801  19e5:0100  42  1  -
HOST
host_with dev "$TMPROOT/dev.host"
printf '[vm]\nname = d1\nmemory = 256M\naccel = tcg\npaused = true\n[devices]\nNPU1 = 2\n' >"$TMPROOT/d1.ini"
launch "$TMPROOT/d1.ini" >"$TMPROOT/report" 2>"$TMPROOT/err" &
vm=$!
wait_for "$TMPROOT/report" '^argv=-S'
has() { grep -qx -- "$1" "$TMPROOT/report"; }
check "the stand-in QEMU runs, paused" has "argv=-S"
check "step 5: both devices on vfio-pci" test "$(driver 0000:3b:00.0) $(driver 0000:3c:00.0)" = "vfio-pci vfio-pci"
check "step 5: the third device untouched" test -z "$(driver 0000:af:00.0)"
check "step 6: RLIMIT_MEMLOCK = guest memory + 1 GiB" has "memlock=$(((256 + 1024) << 20)),$(((256 + 1024) << 20))"
check "step 6: stdio, QMP, the name and uid leases and the two claims are open, nothing else" has "fds=0,1,2,3,4,5,6,7"
check "step 3: fd 6 and fd 7 are the claims, lowest address first" \
	bash -c "grep -qx 'fd6=$H/run/claims/0000:3b:00.0' '$TMPROOT/report' && grep -qx 'fd7=$H/run/claims/0000:3c:00.0' '$TMPROOT/report'"
check "step 6: the VFIO group devices belong to the VM's own uid, mode 0600" \
	test "$(stat -c '%u %a' "$H/dev/vfio/17" "$H/dev/vfio/18" | tr '\n' ' ')" = "$VMUID 600 $VMUID 600 "
check "step 7: the VM runs as its dynamic uid" has "uid=$VMUID,$VMUID,$VMUID"
check "step 8: under our seccomp filter" has "Seccomp=2"
check "step 9: each device behind its own root port" \
	bash -c "grep -qx 'argv=vfio-pci,host=0000:3b:00.0,id=hostdev0,bus=pcipass.rp0' '$TMPROOT/report' && grep -qx 'argv=vfio-pci,host=0000:3c:00.0,id=hostdev1,bus=pcipass.rp1' '$TMPROOT/report'"
start=$(sed 's/.*) //' "/proc/$vm/stat" | awk '{print $20}') # field 22, after "pid (name) "
printf 'vm=d1\npid=%s\nstart=%s\norig_driver=npudrv\nmodel=NPU1\nqdev=hostdev0\n' "$vm" "$start" >"$TMPROOT/want-claim"
check "the claims record VM, QEMU's pid and start time, the original driver and QEMU's id" \
	cmp -s "$TMPROOT/want-claim" "$H/run/claims/0000:3b:00.0"
$PROBE -c "$C" --list >"$TMPROOT/list"
check "--list: claimed by d1 with QEMU's pid" grep -q "^0000:3b:00.0 .*claimed by d1 (pid $vm)$" "$TMPROOT/list"
check "every step logged with the VM name" \
	bash -c "grep -q '^pcipass-run: vm d1: 0000:3b:00.0 (NPU1): claimed, on vfio-pci (was npudrv)$' '$TMPROOT/err'"

# a second VM for the same model while d1 lives: 1 free of 2 asked, refused, nothing changed
sum=$(tree_sum "$H/sys")
printf '[vm]\nname = d2\nmemory = 256M\naccel = tcg\npaused = true\n[devices]\nNPU1 = 2\n' >"$TMPROOT/d2.ini"
(launch "$TMPROOT/d2.ini") >/dev/null 2>"$TMPROOT/err2"
check "a second launch while the first lives: refused (69)" test $? = 69
check "a second launch: its last line says how many are free" \
	bash -c "tail -n 1 '$TMPROOT/err2' | grep -q 'd2.ini:7: 2 NPU1 asked for, 1 free (3 in all)'"
check "a second launch: sysfs unchanged" test "$(tree_sum "$H/sys")" = "$sum"
check "a second launch: no claim of its own left" test "$(ls "$H/run/claims" | wc -l)" = 2
check "a second launch: d1 still holds its claims" grep -q "^0000:3c:00.0 .*claimed by d1 (pid $vm)$" <($PROBE -c "$C" --list)
# --release leaves a live VM's devices alone
release >/dev/null 2>&1
check "--release while d1 lives: its devices stay" test "$(driver 0000:3b:00.0)" = vfio-pci

# the VM ends: its claims are free at once; --release gives the devices back
kill $vm
wait $vm 2>/dev/null
$PROBE -c "$C" --list >"$TMPROOT/list"
check "after the VM: its devices are free (not yet released)" \
	test "$(grep -c 'free (not yet released)$' "$TMPROOT/list")" = 2
check "after the VM: its VFIO group device is still the VM user's, until the release" \
	test "$(stat -c %u "$H/dev/vfio/17")" = "$VMUID"
# a release that fails to unbind: the group device is root's again all the same
PCIPASS_SIM_FAIL=2 release 0000:3b:00.0 >/dev/null 2>"$TMPROOT/err"
check "--release failing to unbind: 71, the device stays claimed (unheld)" \
	bash -c "test $? = 71 && test -e '$H/run/claims/0000:3b:00.0'"
check "--release failing: the VFIO group device went back to root first" \
	test "$(stat -c '%u %a' "$H/dev/vfio/17")" = "0 600"
release >"$TMPROOT/rel" 2>&1
check "--release: exit 0" test $? = 0
check "--release: each device back on its original driver (npudrv, none)" \
	test "$(drivers)" = "0000:3b:00.0=npudrv 0000:3c:00.0= 0000:af:00.0= "
check "--release: no claim, no uid lease, no VFIO device left" \
	test -z "$(ls "$H/run/claims" "$H/run/ids" "$H/dev/vfio" 2>/dev/null | grep -v ':$' | grep .)"
check "--release: one line per device, with the VM's name" test "$(grep -c '^pcipass-run: vm d1: .*released' "$TMPROOT/rel")" = 2

# --- a model's launch keys (issue 12): a whole slot, its reset methods, its ROM ---
cat >"$TMPROOT/slot.host" <<'HOST'
0000:00:00.0  0600  8086:2020  8086:0000  0   0  -
0000:60:00.0  1200  19e5:d811  19e5:0100  60  0  npudrv  reset=flr,bus
0000:60:00.1  0403  19e5:d812  19e5:0100  60  0  snd_hda_intel
HOST
host_with slot "$TMPROOT/slot.host"
mkdir -p "$H/rom"
printf '\x55\xaa-a ROM of 16 bytes' | head -c 16 >"$H/rom/npu2.rom"
printf 'flr bus\n' >"$H/sys/bus/pci/devices/0000:60:00.0/.sim_reset_offered"
printf '[NPU2]\ndev_type = NPU\nvendor_id = 19e5\ndevice_id = d811\nfunctions = all\nreset_method = bus\nrombar = on\nromfile = npu2.rom\n' \
	>"$H/etc/models.d/NPU2.conf"
printf 'rom_dir = %s\n' "$H/rom" >>"$C"
$PROBE -c "$C" -q
printf '[vm]\nname = s1\nmemory = 256M\naccel = tcg\npaused = true\n[devices]\nNPU2 = 1\n' >"$TMPROOT/s1.ini"
launch "$TMPROOT/s1.ini" >"$TMPROOT/report" 2>"$TMPROOT/err" &
vm=$!
wait_for "$TMPROOT/report" '^argv=-S'
rom=$(sed -n 's/^argv=.*romfile=\/proc\/self\/fd\/\([0-9]*\)$/\1/p' "$TMPROOT/report")
check "a whole slot: both functions on vfio-pci" \
	test "$(driver 0000:60:00.0) $(driver 0000:60:00.1)" = "vfio-pci vfio-pci"
check "a whole slot: function 1, then function 0 multifunction, on one root port" \
	test "$(grep '^argv=vfio-pci' "$TMPROOT/report" | tr '\n' ' ')" = "argv=vfio-pci,host=0000:60:00.1,id=hostdev1,bus=pcipass.rp0,addr=00.1 argv=vfio-pci,host=0000:60:00.0,id=hostdev0,bus=pcipass.rp0,addr=00.0,multifunction=on,rombar=1,romfile=/proc/self/fd/$rom "
check "a whole slot: a claim for each function, with QEMU's id" \
	bash -c "grep -qx qdev=hostdev0 '$H/run/claims/0000:60:00.0' && grep -qx qdev=hostdev1 '$H/run/claims/0000:60:00.1' && grep -qx orig_driver=snd_hda_intel '$H/run/claims/0000:60:00.1'"
check "romfile: QEMU holds a sealed copy, no path of the host" grep -qx "fd$rom=/memfd:pcipass-rom (deleted)" "$TMPROOT/report"
check "reset_method: the model's while the VM runs, the original in its claim" \
	bash -c "test \"\$(cat '$H/sys/bus/pci/devices/0000:60:00.0/reset_method')\" = bus && grep -qx 'orig_reset_method=flr bus' '$H/run/claims/0000:60:00.0'"
kill $vm
wait $vm 2>/dev/null
release >"$TMPROOT/rel" 2>&1
check "--release: both functions back on their drivers, the reset methods as they were" \
	test "$(driver 0000:60:00.0) $(driver 0000:60:00.1) $(cat "$H/sys/bus/pci/devices/0000:60:00.0/reset_method")" = "npudrv snd_hda_intel flr bus"

# --- 100 launches at once for 8 devices ---
{
	for i in $(seq 0 7); do
		drv=-
		[ $((i % 3)) = 0 ] && drv=npudrv
		printf '0000:%02x:00.0  1200  19e5:d801  19e5:0100  %d  %d  %s\n' $((0x10 + i)) $((20 + i)) $((i % 2)) $drv
	done
} >"$TMPROOT/race.host"
host_with race "$TMPROOT/race.host"
orig=$(drivers)
mkdir -p "$TMPROOT/race"
for i in $(seq 100); do
	printf '[vm]\nname = r%d\nmemory = 128M\naccel = tcg\npaused = true\n[devices]\nNPU1 = 1\n' $i >"$TMPROOT/race/r$i.ini"
done
pids=()
for i in $(seq 100); do
	launch "$TMPROOT/race/r$i.ini" >"$TMPROOT/race/r$i.out" 2>"$TMPROOT/race/r$i.err" &
	pids+=($!)
done
# the losers exit; the 8 winners stay up (paused) until killed
sleep 1
for _ in $(seq 600); do
	running=0
	for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && running=$((running + 1)); done
	[ $running -le 8 ] && break
	sleep 0.1
done
winners=() won=() lost69=0 lost_said=0
for i in $(seq 100); do
	p=${pids[$((i - 1))]}
	if kill -0 "$p" 2>/dev/null; then
		winners+=("$p")
		won+=("$i")
		continue
	fi
	wait "$p"
	if [ $? = 69 ]; then
		lost69=$((lost69 + 1))
		tail -n 1 "$TMPROOT/race/r$i.err" | grep -q 'r[0-9]*.ini:7: 1 NPU1 asked for, 0 free (8 in all)$' &&
			lost_said=$((lost_said + 1))
	fi
done
check "100 launches, 8 devices: exactly 8 VMs run" test ${#winners[@]} = 8
check "100 launches, 8 devices: the other 92 exit 69" test $lost69 = 92
check "100 launches: each loser says why in its last line" test $lost_said = 92
for i in "${won[@]}"; do wait_for "$TMPROOT/race/r$i.out" '^argv=-S'; done
check "100 launches: all 8 devices claimed by running VMs" \
	test "$($PROBE -c "$C" --list | grep -c 'claimed by r[0-9]* (pid [0-9]*)$')" = 8
check "100 launches: no device claimed twice (8 claims, 8 VMs, 8 pids)" \
	test "$(cat "$H"/run/claims/* | grep -c '^vm=')-$(cat "$H"/run/claims/* | grep '^vm=' | sort -u | wc -l)-$(cat "$H"/run/claims/* | grep '^pid=' | sort -u | wc -l)" = "8-8-8"
ok=0
for w in "${winners[@]}"; do [ "$(grep -l "^pid=$w$" "$H"/run/claims/* | wc -l)" = 1 ] && ok=$((ok + 1)); done
check "100 launches: every winner holds one claim, with its own pid" test $ok = 8
check "100 launches: every device on vfio-pci" test "$(drivers | grep -o '=vfio-pci' | wc -l)" = 8
check "100 launches: the 8 VMs run under 8 different uids, none shared" \
	test "$(for w in "${winners[@]}"; do awk '/^Uid:/ {print $2}' /proc/$w/status; done | sort -u | wc -l)" = 8
kill "${winners[@]}"
for w in "${winners[@]}"; do wait "$w" 2>/dev/null; done
check "the 8 VMs killed: every claim is free" \
	test "$($PROBE -c "$C" --list | grep -c 'free (not yet released)$')" = 8
release >/dev/null 2>&1
check "--release after the race: every device back on its original driver" test "$(drivers)" = "$orig"
check "--release after the race: no claim left" test -z "$(ls "$H/run/claims")"
