#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# contrib/ansible across a fleet (issue 14): Debian's ansible-playbook against three hosts, each a
# local connection whose pcipass.conf points at its own fake tree, and ansible-lint clean:
#  - models.yml: a model created on the two hosts named (-l) only, the probe run at once there;
#    a second run changes nothing; a model pcipass-model check refuses never lands (validate:);
#    a model in use is not deleted;
#  - devices.yml: the fleet table and its JSON match each host's pcipass-probe --list --json;
#  - place.yml: a VM placed through pcipass@NAME on the only host that can take it (its devices
#    free, and on one NUMA node for numa = strict), a second run changes nothing, a VM refused
#    when no host has a free device (each host's reason shown, nothing written), a running VM
#    with another definition refused, the VM stopped and its definition removed; a vm.ini is
#    untrusted: a file named otherwise than its [vm] name, and Jinja in its values (which
#    pcipass-run echoes in its messages) reaching Ansible as data, never run.
# No systemd here: each host's PATH leads to a stand-in systemctl that does what pcipass@.service
# does (pcipass-run NAME.ini; --stop, then --release); pcipass-run runs under build/kernelsim.so
# (the kernel's part of binding, and RLIMIT_MEMLOCK, which this root cannot raise), and
# build/qemu-report stands in for QEMU (a paused VM that stays up: the test needs a live
# process holding the claims, not a guest).
. "$(dirname "$0")/lib.sh"

if ! command -v ansible-playbook >/dev/null || ! command -v python3 >/dev/null; then
	skip "contrib/ansible fleet playbooks (ansible-playbook or python3 not installed: Debian package ansible-core)"
	exit 0
fi
root_with_nobody "contrib/ansible fleet playbooks" || exit 0
use_kernelsim
[ -e "$BUILD/qemu-report" ] || make -s -C "$ROOT" BUILD="$BUILD" "$BUILD/qemu-report" >/dev/null
CA=$ROOT/contrib/ansible
A=$TMPROOT/fleet
mkdir -p "$A/host_vars"
ansible_sandbox "$A"
export ANSIBLE_PIPELINING=1
trap 'for f in "$TMPROOT"/h?/run/fake-*.pid; do [ -e "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null; done; rm -rf "$TMPROOT"' EXIT

# h1: two Atlas-800 NPUs on nodes 0 and 1 and an Alveo FPGA; h2: two NPUs, both on node 1;
# h3: the FPGA only.
cat >"$TMPROOT/h1.host" <<'HOST'
0000:00:00.0  0600  8086:2020  8086:0000  0   0  -
0000:3b:00.0  1200  19e5:d801  19e5:0100  17  0  -
0000:af:00.0  1200  19e5:d801  19e5:0100  42  1  -
0000:d8:00.0  1200  10ee:903f  10ee:0007  55  1  -
HOST
cat >"$TMPROOT/h2.host" <<'HOST'
0000:00:00.0  0600  8086:2020  8086:0000  0   0  -
0000:86:00.0  1200  19e5:d801  19e5:0100  30  1  -
0000:87:00.0  1200  19e5:d801  19e5:0100  31  1  -
HOST
cat >"$TMPROOT/h3.host" <<'HOST'
0000:00:00.0  0600  8086:2020  8086:0000  0   0  -
0000:d8:00.0  1200  10ee:903f  10ee:0007  55  1  -
HOST
PY=$(command -v /usr/bin/python3 || command -v python3)
printf '[pcipass]\nh1\nh2\nh3\n' >"$A/hosts"
i=0
for h in h1 h2 h3; do
	mkhost "$h" "$TMPROOT/$h.host" >/dev/null || { failt "mkhost $h"; exit 1; }
	chmod -R u+w "$H/sys"
	for n in 0 1; do mkdir -p "$H/sys/devices/system/node/node$n" && echo "$n" >"$H/sys/devices/system/node/node$n/cpulist"; done
	mkdir -p "$H/bin" "$H/etc/vms"
	# uids of their own: a VM here never shares one with another test's
	printf 'qemu = %s\nvm_groups = nogroup\ndynamic_ids = %d-%d\n' "$BUILD/qemu-report" \
		$((1879060000 + i * 100)) $((1879060099 + i * 100)) >>"$CONF"
	i=$((i + 1))
	ln -s "$PROBE" "$H/bin/pcipass-probe"
	ln -s "$MODEL" "$H/bin/pcipass-model"
	cat >"$H/bin/pcipass-run" <<EOF
