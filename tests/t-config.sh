#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# pcipass.conf: every error is one line naming file:line, exit 78 (66 for a missing -c file),
# and the trust rules of SPEC (owner root, writable by nobody else: the file, its directory and
# every directory above, a sticky one excepted; symlinks judged by what they lead to);
# the command line both programs share (-c, --help, --version, unknown options).
. "$(dirname "$0")/lib.sh"

mkhost c "$ROOT/tests/hosts/subsys.host" || { failt "mkhost"; exit 1; }
good=$(cat "$CONF")
B=$TMPROOT/bad.conf
host_before=$(tree_sum "$H")

conf_case() { # conf_case NAME TEXT: the host config plus TEXT is refused with 78 by both programs
	printf '%s\n%b' "$good" "$2" >"$B"
	chmod 644 "$B"
	expect_fail "config-$1" 78 $PROBE -c "$B" -q
	expect_fail "config-$1.model" 78 $MODEL -c "$B" list
}
conf_case unknown-key 'sysfs = /sys\n'
conf_case unknown-section '[hots]\n'
conf_case section-case '[Host]\n'
conf_case section-junk '[host] more\n'
conf_case host-twice '[host]\n'
conf_case relative-path 'qemu = usr/bin/qemu\n'
conf_case empty-path 'qemu =\n'
conf_case bad-bool 'allow_root_vm = maybe\n'
conf_case bad-bool-disable 'disable_custom_device = TRUE\n'
conf_case bad-action 'seccomp_action = trap\n'
conf_case bad-exclude 'exclude = 0000:00:1f.2 00:1g.0\n'
conf_case bad-exclude-device 'exclude = 0000:00:20.0\n'
conf_case bad-exclude-function 'exclude = 0000:00:1f.8\n'
conf_case bad-run-as 'run_as = qemu user\n'
conf_case bad-vfio-driver 'vfio_driver = vfio/pci\n'
conf_case key-twice 'state_dir = /run/x\n'
conf_case key-empty '= /run/x\n'
conf_case indented 'exclude = 0000:00:1f.2\n    0000:00:19.0\n'
conf_case control 'run_as = pcipass\001\n'
conf_case long-line "exclude = $(printf '0000:00:1f.2 %.0s' {1..15})\n"
conf_case long-line-198 ";$(printf 'x%.0s' {1..197})\n"
# the isolation keys (issue 9)
conf_case bad-dynamic-ids 'dynamic_ids = 60000-70000\n'
conf_case bad-dynamic-order 'dynamic_ids = 20-10\n'
conf_case bad-dynamic-root 'dynamic_ids = 0-100\n'
conf_case bad-vm-groups 'vm_groups = kvm video!\n'
conf_case bad-allowed-users 'allowed_users = alice dynamic\n'
conf_case bad-image-dirs 'image_dirs = /srv/../etc\n'
conf_case image-dirs-in-state "image_dirs = /srv/images $H/run/images\n"
conf_case image-dirs-hold-state "image_dirs = $H\n"
ln -s run "$H/run-alias"
conf_case image-dirs-alias "image_dirs = $H/run-alias/images\n"
rm "$H/run-alias"
printf 'qemu = /usr/bin/qemu\n[host]\n' >"$B"
expect_fail config-before-section 78 $PROBE -c "$B"
expect_fail config-before-section.model 78 $MODEL -c "$B" check
printf '[host]\nqemu = /usr/bin/q\000emu\n' >"$B"
expect_fail config-nul 78 $PROBE -c "$B"
expect_fail config-nul.model 78 $MODEL -c "$B" check
printf '[host]\nmodels_dir = etc/pcipass/models.d\n' >"$B"
expect_fail config-relative-models-dir 78 $MODEL -c "$B" check
check "refused configurations changed nothing on the host" test "$(tree_sum "$H")" = "$host_before"

# what is accepted: a 197-byte line, CRLF and a byte-order mark, yes/no booleans, comments
{
	printf '\357\273\277; a 197-byte line follows\r\n'
	printf '%s\n' "$good" | sed 's/$/\r/'
	printf ';%s\r\n' "$(printf 'x%.0s' {1..196})"
	printf 'disable_custom_device = no\r\nallow_root_vm = off ; inline\r\n'
} >"$B"
chmod 644 "$B"
check "a 197-byte line, CRLF, a BOM and no/off are accepted" bash -c "$MODEL -c '$B' check >/dev/null"

