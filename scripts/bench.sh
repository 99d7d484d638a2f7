#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: pheap next to kmalloc (SLUB) and SLUB with fresh kmem_caches,
# measured in the kernel (bench/: harness.c and a scn_*.c per group of
# scenarios) on the stock Debian 6.1 kernel under QEMU. Builds the
# modules, boots once per init_on_alloc setting (1, Debian's default, then
# 0), loads pheap.ko and pheap_bench.ko and starts a run by writing the
# run's words (scenarios=... reps=... ops=... [designs=...]) to
# /sys/kernel/debug/pheap_bench/run (scripts/guest/bench.sh; the module
# prints one line per result), and turns the console logs into:
#
#   <out>/bench-table.txt  the table printed at the end (also .md)
#   <out>/bench.csv        every result: init_on_alloc, scenario, case,
#                          metric, alloc, median, min, max, n
#   <out>/bench-threadtest.png  throughput against CPUs
#   <out>/bench-blowup.png      memory held over memory in use, per round
#   <out>/bench-ioa<N>.log      the console logs; <out>/bench-env.txt
#
# make bench-designs (--designs): pheap's heap designs side by side in
# one boot, init_on_alloc=0: for each design (kheap, serial, class-lock,
# private, ownership, hoard, btree; boundary-tag and block-lock in a
# second boot with fewer operations, merged into the table by --merge) an
# instance created with cfg.design, next to kmalloc; no kcache. The result lines name the
# design (alloc=kheap ... alloc=hoard; "pheap" is only ever hoard in the
# normal runs). Fewer operations (400000) and repetitions (3), so that
# it takes minutes, not a quarter of an hour, under TCG with 4 vCPUs on
# the 2-core development machine; workers hold at most 16384 objects
# (kheap's free walks every superblock held); and two scenarios
# run that only designs mode runs by default: prodcons-rounds (strict
# producer/consumer over 60 rounds, memory held after each) and
# kheap-walk (kheap's free against the pagerefs it holds). Writes, under
# <out> (results/designs/):
#
#   designs-table.txt, .md   a row per scenario case x design: ns per op,
#                            time over kmalloc's, held kB, held/live,
#                            shared cache lines, lock contention %,
#                            pagerefs walked per free (kheap), free
#                            blocks searched per allocation (boundary-tag,
#                            block-lock)
#   designs.csv              every result, the columns of bench.csv
#   designs-threadtest.png   threadtest throughput against CPUs
#   designs-prodcons-rounds.png  memory held after each round
#   designs-false-sharing.png    shared cache lines, active and passive
#   designs-kheap-walk.png   kheap: ns per pair and pagerefs walked per
#                            free against pagerefs held
#   designs-ioa0.log, designs-env.txt
#
# usage: bench.sh [--quick] [--smp N] [--reps N] [--ops N]
#                 [--scenarios a,b,...] [--init-on-alloc "1 0"]
#                 [--pheap-args "k_sb=8 ..."] [--out DIR] [--timeout SECS]
#        bench.sh --designs [--design-list kheap,hoard,...] [the above]
#        bench.sh --report [--quick | --designs] [--out DIR]
#        bench.sh --merge DIR [--out DIR2]   (designs: DIR's other designs
#                 into DIR2's table, default results/designs)
#                 table and plots again, from <out>/bench.csv (designs.csv)
#        bench.sh --compare DIR_A DIR_B
#                 two runs' time ratios to kmalloc, cell by cell: each
#                 cell's two medians, their difference over their mean,
#                 and how many cells agree within 10 %
#
# Scenarios (--scenarios takes any of them; the header of each
# bench/scn_*.c says what its scenarios do): pair, pair-after-bulk (the
# pair loop on a CPU that has just freed a bulk of 64-byte objects),
# batch, bulk (batch through the bulk calls), threadtest, larson,
# remote-free, prodcons, blowup, active-false, passive-false, mixed, nmi
# (pheap_alloc_nolock() in NMIs aimed at a CPU busy in pheap; pheap only:
# its nolock_ok_pct, nmi_busy_pct, nmi_reserve_pct and nmis rows); and
# in designs mode also prodcons-rounds and kheap-walk (--scenarios may
# name prodcons-rounds in either mode).
#
# <out> is results/ (results/quick/ with --quick, results/designs/ with
# --designs). --quick is the make check stage: fewer operations and
# repetitions, and only sanity is asserted: every scenario ran, every time
# is non-zero, pheap's A >= U and refills <= allocations, no errors
# reported by the module, no kernel splat. Designs mode asserts the same
# for every design (time for each, A >= U). Nothing asserts on time:
# under TCG only the ratios mean something. PHEAP_SMP sets the vCPUs
# (default 4).
set -euo pipefail
. "$(dirname "$0")/common.sh"

