#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# firmware = uefi for real (issue 12), as root with the real QEMU: OVMF boots under TCG (no
# device needed) from descriptors, no firmware path on QEMU's command line; the VM's variables
# made once from the template (root's, 0600, the template's size) and kept across starts (a
# variable set in the EFI shell reads back after a restart). The refusals: tests/t-firmware.sh.
. "$(dirname "$0")/lib.sh"

RUN=$BUILD/pcipass-run
ovmf_host || exit 0
GUID=4a67b082-0a4c-41cf-b6c7-440b29bb8c4f
# console SEND...: on efi-1's serial console, wait for the EFI shell's prompt, then type each
# line and wait for the prompt again; what the console showed in $TMPROOT/console
console() {
	python3 - "$V/run/vms/efi-1.console" "$@" >"$TMPROOT/console" <<'PY'
import os, socket, sys, time
path, lines = sys.argv[1], sys.argv[2:]
end = time.time() + 90
while not os.path.exists(path) and time.time() < end:
    time.sleep(0.05)
s = socket.socket(socket.AF_UNIX)
s.connect(path)
s.settimeout(1)
seen = b""
def prompt():
    # the prompt after a newline: the shell redraws a line being typed with cursor moves only
    global seen
    start = len(seen)
    while time.time() < end:
        nl = seen.find(b"\n", start)
        if nl >= 0 and b"Shell> " in seen[nl:]:
            return True
        try:
            d = s.recv(65536)
        except socket.timeout:
            continue
        if not d:
            return False
        seen += d
    return False
ok = b"Shell> " in seen or prompt()
for line in lines:
    if not ok:
        break
    # a key at a time, each once the shell echoed the one before: under TCG the guest's UART
    # drops what comes faster than the shell reads it
    for ch in line:
        mark = len(seen)
        s.send(ch.encode())
        while time.time() < end and ch.encode() not in seen[mark:]:
            try:
                d = s.recv(65536)
            except socket.timeout:
                continue
            if not d:
                break
            seen += d
    s.send(b"\r")
    ok = prompt()
sys.stdout.write(seen.decode("latin1"))
sys.exit(0 if ok else 1)
PY
}
# start: efi-1 launched in the background (its QEMU's pid, once exec'd, in $pid)
start() {
	"$RUN" -c "$C" "$TMPROOT/efi.ini" >"$TMPROOT/efi.out" 2>"$TMPROOT/efi.err" &
	pid=$!
	PIDS+=("$pid")
}
stop() {
	"$RUN" -c "$C" --stop efi-1 --timeout 1 >/dev/null 2>&1
	wait "$pid" 2>/dev/null
}

start
console "setvar Pp -guid $GUID -nv -bs =L\"kept\"" "setvar Pp -guid $GUID"
rc=$?
check "OVMF ran: BdsDxe and the EFI shell on the serial console" bash -c \
	"[ $rc = 0 ] && grep -q 'BdsDxe: ' '$TMPROOT/console' && grep -q 'UEFI Interactive Shell' '$TMPROOT/console'"
check "the launch made the VM's variables from the template, and said so" \
	grep -q "firmware variables $STORE made from /usr/share/OVMF/OVMF_VARS_4M.fd" "$TMPROOT/efi.err"
check "the variables are root's, 0600, one link, the template's size" test \
	"$(stat -c '%u %a %h %s' "$STORE")" = "0 600 1 $(stat -c %s /usr/share/OVMF/OVMF_VARS_4M.fd)"
check "nvram_dir was made root's, 0700" test "$(stat -c '%u %a' "$V/nvram")" = "0 700"
check "QEMU runs as the VM's own uid, not root" test "$(stat -c %u /proc/$pid)" != 0
check "QEMU's command line has no path of the firmware: descriptor sets only" bash -c \
	"tr '\0' '\n' </proc/$pid/cmdline | grep -qx 'driver=file,filename=/dev/fdset/10,node-name=pcipass.ovmf-vars' &&
	! tr '\0' '\n' </proc/$pid/cmdline | grep -q 'OVMF\|nvram'"
check "the variable set in the EFI shell reads back" grep -q '6B 00 65 00 70 00 74 00' "$TMPROOT/console"
ino=$(stat -c %i "$STORE")
stop
start
console "setvar Pp -guid $GUID"
rc=$?
check "after a restart, the variable is still there (the store was kept)" bash -c \
	"[ $rc = 0 ] && grep -q 'Pp - 0008 Bytes' '$TMPROOT/console' && grep -q '6B 00 65 00 70 00 74 00' '$TMPROOT/console'"
check "the second start reused the store: same inode, nothing made" bash -c \
	"[ $(stat -c %i "$STORE") = $ino ] && ! grep -q 'made from' '$TMPROOT/efi.err'"
stop
