#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench, the launcher part (run by tests/bench/bench.sh, which makes the table): what
# pcipass-run adds before QEMU starts. On a fake tree (tmpfs) with build/kernelsim.so playing the
# kernel, hyperfine times, side by side in one run:
#   pcipass-run -c C vm-N.ini   with qemu = /bin/true: reads the config, models, inventory and
#                               vm.ini, claims N devices, checks their IOMMU groups, binds them
#                               to vfio-pci, prepares, drops privileges, installs the seccomp
#                               filter and execs /bin/true with QEMU's argv;
#   /bin/true ARGV              the same exec of the same argv, directly, under the same
#                               LD_PRELOAD (the baseline: loading the stand-in costs both sides
#                               alike; pcipass-run gives QEMU an environment without it).
# Between runs (hyperfine --prepare, not timed) pcipass-run --release gives the devices back, so
# every run binds from scratch. N = 0, 1, 4, 16 devices (BENCH_LAUNCH_SIZES); BENCH_LAUNCH_RUNS
# (100) runs after BENCH_LAUNCH_WARMUP (5) warm-ups.
# The stand-in's own time: every process under it appends its time in the hooks to a file
# (PCIPASS_SIM_COST, see tests/kernelsim.c); run i's figure is subtracted from run i's time, on
# both sides. RLIMIT_MEMLOCK is the stand-in's (PCIPASS_SIM_MEMLOCK), so devices launch on this
# host even when root lacks CAP_SYS_RESOURCE (a container).
# Usage: launch.sh DIR [COMMANDS]: DIR gets, per N, hN.json (hyperfine) and costN (the
# stand-in's lines); the command lines are appended to COMMANDS. BENCH_KEEP=1 keeps the tree.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
case $BUILD in /*) B=$BUILD ;; *) B=$PWD/$BUILD ;; esac
SIZES=${BENCH_LAUNCH_SIZES:-0 1 4 16}
# a launch takes milliseconds: many runs are cheap, and steady the min and median
RUNS=${BENCH_LAUNCH_RUNS:-100}
WARMUP=${BENCH_LAUNCH_WARMUP:-5}
OUT=${1:?usage: launch.sh DIR [COMMANDS]}
CMDS=${2:-/dev/null}

die() { echo "bench: $*" >&2; exit 1; }
command -v hyperfine >/dev/null || die "hyperfine is missing (contrib/install-deps.sh)"
[ "$(id -u)" = 0 ] || die "the launch benchmark needs root (pcipass-run binds and drops privileges)"
id nobody >/dev/null 2>&1 || die "the launch benchmark runs VMs as nobody: no such user"
for p in pcipass-run pcipass-probe pcipass-model fakehost kernelsim.so; do
	[ -e "$B/$p" ] || die "$B/$p is missing (make all)"
done

if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then TMPDIR=/dev/shm; fi
W=$(mktemp -d "${TMPDIR:-/tmp}/pcipass-launch.XXXXXX")
trap '[ -n "${BENCH_KEEP:-}" ] || rm -rf "$W"' EXIT
chmod 755 "$W"
mkdir -p "$OUT"
chmod 755 "$OUT"
max=${SIZES##* }
[ "$max" -gt 0 ] || max=1
H=$W/host
mkdir -p "$H/etc/models.d" "$H/var" "$H/run"
{
	echo "0000:00:00.0 0600 8086:2020 8086:0000 0 0 -"
	for ((i = 0; i < max; i++)); do
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
{
	echo "# L=$W (temporary): a fake host of $max devices (fakehost \$L/host.txt \$L/host/sys; lines '0000:BB:00.0 1200 19e5:d801 19e5:0100 GROUP NUMA -'), model NPU1 = 19e5 d801, qemu = /bin/true, run_as = nobody"
	echo "export LD_PRELOAD=$B/kernelsim.so PCIPASS_SIM_SYSFS=\$L/host/sys PCIPASS_SIM_DEV=\$L/host/dev PCIPASS_SIM_MEMLOCK=1   # and for hyperfine only: PCIPASS_SIM_COST=\$O/costN"
} >>"$CMDS"
export LD_PRELOAD=$B/kernelsim.so PCIPASS_SIM_SYSFS=$H/sys PCIPASS_SIM_DEV=$H/dev PCIPASS_SIM_MEMLOCK=1

for n in $SIZES; do
	echo "bench: == launcher, $n devices" >&2
	printf '[vm]\nname = b%d\nmemory = 128M\naccel = tcg\n' "$n" >"$W/vm$n.ini"
	[ "$n" = 0 ] || printf '[devices]\nNPU1 = %d\n' "$n" >>"$W/vm$n.ini"
	# QEMU's argv as --dry-run shows it, one shell-quoted word a line
	"$B/pcipass-run" -c "$C" --dry-run "$W/vm$n.ini" | sed -n '/^qemu:$/,$p' | tail -n +2 |
		sed 's/ \\$//; s/^    //' >"$W/argv$n"
	eval "argv=($(tr '\n' ' ' <"$W/argv$n"))"
	[ "${argv[0]:-}" = /bin/true ] || die "pcipass-run --dry-run $W/vm$n.ini: no QEMU argv"
	# The launch must really go through (the devices bound, the exec done) before it is timed.
	"$B/pcipass-run" -c "$C" "$W/vm$n.ini" 2>"$W/err" || die "pcipass-run $W/vm$n.ini failed: $(tail -n 3 "$W/err")"
	bound=$(find "$H/sys/bus/pci/drivers/vfio-pci" -maxdepth 1 -name '0000:*' 2>/dev/null | wc -l)
	[ "$bound" = "$n" ] || die "pcipass-run $W/vm$n.ini: $bound devices on vfio-pci, expected $n"
	"$B/pcipass-run" -c "$C" --release 2>/dev/null
	: >"$OUT/cost$n"
	chmod 666 "$OUT/cost$n" # pcipass-run writes its line at the exec, as the VM's user
	# --release runs without the cost knob: only the timed processes write lines.
	cmd=(hyperfine -N --style none --warmup "$WARMUP" --runs "$RUNS"
		--prepare "env -u PCIPASS_SIM_COST $B/pcipass-run -c $C --release"
		--export-json "$OUT/h$n.json"
		--command-name "run$n" "$B/pcipass-run -c $C $W/vm$n.ini"
		--command-name "true$n" "${argv[*]}")
	for a in "${cmd[@]}"; do
		case $a in *" "*) printf '"%s" ' "$a" ;; *) printf '%s ' "$a" ;; esac
	done | sed "s|$OUT|\$O|g; s|$W|\$L|g; s/ \$//" >>"$CMDS"
	echo >>"$CMDS"
	PCIPASS_SIM_COST=$OUT/cost$n "${cmd[@]}" >/dev/null 2>"$W/h$n.err" ||
		die "hyperfine failed: $(tail -n 5 "$W/h$n.err")"
	for who in pcipass-run true; do
		got=$(grep -c "^$who " "$OUT/cost$n" || true)
		[ "$got" = $((WARMUP + RUNS)) ] ||
			die "$n devices: $got stand-in cost lines from $who, expected $((WARMUP + RUNS)) (warm-ups and runs)"
	done
	"$B/pcipass-run" -c "$C" --release 2>/dev/null
done