ALL_SCENARIOS="pair pair-after-bulk batch bulk threadtest larson remote-free prodcons blowup active-false passive-false mixed nmi"
DESIGN_SCENARIOS="prodcons-rounds kheap-walk"
ALL_DESIGNS="kheap serial class-lock private ownership hoard boundary-tag block-lock btree"
# --designs without --design-list: the seven whose calls are bounded
# (btree's search is O(log n)). The
# two whose every call walks one free list (the notes' claim) take 10 to
# 1000 times as long per operation (block-lock's larson: 1.8 ms under
# TCG), an hour at these settings: make bench-designs-walk runs them
# beside serial and class-lock with fewer operations.
DEFAULT_DESIGNS="kheap serial class-lock private ownership hoard btree"

# compare DIR_A DIR_B: the ratio_km cells of two runs side by side.
compare() {
	local a=$1 b=$2 f
	for f in "$a" "$b"; do
		[ -s "$f/bench.csv" ] || [ -s "$f/designs.csv" ] ||
			die "bench: no bench.csv or designs.csv in $f"
	done
	f=bench.csv
	[ -s "$a/$f" ] || f=designs.csv
	awk -F, '
	FNR == 1 { run++; next }
	$4 == "ratio_km" {
		k = $1 SUBSEP $2 SUBSEP $3 SUBSEP $5
		v[run, k] = $6
		if (!(k in seen)) { seen[k] = 1; order[++n] = k }
	}
	END {
		printf "%-4s %-16s %-15s %-10s %7s %7s %7s\n", "ioa", "scenario", "case", "alloc", "A", "B", "diff%"
		for (i = 1; i <= n; i++) {
			k = order[i]; split(k, f, SUBSEP)
			if (!((1, k) in v) || !((2, k) in v)) continue
			x = v[1, k]; y = v[2, k]
			d = (x + y > 0) ? 200 * (x - y) / (x + y) : 0
			d = d < 0 ? -d : d
			cells++; if (d <= 10) agree++
			if (d > worst) worst = d
			printf "%-4s %-16s %-15s %-10s %7.3f %7.3f %7.1f%s\n", f[1], f[2], f[3], f[4], x, y, d, (d > 10 ? "  *" : "")
		}
		printf "%d of %d cells agree within 10 %% (worst %.1f %%); * marks the others\n", agree, cells, worst
	}' "$a/$f" "$b/$f"
}

quick=0 smp=${PHEAP_SMP:-4} reps= ops= scenarios=all ioa_list=
pheap_args= out= timeout= report_only=0 designs=0 design_list= merge_dir=
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--smp) smp=$2; shift ;;
	--reps) reps=$2; shift ;;
	--ops) ops=$2; shift ;;
	--scenarios) scenarios=$2; shift ;;
	--init-on-alloc) ioa_list=$2; shift ;;
	--pheap-args) pheap_args=$2; shift ;;
	--out) out=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	--report) report_only=1 ;;
	--compare) compare "$2" "$3"; exit ;;
	--designs) designs=1 ;;
	--design-list) designs=1 design_list=$2; shift ;;
	--merge) designs=1 merge_dir=$2; shift ;;
	*) die "bench: unknown argument $1 (see the header of $0)" ;;
	esac
	shift
done
[ "$smp" -ge 2 ] || die "bench: needs at least 2 vCPUs (--smp)"
if [ $designs = 1 ]; then
	[ $quick = 0 ] || die "bench: --quick and --designs do not go together"
	out=${out:-$PHEAP_ROOT/results/designs}
	ops=${ops:-200000} reps=${reps:-7} timeout=${timeout:-1800}
	ioa_list=${ioa_list:-0}
	[ "$(echo "$ioa_list" | wc -w)" = 1 ] ||
		die "bench: --designs runs one init_on_alloc setting (--init-on-alloc 0 or 1)"
	design_list=${design_list:-$DEFAULT_DESIGNS}
	design_list=${design_list//,/ }
	for d in $design_list; do
		case " $ALL_DESIGNS " in
		*" $d "*) ;;
		*) die "bench: unknown design '$d' (known: $ALL_DESIGNS)" ;;
		esac
	done
	known="$ALL_SCENARIOS $DESIGN_SCENARIOS"
	[ "$scenarios" = all ] && want=$known || want=${scenarios//,/ }
	# kheap-walk measures kheap alone
	case " $design_list " in
	*" kheap "*) ;;
	*) want=$(echo " $want " | sed 's/ kheap-walk / /; s/^ //; s/ $//') ;;
	esac
