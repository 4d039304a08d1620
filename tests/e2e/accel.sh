#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Accelerator-grade guests (issue 12) on a real kernel, inside the guest of tests/guest/run.sh
# as tests/e2e/run.sh starts it for this (accel_qemu there): two guest NUMA nodes (cpu 0, cpu
# 1), a multifunction edu pair behind one root port (one IOMMU group), -device VGA (the boot
# VGA), and behind a pxb-pcie of node 1 an ivshmem-plain with a 64 GiB BAR and an edu. Nested
# VMs ("L3") are launched by pcipass-run; one result line per assertion:
#   1. pcipass-probe records what sysfs says: the ivshmem's 64 GiB BAR, the edu's reset method,
#      the VGA's boot_vga and no reset method, the VGA host-critical; pcipass-model create warns
#      naming it;
#   5. (started here, checked last) functions = all and firmware = uefi together: the pair as one
#      device at one slot of L3 (function 0 multifunction), with no allow = no-reset though the
#      kernel offers function 1 no reset method of its own; OVMF's code read-only and the VM's
#      variables (a copy in nvram_dir) by descriptor; L3 runs OVMF while 2-4 go on, until
#      query-pci shows both functions at one slot with BARs OVMF assigned; --release gives both
#      back;
#   2. the VGA: refused at launch while host-critical, nothing changed; passed once
#      pcipass.conf's allow_host_critical names it;
#   3. numa = strict with hugepages = 2M on node 1: refused before any device moves when the
#      node's pool is short; else the node-1 edu, QEMU's threads on node 1's CPU
#      (/proc/PID/task/*/status), its RAM in 2M pages on node 1 (numa_maps, the pool), the device
#      behind a pxb-pcie in L3;
#   4. the 64 GiB BAR: --dry-run says why the 64-bit window grows; QEMU gets it and takes it
#      (L3's pci-hole64-size), with the ivshmem in L3; the model's reset_method: "flr", which
#      the kernel refuses, undoes the launch; "bus" is written and recorded in the claim; its
#      romfile reaches QEMU by descriptor as an 8 KiB ROM BAR.
# L3s but 5's stay paused (-S) and boot nothing: TCG in TCG is slow (OVMF with the vfio-pci pair:
# its BARs about 110 s after "cont", its boot manager on the serial about 150 s, on a 2-core
# machine), and the rest of pcipass's side is in the argv, the host kernel and QEMU's realize.
# A VM with the 64 GiB BAR must not run firmware here: mapping the BAR would make QEMU DMA-map
# 64 GiB through the emulated IOMMU. PCIPASS_E2E_ONLY="2 5" runs only those parts (1 always runs).
# Prints "# time: ..." laps for the closing note.
set -u
B=${BUILD:?}
QMPPY=$(dirname "$0")/qmp.py
W=${TMPDIR:-/run/tmp}/accel
rm -rf "$W"
mkdir -p "$W/etc/models.d" "$W/var" "$W/run" "$W/img" "$W/nvram" "$W/rom"
# a ROM for romfile = (part 4): the option ROM signature, 5000 bytes in all
{ printf '\125\252'; head -c 4998 /dev/zero; } >"$W/rom/e2e.rom"
chmod 0644 "$W/rom/e2e.rom"
QEMU=$(command -v qemu-system-x86_64)
C=$W/etc/pcipass.conf
conf() { # the host config, with extra lines
	cat <<CONF
[host]
models_dir = $W/etc/models.d
inventory  = $W/var/inventory.ini
state_dir  = $W/run
qemu       = $QEMU
vm_groups  = kvm
image_dirs = $W/img
nvram_dir  = $W/nvram
rom_dir    = $W/rom
$*
CONF
}
conf >"$C"
PROBE="$B/pcipass-probe -c $C"
MODEL="$B/pcipass-model -c $C"
RUN="$B/pcipass-run -c $C"
fails=0
result() { # result NAME COMMAND...
	local name=$1
	shift
	if "$@"; then
		echo "ok - $name"
	else
		echo "not ok - $name"
		fails=$((fails + 1))
		printf '%s\n' "$*" | head -c 1000 | sed 's/^/#   (failed:) /'
	fi
}
want() { case " ${PCIPASS_E2E_ONLY:-1 2 3 4 5} " in *" $1 "*) return 0 ;; esac; return 1; }
t_start=$(date +%s.%N)
lap() { awk -v a="$t_start" -v b="$(date +%s.%N)" -v w="$1" 'BEGIN { printf "# time: %s at %.1f s\n", w, b - a }'; }
S=/sys/bus/pci/devices
driver() { local l; l=$(readlink "$S/$1/driver") && echo "${l##*/}"; }
# what a launch may change for devices ADDR...: their drivers, claims, leases
state() { local a; for a; do echo "$a $(driver "$a")"; done; find "$W/run/claims" "$W/run/ids" -mindepth 1 2>/dev/null; }
# started NAME PID: the launcher PID has exec'd QEMU, which answers on NAME's QMP socket
started() {
	local i l
	for i in $(seq 600); do
		while read -r l; do
			case $l in *" exec "*)
				lap "$1: exec"
				QMPTOOL_TIMEOUT_MS=60000 "$B/qmptool" "$W/run/vms/$1.qmp" query-status >/dev/null
				return
				;;
			esac
		done <"$W/$1.err"
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
# launch NAME: pcipass-run NAME.ini in the background, $l3 its pid (QEMU's once it exec'd)
launch() {
	$RUN "$W/$1.ini" >"$W/$1.out" 2>"$W/$1.err" </dev/null &
	l3=$!
	started "$1" "$l3" || { sed "s/^/# $1: /" "$W/$1.err"; return 1; }
	lap "$1: QEMU answers"
}
# stop NAME PID: QEMU stopped, waited for; --release
stop() {
	lap "$1: checked"
	kill -TERM "$2" # QEMU quits on SIGTERM as on QMP's quit
	wait "$2" 2>/dev/null
	lap "$1: QEMU gone"
	$RUN --release >"$W/$1.rel" 2>&1
	lap "$1: released"
}
# refusal NAME: pcipass-run NAME.ini, expected to refuse; $st its exit status, or "launched"
# when it started QEMU after all (that QEMU killed and its devices released)
refusal() {
	local pid i
	$RUN "$W/$1.ini" >"$W/$1.out" 2>"$W/$1.err" </dev/null &
	pid=$!
	for i in $(seq 600); do
		kill -0 "$pid" 2>/dev/null || break
		if grep -q ' exec ' "$W/$1.err"; then
			kill -9 "$pid"
			wait "$pid" 2>/dev/null
			$RUN --release >/dev/null 2>&1
			st=launched
			return
		fi
		sleep 0.1
	done
	wait "$pid"
	st=$?
}
# fds_of PID PATH...: "PATH ro|rw" for each descriptor PID holds on one of the PATHs, sorted,
# once each
fds_of() {
	local pid=$1 fd t flags line p
	shift
	for fd in /proc/"$pid"/fd/*; do
		t=$(readlink "$fd") || continue
		for p; do
			[ "$t" = "$p" ] || continue
			flags=
			while read -r line; do
				case $line in flags:*) flags=${line#flags:} ;; esac
			done <"/proc/$pid/fdinfo/${fd##*/}"
			flags=${flags//[[:space:]]/}
			if [ $((flags & 3)) = 0 ]; then echo "$t ro"; else echo "$t rw"; fi
		done
	done | LC_ALL=C sort -u
}
argv_of() { tr '\0' '\n' <"/proc/$1/cmdline"; }
has() { printf '%s\n' "$1" | grep -Eq -- "$2"; } # has TEXT ERE: a line of TEXT matches
# qdevs QTREE: a line per device in an "info qtree": "PATH HOST", PATH its device types from
# the root down (pxb-host/pcie-root-port/vfio-pci: behind a pxb-pcie), HOST a vfio-pci's host
# device ("-" for others)
qdevs() {
	awk '/^ *dev: / { d = int((match($0, /[^ ]/) - 3) / 4); t[d] = $2; sub(/,$/, "", t[d]); p = t[0]
			for (i = 1; i <= d; i++) p = p "/" t[i]; n++; path[n] = p; host[n] = "-" }
		/^ *(host|sysfsdev) = "/ { h = $3; gsub(/"/, "", h); sub(/.*\//, "", h); host[n] = h }
		END { for (i = 1; i <= n; i++) print path[i], host[i] }' "$1"
}
vmini() { # vmini NAME LINE...: NAME.ini, [vm] with 64M, tcg, paused, then the lines
	local name=$1
	shift
	printf '[vm]\nname = %s\nmemory = 64M\naccel = tcg\npaused = true\n' "$name" >"$W/$name.ini"
	printf '%s\n' "$@" >>"$W/$name.ini"
}

