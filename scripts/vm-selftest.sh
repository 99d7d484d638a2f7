#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The VM runner's own promises (scripts/vm.sh, scripts/guest/lib.sh),
# each tried on the stock 6.1 kernel with a guest script made to break it:
#   stall     a phase that overruns its limit (5 s) is stopped and named
#             with its last lines and its processes' stacks, and the run
#             ends there: exit 95, well before the VM's own timeout;
#   wedged    a guest that stops dead in a phase (its QEMU frozen with
#             SIGSTOP, as a kernel livelocked with interrupts off would
#             be) is stopped by the host PHEAP_VM_WEDGE_GRACE (10 s here)
#             past the phase's limit, the phase named: exit 95;
#   early     a splat before pheap is loaded (a backtrace of every CPU,
#             sysrq l) is the platform's: said so, booted again, every
#             try's log kept, exit 94 after the last (2 tries here);
#   loaded    the same splat once pheap.ko is loaded could be pheap's:
#             never retried, exit 90 on the first run;
#   bootstall a guest kernel that stops printing before it is up (its
#             QEMU frozen once the kernel has begun to print) is stopped
#             PHEAP_VM_BOOT_QUIET (10 s here) after its last line, not
#             at the 300 s boot timeout, said so and booted again: the
#             second boot runs the script, exit 0.
# Prints "ok"/"not ok" per check and fails if any failed.
set -euo pipefail
. "$(dirname "$0")/common.sh"

rel=$(stock_release 6.1)
[ -n "$rel" ] || die "vm-selftest: no Debian 6.1 kernel: run scripts/setup.sh"
dir=$(bash "$PHEAP_ROOT/scripts/build.sh" 6.1 | tail -n 1)
work=$PHEAP_OUT/vm-selftest
rm -rf "$work"
mkdir -p "$work"
fails=0 n=0

check() {
	local desc=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc"
		fails=$((fails + 1))
	fi
}

# run CASE [vm.sh args]: vm.sh on the guest script $work/CASE.sh; sets rc
# (its exit status) and secs (its wall time); its output in CASE.out.
run() {
	local name=$1 t0
	shift
	t0=$(date +%s)
	rc=0
	bash "$PHEAP_ROOT/scripts/vm.sh" --kernel "$(stock_image "$rel")" \
		--script "$work/$name.sh" --module "$dir/pheap.ko" --smp 2 \
		--log "$work/$name.log" "$@" >"$work/$name.out" 2>&1 || rc=$?
	secs=$(($(date +%s) - t0))
	echo "# $name: exit $rc after ${secs}s"
}

cat >"$work/stall.sh" <<'EOF'
. /lib.sh
stall() {
	t "a check before the stall" true
	echo "the phase's last words"
	sleep 600
}
phase stall 5 stall
t "a check after the stall, never reached" true
done_testing
EOF
run stall --timeout 600
check "stall: vm.sh exits 95" test $rc = 95
check "stall: stopped within 120 s (its limit 5 s, the VM's 600 s)" test "$secs" -lt 120
check "stall: the phase named, with its limit" \
	grep -q 'vm: stall overran, limit 5 s' "$work/stall.out"
check "stall: its last lines shown" grep -q "the phase's last words" "$work/stall.out"
check "stall: its processes shown, the sleep among them" \
	grep -Eq '#   pid [0-9]+ \(sleep\)' "$work/stall.out"
check "stall: a failed check names it" \
	grep -aq '^not ok 2 - phase stall: over its limit of 5 s' "$work/stall.log"
check "stall: the test ended there" \
	sh -c "! grep -aq 'never reached' '$work/stall.log'"

cat >"$work/wedged.sh" <<'EOF'
. /lib.sh
wedged() { sleep 600; }
phase wedged 10 wedged
done_testing
EOF
# Freeze the guest's QEMU (vm.sh writes its PID beside the log) once
# the phase has started.
(
	for i in $(seq 300); do
		grep -aq '^PHEAP-PHASE: wedged start' "$work/wedged.log" 2>/dev/null && break
		sleep 1
	done
	cat "$work/wedged.log.pid" >"$work/wedged.qemu" &&
		kill -STOP "$(cat "$work/wedged.qemu")"
) &
PHEAP_VM_WEDGE_GRACE=10 run wedged --timeout 600
wait
check "wedged: its QEMU was frozen" test -s "$work/wedged.qemu"
check "wedged: vm.sh exits 95" test $rc = 95
check "wedged: stopped within 120 s (its limit 10 s, the VM's 600 s)" test "$secs" -lt 120
check "wedged: the host names the phase" \
	grep -q 'vm: phase wedged: no word from the guest [0-9]*s after it started (its limit 10s)' "$work/wedged.out"
check "wedged: no QEMU left behind" sh -c "! kill -0 $(cat "$work/wedged.qemu") 2>/dev/null"

cat >"$work/early.sh" <<'EOF'
echo 1 >/proc/sys/kernel/sysrq
echo l >/proc/sysrq-trigger
sleep 2
EOF
PHEAP_VM_TRIES=2 run early
check "early: vm.sh exits 94 (the platform's, every try)" test $rc = 94
check "early: the retry said so, not pheap's" \
	grep -q "vm: not pheap's failure: .*before pheap was loaded; booting again" "$work/early.out"
check "early: the first try's log kept" test -s "$work/early.log.try1"

cat >"$work/loaded.sh" <<'EOF'
insmod /mod/pheap.ko
echo 1 >/proc/sys/kernel/sysrq
echo l >/proc/sysrq-trigger
sleep 2
rmmod pheap
EOF
run loaded
check "loaded: vm.sh exits 90 (may be pheap's)" test $rc = 90
check "loaded: not retried" sh -c "! grep -q 'booting again' '$work/loaded.out'"

cat >"$work/bootstall.sh" <<'EOF'
. /lib.sh
t "the second boot runs the script" true
done_testing
EOF
# Freeze the first boot's QEMU once its kernel has printed its banner,
# before the guest is up; the second boot is left alone.
(
	for i in $(seq 600); do
		grep -aq 'Linux version' "$work/bootstall.log" 2>/dev/null && break
		sleep 0.1
	done
	grep -aq 'PHEAP-VM: guest up' "$work/bootstall.log" ||
		{ cat "$work/bootstall.log.pid" >"$work/bootstall.qemu" &&
			kill -STOP "$(cat "$work/bootstall.qemu")"; }
) &
PHEAP_VM_BOOT_QUIET=10 PHEAP_VM_TRIES=2 run bootstall --timeout 600
wait
check "bootstall: the first boot's QEMU was frozen before it was up" \
	test -s "$work/bootstall.qemu"
check "bootstall: stopped for its silence and booted again" \
	grep -q "vm: not pheap's failure: the guest kernel did not boot (no console output for 10s before it was up); booting again" "$work/bootstall.out"
check "bootstall: the second boot ran the script, exit 0" test $rc = 0
check "bootstall: within 120 s in all (the boot timeout is 300 s)" test "$secs" -lt 120
check "bootstall: no QEMU left behind" \
	sh -c "! kill -0 $(cat "$work/bootstall.qemu" 2>/dev/null || echo 0) 2>/dev/null"

echo "# $n checks, $fails failed"
[ $fails -eq 0 ]
