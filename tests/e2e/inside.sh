#!/usr/bin/env bash
# The end-to-end test, inside the guest of tests/guest/run.sh (real kernel, intel-iommu,
# vfio-pci): QEMU's edu device 1234:11e8 passed through by the real pcipass tools to a nested,
# real QEMU ("L3"). One result line per assertion ("ok - " / "not ok - "), as SPEC's workflow:
#   1. probe --all lists the device with its IOMMU group; a model for it; the inventory has it;
#   2. pcipass-run binds it to vfio-pci and runs L3 as nobody, under our filter, with the
#      memlock limit; L3's query-pci shows 1234:11e8;
#   3. a second launch while L3 lives: 69, nothing changed; --list shows the claim;
#   4. L3 gone: the claim is free at once; --release returns the device to no driver;
#   5. an edu device sharing its IOMMU group with a function bound to a host driver: refused,
#      naming it.
# Expects the guest's devices (tests/e2e/run.sh): edu alone on one root port, and behind a
# second root port a multifunction edu at function 0 with a virtio-rng at function 1.
set -u
B=${BUILD:?}
E2E_QMP=$(dirname "$0")/qmp.py
W=${TMPDIR:-/run/tmp}/e2e
rm -rf "$W"
mkdir -p "$W/etc/models.d" "$W/var" "$W/run"
C=$W/etc/pcipass.conf
cat >"$C" <<CONF
[host]
models_dir = $W/etc/models.d
inventory  = $W/var/inventory.ini
state_dir  = $W/run
qemu       = $(command -v qemu-system-x86_64)
run_as     = nobody
CONF
PROBE="$B/pcipass-probe -c $C"
MODEL="$B/pcipass-model -c $C"
RUN="$B/pcipass-run -c $C"
fails=0
result() { # result NAME COMMAND...
	local name=$1
	shift
	if "$@"; then echo "ok - $name"; else echo "not ok - $name"; fails=$((fails + 1)); fi
}
driver() { basename "$(readlink "/sys/bus/pci/devices/$1/driver")" 2>/dev/null; }

