#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The guest's machine (issue 12): firmware = uefi, cpu =, sockets/cores/threads, and the 64-bit
# PCI window.
#  - --dry-run on the example host, its NPUs given large BARs: the window sized to them and said
#    why (golden), QEMU's default kept when it holds them; a map past the guest's physical
#    address bits refused naming the BARs (TCG's 40; a CPU model's 40, or the host's when fewer;
#    the host's from <proc_root>/cpuinfo, not checked, and said so, when that file is absent or
#    not the kernel's); a resource file that is not the kernel's refused.
#  - as root: a variable store or a firmware file that is not what it must be is refused by
#    --dry-run and by the launch, in one line, before anything starts. (OVMF booting for real
#    from descriptors, its store made once and kept: tests/t-firmware-boot.sh.)
. "$(dirname "$0")/lib.sh"

RUN=$BUILD/pcipass-run
mkhost fw "$ROOT/conf/example-host.txt" || { failt "mkhost"; exit 1; }
ok_run "create Atlas-800" $MODEL -c "$CONF" create Atlas-800 NPU 19e5 d801
ok_run "probe" $PROBE -c "$CONF" -q

# bars ADDR SIZE...: the device's resource file (13 lines, as the kernel's) with these 64-bit
# prefetchable memory BARs, in bytes, from BAR 0 on
bars() {
	local f=$H/sys/bus/pci/devices/$1/resource i=0 start
	shift
	chmod u+w "$f"
	for size in "$@" 0 0 0 0 0 0 0 0 0 0 0 0 0; do
		[ $i -lt 13 ] || break
		if [ "$size" = 0 ]; then
			printf '0x%016x 0x%016x 0x%016x\n' 0 0 0
		else
			start=$(((i + 1) << 48)) # far apart
			printf '0x%016x 0x%016x 0x%016x\n' $start $((start + size - 1)) 0x14220c
		fi
		i=$((i + 1))
	done >"$f"
	chmod go-w "$f"
}
# cpuinfo TEXT: the host's /proc/cpuinfo, as <proc_root> says
mkdir -p "$H/proc"
cpuinfo() { printf '%b' "$1" >"$H/proc/cpuinfo"; }
G=$TMPROOT/fw.conf
printf '%s\nproc_root = %s\nnvram_dir = %s\n' "$(cat "$CONF")" "$H/proc" "$H/nvram" >"$G"
chmod 644 "$G"
GiB=$((1 << 30))
# vmini NAME [KEY = VALUE]...: $TMPROOT/NAME.ini, 4G, both NPUs, the keys in [vm]
vmini() {
	local name=$1
	shift
	{
		printf '[vm]\nname = %s\nmemory = 4G\n' "$name"
		for kv in "$@"; do printf '%s\n' "$kv"; done
		printf '[devices]\nAtlas-800 = 2\n'
	} >"$TMPROOT/$name.ini"
}
# plan NAME: --dry-run's plan (stdout) of $TMPROOT/NAME.ini; status in $st
plan() {
	$RUN -c "$G" --dry-run "$TMPROOT/$1.ini" >"$TMPROOT/out" 2>"$TMPROOT/err"
	st=$?
	sed -i '/^identity: /d' "$TMPROOT/out"
}
has() { grep -q -- "$1" "$TMPROOT/out"; }

cpuinfo 'processor\t: 0\nvendor_id\t: GenuineIntel\naddress sizes\t: 46 bits physical, 48 bits virtual\n\n'
# the issue's example: 64 GiB + 16 GiB of BARs make a 128 GiB window, OVMF's aperture too
bars 0000:3b:00.0 $((32 * GiB)) $((32 * GiB))
bars 0000:af:00.0 $((16 * GiB))
vmini big "firmware = uefi" "cpus = 4" "sockets = 2" "cores = 2"
plan big
golden fw-dry-run-window "$TMPROOT/out"
check "a 128 GiB window: -global q35-pcihost.pci-hole64-size, in bytes" has "-global q35-pcihost.pci-hole64-size=$((128 * GiB))"
check "a 128 GiB window: OVMF's aperture in MiB" has "-fw_cfg name=opt/ovmf/X-PciMmio64Mb,string=131072"
check "the memory map line names the BAR totals, the devices and QEMU's default" \
	has "^memory map: 64-bit PCI window 128 GiB: BARs 64 GiB + 16 GiB of 0000:3b:00.0, 0000:af:00.0; QEMU's default is 32 GiB"
