#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# pcipass-run launching a VM without passthrough devices (SPEC steps 6-9), as root:
#  - a stand-in QEMU (build/qemu-report) reports what it was given: the unprivileged user, no
#    capabilities, NoNewPrivs, our seccomp filter, the rlimits, umask, descriptors, environment;
#  - the VM's name is held for its life; a second VM of that name is refused;
#  - the real qemu-system-x86_64 (TCG, paused) starts under all of it and answers on QMP.
. "$(dirname "$0")/lib.sh"

RUN=$BUILD/pcipass-run
root_with_nobody "launch tests" || exit 0
mkhost launch "$ROOT/tests/hosts/subsys.host" || { failt "mkhost"; exit 1; }
NOBODY=$(id -u nobody)
NOGROUP=$(id -g nobody)
conf_with() { # conf_with QEMU [KEY = VALUE...]: the host's config, with that binary
	local q=$1
	shift
	cp "$CONF" "$TMPROOT/launch.conf"
	printf 'qemu = %s\nvm_groups = users nogroup\n' "$q" >>"$TMPROOT/launch.conf"
	for kv in "$@"; do printf '%s\n' "$kv" >>"$TMPROOT/launch.conf"; done
	echo "$TMPROOT/launch.conf"
}
FIRST=1879048192 # dynamic_ids' default start (common/config.h)
printf '[vm]\nname = rep-1\nmemory = 256M\naccel = tcg\n' >"$TMPROOT/rep.ini"
C=$(conf_with "$BUILD/qemu-report")
# started with SIGTERM ignored and SIGINT blocked, as a careless parent might
python3 -c 'import os, signal, sys; signal.signal(signal.SIGTERM, signal.SIG_IGN); signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGINT]); os.execv(sys.argv[1], sys.argv[1:])' \
	$RUN -c "$C" "$TMPROOT/rep.ini" <"$TMPROOT/rep.ini" >"$TMPROOT/report" 2>"$TMPROOT/err"
check "stand-in QEMU ran (exit 0)" test $? = 0
has() { grep -qx -- "$1" "$TMPROOT/report"; }
# the default identity: run_as = dynamic, a uid and gid of the VM's own
check "step 7: uid is the first dynamic id, real, effective and saved" has "uid=$FIRST,$FIRST,$FIRST"
check "step 7: gid is the same dynamic id" has "gid=$FIRST,$FIRST,$FIRST"
check "step 7: supplementary groups are exactly vm_groups (users, nogroup)" \
	has "groups=$(getent group users | cut -d: -f3),$(getent group nogroup | cut -d: -f3)"
check "step 7: no effective capability" has "CapEff=0000000000000000"
check "step 7: no permitted capability" has "CapPrm=0000000000000000"
check "step 7: no ambient capability" has "CapAmb=0000000000000000"
check "step 7: NoNewPrivs" has "NoNewPrivs=1"
check "step 8: our seccomp filter (mode 2)" has "Seccomp=2"
# Raising RLIMIT_MEMLOCK takes CAP_SYS_RESOURCE, which a container's root may lack (this kind
# of CI machine does): then the limit is kept, and said so, for a VM without devices.
if has_sys_resource; then
	check "step 6: RLIMIT_MEMLOCK = guest memory + 1 GiB" has "memlock=$(((256 + 1024) << 20)),$(((256 + 1024) << 20))"
else
	check "step 6: no CAP_SYS_RESOURCE here: memlock kept, and logged" \
		grep -q 'warning: cannot raise RLIMIT_MEMLOCK' "$TMPROOT/err"
