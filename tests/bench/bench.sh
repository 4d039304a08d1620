#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench: pcipass-probe against lspci on the same fake trees, side by side in one run.
#
#   time:   hyperfine -N (mean ± sd over BENCH_RUNS runs after 3 warm-ups), each pair in one
#           hyperfine invocation so that both sides see the same machine state;
#   memory: peak RSS (/usr/bin/time -f %M), median of 5 runs.
#
# Trees of 64, 1024 and 8192 devices (fakehost --synth) live on tmpfs, like sysfs. Per size:
#   1. pcipass-probe -q writing the inventory: before every run the inventory is replaced by a
#      stale copy (one device's driver differs), so each run reads, compares and really writes;
#   2. pcipass-probe -q with the inventory already up to date (the cron case: no write);
#   3. lspci -n on the same tree (the baseline for 1 and 2), as typed and with -O hwdb.disable=1
#      (the probe never asks udev's hwdb; without hwdb.bin, libpci retries it at every lookup);
#   4. pcipass-probe --all (looks names up in pci.ids) against lspci -nn -O hwdb.disable=1;
#   5. pcipass-probe with 1 model and with BENCH_MODELS (1000) models, same devices: a device x
#      model scan would show as a difference that grows with the number of devices; with
#      valgrind, callgrind counts models_match's instructions at the largest size (exact).
# Results: $(BUILD)/bench/results.md (the table, then the exact command lines).
# Knobs: BENCH_SIZES="64 1024 8192" BENCH_RUNS=20 BENCH_WARMUP=3 BENCH_MODELS=1000 (at most 4095).
# Missing hyperfine, /usr/bin/time, lspci or python3: a message and exit 1.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
case $BUILD in /*) B=$BUILD ;; *) B=$PWD/$BUILD ;; esac
SIZES=${BENCH_SIZES:-64 1024 8192}
RUNS=${BENCH_RUNS:-20}
WARMUP=${BENCH_WARMUP:-3}
MANY=${BENCH_MODELS:-1000}
BIG=${SIZES##* }
CALLGRIND=0
if command -v valgrind >/dev/null 2>&1 && command -v callgrind_annotate >/dev/null 2>&1; then CALLGRIND=1; fi

missing=0
for t in hyperfine /usr/bin/time lspci python3; do
	if ! command -v "$t" >/dev/null 2>&1; then
		case $t in
		hyperfine) echo "bench: hyperfine is missing (Debian package hyperfine; contrib/install-deps.sh)" >&2 ;;
		/usr/bin/time) echo "bench: /usr/bin/time is missing (Debian package time; contrib/install-deps.sh)" >&2 ;;
		lspci) echo "bench: lspci is missing (Debian package pciutils)" >&2 ;;
		*) echo "bench: $t is missing" >&2 ;;
		esac
		missing=1
	fi
done
[ "$missing" = 0 ] || exit 1
[ -x "$B/fakehost" ] || make --no-print-directory BUILD="$BUILD" "$BUILD/fakehost" >&2
for p in pcipass-probe pcipass-model fakehost; do
	[ -x "$B/$p" ] || { echo "bench: $B/$p is missing (make all)" >&2; exit 1; }
done

if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then TMPDIR=/dev/shm; fi
W=$(mktemp -d "${TMPDIR:-/tmp}/pcipass-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
chmod 755 "$W"
OUT=$B/bench
mkdir -p "$OUT"
CMDS=$W/commands.txt
: >"$CMDS"
echo "W=$W   # temporary, removed at the end; run from $PWD" >>"$CMDS"
: >"$W/rss.tsv"
: >"$W/facts.tsv"

say() { echo "bench: $*" >&2; }
die() { echo "bench: $*" >&2; exit 1; }
# q ARG: ARG as the shell would need it, with the temp dir shown as "$W"
q() {
	local a=${1//$W/\$W}
	case $a in
	*[!A-Za-z0-9_./=:%+,@\$-]* | "") printf '"%s"' "$a" ;;
	*\$W*) printf '"%s"' "$a" ;;
	*) printf '%s' "$a" ;;
	esac
}
logcmd() { # logcmd [--note TEXT] CMD...: the exact command line, for the report
	local note=""
	if [ "$1" = --note ]; then note=$2; shift 2; fi
	{
		printf '%s' "$(q "$1")"
		shift
		for a in "$@"; do printf ' %s' "$(q "$a")"; done
		[ -z "$note" ] || printf '   # %s' "$note"
		echo
	} >>"$CMDS"
}

# hf NAME HYPERFINE-ARGS...: one hyperfine run, exported to $W/NAME.json and $W/NAME.md
hf() {
	local name=$1
	shift
	local cmd=(hyperfine -N --style basic --warmup "$WARMUP" --runs "$RUNS"
		--export-json "$W/$name.json" --export-markdown "$W/$name.md" "$@")
	logcmd "${cmd[@]}"
	"${cmd[@]}" >&2 || die "hyperfine failed: ${cmd[*]}"
}

# rss SIZE KEY PREPARE CMD...: median peak RSS (KiB) of 5 runs of CMD into rss.tsv; PREPARE is a
# command line run (untimed) before each run, or "".
rss() {
	local n=$1 key=$2 prep=$3 i
	shift 3
	logcmd --note "5 runs, median${prep:+, each after: ${prep//$W/\$W}}" /usr/bin/time -f %M -o "$W/rss.out" "$@"
	for i in 1 2 3 4 5; do
		if [ -n "$prep" ]; then $prep; fi
		/usr/bin/time -f %M -o "$W/rss.out" "$@" >/dev/null 2>"$W/rss.err" ||
			die "failed: $* ($(head -c 300 "$W/rss.err"))"
		tail -n 1 "$W/rss.out"
	done | sort -n | sed -n 3p | { read -r kib; echo "$n	$key	$kib" >>"$W/rss.tsv"; }
}

# conf DIR NAME MODELS_DIR INVENTORY: a pcipass.conf for the tree DIR/sys (pci_ids unset: libpci's
# default pci.ids, the one lspci reads).
conf() {
	cat >"$1/etc/$2" <<CONF
[host]
sysfs_root = $1/sys
dev_root   = $1/dev
models_dir = $3
inventory  = $4
state_dir  = $1/run
CONF
}

# host DIR N: a tree of N devices; etc/pcipass.conf with the models Atlas-800 (19e5:d801) and
# Alveo-U50 (10ee:903f), which --synth gives to most endpoints; etc/m1.conf with
# Atlas-800 only and etc/many.conf with Atlas-800 and MANY-1 models no device has.
host() {
	local d=$1 n=$2 i
	mkdir -p "$d/etc/models.d" "$d/etc/m1" "$d/etc/many" "$d/var" "$d/run" "$d/dev"
	logcmd "$B/fakehost" --synth "$n" "$d/sys"
	"$B/fakehost" --synth "$n" "$d/sys" >/dev/null
	conf "$d" pcipass.conf "$d/etc/models.d" "$d/var/inventory.ini"
	conf "$d" m1.conf "$d/etc/m1" "$d/var/m1.ini"
	conf "$d" many.conf "$d/etc/many" "$d/var/many.ini"
	logcmd --note "and the same for Alveo-U50 FPGA 10ee 903f; m1.conf and many.conf get a copy of Atlas-800.conf" \
		"$B/pcipass-model" -c "$d/etc/pcipass.conf" create Atlas-800 NPU 19e5 d801
	"$B/pcipass-model" -c "$d/etc/pcipass.conf" create Atlas-800 NPU 19e5 d801 >/dev/null
	"$B/pcipass-model" -c "$d/etc/pcipass.conf" create Alveo-U50 FPGA 10ee 903f >/dev/null
	cp "$d/etc/models.d/Atlas-800.conf" "$d/etc/m1/"
	cp "$d/etc/models.d/Atlas-800.conf" "$d/etc/many/"
	# Distinct vendors spread over the whole id space (61 is prime to 0xfe00, so no two models
	# share one; the real vendors sort in the middle of the index), all with device f00d, which
	# no synthetic device has: only loading and lookup cost change.
	for ((i = 1; i < MANY; i++)); do
		printf '[X%d]\ndev_type = T\nvendor_id = %04x\ndevice_id = f00d\n' "$i" $((0x0100 + i * 61 % 0xfe00)) \
			>"$d/etc/many/x$i.conf"
	done
	printf '%s\n' "for i in \$(seq 1 $((MANY - 1))); do printf '[X%d]\\ndev_type = T\\nvendor_id = %04x\\ndevice_id = f00d\\n' \$i \$((0x0100 + i * 61 % 0xfe00)) >\"${d//$W/\$W}/etc/many/x\$i.conf\"; done" >>"$CMDS"
	chmod -R go-w "$d"
	logcmd --note "also m1.conf and many.conf" "$B/pcipass-model" -c "$d/etc/pcipass.conf" check
	for c in pcipass.conf m1.conf many.conf; do
		"$B/pcipass-model" -c "$d/etc/$c" check >/dev/null || die "models of $d/etc/$c do not pass check"
	done
	[ "$(find "$d/etc/many" -name '*.conf' | wc -l)" = "$MANY" ] || die "expected $MANY model files in $d/etc/many"
}

# The probe's one-line summary (without -q) must say STATE; it is the proof that the timed
# runs, from the same starting state, write (or do not).
expect_probe() {
	local conf=$1 want=$2 out
	out=$("$B/pcipass-probe" -c "$conf" 2>&1) || die "pcipass-probe -c $conf failed: $out"
	case $out in *", $want") ;; *) die "pcipass-probe -c $conf: expected \"$want\", got: $out" ;; esac
}

say "hyperfine $(hyperfine --version | awk '{print $2}'), $(lspci --version), $(nproc) cores, trees on $W"
for n in $SIZES; do
	d=$W/h$n
	say "== $n devices: building the tree"
	host "$d" "$n"
	C=$d/etc/pcipass.conf
	inv=$d/var/inventory.ini
	sys=$d/sys/bus/pci

	# Both programs see the same N devices, and neither complains.
	nl=$(lspci -n -A linux-sysfs -O sysfs.path="$sys" 2>"$W/err" | wc -l)
	[ ! -s "$W/err" ] || die "lspci on $sys: $(head -c 300 "$W/err")"
	na=$("$B/pcipass-probe" -c "$C" --all 2>"$W/err" | tail -n +2 | wc -l)
	[ ! -s "$W/err" ] || die "pcipass-probe --all: $(head -c 300 "$W/err")"
	if [ "$nl" != "$n" ] || [ "$na" != "$n" ]; then
		die "$n devices: lspci lists $nl, pcipass-probe --all $na"
	fi

	# The fresh inventory, and a stale one that differs in one driver.
	rm -f "$inv"
	expect_probe "$C" written
	ndev=$(sed -n 's/^devices *= *//p' "$inv")
	cp "$inv" "$d/var/fresh.ini"
	sed '0,/^driver      =.*$/s//driver      = stale-driver/' "$inv" >"$d/var/stale.ini"
	! cmp -s "$d/var/stale.ini" "$inv" || die "could not make a stale inventory"
	cp "$d/var/stale.ini" "$inv"
	expect_probe "$C" written
	expect_probe "$C" unchanged
	rm -f "$d/var/m1.ini" "$d/var/many.ini"
	expect_probe "$d/etc/m1.conf" written
	expect_probe "$d/etc/many.conf" written
	cmp -s "$d/var/m1.ini" "$d/var/many.ini" ||
		grep -v '^generated' "$d/var/m1.ini" | cmp -s - <(grep -v '^generated' "$d/var/many.ini") ||
		die "1 model and $MANY models give different inventories"
	printf '%s\tinventory_devices\t%s\n' "$n" "$ndev" >>"$W/facts.tsv"
	printf '%s\tm1_devices\t%s\n' "$n" "$(sed -n 's/^devices *= *//p' "$d/var/m1.ini")" >>"$W/facts.tsv"

	probe="$B/pcipass-probe -q -c $C"
	lspci_n="lspci -n -A linux-sysfs -O sysfs.path=$sys"
	lspci_n0="lspci -n -A linux-sysfs -O sysfs.path=$sys -O hwdb.disable=1"
	all="$B/pcipass-probe -c $C --all"
	lspci_nn="lspci -nn -A linux-sysfs -O sysfs.path=$sys -O hwdb.disable=1"

	say "== $n devices: probe (writes / unchanged) vs lspci -n (as is, and without udev hwdb)"
	hf "w$n" --command-name "probe-writes" --prepare "cp $d/var/stale.ini $inv" "$probe" \
		--command-name "probe-unchanged" --prepare "cp $d/var/fresh.ini $inv" "$probe" \
		--command-name "lspci-n" --prepare "true" "$lspci_n" \
		--command-name "lspci-n-nohwdb" --prepare "true" "$lspci_n0"
	say "== $n devices: probe --all vs lspci -nn"
	hf "a$n" --command-name "probe-all" "$all" --command-name "lspci-nn" "$lspci_nn"
	say "== $n devices: 1 model vs $MANY models (writes)"
	hf "m$n" --command-name "models-1" --prepare "rm -f $d/var/m1.ini" "$B/pcipass-probe -q -c $d/etc/m1.conf" \
		--command-name "models-$MANY" --prepare "rm -f $d/var/many.ini" "$B/pcipass-probe -q -c $d/etc/many.conf"
	# Wall time is noisy next to a device x model term of a few ms; instruction counts are exact.
	if [ "$n" = "$BIG" ] && [ "$CALLGRIND" = 1 ]; then
		say "== $n devices: 1 model vs $MANY models, instructions (callgrind)"
		for m in m1 many; do
			rm -f "$d/var/$m.ini"
			logcmd --note "after rm -f $(q "$d/var/$m.ini"); then callgrind_annotate --inclusive=yes" \
				valgrind --tool=callgrind --callgrind-out-file="$W/cg.$m" "$B/pcipass-probe" -q -c "$d/etc/$m.conf"
			valgrind --tool=callgrind --callgrind-out-file="$W/cg.$m" "$B/pcipass-probe" -q -c "$d/etc/$m.conf" \
				>/dev/null 2>"$W/cg.err" || die "valgrind failed: $(tail -n 3 "$W/cg.err")"
			callgrind_annotate --inclusive=yes --threshold=100 "$W/cg.$m" >"$W/cg.$m.txt" 2>/dev/null
		done
	fi

	say "== $n devices: peak RSS"
	# shellcheck disable=SC2086 # the command lines are split on purpose, as hyperfine -N does
	{
		rss "$n" probe-writes "cp $d/var/stale.ini $inv" $probe
		rss "$n" probe-unchanged "cp $d/var/fresh.ini $inv" $probe
		rss "$n" lspci-n "" $lspci_n
		rss "$n" lspci-n-nohwdb "" $lspci_n0
		rss "$n" probe-all "" $all
		rss "$n" lspci-nn "" $lspci_nn
	}
	rm -rf "$d"