expect_fail config-missing 66 $PROBE -c "$TMPROOT/nowhere.conf"
expect_fail config-missing-model 66 $MODEL -c "$TMPROOT/nowhere.conf" list
mkdir -p "$TMPROOT/conf.d"
expect_fail config-directory 78 $PROBE -c "$TMPROOT/conf.d"
expect_fail config-directory.model 78 $MODEL -c "$TMPROOT/conf.d" list
expect_fail config-path-long 78 $PROBE -c "$TMPROOT/$(printf 'x%.0s' {1..300})"
# The default /etc/pcipass/pcipass.conf may be absent (every key is optional): then only
# models.d, at its default place, is missing. Read-only (list takes no lock). Whether pcipass is
# installed here must not matter: where /etc/pcipass exists, an empty directory hides it in a
# private mount namespace (nothing of the host's is touched).
if [ ! -e /etc/pcipass ]; then
	expect_fail config-default-absent 66 $MODEL list
elif [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
	expect_fail config-default-absent 66 unshare --mount --propagation private \
		sh -c 'mount -t tmpfs -o mode=0755 pcipass-test /etc/pcipass && exec "$@"' sh $MODEL list
else
	skip "default config absent (/etc/pcipass exists, and hiding it needs root and unshare)"
fi

# exclude on several lines adds up
printf '%s\nexclude = 0000:01:00.0\nexclude = 02:00.0\n' "$good" >"$B"
chmod 644 "$B"
ok_run "exclude without a model: --all" $PROBE -c "$B" --all
check "exclude without a model: nothing marked excluded" test "$(grep -c '(excluded)' "$TMPROOT/out")" = 0
ok_run "exclude: create Atlas" $MODEL -c "$B" create Atlas NPU 19e5 d801
ok_run "exclude on two lines: --all" $PROBE -c "$B" --all
check "exclude on two lines: both excluded" test "$(grep -c '(excluded)' "$TMPROOT/out")" = 2
ok_run "exclude on two lines: probe" $PROBE -c "$B" -q
check "exclude on two lines: only 0000:03:00.0 inventoried" \
	test "$(grep -c '^\[0000:' "$H/var/inventory.ini")/$(grep -c '^\[0000:03:00.0\]' "$H/var/inventory.ini")" = 1/1

# trust: group- or world-writable file or directory, foreign owner, FIFO
cp "$CONF" "$B"
chmod 664 "$B"
expect_fail config-group-writable 78 $PROBE -c "$B"
expect_fail config-group-writable.model 78 $MODEL -c "$B" list
chmod 646 "$B"
expect_fail config-world-writable 78 $PROBE -c "$B"
chmod 644 "$B"
mkdir -p "$TMPROOT/open"
cp "$CONF" "$TMPROOT/open/pcipass.conf"
chmod 777 "$TMPROOT/open"
expect_fail config-dir-writable 78 $PROBE -c "$TMPROOT/open/pcipass.conf"
chmod 775 "$TMPROOT/open"
expect_fail config-dir-group-writable 78 $MODEL -c "$TMPROOT/open/pcipass.conf" list
chmod 755 "$TMPROOT/open"
check "the same file in a safe directory is fine" \
	bash -c "$MODEL -c '$TMPROOT/open/pcipass.conf' list >/dev/null"
if [ "$(id -u)" = 0 ]; then
	chown 1234 "$B"
	expect_fail config-owner 78 $PROBE -c "$B"
	expect_fail config-owner.model 78 $MODEL -c "$B" list
	chown 0 "$B"
	chown 1234 "$TMPROOT/open"
	expect_fail config-dir-owner 78 $PROBE -c "$TMPROOT/open/pcipass.conf"
	chown 0 "$TMPROOT/open"
	# an unprivileged user may run the tools on a tree of their own (the test-tree rule); the
	# uids are numbers, so which accounts exist here does not matter
	if command -v setpriv >/dev/null; then
		u=$TMPROOT/user
		as_user=(setpriv --reuid=4242 --regid=4242 --clear-groups)
		mkdir -p "$u"
		cp -r "$H/etc" "$u/"
		sed -i "s|models_dir = .*|models_dir = $u/etc/models.d|" "$u/etc/pcipass.conf"
		chown -R 4242:4242 "$u"
		ok_run "unprivileged on its own tree: accepted" "${as_user[@]}" "$MODEL" -c "$u/etc/pcipass.conf" check
		# ...but not on a tree that belongs to a third user
		chown 1234 "$u/etc/pcipass.conf"
		expect_fail config-user-third-owner 78 "${as_user[@]}" "$MODEL" -c "$u/etc/pcipass.conf" check
	else
		skip "unprivileged run on a test tree (no setpriv)"
	fi
else
	skip "config owned by another uid (needs root to chown)"
fi
# every directory above the file counts (sshd's StrictModes), unless it is sticky like /tmp
mkdir -p "$TMPROOT/deep/a/b"
cp "$CONF" "$TMPROOT/deep/a/b/pcipass.conf"
chmod 777 "$TMPROOT/deep"
expect_fail config-ancestor-writable 78 $PROBE -c "$TMPROOT/deep/a/b/pcipass.conf"
chmod 1777 "$TMPROOT/deep"
check "a sticky world-writable ancestor is accepted" \
	bash -c "$MODEL -c '$TMPROOT/deep/a/b/pcipass.conf' list >/dev/null"
chmod 755 "$TMPROOT/deep"
# a symlink is judged by where it leads: a config linked into a world-writable directory...
mkdir -p "$TMPROOT/pub" "$TMPROOT/lnk"
cp "$CONF" "$TMPROOT/pub/pcipass.conf"
chmod 777 "$TMPROOT/pub"
ln -s ../pub/pcipass.conf "$TMPROOT/lnk/pcipass.conf"
expect_fail config-symlink-writable 78 $PROBE -c "$TMPROOT/lnk/pcipass.conf"
chmod 755 "$TMPROOT/pub"
# ...and models.d linked into a directory a user owns
if [ "$(id -u)" = 0 ]; then
	mkdir -p "$TMPROOT/home/u/models"
	cp "$H"/etc/models.d/*.conf "$TMPROOT/home/u/models/" 2>/dev/null
	ln -s ../home/u/models "$TMPROOT/lnk/models.d"
	sed "s|^models_dir *=.*|models_dir = $TMPROOT/lnk/models.d|" "$CONF" >"$TMPROOT/lnk/pcipass.conf.2"
	chmod 644 "$TMPROOT/lnk/pcipass.conf.2"
	check "models.d through a symlink into root's directories is fine" \
		bash -c "$MODEL -c '$TMPROOT/lnk/pcipass.conf.2' list >/dev/null"
	chown 1234 "$TMPROOT/home/u"
	expect_fail config-models-symlink-owner 78 $MODEL -c "$TMPROOT/lnk/pcipass.conf.2" list
	chown 0 "$TMPROOT/home/u"
else
	skip "models.d symlinked into another user's directory (needs root to chown)"
fi
rm -f "$B"
mkfifo "$B"
expect_fail config-fifo 78 timeout 5 $PROBE -c "$B"
expect_fail config-fifo.model 78 timeout 5 $MODEL -c "$B" list
rm -f "$B"

# whatever a program prints, a write error on standard output is exit 74 with one line (the
# check at exit: --help, --version, the probe's summary, the model commands' lines)
for prog in "$PROBE" "$MODEL" "$BUILD/pcipass-run"; do
	expect_ioerr "${prog##*/} --version" "$prog" --version
	expect_ioerr "${prog##*/} --help" "$prog" --help
