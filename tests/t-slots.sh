#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What a model's launch keys make of a VM's devices (issue 12), checked with --dry-run on fake
# trees (steps 1, 2 and 4; a running VM played by build/claimhold):
#  - functions = all: the slot's other functions go with the device, on its root port
#    (addr=00.N, multifunction=on on function 0, added last), and the IOMMU groups they are in
#    go whole (each other endpoint on a port of its own); a function held by another VM,
#    excluded or used by the host refuses the launch naming it; a slot counts once;
#  - the health gate: no reset method, D3cold, uncorrectable AER errors, an unreadable fact,
#    each refused unless the model's allow says so; a device the host uses (boot VGA) refused
#    unless pcipass.conf's allow_host_critical names it;
#  - rombar and romfile: the argv, and the ROM handed over as a sealed copy from rom_dir, with
#    every way the file can be refused.
. "$(dirname "$0")/lib.sh"

RUN=$BUILD/pcipass-run
cat >"$TMPROOT/s.host" <<'HOST'
0000:00:00.0  0600  8086:2020  8086:0000  0   0  -
0000:60:00.0  1200  19e5:d801  19e5:0100  70  0  npudrv
0000:60:00.1  0403  19e5:d802  19e5:0100  70  0  snd_hda_intel
0000:61:00.0  1200  19e5:d801  19e5:0100  71  0  -
0000:61:00.1  1200  19e5:d801  19e5:0100  71  0  -
0000:62:00.0  1200  19e5:d801  19e5:0100  72  0  -
0000:62:00.1  0200  8086:1521  8086:0001  72  0  igb
0000:63:00.0  1200  19e5:d801  19e5:0100  73  0  -
0000:64:00.0  0200  8086:1521  8086:0001  73  0  -
0000:65:00.0  1200  19e5:d801  19e5:0100  75  0  -
0000:66:00.0  1200  10ee:903f  10ee:0007  76  0  -
HOST
mkhost s "$TMPROOT/s.host" || { failt "mkhost"; exit 1; }
BASE=$(cat "$CONF")
conf() { # conf [LINE...]: pcipass.conf as mkhost wrote it, plus these lines
	{ printf '%s\nqemu = /bin/true\nrom_dir = %s\n' "$BASE" "$H/rom"; printf '%s\n' "$@"; } >"$CONF"
}
conf
mkdir -p "$H/rom"
if [ "$(id -u)" = 0 ]; then
	mkdir -p "$H/dev" && mknod "$H/dev/kvm" c 10 232 && chgrp kvm "$H/dev/kvm" && chmod 0660 "$H/dev/kvm"
fi
model() { # model NAME VEN DEV [KEY = VALUE...]: models.d/NAME.conf
	local name=$1 ven=$2 dev=$3
	shift 3
	{ printf '[%s]\ndev_type = NPU\nvendor_id = %s\ndevice_id = %s\n' "$name" "$ven" "$dev"; printf '%s\n' "$@"; } \
		>"$H/etc/models.d/$name.conf"
}
model NPU1 19e5 d801 'functions = all'
model FPGA1 10ee 903f
$PROBE -c "$CONF" -q
holders=()
trap 'kill "${holders[@]}" 2>/dev/null; rm -rf "$TMPROOT"' EXIT
hold() { # hold ADDR VM: a running VM's claim on ADDR
	"$BUILD/claimhold" "$H/run" "$1" "$2" >"$TMPROOT/hold" &
	holders+=($!)
	for _ in $(seq 50); do grep -q held "$TMPROOT/hold" 2>/dev/null && return 0; sleep 0.1; done
	failt "claimhold $1 did not say held"
}
plan() { # plan NAME DEVICES-LINE...: --dry-run of a VM; status $st (0 also when the only problem
	# is one this host has for any launch), plan on $TMPROOT/out, problems on $TMPROOT/err
	local name=$1
	shift
	{ printf '[vm]\nname = %s\nmemory = 256M\n[devices]\n' "$name"; printf '%s\n' "$@"; } >"$TMPROOT/$name.ini"
	$RUN -c "$CONF" --dry-run "$TMPROOT/$name.ini" >"$TMPROOT/out" 2>"$TMPROOT/err"
	st=$?
	if [ $st != 0 ] && preflight_clean "$TMPROOT/$name.ini" $st "$TMPROOT/err"; then st=0; fi
}
says() { grep -q -- "$1" "$TMPROOT/err"; }
says_f() { grep -qF -- "$1" "$TMPROOT/err"; } # a fixed string
argv_has() { grep -qx -- "    -device $1 \\\\" "$TMPROOT/out" || grep -qx -- "    -device $1" "$TMPROOT/out"; }
# the order of the -device lines that mention pcipass.rpN or a host device, one per line
devices() { grep -o -- '-device [a-z-]*,[^ ]*' "$TMPROOT/out" | grep -E 'pcipass\.rp|host=' | sed 's/^-device //'; }
sysfs=$H/sys/bus/pci/devices