else
	if [ $quick = 1 ]; then
		out=${out:-$PHEAP_ROOT/results/quick}
		ops=${ops:-20000} reps=${reps:-2} timeout=${timeout:-300}
	else
		out=${out:-$PHEAP_ROOT/results}
		ops=${ops:-300000} reps=${reps:-15} timeout=${timeout:-2400}
	fi
	# kheap-walk measures kheap, a design: --designs only
	known="$ALL_SCENARIOS prodcons-rounds"
	[ "$scenarios" = all ] && want=$ALL_SCENARIOS || want=${scenarios//,/ }
fi
ioa_list=${ioa_list:-1 0}
for s in $want; do
	case " $known " in
	*" $s "*) ;;
	*) die "bench: unknown scenario '$s' (known: $known)" ;;
	esac
done

fails=0
# check LOG IOA: the sanity the quick mode (and every run) asserts, for
# the allocators in $allocs.
check() {
	local log=$1 ioa=$2 s bad=0 clean
	clean=$work/clean.log
	tr -d '\r' <"$log" >"$clean"
	grep -q "pheap_bench: start .*init_on_alloc=$ioa " "$clean" ||
		{ say "bench: FAIL init_on_alloc=$ioa not in force (see $log)"; bad=1; }
	grep -q 'pheap_bench: done .*errors=0 ' "$clean" ||
		{ say "bench: FAIL module did not finish cleanly:"; grep -a 'pheap_bench: \(E \|done\)' "$clean" | head; bad=1; }
	for s in $want; do
		grep -q "pheap_bench: D scenario=$s " "$clean" ||
			{ say "bench: FAIL scenario $s did not run"; bad=1; continue; }
		for a in $allocs; do
			[ "$s" != kheap-walk ] || [ "$a" = kheap ] || continue
			# nmi: the designs pheap_alloc_nolock() serves, no other
			[ "$s" != nmi ] || case $a in pheap|hoard|ownership) ;; *) continue ;; esac
			grep -q "R scenario=$s .*metric=ns_per_op alloc=$a " "$clean" ||
				{ say "bench: FAIL scenario $s: no time for $a"; bad=1; }
		done
	done
	# Every time non-zero; pheap's (every design's) A/U at least 1.
	if ! sed -n 's/.*pheap_bench: R //p' "$clean" | awk '
		{ for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		  ph = f["alloc"] != "kmalloc" && f["alloc"] != "kcache" }
		f["metric"] == "ns_per_op" && f["min"] + 0 <= 0 { print "zero time: " $0; bad = 1 }
		ph && f["metric"] ~ /^a_over_u/ && f["min"] + 0 < 1 { print f["alloc"] " A < U: " $0; bad = 1 }
		ph && f["metric"] == "refill_pct" && f["max"] + 0 > 100 { print "more refills than allocations: " $0; bad = 1 }
		END { exit bad }'; then
		bad=1
	fi
	return $bad
}

# parse LOG IOA: the result lines as CSV rows.
parse() {
	tr -d '\r' <"$1" | sed -n 's/.*pheap_bench: R //p' | awk -v ioa="$2" '
		{ for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		  printf "%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", ioa, f["scenario"], f["case"],
			 f["metric"], f["alloc"], f["median"], f["min"], f["max"], f["n"],
			 f["q1"], f["q3"] }'
}

