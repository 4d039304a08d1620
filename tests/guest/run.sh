#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/guest/run.sh [--timeout SECONDS] [--qemu ARG]... COMMAND [ARGS...]
#
# (--qemu: one more argument for the guest's QEMU, e.g. a device; repeatable)
# Boots a throwaway Linux guest under QEMU TCG (q35 + intel-iommu, QEMU's edu
# device 1234:11e8 on its own root port), runs COMMAND in it as real root with
# every capability, and powers the guest off.  The guest's root is the host's
# root, exported read-only over virtio-9p, so it runs the binaries just built
# and the host's own QEMU and libraries.  See tests/guest/README.md.
#
# Exit status: COMMAND's own; 124 on timeout (QEMU killed); 125 when the guest
# could not be built or booted (one line on stderr says why).
#
# COMMAND's stdout+stderr travel on a virtio-serial port of their own (no tty,
# so no CR and no kernel messages in them) and come out on our stdout as they
# are written.  A second port carries the end marker "PCIPASS-GUEST-EXIT <rc>"
# (or "PCIPASS-GUEST-ERROR <why>"), parsed here and never printed.  The kernel
# console (ttyS0) goes to $BUILD/guest/console.log.
#
# Environment: BUILD (default build, relative to the repo root) holds the cached
# products in $BUILD/guest; PCIPASS_* variables are passed into the guest.
set -u -o pipefail

me=tests/guest/run.sh
die() { printf '%s: %s\n' "$me" "$*" >&2; exit 125; }

timeout_s=300
extra=()
while [ $# -gt 0 ]; do
	case $1 in
	--timeout) [ $# -ge 2 ] || die "--timeout needs a value"; timeout_s=$2; shift 2 ;;
	--qemu) [ $# -ge 2 ] || die "--qemu needs a value"; extra+=("$2"); shift 2 ;;
	--timeout=*) timeout_s=${1#*=}; shift ;;
	-h|--help) sed -n '2,20s/^# \{0,1\}//p' "$0"; exit 0 ;;
	--) shift; break ;;
	-*) die "unknown option $1 (usage: $me [--timeout SECONDS] [--qemu ARG]... COMMAND [ARGS...])" ;;
	*) break ;;
	esac
