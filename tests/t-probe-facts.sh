#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# pcipass-probe's per-device facts and host-critical detection (issue 12) on fake hosts: each
# sysfs file as the kernel writes it, absent (older kernels) and hostile (huge, binary, negative,
# no newline, a directory, a FIFO); the facts read for inventoried devices only; a fake /proc
# (mountinfo, swaps, routes) and /sys (dev/block, dm slaves, class/net, the console) marking the
# devices the host uses; allow_host_critical; the warning of pcipass-model create; --list's
# health marks; an inventory of the previous version still read.
. "$(dirname "$0")/lib.sh"

traced=(env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace)
inv() { echo "$H/var/inventory.ini"; }
# value ADDR KEY: the inventory's value of KEY in the section of ADDR
value() { awk -v s="[$1]" -v k="$2" '$0 == s { on = 1; next } /^\[/ { on = 0 } on && $1 == k { sub(/^[^=]*= ?/, ""); print }' "$(inv)"; }
dev() { echo "$H/sys/bus/pci/devices/$1"; }

# --- the facts: a host whose devices show each file the kernel's way, or not at all ---
cat >"$TMPROOT/facts.host" <<'EOF'
0000:00:00.0  0600  8086:2020  8086:0000  0   0  -
0000:00:01.0  0604  8086:2030  -          1   0  pcieport
0000:01:00.0  1200  19e5:d801  19e5:0100  2   0  -  link=8.0x8/16.0x16 aer=3/0/1 bar0=16G reset=flr,bus
0000:02:00.0  1200  19e5:d801  19e5:0100  3   0  -  reset=old power=-
0000:03:00.0  1200  19e5:d801  19e5:0100  4   0  -  reset=none power=D3cold
0000:04:00.0  1200  19e5:d801  19e5:0100  5   0  -  reset=empty
0000:05:00.0  1200  19e5:d801  19e5:0100  6   0  -  link=2.5x1/16.0x16 aer=0/0/0
0000:06:00.0  0300  1a03:2000  15d9:0a1d  7   0  ast  boot_vga=1
0000:07:00.0  1200  10ee:903f  10ee:0007  8   0  -  aer=0/0/0 link=8.0x16/8.0x16
EOF
mkhost facts "$TMPROOT/facts.host" || { failt "mkhost facts"; exit 1; }
ok_run "create Atlas-800" $MODEL -c "$CONF" create Atlas-800 NPU 19e5 d801
ok_run "probe the facts host" $PROBE -c "$CONF" -q
check "bars: a 16 GiB 64-bit prefetchable BAR 0" test "$(value 0000:01:00.0 bars)" = "0:16G,64,pref"
check "reset_methods: as the kernel lists them" test "$(value 0000:01:00.0 reset_methods)" = "flr bus"
check "reset_methods: a kernel before 5.15 with a reset: unknown (-)" test "$(value 0000:02:00.0 reset_methods)" = "-"
check "reset_methods: no reset file at all: none" test "$(value 0000:03:00.0 reset_methods)" = "none"
check "reset_methods: every method turned off (an empty file): none" test "$(value 0000:04:00.0 reset_methods)" = "none"
check "power_state: as written" test "$(value 0000:03:00.0 power_state)" = "D3cold"
check "power_state: absent (before 5.17?): -" test "$(value 0000:02:00.0 power_state)" = "-"
check "link: current and maximum" test "$(value 0000:01:00.0 link)" = "8.0GT/s x8, max 16.0GT/s x16"
check "link: no PCIe files: -" test "$(value 0000:02:00.0 link)" = "-"
check "aer: the three totals" test "$(value 0000:01:00.0 aer)" = "correctable 3, nonfatal 0, fatal 1"
check "aer: no AER files: -" test "$(value 0000:02:00.0 aer)" = "-"
check "boot_vga: absent on a non-VGA device: -" test "$(value 0000:01:00.0 boot_vga)" = "-"
check "host_critical: empty when the host does not use the device" test "$(value 0000:01:00.0 host_critical)" = ""
# the VGA device is not inventoried (no model takes it) but --all says it is the console
ok_run "--all on the facts host" $PROBE -c "$CONF" --all
check "--all: the boot VGA is host-critical even without a model" \
	grep -qxF '              host-critical: boot VGA' "$TMPROOT/out"