# ---- the guest's devices, found by what they are ----------------------------------------------
vga='' shm='' mf0='' mf1='' edu1=
for d in "$S"/*; do
	a=${d##*/}
	read -r v <"$d/vendor"
	read -r i <"$d/device"
	read -r n <"$d/numa_node"
	case $v:$i in
	0x1234:0x1111) vga=$a ;;
	0x1af4:0x1110) shm=$a ;;
	0x1234:0x11e8)
		if [ "$n" = 1 ]; then
			edu1=$a
		elif [ -e "${d%.0}.1" ]; then
			mf0=$a mf1=${a%.0}.1
		fi
		;;
	esac
done
echo "# guest devices: VGA ${vga:-none}, ivshmem ${shm:-none}, multifunction edu ${mf0:-none} ${mf1:-none}, node-1 edu ${edu1:-none}"
group() { local l; l=$(readlink "$S/$1/iommu_group") && echo "${l##*/}"; }
read -r bv <"$S/$vga/boot_vga" 2>/dev/null
# The guest as tests/e2e/run.sh builds it; else nothing below means anything.
if [ -z "$vga" ] || [ -z "$shm" ] || [ -z "$mf1" ] || [ -z "$edu1" ] || [ "${bv:-}" != 1 ] ||
	[ "$(group "$mf0")" != "$(group "$mf1")" ] || [ "$(cat "$S/$shm/numa_node")" != 1 ] ||
	[ ! -d /sys/devices/system/node/node1 ]; then
	echo "not ok - the guest's topology (tests/e2e/run.sh accel_qemu): VGA with boot_vga 1, the multifunction pair in one group, ivshmem and edu on node 1"
	exit 1
