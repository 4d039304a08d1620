#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vm.ini numa = strict|prefer|any and hugepages = 2M|1G (launcher/numa.c, vm.ini(5)):
#  - --dry-run on the example host given two NUMA nodes (a fake sysfs): the node chosen and why,
#    the devices all from it, QEMU's memory backend, -numa and pxb-pcie (golden); prefer's
#    fallback said; strict and a short hugepage pool refused in one line; nothing written;
#  - QEMU's own -sandbox (pcipass-run's argument) refuses QEMU sched_setaffinity, so the binding
#    pcipass-run gives it stays (a preloaded probe, tests/affprobe.c);
#  - as root, the real QEMU (TCG) on this host's node 0, its memory of 2M pages reserved for the
#    test: every thread on node 0's CPUs, the guest RAM bound to node 0 in huge pages (/proc).
. "$(dirname "$0")/lib.sh"

RUN=$BUILD/pcipass-run
mkhost numa "$ROOT/conf/example-host.txt" || { failt "mkhost"; exit 1; }
ok_run "create Atlas-800" $MODEL -c "$CONF" create Atlas-800 NPU 19e5 d801
ok_run "create Alveo-U50" $MODEL -c "$CONF" create Alveo-U50 FPGA 10ee 903f
ok_run "probe" $PROBE -c "$CONF" -q
# The example host is two sockets: NPU 3b:00.0 on node 0; NPU af:00.0 and FPGA d8:00.0 on node 1.
# Node 0: CPUs 0-3, 100 free 2M pages, no 1G; node 1: CPUs 4-7, 2000 2M and 4 1G pages.
N=$H/sys/devices/system/node
chmod -R u+w "$H/sys"
for n in 0 1; do
	mkdir -p "$N/node$n/hugepages/hugepages-2048kB" "$N/node$n/hugepages/hugepages-1048576kB"
done
mkdir -p "$H/sys/kernel/mm/hugepages/hugepages-2048kB" "$H/sys/kernel/mm/hugepages/hugepages-1048576kB"
echo 0-3 >"$N/node0/cpulist"
echo 4-7 >"$N/node1/cpulist"
echo 100 >"$N/node0/hugepages/hugepages-2048kB/free_hugepages"
echo 0 >"$N/node0/hugepages/hugepages-1048576kB/free_hugepages"
echo 2000 >"$N/node1/hugepages/hugepages-2048kB/free_hugepages"
echo 4 >"$N/node1/hugepages/hugepages-1048576kB/free_hugepages"
echo 2100 >"$H/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages"
echo 4 >"$H/sys/kernel/mm/hugepages/hugepages-1048576kB/free_hugepages"
mkdir -p "$H/bin"
install -m 0755 /bin/true "$H/bin/qemu-system-x86_64"
chmod -R go-w "$H/sys" "$H/bin"
G=$TMPROOT/good.conf
printf '%s\nqemu = %s\n' "$(cat "$CONF")" "$H/bin/qemu-system-x86_64" >"$G"
chmod 644 "$G"
before=$(tree_sum "$H")

# plan_ok NAME VM.INI: --dry-run finds no problem but what this host lacks, and its plan is
# tests/golden/NAME (the identity line, which depends on what else runs here, left out)
plan_ok() {
	local got
	$RUN -c "$G" --dry-run "$2" >"$TMPROOT/out" 2>"$TMPROOT/err"
	got=$?
	check "$1: exit $got, no problem but what this host lacks ($(host_lacks "$2"))" preflight_clean "$2" $got "$TMPROOT/err" ||
		sed 's/^/#   /' "$TMPROOT/err"
	sed -i '/^identity: /d' "$TMPROOT/out"
	golden "$1" "$TMPROOT/out"
}
vm() { # vm NAME LINE...: $TMPROOT/NAME.ini, one line each
	local name=$1
	shift
	printf '%s\n' "$@" >"$TMPROOT/$name.ini"
}

# strict, no node given: the only node with a free NPU and FPGA both is 1
vm strict '[vm]' 'name = numa-1' 'memory = 1G' 'cpus = 2' 'accel = tcg' 'numa = strict' \
	'[devices]' 'Atlas-800 = 1' 'Alveo-U50 = 1'
