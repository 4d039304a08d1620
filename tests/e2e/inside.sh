#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The end-to-end test, inside the guest of tests/guest/run.sh (real kernel, intel-iommu,
# vfio-pci): QEMU's edu device 1234:11e8 passed through by the real pcipass tools to a nested,
# real QEMU ("L3"), with the host's default isolation (run_as = dynamic, SPEC "Isolation").
# One result line per assertion ("ok - " / "not ok - "), as SPEC's workflow:
#   1. probe --all lists the device with its IOMMU group; a model for it; the inventory has it;
#   2. pcipass-run binds it to vfio-pci and runs L3 as the first dynamic uid (gid the same,
#      groups exactly vm_groups), under our filter, with the memlock limit, detached (own
#      session, cwd /, stdin /dev/null); /dev/vfio/<group> is that uid's, the QMP socket
#      root's; L3's query-pci shows 1234:11e8; two disks under image_dirs (root's, 0600) reach
#      it by descriptor (/dev/fdset/N; leases and claim read-only too): it writes the writable
#      one and cannot write the read-only one, while its uid cannot open either by path;
#   3. a second launch while L3 lives: 69, nothing changed; --list shows the claim;
#   4. L3 gone: the claim is free at once; --release returns the device to no driver and
#      frees the uid;
#   5. an edu device sharing its IOMMU group with a function bound to a host driver: refused,
#      naming it;
#   6. the device left on vfio-pci (bound by hand): a vm.ini naming a file outside image_dirs,
#      and one naming a symlink inside them, refused (77) with one line each, nothing changed;
#      L3 again gets the same (freed) uid and the VFIO node, which --release gives back to root;
#   7. a device on a real host driver, an e1000e NIC (8086:10d3) on e1000e: a model, the
#      inventory shows it on e1000e; L3 gets it (sysfs: vfio-pci, driver_override vfio-pci;
#      query-pci shows it); a second launch for it while L3 lives: 69, nothing changed; after
#      L3, --release gives it back to e1000e (driver link, an interface again), the override
#      cleared, its VFIO node gone, no claim and no uid lease left.
# Expects the guest's devices (tests/e2e/run.sh): edu alone on one root port, behind a second
# root port a multifunction edu at function 0 with a virtio-rng at function 1, and an e1000e
# alone behind a third.
set -u
B=${BUILD:?}
E2E_QMP=$(dirname "$0")/qmp.py
W=${TMPDIR:-/run/tmp}/e2e
rm -rf "$W"
mkdir -p "$W/etc/models.d" "$W/var" "$W/run" "$W/images"
QEMU=$(command -v qemu-system-x86_64)
C=$W/etc/pcipass.conf
# run_as is left out: its default, dynamic, is what is tested
cat >"$C" <<CONF
[host]
models_dir = $W/etc/models.d
inventory  = $W/var/inventory.ini
state_dir  = $W/run
qemu       = $QEMU
vm_groups  = kvm
image_dirs = $W/images
CONF
# The disks: root's and 0600, as pcipass.conf(5) says to give a VM a disk (no chown)
printf 'PCIPASS-E2E-RO' >"$W/images/ro.raw"
truncate -s 16M "$W/images/ro.raw" "$W/images/rw.raw"
chmod 0600 "$W/images/ro.raw" "$W/images/rw.raw"
first=1879048192 # the first id of dynamic_ids' default
kvm=$(getent group kvm | cut -d: -f3)
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
owner() { stat -c '%u %g %a' "$1" 2>/dev/null || echo "no $1"; }
# The descriptors PID holds on images and state files, as "PATH ro|rw" (its access mode), sorted.
fds_of() {
	local fd target line flags
	find "/proc/$1/fd" -mindepth 1 -printf '%f %l\n' | while read -r fd target; do
		case $target in "$W"/images/* | "$W"/run/*) ;; *) continue ;; esac
		flags=
		while read -r line; do
			case $line in flags:*) flags=${line#flags:} ;; esac
		done <"/proc/$1/fdinfo/$fd"
		flags=${flags//[[:space:]]/} # octal, with its leading 0
		if [ $((flags & 3)) = 0 ]; then echo "$target ro"; else echo "$target rw"; fi
	done | LC_ALL=C sort -u
}

[ -n "$kvm" ] || { echo "not ok - group kvm exists in the guest (vm_groups)"; exit 1; }
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
node=/dev/vfio/$group
# what a launch may change: the device's driver, its VFIO node, claims, identity leases
state() { driver "$alone"; owner "$node"; ls "$W/run/claims" "$W/run/ids" 2>&1; }

# 1. find the IDs, define a model, probe
$PROBE --all >"$W/all" 2>"$W/all.err"
result "1. pcipass-probe --all lists 1234:11e8 with its IOMMU group ($alone, group $group)" \
	grep -Eq "^$alone +[0-9a-f]{4} +1234:11e8 +([0-9a-f]{4}:[0-9a-f]{4}|-) +- +$group " "$W/all"
$MODEL create Edu-Test ACCEL 1234 11e8 >/dev/null && $PROBE -q
result "1. after pcipass-model create and a probe, the inventory holds it" \
	bash -c "grep -A2 '^\[$alone\]' '$W/var/inventory.ini' | grep -q '^model *= Edu-Test$'"

# 2. launch L3 with the device and two disks (line 8 is the model's, as step 3 says)
cat >"$W/l3.ini" <<VM
[vm]
name    = l3
memory  = 128M
accel   = tcg
paused  = true

[devices]
Edu-Test = 1

[disk]
file     = $W/images/ro.raw
format   = raw
readonly = true

[disk]
file   = $W/images/rw.raw
format = raw
VM
# stdin is a file here, so that QEMU's /dev/null is the launcher's doing
$RUN "$W/l3.ini" <"$W/l3.ini" >"$W/l3.out" 2>"$W/l3.err" &
l3=$!
python3 "$E2E_QMP" --pid "$l3" "$W/run/vms/l3.qmp" query-pci query-block \
	'hmp:qemu-io disk0 "write -P 0x5a 0 4096"' 'hmp:qemu-io disk1 "write -P 0x5a 0 4096"' \
	>"$W/qmp" 2>"$W/qmp.err"
st=$?
sed 's/^/# qmp: /' "$W/qmp"
result "2. pcipass-run bound it to vfio-pci (sysfs driver link)" test "$(driver "$alone")" = vfio-pci
result "2. the launcher says what QEMU gets: the first dynamic uid, 1152 MiB memlock" \
	grep -qxF "pcipass-run: vm l3: QMP socket $W/run/vms/l3.qmp; memlock limit 1152 MiB; exec $QEMU as uid $first gid $first" "$W/l3.err"
result "2. L3 runs as the first dynamic uid $first (real, effective, saved, fs; not nobody, not 0)" \
	test "$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$l3/status")" = "$first $first $first $first"
result "2. L3's gid is the same, its groups exactly vm_groups (kvm, $kvm)" \
	test "$(awk '/^Gid:/ {print $2, $3, $4, $5} /^Groups:/ {$1 = ""; print "groups" $0}' "/proc/$l3/status")" = \
	"$first $first $first $first
groups $kvm"
result "2. L3's uid is leased in state_dir/ids, and nothing else is" test "$(ls "$W/run/ids")" = "$first"
result "2. L3 runs under our seccomp filter (Seccomp: 2)" grep -q '^Seccomp:[[:space:]]*2$' "/proc/$l3/status"
result "2. L3 has the memlock limit (128 MiB + 1 GiB)" \
	bash -c "grep '^Max locked memory' '/proc/$l3/limits' | grep -q ' $(((128 + 1024) << 20)) *$(((128 + 1024) << 20)) '"
read -r stat <"/proc/$l3/stat"
set -- ${stat##*) } # state ppid pgrp session tty_nr ...
result "2. L3 leads a session of its own, no controlling terminal, cwd /, stdin /dev/null" \
	test "$4 $5 $(readlink "/proc/$l3/cwd" "/proc/$l3/fd/0" | tr '\n' ' ')" = "$l3 0 / /dev/null "
result "2. $node is L3's uid's while it runs (0600)" test "$(owner "$node")" = "$first $first 600"
result "2. the QMP socket stays root's (0600)" \
	test "$(stat -c '%F %u %g %a' "$W/run/vms/l3.qmp")" = "socket 0 0 600"
result "2. L3's query-pci shows 1234:11e8" bash -c "test $st = 0 && grep -qx 'device 1234:11e8' '$W/qmp'"
result "2. L3's query-block: the disks on /dev/fdset/1 (read-only) and /dev/fdset/2 (read-write)" \
	test "$st $(grep '^drive ' "$W/qmp" | tr '\n' ' ')" = "0 drive disk0 /dev/fdset/1 ro drive disk1 /dev/fdset/2 rw "
fds=$(fds_of "$l3")
echo "$fds" | sed 's/^/# L3 holds: /'
result "2. L3's descriptors: leases and claim read-only; the read-only disk read-only, the other both" \
	test "$fds" = "$(printf '%s\n' "$W/images/ro.raw ro" "$W/images/rw.raw ro" "$W/images/rw.raw rw" \
		"$W/run/claims/$alone ro" "$W/run/ids/$first ro" "$W/run/vms/l3.lock ro" | LC_ALL=C sort)"
result "2. through its descriptor L3 wrote the writable disk (0x5a at 0, read back by root)" \
	test "$(od -An -tx1 -N4 "$W/images/rw.raw")" = " 5a 5a 5a 5a"
result "2. ... and could not write the read-only one (QEMU refused; the image as it was)" \
	test "$(grep -vE '^(device|drive) ' "$W/qmp")|$(head -c 14 "$W/images/ro.raw")" = "Block node is read-only|PCIPASS-E2E-RO"
setpriv --reuid="$first" --regid="$first" --groups="$kvm" -- cat "$W/images/ro.raw" "$W/images/rw.raw" \
	>/dev/null 2>"$W/asuid.err"
st=$?
result "2. L3's uid cannot open either disk by path (cat exits 1, Permission denied twice)" \
	test "$st|$(cat "$W/asuid.err")" = "1|cat: $W/images/ro.raw: Permission denied
cat: $W/images/rw.raw: Permission denied"
setpriv --reuid="$first" --regid="$first" --groups="$kvm" -- python3 -c \
	"import socket; socket.socket(socket.AF_UNIX).connect('$W/run/vms/l3.qmp')" >/dev/null 2>"$W/asuid.err"
st=$?
result "2. ... nor connect to its own QMP socket (exits 1, PermissionError)" \
	test "$st|$(tail -n 1 "$W/asuid.err")" = "1|PermissionError: [Errno 13] Permission denied"

# 3. a second launch for the same model while L3 lives
sed 's/^name .*/name = l3b/; s/^Edu-Test = 1$/Edu-Test = 2/' "$W/l3.ini" >"$W/l3b.ini"
before=$(state)
$RUN "$W/l3b.ini" >/dev/null 2>"$W/l3b.err"
st=$?
result "3. a second pcipass-run for the model while L3 lives exits 69 (2 asked for, 1 free)" \
	bash -c "test $st = 69 && tail -n 1 '$W/l3b.err' | grep -q 'l3b.ini:8: 2 Edu-Test asked for, 1 free (2 in all)$'"
result "3. ... and changes nothing (driver, VFIO node, claims, uid leases)" test "$(state)" = "$before"
$PROBE --list >"$W/list"
result "3. pcipass-probe --list shows the claim with VM name and pid" \
	grep -q "^$alone .*claimed by l3 (pid $l3)$" "$W/list"

# 4. L3 quits: the claim is free at once; --release gives the device back
python3 "$E2E_QMP" --pid "$l3" "$W/run/vms/l3.qmp" quit >/dev/null 2>&1
wait $l3
st=$?
result "4. L3 quits on QMP's quit (status 0)" test "$st" = 0
$PROBE --list >"$W/list"
result "4. after L3 quits, the claim is free at once" grep -q "^$alone .*free (not yet released)$" "$W/list"
result "4. ... and $node is still the uid's until --release" test "$(owner "$node")" = "$first $first 600"
$RUN --release >"$W/rel" 2>&1
st=$?
result "4. pcipass-run --release exits 0, one line: released, back to no driver" \
	test "$st|$(cat "$W/rel")" = "0|pcipass-run: vm l3: $alone: released, back to no driver"
result "4. ... the device on no driver, as it was; no claim; its VFIO node gone with vfio-pci" \
	bash -c "test -z \"\$(readlink /sys/bus/pci/devices/$alone/driver)\" && test ! -e '$W/run/claims/$alone' && test \"\$(cat /sys/bus/pci/devices/$alone/driver_override)\" = '(null)' && test ! -e '$node'"
result "4. ... and the uid's lease is gone" test -z "$(ls "$W/run/ids")"
$PROBE -q
result "4. the inventory stays right (the device, free, no driver)" \
	bash -c "awk '/^\[/ { s = \$0 } s == \"[$alone]\"' '$W/var/inventory.ini' | grep -q '^driver *=$'"

# 5. an IOMMU group shared with a function bound to a host driver
if [ -n "$shared" ]; then
	sg=$(basename "$(readlink "/sys/bus/pci/devices/$shared/iommu_group")")
	other=$(ls "/sys/kernel/iommu_groups/$sg/devices" | grep -vx "$shared" | head -n 1)
	printf '[vm]\nname = l3c\nmemory = 128M\naccel = tcg\npaused = true\n[devices]\naddress = %s\n' "$shared" >"$W/l3c.ini"
	before=$(driver "$shared"; driver "$other"; ls "$W/run/claims" "$W/run/ids")
	$RUN "$W/l3c.ini" >/dev/null 2>"$W/l3c.err"
	st=$?
	result "5. a device whose group holds $other (on $(driver "$other")): refused (69), naming it" \
		bash -c "test $st = 69 && tail -n 1 '$W/l3c.err' | grep -q 'IOMMU group $sg also holds $other, bound to $(driver "$other")'"
	result "5. ... and nothing changed" test "$(driver "$shared"; driver "$other"; ls "$W/run/claims" "$W/run/ids")" = "$before"
else
	echo "not ok - 5. no edu device shares an IOMMU group here (guest topology)"
	fails=$((fails + 1))
fi

# 6. the device on vfio-pci before the launch, so its VFIO node outlives --release
echo vfio-pci >"/sys/bus/pci/devices/$alone/driver_override"
echo "$alone" >/sys/bus/pci/drivers_probe
result "6. set-up: $alone bound to vfio-pci by hand, $node root's" \
	test "$(driver "$alone") $(owner "$node")" = "vfio-pci 0 0 600"
# a file outside image_dirs (refused as vm.ini is read), and a symlink inside them to one
# outside (refused as it is opened, after the uid is leased)
ln -s /etc/shadow "$W/images/shadow.raw"
sed -n '1,9p' "$W/l3.ini" >"$W/outside.ini"
printf '[disk]\nfile   = /etc/shadow\nformat = raw\n' >>"$W/outside.ini"
sed -n '1,9p' "$W/l3.ini" >"$W/link.ini"
printf '[disk]\nfile   = %s\nformat = raw\n' "$W/images/shadow.raw" >>"$W/link.ini"
before=$(state)
$RUN "$W/outside.ini" >"$W/outside.out" 2>"$W/outside.err"
st=$?
result "6. a [disk] file outside image_dirs (/etc/shadow): exit 77" test "$st" = 77
result "6. ... one line naming vm.ini:11" test "$(cat "$W/outside.out" "$W/outside.err")" = \
	"pcipass-run: $W/outside.ini:11: file: \"/etc/shadow\" is not under image_dirs ($W/images)"
result "6. ... nothing changed (driver, VFIO node, claims, uid leases)" test "$(state)" = "$before"
$RUN "$W/link.ini" >"$W/link.out" 2>"$W/link.err"
st=$?
result "6. a [disk] file that is a symlink under image_dirs (to /etc/shadow): exit 77" test "$st" = 77
result "6. ... one line naming vm.ini:10" test "$(cat "$W/link.out" "$W/link.err")" = \
	"pcipass-run: $W/link.ini:11: [disk] file \"$W/images/shadow.raw\": expected a path without symlinks beneath image dir $W/images, got a symlink"
result "6. ... nothing changed (driver, VFIO node, claims, uid leases)" test "$(state)" = "$before"
$RUN "$W/l3.ini" >"$W/l3-2.out" 2>"$W/l3-2.err" &
l3=$!
python3 "$E2E_QMP" --pid "$l3" "$W/run/vms/l3.qmp" query-status >/dev/null 2>"$W/qmp-2.err"
st=$?
result "6. L3 again: up, as the first dynamic uid again (freed by --release), owning $node" \
	test "$st|$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$l3/status")|$(owner "$node")" = \
	"0|$first $first $first $first|$first $first 600"