fi
hp=/sys/devices/system/node/node1/hugepages/hugepages-2048kB
node1_cpus=$(cat /sys/devices/system/node/node1/cpulist)

# ---- 1. what the probe records ----------------------------------------------------------------
if ! $MODEL create Edu ACCEL 1234 11e8 >/dev/null 2>"$W/edu.model.err" ||
	! $MODEL create Shm ACCEL 1af4 1110 >/dev/null 2>"$W/shm.model.err"; then
	echo "not ok - pcipass-model create Edu, Shm ($(cat "$W"/*.model.err))"
	exit 1
fi
echo "functions = all" >>"$W/etc/models.d/Edu.conf"
$MODEL create Vga DISPLAY 1234 1111 >"$W/vga.model.out" 2>"$W/vga.model.err"
st=$?
sed 's/^/# model create Vga: /' "$W/vga.model.out" "$W/vga.model.err"
result "1. pcipass-model create Vga (1234:1111) exits 0 and warns, naming the boot VGA $vga" \
	has "$st $(cat "$W/vga.model.err")" "^0 .*$vga"
# the VGA has no reset method (sysfs shows none): its model lets that through
echo "allow = no-reset" >>"$W/etc/models.d/Vga.conf"
$PROBE -q >"$W/probe.out" 2>&1
result "1. pcipass-probe -q exits 0, silent" test "$?|$(cat "$W/probe.out")" = "0|"
inv() { awk -v s="[$1]" '/^\[/ { in_s = ($0 == s) } in_s' "$W/var/inventory.ini"; }
i_shm=$(inv "$shm") i_vga=$(inv "$vga") i_edu=$(inv "$edu1")
printf '%s\n' "$i_shm" "$i_vga" | sed 's/^/# inventory: /'
result "1. the inventory has the ivshmem's BARs: 256 bytes, and 64 GiB 64-bit prefetchable at 2" \
	has "$i_shm" '^bars *= 0:256 2:64G,64,pref$'
