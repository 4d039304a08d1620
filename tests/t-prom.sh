#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# contrib/prometheus: the alert rules pass `promtool check rules`, their cases pass `promtool
# test rules`, and those cases catch the rules going wrong (each edit below of a copy of the
# rules must fail them); every metric and label the rules use is one pcipass-probe --prom
# really writes.
. "$(dirname "$0")/lib.sh"

if ! command -v promtool >/dev/null; then
	skip "alert rules: promtool not installed (Debian package prometheus; contrib/install-deps.sh installs it)"
	exit 0
fi
P=$ROOT/contrib/prometheus
echo "# $(promtool --version 2>&1 | head -n 1)"
# shown NAME OUT STATUS: pass when STATUS is 0 and OUT says SUCCESS; else fail, showing OUT
shown() {
	if [ "$3" = 0 ] && grep -q SUCCESS "$2"; then pass "$1"; else failt "$1"; sed 's/^/#   /' "$2"; fi
}
promtool check rules "$P/pcipass.rules.yml" >"$TMPROOT/check" 2>&1
shown "promtool check rules pcipass.rules.yml" "$TMPROOT/check" $?
check "pcipass.rules.yml: the 5 rules" grep -q 'SUCCESS: 5 rules found' "$TMPROOT/check"
(cd "$P" && promtool test rules pcipass.rules.test.yml) >"$TMPROOT/test" 2>&1
shown "promtool test rules pcipass.rules.test.yml: every case passes" "$TMPROOT/test" $?

# mutant NAME FROM TO: the rules with FROM (a fixed string, once) replaced by TO fail the cases
mutant() {
	local name=$1 from=$2 to=$3 d=$TMPROOT/mutant
	rm -rf "$d" && mkdir "$d" && cp "$P/pcipass.rules.test.yml" "$d/"
	FROM=$from TO=$to python3 -c '
import os, sys
s = open(sys.argv[1]).read()
f, t = os.environ["FROM"], os.environ["TO"]
if s.count(f) != 1:
    sys.exit("the text to change is not there exactly once: " + f)
open(sys.argv[2], "w").write(s.replace(f, t))' "$P/pcipass.rules.yml" "$d/pcipass.rules.yml" || {
		failt "the cases catch $name (the rules no longer hold the text to change)"
		return
	}
	promtool check rules "$d/pcipass.rules.yml" >/dev/null 2>&1 || {
		failt "the cases catch $name (the changed rules do not parse: a bad edit)"
		return
	}
	if (cd "$d" && promtool test rules pcipass.rules.test.yml) >/dev/null 2>&1; then
		failt "the cases catch $name"
	else
		pass "the cases catch $name"
	fi
}
mutant "an unreleased device alerting at once (for: 0m)" \
	$'expr: pcipass_device_info{state="unreleased"} == 1\n        for: 5m' \
	$'expr: pcipass_device_info{state="unreleased"} == 1\n        for: 0m'
mutant "a claimed device alerting as unreleased" 'state="unreleased"} == 1' 'state=~"unreleased|claimed"} == 1'
mutant "a model's last device gone unnoticed (no 'or 0 * ...')" \
	$'              or\n                  0 * sum by (instance, model) (pcipass_devices offset 1h)\n' ''
mutant "a failing probe taken for lost devices (no success gate)" \
	'and on (instance) (pcipass_probe_success == 1)' ''
mutant "a disabled host taken for lost devices (no disabled gate)" \
	'and on (instance) (pcipass_custom_devices_disabled == 0)' ''
mutant "the count compared with the present, not an hour ago" \
	'sum by (instance, model) (pcipass_devices offset 1h)
            -' 'sum by (instance, model) (pcipass_devices)
            -'
mutant "a failing probe never alerting (== 1)" 'expr: pcipass_probe_success == 0' 'expr: pcipass_probe_success == 1'
mutant "a stale textfile alerting after an hour" '- pcipass_probe_timestamp_seconds > 900' '- pcipass_probe_timestamp_seconds > 3600'
mutant "a launch failure unnoticed (rate of the wrong metric)" \
	'increase(pcipass_launch_failures_total[15m])' 'increase(pcipass_launch_failure_total[15m])'

# The rules speak of what the probe writes: every pcipass_* metric they name has a TYPE line in
# a real textfile, and every label they select or group by is on those series.
mkhost prom "$ROOT/conf/example-host.txt" >/dev/null || { failt "mkhost"; exit 1; }
"$MODEL" -c "$CONF" create Atlas-800 NPU 19e5 d801 >/dev/null
"$PROBE" -c "$CONF" -q --prom "$H/var/pcipass.prom"
check "the probe wrote a textfile" test -s "$H/var/pcipass.prom"
for m in $(grep -v '^ *#' "$P/pcipass.rules.yml" | grep -o 'pcipass_[a-z_]*' | sort -u); do
	check "the rules' metric $m is one the probe writes" grep -q "^# TYPE $m " "$H/var/pcipass.prom"
done
check "pcipass_device_info has the labels the rules use (address, model, state)" \
	grep -q '^pcipass_device_info{address="[^"]*",model="[^"]*",.*state="[^"]*"} 1$' "$H/var/pcipass.prom"
check "pcipass_devices has the label the rules group by (model)" \
	grep -q '^pcipass_devices{model="Atlas-800",' "$H/var/pcipass.prom"
# The metric names are the same twelve on every host with devices, whatever they are: the host
# is node_exporter's instance label and the device an address label, never part of a name. (A
# fact the kernel does not show has no series, so the names are taken from the TYPE lines.)
names() { sed -n 's/^# TYPE \([^ ]*\) .*/\1/p' "$1" | sort -u | tr '\n' ' '; }
SIX="pcipass_custom_devices_disabled pcipass_device_aer_errors_total pcipass_device_bar_bytes pcipass_device_host_critical pcipass_device_info pcipass_device_link_speed_gts pcipass_device_link_width_lanes pcipass_device_unhealthy pcipass_devices pcipass_launch_failures_total pcipass_probe_success pcipass_probe_timestamp_seconds "
check "the metric names: the twelve of pcipass-probe(8)" test "$(names "$H/var/pcipass.prom")" = "$SIX"
check "every series' name has its TYPE line" test "$(grep -v '^#' "$H/var/pcipass.prom" | sed 's/[{ ].*//' | sort -u | tr '\n' ' ')" = "$SIX"
mkhost prom2 "$ROOT/tests/hosts/subsys.host" >/dev/null || { failt "mkhost prom2"; exit 1; }
"$MODEL" -c "$CONF" create Other NPU 19e5 d801 >/dev/null
"$PROBE" -c "$CONF" -q --prom "$H/var/pcipass.prom"
check "another host, other devices and models: the same twelve names" test "$(names "$H/var/pcipass.prom")" = "$SIX"
