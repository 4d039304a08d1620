#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# contrib/grafana/pcipass.json, the dashboard, validated for the queries it uses (the checks
# themselves are in tests/grafana.py):
#  - its shape: JSON, the variables datasource, instance and model, the variable as the only
#    datasource, standard panels whose every query aggregates and filters by the variables;
#  - every query parses as PromQL (`promtool check rules`), Grafana's variables substituted as
#    Grafana sends them: All as .*, a choice as (a|b), $__rate_interval 5m, $__range 1h;
#  - every metric and label it names is one `pcipass-probe --prom` really writes, on five fake
#    hosts, and their textfiles aggregate (the same names, HELP and TYPE everywhere);
#  - its numbers are right: the five real textfiles fed to `promtool test rules` (the queries as
#    recording rules), the expected values worked out from each host's --list --json, for all
#    hosts and models and for a choice of two of each;
#  - those checks catch a dashboard gone wrong (each edit below of a copy must fail them);
#  - `make install` puts it beside the alert rules.
. "$(dirname "$0")/lib.sh"

if ! command -v promtool >/dev/null || ! command -v python3 >/dev/null; then
	skip "Grafana dashboard: needs promtool and python3 (Debian packages prometheus and python3; contrib/install-deps.sh installs them)"
	exit 0
fi
DASH=$ROOT/contrib/grafana/pcipass.json
W=$TMPROOT/g
mkdir "$W"
grafana() { python3 "$ROOT/tests/grafana.py" "$@"; }
# shown NAME OUT STATUS: pass when STATUS is 0, else fail, showing OUT
shown() {
	if [ "$3" = 0 ]; then pass "$1"; else failt "$1"; sed 's/^/#   /' "$2" | head -n 40; fi
}

# --- five fake hosts, as node_exporter would see them -----------------------------------------
HOLDERS=()
trap 'kill "${HOLDERS[@]}" 2>/dev/null; rm -rf "$TMPROOT"' EXIT
# hold ADDR VM: a running VM's claim on ADDR (build/claimhold), its pid last in HOLDERS
hold() {
	"$BUILD/claimhold" "$H/run" "$1" "$2" >"$W/hold.$2" &
	HOLDERS+=($!)
	for _ in $(seq 1200); do grep -q held "$W/hold.$2" && return 0; sleep 0.1; done
	failt "claimhold $1 took no lease within 120 s"
	exit 1
}
# unreleased ADDR: a VM that held ADDR and is gone, its claim file left (no --release)
unreleased() {
	hold "$1" "gone-$1"
	kill "${HOLDERS[-1]}"
	wait "${HOLDERS[-1]}" 2>/dev/null
	unset 'HOLDERS[-1]'
}
# prom HOST FILE: the probe's textfile of HOST at $W/FILE; OK[HOST] its exit status
declare -A OK
prom() {
	"$PROBE" -c "$CONF" -q --prom "$W/$2" 2>"$W/$1.err"
	OK[$1]=$?
}
# h1: two NPUs and an FPGA; one NPU claimed by a running VM, the other unreleased; two failed
# launches between its two textfiles (minute 0, minute 87)
mkhost h1 "$ROOT/conf/example-host.txt" || { failt "mkhost h1"; exit 1; }
"$MODEL" -c "$CONF" create Atlas-800 NPU 19e5 d801 >/dev/null
"$MODEL" -c "$CONF" create Alveo-U50 FPGA 10ee 903f >/dev/null
"$PROBE" -c "$CONF" -q
hold 0000:3b:00.0 vm-1
unreleased 0000:af:00.0
printf 'launch_failures 1\n' >"$H/run/stats"
prom h1 h1.a.prom
printf 'launch_failures 3\n' >"$H/run/stats"
prom h1 h1.prom
"$PROBE" -c "$CONF" --list --json >"$W/h1.json"
# h2: the same machine, only the NPUs a model, nothing claimed; its timer stops at minute 70
mkhost h2 "$ROOT/conf/example-host.txt" || { failt "mkhost h2"; exit 1; }
"$MODEL" -c "$CONF" create Atlas-800 NPU 19e5 d801 >/dev/null
prom h2 h2.prom
"$PROBE" -c "$CONF" --list --json >"$W/h2.json"
# h3: three NPUs of one vendor:device, two models told apart by subsystem, on two NUMA nodes;
# one claimed, one unreleased
mkhost h3 "$ROOT/tests/hosts/subsys.host" || { failt "mkhost h3"; exit 1; }
"$MODEL" -c "$CONF" create Atlas-800 NPU 19e5 d801 --subsystem 19e5:0100 >/dev/null
"$MODEL" -c "$CONF" create Atlas-300 NPU 19e5 d801 >/dev/null
"$PROBE" -c "$CONF" -q
hold 0000:01:00.0 vm-3
unreleased 0000:02:00.0
prom h3 h3.prom
"$PROBE" -c "$CONF" --list --json >"$W/h3.json"
# h4: custom devices disabled
mkhost h4 "$ROOT/conf/example-host.txt" || { failt "mkhost h4"; exit 1; }
"$MODEL" -c "$CONF" create Atlas-800 NPU 19e5 d801 >/dev/null
echo "disable_custom_device = true" >>"$CONF"
prom h4 h4.prom
"$PROBE" -c "$CONF" --list --json >"$W/h4.json"
# h5: its probe fails (a models.d file it refuses), after a good one
mkhost h5 "$ROOT/conf/example-host.txt" || { failt "mkhost h5"; exit 1; }
"$MODEL" -c "$CONF" create Atlas-800 NPU 19e5 d801 >/dev/null
"$PROBE" -c "$CONF" -q
echo "not a model" >"$H/etc/models.d/broken.conf"
prom h5 h5.prom
"$PROBE" -c "$CONF" --list --json >"$W/h5.json"