check "--all: a matched device gets its facts line" \
	grep -qxF '              bars 0:16G,64,pref; reset_methods flr bus; power_state D0; link 8.0GT/s x8, max 16.0GT/s x16; aer correctable 3, nonfatal 0, fatal 1; boot_vga -' "$TMPROOT/out"
check "--all: an unmatched device gets no facts line" \
	bash -c "! grep -A1 '^0000:07:00.0' '$TMPROOT/out' | grep -q bars"
ok_run "--all --json" $PROBE -c "$CONF" --all --json
if command -v python3 >/dev/null; then
	check "--all --json: facts of matched devices, null for the others, the VGA's reason" python3 -c '
import json, sys
d = {x["address"]: x for x in json.load(open(sys.argv[1]))}
f = d["0000:01:00.0"]["facts"]
assert f["bars"] == [{"bar": "0", "bytes": 16 << 30, "io": False, "mem64": True, "prefetch": True}], f
assert f["reset_methods"] == ["flr", "bus"] and f["power_state"] == "D0", f
assert f["link"] == {"speed_gts": 8.0, "width": 8, "max_speed_gts": 16.0, "max_width": 16}, f
assert f["aer"] == {"correctable": 3, "nonfatal": 0, "fatal": 1} and f["boot_vga"] is None, f
assert d["0000:02:00.0"]["facts"]["reset_methods"] is None
assert d["0000:03:00.0"]["facts"]["reset_methods"] == []
assert d["0000:07:00.0"]["facts"] is None and d["0000:00:01.0"]["facts"] is None
assert d["0000:06:00.0"]["host_critical"] == "boot VGA" and d["0000:01:00.0"]["host_critical"] == ""
' "$TMPROOT/out"
else
	skip "--all --json facts (no python3)"
fi
ok_run "the same probe again" $PROBE -c "$CONF"
check "facts unchanged: the inventory is not rewritten" grep -q 'unchanged$' "$TMPROOT/out"

# Only the inventoried devices' facts are read: an unmatched device costs what it did before.
if command -v strace >/dev/null; then
	# (-y: a descriptor shown with its path, so openat(DIR, "aer_dev_fatal") names the device)
	ok_run "probe under strace" "${traced[@]}" -f -qq -y -e trace=openat,open,readlink,readlinkat,stat,newfstatat,lstat -o "$TMPROOT/strace" $PROBE -c "$CONF" -q
	check "the facts files of an inventoried device are read" grep -q '0000:01:00.0>, "aer_dev_fatal"' "$TMPROOT/strace"
	check "no facts file of a device no model takes is opened (FPGA, bridge, VGA)" \
		bash -c "! grep -E '0000:(07|06|00):0[01].0(>, \"|/)(reset|reset_method|aer_dev_[a-z]*|power_state|current_link_[a-z]*|max_link_[a-z]*|boot_vga)\"' '$TMPROOT/strace'"
	# issue 13: a device whose ids no model names costs two files, its vendor and device ids
	grep -F '0000:07:00.0' "$TMPROOT/strace" >"$TMPROOT/strace07" || true
	check "the FPGA no model names: its vendor and device files are read" \
		test "$(grep -cE '0000:07:00.0/(vendor|device)"' "$TMPROOT/strace07")" = 2
	check "the FPGA no model names: nothing else of it is opened or read (class, subsystem, numa_node, links, its directory)" \
		bash -c "! grep -vE '0000:07:00.0/(vendor|device)\"' '$TMPROOT/strace07'"
	check "an Atlas-800 is read whole: class, subsystem, numa_node, IOMMU group link" \
		bash -c "grep -q '0000:01:00.0/class\"' '$TMPROOT/strace' && grep -q '0000:01:00.0/subsystem_device\"' '$TMPROOT/strace' && grep -q '0000:01:00.0/numa_node\"' '$TMPROOT/strace' && grep -q '0000:01:00.0>, \"iommu_group\"' '$TMPROOT/strace'"
	rm -f "$H/etc/models.d/Atlas-800.conf"
	ok_run "probe with no model, under strace" "${traced[@]}" -f -qq -y -e trace=openat,open -o "$TMPROOT/strace" $PROBE -c "$CONF" -q
	check "no device matched: no facts file and no /proc file opened" \
		bash -c "! grep -E '/(reset_method|aer_dev_fatal|power_state|boot_vga)\"|mountinfo|/swaps|net/route' '$TMPROOT/strace'"
	ok_run "create Atlas-800 again" $MODEL -c "$CONF" create Atlas-800 NPU 19e5 d801
