#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The user's workflow of SPEC, run for real on the bundled example host (conf/example-host.txt):
# a fake sysfs tree under build/demo/, so nothing outside the build tree is touched.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
D=$PWD/$BUILD/demo
rm -rf "$D"
mkdir -p "$D/etc/models.d" "$D/var" "$D/run"
"$BUILD/fakehost" conf/example-host.txt "$D/sys" >/dev/null
cat >"$D/etc/pcipass.conf" <<EOF
; the demo host: every root points into $D
[host]
sysfs_root = $D/sys
dev_root   = $D/dev
models_dir = $D/etc/models.d
inventory  = $D/var/inventory.ini
state_dir  = $D/run
exclude    = 0000:00:1f.2 0000:00:19.0   ; the boot disk controller and the management NIC
EOF
chmod -R go-w "$D"
export PATH=$PWD/$BUILD:$PATH
run() {
	printf '\n$ %s\n' "$*"
	"$@" -c "$D/etc/pcipass.conf"
}
echo "pcipass demo on the example host ($D)"
echo "(every command below runs with -c $D/etc/pcipass.conf)"
echo "1. Find the IDs: every PCI device, its IDs, driver, IOMMU group and NUMA node"
run pcipass-probe --all
echo
echo "2. Define models by vendor/device ID (and --probe: the inventory follows at once)"
run pcipass-model create Atlas-800 NPU 19e5 d801
run pcipass-model create --probe Alveo-U50 fpga 0x10EE 0x903F
run pcipass-model list
echo
echo "   A rule broken is refused with a clear message and changes nothing:"
run pcipass-model create My-GPU GPU 10de 2330 || true
echo
echo "   The seed's own example IDs, 1a03:2000, are this host's console: the BMC's VGA. A model"
echo "   for them is made with a warning, and pcipass-run never hands that device out unless"
echo "   allow_host_critical names it (the model goes again here):"
run pcipass-model create Seed-Example NPU 1a03 2000
run pcipass-model delete Seed-Example
echo
echo "3. Probe (what cron runs every minute; unchanged, so the file is not rewritten)"
run pcipass-probe
run pcipass-probe --list
printf '\n$ cat %s\n' "$D/var/inventory.ini"
cat "$D/var/inventory.ini"
echo
echo "4. Use: what pcipass-run would do for conf/vm.ini (--dry-run changes nothing; as root,"
echo "   without it, pcipass-run claims the devices, binds them to vfio-pci and becomes QEMU."
echo "   It also checks what the launch needs and names every problem: this fake host has no"
echo "   /dev/kvm and no disk image, so it says so and exits non-zero)"
run pcipass-run --dry-run conf/vm.ini || echo "(exit $?: the first problem's status)"
