#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# no-indirect.sh KO: hoard's allocation and free paths make no indirect
# call, read from the disassembly of a built pheap.ko.
#
# The functions below are every function of those paths, fast and slow,
# that the compiler kept out of line (the inline fast paths are inside
# the public ones). Each must be in KO, so that a renamed function cannot
# drop out of the check unseen. An indirect call or jump is a "call *" or
# "jmp *" instruction, or a call to a retpoline thunk; the paravirt sites
# (a call through pv_ops, the interrupt flag's save and restore under a
# local lock) are not: the kernel patches them into the native
# instructions when the module is loaded.
#
# The check is seen to work on every run: pheap_alloc_design(), the way
# to the other designs' tables, must show one.
set -euo pipefail
. "$(dirname "$0")/common.sh"

ko=$1
hoard=(pheap_alloc pheap_alloc_in pheap_free pheap_free_in
	pheap_usable_size_in pheap_alloc_block pheap_free_block
	pheap_alloc_slow pheap_free_slow pheap_free_remote
	pheap_heap_refill pheap_heap_free pheap_heap_pop_bad
	pheap_remote_free pheap_remote_queue pheap_remote_pop
	pheap_remote_collect pheap_global_take pheap_global_put
	pheap_sb_new pheap_sb_release pheap_sb_release_list
	pheap_get_pages pheap_put_pages pheap_alloc_large_path
	pheap_large_alloc pheap_large_free pheap_alloc_interrupted
	pheap_global_alloc pheap_alloc_bulk pheap_alloc_bulk_in
	pheap_heap_alloc_bulk pheap_free_bulk pheap_free_bulk_in
	pheap_alloc_node pheap_alloc_node_in)

dis=$(mktemp)
trap 'rm -f "$dis"' EXIT
objdump -dr --no-show-raw-insn "$ko" >"$dis"

# indirect FUNCTION: the function's indirect calls and jumps, one a line.
indirect() {
	awk -v fn="<$1>:" '
		$2 == fn { on = 1; next }
		on && /^[0-9a-f]+ <.*>:$/ { exit }
		!on { next }
		/R_X86_64_/ {
			if (held != "" && $3 !~ /^pv_ops/) print held
			if ($3 ~ /^__x86_indirect_(thunk|call_thunk)/) print prev
			held = ""; next
		}
		{ if (held != "") print held; held = ""; prev = $0 }
		/(call|jmp) +\*/ { held = $0 }
		END { if (held != "") print held }
	' "$dis"
}

grep -q '^[0-9a-f]* <pheap_alloc_design>:$' "$dis" ||
	die "no-indirect: pheap_alloc_design() not in $ko"
[ -n "$(indirect pheap_alloc_design)" ] ||
	die "no-indirect: found no indirect call in pheap_alloc_design(): the check itself is broken"
bad=0
for fn in "${hoard[@]}"; do
	if ! grep -q "^[0-9a-f]* <$fn>:\$" "$dis"; then
		echo "no-indirect: $fn() is not in $ko: update the list" >&2
		bad=1
		continue
	fi
	found=$(indirect "$fn")
	if [ -n "$found" ]; then
		echo "no-indirect: $fn() makes an indirect call:" >&2
		echo "$found" | sed 's/^/    /' >&2
		bad=1
	fi
done
[ $bad = 0 ] || exit 1
echo "no-indirect: hoard's ${#hoard[@]} alloc and free functions make no indirect call (pheap_alloc_design() does, as it should)"
