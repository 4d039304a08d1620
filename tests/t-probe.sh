#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# pcipass-probe on fake hosts: the inventory, --all, --list, --prom, and SPEC's guarantees
# (address order, bridges and excluded devices never inventoried, quiet cron runs, no write
# when nothing changed, nothing touched on failure), and what lspci reads from the same trees.
# (The survival guarantees under SIGKILL and concurrency are in t-robust.sh.)
. "$(dirname "$0")/lib.sh"

silent() { "$@" >/dev/null 2>&1; } # (check NAME CMD >/dev/null would hide the ok line too)
# LeakSanitizer cannot work under ptrace: an ASan build run by strace would fail at its exit
traced=(env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace)

models() { # the seed models of these tests
	ok_run "create Atlas-800" $MODEL -c "$CONF" create Atlas-800 NPU 19e5 d801
	ok_run "create Alveo-U50" $MODEL -c "$CONF" create Alveo-U50 FPGA 10ee 903f
}
inv() { echo "$H/var/inventory.ini"; }
# sections FILE: the device sections of an inventory, on one line
sections() { sed -n 's/^\[\(0000:[^]]*\)\]$/\1/p' "$1" | tr '\n' ' '; }
# counted FILE: `devices = N` says how many sections follow
counted() { [ "$(sed -n 's/^devices   = //p' "$1")" = "$(grep -c '^\[0000:' "$1")" ]; }

# probe_vs_lspci NAME [SYSFS]: what lspci reads from the tree (SYSFS, default $H/sys) is what
# `--all --json` reports on $H: address, class, vendor:device, subsystem, driver, NUMA node and
# IOMMU group, for every device both ways. The probe reads the driver and group links itself
# (not through libpci), so this is a cross-check, not libpci compared with itself. lspci's -mm
# prints a subsystem only when its vendor is neither 0000 nor ffff; the probe's side follows.
probe_vs_lspci() {
	local name=$1 sys=${2:-$H/sys} st
	if ! command -v lspci >/dev/null || ! command -v python3 >/dev/null; then
		skip "probe vs lspci on $name (needs lspci and python3)"
		return
	fi
	lspci -D -n -vmm -k -A linux-sysfs -O sysfs.path="$sys/bus/pci" 2>/dev/null | awk '
		function out() { if (a != "") print a, c, v ":" d, (sv == "" ? "-" : sv ":" sd), drv, numa, grp }
		/^Slot:/ { out(); a = $2; c = v = d = sv = sd = ""; drv = "-"; numa = grp = -1 }
		/^Class:/ { c = $2 } /^Vendor:/ { v = $2 } /^Device:/ { d = $2 }
		/^SVendor:/ { sv = $2 } /^SDevice:/ { sd = $2 } /^Driver:/ { drv = $2 }
		/^NUMANode:/ { numa = $2 } /^IOMMUGroup:/ { grp = $2 }
		END { out() }' | sort >"$TMPROOT/lspci.$name"
	$PROBE -c "$CONF" --all --json 2>/dev/null | python3 -c '
import json, sys
for d in json.load(sys.stdin):
    sub = d["subsystem"]
    if sub == "" or sub[:4] in ("0000", "ffff"):
        sub = "-"
    print(d["address"], d["class"], d["vendor_id"] + ":" + d["device_id"], sub,
          d["driver"] or "-", d["numa_node"], d["iommu_group"])' | sort >"$TMPROOT/probe.$name"
	st=$? # (pipefail: the probe's status, or python's)
	if [ $st = 0 ] && [ -s "$TMPROOT/lspci.$name" ] && cmp -s "$TMPROOT/lspci.$name" "$TMPROOT/probe.$name"; then
		pass "$name: --all --json and lspci -vmm -k agree on all $(wc -l <"$TMPROOT/lspci.$name") devices"
	else
		failt "$name: --all --json (exit $st) and lspci -vmm -k disagree (< lspci, > probe)"
		diff "$TMPROOT/lspci.$name" "$TMPROOT/probe.$name" | sed 's/^/#   /'
	fi
}