if command -v jq >/dev/null; then
	$RUN -c "$G" --dry-run --json "$TMPROOT/big.ini" >"$TMPROOT/big.json" 2>/dev/null
	check "--json: firmware and the window (bytes, set)" test \
		"$(jq -c '[.firmware, .pci_hole64.bytes, .pci_hole64.set]' "$TMPROOT/big.json")" = "[\"uefi\",$((128 * GiB)),true]"
else
	skip "--dry-run --json window: jq not installed"
fi
# BARs QEMU's default holds: nothing set, and said so
bars 0000:3b:00.0 $((16 * GiB))
bars 0000:af:00.0 $((16 * GiB))
vmini fits
plan fits
check "32 GiB of BARs: QEMU's default window, no -global, no -fw_cfg" bash -c \
	"! grep -q -- '-global\|-fw_cfg' '$TMPROOT/out' &&
	grep -q \"^memory map: 64-bit PCI window: QEMU's default (32 GiB) holds the BARs, 16 GiB + 16 GiB of\" '$TMPROOT/out'"
# machine = pc: its host bridge, whose default is 2 GiB
vmini pc "machine = pc" "accel = tcg"
plan pc
check "machine = pc, 32 GiB of BARs: -global i440FX-pcihost.pci-hole64-size (QEMU's default is 2 GiB)" \
	has "-global i440FX-pcihost.pci-hole64-size=$((32 * GiB))"
# past the guest's address bits: refused, naming the BARs, before anything is claimed
bars 0000:3b:00.0 $((512 * GiB))
bars 0000:af:00.0 $((256 * GiB))
vmini tcg "accel = tcg"
expect_fail fw-window-tcg 69 $RUN -c "$G" --dry-run "$TMPROOT/tcg.ini"
cpuinfo 'address sizes\t: 39 bits physical, 48 bits virtual\n'
bars 0000:af:00.0 $((16 * GiB))
vmini model "cpu = Skylake-Server"
expect_fail fw-window-host-bits 69 $RUN -c "$G" --dry-run "$TMPROOT/model.ini"
cpuinfo 'address sizes\t: 48 bits physical, 48 bits virtual\n'
vmini host
plan host
check "48 host bits, cpu = host: 1 TiB of window fits" has "-global q35-pcihost.pci-hole64-size=$((1024 * GiB))"
check "... and says whose bits" has "(48 bits: $H/proc/cpuinfo's, which -cpu host passes on)"
plan model
check "48 host bits, a CPU model: its 40 bits hold no 1 TiB window (69)" test $st = 69
# the host's bits unknown: not checked, and said so
for bad in none binary huge nonewline; do
	case $bad in
	none) rm -f "$H/proc/cpuinfo" ;;
	binary) head -c 4096 /bin/true >"$H/proc/cpuinfo" ;;
	huge) cpuinfo 'address sizes\t: 4294967337 bits physical, 48 bits virtual\n' ;;
	nonewline) cpuinfo 'address sizes\t: ' ;;
	esac
	plan host
	check "cpuinfo $bad: the window planned, the bits said not checked" bash -c \
		"grep -q -- '-global q35-pcihost.pci-hole64-size=$((1024 * GiB))' '$TMPROOT/out' &&
		grep -q '; guest physical address bits not checked ($H/proc/cpuinfo: ' '$TMPROOT/out'"