else
	skip "facts read for inventoried devices only (strace not installed)"
fi

# --- hostile files: each leaves its fact unknown, says so once on stderr, never fails ---
# hostile FILE CONTENT-COMMAND KEY WANT: replace FILE of 0000:05:00.0 (the others as fakehost
# wrote them), probe, check KEY
real05=$(readlink -f "$(dev 0000:05:00.0)")
cp -a "$real05" "$TMPROOT/pristine05"
hostile() {
	local file=$1 make=$2 key=$3 want=$4 d=$real05
	rm -rf "$d" && cp -a "$TMPROOT/pristine05" "$d"
	rm -rf "${d:?}/$file"
	bash -c "$make" _ "$d/$file"
	$PROBE -c "$CONF" >"$TMPROOT/out" 2>"$TMPROOT/err"
	local st=$? got
	got=$(value 0000:05:00.0 "$key")
	if [ $st = 0 ] && [ "$got" = "$want" ] && [ "$(wc -l <"$TMPROOT/err")" = 1 ] &&
		grep -q "^pcipass-probe: warning: 0000:05:00.0: $file: " "$TMPROOT/err"; then
		pass "hostile $file ($make): $key = $want, one warning"
	else
		failt "hostile $file ($make): exit $st, $key = \"$got\" (expected \"$want\"); stderr: $(head -c 300 "$TMPROOT/err")"
	fi
	$PROBE -c "$CONF" -q >"$TMPROOT/out" 2>"$TMPROOT/err"
	check "hostile $file, -q: exit 0 and nothing said" test $? = 0 -a ! -s "$TMPROOT/err"
}
hostile aer_dev_fatal 'head -c 100000 /dev/zero | tr "\0" 1 >"$1"' aer "correctable 0, nonfatal 0, fatal -"
hostile aer_dev_fatal 'printf "Undefined 0\nTOTAL_ERR_FATAL 1" >"$1"' aer "correctable 0, nonfatal 0, fatal -"
hostile aer_dev_nonfatal 'printf "TOTAL_ERR_NONFATAL -5\n" >"$1"' aer "correctable 0, nonfatal -, fatal 0"
hostile aer_dev_correctable 'printf "\x00\xff\x01TOTAL_ERR_COR 1\n" >"$1"' aer "correctable -, nonfatal 0, fatal 0"
hostile current_link_width 'printf "%s\n" -1 >"$1"' link "2.5GT/s -, max 16.0GT/s x16"
hostile current_link_speed 'printf "2.5 GT/s PCIe" >"$1"' link "- x1, max 16.0GT/s x16"
hostile max_link_speed 'mkdir "$1"' link "2.5GT/s x1, max - x16"
hostile max_link_width 'printf "16\n16\n" >"$1"' link "2.5GT/s x1, max 16.0GT/s -"
hostile reset_method 'printf "flr;reboot\n" >"$1"' reset_methods "none"
hostile power_state 'mkfifo "$1"' power_state "-"
# boot_vga: the kernel shows it for a VGA device only, so on this NPU it is not even read
rm -rf "$real05" && cp -a "$TMPROOT/pristine05" "$real05" && printf "2\n" >"$real05/boot_vga"
$PROBE -c "$CONF" >"$TMPROOT/out" 2>"$TMPROOT/err"
check "a boot_vga file on a non-VGA device is not read: boot_vga -, nothing said" \
	test $? = 0 -a "$(value 0000:05:00.0 boot_vga)" = "-" -a ! -s "$TMPROOT/err"
hostile resource 'printf "0x1000 0x2fff 0x200\n" >"$1"' bars "-"
hostile resource 'ln -s /dev/zero "$1"' bars "-"
rm -rf "$real05" && cp -a "$TMPROOT/pristine05" "$real05"