#!/bin/sh
LD_PRELOAD=$SIM PCIPASS_SIM_SYSFS=$H/sys PCIPASS_SIM_DEV=$H/dev PCIPASS_SIM_MEMLOCK=1 exec $BUILD/pcipass-run "\$@"
EOF
	# systemctl, for pcipass@NAME only: what contrib/pcipass@.service runs
	cat >"$H/bin/systemctl" <<EOF
#!/bin/bash
echo "\$*" >>$H/run/systemctl.log
unit=\${2%.service}
name=\${unit#pcipass@}
[ "\$unit" != "\$name" ] || { echo "systemctl stand-in: only pcipass@NAME, not \$*" >&2; exit 1; }
case \$1 in
show)
	if $H/bin/pcipass-run -c $CONF --status "\$name" >/dev/null 2>&1; then s=active; else s=inactive; fi
	printf 'Id=%s.service\nLoadState=loaded\nActiveState=%s\nSubState=%s\nUnitFileState=static\n' "\$unit" \$s \$s ;;
start)
	setsid $H/bin/pcipass-run -c $CONF $H/etc/vms/"\$name".ini </dev/null >>$H/run/"\$name".log 2>&1 &
	echo \$! >$H/run/fake-"\$name".pid ;;
stop)
	$H/bin/pcipass-run -c $CONF --stop "\$name" --timeout 2 >>$H/run/"\$name".log 2>&1
	$H/bin/pcipass-run -c $CONF --release >>$H/run/"\$name".log 2>&1 ;;
*) echo "systemctl stand-in: \$1 is not played" >&2; exit 1 ;;
esac
EOF
	chmod 755 "$H/bin/pcipass-run" "$H/bin/systemctl"
	chmod -R go-w "$H"
	cat >"$A/host_vars/$h.yml" <<EOF
ansible_connection: local
ansible_python_interpreter: $PY
ansible_become: false
pcipass_bin: $H/bin
pcipass_config: $CONF
pcipass_models_dir: $H/etc/models.d
pcipass_inventory: $H/var/inventory.ini
pcipass_vms_dir: $H/etc/vms
pcipass_environment:
  PATH: $H/bin:/usr/sbin:/usr/bin:/sbin:/bin
EOF
	"$PROBE" -c "$CONF" -q || failt "first probe of $h"
done
T=$TMPROOT

# play NAME PLAYBOOK ARGS...: ansible-playbook, output in $A/NAME; its status
play() {
	local name=$1 pb=$2
	shift 2
	(cd "$A" && ansible-playbook -i hosts "$CA/$pb" "$@") >"$A/$name" 2>&1
}
show() { sed 's/^/#   /' "$1"; }
# recap OUT HOST CHANGED FAILED
recap() { grep -qE "^$2 +: ok=[0-9]+ +changed=$3 +unreachable=0 +failed=$4 " "$1"; }
export -f recap
sums() { for h in h1 h2 h3; do tree_sum "$T/$h/etc"; tree_sum "$T/$h/var"; done; }
claims() { ls "$T/$1/run/claims" 2>/dev/null | tr '\n' ' '; }
runs_on() { # runs_on NAME: the hosts where pcipass-run --status NAME finds it
	local h
	for h in h1 h2 h3; do
		"$T/$h/bin/pcipass-run" -c "$T/$h/etc/pcipass.conf" --status "$1" >/dev/null 2>&1 && printf '%s ' "$h"
	done
}