# --- the seed host: conf/example-host.txt, models for the NPUs and the FPGA ---
mkhost seed "$ROOT/conf/example-host.txt" || { failt "mkhost"; exit 1; }
# exclude: short and long forms, two on a line and the key repeated. Models match all three
# excluded devices (NIC, SATA, VGA), so their absence from the inventory proves the exclusion.
printf 'exclude = 00:1f.2 0000:00:19.0\nexclude = 03:00.0\n' >>"$CONF"
models
ok_run "create NicPT" $MODEL -c "$CONF" create NicPT ETHER 8086 15b8
ok_run "create SataPT" $MODEL -c "$CONF" create SataPT STORAGE 8086 2826
ok_run "create AstPT" $MODEL -c "$CONF" create AstPT DISPLAY 1a03 2000
# a model matching three root ports (8086:2030): bridges are never inventoried all the same
ok_run "create PortTest" $MODEL -c "$CONF" create PortTest ACCEL 8086 2030
$PROBE -c "$CONF" >"$TMPROOT/out" 2>"$TMPROOT/err"
check "seed: exit 0, nothing on stderr" test $? = 0 -a ! -s "$TMPROOT/err"
golden probe-seed-out "$TMPROOT/out"
golden probe-seed-inventory "$(inv)"
check "seed: inventory mode 0644" test "$(stat -c %a "$(inv)")" = 644
check "seed: exactly the NPUs and the FPGA, in address order (no bridge, nothing excluded)" \
	test "$(sections "$(inv)")" = "0000:3b:00.0 0000:af:00.0 0000:d8:00.0 "
check "seed: devices = N matches the sections" counted "$(inv)"
expect_ok probe-seed-all $PROBE -c "$CONF" --all
cp "$TMPROOT/out" "$TMPROOT/all"
check "--all: every device of the host, bridges included" test "$(grep -c '^0000:' "$TMPROOT/all")" = 15
check "--all: the three root ports matching PortTest say (bridge)" \
	test "$(grep -c '^0000:..:..\..  0604   8086:2030 .* (bridge) ' "$TMPROOT/all")" = 3
check "--all: the excluded devices matching NicPT, SataPT and AstPT say (excluded)" \
	test "$(grep -cE '^0000:(00:19\.0|00:1f\.2|03:00\.0) .* \(excluded\) ' "$TMPROOT/all")" = 3
expect_ok probe-seed-all-json $PROBE -c "$CONF" --all --json
cp "$TMPROOT/out" "$TMPROOT/all.json"
expect_ok probe-seed-list $PROBE -c "$CONF" --list
ok_run "--list --json" $PROBE -c "$CONF" --list --json
cp "$TMPROOT/out" "$TMPROOT/list.json"
sed 's/"generated": "[0-9T:Z-]*"/"generated": "@STAMP@"/' "$TMPROOT/list.json" >"$TMPROOT/list.json.n"
golden probe-seed-list-json "$TMPROOT/list.json.n"
if command -v python3 >/dev/null; then
	check "--all --json is valid JSON" silent python3 -m json.tool "$TMPROOT/all.json"
	check "--list --json is valid JSON" silent python3 -m json.tool "$TMPROOT/list.json"
else
	skip "JSON validity (no python3)"
fi
# a listing that could not be written is a failure (74), never a silent exit 0
expect_ioerr "--all" $PROBE -c "$CONF" --all
expect_ioerr "--all --json" $PROBE -c "$CONF" --all --json
expect_ioerr "--list" $PROBE -c "$CONF" --list
expect_ioerr "--list --json" $PROBE -c "$CONF" --list --json
# the names come from the configured pci_ids, not the system's: rename a vendor in a copy
sed 's/^10ee  Xilinx Corporation$/10ee  Xilinx Renamed For The Test/' "$ROOT/tests/data/pci.ids" >"$TMPROOT/pci.ids"
sed "s|^pci_ids .*|pci_ids = $TMPROOT/pci.ids|" "$CONF" >"$TMPROOT/ids.conf"
ok_run "--all with another pci_ids" $PROBE -c "$TMPROOT/ids.conf" --all
check "--all: names come from the configured pci_ids" \
	grep -q '^0000:d8:00.0 .*: Xilinx Renamed For The Test Device 903f$' "$TMPROOT/out"
