#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Install what pcipass needs to build, test, fuzz and benchmark, from Debian's packages.
# Idempotent and quick when everything is there: apt is only called for what is missing.
set -eu
PKGS="make gcc clang libclang-rt-dev pkg-config libpci-dev libinih-dev libseccomp-dev libcmocka-dev
pciutils pci.ids hyperfine time strace python3 qemu-system-x86 prometheus linux-image-amd64 busybox-static
dpkg-dev debhelper lintian debootstrap systemd ansible-core ansible-lint bash-completion ovmf"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "install-deps: all present"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing:$missing; run this script as root (or install them yourself)" >&2
	exit 77
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