plan_ok numa-dry-strict "$TMPROOT/strict.ini"
check "strict: both devices from node 1, on root ports of the node's pxb-pcie" bash -c \
	"grep -q '0000:af:00.0.*numa 1 ' '$TMPROOT/out' && grep -q '0000:d8:00.0.*numa 1 ' '$TMPROOT/out' &&
	 [ \$(grep -c -- '-device pcie-root-port,.*,bus=pcipass.pxb0' '$TMPROOT/out') = 2 ]"
# hugepages: node 0 has a free NPU but 100 2M pages of the 512 1G needs; node 1 fits
vm huge '[vm]' 'name = numa-2' 'memory = 1G' 'accel = tcg' 'numa = strict' 'hugepages = 2M' \
	'[devices]' 'Atlas-800 = 1'
plan_ok numa-dry-strict-huge "$TMPROOT/huge.ini"
check "strict + 2M: the NPU of node 1 (node 0 lacks pages), memory hugetlb on node 1" bash -c \
	"grep -q '^  0000:af:00.0' '$TMPROOT/out' &&
	 grep -q -- '-object memory-backend-memfd,id=pcipass.ram,size=1024M,hugetlb=on,hugetlbsize=2M,prealloc=on,host-nodes=1,policy=bind' '$TMPROOT/out'"
if command -v jq >/dev/null; then
	$RUN -c "$G" --dry-run --json "$TMPROOT/huge.ini" >"$TMPROOT/huge.json" 2>/dev/null
	check "--json: numa policy, node, hugepages and pages" test \
		"$(jq -c '.numa | [.policy, .node, .fell_back, .hugepages, .pages]' "$TMPROOT/huge.json")" = '["strict",1,false,"2M",512]'
else
	skip "--dry-run --json numa fields: jq not installed"
fi
# prefer: two NPUs are on two nodes; it falls back, and says which node it wanted and why not
vm prefer '[vm]' 'name = numa-3' 'memory = 1G' 'accel = tcg' 'numa = prefer' '[devices]' 'Atlas-800 = 2'
plan_ok numa-dry-prefer "$TMPROOT/prefer.ini"
check "prefer, fallen back: both NPUs, nothing bound, no guest NUMA node" bash -c \
	"grep -q '^  0000:3b:00.0' '$TMPROOT/out' && grep -q '^  0000:af:00.0' '$TMPROOT/out' &&
	 ! grep -q -- '-numa\|pcipass.ram\|pxb' '$TMPROOT/out'"
# strict: refused in one line naming each node's reason
vm strict2 '[vm]' 'name = numa-4' 'memory = 1G' 'accel = tcg' 'numa = strict' '[devices]' 'Atlas-800 = 2'
expect_fail numa-strict-none 69 $RUN -c "$G" --dry-run "$TMPROOT/strict2.ini"
vm node0 '[vm]' 'name = numa-5' 'memory = 1G' 'accel = tcg' 'numa = strict' 'numa_node = 0' \
	'[devices]' 'Alveo-U50 = 1'
expect_fail numa-strict-node0 69 $RUN -c "$G" --dry-run "$TMPROOT/node0.ini"
# hugepages without numa: the host's pool, the machine's RAM a hugetlb memfd, nothing bound
vm anyhuge '[vm]' 'name = numa-6' 'memory = 4G' 'accel = tcg' 'hugepages = 1G'
plan_ok numa-dry-huge-any "$TMPROOT/anyhuge.ini"
cp "$TMPROOT/out" "$TMPROOT/anyhuge.out"
check "hugepages = 1G, numa = any: the machine's RAM a hugetlb memfd, not bound" bash -c \
	"grep -q -- '-machine q35,accel=tcg,memory-backend=pcipass.ram' '$TMPROOT/out' &&
	 grep -q -- '-object memory-backend-memfd,id=pcipass.ram,size=4096M,hugetlb=on,hugetlbsize=1G,prealloc=on' '$TMPROOT/out' &&
	 ! grep -q -- 'host-nodes\|-numa\|pxb' '$TMPROOT/out'"
