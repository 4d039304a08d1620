#!/usr/bin/env bash
# pcipass-model: every model rule, on the command line and in hand-written files, with its
# exact message (tests/golden/model-*), its exit status, and nothing changed on refusal.
. "$(dirname "$0")/lib.sh"

mkhost m "$ROOT/conf/example-host.txt" || { failt "mkhost"; exit 1; }
M="$MODEL -c $CONF"
D=$H/etc/models.d

# --- create: what is accepted, and what is written ---
$M create Atlas-800 npu 0x19E5 0XD801 >"$TMPROOT/out" && golden model-create-out "$TMPROOT/out"
golden model-create-file "$D/Atlas-800.conf"
check "create: file mode 0644" test "$(stat -c %a "$D/Atlas-800.conf")" = 644
check "create: no temporary left" test "$(find "$D" -name '.Atlas*' | wc -l)" = 0
check "create: subsystem variant of the same ids is fine" \
	bash -c "$M create Atlas-800-B NPU 19e5 d801 --subsystem 19E5:0x0200 >/dev/null"
golden model-create-subsys-file "$D/Atlas-800-B.conf"

# --- create: every rule broken, each refused with one line, and nothing changed ---
before=$(tree_sum "$H")
refuse() { # refuse NAME STATUS ARGS...
	local name=$1 st=$2
	shift 2
	expect_fail "model-$name" "$st" $M "$@"
}
refuse name-empty 64 create "" NPU 19e5 d802
refuse name-long 64 create "$(printf 'a%.0s' {1..65})" NPU 19e5 d802
refuse name-space 64 create "a b" NPU 19e5 d802
refuse name-slash 64 create "a/b" NPU 19e5 d802
refuse name-dots 64 create ".." NPU 19e5 d802
refuse name-dot 64 create .hidden NPU 19e5 d802
refuse name-dash 64 create -- -opt NPU 19e5 d802
refuse name-unicode 64 create "Atlås" NPU 19e5 d802
refuse type-gpu 64 create X GPU 19e5 d802
refuse type-gpu-lower 64 create X gpu 19e5 d802
for t in GPU-HPC gpu-vga SRIOV-VGPU legacy-vgpu USB nic NVME-PT; do
	$M create X "$t" 19e5 d802 >/dev/null 2>"$TMPROOT/err"
	check "type $t refused (64)" test $? = 64
done
refuse type-long 64 create X "$(printf 'A%.0s' {1..33})" 19e5 d802
refuse type-punct 64 create X "N.P.U" 19e5 d802
refuse vendor-short 64 create X NPU 19e d802
refuse vendor-long 64 create X NPU 19e55 d802
refuse vendor-hex 64 create X NPU 19g5 d802
refuse device-0x 64 create X NPU 19e5 0x
refuse subsys-bad 64 create X NPU 19e5 d802 --subsystem 19e5
refuse dup-name 65 create Atlas-800 NPU 19e5 d802
refuse dup-name-case 65 create ATLAS-800 NPU 19e5 d802
refuse dup-match 65 create Other NPU 19e5 d801
refuse dup-match-subsys 65 create Other NPU 19e5 d801 --subsystem 19e5:0200
refuse args-few 64 create X NPU 19e5
refuse args-many 64 create X NPU 19e5 d802 extra
refuse option-unknown 64 create --force X NPU 19e5 d802
refuse option-wrong-cmd 64 list --probe
refuse no-command 64
check "refused creates changed nothing" test "$(tree_sum "$H")" = "$before"

# never overwrites, even a hand-written file of the same name holding another model
printf '[Handmade]\ndev_type = FPGA\nvendor_id = 10ee\ndevice_id = 903f\n' >"$D/Foo.conf"
chmod 644 "$D/Foo.conf"
before=$(tree_sum "$H")
refuse overwrite 73 create Foo CRYPTO 8086 37c8
check "existing file untouched" test "$(tree_sum "$H")" = "$before"
rm "$D/Foo.conf"

