#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# VM test on a stock Debian kernel: build the modules against its headers,
# boot it (4 vCPUs, TCG), and run scripts/guest/vmtest.sh inside: load,
# work on every CPU, read debugfs, unload. Any splat in the console log
# fails the run (scripts/vm.sh).
#
# usage: vmtest.sh SERIES        SERIES is 6.1 or 6.12
set -euo pipefail
. "$(dirname "$0")/common.sh"

series=$1
rel=$(stock_release "$series")
[ -n "$rel" ] || die "vmtest: no Debian $series kernel: run scripts/setup.sh"
dir=$(bash "$PHEAP_ROOT/scripts/build.sh" "$series" | tail -n 1)
mods=()
for m in "$dir"/*.ko "$dir"/*/*.ko; do
	[ -e "$m" ] && mods+=(--module "$m")
done
log=$PHEAP_OUT/vmtest-$rel.log
say "vmtest: booting $rel (log $log)"
rc=0
bash "$PHEAP_ROOT/scripts/vm.sh" --kernel "$(stock_image "$rel")" \
	--script "$PHEAP_ROOT/scripts/guest/vmtest.sh" "${mods[@]}" \
	--log "$log" || rc=$?
grep -E '^(ok|not ok) |^# [0-9]+ checks' "$log" | tr -d '\r' || true
[ $rc -eq 0 ] || die "vmtest: $rel failed (exit $rc, log $log)"
say "vmtest: $rel passed"
