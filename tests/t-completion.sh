#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# contrib/bash-completion/pcipass on a fake host: COMPREPLY, exactly, for the options of the
# three programs, pcipass-model's commands, the models after `delete` and the addresses after
# `pcipass-run --release` (from the programs, honouring -c FILE in each of its forms), vm.ini
# files; each case with bash-completion's helpers loaded (/usr/share/bash-completion) and
# without them (plain bash). COMP_WORDS is split as bash splits it (at COMP_WORDBREAKS: a PCI
# address is five words, --config=FILE three); the split itself, and what TAB really inserts,
# are checked in an interactive bash on a pseudo-terminal, bash-completion loading the file
# from completions/ under each program's name as `make install` would lay it out.
. "$(dirname "$0")/lib.sh"

COMPLETION=$ROOT/contrib/bash-completion/pcipass
BASH_COMPLETION=${BASH_COMPLETION:-/usr/share/bash-completion/bash_completion}
check "bash -n contrib/bash-completion/pcipass" bash -n "$COMPLETION"

# --- two fake hosts: models, an inventory, claims in each state ---
mkhost other "$ROOT/conf/example-host.txt" || { failt "mkhost"; exit 1; }
OTHER=$CONF
"$MODEL" -c "$OTHER" create Other-Card NPU 19e5 d801 >/dev/null
"$PROBE" -c "$OTHER" -q
mkhost comp "$ROOT/conf/example-host.txt" || { failt "mkhost"; exit 1; }
"$MODEL" -c "$CONF" create Atlas-800 NPU 19e5 d801 >/dev/null
"$MODEL" -c "$CONF" create Alveo-U50 FPGA 10ee 903f >/dev/null
"$PROBE" -c "$CONF" -q
# 0000:3b:00.0 claimed by a live VM; 0000:af:00.0 and 0000:d8:00.0 by VMs that are gone (not
# yet released: what --release can give back)
holders=()
i=0
for a in 0000:3b:00.0 0000:af:00.0 0000:d8:00.0; do
	i=$((i + 1))
	"$BUILD/claimhold" "$H/run" "$a" "vm$i" >"$TMPROOT/hold.$a" &
	holders+=($!)
done
trap 'kill "${holders[@]}" 2>/dev/null; rm -rf "$TMPROOT"' EXIT
# wait_for SECONDS CMD...: poll until CMD holds (a state, however long the machine takes to get
# there); false when it still does not after SECONDS, for the caller to fail loudly
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.05
	done
	return 0 # (until's status is that of the last pause)
}
for a in 0000:3b:00.0 0000:af:00.0 0000:d8:00.0; do
	wait_for 120 grep -q held "$TMPROOT/hold.$a" || { failt "claimhold took no lease on $a within 120 s"; exit 1; }
done
kill "${holders[1]}" "${holders[2]}"
wait "${holders[1]}" "${holders[2]}" 2>/dev/null
"$PROBE" -c "$CONF" --list >"$TMPROOT/list"
check "the fake host: one device claimed, two not yet released" \
	test "$(grep -c '^0000:3b:00.0 .*  claimed by vm1 (pid [0-9]*)$' "$TMPROOT/list") $(grep -c '  free (not yet released)$' "$TMPROOT/list")" = "1 2"
# the directory the completions run in: VM definitions, other files, a directory
CWD=$TMPROOT/cwd
mkdir -p "$CWD/vms"
touch "$CWD/vm1.ini" "$CWD/vm2.ini" "$CWD/notes.txt"
FILES="notes.txt vm1.ini vm2.ini vms"
INIS="vm1.ini vm2.ini vms"