done
case $timeout_s in ''|*[!0-9]*|0) die "--timeout wants a positive whole number of seconds, not '$timeout_s'" ;; esac
[ $# -gt 0 ] || die "usage: $me [--timeout SECONDS] COMMAND [ARGS...]"

caller_dir=$PWD
self=$(readlink -f "$0") || die "cannot resolve $0"
root=$(cd "$(dirname "$self")/../.." && pwd) || die "cannot find the repo root"
case ${BUILD:-build} in /*) G=${BUILD}/guest ;; *) G=$root/${BUILD:-build}/guest ;; esac
mkdir -p "$G" 2>/dev/null || die "cannot create $G"

# ---- what we boot with ------------------------------------------------------
qemu=$(command -v qemu-system-x86_64) || die "qemu-system-x86_64 not found (contrib/install-deps.sh installs qemu-system-x86)"
bb=$(command -v busybox) || die "busybox not found (contrib/install-deps.sh installs busybox-static)"
bb=$(readlink -f "$bb")
if ldd "$bb" >/dev/null 2>&1; then die "$bb is dynamically linked: install busybox-static"; fi

# Newest /boot/vmlinuz-<ver> that has /lib/modules/<ver>.
kver=
for v in $(for f in /boot/vmlinuz-*; do [ -e "$f" ] && echo "${f#/boot/vmlinuz-}"; done | sort -rV); do
	if [ -f "/lib/modules/$v/modules.dep" ]; then kver=$v; break; fi
done
[ -n "$kver" ] || die "no /boot/vmlinuz-* with a matching /lib/modules/<version> (contrib/install-deps.sh installs linux-image-amd64)"
bzimage=/boot/vmlinuz-$kver
mods=/lib/modules/$kver

# ---- the uncompressed vmlinux (boots faster under TCG, via its PVH entry) ----
# Like the kernel's scripts/extract-vmlinux: find a compressor's magic in the
# bzImage, decompress from there, keep the first result that is an ELF file.
extract_vmlinux() { # bzImage out
	local img=$1 out=$2 tmp spec fmt magic off n
	tmp=$out.tmp.$$
	for spec in 'xz:\xfd7zXZ\x00' 'zstd:\x28\xb5\x2f\xfd' 'gzip:\x1f\x8b\x08' 'lz4:\x02\x21\x4c\x18' 'bzip2:BZh'; do
		fmt=${spec%%:*} magic=${spec#*:}
		command -v "$fmt" >/dev/null || continue
		n=0
		# shellcheck disable=SC2013 # (offsets are words)
		for off in $(LC_ALL=C grep -obUaP "$magic" "$img" 2>/dev/null | cut -d: -f1); do
			n=$((n + 1)); [ $n -le 8 ] || break
			case $fmt in
			xz) tail -c +$((off + 1)) "$img" | xz -dc --single-stream >"$tmp" 2>/dev/null ;;
			lz4) tail -c +$((off + 1)) "$img" | lz4 -dc >"$tmp" 2>/dev/null ;;
			*) tail -c +$((off + 1)) "$img" | "$fmt" -dc >"$tmp" 2>/dev/null ;;
			esac
			if [ "$(head -c 4 "$tmp" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]; then
				mv -f "$tmp" "$out"; return 0
			fi
		done
	done
	rm -f "$tmp"; return 1
}
kernel=$bzimage
# QEMU boots an ELF x86 kernel only through its PVH note (CONFIG_PVH).
if [ ! -f "/boot/config-$kver" ] || grep -qx CONFIG_PVH=y "/boot/config-$kver"; then
	vmlinux=$G/vmlinux-$kver
	kstamp=$(stat -c '%s %Y' "$bzimage")
	if [ -f "$vmlinux" ] && [ "$(cat "$vmlinux.stamp" 2>/dev/null)" = "$kstamp" ]; then
		kernel=$vmlinux
	elif extract_vmlinux "$bzimage" "$vmlinux"; then
		echo "$kstamp" >"$vmlinux.stamp"; kernel=$vmlinux
	else
		rm -f "$vmlinux" "$vmlinux.stamp"   # boot the bzImage instead
	fi
fi

# ---- the initramfs ----------------------------------------------------------
# Guest modules needed before the host root is mounted, from this kernel;
# ones built in (or gone in this kernel version) are skipped, missing
# dependencies are pulled in through modinfo.
want_mods="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci netfs fscache 9pnet 9pnet_virtio 9p virtio_console"
must_have="virtio_pci 9pnet_virtio 9p virtio_console"

is_builtin() { # name (with _ or -)
	local n=${1//-/_}
	sed 's,.*/,,; s,\.ko$,,; s,-,_,g' "$mods/modules.builtin" 2>/dev/null | grep -qx "$n"
}
mod_order=() mod_seen=" "
resolve_mod() { # name; appends to mod_order in load order; 1 = neither module nor built in
	local n=${1//-/_} f d
	case $mod_seen in *" $n "*) return 0 ;; esac
	mod_seen="$mod_seen$n "
	is_builtin "$n" && return 0
	f=$(modinfo -k "$kver" -F filename "$n" 2>/dev/null | head -n1)
	case $f in '') return 1 ;; '(builtin)') return 0 ;; esac
	for d in $(modinfo -k "$kver" -F depends "$n" 2>/dev/null | head -n1 | tr ',' ' '); do
		resolve_mod "$d" || return 1
	done
	mod_order+=("$f")
}

write_init1() {
cat <<'EOF'
#!/bin/sh
# Stage 1, PID 1 in the initramfs (busybox): load the virtio/9p modules, mount
# the host's root read-only over virtio-9p with proc, sysfs, devtmpfs and a
# tmpfs /run in it, and switch_root into it.  Forks are slow under TCG: lean.
PATH=/bin
fail() {
	mount -t devtmpfs devtmpfs /dev 2>/dev/null
	mount -t sysfs sysfs /sys 2>/dev/null
	st=/dev/console
	for p in /sys/class/virtio-ports/*; do
		read -r n <"$p/name" 2>/dev/null && [ "$n" = pcipass.status ] && st=/dev/${p##*/}
	done
	echo "PCIPASS-GUEST-ERROR $*" >"$st"
	poweroff -f
	while :; do sleep 60; done
}
if [ -s /modprobe.list ]; then
	read -r list </modprobe.list
	modprobe -a $list || fail "stage 1: modprobe $list failed"
