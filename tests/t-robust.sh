#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The inventory survives (SPEC's probe guarantees): SIGKILL at any moment, probes at once and a
# lock held by someone else never leave a torn, empty, mixed or missing inventory, and dead
# writers' temporaries never pile up. Every check compares the whole file with one of the two
# inventories a single probe writes for the two model sets (only the `generated` stamp may
# differ, and it must be one well-formed line), which is stronger than parsing it: a file cut
# after `driver      = vfio-p` would still parse. (That an unchanged run costs no write, same
# inode and mtime, is checked in t-probe.sh.)
. "$(dirname "$0")/lib.sh"

silent() { "$@" >/dev/null 2>&1; } # (check NAME CMD >/dev/null would hide the ok line too)
# LeakSanitizer cannot work under ptrace: an ASan build run by strace would fail at its exit
traced=(env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace)

KILLS=${PCIPASS_KILLS:-240}   # random SIGKILLs (at least 200 in the normal build)
ROUNDS=${PCIPASS_ROUNDS:-3}   # rounds of 8 probes at once, for each of the two kinds of round
SYNTH=${PCIPASS_SYNTH:-4096}  # devices on the fake host
case $BUILD in *asan*) KILLS=${PCIPASS_KILLS:-120} ;; esac # sanitized runs are slower