# The fleet is what the numbers below rest on: check it is the one described.
states() { python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(d["disabled"], *sorted("unreleased" if not x["released"] and x["state"] == "free" else x["state"] for x in d["devices"]))' "$1"; }
check "the fleet: h1 has an NPU claimed, one unreleased and a free FPGA" test "$(states "$W/h1.json")" = "False claimed free unreleased"
check "the fleet: h3 has an NPU claimed, one unreleased and one free" test "$(states "$W/h3.json")" = "False claimed free unreleased"
check "the fleet: h2 two free NPUs, h4 disabled" test "$(states "$W/h2.json") / $(states "$W/h4.json")" = "False free free / True"
check "the fleet: every probe succeeded but h5's (exit 65)" test "${OK[h1]} ${OK[h2]} ${OK[h3]} ${OK[h4]} ${OK[h5]}" = "0 0 0 0 65"
# Minutes 0-100, a sample a minute; the numbers are checked at 90 (the failed launches 3 minutes
# old, h2's probe 20 minutes) and at 100 (the launches out of $__rate_interval, still within
# $__range). Each window then starts on a sample, so increase() is exact, not extrapolated
# (promtool 2.x, Debian 12's: a range includes its start; 3.x's left-open ranges would not).
ok() { if [ "${OK[$1]}" = 0 ]; then echo true; else echo false; fi; }
cat >"$W/fleet.json" <<EOF
{"end": 100, "evals": [90, 100], "hosts": [
 {"instance": "h1", "ok": $(ok h1), "list": "$W/h1.json",
  "proms": [[0, "$W/h1.a.prom"], [87, "$W/h1.prom"]], "launch_failures": [[0, 1], [87, 3]], "stale_from": null},
 {"instance": "h2", "ok": $(ok h2), "list": "$W/h2.json",
  "proms": [[0, "$W/h2.prom"]], "launch_failures": [[0, 0]], "stale_from": 70},
 {"instance": "h3", "ok": $(ok h3), "list": "$W/h3.json",
  "proms": [[0, "$W/h3.prom"]], "launch_failures": [[0, 0]], "stale_from": null},
 {"instance": "h4", "ok": $(ok h4), "list": "$W/h4.json",
  "proms": [[0, "$W/h4.prom"]], "launch_failures": [[0, 0]], "stale_from": null},
 {"instance": "h5", "ok": $(ok h5), "list": "$W/h5.json",
  "proms": [[0, "$W/h5.prom"]], "launch_failures": [[0, 0]], "stale_from": null}]}
EOF
PROMS=("$W/h1.a.prom" "$W/h1.prom" "$W/h2.prom" "$W/h3.prom" "$W/h4.prom" "$W/h5.prom")

# --- the textfiles aggregate ------------------------------------------------------------------
for f in "${PROMS[@]}"; do
	promtool check metrics <"$f" >"$W/check" 2>&1
	shown "promtool check metrics ${f##*/}" "$W/check" $?
done
# heads FILE: its HELP and TYPE lines, sorted
heads() { grep '^# \(HELP\|TYPE\) ' "$1" | sort; }
check "h1, h2, h3 (devices, other models and states): the same metric names, HELP and TYPE" \
	test "$(heads "$W/h1.prom")" = "$(heads "$W/h2.prom")" -a "$(heads "$W/h1.prom")" = "$(heads "$W/h3.prom")"
check "h4, h5 (disabled, probe failing): the same six names, HELP and TYPE, every one h1's too" \
	test "$(heads "$W/h4.prom")" = "$(heads "$W/h5.prom")" -a "$(grep -c '^# TYPE' "$W/h4.prom")" = 6 \
	-a -z "$(comm -23 <(heads "$W/h4.prom") <(heads "$W/h1.prom"))"
check "no host's name, address or model in a metric name" \
	bash -c "! grep -hv '^#' ${PROMS[*]} | sed 's/[{ ].*//' | grep -qv '^pcipass_[a-z_]*$'"

# --- the dashboard ----------------------------------------------------------------------------
# validate DASH: every check of the dashboard, quietly; false at the first that fails, naming it
# in $W/why (the output in $W/out)
validate() {
	local d=$1
	echo lint >"$W/why"
	grafana lint "$d" >"$W/out" 2>&1 || return 1
	echo "PromQL (promtool check rules)" >"$W/why"
	grafana rules "$d" "$W/rules.yml" >"$W/out" 2>&1 && promtool check rules "$W/rules.yml" >"$W/out" 2>&1 || return 1
	echo "metric and label names" >"$W/why"
	grafana names "$d" "${PROMS[@]}" >"$W/out" 2>&1 || return 1
	echo "numbers (promtool test rules)" >"$W/why"
	grafana cases "$d" "$W/fleet.json" rules.yml "$W/cases.yml" >"$W/out" 2>&1 &&
		(cd "$W" && promtool test rules cases.yml) >"$W/out" 2>&1 || return 1
	echo "" >"$W/why"
}
grafana lint "$DASH" >"$W/out" 2>&1
shown "the dashboard: JSON, its variables, only the datasource variable, standard panels, every query aggregating and filtered by \$instance (and \$model)" "$W/out" $?
grafana rules "$DASH" "$W/rules.yml" >"$W/out" 2>&1 && promtool check rules "$W/rules.yml" >"$W/out" 2>&1
shown "every query, variables substituted, parses as PromQL (promtool check rules)" "$W/out" $?
n=$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(sum(len(p["targets"]) for p in d["panels"]) + 2)' "$DASH")
check "promtool check rules: the $n queries (the panels' and two variables'), twice (all hosts and models, then a choice)" \
	grep -q "SUCCESS: $((n * 2)) rules found" "$W/out"
grafana names "$DASH" "${PROMS[@]}" >"$W/out" 2>&1
shown "every metric and label the queries name is one pcipass-probe --prom writes, on every host" "$W/out" $?
grafana cases "$DASH" "$W/fleet.json" rules.yml "$W/cases.yml" >"$W/out" 2>&1 &&
	(cd "$W" && promtool test rules cases.yml) >"$W/out" 2>&1
shown "every query's numbers on the five hosts' textfiles are those of their --list --json (promtool test rules)" "$W/out" $?
check "the numbers: $((n * 4)) evaluations (each query, all and a choice, at two times)" \
	test "$(grep -c '"expr": "grafana_' "$W/cases.yml")" = $((n * 4))
check "the numbers: every query gives at least one sample (none checked as empty)" \
	bash -c "! grep -q '\"exp_samples\": \[\]' '$W/cases.yml'"

# mutant NAME FROM TO: the dashboard with FROM's first occurrence replaced by TO fails a check
mutant() {
	local name=$1 m=$W/mutant.json
	FROM=$2 TO=$3 python3 -c '
import os, sys
s = open(sys.argv[1]).read()
f, t = os.environ["FROM"], os.environ["TO"]
if f not in s:
    sys.exit("the text to change is not there: " + f)
open(sys.argv[2], "w").write(s.replace(f, t, 1))' "$DASH" "$m" || {
		failt "the checks catch $name (the dashboard no longer holds the text to change)"
		return
	}
	if validate "$m"; then
		failt "the checks catch $name"
	else
		pass "the checks catch $name (by: $(cat "$W/why"))"
	fi
}
mutant "the table of devices to release listing free ones" \
	'state=\"unreleased\"})",' 'state=\"free\"})",'
