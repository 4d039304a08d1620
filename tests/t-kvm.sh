#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# /dev/kvm for the default identity: the shipped pcipass.conf (the package's conffile, `make
# install`'s /etc/pcipass/pcipass.conf) gives every VM a dynamic uid of its own and the group
# kvm, which is what /dev/kvm (root:kvm 0660 on Debian) asks. Checked on this host's /dev/kvm:
#  - pcipass-run --dry-run (its preflight opens /dev/kvm as the VM's identity) says yes, and
#    says no, naming vm_groups, once vm_groups is emptied;
#  - the real QEMU, launched by pcipass-run with accel = kvm and paused (a paused guest runs no
#    code: creating the VM is enough), has KVM enabled (QMP query-kvm), and cannot start without
#    the group. Where even root's QEMU cannot create a guest with -cpu host (some nested hosts
#    refuse an MSR), the identity's QEMU must get exactly as far as root's, with no KVM access
#    error, instead of answering on QMP.
# Only the state, models and sysfs paths of the shipped file are changed, to a fake host.
. "$(dirname "$0")/lib.sh"

RUN=$BUILD/pcipass-run
if [ ! -c /dev/kvm ]; then
	skip "/dev/kvm for the default identity: this host has no /dev/kvm (no kvm-intel or kvm-amd)"
	exit 0
fi
root_with_nobody "/dev/kvm for the default identity" || exit 0
if ! KVM_GID=$(getent group kvm | cut -d: -f3) || [ -z "$KVM_GID" ]; then
	skip "/dev/kvm for the default identity: no group kvm on this host (udev makes it)"
	exit 0
fi
echo "# /dev/kvm: $(stat -c '%U:%G %a' /dev/kvm)"
mkhost kvm "$ROOT/tests/hosts/empty.host" || { failt "mkhost"; exit 1; }
# the shipped dynamic_ids (the built-in default is the same range)
read -r LO HI < <(sed -n 's/^dynamic_ids *= *\([0-9]*\)-\([0-9]*\)$/\1 \2/p' "$ROOT/conf/pcipass.conf")
# dynamic UID: UID is a dynamic id of the shipped range
dynamic() { [ -n "$1" ] && [ "$1" -ge "${LO:-1}" ] && [ "$1" -le "${HI:-0}" ]; }

# shipped SRC DEST: SRC with the fake host's sysfs, models, inventory and state; every other
# line as shipped (run_as, dynamic_ids, vm_groups, dev_root = /dev, qemu)
shipped() {
	sed -e "s|^sysfs_root *=.*|sysfs_root = $H/sys|" -e "s|^models_dir *=.*|models_dir = $H/etc/models.d|" \
		-e "s|^inventory *=.*|inventory = $H/var/inventory.ini|" -e "s|^state_dir *=.*|state_dir = $H/run|" \
		"$1" >"$2"
	chmod 0644 "$2"
}
C=$H/etc/shipped.conf
shipped "$ROOT/conf/pcipass.conf" "$C"
check "the shipped pcipass.conf: run_as = dynamic, vm_groups = kvm, dev_root = /dev" \
	bash -c "grep -qx 'run_as *= *dynamic' '$C' && grep -qx 'vm_groups *= *kvm' '$C' && grep -qx 'dev_root *= *\/dev' '$C'"
# the built-in defaults agree: the same file without those three keys
CD=$H/etc/defaults.conf
grep -v -e '^run_as' -e '^vm_groups' -e '^dynamic_ids' "$C" >"$CD"
chmod 0644 "$CD"
# and without vm_groups' value: no group at all
CN=$H/etc/nogroup.conf
sed 's/^vm_groups *=.*/vm_groups =/' "$C" >"$CN"
chmod 0644 "$CN"
printf '[vm]\nname = kvm-1\nmemory = 128M\naccel = kvm\npaused = true\n' >"$TMPROOT/kvm.ini"