# host NAME N: a fake host of N devices, with two model sets: A (the NPUs, ~1500 devices at
# 4096) and B (A and the FPGAs, ~2300) in their own directories. models_set X copies set X into
# the host's models_dir; $H/etc/conf.X is the same host with models_dir fixed to set X, for
# rival writers. The references ref.A and ref.B are what one probe alone writes for each set
# (less the stamp); --list (the programs' own parser) accepts both, and they differ, so that
# every switch of set is a real rewrite.
host() {
	mkhost "$1" --synth "$2" || { failt "mkhost $1"; exit 1; }
	INV=$H/var/inventory.ini
	mkdir -p "$H/etc/models.A" "$H/etc/models.B"
	printf '[Atlas-800]\ndev_type = NPU\nvendor_id = 19e5\ndevice_id = d801\n' >"$H/etc/models.A/Atlas-800.conf"
	cp "$H/etc/models.A/Atlas-800.conf" "$H/etc/models.B/"
	printf '[Alveo]\ndev_type = FPGA\nvendor_id = 10ee\ndevice_id = 903f\n' >"$H/etc/models.B/Alveo.conf"
	chmod -R go-w "$H/etc"
	for s in A B; do
		sed "s|^models_dir .*|models_dir = $H/etc/models.$s|" "$CONF" >"$H/etc/conf.$s"
		models_set $s
		ok_run "$1: set $s: a single probe" $PROBE -c "$CONF" -q
		grep -v '^generated = ' "$INV" >"$TMPROOT/ref.$s"
		check "$1: set $s: a single probe's inventory parses (--list)" silent $PROBE -c "$CONF" --list
	done
}
models_set() { rm -f "$H"/etc/models.d/*.conf && cp "$H/etc/models.$1"/*.conf "$H/etc/models.d/"; }
other() { if [ "$1" = A ]; then echo B; else echo A; fi; }
temps() { find "$H/var" -name '.inventory.ini.??????' | wc -l; }
# The waits below are on states, not times (a loaded machine is slow by any amount), each
# bounded. pause US: wait US microseconds, without a fork (read -t on a FIFO nobody writes);
# nap: a short one, between two looks at a state; alive PID: PID runs (not exited, nor a zombie
# yet to be reaped); has_open PID FILE: PID has FILE open.
mkfifo "$TMPROOT/nap" && exec {nap}<>"$TMPROOT/nap"
pause() {
	local frac
	printf -v frac %06d $(($1 % 1000000))
	read -rt "$(($1 / 1000000)).$frac" -u "$nap"
}
nap() { pause 2000; }
alive() { local st; read -r _ _ st _ 2>/dev/null <"/proc/$1/stat" && [ "$st" != Z ]; }
has_open() {
	local f
	for f in /proc/"$1"/fd/*; do [[ $f -ef $2 ]] && return 0; done
	return 1
}
has_open_or_gone() { has_open "$1" "$2" || ! alive "$1"; }
# wait_for SECONDS CMD...: look until CMD holds; false when it still does not after SECONDS
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$end" ] || return 1
		nap
	done
	return 0 # (until's status is that of the last pause)
}

# state: which complete inventory is on disk: A, B, missing or torn (anything else)
state() {
	[ -e "$INV" ] || { echo missing; return; }
	grep -v '^generated = ' "$INV" >"$TMPROOT/cur"
	if [ "$(grep -c '^generated = [0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z$' "$INV")" != 1 ]; then
		echo torn
	elif cmp -s "$TMPROOT/cur" "$TMPROOT/ref.A"; then
		echo A
	elif cmp -s "$TMPROOT/cur" "$TMPROOT/ref.B"; then
		echo B
	else
		echo torn
	fi
}

host robust "$SYNTH"
n_a=$(grep -c '^\[0000:' "$TMPROOT/ref.A")
n_b=$(grep -c '^\[0000:' "$TMPROOT/ref.B")
echo "# host of $SYNTH devices: set A inventories $n_a, set B $n_b ($(wc -c <"$INV") bytes)"
check "the two sets give different inventories of more than 1000 devices each" \
	test "$n_a" -gt 1000 -a "$n_b" -gt "$n_a"

# --- SIGKILL at random moments ---
# Proves: a probe killed anywhere (scanning, reading and comparing the old file, writing the
# temporary, before or after the rename) leaves the old inventory or the new one, whole; never
# none, never a cut or mixed one; and at most one dead writer's temporary, which the next writing
# run sweeps. Each run switches to the other set, so each run that gets to the end rewrites the
# file. Odd runs are killed anywhere in [0, 1.25 x a run's length]; even runs at the end of a
# run, where the old file is read and compared and the new one written: 0-3 ms after the probe
# has the inventory's lock file open (a state: its scan is done). Every tenth run is not killed:
# it measures a run's length again (a loaded machine's speed drifts) and puts its inventory in
# place. The write itself takes well under a millisecond on tmpfs, so few kills land inside it:
# the slow-disk loop below sees to that.
lockf=$H/var/.inventory.ini.lock
t0=${EPOCHREALTIME//[!0-9]/}
for _ in 1 2 3 4; do models_set "$(other "$(state)")"; $PROBE -c "$CONF" -q; done
run_us=$(((${EPOCHREALTIME//[!0-9]/} - t0) / 4))
jitter=3000
cur=$(state)
bad_state=0 bad_exit=0 piled=0 killed=0 rewrites=0 leftovers=0 unseen=0
start=$(date +%s)
for i in $(seq "$KILLS"); do
	next=$(other "$cur")
	models_set "$next"
	t0=${EPOCHREALTIME//[!0-9]/}
	$PROBE -c "$CONF" -q &
	pid=$!
	if [ $((i % 10)) = 0 ]; then
		delay=none
	elif [ $((i % 2)) = 1 ]; then
		delay=$((RANDOM * run_us * 5 / 4 / 32768))
		pause $delay
	else
		wait_for 120 has_open_or_gone $pid "$lockf" || unseen=$((unseen + 1))
		delay=$((RANDOM % jitter))
		pause $delay
	fi
	[ "$delay" = none ] || kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	rc=$?
	# (the mean of the last measure and this one)
	[ "$delay" = none ] && run_us=$(((run_us + ${EPOCHREALTIME//[!0-9]/} - t0) / 2))
	case $rc in
	137) killed=$((killed + 1)) ;;
	0) ;;
	*) bad_exit=$((bad_exit + 1)); echo "# run $i: exit $rc" ;;
	esac
	s=$(state)
	if [ "$s" != "$cur" ] && [ "$s" != "$next" ]; then
		bad_state=$((bad_state + 1))
		echo "# run $i (delay $delay us): inventory $s, expected $cur or $next"
		cp "$INV" "$TMPROOT/bad.$i" 2>/dev/null
	fi
	[ "$s" = "$next" ] && rewrites=$((rewrites + 1))
	t=$(temps)
	[ "$t" -gt 0 ] && leftovers=$((leftovers + 1)) # killed between the temporary and the rename
	[ "$t" -le 1 ] || piled=$((piled + 1))
	case $s in A | B) cur=$s ;; esac
done
echo "# $KILLS runs of ~$((run_us / 1000)) ms in $(($(date +%s) - start)) s: $killed killed," \
	"$rewrites got the new inventory in place, $leftovers killed while writing"
check "SIGKILL x$KILLS: each even run seen at its end (the lock file open) or gone, within 120 s" test "$unseen" = 0
check "SIGKILL x$KILLS: always the old or the new inventory, whole (never missing, torn or mixed)" test "$bad_state" = 0
check "SIGKILL x$KILLS: runs not killed exit 0" test "$bad_exit" = 0
check "SIGKILL x$KILLS: never more than one temporary" test "$piled" = 0
check "SIGKILL x$KILLS: runs were killed, and others got their inventory in place" \
	test "$killed" -ge $((KILLS / 4)) -a "$rewrites" -ge 1
models_set "$(other "$cur")"
ok_run "after the kills: the next probe" $PROBE -c "$CONF" -q
check "after the kills: the next writing run sweeps the temporary and writes the new set" \
	test "$(temps)" = 0 -a "$(state)" = "$(other "$cur")"
check "after the kills: --list reads it" silent $PROBE -c "$CONF" --list

# --- 8 probes at once ---
# Proves the lock: eight probes of the same set at once all succeed and leave exactly what one
# probe alone writes (a ninth finds nothing to change); eight rivals at once, four writing set A
# and four set B into the same inventory, leave one of the two whole, never a mix of both.
bad=0
for r in $(seq "$ROUNDS"); do
	next=$(other "$(state)")
	models_set "$next"
	pids=()
	for _ in 1 2 3 4 5 6 7 8; do
		$PROBE -c "$CONF" -q &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || { bad=$((bad + 1)); echo "# round $r: a probe failed"; }; done
	[ "$(state)" = "$next" ] || { bad=$((bad + 1)); echo "# round $r: inventory $(state), expected $next"; }
	$PROBE -c "$CONF" | grep -q ', unchanged$' || { bad=$((bad + 1)); echo "# round $r: a ninth probe changed it"; }
	[ "$(temps)" = 0 ] || { bad=$((bad + 1)); echo "# round $r: temporaries left"; }
done
check "8 probes at once x$ROUNDS: all exit 0, the file is what one probe writes, no temporary left" test "$bad" = 0
bad=0
for r in $(seq "$ROUNDS"); do
	pids=()
	for s in A B A B A B A B; do
		$PROBE -c "$H/etc/conf.$s" -q &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || { bad=$((bad + 1)); echo "# rivals round $r: a probe failed"; }; done
	case $(state) in A | B) ;; *) bad=$((bad + 1)); echo "# rivals round $r: inventory $(state)" ;; esac
	silent $PROBE -c "$CONF" --list || bad=$((bad + 1))
	[ "$(temps)" = 0 ] || { bad=$((bad + 1)); echo "# rivals round $r: temporaries left"; }
done
check "8 rival probes at once (sets A and B) x$ROUNDS: all exit 0, one whole inventory, no temporary left" test "$bad" = 0

# --- a lock held by someone else ---
# Proves the probe writes only under the lock: while another process holds the inventory's lock
# (an OFD lock on .inventory.ini.lock, as a probe takes it) a probe that has a change to write
# waits and leaves the file alone, then writes it once the lock is free. Each step waits for a
# state, not for a time: the holder says it holds the lock; the probe is seen retrying it (the
# lock file open, asleep between two tries: it tried and found it taken); only then is the
# holder killed, which frees the lock. How slow the machine is changes nothing but how long
# the waits last (each bounded, and a failure when exceeded).
# lock_state PID LOCKFILE: sets seen to "exited" when PID has exited (a zombie not yet reaped
# too), to "retrying" when it has LOCKFILE open and sleeps in nanosleep or clock_nanosleep (35,
# 230 on x86-64; file_lock() sleeps only between two tries of the lock); false otherwise.
# (Read by the shell itself: /proc/PID/syscall is for PID's tracers, and the shell is its parent.)
lock_state() {
	local nr
	if ! alive "$1"; then
		seen=exited
		return 0
	fi
	has_open "$1" "$2" && read -r nr _ 2>/dev/null <"/proc/$1/syscall" || return 1
	[[ $nr == 35 || $nr == 230 ]] && seen=retrying
}
if command -v python3 >/dev/null; then
	lockf=$H/var/.inventory.ini.lock
	# the holder keeps the lock until killed (10 minutes at most, should this script die first)
	python3 -c '
import fcntl, os, struct, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.fcntl(fd, fcntl.F_OFD_SETLK, struct.pack("hhqqi", fcntl.F_WRLCK, 0, 0, 0, 0))
print("locked", flush=True)
time.sleep(600)' "$lockf" >"$TMPROOT/locker" &
	locker=$!
	if wait_for 120 grep -q locked "$TMPROOT/locker"; then
		old=$(state)
		next=$(other "$old")
		models_set "$next"
		$PROBE -c "$CONF" -q >"$TMPROOT/lock.out" 2>"$TMPROOT/lock.err" &
		pid=$!
		seen=
		wait_for 120 lock_state $pid "$lockf"
		check "lock held elsewhere: the probe waits, retrying the lock (seen: ${seen:-nothing in 120 s})" \
			test "$seen" = retrying
		check "lock held elsewhere: the inventory is left alone" test "$(state)" = "$old"
		kill $locker
		wait $locker 2>/dev/null
		wait $pid
		rc=$?
		check "lock released: the probe goes on and exits 0" test "$rc" = 0
		check "lock released: the probe says nothing (-q)" test ! -s "$TMPROOT/lock.out" -a ! -s "$TMPROOT/lock.err"
		check "lock released: the new inventory is in place" test "$(state)" = "$next"
	else
		failt "lock held elsewhere: the holder did not take the lock within 120 s: $(head -c 300 "$TMPROOT/locker")"
		kill $locker 2>/dev/null
		wait $locker 2>/dev/null
	fi
else
	skip "a probe waits for a lock held elsewhere (no python3 to hold an OFD lock)"
fi

# --- a torn file from elsewhere is repaired, not trusted ---
# Proves the unchanged-run shortcut compares the whole file: an inventory cut short (by a writer
# that did not use the lock and rename, or a disk) or emptied is rewritten by the next probe.
cur=$(state)
models_set "$cur"
head -c $(($(wc -c <"$INV") / 2)) "$INV" >"$TMPROOT/half" && cat "$TMPROOT/half" >"$INV"
ok_run "an inventory cut in half: probe" $PROBE -c "$CONF" -q
check "an inventory cut in half is rewritten whole" test "$(state)" = "$cur"
: >"$INV"
ok_run "an empty inventory: probe" $PROBE -c "$CONF" -q
check "an empty inventory is rewritten whole" test "$(state)" = "$cur"
# the same content under a malformed stamp is not "unchanged" either
sed -i 's/^generated = .*/generated = yesterday/' "$INV"
ok_run "a malformed stamp: probe" $PROBE -c "$CONF" -q
check "an inventory with a malformed stamp is rewritten" test "$(state)" = "$cur"

# --- SIGKILL at each step of the write, exactly: strace makes the kernel deliver SIGKILL when
# the probe reaches the syscall (a real kill, not a mock). Before the rename the old file must
# be intact; after it, the new one complete. (On a smaller host: strace slows the scan down.) ---
if command -v strace >/dev/null; then
	host robust-small 256
	for step in write fsync rename; do
		old=$(state)
		next=$(other "$old")
		models_set "$next"
		cp "$INV" "$TMPROOT/old"
		"${traced[@]}" -qq -f -o /dev/null -e trace=$step -e inject=$step:signal=KILL:when=1 \
			$PROBE -c "$CONF" -q 2>/dev/null &
		wait $! 2>/dev/null
		check "the probe died at the first $step (SIGKILL)" test $? = 137
		check "killed at the first $step: the old inventory intact, byte for byte" cmp -s "$INV" "$TMPROOT/old"
		check "killed at the first $step: its temporary is left (one)" test "$(temps)" = 1
		ok_run "after the kill at $step: the next probe" $PROBE -c "$CONF" -q
		check "after the kill at $step: the next run writes the change and sweeps" \
			test "$(state)" = "$next" -a "$(temps)" = 0
	done
	# the directory fsync comes after the rename: killed there, the new file is in place
	old=$(state)
	next=$(other "$old")
	models_set "$next"
	"${traced[@]}" -qq -f -o /dev/null -e trace=fsync -e inject=fsync:signal=KILL:when=2 $PROBE -c "$CONF" -q 2>/dev/null &
	wait $! 2>/dev/null
	check "the probe died at the second fsync (SIGKILL)" test $? = 137
	check "killed at the directory fsync: the new inventory is in place, whole" test "$(state)" = "$next"
else
	skip "SIGKILL at each write step (strace not installed)"
fi

# --- SIGKILL at random moments on a slow disk ---
# Proves the same while the kill really lands between the steps of the write: strace stretches
# each write, fsync and rename by 100 ms (a slow disk; the other syscalls are not stopped) and
# the probe itself (not strace) is killed: odd runs anywhere in a run; even runs once the write
# has begun (a state: a new temporary has appeared, watched by globbing, without a fork),
# anywhere in the four stretched steps that follow (write, fsync, rename, the directory's
# fsync), so that kills land inside the write however long the scan takes on this machine.
# "While writing": the run's own temporary was left (not one an earlier kill left).
if command -v strace >/dev/null; then
	SLOW=${PCIPASS_SLOW_KILLS:-40}
	STRETCH=100000 # us
	# shellcheck disable=SC2054 # (the commas are strace's)
	slow=("${traced[@]}" -f --seccomp-bpf -qq -o /dev/null -e trace=write,fsync,rename
		-e inject=write,fsync,rename:delay_enter=$STRETCH "$PROBE" -c "$CONF" -q)
	t0=$(date +%s%N)
	for _ in 1 2; do models_set "$(other "$(state)")"; "${slow[@]}"; done
	run_us=$((($(date +%s%N) - t0) / 2000))
	# new_temp: a temporary not in $before exists
	new_temp() {
		local t
		for t in "$H"/var/.inventory.ini.??????; do
			[ -e "$t" ] && [[ $before != *" $t "* ]] && return 0
		done
		return 1
	}
	new_temp_or_gone() { new_temp || ! alive "$1"; }
	cur=$(state)
	bad=0 killed=0 writing=0
	for i in $(seq "$SLOW"); do
		next=$(other "$cur")
		models_set "$next"
		b=("$H"/var/.inventory.ini.??????)
		before=" ${b[*]} "
		"${slow[@]}" 2>/dev/null & # (strace says "delayed wait data set already" at some kills)
		sp=$!
		if [ $((i % 2)) = 1 ]; then
			delay=$((RANDOM * run_us / 32768))
		else
			wait_for 120 new_temp_or_gone $sp
			delay=$((RANDOM * 4 * STRETCH / 32768))
		fi
		pause $delay
		pid=$(pgrep -P $sp) && kill -9 "$pid" 2>/dev/null
		wait $sp 2>/dev/null
		rc=$?
		s=$(state)
		[ "$rc" = 137 ] && killed=$((killed + 1))
		new_temp && writing=$((writing + 1))
		if [ "$rc" != 0 ] && [ "$rc" != 137 ]; then
			bad=$((bad + 1)); echo "# slow run $i: exit $rc"
		fi
		if [ "$s" != "$cur" ] && [ "$s" != "$next" ] || [ "$(temps)" -gt 1 ]; then
			bad=$((bad + 1)); echo "# slow run $i: inventory $s, expected $cur or $next; $(temps) temporaries"
		fi
		case $s in A | B) cur=$s ;; esac
	done
	echo "# $SLOW slow-disk runs of ~$((run_us / 1000)) ms: $killed killed, $writing of them while writing"
	check "SIGKILL on a slow disk x$SLOW: always the old or the new inventory, whole; one temporary at most" test "$bad" = 0
	check "SIGKILL on a slow disk: kills landed while writing" test "$writing" -ge $((SLOW / 10))
	models_set "$(other "$cur")"
	ok_run "after the slow-disk kills: the next probe" $PROBE -c "$CONF" -q
	check "after the slow-disk kills: the next run sweeps and writes the new set" \
		test "$(temps)" = 0 -a "$(state)" = "$(other "$cur")"
else
	skip "SIGKILL on a slow disk (strace not installed)"
fi