# --- host use: a fake /proc and the disks, NICs and console behind the devices ---
cat >"$TMPROOT/used.host" <<'EOF'
0000:00:00.0  0600  8086:2020  8086:0000  0   0  -
0000:00:17.0  0106  8086:a352  8086:0000  1   0  ahci      block=sda:8:0
0000:00:1d.0  0604  8086:a330  -          2   0  pcieport
0000:3d:00.0  0108  144d:a808  144d:a801  3   0  nvme      block=nvme0n1:259:0
0000:00:19.0  0200  8086:15b8  8086:0000  4   0  e1000e    net=eth0
0000:04:00.0  0200  15b3:101b  15b3:0007  5   0  mlx5_core net=eth1
0000:05:00.0  0700  1415:c158  1415:0000  6   0  serial    tty=ttyS4
0000:06:00.0  0300  1a03:2000  15d9:0a1d  7   0  ast       boot_vga=1
0000:07:00.0  1200  19e5:d801  19e5:0100  8   0  -
EOF
mkhost used "$TMPROOT/used.host" || { failt "mkhost used"; exit 1; }
P=$H/proc
mkdir -p "$P/self" "$P/net"
# / on an LVM volume (dm-0) over the NVMe; /boot on sda; a bind mount of sda too; /srv on a
# RAID (md0) over dm-0; a tmpfs; a line the kernel would never write (skipped, one warning)
S=$H/sys
mkdir -p "$S/devices/virtual/block/dm-0/slaves" "$S/devices/virtual/block/dm-0/dm" "$S/devices/virtual/block/md0/slaves"
echo vg-root >"$S/devices/virtual/block/dm-0/dm/name"
ln -s ../../../../pci0000:00/0000:3d:00.0/block/nvme0n1 "$S/devices/virtual/block/dm-0/slaves/nvme0n1"
ln -s ../../dm-0 "$S/devices/virtual/block/md0/slaves/dm-0"
ln -s ../../devices/virtual/block/dm-0 "$S/dev/block/253:0"
ln -s ../../devices/virtual/block/md0 "$S/dev/block/9:0"
ln -s ../../devices/virtual/block/dm-0 "$S/class/block/dm-0"
# eth1 is under a bridge, and the console is ttyS4 on the PCI serial card
mkdir -p "$S/devices/virtual/net/br0" "$S/class/tty/console"
ln -s ../../../pci0000:00/0000:04:00.0/net/eth1 "$S/devices/virtual/net/br0/lower_eth1"
ln -s ../../devices/virtual/net/br0 "$S/class/net/br0"
echo 'tty0 ttyS4' >"$S/class/tty/console/active"
cat >"$P/self/mountinfo" <<'EOF'
21 1 253:0 / / rw,relatime shared:1 - ext4 /dev/mapper/vg-root rw
22 21 8:0 / /boot rw,relatime shared:2 - ext4 /dev/sda rw
23 21 0:25 / /tmp rw - tmpfs tmpfs rw
24 21 9:0 / /srv/data\040set rw - xfs /dev/md0 rw
25 21 8:0 /x /var/lib/x rw - ext4 /dev/sda rw
this is not mountinfo
EOF
printf 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n/dev/dm-0                               partition\t8388604\t0\t-2\n' >"$P/swaps"
printf 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\nbr0\t00000000\t0102A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\neth0\t0002A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n' >"$P/net/route"
printf '%s\n' '00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003     eth0' >"$P/net/ipv6_route"
echo "proc_root  = $P" >>"$CONF"
for m in "Sata SATA 8086 a352" "Nvme NVME 144d a808" "Nic1 ETHER 8086 15b8" "Nic2 ETHER 15b3 101b" \
	"Serial SERIAL 1415 c158" "Atlas-800 NPU 19e5 d801"; do
	$MODEL -c "$CONF" create $m >"$TMPROOT/out" 2>"$TMPROOT/err.${m%% *}"
	check "create ${m%% *}: exit 0, the model written" test $? = 0 -a -f "$H/etc/models.d/${m%% *}.conf"
done
check "create Sata: exit 0, warns naming the device and why" \
	grep -qxF "pcipass-model: warning: model Sata matches 0000:00:17.0, which the host uses (mounted /boot and 1 more); pcipass-run will not hand it out unless allow_host_critical lists it" "$TMPROOT/err.Sata"