# table CSV MARKDOWN: the one table, from bench.csv. Time rows carry
# pheap's memory figures of the same runs; memory rows follow where the
# workload holds objects at the end, has just let a bulk go, or hands
# objects to other CPUs to free; pheap's slow-path rows (refill_pct,
# moves_pct) where it has a target or its slow path is what the scenario
# tests; blowup's per-round rows are in the CSV and the plot only.
table() {
	awk -F, -v md="$2" '
	function fmt(m, v) {
		if (v == "") return "-"
		if (m == "ns_per_op") return sprintf("%.1f", v)
		if (m ~ /over/) return sprintf("%.3f", v)
		if (m ~ /_pct$/) return sprintf("%.2f", v)
		return sprintf("%d", v + 0.5 * (v >= 0 ? 1 : -1))
	}
	function show(s, c, m) {
		if (c ~ /^round/) return 0
		if (m == "ns_per_op" || m ~ /over/ || m ~ /lines$/) return 1
		if (s == "nmi") return m == "nmis" || m ~ /_pct$/
		if (m ~ /_pct$/)
			return s ~ /^(pair-after-bulk|larson|remote-free|prodcons|mixed)$/
		return m == "held_kb" && s ~ /^(pair-after-bulk|larson|remote-free|prodcons|blowup|mixed)$/
	}
	function row(a, b, c, d, e, f, g, h, i, j, l) {
		if (md)
			printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", a, b, c, d, e, f, g, h, i, j, l
		else
			printf "%-15s %-15s %-16s %9s %9s %9s %6s %6s %7s %8s %10s\n", a, b, c, d, e, f, g, h, i, j, l
	}
	function ratio(x, y) {
		return (x != "" && y != "" && y + 0 > 0) ? sprintf("%.2f", x / y) : "-"
	}
	NR == 1 { next }
	{
		g = $1 SUBSEP $2 SUBSEP $3
		k = g SUBSEP $4
		if (!(g in gseen)) { gseen[g] = 1; gorder[++ng] = g }
		if (!(k in seen)) { seen[k] = 1; gm[g, ++gn[g]] = $4 }
		med[k, $5] = $6; lo[k, $5] = $7; hi[k, $5] = $8
		q1[k, $5] = $10; q3[k, $5] = $11
	}
	END {
		# per case: the time first, then the other metrics as they came
		for (i = 1; i <= ng; i++) {
			g = gorder[i]
			if ((g SUBSEP "ns_per_op") in seen) order[++nk] = g SUBSEP "ns_per_op"
			for (j = 1; j <= gn[g]; j++)
				if (gm[g, j] != "ns_per_op") order[++nk] = g SUBSEP gm[g, j]
		}
		row("scenario", "case", "metric", "pheap", "kmalloc", "kcache", "p/km", "p/kc", "p/km IQR", "peak_kB", "pages_in/out")
		if (md) print "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|"
		for (i = 1; i <= nk; i++) {
			split(order[i], f, SUBSEP)
			if (!show(f[2], f[3], f[4])) continue
			if (f[1] != last) {
				last = f[1]
				lbl = "init_on_alloc=" f[1] (f[1] == 1 ? " (Debian default: every allocation is zeroed)" : " (no zeroing)")
				if (md) printf "| **%s** | | | | | | | | | | |\n", lbl
				else printf "---- %s ----\n", lbl
			}
			k = order[i]; m = f[4]
			p = med[k, "pheap"]; q = med[k, "kmalloc"]; r = med[k, "kcache"]
			pk = ratio(p, q); pc = ratio(p, r)
			iqr = "-"; peak = "-"; pages = "-"
			if (m == "ns_per_op") {
				# time: the medians of the per-slice ratios
				b = f[1] SUBSEP f[2] SUBSEP f[3] SUBSEP
				rk = b "ratio_km"; rc = b "ratio_kc"
				if (med[rk, "pheap"] != "") {
					pk = sprintf("%.2f", med[rk, "pheap"])
					iqr = sprintf("%.2f-%.2f", q1[rk, "pheap"], q3[rk, "pheap"])
				}
				if (med[rc, "pheap"] != "") pc = sprintf("%.2f", med[rc, "pheap"])
				peak = fmt("peak_kb", med[b "peak_kb", "pheap"])
				pages = fmt("n", med[b "pages_in", "pheap"]) "/" fmt("n", med[b "pages_out", "pheap"])
			}
			row(f[2], f[3], m, fmt(m, p), fmt(m, q), fmt(m, r), pk, pc, iqr, peak, pages)
		}
	}' "$1"
}

# plotdata CSV DIR: one small file per plotted series.
plotdata() {
	rm -rf "$2"
	mkdir -p "$2"
	awk -F, -v d="$2" '
	NR == 1 { next }
	$2 == "threadtest" && $4 == "ns_per_op" && $6 > 0 && $7 > 0 && $8 > 0 {
		c = $3; sub(/^cpus/, "", c)
		print c, 1000 / $6, 1000 / $8, 1000 / $7 > (d "/tt-" $1 "-" $5 ".dat")
	}
	$2 == "blowup" && $3 ~ /^round/ && ($4 == "held_over_live" || $4 == "a_over_u") {
		r = $3; sub(/^round/, "", r)
		print r, $6, $7, $8 > (d "/bu-" $1 "-" $5 "-" $4 ".dat")
	}' "$1"
}

# plot_threadtest DIR IOAS N, plot_blowup DIR IOAS N: gnuplot commands
# for one PNG, a panel per init_on_alloc setting.
plot_threadtest() {
	local d=$1 ioas=$2 n=$3 ioa a
	echo "set output '$(dirname "$d")/bench-threadtest.png'"
	echo "set multiplot layout 1,$n title 'threadtest (Hoard): 64-byte alloc/free, fixed total work, throughput vs CPUs (QEMU TCG, $(nproc)-core host: only ratios mean something)'"
	echo 'set key top left'
	for ioa in $ioas; do
		echo "set title 'init_on_alloc=$ioa'; set xlabel 'CPUs'; set ylabel 'Mops/s (median, min..max)'; set xtics 1; set yrange [0:*]"
		printf 'plot '
		for a in pheap kmalloc kcache; do
			[ ! -f "$d/tt-$ioa-$a.dat" ] || printf "'%s' using 1:2:3:4 title '%s', " "$d/tt-$ioa-$a.dat" "$a"
		done
		echo '1/0 notitle'
	done
	echo 'unset multiplot'
}