# --- the preflight ---
for c in "$C" "$CD"; do
	what=${c##*/}
	$RUN -c "$c" --dry-run "$TMPROOT/kvm.ini" >"$TMPROOT/out" 2>"$TMPROOT/err"
	st=$?
	check "$what: --dry-run of an accel = kvm VM: exit 0, nothing on stderr" test $st = 0 -a ! -s "$TMPROOT/err"
	id=$(sed -n "s/^identity: uid \([0-9]*\), gid \1, groups kvm($KVM_GID)$/\1/p" "$TMPROOT/out")
	check "$what: the identity is a dynamic uid ($id, its gid the same) with group kvm ($KVM_GID)" dynamic "$id"
done
$RUN -c "$CN" --dry-run "$TMPROOT/kvm.ini" >/dev/null 2>"$TMPROOT/err"
check "vm_groups emptied: --dry-run refuses (77)" test $? = 77
check "vm_groups emptied: the line names /dev/kvm and vm_groups" \
	grep -q "accel = kvm: /dev/kvm: the VM's identity (uid [0-9]*, gid [0-9]*, groups none) cannot open it read-write .*list its group in vm_groups" "$TMPROOT/err"

# --- the real QEMU ---
QEMU=$(sed -n 's/^qemu *= *//p' "$C")
# qmp SOCKET: query-kvm, then quit; prints "enabled=... present=..."
qmp() {
	python3 - "$1" <<'EOF'
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
f = s.makefile("rw")
def reply():
    while True:
        m = json.loads(f.readline())
        if "return" in m or "error" in m:
            return m
f.readline()  # the greeting
for cmd in ("qmp_capabilities", "query-kvm"):
    f.write(json.dumps({"execute": cmd}) + "\n"); f.flush()
    r = reply()
k = r["return"]
print("enabled=%s present=%s" % (str(k["enabled"]).lower(), str(k["present"]).lower()))
f.write(json.dumps({"execute": "quit"}) + "\n"); f.flush()
reply()
EOF
}
# Can root itself create a paused guest here with the CPU pcipass-run asks for (-cpu host)?
# This host's KVM may refuse that later step (an MSR write): then QMP is never reached, and
# only what comes before it (opening /dev/kvm, creating the VM) is checked.
if printf '%s\n' '{"execute":"qmp_capabilities"}' '{"execute":"query-kvm"}' '{"execute":"quit"}' |
	timeout 20 "$QEMU" -machine q35,accel=kvm -cpu host -S -nodefaults -display none -m 128 -qmp stdio \
		2>"$TMPROOT/root.err" | grep -q '"enabled": true'; then
	kvm_ok=1
else
	kvm_ok=0
fi
# (in a subshell whose own stderr is dropped: bash's note when QEMU aborts is not the test's)
($RUN -c "$C" "$TMPROOT/kvm.ini" >"$TMPROOT/qemu.out" 2>"$TMPROOT/qemu.err"; exit $?) 2>/dev/null &
vm=$!
for _ in $(seq 100); do [ -S "$H/run/vms/kvm-1.qmp" ] || ! kill -0 $vm 2>/dev/null && break; sleep 0.1; done
sleep 0.5
if [ $kvm_ok = 1 ]; then
	if got=$(qmp "$H/run/vms/kvm-1.qmp" 2>"$TMPROOT/qmp.err"); then
		check "shipped pcipass.conf: QEMU started with accel = kvm, KVM enabled (query-kvm)" \
			test "$got" = "enabled=true present=true"
	else
		failt "shipped pcipass.conf: QEMU started with accel = kvm and answered on QMP"
		sed 's/^/#   /' "$TMPROOT/qemu.err" "$TMPROOT/qmp.err"
	fi
	timeout 20 tail --pid=$vm -f /dev/null
	wait $vm
	check "shipped pcipass.conf: QEMU quit cleanly when asked (exit 0)" test $? = 0
else
	# Not a skip: what this test is about, the identity's access to /dev/kvm, is still checked
	# (the same progress as root's, and no access error); only QMP is out of reach.
	echo "# even root's QEMU cannot create a KVM guest with -cpu host here ($(grep -m1 error "$TMPROOT/root.err")): QMP not checked"
	timeout 20 tail --pid=$vm -f /dev/null
	kill $vm 2>/dev/null
	wait $vm 2>/dev/null
	check "shipped pcipass.conf: QEMU as the VM's identity got as far as root's (the same first error)" \
		bash -c "[ -n \"\$(grep -m1 error '$TMPROOT/root.err')\" ] &&
			[ \"\$(grep -m1 error '$TMPROOT/qemu.err')\" = \"\$(grep -m1 error '$TMPROOT/root.err')\" ]"
fi
check "shipped pcipass.conf: QEMU, as the VM's identity, opened /dev/kvm and created the VM (no KVM access error)" \
	bash -c "grep -q 'exec $QEMU as uid [0-9]* gid [0-9]*$' '$TMPROOT/qemu.err' && ! grep -Eq 'Could not access KVM|failed to initialize kvm' '$TMPROOT/qemu.err'"
id=$(sed -n "s|.*exec $QEMU as uid \([0-9]*\) gid \1$|\1|p" "$TMPROOT/qemu.err")
check "shipped pcipass.conf: QEMU ran as a dynamic id ($id), not root" dynamic "$id"
# without the group: QEMU itself cannot open /dev/kvm, as the issue saw on a stock host
timeout 30 $RUN -c "$CN" "$TMPROOT/kvm.ini" >/dev/null 2>"$TMPROOT/qemu.err"
check "vm_groups emptied: QEMU fails to start" test $? != 0
check "vm_groups emptied: QEMU says it cannot access KVM (Permission denied)" \
	grep -q 'Could not access KVM kernel module: Permission denied' "$TMPROOT/qemu.err"
