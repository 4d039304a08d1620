#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# SPEC "Isolation", tried as an attacker would: pcipass-run launches a compromised QEMU
# (build/qemu-attack, tests/qemu_attack.c) under the real privilege drop and seccomp filter, and
# every attack it makes must be refused:
#  - two VMs with the default identity (run_as unset: dynamic) run under uids and gids of their
#    own, never 0, with exactly vm_groups; neither reaches the other (/proc/PID/mem, pidfd_getfd,
#    signals, ptrace, QMP, console and VNC sockets) nor a host file, nor its own leases (read-only);
#    a VM that drops its own locks frees neither its uid nor its name;
#  - the filter closes whole families (user namespaces, io_uring with an errno, pidfd_getfd, kcmp,
#    personality, modify_ldt, memfd_secret, a syscall newer than the filter's table, TIOCSTI and
#    TIOCLINUX); each attack is first run without any filter, so one this kernel refuses by itself
#    is said to prove nothing (a loud skip) rather than counted;
#  - QEMU has no controlling terminal, its working directory is /, its QMP socket is root's:
#    run from an interactive root shell on a terminal, it can neither type a command into that
#    shell nor signal it (SIGCONT passes between processes of one session, whatever their uids);
#  - with a device: QEMU cannot rewrite or unlock its claim into "free", --release refuses a live
#    VM's device, and another VM cannot open its VFIO group. Raising RLIMIT_MEMLOCK takes
#    CAP_SYS_RESOURCE, which a container's root lacks: that part runs in a guest (tests/guest/).
. "$(dirname "$0")/lib.sh"

RUN=$BUILD/pcipass-run
if [ "$(id -u)" != 0 ]; then
	skip "isolation tests: pcipass-run must run as root (binds devices, drops privileges)"
	exit 0
fi
for u in nobody daemon; do
	id "$u" >/dev/null 2>&1 || { skip "isolation tests: no user $u to own the host files QEMU must not read"; exit 0; }
done
if ! KVM_GID=$(getent group kvm | cut -d: -f3) || [ -z "$KVM_GID" ]; then
	skip "isolation tests: no group kvm for vm_groups"
	exit 0
fi

PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null; rm -rf "$TMPROOT"' EXIT

# The stand-in, beside its orders (attack.targets), in a tree any uid may read.
ATK=$TMPROOT/atk
mkdir -m 0755 "$ATK"
cp "$BUILD/qemu-attack" "$ATK/qemu-attack"
chmod 0755 "$ATK/qemu-attack"
TARGETS=$ATK/attack.targets
: >"$TARGETS"
chmod 0644 "$TARGETS"
# The caller's working directory, root's only (QEMU must not keep it).
ROOTONLY=$TMPROOT/rootonly
mkdir -m 0700 "$ROOTONLY"
# Host files no VM may read: root's, a system user's, and nobody's (the old shared run_as).
SECRETS=$TMPROOT/secrets
mkdir -m 0755 "$SECRETS"
for o in root daemon nobody; do
	echo secret >"$SECRETS/$o-0600"
	chown "$o" "$SECRETS/$o-0600"
	chmod 0600 "$SECRETS/$o-0600"
	echo "file * $o-0600 $SECRETS/$o-0600" >>"$TARGETS"
done

# launch VM [PREFIX...]: pcipass-run -c $C $TMPROOT/VM.ini in the background, from a root-only
# working directory, its output in $TMPROOT/VM.out and .err; LAUNCHED is its pid, and QEMU's
# once it execs.
launch() {
	local vm=$1
	shift
	(cd "$ROOTONLY" && exec "$@" "$RUN" -c "$C" "$TMPROOT/$vm.ini") </dev/null >"$TMPROOT/$vm.out" 2>"$TMPROOT/$vm.err" &
	LAUNCHED=$!
	PIDS+=("$LAUNCHED")
}
wait_for() { # wait_for FILE PATTERN: up to 60 s (a guest is slow)
	for _ in $(seq 600); do grep -q -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}
