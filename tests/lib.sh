# SPDX-License-Identifier: GPL-2.0-or-later
# tests/lib.sh - sourced by every black-box test (tests/t-*.sh).
# Each test builds its own fake host under a private temp dir and points the programs at it.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
PROBE=$BUILD/pcipass-probe
MODEL=$BUILD/pcipass-model
FAKEHOST=$BUILD/fakehost
RESULTS=${RESULTS:-/dev/null}
GOLDEN=$ROOT/tests/golden
# Fake trees live on tmpfs when there is one: sysfs is in memory too, and disk is slow here.
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then TMPDIR=/dev/shm; fi
TMPROOT=$(mktemp -d "${TMPDIR:-/tmp}/pcipass-test.XXXXXX")
chmod 0755 "$TMPROOT"
trap 'rm -rf "$TMPROOT"' EXIT

pass() { echo "ok - $*"; echo pass >>"$RESULTS"; }
# PCIPASS_FAIL_FAST=1 (tests/mutants.py): the first failure ends the test file; one is all a
# mutant needs, and the rest of a long file would only cost minutes.
failt() {
	echo "not ok - $*"
	echo fail >>"$RESULTS"
	[ "${PCIPASS_FAIL_FAST:-0}" != 1 ] || exit 1
}
# A test that cannot run here says so loudly; in CI (PCIPASS_MUST_WORK=1) that is a failure.
skip() {
	if [ "${PCIPASS_MUST_WORK:-0}" = 1 ]; then
		failt "$* (cannot run here, and PCIPASS_MUST_WORK=1)"
	else
		echo "SKIP - $*" >&2
		echo skip >>"$RESULTS"
	fi
}
# ansible_sandbox DIR: Ansible reads no configuration of this machine's (/etc/ansible/ansible.cfg,
# ~/.ansible.cfg, ./ansible.cfg) and writes only under DIR: HOME (DIR/home), its own home and
# its temporaries.
ansible_sandbox() {
	mkdir -p "$1/home"
	: >"$1/ansible.cfg"
	export HOME=$1/home ANSIBLE_CONFIG=$1/ansible.cfg ANSIBLE_HOME=$1/ansible-home \
		ANSIBLE_LOCAL_TEMP=$1/tmp-local ANSIBLE_REMOTE_TEMP=$1/tmp-remote \
		ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0
}
# checkout OUT NAME COMMAND...: check, and on failure show OUT (a run's output)
checkout() {
	local out=$1 name=$2
	shift 2
	if "$@"; then pass "$name"; else failt "$name"; sed 's/^/#   /' "$out"; fi
}
# check NAME COMMAND...: pass when the command succeeds.
check() {
	local name=$1
	shift
	if "$@"; then pass "$name"; else failt "$name"; fi
}

# mkhost NAME DESC_FILE|--synth N: a fake host at $TMPROOT/NAME with sys/, etc/pcipass.conf,
# etc/models.d/, var/, run/; sets H (its root) and CONF (its pcipass.conf).
mkhost() {
	local name=$1
	shift
	H=$TMPROOT/$name
	mkdir -p "$H/etc/models.d" "$H/var" "$H/run"
	"$FAKEHOST" "$@" "$H/sys" >/dev/null || return 1
	CONF=$H/etc/pcipass.conf
	cat >"$CONF" <<CONF
[host]
sysfs_root = $H/sys
dev_root   = $H/dev
models_dir = $H/etc/models.d
inventory  = $H/var/inventory.ini
state_dir  = $H/run
pci_ids    = $ROOT/tests/data/pci.ids
CONF
	chmod -R go-w "$H"
	# Every tree the tests build must read the same through lspci as through our probe; a tree
	# with a vanished device or an unreadable file is one lspci itself cannot read cleanly.
	if ! command -v lspci >/dev/null; then
		skip "lspci comparison on $name (pciutils not installed)"
	elif ! grep -qE 'vanished|[[:space:]]!' -- "$1" 2>/dev/null; then
		check "lspci and the probe list the same devices on host $name" lspci_agrees
	fi
}

