#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# pcipass-model: every model rule, on the command line and in hand-written files, with its
# exact message (tests/golden/model-*), its exit status, and nothing changed on refusal.
# `check MODEL_FILE` (Ansible's validate=) on the same rules, and through a real Ansible task.
. "$(dirname "$0")/lib.sh"

# Claim holders (build/claimhold) still running when the script ends are ours to stop.
holders=()
trap 'for p in "${holders[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$TMPROOT"' EXIT

mkhost m "$ROOT/conf/example-host.txt" || { failt "mkhost"; exit 1; }
M="$MODEL -c $CONF"
D=$H/etc/models.d

# refuse NAME STATUS ARGS...: pcipass-model ARGS fails with STATUS and the one line of
# tests/golden/model-NAME, and the host (models.d, inventory, claims, sysfs) is unchanged.
refuse() {
	local name=$1 st=$2 before
	shift 2
	before=$(tree_sum "$H")
	expect_fail "model-$name" "$st" $M "$@"
	check "model-$name: nothing changed" test "$(tree_sum "$H")" = "$before"
}
# names_arg NAME STATUS WORD ARGS...: pcipass-model ARGS fails with STATUS, one line on stderr
# that quotes WORD, nothing on stdout. (For bugs whose right wording is the lead's to choose.)
names_arg() {
	local name=$1 st=$2 word=$3 got
	shift 3
	$M "$@" >"$TMPROOT/out" 2>"$TMPROOT/err"
	got=$?
	if [ "$got" = "$st" ] && [ "$(wc -l <"$TMPROOT/err")" = 1 ] && [ ! -s "$TMPROOT/out" ] &&
		grep -qF "\"$word\"" "$TMPROOT/err"; then
		pass "$name"
	else
		failt "$name: exit $got (expected $st), stderr: $(cat "$TMPROOT/err")"
	fi
}
# no_temporaries: models.d holds no temporary of atomic_create (.NAME.conf.XXXXXX).
no_temporaries() { [ -z "$(find "$D" -mindepth 1 -name '.*.??????')" ]; }

# --- create: what is accepted, and what is written ---
expect_ok model-create-out $M create Atlas-800 npu 0x19E5 0XD801
golden model-create-file "$D/Atlas-800.conf"
check "create: file mode 0644" test "$(stat -c %a "$D/Atlas-800.conf")" = 644
check "create: no temporary left in models.d" no_temporaries
check "create: subsystem variant of the same ids is fine (plain and narrowed coexist)" \
	bash -c "$M create Atlas-800-B NPU 19e5 d801 --subsystem 19E5:0x0200 >/dev/null"
golden model-create-subsys-file "$D/Atlas-800-B.conf"
check "create: --subsystem before the arguments (GNU option order)" \
	bash -c "$M create --subsystem 19e5:0300 Atlas-800-C NPU 19e5 d801 >/dev/null"
check "create: a third subsystem of the same ids is fine too" \
	test "$(sed -n 's/^subsystem_device_id = //p' "$D/Atlas-800-C.conf")" = 0300
long_name=$(printf 'n%.0s' {1..64})
long_type=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123_-
check "create: 64-character name and 32-character DEV_TYPE accepted" \
	bash -c "$M create $long_name $long_type 1234 0001 >/dev/null"
ok_run "list, the long model" $M list
check "create: the long model is listed with its type" grep -q "^$long_name  $long_type " "$TMPROOT/out"
check "delete: a single-model file is removed" bash -c "$M delete $long_name >/dev/null"
check "delete: its file is gone" test ! -e "$D/$long_name.conf"
check "create, delete: no temporary left in models.d" no_temporaries