# --- functions = all: a slot passed whole ---
plan w1 'address = 0000:60:00.0'
check "a whole slot: exit 0" test $st = 0
check "a whole slot: both functions planned" \
	bash -c "grep -q '^  0000:60:00.0 ' '$TMPROOT/out' && grep -q '^  0000:60:00.1 ' '$TMPROOT/out'"
check "a whole slot: the plan says the function goes with its slot" \
	grep -qx '    goes whole with the slot of 0000:60:00.0 (functions = all)' "$TMPROOT/out"
devices >"$TMPROOT/devs"
printf '%s\n' 'pcie-root-port,id=pcipass.rp0,chassis=1,slot=1' \
	'vfio-pci,host=0000:60:00.1,id=hostdev1,bus=pcipass.rp0,addr=00.1' \
	'vfio-pci,host=0000:60:00.0,id=hostdev0,bus=pcipass.rp0,addr=00.0,multifunction=on' >"$TMPROOT/want"
check "a whole slot: one root port, function 0 last with multifunction=on" cmp -s "$TMPROOT/want" "$TMPROOT/devs"
check "a whole slot: a claim descriptor for each function" \
	bash -c "grep -q '^fd 6 lock ro: claim 0000:60:00.0$' '$TMPROOT/out' && grep -q '^fd 7 lock ro: claim 0000:60:00.1$' '$TMPROOT/out'"
$RUN -c "$CONF" --dry-run --json "$TMPROOT/w1.ini" >"$TMPROOT/json" 2>/dev/null
check "--json: the function says what it goes with" grep -q '"address": "0000:60:00.1".*"goes_with": "slot of 0000:60:00.0"' "$TMPROOT/json"

# a slot counts once: two NPU1 are two slots, and 61:00.1 (NPU1 too) goes with 61:00.0
plan w2 'NPU1 = 2'
check "two whole slots by model: exit 0" test $st = 0
check "two whole slots by model: four devices, two ports" \
	bash -c "grep -q ', 4 devices$' '$TMPROOT/out' && [ \$(grep -c 'pcie-root-port,id=pcipass.rp' '$TMPROOT/out') = 2 ]"
check "two whole slots by model: 61:00.1 rides on its slot's port" \
	argv_has 'vfio-pci,host=0000:61:00.1,id=hostdev3,bus=pcipass.rp1,addr=00.1'
plan w3 'address = 0000:61:00.1'
check "a function that goes with a lower one, by address: refused (69)" test $st = 69
check "a function that goes with a lower one: the line says whom to ask for" \
	says 'w3.ini:5: 0000:61:00.1 may not be handed out: it goes with 0000:61:00.0, a lower function of its slot (model NPU1: functions = all); ask for that one$'