# The driver: for each line on stdin (the command line, the cursor at its end), set COMP_WORDS,
# COMP_CWORD, COMP_LINE and COMP_POINT as bash would, call the function `complete -p` names for
# the command with bash's three arguments, and print COMPREPLY sorted on one line.
cat >"$TMPROOT/driver.sh" <<'EOF'
# bash driver.sh bc|plain COMPLETION_FILE
[ "$1" = bc ] && . "$BASH_COMPLETION"
. "$2"
# split LINE: the words of COMP_WORDS for LINE, as bash makes them: at blanks, and each run of
# COMP_WORDBREAKS characters (here ':' and '=') a word of its own
split() {
	local w raw
	COMP_WORDS=()
	read -ra raw <<<"$1"
	for w in "${raw[@]}"; do
		while [[ $w =~ ^([^:=]*)([:=]+)(.*)$ ]]; do
			[[ -n ${BASH_REMATCH[1]} ]] && COMP_WORDS+=("${BASH_REMATCH[1]}")
			COMP_WORDS+=("${BASH_REMATCH[2]}")
			w=${BASH_REMATCH[3]}
		done
		[[ -n $w ]] && COMP_WORDS+=("$w")
	done
	[[ $1 == *' ' ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE=$1
	COMP_POINT=${#1}
}
while IFS= read -r line; do
	split "$line"
	if [ "${SPLIT_ONLY:-0}" = 1 ]; then printf '%s\n' "${COMP_WORDS[@]}"; continue; fi
	spec=$(complete -p "${COMP_WORDS[0]##*/}" 2>/dev/null)
	fn=${spec#*-F }
	fn=${fn%% *}
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]} prev=
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	"$fn" "${COMP_WORDS[0]}" "$cur" "$prev" 2>/dev/null
	echo "$(printf '%s\n' "${COMPREPLY[@]}" | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')"
done
EOF

# pcipass-run's options as its --help lists them (the usage comes from its command table): the
# completion must offer each of them
RUN_OPTS=$("$BUILD/pcipass-run" --help | grep -oE -- '(^|[ [,])--?[a-z][a-z-]*' | sed 's/^[ [,]//' | LC_ALL=C sort -u | tr '\n' ' ')
# The cases: LINE|EXPECTED (the cursor at the end of LINE; EXPECTED in any order)
cases() {
	cat <<EOF
pcipass-probe -|-c --config -q --quiet --prom --all --list --json -h --help --version
pcipass-probe |-c --config -q --quiet --prom --all --list --json -h --help --version
pcipass-probe --p|--prom
pcipass-probe -c $CONF --l|--list
pcipass-probe --prom |$FILES
pcipass-probe -c |$FILES
pcipass-probe --config=|$FILES
pcipass-model |create list delete check
pcipass-model -c $CONF |create list delete check
pcipass-model d|delete
pcipass-model -|-c --config -h --help --version
pcipass-model -c $CONF delete |Alveo-U50 Atlas-800
pcipass-model --config $CONF delete A|Alveo-U50 Atlas-800
pcipass-model --config=$CONF delete At|Atlas-800
pcipass-model -c$CONF delete |Alveo-U50 Atlas-800
pcipass-model delete -c $CONF |Alveo-U50 Atlas-800
pcipass-model delete --probe -c $CONF |Alveo-U50 Atlas-800
pcipass-model -c $OTHER delete |Other-Card
pcipass-model -c ~/pcipass.conf delete |Alveo-U50 Atlas-800
pcipass-model -c '$CONF' delete |Alveo-U50 Atlas-800
pcipass-model -c $CONF delete Atlas-800 |
pcipass-model -c $CONF delete -|--probe
pcipass-model -c $CONF create -|--probe --subsystem
pcipass-model -c $CONF create |
pcipass-model -c $CONF create --subsystem |
pcipass-model -c $CONF list -|--json
pcipass-model -c $CONF check |$FILES
pcipass-model check v|vm1.ini vm2.ini vms
pcipass-model -c $CONF check vm1.ini |
pcipass-model -c $CONF check -|
pcipass-model -c |$FILES
pcipass-model --config=|$FILES
pcipass-run -|$RUN_OPTS
pcipass-run -c $CONF --attach vm1 A|Alveo-U50 Atlas-800
pcipass-run -c $CONF --detach vm1 |0000:3b:00.0
pcipass-run -c $CONF --detach vm2 |
pcipass-run -c $CONF --stop --timeout |
pcipass-run |$INIS
pcipass-run -c $CONF -n |$INIS
pcipass-run -c $CONF vm|vm1.ini vm2.ini vms
pcipass-run -c $CONF vm1.ini |
pcipass-run -c |$FILES
pcipass-run -c $CONF --release |0000:af:00.0 0000:d8:00.0
pcipass-run --release -c $CONF 0000:|af:00.0 d8:00.0
pcipass-run -c $CONF --release 0000:d|d8:00.0
pcipass-run -c $CONF -r 0000:af:00.0 |0000:d8:00.0
pcipass-run --config=$CONF --release |0000:af:00.0 0000:d8:00.0
pcipass-run -c$CONF --release |0000:af:00.0 0000:d8:00.0
pcipass-run -c $OTHER --release |
$BUILD/pcipass-run -c $CONF --release |0000:af:00.0 0000:d8:00.0
$BUILD/pcipass-model -c $CONF delete |Alveo-U50 Atlas-800
EOF
}
cases | cut -d'|' -f1 >"$TMPROOT/lines"
n=$(wc -l <"$TMPROOT/lines")
sorted() { tr ' ' '\n' | sed '/^$/d' | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//'; }
cases | cut -d'|' -f2 | while IFS= read -r e; do sorted <<<"$e"; echo; done >"$TMPROOT/want"
# show LINE: LINE with the temp root shortened, for the test names
show() { sed "s|$TMPROOT|@TMP@|g; s|$BUILD|@BUILD@|g" <<<"$1"; }

SECONDS=0
for mode in bc plain; do
	if [ $mode = bc ] && [ ! -r "$BASH_COMPLETION" ]; then
		skip "completion with bash-completion's helpers ($BASH_COMPLETION missing: Debian package bash-completion)"
		continue
	fi
	# with PATH to the programs, except for the last two cases, typed with their path; HOME is
	# where ~/pcipass.conf is $CONF
	(export HOME=$H/etc BASH_COMPLETION && cd "$CWD" && head -n $((n - 2)) "$TMPROOT/lines" |
		PATH=$BUILD:$PATH bash --norc --noprofile "$TMPROOT/driver.sh" $mode "$COMPLETION" &&
		tail -n 2 "$TMPROOT/lines" | bash --norc --noprofile "$TMPROOT/driver.sh" $mode "$COMPLETION") \
		>"$TMPROOT/got.$mode"
	i=0
	while IFS= read -r line; do
		i=$((i + 1))
		want=$(sed -n "${i}p" "$TMPROOT/want")
		got=$(sed -n "${i}p" "$TMPROOT/got.$mode")
		if [ "$got" = "$want" ]; then
			pass "$mode: '$(show "$line")' -> [$want]"
		else
			failt "$mode: '$(show "$line")' -> [$got], expected [$want]"
		fi
	done <"$TMPROOT/lines"
done
echo "# $n cases in each mode: ${SECONDS} s"

# --- a real interactive bash on a pseudo-terminal: what TAB inserts, and the COMP_WORDS bash makes ---
if ! command -v python3 >/dev/null; then
	skip "completion in an interactive bash (no python3 for the pseudo-terminal)"
	exit 0
fi
# as `make install` lays it out: the file under one program's name, the other two linked to it
SHARE=$TMPROOT/share/bash-completion/completions
mkdir -p "$SHARE" "$TMPROOT/home"
cp "$COMPLETION" "$SHARE/pcipass-probe"
ln -s pcipass-probe "$SHARE/pcipass-model"
ln -s pcipass-probe "$SHARE/pcipass-run"
printf 'set enable-bracketed-paste off\nset bell-style none\n' >"$TMPROOT/inputrc"
# ptydrive.py RCFILE: an interactive bash reading RCFILE; line N on stdin is typed, then TAB, then
# it is quoted into `_res N '...'` (Ctrl-A, Ctrl-E, Enter), which prints "RESULT N:<line>:END N";
# prints what each line became, one a line. Lockstep: a line is typed only once bash has printed
# the previous one's result and then its prompt again (readline has the terminal again), each
# searched for in what bash wrote after that line was typed; keys typed while a command ran
# would be echoed by the terminal into its output. Within a line readline takes the keys one by
# one, the completion included, so a line is typed at once. Each wait is bounded (STEP): past
# it, the driver exits 1 saying what it waited for and what bash wrote.
cat >"$TMPROOT/ptydrive.py" <<'EOF'
import os, pty, re, select, sys, time
STEP = 60
rc = sys.argv[1]
lines = [l.rstrip("\n") for l in sys.stdin]
pid, fd = pty.fork()
if pid == 0:
    os.execvp("bash", ["bash", "--noprofile", "--rcfile", rc, "-i"])
new = b""  # what bash wrote since the last write

def fail(why):
    sys.stderr.write("ptydrive: %s; bash wrote since the last write: %r\n" % (why, new[-2000:]))
    sys.exit(1)

def read_some(end, what):
    global new
    left = end - time.monotonic()
    if left <= 0:
        fail("no %s within %d s" % (what, STEP))
    if select.select([fd], [], [], left)[0]:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: bash is gone, the terminal closed
            chunk = b""
        if not chunk:
            return False
        new += chunk
    return True

def wait(pattern, what):
    end = time.monotonic() + STEP
    while True:
        m = re.search(pattern, new, re.S)
        if m:
            return m
        if not read_some(end, what):
            fail("bash ended before %s" % what)

def write(keys):
    global new
    new = b""
    os.write(fd, keys)

wait(rb"READY> ", "first prompt")
results = []
for n, l in enumerate(lines, 1):
    write(l.encode() + b"\t\x01_res %d '\x05'\r" % n)
    m = wait(rb"RESULT %d:([^\r\n]*):END %d\r?\n.*?READY> " % (n, n), "result of line %d and the prompt after it" % n)
    results.append(m.group(1).decode(errors="replace"))
write(b"exit\r")
end = time.monotonic() + STEP
while read_some(end, "end of bash after exit"):
    pass
_, st = os.waitpid(pid, 0)
if not os.WIFEXITED(st) or os.WEXITSTATUS(st) != 0:
    fail("bash ended with status %#x after exit" % st)
for r in results:
    print(r)
EOF
typed() { # MODE LINE...: what TAB makes of each LINE in an interactive bash (MODE bc or plain)
	local mode=$1
	shift
	{
		echo "PS1='READY> '; PATH=$BUILD:\$PATH; cd '$CWD'"
		echo "_res() { printf 'RESULT %s:%s:END %s\n' \"\$1\" \"\$2\" \"\$1\"; }"
		if [ "$mode" = bc ]; then
			echo ". '$BASH_COMPLETION'"
			echo "_dump() { printf '%s\n' \"\${COMP_WORDS[@]}\" >'$TMPROOT/words'; }; complete -F _dump dumpwords"
		else
			echo ". '$COMPLETION'"
		fi
	} >"$TMPROOT/rc.$mode"
	# (timeout: only should python itself hang; each of its waits is bounded)
	printf '%s\n' "$@" | HOME=$TMPROOT/home INPUTRC=$TMPROOT/inputrc TERM=dumb \
		XDG_DATA_DIRS=$TMPROOT/share BASH_COMPLETION_USER_DIR=$TMPROOT/none \
		timeout 900 python3 "$TMPROOT/ptydrive.py" "$TMPROOT/rc.$mode"
}
# typed_ok WHAT STATUS: the driver's exit status, its complaint shown when it failed
typed_ok() {
	if [ "$2" = 0 ]; then
		pass "$1: the interactive bash answered each line, in lockstep"
	else
		failt "$1: the pseudo-terminal driver exited $2"
		sed 's/^/#   /' "$TMPROOT/typed.err"
	fi
}
SECONDS=0
for mode in bc plain; do
	[ $mode = bc ] && [ ! -r "$BASH_COMPLETION" ] && continue
	typed $mode "pcipass-model -c $CONF del" "pcipass-model -c $CONF delete At" \
		"pcipass-run -c $CONF --release 0000:d" "pcipass-run --config=$CONF -r 0000:a" \
		"pcipass-probe -c $CONF --al" "pcipass-run -c $CONF vm1" >"$TMPROOT/typed.$mode" 2>"$TMPROOT/typed.err"
	typed_ok $mode $?
	# what each line became, in the order typed (NAME|LINE|: the | keeps LINE's last blank)
	i=0
	while IFS='|' read -r name want _; do
		i=$((i + 1))
		got=$(sed -n "${i}p" "$TMPROOT/typed.$mode")
		if [ "$got" = "$want" ]; then
			pass "$mode, TAB: $name"
		else
			failt "$mode, TAB: $name; got '$(show "$got")'"
		fi
	done <<EOF
'pcipass-model -c CONF del' -> 'delete '|pcipass-model -c $CONF delete |
'pcipass-model -c CONF delete At' -> 'Atlas-800 '|pcipass-model -c $CONF delete Atlas-800 |
'pcipass-run -c CONF --release 0000:d' -> '0000:d8:00.0 '|pcipass-run -c $CONF --release 0000:d8:00.0 |
'pcipass-run --config=CONF -r 0000:a' -> '0000:af:00.0 '|pcipass-run --config=$CONF -r 0000:af:00.0 |
'pcipass-probe -c CONF --al' -> '--all '|pcipass-probe -c $CONF --all |
'pcipass-run -c CONF vm1' -> 'vm1.ini '|pcipass-run -c $CONF vm1.ini |
EOF
	check "$mode, TAB: six lines typed, six results" test "$(wc -l <"$TMPROOT/typed.$mode")" = 6
done
if [ -r "$BASH_COMPLETION" ]; then
	check "bash-completion loaded the file from completions/pcipass-model (a link to pcipass-probe)" \
		bash -c "HOME='$TMPROOT/home' XDG_DATA_DIRS='$TMPROOT/share' BASH_COMPLETION_USER_DIR='$TMPROOT/none' \
			bash --norc --noprofile -c \". '$BASH_COMPLETION'; __load_completion pcipass-model && complete -p pcipass-run\" |
			grep -q '^complete -F _pcipass_run pcipass-run$'"
	# the driver's COMP_WORDS are those bash makes
	line="dumpwords --config=/x/y.conf -c a --release 0000:3b:00.0 0000:"
	typed bc "$line" >/dev/null 2>"$TMPROOT/typed.err"
	typed_ok "dumpwords" $?
	echo "$line" | SPLIT_ONLY=1 bash --norc --noprofile "$TMPROOT/driver.sh" plain "$COMPLETION" >"$TMPROOT/words.driver"
	check "the driver splits COMP_WORDS as interactive bash does (':' and '=' words of their own)" \
		cmp -s "$TMPROOT/words" "$TMPROOT/words.driver"
fi
echo "# interactive bash: ${SECONDS} s"
