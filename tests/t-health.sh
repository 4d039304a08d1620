#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A device that stops answering after its VM (issue 12, Reset): --release reads its config space
# (not the kernel's cached vendor file); 0xffff marks it unhealthy under <state_dir>/health, and
# no launch hands it out, by address or by model, until --release ADDR sees it answer again.
# On fake trees with build/kernelsim.so playing the kernel; a VM's ended claim played by
# build/claimhold, killed.
. "$(dirname "$0")/lib.sh"

RUN=$BUILD/pcipass-run
use_kernelsim
if [ "$(id -u)" != 0 ]; then
	skip "health marks: pcipass-run --release must run as root"
	exit 0
fi
cat >"$TMPROOT/h.host" <<'HOST'
0000:00:00.0  0600  8086:2020  8086:0000  0   0  -
0000:3b:00.0  1200  19e5:d801  19e5:0100  17  0  -
0000:3c:00.0  1200  19e5:d801  19e5:0100  18  0  -
HOST
mkhost h "$TMPROOT/h.host" >/dev/null || { failt "mkhost"; exit 1; }
printf 'qemu = /bin/true\n' >>"$CONF"
mkdir -p "$H/dev" && mknod "$H/dev/kvm" c 10 232 && chgrp kvm "$H/dev/kvm" && chmod 0660 "$H/dev/kvm"
$MODEL -c "$CONF" create NPU1 NPU 19e5 d801 >/dev/null
$PROBE -c "$CONF" -q
release() { env LD_PRELOAD="$SIM" PCIPASS_SIM_SYSFS="$H/sys" PCIPASS_SIM_DEV="$H/dev" "$RUN" -c "$CONF" --release "$@"; }
ended_vm() { # ended_vm ADDR: a VM that held ADDR and is gone, its claim left behind
	"$BUILD/claimhold" "$H/run" "$1" gone >"$TMPROOT/hold" &
	local pid=$!
	for _ in $(seq 50); do grep -q held "$TMPROOT/hold" 2>/dev/null && break; sleep 0.1; done
	kill $pid; wait $pid 2>/dev/null
}
config() { # config ADDR HEX4: the first two bytes of its config space, as the device answers
	printf "\\x${2:2:2}\\x${2:0:2}" | dd of="$H/sys/bus/pci/devices/$1/config" conv=notrunc status=none
}
dry() { # dry NAME DEVICES-LINE
	printf '[vm]\nname = %s\nmemory = 256M\n[devices]\n%s\n' "$1" "$2" >"$TMPROOT/$1.ini"
	$RUN -c "$CONF" --dry-run "$TMPROOT/$1.ini" >"$TMPROOT/out" 2>"$TMPROOT/err"
	st=$?
	if [ $st != 0 ] && preflight_clean "$TMPROOT/$1.ini" $st "$TMPROOT/err"; then st=0; fi
}

# a healthy device: released, no mark
ended_vm 0000:3c:00.0
release >"$TMPROOT/rel" 2>&1
check "a device that answers: released (exit $?), no mark" test ! -e "$H/run/health/0000:3c:00.0"

# the vendor file says 19e5 (the kernel caches it); config space reads ffff: marked
ended_vm 0000:3b:00.0
config 0000:3b:00.0 ffff
release >"$TMPROOT/rel" 2>&1
st=$?
check "a dead device: the release itself succeeds (exit $st)" test $st = 0
check "a dead device: one line says it is marked and what to do" \
	grep -q '0000:3b:00.0: does not answer config reads (0xffff): marked unhealthy.*--release 0000:3b:00.0' "$TMPROOT/rel"
check "the mark: root's, 0600, one line" \
	test "$(stat -c '%u %a' "$H/run/health/0000:3b:00.0" 2>/dev/null)" = "0 600" -a \
	"$(wc -l <"$H/run/health/0000:3b:00.0")" = 1
check "the claim is gone all the same" test ! -e "$H/run/claims/0000:3b:00.0"

dry a1 'address = 0000:3b:00.0'
check "a marked device by address: refused (69)" test $st = 69
check "a marked device by address: file:line, the reason and the way out" \
	grep -q 'a1.ini:5: 0000:3b:00.0 may not be handed out: marked unhealthy (config space reads 0xffff after release); pcipass-run --release 0000:3b:00.0 clears it' "$TMPROOT/err"
dry a2 'NPU1 = 1'
check "by model: the healthy one is planned instead" grep -q '^  0000:3c:00.0 ' "$TMPROOT/out"
dry a3 'NPU1 = 2'
check "by model, two: refused (69), naming the marked one" \
	bash -c "test $st = 69 && grep -q 'a3.ini:5: 2 NPU1 asked for, 1 free (2 in all; 1 not to be handed out, first 0000:3b:00.0: marked unhealthy' '$TMPROOT/err'"

release 0000:3b:00.0 >"$TMPROOT/rel" 2>&1
st=$?
check "--release ADDR while it still reads ffff: refused (69), the mark stays" \
	bash -c "test $st = 69 && test -e '$H/run/health/0000:3b:00.0'"
config 0000:3b:00.0 19e5
release 0000:3b:00.0 >"$TMPROOT/rel" 2>&1
st=$?
check "--release ADDR once it answers: exit 0, mark cleared" \
	bash -c "test $st = 0 && test ! -e '$H/run/health/0000:3b:00.0' && grep -q 'answers config reads again' '$TMPROOT/rel'"
dry a4 'address = 0000:3b:00.0'
check "cleared: planned again (exit $st)" test $st = 0
release 0000:3b:00.0 >"$TMPROOT/rel" 2>&1
check "--release ADDR with neither claim nor mark: 66 as before" test $? = 66

# a hostile mark: a symlink in its place is an error, not "healthy"
ln -s /etc/passwd "$H/run/health/0000:3b:00.0"
dry a5 'NPU1 = 1'
check "a symlink for a mark: the plan fails (not a silent pass), naming it" \
	bash -c "test $st != 0 && grep -q 'health/0000:3b:00.0' '$TMPROOT/err'"
rm -f "$H/run/health/0000:3b:00.0"

# issue 13: a device's live facts are read when a pick looks at it, not for every device of
# the model: one NPU1 asked for, the first is fit, so the second's sysfs facts are not read;
# a refusal has looked at them all (its count above says so)
if command -v strace >/dev/null; then
	printf '[vm]\nname = a6\nmemory = 256M\n[devices]\nNPU1 = 1\n' >"$TMPROOT/a6.ini"
	env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f -qq -e trace=openat \
		-o "$TMPROOT/a6.strace" $RUN -c "$CONF" --dry-run "$TMPROOT/a6.ini" >/dev/null 2>&1
	check "one of two asked for: the first one's facts are read" \
		grep -q '0000:3b:00.0/reset_method\|0000:3b:00.0", O_RDONLY|O_CLOEXEC|O_DIRECTORY' "$TMPROOT/a6.strace"
	check "one of two asked for: the second one's are not (its claim is looked at, not its sysfs)" \
		bash -c "! grep -q 'devices/0000:3c:00.0' '$TMPROOT/a6.strace'"
else
	skip "facts read only for the devices a pick looks at (strace not installed)"
fi
