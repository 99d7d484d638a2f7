#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: every test, one stage at a time. A stage says what it does
# when it starts, shows every 30 s that it is alive (PHEAP_TICK), and
# ends with PASS or FAIL and its wall time. Each has a time limit, a few
# times its cold time on the 2-core development machine: one that
# overruns is stopped, with everything it started, and fails saying so.
# Ends with the matrix (a cell per kernel and vCPU count, and per KUnit
# kernel), then "N passed, N failed", and exits non-zero if any stage
# failed.
# A stage's output goes to out/check-<stage>.log; a failing stage's tail
# is printed.
#
# usage: check.sh [--full]
# make check runs the matrix cells that fit its budget (30 min cold, 10
# warm, on a 2-core machine): KUnit on 6.1 (KASAN + lockdep) and on 6.12
# (PREEMPT_RT + lockdep); the VM runner's own checks (vm-selftest.sh);
# the full VM test at 4 vCPUs on 6.1, 6.12 and
# both RT kernels (its last phase, the other heap designs, on 6.1 and
# 6.12-rt), the stress alone at 1, 2 and 8 vCPUs on 6.1 (the 2 online of
# 4 possible CPUs), and the NUMA test on 6.1 (two nodes of two vCPUs).
# --full (make check-full) adds KUnit on 6.12 (KASAN + lockdep) and on
# 6.1 under KCSAN, and runs the full VM test at 1, 2 and 8 vCPUs too.
set -uo pipefail
. "$(dirname "$0")/common.sh"
mkdir -p "$PHEAP_OUT"

full=0
case ${1:-} in
--full) full=1 ;;
'') ;;
*) die "usage: check.sh [--full]" ;;
esac

passed=0 failed=0 failures=()
declare -A result

# PHEAP_TICK: seconds between the lines that show a long stage is alive.
tick=${PHEAP_TICK:-30}

# The last line a stage wrote to its log, made printable and short.
last_line() {
	tail -n 1 "$1" 2>/dev/null | tr -d '\r\n' | tr -c '[:print:]' ' ' | cut -c1-90
}

# stage NAME LIMIT WHAT CMD...: say what runs, run it with its output to
# out/check-NAME.log, show every $tick seconds that it is alive (elapsed
# time and the log's last line), stop it after LIMIT seconds, then PASS
# or FAIL with the wall time.
stage() {
	local name=$1 limit=$2 what=$3 t0 rc log pid next over=0
	shift 3
	log=$PHEAP_OUT/check-$name.log
	printf '[pheap] .... %-16s %s\n' "$name" "$what"
	t0=$(date +%s)
	next=$((t0 + tick))
	# A process group of its own (job control on while it starts), so
	# that a stage that overruns is stopped with everything it started.
	set -m
	"$@" </dev/null >"$log" 2>&1 &
	pid=$!
	set +m
	while kill -0 "$pid" 2>/dev/null; do
		sleep 1
		if [ $(($(date +%s) - t0)) -ge "$limit" ]; then
			over=1
			kill -TERM -- -"$pid" 2>/dev/null
			sleep 5
			kill -KILL -- -"$pid" 2>/dev/null
			break
		fi
		if [ "$(date +%s)" -ge "$next" ] && kill -0 "$pid" 2>/dev/null; then
			printf '[pheap]      %-16s %4ss  %s\n' "$name" \
				$(($(date +%s) - t0)) "$(last_line "$log")"
			next=$((next + tick))
		fi
	done
	wait "$pid" 2>/dev/null
	rc=$?
	t0=$(($(date +%s) - t0))
	if [ $over = 1 ]; then
		echo "[pheap] check: stage $name stopped: over its limit of ${limit}s" >>"$log"
		rc=124
	fi
	if [ $rc -eq 0 ]; then
		passed=$((passed + 1))
		result[$name]=PASS
		printf '[pheap] PASS %-16s %4ss\n' "$name" "$t0"
	else
		failed=$((failed + 1))
		failures+=("$name")
		result[$name]=FAIL
		printf '[pheap] FAIL %-16s %4ss  (%s, log %s)\n' "$name" "$t0" \
			"$([ $over = 1 ] && echo "over its limit of ${limit}s" || why_failed $rc)" "$log"
		tail -n 30 "$log" | sed 's/^/    | /'
	fi
}