plot_blowup() {
	local d=$1 ioas=$2 n=$3 ioa a f
	echo "set output '$(dirname "$d")/bench-blowup.png'"
	echo "set multiplot layout 1,$n title 'round-robin blowup: CPU i allocates, CPU i+1 frees; memory held / memory in use after each round'"
	echo 'set key bottom right'
	for ioa in $ioas; do
		echo "set title 'init_on_alloc=$ioa'; set xlabel 'round'; set ylabel 'A / U'; set xtics 1; set yrange [0:*]"
		printf 'plot '
		for a in pheap kmalloc kcache; do
			f=$d/bu-$ioa-$a-held_over_live.dat
			[ ! -f "$f" ] || printf "'%s' using 1:2:3:4 title '%s: held / live bytes', " "$f" "$a"
		done
		f=$d/bu-$ioa-pheap-a_over_u.dat
		[ ! -f "$f" ] || printf "'%s' using 1:2:3:4 dashtype 2 title 'pheap: own A/U (U counts uncollected remote frees)', " "$f"
		echo '1/0 notitle'
	done
	echo 'unset multiplot'
}

# plots OUT: the PNGs whose scenarios are in OUT/bench.csv.
plots() {
	local o=$1 d=$1/plot ioas n gp
	rm -f "$o/bench-threadtest.png" "$o/bench-blowup.png"
	command -v gnuplot >/dev/null || { say "bench: gnuplot missing (scripts/setup.sh): no plots"; return 0; }
	plotdata "$o/bench.csv" "$d"
	ioas=$(awk -F, 'NR > 1 { print $1 }' "$o/bench.csv" | sort -ru | tr '\n' ' ')
	n=$(echo "$ioas" | wc -w)
	gp=$d/plots.gp
	{
		echo 'set terminal pngcairo noenhanced size '$((520 * n))',420 font ",9"'
		echo 'set grid; set style data yerrorlines'
		! compgen -G "$d/tt-*.dat" >/dev/null || plot_threadtest "$d" "$ioas" "$n"
		! compgen -G "$d/bu-*.dat" >/dev/null || plot_blowup "$d" "$ioas" "$n"
	} >"$gp"
	[ "$(wc -l <"$gp")" -gt 2 ] || return 0
	gnuplot "$gp" || { say "bench: gnuplot failed ($gp)"; return 1; }
}

# report OUT: table (printed, .txt, .md) and plots from OUT/bench.csv.
report() {
	local o=$1 f
	[ -s "$o/bench.csv" ] || { say "bench: no results in $o/bench.csv"; return 1; }
	table "$o/bench.csv" 0 >"$o/bench-table.txt"
	table "$o/bench.csv" 1 >"$o/bench-table.md"
	echo
	echo "p/km, p/kc: pheap / kmalloc and pheap / kcache. For time, the median of"
	echo "the per-slice ratios (each slice of pheap over the kmalloc and kcache"
	echo "slices of the same repetition, run next to it), p/km IQR their"
	echo "interquartile range; for memory, the ratio of the medians. Every metric"
	echo "is lower-is-better: a ratio < 1 means pheap is faster (ns_per_op) or holds"
	echo "less memory. For memory compare with kcache: kmalloc's held_kb counts only"
	echo "new slab pages (its caches were partly filled before the run). peak_kB and"
	echo "pages_in/out: pheap's peak A and pages taken/returned in the same runs."
	echo "refill_pct, moves_pct (pheap only): refills per 100 small allocations,"
	echo "superblock moves to and from the global heap per 100 operations."
	cat "$o/bench-table.txt"
	cat "$o/bench-env.txt" 2>/dev/null || true
	echo
	plots "$o" || return 1
	for f in "$o"/bench-*.png; do
		[ ! -f "$f" ] || say "plot: $f"
	done
}

# ---- designs mode ---------------------------------------------------