probe_vs_lspci seed

# --- failures: non-zero sysexits status, one line on stderr, the inventory untouched ---
sum=$(tree_sum "$H/var")
sed "s|^sysfs_root = .*|sysfs_root = $TMPROOT/nowhere|" "$CONF" >"$TMPROOT/nosys.conf"
expect_fail probe-no-sysfs 71 $PROBE -c "$TMPROOT/nosys.conf" -q
cp "$TMPROOT/err" "$TMPROOT/err.q"
$PROBE -c "$TMPROOT/nosys.conf" >"$TMPROOT/out" 2>"$TMPROOT/err"
check "failed probe without -q: the same status and the same one line" \
	test $? = 71 -a ! -s "$TMPROOT/out" -a "$(cat "$TMPROOT/err")" = "$(cat "$TMPROOT/err.q")"
check "failed probe (no sysfs): the inventory untouched" test "$(tree_sum "$H/var")" = "$sum"
printf '[Broken]\ndev_type = NPU\nvendor_id = 19e5\n' >"$H/etc/models.d/Broken.conf"
chmod 644 "$H/etc/models.d/Broken.conf"
expect_fail probe-bad-model 65 $PROBE -c "$CONF" -q
check "failed probe (bad model file): the inventory untouched" test "$(tree_sum "$H/var")" = "$sum"
rm "$H/etc/models.d/Broken.conf"

# --- unchanged: no write at all (inode, mtime to the nanosecond, stamp) ---
before=$(stat -c '%i %y' "$(inv)")
stamp=$(grep '^generated' "$(inv)")
sleep 1.1 # a rewrite would now carry another stamp and mtime
$PROBE -c "$CONF" -q >"$TMPROOT/out" 2>&1
check "-q: exit 0, silent on success (stdout and stderr)" test $? = 0 -a ! -s "$TMPROOT/out"
check "unchanged run: same inode and mtime" test "$(stat -c '%i %y' "$(inv)")" = "$before"
check "unchanged run: same stamp" test "$(grep '^generated' "$(inv)")" = "$stamp"
ok_run "unchanged run" $PROBE -c "$CONF"
check "unchanged run says so" grep -q ', unchanged$' "$TMPROOT/out"
check "unchanged run (twice): still no write" test "$(stat -c '%i %y' "$(inv)")" = "$before"
# a change (the FPGA bound to vfio-pci by editing its driver link) rewrites it
ln -sfn ../../../bus/pci/drivers/vfio-pci "$H/sys/devices/pci0000:00/0000:d8:00.0/driver"
ok_run "driver changed: probe" $PROBE -c "$CONF" -q
check "driver changed: rewritten (new inode and mtime)" test "$(stat -c '%i %y' "$(inv)")" != "$before"
check "driver changed: new stamp" test "$(grep '^generated' "$(inv)")" != "$stamp"
check "driver changed: new driver recorded" \
	bash -c "grep -A 10 '^\[0000:d8:00.0\]' '$(inv)' | grep -q '^driver      = vfio-pci$'"
# a change of models (a narrower model now takes one NPU) rewrites it too
before=$(stat -c '%i %y' "$(inv)")
ok_run "create Atlas-800-B" $MODEL -c "$CONF" create Atlas-800-B NPU 19e5 d801 --subsystem 19e5:0100
ok_run "model added: probe" $PROBE -c "$CONF"
check "model added: says written" grep -q ', written$' "$TMPROOT/out"
check "model added: rewritten" test "$(stat -c '%i %y' "$(inv)")" != "$before"
check "model added: the NPUs now have it" test "$(grep -c '^model       = Atlas-800-B$' "$(inv)")" = 2
rm "$H/etc/models.d/Atlas-800-B.conf" # (as configuration management would)
ok_run "model removed: probe" $PROBE -c "$CONF" -q

