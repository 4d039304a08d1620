#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# pcipass-run --status and --stop on real QEMU VMs without devices (TCG), as root:
#  - --status lists every live VM (pid, uptime, uid, memory, sockets, its devices), text and JSON,
#    and the VMs that ended with devices not released (and how they ended); NAME narrows it, an
#    unknown NAME is 69; a dead VM's sockets and name lease are cleaned, a live VM's never;
#  - --stop ends a guest that answers ACPI by power-down (not quit, not kill); one that ignores
#    the power button by quit after --timeout; a VM whose QMP another client holds still ends;
#    a frozen QEMU (SIGSTOP) and a QEMU that lies in QMP end by kill, and nothing else is hit;
#    a VM not running is 69.
# The guests come from tests/vmimage.sh; two boot at once, the rest are paused (no guest runs).
. "$(dirname "$0")/lib.sh"

RUN=$BUILD/pcipass-run
vm_host "ops tests" || exit 0
WAITREADY="bash $ROOT/tests/vmimage.sh --wait-ready"
alive() { kill -0 "$1" 2>/dev/null; }
# gone PID: the process has ended (and been reaped), within 30 s
gone() {
	for _ in $(seq 300); do alive "$1" || return 0; sleep 0.1; done
	return 1
}
V=$H/run/vms

# two guests boot (one answers the power button, one ignores it); two paused VMs cost nothing
vm_start acpi
ACPI=$VM_PID
$WAITREADY "$V/acpi.console" 120 >"$TMPROOT/acpi.ready" 2>&1 &
ACPI_READY=$!
APPEND=vmimage.power=ignore vm_start deaf
DEAF=$VM_PID
$WAITREADY "$V/deaf.console" 120 >"$TMPROOT/deaf.ready" 2>&1 &
DEAF_READY=$!
vm_start busy "paused = true"
BUSY=$VM_PID
vm_start frozen "paused = true"
FROZEN=$VM_PID
for _ in $(seq 100); do
	[ -S "$V/busy.qmp" ] && [ -S "$V/frozen.qmp" ] && [ -S "$V/acpi.qmp" ] && [ -S "$V/deaf.qmp" ] && break
	sleep 0.1
done
sleep 0.5 # each launcher has exec'd QEMU

# --- --status ---
# a device claim of VM acpi, as the launcher writes one (held: its process lives)
START=$(sed -n 's/^start=//p' "$V/acpi.lock")
printf 'vm=acpi\npid=%s\nstart=%s\norig_driver=\nmodel=Atlas-800\n' "$ACPI" "$START" >"$H/run/claims/0000:3b:00.0"
chmod 0600 "$H/run/claims/0000:3b:00.0"
# a dead VM's leftovers: its name lease (a process that is gone), its sockets and VNC directory;
# and another dead VM whose device is not released
python3 - "$V" <<'PY'
import os, socket, sys
v = sys.argv[1]
os.mkdir(v + "/gone.vnc", 0o700)
for p in ("gone.qmp", "gone.console", "gone.vnc/socket", "old.qmp"):
    s = socket.socket(socket.AF_UNIX)
    s.bind(v + "/" + p)
    s.close()
PY
printf 'vm=gone\npid=4194304\nstart=1\nmemory=128\n' >"$V/gone.lock"
printf 'vm=old\npid=4194304\nstart=7\n' >"$V/old.lock"
printf 'vm=old\npid=4194304\nstart=7\norig_driver=e1000e\nmodel=Atlas-800\n' >"$H/run/claims/0000:3c:00.0"
chmod 0600 "$V/gone.lock" "$V/old.lock" "$H/run/claims/0000:3c:00.0"
ok_run "--status" "$RUN" -c "$C" --status
cp "$TMPROOT/out" "$TMPROOT/status.txt"
U='18790[0-9]{5}' # a dynamic id (dynamic_ids' default range)
check "--status: VM acpi: running, its pid, uptime, dynamic uid, memory and rss, sockets" grep -Eqx \
	"acpi: running, pid $ACPI, up [0-9]+s, uid $U, memory 128 MiB \(rss [0-9]+ MiB\), sockets qmp console" "$TMPROOT/status.txt"