fi
check "step 6: RLIMIT_CORE = 0" has "core=0,0"
check "step 6: umask 077" has "Umask=0077"
check "step 6: no signal ignored (SIGTERM was; and make leaves 32 and 33 ignored)" has "SigIgn=0000000000000000"
check "step 6: no signal blocked (SIGINT was)" has "SigBlk=0000000000000000"
check "step 6: only stdio, the QMP socket, the name and uid leases are open" has "fds=0,1,2,3,4,5"
check "step 6: fd 3 is the QMP socket" has "fd3=socket"
check "step 6: fd 4 is the name lease" has "fd4=$H/run/vms/rep-1.lock"
check "step 6: fd 5 is the uid lease" has "fd5=$H/run/ids/$FIRST"
check "step 6: stdin is /dev/null" has "fd0=/dev/null"
check "step 6: the working directory is /" has "cwd=/"
check "step 6: no controlling terminal" has "tty_nr=0"
check "the name lease is a whole record, root-only (0600)" \
	bash -c "[ \$(stat -c %a '$H/run/vms/rep-1.lock') = 600 ] && grep -q '^pid=' '$H/run/vms/rep-1.lock'"
check "step 6: a clean environment" test "$(grep -c '^env=' "$TMPROOT/report")" = 1
check "step 6: PATH only" has "env=PATH=/usr/sbin:/usr/bin:/sbin:/bin"
check "step 9: argv[0] is the configured binary" has "argv=$BUILD/qemu-report"
check "step 9: QEMU's own sandbox" has "argv=on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"
check "step 9: QMP on the socket pcipass-run made" has "argv=socket,id=pcipass.qmp,fd=3,server=on,wait=off"
check "QMP socket stays root's, mode 0600 (QEMU has the listening descriptor)" \
	test "$(stat -c '%u %a' "$H/run/vms/rep-1.qmp")" = "0 600"
check "every step logged with the VM name" grep -q '^pcipass-run: vm rep-1: planned' "$TMPROOT/err"

# the name is held for the VM's life
printf '[vm]\nname = rep-2\nmemory = 256M\naccel = tcg\npaused = true\n' >"$TMPROOT/rep2.ini"
$RUN -c "$C" "$TMPROOT/rep2.ini" >"$TMPROOT/report2" 2>/dev/null &
first=$!
for _ in $(seq 50); do grep -q '^argv=-S' "$TMPROOT/report2" 2>/dev/null && break; sleep 0.1; done
$RUN -c "$C" "$TMPROOT/rep2.ini" >/dev/null 2>"$TMPROOT/err2"
check "a second VM of the same name: refused (69)" test $? = 69
tail -n 1 "$TMPROOT/err2" >"$TMPROOT/last"
golden launch-name-taken "$TMPROOT/last"
kill $first
wait $first 2>/dev/null
$RUN -c "$C" "$TMPROOT/rep.ini" >/dev/null 2>&1
check "the name is free again once its VM is gone" test $? = 0

# vm.ini may name only a user the host allows
printf '[vm]\nname = r\nmemory = 256M\nuser = daemon\n' >"$TMPROOT/daemon.ini"
$RUN -c "$C" "$TMPROOT/daemon.ini" >"$TMPROOT/report3" 2>"$TMPROOT/err3"
check "user = daemon, not in allowed_users: refused (77)" test $? = 77
check "user = daemon refused: one line naming vm.ini:line and allowed_users" \
	bash -c "[ \$(wc -l <'$TMPROOT/err3') = 1 ] && grep -q 'daemon.ini:4: .*allowed_users' '$TMPROOT/err3'"
check "user = daemon refused: QEMU never ran" test ! -s "$TMPROOT/report3"
C=$(conf_with "$BUILD/qemu-report" "allowed_users = daemon")
$RUN -c "$C" "$TMPROOT/daemon.ini" >"$TMPROOT/report3" 2>/dev/null
check "user = daemon in allowed_users: honoured" grep -qx "uid=$(id -u daemon),$(id -u daemon),$(id -u daemon)" "$TMPROOT/report3"

