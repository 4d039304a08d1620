#!/usr/bin/env bash
# pcipass-probe on fake hosts: the inventory, --all, --list, --prom, and SPEC's guarantees
# (address order, bridges and excluded devices never inventoried, quiet cron runs, no write
# when nothing changed, nothing touched on failure).
. "$(dirname "$0")/lib.sh"

models() { # the seed models of these tests
	$MODEL -c "$CONF" create Atlas-800 NPU 19e5 d801 >/dev/null &&
		$MODEL -c "$CONF" create Alveo-U50 FPGA 10ee 903f >/dev/null
}
inv() { echo "$H/var/inventory.ini"; }

# --- the seed host ---
mkhost seed "$ROOT/conf/example-host.txt" || { failt "mkhost"; exit 1; }
printf 'exclude = 00:1f.2\nexclude = 0000:00:19.0\n' >>"$CONF"
models
# a model matching a root port: bridges are never inventoried all the same
$MODEL -c "$CONF" create PortTest ACCEL 8086 2030 >/dev/null
$PROBE -c "$CONF" >"$TMPROOT/out" 2>"$TMPROOT/err"
check "seed: exit 0, nothing on stderr" test $? = 0 -a ! -s "$TMPROOT/err"
golden probe-seed-out "$TMPROOT/out"
golden probe-seed-inventory "$(inv)"
check "seed: inventory mode 0644" test "$(stat -c %a "$(inv)")" = 644
check "seed: addresses in order" bash -c "grep '^\[0000' '$(inv)' | sort -c"
$PROBE -c "$CONF" --all >"$TMPROOT/out" && golden probe-seed-all "$TMPROOT/out"
$PROBE -c "$CONF" --all --json >"$TMPROOT/all.json" && golden probe-seed-all-json "$TMPROOT/all.json"
$PROBE -c "$CONF" --list >"$TMPROOT/out" && golden probe-seed-list "$TMPROOT/out"
if command -v python3 >/dev/null; then
	check "--all --json is valid JSON" python3 -m json.tool "$TMPROOT/all.json" >/dev/null
	$PROBE -c "$CONF" --list --json >"$TMPROOT/list.json"
	check "--list --json is valid JSON" python3 -m json.tool "$TMPROOT/list.json" >/dev/null
else
	skip "JSON validity (no python3)"
fi

# --- failures: one line, non-zero, the inventory untouched ---
sum=$(tree_sum "$H/var")
cp "$CONF" "$TMPROOT/nosys.conf"
sed -i "s|^sysfs_root = .*|sysfs_root = $TMPROOT/nowhere|" "$TMPROOT/nosys.conf"
expect_fail probe-no-sysfs 71 $PROBE -c "$TMPROOT/nosys.conf" -q
check "failed probe left the inventory alone" test "$(tree_sum "$H/var")" = "$sum"

# --- unchanged: no write at all (inode, mtime, stamp) ---
before=$(stat -c '%i %y' "$(inv)")
stamp=$(grep '^generated' "$(inv)")
sleep 1.1
$PROBE -c "$CONF" -q >"$TMPROOT/out" 2>&1
check "-q: silent on success" test ! -s "$TMPROOT/out"
check "unchanged run: same inode and mtime" test "$(stat -c '%i %y' "$(inv)")" = "$before"
check "unchanged run: same stamp" test "$(grep '^generated' "$(inv)")" = "$stamp"
# a change (the FPGA bound to vfio-pci) rewrites it
ln -sfn ../../../bus/pci/drivers/vfio-pci "$H/sys/devices/pci0000:00/0000:d8:00.0/driver"
$PROBE -c "$CONF" -q
check "changed run: rewritten" test "$(stat -c '%i %y' "$(inv)")" != "$before"
check "changed run: new driver recorded" grep -q '^driver      = vfio-pci$' "$(inv)"

