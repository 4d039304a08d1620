#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make deb-test: the Debian package built by `make deb`, installed into a clean Debian 12 root
# (debootstrap, minbase, plus the package's dependencies and systemd), then checked there: its
# files, owners and modes, no system user, /run/pcipass from tmpfiles.d, vfio-pci in
# modules-load.d, the alert rules and the Grafana dashboard, the timer enabled,
# `systemd-analyze verify` of the units (the root's own systemd, run inside the root), a model
# and a probe on a fake sysfs tree; then `apt-get remove` and `apt-get purge`, after which the
# root's file list must be what it was before the install.
#
# Needs root (debootstrap, chroot, unshare). The root is cached in $BUILD/deb/root.tar, keyed by
# what went into it; each run unpacks a fresh copy, so a second run costs no download.
# The mirror is the one this machine's apt sources name for bookworm (PCIPASS_DEB_MIRROR=URL to
# choose another). When it cannot be reached the test is skipped loudly, and fails with
# PCIPASS_MUST_WORK=1 (CI).
. "$(dirname "$0")/../lib.sh"
RESULTS=$TMPROOT/results
: >"$RESULTS"
SUITE=bookworm
D=$BUILD/deb
R=$D/root # unpacked on disk: a tmpfs (TMPROOT) may be mounted nodev, and the root needs its /dev/null
FAKE=/root/pcipass-test # inside the root: the fake host and its pcipass.conf
rm -rf "${R:?}"
trap 'rm -rf "$TMPROOT" "${R:?}"' EXIT

finish() {
	local p f s
	p=$(grep -c '^pass$' "$RESULTS")
	f=$(grep -c '^fail$' "$RESULTS")
	s=$(grep -c '^skip$' "$RESULTS")
	echo "deb-test: $p passed, $f failed, $s skipped"
	[ "$f" = 0 ]
	exit
}
# give_up WHY: nothing more can be checked (a loud skip, or a failure in CI)
give_up() {
	skip "$1"
	finish
}
# in_root CMD...: run CMD inside the root, with its own /proc (in a mount namespace of its own,
# so nothing stays mounted) and a clean environment.
in_root() {
	unshare --fork --pid --mount --mount-proc="$R/proc" \
		chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive HOME=/root "$@"
}
# is PATH "OWNER:GROUP MODE TYPE": the file's owner, octal mode and type, read inside the root
is() {
	local got
	got=$(in_root stat -c '%U:%G %a %F' "$1" 2>&1)
	if [ "$got" = "$2" ]; then pass "$1 is $2"; else failt "$1 is $2 (got: $got)"; fi
}
# snapshot FILE: every path in the root with its type, mode and owner, minus apt's and dpkg's own
# bookkeeping, caches and logs.
snapshot() {
	(cd "$R" && find . -xdev -printf '%p %y %m %u:%g\n') | LC_ALL=C sort |
		grep -Ev '^\./(var/lib/(dpkg|apt)|var/cache/(apt|debconf|ldconfig)|var/log)(/| )' >"$1"
}

[ "$(id -u)" = 0 ] || give_up "deb-test must run as root (debootstrap, chroot)"
for t in debootstrap unshare chroot lintian dpkg-deb; do
	command -v "$t" >/dev/null || give_up "deb-test needs $t (contrib/install-deps.sh installs it)"
done
[ -x "$FAKEHOST" ] || give_up "no $FAKEHOST: run make first"
debs=("$D"/pcipass_*.deb)
if [ ${#debs[@]} != 1 ] || [ ! -f "${debs[0]}" ]; then
	give_up "no single $D/pcipass_*.deb: run make deb first"
fi
DEB=${debs[0]}
VERSION=$(dpkg-deb -f "$DEB" Version)
echo "# $DEB ($(stat -c %s "$DEB") bytes)"

# (with a TMPDIR of its own: lintian leaves temporary files behind)
mkdir -p "$TMPROOT/lintian.tmp"
if TMPDIR=$TMPROOT/lintian.tmp lintian --fail-on error,warning "$D"/pcipass_*.changes >"$TMPROOT/lintian" 2>&1; then
	pass "lintian: no error and no warning"
else
	failt "lintian: no error and no warning"
	sed 's/^/#   /' "$TMPROOT/lintian"
fi

# --- the clean root -------------------------------------------------------------------------
# The mirror and keyring of this machine's own bookworm source (deb822 .sources or one-line
# .list), the main archive rather than -updates or -security.
mirror_of() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] && awk -v s="$SUITE" '
			/^[[:space:]]*$/ { if (t && u && ok) { print u, k; exit } t = u = k = ok = "" ; next }
			/^Types:/ { for (i = 2; i <= NF; i++) if ($i == "deb") t = 1 }
			/^URIs:/ { u = $2 }
			/^Suites:/ { for (i = 2; i <= NF; i++) if ($i == s) ok = 1 }
			/^Signed-By:/ { k = $2 }
			END { if (t && u && ok) print u, k }' "$f"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] && sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" |
			awk -v s="$SUITE" '$1 == "deb" && $3 == s { print $2; exit }'
	done
}
if [ -n "${PCIPASS_DEB_MIRROR:-}" ]; then
	MIRROR=$PCIPASS_DEB_MIRROR KEYRING=