check "create Nvme: the disk under LVM and RAID is found through slaves/" \
	grep -qxF "pcipass-model: warning: model Nvme matches 0000:3d:00.0, which the host uses (mounted / and 1 more, swap); pcipass-run will not hand it out unless allow_host_critical lists it" "$TMPROOT/err.Nvme"
check "create Nic2: the NIC under the default route's bridge" grep -q "0000:04:00.0, which the host uses (default route br0)" "$TMPROOT/err.Nic2"
check "create Nic1: the IPv6 default route's NIC" grep -q "0000:00:19.0, which the host uses (default route eth0)" "$TMPROOT/err.Nic1"
check "create Serial: the serial console's card" grep -q "0000:05:00.0, which the host uses (console ttyS4)" "$TMPROOT/err.Serial"
check "create Atlas-800: nothing the host uses, no warning" test ! -s "$TMPROOT/err.Atlas-800"
check "the models were created all the same" test -f "$H/etc/models.d/Sata.conf" -a -f "$H/etc/models.d/Serial.conf"
$PROBE -c "$CONF" >"$TMPROOT/out" 2>"$TMPROOT/err"
check "probe: exit 0" test $? = 0
check "probe: the line mountinfo does not understand is one warning" \
	grep -qxF "pcipass-probe: warning: host use: 1 thing not understood, first: $P/self/mountinfo: 1 line not understood, first line 6: expected ID PARENT MAJOR:MINOR ROOT MOUNTPOINT OPTIONS ... - TYPE SOURCE OPTIONS" "$TMPROOT/err"
check "inventory: the SATA disk's reason" test "$(value 0000:00:17.0 host_critical)" = "mounted /boot and 1 more"
check "inventory: the NVMe's reason" test "$(value 0000:3d:00.0 host_critical)" = "mounted / and 1 more, swap"
check "inventory: the bridge's NIC" test "$(value 0000:04:00.0 host_critical)" = "default route br0"
check "inventory: the console's card" test "$(value 0000:05:00.0 host_critical)" = "console ttyS4"
check "inventory: the accelerator is not critical" test "$(value 0000:07:00.0 host_critical)" = ""
ok_run "--list" $PROBE -c "$CONF" --list
check "--list: a host-critical device is not free, and says why" \
	grep -q '^0000:3d:00.0 .* host-critical: mounted / and 1 more, swap$' "$TMPROOT/out"
check "--list: the accelerator is free" grep -q '^0000:07:00.0 .* free$' "$TMPROOT/out"
echo "allow_host_critical = 0000:05:00.0" >>"$CONF"
ok_run "--list with allow_host_critical" $PROBE -c "$CONF" --list
check "--list: an allowed host-critical device is free, and still says why" \
	grep -q '^0000:05:00.0 .* free; host-critical, allowed: console ttyS4$' "$TMPROOT/out"
ok_run "--list --json" $PROBE -c "$CONF" --list --json
check "--list --json: allowed and reason" \
	grep -q '"address": "0000:05:00.0".*"host_critical": "console ttyS4", "host_critical_allowed": true' "$TMPROOT/out"
# a more specific model takes the device from Serial: its warning says the device is allowed
$MODEL -c "$CONF" create Serial2 SERIAL 1415 c158 --subsystem 1415:0000 >/dev/null 2>"$TMPROOT/err"
check "create on an allowed device: exit 0, the warning says allow_host_critical allows it" \
	bash -c "[ $? = 0 ] && grep -qxF 'pcipass-model: warning: model Serial2 matches 0000:05:00.0, which the host uses (console ttyS4); allow_host_critical lets pcipass-run hand it out all the same' '$TMPROOT/err'"

