#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-ab.sh REV_A REV_B: two builds of pheap compared the way a change
# to the fast path must be: two builds cannot share a boot, so boots of
# each alternate (A, B, A, B, ...), each running the same scenarios with
# bench.sh's slices, and every cell's ratio to kmalloc (the median of the
# per-slice ratios of that boot: bench.sh) is collected per boot. Printed
# per cell: each build's median over its boots with the interquartile
# range, and B's median over A's.
#
# usage: bench-ab.sh REV_A REV_B [--boots N] [--scenarios a,b,...]
#                    [--init-on-alloc 0|1] [--reps N] [--ops N] [--out DIR]
#        bench-ab.sh --report DIR   the table again, from DIR
#
# REV_A and REV_B are anything git names (a commit, a branch, HEAD~1);
# "." is the work tree as it is. Both run the benchmark module and the
# scripts of the work tree: only pheap itself differs. Each is checked out in a worktree under
# DIR (out/bench-ab/ by default), outside nothing else. N boots of each
# (default 5), scenarios pair, batch and threadtest, init_on_alloc=0, and
# bench.sh's defaults for slices. Nothing asserts on time.
set -euo pipefail
. "$(dirname "$0")/common.sh"

boots=5 scenarios=pair,batch,threadtest ioa=0 reps= ops= out= report=
args=()
while [ $# -gt 0 ]; do
	case $1 in
	--boots) boots=$2; shift ;;
	--scenarios) scenarios=$2; shift ;;
	--init-on-alloc) ioa=$2; shift ;;
	--reps) reps=$2; shift ;;
	--ops) ops=$2; shift ;;
	--out) out=$2; shift ;;
	--report) report=$2; shift ;;
	-*) die "bench-ab: unknown option $1 (see the header of $0)" ;;
	*) args+=("$1") ;;
	esac
	shift
done

# table DIR: per cell, each build's median and IQR over its boots.
table() {
	local d=$1
	for f in "$d"/A-*/bench.csv "$d"/B-*/bench.csv; do
		[ -s "$f" ] || continue
		b=$(basename "$(dirname "$f")"); b=${b%%-*}
		awk -F, -v b="$b" 'NR > 1 && $4 == "ratio_km" && $5 == "pheap" {
			print b, $2 "/" $3, $6 }' "$f"
	done | sort -k2,2 -k1,1 -k3,3n | awk '
	function q(arr, n, k,   p, lo) {
		p = (n - 1) * k / 4; lo = int(p)
		return lo + 1 < n ? arr[lo] + (arr[lo + 1] - arr[lo]) * (p - lo) : arr[lo]
	}
	function flush(   ma, mb) {
		if (cell == "") return
		ma = na ? q(va, na, 2) : 0; mb = nb ? q(vb, nb, 2) : 0
		printf "%-28s %5.3f (%5.3f-%5.3f) n=%-2d %5.3f (%5.3f-%5.3f) n=%-2d %6s\n",
			cell, ma, na ? q(va, na, 1) : 0, na ? q(va, na, 3) : 0, na,
			mb, nb ? q(vb, nb, 1) : 0, nb ? q(vb, nb, 3) : 0, nb,
			(ma > 0 ? sprintf("%.3f", mb / ma) : "-")
		na = nb = 0; delete va; delete vb
	}
	BEGIN { printf "%-28s %-27s %-27s %6s\n", "cell (ratio to kmalloc)", "A: median (IQR) boots", "B: median (IQR) boots", "B/A" }
	$2 != cell { flush(); cell = $2 }
	$1 == "A" { va[na++] = $3 }
	$1 == "B" { vb[nb++] = $3 }
	END { flush() }'
}

if [ -n "$report" ]; then
	cat "$report/revs.txt" 2>/dev/null || true
	table "$report"
	exit
fi
[ ${#args[@]} = 2 ] || die "bench-ab: two revisions, A and B (see the header of $0)"
out=${out:-$PHEAP_OUT/bench-ab}
mkdir -p "$out"
rm -rf "$out"/A-* "$out"/B-*

# worktree NAME REV: the sources of REV in $out/src-NAME.
worktree() {
	local name=$1 rev=$2 wt=$out/src-$1
	git -C "$PHEAP_ROOT" worktree remove --force "$wt" 2>/dev/null || rm -rf "$wt"
	if [ "$rev" = . ]; then
		mkdir -p "$wt"
		rsync -a --exclude=/out --exclude=/results --exclude=.git "$PHEAP_ROOT/" "$wt/"
		echo "$name: the work tree as it is"
	else
		git -C "$PHEAP_ROOT" worktree add --detach "$wt" "$rev" >/dev/null 2>&1 ||
			die "bench-ab: cannot check out $rev"
		# the same benchmark for both: only the allocator differs
		rsync -a --delete "$PHEAP_ROOT/bench/" "$wt/bench/"
		rsync -a --delete "$PHEAP_ROOT/scripts/" "$wt/scripts/"
		echo "$name: $(git -C "$wt" log -1 --format='%h %s') (bench/, scripts/ of the work tree)"
	fi
}
{
	worktree A "${args[0]}"
	worktree B "${args[1]}"
	echo "boots: $boots of each, alternating; scenarios $scenarios; init_on_alloc=$ioa"
} | tee "$out/revs.txt"

extra=()
[ -n "$reps" ] && extra+=(--reps "$reps")
[ -n "$ops" ] && extra+=(--ops "$ops")
for i in $(seq 1 "$boots"); do
	for b in A B; do
		say "bench-ab: boot $i of $boots, build $b"
		PHEAP_OUT=$out/src-$b/out bash "$out/src-$b/scripts/bench.sh" \
			--scenarios "$scenarios" --init-on-alloc "$ioa" \
			--out "$out/$b-$i" "${extra[@]}" >"$out/$b-$i.log" 2>&1 ||
			{ tail -n 20 "$out/$b-$i.log"; die "bench-ab: boot $i of build $b failed (log $out/$b-$i.log)"; }
	done
done
table "$out" | tee "$out/table.txt"
# the checkouts go; each boot's results stay in $out/A-N, $out/B-N
for b in A B; do
	git -C "$PHEAP_ROOT" worktree remove --force "$out/src-$b" 2>/dev/null ||
		rm -rf "$out/src-$b"
done
