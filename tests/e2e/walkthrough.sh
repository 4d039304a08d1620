#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# README's "Your first real VM", run for real inside the guest of tests/guest/run.sh (real
# kernel, IOMMU, vfio-pci, the edu device 1234:11e8): each command printed as "$ command" with
# its output, for pasting. Not part of make check: the VM boots a real kernel under nested TCG,
# which takes minutes. Run it as
#     tests/guest/run.sh --timeout 1500 env BUILD=$PWD/build bash tests/e2e/walkthrough.sh
# The guest's / is read-only and it has no systemd: the files live under /run/walk (each
# command runs with -c /run/walk/pcipass.conf, shown without it), and the unit's ExecStart line
# is run by hand where a host would run `systemctl start pcipass@edu-vm`.
set -u
B=${BUILD:?}
W=${TMPDIR:-/run/tmp}/walk
rm -rf "$W"
mkdir -p "$W/etc/models.d" "$W/etc/vms" "$W/var" "$W/run" "$W/images"
cat >"$W/etc/pcipass.conf" <<CONF
[host]
models_dir = $W/etc/models.d
inventory  = $W/var/inventory.ini
state_dir  = $W/run
image_dirs = $W/images
CONF
export PATH=$B:$PATH
# show COMMAND...: print it as typed on a host (no -c), run it with -c, print its output
show() {
	local cmd=$1
	shift
	echo "\$ $cmd $*" | sed "s|$W/etc/vms|/etc/pcipass/vms|g; s|$W/images|/var/lib/pcipass/images|g"
	"$cmd" -c "$W/etc/pcipass.conf" "$@" </dev/null 2>&1 |
		sed "s|$W/etc/vms|/etc/pcipass/vms|g; s|$W/images|/var/lib/pcipass/images|g; s|$W/run|/run/pcipass|g; s|$W/var|/var/lib/pcipass|g; s|$W/etc|/etc/pcipass|g"
	last=${PIPESTATUS[0]}
	echo
}
show pcipass-probe --all
show pcipass-model create --probe Edu-Test ACCEL 1234 11e8
show pcipass-probe --list
eval "$(bash "$(dirname "$0")/../vmimage.sh" --out "$W/img")" || exit 1
cp "$VMIMAGE_KERNEL" "$W/images/vmlinuz"
cp "$VMIMAGE_INITRD" "$W/images/initrd.img"
truncate -s 1G "$W/images/edu-vm.raw"
chmod 0600 "$W/images/"*
cat >"$W/etc/vms/edu-vm.ini" <<VM
[vm]
name          = edu-vm
memory        = 256M
cpus          = 1
accel         = tcg
hotplug_slots = 1

[devices]
Edu-Test = 1

[disk]
file   = $W/images/edu-vm.raw
format = raw

[net]
mode = user

[display]
serial = socket
vnc    = on

[boot]
kernel = $W/images/vmlinuz
initrd = $W/images/initrd.img
append = $VMIMAGE_APPEND
VM
echo "\$ cat /etc/pcipass/vms/edu-vm.ini"
sed "s|$W/images|/var/lib/pcipass/images|g" "$W/etc/vms/edu-vm.ini"
echo
show pcipass-run --dry-run "$W/etc/vms/edu-vm.ini"
echo "# (systemctl start pcipass@edu-vm runs:)"
echo "\$ pcipass-run /etc/pcipass/vms/edu-vm.ini"
pcipass-run -c "$W/etc/pcipass.conf" "$W/etc/vms/edu-vm.ini" </dev/null >"$W/vm.out" 2>"$W/vm.err" &
vm=$!
for _ in $(seq 300); do grep -q ' exec ' "$W/vm.err" && break; sleep 0.2; done
sed "s|$W/run|/run/pcipass|g" "$W/vm.err"
echo
sleep 2
show pcipass-run --status
show pcipass-probe --list
# the console: wait for the image's shell, then one command through it
python3 - "$W/run/vms/edu-vm.console" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(5)
end, seen = time.time() + 1200, b""
while time.time() < end and b"VMIMAGE-READY" not in seen:
    try:
        b = s.recv(4096)
    except socket.timeout:
        continue
    if not b: sys.exit("console closed")
    seen += b
PY
# (input from a pipe: the console passes bytes until the input ends; the sleep keeps it open
# while the nested guest answers)
echo "\$ { echo 'uname -sr; cat /sys/bus/pci/devices/*/vendor | sort | uniq -c'; sleep 30; } | pcipass-run --console edu-vm"
{ echo 'uname -sr; cat /sys/bus/pci/devices/*/vendor | sort | uniq -c'; sleep 30; } |
	pcipass-run -c "$W/etc/pcipass.conf" --console edu-vm 2>&1
echo
show pcipass-run --detach edu-vm 0000:01:00.0
show pcipass-run --attach edu-vm Edu-Test
show pcipass-run --status --json
t0=$(date +%s.%N)
show pcipass-run --stop edu-vm
echo "# (--stop exited with status $last)"
wait $vm
echo "# (QEMU exited with status $?; stop took $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s)"
echo "# (then ExecStopPost:)"
show pcipass-run --release
show pcipass-run --status