SECONDS=0
echo "# $(ansible --version 2>&1 | head -n 1)"
for pb in models devices place install; do
	ansible-playbook -i "$A/hosts" --syntax-check "$CA/$pb.yml" >"$A/syntax-$pb" 2>&1
	checkout "$A/syntax-$pb" "ansible-playbook --syntax-check $pb.yml" test $? = 0
done
if command -v ansible-lint >/dev/null; then
	mkdir -p "$A/lint-home"
	(cd "$CA" && HOME=$A/lint-home ANSIBLE_HOME=$A/lint-home/.ansible \
		ansible-lint --offline --nocolor models.yml devices.yml place.yml install.yml pcipass.yml) >"$A/lint" 2>&1
	checkout "$A/lint" "ansible-lint contrib/ansible (every playbook): no violation" test $? = 0
else
	skip "ansible-lint of contrib/ansible (Debian package ansible-lint not installed)"
fi

# --- models.yml: on two of three hosts ---
ATLAS=(-e model=Atlas-800 -e dev_type=NPU -e vendor_id=19e5 -e device_id=d801)
inv3=$(tree_sum "$T/h3/var")
play models1 models.yml -l h1,h2 "${ATLAS[@]}"
checkout "$A/models1" "models.yml -l h1,h2: exit 0, h1 and h2 changed" \
	bash -c "recap '$A/models1' h1 2 0 && recap '$A/models1' h2 2 0 && ! grep -q '^h3 ' '$A/models1'"
check "models.yml -l h1,h2: Atlas-800.conf on h1 and h2 (root, 0644), none on h3" \
	bash -c "[ \"\$(stat -c '%U %a' '$T/h1/etc/models.d/Atlas-800.conf' '$T/h2/etc/models.d/Atlas-800.conf')\" = \$'root 644\nroot 644' ] && [ -z \"\$(ls -A '$T/h3/etc/models.d')\" ]"
check "models.yml: the probe ran at once: h1 and h2 inventory two NPUs each, h3 untouched" \
	bash -c "[ \"\$(grep -c '^model *= Atlas-800' '$T/h1/var/inventory.ini') \$(grep -c '^model *= Atlas-800' '$T/h2/var/inventory.ini')\" = '2 2' ] && [ '$(tree_sum "$T/h3/var")' = '$inv3' ]"
checkout "$A/models1" "models.yml: each host says its devices of the model" \
	grep -q '"msg": "Atlas-800: present; 2 devices: 0000:86:00.0 0000:87:00.0"' "$A/models1"
play models2 models.yml -l h1,h2 "${ATLAS[@]}"
checkout "$A/models2" "models.yml again: changed=0 on both" bash -c "recap '$A/models2' h1 0 0 && recap '$A/models2' h2 0 0"

before=$(sums)
play models-bad models.yml -l h1 -e model=Other -e dev_type=NPU -e vendor_id=19e5 -e device_id=d801
checkout "$A/models-bad" "a model overlapping Atlas-800: refused by pcipass-model check (validate:), the run fails" \
	bash -c "[ \$(grep -c 'failed: *\[h1\]\|fatal: \[h1\]' '$A/models-bad') -ge 1 ] && recap '$A/models-bad' h1 0 1 && grep -q 'Atlas-800' '$A/models-bad'"
play models-gpu models.yml -l h1 -e model=Card -e dev_type=GPU -e vendor_id=10de -e device_id=2330
checkout "$A/models-gpu" "a model of a built-in type: refused, the run fails" recap "$A/models-gpu" h1 0 1
play models-num models.yml -l h1 -e '{"model": "Card", "dev_type": "NPU", "vendor_id": 6630, "device_id": "d801"}'
checkout "$A/models-num" "an ID given as a number: refused before writing" \
	bash -c "recap '$A/models-num' h1 0 1 && grep -q 'quoted strings of four hex digits' '$A/models-num'"