done

# The report: one table for the pairs, growth with the number of devices, the model check.
python3 - "$W" "$OUT/results.md" "$SIZES" "$MANY" "$RUNS" "$WARMUP" <<'PY'
import json, sys, os, platform, subprocess, re, math
W, out, sizes, many, runs, warmup = sys.argv[1], sys.argv[2], [int(s) for s in sys.argv[3].split()], int(sys.argv[4]), sys.argv[5], sys.argv[6]

def cg(m):  # inclusive instruction counts from callgrind_annotate, by function
    p = os.path.join(W, f"cg.{m}.txt")
    if not os.path.exists(p):
        return None
    r = {}
    for line in open(p):
        x = re.match(r"\s*([\d,]+) \([^)]*\)\s+(\S+)", line)
        if x:
            ir = int(x.group(1).replace(",", ""))
            name = x.group(2)
            if name == "PROGRAM":
                r["total"] = ir
            else:
                r.setdefault(name.split(":")[-1], ir)
    return r

def hf(name):
    return {r["command"]: r for r in json.load(open(os.path.join(W, name + ".json")))["results"]}
rss, facts = {}, {}
for line in open(os.path.join(W, "rss.tsv")):
    n, k, v = line.split()
    rss[(int(n), k)] = int(v)
for line in open(os.path.join(W, "facts.tsv")):
    n, k, v = line.split()
    facts[(int(n), k)] = int(v)
