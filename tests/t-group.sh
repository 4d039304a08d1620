#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The IOMMU group is the unit (SPEC, Isolation; issue 9 item 11): a device whose group holds a
# device another live VM has claimed is not free, whether that device is in the inventory or
# not. Checked with --dry-run (steps 1, 2 and 4), a running VM played by build/claimhold.
. "$(dirname "$0")/lib.sh"

RUN=$BUILD/pcipass-run
cat >"$TMPROOT/group.host" <<'HOST'
0000:00:00.0  0600  8086:2020  8086:0000  0   0  -
0000:50:00.0  1200  19e5:d801  19e5:0100  60  0  vfio-pci
0000:50:00.1  1200  19e5:d801  19e5:0100  60  0  vfio-pci
0000:50:00.2  0200  8086:1521  8086:0001  60  0  vfio-pci
0000:51:00.0  1200  19e5:d801  19e5:0100  61  0  -
HOST
mkhost group "$TMPROOT/group.host" || { failt "mkhost"; exit 1; }
# what --dry-run checks beyond the plan (tests/t-preflight.sh), which this host has: a QEMU, and
# <dev_root>/kvm for group kvm
printf 'qemu = /bin/true\n' >>"$CONF"
if [ "$(id -u)" = 0 ]; then
	mkdir -p "$H/dev" && mknod "$H/dev/kvm" c 10 232 && chgrp kvm "$H/dev/kvm" && chmod 0660 "$H/dev/kvm"
fi
$MODEL -c "$CONF" create NPU1 NPU 19e5 d801 >/dev/null
$PROBE -c "$CONF" -q
holders=()
trap 'kill "${holders[@]}" 2>/dev/null; rm -rf "$TMPROOT"' EXIT
hold() { # hold ADDR VM: a running VM's claim on ADDR
	"$BUILD/claimhold" "$H/run" "$1" "$2" >"$TMPROOT/hold" &
	holders+=($!)
	for _ in $(seq 50); do grep -q held "$TMPROOT/hold" 2>/dev/null && return 0; sleep 0.1; done
	failt "claimhold $1 did not say held"
}
plan() { # plan NAME [DEVICES LINE]: --dry-run of a VM; its status in $st (0 also when the only
	# problem is one this host has for any launch: tests/lib.sh, host_lacks)
	printf '[vm]\nname = %s\nmemory = 256M\n[devices]\n%s\n' "$1" "$2" >"$TMPROOT/$1.ini"
	$RUN -c "$CONF" --dry-run "$TMPROOT/$1.ini" >"$TMPROOT/out" 2>"$TMPROOT/err"
	st=$?
	if [ $st != 0 ] && preflight_clean "$TMPROOT/$1.ini" $st "$TMPROOT/err"; then st=0; fi
}

# no claim yet: by model, the lowest address of group 60 comes first
plan g0 'NPU1 = 1'
check "no VM runs: exit 0" test $st = 0
check "no VM runs: 0000:50:00.0 is planned" grep -q '^  0000:50:00.0 ' "$TMPROOT/out"

# VM a holds 50:00.0: its group-mate 50:00.1 is not free, by model or by address
hold 0000:50:00.0 a
plan g1 'NPU1 = 1'
check "a group-mate of a live VM's device, by model: exit 0" test $st = 0
check "a group-mate of a live VM's device, by model: skipped for 0000:51:00.0" \
	bash -c "grep -q '^  0000:51:00.0 ' '$TMPROOT/out' && ! grep -q '^  0000:50:00.1 ' '$TMPROOT/out'"
plan g2 'NPU1 = 2'
check "two asked for with one group held: refused (69)" test $st = 69
check "two asked for with one group held: the line says 1 free of 3" \
	grep -q 'g2.ini:5: 2 NPU1 asked for, 1 free (3 in all)$' "$TMPROOT/err"
plan g3 'address = 0000:50:00.1'
check "a group-mate by address: refused (69)" test $st = 69
check "a group-mate by address: the line says why" \
	grep -q 'g3.ini:5: 0000:50:00.1 is not free: another VM has it, or a device of its IOMMU group$' "$TMPROOT/err"
check "a group-mate by address: nothing on stdout" test ! -s "$TMPROOT/out"
kill "${holders[@]}"
wait "${holders[@]}" 2>/dev/null
holders=()

# a device outside the inventory (a NIC on vfio-pci) claimed by VM b: its whole group is b's
hold 0000:50:00.2 b
plan g4 'address = 0000:50:00.0'
check "a group whose non-inventory device VM b has: refused (69)" test $st = 69
check "a group whose non-inventory device VM b has: the line names the device and the VM" \
	grep -q "0000:50:00.0: IOMMU group 60 also holds 0000:50:00.2, which VM b (pid ${holders[0]}) has$" "$TMPROOT/err"