# --- hand-written files: every violation found by check (and by the probe) with file:line ---
bad() { # bad NAME TEXT: a models.d holding Atlas-800 plus a file bad.conf with TEXT
	local name=$1
	printf '%b' "$2" >"$D/bad.conf"
	chmod 644 "$D/bad.conf"
	expect_fail "model-file-$name" 65 $M check
	rm -f "$D/bad.conf"
}
bad name '[bad name]\ndev_type = NPU\n'
bad key '[X]\ndev_type = NPU\nvendor_id = 1234\ndevice_id = 0001\ncolour = red\n'
bad dupkey '[X]\ndev_type = NPU\ndev_type = FPGA\n'
bad missing '; comment\n\n[X]\ndev_type = NPU\nvendor_id = 1234\n'
bad halfsub '[X]\ndev_type = NPU\nvendor_id = 1234\ndevice_id = 0001\nsubsystem_device_id = 0002\n'
bad hex '[X]\ndev_type = NPU\nvendor_id = 12345\n'
bad longline "[X]\n; $(printf 'x%.0s' {1..200})\ndev_type = NPU\n"
bad indented '[X]\ndev_type = NPU\nvendor_id = 1234\ndevice_id = 0001\n    subsystem_vendor_id\n'
bad control '[X]\ndev_type = N\001PU\n'
bad outside 'dev_type = NPU\n[X]\n'
bad builtin '[X]\ndev_type = Nvme-Pt\nvendor_id = 1234\ndevice_id = 0001\n'
bad samename '[atlas-800]\ndev_type = NPU\nvendor_id = 1234\ndevice_id = 0001\n'
bad samematch '[Twin]\ndev_type = ACCEL\nvendor_id = 19e5\ndevice_id = d801\n'
printf '[X]\ndev_type = NPU\nvendor_id = 1234\n' >"$D/bad.conf"
chmod 644 "$D/bad.conf"
expect_fail model-probe-badfile 65 $PROBE -c "$CONF" -q
rm "$D/bad.conf"

# a multi-model file is valid; other names and hidden files are not read
printf '[P]\ndev_type=crypto\nvendor_id=8086\ndevice_id=37c8\n\n[Q]\ndev_type=FPGA\nvendor_id=10ee\ndevice_id=903f\n' >"$D/multi.conf"
printf 'junk\n' >"$D/notes.txt"
printf 'junk\n' >"$D/.swap.conf"
printf 'junk\n' >"$D/old.conf.dpkg-old"
chmod 644 "$D"/*
$M check >"$TMPROOT/out" 2>&1 && golden model-check-ok "$TMPROOT/out"

# unsafe owner or mode: refused (78) like sshd's StrictModes
chmod 664 "$D/multi.conf"
expect_fail model-file-groupwritable 78 $M check
chmod 644 "$D/multi.conf"
chmod 775 "$D"
expect_fail model-dir-groupwritable 78 $M check
chmod 755 "$D"
if [ "$(id -u)" = 0 ]; then
	chown 1234 "$D/multi.conf"
	expect_fail model-file-owner 78 $M check
	chown 0 "$D/multi.conf"
else
	skip "model file owned by another user (needs root to chown)"
fi

# --- list ---
$M list >"$TMPROOT/out" && golden model-list "$TMPROOT/out"
$M list --json >"$TMPROOT/out" && golden model-list-json "$TMPROOT/out"
if command -v python3 >/dev/null; then
	check "list --json is valid JSON" python3 -m json.tool "$TMPROOT/out" >/dev/null
else
	skip "list --json validity (no python3)"
fi

# --- delete ---
expect_fail model-delete-unknown 66 $M delete Nope
expect_fail model-delete-multi 65 $M delete P
$PROBE -c "$CONF" -q
"$BUILD/claimhold" "$H/run" 0000:3b:00.0 worker-1 Atlas-800 >"$TMPROOT/hold" &
holder=$!
for _ in $(seq 50); do grep -q held "$TMPROOT/hold" && break; sleep 0.1; done
before=$(tree_sum "$H/etc")
expect_fail model-delete-inuse 75 $M delete Atlas-800
check "in-use model kept" test "$(tree_sum "$H/etc")" = "$before"
kill $holder
wait $holder 2>/dev/null
# a claim without model= is mapped through the inventory
"$BUILD/claimhold" "$H/run" 0000:af:00.0 worker-2 >"$TMPROOT/hold" &
holder=$!
for _ in $(seq 50); do grep -q held "$TMPROOT/hold" && break; sleep 0.1; done
expect_fail model-delete-inuse-inventory 75 $M delete Atlas-800
kill $holder
wait $holder 2>/dev/null
$M delete --probe Atlas-800 >"$TMPROOT/out" && golden model-delete-out "$TMPROOT/out"
check "deleted file is gone" test ! -e "$D/Atlas-800.conf"
check "the probe followed: no Atlas-800 left in the inventory" \
	bash -c "! grep -q 'model *= Atlas-800$' '$H/var/inventory.ini'"
$M create --probe Atlas-800 NPU 19e5 d801 >/dev/null
check "create --probe: inventory has the model again" grep -q 'model *= Atlas-800$' "$H/var/inventory.ini"