T = {}
for n in sizes:
    for f in ("w", "a", "m"):
        for k, r in hf(f"{f}{n}").items():
            T[(n, k)] = r

ms = lambda r: r["mean"] * 1e3
fmt = lambda r: "%.2f ± %.2f" % (r["mean"] * 1e3, r["stddev"] * 1e3)
ok = lambda b: "yes" if b else "**NO**"
L = []
L.append("## pcipass-probe vs lspci (same fake sysfs tree on tmpfs, same run)\n")
L.append("| devices | pcipass-probe | probe, ms | baseline | lspci, ms | time probe/lspci | probe peak RSS, KiB | lspci peak RSS, KiB | RSS probe/lspci |")
L.append("|---:|---|---:|---|---:|---:|---:|---:|---:|")
NOHWDB = "`-O hwdb.disable=1`"
pairs = [("probe-writes", "`-q`, writes the inventory", "lspci-n", "`lspci -n`"),
         ("probe-writes", "`-q`, writes the inventory", "lspci-n-nohwdb", "`lspci -n` " + NOHWDB),
         ("probe-unchanged", "`-q`, inventory unchanged (no write)", "lspci-n", "`lspci -n`"),
         ("probe-unchanged", "`-q`, inventory unchanged (no write)", "lspci-n-nohwdb", "`lspci -n` " + NOHWDB),
         ("probe-all", "`--all` (names from pci.ids)", "lspci-nn", "`lspci -nn` " + NOHWDB)]
