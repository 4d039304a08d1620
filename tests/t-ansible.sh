#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# contrib/ansible with Debian's ansible-core: the playbook's syntax (t-fleet.sh lints every
# playbook, this one too); then real runs against localhost (connection local) on a fake host:
# the models land in models.d (root, 0644) and pass pcipass-model check, the probe writes the
# inventory, setup reads it back as the local fact ansible_local.pcipass (SPEC: "the inventory
# itself is valid as an Ansible local fact"), a second run changes nothing; a refused model
# leaves models.d and the inventory as they were; a changed model reaches the facts in the same
# run; a disabled host passes.
# Nothing is written outside $TMPROOT: HOME, ANSIBLE_HOME and Ansible's temporaries point there.
. "$(dirname "$0")/lib.sh"

if ! command -v ansible-playbook >/dev/null || ! command -v ansible >/dev/null; then
	skip "contrib/ansible (ansible-playbook not installed: Debian package ansible-core)"
	exit 0
fi
if ! command -v python3 >/dev/null; then
	skip "contrib/ansible (no python3)"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	skip "contrib/ansible (the role installs models owned by root: run as root)"
	exit 0
fi
PLAYBOOK=$ROOT/contrib/ansible/pcipass.yml
A=$TMPROOT/ansible
FACTS=$A/facts.d
ansible_sandbox "$A"
cat >"$A/hosts" <<EOF
[pcipass]
localhost ansible_connection=local ansible_python_interpreter=$(command -v /usr/bin/python3 || command -v python3)
EOF
ver=$(ansible --version 2>&1)
echo "# ${ver%%$'\n'*}"

mkhost ans "$ROOT/conf/example-host.txt" || { failt "mkhost"; exit 1; }
INV=$H/var/inventory.ini
# vars FILE [MODEL LINE...]: the role's variables for host $H, and its models
vars() {
	local f=$1
	shift
	cat >"$f" <<EOF
ansible_become: false
pcipass_bin: $BUILD
pcipass_config: $CONF
pcipass_models_dir: $H/etc/models.d
pcipass_inventory: $INV
pcipass_fact_path: $FACTS
pcipass_models:
EOF
	printf '  - %s\n' "$@" >>"$f"
}
ATLAS='{name: Atlas-800, dev_type: NPU, vendor_id: "19e5", device_id: "d801", expect: 2}'
ALVEO='{name: Alveo-U50, dev_type: FPGA, vendor_id: "10ee", device_id: "903f", subsystem: "10ee:0007", expect: 1}'
vars "$A/vars.yml" "$ATLAS" "$ALVEO"
# play VARS OUT: run the playbook on the fake host; its status
play() { ansible-playbook -i "$A/hosts" -e "@$1" "$PLAYBOOK" >"$2" 2>&1; }
# recap OUT CHANGED FAILED: the play recap of localhost says so
recap() { grep -qE "^localhost +: ok=[0-9]+ +changed=$2 +unreachable=0 +failed=$3 " "$1"; }
show() { sed 's/^/#   /' "$1"; }
# nodevice OUT: the play showed no device
nodevice() { ! grep -q '"msg": "0000:' "$1"; }

SECONDS=0
ansible-playbook -i "$A/hosts" --syntax-check "$PLAYBOOK" >"$A/syntax" 2>&1
checkout "$A/syntax" "ansible-playbook --syntax-check contrib/ansible/pcipass.yml" test $? = 0
# (ansible-lint of every playbook, this one included: tests/t-fleet.sh)

# --- first run: models pushed, probe, fact link, facts read back ---
play "$A/vars.yml" "$A/run1"
st=$?
checkout "$A/run1" "first run: exit 0, nothing failed" bash -c "[ $st = 0 ] && grep -qE '^localhost +: .* failed=0 ' '$A/run1'"
check "first run: no warning from Ansible" bash -c "! grep -q WARNING '$A/run1'"
check "first run: the probe ran as the handler of the changed models" \
	grep -q '^RUNNING HANDLER \[pcipass : Run pcipass-probe\]' "$A/run1"
for m in Atlas-800 Alveo-U50; do
	check "$m.conf in models.d: root, 0644" \
		test "$(stat -c '%U %G %a' "$H/etc/models.d/$m.conf" 2>&1)" = "root root 644"
done
check "no backup or temporary left in models.d" \
	test "$(ls -A "$H/etc/models.d" | tr '\n' ' ')" = "Alveo-U50.conf Atlas-800.conf "
golden ansible-model-Alveo-U50 "$H/etc/models.d/Alveo-U50.conf"
"$MODEL" -c "$CONF" list >"$A/list" 2>&1
golden ansible-model-list "$A/list"
check "the probe wrote the inventory: the NPUs and the FPGA" \
	test "$(sed -n 's/^\[\(0000:[^]]*\)\]$/\1/p' "$INV" 2>/dev/null | tr '\n' ' ')" = "0000:3b:00.0 0000:af:00.0 0000:d8:00.0 "