# hostile /proc and links: a dm slaves loop, a mount point with control characters, an
# interface named "..", a console name with a slash: marked as far as they can be, warned,
# never a failure, nothing of the hostile text on the terminal
ln -s ../../md0 "$S/devices/virtual/block/dm-0/slaves/md0"
printf '%s\n' '21 1 9:0 / /a\033]0;x\007b;c rw - xfs /dev/md0 rw' >"$P/self/mountinfo"
printf 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n..\t00000000\t0102A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n' >"$P/net/route"
echo 'ttyS4 ../../x' >"$S/class/tty/console/active"
$PROBE -c "$CONF" >"$TMPROOT/out" 2>"$TMPROOT/err"
check "hostile host use: exit 0" test $? = 0
check "hostile host use: the loop ends, the disk still marked, the odd characters shown as ?" \
	test "$(value 0000:3d:00.0 host_critical)" = "mounted /a??0?x?b?c, swap"
check "hostile host use: no control character reaches stderr" bash -c "! grep -q \$'[\\x01-\\x08\\x0b-\\x1f\\x7f]' '$TMPROOT/err'"
check "hostile host use: the route through .. marks nothing" test "$(value 0000:04:00.0 host_critical)" = ""

# --- health marks and an inventory of the previous version ---
mkdir -p "$H/run/health"
printf 'config space reads 0xffff after release\n' >"$H/run/health/0000:07:00.0"
chmod 600 "$H/run/health/0000:07:00.0"
ok_run "--list with a health mark" $PROBE -c "$CONF" --list
check "--list: the marked device is unhealthy, with the mark's reason" \
	grep -q '^0000:07:00.0 .* unhealthy: config space reads 0xffff after release$' "$TMPROOT/out"
ok_run "--list --json with a health mark" $PROBE -c "$CONF" --list --json
check "--list --json: unhealthy" grep -q '"address": "0000:07:00.0".*"unhealthy": "config space reads 0xffff after release"' "$TMPROOT/out"
$PROBE -c "$CONF" -q --prom "$H/var/p.prom"
check "--prom: pcipass_device_unhealthy 1 for the marked device" \
	grep -qx 'pcipass_device_unhealthy{address="0000:07:00.0",model="Atlas-800"} 1' "$H/var/p.prom"
check "--prom: pcipass_device_host_critical 1 for the NVMe" \
	grep -qx 'pcipass_device_host_critical{address="0000:3d:00.0",model="Nvme"} 1' "$H/var/p.prom"
# the inventory without the new keys, as the previous version wrote it
grep -vE '^(bars|reset_methods|power_state|link|aer|boot_vga|host_critical) ' "$(inv)" >"$TMPROOT/old.ini"
cp "$TMPROOT/old.ini" "$(inv)"
ok_run "--list reads an inventory of the previous version" $PROBE -c "$CONF" --list
check "--list: its facts unknown" grep -qxF '              bars -; reset_methods -; power_state -; link -; aer -; boot_vga -' "$TMPROOT/out"
ok_run "the probe replaces it" $PROBE -c "$CONF" -q
check "the new inventory has the facts again" test "$(value 0000:07:00.0 reset_methods)" = "flr"
# an edited inventory with a hostile fact is refused, naming the line
sed -i 's/^boot_vga    = -$/boot_vga    = 2/' "$(inv)"
$PROBE -c "$CONF" --list >"$TMPROOT/out" 2>"$TMPROOT/err"
check "--list: a hostile fact in the inventory is refused (65) with file:line" \
	bash -c "[ $? = 65 ] && grep -q 'inventory.ini:[0-9]*: boot_vga: expected 0, 1 or -, got \"2\"' '$TMPROOT/err'"

# --- the example host: its ASPEED BMC graphics is the console ---
mkhost seed "$ROOT/conf/example-host.txt" || { failt "mkhost seed"; exit 1; }
$MODEL -c "$CONF" create Bmc-VGA DISPLAY 1a03 2000 >"$TMPROOT/out" 2>"$TMPROOT/err"
check "example host: creating a model for 1a03:2000 succeeds" test $? = 0 -a -f "$H/etc/models.d/Bmc-VGA.conf"
check "example host: and warns that it is the host's boot VGA" \
	grep -qxF "pcipass-model: warning: model Bmc-VGA matches 0000:03:00.0, which the host uses (boot VGA); pcipass-run will not hand it out unless allow_host_critical lists it" "$TMPROOT/err"
ok_run "example host: probe" $PROBE -c "$CONF" -q
check "example host: the inventory marks it" test "$(value 0000:03:00.0 host_critical)" = "boot VGA"