# --- create: every rule broken, each refused with one line, and nothing changed ---
refuse name-empty 64 create "" NPU 19e5 d802
refuse name-long 64 create "$(printf 'a%.0s' {1..65})" NPU 19e5 d802
refuse name-space 64 create "a b" NPU 19e5 d802
refuse name-slash 64 create "a/b" NPU 19e5 d802
refuse name-dots 64 create ".." NPU 19e5 d802
refuse name-dot 64 create .hidden NPU 19e5 d802
refuse name-dash 64 create -- -opt NPU 19e5 d802
refuse name-unicode 64 create "Atlås" NPU 19e5 d802
refuse name-control 64 create "$(printf 'a\tb')" NPU 19e5 d802
# Without `--`, getopt takes -opt for options: the one line must name what it could not use.
names_arg "create -opt without --: the message names \"-opt\"" 64 -opt create -opt NPU 19e5 d802
refuse type-gpu 64 create X GPU 19e5 d802
refuse type-gpu-lower 64 create X gpu 19e5 d802
refuse type-nvme-mixed 64 create X Nvme-Pt 19e5 d802
for t in GPU-HPC gpu-vga SRIOV-VGPU legacy-vgpu USB nic NVME-PT; do
	$M create X "$t" 19e5 d802 >/dev/null 2>"$TMPROOT/err"
	check "create: built-in type $t refused (64)" test $? = 64
done
refuse type-empty 64 create X "" 19e5 d802
refuse type-long 64 create X "$(printf 'A%.0s' {1..33})" 19e5 d802
refuse type-punct 64 create X "N.P.U" 19e5 d802
refuse type-space 64 create X "N PU" 19e5 d802
refuse vendor-short 64 create X NPU 19e d802
refuse vendor-long 64 create X NPU 19e55 d802
refuse vendor-hex 64 create X NPU 19g5 d802
refuse vendor-0x-short 64 create X NPU 0x19e d802
refuse vendor-empty 64 create X NPU "" d802
refuse device-0x 64 create X NPU 19e5 0x
refuse device-long 64 create X NPU 19e5 0x0d802
refuse subsys-bad 64 create X NPU 19e5 d802 --subsystem 19e5
refuse subsys-hex 64 create X NPU 19e5 d802 --subsystem 19e5:01z0
refuse subsys-empty-half 64 create X NPU 19e5 d802 --subsystem :0100
refuse subsys-missing 64 create X NPU 19e5 d802 --subsystem
refuse dup-name 65 create Atlas-800 NPU 19e5 d802
refuse dup-name-case 65 create ATLAS-800 NPU 19e5 d802
refuse dup-match 65 create Other NPU 19e5 d801
refuse dup-match-subsys 65 create Other NPU 19e5 d801 --subsystem 19e5:0200
refuse args-none 64 create
refuse args-few 64 create X NPU 19e5
refuse args-many 64 create X NPU 19e5 d802 extra
refuse delete-args-none 64 delete
refuse delete-args-many 64 delete A B
refuse list-args 64 list extra
refuse command-unknown 64 remove Atlas-800
refuse option-unknown 64 create --force X NPU 19e5 d802
refuse option-wrong-cmd 64 list --probe
refuse option-json-create 64 create --json X NPU 19e5 d802
refuse option-json-check 64 check --json
refuse option-subsys-delete 64 delete --subsystem 19e5:0100 Atlas-800
refuse option-probe-check 64 check --probe
refuse no-command 64
check "refusals: no temporary left in models.d" no_temporaries

# never overwrites, even a hand-written file of the same name holding another model
printf '[Handmade]\ndev_type = FPGA\nvendor_id = 10ee\ndevice_id = 903f\n' >"$D/Foo.conf"
chmod 644 "$D/Foo.conf"
refuse overwrite 73 create Foo CRYPTO 8086 37c8
# ...and delete finds a model by its [section], whatever its file is called
check "delete: a model in a file named otherwise" bash -c "$M delete Handmade >/dev/null"
check "delete: that file (Foo.conf) is gone" test ! -e "$D/Foo.conf"

# a broken hand-written file stops create too (the new model is checked against all of them)
printf '[Broken]\ndev_type = NPU\n' >"$D/broken.conf"
chmod 644 "$D/broken.conf"
refuse create-beside-broken 65 create Fine CRYPTO 8086 37c8
rm "$D/broken.conf"

# Two creates at once go one after the other (the models.d lock): of eight creates with the
# same ids exactly one wins, and of eight with the same name exactly one wins.
race() { # race PATTERN: eight creates at once, argument i=1..8 put in PATTERN; prints how many succeeded
	local i ok=0 pids=()
	for i in 1 2 3 4 5 6 7 8; do
		$M create $(printf "$1" "$i") >/dev/null 2>&1 &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i" && ok=$((ok + 1)); done
	echo $ok
}
check "eight racing creates of the same ids: exactly one succeeds" \
	test "$(race 'Race%s NPU 1111 2222')" = 1
