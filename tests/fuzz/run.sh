#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# run.sh SECONDS FUZZER... - run each libFuzzer target for SECONDS on a scratch copy of its seed
# corpus (tests/fuzz/corpus/<name>/, with tests/fuzz/<name>.dict when there is one), several at a
# time (FUZZ_JOBS, default: the number of CPUs). Quiet: one line per target. Exits non-zero if
# any target found a crash, a leak, undefined behaviour or a timeout; then its log's tail and the
# input that did it are shown, and the scratch directory holding them is kept.
# No clang or libFuzzer: a loud SKIP, which is a failure when PCIPASS_MUST_WORK=1.
set -u

usage() {
	echo "usage: $0 SECONDS FUZZER..." >&2
	exit 64
}
[ $# -ge 1 ] || usage
secs=$1
shift
case $secs in '' | *[!0-9]*) usage ;; esac

here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/pcipass-fuzz.XXXXXX") || exit 71
keep=0
trap '[ $keep = 1 ] || rm -rf "$work"' EXIT

skip() {
	echo "SKIP - fuzzing: $1 (contrib/install-deps.sh installs clang with libFuzzer)" >&2
	[ "${PCIPASS_MUST_WORK:-0}" = 1 ] && exit 1
	exit 0
}
command -v clang >/dev/null 2>&1 || skip "clang is not installed"
# clang without compiler-rt cannot link -fsanitize=fuzzer: find out with a one-line target.
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' \
	>"$work/probe.c"
clang -fsanitize=fuzzer -o "$work/probe" "$work/probe.c" >"$work/probe.log" 2>&1 ||
	skip "clang cannot link -fsanitize=fuzzer (libFuzzer missing): $(head -n 1 "$work/probe.log")"
[ $# -ge 1 ] || exit 0

# UBSan only reports and goes on unless told to stop; a finding must fail the run.
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export ASAN_OPTIONS="detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"

# one FUZZER NAME: run it, leave "N S" (execs, seconds) in $work/NAME.result, or fail.
one() {
	local f=$1 name=$2 start end dict=() execs
	mkdir -p "$work/$name/corpus" "$work/$name/crash"
	echo "$f" >"$work/$name/fuzzer"
	[ -d "$here/corpus/$name" ] && cp -R "$here/corpus/$name/." "$work/$name/corpus/"
	[ -f "$here/$name.dict" ] && dict=("-dict=$here/$name.dict")
	start=$(date +%s)
	(cd "$work/$name" && exec "$f" -max_total_time="$secs" -max_len=4096 -timeout=5 \
		-print_final_stats=1 "${dict[@]}" -artifact_prefix="$work/$name/crash/" \
		corpus) >"$work/$name/log" 2>&1 || return 1
	end=$(date +%s)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$name/log" | tail -n 1)
	[ -n "$execs" ] || return 1
	echo "$execs $((end - start))" >"$work/$name.result"
}

jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
for f in "$@"; do
	if [ ! -x "$f" ]; then
		echo "$0: $f: no such fuzzer (make builds them into build/fuzz/)" >&2
		exit 66
	fi
done
names=()
for f in "$@"; do
	name=$(basename "$f")
	name=${name#fuzz_}
	names+=("$name")
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
		wait -n
	done
	one "$(realpath "$f")" "$name" &
done
wait

status=0
for name in "${names[@]}"; do
	if [ -s "$work/$name.result" ]; then
		read -r execs took <"$work/$name.result"
		echo "fuzz_$name: $execs execs in $took s, ok"
		continue
	fi
	status=1
	keep=1
	why=$(grep -m 1 -oE 'ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|libFuzzer)[^(]*|runtime error: .*|Assertion .* failed|ALARM: .*' \
		"$work/$name/log")
	echo "fuzz_$name: FAILED${why:+ - $why}"
	tail -n 40 "$work/$name/log" | sed 's/^/#   /'
	echo "#   full log: $work/$name/log"
	for a in "$work/$name/crash/"*; do
		[ -e "$a" ] || continue
		echo "#   input: $a"
		echo "#   reproduce: UBSAN_OPTIONS=halt_on_error=1 $(cat "$work/$name/fuzzer") $a"
	done
done
[ $keep = 1 ] && echo "# kept $work for the failures above; remove it when done"
exit $status
