#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the modules against one stock Debian kernel's headers, in a copy of
# the sources under out/build-<release>, so builds for 6.1 and 6.12 do not
# trample each other or the work tree.
#
# usage: build.sh SERIES [make args...]
#        SERIES is 6.1, 6.12, 6.1-rt or 6.12-rt (PREEMPT_RT)
# Prints the build directory on the last line. Fails on any compiler or
# sparse warning (the output is kept in out/build-<release>.log).
set -euo pipefail
. "$(dirname "$0")/common.sh"

series=$1
shift
rel=$(stock_release "$series")
[ -n "$rel" ] || die "build: no Debian $series kernel with headers: run scripts/setup.sh"
kdir=$(stock_kdir "$rel")
dir=$PHEAP_OUT/build-$rel
mkdir -p "$dir"
# Content, not times (no -t): a copy that changed gets the time it is
# written, newer than any object made from the old one (scripts/kunit.sh).
rsync -rl --checksum --delete \
	--include='/Kbuild' --include='/*.c' --include='/*.h' \
	--include='/pheap/***' --include='/bench/***' --include='/test/***' \
	--exclude='*' "$PHEAP_ROOT/" "$dir/" \
	--filter='P *.o' --filter='P *.ko' --filter='P .*.cmd' --filter='P *.mod*' \
	--filter='P modules.order' --filter='P Module.symvers' --filter='P .*.d'
blog=$PHEAP_OUT/build-$rel.log
if ! make -C "$kdir" M="$dir" CONFIG_PHEAP=m CONFIG_PHEAP_STRESS=m \
	CONFIG_PHEAP_BENCH=m "$@" modules >"$blog" 2>&1; then
	cat "$blog" >&2
	die "build: failed against $rel"
fi
if grep -E 'warning:|error:|sparse:' "$blog" >&2; then
	die "build: warnings against $rel (log: $blog)"
fi
echo "$dir"