mutant "devices per host not told apart by state" 'sum by (instance, model, state) (' 'sum by (instance, model) ('
mutant "a misspelt metric" 'pcipass_launch_failures_total{instance=~\"$instance\"}[$__rate_interval]' \
	'pcipass_launch_failure_total{instance=~\"$instance\"}[$__rate_interval]'
mutant "a label the series do not have" 'sum by (model, state) (pcipass_devices' 'sum by (model, dev_state) (pcipass_devices'
mutant "a panel ignoring the hosts chosen" 'count(pcipass_probe_success{instance=~\"$instance\"} == 0)' \
	'count(pcipass_probe_success == 0)'
mutant "a panel ignoring the models chosen" \
	'pcipass_device_info{instance=~\"$instance\", model=~\"$model\", state=\"unreleased\"})",' \
	'pcipass_device_info{instance=~\"$instance\", state=\"unreleased\"})",'
mutant "failed launches of the last 5 minutes, not the time range" \
	'[$__range])) or vector(0)' '[$__rate_interval])) or vector(0)'
mutant "the newest probe's age for the oldest" 'max(time() - ' 'min(time() - '
mutant "a datasource of one Grafana's, not the variable" \
	'"datasource": {"type": "prometheus", "uid": "${datasource}"}' '"datasource": {"type": "prometheus", "uid": "P1809F7CD0C75ACF3"}'
# (and the unmutated dashboard passes validate too, or the mutants would prove nothing)
check "validate passes the dashboard itself" validate "$DASH"

# --- installed beside the alert rules ---------------------------------------------------------
D=$TMPROOT/dest
make -s -C "$ROOT" install BUILD="$BUILD" DESTDIR="$D" PREFIX=/usr >/dev/null 2>&1
check "make install: /usr/share/pcipass/grafana/pcipass.json, contrib/grafana's, mode 0644" \
	bash -c "cmp -s '$DASH' '$D/usr/share/pcipass/grafana/pcipass.json' && [ \$(stat -c %a '$D/usr/share/pcipass/grafana/pcipass.json') = 644 ]"
make -s -C "$ROOT" uninstall BUILD="$BUILD" DESTDIR="$D" PREFIX=/usr >/dev/null 2>&1
check "make uninstall removes it" test ! -e "$D/usr/share/pcipass/grafana/pcipass.json"