vm short '[vm]' 'name = numa-7' 'memory = 8G' 'accel = tcg' 'hugepages = 1G'
expect_fail numa-huge-short 69 $RUN -c "$G" --dry-run "$TMPROOT/short.ini"
check "the node and hugepage files are read, never written (the tree as before)" test "$(tree_sum "$H")" = "$before"

# QEMU's own sandbox, as pcipass-run asks for it, refuses QEMU sched_setaffinity: the binding
# pcipass-run sets before exec stays, for the vCPU threads too (the filter is on every thread).
sandbox=$(sed -n 's/^    -sandbox \(.*\) \\$/\1/p' "$TMPROOT/anyhuge.out")
if ! command -v qemu-system-x86_64 >/dev/null; then
	skip "QEMU's sandbox against sched_setaffinity: qemu-system-x86_64 not installed"
elif [ -z "$sandbox" ]; then
	failt "the dry-run's argv has a -sandbox"
else
	for rc in deny allow; do
		rm -f "$TMPROOT/aff.$rc"
		AFFPROBE_OUT=$TMPROOT/aff.$rc LD_PRELOAD=$BUILD/affprobe.so timeout 30 qemu-system-x86_64 \
			-machine q35,accel=tcg -m 64 -nodefaults -display none -S -monitor none -serial none \
			-sandbox "${sandbox/resourcecontrol=deny/resourcecontrol=$rc}" 2>/dev/null &
		q=$!
		for _ in $(seq 600); do [ -s "$TMPROOT/aff.$rc" ] && break; sleep 0.1; done
		kill $q 2>/dev/null
		wait $q 2>/dev/null
	done
	check "QEMU under pcipass-run's -sandbox: sched_setaffinity refused (EPERM)" \
		grep -qx 'filters=1 sched_setaffinity=Operation not permitted' "$TMPROOT/aff.deny"
	check "control: with resourcecontrol=allow the same probe moves QEMU" \
		grep -qx 'filters=1 sched_setaffinity=0' "$TMPROOT/aff.allow"
fi