result "1. ... the edu's reset method (bus), as sysfs says" has "$i_edu" '^reset_methods *= bus$'
result "1. ... the VGA: boot_vga 1, no reset method, host-critical as the boot VGA" \
	test "$(printf '%s\n' "$i_vga" | grep -E '^(boot_vga|reset_methods|host_critical) ' | tr -s ' ')" = \
	"reset_methods = none
boot_vga = 1
host_critical = boot VGA"
lap probe

# ---- 5. functions = all and firmware = uefi, started: OVMF runs while 2-4 go on ------------------
uefi=
if want 5; then
	vmini uefi "firmware = uefi" "[display]" "serial = socket" "[devices]" "address = $mf0"
	sed -i 's/^memory = 64M$/memory = 128M/' "$W/uefi.ini" # OVMF wants more than 64M
	# The kernel offers function 1 of the pair no reset method (a bus reset only to a function
	# alone on its bus; function 0 kept "bus" from before function 1 was found), yet the slot
	# passed whole is reset as a whole (the root port's secondary bus reset, vfio's hot reset).
	launch uefi
	st=$?
	result "5. functions = all: the slot is passed without allow = no-reset (its bus reset covers function 1)" \
		test "$st" = 0
	if [ "$st" != 0 ] && grep -q 'no reset method' "$W/uefi.err"; then
		echo "allow = no-reset" >>"$W/etc/models.d/Edu.conf" # to go on with the rest of 5
		launch uefi
		st=$?
	fi
	if [ "$st" = 0 ]; then
		uefi=$l3
		sed 's/^/# uefi: /' "$W/uefi.err"
		result "5. functions = all: both functions of the slot on vfio-pci ($mf0 $mf1)" \
			test "$(driver "$mf0") $(driver "$mf1")" = "vfio-pci vfio-pci"
		# OVMF runs on the guest's other CPU from here, watched from QMP and its serial socket
		# (one QMP client at a time: the qtree first), while this goes on
		t_uefi=$(date +%s)
		python3 "$QMPPY" "$W/run/vms/uefi.qmp" 'hmp:info qtree' "serial:300::$W/run/vms/uefi.console" \
			pci-slots >"$W/uefi.boot" 2>&1 &
		watch=$!
		argv_of "$uefi" | grep -E 'pflash|fdset' | sed 's/^/# uefi argv: /'
		result "5. firmware = uefi: -machine's pflash0 and pflash1 are the OVMF block nodes" \
			has "$(argv_of "$uefi")" "^q35,.*pflash0=pcipass.ovmf-code,pflash1=pcipass.ovmf-vars"
		fds=$(fds_of "$uefi" /usr/share/OVMF/OVMF_CODE_4M.fd "$W/nvram/uefi.fd")
		printf '%s\n' "$fds" | sed 's/^/# uefi holds: /'
		result "5. ... by descriptor: OVMF's code read-only, the VM's variables read-only and read-write" \
			test "$fds" = "$(printf '%s\n' "$W/nvram/uefi.fd ro" "$W/nvram/uefi.fd rw" \
				"/usr/share/OVMF/OVMF_CODE_4M.fd ro" | LC_ALL=C sort)"
		result "5. ... made on this first start from Debian's OVMF_VARS_4M.fd, the launcher says" \
			grep -qxF "pcipass-run: vm uefi: firmware variables $W/nvram/uefi.fd made from /usr/share/OVMF/OVMF_VARS_4M.fd" "$W/uefi.err"
		result "5. ... the variables: a copy of OVMF_VARS_4M.fd in nvram_dir, root's, 0600" \
			test "$(stat -c '%u %a %s' "$W/nvram/uefi.fd")|$(ls "$W/nvram")" = \
			"0 600 $(stat -c %s /usr/share/OVMF/OVMF_VARS_4M.fd)|uefi.fd"
	else
		result "5. functions = all, firmware = uefi: launched" false
	fi
	lap "uefi started"
