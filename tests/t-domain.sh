#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Whole PCI addresses (issue 12): a device in a domain wider than four hex digits (Intel VMD's
# 10000-1ffff, printed whole by lspci and sysfs) is inventoried, listed, claimed and passed under
# its own address, in numeric address order (lspci's), and QEMU is told it by sysfsdev= because
# QEMU 7.2's host= refuses such a domain.
. "$(dirname "$0")/lib.sh"

RUN=$BUILD/pcipass-run
cat >"$TMPROOT/vmd.host" <<'HOST'
0000:00:00.0  0600  8086:2020  8086:0000  0   0  -
0000:e1:00.0  1200  19e5:d801  19e5:0100  70  0  -
ffff:01:00.0  1200  19e5:d801  19e5:0100  71  0  -
10000:e0:06.0 0604  8086:09ab  -          72  1  pcieport
10000:e1:00.0 1200  19e5:d801  19e5:0100  73  1  -
1ffff:02:00.0 1200  19e5:d801  19e5:0100  74  1  -
HOST
mkhost vmd "$TMPROOT/vmd.host" || { failt "mkhost"; exit 1; }
printf 'qemu = /bin/true\n' >>"$CONF"
if [ "$(id -u)" = 0 ]; then
	mkdir -p "$H/dev" && mknod "$H/dev/kvm" c 10 232 && chgrp kvm "$H/dev/kvm" && chmod 0660 "$H/dev/kvm"
fi
$MODEL -c "$CONF" create NPU1 NPU 19e5 d801 >/dev/null
$PROBE -c "$CONF" -q
inv=$(grep '^\[' "$H/var/inventory.ini" | tr -d '[]' | grep -v host | tr '\n' ' ')
check "the inventory holds every domain, whole, in numeric order (got: $inv)" \
	test "$inv" = "0000:e1:00.0 ffff:01:00.0 10000:e1:00.0 1ffff:02:00.0 "
check "10000:e1:00.0 keeps its IOMMU group and node" \
	bash -c "sed -n '/^\[10000:e1:00.0\]/,/^\$/p' '$H/var/inventory.ini' | grep -q '^iommu_group = 73' &&
		sed -n '/^\[10000:e1:00.0\]/,/^\$/p' '$H/var/inventory.ini' | grep -q '^numa_node   = 1'"

$PROBE -c "$CONF" --all >"$TMPROOT/all"
check "--all names 10000:e1:00.0 whole" grep -q '^10000:e1:00.0 ' "$TMPROOT/all"
check "--all lists ffff before 10000" \
	bash -c "grep -n '^ffff:01:00.0 \|^10000:e1:00.0 ' '$TMPROOT/all' | cut -d: -f1 | tr '\n' ' ' | awk '\$1 < \$2 {ok=1} END {exit !ok}'"
$PROBE -c "$CONF" --list --json >"$TMPROOT/list.json"
check "--list --json names it whole" grep -q '"address": "10000:e1:00.0"' "$TMPROOT/list.json"

dry() { # dry NAME DEVICES-LINE
	printf '[vm]\nname = %s\nmemory = 256M\n[devices]\n%s\n' "$1" "$2" >"$TMPROOT/$1.ini"
	$RUN -c "$CONF" --dry-run "$TMPROOT/$1.ini" >"$TMPROOT/out" 2>"$TMPROOT/err"
	st=$?
	if [ $st != 0 ] && preflight_clean "$TMPROOT/$1.ini" $st "$TMPROOT/err"; then st=0; fi
}
dry d1 'address = 10000:e1:00.0'
check "vm.ini address = 10000:e1:00.0: planned (exit $st)" test $st = 0
check "QEMU is told sysfsdev=/sys/bus/pci/devices/10000:e1:00.0" \
	grep -q 'vfio-pci,sysfsdev=/sys/bus/pci/devices/10000:e1:00.0,id=hostdev0' "$TMPROOT/out"
dry d2 'address = 1FFFF:02:00.0'
check "an upper-case wide domain in vm.ini is canonical in the plan" \
	grep -q 'vfio-pci,sysfsdev=/sys/bus/pci/devices/1ffff:02:00.0,' "$TMPROOT/out"
dry d3 'address = ffff:01:00.0'
check "a 16-bit domain still goes as host=" grep -q 'vfio-pci,host=ffff:01:00.0,' "$TMPROOT/out"
dry d4 'NPU1 = 4'
check "by model, lowest address first in numeric order" \
	bash -c "grep -o 'host=[0-9a-f:.]*\|sysfsdev=[^,]*' '$TMPROOT/out' | tr '\n' ' ' | grep -qx 'host=0000:e1:00.0 host=ffff:01:00.0 sysfsdev=/sys/bus/pci/devices/10000:e1:00.0 sysfsdev=/sys/bus/pci/devices/1ffff:02:00.0 '"
dry d5 'address = 100000000:e1:00.0'
check "a domain of nine digits: refused with file:line (exit $st)" \
	bash -c "test $st = 65 && grep -q 'd5.ini:5:' '$TMPROOT/err'"
if [ "$(id -u)" = 0 ]; then
	# a claim file named by the whole address, and --release finding it
	"$BUILD/claimhold" "$H/run" 10000:e1:00.0 held-vm >"$TMPROOT/hold" &
	holder=$!
	for _ in $(seq 50); do grep -q held "$TMPROOT/hold" 2>/dev/null && break; sleep 0.1; done
	$PROBE -c "$CONF" --list >"$TMPROOT/list"
	check "--list shows the claim on 10000:e1:00.0" grep -q '^10000:e1:00.0 .*held-vm' "$TMPROOT/list"
	dry d6 'address = 10000:e1:00.0'
	check "a claimed wide-domain device is not free (exit $st)" test $st = 69
	kill $holder; wait $holder 2>/dev/null || true
else
	skip "claims on a wide-domain device: needs root (claim files under a root-owned state dir)"
fi