done
# a resource file that is not the kernel's: the window cannot be sized, refused
chmod u+w "$H/sys/bus/pci/devices/0000:3b:00.0/resource"
printf '0x0 0xffffffffffffffff 0x200\n' >"$H/sys/bus/pci/devices/0000:3b:00.0/resource"
expect_fail fw-window-resource 71 $RUN -c "$G" --dry-run "$TMPROOT/host.ini"
bars 0000:3b:00.0 $((16 << 20))
bars 0000:af:00.0 $((16 << 20))

# ---- as root: what the launch refuses, before anything starts ----
ovmf_host || exit 0
# a store that is not pcipass's: refused at --dry-run and at launch, nothing started
# a good store, as a first start makes it: the template's copy, root's, 0600
install -m 0600 /usr/share/OVMF/OVMF_VARS_4M.fd "$TMPROOT/good.fd"
mkdir -p -m 0700 "$V/nvram"
# store_case NAME STATUS SETUP: the store made by SETUP, then --dry-run and the launch
store_case() {
	local name=$1 want=$2
	rm -rf "$STORE"
	eval "$3"
	$RUN -c "$C" --dry-run "$TMPROOT/efi.ini" >/dev/null 2>"$TMPROOT/dry.err"
	local dst=$?
	check "store $name: --dry-run exit $want, one line naming the store" bash -c \
		"[ $dst = $want ] && [ \$(wc -l <'$TMPROOT/dry.err') = 1 ] && grep -q 'efi.ini:7: firmware = uefi: $STORE: ' '$TMPROOT/dry.err'"
	# (a launch that is not refused becomes QEMU, in the foreground: timeout ends it, at 10 s
	# as a refusal takes none)
	expect_fail "fw-store-$name" "$want" timeout 10 $RUN -c "$C" "$TMPROOT/efi.ini"
	"$RUN" -c "$C" --status efi-1 >/dev/null 2>&1
	check "store $name: no QEMU started (--status: no VM efi-1)" test $? = 69
}
store_case symlink 77 'ln -s "$TMPROOT/good.fd" "$STORE"'
store_case directory 77 'mkdir "$STORE"'
store_case fifo 77 'mkfifo -m 0600 "$STORE"'
store_case size 65 'head -c 131072 "$TMPROOT/good.fd" >"$STORE"; chmod 0600 "$STORE"'
store_case owner 77 'cp "$TMPROOT/good.fd" "$STORE"; chown nobody "$STORE"'
store_case links 77 'cp "$TMPROOT/good.fd" "$STORE"; ln "$STORE" "$V/nvram/other.fd"'
rm -f "$V/nvram/other.fd"
store_case writable 77 'cp "$TMPROOT/good.fd" "$STORE"; chmod 0620 "$STORE"'
cp -p "$TMPROOT/good.fd" "$STORE"
# the host's files: a symlink for ovmf_code (Debian's .ms.fd ones are), one missing, a
# nvram_dir others may write
conf_case() { # conf_case NAME STATUS KEY = VALUE
	cp "$C" "$TMPROOT/$1.conf"
	printf '%s\n' "$3" >>"$TMPROOT/$1.conf"
	expect_fail "fw-$1" "$2" timeout 10 $RUN -c "$TMPROOT/$1.conf" "$TMPROOT/efi.ini"
}
conf_case code-symlink 78 "ovmf_code = /usr/share/OVMF/OVMF_CODE_4M.ms.fd"
conf_case code-missing 66 "ovmf_code = /usr/share/OVMF/none.fd"
install -m 0664 /usr/share/OVMF/OVMF_CODE_4M.fd "$V/code.fd"
conf_case code-writable 78 "ovmf_code = $V/code.fd"
install -m 0644 -o nobody /usr/share/OVMF/OVMF_VARS_4M.fd "$V/vars.fd"
conf_case template-owner 78 "ovmf_vars = $V/vars.fd"
chmod 0770 "$V/nvram"
conf_case nvram-writable 78 ""
chmod 0700 "$V/nvram"
check "after every refusal, the good store is as it was" cmp -s "$STORE" "$TMPROOT/good.fd"
