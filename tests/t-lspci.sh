#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The fake hosts themselves (tests/fakehost.c), read by the real lspci (libpci's linux-sysfs
# method, pointed at the tree with sysfs.path): exit 0, not a word on stderr, and exactly the
# devices of the description (address, class, vendor:device; with -vvv also subsystem, IOMMU
# group, NUMA node and driver). The hosts: the bundled conf/example-host.txt, every
# tests/hosts/*.host, and --synth 64 and 1024 (there the count must be N). Descriptions with a
# deliberate flaw are checked for libpci's exact reaction: a `vanished` device is fatal to lspci
# (its vendor read is mandatory), an unreadable (!) numa_node costs one warning under -v and
# nothing without. (That the probe reads each tree as lspci does is t-probe.sh's, and mkhost's.)
. "$(dirname "$0")/lib.sh"

if ! command -v lspci >/dev/null; then
	skip "fake hosts read by lspci (pciutils not installed)"
	exit 0
fi
W=$TMPROOT
diag() { sed 's/^/#   /' "$@"; } # show a file under a failed check

# lspci -v looks up kernel modules with libkmod, which prints one line when the running kernel
# has no /lib/modules (a container): that is the machine, not libpci reading our tree, so that
# exact line, and only it, is dropped.
KMOD_NOISE='^lspci: Unable to load libkmod resources: error -2$'
if [ -d "/lib/modules/$(uname -r)" ]; then
	KMOD_NOISE='^$^' # matches nothing
else
	echo "# no /lib/modules/$(uname -r): lspci's libkmod line is ignored"
fi

# lspci_on TREE OUT ERR OPTION...: run lspci on TREE the way the tests always do; its status.
lspci_on() {
	local tree=$1 out=$2 err=$3 rc=0
	shift 3
	lspci "$@" -A linux-sysfs -O sysfs.path="$tree/bus/pci" >"$out" 2>"$err.raw" || rc=$?
	grep -v -e "$KMOD_NOISE" "$err.raw" >"$err" || true
	return "$rc"
}

