#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/vmimage.sh [--out DIR] - a small bootable test VM for pcipass-run (TCG is enough).
#
# Builds, or reuses when up to date, in DIR (default $BUILD/vmimage; BUILD defaults to build,
# relative to the repo root):
#   DIR/kernel       the host's Debian kernel (/boot/vmlinuz-<ver> that has /lib/modules/<ver>),
#                    uncompressed when it has CONFIG_PVH (an ELF vmlinux boots in half the time
#                    under TCG: about 5 s to the ready line here, against 10)
#   DIR/initrd.cpio  a busybox-static initramfs
# and prints three shell assignments on stdout, for `eval "$(tests/vmimage.sh)"`:
#   VMIMAGE_KERNEL=DIR/kernel VMIMAGE_INITRD=DIR/initrd.cpio VMIMAGE_APPEND='console=ttyS0 ...'
# A vm.ini boots it with [boot] kernel/initrd/append (DIR among the host's image_dirs, or the
# files copied under one) and [display] serial = socket; memory = 128M is enough. The guest, on
# ttyS0 (the VM's console socket):
#   - loads the ACPI button and evdev modules and runs busybox acpid, whose power-button action is
#     `poweroff -f` (QMP system_powerdown ends the VM within a second or so);
#   - with the word vmimage.power=ignore on the kernel command line (append), runs no acpid and
#     loads neither module: the power button does nothing (a VM only quit or kill can stop);
#   - prints the line "VMIMAGE-READY power=acpid" (or power=ignore) once acpid listens;
#   - then runs an interactive busybox shell on ttyS0, again whenever it exits.
# The kernel logs only emergencies (loglevel=1), so the console carries the shell alone.
# Serial output written while no client is connected to the console socket is lost (QEMU drops
# it): a test waiting for the ready marker connects before it can be printed.
#
# tests/vmimage.sh --wait-ready SOCKET [SECONDS] waits (default 60 s) for that line on a VM's
# console socket: it connects as soon as SOCKET appears (start it right after the launch, in the
# background), reads until the marker, disconnects (QEMU serves one console client at a time),
# exits 0; 1 on timeout or when the console closes first. Needs python3.
#
# Works inside tests/guest/run.sh too, where / is read-only and only /run is writable: pass
# --out /run/SOMETHING there (an up-to-date image already in DIR is reused without writing).
# Exit status: 0; 1 with one line on stderr when it cannot be built (no kernel, no busybox-static).
set -u -o pipefail

me=tests/vmimage.sh
die() { printf '%s: %s\n' "$me" "$*" >&2; exit 1; }

wait_ready() { # SOCKET SECONDS
	python3 - "$1" "$2" <<'PY'
import socket, sys, time
path, limit = sys.argv[1], time.monotonic() + float(sys.argv[2])
while True:
    try:
        s = socket.socket(socket.AF_UNIX)
        s.connect(path)
        break
    except OSError:
        s.close()
        if time.monotonic() > limit:
            sys.exit("tests/vmimage.sh: %s: no console socket in time" % path)
        time.sleep(0.02)
seen = b""
while b"VMIMAGE-READY" not in seen:
    left = limit - time.monotonic()
    if left <= 0:
        sys.exit("tests/vmimage.sh: %s: no ready line in time" % path)
    s.settimeout(left)
    try:
        d = s.recv(4096)
    except socket.timeout:
        continue
    if not d:
        sys.exit("tests/vmimage.sh: %s: the console closed before the ready line" % path)
    seen = seen[-64:] + d
PY
}

