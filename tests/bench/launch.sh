#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench, part 2: what pcipass-run adds before QEMU starts. On a fake tree (tmpfs) with
# build/kernelsim.so playing the kernel for the binds, hyperfine times, side by side in one run:
#   pcipass-run -c C vm-N.ini   with qemu = /bin/true: reads the config, models, inventory and
#                               vm.ini, claims N devices, checks their IOMMU groups, binds them
#                               to vfio-pci, prepares, drops privileges, installs the seccomp
#                               filter and execs /bin/true with QEMU's argv;
#   /bin/true ARGV              the same exec of the same argv, directly (the baseline).
# Between runs (hyperfine --prepare, not timed) pcipass-run --release gives the devices back, so
# every run binds from scratch. N = 0, 1, 4, 16, 64 devices (BENCH_LAUNCH_SIZES).
# The markdown table goes to stdout. Raising RLIMIT_MEMLOCK for devices takes CAP_SYS_RESOURCE:
# on a host whose root lacks it (a container, this kind of CI machine) the 0-device row is
# measured here, and the whole table again in a throwaway guest (tests/guest/run.sh) under TCG,
# where everything is slower alike: the 0-device rows of both give the scale.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BUILD=${BUILD:-build}
case $BUILD in /*) B=$BUILD ;; *) B=$ROOT/$BUILD ;; esac
SIZES=${BENCH_LAUNCH_SIZES:-0 1 4 16 64}
RUNS=${BENCH_RUNS:-20}
WARMUP=${BENCH_WARMUP:-3}

command -v hyperfine >/dev/null || { echo "bench: hyperfine is missing (contrib/install-deps.sh)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "bench: the launch benchmark needs root" >&2; exit 1; }
if [ $((0x$(awk '/^CapEff/ {print $2}' /proc/self/status) >> 24 & 1)) = 0 ] && [ "$SIZES" != 0 ]; then
	if [ -n "${PCIPASS_IN_GUEST:-}" ]; then
		echo "bench: no CAP_SYS_RESOURCE, even in the guest" >&2
		exit 1
	fi
	echo "bench: no CAP_SYS_RESOURCE here (RLIMIT_MEMLOCK): 0 devices here, then every size in a TCG guest" >&2
	PCIPASS_IN_GUEST=host BENCH_LAUNCH_SIZES=0 bash "$0"
	echo
	exec "$ROOT/tests/guest/run.sh" --timeout 1200 env PCIPASS_IN_GUEST=1 BUILD="$B" \
		BENCH_RUNS="$RUNS" BENCH_WARMUP="$WARMUP" BENCH_LAUNCH_SIZES="$SIZES" bash "$ROOT/tests/bench/launch.sh"
fi

if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then TMPDIR=/dev/shm; fi
W=$(mktemp -d "${TMPDIR:-/tmp}/pcipass-launch.XXXXXX")
trap 'rm -rf "$W"' EXIT
chmod 755 "$W"
max=${SIZES##* }
[ "$max" -gt 0 ] || max=1
H=$W/host
mkdir -p "$H/etc/models.d" "$H/var" "$H/run"
{
	echo "0000:00:00.0 0600 8086:2020 8086:0000 0 0 -"
	for i in $(seq 0 $((max - 1))); do
		printf '0000:%02x:00.0 1200 19e5:d801 19e5:0100 %d %d -\n' $((0x10 + i)) $((10 + i)) $((i % 2))
	done
} >"$W/host.txt"
"$B/fakehost" "$W/host.txt" "$H/sys" >/dev/null
C=$H/etc/pcipass.conf
cat >"$C" <<CONF
[host]
sysfs_root = $H/sys
dev_root   = $H/dev
models_dir = $H/etc/models.d
inventory  = $H/var/inventory.ini
state_dir  = $H/run
qemu       = /bin/true
run_as     = nobody
CONF
chmod -R go-w "$H"
"$B/pcipass-model" -c "$C" create NPU1 NPU 19e5 d801 >/dev/null
"$B/pcipass-probe" -c "$C" -q
export LD_PRELOAD=$B/kernelsim.so PCIPASS_SIM_SYSFS=$H/sys PCIPASS_SIM_DEV=$H/dev

echo "| devices | pcipass-run to exec + /bin/true, ms | /bin/true with the same argv, ms | added, ms |"
echo "|---|---|---|---|"
for n in $SIZES; do
	printf '[vm]\nname = b%d\nmemory = 128M\naccel = tcg\n' "$n" >"$W/vm$n.ini"
	[ "$n" = 0 ] || printf '[devices]\nNPU1 = %d\n' "$n" >>"$W/vm$n.ini"
	# QEMU's argv as --dry-run shows it, one shell-quoted word a line
	"$B/pcipass-run" -c "$C" --dry-run "$W/vm$n.ini" | sed -n '/^qemu:$/,$p' | tail -n +2 |
		sed 's/ \\$//; s/^    //' >"$W/argv$n"
	eval "argv=($(tr '\n' ' ' <"$W/argv$n"))"
	hyperfine -N --style none --warmup "$WARMUP" --runs "$RUNS" \
		--prepare "$B/pcipass-run -c $C --release" \
		--export-json "$W/h$n.json" \
		"$B/pcipass-run -c $C $W/vm$n.ini" "${argv[*]}" >/dev/null 2>"$W/h$n.err" ||
		{ cat "$W/h$n.err" >&2; exit 1; }
	python3 - "$W/h$n.json" "$n" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
run, base = r[0], r[1]
ms = lambda x: x * 1000
print("| %s | %.2f ± %.2f | %.2f ± %.2f | %.2f |" % (sys.argv[2], ms(run["mean"]), ms(run["stddev"]),
      ms(base["mean"]), ms(base["stddev"]), ms(run["mean"] - base["mean"])))
PY
	"$B/pcipass-run" -c "$C" --release 2>/dev/null
done
echo
echo "Command: make bench (tests/bench/launch.sh; hyperfine -N --warmup $WARMUP --runs $RUNS, --prepare 'pcipass-run --release'),"
where="on this host"
[ "${PCIPASS_IN_GUEST:-}" = 1 ] && where="in the TCG guest of tests/guest/run.sh"
echo "$(nproc) cores, $(uname -r), $where; fake tree on tmpfs, kernelsim.so preloaded on both sides."
