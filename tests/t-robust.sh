#!/usr/bin/env bash
# The inventory survives (SPEC's probe guarantees): SIGKILL at random moments never leaves a
# torn, empty or missing file; probes at once never interleave; each is checked by parsing the
# whole file (`--list` refuses a file whose device count or sections do not add up).
. "$(dirname "$0")/lib.sh"

KILLS=${PCIPASS_KILLS:-240}
ROUNDS=${PCIPASS_ROUNDS:-12}
case $BUILD in *asan*) KILLS=${PCIPASS_KILLS:-80} ;; esac # sanitized runs are slower
mkhost robust --synth 1024 || { failt "mkhost"; exit 1; }
$MODEL -c "$CONF" create Atlas-800 NPU 19e5 d801 >/dev/null
D=$H/etc/models.d
INV=$H/var/inventory.ini
# Two model sets that give different inventories, so that every run really rewrites the file.
toggle() {
	if [ -e "$D/Alveo.conf" ]; then
		rm "$D/Alveo.conf"
	else
		printf '[Alveo]\ndev_type = FPGA\nvendor_id = 10ee\ndevice_id = 903f\n' >"$D/Alveo.conf"
		chmod 644 "$D/Alveo.conf"
	fi
}
valid() { # the inventory is there, whole, and parses
	[ -s "$INV" ] && $PROBE -c "$CONF" --list >/dev/null 2>"$TMPROOT/err" &&
		tail -n 1 "$INV" | grep -q '^driver      ='
}
$PROBE -c "$CONF" -q
check "robust: first inventory is valid" valid

# --- SIGKILL at random moments ---
# The kill lands anywhere from the start to past the end of a run (delays spread over 1.5 times
# a run's measured length), so some runs die while scanning, some while writing, some finish.
t0=$(date +%s%N)
for _ in 1 2 3 4 5; do toggle; $PROBE -c "$CONF" -q; done
run_us=$((($(date +%s%N) - t0) / 5000))
torn=0 missing=0 temps=0 killed=0 rewrites=0 leftovers=0
ino=$(stat -c %i "$INV")
start=$(date +%s)
for i in $(seq "$KILLS"); do
	toggle
	$PROBE -c "$CONF" -q &
	pid=$!
	delay=$((RANDOM * run_us * 3 / 2 / 32768))
	sleep "$((delay / 1000000)).$(printf %06d $((delay % 1000000)))"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	[ $? = 137 ] && killed=$((killed + 1))
	[ -e "$INV" ] || missing=$((missing + 1))
	valid || torn=$((torn + 1))
	[ "$(stat -c %i "$INV")" != "$ino" ] && rewrites=$((rewrites + 1)) && ino=$(stat -c %i "$INV")
	t=$(find "$H/var" -name '.inventory.ini.??????' | wc -l)
	[ "$t" -gt 0 ] && leftovers=$((leftovers + 1)) # killed between temp file and rename
	[ "$t" -le 1 ] || temps=$((temps + 1))
done
echo "# $KILLS runs of ~$((run_us / 1000)) ms in $(($(date +%s) - start)) s: $killed killed," \
	"$rewrites completed a rewrite, $leftovers killed while writing"
check "SIGKILL x$KILLS: never missing" test "$missing" = 0
check "SIGKILL x$KILLS: never torn" test "$torn" = 0
check "SIGKILL x$KILLS: temporaries never pile up" test "$temps" = 0
check "SIGKILL: runs were killed, and others finished" test "$killed" -ge $((KILLS / 4)) -a "$rewrites" -ge 1
$PROBE -c "$CONF" -q
check "after the kills: a clean run sweeps every temporary" \
	test "$(find "$H/var" -name '.inventory.ini.??????' | wc -l)" = 0

# --- 8 probes at once ---
bad=0
for r in $(seq "$ROUNDS"); do
	toggle
	pids=()
	for _ in 1 2 3 4 5 6 7 8; do
		$PROBE -c "$CONF" -q &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || bad=$((bad + 1)); done
	valid || bad=$((bad + 1))
	# what the eight left is exactly what one probe computes: a ninth finds nothing to change
	$PROBE -c "$CONF" | grep -q ', unchanged$' || bad=$((bad + 1))
done
check "8 probes at once x$ROUNDS: all succeed, file whole and right" test "$bad" = 0

# --- SIGKILL at each step of the write, exactly: strace makes the kernel deliver SIGKILL when
# the probe reaches the syscall (a real kill, not a mock). Before the rename the old file must
# be intact; after it, the new one complete. ---
if command -v strace >/dev/null; then
	for step in write fsync rename; do
		toggle
		cp "$INV" "$TMPROOT/old"
		strace -qq -f -o /dev/null -e trace=$step -e inject=$step:signal=KILL:when=1 \
			$PROBE -c "$CONF" -q 2>/dev/null &
		wait $! 2>/dev/null
		check "the probe died at the first $step (SIGKILL)" test $? = 137
		check "killed at the first $step: old inventory intact" cmp -s "$INV" "$TMPROOT/old"
		check "killed at the first $step: still valid" valid
		$PROBE -c "$CONF" -q
		check "after the kill at $step: the next run writes the change and sweeps" \
			bash -c "! cmp -s '$INV' '$TMPROOT/old' && [ -z \"\$(find '$H/var' -name '.inventory.ini.??????')\" ]"
	done
	# the directory fsync comes after the rename: killed there, the new file is in place
	toggle
	cp "$INV" "$TMPROOT/old"
	strace -qq -f -o /dev/null -e trace=fsync -e inject=fsync:signal=KILL:when=2 $PROBE -c "$CONF" -q 2>/dev/null &
	wait $! 2>/dev/null
	check "the probe died at the second fsync (SIGKILL)" test $? = 137
	check "killed at the directory fsync: the new inventory is in place and valid" \
		bash -c "! cmp -s '$INV' '$TMPROOT/old'" && check "killed at the directory fsync: valid" valid
else
	skip "SIGKILL at each write step (strace not installed)"
fi