verdict = []
for n in sizes:
    for p, pd, l, ld in pairs:
        tp, tl, rp, rl = T[(n, p)], T[(n, l)], rss[(n, p)], rss[(n, l)]
        L.append(f"| {n} | {pd} | {fmt(tp)} | {ld} | {fmt(tl)} | {ms(tp)/ms(tl):.2f} | {rp} | {rl} | {rp/rl:.2f} |")
        verdict.append((n, p, l, ms(tp) <= ms(tl), rp <= rl, ms(tp), ms(tl), tp["stddev"]*1e3, tl["stddev"]*1e3, rp, rl))
L.append("")
L.append("lspci's options, always: `-A linux-sysfs -O sysfs.path=TREE/bus/pci`. pcipass-probe never asks udev's hwdb "
         "for names (PCI_LOOKUP_NO_HWDB), so `-O hwdb.disable=1` is lspci doing the same work; plain `lspci -n` is the "
         "command as users type it (on a host without hwdb.bin, libpci retries opening it for every lookup).\n")
L.append("Custom devices in the inventory: " + ", ".join(f"{facts[(n,'inventory_devices')]} of {n}" for n in sizes) + ".\n")

# Growth: the factor between sizes, and the marginal cost per device of each step; linear
# cost means the marginal cost stays the same from one step to the next.
L.append("## Growth with the number of devices\n")
steps = list(zip(sizes, sizes[1:]))
hdr = "| command | " + " | ".join(f"{a}→{b} (×{b/a:g} devices)" for a, b in steps) + " | " + \
      " | ".join(f"µs/device {a}→{b}" for a, b in steps) + " | marginal cost, last step / first |"