fi

# ---- 2. the host's boot VGA --------------------------------------------------------------------
if want 2; then
	vmini vga "[devices]" "address = $vga"
	before=$(state "$vga")
	refusal vga
	sed 's/^/# vga refused: /' "$W/vga.err"
	result "2. the host-critical VGA is refused at launch (69), naming it and why" \
		has "$st $(tail -n 1 "$W/vga.err")" "^69 .*($vga.*host.critical|host.critical.*$vga)"
	result "2. ... nothing changed (driver, claims, leases)" test "$(state "$vga")" = "$before"
	conf "allow_host_critical = $vga" >"$C"
	if launch vga; then
		python3 "$QMPPY" "$W/run/vms/vga.qmp" 'hmp:info qtree' >"$W/vga.qtree" 2>&1
		result "2. with allow_host_critical = $vga: launched, the VGA on vfio-pci, in L3 (qtree)" \
			has "$(driver "$vga")|$(qdevs "$W/vga.qtree" | grep -c "/vfio-pci $vga\$")" '^vfio-pci\|1$'
		stop vga "$l3"
		result "2. ... released: back to no driver" test -z "$(driver "$vga")"
	else
		result "2. with allow_host_critical = $vga: launched" false
	fi
	conf >"$C"
	lap vga
fi

# ---- 3. numa = strict, hugepages = 2M ----------------------------------------------------------
if want 3; then
	vmini numa "numa = strict" "numa_node = 1" "hugepages = 2M" "[devices]" "Edu = 1"
	echo 16 >"$hp/nr_hugepages" # 32 MiB: short of 64M
	before=$(state "$edu1")
	refusal numa
	sed 's/^/# numa short: /' "$W/numa.err"
	result "3. 16 free 2M pages on node 1 for 64M: refused (69) naming the pages" \
		has "$st $(tail -n 1 "$W/numa.err")" "^69 .*(huge|2M)"
	result "3. ... before any device moved (driver, claims, leases as before)" test "$(state "$edu1")" = "$before"
	echo 40 >"$hp/nr_hugepages"
	read -r free0 <"$hp/free_hugepages"
	# no numa_node: strict chooses the node that fits, the only one with 2M pages free
	grep -v '^numa_node' "$W/numa.ini" >"$W/numa2.ini"
	$RUN --dry-run "$W/numa2.ini" >"$W/numa2.dry" 2>&1
	st=$?
	grep '^numa = ' "$W/numa2.dry" | sed 's/^/# numa dry-run: /'
	result "3. no numa_node: --dry-run chooses node 1, the one with the 2M pages, and its edu" \
		test "$st|$(grep '^numa = ' "$W/numa2.dry")|$(grep -o ': claim .*' "$W/numa2.dry")" = \
		"0|numa = strict: node 1 (the lowest that fits, with a CPU for each vCPU); guest memory and QEMU's threads bound to it, CPUs 1; hugepages: 32 2M pages of 40 free on node 1|: claim $edu1"
	if launch numa; then
		pid=$l3
		python3 "$QMPPY" "$W/run/vms/numa.qmp" 'hmp:info qtree' >"$W/numa.qtree" 2>&1
		sed 's/^/# numa: /' "$W/numa.err"
		argv_of "$pid" | grep -E 'memory-backend|^node|numa|pxb' | sed 's/^/# numa argv: /'
		result "3. numa = strict on node 1: the node-1 edu $edu1 on vfio-pci" test "$(driver "$edu1")" = vfio-pci
		result "3. ... the launcher says so: node 1 from numa_node, bound, the pages" \
			grep -qxF "pcipass-run: vm numa: numa = strict: node 1 (numa_node); guest memory and QEMU's threads bound to it, CPUs 1; hugepages: 32 2M pages of 40 free on node 1" "$W/numa.err"
		cpus=$(for t in /proc/"$pid"/task/*/status; do awk '/^Cpus_allowed_list:/ { print $2 }' "$t"; done | sort -u)
		result "3. ... every QEMU thread may run on node 1's CPUs only ($node1_cpus): ${cpus//$'\n'/ }" \
			test "$cpus" = "$node1_cpus"
		maps=$(grep huge "/proc/$pid/numa_maps")
		printf '%s\n' "$maps" | sed 's/^/# numa_maps: /'
		result "3. ... its RAM: 32 huge pages, all on node 1 (numa_maps: N1=32, no other node)" \
			test "$(printf '%s\n' "$maps" | grep -oE ' N[0-9]+=[0-9]+')" = " N1=32"
		read -r free1 <"$hp/free_hugepages"
		result "3. ... node 1's pool: 32 pages fewer free ($free0 -> $free1)" test $((free0 - free1)) = 32
		result "3. ... in L3 the device is behind a pxb-pcie (qtree)" \
			has "$(qdevs "$W/numa.qtree")" "^pxb-host/pcie-root-port/vfio-pci $edu1\$"
		stop numa "$pid"
		result "3. ... released: back to no driver" test -z "$(driver "$edu1")"
	else
		result "3. numa = strict, hugepages = 2M on node 1: launched" false
	fi
	echo 0 >"$hp/nr_hugepages"
	lap numa
fi

# ---- 4. the 64-bit PCI window ------------------------------------------------------------------
if want 4; then
	vmini bar "[devices]" "Shm = 1"
	$RUN --dry-run "$W/bar.ini" >"$W/bar.dry" 2>&1
	st=$?
	grep -i 'window\|hole64' "$W/bar.dry" | sed 's/^/# dry-run: /'
	result "4. --dry-run exits 0 and says why the 64-bit window grows: the 64 GiB BAR of $shm" \
		has "$st|$(grep -i window "$W/bar.dry")" \
		"^0[|]memory map: 64-bit PCI window 64 GiB: BARs 64 GiB of $shm; QEMU's default is 32 GiB"
	# the model's reset_method, written before the bind: one the kernel refuses undoes the launch
	shm_model=$W/etc/models.d/Shm.conf
	cp "$shm_model" "$W/Shm.conf.orig"
	echo "reset_method = flr" >>"$shm_model"
	before=$(state "$shm"; cat "$S/$shm/reset_method")
	refusal bar
	sed 's/^/# bar, reset_method = flr: /' "$W/bar.err"
	result "4. reset_method = flr on the ivshmem (the kernel offers bus): refused (71), the kernel's EINVAL named" \
		has "$st|$(tail -n 1 "$W/bar.err")" "^71[|].*flr.*$shm/reset_method: Invalid argument"
	result "4. ... undone: driver, claims, leases, the device's reset_method as before" \
		test "$(state "$shm"; cat "$S/$shm/reset_method")" = "$before"
	# ... and one it takes; with a ROM from rom_dir
	cp "$W/Shm.conf.orig" "$shm_model"
	printf 'reset_method = bus\nromfile = e2e.rom\n' >>"$shm_model"
	if launch bar; then
		result "4. reset_method = bus: the claim records the kernel's list before (orig_reset_method=bus)" \
			grep -qx 'orig_reset_method=bus' "$W/run/claims/$shm"
		argv_of "$l3" | grep -A1 -- '^-global$' | sed 's/^/# bar argv: /'
		python3 "$QMPPY" "$W/run/vms/bar.qmp" 'hmp:qom-get /machine/q35 pci-hole64-size' 'hmp:info qtree' >"$W/bar.qtree" 2>&1
		hole=$(head -n 1 "$W/bar.qtree")
		hole=${hole//[!0-9]/}
		result "4. QEMU got a 64-bit window of at least 64 GiB and took it (L3's pci-hole64-size ${hole:-?})" \
			test "$(argv_of "$l3" | grep -c '^q35-pcihost.pci-hole64-size=')|$((${hole:-0} >= (64 << 30)))" = "1|1"
		result "4. ... and realized the ivshmem's vfio-pci in L3 (qtree)" has "$(qdevs "$W/bar.qtree")" "/vfio-pci $shm\$"
		# the vfio-pci device's lines in the qtree
		rom=$(awk -v d="$shm" '/^ *(dev|bus): / { if (v && hit) print blk; v = /dev: vfio-pci,/; hit = 0; blk = "" }
			v { blk = blk $0 "\n"; if (index($0, d)) hit = 1 } END { if (v && hit) print blk }' "$W/bar.qtree" |
			grep -E '^ *(romfile = |bar 6:)' | sed 's/^ *//')
		printf '%s\n' "$rom" | sed 's/^/# bar rom: /'
		result "4. romfile = e2e.rom (5000 bytes): QEMU reads it from a descriptor, an 8 KiB ROM BAR in L3" \
			has "$(printf '%s' "$rom" | tr '\n' '|')" '^romfile = "/proc/self/fd/[0-9]+"[|]bar 6: mem at 0x[0-9a-f]+ \[0x1ffe\]$'
		stop bar "$l3"
		result "4. ... released: back to no driver, the reset_method file still says bus, no claim" \
			test "$(driver "$shm")|$(cat "$S/$shm/reset_method")|$(ls "$W/run/claims/$shm" 2>&1)" = \
			"|bus|ls: cannot access '$W/run/claims/$shm': No such file or directory"
	else
		result "4. a VM with the 64 GiB BAR: launched" false
	fi
	lap bar
fi

# ---- 5. the UEFI VM, collected ------------------------------------------------------------------
if [ -n "$uefi" ]; then
	wait "$watch"
	st=$?
	# per vfio-pci device in the qtree: "BUS ADDR HOST MULTIFUNCTION", by addr
	awk 'function out() { if (v) print bus, a, h, m; v = 0 }
		/^ *bus: / { out(); bus = $2 } /^ *dev: / { out() } /^ *dev: vfio-pci,/ { v = 1 }
		v && /^ *(sysfsdev|host) = / { h = $3 } v && /^ *multifunction = / { m = $3 }
		v && /^ *addr = / { a = $3 } END { out() }' "$W/uefi.boot" | tr -d '"' | sort -k2 >"$W/uefi.slots"
	sed 's/^/# uefi qtree: /' "$W/uefi.slots"
	result "5. in L3 one slot of one root port: $mf0 at 00.0 (multifunction), $mf1 at 00.1" \
		test "$(cut -d' ' -f1 "$W/uefi.slots" | sort -u | wc -l) $(cut -d' ' -f2-4 "$W/uefi.slots" | tr '\n' ' ')" = \
		"1 00.0 /sys/bus/pci/devices/$mf0 true 00.1 /sys/bus/pci/devices/$mf1 false "
	grep -E '^(pci|bars|qmp.py)' "$W/uefi.boot" | sed 's/^/# uefi boot: /'
	echo "# time: OVMF in L3 (TCG in TCG): $(grep -h ' after ' "$W/uefi.boot") (cont to now $(($(date +%s) - t_uefi)) s)"
	result "5. L3 ran OVMF: it assigned every BAR behind the root ports" test "$st" = 0
	slots=$(grep -E '^pci [0-9a-f]{2}:[0-9a-f]{2}\.[0-7] 1234:11e8 bar0=0x[0-9a-f]+$' "$W/uefi.boot" | cut -d' ' -f2)
	result "5. ... query-pci: both functions at one slot (00.0, 00.1), BAR 0 assigned by OVMF" \
		test "$(printf '%s\n' "$slots" | cut -d: -f2 | tr '\n' ' ')|$(printf '%s\n' "$slots" | cut -d: -f1 | sort -u | wc -l)" = "00.0 00.1 |1"
	stop uefi "$uefi"
	result "5. --release gives both functions back (no driver, no claim)" \
		test "$(driver "$mf0")|$(driver "$mf1")|$(ls -A "$W/run/claims")" = "||"
	lap uefi
fi
# every device given back answered config reads again (pcipass-run --release's check)
result "after the releases: no device marked unhealthy (state_dir/health empty)" \
	test -z "$(ls -A "$W/run/health" 2>/dev/null)"
exit $((fails > 0))