else
	read -r MIRROR KEYRING < <(mirror_of | head -n 1)
fi
[ -n "${MIRROR:-}" ] || give_up "no apt source for $SUITE on this machine to debootstrap from"
[ -f "${KEYRING:-}" ] || KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
# The package's dependencies (versions and alternatives dropped), and systemd for tmpfiles,
# deb-systemd-helper and systemd-analyze, udev (the group kvm of /dev/kvm) and kmod (modprobe),
# as on any stock Debian host: all there before the install, so that apt installs the .deb
# offline and the file lists compare only what the package did.
INCLUDE=$(dpkg-deb -f "$DEB" Depends | tr ',' '\n' | sed -e 's/|.*//' -e 's/(.*)//' -e 's/[[:space:]]//g' |
	grep -v '^$' | sort -u | tr '\n' ',')systemd,udev,kmod
KEY="$SUITE $MIRROR minbase $INCLUDE $(dpkg-query -W -f='${Version}' debootstrap)"
TAR=$D/root.tar
mkdir -p "$R"
if [ -f "$TAR" ] && [ "$(cat "$D/root.key" 2>/dev/null)" = "$KEY" ]; then
	echo "# the root: cached $TAR"
else
	echo "# the root: debootstrap $SUITE from $MIRROR (minbase + $INCLUDE)"
	if ! debootstrap --variant=minbase --include="$INCLUDE" --keyring="$KEYRING" \
		"$SUITE" "$R" "$MIRROR" >"$TMPROOT/debootstrap.log" 2>&1; then
		tail -n 5 "$TMPROOT/debootstrap.log" | sed 's/^/#   /'
		give_up "debootstrap $SUITE from $MIRROR failed (is the mirror reachable?)"
	fi
	# apt's package lists and downloaded .debs are not needed: the install is offline
	rm -rf "$R"/var/cache/apt/archives/*.deb "$R"/var/lib/apt/lists/*_Packages
	tar -C "$R" -cf "$TAR.tmp" . && mv "$TAR.tmp" "$TAR" && echo "$KEY" >"$D/root.key"
	rm -rf "$R" && mkdir -p "$R"
fi
tar -C "$R" -xf "$TAR" || give_up "cannot unpack $TAR"
in_root true || give_up "cannot chroot into the root (unshare or chroot refused)"
snapshot "$TMPROOT/before"

# --- install --------------------------------------------------------------------------------
cp "$DEB" "$R/tmp/"
if in_root apt-get install -y -q --no-install-recommends "/tmp/${DEB##*/}" >"$TMPROOT/apt.log" 2>&1; then
	pass "apt-get install ${DEB##*/}"
else
	failt "apt-get install ${DEB##*/}"
	sed 's/^/#   /' "$TMPROOT/apt.log"
	finish
fi
rm -f "$R/tmp/${DEB##*/}"
check "dpkg says pcipass $VERSION is installed" \
	test "$(in_root dpkg-query -W -f='${Status} ${Version}' pcipass)" = "install ok installed $VERSION"

for p in pcipass-probe pcipass-model pcipass-run; do
	is /usr/sbin/$p "root:root 755 regular file"
	check "$p --version is $VERSION" test "$(in_root $p --version)" = "$p $VERSION"
done
for m in man8/pcipass-probe.8 man8/pcipass-model.8 man8/pcipass-run.8 man5/pcipass.conf.5 man5/vm.ini.5; do
	is /usr/share/man/$m.gz "root:root 644 regular file"
done
is /usr/share/bash-completion/completions/pcipass-probe "root:root 644 regular file"
for p in pcipass-model pcipass-run; do
	check "bash completion for $p (a link to pcipass-probe's)" \
		test "$(readlink "$R/usr/share/bash-completion/completions/$p")" = pcipass-probe
done
is /etc/pcipass "root:root 755 directory"
is /etc/pcipass/pcipass.conf "root:root 644 regular file"
check "/etc/pcipass/pcipass.conf is a conffile" \
	grep -qx /etc/pcipass/pcipass.conf "$R/var/lib/dpkg/info/pcipass.conffiles"
for d in models.d vms; do
	is /etc/pcipass/$d "root:root 755 directory"
	check "/etc/pcipass/$d is empty" test -z "$(ls -A "$R/etc/pcipass/$d")"