python3 "$E2E_QMP" --pid "$l3" "$W/run/vms/l3.qmp" quit >/dev/null 2>&1
wait $l3
st=$?
$RUN --release >"$W/rel" 2>&1
rst=$?
result "6. L3 quits (status 0); --release exits 0, one line: released, back to vfio-pci" \
	test "$st|$rst|$(cat "$W/rel")" = "0|0|pcipass-run: vm l3: $alone: released, back to vfio-pci"
result "6. ... the device stays on vfio-pci, $node root's again; no claim, no uid lease" \
	test "$(state)" = "$before"

# 7. a device on a real host driver: an e1000e NIC, which Debian's kernel binds to e1000e (the
# guest has no udev, so the module, from the host's /lib/modules over 9p, is loaded here),
# taken from e1000e, passed to L3, and given back to e1000e by --release
nic=$(grep -lx 0x10d3 /sys/bus/pci/devices/*/device | xargs -r -n1 dirname | xargs -r -n1 basename |
	while read -r a; do [ "$(cat "/sys/bus/pci/devices/$a/vendor")" = 0x8086 ] && echo "$a"; done)
modprobe e1000e >"$W/modprobe.out" 2>&1
st=$?
result "7. set-up: modprobe e1000e exits 0" test "$st" = 0
result "7. set-up: ... silently" test "$(cat "$W/modprobe.out")" = ""
result "7. set-up: one 8086:10d3 NIC ($nic), bound to e1000e by the kernel" \
	test "$(echo $nic)|$(driver "$nic")" = "$nic|e1000e"
if [ -z "$nic" ] || [ "$(driver "$nic")" != e1000e ]; then
	echo "not ok - 7. no e1000e NIC to take (guest topology or module); section 7 not run"
	for f in "$W"/*.err "$W"/modprobe.out; do [ -s "$f" ] && sed "s|^|# ${f##*/}: |" "$f"; done
	exit 1