check "refused models: models.d and the inventories untouched" test "$(sums)" = "$before"

# --- devices.yml: the fleet table ---
# fleet.py EXPECTED|CHECK OUT JSON: the table devices.yml must print, made from each host's
# pcipass-probe --list --json (lists/hN.json), against what it printed and wrote
cat >"$A/fleet.py" <<'EOF'
import json, re, sys
out, fleet_json, lists = sys.argv[1], sys.argv[2], sys.argv[3:]
rows = []
for path in lists:
    host = path.rsplit("/", 1)[1][:-5]
    for d in json.load(open(path))["devices"]:
        state = "claimed" if d["state"] == "claimed" else ("free" if d["released"] else "unreleased")
        rows.append({"host": host, "address": d["address"], "model": d["model"], "dev_type": d["dev_type"],
                     "numa_node": d["numa_node"], "state": state, "vm": d["vm"], "pid": d["pid"]})
hosts = [p.rsplit("/", 1)[1][:-5] for p in lists]
w = max([4] + [len(h) for h in hosts])
f = "%-*s  %-12s  %-20s  %4s  %-10s  %s"
want = [f % (w, "HOST", "ADDRESS", "MODEL", "NUMA", "STATE", "VM")]
want += [f % (w, r["host"], r["address"], r["model"], r["numa_node"], r["state"], r["vm"] or "-") for r in rows]
for h in hosts:
    m = [r for r in rows if r["host"] == h]
    n = lambda s: len([r for r in m if r["state"] == s])
    want.append("%s: %d devices, %d free, %d claimed, %d unreleased" % (h, len(m), n("free"), n("claimed"), n("unreleased")))
text = open(out).read()
got = re.search(r'"msg": \[\n(.*?)\n\s*\]', text, re.S)
got = [json.loads(l.strip().rstrip(",")) for l in got.group(1).split("\n")] if got else []
ok = True
if got != want:
    print("table printed:", *got, "expected:", *want, sep="\n")
    ok = False
fj = json.load(open(fleet_json))
if fj != {"hosts": hosts, "devices": rows}:
    print("fleet JSON:", json.dumps(fj), "expected:", json.dumps({"hosts": hosts, "devices": rows}), sep="\n")
    ok = False
print("rows", len(rows), " ".join(sorted(set(r["state"] for r in rows))))
sys.exit(0 if ok else 1)
EOF
# fleet NAME CHANGED: devices.yml, and its table and JSON against each host's --list --json
# now; CHANGED: 1 when the JSON is to be written anew (on h1, the first host), else 0
fleet() {
	local h
	play "$1" devices.yml
	mkdir -p "$A/lists"
	for h in h1 h2 h3; do "$PROBE" -c "$T/$h/etc/pcipass.conf" --list --json >"$A/lists/$h.json"; done
	checkout "$A/$1" "devices.yml ($1): exit 0, changed=$2 (the JSON file) on h1, 0 elsewhere" \
		bash -c "recap '$A/$1' h1 $2 0 && recap '$A/$1' h2 0 0 && recap '$A/$1' h3 0 0"
	if python3 "$A/fleet.py" "$A/$1" "$A/pcipass-fleet.json" "$A/lists/h1.json" "$A/lists/h2.json" "$A/lists/h3.json" >"$A/$1.check" 2>&1; then
		pass "devices.yml ($1): the table and ./pcipass-fleet.json match each host's --list --json ($(tail -n 1 "$A/$1.check"))"
	else
		failt "devices.yml ($1): the table and ./pcipass-fleet.json match each host's --list --json"
		show "$A/$1.check"
	fi
}
fleet devices-free 1
fleet devices-again 0
check "devices.yml: 4 devices, h1's and h2's NPUs (h3's FPGA is no model's)" \
	bash -c "[ \$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))[\"devices\"]))' '$A/pcipass-fleet.json') = 4 ]"