fi
mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=262144,cache=loose hostroot /newroot ||
	fail "stage 1: cannot mount the host root over virtio-9p"
mount -t tmpfs -o nosuid,nodev,mode=0755 tmpfs /newroot/run || fail "stage 1: cannot mount /run"
mount -t proc -o nosuid,nodev,noexec proc /newroot/proc || fail "stage 1: cannot mount /proc"
mount -t sysfs -o nosuid,nodev,noexec sysfs /newroot/sys || fail "stage 1: cannot mount /sys"
mount -t devtmpfs -o nosuid,mode=0755 devtmpfs /newroot/dev || fail "stage 1: cannot mount /dev"
cp -a /payload/dev/. /newroot/dev/ && cp -a /payload/run/. /newroot/run/ || fail "stage 1: cannot fill /dev and /run"
mount -t devpts -o nosuid,noexec,gid=5,mode=620,ptmxmode=666 devpts /newroot/dev/pts || fail "stage 1: cannot mount /dev/pts"
mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs /newroot/dev/shm || fail "stage 1: cannot mount /dev/shm"
exec env -i /bin/busybox switch_root /newroot /run/pcipass/busybox sh /run/pcipass/init2
fail "stage 1: switch_root failed"
EOF
}

write_init2() {
cat <<'EOF'
# Stage 2, PID 1 in the host's root (read-only 9p; /run is a tmpfs): load the
# VFIO modules, run the command from /run/pcipass/job, report its status on
# the pcipass.status port, power off.  This shell is busybox, which prefers its
# own applets to same-named programs: the command is exec'd by full path.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TMPDIR=/run/tmp
out=/dev/console st=/dev/console
for p in /sys/class/virtio-ports/*; do
	read -r n <"$p/name" 2>/dev/null || continue
	case $n in
	pcipass.out) out=/dev/${p##*/} ;;
	pcipass.status) st=/dev/${p##*/} ;;
	esac
done
echo pcipass-guest >/proc/sys/kernel/hostname
off() {
	sync
	poweroff -f
	echo o >/proc/sysrq-trigger
	while :; do sleep 60; done   # PID 1 must not exit, or the kernel panics
}
fail() { echo "PCIPASS-GUEST-ERROR $*" >"$st"; off; }

# The VFIO modules, loaded here before the command with the host's modprobe
# (its /lib/modules is this kernel's): the command finds /dev/vfio/vfio and
# the vfio-pci driver ready to bind devices to.
mp=/sbin/modprobe; [ -x $mp ] || mp=/usr/sbin/modprobe
msg=$($mp -a vfio_iommu_type1 vfio-pci 2>&1) || fail "modprobe vfio_iommu_type1 vfio-pci failed: $msg"

# /run/pcipass/job sets JOB_CWD, exports the caller's PCIPASS_* variables and
# sets the positional parameters to the command and its arguments.
. /run/pcipass/job
cd "$JOB_CWD" 2>/dev/null || fail "cannot cd to $JOB_CWD in the guest"
name=$1; shift
case $name in
*/*) path=$name ;;
*)
	path=
	IFS=:
	for d in $PATH; do
		if [ -f "$d/$name" ] && [ -x "$d/$name" ]; then path=$d/$name; break; fi
	done
	unset IFS
	;;
esac
if [ -z "$path" ]; then
	echo "$name: command not found" >"$out"; rc=127
else
	(exec -a "$name" "$path" "$@") </dev/null >"$out" 2>&1
	rc=$?
fi
echo "PCIPASS-GUEST-EXIT $rc" >"$st"
off
EOF
}

build_initramfs() { # out
	local out=$1 s m rel list="" n
	mod_order=() mod_seen=" "
	for m in $want_mods; do
		if ! resolve_mod "$m"; then
			case " $must_have " in *" $m "*) echo "module $m: neither built into $kver nor in $mods"; return 1 ;; esac
		fi
	done
	s=$(mktemp -d "$G/stage.XXXXXX") || return 1
	mkdir -p "$s"/bin "$s"/dev "$s"/proc "$s"/sys "$s"/newroot "$s/lib/modules/$kver" \
		"$s"/payload/run/pcipass "$s"/payload/run/tmp "$s"/payload/dev/pts "$s"/payload/dev/shm || return 1
	chmod 1777 "$s"/payload/run/tmp
	cp "$bb" "$s"/bin/busybox && cp "$bb" "$s"/payload/run/pcipass/busybox || return 1
	for n in sh mount modprobe insmod cp env poweroff sleep switch_root; do ln -s busybox "$s/bin/$n"; done
	ln -s /proc/self/fd "$s"/payload/dev/fd
	ln -s /proc/self/fd/0 "$s"/payload/dev/stdin
	ln -s /proc/self/fd/1 "$s"/payload/dev/stdout
	ln -s /proc/self/fd/2 "$s"/payload/dev/stderr
	write_init1 >"$s"/init && chmod 755 "$s"/init
	write_init2 >"$s"/payload/run/pcipass/init2
	# Modules, decompressed (busybox's modprobe need not know xz/zstd), with a
	# modules.dep of their own for busybox's modprobe.
	: >"$s/lib/modules/$kver/modules.dep"
	for m in ${mod_order[@]+"${mod_order[@]}"}; do
		rel=${m#"$mods"/}; rel=${rel%.xz}; rel=${rel%.zst}; rel=${rel%.gz}
		mkdir -p "$s/lib/modules/$kver/$(dirname "$rel")"
		case $m in
		*.xz) xz -dc "$m" ;; *.zst) zstd -qdc "$m" ;; *.gz) gzip -dc "$m" ;; *) cat "$m" ;;
		esac >"$s/lib/modules/$kver/$rel" || { rm -rf "$s"; echo "cannot decompress $m"; return 1; }
		grep -E "^${m#"$mods"/}:" "$mods/modules.dep" | sed -E 's/\.ko\.(xz|zst|gz)/.ko/g' >>"$s/lib/modules/$kver/modules.dep"
		n=${rel##*/}; list="$list ${n%.ko}"
	done
	echo "${list# }" >"$s"/modprobe.list
	(cd "$s" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort | "$bb" cpio -o -H newc -R 0:0 2>/dev/null) >"$out.tmp.$$" &&
		truncate -s %512 "$out.tmp.$$" && mv -f "$out.tmp.$$" "$out"
	local rc=$?
	rm -rf "$s" "$out.tmp.$$"
	return $rc
}