# why_failed RC: a stage's exit status in words; the VM runner's
# (scripts/vm.sh) say whose failure it was.
why_failed() {
	case $1 in
	90) echo "exit 90: a kernel splat, possibly pheap's" ;;
	93) echo "exit 93: the guest kernel did not boot, the platform's" ;;
	94) echo "exit 94: the platform's failure in every try, not pheap's" ;;
	95) echo "exit 95: a guest phase overran its limit, or the guest stopped" ;;
	*) echo "exit $1" ;;
	esac
}

checkpatch() {
	prepare_linux_tree
	local cp files out
	cp=$(linux_src_dir)/scripts/checkpatch.pl
	mapfile -t files < <(project_c_files)
	(cd "$PHEAP_ROOT" && perl "$cp" --strict --no-tree --terse \
		--ignore FILE_PATH_CHANGES -f "${files[@]}") || return 1
	echo "checkpatch --strict: ${#files[@]} files clean"
	# pheap/'s layering: no file calls a layer above it
	out=$(python3 "$PHEAP_ROOT/scripts/layers.py" "$PHEAP_ROOT/pheap") ||
		{ echo "$out" | sed -n '/^circle/,$p'; return 1; }
	echo "$out" | tail -n 1
}

# build_61: the W=1 and sparse build, then hoard's paths read from its
# disassembly: no indirect call (scripts/no-indirect.sh).
build_61() {
	local dir
	dir=$(bash "$PHEAP_ROOT/scripts/build.sh" 6.1 W=1 C=1 | tail -n 1) &&
		echo "$dir" &&
		bash "$PHEAP_ROOT/scripts/no-indirect.sh" "$dir/pheap.ko"
}
build_612() { bash "$PHEAP_ROOT/scripts/build.sh" 6.12 W=1; }

# vm_cell KERNEL SMP [MAXCPUS]: the full VM test, or with check.sh (not
# --full) the stress alone when the cell is not a kernel's 4-vCPU one,
# and the other heap designs only on 6.1 and 6.12-rt (the two ends of
# the matrix). MAXCPUS: that many possible CPUs, SMP of them online.
vm_cell() {
	local args=("$1" --smp "$2")
	[ -n "${3:-}" ] && args+=(--maxcpus "$3")
	[ $full = 0 ] && [ "$2" != 4 ] && args+=(--stress-only)
	[ $full = 0 ] && case $1 in 6.12 | 6.1-rt) args+=(--no-designs) ;; esac
	bash "$PHEAP_ROOT/scripts/vmtest.sh" "${args[@]}"
}

# cell CELL: the matrix's figure for a stage, "-" when it did not run.
cell() { echo "${result[$1]:--}"; }

matrix() {
	local k c
	echo "[pheap] matrix: the VM test, kernel x vCPUs (2: of 4 possible)$([ $full = 1 ] || echo ' (1, 2, 8: the stress alone)')"
	printf '[pheap]   %-9s %6s %6s %6s %6s %8s\n' kernel 1 2 4 8 "2 nodes"
	for k in 6.1 6.12 6.1-rt 6.12-rt; do
		printf '[pheap]   %-9s' "$k"
		for c in 1 2 4 8; do
			printf ' %6s' "$(cell "vm-$k-smp$c")"
		done
		printf ' %8s\n' "$(cell "vm-$k-numa")"
	done
	echo "[pheap] matrix: KUnit"
	printf '[pheap]   %-26s %s\n' "6.1 KASAN + lockdep" "$(cell kunit)" \
		"6.12 PREEMPT_RT + lockdep" "$(cell kunit-6.12-rt)" \
		"6.12 KASAN + lockdep" "$(cell kunit-6.12)" \
		"6.1 KCSAN" "$(cell kunit-kcsan)"
	[ $full = 1 ] || echo "[pheap] (-: in make check-full only)"
}

