#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make soak: the gate's own steadiness. Runs make check's full VM test at
# 4 vCPUs on each of the four kernels, and its KUnit stages, N times
# each (in rounds: every cell once, then again), and tallies every run:
# passed, failed, and the platform retries it took (scripts/vm.sh and
# scripts/kunit.sh say "not pheap's failure" for each). A failed run's
# output (the runner's, with its log paths) is kept as out/soak/<cell>-<round>.out,
# and its reason is printed.
#
# usage: soak.sh [N] [CELL...]    N rounds (default 10); CELLs among
#        vm-6.1 vm-6.12 vm-6.1-rt vm-6.12-rt kunit kunit-6.12-rt
#        (default: all six)
set -uo pipefail
. "$(dirname "$0")/common.sh"

rounds=${1:-10}
[[ $rounds =~ ^[1-9][0-9]*$ ]] || die "usage: soak.sh [N] [CELL...]"
shift $(($# > 0 ? 1 : 0))
cells=("$@")
[ ${#cells[@]} -gt 0 ] || cells=(vm-6.1 vm-6.12 vm-6.1-rt vm-6.12-rt kunit kunit-6.12-rt)
out=$PHEAP_OUT/soak
mkdir -p "$out"

declare -A pass fail retry
# run_cell CELL: one run of a cell; its runner's output on stdout.
run_cell() {
	case $1 in
	vm-*) bash "$PHEAP_ROOT/scripts/vmtest.sh" "${1#vm-}" --smp 4 ;;
	kunit) bash "$PHEAP_ROOT/scripts/kunit.sh" ;;
	kunit-6.12-rt) bash "$PHEAP_ROOT/scripts/kunit.sh" rt-6.12 ;;
	*) die "soak: unknown cell $1" ;;
	esac
}

for r in $(seq 1 "$rounds"); do
	for c in "${cells[@]}"; do
		t0=$(date +%s)
		run_cell "$c" >"$out/run.out" 2>&1
		rc=$?
		retries=$(grep -c "not pheap's failure" "$out/run.out")
		retry[$c]=$((${retry[$c]:-0} + retries))
		rs=
		[ "$retries" -gt 0 ] && rs=" ($retries retries)"
		if [ $rc -eq 0 ]; then
			pass[$c]=$((${pass[$c]:-0} + 1))
			say "soak: round $r $c: pass in $(($(date +%s) - t0))s$rs"
		else
			fail[$c]=$((${fail[$c]:-0} + 1))
			cp "$out/run.out" "$out/$c-$r.out"
			say "soak: round $r $c: FAIL (exit $rc) in $(($(date +%s) - t0))s; output $out/$c-$r.out:"
			grep -E 'error|not ok|vm: |kunit: ' "$out/run.out" | tail -n 8 | sed 's/^/    | /'
		fi
	done
done
say "soak: $rounds rounds"
printf '[pheap]   %-14s %6s %6s %8s\n' cell passed failed retries
for c in "${cells[@]}"; do
	printf '[pheap]   %-14s %6s %6s %8s\n' "$c" "${pass[$c]:-0}" "${fail[$c]:-0}" "${retry[$c]:-0}"
done
total_fail=0
for c in "${cells[@]}"; do total_fail=$((total_fail + ${fail[$c]:-0})); done
[ $total_fail -eq 0 ]
