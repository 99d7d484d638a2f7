#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: set up if needed, build pheap against the stock Debian 6.1
# kernel, boot that kernel in QEMU (4 vCPUs, TCG), load pheap, exercise it
# on every CPU, print /sys/kernel/debug/pheap/*, unload.
# Prints the guest's own output; the full console log is in out/demo.log.
# PHEAP_DESIGN (make demo DESIGN=...) picks the heap design, hoard by
# default: kheap, serial, class-lock, private, ownership or hoard
# (PHEAP_POLICY, POLICY=: its earlier name, still read).
set -euo pipefail
. "$(dirname "$0")/common.sh"

bash "$PHEAP_ROOT/scripts/setup.sh"
rel=$(stock_release 6.1)
[ -n "$rel" ] || die "demo: no Debian 6.1 kernel with headers after setup"
say "demo: building pheap against $rel"
dir=$(bash "$PHEAP_ROOT/scripts/build.sh" 6.1 | tail -n 1)
mods=()
for m in "$dir"/*.ko "$dir"/*/*.ko; do
	[ -e "$m" ] && mods+=(--module "$m")
done
# The guest script, with the design it loads pheap with in front.
mkdir -p "$PHEAP_OUT"
guest=$PHEAP_OUT/demo-guest.sh
{
	printf 'DESIGN=%q\n' "${PHEAP_DESIGN:-${PHEAP_POLICY:-hoard}}"
	cat "$PHEAP_ROOT/scripts/guest/demo.sh"
} >"$guest"
log=$PHEAP_OUT/demo.log
say "demo: booting $rel with ${PHEAP_SMP:-4} vCPUs under QEMU (TCG)"
rc=0
bash "$PHEAP_ROOT/scripts/vm.sh" --kernel "$(stock_image "$rel")" \
	--script "$guest" "${mods[@]}" \
	--log "$log" || rc=$?
# The guest's output, without the kernel's own console messages.
sed -n '/^PHEAP-VM: guest up/,/^PHEAP-VM-EXIT=/p' "$log" | tr -d '\r' |
	grep -v '^\[ *[0-9]*\.[0-9]*\]' || true
[ $rc -eq 0 ] || die "demo: failed (exit $rc); full console log: $log"
say "demo: ok; full console log: $log"