# uid 0 under another name, and a user whose group is gid 0: refused even when allowed. The
# accounts exist only in a private mount namespace, over a copy of /etc/passwd.
if unshare -m true 2>/dev/null; then
	cp /etc/passwd "$TMPROOT/passwd"
	printf 'pcipass-toor:x:0:1879050001::/:/usr/sbin/nologin\npcipass-gzero:x:1879050000:0::/:/usr/sbin/nologin\n' \
		>>"$TMPROOT/passwd"
	C=$(conf_with "$BUILD/qemu-report" "allowed_users = pcipass-toor pcipass-gzero")
	for who in toor gzero; do
		printf '[vm]\nname = r\nmemory = 256M\nuser = pcipass-%s\n' $who >"$TMPROOT/$who.ini"
		unshare -m sh -c 'mount --bind "$1" /etc/passwd && shift && exec "$@"' sh "$TMPROOT/passwd" \
			$RUN -c "$C" "$TMPROOT/$who.ini" >"$TMPROOT/report-$who" 2>"$TMPROOT/err-$who"
		echo $? >"$TMPROOT/st-$who"
	done
	check "uid 0 under another name (allowed_users): refused (77)" test "$(cat "$TMPROOT/st-toor")" = 77
	check "uid 0 under another name: the line says uid 0" \
		grep -qx 'pcipass-run: user pcipass-toor has uid 0; the host.s allow_root_vm is false' "$TMPROOT/err-toor"
	check "uid 0 under another name: QEMU never ran" test ! -s "$TMPROOT/report-toor"
	check "a user of gid 0 (allowed_users): refused (77)" test "$(cat "$TMPROOT/st-gzero")" = 77
	check "a user of gid 0: the line says gid 0" \
		grep -qx 'pcipass-run: user pcipass-gzero has gid 0; the host.s allow_root_vm is false' "$TMPROOT/err-gzero"
	check "a user of gid 0: QEMU never ran" test ! -s "$TMPROOT/report-gzero"
	C=$(conf_with "$BUILD/qemu-report")
else
	skip "uid 0 under another name: no mount namespace here (unshare -m) to make the account in"
fi

# whatever run_as says, two live VMs never share a uid
C=$(conf_with "$BUILD/qemu-report" "run_as = nobody")
$RUN -c "$C" "$TMPROOT/rep2.ini" >"$TMPROOT/report4" 2>/dev/null &
first=$!
for _ in $(seq 50); do grep -q '^argv=-S' "$TMPROOT/report4" 2>/dev/null && break; sleep 0.1; done
check "run_as = nobody: the first VM runs as nobody" grep -qx "uid=$NOBODY,$NOBODY,$NOBODY" "$TMPROOT/report4"
printf '[vm]\nname = rep-3\nmemory = 256M\naccel = tcg\n' >"$TMPROOT/rep3.ini"
$RUN -c "$C" "$TMPROOT/rep3.ini" >"$TMPROOT/report5" 2>"$TMPROOT/err5"
check "run_as = nobody: a second live VM as nobody is refused (69)" test $? = 69
check "run_as = nobody: refused in one line naming the VM that has the uid" \
	bash -c "[ \$(wc -l <'$TMPROOT/err5') = 1 ] && grep -q 'already runs VM rep-2' '$TMPROOT/err5'"
check "run_as = nobody: the second QEMU never ran" test ! -s "$TMPROOT/report5"
kill $first
wait $first 2>/dev/null
C=$(conf_with "$BUILD/qemu-report")

# the log says what QEMU got, not what was asked for (without CAP_SYS_RESOURCE the limit is kept)
if has_sys_resource; then want="$((256 + 1024)) MiB"; else want="$(($(ulimit -l) / 1024)) MiB"; fi
check "the log's memlock limit is what QEMU got ($want)" grep -q "memlock limit $want;" "$TMPROOT/err"

# started with fds 0 and 2 closed: no lease or socket may land there (to become QEMU's stdin,
# or be replaced by /dev/null, or be written log lines into)
$RUN -c "$C" "$TMPROOT/rep.ini" <&- >"$TMPROOT/report6" 2>&-
check "fds 0 and 2 closed at start: exit 0" test $? = 0
check "fds 0 and 2 closed at start: QEMU's stdin and stderr are /dev/null" \
	bash -c "grep -qx 'fd0=/dev/null' '$TMPROOT/report6' && grep -qx 'fd2=/dev/null' '$TMPROOT/report6'"