check "--status: the claim of acpi is listed under it" \
	bash -c "grep -A1 '^acpi: ' '$TMPROOT/status.txt' | grep -qx '  0000:3b:00.0 Atlas-800'"
check "--status: every VM without devices is listed (busy, deaf, frozen)" \
	bash -c "grep -q '^busy: running, pid $BUSY,' '$TMPROOT/status.txt' && grep -q '^deaf: running, pid $DEAF,' '$TMPROOT/status.txt' && grep -q '^frozen: running, pid $FROZEN,' '$TMPROOT/status.txt'"
check "--status: a VM that ended with a device not released says so, how unknown" \
	bash -c "grep -qx 'old: ended (how: unknown), pid 4194304, devices not released: run pcipass-run --release' '$TMPROOT/status.txt' &&
		grep -A1 '^old: ' '$TMPROOT/status.txt' | grep -qx '  0000:3c:00.0 Atlas-800'"
check "--status: a dead VM without devices is not listed" bash -c "! grep -q '^gone' '$TMPROOT/status.txt'"
check "--status: the live VMs' uids differ" \
	test "$(sed -n 's/.*, uid \([0-9]*\),.*/\1/p' "$TMPROOT/status.txt" | sort -u | wc -l)" = 4
check "--status: a dead VM's sockets and VNC directory cleaned" \
	bash -c "[ ! -e '$V/gone.qmp' ] && [ ! -e '$V/gone.console' ] && [ ! -e '$V/gone.vnc' ] && [ ! -e '$V/old.qmp' ]"
check "--status: a dead VM's name lease removed; one whose device is not released kept" \
	bash -c "[ ! -e '$V/gone.lock' ] && grep -qx 'vm=old' '$V/old.lock'"
check "--status: the live VMs' sockets and leases untouched" \
	bash -c "for n in acpi deaf busy frozen; do [ -S '$V/'\$n.qmp ] && [ -S '$V/'\$n.console ] && [ -f '$V/'\$n.lock ] || exit 1; done"

ok_run "--status --json" "$RUN" -c "$C" --status --json
cp "$TMPROOT/out" "$TMPROOT/status.json"
check "--status --json: valid JSON" python3 -m json.tool "$TMPROOT/status.json" /dev/null
check "--status --json: the same VMs and what is known of them" python3 - "$TMPROOT/status.json" "$ACPI" "$BUSY" <<'PY'
import json, sys
vms = {v["name"]: v for v in json.load(open(sys.argv[1]))["vms"]}
a, b, o = vms["acpi"], vms["busy"], vms["old"]
assert sorted(vms) == ["acpi", "busy", "deaf", "frozen", "old"], sorted(vms)
assert a["state"] == "running" and a["pid"] == int(sys.argv[2]) and a["memory_mib"] == 128
assert 1879048192 <= a["uid"] < 1879048192 + 4096 and a["rss_kib"] > 0 and a["uptime_seconds"] >= 0
assert a["sockets"] == {"qmp": True, "console": True, "vnc": False}, a["sockets"]
assert a["devices"] == [{"address": "0000:3b:00.0", "model": "Atlas-800"}], a["devices"]
assert b["pid"] == int(sys.argv[3]) and b["devices"] == []
assert o["state"] == "ended" and o["ended_by"] == "unknown" and o["released"] is False
assert o["devices"] == [{"address": "0000:3c:00.0", "model": "Atlas-800"}]
PY
ok_run "--status busy" "$RUN" -c "$C" --status busy
check "--status NAME: that VM only" bash -c "[ \$(wc -l <'$TMPROOT/out') = 1 ] && grep -q '^busy: running, pid $BUSY,' '$TMPROOT/out'"
ok_run "--status --json old" "$RUN" -c "$C" --status --json old
check "--status --json NAME: valid JSON, that VM only" python3 -c \
	'import json, sys; v = json.load(open(sys.argv[1]))["vms"]; assert [x["name"] for x in v] == ["old"]' "$TMPROOT/out"