# table_designs CSV MARKDOWN: a row per (scenario, case) x allocator, the
# designs in the order of ALL_DESIGNS, then kmalloc. Per-round cases are
# in the CSV and the plots only.
table_designs() {
	awk -F, -v md="$2" -v order="$ALL_DESIGNS kmalloc" '
	function fmt(v, f) { return v == "" ? "-" : sprintf(f, v) }
	function row(a, b, c, d, e, f, g, h, i, j, k, l) {
		if (md)
			printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", a, b, c, d, e, f, g, h, i, j, k, l
		else
			printf "%-15s %-13s %-12s %9s %7s %9s %9s %7s %7s %8s %7s %7s\n", a, b, c, d, e, f, g, h, i, j, k, l
	}
	NR == 1 { next }
	$3 ~ /^round/ { next }
	{
		g = $2 SUBSEP $3
		if (!(g in gseen)) { gseen[g] = 1; gorder[++ng] = g }
		med[g, $4, $5] = $6; if ($4 != "ratio_km" && $4 != "ratio_kc") has[g, $5] = 1
	}
	END {
		na = split(order, al, " ")
		row("scenario", "case", "alloc", "ns/op", "x_km", "held_kB", "held/live", "shared", "lock%", "walked", "search", "hold_ns")
		if (md) print "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
		for (i = 1; i <= ng; i++) {
			g = gorder[i]; split(g, f, SUBSEP)
			km = med[g, "ns_per_op", "kmalloc"]
			for (j = 1; j <= na; j++) {
				a = al[j]
				if (!has[g, a]) continue
				t = med[g, "ns_per_op", a]
				x = (t != "" && km + 0 > 0) ? sprintf("%.2f", t / km) : "-"
				if (med[g, "ratio_km", a] != "") x = sprintf("%.2f", med[g, "ratio_km", a])
				row(f[1], f[2], a, fmt(t, "%.1f"), x,
				    fmt(med[g, "held_kb", a], "%.0f"),
				    fmt(med[g, "held_over_live", a], "%.3f"),
				    fmt(med[g, "shared_lines", a], "%.0f"),
				    fmt(med[g, "lock_pct", a], "%.2f"),
				    fmt(med[g, "walked_per_free", a], "%.1f"),
				    fmt(med[g, "searched_per_alloc", a], "%.1f"),
				    fmt(med[g, "hold_ns_per_lock", a], "%.0f"))
			}
		}
	}' "$1"
}

# plotdata_designs CSV DIR: the series of the four plots.
plotdata_designs() {
	rm -rf "$2"
	mkdir -p "$2"
	awk -F, -v d="$2" '
	NR == 1 { next }
	$2 == "threadtest" && $4 == "ns_per_op" && $6 > 0 && $7 > 0 && $8 > 0 {
		c = $3; sub(/^cpus/, "", c)
		print c, 1000 / $6, 1000 / $8, 1000 / $7 > (d "/tt-" $5 ".dat")
	}
	$2 == "prodcons-rounds" && $3 ~ /^round/ && $4 == "held_kb" {
		r = $3; sub(/^round/, "", r)
		print r, $6 / 1024, $7 / 1024, $8 / 1024 > (d "/pcr-" $5 ".dat")
	}
	($2 == "active-false" || $2 == "passive-false") && $4 == "shared_lines" {
		fs[$5, $2] = $6; if (!($5 in fsa)) { fsa[$5] = 1; fso[++nf] = $5 }
	}
	$2 == "kheap-walk" && $5 == "kheap" { kw[$3, $4] = $6; if (!($3 in kwc)) { kwc[$3] = 1; kwo[++nk] = $3 } }
	END {
		for (i = 1; i <= nf; i++) {
			a = fso[i]
			print a, fs[a, "active-false"] + 0, fs[a, "passive-false"] + 0 > (d "/fs.dat")
		}
		for (i = 1; i <= nk; i++) {
			c = kwo[i]
			if (kw[c, "pagerefs"] != "" && kw[c, "ns_per_op"] != "")
				print kw[c, "pagerefs"], kw[c, "ns_per_op"], kw[c, "walked_per_free"] + 0 > (d "/walk.dat")
		}
	}' "$1"
}