fi
ng=$(basename "$(readlink "/sys/bus/pci/devices/$nic/iommu_group")")
nnode=/dev/vfio/$ng
result "7. set-up: $nic alone in IOMMU group $ng, no $nnode yet" \
	test "$(ls "/sys/kernel/iommu_groups/$ng/devices")|$(owner "$nnode")" = "$nic|no $nnode"
# what a launch may change: the NIC's driver and override, its VFIO node, claims, uid leases
nstate() {
	driver "$nic"
	cat "/sys/bus/pci/devices/$nic/driver_override"
	owner "$nnode"
	ls "$W/run/claims" "$W/run/ids" 2>&1
}
$MODEL create Nic-Test TESTNIC 8086 10d3 >"$W/nmodel.out" 2>"$W/nmodel.err"
st=$?
result "7. pcipass-model create Nic-Test TESTNIC 8086 10d3 exits 0" test "$st" = 0
result "7. ... one line on stdout, none on stderr" \
	test "$(cat "$W/nmodel.out")|$(cat "$W/nmodel.err")" = \
	"created model Nic-Test (TESTNIC, 8086:10d3) in $W/etc/models.d/Nic-Test.conf|"
$PROBE -q >"$W/nprobe.out" 2>"$W/nprobe.err"
st=$?
result "7. pcipass-probe -q exits 0" test "$st" = 0
result "7. ... and says nothing" test "$(cat "$W/nprobe.out" "$W/nprobe.err")" = ""
result "7. the inventory holds $nic as Nic-Test, on driver e1000e, group $ng" \
	test "$(awk '/^\[/ { s = $0 } s == "['"$nic"']" && /^(model|vendor_id|device_id|iommu_group|driver) /' \
		"$W/var/inventory.ini" | tr -s ' ')" = "model = Nic-Test