stage setup 1800 "installing what is missing: Debian packages, kernel sources (first run a few minutes)" \
	bash "$PHEAP_ROOT/scripts/setup.sh"
stage build-6.1 300 "building pheap against 6.1 with W=1 and sparse; no indirect call on hoard's paths" build_61
stage build-6.12 300 "building pheap against 6.12 with W=1" build_612
stage checkpatch 600 "checkpatch --strict on every C file; no circle of calls among pheap/'s files" checkpatch
stage dkms 300 "DKMS: building pheap with dkms against the 6.1 and 6.12 headers, nothing installed" \
	bash "$PHEAP_ROOT/scripts/dkms.sh" check
stage kunit 1800 "KUnit on 6.1: building the debug kernel (KASAN, lockdep; first run about 9 min), then the suites under QEMU" \
	bash "$PHEAP_ROOT/scripts/kunit.sh"
stage kunit-6.12-rt 1800 "KUnit on 6.12 with PREEMPT_RT and lockdep: building its kernel (first run about 10 min), then the suites" \
	bash "$PHEAP_ROOT/scripts/kunit.sh" rt-6.12
if [ $full = 1 ]; then
	stage kunit-6.12 2400 "KUnit on 6.12 with KASAN and lockdep: building its kernel (first run about 10 min), then the suites" \
		bash "$PHEAP_ROOT/scripts/kunit.sh" kasan-6.12
	stage kunit-kcsan 1800 "KUnit under KCSAN: building its kernel (first run about 8 min), then the suites; any data race in pheap fails" \
		bash "$PHEAP_ROOT/scripts/kunit.sh" kcsan
fi
stage vm-runner 600 "the VM runner itself: a stalled guest phase stopped and named, platform failures retried, others never (about 1 min)" \
	bash "$PHEAP_ROOT/scripts/vm-selftest.sh"
for k in 6.1 6.12 6.1-rt 6.12-rt; do
	stage "vm-$k-smp4" 900 "VM test on $k, 4 vCPUs (TCG: about a minute)" vm_cell "$k" 4
done
for c in 1 2 8; do
	what="VM test"
	[ $full = 1 ] || what="VM stress"
	# 2 vCPUs online of 4 possible: CPUs that never came up.
	max=
	[ "$c" = 2 ] && max=4
	stage "vm-6.1-smp$c" 900 "$what on 6.1, $c vCPU(s)${max:+ online of $max possible}" \
		vm_cell 6.1 "$c" $max
done
stage vm-6.1-numa 900 "VM test on 6.1, two NUMA nodes of 2 vCPUs: node locality" \
	bash "$PHEAP_ROOT/scripts/vmtest.sh" 6.1 --numa
stage bench-quick 600 "benchmark suite, quick mode, sanity only (about 1 min)" \
	bash "$PHEAP_ROOT/scripts/bench.sh" --quick

# why NAME: the lines of a failed stage's log that say what failed (a
# test's name and expectation, a splat, the script's own verdict), at
# most 15: the end of make check's output is what a CI log keeps.
why() {
	grep -aE '\[FAILED\]|not ok [0-9]|EXPECTATION FAILED|Expected |BUG:|WARNING:|Oops|\[pheap\] [a-z0-9.-]+: ' \
		"$PHEAP_OUT/check-$1.log" 2>/dev/null | grep -av '\[PASSED\]' |
		tail -n 15 | cut -c1-160 | sed "s/^/[pheap]   $1: /"
}

matrix
if [ $failed -ne 0 ]; then
	say "failed stages: ${failures[*]}"
	for f in "${failures[@]}"; do why "$f"; done
fi
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
