#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# t-files.sh - the real QEMU takes a vm.ini's disks, kernel, initrd and taps by descriptor
# (launcher/files.c, through tests/fileshand.c): as a uid with no passwd entry and no right on
# any of those files, under QEMU's -sandbox, with no vm.ini path on its command line.
. "$(dirname "$0")/lib.sh"
TOOL=$BUILD/fileshand
QEMU=$(command -v qemu-system-x86_64)
VMUID=1879048999 # in dynamic_ids' default range, as a VM's would be
KERNEL=$(ls /boot/vmlinuz-* 2>/dev/null | head -1)

if [ "$(id -u)" != 0 ]; then
	skip "t-files: needs root (opens files as root, makes taps, becomes uid $VMUID)"
	exit 0
elif [ -z "$QEMU" ] || ! command -v ip >/dev/null || ! command -v python3 >/dev/null; then
	skip "t-files: needs qemu-system-x86_64, ip and python3"
	exit 0
elif [ -z "$KERNEL" ] || [ ! -r "$KERNEL" ]; then
	skip "t-files: needs a readable /boot/vmlinuz-* to boot"
	exit 0
elif ! unshare -n -m true 2>/dev/null; then
	skip "t-files: cannot make a network namespace for the taps (CAP_SYS_ADMIN)"
	exit 0
fi
check "uid $VMUID has no passwd entry" bash -c "! getent passwd $VMUID >/dev/null"