done
is /var/lib/pcipass "root:root 755 directory"
is /usr/lib/tmpfiles.d/pcipass.conf "root:root 644 regular file"
is /run/pcipass "root:root 755 directory"
is /run/pcipass/claims "root:root 700 directory"
is /run/pcipass/vms "root:root 755 directory"
is /run/pcipass/ids "root:root 700 directory"
is /var/lib/pcipass/images "root:root 755 directory"
is /var/lib/pcipass/nvram "root:root 755 directory"

# no system user: every VM runs under a dynamic uid of its own, with group kvm for /dev/kvm
check "no user pcipass (VMs run under dynamic ids)" test -z "$(in_root getent passwd pcipass)"
check "the package does not depend on adduser" bash -c "! dpkg-deb -f '$DEB' Depends | grep -qw adduser"
check "the installed pcipass.conf: run_as = dynamic, vm_groups = kvm" \
	bash -c "grep -qx 'run_as *= *dynamic' '$R/etc/pcipass/pcipass.conf' && grep -qx 'vm_groups *= *kvm' '$R/etc/pcipass/pcipass.conf'"
check "group kvm exists (udev makes it, as on any Debian host), for vm_groups" test -n "$(in_root getent group kvm)"

# vfio-pci: loaded at boot, and at once by the postinst (best effort: the root has no modprobe)
is /usr/lib/modules-load.d/pcipass.conf "root:root 644 regular file"
check "modules-load.d/pcipass.conf names vfio-pci, nothing else" \
	test "$(grep -v '^#' "$R/usr/lib/modules-load.d/pcipass.conf")" = vfio-pci
check "the postinst loads vfio-pci, a failure ignored" \
	grep -q '^		modprobe vfio-pci 2>/dev/null ||$' "$R/var/lib/dpkg/info/pcipass.postinst"
# the root has modprobe but no /lib/modules of this kernel: the postinst's modprobe fails there
check "the postinst's modprobe failed in the root, said so in one line, and the install went on" \
	test "$(grep -c '^pcipass: could not load vfio-pci now' "$TMPROOT/apt.log")" = 1
# the alert rules, and the example vm.ini
is /usr/share/pcipass/prometheus/pcipass.rules.yml "root:root 644 regular file"
check "the alert rules are contrib/prometheus's" \
	cmp -s "$ROOT/contrib/prometheus/pcipass.rules.yml" "$R/usr/share/pcipass/prometheus/pcipass.rules.yml"
is /usr/share/pcipass/grafana/pcipass.json "root:root 644 regular file"
check "the Grafana dashboard is contrib/grafana's" \
	cmp -s "$ROOT/contrib/grafana/pcipass.json" "$R/usr/share/pcipass/grafana/pcipass.json"
is /usr/share/doc/pcipass/examples/vm.ini "root:root 644 regular file"

# --- the systemd units ----------------------------------------------------------------------
U=/lib/systemd/system
for u in pcipass-probe.service pcipass-probe.timer pcipass@.service; do
	is $U/$u "root:root 644 regular file"
done
check "the units run /usr/sbin, not /usr/local/sbin" \
	test -z "$(grep -h '^Exec' "$R$U"/pcipass* | grep -v -e '^Exec[A-Za-z]*=/usr/sbin/pcipass-' \
		-e '^ExecStartPre=-/sbin/modprobe vfio-pci$')"
check "pcipass@.service stops the guest with pcipass-run --stop" \
	grep -qx 'ExecStop=/usr/sbin/pcipass-run --stop %i --timeout 60' "$R$U/pcipass@.service"
# Documentation=man: pages are checked here against the package's own files; verify's own
# man check needs man(1) in the root, which minbase lacks.
if in_root systemd-analyze verify --man=no $U/pcipass-probe.service $U/pcipass-probe.timer \
	$U/pcipass@.service >"$TMPROOT/verify" 2>&1 && [ ! -s "$TMPROOT/verify" ]; then
	pass "systemd-analyze verify: the three units, no message"
else
	failt "systemd-analyze verify: the three units, no message"
	sed 's/^/#   /' "$TMPROOT/verify"