# --- place.yml ---
vm() { # vm NAME LINE...: $A/NAME.ini, a paused TCG VM with those lines in [vm] or after
	local name=$1
	shift
	printf '[vm]\nname = %s\nmemory = 128M\naccel = tcg\npaused = true\n' "$name" >"$A/$name.ini"
	printf '%s\n' "$@" >>"$A/$name.ini"
}
# Two NPUs on one node: h1's two are on nodes 0 and 1, h3 has none: only h2 can.
vm duo 'numa = strict' '[devices]' 'Atlas-800 = 2'
play place-duo place.yml -e vm=duo.ini
checkout "$A/place-duo" "place.yml duo (2 NPUs, numa = strict): placed on h2, the only host that can" \
	bash -c "recap '$A/place-duo' h2 2 0 && [ '$(runs_on duo)' = 'h2 ' ] && grep -q '\"msg\": \"vm duo runs on h2: ' '$A/place-duo'"
check "place.yml duo: through pcipass@duo, its vm.ini in h2's vms dir only" \
	bash -c "grep -qx 'start pcipass@duo' '$T/h2/run/systemctl.log' && cmp -s '$A/duo.ini' '$T/h2/etc/vms/duo.ini' && [ ! -e '$T/h1/etc/vms/duo.ini' ] && [ ! -e '$T/h3/etc/vms/duo.ini' ]"
check "place.yml duo: h2's two NPUs claimed" test "$(claims h2)" = "0000:86:00.0 0000:87:00.0 "
check "place.yml duo: no temporary left" bash -c "! ls -d '${TMPDIR:-/tmp}'/ansible.*.pcipass /tmp/ansible.*.pcipass >/dev/null 2>&1"
play place-duo2 place.yml -e vm=duo.ini
checkout "$A/place-duo2" "place.yml duo again: changed=0, it runs on h2" \
	bash -c "recap '$A/place-duo2' h1 0 0 && recap '$A/place-duo2' h2 0 0 && recap '$A/place-duo2' h3 0 0 && grep -q '\"msg\": \"vm duo runs on h2\"' '$A/place-duo2'"

# Two NPUs anywhere: h2's are taken now, so only h1.
vm pair '[devices]' 'Atlas-800 = 2'
play place-pair place.yml -e vm=pair.ini
checkout "$A/place-pair" "place.yml pair (2 NPUs): placed on h1, the only host with free ones" \
	bash -c "recap '$A/place-pair' h1 2 0 && [ '$(runs_on pair)' = 'h1 ' ]"
fleet devices-claimed 1

# No host has a free NPU: refused, each host's reason, nothing written.
before=$(sums)
vm one '[devices]' 'Atlas-800 = 1'
play place-none place.yml -e vm=one.ini
st=$?
checkout "$A/place-none" "place.yml one (1 NPU, none free): refused, naming every host's reason" \
	bash -c "[ $st != 0 ] && grep -q 'vm one: no host can launch it now; h1: .*Atlas-800.*; h2: .*Atlas-800.*; h3: .*Atlas-800' '$A/place-none'"
check "place.yml one: refused: nothing started, written or claimed" \
	bash -c "[ -z '$(runs_on one)' ] && [ '$(sums)' = '$before' ] && ! grep -q 'pcipass@one' '$T'/h?/run/systemctl.log"

# Another definition under a running VM's name
vm duo 'numa = strict' '[devices]' 'Atlas-800 = 1'
play place-other place.yml -e vm=duo.ini
checkout "$A/place-other" "place.yml: a running VM's name with another definition: refused, the VM left alone" \
	bash -c "recap '$A/place-other' h2 0 1 && grep -q 'vm duo runs on h2 with another definition' '$A/place-other' && [ '$(runs_on duo)' = 'h2 ' ] && [ '$(claims h2)' = '0000:86:00.0 0000:87:00.0 ' ]"

