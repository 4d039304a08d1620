#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Run every black-box test (tests/t-*.sh) against the programs in $BUILD; one summary line.
set -u
cd "$(dirname "$0")/.."
export BUILD=${BUILD:-build}
RESULTS=$(mktemp)
export RESULTS
trap 'rm -f "$RESULTS"' EXIT
status=0
for t in tests/t-*.sh; do
	# BLACKBOX_SKIP: test files a pass leaves out on purpose (make asan: see the Makefile)
	case " ${BLACKBOX_SKIP:-} " in
	*" ${t#tests/} "*) echo "== $t: left out of this pass (BLACKBOX_SKIP)"; continue ;;
	esac
	echo "== $t"
	start=$SECONDS
	bash "$t" || status=1
	echo "== $t: $((SECONDS - start)) s"
done
p=$(grep -c '^pass$' "$RESULTS")
f=$(grep -c '^fail$' "$RESULTS")
s=$(grep -c '^skip$' "$RESULTS")
echo "# $BUILD"; echo "blackbox: $p passed, $f failed, $s skipped"
[ "$f" = 0 ] && [ "$status" = 0 ]