initramfs=$G/initramfs-$kver.cpio
key="$(sha256sum <"$self" | cut -c1-64) $(sha256sum <"$bb" | cut -c1-64) $kver $(stat -c '%s %Y' "$bzimage")"
if [ ! -f "$initramfs" ] || [ "$(cat "$initramfs.key" 2>/dev/null)" != "$key" ]; then
	why=$(build_initramfs "$initramfs" 2>&1) || die "cannot build the initramfs: $(printf "%s" "${why:-unknown error}" | tr "\n" " ")"
	echo "$key" >"$initramfs.key"
fi

# ---- this run: the job (cwd, PCIPASS_* environment, argv) ----------------------
run=$(mktemp -d "$G/run.XXXXXX" 2>/dev/null) || die "cannot create a run directory in $G"
qpid=
# shellcheck disable=SC2317 # (run by the traps)
cleanup() {
	[ -n "$qpid" ] && kill -TERM "$qpid" 2>/dev/null
	[ -f "$run/console.log" ] && mv -f "$run/console.log" "$G/console.log"
	[ -f "$run/qemu.log" ] && mv -f "$run/qemu.log" "$G/qemu.log"
	rm -rf "$run"
}
trap cleanup EXIT
trap 'interrupted=1; [ -n "$qpid" ] && kill -TERM "$qpid" 2>/dev/null' INT TERM HUP
interrupted=

