#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Run pheap's KUnit suites under kunit.py, built into a debug kernel
# that boots in QEMU with 4 vCPUs under TCG.
#
# usage: kunit.sh [kasan | kcsan | kasan-6.12 | rt-6.12]
#   kasan (the default)  linux-source-6.1 with kunit/.kunitconfig: SMP,
#                        KASAN, lockdep, DEBUG_ATOMIC_SLEEP, CPU hotplug;
#                        built in $PHEAP_CACHE/kunit-build
#   kcsan                6.1 with kunit/kcsan.kunitconfig: KCSAN, the
#                        kernel's data race detector, instead of KASAN and
#                        lockdep (they do not mix with it), built in
#                        kunit-build-kcsan; a KCSAN report with a pheap
#                        function in it fails the run (scripts/kcsan-own.py)
#   kasan-6.12           linux-source-6.12 with kunit/.kunitconfig, built
#                        in kunit-build-6.12
#   rt-6.12              6.12 with kunit/rt.kunitconfig: PREEMPT_RT (spin
#                        locks sleep), lockdep and DEBUG_ATOMIC_SLEEP, which
#                        catch a sleeping lock taken with interrupts off;
#                        built in kunit-build-6.12-rt
#
# Each tree is Debian's linux-source package, extracted once into
# $PHEAP_CACHE and kept with its build directories, so a warm run
# rebuilds only pheap.
# pheap is copied (not linked) to lib/pheap: rsync --checksum touches only
# files whose content changed, which keeps make's rebuild minimal. It
# does not keep the work tree's times (no -t): a file edited while a
# build ran would carry a time older than its object, and make would
# not rebuild it; a copy written now always is.
#
# QEMU gives the guest two NUMA nodes (below).
#
# The kernel boots with init_on_free=1, so pheap's zero-on-free path runs
# under the tests; init_on_alloc stays off, so __GFP_ZERO is tested alone.
#
# Fails when kunit.py fails, when any test fails or crashes, and when no
# test ran at all (kunit.py itself exits 0 then). A kernel that did not
# get as far as the tests (under TCG it sometimes oopses or locks up
# patching its own code at boot), with no function of pheap's in its
# log, is booted again (kunit.py exec, nothing rebuilt), said so, up to
# 3 runs in all (PHEAP_KUNIT_TRIES); its log is kept as test.log.tryN.
# Any failure once the tests have started counts as it is.
#
# Environment: PHEAP_CACHE, KUNIT_FILTER (a suite glob, e.g. 'pheap_class'),
# KUNIT_TIMEOUT (seconds for one boot's test run, default 300: the 6.1
# KASAN run takes 34 s here, so a hung kernel costs minutes, not the
# stage's whole budget).
set -euo pipefail
. "$(dirname "$0")/common.sh"

bash "$PHEAP_ROOT/scripts/setup.sh" >/dev/null

mode=${1:-kasan}
case "$mode" in
kasan)	ver=6.1 BUILD=$PHEAP_CACHE/kunit-build
	config=$PHEAP_ROOT/kunit/.kunitconfig ;;
kcsan)	ver=6.1 BUILD=$PHEAP_CACHE/kunit-build-kcsan
	config=$PHEAP_ROOT/kunit/kcsan.kunitconfig
	# KCSAN slows the interrupt cases most: the suites take over 5 min
	KUNIT_TIMEOUT=${KUNIT_TIMEOUT:-600} ;;
kasan-6.12) ver=6.12 BUILD=$PHEAP_CACHE/kunit-build-6.12
	config=$PHEAP_ROOT/kunit/.kunitconfig ;;
rt-6.12) ver=6.12 BUILD=$PHEAP_CACHE/kunit-build-6.12-rt
	config=$PHEAP_ROOT/kunit/rt.kunitconfig ;;
*)	die "usage: kunit.sh [kasan | kcsan | kasan-6.12 | rt-6.12]" ;;
esac
log=$PHEAP_OUT/kunit-$mode.log
[ "$mode" = kasan ] && log=$PHEAP_OUT/kunit.log
SRC=$(linux_src_dir "$ver")

link_pheap() {
	mkdir -p "$SRC/lib/pheap"
	rsync -rl --checksum --delete \
		--include='/Kconfig' --include='/Kbuild' --include='/*.[ch]' \
		--include='/pheap/***' --include='/kunit/***' --include='/bench/***' \
		--exclude='*' \
		"$PHEAP_ROOT/" "$SRC/lib/pheap/"
	grep -q 'lib/pheap/Kconfig' "$SRC/lib/Kconfig" ||
		echo 'source "lib/pheap/Kconfig"' >>"$SRC/lib/Kconfig"
	grep -q 'pheap/' "$SRC/lib/Makefile" ||
		echo 'obj-$(CONFIG_PHEAP) += pheap/' >>"$SRC/lib/Makefile"
}

prepare_linux_tree "$ver"
link_pheap

