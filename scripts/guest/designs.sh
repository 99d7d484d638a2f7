# SPDX-License-Identifier: GPL-2.0
# Guest-side checks of the heap designs, sourced by vmtest.sh after
# lib.sh: a bad name refused with the valid ones listed; then for every
# design but hoard (vmtest.sh's own phases load hoard): load pheap.ko
# with design=<design>, the bad callers, the cross-CPU stress with
# contents checked (a quarter of vmtest.sh's operations: the locked
# designs serialise every CPU; boundary-tag an eighth of that, block-lock
# a 32nd; btree, whose search is O(log n), the quarter), nothing left in
# use, unload, every page returned.
DESIGNS="kheap serial class-lock private ownership boundary-tag block-lock btree"

# designs_phases OPS: the bad name refused, then each design, a phase
# each (lib.sh), with a limit far above the 2-4 s each takes at 4 vCPUs
# under TCG on the 2-core development machine.
designs_phases() {
	local d
	phase designs-refused 60 designs_refused
	for d in $DESIGNS; do
		# one free list walked per call, without bound (the notes'
		# claim): 10 times the others' time per operation under TCG for
		# boundary-tag, 100 times for block-lock (its frees walk too,
		# and its vCPUs spin on bit locks whose holders the host has
		# descheduled)
		case $d in
		boundary-tag) phase "design-$d" 100 design_stress "$d" $(($1 / 8)) ;;
		block-lock) phase "design-$d" 100 design_stress "$d" $(($1 / 32)) ;;
		*) phase "design-$d" 100 design_stress "$d" "$1" ;;
		esac
	done
}

designs_refused() {
	t "insmod pheap.ko design=slab fails with EINVAL" \
		sh -c "! insmod /mod/pheap.ko design=slab 2>/tmp/err && grep -q 'Invalid argument' /tmp/err"
	t "design=slab: the message names the valid designs" \
		sh -c "dmesg | grep -q \"unknown design 'slab': valid are kheap, serial, class-lock, private, ownership, hoard, boundary-tag, block-lock, btree\""
	t "policy=, design='s earlier name, still picks the design" \
		sh -c "insmod /mod/pheap.ko policy=serial && grep -qx 'param_design serial' $D/stats"
	rmmod pheap 2>/dev/null
}

# design_stress DESIGN OPS: one design, loaded, called wrongly, stressed.
design_stress() {
	local d=$1 ops=$2 before t0
	before=$(dmesg | grep -c 'pheap: unloaded, every page returned (0 allocations')
	t "$d: insmod pheap.ko design=$d" insmod /mod/pheap.ko design=$d
	t "$d: stats shows the design" grep -qx "param_design $d" $D/stats
	t "$d: bad callers refused and counted" insmod /mod/pheap_badcallers.ko
	rmmod pheap_badcallers 2>/dev/null
	echo 1 >$D/reset
	t0=$(cut -d' ' -f1 /proc/uptime)
	t "$d: stress, $ops ops on each of $NCPU CPUs, contents checked" \
		insmod /mod/pheap_stress.ko ops=$ops
	echo "# $d: stress took $(awk -v t0="$t0" '{ printf "%.1f", $1 - t0 }' /proc/uptime) s"
	dmesg | grep 'pheap_stress:' | tail -n 1
	grep -E '^(a_bytes|peak_a_bytes|lock_acquired|lock_contended|pagerefs_walked_per_free|searched_per_alloc|search_max|runs) ' $D/stats | tr '\n' ' '
	echo
	t "$d: nothing in use, no bad frees, no corruption" \
		sh -c "grep -qx 'u_bytes 0' $D/stats && grep -qx 'bad_frees 0' $D/stats && grep -qx 'corruptions 0' $D/stats"
	rmmod pheap_stress
	t "$d: rmmod pheap" rmmod pheap
	t "$d: every page returned at unload" \
		test "$(dmesg | grep -c 'pheap: unloaded, every page returned (0 allocations')" -gt "$before"
}