root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd) || die "cannot find the repo root"
case ${BUILD:-build} in /*) out=$BUILD/vmimage ;; *) out=$root/${BUILD:-build}/vmimage ;; esac
while [ $# -gt 0 ]; do
	case $1 in
	--out) [ $# -ge 2 ] || die "--out needs a directory"; out=$2; shift 2 ;;
	--out=*) out=${1#*=}; shift ;;
	--wait-ready) [ $# -ge 2 ] || die "--wait-ready needs a socket"; wait_ready "$2" "${3:-60}"; exit ;;
	-h|--help) sed -n '3,33s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) die "unknown argument $1 (usage: $me [--out DIR])" ;;
	esac
done

bb=$(command -v busybox) || die "busybox not found (install busybox-static)"
bb=$(readlink -f "$bb")
if ldd "$bb" >/dev/null 2>&1; then die "$bb is dynamically linked: install busybox-static"; fi
# the newest kernel of /boot whose modules are installed
kver=$(find /lib/modules -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -rV |
	while read -r v; do [ -f "/boot/vmlinuz-$v" ] && [ -f "/lib/modules/$v/modules.dep" ] && { echo "$v"; break; }; done)
[ -n "$kver" ] || die "no /boot/vmlinuz-* with a matching /lib/modules/<version> (install linux-image-amd64)"
kernel=/boot/vmlinuz-$kver
mods=/lib/modules/$kver
[ -r "$kernel" ] || die "$kernel is not readable"
append="console=ttyS0 loglevel=1 panic=-1"

key="$(sha256sum <"$0" | cut -c1-64) $(sha256sum <"$bb" | cut -c1-64) $kver $(stat -c '%s %Y' "$kernel")"
emit() {
	printf 'VMIMAGE_KERNEL=%q\nVMIMAGE_INITRD=%q\nVMIMAGE_APPEND=%q\n' "$out/kernel" "$out/initrd.cpio" "$append"
	exit 0
}
if [ "$(cat "$out/key" 2>/dev/null)" = "$key" ] && [ -f "$out/kernel" ] && [ -f "$out/initrd.cpio" ]; then
	emit
fi

# The modules the power button needs, with what they depend on, in load order (modprobe says;
# "builtin" lines need nothing).
order=()
for m in button evdev; do
	deps=$(modprobe -S "$kver" --show-depends "$m" 2>/dev/null) || die "module $m: neither built into $kver nor in $mods"
	while read -r verb path _; do
		case " ${order[*]-} " in *" $path "*) continue ;; esac
		[ "$verb" = insmod ] && order+=("$path")
	done <<<"$deps"
done

mkdir -p "$out" || die "cannot create $out"
s=$(mktemp -d "$out/stage.XXXXXX") || die "cannot create a staging directory in $out"
trap 'rm -rf "$s" "$out/initrd.cpio.tmp.$$" "$out/kernel.tmp.$$"' EXIT
mkdir -p "$s"/bin "$s"/dev "$s"/proc "$s"/sys "$s"/run "$s"/tmp "$s"/mod "$s"/etc/acpi/PWRF || die "cannot fill $s"
cp "$bb" "$s"/bin/busybox || die "cannot copy $bb"
for n in sh mount insmod acpid poweroff setsid cttyhack sleep readlink cat echo; do ln -s busybox "$s/bin/$n"; done
list=
for m in ${order[@]+"${order[@]}"}; do
	n=${m##*/}; n=${n%.xz}; n=${n%.zst}; n=${n%.gz}
	case $m in
	*.xz) xz -dc "$m" ;; *.zst) zstd -qdc "$m" ;; *.gz) gzip -dc "$m" ;; *) cat "$m" ;;
	esac >"$s/mod/$n" || die "cannot decompress $m"
	list="$list $n"
done
# busybox acpid runs /etc/acpi/<action>/<parameter> for an event: PWRF/00000080 is the button
printf '#!/bin/sh\nexec poweroff -f\n' >"$s"/etc/acpi/PWRF/00000080
chmod 0755 "$s"/etc/acpi/PWRF/00000080
cat >"$s"/init <<EOF
#!/bin/sh
# PID 1 of the pcipass test VM (tests/vmimage.sh)
export PATH=/bin HOME=/ PS1='# '
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
power=acpid
for w in \$(cat /proc/cmdline); do [ "\$w" = vmimage.power=ignore ] && power=ignore; done
if [ \$power = acpid ]; then
	for m in$list; do insmod /mod/\$m; done
	acpid -f -c /etc/acpi -l /dev/null -p /run/acpid.pid &
	# ready once acpid has the power button's event device open (bounded: 10 s)
	n=0
	while [ \$n -lt 100 ]; do
		for f in /proc/\$!/fd/*; do
			case \$(readlink "\$f") in /dev/input/event*) n=done ;; esac
		done
		[ \$n = done ] && break
		n=\$((n + 1)); sleep 0.1
	done
fi
echo "VMIMAGE-READY power=\$power" >/dev/ttyS0
while :; do setsid cttyhack sh -i </dev/ttyS0 >/dev/ttyS0 2>&1; done
EOF
chmod 0755 "$s"/init
(cd "$s" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort | "$bb" cpio -o -H newc -R 0:0 2>/dev/null) \
	>"$out/initrd.cpio.tmp.$$" || die "cannot write the initramfs in $out"
mv -f "$out/initrd.cpio.tmp.$$" "$out/initrd.cpio" || die "cannot write $out/initrd.cpio"
# The bzImage's payload (boot protocol 2.08+: payload_offset and payload_length at 0x248, after
# the setup sectors) is the compressed ELF vmlinux. QEMU boots an ELF x86 kernel through its PVH
# note only.
u32() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; }
tmp=$out/kernel.tmp.$$
if grep -qx CONFIG_PVH=y "/boot/config-$kver" 2>/dev/null; then
	pm=$((($(od -An -tu1 -j $((0x1f1)) -N1 "$kernel" | tr -d ' ') + 1) * 512))
	payload() { tail -c +$((pm + $(u32 "$kernel" $((0x248))) + 1)) "$kernel" | head -c "$(u32 "$kernel" $((0x24c)))"; }
	case $(payload | head -c 4 | od -An -tx1 | tr -d ' \n') in
	fd377a58) payload | xz -dc --single-stream >"$tmp" || rm -f "$tmp" ;;
	28b52ffd) payload | zstd -qdc >"$tmp" || rm -f "$tmp" ;;
	1f8b08*) payload | gzip -dc >"$tmp" 2>/dev/null ;;
	esac
	[ "$(head -c 4 "$tmp" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 7f454c46 ] || rm -f "$tmp"
fi
[ -s "$tmp" ] || cp "$kernel" "$tmp" || die "cannot copy $kernel"
{ mv -f "$tmp" "$out/kernel" && echo "$key" >"$out/key"; } || die "cannot write $out"
emit