# --- claims in --list ---
"$BUILD/claimhold" "$H/run" 0000:3b:00.0 npu-worker-1 >"$TMPROOT/hold" &
holder=$!
for _ in $(seq 50); do grep -q held "$TMPROOT/hold" && break; sleep 0.1; done
$PROBE -c "$CONF" --list >"$TMPROOT/out"
check "--list: claimed by the VM with its pid" grep -q "^0000:3b:00.0 .*claimed by npu-worker-1 (pid $holder)$" "$TMPROOT/out"
$PROBE -c "$CONF" --list --json >"$TMPROOT/out"
check "--list --json: claimed" grep -q "\"state\": \"claimed\", \"vm\": \"npu-worker-1\", \"pid\": $holder" "$TMPROOT/out"
$PROBE -c "$CONF" -q --prom "$H/var/pcipass.prom"
golden probe-prom-claimed "$H/var/pcipass.prom"
kill $holder
wait $holder 2>/dev/null
$PROBE -c "$CONF" --list >"$TMPROOT/out"
check "--list: dead holder -> free, release pending" grep -q "^0000:3b:00.0 .*free (not yet released)$" "$TMPROOT/out"
check "--list: never claimed -> free" grep -q "^0000:af:00.0 .* free$" "$TMPROOT/out"
if command -v promtool >/dev/null; then
	check "promtool check metrics" bash -c "promtool check metrics <'$H/var/pcipass.prom'"
else
	echo "# promtool not installed: the textfile format is checked by its golden file only"
fi
cp "$TMPROOT/nosys.conf" "$TMPROOT/nosys2.conf"
$PROBE -c "$TMPROOT/nosys2.conf" -q --prom "$H/var/pcipass.prom" 2>/dev/null
check "failed probe: prom says success 0" grep -q '^pcipass_probe_success 0$' "$H/var/pcipass.prom"

# --- disabled ---
printf 'disable_custom_device = true\n' >>"$CONF"
$PROBE -c "$CONF" -q
golden probe-disabled-inventory "$(inv)"
$PROBE -c "$CONF" --list >"$TMPROOT/out" && golden probe-disabled-list "$TMPROOT/out"

# --- other hosts ---
mkhost empty "$ROOT/tests/hosts/empty.host"
models
$PROBE -c "$CONF" -q && golden probe-empty-inventory "$(inv)"

mkhost nomodels "$ROOT/conf/example-host.txt"
$PROBE -c "$CONF" -q && golden probe-nomodels-inventory "$(inv)"

mkhost subsys "$ROOT/tests/hosts/subsys.host"
$MODEL -c "$CONF" create Plain NPU 19e5 d801 >/dev/null
$MODEL -c "$CONF" create Narrow NPU 19e5 d801 --subsystem 19e5:0200 >/dev/null
$PROBE -c "$CONF" -q && golden probe-subsys-inventory "$(inv)"
mkhost subsys2 "$ROOT/tests/hosts/subsys.host"
$MODEL -c "$CONF" create OnlyA NPU 19e5 d801 --subsystem 19e5:0100 >/dev/null
$MODEL -c "$CONF" create OnlyB NPU 19e5 d801 --subsystem 19e5:0200 >/dev/null
$PROBE -c "$CONF" -q && golden probe-subsys-only-inventory "$(inv)"

# survives NAME HOST WHAT: on a host with a flaw the probe goes on, warns once (golden), writes
# the inventory (golden), and with -q says nothing at all
survives() {
	mkhost "$1" "$ROOT/tests/hosts/$2.host"
	models
	$PROBE -c "$CONF" >"$TMPROOT/out" 2>"$TMPROOT/err"
	check "$3: probe succeeds" test $? = 0
	golden "probe-$1-err" "$TMPROOT/err"
	golden "probe-$1-inventory" "$(inv)"
	rm "$(inv)"
	$PROBE -c "$CONF" -q >"$TMPROOT/out" 2>&1
	check "$3: -q says nothing" test ! -s "$TMPROOT/out"
}
survives vanish vanish "vanished device"
survives numa numa-unreadable "unreadable numa_node"

mkhost big --synth 1024 # (mkhost compares it with lspci, like every tree it builds)
