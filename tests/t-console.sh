#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# pcipass-run --console on a real QEMU guest (TCG, tests/vmimage.sh), as root:
#  - through pipes: a command typed reaches the guest's shell and its answer comes back; the
#    session ends once input has ended and the guest has answered;
#  - on a terminal (a pty): raw mode while attached, a round trip, Ctrl-] detaches; the terminal
#    mode (stty -g) is as before after a detach, after SIGTERM and SIGHUP, and after the VM ends;
#  - a VM not running, or without a console socket: 69.
. "$(dirname "$0")/lib.sh"

RUN=$BUILD/pcipass-run
vm_host "console tests" || exit 0
vm_start con
bash "$ROOT/tests/vmimage.sh" --wait-ready "$H/run/vms/con.console" 120 >"$TMPROOT/ready" 2>&1 &
READY=$!
printf '[vm]\nname = noser\nmemory = 128M\naccel = tcg\npaused = true\n' >"$TMPROOT/noser.ini"
"$RUN" -c "$C" "$TMPROOT/noser.ini" >/dev/null 2>&1 &
disown
VM_PIDS+=($!)

# what can be told without the guest
"$RUN" -c "$C" --console nosuch >"$TMPROOT/out" 2>"$TMPROOT/err" </dev/null
check "--console of a VM not running: 69, one line" \
	bash -c "[ $? = 69 ] && [ ! -s '$TMPROOT/out' ] && [ \"\$(cat '$TMPROOT/err')\" = 'pcipass-run: no VM named nosuch is running' ]"
for _ in $(seq 50); do [ -S "$H/run/vms/noser.qmp" ] && break; sleep 0.1; done
"$RUN" -c "$C" --console noser >"$TMPROOT/out" 2>"$TMPROOT/err" </dev/null
check "--console of a VM without serial = socket: 69, one line" \
	bash -c "[ $? = 69 ] && [ \"\$(cat '$TMPROOT/err')\" = 'pcipass-run: vm noser has no console (serial = socket in its vm.ini makes one)' ]"

if ! wait $READY; then
	failt "guest con did not boot: $(cat "$TMPROOT/ready")"
	exit 1
fi
pass "guest con booted (its ready line on the console)"

# through pipes: the guest's shell answers, and the session ends by itself
# shellcheck disable=SC2016 # (the guest's shell expands it: MARK42 comes only from running it)
printf 'echo MARK$((6*7))\n' | timeout 30 "$RUN" -c "$C" --console con >"$TMPROOT/out" 2>"$TMPROOT/err"
check "--console through a pipe: exit 0, nothing on stderr" bash -c "[ $? = 0 ] && [ ! -s '$TMPROOT/err' ]"
check "--console through a pipe: the command ran in the guest (MARK42 came back)" grep -q 'MARK42' "$TMPROOT/out"

# on a terminal: a pty whose mode is compared before and after (stty -g)
cat >"$TMPROOT/onpty.py" <<'PY'
import os, pty, select, signal, subprocess, sys, time, termios, fcntl
run, conf, name, mode = sys.argv[1:5]
m, s = pty.openpty()
def stty():
    return subprocess.run(["stty", "-g"], stdin=s, capture_output=True, text=True).stdout.strip()
before = stty()
pid = os.fork()
if pid == 0:
    os.setsid()
    os.close(m)
    fcntl.ioctl(s, termios.TIOCSCTTY, 0)
    for fd in (0, 1, 2):
        os.dup2(s, fd)
    os.execv(run, [run, "-c", conf, "--console", name])
seen = b""
def until(pat, secs):
    global seen
    end = time.monotonic() + secs
    while pat not in seen and time.monotonic() < end:
        r, _, _ = select.select([m], [], [], 0.1)
        if r:
            try:
                seen += os.read(m, 4096)
            except OSError:
                break
    return pat in seen
print("connected", until(b"connected to %s's console; Ctrl-] detaches" % name.encode(), 10))
print("raw", not termios.tcgetattr(s)[3] & (termios.ICANON | termios.ECHO | termios.ISIG))
if mode in ("detach", "ended"):
    os.write(m, b"echo PTY$((5*5))\r")
    print("roundtrip", until(b"PTY25", 15))
print("waiting", flush=True)
if mode == "detach":
    os.write(m, b"\x1d")
elif mode.startswith("SIG"):
    os.kill(pid, getattr(signal, mode))
end, st = time.monotonic() + 60, None
while st is None and time.monotonic() < end:
    until(b"\0never", 0.1)  # keep reading: the child must never block on a full pty
    p, status = os.waitpid(pid, os.WNOHANG)
    if p:
        st = status
if st is None:
    os.kill(pid, signal.SIGKILL)
    print("exit none")
elif os.WIFSIGNALED(st):
    print("exit signal", os.WTERMSIG(st))
else:
    print("exit", os.WEXITSTATUS(st))
print("closed", b"pcipass-run: vm %s: console closed" % name.encode() in seen)
print("restored", stty() == before and before != "")
PY
pty_session() { # pty_session MODE: its report in $TMPROOT/pty.MODE
	timeout 90 python3 "$TMPROOT/onpty.py" "$RUN" "$C" con "$1" >"$TMPROOT/pty.$1" 2>&1
}
has() { grep -qx "$2" "$TMPROOT/pty.$1"; }
pty_session detach
check "--console on a terminal: 'connected ...; Ctrl-] detaches' on stderr" has detach "connected True"
check "--console on a terminal: raw mode while attached" has detach "raw True"
check "--console on a terminal: a command round-trips (PTY25)" has detach "roundtrip True"
check "--console on a terminal: Ctrl-] detaches, exit 0" has detach "exit 0"
check "--console on a terminal: the mode is restored after a detach (stty -g)" has detach "restored True"
for sig in SIGTERM SIGHUP; do
	pty_session $sig
	check "--console on a terminal, $sig: raw mode first" has $sig "raw True"
	check "--console on a terminal, $sig: it dies of it" has $sig "exit signal $(kill -l "$sig")"
	check "--console on a terminal, $sig: the mode is restored (stty -g)" has $sig "restored True"
done

# the VM ends under an attached terminal: the session ends, the terminal restored
pty_session ended &
SESSION=$!
for _ in $(seq 200); do grep -q '^waiting' "$TMPROOT/pty.ended" 2>/dev/null && break; sleep 0.1; done
timeout 60 "$RUN" -c "$C" --stop con --timeout 30 >"$TMPROOT/stop" 2>&1
check "the VM stopped under an attached console (ACPI power-down)" grep -q '^vm con: stopped by ACPI power-down' "$TMPROOT/stop"
wait $SESSION
check "--console on a terminal, the VM ended: a round trip first" has ended "roundtrip True"
check "--console on a terminal, the VM ended: exit 0" has ended "exit 0"
check "--console on a terminal, the VM ended: 'console closed' said" has ended "closed True"
check "--console on a terminal, the VM ended: the mode is restored (stty -g)" has ended "restored True"