# lspci_agrees: on host $H, `lspci -mm` and our `--all --json` list the same devices (address,
# class, vendor:device), and libpci says nothing on stderr while reading the tree.
lspci_agrees() {
	lspci -D -n -mm -A linux-sysfs -O sysfs.path="$H/sys/bus/pci" 2>"$TMPROOT/lspci.err" |
		awk '{gsub(/"/, ""); print $1, substr($2, 1, 4), $3 ":" $4}' | sort >"$TMPROOT/lspci"
	"$PROBE" -c "$CONF" --all --json 2>"$TMPROOT/probe.err" |
		sed -n 's/.*"address": "\([^"]*\)", "class": "\([^"]*\)", "vendor_id": "\([^"]*\)", "device_id": "\([^"]*\)".*/\1 \2 \3:\4/p' |
		sort >"$TMPROOT/ours"
	[ ! -s "$TMPROOT/lspci.err" ] && [ ! -s "$TMPROOT/probe.err" ] && cmp -s "$TMPROOT/lspci" "$TMPROOT/ours"
}

# normalise FILE: the temp root, the probe's time stamp and pids vary from run to run.
normalise() {
	sed -e "s|$TMPROOT|@TMP@|g" -e 's/^generated = .*/generated = @STAMP@/' \
		-e 's/(pid [0-9]*)/(pid @PID@)/g' -e 's/^\(pcipass_probe_timestamp_seconds\) [0-9]*/\1 @TIME@/' "$1"
}

# golden NAME FILE: compare FILE (normalised) with tests/golden/NAME; UPDATE_GOLDEN=1 rewrites it.
golden() {
	local name=$1 file=$2
	if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
		normalise "$file" >"$GOLDEN/$name"
	fi
	if [ ! -f "$GOLDEN/$name" ]; then
		failt "$name: no golden file tests/golden/$name (run with UPDATE_GOLDEN=1 once)"
		return 1
	fi
	if diff -u "$GOLDEN/$name" <(normalise "$file") >"$TMPROOT/diff"; then
		pass "$name"
	else
		failt "$name"
		sed 's/^/#   /' "$TMPROOT/diff"
		return 1
	fi
}

# expect_fail NAME STATUS COMMAND...: the command fails with STATUS, prints one line on stderr,
# nothing on stdout, and that line matches tests/golden/NAME.
expect_fail() {
	local name=$1 want=$2 got
	shift 2
	"$@" >"$TMPROOT/out" 2>"$TMPROOT/err"
	got=$?
	if [ "$got" != "$want" ]; then
		failt "$name: exit $got, expected $want; stderr: $(head -c 300 "$TMPROOT/err")"
		return 1
	fi
	if [ "$(wc -l <"$TMPROOT/err")" != 1 ] || [ -s "$TMPROOT/out" ]; then
		failt "$name: expected one line on stderr and nothing on stdout"
		return 1
	fi
	golden "$name" "$TMPROOT/err"
}

# ok_run NAME COMMAND...: the command exits 0 with nothing on stderr (one check); its stdout is
# left in $TMPROOT/out for the checks that follow. Otherwise a loud failure, never a silence.
ok_run() {
	local name=$1 got
	shift
	"$@" >"$TMPROOT/out" 2>"$TMPROOT/err"
	got=$?
	if [ "$got" = 0 ] && [ ! -s "$TMPROOT/err" ]; then
		pass "$name: exit 0, nothing on stderr"
	else
		failt "$name: exit $got, expected 0 and nothing on stderr; stderr: $(head -c 300 "$TMPROOT/err")"
		return 1
	fi
}

# expect_ok NAME COMMAND...: ok_run, then its stdout matches tests/golden/NAME: two checks,
# both made whatever the first gives (a failing command does not drop the second).
expect_ok() {
	local name=$1 st
	shift
	ok_run "$name" "$@"
	st=$?
	golden "$name" "$TMPROOT/out" && return $st
}

