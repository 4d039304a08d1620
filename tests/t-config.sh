#!/usr/bin/env bash
# pcipass.conf: every error is one line naming file:line, exit 78 (66 for a missing -c file),
# and the trust rules of SPEC (owner root, writable by nobody else, file and directory).
. "$(dirname "$0")/lib.sh"

mkhost c "$ROOT/tests/hosts/subsys.host" || { failt "mkhost"; exit 1; }
good=$(cat "$CONF")
B=$TMPROOT/bad.conf

conf_case() { # conf_case NAME TEXT: the host config plus TEXT is refused with 78
	printf '%s\n%b' "$good" "$2" >"$B"
	chmod 644 "$B"
	expect_fail "config-$1" 78 $PROBE -c "$B" -q
	expect_fail "config-$1.model" 78 $MODEL -c "$B" list
}
conf_case unknown-key 'sysfs = /sys\n'
conf_case unknown-section '[hots]\n'
conf_case host-twice '[host]\n'
conf_case relative-path 'qemu = usr/bin/qemu\n'
conf_case bad-bool 'allow_root_vm = maybe\n'
conf_case bad-action 'seccomp_action = trap\n'
conf_case bad-exclude 'exclude = 0000:00:1f.2 00:1g.0\n'
conf_case key-twice 'state_dir = /run/x\n'
conf_case long-line "exclude = $(printf '0000:00:1f.2 %.0s' {1..15})\n"
printf 'qemu = /usr/bin/qemu\n[host]\n' >"$B"
expect_fail config-before-section 78 $PROBE -c "$B"
printf '[host]\nqemu = /usr/bin/q\000emu\n' >"$B"
expect_fail config-nul 78 $PROBE -c "$B"

expect_fail config-missing 66 $PROBE -c "$TMPROOT/nowhere.conf"
expect_fail config-missing-model 66 $MODEL -c "$TMPROOT/nowhere.conf" list

# exclude on several lines adds up
printf '%s\nexclude = 0000:01:00.0\nexclude = 02:00.0\n' "$good" >"$B"
chmod 644 "$B"
$PROBE -c "$B" --all >"$TMPROOT/out"
check "exclude on two lines: both excluded" test "$(grep -c '(excluded)' "$TMPROOT/out")" = 0
$MODEL -c "$B" create Atlas NPU 19e5 d801 >/dev/null
$PROBE -c "$B" --all >"$TMPROOT/out"
check "exclude on two lines: both excluded" test "$(grep -c '(excluded)' "$TMPROOT/out")" = 2

# trust: group- or world-writable file or directory, foreign owner, FIFO
cp "$CONF" "$B"
chmod 664 "$B"
expect_fail config-group-writable 78 $PROBE -c "$B"
chmod 646 "$B"
expect_fail config-world-writable 78 $PROBE -c "$B"
chmod 644 "$B"
mkdir -p "$TMPROOT/open"
cp "$CONF" "$TMPROOT/open/pcipass.conf"
chmod 777 "$TMPROOT/open"
expect_fail config-dir-writable 78 $PROBE -c "$TMPROOT/open/pcipass.conf"
if [ "$(id -u)" = 0 ]; then
	chown 1234 "$B"
	expect_fail config-owner 78 $PROBE -c "$B"
	chown 0 "$B"
	# an unprivileged user may run the tools on a tree of their own (the test-tree rule)
	if id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
		u=$TMPROOT/user
		mkdir -p "$u"
		cp -r "$H/etc" "$u/"
		sed -i "s|models_dir = .*|models_dir = $u/etc/models.d|" "$u/etc/pcipass.conf"
		chown -R nobody "$u"
		if setpriv --reuid=nobody --regid=nogroup --clear-groups \
			"$MODEL" -c "$u/etc/pcipass.conf" check >/dev/null; then
			pass "unprivileged on its own tree: accepted"
		else
			failt "unprivileged on its own tree: accepted"
		fi
	else
		skip "unprivileged run on a test tree (no setpriv or no user nobody)"
	fi
else
	skip "config owned by another uid (needs root to chown)"
fi
rm -f "$B"
mkfifo "$B"
expect_fail config-fifo 78 timeout 5 $PROBE -c "$B"
rm -f "$B"

# help, version, options
check "probe --help exits 0" $PROBE --help >/dev/null
check "model --help exits 0" $MODEL --help >/dev/null
$PROBE --version >"$TMPROOT/out" && golden config-probe-version "$TMPROOT/out"
check "model --version exits 0" $MODEL --version >/dev/null
expect_fail config-probe-unknown-option 64 $PROBE --frobnicate
expect_fail config-probe-missing-arg 64 $PROBE --prom
expect_fail config-probe-all-list 64 $PROBE --all --list
expect_fail config-probe-json-alone 64 $PROBE --json -c "$CONF"
expect_fail config-probe-prom-relative 64 $PROBE --prom out.prom -c "$CONF"
expect_fail config-probe-extra-arg 64 $PROBE -c "$CONF" extra