check "fds 0 and 2 closed at start: QMP on 3, the leases on 4 and 5, nothing else" \
	bash -c "grep -qx 'fds=0,1,2,3,4,5' '$TMPROOT/report6' && grep -qx 'fd3=socket' '$TMPROOT/report6' &&
		grep -qx 'fd4=$H/run/vms/rep-1.lock' '$TMPROOT/report6'"
check "fds 0 and 2 closed at start: the name lease is a whole record" \
	test "$(grep -c '^\(vm\|pid\|start\)=' "$H/run/vms/rep-1.lock")" = 3

# a QEMU only root can execute is refused while the launch can still be undone
install -m 0700 "$BUILD/qemu-report" "$TMPROOT/qemu-root-only"
C=$(conf_with "$TMPROOT/qemu-root-only")
leases() { ls "$H/run/ids"; find "$H/run/vms" -type s | sort; }
before=$(leases)
$RUN -c "$C" "$TMPROOT/rep.ini" >"$TMPROOT/report7" 2>"$TMPROOT/err7"
check "a QEMU the VM's identity cannot execute: refused (78)" test $? = 78
check "a QEMU the VM's identity cannot execute: the last line says so" \
	bash -c "tail -n 1 '$TMPROOT/err7' | grep -q '^pcipass-run: qemu: .*qemu-root-only cannot be executed by the VM.s identity (uid $FIRST): Permission denied$'"
check "a QEMU the VM's identity cannot execute: uid leases and sockets as before" test "$(leases)" = "$before"

# gid 0 among vm_groups is root's group: refused unless allow_root_vm
C=$(conf_with "$BUILD/qemu-report")
sed -i 's/^vm_groups = .*/vm_groups = root/' "$C"
$RUN -c "$C" "$TMPROOT/rep.ini" >"$TMPROOT/report8" 2>"$TMPROOT/err8"
check "vm_groups = root (gid 0): refused (78)" test $? = 78
check "vm_groups = root: one line naming the config and gid 0" \
	bash -c "[ \$(wc -l <'$TMPROOT/err8') = 1 ] && grep -q 'vm_groups: root is gid 0' '$TMPROOT/err8'"
check "vm_groups = root: QEMU never ran" test ! -s "$TMPROOT/report8"
C=$(conf_with "$BUILD/qemu-report")

# no value can forge a log line or reach the terminal raw: a newline and a C1 byte in the
# path of vm.ini come out as \xNN, on one line
bad=$TMPROOT/$'x\nforged: vm evil: started\x9b.ini'
printf '[vm]\nname = rep-1\nbogus = 1\n' >"$bad"
$RUN -c "$C" "$bad" >/dev/null 2>"$TMPROOT/err9" </dev/null
check "a vm.ini path with a newline and a C1 byte: no forged line in the log" \
	bash -c "! grep -q '^forged' '$TMPROOT/err9' && grep -q 'x\\\\x0aforged: vm evil: started\\\\x9b.ini' '$TMPROOT/err9'"
check "a vm.ini path with a newline and a C1 byte: no raw control byte on stderr" \
	bash -c "! LC_ALL=C grep -q \$'[\\x80-\\x9f]' '$TMPROOT/err9'"

# the drop failing before the uid changes (setresgid refused): still root, so the launch is
# undone, not left for --release
use_kernelsim
before=$(ls "$H/run/ids")
env LD_PRELOAD="$SIM" PCIPASS_SIM_SYSFS="$H/sys" PCIPASS_SIM_FAIL_SETRESGID=1 \
	$RUN -c "$C" "$TMPROOT/rep.ini" >"$TMPROOT/report10" 2>"$TMPROOT/err10"
check "setresgid refused: exit 71" test $? = 71
check "setresgid refused: the last line names it" \
	bash -c "tail -n 1 '$TMPROOT/err10' | grep -q '^pcipass-run: setresgid $FIRST: Operation not permitted$'"