# the group goes whole: 64:00.0 (no model) shares group 73 with 63:00.0, on a port of its own
plan w4 'address = 0000:63:00.0'
check "a group's other endpoint: exit 0" test $st = 0
check "a group's other endpoint: planned, saying why" \
	grep -qx '    goes whole with the group of 0000:63:00.0 (functions = all)' "$TMPROOT/out"
check "a group's other endpoint: on a root port of its own" \
	argv_has 'vfio-pci,host=0000:64:00.0,id=hostdev1,bus=pcipass.rp1'

# what keeps a function from going: another VM, exclude, the host
hold 0000:60:00.1 other
plan w5 'address = 0000:60:00.0'
check "a function another VM holds: refused (69)" test $st = 69
check "a function another VM holds: named, with the VM" \
	says "0000:60:00.1 goes with 0000:60:00.0, its slot's function (model NPU1: functions = all), but VM other (pid [0-9]*) has it$"
kill "${holders[@]}" 2>/dev/null
wait 2>/dev/null
holders=()
conf 'exclude = 0000:62:00.1'
plan w6 'address = 0000:62:00.0'
check "an excluded function: refused (69)" test $st = 69
check "an excluded function: named" \
	says "0000:62:00.1 goes with 0000:62:00.0, its slot's function (model NPU1: functions = all), but the host's exclude names it$"
conf
echo 1 >"$sysfs/0000:62:00.1/boot_vga"
plan w7 'address = 0000:62:00.0'
check "a function the host uses (boot VGA): refused (69)" test $st = 69
check "a function the host uses: named, with the use" \
	says "0000:62:00.1 goes with 0000:62:00.0, its slot's function (model NPU1: functions = all), but the host uses it (boot VGA); pcipass.conf's allow_host_critical would let it go$"
conf 'allow_host_critical = 0000:62:00.1'
plan w8 'address = 0000:62:00.0'
check "a function the host uses, allowed by allow_host_critical: exit 0" test $st = 0
conf
rm -f "$sysfs/0000:62:00.1/boot_vga"

# without functions = all: today's group rule, a function bound to a host driver blocks
model NPU1 19e5 d801
plan w9 'address = 0000:60:00.0'
check "without functions = all: the group rule refuses (69)" test $st = 69
check "without functions = all: the group rule's line" \
	says '0000:60:00.0: IOMMU group 70 also holds 0000:60:00.1, bound to snd_hda_intel; unbind it or pass it through too$'
model NPU1 19e5 d801 'functions = all'

