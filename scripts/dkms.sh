#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# pheap under DKMS (dkms.conf), which rebuilds it for each kernel that gets
# installed.
#
# usage: dkms.sh check     build pheap.ko with dkms against the stock 6.1
#                          and 6.12 headers, in a scratch DKMS tree under
#                          $PHEAP_OUT: nothing is installed (make check)
#        dkms.sh install   copy the source to /usr/src/pheap-<version>,
#                          then dkms add, build and install it for the
#                          running kernel (root; make dkms)
#
# Only the files the module is built from are copied: Kbuild, Kconfig,
# the Makefile, dkms.conf, pheap_mod.c and pheap/.
set -euo pipefail
. "$(dirname "$0")/common.sh"
command -v dkms >/dev/null || bash "$PHEAP_ROOT/scripts/setup.sh" >/dev/null
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$PHEAP_ROOT/dkms.conf")
[ -n "$version" ] || die "dkms: no PACKAGE_VERSION in dkms.conf"

# copy_source DIR: the module's sources into DIR.
copy_source() {
	mkdir -p "$1"
	rsync -a --delete --include='/Kbuild' --include='/Kconfig' \
		--include='/Makefile' --include='/dkms.conf' \
		--include='/pheap_mod.c' --include='/pheap/***' --exclude='*' \
		"$PHEAP_ROOT/" "$1/"
}

check() {
	local scratch=$PHEAP_OUT/dkms series rel ko
	rm -rf "$scratch"
	mkdir -p "$scratch/tree"
	copy_source "$scratch/src/pheap-$version"
	for series in 6.1 6.12; do
		rel=$(stock_release "$series")
		[ -n "$rel" ] || die "dkms: no $series kernel with headers (run scripts/setup.sh)"
		say "dkms: building pheap $version for $rel"
		dkms build -m pheap -v "$version" -k "$rel" \
			--sourcetree "$scratch/src" --dkmstree "$scratch/tree" \
			>"$scratch/build-$rel.log" 2>&1 ||
			die "dkms: build for $rel failed (log: $scratch/build-$rel.log)"
		ko=$(find "$scratch/tree/pheap/$version/$rel" -name 'pheap.ko*' | head -n 1)
		[ -n "$ko" ] || die "dkms: no pheap.ko for $rel (log: $scratch/build-$rel.log)"
		modinfo -F vermagic "$ko" | grep -q "^$rel " ||
			die "dkms: $ko is not built for $rel"
		say "dkms: $rel: ${ko#"$scratch"/}"
	done
}

install() {
	[ "$(id -u)" -eq 0 ] || die "dkms: install needs root"
	copy_source "/usr/src/pheap-$version"
	dkms status -m pheap -v "$version" | grep -q . ||
		dkms add -m pheap -v "$version"
	dkms install -m pheap -v "$version" -k "$(uname -r)"
}

case "${1:-}" in
check) check ;;
install) install ;;
*) die "usage: dkms.sh check | install" ;;
esac