# The real thing: this host's node 0, 2M pages reserved for the test and given back after.
real_launch() {
	local hp=/sys/kernel/mm/hugepages/hugepages-2048kB node0=/sys/devices/system/node/node0
	local free0 cpus one R C
	root_with_nobody "a real launch bound to node 0" || return
	if ! command -v qemu-system-x86_64 >/dev/null || ! command -v python3 >/dev/null; then
		skip "a real launch bound to node 0: needs qemu-system-x86_64 and python3"
		return
	fi
	if [ ! -r "$node0/cpulist" ] || [ ! -w "$hp/nr_hugepages" ]; then
		skip "a real launch bound to node 0: no node 0 in /sys, or $hp/nr_hugepages not writable"
		return
	fi
	NR0=$(cat "$hp/nr_hugepages") # given back at exit, whatever happens
	trap 'echo "$NR0" >'"$hp"'/nr_hugepages; rm -rf "$TMPROOT"' EXIT
	echo $((NR0 + 96)) >"$hp/nr_hugepages" 2>/dev/null
	free0=$(cat "$node0/hugepages/hugepages-2048kB/free_hugepages")
	if [ "$free0" -lt 64 ]; then
		skip "a real launch bound to node 0: could not reserve 64 2M pages on node 0 (free: $free0)"
		return
	fi
	cpus=$(cat "$node0/cpulist")
	one=${cpus%%[-,]*} # started on one CPU of node 0 only: the binding widens it to the node
	R=$TMPROOT/real
	mkdir -p "$R/run"
	C=$R/pcipass.conf
	printf '[host]\nsysfs_root = /sys\nstate_dir = %s\nqemu = %s\nvm_groups = nogroup\n' "$R/run" \
		"$(command -v qemu-system-x86_64)" >"$C"
	chmod -R go-w "$R"
	# launch NAME POLICY: pcipass-run under taskset -c $one, paused, 128M of 2M pages; what QEMU's
	# threads and memory look like in $TMPROOT/NAME.proc
	launch() {
		printf '[vm]\nname = %s\nmemory = 128M\ncpus = 2\naccel = tcg\npaused = true\nnuma = %s\nhugepages = 2M\n' \
			"$1" "$2" >"$TMPROOT/$1.ini"
		taskset -c "$one" "$RUN" -c "$C" "$TMPROOT/$1.ini" >/dev/null 2>"$TMPROOT/$1.err" &
		local pid=$!
		python3 - "$R/run/vms/$1.qmp" "$pid" "$node0" >"$TMPROOT/$1.proc" 2>&1 <<'PY'
import glob, json, socket, sys, time
s = socket.socket(socket.AF_UNIX)
for _ in range(200):
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
pid = sys.argv[2]  # pcipass-run's pid became QEMU's
for t in sorted(glob.glob("/proc/%s/task/*" % pid)):
    name = open(t + "/comm").read().strip()
    cpus = [l.split()[1] for l in open(t + "/status") if l.startswith("Cpus_allowed_list")][0]
    print("thread %s cpus %s" % (name.replace(" ", "_"), cpus))
for l in open("/proc/%s/numa_maps" % pid):
    if "huge" in l:
        print("huge", l.strip())
print("free_node0", open(sys.argv[3] + "/hugepages/hugepages-2048kB/free_hugepages").read().strip())
ask("quit")
PY
		wait $pid
		echo "exit $?" >>"$TMPROOT/$1.proc"
	}
	launch bound strict
	check "real, numa = strict: QEMU ran and quit (exit 0)" grep -qx 'exit 0' "$TMPROOT/bound.proc" ||
		sed 's/^/#   /' "$TMPROOT/bound.err" "$TMPROOT/bound.proc"
	check "real, numa = strict: the log names node 0 and the CPUs it got ($cpus)" bash -c \
		"grep -q 'numa = strict: node 0 ' '$TMPROOT/bound.err' && grep -q 'bound to node 0: CPUs $cpus\$' '$TMPROOT/bound.err'"
	check "real, numa = strict: every QEMU thread on node 0's CPUs ($cpus), started on CPU $one" bash -c \
		"[ \$(grep -c '^thread ' '$TMPROOT/bound.proc') -gt 2 ] && ! grep '^thread ' '$TMPROOT/bound.proc' | grep -qv ' cpus $cpus\$'"
	check "real, numa = strict: the vCPU threads among them (CPU 0/TCG, CPU 1/TCG)" bash -c \
		"grep -qx 'thread CPU_0/TCG cpus $cpus' '$TMPROOT/bound.proc' && grep -qx 'thread CPU_1/TCG cpus $cpus' '$TMPROOT/bound.proc'"
	check "real, numa = strict: guest RAM bound to node 0, 64 huge pages there (numa_maps)" \
		grep -Eq '^huge [0-9a-f]+ bind:0 .*huge.* N0=64 kernelpagesize_kB=2048' "$TMPROOT/bound.proc"
	check "real, numa = strict: node 0's free 2M pages down by the 64 (preallocated)" \
		test "$(sed -n 's/^free_node0 //p' "$TMPROOT/bound.proc")" -le $((free0 - 64))
	launch unbound any
	check "real, numa = any: QEMU ran and quit (exit 0)" grep -qx 'exit 0' "$TMPROOT/unbound.proc" ||
		sed 's/^/#   /' "$TMPROOT/unbound.err" "$TMPROOT/unbound.proc"
	check "real, numa = any (control): QEMU keeps the CPU it was started on ($one)" bash -c \
		"grep -qx 'thread CPU_0/TCG cpus $one' '$TMPROOT/unbound.proc'"
	check "real, numa = any + 2M: huge pages, no binding (default policy)" \
		grep -Eq '^huge [0-9a-f]+ default .*huge.* kernelpagesize_kB=2048' "$TMPROOT/unbound.proc"
	check "the launches left the pool as reserved (pcipass-run writes no hugepage file)" \
		test "$(cat "$hp/nr_hugepages")" = $((NR0 + 96))
	echo "$NR0" >"$hp/nr_hugepages"
}
real_launch