fi
rm -f "$R/run/systemd/systemd-units-load" # verify's own trace, not the package's
for page in $(sed -n 's/^Documentation=//p' "$R$U"/pcipass* | tr ' ' '\n' | sort -u); do
	n=${page#man:}
	sec=${n##*(}
	sec=${sec%)}
	check "$page is installed" test -f "$R/usr/share/man/man$sec/${n%(*}.$sec.gz"
done
check "pcipass-probe.timer is enabled" test "$(in_root systemctl is-enabled pcipass-probe.timer)" = enabled
check "pcipass-probe.service is static (the timer starts it)" \
	test "$(in_root systemctl is-enabled pcipass-probe.service)" = static
check "no pcipass@ instance is enabled" \
	test -z "$(find "$R/etc/systemd/system" -name 'pcipass@*' 2>/dev/null)"
# No systemd runs in the root, so nothing is started there: the postinst's code for it is read.
check "the postinst starts the timer where systemd runs" \
	grep -q "deb-systemd-invoke .* 'pcipass-probe.timer'" "$R/var/lib/dpkg/info/pcipass.postinst"
check "no maintainer script stops, starts or restarts a VM (pcipass@)" \
	test -z "$(cd "$R/var/lib/dpkg/info" && grep -l 'pcipass@' pcipass.preinst pcipass.postinst pcipass.prerm pcipass.postrm 2>/dev/null)"

# --- the programs, on a fake host -----------------------------------------------------------
# The example host's sysfs tree, with the package's own models.d, inventory and state directory.
mkdir -p "$R$FAKE"
"$FAKEHOST" "$ROOT/conf/example-host.txt" "$R$FAKE/sys" >/dev/null
cat >"$R$FAKE/pcipass.conf" <<EOF
[host]
sysfs_root = $FAKE/sys
dev_root   = $FAKE/dev
exclude    = 0000:00:1f.2 0000:00:19.0
EOF
chmod -R go-w "$R$FAKE"
C=(-c "$FAKE/pcipass.conf")
check "pcipass-model create Atlas-800 NPU 19e5 d801" \
	in_root pcipass-model "${C[@]}" create Atlas-800 NPU 19e5 d801 >/dev/null
is /etc/pcipass/models.d/Atlas-800.conf "root:root 644 regular file"
check "pcipass-model list names Atlas-800" grep -q Atlas-800 <(in_root pcipass-model "${C[@]}" list)
check "pcipass-probe -q: quiet" test -z "$(in_root pcipass-probe "${C[@]}" -q 2>&1)"
is /var/lib/pcipass/inventory.ini "root:root 644 regular file"
check "the inventory holds the two NPUs" grep -qx 'devices *= *2' "$R/var/lib/pcipass/inventory.ini"
check "pcipass-probe --list: both free" test "$(in_root pcipass-probe "${C[@]}" --list | grep -c free)" = 2
in_root pcipass-run "${C[@]}" --dry-run /usr/share/doc/pcipass/examples/vm.ini >"$TMPROOT/plan" 2>&1
check "pcipass-run --dry-run of the example vm.ini: a dynamic identity, two vfio-pci devices" \
	test "$(grep -c -e '^vm npu-worker-1: user dynamic,' -e 'vfio-pci,host=' "$TMPROOT/plan")" = 3
rm -rf "${R:?}$FAKE"

# --- remove, then purge ---------------------------------------------------------------------
# an admin's disk image under the default image_dirs: no removal or purge may take it
echo disk >"$R/var/lib/pcipass/images/vm1.img"
if in_root apt-get remove -y -q pcipass >"$TMPROOT/apt.log" 2>&1; then
	pass "apt-get remove pcipass"
else
	failt "apt-get remove pcipass"
	sed 's/^/#   /' "$TMPROOT/apt.log"
fi
check "after remove: the programs and units are gone" \
	test ! -e "$R/usr/sbin/pcipass-probe" -a ! -e "$R$U/pcipass-probe.timer"
check "after remove: the configuration stays" test -f "$R/etc/pcipass/pcipass.conf" -a -f "$R/etc/pcipass/models.d/Atlas-800.conf"
check "after remove: dpkg says config-files" \
	test "$(in_root dpkg-query -W -f='${Status}' pcipass)" = "deinstall ok config-files"
if in_root apt-get purge -y -q pcipass >"$TMPROOT/apt.log" 2>&1; then
	pass "apt-get purge pcipass"
else
	failt "apt-get purge pcipass"
	sed 's/^/#   /' "$TMPROOT/apt.log"
fi
check "after purge: dpkg knows no pcipass" test -z "$(in_root dpkg-query -W -f='${Status}' pcipass 2>/dev/null)"
check "after purge: the admin's disk image under /var/lib/pcipass/images is kept" \
	test "$(cat "$R/var/lib/pcipass/images/vm1.img" 2>/dev/null)" = disk
check "after purge: nothing else of /var/lib/pcipass is left" \
	test "$(cd "$R/var/lib/pcipass" 2>/dev/null && find . | sort | tr '\n' ' ')" = ". ./images ./images/vm1.img "
rm -rf "${R:?}/var/lib/pcipass"
snapshot "$TMPROOT/after"
cp "$TMPROOT/after" "$TMPROOT/after.cmp"
if diff -u "$TMPROOT/before" "$TMPROOT/after.cmp" >"$TMPROOT/diff"; then
	pass "after purge: the root's files are what they were before the install"
else
	failt "after purge: the root's files are what they were before the install"
	grep '^[-+]\./' "$TMPROOT/diff" | sed 's/^/#   /'
fi
finish