L.append(hdr)
L.append("|---|" + "---:|" * (2 * len(steps) + 1))
linear = {}
for k, name in [("probe-writes", "pcipass-probe (writes)"), ("probe-unchanged", "pcipass-probe (unchanged)"),
                ("lspci-n", "lspci -n"), ("lspci-n-nohwdb", "lspci -n -O hwdb.disable=1"), ("probe-all", "pcipass-probe --all"), ("lspci-nn", "lspci -nn")]:
    g = [ms(T[(b, k)]) / ms(T[(a, k)]) for a, b in steps]
    m = [(ms(T[(b, k)]) - ms(T[(a, k)])) * 1e3 / (b - a) for a, b in steps]
    r = m[-1] / m[0] if steps and m[0] > 0 else float("nan")
    linear[k] = r
    L.append(f"| {name} | " + " | ".join(f"×{x:.2f}" for x in g) + " | " + " | ".join(f"{x:.1f}" for x in m) +
             (f" | {r:.2f} |" if steps else " | - |"))
L.append("")
L.append("Small sizes are dominated by start-up, so the factor between sizes is below the factor in devices; "
         "the per-device (marginal) cost is the linearity check: it should not grow with the size "
         "(a last/first ratio near 1; an O(n²) step would double it with every doubling).\n")

L.append(f"## Matching: 1 model vs {many} models, same devices (probe writes the inventory)\n")
L.append(f"The {many - 1} extra models have ids no device has, so both write the same inventory; only loading "
         "and lookup differ.\n")
L.append(f"| devices | 1 model, ms | {many} models, ms | difference, ms | user CPU 1 model, ms | user CPU {many} models, ms | matched devices |")
L.append("|---:|---:|---:|---:|---:|---:|---:|")
diffs = []
for n in sizes:
    a, b = T[(n, "models-1")], T[(n, f"models-{many}")]
    diffs.append((n, ms(b) - ms(a), (a["stddev"]**2 + b["stddev"]**2) ** 0.5 * 1e3, (b["user"] - a["user"]) * 1e3))
    L.append(f"| {n} | {fmt(a)} | {fmt(b)} | {ms(b)-ms(a):+.2f} | {a['user']*1e3:.2f} | {b['user']*1e3:.2f} | {facts[(n,'m1_devices')]} |")