H=$TMPROOT/h
mkdir -p "$H/img" "$H/run/vms" "$H/sys" "$H/etc"
truncate -s 1M "$H/img/ro.raw" "$H/img/rw.raw"
cp "$KERNEL" "$H/img/vmlinuz"
echo "not an initrd" >"$H/img/initrd"
ln -s /etc/shadow "$H/img/evil"
chmod 0600 "$H/img"/*
chmod 0700 "$H/img"
# QEMU makes its VNC socket itself (-vnc takes no descriptor), in a directory of its own
mkdir -m 0700 "$H/run/vms/w.vnc"
chown "$VMUID:$VMUID" "$H/run/vms/w.vnc"
CONF=$H/etc/pcipass.conf
cat >"$CONF" <<EOF
[host]
state_dir  = $H/run
image_dirs = $H/img
sysfs_root = $H/sys
qemu       = $QEMU
EOF
vmini() { # vmini FILE DISK-FILE IFNAME: a paused TCG VM with two disks, two taps, a kernel
	cat >"$1" <<EOF
[vm]
name = w
memory = 256M
accel = tcg
paused = true
[disk]
file = $H/img/ro.raw
format = raw
readonly = true
[disk]
file = $2
format = raw
[net]
mode = tap
ifname = $3
[net]
mode = tap
bridge = pcbr0
[display]
vnc = true
serial = socket
[boot]
kernel = $H/img/vmlinuz
initrd = $H/img/initrd
append = console=ttyS0 earlyprintk=ttyS0 panic=-1
EOF
}
chmod -R go-w "$H"
check "the VM's uid cannot open the images by path" \
	bash -c "! setpriv --reuid=$VMUID --regid=$VMUID --clear-groups cat '$H/img/ro.raw' 2>/dev/null"

# run VM.INI in a network namespace with a bridge pcbr0 and a tap pctap0; sysfs_root is its sysfs
# (start becomes QEMU, so that in the background $! is QEMU's pid)
start() {
	exec unshare -n -m sh -c "mount -t sysfs sysfs '$H/sys' && ip link add pcbr0 type bridge &&
		ip tuntap add dev pctap0 mode tap && exec '$TOOL' '$CONF' '$1' $VMUID"
}
run() { (start "$1"); }

# refused before QEMU starts: one line naming vm.ini's line and the path, and the status
refused() { # refused ID STATUS DISK-FILE IFNAME MESSAGE
	vmini "$TMPROOT/$1.ini" "$3" "$4"
	run "$TMPROOT/$1.ini" >"$TMPROOT/out" 2>"$TMPROOT/err"
	local got=$?
	check "$1: exit $2, one line naming vm.ini's line and what it names" bash -c "[ $got = $2 ] && [ \$(wc -l <'$TMPROOT/err') = 1 ] &&
		grep -qxF -- 'fileshand: $TMPROOT/$1.ini:$5' '$TMPROOT/err' && [ ! -s '$TMPROOT/out' ]" ||
		echo "#   exit $got: $(cat "$TMPROOT/err")"
}
refused symlink 77 "$H/img/evil" pctap0 \
	"11: [disk] file \"$H/img/evil\": expected a path without symlinks beneath image dir $H/img, got a symlink"
refused missing-disk 66 "$H/img/none.raw" pctap0 \
	"11: [disk] file \"$H/img/none.raw\": expected an existing file, got none"
refused missing-tap 66 "$H/img/rw.raw" pcnone0 \
	"13: [net] ifname \"pcnone0\": expected an existing tap device, got no such interface"

vmini "$H/vm.ini" "$H/img/rw.raw" pctap0
start "$H/vm.ini" >"$TMPROOT/qemu.out" 2>"$TMPROOT/qemu.err" &
pid=$!
python3 - "$H/run/vms/w.qmp" "$H/run/vms/w.console" "$pid" >"$TMPROOT/qmp" 2>&1 <<'PY'
import json, os, socket, sys, time

def connect(path):
    s = socket.socket(socket.AF_UNIX)
    for _ in range(300):
        try:
            s.connect(path)
            return s
        except OSError:
            time.sleep(0.1)
    sys.exit("cannot connect to %s" % path)

f = connect(sys.argv[1]).makefile("rw")
json.loads(f.readline())

def ask(cmd, **args):
    f.write(json.dumps({"execute": cmd, "arguments": args}) + "\n")
    f.flush()
    while True:
        r = json.loads(f.readline())
        if "event" not in r:
            return r.get("return", r.get("error"))

def hmp(line):
    return ask("human-monitor-command", **{"command-line": line}).strip()

ask("qmp_capabilities")
with open("/proc/%s/status" % sys.argv[3]) as st:
    for line in st:
        if line.split(":")[0] in ("Uid", "Gid", "Groups", "Seccomp"):
            print(" ".join(line.split()))
with open("/proc/%s/cmdline" % sys.argv[3], "rb") as c:
    print("cmdline", c.read().replace(b"\0", b" ").decode())
for fd in sorted(os.listdir("/proc/%s/fd" % sys.argv[3]), key=int):
    target = os.readlink("/proc/%s/fd/%s" % (sys.argv[3], fd))
    if target.startswith("/memfd:"):
        print("fd", fd, target)
print("status", ask("query-status")["status"])
for b in ask("query-block"):
    if b.get("inserted"):
        print("block", b["device"], "ro" if b["inserted"]["ro"] else "rw", b["inserted"]["file"])
print("write disk0:", hmp('qemu-io disk0 "write -P 0x41 0 512"') or "done")
print("write disk1:", hmp('qemu-io disk1 "write -P 0x41 0 512"') or "done")
for line in hmp("info network").splitlines():
    print("network", line.strip())
console = connect(sys.argv[2])
console.settimeout(1)
ask("cont")
out, start = b"", time.time()
while time.time() - start < 120 and b"Linux version" not in out:
    try:
        out += console.recv(4096) or b""
    except socket.timeout:
        pass
print("console", "Linux version" if b"Linux version" in out else "nothing", "after %.0f s" % (time.time() - start))
ask("quit")
PY
wait "$pid"
sed 's/^/#   /' "$TMPROOT/qmp"
q() { grep -qx -- "$1" "$TMPROOT/qmp"; }
check "QEMU runs as uid $VMUID, no groups, under its sandbox" \
	bash -c "grep -qx 'Uid: $VMUID $VMUID $VMUID $VMUID' '$TMPROOT/qmp' && grep -qx 'Groups:' '$TMPROOT/qmp' &&
		grep -qx 'Seccomp: 2' '$TMPROOT/qmp'"
check "no path of vm.ini on QEMU's command line" bash -c "grep -q '^cmdline .*-add-fd' '$TMPROOT/qmp' &&
	! grep '^cmdline' '$TMPROOT/qmp' | grep -qF '$H/img'"
check "paused, as vm.ini asked" q "status prelaunch"
check "the read-only disk is read-only from its fdset" q "block disk0 ro /dev/fdset/1"
check "the writable disk is writable from its fdset" q "block disk1 rw /dev/fdset/2"
check "a write to the read-only disk is refused" q "write disk0: Block node is read-only"
check "a write to the writable disk reaches its file" \
	bash -c "grep -qx 'write disk1: done' '$TMPROOT/qmp' && [ \"\$(head -c 512 '$H/img/rw.raw' | tr -d A | wc -c)\" = 0 ]"
check "the read-only image is unchanged" bash -c "[ \"\$(tr -d '\\0' <'$H/img/ro.raw' | wc -c)\" = 0 ]"
check "both taps are QEMU's by descriptor" bash -c "[ \$(grep -c '^network .*net[01]: index=0,type=tap,fd=' '$TMPROOT/qmp') = 2 ]"
check "the tap made on the bridge was pcipass0" grep -q '^fd [0-9]* tap rw: tap pcipass0 on bridge pcbr0 (net 1)$' "$TMPROOT/qemu.err"
check "QEMU holds the kernel and initrd as memfds" bash -c "grep -q '^fd [0-9]* /memfd:pcipass-kernel (deleted)$' '$TMPROOT/qmp' &&
	grep -q '^fd [0-9]* /memfd:pcipass-initrd (deleted)$' '$TMPROOT/qmp'"
check "the kernel from its sealed copy boots" grep -q '^console Linux version' "$TMPROOT/qmp"
check "QEMU made its VNC socket, a UNIX one, as uid $VMUID" \
	bash -c "[ -S '$H/run/vms/w.vnc/socket' ] && [ \$(stat -c %u '$H/run/vms/w.vnc/socket') = $VMUID ]"
