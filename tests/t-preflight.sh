#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# pcipass-run --dry-run as a preflight (SPEC, Operating VMs; launcher/preflight.c): on a fake
# host that has what a launch needs, each thing broken on its own is reported in one line with
# its status (and vm.ini:line where vm.ini names it); several at once are all reported, in the
# launch's order, the first one's status the exit; a good setup passes; --json says the same in
# one document; and nothing changed: the state directory, image dir, sysfs and dev trees list
# the same before and after, an absent state directory stays absent, no interface appears.
. "$(dirname "$0")/lib.sh"

RUN=$BUILD/pcipass-run
if [ "$(id -u)" != 0 ]; then
	skip "preflight tests: --dry-run checks as root (switches to the VM's ids, opens what root opens)"
	exit 0
elif ! getent group kvm >/dev/null || ! id nobody >/dev/null 2>&1; then
	skip "preflight tests: need a group kvm and a user nobody"
	exit 0
elif ! command -v setpriv >/dev/null || ! command -v python3 >/dev/null; then
	skip "preflight tests: need setpriv and python3"
	exit 0
fi
HOLDERS=()
trap 'kill "${HOLDERS[@]}" 2>/dev/null; rm -rf "$TMPROOT"' EXIT

mkhost pre "$ROOT/conf/example-host.txt" || { failt "mkhost"; exit 1; }
$MODEL -c "$CONF" create Atlas-800 NPU 19e5 d801 >/dev/null
$PROBE -c "$CONF" -q

# What a launch needs, on the fake host: an image dir with disks, a kernel and an initrd;
# <dev_root>/kvm (root:kvm 0660, as Debian has it) and net/tun; a tap, a bridge and an
# interface that is neither; NUMA nodes 0 and 1; a QEMU anyone may run, one only root may.
mkdir -p "$H/img" "$H/bin" "$H/dev/net" "$H/sys/class/net/tap0" "$H/sys/class/net/br0/bridge" \
	"$H/sys/class/net/eth0" "$H/sys/devices/system/node/node0" "$H/sys/devices/system/node/node1"
echo 0x1002 >"$H/sys/class/net/tap0/tun_flags"
truncate -s 1M "$H/img/ro.raw" "$H/img/rw.raw"
echo kernel >"$H/img/vmlinuz"
echo initrd >"$H/img/initrd"
truncate -s 300M "$H/img/huge" # larger than a 256M VM's memory (sparse: nothing is copied)
ln -s /etc/shadow "$H/img/evil"
cp /bin/sleep "$H/img/busy" # run below: a file root cannot open for writing (ETXTBSY)
mknod "$H/dev/kvm" c 10 232 && chgrp kvm "$H/dev/kvm" && chmod 0660 "$H/dev/kvm"
mknod "$H/dev/net/tun" c 10 200
# a dev_root without kvm, one whose kvm is a regular file, one without net/tun
mkdir -p "$H/dev-nokvm/net" "$H/dev-filekvm/net" "$H/dev-notun"
mknod "$H/dev-nokvm/net/tun" c 10 200
mknod "$H/dev-filekvm/net/tun" c 10 200
: >"$H/dev-filekvm/kvm"
mknod "$H/dev-notun/kvm" c 10 232 && chgrp kvm "$H/dev-notun/kvm" && chmod 0660 "$H/dev-notun/kvm"
cp /bin/true "$H/bin/qemu"
install -m 0700 /bin/true "$H/bin/qemu-root-only"
# state directories: a group-writable one; leases of running VMs, held by live processes
mkdir -m 0775 "$H/run-gw"
mkdir -p -m 0755 "$H/run/vms"
mkdir -p -m 0700 "$H/run/ids"
chmod -R go-w "$H/img" "$H/bin" "$H/sys" "$H/etc" "$H/var"
chmod 0755 "$H/run" "$H/run/vms"