# --- claims in --list ---
"$BUILD/claimhold" "$H/run" 0000:3b:00.0 npu-worker-1 >"$TMPROOT/hold" &
holder=$!
for _ in $(seq 50); do grep -q held "$TMPROOT/hold" && break; sleep 0.1; done
ok_run "--list, a claim held" $PROBE -c "$CONF" --list
check "--list: claimed by the VM with its pid" grep -q "^0000:3b:00.0 .*  claimed by npu-worker-1 (pid $holder)$" "$TMPROOT/out"
golden probe-list-claimed "$TMPROOT/out"
ok_run "--list --json, a claim held" $PROBE -c "$CONF" --list --json
check "--list --json: claimed" grep -q "\"state\": \"claimed\", \"vm\": \"npu-worker-1\", \"pid\": $holder, \"released\": false" "$TMPROOT/out"
sum=$(tree_sum "$H/run")
ok_run "--prom, a claim held" $PROBE -c "$CONF" -q --prom "$H/var/pcipass.prom"
golden probe-prom-claimed "$H/var/pcipass.prom"
check "--list and --prom test the claim without touching it" test "$(tree_sum "$H/run")" = "$sum"
kill $holder
wait $holder 2>/dev/null
ok_run "--list, the holder dead" $PROBE -c "$CONF" --list
check "--list: dead holder -> free (not yet released)" grep -q "^0000:3b:00.0 .*  free (not yet released)$" "$TMPROOT/out"
check "--list: the dead holder's claim file is still there" test -f "$H/run/claims/0000:3b:00.0"
check "--list: never claimed -> free" grep -q "^0000:af:00.0 .*  free$" "$TMPROOT/out"
ok_run "--list --json, the holder dead" $PROBE -c "$CONF" --list --json
check "--list --json: dead holder -> free, not released" \
	grep -q '"address": "0000:3b:00.0", .*"state": "free", "vm": "", "pid": 0, "released": false' "$TMPROOT/out"
check "--list --json: never claimed -> free, released" \
	grep -q '"address": "0000:af:00.0", .*"state": "free", "vm": "", "pid": 0, "released": true' "$TMPROOT/out"
# the metrics tell the three apart: claimed, free, and unreleased (a claim nobody holds; the
# launcher may take the device again, so pcipass_devices counts it free)
ok_run "--prom, the holder dead" $PROBE -c "$CONF" -q --prom "$H/var/pcipass.prom"
check "--prom: the dead holder's device is unreleased" \
	grep -qx 'pcipass_device_info{address="0000:3b:00.0",model="Atlas-800",dev_type="NPU",numa_node="0",state="unreleased"} 1' "$H/var/pcipass.prom"
check "--prom: a device never claimed is free" \
	grep -qx 'pcipass_device_info{address="0000:af:00.0",model="Atlas-800",dev_type="NPU",numa_node="1",state="free"} 1' "$H/var/pcipass.prom"
check "--prom: one pcipass_device_info series per device of the inventory" \
	test "$(grep -c '^pcipass_device_info{' "$H/var/pcipass.prom")" = "$(grep -c '^\[0000:' "$(inv)")"
check "--prom: pcipass_devices counts the unreleased device as free (it may be claimed)" \
	grep -qx 'pcipass_devices{model="Atlas-800",dev_type="NPU",numa_node="0",state="free"} 1' "$H/var/pcipass.prom"

# --- --prom ---
# atomic: a new file each time (rename over the old one), mode 0644, no temporary left behind
prom=$H/var/pcipass.prom
ino=$(stat -c %i "$prom")
ok_run "--prom" $PROBE -c "$CONF" -q --prom "$prom"
check "--prom: counts by model, NUMA node and state" \
	grep -q '^pcipass_devices{model="Atlas-800",dev_type="NPU",numa_node="0",state="free"} 1$' "$prom"
check "--prom: replaced by a new file, not rewritten in place" test "$(stat -c %i "$prom")" != "$ino"
check "--prom: mode 0644, no temporary left" \
	test "$(stat -c %a "$prom")" = 644 -a -z "$(find "$H/var" -name '.pcipass.prom.??????')"