done

# help, version, options
ok_run "probe -h" $PROBE -h
cp "$TMPROOT/out" "$TMPROOT/probe-h"
ok_run "probe --help" $PROBE --help
check "probe --help: the usage on stdout" grep -q '^usage: ' "$TMPROOT/out"
check "probe -h is --help" cmp -s "$TMPROOT/out" "$TMPROOT/probe-h"
ok_run "model --help" $MODEL --help
check "model --help: the usage on stdout" grep -q '^usage: ' "$TMPROOT/out"
check "model --help mentions every command" \
	bash -c "grep -q create '$TMPROOT/out' && grep -q 'list \[--json\]' '$TMPROOT/out' && grep -q delete '$TMPROOT/out' && grep -q check '$TMPROOT/out'"
expect_ok config-probe-version $PROBE --version
expect_ok config-model-version $MODEL --version
ok_run "--help does not read the config (works with a missing -c file)" $MODEL -c /nonexistent --help
expect_fail config-probe-unknown-option 64 $PROBE --frobnicate
expect_fail config-model-unknown-option 64 $MODEL --frobnicate list
expect_fail config-probe-missing-arg 64 $PROBE --prom
expect_fail config-model-missing-arg 64 $MODEL list -c
expect_fail config-probe-all-list 64 $PROBE --all --list
expect_fail config-probe-json-alone 64 $PROBE --json -c "$CONF"
expect_fail config-probe-prom-relative 64 $PROBE --prom out.prom -c "$CONF"
expect_fail config-probe-extra-arg 64 $PROBE -c "$CONF" extra
# An unknown letter inside a group of short options (-xq): the one line must name it, not
# the argument before it (getopt has not moved optind past the group yet).
short_group() { # short_group PROGRAM ARGS...: exit 64, one line quoting -x or -xq
	"$@" >"$TMPROOT/out" 2>"$TMPROOT/err"
	local st=$?
	if [ $st = 64 ] && [ "$(wc -l <"$TMPROOT/err")" = 1 ] && grep -qE '"-xq?"' "$TMPROOT/err"; then
		pass "${1##*/} -xq: the message names -x"
	else
		failt "${1##*/} -xq: the message names -x: exit $st, stderr: $(cat "$TMPROOT/err")"
	fi
}
short_group "$PROBE" -c "$CONF" -xq
short_group "$MODEL" -c "$CONF" -xq list