L.append("")
c1, cm = cg("m1"), cg("many")
big = sizes[-1]
scan_ok = None
if c1 and cm and "models_match" in c1 and "models_match" in cm:
    L.append(f"Instructions (callgrind, user space, inclusive), {big} devices, one probe run:\n")
    L.append(f"| function | 1 model | {many} models | growth |")
    L.append("|---|---:|---:|---:|")
    for f in ("total", "scan_bus", "models_load", "match_inventory", "models_match", "inventory_render"):
        if f in c1 and f in cm:
            L.append(f"| {'whole program' if f == 'total' else f} | {c1[f]:,} | {cm[f]:,} | ×{cm[f]/c1[f]:.2f} |")
    per1, perm = c1["models_match"] / big, cm["models_match"] / big
    L.append(f"| models_match per device | {per1:.0f} | {perm:.0f} | ×{perm/per1:.2f} |")
    L.append("")
    scan_ok = perm / per1 <= math.log2(many)
    L.append(f"A lookup costs {per1:.0f} instructions per device with 1 model and {perm:.0f} with {many}: "
             f"×{perm/per1:.2f} for ×{many} models (log2 {many} = {math.log2(many):.1f}; a device x model scan "
             f"would be ×{many}, about {per1*many*big/1e6:.0f} M instructions here). Loading the {many} files is "
             f"the per-run cost: models_load {cm.get('models_load', 0)/1e6:.1f} M instructions.\n")
elif len(diffs) > 1:
    (n0, d0, s0, u0), (n1, d1, s1, u1) = diffs[0], diffs[-1]
    scan_ok = abs(d1 - d0) <= max(1.0, 2 * (s0**2 + s1**2) ** 0.5)
    L.append(f"No valgrind here: the extra models cost {d0:+.2f} ms at {n0} devices and {d1:+.2f} ms at {n1} "
             f"(user CPU {u0:+.2f} / {u1:+.2f} ms).\n")

L.append("## Verdict\n")
# Time: "above" only when the probe's mean exceeds lspci's by more than two standard errors of
# the difference (this machine's noise is several %); memory: the medians, as they are.
def tstate(v):
    n, p, l, _, _, mp, ml, sp, sl = v[:9]
    se = ((sp**2 + sl**2) / int(runs)) ** 0.5
    return "below" if mp <= ml else ("within noise" if mp - ml <= 2 * se else "above")
for v in verdict:
    n, p, l = v[:3]
    st, rok = tstate(v), v[4]
    if st != "below" or not rok:
        why = [f"time {v[5]:.2f} ± {v[7]:.2f} ms vs {v[6]:.2f} ± {v[8]:.2f} ms ({v[5]/v[6]:.2f}×, {st})"]
        why.append(f"peak RSS {v[9]} vs {v[10]} KiB ({'below' if rok else 'above'})")
        L.append(f"- {n} devices, {p} vs {l}: " + "; ".join(why))
for l in ("lspci-n", "lspci-n-nohwdb", "lspci-nn"):
    vs = [v for v in verdict if v[2] == l]
    for p in sorted({v[1] for v in vs}):
        sel = [v for v in vs if v[1] == p]
        states = {tstate(v) for v in sel}
        t = "yes" if states == {"below"} else ("yes, within noise" if "above" not in states else "**NO**")
        m = "yes" if all(v[4] for v in sel) else "**NO**"
        L.append(f"- {p} at or below {l} on every size: time {t}; peak RSS {m}")
lin = linear.get("probe-writes", float("nan"))
L.append(f"- probe cost linear in devices (marginal cost last/first step {lin:.2f}, ≤ 1.5): {ok(lin <= 1.5)}")
if scan_ok is not None:
    L.append(f"- no device x model scan (lookup cost grows at most like log2 of the number of models): {ok(scan_ok)}")
L.append("")
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
hv = subprocess.run(["hyperfine", "--version"], capture_output=True, text=True).stdout.strip()
lv = subprocess.run(["lspci", "--version"], capture_output=True, text=True).stdout.strip()
L.append(f"Machine: {cpu}, {os.cpu_count()} cores, Linux {platform.release()}; {hv}, {lv}; "
         f"hyperfine -N --warmup {warmup} --runs {runs}; peak RSS: median of 5 runs of /usr/bin/time -f %M; "
         f"trees (sysfs and inventory) on {os.path.dirname(W)} (tmpfs: fsync costs nothing there). "
         "The temporary paths below are removed at the end of the run.\n")
L.append("## Commands\n")
L.append("```")
L.extend(l.rstrip("\n") for l in open(os.path.join(W, "commands.txt")))
L.append("```")
open(out, "w").write("\n".join(L) + "\n")
PY
cat "$OUT/results.md"