vendor_id = 8086
device_id = 10d3
iommu_group = $ng
driver = e1000e"
$PROBE --list >"$W/nlist" 2>"$W/nlist.err"
st=$?
result "7. pcipass-probe --list exits 0" test "$st" = 0
result "7. ... and shows $nic: Nic-Test, 8086:10d3, group $ng, e1000e, free" \
	grep -Eq "^$nic +Nic-Test +TESTNIC +8086:10d3 +[-0-9]+ +$ng +e1000e +free$" "$W/nlist"

cat >"$W/l3n.ini" <<VM
[vm]
name    = l3n
memory  = 128M
accel   = tcg
paused  = true

[devices]
Nic-Test = 1
VM
pre=$(nstate)
$RUN "$W/l3n.ini" >"$W/l3n.out" 2>"$W/l3n.err" &
l3n=$!
python3 "$E2E_QMP" --pid "$l3n" "$W/run/vms/l3n.qmp" query-pci >"$W/nqmp" 2>"$W/nqmp.err"
st=$?
sed 's/^/# qmp (l3n): /' "$W/nqmp"
result "7. L3 with the NIC: the launcher names the first dynamic uid" \
	grep -qxF "pcipass-run: vm l3n: QMP socket $W/run/vms/l3n.qmp; memlock limit 1152 MiB; exec $QEMU as uid $first gid $first" "$W/l3n.err"
