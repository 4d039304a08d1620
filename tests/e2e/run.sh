#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make e2e: the whole chain on a real kernel with a real IOMMU, real vfio-pci and real QEMU:
# pcipass-model create -> pcipass-probe -> pcipass-run vm.ini -> a nested QEMU that owns the
# device, under the default isolation (a uid of its own, disks by descriptor from image_dirs;
# a vm.ini naming a file outside them refused). The guest of tests/guest/run.sh (TCG,
# intel-iommu) gets QEMU's edu device 1234:11e8 alone on one root port, and behind a second
# root port a multifunction edu sharing its IOMMU group with a virtio-rng bound to virtio-pci
# (the negative case), and behind a third an e1000e NIC that the guest's kernel binds to e1000e
# (taken from that driver, passed, given back; romfile= so that L3's firmware has no option ROM
# to run; QEMU warns that the NIC has no peer, which is all it needs). tests/e2e/inside.sh runs
# there and prints one result line per assertion; this prints them, a summary line, the wall
# time and peak memory. Without qemu-system-x86_64 or a kernel package: a loud SKIP, a failure
# when PCIPASS_MUST_WORK=1 (CI). Then, in a second guest, tests/e2e/hotplug.sh: --attach and
# --detach of the edu device into a running nested VM; in a third, tests/e2e/accel.sh (issue 12:
# a guest with two NUMA nodes, a multifunction edu pair, the boot VGA, a 64 GiB BAR behind a
# node-1 pxb-pcie; see accel_qemu below). Arguments name the parts to run (inside hotplug
# accel; default all), e.g. `tests/e2e/run.sh accel`.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
case $BUILD in /*) B=$BUILD ;; *) B=$PWD/$BUILD ;; esac

skip() {
	if [ "${PCIPASS_MUST_WORK:-0}" = 1 ]; then
		echo "not ok - e2e: $1 (and PCIPASS_MUST_WORK=1)"
		echo "e2e: 0 passed, 1 failed"
		exit 1
	fi
	echo "SKIP - e2e: $1 (contrib/install-deps.sh installs it)" >&2
	exit 0
}
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed"
ls /boot/vmlinuz-* >/dev/null 2>&1 || skip "no kernel in /boot (Debian package linux-image-amd64)"
command -v busybox >/dev/null || skip "busybox is not installed (busybox-static)"
for p in pcipass-probe pcipass-model pcipass-run; do
	[ -x "$B/$p" ] || { echo "e2e: $B/$p is missing (make all)" >&2; exit 1; }
done
parts=" ${*:-inside hotplug accel} "
for p in $parts; do
	case $p in inside | hotplug | accel) ;; *) echo "e2e: unknown part $p (inside hotplug accel)" >&2; exit 2 ;; esac
done
part() { case $parts in *" $1 "*) return 0 ;; esac; return 1; }
# The accel guest: 768 MiB in two NUMA nodes (cpu 0, cpu 1: 2M pages to reserve on node 1); a
# multifunction edu pair behind one root port; -device VGA (boot_vga); behind a pxb-pcie of
# node 1 an edu and an ivshmem-plain whose BAR 2 is a 64 GiB memfd (sparse: nothing of it is
# ever touched, no memory committed).
# shellcheck disable=SC2054 # (the commas are QEMU's)
accel_qemu=(
	-m 768
	-object memory-backend-ram,id=m0,size=384M -numa node,nodeid=0,cpus=0,memdev=m0
	-object memory-backend-ram,id=m1,size=384M -numa node,nodeid=1,cpus=1,memdev=m1
	-device pcie-root-port,id=rp2,chassis=2,slot=2
	-device edu,bus=rp2,addr=00.0,multifunction=on -device edu,bus=rp2,addr=00.1
	-device VGA
	-device pxb-pcie,id=pxb1,bus_nr=128,numa_node=1,bus=pcie.0
	-object memory-backend-memfd,id=big,size=64G,share=on
	-device pcie-root-port,id=rp4,bus=pxb1,chassis=4,slot=4 -device ivshmem-plain,memdev=big,bus=rp4
	-device pcie-root-port,id=rp5,bus=pxb1,chassis=5,slot=5 -device edu,bus=rp5
)
mkdir -p "$B/e2e"
: >"$B/e2e/out"
rm -f "$B/e2e/rss" "$B/e2e/rss.accel"
start=$(date +%s.%N)
st=0
if part inside; then
	/usr/bin/time -f %M -o "$B/e2e/rss" tests/guest/run.sh --timeout 420 \
		--qemu -device --qemu pcie-root-port,id=rp2,chassis=2,slot=2 \
		--qemu -device --qemu edu,bus=rp2,addr=0.0,multifunction=on \
		--qemu -device --qemu virtio-rng-pci,bus=rp2,addr=0.1 \
		--qemu -device --qemu pcie-root-port,id=rp3,chassis=3,slot=3 \
		--qemu -device --qemu e1000e,bus=rp3,addr=0.0,romfile= \
		env BUILD="$B" bash tests/e2e/inside.sh >>"$B/e2e/out" 2>&1
	st=$?
fi
# hot-plug (tests/e2e/hotplug.sh): the guest as it is, the edu device alone on its root port
if part hotplug; then
	tests/guest/run.sh --timeout 300 env BUILD="$B" bash tests/e2e/hotplug.sh >>"$B/e2e/out" 2>&1
	st2=$?
	[ "$st" != 0 ] || st=$st2
fi
if part accel; then
	only="1 2 3 4 5"
	if [ ! -r /usr/share/OVMF/OVMF_CODE_4M.fd ] || [ ! -r /usr/share/OVMF/OVMF_VARS_4M.fd ]; then
		[ "${PCIPASS_MUST_WORK:-0}" = 1 ] && echo "not ok - e2e: accel 5 needs Debian's ovmf (and PCIPASS_MUST_WORK=1)" >>"$B/e2e/out"
		echo "SKIP - e2e: accel 5 (firmware = uefi): no /usr/share/OVMF/OVMF_{CODE,VARS}_4M.fd (Debian package ovmf)" >&2
		only="1 2 3 4"
	fi
	a0=$(date +%s.%N)
	qa=()
	for q in "${accel_qemu[@]}"; do qa+=(--qemu "$q"); done
	PCIPASS_E2E_ONLY=${PCIPASS_E2E_ONLY:-$only} /usr/bin/time -f %M -o "$B/e2e/rss.accel" \
		tests/guest/run.sh --timeout 420 "${qa[@]}" env BUILD="$B" bash tests/e2e/accel.sh >>"$B/e2e/out" 2>&1
	st3=$?
	[ "$st" != 0 ] || st=$st3
	awk -v a="$a0" -v b="$(date +%s.%N)" -v k="$(tail -n 1 "$B/e2e/rss.accel" 2>/dev/null)" \
		'BEGIN { printf "# e2e accel: %.1f s wall, peak RSS %d MiB (the guest QEMU)\n", b - a, k / 1024 }' >>"$B/e2e/out"
fi
end=$(date +%s.%N)
cat "$B/e2e/out"
p=$(grep -c '^ok - ' "$B/e2e/out")
f=$(grep -c '^not ok - ' "$B/e2e/out")
if [ "$st" != 0 ] && [ "$f" = 0 ]; then
	echo "not ok - e2e: the guest run ended with status $st (see $B/guest/console.log)"
	f=1
fi
[ "$p" -gt 0 ] || { echo "not ok - e2e: no assertion ran"; f=$((f + 1)); }
awk -v a="$start" -v b="$end" -v k="$(tail -n 1 "$B/e2e/rss" 2>/dev/null)" \
	'BEGIN { printf "# e2e: %.1f s wall, peak RSS %d MiB (the guest QEMU)\n", b - a, k / 1024 }'
echo "e2e: $p passed, $f failed"
[ "$f" = 0 ]
