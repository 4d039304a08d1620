#!/usr/bin/env bash
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
conf_with() { # conf_with QEMU: the host's config, with that binary and run_as nobody
	cp "$CONF" "$TMPROOT/launch.conf"
	printf 'qemu = %s\nrun_as = nobody\n' "$1" >>"$TMPROOT/launch.conf"
	echo "$TMPROOT/launch.conf"
}
printf '[vm]\nname = rep-1\nmemory = 256M\naccel = tcg\n' >"$TMPROOT/rep.ini"
C=$(conf_with "$BUILD/qemu-report")
# started with SIGTERM ignored and SIGINT blocked, as a careless parent might
python3 -c 'import os, signal, sys; signal.signal(signal.SIGTERM, signal.SIG_IGN); signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGINT]); os.execv(sys.argv[1], sys.argv[1:])' \
	$RUN -c "$C" "$TMPROOT/rep.ini" >"$TMPROOT/report" 2>"$TMPROOT/err"
check "stand-in QEMU ran (exit 0)" test $? = 0
has() { grep -qx -- "$1" "$TMPROOT/report"; }
check "step 7: uid is nobody's, real, effective and saved" has "uid=$NOBODY,$NOBODY,$NOBODY"
check "step 7: gid is nobody's, real, effective and saved" has "gid=$NOGROUP,$NOGROUP,$NOGROUP"
check "step 7: supplementary groups are nobody's own" has "groups=$(id -G nobody | tr ' ' ',')"
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
check "step 6: only stdio, the QMP socket and the name lock are open" has "fds=0,1,2,3,4"
check "step 6: fd 3 is the QMP socket" has "fd3=socket"
check "step 6: fd 4 is the name lock" has "fd4=$H/run/vms/rep-1.lock"
check "step 6: a clean environment" test "$(grep -c '^env=' "$TMPROOT/report")" = 1
check "step 6: PATH only" has "env=PATH=/usr/sbin:/usr/bin:/sbin:/bin"
check "step 9: argv[0] is the configured binary" has "argv=$BUILD/qemu-report"
check "step 9: QEMU's own sandbox" has "argv=on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"
check "step 9: QMP on the socket pcipass-run made" has "argv=socket,id=pcipass.qmp,fd=3,server=on,wait=off"
check "QMP socket belongs to the VM user, mode 0600" \
	test "$(stat -c '%u %a' "$H/run/vms/rep-1.qmp")" = "$NOBODY 600"
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

# uid 0 under another name is still root
if ! id toor >/dev/null 2>&1; then
	printf '[vm]\nname = r\nmemory = 256M\nuser = daemon\n' >"$TMPROOT/daemon.ini"
	$RUN -c "$C" "$TMPROOT/daemon.ini" >"$TMPROOT/report3" 2>/dev/null
	check "another vm user (daemon) is honoured" grep -qx "uid=$(id -u daemon),$(id -u daemon),$(id -u daemon)" "$TMPROOT/report3"
fi

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
	check "real QEMU: runs as nobody" grep -qx "Uid $NOBODY $NOBODY $NOBODY $NOBODY" "$TMPROOT/qmp"
	check "real QEMU: under a seccomp filter, no new privileges, no capability" \
		bash -c "grep -qx 'Seccomp 2' '$TMPROOT/qmp' && grep -qx 'NoNewPrivs 1' '$TMPROOT/qmp' && grep -qx 'CapEff 0000000000000000' '$TMPROOT/qmp'"
else
	skip "real QEMU launch (qemu-system-x86 or python3 not installed)"
fi
