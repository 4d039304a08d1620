#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# t-qmp.sh - the QMP client (launcher/qmp.c, through tests/qmptool.c) against a real QEMU (q35,
# TCG, stopped with -S, two QMP sockets): negotiation, query-status, getfd then closefd as seen
# in QEMU's /proc/PID/fd, events awaited, QEMU's errors named, system_powerdown, quit.
. "$(dirname "$0")/lib.sh"
TOOL=$BUILD/qmptool
QEMU=$(command -v qemu-system-x86_64)

if [ -z "$QEMU" ]; then
	skip "t-qmp: qemu-system-x86_64 is not installed"
	exit 0
fi
A=$TMPROOT/a.qmp
B=$TMPROOT/b.qmp
# QEMU sends events to every monitor; the second socket is the one a waiter listens on
"$QEMU" -machine q35 -accel tcg -m 64 -display none -nodefaults -S -device qemu-xhci,id=xhci \
	-qmp "unix:$A,server=on,wait=off" -qmp "unix:$B,server=on,wait=off" >"$TMPROOT/qemu.log" 2>&1 &
QPID=$!
trap 'kill "$QPID" 2>/dev/null; rm -rf "$TMPROOT"' EXIT
for _ in $(seq 100); do
	[ -S "$A" ] && [ -S "$B" ] && break
	sleep 0.05
done

# out_is NAME WANT COMMAND...: exit 0, nothing on stderr, stdout exactly WANT
out_is() {
	local name=$1 want=$2
	shift 2
	ok_run "$name" "$@" && check "$name: prints '$want'" [ "$(cat "$TMPROOT/out")" = "$want" ]
}
# err_is NAME STATUS WANT COMMAND...: exit STATUS, one line WANT on stderr, nothing on stdout
err_is() {
	local name=$1 status=$2 want=$3 got
	shift 3
	"$@" >"$TMPROOT/out" 2>"$TMPROOT/err"
	got=$?
	if [ $got = "$status" ] && [ "$(cat "$TMPROOT/err")" = "$want" ] && [ ! -s "$TMPROOT/out" ]; then
		pass "$name: exit $status, one line"
	else
		failt "$name: exit $got, expected $status and '$want'; stderr: $(head -c 300 "$TMPROOT/err")"
	fi
}
# has_fd LINK: QEMU holds a descriptor whose link reads LINK
has_fd() {
	local f
	for f in /proc/"$QPID"/fd/*; do
		[ "$(readlink "$f")" = "$1" ] && return 0
	done
	return 1
}
lacks_fd() { ! has_fd "$1"; }

t0=$(date +%s%N)
out_is "negotiated, query-status under -S" "return status=prelaunch" "$TOOL" "$A" query-status
t1=$(date +%s%N)
echo "# connect, negotiate and query-status: $(((t1 - t0) / 1000000)) ms (with the tool's start)"
out_is "cont" "return" "$TOOL" "$A" cont
out_is "query-status after cont" "return status=running" "$TOOL" "$A" query-status
out_is "stop" "return" "$TOOL" "$A" stop
out_is "query-status after stop" "return status=paused" "$TOOL" "$A" query-status

# getfd: the pipe's read end, passed by SCM_RIGHTS, is QEMU's until closefd
if ok_run "getfd" "$TOOL" "$A" --getfd claim0; then
	pipe=$(cat "$TMPROOT/out")
	check "getfd: QEMU holds $pipe" has_fd "$pipe"
	out_is "closefd" "return" "$TOOL" "$A" closefd '{"fdname": "claim0"}'
	check "closefd: QEMU no longer holds $pipe" lacks_fd "$pipe"
fi
err_is "closefd of a name QEMU does not have: QEMU's error" 69 \
	"qmptool: QMP $A: closefd: GenericError: File descriptor named 'claim0' not found" \
	"$TOOL" "$A" closefd '{"fdname": "claim0"}'
err_is "an unknown command: QEMU's error class in the message" 69 \
	"qmptool: QMP $A: no-such-command: CommandNotFound: The command no-such-command has not been found" \
	"$TOOL" "$A" no-such-command

# An event awaited on one monitor, caused from the other. A waiter sees only the events after
# its negotiation, which the test cannot see: the cause repeats until the waiter has it.
"$TOOL" "$B" --wait DEVICE_DELETED tab1 10000 >"$TMPROOT/wait.out" 2>"$TMPROOT/wait.err" &
waiter=$!
for _ in $(seq 50); do
	"$TOOL" "$A" device_add '{"driver": "usb-tablet", "id": "tab1", "bus": "xhci.0"}' >/dev/null &&
		"$TOOL" "$A" device_del '{"id": "tab1"}' >/dev/null || break
	kill -0 $waiter 2>/dev/null || break
	sleep 0.2
done
wait $waiter
check "--wait DEVICE_DELETED tab1: seen (exit $?)" [ "$(cat "$TMPROOT/wait.out")" = DEVICE_DELETED ]
t0=$(date +%s%N)
err_is "--wait for an event that does not come: timed out" 75 \
	"qmptool: QMP $B: waiting for SHUTDOWN: timed out after 300 ms" "$TOOL" "$B" --wait SHUTDOWN 300
took=$((($(date +%s%N) - t0) / 1000000))
check "--wait 300 ms ended within 300 to 2000 ms ($took ms, with the tool's start)" \
	[ $took -ge 300 -a $took -lt 2000 ]

out_is "system_powerdown" "return" "$TOOL" "$A" system_powerdown
out_is "quit" "return" "$TOOL" "$A" quit
for _ in $(seq 100); do
	kill -0 "$QPID" 2>/dev/null || break
	sleep 0.05
done
check "quit: QEMU has ended" bash -c "! kill -0 $QPID 2>/dev/null"
wait "$QPID"
check "quit: QEMU's exit status is 0" [ $? = 0 ]
"$TOOL" "$A" query-status >/dev/null 2>"$TMPROOT/err"
check "no QEMU: exit 69 (EX_UNAVAILABLE)" [ $? = 69 ]