# --- the health gate (FPGA1: 66:00.0, a device alone) ---
gate() { # gate NAME WANT-STATUS REASON: plan by model and by address; REASON the start of the
	# reason given (fixed text), "" for none
	plan "$1" 'FPGA1 = 1'
	check "$1: by model, exit $2" test $st = "$2"
	[ -z "$3" ] || check "$1: by model, the count and the first reason" \
		says_f "$1.ini:5: 1 FPGA1 asked for, 0 free (1 in all; 1 not to be handed out, first 0000:66:00.0: $3"
	plan "$1a" 'address = 0000:66:00.0'
	check "$1: by address, exit $2" test $st = "$2"
	[ -z "$3" ] || check "$1: by address, the reason" says_f "$1a.ini:5: 0000:66:00.0 may not be handed out: $3"
}
dev=$sysfs/0000:66:00.0
gate healthy 0 ''
: >"$dev/reset_method" # the kernel's empty list
gate noreset 69 "the kernel offers no reset method for it, so it would reach the next VM as this one left it (its model's allow = no-reset passes it)"
rm "$dev/reset_method" "$dev/reset" # neither file: since 5.15, no method
gate noreset-absent 69 'the kernel offers no reset method'
: >"$dev/reset" # reset without reset_method: a kernel before 5.15, method unknown
gate oldkernel 0 ''
rm "$dev/reset"
model FPGA1 10ee 903f 'allow = no-reset'
gate noreset-allowed 0 ''
printf 'flr\n' >"$dev/reset_method"
printf 'D3cold\n' >"$dev/power_state"
gate d3cold 69 "it is powered off (D3cold) (its model's allow = d3cold passes it)"
model FPGA1 10ee 903f 'allow = d3cold'
gate d3cold-allowed 0 ''
printf 'D0\n' >"$dev/power_state"
printf 'TOTAL_ERR_FATAL 0\n' >"$dev/aer_dev_fatal"
printf 'Undefined 0\nTOTAL_ERR_NONFATAL 3\n' >"$dev/aer_dev_nonfatal"
gate aer 69 "it has logged uncorrectable AER errors (0 fatal, 3 non-fatal) (its model's allow = aer passes it)"
model FPGA1 10ee 903f 'allow = aer'
gate aer-allowed 0 ''
model FPGA1 10ee 903f
printf 'TOTAL_ERR_NONFATAL 0\n' >"$dev/aer_dev_nonfatal"
printf 'TOTAL_ERR_COR 99\n' >"$dev/aer_dev_correctable"
gate correctable 0 ''
# hostile contents: binary, huge, no newline
printf 'D\x1b[2J3cold' >"$dev/power_state"
gate power-binary 69 'its power_state cannot be read'
printf 'D0\n' >"$dev/power_state"
head -c 100000 /dev/zero | tr '\0' 'f' >"$dev/reset_method"
gate reset-huge 69 'its reset_method cannot be read'
printf 'flr' >"$dev/reset_method" # the kernel always ends it with a newline
gate reset-no-newline 69 'its reset_method cannot be read'
printf 'flr\n' >"$dev/reset_method"
printf 'TOTAL_ERR_FATAL -5\n' >"$dev/aer_dev_fatal"
gate aer-negative 69 'its aer_dev_fatal cannot be read'
printf 'TOTAL_ERR_FATAL 0\n' >"$dev/aer_dev_fatal"
# the host's console VGA, and pcipass.conf letting it go
echo 1 >"$dev/boot_vga"
gate bootvga 69 "the host uses it (boot VGA); pcipass.conf's allow_host_critical would let it go"
conf 'allow_host_critical = 0000:66:00.0'
gate bootvga-allowed 0 ''
conf
echo 0 >"$dev/boot_vga"
# what the probe found the host using, though not seen at launch: the inventory's word counts
cp "$H/var/inventory.ini" "$TMPROOT/inventory.saved"
sed -i '/^\[0000:66:00.0\]/,/^host_critical/s/^host_critical =.*/host_critical = mounted \/srv/' "$H/var/inventory.ini"
gate inventory-critical 69 "the host uses it (mounted /srv); pcipass.conf's allow_host_critical would let it go"
cp "$TMPROOT/inventory.saved" "$H/var/inventory.ini"
# a reset_method the kernel cannot set
model FPGA1 10ee 903f 'reset_method = bus' 'allow = no-reset'
: >"$dev/reset_method"
gate reset-unsettable 69 "its model's reset_method = bus cannot be set: the kernel has no reset_method for it (before 5.15, or no method)"
printf 'flr\n' >"$dev/reset_method"
plan resetplan 'FPGA1 = 1'
check "reset_method: the plan says it" grep -qx '    reset_method bus before binding (restored at --release)' "$TMPROOT/out"

# --- rombar, romfile ---
model FPGA1 10ee 903f 'rombar = off' 'romfile = fpga.rom'
printf '\x55\xaaROM' >"$H/rom/fpga.rom"
chmod 0644 "$H/rom/fpga.rom"
plan rom 'FPGA1 = 1'
check "romfile: exit 0" test $st = 0
fd=$(sed -n 's/^fd \([0-9]*\) rom ro: ROM of 0000:66:00.0 (sealed copy): rom_dir\/fpga.rom$/\1/p' "$TMPROOT/out")
check "romfile: a read-only descriptor of its own" test -n "$fd"
check "romfile: QEMU reads the copy by descriptor, rombar=0" \
	argv_has "vfio-pci,host=0000:66:00.0,id=hostdev0,bus=pcipass.rp0,rombar=0,romfile=/proc/self/fd/$fd"