check "the fact is a link to the inventory" test "$(readlink "$FACTS/pcipass.fact")" = "$INV"
check "the play shows the devices from ansible_local.pcipass" \
	grep -q '"msg": "0000:af:00.0 Atlas-800 (NPU, 19e5:d801) numa 1 group 42 driver -"' "$A/run1"

# --- the facts, as setup reads them, against what pcipass-probe --list --json says ---
ansible -i "$A/hosts" localhost -m setup -a "fact_path=$FACTS filter=ansible_local" >"$A/facts" 2>&1
"$PROBE" -c "$CONF" --list --json >"$A/list.json"
# facts.py MODE: what the facts hold (fact) or the same from --list --json (list), flattened
cat >"$A/facts.py" <<'EOF'
import json, sys
mode, facts_out, list_json = sys.argv[1:4]
if mode == "fact":
    s = open(facts_out).read()
    f = json.loads(s[s.index("{"):])["ansible_facts"]["ansible_local"]["pcipass"]
    host = f.pop("host")
    devs = f
else:
    l = json.load(open(list_json))
    host = {"devices": len(l["devices"]), "disabled": l["disabled"], "generated": l["generated"]}
    keys = ("model", "dev_type", "vendor_id", "device_id", "numa_node", "iommu_group", "driver")
    devs = {d["address"]: {k: d[k] for k in keys} for d in l["devices"]}
def s(v):
    return str(v).lower() if isinstance(v, bool) else str(v)
for k in sorted(host):
    print("host", k, s(host[k]))
for a in sorted(devs):
    for k in ("model", "dev_type", "vendor_id", "device_id", "numa_node", "iommu_group", "driver"):
        print(a, k, s(devs[a][k]))
if mode == "fact":
    print("NPU", *[a for a in sorted(devs) if devs[a]["dev_type"] == "NPU" and devs[a]["model"] == "Atlas-800"])
EOF
if python3 "$A/facts.py" fact "$A/facts" "" >"$A/facts.flat" 2>"$A/facts.err"; then
	check "setup reads the inventory: the two NPUs, model Atlas-800" \
		grep -qx 'NPU 0000:3b:00.0 0000:af:00.0' "$A/facts.flat"
	check "setup reads the inventory: [host] devices = 3, disabled = false" \
		bash -c "grep -qx 'host devices 3' '$A/facts.flat' && grep -qx 'host disabled false' '$A/facts.flat'"
	check "setup reads the inventory: driver = (empty) is an empty string" \
		grep -qx '0000:3b:00.0 driver ' "$A/facts.flat"
	python3 "$A/facts.py" list "" "$A/list.json" >"$A/list.flat"
	check "setup reads every device and value that pcipass-probe --list --json shows" \
		cmp -s <(grep -v '^NPU ' "$A/facts.flat") "$A/list.flat"
else
	failt "setup's output holds no ansible_local.pcipass"
	show "$A/facts"
	show "$A/facts.err"
fi

# --- second run: nothing to change, the inventory not rewritten ---
before=$(stat -c '%i %y' "$INV")
play "$A/vars.yml" "$A/run2"
checkout "$A/run2" "second run: changed=0 (idempotent)" recap "$A/run2" 0 0
check "second run: the probe did not run" bash -c "! grep -q '^RUNNING HANDLER' '$A/run2'"
check "second run: the inventory untouched" test "$(stat -c '%i %y' "$INV")" = "$before"

# --- refused models: models.d as it was, no probe, the run fails naming the file ---
sum_models=$(tree_sum "$H/etc/models.d")
sum_var=$(tree_sum "$H/var")
vars "$A/bad-id.yml" "$ATLAS" '{name: Alveo-U50, dev_type: FPGA, vendor_id: 0x10ee, device_id: "903f"}'
play "$A/bad-id.yml" "$A/run-bad-id"
check "an unquoted ID (YAML reads 0x10ee as 4334): refused before writing" \
	bash -c "[ $? = 2 ] && grep -q 'quoted strings of four hex digits' '$A/run-bad-id'"
vars "$A/bad-name.yml" "$ATLAS" '{name: ../../escape, dev_type: FPGA, vendor_id: "10ee", device_id: "903f"}'
play "$A/bad-name.yml" "$A/run-bad-name"
check "a model name that is a path: refused before writing" \
	bash -c "[ $? = 2 ] && [ ! -e '$H/escape.conf' ] && grep -q 'name is 1-64 of' '$A/run-bad-name'"