if command -v strace >/dev/null; then
	ok_run "--prom under strace" "${traced[@]}" -f -qq -e trace=openat,rename,renameat,renameat2 -o "$TMPROOT/strace" $PROBE -c "$CONF" -q --prom "$prom"
	check "--prom: written through a temporary renamed into place" \
		grep -q "rename.*\"$H/var/.pcipass.prom.......\", .*\"$prom\"" "$TMPROOT/strace"
	check "--prom: the file itself is never opened for writing" \
		bash -c "! grep -E 'openat\(.*\"$prom\", .*(O_WRONLY|O_RDWR)' '$TMPROOT/strace'"
else
	skip "--prom written through rename (strace not installed)"
fi
if command -v promtool >/dev/null; then
	check "promtool check metrics" bash -c "promtool check metrics <'$prom'"
else
	skip "promtool check metrics (Debian package prometheus not installed; the golden file checks the format)"
fi
expect_fail probe-no-sysfs 71 $PROBE -c "$TMPROOT/nosys.conf" -q --prom "$prom"
check "failed probe: prom says success 0" \
	test "$(grep '^pcipass_probe_success' "$prom")" = "pcipass_probe_success 0"
golden probe-prom-failed "$prom"
ok_run "probe ok again" $PROBE -c "$CONF" -q --prom "$prom"
check "probe ok again: prom says success 1" grep -q '^pcipass_probe_success 1$' "$prom"
# the launch-failure counter: pcipass-run adds to <state_dir>/stats (common/stats.c), the probe
# exports it, also when the probe itself fails
check "launch failures: 0 when none was counted" grep -qx 'pcipass_launch_failures_total 0' "$prom"
printf 'launch_failures 2\n' >"$H/run/stats"
ok_run "launch failures: probe" $PROBE -c "$CONF" -q --prom "$prom"
check "launch failures: exported as a counter" \
	bash -c "grep -qx '# TYPE pcipass_launch_failures_total counter' '$prom' && grep -qx 'pcipass_launch_failures_total 2' '$prom'"
# A failing probe (a model file the probe refuses: group-writable) still writes the textfile,
# with success 0 and no device series (what the last good probe saw may no longer hold; the
# alert rules gate the device alerts on success), the launch failures still counted.
chmod g+w "$H/etc/models.d/Atlas-800.conf"
$PROBE -c "$CONF" -q --prom "$prom" 2>"$TMPROOT/err"
check "unreadable models: the probe fails (78), one line naming the file" \
	bash -c "[ $? = 78 ] && [ \$(wc -l <'$TMPROOT/err') = 1 ] && grep -q 'Atlas-800.conf' '$TMPROOT/err'"
check "unreadable models: the textfile says success 0" grep -qx 'pcipass_probe_success 0' "$prom"
check "unreadable models: no device series left in the textfile" \
	bash -c "! grep -q '^pcipass_device' '$prom'"
check "unreadable models: the launch failures still exported" grep -qx 'pcipass_launch_failures_total 2' "$prom"
check "unreadable models: the textfile is still well-formed (every series has its TYPE)" \
	test "$(grep -c '^# TYPE ' "$prom")" = 6
if command -v promtool >/dev/null; then
	check "promtool check metrics: the failing probe's textfile" bash -c "promtool check metrics <'$prom'"
fi
chmod g-w "$H/etc/models.d/Atlas-800.conf"
# a configuration that does not load: success 0, and no counter (no state directory to read)
$PROBE -c "$TMPROOT/no-such.conf" -q --prom "$prom" 2>/dev/null
check "no configuration: the probe fails (66), the textfile says success 0" \
	bash -c "[ $? = 66 ] && grep -qx 'pcipass_probe_success 0' '$prom'"
check "no configuration: no launch-failure counter" bash -c "! grep -q '^pcipass_launch_failures_total' '$prom'"
# a stats file that is not ours: the count is unknown, left out; the probe itself succeeds
printf 'launch_failures lots\n' >"$H/run/stats"
ok_run "stats not ours: probe" $PROBE -c "$CONF" -q --prom "$prom"
check "stats not ours: no launch-failure counter, the devices there" \
	bash -c "! grep -q '^pcipass_launch_failures_total' '$prom' && grep -q '^pcipass_device_info{' '$prom'"