check "eight racing creates of the same name: exactly one succeeds" \
	test "$(race 'Racer NPU 1111 33%s0')" = 1
check "the races left two models, all valid" \
	bash -c "[ \$(ls '$D' | grep -c '^Race') = 2 ] && $M check >/dev/null"
check "the races left no temporary" no_temporaries
rm -f "$D"/Race*.conf

# --- hand-written files: every violation found by check and by the probe, with file:line ---
ok_run "probe" $PROBE -c "$CONF" -q # the inventory and its lock exist: a refused probe must change neither
bad() { # bad NAME TEXT [STATUS]: models.d holding the models above plus bad.conf with TEXT
	local name=$1 st=${3:-65} before
	printf '%b' "$2" >"$D/bad.conf"
	chmod 644 "$D/bad.conf"
	before=$(tree_sum "$H")
	expect_fail "model-file-$name" "$st" $M check
	expect_fail "model-file-$name.probe" "$st" $PROBE -c "$CONF" -q
	check "model-file-$name: nothing changed" test "$(tree_sum "$H")" = "$before"
	rm -f "$D/bad.conf"
}
X='[X]\ndev_type = NPU\nvendor_id = 1234\ndevice_id = 0001\n' # a valid model
bad name '[bad name]\ndev_type = NPU\n'
bad name-empty '[]\ndev_type = NPU\n'
bad name-dot '[.X]\ndev_type = NPU\n'
bad name-long "[$(printf 'a%.0s' {1..65})]\ndev_type = NPU\n"
bad section-open '[X\ndev_type = NPU\n'
bad section-junk '[X] NPU\ndev_type = NPU\n'
bad key "${X}colour = red\n"
bad key-case '[X]\nDEV_TYPE = NPU\n'
bad key-empty '[X]\n= NPU\n'
bad key-comment '[X]\nvendor_id ;old = 1234\n'
bad dupkey '[X]\ndev_type = NPU\ndev_type = FPGA\n'
bad missing '; comment\n\n[X]\ndev_type = NPU\nvendor_id = 1234\n'
bad missing-type '[X]\nvendor_id = 1234\ndevice_id = 0001\n\n'
bad missing-all "${X}\n[Y]\n"
bad halfsub "${X}subsystem_device_id = 0002\n"
bad halfsub-vendor "${X}subsystem_vendor_id = 0002\n"
bad hex '[X]\ndev_type = NPU\nvendor_id = 12345\n'
bad hex-empty '[X]\ndev_type = NPU\nvendor_id =\n'
bad hex-subsys "${X}subsystem_vendor_id = 1\nsubsystem_device_id = 0002\n"
bad type-punct '[X]\ndev_type = "NPU"\n'
bad type-inline '[X]\ndev_type = NPU;old\n'
bad longline "[X]\n; $(printf 'x%.0s' {1..200})\ndev_type = NPU\n"
bad longline-198 "[X]\n;$(printf 'x%.0s' {1..197})\ndev_type = NPU\n"
bad type-long "[X]\ndev_type = $(printf 'A%.0s' {1..100})\n"
bad indented "${X}    subsystem_vendor_id\n"
bad control '[X]\ndev_type = N\001PU\n'
bad nul '[X]\ndev_type = N\000PU\n'
bad del '[X]\ndev_type = NPU\x7f\n'
bad outside 'dev_type = NPU\n[X]\n'
bad builtin '[X]\ndev_type = Nvme-Pt\nvendor_id = 1234\ndevice_id = 0001\n'
bad twice-in-file "${X}${X}"
bad samename '[atlas-800]\ndev_type = NPU\nvendor_id = 1234\ndevice_id = 0001\n'
bad samename-exact '[Atlas-800]\ndev_type = NPU\nvendor_id = 1234\ndevice_id = 0001\n'
bad samematch '[Twin]\ndev_type = ACCEL\nvendor_id = 19e5\ndevice_id = d801\n'
bad samematch-subsys '[Twin]\ndev_type = ACCEL\nvendor_id = 19E5\ndevice_id = 0xd801\nsubsystem_vendor_id = 19e5\nsubsystem_device_id = 0200\n'
# a line of exactly 197 bytes (the most Debian's inih takes whole) is fine
printf '[X]\n;%s\ndev_type = NPU\nvendor_id = 1234\ndevice_id = 0001\n' "$(printf 'x%.0s' {1..196})" >"$D/edge.conf"
chmod 644 "$D/edge.conf"
check "a line of 197 bytes is accepted" bash -c "$M check >/dev/null"
rm "$D/edge.conf"