check "setresgid refused: undone, never 'cannot undo'" bash -c "! grep -q 'cannot undo' '$TMPROOT/err10'"
check "setresgid refused: QEMU never ran" test ! -s "$TMPROOT/report10"
check "setresgid refused: the uid leases as before, the QMP socket removed" \
	bash -c "test '$(ls "$H/run/ids")' = '$before' && test ! -e '$H/run/vms/rep-1.qmp'"

# the filter's action is the host's seccomp_action: errno answers a denied call with EPERM,
# kill (the default) ends the process at that call
printf '[vm]\nname = try-denied-1\nmemory = 256M\naccel = tcg\n' >"$TMPROOT/denied.ini"
C=$(conf_with "$BUILD/qemu-report" "seccomp_action = errno")
$RUN -c "$C" "$TMPROOT/denied.ini" >"$TMPROOT/report11" 2>/dev/null
check "seccomp_action = errno: QEMU survives a denied call (exit 0)" test $? = 0
check "seccomp_action = errno: the denied call got EPERM" grep -qx "denied=EPERM" "$TMPROOT/report11"
C=$(conf_with "$BUILD/qemu-report")
# (in a shell of its own, which would print "Bad system call")
sh -c '"$@" >"$0" 2>/dev/null; echo $? >"$0.st"' "$TMPROOT/report12" $RUN -c "$C" "$TMPROOT/denied.ini" 2>/dev/null
check "seccomp_action = kill: QEMU is killed by SIGSYS at a denied call" test "$(cat "$TMPROOT/report12.st")" = $((128 + 31))
check "seccomp_action = kill: it never got to say what the call returned" \
	bash -c "grep -q '^argv=' '$TMPROOT/report12' && ! grep -q '^denied=' '$TMPROOT/report12'"

# the real QEMU, under the filter, without privileges, behind its own sandbox
if command -v qemu-system-x86_64 >/dev/null && command -v python3 >/dev/null; then
	C=$(conf_with "$(command -v qemu-system-x86_64)")
	printf '[vm]\nname = real-1\nmemory = 128M\naccel = tcg\npaused = true\n[net]\nmode = user\n' >"$TMPROOT/real.ini"
	$RUN -c "$C" "$TMPROOT/real.ini" >"$TMPROOT/qemu.out" 2>"$TMPROOT/qemu.err" &
	vm=$!
	python3 - "$H/run/vms/real-1.qmp" "$vm" >"$TMPROOT/qmp" 2>&1 <<'PY'
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX)
for _ in range(100):
    try:
        s.connect(sys.argv[1]); break
    except OSError:
        time.sleep(0.1)
f = s.makefile("rw")
f.readline()
def ask(cmd):
    f.write(json.dumps({"execute": cmd}) + "\n"); f.flush()
    while True:
        r = json.loads(f.readline())
        if "event" not in r:
            return r.get("return")
ask("qmp_capabilities")
print("status", ask("query-status")["status"])
print("pci", len(ask("query-pci")[0]["devices"]))
for line in open("/proc/%s/status" % sys.argv[2]):  # pcipass-run's pid became QEMU's
    if line.split(":")[0] in ("Uid", "Seccomp", "NoNewPrivs", "CapEff"):
        print(line.split(":")[0], " ".join(line.split()[1:]))
ask("quit")
PY
	wait $vm
	check "real QEMU: exits 0 after QMP quit" test $? = 0
	check "real QEMU: paused, as vm.ini asked" grep -q '^status prelaunch$' "$TMPROOT/qmp"
	check "real QEMU: query-pci answers" grep -q '^pci [1-9]' "$TMPROOT/qmp"
	check "real QEMU: runs as a dynamic uid with no passwd entry" grep -qx "Uid $FIRST $FIRST $FIRST $FIRST" "$TMPROOT/qmp"
	check "real QEMU: under a seccomp filter, no new privileges, no capability" \
		bash -c "grep -qx 'Seccomp 2' '$TMPROOT/qmp' && grep -qx 'NoNewPrivs 1' '$TMPROOT/qmp' && grep -qx 'CapEff 0000000000000000' '$TMPROOT/qmp'"
else
	skip "real QEMU launch (qemu-system-x86 or python3 not installed)"
fi