rm "$H/run/stats"

# --- disabled: the inventory written empty, marked disabled; --list says so ---
printf 'disable_custom_device = true\n' >>"$CONF"
ok_run "disabled: probe" $PROBE -c "$CONF"
check "disabled: the probe says so" grep -q ': 0 custom devices (disabled), written$' "$TMPROOT/out"
golden probe-disabled-inventory "$(inv)"
expect_ok probe-disabled-list $PROBE -c "$CONF" --list
ok_run "disabled: --list --json" $PROBE -c "$CONF" --list --json
check "disabled: --list --json says so" grep -q '^{"disabled": true, "generated": "[^"]*", "devices": \[\]}$' "$TMPROOT/out"
ok_run "disabled: --prom" $PROBE -c "$CONF" -q --prom "$prom"
check "disabled: prom says so, with no devices" \
	bash -c "grep -q '^pcipass_custom_devices_disabled 1$' '$prom' && ! grep -q '^pcipass_devices{' '$prom'"

# --- other hosts ---
mkhost empty "$ROOT/tests/hosts/empty.host" || { failt "mkhost empty"; exit 1; }
models
ok_run "empty bus: probe" $PROBE -c "$CONF" -q
golden probe-empty-inventory "$(inv)"
ok_run "empty bus: --all --json" $PROBE -c "$CONF" --all --json
check "empty bus: --all --json is []" test "$(cat "$TMPROOT/out")" = "[]"

# an empty models.d (a host where no model was made yet) is no error: an inventory of none
mkhost nomodels "$ROOT/conf/example-host.txt" || { failt "mkhost nomodels"; exit 1; }
ok_run "empty models.d: probe" $PROBE -c "$CONF" -q
golden probe-nomodels-inventory "$(inv)"
check "empty models.d: devices = 0" grep -qx 'devices   = 0' "$(inv)"
ok_run "empty models.d: --list" $PROBE -c "$CONF" --list
check "empty models.d: --list shows no device" test "$(grep -c '^0000:' "$TMPROOT/out")" = 0

# one vendor:device, subsystems 19e5:0100, 19e5:0200 and 0000:0000: the narrowed model takes
# its subsystem, the plain one the rest
mkhost subsys "$ROOT/tests/hosts/subsys.host" || { failt "mkhost subsys"; exit 1; }
ok_run "create Plain" $MODEL -c "$CONF" create Plain NPU 19e5 d801
ok_run "create Narrow" $MODEL -c "$CONF" create Narrow NPU 19e5 d801 --subsystem 19e5:0200
ok_run "subsys: probe" $PROBE -c "$CONF" -q
golden probe-subsys-inventory "$(inv)"
check "subsys: narrowed model beats the plain one, the plain one takes the rest" \
	test "$(sed -n 's/^model       = //p' "$(inv)" | tr '\n' ' ')" = "Plain Narrow Plain "
probe_vs_lspci subsys
# only subsystem-narrowed models: the device with another subsystem matches none
mkhost subsys2 "$ROOT/tests/hosts/subsys.host" || { failt "mkhost subsys2"; exit 1; }
ok_run "create OnlyA" $MODEL -c "$CONF" create OnlyA NPU 19e5 d801 --subsystem 19e5:0100
ok_run "create OnlyB" $MODEL -c "$CONF" create OnlyB NPU 19e5 d801 --subsystem 19e5:0200
ok_run "subsys only: probe" $PROBE -c "$CONF" -q
golden probe-subsys-only-inventory "$(inv)"
check "subsys only: the device of no model's subsystem is left out" \
	test "$(sections "$(inv)")" = "0000:01:00.0 0000:02:00.0 "