# want DESC: from a description, one line per device, in address order:
#   address class vendor:device subsystem iommu_group numa driver
# as lspci -vvv shows them: class without prog-if; a subsystem whose vendor is 0000 or ffff is
# not shown (-); no group, no node file, an unreadable one or -1 all show as -.
want() {
	awk '{ sub(/\r$/, "") }
	/^[ \t]*(#|$)/ { next }
	{
		sub_ = tolower($4)
		if (sub_ ~ /^(0000|ffff):/) sub_ = "-"
		numa = ($6 ~ /^[0-9]+$/) ? $6 : "-"
		print tolower($1), tolower(substr($2, 1, 4)), tolower($3), sub_, $5, numa, $7
	}' "$1" | LC_ALL=C sort
}

# got: lspci -D -nn or -vvv -nn output on stdin, the same seven columns (from -nn alone the
# last four are -). The class is the [cccc] before the first "]: "; vendor:device the last
# [vvvv:dddd] of the line (a name can hold brackets, a prog-if suffix can follow).
got() {
	awk 'function flush() { if (addr != "") print addr, cls, vd, sub_, grp, numa, drv; addr = "" }
	function lastid(s,   id) {
		id = "?"
		while (match(s, /\[[0-9a-f][0-9a-f][0-9a-f][0-9a-f]:[0-9a-f][0-9a-f][0-9a-f][0-9a-f]\]/)) {
			id = substr(s, RSTART + 1, 9)
			s = substr(s, RSTART + RLENGTH)
		}
		return id
	}
	/^[0-9a-f]/ {
		flush()
		i = index($0, "]: ")
		addr = $1; cls = i > 4 ? substr($0, i - 4, 4) : "?"; vd = lastid(substr($0, i + 3))
		sub_ = grp = numa = drv = "-"
		next
	}
	/^\tSubsystem: / { sub_ = lastid($0) }
	/^\tIOMMU group: / { grp = $3 }
	/^\tNUMA node: / { numa = $3 }
	/^\tKernel driver in use: / { drv = $5 }
	END { flush() }' | LC_ALL=C sort
}

# check_desc DESC: build the tree of one description and hold lspci's view against it.
check_desc() {
	local desc=$1 name tree rc addr
	name=${desc#"$ROOT"/}
	tree=$W/$(basename "$desc").sys
	if ! "$FAKEHOST" "$desc" "$tree" 2>"$W/fakehost.err"; then
		failt "$name: fakehost builds the tree"
		diag "$W/fakehost.err"
		return 0
	fi
	want "$desc" >"$W/want"
	cut -d' ' -f1-3 "$W/want" | awk '{ print $0, "- - - -" }' >"$W/want.nn"

	# a vanished device: libpci reads vendor as mandatory, so lspci dies naming it
	addr=$(awk '{ sub(/\r$/, "") } !/^[ \t]*#/ && $8 == "vanished" { print tolower($1); exit }' "$desc")
	if [ -n "$addr" ]; then
		rc=0
		lspci_on "$tree" "$W/out" "$W/err" -D -nn || rc=$?
		if [ "$rc" != 0 ] && [ ! -s "$W/out" ] &&
			grep -qxF "lspci: Cannot open $tree/bus/pci/devices/$addr/vendor: No such file or directory" "$W/err"; then
			pass "$name: lspci -nn dies on the vanished $addr, as on a real hot-unplug (exit $rc)"
		else
			failt "$name: lspci -nn should die on the vanished $addr (exit $rc)"
			diag "$W/err"
		fi
		return 0
	fi

	rc=0
	lspci_on "$tree" "$W/out" "$W/err" -D -nn || rc=$?
	got <"$W/out" >"$W/lspci.nn"
	if [ "$rc" = 0 ] && [ ! -s "$W/err" ] && cmp -s "$W/want.nn" "$W/lspci.nn"; then
		pass "$name: lspci -nn: exit 0, quiet, the $(wc -l <"$W/want") devices of the description"
	else
		failt "$name: lspci -nn: exit $rc, $(wc -l <"$W/err") lines on stderr, devices as described?"
		diag "$W/err"
		diff "$W/want.nn" "$W/lspci.nn" | diag || true
	fi

	# -vvv reads numa_node: one warning per unreadable one (and none for a missing file)
	awk '{ sub(/\r$/, "") } !/^[ \t]*#/ && $6 == "!" { print tolower($1) }' "$desc" |
		while read -r addr; do
			echo "pcilib: Error reading $tree/bus/pci/devices/$addr/numa_node: Is a directory"
		done | LC_ALL=C sort >"$W/want.err"
	rc=0
	lspci_on "$tree" "$W/out" "$W/err" -D -vvv -nn || rc=$?
	got <"$W/out" >"$W/lspci.vvv"
	LC_ALL=C sort -o "$W/err" "$W/err"
	if [ "$rc" = 0 ] && cmp -s "$W/want.err" "$W/err" && cmp -s "$W/want" "$W/lspci.vvv"; then
		pass "$name: lspci -vvv: exit 0, $(if [ -s "$W/want.err" ]; then
			echo "one warning per unreadable numa_node"; else echo quiet; fi), same subsystems, groups, nodes, drivers"
	else
		failt "$name: lspci -vvv: exit $rc, stderr and devices as described?"
		diff "$W/want.err" "$W/err" | diag || true
		diff "$W/want" "$W/lspci.vvv" | diag || true
	fi
}

# check_synth N: the benchmark's deterministic host of N devices.
check_synth() {
	local n=$1 tree=$W/synth$1.sys rc count unique v
	if ! "$FAKEHOST" --synth "$n" "$tree" 2>"$W/fakehost.err"; then
		failt "--synth $n: fakehost builds the tree"
		diag "$W/fakehost.err"
		return 0
	fi
	for v in nn vvv; do
		rc=0
		if [ "$v" = nn ]; then
			lspci_on "$tree" "$W/out" "$W/err" -D -nn || rc=$?
		else
			lspci_on "$tree" "$W/out" "$W/err" -D -vvv -nn || rc=$?
		fi
		got <"$W/out" >"$W/lspci.$v"
		count=$(wc -l <"$W/lspci.$v")
		unique=$(cut -d' ' -f1 "$W/lspci.$v" | uniq | wc -l)
		# every line parsed: an address, a class and a vendor:device (no "?")
		if [ "$rc" = 0 ] && [ ! -s "$W/err" ] && [ "$count" = "$n" ] && [ "$unique" = "$n" ] &&
			! grep -q '?' "$W/lspci.$v"; then
			pass "--synth $n: lspci -$v: exit 0, quiet, $n devices"
		else
			failt "--synth $n: lspci -$v: exit $rc, $count devices ($unique addresses), expected $n"
			head -n 5 "$W/err" | diag
		fi
	done
}

for desc in "$ROOT/conf/example-host.txt" "$ROOT"/tests/hosts/*.host; do
	check_desc "$desc"
done
for n in 64 1024; do
	check_synth "$n"
done