# what is not a readable regular file
before=$(tree_sum "$H")
mkdir "$D/dir.conf"
expect_fail model-file-directory 65 $M check
rmdir "$D/dir.conf"
ln -s "$TMPROOT/nowhere" "$D/dangling.conf"
expect_fail model-file-dangling 66 $M check
rm "$D/dangling.conf"
check "not-a-file cases: nothing changed" test "$(tree_sum "$H")" = "$before"
# over 32 MiB: refused before it is parsed
head -c $((32 * 1024 * 1024 + 1)) /dev/zero | tr '\0' '\n' >"$D/huge.conf"
chmod 644 "$D/huge.conf"
expect_fail model-file-huge 65 $M check
rm "$D/huge.conf"
# more than MODELS_MAX (4096) models: refused, and the place is named (SPEC: every violation
# names its file and line)
# (the models already in $D count too: the first one over the limit is [M(4096 - had)])
ok_run "list, before the 4097 models" $M list
had=$(tail -n +2 "$TMPROOT/out" | wc -l)
awk 'BEGIN { for (i = 0; i < 4097; i++) printf "[M%d]\ndev_type = NPU\nvendor_id = 1234\ndevice_id = %04x\n", i, i }' >"$D/many.conf"
chmod 644 "$D/many.conf"
$M check >/dev/null 2>"$TMPROOT/err"
st=$?
check "4097 models: refused with 65" test "$st" = 65
check "4097 models: the message names the first section over the limit ($had models before)" \
	grep -qF "many.conf:$(((4096 - had) * 4 + 1)): [M$((4096 - had))]: more than 4096 models" "$TMPROOT/err"
rm "$D/many.conf"

