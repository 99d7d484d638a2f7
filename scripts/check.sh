#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: every test, one stage at a time. A stage says what it does
# when it starts, shows every 30 s that it is alive (PHEAP_TICK), and
# ends with PASS or FAIL and its wall time. Ends with "N passed, N
# failed" and exits non-zero if any stage failed.
# A stage's output goes to out/check-<stage>.log; a failing stage's tail
# is printed.
set -uo pipefail
. "$(dirname "$0")/common.sh"
mkdir -p "$PHEAP_OUT"

passed=0 failed=0 failures=()

# PHEAP_TICK: seconds between the lines that show a long stage is alive.
tick=${PHEAP_TICK:-30}

# The last line a stage wrote to its log, made printable and short.
last_line() {
	tail -n 1 "$1" 2>/dev/null | tr -d '\r\n' | tr -c '[:print:]' ' ' | cut -c1-90
}

# stage NAME WHAT CMD...: say what runs, run it with its output to
# out/check-NAME.log, show every $tick seconds that it is alive (elapsed
# time and the log's last line), then PASS or FAIL with the wall time.
stage() {
	local name=$1 what=$2 t0 rc log pid next
	shift 2
	log=$PHEAP_OUT/check-$name.log
	printf '[pheap] .... %-14s %s\n' "$name" "$what"
	t0=$(date +%s)
	next=$((t0 + tick))
	"$@" >"$log" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		sleep 1
		if [ "$(date +%s)" -ge "$next" ] && kill -0 "$pid" 2>/dev/null; then
			printf '[pheap]      %-14s %4ss  %s\n' "$name" \
				$(($(date +%s) - t0)) "$(last_line "$log")"
			next=$((next + tick))
		fi
	done
	wait "$pid"
	rc=$?
	t0=$(($(date +%s) - t0))
	if [ $rc -eq 0 ]; then
		passed=$((passed + 1))
		printf '[pheap] PASS %-14s %4ss\n' "$name" "$t0"
	else
		failed=$((failed + 1))
		failures+=("$name")
		printf '[pheap] FAIL %-14s %4ss  (exit %s, log %s)\n' "$name" "$t0" $rc "$log"
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

stage setup "installing what is missing: Debian packages, kernel sources (first run a few minutes)" \
	bash "$PHEAP_ROOT/scripts/setup.sh"
stage build-6.1 "building pheap against 6.1 with W=1 and sparse" build_61
stage build-6.12 "building pheap against 6.12 with W=1" build_612
stage checkpatch "checkpatch --strict on every C file" checkpatch
stage dkms "DKMS: building pheap with dkms against the 6.1 and 6.12 headers, nothing installed" \
	bash "$PHEAP_ROOT/scripts/dkms.sh" check
stage kunit "KUnit: building the debug kernel (KASAN, lockdep; first run 5-10 min), then the suites under QEMU" \
	bash "$PHEAP_ROOT/scripts/kunit.sh"
stage kunit-kcsan "KUnit under KCSAN: building its kernel (first run 5-10 min), then the suites; any data race in pheap fails" \
	bash "$PHEAP_ROOT/scripts/kunit.sh" kcsan
stage vm-6.1 "VM tests on 6.1, ${PHEAP_SMP:-4} vCPUs (TCG: about 45 s)" vm_61
stage vm-6.1-smp1 "VM tests on 6.1, 1 vCPU" vm_61_smp1
stage vm-6.1-smp8 "VM tests on 6.1, 8 vCPUs" vm_61_smp8
stage vm-6.12 "VM tests on 6.12, ${PHEAP_SMP:-4} vCPUs" vm_612
stage bench-quick "benchmark suite, quick mode, sanity only (about 1 min)" \
	bash "$PHEAP_ROOT/scripts/bench.sh" --quick

[ $failed -eq 0 ] || say "failed stages: ${failures[*]}"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