check "refused before writing: models.d and the inventory untouched" \
	test "$(tree_sum "$H/etc/models.d") $(tree_sum "$H/var")" = "$sum_models $sum_var"
# a changed file (Alveo-U50 now a built-in type) and a new one (Dup overlaps Atlas-800)
vars "$A/bad.yml" "$ATLAS" "${ALVEO/FPGA/GPU}" '{name: Dup, dev_type: NPU, vendor_id: "19e5", device_id: "d801"}'
play "$A/bad.yml" "$A/run-bad"
st=$?
check "refused by pcipass-model check: the run fails with its message" \
	bash -c "[ $st != 0 ] && grep -q 'Alveo-U50.conf:3: dev_type: .*GPU.* is a built-in passthrough type' '$A/run-bad'"
check "refused: the changed file put back, the new one removed, no backup left" \
	test "$(tree_sum "$H/etc/models.d")" = "$sum_models"
check "refused: the probe did not run, the inventory untouched" \
	bash -c "[ '$(tree_sum "$H/var")' = '$sum_var' ] && ! grep -q '^RUNNING HANDLER' '$A/run-bad'"

# --- a changed model reaches the facts in the same run ---
vars "$A/accel.yml" "$ATLAS" "${ALVEO/FPGA/ACCEL}"
play "$A/accel.yml" "$A/run-accel"
check "model changed: the probe ran, the play shows the new dev_type" \
	bash -c "grep -q '^RUNNING HANDLER' '$A/run-accel' && grep -q '\"msg\": \"0000:d8:00.0 Alveo-U50 (ACCEL, 10ee:903f)' '$A/run-accel'"
check "model changed: the inventory has it" grep -q '^dev_type    = ACCEL$' "$INV"
play "$A/accel.yml" "$A/run-accel2"
checkout "$A/run-accel2" "model changed, run again: changed=0" recap "$A/run-accel2" 0 0

# --- an expectation the host does not meet fails the run; a disabled host passes ---
vars "$A/three.yml" "${ATLAS/expect: 2/expect: 3}" "${ALVEO/FPGA/ACCEL}"
play "$A/three.yml" "$A/run-three"
check "2 NPUs where 3 are expected: the run fails and says so" \
	bash -c "[ $? = 2 ] && grep -q 'Atlas-800: 2 devices in .*, expected 3' '$A/run-three'"
printf 'disable_custom_device = true\n' >>"$CONF"
"$PROBE" -c "$CONF" -q
play "$A/three.yml" "$A/run-disabled"
checkout "$A/run-disabled" "disabled host: the run passes, changed=0" recap "$A/run-disabled" 0 0
check "disabled host: no device shown" nodevice "$A/run-disabled"

check "nothing written in HOME (ANSIBLE_HOME and the temporaries point elsewhere)" \
	test -z "$(ls -A "$A/home")"
echo "# t-ansible: ${SECONDS} s for 10 ansible-playbook runs and one ansible -m setup"

# --- a driver name with % ---
# A sysfs link name may hold any byte but '/'. Ansible's fact reader is Python's ConfigParser
# with its default interpolation, for which % starts a reference: one % in any value made setup
# drop ansible_local entirely (every .fact file, without a warning), and pcipass's own reader
# refused the same inventory. The probe now refuses to record such a name, and keeps the last
# good inventory.
mkhost odd "$ROOT/conf/example-host.txt" || { failt "mkhost odd"; exit 1; }
"$MODEL" -c "$CONF" create Atlas-800 NPU 19e5 d801 >/dev/null
"$PROBE" -c "$CONF" -q
before=$(stat -c '%i %Y' "$H/var/inventory.ini")
ln -sfn '../../../bus/pci/drivers/we%rd' "$H/sys/devices/pci0000:00/0000:3b:00.0/driver"
"$PROBE" -c "$CONF" -q 2>"$TMPROOT/odd.err"
check "a driver name with %: the probe refuses it (65), one line naming device and driver" \
	bash -c "test $? = 65 && test \$(wc -l <'$TMPROOT/odd.err') = 1 && grep -q '0000:3b:00.0: driver name \"we%rd\"' '$TMPROOT/odd.err'"
check "a driver name with %: the inventory is left as it was" \
	test "$(stat -c '%i %Y' "$H/var/inventory.ini")" = "$before"
mkdir -p "$A/odd.d" && ln -sfn "$H/var/inventory.ini" "$A/odd.d/pcipass.fact"
ansible -i "$A/hosts" localhost -m setup -a "fact_path=$A/odd.d filter=ansible_local" >"$A/odd" 2>&1
check "a driver name with %: setup still reads the inventory" grep -q '"0000:af:00.0"' "$A/odd"
check "a driver name with %: --list reads what the probe wrote" \
	bash -c "'$PROBE' -c '$CONF' --list >/dev/null"