"$RUN" -c "$C" --status nosuch >"$TMPROOT/out" 2>"$TMPROOT/err"
check "--status of a VM that is not there: 69" test $? = 69
check "--status of a VM that is not there: one line, nothing on stdout" \
	bash -c "[ ! -s '$TMPROOT/out' ] && [ \"\$(cat '$TMPROOT/err')\" = 'pcipass-run: no VM named nosuch' ]"
"$RUN" -c "$C" --status 'a/b' >/dev/null 2>"$TMPROOT/err"
check "--status of a name no VM can have: 64" test $? = 64

# --- --stop, rung by rung ---
"$RUN" -c "$C" --stop nosuch >"$TMPROOT/out" 2>"$TMPROOT/err"
check "--stop of a VM not running: 69, one line" \
	bash -c "[ $? = 69 ] && [ ! -s '$TMPROOT/out' ] && [ \"\$(cat '$TMPROOT/err')\" = 'pcipass-run: no VM named nosuch is running' ]"
"$RUN" -c "$C" --stop old >/dev/null 2>&1
check "--stop of a VM that ended (devices not released): 69" test $? = 69

# QMP held by another client (QEMU serves one at a time): no power-down possible, still ends
python3 - "$V/busy.qmp" >"$TMPROOT/holder" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.makefile().readline()
print("held", flush=True)
time.sleep(60)
PY
HOLDER=$!
VM_PIDS+=("$HOLDER")
for _ in $(seq 50); do grep -q held "$TMPROOT/holder" && break; sleep 0.1; done
timeout 60 "$RUN" -c "$C" --stop busy --timeout 30 >"$TMPROOT/busy.stop" 2>"$TMPROOT/busy.stoperr"
check "--stop, QMP held by another client: exit 0" test $? = 0
check "--stop, QMP held by another client: the VM is gone" gone "$BUSY"
check "--stop, QMP held by another client: ended by quit (SIGTERM), without waiting the timeout" \
	grep -Eqx 'vm busy: stopped by quit in [0-9]\.[0-9] s' "$TMPROOT/busy.stop"
check "--stop, QMP held by another client: says why there was no power-down" \
	grep -q '^pcipass-run: vm busy: no ACPI power-down: QMP .*busy.qmp' "$TMPROOT/busy.stoperr"
kill "$HOLDER" 2>/dev/null

# a frozen QEMU (SIGSTOP): answers nothing, not even SIGTERM; only the kill ends it
kill -STOP "$FROZEN"
timeout 60 "$RUN" -c "$C" --stop frozen --timeout 30 --json >"$TMPROOT/frozen.stop" 2>/dev/null
check "--stop of a frozen QEMU: exit 0" test $? = 0
check "--stop of a frozen QEMU: gone" gone "$FROZEN"
check "--stop --json of a frozen QEMU: ended by kill" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["vm"] == "frozen" and r["pid"] == int(sys.argv[2]) and r["stopped_by"] == "kill", r
assert 5 <= r["seconds"] < 20, r' "$TMPROOT/frozen.stop" "$FROZEN"

# the guest that answers the power button: ended by it, in seconds (15 allowed: a --stop that
# skipped the power-down would wait them out before its quit, and be caught)
wait $ACPI_READY
check "guest acpi booted (its ready line on the console)" test $? = 0
timeout 90 "$RUN" -c "$C" --stop acpi --timeout 15 >"$TMPROOT/acpi.stop" 2>"$TMPROOT/acpi.stoperr"
check "--stop of a guest that answers ACPI: exit 0, nothing on stderr" \
	bash -c "[ $? = 0 ] && [ ! -s '$TMPROOT/acpi.stoperr' ]"
check "--stop of a guest that answers ACPI: ended by power-down, well within the timeout" \
	grep -Eqx 'vm acpi: stopped by ACPI power-down in [0-9]\.[0-9] s' "$TMPROOT/acpi.stop"
check "--stop of a guest that answers ACPI: gone" gone "$ACPI"
cat "$TMPROOT/acpi.stop"
"$RUN" -c "$C" --status >"$TMPROOT/out" 2>&1
check "--status after --stop: acpi ended by power-down, its device not released" \
	grep -qx 'acpi: ended (how: powerdown), pid '"$ACPI"', devices not released: run pcipass-run --release' "$TMPROOT/out"