# a multi-model file is valid (and so are CRLF, a BOM, `:`, 0x ids and inline comments);
# other names and hidden files are not read
printf '[P]\ndev_type=crypto\nvendor_id=8086\ndevice_id=37c8\n\n[Q]\ndev_type=FPGA\nvendor_id=10ee\ndevice_id=903f\n' >"$D/multi.conf"
printf '\357\273\277; from Windows\r\n[R]\r\n  dev_type : capture\r\nvendor_id = 0x1CD7 ; inline comment\r\n\tdevice_id = 0X0010\r\n' >"$D/crlf.conf"
printf 'junk\n' >"$D/notes.txt"
printf 'junk\n' >"$D/.swap.conf"
printf 'junk\n' >"$D/old.conf.dpkg-old"
printf 'junk\n' >"$D/UPPER.CONF"
: >"$D/empty.conf"
chmod 644 "$D"/* "$D"/.swap.conf
expect_ok model-check-ok $M check
$PROBE -c "$CONF" -q
check "the probe reads the same models.d" test $? = 0

# unsafe owner or mode: refused (78) like sshd's StrictModes, by check, create and the probe
unsafe() { # unsafe NAME CMD...: refused with 78 and nothing changed
	local name=$1 before
	shift
	before=$(tree_sum "$H")
	expect_fail "$name" 78 "$@"
	check "$name: nothing changed" test "$(tree_sum "$H")" = "$before"
}
chmod 664 "$D/multi.conf"
unsafe model-file-groupwritable $M check
unsafe model-file-groupwritable.probe $PROBE -c "$CONF" -q
unsafe model-file-groupwritable.create $M create Fine CRYPTO 8086 37c9
chmod 646 "$D/multi.conf"
unsafe model-file-worldwritable $M check
chmod 644 "$D/multi.conf"
chmod 775 "$D"
unsafe model-dir-groupwritable $M check
unsafe model-dir-groupwritable.create $M create Fine CRYPTO 8086 37c9
chmod 757 "$D"
unsafe model-dir-worldwritable $M list
chmod 755 "$D"
if [ "$(id -u)" = 0 ]; then
	chown 1234 "$D/multi.conf"
	unsafe model-file-owner $M check
	unsafe model-file-owner.probe $PROBE -c "$CONF" -q
	chown 0 "$D/multi.conf"
	chown 1234 "$D"
	unsafe model-dir-owner $M check
	chown 0 "$D"
else
	skip "model file or directory owned by another user (needs root to chown)"
fi

# --- list ---
expect_ok model-list $M list
expect_ok model-list-json $M list --json
json_ok() { python3 -m json.tool "$1" >/dev/null; }
if command -v python3 >/dev/null; then
	check "list --json is valid JSON" json_ok "$TMPROOT/out"
else
	skip "list --json validity (no python3)"
fi
# a list that could not be written is a failure (74), never a silent exit 0
expect_ioerr "list" $M list
expect_ioerr "list --json" $M list --json
# an empty models.d, in a directory whose name needs escaping in JSON
E=$TMPROOT/'odd "name" \ dir'
mkdir -p "$E"
printf '[host]\nmodels_dir = %s\n' "$E" >"$TMPROOT/odd.conf"
chmod 644 "$TMPROOT/odd.conf"
expect_ok model-list-empty $MODEL -c "$TMPROOT/odd.conf" list
expect_ok model-list-empty-json $MODEL -c "$TMPROOT/odd.conf" list --json
ok_run "create in the odd directory" $MODEL -c "$TMPROOT/odd.conf" create Odd NPU 1234 0002
ok_run "list --json, the odd directory" $MODEL -c "$TMPROOT/odd.conf" list --json
if command -v python3 >/dev/null; then
	check "list --json escapes a file name with quotes and backslashes" \
		python3 -c 'import json, sys; m = json.load(open(sys.argv[1])); assert m[0]["file"] == sys.argv[2] + "/Odd.conf"' \
		"$TMPROOT/out" "$E"
else
	skip "list --json escaping (no python3)"
fi

# --- delete ---
refuse delete-unknown 66 delete Nope
refuse delete-case 66 delete atlas-800
refuse delete-multi 65 delete P
refuse delete-badname 66 delete ../etc/passwd

# hold NAME ADDR VM [MODEL]: a running VM's claim (build/claimhold), its pid in $holder
hold() {
	"$BUILD/claimhold" "$H/run" "$@" >"$TMPROOT/hold" &
	holder=$!
	holders+=("$holder")
	for _ in $(seq 50); do grep -qs held "$TMPROOT/hold" && return 0; sleep 0.1; done
	failt "claimhold $* did not say held"
	return 1
}
release() { kill "$holder"; wait "$holder" 2>/dev/null; }

ok_run "probe, before the deletes" $PROBE -c "$CONF" -q # the inventory maps 0000:3b:00.0 and 0000:af:00.0 to Atlas-800
hold 0000:3b:00.0 worker-1 Atlas-800
refuse delete-inuse 75 delete Atlas-800
refuse delete-inuse-probe 75 delete --probe Atlas-800
release
# a claim without model= is mapped through the inventory
hold 0000:af:00.0 worker-2
refuse delete-inuse-inventory 75 delete Atlas-800
release
# a live claim on a device of another model, and the stale claims left above, do not count
hold 0000:d8:00.0 worker-3 Q
expect_ok model-delete-out $M delete --probe Atlas-800
release
check "delete: the file is gone" test ! -e "$D/Atlas-800.conf"
check "delete --probe: no Atlas-800 left in the inventory" \
	bash -c "! grep -q 'model *= Atlas-800$' '$H/var/inventory.ini'"
expect_ok model-create-probe-out $M create --probe Atlas-800 NPU 19e5 d801
check "create --probe: the inventory has the model again" \
	grep -q 'model *= Atlas-800$' "$H/var/inventory.ini"
check "delete, create: no temporary left in models.d" no_temporaries

# a host without models.d: delete and list say so, and a refused delete creates nothing
mkhost bare "$ROOT/conf/example-host.txt" || { failt "mkhost bare"; exit 1; }
rmdir "$H/etc/models.d"
M="$MODEL -c $CONF"
refuse bare-list 66 list
refuse bare-delete 66 delete Atlas-800

# --- check MODEL_FILE: a file of one model, anywhere (Ansible's validate= runs it on a temporary
# copy), checked as if installed as models_dir/<its model>.conf, replacing that file whole and
# beside every other one; models_dir (the whole host) unchanged in every case ---
mkhost mf "$ROOT/conf/example-host.txt" || { failt "mkhost mf"; exit 1; }
M="$MODEL -c $CONF"
D=$H/etc/models.d
check "check FILE: the host's two models" bash -c "$M create Atlas-800 NPU 19e5 d801 >/dev/null &&
	$M create Alveo-U50 FPGA 10ee 903f --subsystem 10ee:0007 >/dev/null"
printf '[Card-P]\ndev_type = CRYPTO\nvendor_id = 8086\ndevice_id = 37c8\n\n[Card-Q]\ndev_type = FPGA\nvendor_id = 10ee\ndevice_id = 9038\n' >"$D/cards.conf"
chmod 644 "$D/cards.conf"
ATMP=$TMPROOT/ansible-tmp # outside models_dir, a random-looking name, root's 0600: like Ansible's
mkdir -m 0700 "$ATMP"
F=$ATMP/tmpq8w2_x1c
# checkfile NAME STATUS TEXT: `check F`, F holding TEXT, exits STATUS with the golden line
# (stdout on success, the one stderr line otherwise), and nothing on the host changed
checkfile() {
	local name=$1 st=$2 before
	printf '%b' "$3" >"$F"
	chmod 600 "$F"
	before=$(tree_sum "$H")
	if [ "$st" = 0 ]; then
		expect_ok "model-checkfile-$name" $M check "$F"
	else
		expect_fail "model-checkfile-$name" "$st" $M check "$F"
	fi
	check "model-checkfile-$name: models_dir unchanged" test "$(tree_sum "$H")" = "$before"
}
checkfile new 0 '[Ascend-310]\ndev_type = npu\nvendor_id = 19e5\ndevice_id = d500\n'
checkfile plain-beside-subsys 0 '[Alveo-Plain]\ndev_type = FPGA\nvendor_id = 10ee\ndevice_id = 903f\n'
# one model per file (what create and the Ansible role write): two, or none, are refused
checkfile two-models 65 '[P]\ndev_type=crypto\nvendor_id=8086\ndevice_id=37c9\n\n[Q]\ndev_type=FPGA\nvendor_id=10ee\ndevice_id=903e\n'
checkfile empty 65 ''
checkfile comments-only 65 '; no model here\n\n'
# the file replaces models_dir/<its model>.conf: other ids, or its own, overlap nothing
checkfile replace-ids 0 '[Atlas-800]\ndev_type = NPU\nvendor_id = 19e5\ndevice_id = d802\n'
checkfile replace-same 0 "$(cat "$D/Atlas-800.conf")\n"
checkfile replace-onto-subsys 0 '[Alveo-U50]\ndev_type = FPGA\nvendor_id = 10ee\ndevice_id = 903f\n'
# ...but every other model of models_dir counts, and the file is the one blamed
checkfile overlap-other 65 '[Atlas-800]\ndev_type = NPU\nvendor_id = 10ee\ndevice_id = 903f\nsubsystem_vendor_id = 10ee\nsubsystem_device_id = 0007\n'
checkfile overlap-new 65 '; pushed by Ansible\n[Twin]\ndev_type = ACCEL\nvendor_id = 19E5\ndevice_id = 0xd801\n'
checkfile samename-case 65 '[atlas-800]\ndev_type = NPU\nvendor_id = 19e5\ndevice_id = d803\n'
# a model of another file (cards.conf) stays: installed as Card-P.conf it would be defined twice
checkfile samename-other-file 65 '[Card-P]\ndev_type = CRYPTO\nvendor_id = 8086\ndevice_id = 37c9\n'
# the rules of a models.d file, with MODEL_FILE:line
checkfile builtin 65 '[H100]\ndev_type = gpu\nvendor_id = 10de\ndevice_id = 2330\n'
checkfile missing-key 65 '[X]\ndev_type = NPU\nvendor_id = 1234\n'
checkfile key 65 '[X]\ndev_type = NPU\nvendor_id = 1234\ndevice_id = 0001\nolour = red\n'
checkfile outside 65 'dev_type = NPU\n[X]\n'
checkfile longline 65 "[X]\n; $(printf 'x%.0s' {1..200})\ndev_type = NPU\n"
# hostile: binary, NUL, control bytes, over 32 MiB, a FIFO (no hang), a directory
checkfile binary 65 '\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00>\x00\n\xff\xfe'
checkfile nul 65 '[X]\ndev_type = N\000PU\nvendor_id = 1234\ndevice_id = 0001\n'
checkfile control 65 '[X\033[2J]\ndev_type = NPU\n'
before=$(tree_sum "$H")
head -c $((32 * 1024 * 1024 + 1)) /dev/zero | tr '\0' '\n' >"$F"
expect_fail model-checkfile-huge 65 $M check "$F"
mkfifo "$ATMP/fifo"
expect_fail model-checkfile-fifo 65 timeout 10 $M check "$ATMP/fifo"
expect_fail model-checkfile-directory 65 $M check "$ATMP"
# missing: 66 (Ansible shows the line); extra arguments: 64
expect_fail model-checkfile-missing 66 $M check "$ATMP/gone"
expect_fail model-checkfile-args 64 $M check "$F" "$F"
check "check FILE, hostile, missing, arguments: models_dir unchanged" test "$(tree_sum "$H")" = "$before"
# MODEL_FILE's owner and mode are not judged (the installed file's are, at use)...
printf '[Ascend-310]\ndev_type = NPU\nvendor_id = 19e5\ndevice_id = d500\n' >"$F"
chmod 666 "$F"
[ "$(id -u)" = 0 ] && chown 1234:1234 "$F"
ok_run "check FILE: a file of another user, mode 0666, is judged by its content only" $M check "$F"
# ...while models_dir's still are (78), and a model file installed there checks like any other
chmod 775 "$D"
expect_fail model-checkfile-dir-unsafe 78 $M check "$F"
chmod 755 "$D"
ok_run "check FILE: a file of models_dir itself (it replaces itself)" $M check "$D/Alveo-U50.conf"
# the file replaced is left out whole, unread: a broken or unsafe one can be replaced by a fix
printf '[Broken]\ndev_type = GPU\n' >"$D/Broken.conf"
chmod 666 "$D/Broken.conf"
before=$(tree_sum "$H")
expect_fail model-checkfile-broken-installed 78 $M check
checkfile fixes-broken 0 '[Broken]\ndev_type = NPU\nvendor_id = 19e5\ndevice_id = d80f\n'
checkfile beside-broken 78 '[Other]\ndev_type = NPU\nvendor_id = 19e5\ndevice_id = d80f\n'
rm "$D/Broken.conf"
# no root needed beyond reading models_dir, and no lock taken: not while another holds the
# models.d and inventory locks (a create, a probe), not as nobody
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
	chown 0:0 "$F"
	chmod 644 "$F"
	chmod 755 "$ATMP"
	ok_run "check FILE as nobody: models_dir readable is enough" \
		setpriv --reuid=nobody --regid=nogroup --clear-groups $M check "$F"
	chmod 600 "$F"
	expect_fail model-checkfile-unreadable 66 setpriv --reuid=nobody --regid=nogroup --clear-groups $M check "$F"
else
	skip "check FILE as nobody (needs root, setpriv and a user nobody)"
fi
if command -v python3 >/dev/null; then
	python3 -c 'import fcntl, os, sys, time
fds = [os.open(p, os.O_RDWR | os.O_CREAT, 0o600) for p in sys.argv[1:]]
for f in fds: fcntl.lockf(f, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(60)' "$D/.models.lock" "$H/var/.inventory.ini.lock" >"$TMPROOT/locks" &
	holders+=($!)
	for _ in $(seq 100); do grep -qs held "$TMPROOT/locks" && break; sleep 0.1; done
	# the holder really blocks what takes these locks (a create waits up to 60 s, then 75)
	check "the lock holder holds both locks" grep -qs held "$TMPROOT/locks"
	timeout 2 $M create Blocked NPU 1234 0009 >/dev/null 2>&1
	check "a create waits for the held models.d lock" test $? = 124
	timeout 2 $PROBE -c "$CONF" -q >/dev/null 2>&1
	check "a probe waits for the held inventory lock" test $? = 124
	before=$(tree_sum "$H")
	ok_run "check FILE while the models.d and inventory locks are held: no wait" timeout 5 $M check "$F"
	check "check FILE under the locks: models_dir unchanged" test "$(tree_sum "$H")" = "$before"
	kill "${holders[-1]}"
else
	skip "check FILE under held locks (no python3)"
fi

# --- a real Ansible template task with validate='pcipass-model -c CONF check %s' ---
if ! command -v ansible >/dev/null; then
	skip "check FILE as Ansible's validate= (ansible not installed: Debian package ansible-core)"
	exit 0
fi
A=$TMPROOT/ansible
ansible_sandbox "$A"
printf 'localhost ansible_connection=local ansible_python_interpreter=%s\n' "$(command -v python3)" >"$A/hosts"
printf '[{{ name }}]\ndev_type  = {{ dev_type }}\nvendor_id = {{ vendor_id }}\ndevice_id = {{ device_id }}\n' >"$A/model.conf.j2"
# push NAME DEV_TYPE VENDOR DEVICE: the template task installing models.d/NAME.conf; its status
push() {
	ansible -i "$A/hosts" localhost -m ansible.builtin.template \
		-a "src=$A/model.conf.j2 dest=$D/$1.conf mode=0644 validate='$MODEL -c $CONF check %s'" \
		-e "name=$1 dev_type=$2 vendor_id=$3 device_id=$4" >"$A/out" 2>&1
}
before=$(tree_sum "$H")
push Twin ACCEL 19e5 d801
st=$?
check "ansible validate: a model on Atlas-800's ids is refused (exit $st)" test "$st" != 0
check "ansible validate: the refusal is pcipass-model's line, naming the temporary file:line" \
	grep -qE 'pcipass-model: [^ ]*:1: model \\?"Twin\\?" matches 19e5:d801 like model \\?"Atlas-800\\?"' "$A/out"
check "ansible validate: the refused model never lands in models.d" test ! -e "$D/Twin.conf"
check "ansible validate: models.d unchanged" test "$(tree_sum "$H")" = "$before"
push H100 GPU 10de 2330
st=$?
check "ansible validate: a built-in DEV_TYPE is refused, models.d unchanged (exit $st)" \
	bash -c "[ $st != 0 ] && [ ! -e '$D/H100.conf' ] && [ '$(tree_sum "$H")' = '$before' ]"
push Card-P CRYPTO 8086 37c8
st=$?
check "ansible validate: Card-P.conf refused while cards.conf defines Card-P (exit $st)" \
	bash -c "[ $st != 0 ] && [ ! -e '$D/Card-P.conf' ] && [ '$(tree_sum "$H")' = '$before' ]"
push Atlas-800 NPU 19e5 d802
st=$?
check "ansible validate: Atlas-800 replaced with other ids lands (exit $st)" \
	bash -c "[ $st = 0 ] && grep -q '^device_id = d802$' '$D/Atlas-800.conf'"
push Ascend-310 NPU 19e5 d801
st=$?
check "ansible validate: a new model on the ids Atlas-800 gave up lands, root 0644 (exit $st)" \
	bash -c "[ $st = 0 ] && [ \"\$(stat -c '%u %a' '$D/Ascend-310.conf')\" = '$(id -u) 644' ]"
ok_run "ansible validate: models.d as a whole still checks" $M check
check "ansible validate: no temporary left in models.d" no_temporaries
check "ansible validate: nothing but the two new files in models.d" \
	test "$(ls "$D" | tr '\n' ' ')" = "Alveo-U50.conf Ascend-310.conf Atlas-800.conf cards.conf "