# plots_designs OUT: the four PNGs, from OUT/designs.csv.
plots_designs() {
	local o=$1 d=$1/plot gp a f
	rm -f "$o"/designs-*.png
	command -v gnuplot >/dev/null || { say "bench: gnuplot missing (scripts/setup.sh): no plots"; return 0; }
	plotdata_designs "$o/designs.csv" "$d"
	gp=$d/plots.gp
	{
		echo 'set terminal pngcairo noenhanced size 760,480 font ",9"'
		echo 'set grid'
		if compgen -G "$d/tt-*.dat" >/dev/null; then
			echo "set output '$o/designs-threadtest.png'"
			echo "set title 'threadtest: 64-byte alloc/free, fixed total work, per design (QEMU TCG: compare ratios only)'"
			echo "set key top left; set xlabel 'CPUs'; set ylabel 'Mops/s (median, min..max)'; set xtics 1; set yrange [0:*]"
			printf 'plot '
			for a in $ALL_DESIGNS kmalloc; do
				f=$d/tt-$a.dat
				[ ! -f "$f" ] || printf "'%s' using 1:2:3:4 with yerrorlines title '%s', " "$f" "$a"
			done
			echo '1/0 notitle'
		fi
		if compgen -G "$d/pcr-*.dat" >/dev/null; then
			echo "set output '$o/designs-prodcons-rounds.png'"
			echo "set title 'prodcons-rounds: CPU 0 allocates a batch, CPU 1 frees the last one; memory held after each round'"
			echo "set key top left; set xlabel 'round'; set ylabel 'held MiB (median)'; set xtics auto; set yrange [0:*]"
			printf 'plot '
			for a in $ALL_DESIGNS kmalloc; do
				f=$d/pcr-$a.dat
				[ ! -f "$f" ] || printf "'%s' using 1:2 with linespoints pointsize 0.5 title '%s', " "$f" "$a"
			done
			echo '1/0 notitle'
		fi
		if [ -s "$d/fs.dat" ]; then
			echo "set output '$o/designs-false-sharing.png'"
			echo "set title 'cache lines that held blocks of more than one CPU (8-byte objects, all CPUs)'"
			echo "set key top right; set xlabel ''; set ylabel 'shared cache lines (median)'; set xtics auto; set yrange [0:*]"
			echo 'set style data histograms; set style histogram clustered gap 1; set style fill solid 0.8 border -1'
			echo "plot '$d/fs.dat' using 2:xtic(1) title 'active-false', '' using 3 title 'passive-false'"
			echo 'set style data lines'
		fi
		if [ -s "$d/walk.dat" ]; then
			echo "set output '$o/designs-kheap-walk.png'"
			echo "set title 'kheap: a free walks the pagerefs (OS/161); alloc + free of a random held block'"
			echo "set key top left; set xlabel 'pagerefs held'; set ylabel 'ns per alloc+free (median)'; set y2label 'pagerefs walked per free'"
			echo 'set xrange [0:*]; set xtics auto; set yrange [0:*]; set y2range [0:*]; set ytics nomirror; set y2tics'
			echo "plot '$d/walk.dat' using 1:2 with linespoints axes x1y1 title 'ns per pair', '' using 1:3 with linespoints axes x1y2 title 'walked per free'"
		fi
	} >"$gp"
	[ "$(wc -l <"$gp")" -gt 2 ] || return 0
	gnuplot "$gp" || { say "bench: gnuplot failed ($gp)"; return 1; }
}

# merge_designs FROM OUT: the rows of FROM/designs.csv for the designs
# OUT's run did not measure (not its kmalloc rows: each design's x_km is
# over the kmalloc slices of its own run) appended to OUT/designs.csv, so
# that one table shows every design; OUT/designs-env.txt says so.
merge_designs() {
	local from=$1/designs.csv to=$2/designs.csv
	[ -s "$from" ] && [ -s "$to" ] || die "bench: --merge needs $from and $to"
	awk -F, 'NR == FNR { if (FNR > 1) have[$5] = 1; next }
		FNR > 1 && $5 != "kmalloc" && !($5 in have)' "$to" "$from" >>"$to"
	echo "merged from $1: $(grep '^pheap_bench' "$1/designs-env.txt" || true)" \
		>>"$2/designs-env.txt"
}