result "7. L3 runs as the first dynamic uid $first" \
	test "$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$l3n/status")" = "$first $first $first $first"
result "7. $nic moved from e1000e to vfio-pci (sysfs driver link)" test "$(driver "$nic")" = vfio-pci
result "7. ... with driver_override vfio-pci" \
	test "$(cat "/sys/bus/pci/devices/$nic/driver_override")" = vfio-pci
result "7. ... e1000e let it go (no network interface left on it)" test ! -e "/sys/bus/pci/devices/$nic/net"
result "7. $nnode is L3's uid's while it runs (0600)" test "$(owner "$nnode")" = "$first $first 600"
result "7. the claim records the VM and e1000e to go back to" \
	test "$(grep -E '^(vm|orig_driver)=' "$W/run/claims/$nic" 2>&1)" = "vm=l3n
orig_driver=e1000e"
result "7. L3's query-pci exits 0" test "$st" = 0
result "7. ... and shows 8086:10d3" grep -qx 'device 8086:10d3' "$W/nqmp"

# a second launch asking for the NIC while L3 has it
sed 's/^name .*/name = l3m/' "$W/l3n.ini" >"$W/l3m.ini"
before=$(nstate)
$RUN "$W/l3m.ini" >"$W/l3m.out" 2>"$W/l3m.err"
st=$?
result "7. a second launch asking for the NIC while L3 lives exits 69" test "$st" = 69
result "7. ... its last line: vm.ini:8, 1 Nic-Test asked for, 0 free" \
	bash -c "tail -n 1 '$W/l3m.err' | grep -q 'l3m.ini:8: 1 Nic-Test asked for, 0 free (1 in all)$'"
