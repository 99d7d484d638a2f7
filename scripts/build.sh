#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the modules against one stock Debian kernel's headers, in a copy of
# the sources under out/build-<release>[-<make args>], so builds for each
# kernel and set of flags do not trample each other or the work tree.
#
# usage: build.sh SERIES [make args...]
#        SERIES is 6.1, 6.12, 6.1-rt or 6.12-rt (PREEMPT_RT)
# Prints the build directory on the last line. Fails on any compiler or
# sparse warning (the output is kept beside it, in <build directory>.log).
set -euo pipefail
. "$(dirname "$0")/common.sh"

series=$1
shift
rel=$(stock_release "$series")
[ -n "$rel" ] || die "build: no Debian $series kernel with headers: run scripts/setup.sh"
kdir=$(stock_kdir "$rel")
# A directory per kernel and set of make arguments: switching between the
# W=1 builds of make check and the plain ones of the VM tests would make
# Kbuild rebuild everything each time (its command lines changed).
flags=$(printf '%s' "$*" | tr -c 'A-Za-z0-9' '_')
dir=$PHEAP_OUT/build-$rel${flags:+-$flags}
mkdir -p "$dir"
# Content, not times (no -t): a copy that changed gets the time it is
# written, newer than any object made from the old one (scripts/kunit.sh).
# The build's own files are protected first (the first matching rule
# wins: after the includes, the objects would be deleted and every build
# would start from nothing).
rsync -rl --checksum --delete \
	--filter='P *.o' --filter='P *.ko' --filter='P .*.cmd' --filter='P *.mod*' \
	--filter='P modules.order' --filter='P Module.symvers' --filter='P .*.d' \
	--include='/Kbuild' --include='/*.c' --include='/*.h' \
	--include='/pheap/***' --include='/bench/***' --include='/test/***' \
	--exclude='*' "$PHEAP_ROOT/" "$dir/"
blog=$dir.log
if ! make -C "$kdir" M="$dir" CONFIG_PHEAP=m CONFIG_PHEAP_STRESS=m \
	CONFIG_PHEAP_BENCH=m "$@" modules >"$blog" 2>&1; then
	cat "$blog" >&2
	die "build: failed against $rel"
fi
if grep -E 'warning:|error:|sparse:' "$blog" >&2; then
	die "build: warnings against $rel (log: $blog)"
fi
echo "$dir"