q() { REPLY="'${1//\'/\'\\\'\'}'"; }   # shell-quote for the guest's sh
mkdir -p "$run/job/payload/run/pcipass"
{
	q "$caller_dir"; printf 'JOB_CWD=%s\n' "$REPLY"
	for v in $(compgen -e); do
		case $v in PCIPASS_*) q "${!v}"; printf 'export %s=%s\n' "$v" "$REPLY" ;; esac
	done
	printf 'set --'
	for a in "$@"; do q "$a"; printf ' %s' "$REPLY"; done
	printf '\n'
} >"$run/job/payload/run/pcipass/job"
# The kernel unpacks concatenated cpio archives: cached base + this job.
if ! (cd "$run/job" && find . -mindepth 1 -printf '%P\n' | "$bb" cpio -o -H newc -R 0:0 2>/dev/null) >"$run/job.cpio" ||
	! cat "$initramfs" "$run/job.cpio" >"$run/initrd"; then
	die "cannot write the job initramfs in $run"
fi

# ---- boot -------------------------------------------------------------------
mkfifo "$run/out" || die "cannot create a fifo in $run"
: >"$run/status"
# The reader keeps the fifo open even if our stdout goes away (| head): it then
# drains to /dev/null, or QEMU would stall the guest on an unread port.
(trap '' PIPE; exec 3<"$run/out"; cat <&3 2>/dev/null; exec cat <&3 >/dev/null) &
catpid=$!

append="console=ttyS0 panic=-1 intel_iommu=on iommu=pt quiet"
timeout -k 5 "$timeout_s" "$qemu" -no-user-config -nodefaults -display none -no-reboot \
	-accel tcg,tb-size=64 -cpu max -smp 2 -m 512 \
	-machine q35,kernel-irqchip=split -device intel-iommu,intremap=on,caching-mode=on \
	-kernel "$kernel" -initrd "$run/initrd" -append "$append" \
	-serial "file:$run/console.log" \
	-fsdev local,id=fs0,path=/,security_model=none,readonly=on,multidevs=remap \
	-device virtio-9p-pci,fsdev=fs0,mount_tag=hostroot \
	-device virtio-serial-pci,id=vser0 \
	-chardev "file,id=out,path=$run/out" -device virtserialport,bus=vser0.0,nr=1,chardev=out,name=pcipass.out \
	-chardev "file,id=st,path=$run/status" -device virtserialport,bus=vser0.0,nr=2,chardev=st,name=pcipass.status \
	-device pcie-root-port,id=rp1,chassis=1,slot=1 -device edu,bus=rp1 "${extra[@]}" \
	</dev/null >"$run/qemu.log" 2>&1 &
qpid=$!
while :; do
	wait "$qpid"; qrc=$?
	kill -0 "$qpid" 2>/dev/null || break
done
qpid=
# Unblock cat if QEMU never opened the fifo, then let it drain.
exec 3<>"$run/out"; exec 3>&-
wait "$catpid"

status=$(tr -d '\r' <"$run/status")
case $status in
*PCIPASS-GUEST-EXIT\ *)
	rc=${status##*PCIPASS-GUEST-EXIT }; rc=${rc%%[!0-9]*}
	exit "${rc:-125}" ;;
*PCIPASS-GUEST-ERROR\ *)
	why=${status#*PCIPASS-GUEST-ERROR }
	die "guest: $(printf '%s' "$why" | tr '\n' ' ' | cut -c1-300)" ;;
esac
[ -n "$interrupted" ] && { echo "$me: interrupted" >&2; exit 130; }
[ "$qrc" = 124 ] && { echo "$me: timed out after ${timeout_s}s, QEMU killed" >&2; exit 124; }
qerr=$(grep -m1 -i -e error -e qemu-system "$run/qemu.log" 2>/dev/null)
[ -n "$qerr" ] && die "QEMU failed (status $qrc): $qerr"
last=$(tr -d '\r' <"$run/console.log" 2>/dev/null | grep -v '^[[:space:]]*$' | tail -n1 | cut -c1-200)
die "guest ended without reporting a status (QEMU status $qrc; last console line: ${last:-none}; see $G/console.log)"
