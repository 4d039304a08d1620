#!/usr/bin/env bash
# run.sh SECONDS FUZZER... - run each libFuzzer target for SECONDS on a scratch copy of its
# seed corpus (tests/fuzz/corpus/<name>/); one line per target; non-zero if any found a crash.
set -u
secs=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v clang >/dev/null; then
	echo "SKIP - fuzzing: clang is not installed (contrib/install-deps.sh installs it)" >&2
	[ "${PCIPASS_MUST_WORK:-0}" = 1 ] && exit 1
	exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for f in "$@"; do
	f=$(realpath "$f")
	name=$(basename "$f")
	name=${name#fuzz_}
	mkdir -p "$work/$name"
	cp -r "$here/corpus/$name/." "$work/$name/" 2>/dev/null
	log=$work/$name.log
	if (cd "$work" && "$f" -max_total_time="$secs" -max_len=4096 -timeout=5 -print_final_stats=1 \
		-artifact_prefix="$work/$name-" "$work/$name" >"$log" 2>&1); then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		echo "fuzz_$name: ${execs:-?} execs in ${secs} s, ok"
	else
		status=1
		echo "fuzz_$name: FAILED"
		tail -n 30 "$log" | sed 's/^/#   /'
		for a in "$work/$name"-*; do
			[ -e "$a" ] || continue
			mkdir -p "$here/crashes"
			cp "$a" "$here/crashes/"
			echo "#   crash input kept in tests/fuzz/crashes/$(basename "$a")"
		done
	fi
done
exit $status