# hold FILE VM: a live process holds FILE as the lease of VM (its record, then a lock), as a
# running VM's QEMU holds its name and uid leases
hold() {
	python3 - "$1" "$2" >"$TMPROOT/hold.out" <<'PY' &
import fcntl, os, sys, time
start = open("/proc/self/stat").read().rsplit(")", 1)[1].split()[19]
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
os.write(fd, ("vm=%s\npid=%d\nstart=%s\n" % (sys.argv[2], os.getpid(), start)).encode())
fcntl.lockf(fd, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(3600)
PY
	HOLDERS+=($!)
	for _ in $(seq 100); do grep -q held "$TMPROOT/hold.out" 2>/dev/null && return 0; sleep 0.05; done
	failt "hold $1: never held"
}
"$H/img/busy" 3600 &
HOLDERS+=($!)
hold "$H/run/vms/held-1.lock" held-1
hold "$H/run/ids/1879050000" other-vm
hold "$H/run/ids/$(id -u nobody)" other-vm

# conf NAME [KEY = VALUE...]: the host's config with the image dir, the QEMU and vm_groups of a
# good setup; each KEY given replaces that key
conf() {
	local f=$TMPROOT/$1.conf kv
	shift
	{ cat "$CONF"; printf 'image_dirs = %s\nqemu = %s\nvm_groups = kvm\n' "$H/img" "$H/bin/qemu"; } >"$f"
	for kv in "$@"; do
		sed -i "/^${kv%% *} *=/d" "$f"
		printf '%s\n' "$kv" >>"$f"
	done
	chmod 0644 "$f"
	echo "$f"
}
G=$(conf good)

# vmini NAME [SED...]: the good VM (no devices) as $TMPROOT/NAME.ini, each sed expression applied.
# Its lines: 4 accel, 10 the writable disk's file, 12 and 15 the taps' [net], 21 kernel, 22 initrd.
vmini() {
	local f=$TMPROOT/$1.ini
	shift
	cat >"$f" <<EOF
[vm]
name = good-1
memory = 256M
accel = kvm
[disk]
file = $H/img/ro.raw
format = raw
readonly = true
[disk]
file = $H/img/rw.raw
format = raw
[net]
mode = tap
ifname = tap0
[net]
mode = tap
bridge = br0
[net]
mode = user
[boot]
kernel = $H/img/vmlinuz
initrd = $H/img/initrd
EOF
	for s in "$@"; do sed -i "$s" "$f"; done
	echo "$f"
}

# the trees a dry run must leave as they were: every entry's type, mode, owner, size, mtime, ctime
listing() {
	(cd "$H" && find . -printf '%p %y %m %u %g %s %T@ %C@\n' | LC_ALL=C sort)
	ls /sys/class/net
}
listing >"$TMPROOT/before"

pf() { # pf CONF INI [WRAPPER...]: --dry-run; its status in st, output in $TMPROOT/out and err
	local c=$1 i=$2
	shift 2
	"$@" "$RUN" -c "$c" --dry-run "$i" >"$TMPROOT/out" 2>"$TMPROOT/err"
	st=$?
}
# problem NAME STATUS LINE [CONF [SED...]]: the good VM with SED applied, under CONF (default
# the good one): exit STATUS, stderr exactly LINE (after "pcipass-run: vm good-1: "), and the
# plan still on stdout
problem() {
	local name=$1 want=$2 line=$3 c=${4:-$G}
	shift 3
	[ $# -gt 0 ] && shift
	pf "$c" "$(vmini "$name" "$@")"
	if [ "$st" = "$want" ] && [ "$(cat "$TMPROOT/err")" = "pcipass-run: vm good-1: $line" ] &&
		grep -q '^qemu:$' "$TMPROOT/out"; then
		pass "$name: exit $want, the one line, the plan on stdout"
	else
		failt "$name: exit $st (expected $want); stderr: $(cat "$TMPROOT/err")"
		echo "#   expected: pcipass-run: vm good-1: $line"
	fi
}

# a good setup passes: exit 0, nothing on stderr; the identity it would get, and MACs
V=$(vmini good)
ok_run "a good setup (disks, kernel, initrd, a tap, a bridge, user net, kvm)" $RUN -c "$G" --dry-run "$V"
check "good: the identity is the first free dynamic id, with group kvm" \
	grep -qx "identity: uid 18790[0-9]*, gid 18790[0-9]*, groups kvm($(getent group kvm | cut -d: -f3))" "$TMPROOT/out"
grep -o 'mac=[0-9a-f:]*' "$TMPROOT/out" >"$TMPROOT/macs"
check "good: each of the 3 NICs has a MAC of its own, locally administered unicast" \
	bash -c "[ \$(sort -u '$TMPROOT/macs' | wc -l) = 3 ] && ! grep -v '^mac=.[26ae]:' '$TMPROOT/macs'"
$RUN -c "$G" --dry-run "$V" 2>/dev/null | grep -o 'mac=[0-9a-f:]*' >"$TMPROOT/macs2"
check "good: the same MACs on the next run" cmp -s "$TMPROOT/macs" "$TMPROOT/macs2"
check "good: never QEMU's default MAC" bash -c "! grep -q 52:54:00:12:34:56 '$TMPROOT/out'"
A=$(conf absent "state_dir = $H/absent")
ok_run "a state directory not made yet: it would be" $RUN -c "$A" --dry-run "$V"
check "the absent state directory is still absent" test ! -e "$H/absent"

# each check, broken on its own
problem no-user 67 "no user pcipass-nouser (create it, or set run_as / user)" \
	"$(conf no-user 'run_as = pcipass-nouser')"
problem no-vm-user 67 "$TMPROOT/no-vm-user.ini:5: no user pcipass-nouser (create it, or set run_as / user)" \
	"$(conf no-vm-user 'allowed_users = pcipass-nouser')" '4a user = pcipass-nouser'
problem no-group 78 "$TMPROOT/no-group.conf: vm_groups: no group pcipass-nogroup on this host" \
	"$(conf no-group 'vm_groups = kvm pcipass-nogroup')"
pf "$G" "$(vmini name-running 's/^name = .*/name = held-1/')"
check "name-running: exit 69, one line: a VM of that name is running" \
	test "$st:$(cat "$TMPROOT/err")" = "69:pcipass-run: vm held-1: a VM named held-1 is running"
problem no-free-id 69 "no free id left in dynamic_ids 1879050000-1879050000" \
	"$(conf no-free-id 'dynamic_ids = 1879050000-1879050000')"
pf "$(conf uid-taken 'run_as = nobody')" "$V"
check "run_as = nobody, whose uid a live VM has: exit 69, one line naming that VM" bash -c \
	"[ $st = 69 ] && grep -qx 'pcipass-run: vm good-1: user nobody (uid $(id -u nobody)) already runs VM other-vm (pid [0-9]*); no two VMs share a uid' '$TMPROOT/err' && [ \$(wc -l <'$TMPROOT/err') = 1 ]"
problem numa 65 "$TMPROOT/numa.ini:5: numa_node = 7: expected a NUMA node of this host, got one it does not have (no $H/sys/devices/system/node/node7)" \
	"$G" '4a numa_node = 7'
problem no-kvm 69 "$TMPROOT/no-kvm.ini:4: accel = kvm: $H/dev-nokvm/kvm: expected the KVM device (the kvm-intel or kvm-amd module; or accel = tcg), got none" \
	"$(conf no-kvm "dev_root = $H/dev-nokvm")"
problem file-kvm 78 "$TMPROOT/file-kvm.ini:4: accel = kvm: $H/dev-filekvm/kvm: expected the KVM device, got not a character device" \
	"$(conf file-kvm "dev_root = $H/dev-filekvm")"
C=$(conf kvm-denied 'vm_groups = users')
pf "$C" "$(vmini kvm-denied)"
check "/dev/kvm the VM's groups cannot open: exit 77, one line naming accel's line, the mode and vm_groups" bash -c \
	"[ $st = 77 ] && [ \$(wc -l <'$TMPROOT/err') = 1 ] && grep -qx 'pcipass-run: vm good-1: $TMPROOT/kvm-denied.ini:4: accel = kvm: $H/dev/kvm: the VM.s identity (uid [0-9]*, gid [0-9]*, groups users) cannot open it read-write (mode 0660, owner 0:$(getent group kvm | cut -d: -f3)); list its group in vm_groups of $C: Permission denied' '$TMPROOT/err'"
pf "$G" "$(vmini tcg 's/^accel = kvm/accel = tcg/')"
check "accel = tcg: /dev/kvm not needed" test "$st:$(cat "$TMPROOT/err")" = "0:"
pf "$(conf no-kvm-tcg "dev_root = $H/dev-nokvm")" "$TMPROOT/tcg.ini"
check "accel = tcg on a host without /dev/kvm: exit 0" test "$st:$(cat "$TMPROOT/err")" = "0:"
pf "$(conf qemu-root "qemu = $H/bin/qemu-root-only")" "$V"
check "a QEMU only root can run: exit 78, one line" bash -c \
	"[ $st = 78 ] && grep -qx 'pcipass-run: vm good-1: qemu: $H/bin/qemu-root-only cannot be executed by the VM.s identity (uid [0-9]*): Permission denied' '$TMPROOT/err' && [ \$(wc -l <'$TMPROOT/err') = 1 ]"
problem no-disk 66 "$TMPROOT/no-disk.ini:10: [disk] file \"$H/img/none.raw\": expected an existing file, got none" \
	"$G" "s|$H/img/rw.raw|$H/img/none.raw|"
problem symlink-disk 77 "$TMPROOT/symlink-disk.ini:10: [disk] file \"$H/img/evil\": expected a path without symlinks beneath image dir $H/img, got a symlink" \
	"$G" "s|$H/img/rw.raw|$H/img/evil|"
problem busy-disk 77 "$TMPROOT/busy-disk.ini:10: [disk] file \"$H/img/busy\": expected a file root can write (or readonly = true): Text file busy" \
	"$G" "s|$H/img/rw.raw|$H/img/busy|"
pf "$G" "$(vmini busy-ro "s|$H/img/rw.raw|$H/img/busy|" '11a readonly = true')"
check "that file as a read-only disk: fine (opened O_RDONLY only)" test "$st:$(cat "$TMPROOT/err")" = "0:"
problem no-kernel 66 "$TMPROOT/no-kernel.ini:21: [boot] kernel \"$H/img/none\": expected an existing file, got none" \
	"$G" "s|$H/img/vmlinuz|$H/img/none|"
problem huge-initrd 65 "$TMPROOT/huge-initrd.ini:22: [boot] initrd \"$H/img/huge\": expected a file no larger than the VM's memory (256 MiB), got a larger one" \
	"$G" "s|$H/img/initrd|$H/img/huge|"
problem no-tap 66 "$TMPROOT/no-tap.ini:12: [net] ifname \"tap9\": expected an existing tap device, got no such interface" \
	"$G" 's/^ifname = tap0/ifname = tap9/'
problem not-tap 77 "$TMPROOT/not-tap.ini:12: [net] ifname \"eth0\": expected a tap device, got an interface that is not a tap" \
	"$G" 's/^ifname = tap0/ifname = eth0/'
problem no-bridge 66 "$TMPROOT/no-bridge.ini:15: [net] bridge \"br9\": expected an existing bridge, got no such interface" \
	"$G" 's/^bridge = br0/bridge = br9/'
problem not-bridge 77 "$TMPROOT/not-bridge.ini:15: [net] bridge \"eth0\": expected a bridge, got an interface that is not one" \
	"$G" 's/^bridge = br0/bridge = eth0/'
pf "$(conf no-tun "dev_root = $H/dev-notun")" "$V"
check "no <dev_root>/net/tun: exit 71, a line for each tap (12, 15)" bash -c "[ $st = 71 ] &&
	grep -qx 'pcipass-run: vm good-1: $V:12: \\[net\\] ifname \"tap0\": cannot open $H/dev-notun/net/tun: No such file or directory' '$TMPROOT/err' &&
	grep -qx 'pcipass-run: vm good-1: $V:15: \\[net\\] bridge \"br0\": cannot open $H/dev-notun/net/tun: No such file or directory' '$TMPROOT/err' &&
	[ \$(wc -l <'$TMPROOT/err') = 2 ]"
problem state-writable 78 "$H/run-gw: refusing it: writable by group or others (mode 0775)" \
	"$(conf state-writable "state_dir = $H/run-gw")"
problem state-no-parent 73 "$H/no/run: cannot be made: $H/no: No such file or directory" \
	"$(conf state-no-parent "state_dir = $H/no/run")"

# devices: the VFIO driver and RLIMIT_MEMLOCK (memory + 1 GiB)
D=$(vmini devices 's/^accel = kvm/accel = tcg/' '4a [devices]\nAtlas-800 = 1')
pf "$(conf no-vfio 'vfio_driver = vfio-nothere')" "$D"
check "devices on a VFIO driver not loaded: exit 71, its line first" bash -c "[ $st = 71 ] &&
	head -n 1 '$TMPROOT/err' | grep -qx 'pcipass-run: vm good-1: vfio-nothere is not loaded: modprobe vfio-nothere'"
memlock_line="pcipass-run: vm good-1: RLIMIT_MEMLOCK: expected to raise it to 1280 MiB (memory + 1 GiB: VFIO pins all guest memory), got a hard limit of 8192 KiB and no CAP_SYS_RESOURCE"
pf "$G" "$D" setpriv --bounding-set -sys_resource bash -c 'ulimit -l 8192 && exec "$@"' sh
check "devices, a hard memlock limit of 8 MiB and no CAP_SYS_RESOURCE: exit 71, one line" \
	test "$st:$(cat "$TMPROOT/err")" = "71:$memlock_line"
pf "$G" "$D"
if has_sys_resource || [ "$(ulimit -Hl)" = unlimited ]; then
	check "devices, on this host (RLIMIT_MEMLOCK can be raised): exit 0" test "$st:$(cat "$TMPROOT/err")" = "0:"
else # a container's root without CAP_SYS_RESOURCE: the launch would fail, and the preflight says so
	check "devices, on this host (no CAP_SYS_RESOURCE): exit 71, only the memlock line" bash -c \
		"[ $st = 71 ] && [ \$(wc -l <'$TMPROOT/err') = 1 ] && grep -q '^pcipass-run: vm good-1: RLIMIT_MEMLOCK: expected to raise it to 1280 MiB' '$TMPROOT/err'"
fi
check "devices: the plan shows the device and its root port" grep -q -- '-device vfio-pci,host=0000:3b:00.0' "$TMPROOT/out"

# not root: the plan, and one line saying nothing was checked
pf "$G" "$V" setpriv --reuid=nobody --regid=nogroup --clear-groups
check "not root: exit 77, one line, the plan on stdout" test "$st:$(grep -c '^qemu:' "$TMPROOT/out"):$(cat "$TMPROOT/err")" = \
	"77:1:pcipass-run: vm good-1: not checked whether the launch would succeed: that needs root (the VM's identity, /dev/kvm, QEMU, files and taps)"

# several at once: every one, in the launch's order, the first one's status
M=$(vmini many '4d' '3a numa_node = 7' "s|$H/img/rw.raw|$H/img/none.raw|" "s|$H/img/vmlinuz|$H/img/none|" 's/^ifname = tap0/ifname = tap9/')
C=$(conf many 'vm_groups = users')
pf "$C" "$M"
cat >"$TMPROOT/many.want" <<EOF
pcipass-run: vm good-1: $M:4: numa_node = 7: expected a NUMA node of this host, got one it does not have (no $H/sys/devices/system/node/node7)
pcipass-run: vm good-1: $M: accel = kvm: $H/dev/kvm: the VM's identity (uid @UID@, gid @UID@, groups users) cannot open it read-write (mode 0660, owner 0:$(getent group kvm | cut -d: -f3)); list its group in vm_groups of $C: Permission denied
pcipass-run: vm good-1: $M:10: [disk] file "$H/img/none.raw": expected an existing file, got none
pcipass-run: vm good-1: $M:21: [boot] kernel "$H/img/none": expected an existing file, got none
pcipass-run: vm good-1: $M:12: [net] ifname "tap9": expected an existing tap device, got no such interface
EOF
sed -i 's/(uid [0-9]*, gid [0-9]*,/(uid @UID@, gid @UID@,/' "$TMPROOT/err"
check "several problems at once: exit 65 (the first's), all five lines in the launch's order" \
	bash -c "[ $st = 65 ] && diff -u '$TMPROOT/many.want' '$TMPROOT/err'" ||
	diff -u "$TMPROOT/many.want" "$TMPROOT/err" | sed 's/^/#   /'

# --json: one document, the same problems and status
if command -v jq >/dev/null; then
	"$RUN" -c "$C" --dry-run --json "$M" >"$TMPROOT/many.json" 2>"$TMPROOT/many.err"
	st=$?
	check "--json, several problems: exit 65, valid JSON (python3 -m json.tool)" bash -c \
		"[ $st = 65 ] && python3 -m json.tool '$TMPROOT/many.json' >/dev/null"
	check "--json, several problems: ok false, the statuses 65 77 66 66 66" test \
		"$(jq -c '[.ok, [.problems[].status]]' "$TMPROOT/many.json")" = "[false,[65,77,66,66,66]]"
	check "--json, several problems: each message is its stderr line" bash -c "diff <(jq -r '.problems[].message' '$TMPROOT/many.json') <(sed 's/^pcipass-run: vm good-1: //' '$TMPROOT/many.err')"
	"$RUN" -c "$G" --dry-run --json "$D" >"$TMPROOT/dev.json" 2>/dev/null
	check "--json, a VM with a device: the fields" test "$(jq -c '[.vm, .user, (.uid|type), .memory_mib, .memlock_mib, .cpus, .machine, .accel, .devices]' "$TMPROOT/dev.json")" = \
		'["good-1","dynamic","number",256,1280,1,"q35","tcg",[{"address":"0000:3b:00.0","model":"Atlas-800","dev_type":"NPU","numa_node":0,"iommu_group":17,"driver":null,"to":"vfio-pci","goes_with":null}]]'
	check "--json: the descriptors, as the plan's table" test "$(jq -c '[.descriptors[] | select(.kind == "drive" or .kind == "lock")] | map([.fd, .kind, .rdonly, .fdset]) ' "$TMPROOT/dev.json")" = \
		'[[4,"lock",true,null],[5,"lock",true,null],[6,"lock",true,null],[7,"drive",true,1],[8,"drive",true,2],[9,"drive",false,2]]'
	check "--json: QEMU's argv, every word a string" bash -c "[ \"\$(jq -r '.argv[0]' '$TMPROOT/dev.json')\" = '$H/bin/qemu' ] &&
		jq -e '.argv | all(type == \"string\") and (length > 20)' '$TMPROOT/dev.json' >/dev/null"
	"$RUN" -c "$G" --dry-run --json "$V" >"$TMPROOT/good.json" 2>"$TMPROOT/good.err"
	check "--json, a good setup: exit 0, ok true, no problem" bash -c "[ $? = 0 ] && [ ! -s '$TMPROOT/good.err' ] &&
		[ \"\$(jq -c '[.ok, .problems]' '$TMPROOT/good.json')\" = '[true,[]]' ]"
	T=$(vmini too-many '4a [devices]\nAtlas-800 = 3')
	"$RUN" -c "$G" --dry-run --json "$T" >"$TMPROOT/tm.json" 2>"$TMPROOT/tm.err"
	st=$?
	check "--json, devices that cannot be planned: exit 69, the document with that one problem" bash -c "[ $st = 69 ] &&
		[ \"\$(jq -c '[.ok, .devices, .argv, [.problems[].status]]' '$TMPROOT/tm.json')\" = '[false,[],[],[69]]' ] &&
		[ \$(wc -l <'$TMPROOT/tm.err') = 1 ]"
else
	skip "--dry-run --json checks: jq not installed"
fi

# nothing changed by any of it
listing >"$TMPROOT/after"
check "nothing changed: the state dir, image dir, sysfs and dev trees and the host's interfaces list the same" \
	cmp -s "$TMPROOT/before" "$TMPROOT/after" || diff "$TMPROOT/before" "$TMPROOT/after" | head -20 | sed 's/^/#   /'
check "nothing changed: no state directory made for the absent ones" \
	bash -c "[ ! -e '$H/absent' ] && [ ! -e '$H/no' ] && [ ! -e '$H/run/claims' ] && [ -z \"\$(ls '$H/run-gw')\" ]"