# Two NUMA nodes of two vCPUs (a socket each) and 512 MiB each (kunit.py
# boots with 1024 MiB): the kernels built with CONFIG_NUMA see both, and the NUMA
# cases of pheap_global run; the KCSAN kernel (no NUMA) sees one.
NUMA_ARGS="-object memory-backend-ram,id=m0,size=512M -numa node,nodeid=0,cpus=0-1,memdev=m0"
NUMA_ARGS+=" -object memory-backend-ram,id=m1,size=512M -numa node,nodeid=1,cpus=2-3,memdev=m1"

mkdir -p "$PHEAP_OUT" "$BUILD"
args=(--arch=x86_64 --build_dir="$BUILD"
	--kunitconfig="$config"
	--qemu_args="-smp 4,sockets=2,cores=2,threads=1 $NUMA_ARGS"
	--kernel_args=init_on_free=1
	--timeout="${KUNIT_TIMEOUT:-300}")
[ -n "${KUNIT_FILTER:-}" ] && args+=("$KUNIT_FILTER")

# kunit.py CMD: run it with the arguments above, its output to $log.
kunit_py() {
	say "kunit: kunit.py $* ${args[*]}"
	(cd "$SRC" && python3 tools/testing/kunit/kunit.py "$@" "${args[@]}") 2>&1 | tee "$log"
	return "${PIPESTATUS[0]}"
}

# Whether the kernel of the last run never got to the tests (no KTAP
# header in its log) through no fault of pheap's (no function of
# pheap's named in the log: pheap is built in, and its instance is
# created at boot).
boot_failed() {
	local syms
	[ -f "$BUILD/test.log" ] || return 1
	grep -Eq '^ *K?TAP version' "$BUILD/test.log" && return 1
	syms=$(pheap_symbols)
	[ -s "$syms" ] && grep -qwFf "$syms" "$BUILD/test.log" && return 1
	return 0
}

# The text symbols of pheap's objects in the build, one a line, in a file
# whose name is printed.
pheap_symbols() {
	nm --defined-only "$BUILD"/lib/pheap/*.o "$BUILD"/lib/pheap/*/*.o 2>/dev/null |
		awk '$2 ~ /^[tT]$/ { print $3 }' | sort -u >"$BUILD/pheap.syms"
	echo "$BUILD/pheap.syms"
}

set +e
# A log left by an earlier run must not be taken for this one's (a build
# that fails runs no kernel).
rm -f "$BUILD/test.log"
kunit_py run --jobs="$(nproc)"
rc=$?
try=1
while [ "$rc" -ne 0 ] && [ "$try" -lt "${PHEAP_KUNIT_TRIES:-3}" ] && boot_failed; do
	cp "$BUILD/test.log" "$BUILD/test.log.try$try"
	say "kunit: not pheap's failure: the kernel did not get to the tests ($(grep -Eam1 "$SPLAT" "$BUILD/test.log" | cut -c1-100)); booting it again (log $BUILD/test.log.try$try)"
	try=$((try + 1))
	kunit_py exec
	rc=$?
done
set -e

# The closing line: "Testing complete. Ran N tests: passed: P, failed: F, ..."
summary=$(grep -E 'Testing complete\. Ran [0-9]+ tests' "$log" | tail -n 1 || true)
ran=$(sed -nE 's/.*Ran ([0-9]+) tests.*/\1/p' <<<"$summary")
failed=$(sed -nE 's/.*failed: ([0-9]+).*/\1/p' <<<"$summary")
crashed=$(sed -nE 's/.*crashed: ([0-9]+).*/\1/p' <<<"$summary")

if [ "$rc" -ne 0 ]; then
	die "kunit: kunit.py exited $rc (log: $log)"
fi
if [ -z "$ran" ] || [ "$ran" -eq 0 ]; then
	die "kunit: no test ran (log: $log)"
fi
if [ "${failed:-0}" -ne 0 ] || [ "${crashed:-0}" -ne 0 ]; then
	die "kunit: $summary"
fi
# A KCSAN run must have had KCSAN on: its self-test at boot says so.
if [ "$mode" = kcsan ] && ! grep -Eq 'kcsan: selftest: ([0-9]+)/\1 tests passed' "$BUILD/test.log"; then
	die "kunit: KCSAN did not run or its self-test failed (log: $BUILD/test.log)"
fi
# A splat does not fail a KUnit test by itself: read the kernel's log.
# Under KCSAN, only the data races with a pheap function in them count
# (scripts/kcsan-own.py): the kernel's own are printed and ignored.
checked=$BUILD/test.log
if [ "$mode" = kcsan ]; then
	pheap_symbols >/dev/null
	[ -s "$BUILD/pheap.syms" ] || die "kunit: no pheap symbols in $BUILD/lib/pheap"
	checked=$BUILD/test-pheap.log
	python3 "$PHEAP_ROOT/scripts/kcsan-own.py" "$BUILD/test.log" \
		"$BUILD/pheap.syms" >"$checked"
fi
if grep -Eq "$SPLAT" "$checked"; then
	grep -En "$SPLAT" "$checked" | head -n 20 >&2
	die "kunit: kernel splat during the tests (log: $BUILD/test.log)"
fi
skipped=$(sed -nE 's/.*skipped: ([0-9]+).*/\1/p' <<<"$summary")
say "kunit: $ran tests ran, none failed${skipped:+, $skipped skipped (their reasons are in $log)}"