# report_designs OUT: table (printed, .txt, .md) and plots from
# OUT/designs.csv.
report_designs() {
	local o=$1 f
	[ -s "$o/designs.csv" ] || { say "bench: no results in $o/designs.csv"; return 1; }
	table_designs "$o/designs.csv" 0 >"$o/designs-table.txt"
	table_designs "$o/designs.csv" 1 >"$o/designs-table.md"
	echo
	echo "pheap's designs side by side (medians). ns/op: time per allocation and"
	echo "its free, an inverse throughput; x_km: over kmalloc's in the same case"
	echo "(the median of the per-slice ratios, each slice over kmalloc's next to it)."
	echo "held_kB: A at the end of the run (kmalloc: change in slab pages, a lower"
	echo "bound); held/live: over the bytes the workload still holds. shared:"
	echo "cache lines that held blocks of more than one CPU (false sharing)."
	echo "lock%: acquisitions of the shared heap's lock that found it taken,"
	echo "per 100 (kheap, serial, class-lock, boundary-tag; block-lock: of every"
	echo "block lock its walks took). walked: pagerefs a kheap free passed."
	echo "search: free blocks a boundary-tag or block-lock allocation visited"
	echo "(first fit); btree: tree levels its search descended. hold_ns: btree's"
	echo "writer lock held per acquisition. kheap-walk's cases hold the pagerefs they are named for (+1"
	echo "while a pair is in flight); its plot has the curve."
	cat "$o/designs-table.txt"
	# prodcons-rounds: held after the first and the last round
	awk -F, 'NR > 1 && $2 == "prodcons-rounds" && $4 == "held_kb" && $3 ~ /^round/ {
		r = $3; sub(/^round/, "", r)
		if (!($5 in first) || r + 0 < fr[$5]) { first[$5] = $6; fr[$5] = r + 0 }
		if (!($5 in last) || r + 0 > lr[$5]) { last[$5] = $6; lr[$5] = r + 0 }
	}
	END { for (a in first) printf "prodcons-rounds %-12s held %8.0f kB after round %d, %8.0f kB after round %d\n", a, first[a], fr[a], last[a], lr[a] }' \
		"$o/designs.csv" | sort
	cat "$o/designs-env.txt" 2>/dev/null || true
	echo
	plots_designs "$o" || return 1
	for f in "$o"/designs-*.png; do
		[ ! -f "$f" ] || say "plot: $f"
	done
}

if [ $designs = 1 ]; then
	pfx=designs report=report_designs allocs="$design_list kmalloc"
else
	pfx=bench report=report allocs="pheap kmalloc"
fi
if [ $report_only = 1 ]; then
	$report "$out"
	exit
fi
if [ -n "$merge_dir" ]; then
	merge_designs "$merge_dir" "$out"
	report_designs "$out"
	exit
fi

t_start=$(date +%s)
rel=$(stock_release 6.1)
[ -n "$rel" ] || die "bench: no Debian 6.1 kernel with headers: run scripts/setup.sh"
say "bench: building against $rel"
dir=$(bash "$PHEAP_ROOT/scripts/build.sh" 6.1 | tail -n 1)
for m in "$dir/pheap.ko" "$dir/bench/pheap_bench.ko"; do
	[ -f "$m" ] || die "bench: $m was not built"
done
mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/pheap-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

bench_args="scenarios=$scenarios reps=$reps ops=$ops"
[ $quick = 1 ] && bench_args="$bench_args quick=1"
[ $designs = 1 ] && bench_args="$bench_args designs=${design_list// /,}"
echo "$bench_args" >"$work/bench.args"
echo "$pheap_args" >"$work/pheap.args"

csv=$out/$pfx.csv
echo "init_on_alloc,scenario,case,metric,alloc,median,min,max,n,q1,q3" >"$csv"
for ioa in $ioa_list; do
	log=$out/$pfx-ioa$ioa.log
	say "bench: init_on_alloc=$ioa: booting $rel, $smp vCPUs, TCG; pheap_bench $bench_args (log $log)"
	t0=$(date +%s)
	rc=0
	bash "$PHEAP_ROOT/scripts/vm.sh" --kernel "$(stock_image "$rel")" \
		--script "$PHEAP_ROOT/scripts/guest/bench.sh" \
		--module "$dir/pheap.ko" --module "$dir/bench/pheap_bench.ko" \
		--file "$work/bench.args:/bench.args" \
		--file "$work/pheap.args:/pheap.args" \
		--smp "$smp" --append "init_on_alloc=$ioa" --timeout "$timeout" \
		--log "$log" || rc=$?
	say "bench: init_on_alloc=$ioa: VM exit $rc after $(( $(date +%s) - t0 ))s"
	if [ $rc -ne 0 ]; then
		tr -d '\r' <"$log" | grep -a -E '^not ok|pheap_bench: (E |done)' | sed 's/^/    | /' || true
		fails=$((fails + 1))
		continue
	fi
	parse "$log" "$ioa" >>"$csv"
	check "$log" "$ioa" || fails=$((fails + 1))
done

{
	echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "host: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs, $(awk '/MemTotal/ { printf "%d GiB", $2 / 1048576 }' /proc/meminfo)"
	echo "qemu: $(qemu-system-x86_64 --version | head -n 1), TCG (no KVM), $smp vCPUs, ${PHEAP_MEM:-1G} guest memory"
	echo "guest kernel: $rel (Debian stock)"
	echo "pheap_bench: $bench_args; pheap.ko: ${pheap_args:-defaults}"
} >"$out/$pfx-env.txt"

$report "$out" || fails=$((fails + 1))
say "bench: $(( $(date +%s) - t_start ))s in all; results in $out"
[ $fails -eq 0 ] || die "bench: $fails check(s) failed"
say "bench: sanity checks passed (no timing assertions)"