# An untrusted vm.ini: its [vm] name is not its file's; Jinja in a value pcipass-run echoes
vm badname '[devices]' 'Atlas-800 = 1'
sed -i 's/^name = badname$/name = duo/' "$A/badname.ini"
play place-badname place.yml -e vm=badname.ini
st=$?
checkout "$A/place-badname" "place.yml: a vm.ini whose [vm] name is not its file's: refused on every host" \
	bash -c "[ $st != 0 ] && grep -q 'h1: its \[vm\] name is duo, its file badname.ini' '$A/place-badname' && [ -z '$(runs_on badname)' ]"
vm jinja "machine = {{ lookup('pipe', 'touch $A/pwned') }}" '[devices]' 'Atlas-800 = 1'
play place-jinja place.yml -e vm=jinja.ini
checkout "$A/place-jinja" "place.yml: Jinja in a vm.ini value reaches Ansible as text, never run" \
	bash -c "[ ! -e '$A/pwned' ] && grep -q \"lookup('pipe'\" '$A/place-jinja'"

# A host that cannot say whether the VM runs there: nothing placed anywhere, though any other
# host could take this VM (it has no devices)
vm nodev
chmod g+w "$T/h3/etc/pcipass.conf"
play place-mute place.yml -e vm=nodev.ini
st=$?
chmod g-w "$T/h3/etc/pcipass.conf"
checkout "$A/place-mute" "place.yml: a host whose pcipass refuses its configuration: refused, nothing started" \
	bash -c "[ $st != 0 ] && grep -q 'vm nodev: not placed or stopped: h3 could not say whether it runs there' '$A/place-mute' && [ -z '$(runs_on nodev)' ]"

# --- stop ---
play stop-duo place.yml -e vm=duo -e state=absent
checkout "$A/stop-duo" "place.yml state=absent: pcipass@duo stopped on h2, its vm.ini removed, its NPUs released" \
	bash -c "recap '$A/stop-duo' h2 2 0 && [ -z '$(runs_on duo)' ] && [ ! -e '$T/h2/etc/vms/duo.ini' ] && [ -z '$(claims h2)' ] && grep -qx 'stop pcipass@duo' '$T/h2/run/systemctl.log'"
play stop-duo2 place.yml -e vm=duo -e state=absent
checkout "$A/stop-duo2" "place.yml state=absent again: changed=0" \
	bash -c "recap '$A/stop-duo2' h1 0 0 && recap '$A/stop-duo2' h2 0 0 && recap '$A/stop-duo2' h3 0 0"

# A model in use is not deleted; a free one is, with the probe
play models-del models.yml -l h1 -e model=Atlas-800 -e state=absent
checkout "$A/models-del" "models.yml state=absent while VM pair holds h1's NPUs: refused, the file stays" \
	bash -c "recap '$A/models-del' h1 0 1 && grep -q 'is in use' '$A/models-del' && [ -e '$T/h1/etc/models.d/Atlas-800.conf' ]"
play models-del2 models.yml -l h2 -e model=Atlas-800 -e state=absent
checkout "$A/models-del2" "models.yml state=absent on h2 (free): deleted, the inventory without NPUs" \
	bash -c "recap '$A/models-del2' h2 1 0 && [ ! -e '$T/h2/etc/models.d/Atlas-800.conf' ] && ! grep -q '^model *= Atlas-800' '$T/h2/var/inventory.ini'"
play stop-pair place.yml -e vm=pair -e state=absent
checkout "$A/stop-pair" "place.yml state=absent: pair stopped on h1" bash -c "recap '$A/stop-pair' h1 2 0 && [ -z '$(claims h1)' ]"

check "nothing written in HOME" test -z "$(ls -A "$A/home")"
echo "# t-fleet: ${SECONDS} s"