result "7. ... and changes nothing (driver, override, VFIO node, claims, uid leases)" \
	test "$(nstate)" = "$before"

python3 "$E2E_QMP" --pid "$l3n" "$W/run/vms/l3n.qmp" quit >/dev/null 2>&1
wait $l3n
st=$?
result "7. L3 quits on QMP's quit (status 0)" test "$st" = 0
$RUN --release >"$W/nrel.out" 2>"$W/nrel.err"
st=$?
result "7. pcipass-run --release exits 0" test "$st" = 0
result "7. ... one line: released, back to e1000e" \
	test "$(cat "$W/nrel.out" "$W/nrel.err")" = "pcipass-run: vm l3n: $nic: released, back to e1000e"
result "7. $nic is back on its original driver, e1000e (sysfs driver link)" test "$(driver "$nic")" = e1000e
result "7. ... driver_override cleared ((null))" \
	test "$(cat "/sys/bus/pci/devices/$nic/driver_override")" = "(null)"
result "7. ... e1000e drives it again (a network interface on it)" \
	test "$(ls "/sys/bus/pci/devices/$nic/net" 2>/dev/null | wc -l)" = 1
result "7. ... $nnode gone with vfio-pci" test ! -e "$nnode"
result "7. ... no claim and no uid lease left" test "$(ls -A "$W/run/claims")|$(ls -A "$W/run/ids")" = "|"
result "7. ... all as before the launch" test "$(nstate)" = "$pre"
for f in "$W"/*.err; do [ -s "$f" ] && sed "s|^|# ${f##*/}: |" "$f"; done
exit $((fails > 0))