check "romfile: no path of the host on the command line" bash -c "! grep -q '$H/rom' '$TMPROOT/out'"
check "romfile: the plan says it" grep -qx '    rom bar off, romfile fpga.rom' "$TMPROOT/out"
romcase() { # romcase NAME STATUS MESSAGE-ERE: the ROM file as the caller left it; the status
	# is the first problem's, which may be one this host has for any launch (host_lacks)
	local lacks
	plan "$1" 'FPGA1 = 1'
	lacks=$(host_lacks "$TMPROOT/$1.ini")
	check "romfile $1: exit $2" test "$st" = "$2" -o "$st" = "${lacks%%:*}"
	check "romfile $1: the line says why" says "romfile $H/rom/fpga.rom: $3"
}
rm "$H/rom/fpga.rom"
romcase missing 66 'no such file$'
ln -s /etc/passwd "$H/rom/fpga.rom"
romcase symlink 77 'expected a regular file, got a symlink$'
rm "$H/rom/fpga.rom"
mkfifo "$H/rom/fpga.rom"
romcase fifo 77 'expected a regular file$'
rm "$H/rom/fpga.rom"
: >"$H/rom/fpga.rom"
romcase empty 65 'expected 1 byte to 16 MiB, got 0 bytes$'
printf 'x' >"$H/rom/fpga.rom"
chmod 0666 "$H/rom/fpga.rom"
romcase writable 78 'refusing it: '
chmod 0644 "$H/rom/fpga.rom"
truncate -s $((16 * 1024 * 1024 + 1)) "$H/rom/fpga.rom"
romcase huge 65 'expected 1 byte to 16 MiB, got 16777217 bytes$'
if [ "$(id -u)" = 0 ] && getent passwd nobody >/dev/null; then
	printf 'x' >"$H/rom/fpga.rom"
	chown nobody "$H/rom/fpga.rom"
	romcase not-roots 78 'refusing it: '
fi

# --- --attach refuses what it does not hot-plug: a whole slot, a ROM file. The running VM is
# played by a sleep whose name lease (pid and start time) says it has a hotplug port: the
# refusal comes before anything of QEMU's is used ---
sleep 300 &
vmpid=$!
holders+=($vmpid)
start=$(sed 's/.*) //' "/proc/$vmpid/stat" | awk '{print $20}') # field 22, after "pid (name) "
mkdir -p "$H/run/vms" && chmod 0700 "$H/run/vms"
printf 'vm=a1\npid=%s\nstart=%s\nmemory=128\nhotplug_slots=1\n' "$vmpid" "$start" >"$H/run/vms/a1.lock"
chmod 0600 "$H/run/vms/a1.lock"
before=$(ls "$H/run/claims" 2>/dev/null)
attach_refused() { # attach_refused WHAT LINE
	if [ "$(id -u)" != 0 ]; then
		skip "--attach of $1: needs root"
		return
	fi
	"$RUN" -c "$CONF" --attach a1 "$1" >/dev/null 2>"$TMPROOT/err"
	st=$?
	check "--attach $1: refused (69)" test $st = 69
	check "--attach $1: one line saying why" test "$(cat "$TMPROOT/err")" = "pcipass-run: $2"
}
model NPU1 19e5 d801 'functions = all'
attach_refused NPU1 "model NPU1 passes whole slots (functions = all), which --attach does not hot-plug; name it in the VM's vm.ini"
model FPGA1 10ee 903f 'romfile = fpga.rom'
attach_refused 0000:66:00.0 "model FPGA1 has a romfile, which QEMU takes at start only; name it in the VM's vm.ini"
check "--attach refused: no claim taken, the devices where they were" \
	test "$(ls "$H/run/claims" 2>/dev/null)|$(cat "$sysfs/0000:60:00.0/driver_override")" = "$before|(null)"
