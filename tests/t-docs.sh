#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The man pages render without a groff warning, and `make install` puts every file in place
# under DESTDIR (programs, man pages, configuration) without touching the host.
. "$(dirname "$0")/lib.sh"

if command -v groff >/dev/null; then
	for m in "$ROOT"/probe/*.8 "$ROOT"/conf/*.5 "$ROOT"/launcher/*.[58]; do
		out=$(LC_ALL=C groff -man -ww -z -Tutf8 "$m" 2>&1)
		check "man page $(basename "$m") renders without warnings" test -z "$out"
	done
else
	skip "man page rendering (groff not installed)"
fi
make -s -C "$ROOT" install BUILD="$BUILD" DESTDIR="$TMPROOT/dest" PREFIX=/usr >/dev/null 2>&1
for p in pcipass-probe pcipass-model pcipass-run; do
	check "install: $p" test -x "$TMPROOT/dest/usr/sbin/$p"
done
for m in man8/pcipass-probe.8 man8/pcipass-model.8 man8/pcipass-run.8 man5/pcipass.conf.5 man5/vm.ini.5; do
	check "install: man page $m" test -f "$TMPROOT/dest/usr/share/man/$m"
done
check "install: configuration and models.d" test -f "$TMPROOT/dest/etc/pcipass/pcipass.conf" -a -d "$TMPROOT/dest/etc/pcipass/models.d"
# the installed example parses: a copy of it whose models_dir is an empty directory of ours
mkdir -m 0755 "$TMPROOT/md"
sed "s|^models_dir *=.*|models_dir = $TMPROOT/md|" "$TMPROOT/dest/etc/pcipass/pcipass.conf" >"$TMPROOT/installed.conf"
chmod 0644 "$TMPROOT/installed.conf"
"$TMPROOT/dest/usr/sbin/pcipass-model" -c "$TMPROOT/installed.conf" list >"$TMPROOT/list" 2>"$TMPROOT/list.err"
check "install: the installed pcipass.conf is valid (exit 0)" test $? = 0
check "install: the installed pcipass.conf is valid (nothing on stderr, the header and no model)" \
	bash -c "[ ! -s '$TMPROOT/list.err' ] && [ \$(wc -l <'$TMPROOT/list') = 1 ] && grep -q '^MODEL ' '$TMPROOT/list'"
check "install: the example config is the shipped one" cmp -s "$ROOT/conf/pcipass.conf" "$TMPROOT/dest/etc/pcipass/pcipass.conf"