# expect_ioerr NAME COMMAND...: with stdout on /dev/full (every write fails, ENOSPC) the
# command exits 74 (EX_IOERR) with the one line "PROGRAM: cannot write to standard output".
expect_ioerr() {
	local name=$1 prog=${2##*/} got
	shift
	if [ ! -c /dev/full ]; then
		skip "$name: a write error on stdout (no /dev/full)"
		return
	fi
	"$@" >/dev/full 2>"$TMPROOT/err"
	got=$?
	if [ "$got" = 74 ] && [ "$(cat "$TMPROOT/err")" = "$prog: cannot write to standard output" ]; then
		pass "$name: stdout on /dev/full, exit 74 and one line"
	else
		failt "$name: stdout on /dev/full, exit $got, expected 74 and one line; stderr: $(head -c 300 "$TMPROOT/err")"
	fi
}

# tree_sum DIR: a fingerprint of every file's path, mode, size and content under DIR, to show
# that a refused command changed nothing.
tree_sum() {
	(cd "$1" && find . -printf '%p %m %s %l\n' | LC_ALL=C sort && find . -type f -print0 |
		LC_ALL=C sort -z | xargs -0r cat) | sha256sum
}

# in_guest WHY: this test cannot run on this host (WHY), so run the whole file again as root
# inside a throwaway guest (tests/guest/run.sh), and count its results here. Inside the guest
# PCIPASS_IN_GUEST=1 is set, and a second refusal is a skip there (and so a failure in CI).
in_guest() {
	local out=$TMPROOT/guest.out st
	if [ -n "${PCIPASS_IN_GUEST:-}" ]; then
		skip "$1, even in the guest"
		return
	fi
	if ! command -v qemu-system-x86_64 >/dev/null; then
		skip "$1, and qemu-system-x86_64 is not installed to run a guest"
		return
	fi
	echo "# $1: running ${0##*/} in a guest (tests/guest/run.sh)"
	"$ROOT/tests/guest/run.sh" --timeout 600 env PCIPASS_IN_GUEST=1 BUILD="$BUILD" \
		PCIPASS_MUST_WORK="${PCIPASS_MUST_WORK:-0}" bash "$ROOT/tests/${0##*/}" >"$out" 2>&1
	st=$?
	sed 's/^/  /' "$out"
	grep '^ok - ' "$out" | while read -r _; do echo pass >>"$RESULTS"; done
	grep '^not ok - ' "$out" | while read -r _; do echo fail >>"$RESULTS"; done
	grep '^SKIP - ' "$out" | while read -r _; do echo skip >>"$RESULTS"; done
	if [ $st = 125 ]; then
		skip "$1, and the guest could not boot (see above)"
	elif [ $st != 0 ] || ! grep -q '^ok - ' "$out"; then
		failt "${0##*/} in the guest: exit $st"
	fi
}

# use_kernelsim: SIM, the kernel stand-in (tests/kernelsim.c) to LD_PRELOAD into pcipass-run.
# It is never sanitized (see Makefile): ASan must not insist on coming first.
use_kernelsim() {
	SIM=$BUILD/kernelsim.so
	case $BUILD in *asan*) SIM=$ROOT/build/kernelsim.so ;; esac
	[ -e "$SIM" ] || make -s -C "$ROOT" build/kernelsim.so >/dev/null
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
}
# root_with_nobody WHAT: true when we are root and there is a user nobody to run VMs as; else
# a loud skip of WHAT
root_with_nobody() {
	if [ "$(id -u)" != 0 ]; then
		skip "$1: pcipass-run must run as root (binds devices, drops to the VM user)"
	elif ! id nobody >/dev/null 2>&1; then
		skip "$1: no user nobody to run the VM as"
	else
		return 0
	fi
	return 1
}
# has_sys_resource: CAP_SYS_RESOURCE (bit 24) is ours, so RLIMIT_MEMLOCK can be raised; a
# container's root may lack it (this kind of CI machine does)
has_sys_resource() { [ $((0x$(awk '/^CapEff/ {print $2}' /proc/self/status) >> 24 & 1)) = 1 ]; }
# host_lacks VM.INI: what --dry-run must say of a VM that lacks nothing, on this host, as
# "STATUS:start of its one problem": "0:" where its launch could succeed; not root, 77 (nothing
# checked); a VM with [devices] where RLIMIT_MEMLOCK cannot be raised (no CAP_SYS_RESOURCE), 71
host_lacks() {
	if [ "$(id -u)" != 0 ]; then
		echo "77:not checked whether the launch would succeed"
	elif grep -q '^\[devices\]' "$1" && ! has_sys_resource && [ "$(ulimit -Hl)" != unlimited ]; then
		echo "71:RLIMIT_MEMLOCK: "
	else
		echo "0:"
	fi
}
# preflight_clean VM.INI STATUS ERRFILE: --dry-run of VM.INI exited STATUS with ERRFILE on
# stderr, and that is exactly what host_lacks says: no problem but what this host lacks
preflight_clean() {
	local want
	want=$(host_lacks "$1")
	[ "$2" = "${want%%:*}" ] || return 1
	if [ "$want" = 0: ]; then
		[ ! -s "$3" ]
	else
		[ "$(wc -l <"$3")" = 1 ] && grep -q "^pcipass-run: vm [^:]*: ${want#*:}" "$3"
	fi
}
# vm_host WHAT: a host tree $H (config $C, state $H/run) where pcipass-run starts VMs without
# devices on the real QEMU, booting the test image (tests/vmimage.sh, its VMIMAGE_* set); VMs
# started with vm_start are killed at exit. 1, after a loud skip of WHAT, when that cannot be.
vm_host() {
	local img
	root_with_nobody "$1" || return 1
	if ! command -v qemu-system-x86_64 >/dev/null || ! command -v python3 >/dev/null; then
		skip "$1: needs qemu-system-x86_64 and python3"
		return 1
	elif ! img=$(bash "$ROOT/tests/vmimage.sh" 2>&1); then
		skip "$1: no test VM image ($img)"
		return 1
	fi
	eval "$img"
	H=$TMPROOT/h
	C=$H/etc/pcipass.conf
	mkdir -p "$H/run" "$H/etc"
	printf '[host]\nstate_dir = %s\nimage_dirs = %s\nqemu = %s\nvm_groups = %s\n' "$H/run" \
		"${VMIMAGE_KERNEL%/*}" "$(command -v qemu-system-x86_64)" \
		"$(getent group kvm >/dev/null && echo kvm || echo nogroup)" >"$C"
	chmod -R go-w "$H"
	VM_PIDS=()
	trap 'for p in ${VM_PIDS[@]+"${VM_PIDS[@]}"}; do kill -KILL "$p" 2>/dev/null; done; rm -rf "$TMPROOT"' EXIT
}
# vm_ini NAME [KEY = VALUE]...: $TMPROOT/NAME.ini, a TCG VM of 128M with serial = socket booting
# the test image, the keys added to [vm]; $APPEND goes after the image's kernel command line
vm_ini() {
	local name=$1
	shift
	{
		printf '[vm]\nname = %s\nmemory = 128M\naccel = tcg\n' "$name"
		for kv in "$@"; do printf '%s\n' "$kv"; done
		printf '[display]\nserial = socket\n[boot]\nkernel = %s\ninitrd = %s\nappend = %s%s\n' \
			"$VMIMAGE_KERNEL" "$VMIMAGE_INITRD" "$VMIMAGE_APPEND" "${APPEND:+ $APPEND}"
	} >"$TMPROOT/$name.ini"
}
# vm_start NAME [KEY = VALUE]...: pcipass-run -c $C of vm_ini's file in the background, its
# output in $TMPROOT/NAME.out and .err; its pid (QEMU's, once exec'd) in VM_PID. Disowned: the
# shell still reaps it, without a "Killed" line when a test kills it.
vm_start() {
	vm_ini "$@"
	"$BUILD/pcipass-run" -c "$C" "$TMPROOT/$1.ini" >"$TMPROOT/$1.out" 2>"$TMPROOT/$1.err" &
	VM_PID=$!
	disown
	VM_PIDS+=("$VM_PID")
}

