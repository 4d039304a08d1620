#!/usr/bin/env bash
# make bench: pcipass-probe against lspci on the same fake trees, side by side in one run.
#   time: hyperfine (mean ± sd over repeated runs); memory: peak RSS from /usr/bin/time, median
#   of 5 runs. Trees of 64, 1024 and 8192 devices (fakehost --synth) live on tmpfs like sysfs.
# Results: build/bench/results.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
B=$PWD/$BUILD
SIZES=${BENCH_SIZES:-64 1024 8192}
RUNS=${BENCH_RUNS:-20}
for t in hyperfine /usr/bin/time lspci; do
	command -v "$t" >/dev/null || { echo "bench: $t is missing (contrib/install-deps.sh)" >&2; exit 1; }
done
if [ -z "${TMPDIR:-}" ] && [ -w /dev/shm ]; then TMPDIR=/dev/shm; fi
W=$(mktemp -d "${TMPDIR:-/tmp}/pcipass-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
chmod 755 "$W"
OUT=$B/bench
mkdir -p "$OUT"

host() { # host DIR N [MODELS]: a tree of N devices and a pcipass.conf with MODELS extra models
	local d=$1 n=$2 extra=${3:-0}
	mkdir -p "$d/etc/models.d" "$d/var" "$d/run"
	"$B/fakehost" --synth "$n" "$d/sys" >/dev/null
	cat >"$d/etc/pcipass.conf" <<CONF
[host]
sysfs_root = $d/sys
models_dir = $d/etc/models.d
inventory  = $d/var/inventory.ini
state_dir  = $d/run
CONF
	"$B/pcipass-model" -c "$d/etc/pcipass.conf" create Atlas-800 NPU 19e5 d801 >/dev/null
	"$B/pcipass-model" -c "$d/etc/pcipass.conf" create Alveo-U50 FPGA 10ee 903f >/dev/null
	for i in $(seq 1 "$extra"); do # distinct ids no device has: only the lookup cost changes
		printf '[X%d]\ndev_type = T\nvendor_id = %04x\ndevice_id = %04x\n' "$i" $((0x2000 + i / 256)) $((i % 256)) \
			>"$d/etc/models.d/x$i.conf"
	done
	chmod -R go-w "$d"
	"$B/pcipass-model" -c "$d/etc/pcipass.conf" check >/dev/null
}

rss() { # rss CMD...: median peak RSS in KiB over 5 runs
	for _ in 1 2 3 4 5; do
		/usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n 1
	done | sort -n | sed -n 3p
}

mean() { # mean JSON INDEX: "12.3 ± 0.4" in ms
	python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]; print("%.2f ± %.2f" % (r["mean"]*1e3, r["stddev"]*1e3))' "$1" "$2"
}
ratio() {
	python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; print("%.2f" % (r[0]["mean"]/r[1]["mean"]))' "$1"
}

{
	echo "| devices | pcipass-probe (writes inventory), ms | lspci -n, ms | probe/lspci | probe peak RSS, KiB | lspci peak RSS, KiB | pcipass-probe --all, ms | lspci -nn, ms | --all peak RSS | lspci -nn peak RSS |"
	echo "|---|---|---|---|---|---|---|---|---|---|"
} >"$OUT/results.md"
for n in $SIZES; do
	d=$W/h$n
	host "$d" "$n"
	conf=$d/etc/pcipass.conf
	probe="$B/pcipass-probe -q -c $conf"
	lspci_n="lspci -n -A linux-sysfs -O sysfs.path=$d/sys/bus/pci"
	all="$B/pcipass-probe -c $conf --all"
	lspci_nn="lspci -nn -A linux-sysfs -O sysfs.path=$d/sys/bus/pci"
	echo "== $n devices" >&2
	# --prepare removes the inventory so that every timed probe really writes it
	hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$W/w$n.json" \
		--prepare "rm -f $d/var/inventory.ini" "$probe" \
		--prepare "true" "$lspci_n" >&2
	hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$W/a$n.json" "$all" "$lspci_nn" >&2
	rm -f "$d/var/inventory.ini"
	printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$n" \
		"$(mean "$W/w$n.json" 0)" "$(mean "$W/w$n.json" 1)" "$(ratio "$W/w$n.json")" \
		"$(rss $probe)" "$(rss $lspci_n)" \
		"$(mean "$W/a$n.json" 0)" "$(mean "$W/a$n.json" 1)" "$(rss $all)" "$(rss $lspci_nn)" >>"$OUT/results.md"
	[ "$n" = 8192 ] || rm -rf "$d"
done

# Matching cost does not grow with the number of models (no device x model scan): the same
# 8192-device tree with 2 and with 1000 models; the probe writes an unchanged inventory.
if [ -d "$W/h8192" ]; then
	d=$W/h8192
	host "$W/m1000" 0 1000
	cp "$W/m1000"/etc/models.d/x*.conf "$d/etc/models.d/"
	cp -r "$d/etc/models.d" "$W/models-1000"
	rm "$d"/etc/models.d/x*.conf
	hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$W/m.json" \
		--prepare "rm -f $d/var/inventory.ini" "$B/pcipass-probe -q -c $d/etc/pcipass.conf" >&2
	cp "$W"/models-1000/x*.conf "$d/etc/models.d/"
	hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$W/m2.json" \
		--prepare "rm -f $d/var/inventory.ini" "$B/pcipass-probe -q -c $d/etc/pcipass.conf" >&2
	{
		echo
		echo "| 8192 devices | 2 models, ms | 1002 models, ms |"
		echo "|---|---|---|"
		echo "| pcipass-probe (writes) | $(mean "$W/m.json" 0) | $(mean "$W/m2.json" 0) |"
	} >>"$OUT/results.md"
fi
{
	echo
	echo "Command: \`make bench\` (tests/bench/bench.sh; hyperfine -N --warmup 3 --runs $RUNS;"
	echo "peak RSS: median of 5 runs of /usr/bin/time -f %M), $(nproc) cores, $(uname -r), trees on ${TMPDIR:-/tmp}."
} >>"$OUT/results.md"
cat "$OUT/results.md"