# started NAME PID: the stand-in of VM NAME said ready (within 60 s, while PID lives); else
# say why and stop here
started() {
	for _ in $(seq 600); do
		if grep -qx 'ready' "$TMPROOT/$1.out" 2>/dev/null; then
			pass "$1: the stand-in QEMU runs (pid $2)"
			return 0
		fi
		kill -0 "$2" 2>/dev/null || break
		sleep 0.1
	done
	failt "$1 did not start: $(tail -n 2 "$TMPROOT/$1.err" | tr '\n' ' ')"
	exit 1
}
ids() { # ids PID: "uid gid groups" of a process, from its status (each id once if all agree)
	awk '/^Uid:/ { u = ($2 == $3 && $3 == $4 && $4 == $5) ? $2 : "mixed:" $2 "," $3 "," $4 "," $5 }
	     /^Gid:/ { g = ($2 == $3 && $3 == $4 && $4 == $5) ? $2 : "mixed:" $2 "," $3 "," $4 "," $5 }
	     /^Groups:/ { $1 = ""; sub(/^ */, ""); sub(/ *$/, ""); gsub(/ /, ","); gr = $0 }
	     END { print u, g, (gr == "" ? "-" : gr) }' "/proc/$1/status"
}
leases_of() { # leases_of PID: its descriptors of regular files under the state dir, as the stand-in names them
	local l t
	for l in /proc/"$1"/fd/*; do
		t=$(readlink "$l") || continue
		case $t in "$H/run/"*) [ -f "$t" ] && echo "${t#"$H"/run/}" ;; esac
	done
}

# Reports: V (verdict), D (detail) and N (how many lines) of each "VM attack" pair.
declare -A V D N
load_report() { # load_report VM FILE
	local w name verdict detail
	while read -r w name verdict detail; do
		[ "$w" = attack ] || continue
		V["$1 $name"]=$verdict
		D["$1 $name"]=$detail
		N["$1 $name"]=$((${N["$1 $name"]:-0} + 1))
	done <"$2"
}
blocked() { # blocked VM ATTACK: the stand-in of VM made ATTACK once, and it was refused
	local k="$1 $2"
	if [ "${N[$k]:-0}" = 1 ] && [ "${V[$k]}" = blocked ]; then
		pass "$1: $2 blocked"
	else
		failt "$1: $2 blocked; got ${N[$k]:-no} line(s): ${V[$k]:-} ${D[$k]:-}"
	fi
}
all_blocked() { # all_blocked VM FILE: it finished, and no attack line of it says anything but blocked
	local bad l
	bad=$(grep '^attack ' "$2" | grep -v '^attack [^ ]* blocked')
	check "$1: the stand-in finished its attacks" grep -qx 'done' "$2"
	if [ -z "$bad" ]; then
		pass "$1: every attack blocked"
	else
		failt "$1: every attack blocked; open:"
		while IFS= read -r l; do echo "#   $l"; done <<<"$bad"
	fi
}
SELF="ctty devtty sigcont-caller cwd"
FILTER="tiocsti-filter tioclinux-filter unshare-newuser setns clone-newuser clone3-newuser io_uring_setup
	io_uring_enter io_uring_register syscall-467 pidfd_getfd-self kcmp process_madvise quotactl_fd
	personality modify_ldt memfd_secret"
PEER="proc-mem proc-maps proc-environ proc-fd pidfd_getfd pidfd_signal kill0 sigcont process_vm_readv ptrace prlimit qmp"
LEASE_OPS="write ftruncate wrlock reopen-rw fchmod"
peer_blocked() { # peer_blocked VM OTHER [ATTACK...]: every attack of VM on OTHER
	local vm=$1 other=$2 a
	shift 2
	for a in $PEER "$@"; do blocked "$vm" "$a/$other"; done
}
leases_blocked() { # leases_blocked VM PID: every descriptor it holds under the state dir, each way
	local l a n=0
	for l in $(leases_of "$2"); do
		n=$((n + 1))
		for a in $LEASE_OPS; do blocked "$1" "$a/$l"; done
	done
	check "$1: QEMU holds its leases as descriptors ($n)" test "$n" -ge 1
}

# ---------- two VMs without devices, on this host ----------
deviceless() {
	local A B Cp c_ids a_ids b_ids f

	mkhost iso "$ROOT/tests/hosts/subsys.host" || { failt "mkhost"; exit 1; }
	C=$TMPROOT/iso.conf
	cp "$CONF" "$C"
	# the default identity (run_as unset: dynamic), exactly one supplementary group
	printf 'qemu = %s\nvm_groups = kvm\n' "$ATK/qemu-attack" >>"$C"

	# Each filter attack without any filter first, as nobody: what this kernel refuses by
	# itself proves nothing about the filter.
	(cd / && setpriv --reuid="$(id -u nobody)" --regid="$(id -g nobody)" --clear-groups \
		"$ATK/qemu-attack" -name guest=baseline,debug-threads=on) </dev/null >"$TMPROOT/baseline.out" 2>&1
	load_report baseline "$TMPROOT/baseline.out"

	printf '[vm]\nname = iso-a\nmemory = 256M\naccel = tcg\npaused = true\n' >"$TMPROOT/iso-a.ini"
	printf '[vm]\nname = iso-b\nmemory = 256M\naccel = tcg\npaused = true\n[display]\nvnc = true\nserial = socket\n' >"$TMPROOT/iso-b.ini"
	printf 'wait iso-a\nwait iso-b\nunlock iso-a\npeer iso-a\npeer iso-b\npeer iso-c\n' >>"$TARGETS"
	launch iso-a
	A=$LAUNCHED
	launch iso-b
	B=$LAUNCHED
	started iso-a "$A"
	started iso-b "$B"

	# one identity per VM
	a_ids=$(ids "$A") b_ids=$(ids "$B")
	echo "# iso-a: uid gid groups = $a_ids; iso-b: $b_ids"
	read -r ua ga gra <<<"$a_ids"
	read -r ub gb grb <<<"$b_ids"
	check "iso-a: one uid (real, effective, saved, fs), not 0" bash -c "[[ '$ua' =~ ^[0-9]+$ ]] && [ '$ua' != 0 ]"
	check "iso-a: one gid, not 0" bash -c "[[ '$ga' =~ ^[0-9]+$ ]] && [ '$ga' != 0 ]"
	check "iso-b: one uid, not 0" bash -c "[[ '$ub' =~ ^[0-9]+$ ]] && [ '$ub' != 0 ]"
	check "iso-b: one gid, not 0" bash -c "[[ '$gb' =~ ^[0-9]+$ ]] && [ '$gb' != 0 ]"
	check "two VMs with the default run_as: different uids" test "$ua" != "$ub"
	check "two VMs with the default run_as: different gids" test "$ga" != "$gb"
	check "iso-a: supplementary groups exactly vm_groups (kvm, $KVM_GID)" test "$gra" = "$KVM_GID"
	check "iso-b: supplementary groups exactly vm_groups (kvm, $KVM_GID)" test "$grb" = "$KVM_GID"
	check "iso-a: QEMU's working directory is /" test "$(readlink "/proc/$A/cwd")" = /
	# the endpoints are root's: QEMU holds their listening descriptors and needs no path
	for f in vms/iso-a.qmp vms/iso-b.qmp vms/iso-b.console; do
		echo "# $(ls -l "$H/run/$f" 2>&1)"
		check "$f: a socket, root's, mode 0600" test "$(stat -c '%F %u %a' "$H/run/$f" 2>&1)" = "socket 0 600"
	done
	check "iso-b: its VNC socket listens (for iso-a to attack)" grep -q '^note vnc socket .* listening$' "$TMPROOT/iso-b.out"

	touch "$ATK/go"
	wait_for "$TMPROOT/iso-a.out" '^done$'
	wait_for "$TMPROOT/iso-b.out" '^done$'
	load_report iso-a "$TMPROOT/iso-a.out"
	load_report iso-b "$TMPROOT/iso-b.out"
	for vm in iso-a iso-b; do
		all_blocked "$vm" "$TMPROOT/$vm.out"
		for at in $SELF; do blocked "$vm" "$at"; done
		for at in $FILTER; do
			if [ "${V[baseline $at]:-}" = blocked ]; then
				skip "$vm: $at: this kernel refuses it with no filter at all (${D[baseline $at]}), so it tests nothing here"
			elif [ "${V[baseline $at]:-}" != OPEN ]; then
				failt "$vm: $at: no answer without a filter (the stand-in is broken)"
			else
				blocked "$vm" "$at"
			fi
		done
		for f in root daemon nobody; do blocked "$vm" "open/$f-0600"; done
	done
	leases_blocked iso-a "$A"
	leases_blocked iso-b "$B"
	peer_blocked iso-a iso-b console vnc
	peer_blocked iso-b iso-a

	# iso-a dropped every lock it held: its uid and its name stay taken while it runs
	check "iso-a dropped the locks of its leases" grep -q '^note unlocked .*: yes$' "$TMPROOT/iso-a.out"
	printf '[vm]\nname = iso-c\nmemory = 256M\naccel = tcg\npaused = true\n' >"$TMPROOT/iso-c.ini"
	launch iso-c
	Cp=$LAUNCHED
	started iso-c "$Cp"
	c_ids=$(ids "$Cp")
	echo "# iso-c: uid gid groups = $c_ids"
	read -r uc gc _ <<<"$c_ids"
	check "a third VM, after iso-a dropped its locks: a uid neither iso-a's nor iso-b's" \
		bash -c "[ '$uc' != '$ua' ] && [ '$uc' != '$ub' ]"
	check "a third VM: a gid neither iso-a's nor iso-b's" bash -c "[ '$gc' != '$ga' ] && [ '$gc' != '$gb' ]"
	printf '[vm]\nname = iso-a\nmemory = 256M\naccel = tcg\n' >"$TMPROOT/iso-a2.ini"
	(cd "$ROOTONLY" && exec timeout 60 "$RUN" -c "$C" "$TMPROOT/iso-a2.ini") </dev/null >/dev/null 2>"$TMPROOT/iso-a2.err"
	check "a second iso-a while the first runs, its locks dropped: refused (69)" test $? = 69
	check "a second iso-a: its last line names iso-a" grep -q 'iso-a' <(tail -n 1 "$TMPROOT/iso-a2.err")
	kill "$A" "$B" "$Cp"
	wait "$A" "$B" "$Cp" 2>/dev/null

	# From an interactive root shell on a terminal, as an administrator runs it: whatever QEMU
	# types with TIOCSTI would be read by that shell next. The same stand-in run by the shell
	# itself (root, its terminal) shows that the harness sees an injection.
	if ! command -v python3 >/dev/null; then
		skip "TIOCSTI from a terminal: python3 not installed"
		return
	fi
	echo "# dev.tty.legacy_tiocsti = $(cat /proc/sys/dev/tty/legacy_tiocsti 2>/dev/null || echo absent)"
	printf '[vm]\nname = tty-1\nmemory = 256M\naccel = tcg\n' >"$TMPROOT/tty-1.ini"
	printf 'inject tty-1 %s\ninject tty-ctl %s\n' "$TMPROOT/marker" "$TMPROOT/marker-ctl" >>"$TARGETS"
	on_terminal "cd $ROOTONLY && $ATK/qemu-attack -name guest=tty-ctl,debug-threads=on >$TMPROOT/tty-ctl.out 2>&1" \
		"$TMPROOT/tty-ctl.out" "$TMPROOT/tty-ctl.log"
	check "control: the stand-in run by the root shell itself types into it (TIOCSTI works here)" \
		test -e "$TMPROOT/marker-ctl"
	on_terminal "cd $ROOTONLY && $RUN -c $C $TMPROOT/tty-1.ini >$TMPROOT/tty-1.out 2>$TMPROOT/tty-1.err" \
		"$TMPROOT/tty-1.out" "$TMPROOT/tty-1.log"
	check "from a terminal: the shell ran pcipass-run and got its prompt back" test $? = 0
	load_report tty-1 "$TMPROOT/tty-1.out"
	all_blocked tty-1 "$TMPROOT/tty-1.out"
	for at in ctty devtty tiocsti-fd0 tiocsti-fd1 tiocsti-fd2 tiocsti-devtty sigcont-caller cwd; do blocked tty-1 "$at"; done
	if grep -qx 'done' "$TMPROOT/tty-1.out"; then
		check "from a terminal: the command QEMU typed never ran in the root shell" test ! -e "$TMPROOT/marker"
	else
		failt "from a terminal: the stand-in never finished: $(tail -n 2 "$TMPROOT/tty-1.err" | tr '\n' ' ')"
	fi
	return 0
}

# on_terminal COMMAND REPORT LOG: an interactive bash (job control, no rc files) on a new
# terminal runs COMMAND as a foreground job; once REPORT says done, "exit" is typed. Anything
# injected meanwhile sits in the terminal's input ahead of it, and the shell runs it first.
on_terminal() {
	python3 - "$@" <<'PY'
import os, pty, select, sys, time
cmd, report, log = sys.argv[1:4]
pid, fd = pty.fork()
if pid == 0:
    os.execve("/bin/bash", ["bash", "--norc", "--noprofile", "-i"],
              {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/", "TERM": "dumb", "PS1": "$ ",
               "HISTFILE": "/dev/null"})
out = bytearray()
def pump(seconds, cond):
    end = time.time() + seconds
    while time.time() < end and not cond():
        if select.select([fd], [], [], 0.05)[0]:
            try:
                data = os.read(fd, 4096)
            except OSError:
                data = b""
            if not data:
                return True  # the shell is gone: the terminal hung up
            out.extend(data)
    return cond()
def done():
    try:
        with open(report, "rb") as f:
            return b"\ndone\n" in b"\n" + f.read()
    except OSError:
        return False
pump(10, lambda: b"$ " in out)
os.write(fd, cmd.encode() + b"\n")
ok = pump(60, done)
os.write(fd, b"exit\n")
pump(20, lambda: False)
for _ in range(100):
    if os.waitpid(pid, os.WNOHANG)[0]:
        break
    time.sleep(0.1)
else:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    ok = False
open(log, "wb").write(bytes(out))
sys.exit(0 if ok else 1)
PY
}

# ---------- a VM with a device, and one without, under the kernel stand-in ----------
with_device() {
	local A B ua list

	use_kernelsim
	cat >"$TMPROOT/dev.host" <<'HOST'
0000:00:00.0  0600  8086:2020  8086:0000  0   0  -
0000:3b:00.0  1200  19e5:d801  19e5:0100  17  0  npudrv
HOST
	mkhost isodev "$TMPROOT/dev.host" >/dev/null || { failt "mkhost isodev"; exit 1; }
	C=$TMPROOT/isodev.conf
	cp "$CONF" "$C"
	printf 'qemu = %s\nvm_groups = kvm\n' "$ATK/qemu-attack" >>"$C"
	$MODEL -c "$C" create NPU1 NPU 19e5 d801 >/dev/null
	$PROBE -c "$C" -q
	rm -f "$ATK/go"
	printf 'wait dev-a\nwait dev-b\nunlock dev-a\npeer dev-a\npeer dev-b\nfile dev-b vfio-of-dev-a %s\n' "$H/dev/vfio/17" >>"$TARGETS"
	printf '[vm]\nname = dev-a\nmemory = 256M\naccel = tcg\npaused = true\n[devices]\nNPU1 = 1\n' >"$TMPROOT/dev-a.ini"
	printf '[vm]\nname = dev-b\nmemory = 256M\naccel = tcg\npaused = true\n' >"$TMPROOT/dev-b.ini"
	launch dev-a env LD_PRELOAD="$SIM" PCIPASS_SIM_SYSFS="$H/sys" PCIPASS_SIM_DEV="$H/dev"
	A=$LAUNCHED
	launch dev-b env LD_PRELOAD="$SIM" PCIPASS_SIM_SYSFS="$H/sys" PCIPASS_SIM_DEV="$H/dev"
	B=$LAUNCHED
	started dev-a "$A"
	started dev-b "$B"
	read -r ua _ <<<"$(ids "$A")"
	check "dev-a: its device on vfio-pci" test "$(basename "$(readlink "$H/sys/bus/pci/devices/0000:3b:00.0/driver")")" = vfio-pci
	check "dev-a: its VFIO group device is its own, mode 0600 (for dev-b to attack)" \
		test "$(stat -c '%u %a' "$H/dev/vfio/17")" = "$ua 600"
	check "dev-a: QEMU holds its claim as a descriptor" grep -qx 'claims/0000:3b:00.0' <(leases_of "$A")

	touch "$ATK/go"
	wait_for "$TMPROOT/dev-a.out" '^done$'
	wait_for "$TMPROOT/dev-b.out" '^done$'
	load_report dev-a "$TMPROOT/dev-a.out"
	load_report dev-b "$TMPROOT/dev-b.out"
	all_blocked dev-a "$TMPROOT/dev-a.out"
	all_blocked dev-b "$TMPROOT/dev-b.out"
	for at in $LEASE_OPS; do blocked dev-a "$at/claims/0000:3b:00.0"; done
	blocked dev-b open/vfio-of-dev-a
	peer_blocked dev-b dev-a

	# dev-a dropped its claim's lock: the claim stands while dev-a lives
	check "dev-a dropped the lock of its claim" grep -q '^note unlocked claims/0000:3b:00.0: yes$' "$TMPROOT/dev-a.out"
	list=$($PROBE -c "$C" --list)
	check "--list: the device is still claimed by dev-a (pid $A)" grep -q "^0000:3b:00.0 .*claimed by dev-a (pid $A)$" <<<"$list"
	env LD_PRELOAD="$SIM" PCIPASS_SIM_SYSFS="$H/sys" PCIPASS_SIM_DEV="$H/dev" \
		"$RUN" -c "$C" --release 0000:3b:00.0 >/dev/null 2>"$TMPROOT/release.err"
	check "--release of the live VM's device: refused (69)" test $? = 69
	check "--release refused: its last line names the device" grep -q '0000:3b:00.0' <(tail -n 1 "$TMPROOT/release.err")
	check "--release refused: the device stays on vfio-pci" \
		test "$(basename "$(readlink "$H/sys/bus/pci/devices/0000:3b:00.0/driver")")" = vfio-pci
	check "--release refused: the VFIO group device stays dev-a's" test "$(stat -c %u "$H/dev/vfio/17")" = "$ua"
	kill "$A" "$B"
	wait "$A" "$B" 2>/dev/null
	return 0
}

# The device-less part runs on any root; inside the guest only the device part runs again.
if [ -z "${PCIPASS_IN_GUEST:-}" ]; then
	deviceless
fi
if has_sys_resource; then
	with_device
else
	in_guest "the device part needs CAP_SYS_RESOURCE (RLIMIT_MEMLOCK)"
fi
