#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: every test, one stage at a time, each with its wall time.
# Ends with "N passed, N failed" and exits non-zero if any stage failed.
# A stage's output goes to out/check-<stage>.log; a failing stage's tail
# is printed.
set -uo pipefail
. "$(dirname "$0")/common.sh"
mkdir -p "$PHEAP_OUT"

passed=0 failed=0 failures=()

stage() {
	local name=$1 t0 t1 rc log
	shift
	log=$PHEAP_OUT/check-$name.log
	t0=$(date +%s)
	"$@" >"$log" 2>&1
	rc=$?
	t1=$(date +%s)
	if [ $rc -eq 0 ]; then
		passed=$((passed + 1))
		printf '[pheap] PASS %-14s %4ss\n' "$name" $((t1 - t0))
	else
		failed=$((failed + 1))
		failures+=("$name")
		printf '[pheap] FAIL %-14s %4ss  (exit %s, log %s)\n' "$name" $((t1 - t0)) $rc "$log"
		tail -n 30 "$log" | sed 's/^/    | /'
	fi
}

checkpatch() {
	prepare_linux_tree
	local cp files
	cp=$(linux_src_dir)/scripts/checkpatch.pl
	mapfile -t files < <(project_c_files)
	(cd "$PHEAP_ROOT" && perl "$cp" --strict --no-tree --terse \
		--ignore FILE_PATH_CHANGES -f "${files[@]}") || return 1
	echo "checkpatch --strict: ${#files[@]} files clean"
}

build_61() { bash "$PHEAP_ROOT/scripts/build.sh" 6.1 W=1 C=1; }
build_612() { bash "$PHEAP_ROOT/scripts/build.sh" 6.12 W=1; }
# The VM stress on both kernels at PHEAP_SMP vCPUs (default 4), and on
# 6.1 at 1 and 8: one CPU (no remote frees at all) and more vCPUs than
# host cores.
vm_61() { bash "$PHEAP_ROOT/scripts/vmtest.sh" 6.1; }
vm_61_smp1() { bash "$PHEAP_ROOT/scripts/vmtest.sh" 6.1 --smp 1; }
vm_61_smp8() { bash "$PHEAP_ROOT/scripts/vmtest.sh" 6.1 --smp 8; }
vm_612() { bash "$PHEAP_ROOT/scripts/vmtest.sh" 6.12; }

stage setup bash "$PHEAP_ROOT/scripts/setup.sh"
stage build-6.1 build_61
stage build-6.12 build_612
stage checkpatch checkpatch
stage kunit bash "$PHEAP_ROOT/scripts/kunit.sh"
stage vm-6.1 vm_61
stage vm-6.1-smp1 vm_61_smp1
stage vm-6.1-smp8 vm_61_smp8
stage vm-6.12 vm_612
stage bench-quick bash "$PHEAP_ROOT/scripts/bench.sh" --quick

[ $failed -eq 0 ] || say "failed stages: ${failures[*]}"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