# ovmf_host: as root with the real QEMU and Debian's OVMF, a host for the UEFI VM efi-1 under
# TCG (tests/t-firmware*.sh): its config $C (state, nvram_dir, image_dirs under $V), vm.ini
# $TMPROOT/efi.ini, its variable store's path $STORE; PIDS killed at exit. Else a loud skip, and
# false.
ovmf_host() {
	root_with_nobody "OVMF launches" || return 1
	if ! command -v qemu-system-x86_64 >/dev/null || ! command -v python3 >/dev/null; then
		skip "OVMF launches: need qemu-system-x86_64 and python3"
		return 1
	elif [ ! -f /usr/share/OVMF/OVMF_CODE_4M.fd ] || [ ! -f /usr/share/OVMF/OVMF_VARS_4M.fd ]; then
		skip "OVMF launches: Debian's ovmf package is not installed"
		return 1
	fi
	V=$TMPROOT/u
	mkdir -p "$V/run"
	C=$V/pcipass.conf
	printf '[host]\nstate_dir = %s\nnvram_dir = %s\nqemu = %s\nvm_groups = %s\nimage_dirs = %s\n' "$V/run" \
		"$V/nvram" "$(command -v qemu-system-x86_64)" "$(getent group kvm >/dev/null && echo kvm || echo nogroup)" \
		"$V/img" >"$C"
	chmod -R go-w "$V"
	printf '[vm]\nname = efi-1\nmemory = 256M\naccel = tcg\ncpus = 2\nthreads = 2\nfirmware = uefi\n[display]\nserial = socket\n' \
		>"$TMPROOT/efi.ini"
	STORE=$V/nvram/efi-1.fd
	PIDS=()
	trap 'for p in ${PIDS[@]+"${PIDS[@]}"}; do kill -KILL "$p" 2>/dev/null; done; rm -rf "$TMPROOT"' EXIT
}