# survives NAME HOST WHAT: on a host with a flaw the probe goes on, warns once (golden), writes
# the inventory (golden), and with -q says nothing at all
survives() {
	mkhost "$1" "$ROOT/tests/hosts/$2.host" || { failt "mkhost $1"; exit 1; }
	models
	$PROBE -c "$CONF" >"$TMPROOT/out" 2>"$TMPROOT/err"
	check "$3: probe succeeds" test $? = 0
	golden "probe-$1-err" "$TMPROOT/err"
	golden "probe-$1-inventory" "$(inv)"
	rm "$(inv)"
	$PROBE -c "$CONF" -q >"$TMPROOT/out" 2>&1
	check "$3: -q succeeds and says nothing at all" test $? = 0 -a ! -s "$TMPROOT/out"
}
survives vanish vanish "vanished device"
check "vanished device: absent from the inventory" bash -c "! grep -q '0000:af:00.0' '$(inv)'"
# lspci itself gives up on this tree (it cannot open the vanished device); on a copy without
# the dangling entry it must see exactly what the probe saw on the real one
cp -a "$H/sys" "$TMPROOT/vanish-sys"
find "$TMPROOT/vanish-sys/bus/pci/devices" -xtype l -delete
probe_vs_lspci vanish "$TMPROOT/vanish-sys"
survives numa numa-unreadable "unreadable numa_node"
check "unreadable numa_node: numa_node = -1 for both NPUs" \
	test "$(grep -c '^numa_node   = -1$' "$(inv)")" = 2
probe_vs_lspci numa

mkhost big --synth 1024 || { failt "mkhost big"; exit 1; } # (mkhost compares it with lspci, like every tree it builds)
probe_vs_lspci big

# --- what the probe writes, it reads back ---
# 14000 NPUs under a model with the longest name (64) and dev_type (32) give a 4.2 MB inventory
# (INVENTORY_MAX is 65536 devices; at ~220 bytes a device, 19000 short-named ones do the same).
# The probe may write it or refuse it with one line; what it must not do is write an inventory
# that --list (and pcipass-run) then refuse, and that it rewrites on every run because it cannot
# read the old one to see that nothing changed.
awk 'BEGIN { for (i = 0; i < 14000; i++)
	printf "0000:%02x:%02x.%x 1200 19e5:d801 19e5:0100 %d %d -\n", i / 256 + 1, i % 256 / 8, i % 8, i + 100, i % 2 }' \
	>"$TMPROOT/many.host"
# Its sysfs tree takes ~770 MB of tmpfs (a 512 MB test guest has not that much): too little
# room is said, not found out halfway through.
rm -rf "$TMPROOT/big" "$TMPROOT/vanish-sys" # (done with; their room is needed)
room=$(df -Pk "$TMPROOT" | awk 'NR == 2 { print int($4 / 1024) }')
if [ "${room:-0}" -lt 900 ]; then
	skip "14000 devices read back: the fake host needs ~800 MB in $TMPROOT, it has ${room:-?} MB"
elif ! mkhost many "$TMPROOT/many.host"; then
	failt "mkhost many (14000 devices): fakehost failed"
else
	long_name=$(printf 'N%.0s' $(seq 64)) long_type=$(printf 'T%.0s' $(seq 32))
	ok_run "create the 64-character model" $MODEL -c "$CONF" create "$long_name" "$long_type" 19e5 d801
	$PROBE -c "$CONF" -q 2>"$TMPROOT/err"
	if [ $? = 0 ]; then
		echo "# 14000 devices: the probe wrote $(wc -c <"$(inv)") bytes"
		ok_run "14000 devices: --list reads the inventory the probe wrote" $PROBE -c "$CONF" --list
		before=$(stat -c '%i %y' "$(inv)")
		ok_run "14000 devices: a second run" $PROBE -c "$CONF"
		check "14000 devices: a second run finds nothing changed and writes nothing" \
			test -n "$before" -a "$(stat -c '%i %y' "$(inv)")" = "$before"
		sed 's/^/#   /' "$TMPROOT/out"
	else
		check "14000 devices: refused with one line, no inventory written" \
			test "$(wc -l <"$TMPROOT/err")" = 1 -a ! -e "$(inv)"
	fi
fi