# the edu devices, by address: the one alone in its group, and the one that shares
edus=$(grep -l '^0x11e8$' /sys/bus/pci/devices/*/device | xargs -n1 dirname | xargs -n1 basename | sort)
alone= shared=
for a in $edus; do
	g=$(basename "$(readlink "/sys/bus/pci/devices/$a/iommu_group")")
	n=$(ls "/sys/kernel/iommu_groups/$g/devices" | wc -l)
	if [ "$n" = 1 ]; then alone=$a; else shared=$a; fi
done
echo "# edu devices: $(echo $edus) (alone in its group: ${alone:-none}; sharing: ${shared:-none})"
[ -n "$alone" ] || { echo "not ok - an edu device alone in its IOMMU group (guest topology)"; exit 1; }
group=$(basename "$(readlink "/sys/bus/pci/devices/$alone/iommu_group")")

# 1. find the IDs, define a model, probe
$PROBE --all >"$W/all" 2>"$W/all.err"
result "1. pcipass-probe --all lists 1234:11e8 with its IOMMU group ($alone, group $group)" \
	grep -Eq "^$alone +[0-9a-f]{4} +1234:11e8 +([0-9a-f]{4}:[0-9a-f]{4}|-) +- +$group " "$W/all"
$MODEL create Edu-Test ACCEL 1234 11e8 >/dev/null && $PROBE -q
result "1. after pcipass-model create and a probe, the inventory holds it" \
	bash -c "grep -A2 '^\[$alone\]' '$W/var/inventory.ini' | grep -q '^model *= Edu-Test$'"

# 2. launch L3 with the device
cat >"$W/l3.ini" <<VM
[vm]
name    = l3
memory  = 128M
accel   = tcg
paused  = true

[devices]
Edu-Test = 1
VM
$RUN "$W/l3.ini" >"$W/l3.out" 2>"$W/l3.err" &
l3=$!
python3 "$E2E_QMP" "$W/run/vms/l3.qmp" query-pci >"$W/pci" 2>"$W/qmp.err"
st=$?
sed 's/^/# query-pci: /' "$W/pci"
result "2. pcipass-run bound it to vfio-pci (sysfs driver link)" test "$(driver "$alone")" = vfio-pci
nobody=$(id -u nobody)
result "2. L3 runs as nobody (real, effective, saved, fs uid)" \
	test "$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$l3/status")" = "$nobody $nobody $nobody $nobody"
result "2. L3 runs under our seccomp filter (Seccomp: 2)" grep -q '^Seccomp:[[:space:]]*2$' "/proc/$l3/status"
result "2. L3 has the memlock limit (128 MiB + 1 GiB)" \
	bash -c "grep '^Max locked memory' '/proc/$l3/limits' | grep -q ' $(((128 + 1024) << 20)) *$(((128 + 1024) << 20)) '"
result "2. L3's query-pci shows 1234:11e8" bash -c "test $st = 0 && grep -qx 'device 1234:11e8' '$W/pci'"

# 3. a second launch for the same model while L3 lives
sed 's/^name .*/name = l3b/; s/^Edu-Test = 1$/Edu-Test = 2/' "$W/l3.ini" >"$W/l3b.ini"
before=$(driver "$alone"; ls "$W/run/claims")
$RUN "$W/l3b.ini" >/dev/null 2>"$W/l3b.err"
st=$?
result "3. a second pcipass-run for the model while L3 lives exits 69 (2 asked for, 1 free)" \
	bash -c "test $st = 69 && tail -n 1 '$W/l3b.err' | grep -q 'l3b.ini:8: 2 Edu-Test asked for, 1 free (2 in all)$'"
result "3. ... and changes nothing" test "$(driver "$alone"; ls "$W/run/claims")" = "$before"
$PROBE --list >"$W/list"
result "3. pcipass-probe --list shows the claim with VM name and pid" \
	grep -q "^$alone .*claimed by l3 (pid $l3)$" "$W/list"

# 4. L3 quits: the claim is free at once; --release gives the device back
python3 "$E2E_QMP" "$W/run/vms/l3.qmp" quit >/dev/null 2>&1
wait $l3
$PROBE --list >"$W/list"
result "4. after L3 quits, the claim is free at once" grep -q "^$alone .*free (not yet released)$" "$W/list"
$RUN --release >"$W/rel" 2>&1
result "4. pcipass-run --release returns the device to no driver, as it was" \
	bash -c "test -z \"\$(readlink /sys/bus/pci/devices/$alone/driver)\" && test ! -e '$W/run/claims/$alone' && test \"\$(cat /sys/bus/pci/devices/$alone/driver_override)\" = '(null)'"
$PROBE -q
result "4. the inventory stays right (the device, free, no driver)" \
	bash -c "awk '/^\[/ { s = \$0 } s == \"[$alone]\"' '$W/var/inventory.ini' | grep -q '^driver *=$'"

# 5. an IOMMU group shared with a function bound to a host driver
if [ -n "$shared" ]; then
	sg=$(basename "$(readlink "/sys/bus/pci/devices/$shared/iommu_group")")
	other=$(ls "/sys/kernel/iommu_groups/$sg/devices" | grep -vx "$shared" | head -n 1)
	printf '[vm]\nname = l3c\nmemory = 128M\naccel = tcg\npaused = true\n[devices]\naddress = %s\n' "$shared" >"$W/l3c.ini"
	before=$(driver "$shared"; driver "$other"; ls "$W/run/claims")
	$RUN "$W/l3c.ini" >/dev/null 2>"$W/l3c.err"
	st=$?
	result "5. a device whose group holds $other (on $(driver "$other")): refused (69), naming it" \
		bash -c "test $st = 69 && tail -n 1 '$W/l3c.err' | grep -q 'IOMMU group $sg also holds $other, bound to $(driver "$other")'"
	result "5. ... and nothing changed" test "$(driver "$shared"; driver "$other"; ls "$W/run/claims")" = "$before"
else
	echo "not ok - 5. no edu device shares an IOMMU group here (guest topology)"
	fails=$((fails + 1))
fi
for f in "$W"/*.err; do [ -s "$f" ] && sed "s|^|# ${f##*/}: |" "$f"; done
exit $((fails > 0))