check "--status after --stop: acpi's sockets gone, its name lease kept (devices not released)" \
	bash -c "[ ! -e '$V/acpi.qmp' ] && [ ! -e '$V/acpi.console' ] && grep -qx 'ended=powerdown' '$V/acpi.lock'"
rm -f "$H/run/claims/0000:3b:00.0" "$H/run/claims/0000:3c:00.0" # as --release would
"$RUN" -c "$C" --status >/dev/null 2>&1
check "--status once released: the dead VMs' name leases go" bash -c "[ ! -e '$V/acpi.lock' ] && [ ! -e '$V/old.lock' ]"

# the guest that ignores the power button: quit once the timeout has passed
wait $DEAF_READY
check "guest deaf booted (its ready line on the console)" test $? = 0
timeout 90 "$RUN" -c "$C" --stop deaf --timeout 2 >"$TMPROOT/deaf.stop" 2>"$TMPROOT/deaf.stoperr"
check "--stop of a guest that ignores ACPI: exit 0" test $? = 0
check "--stop of a guest that ignores ACPI: ended by quit after the 2 s timeout" \
	grep -Eqx 'vm deaf: stopped by quit in [2-6]\.[0-9] s' "$TMPROOT/deaf.stop"
check "--stop of a guest that ignores ACPI: the timeout said on stderr" \
	grep -qx 'pcipass-run: vm deaf: still running 2 s after the ACPI power-down; quit' "$TMPROOT/deaf.stoperr"
check "--stop of a guest that ignores ACPI: gone" gone "$DEAF"
cat "$TMPROOT/deaf.stop"

# a QEMU that lies in QMP (every command "succeeds", replies and events name another process,
# quit and SIGTERM ignored): only it is killed, never the process it names
sleep 300 &
VICTIM=$!
VM_PIDS+=("$VICTIM")
cat >"$TMPROOT/liar" <<EOF
#!/usr/bin/python3
import json, signal, socket, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
lst = socket.socket(fileno=3)
while True:
    c, _ = lst.accept()
    f = c.makefile("rw")
    def say(m):
        f.write(json.dumps(m) + "\n"); f.flush()
    say({"QMP": {"version": {}, "capabilities": [], "pid": $VICTIM}})
    for line in f:
        try:
            req = json.loads(line)
        except ValueError:
            break
        say({"event": "SHUTDOWN", "timestamp": {"seconds": 0, "microseconds": 0}, "data": {"pid": $VICTIM}})
        say({"return": {"pid": $VICTIM, "status": "shutdown"}, "id": req.get("id")})
EOF
chmod 0755 "$TMPROOT/liar"
C2=$H/etc/liar.conf
sed "s|^qemu .*|qemu = $TMPROOT/liar|" "$C" >"$C2"
printf '[vm]\nname = liar\nmemory = 128M\naccel = tcg\n' >"$TMPROOT/liar.ini"
"$RUN" -c "$C2" "$TMPROOT/liar.ini" >/dev/null 2>"$TMPROOT/liar.err" &
LIAR=$!
disown
VM_PIDS+=("$LIAR")
for _ in $(seq 100); do grep -q '^pcipass-run: vm liar: QMP socket' "$TMPROOT/liar.err" && break; sleep 0.1; done
sleep 1 # python is up
timeout 60 "$RUN" -c "$C2" --stop liar --timeout 1 >"$TMPROOT/liar.stop" 2>"$TMPROOT/liar.stoperr"
check "--stop of a QEMU that lies in QMP: exit 0" test $? = 0
check "--stop of a QEMU that lies in QMP: ended by kill" grep -Eqx 'vm liar: stopped by kill \(SIGKILL\) in [0-9.]+ s' "$TMPROOT/liar.stop"
check "--stop of a QEMU that lies in QMP: it is gone" gone "$LIAR"
check "--stop of a QEMU that lies in QMP: the process it named still runs" alive "$VICTIM"
kill "$VICTIM"
cat "$TMPROOT/liar.stop" "$TMPROOT/frozen.stop" "$TMPROOT/busy.stop"
