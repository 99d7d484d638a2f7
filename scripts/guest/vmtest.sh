# SPDX-License-Identifier: GPL-2.0
# VM test, guest side: load pheap, call it wrongly (pheap_badcallers),
# stress it from every CPU with cross-CPU frees while readers read every
# debugfs file, check reset, stress it again with page requests failing
# on purpose, count every pheap:* event of a stress (tracefs, then
# trace-cmd: trace.sh) against the counters, unload, check that every
# page went back. Then load it in debug mode (debug=FZPU): the bad
# callers again, with an overflow and a write after free found, and a
# stress that must find nothing. Then, with more than one vCPU, a stress
# while CPUs go offline and come back. Last, every other heap design
# (designs.sh): loaded with design=, called wrongly, stressed, unloaded.
# Each part is a phase (lib.sh) with a time limit of its own, at the
# end of this file.
. /lib.sh
. /trace.sh
. /designs.sh
D=/sys/kernel/debug/pheap
NCPU=$(nproc)
# Fixed total work, about 10^6 operations over all CPUs, so the stress
# takes seconds at any vCPU count: under TCG on the 2-core development
# machine, with a kernel build beside it, 9.3 s at 1 vCPU, 3.7 s at 4 and
# 4.4 s at 8. One vCPU is the slowest (one host thread) and needs no cap.
OPS=$((1000000 / NCPU + 1))
if [ "$NCPU" -gt 1 ]; then
	frees="cross-CPU frees"
else
	frees="one CPU: no cross-CPU frees"
fi

field() { awk -v k="$1" '$1 == k { print $2 }' $D/stats; }
unloaded() { test "$(dmesg | grep -c 'pheap: unloaded, every page returned (0 allocations')" = "$1"; }

load_phase() {
	t "insmod pheap.ko" insmod /mod/pheap.ko
	for f in stats classes slabinfo cpus; do
		t "debugfs $f readable" test -r $D/$f
	done
	t "debugfs reset present" test -e $D/reset
	t "debugfs trim present" test -e $D/trim
}

# Bad callers first: each wrong free refused and reported with its
# reason; then the stress below runs on the same load, and unload must
# still find every page.
badcallers_phase() {
	t "bad callers: every bad call refused and counted" \
		insmod /mod/pheap_badcallers.ko
	dmesg | grep 'pheap_badcallers:'
	for why in "not allocated by pheap" "not a block of this heap" "double free"; do
		t "bad callers: reported: $why" \
			sh -c "dmesg | grep -q 'pheap: bad free of .*: $why'"
	done
	t "rmmod pheap_badcallers" rmmod pheap_badcallers
	t "reset after the bad callers" sh -c "echo 1 >$D/reset"
}

# A reader of every debugfs file, until /tmp/stop exists.
reader() {
	while [ ! -e /tmp/stop ]; do
		cat $D/stats $D/classes $D/slabinfo $D/cpus >/dev/null ||
			echo "reader: read failed"
	done
}

stress_phase() {
	reader & r1=$!
	reader & r2=$!
	t0=$(cut -d' ' -f1 /proc/uptime)
	t "stress: $OPS ops on each of $NCPU CPUs, $frees, contents checked" \
		insmod /mod/pheap_stress.ko ops=$OPS
	echo "# stress took $(awk -v t0="$t0" '{ printf "%.1f", $1 - t0 }' /proc/uptime) s on $NCPU CPUs"
	touch /tmp/stop
	wait $r1 $r2

	echo "== $D/stats after the workload"
	cat $D/stats
	echo "== $D/classes after the workload"
	cat $D/classes
	t "stats: u_bytes back to 0" grep -qx 'u_bytes 0' $D/stats
	t "stats: allocations counted" sh -c "! grep -qx 'allocs 0' $D/stats"
	echo "# rcu_frees $(field rcu_frees) in $(field rcu_rounds) rounds, $(field rcu_fallbacks) recorded in superblocks"
	echo "# nolock_allocs $(field nolock_allocs), nolock_failures $(field nolock_failures), nolock_reserve_bytes $(field nolock_reserve_bytes)"
	t "stats: nolock allocations served" sh -c "! grep -qx 'nolock_allocs 0' $D/stats"
	t "stats: RCU frees made, batched (rounds < frees / 10)" \
		awk '/^rcu_frees /{f=$2} /^rcu_rounds /{r=$2} END{exit !(f > 0 && r >= 1 && r * 10 < f)}' $D/stats
	t "stats: no bad frees" grep -qx 'bad_frees 0' $D/stats
	t "stats: A >= U" awk '/^u_bytes/{u=$2} /^a_bytes/{a=$2} END{exit !(a >= u)}' $D/stats
	t "classes: header and $(($(wc -l <$D/classes) - 1)) rows of 11 fields" \
		awk 'NR==1{ok=($1=="#")} NR>1{if (NF!=11) ok=0} END{exit !(ok && NR==18)}' $D/classes
	t "slabinfo: version 2.1, a pheap-<size> row of 16 fields per class" \
		awk 'NR==1{ok=($0=="slabinfo - version: 2.1")} /^pheap-/{r++; if (NF!=16) ok=0} END{exit !(ok && r==17)}' $D/slabinfo
	t "slabinfo: objects and slabs as classes counts them" \
		awk 'FNR==NR { if ($1 != "#") { u[$1]=$2; h[$1]=$3; s[$1]=$6+$7 }; next }
		     /^pheap-/ { sub("pheap-", "", $1); n++
			if ($2 != u[$1] || $3 != h[$1] || $15 != s[$1]) bad=1 }
		     END { exit !(n == 17 && !bad) }' $D/classes $D/slabinfo
	t "cpus: one row per CPU and SLUB-style lines" \
		awk '/^[0-9]/{r++} /^allocs [0-9]+ C[0-9]+=/{s=1} END{exit !(r >= '"$NCPU"' && s)}' $D/cpus

	reset_rejects() { ! (echo "$1" >$D/reset) 2>/tmp/err && grep -q 'Invalid argument' /tmp/err; }
	t "reset: '2' fails with EINVAL" reset_rejects 2
	t "reset: 'yes' fails with EINVAL" reset_rejects yes
	t "reset: bad input changed nothing" sh -c "! grep -qx 'allocs 0' $D/stats"
	t "reset: '1' clears the event counters" sh -c "echo 1 >$D/reset && grep -qx 'allocs 0' $D/stats"

	trim_rejects() { ! (echo "$1" >$D/trim) 2>/tmp/err && grep -q 'Invalid argument' /tmp/err; }
	t "trim: 'now' fails with EINVAL" trim_rejects now
	trimmed() {
		echo 1 >$D/trim && grep -qx 'a_bytes 0' $D/stats &&
			grep -qx 'sb_cpu 0' $D/stats && grep -qx 'sb_global 0' $D/stats && return
		echo "# after trim:" $(grep -E '^(a_bytes|u_bytes|sb_cpu|sb_global|large_bytes|nolock_reserve_bytes|rcu_[a-z]*) ' $D/stats)
		return 1
	}
	t "trim: '1' gives every empty superblock back (a_bytes 0, none held)" trimmed

	t "rmmod pheap_stress" rmmod pheap_stress
}

# Fault injection: every 4th page request fails; the stress takes the
# NULLs (counted, not errors) and still checks every block's contents.
faults_phase() {
	fail_rejects() { ! (echo "$2" >$D/$1) 2>/tmp/err && grep -q 'Invalid argument' /tmp/err; }
	t "fail_percent: '101' fails with EINVAL" fail_rejects fail_percent 101
	t "fail_every: 'often' fails with EINVAL" fail_rejects fail_every often
	t "fail_every: 4 set" sh -c "echo 4 >$D/fail_every && grep -qx 4 $D/fail_every"
	t "stress with every 4th page request failing, contents checked" \
		insmod /mod/pheap_stress.ko ops=$((OPS / 4)) nulls_ok=1
	t "fail_every: off again" sh -c "echo 0 >$D/fail_every && grep -qx 0 $D/fail_every"
	dmesg | grep 'pheap_stress:' | tail -n 2
	faults=$(field faults_injected)
	allocfails=$(field alloc_failures)
	echo "# faults_injected $faults, alloc_failures $allocfails"
	# Every failed allocation is an injected fault; not every fault fails an
	# allocation: while the CPU heap's lock is dropped for the page request,
	# another context may refill the class, or the task move to a CPU whose
	# heap has blocks (PREEMPT_RT), and the allocation is served after all.
	t "faults injected, every failed allocation one of them" \
		test "${allocfails:-0}" -gt 0 -a "$allocfails" -le "${faults:-0}"
	t "stats: still no bad frees, u_bytes back to 0" \
		sh -c "grep -qx 'bad_frees 0' $D/stats && grep -qx 'u_bytes 0' $D/stats"
	t "rmmod pheap_stress (faults)" rmmod pheap_stress
}

# Unload, every page back.
unload_phase() {
	t "rmmod pheap" rmmod pheap
	t "debugfs directory removed" test ! -e $D
	t "every page returned at unload, nothing leaked" \
		sh -c "dmesg | grep -q 'pheap: unloaded, every page returned (0 allocations'"
}

# Debug mode: bad letters refused with the valid ones named; debug=FZPU
# finds the overflow and the write after free, reports name the callers,
# and a stress with contents checked finds nothing.
debug_phase() {
	t "insmod pheap.ko debug=X fails with EINVAL" \
		sh -c "! insmod /mod/pheap.ko debug=X 2>/tmp/err && grep -q 'Invalid argument' /tmp/err"
	t "debug=X: the message names the valid letters" \
		sh -c "dmesg | grep -q 'pheap: debug=X: valid are letters of FZPU'"
	t "insmod pheap.ko debug=FZPU" insmod /mod/pheap.ko debug=FZPU
	t "stats: param_debug FZPU" grep -qx 'param_debug FZPU' $D/stats
	t "debug: bad callers refused, overflow and write after free found" \
		insmod /mod/pheap_badcallers.ko
	dmesg | grep -A2 -E 'pheap: (red zone overwritten|write after free)' | head -n 9
	for why in "red zone overwritten" "write after free" "double free (block already free)"; do
		t "debug: reported: $why, block and class named" \
			sh -c "dmesg | grep -q 'pheap: $why.*: block .* of pheap-64, [0-9]* bytes requested, found by'"
	done
	t "debug: reports name the last free's caller" \
		sh -c "dmesg | grep -q 'last freed by .*\[pheap_badcallers\] cpu=[0-9]* pid=[0-9]* age='"
	t "debug: reports name the allocation's caller" \
		sh -c "dmesg | grep -q 'allocated by .*\[pheap_badcallers\] cpu=[0-9]* pid=[0-9]* age='"
	t "rmmod pheap_badcallers (debug)" rmmod pheap_badcallers
	t "reset after the bad callers (debug)" sh -c "echo 1 >$D/reset"
	t "debug: stress, contents checked" insmod /mod/pheap_stress.ko ops=$((OPS / 4))
	cat $D/validate
	t "debug: validate: blocks checked, no red zone overwritten" \
		sh -c "grep -qx 'red_zones_overwritten 0' $D/validate && grep -q '^blocks_checked [0-9]' $D/validate"
	t "debug: no corruption, no bad free" \
		sh -c "grep -qx 'corruptions 0' $D/stats && grep -qx 'bad_frees 0' $D/stats"
	t "rmmod pheap_stress (debug)" rmmod pheap_stress
	t "rmmod pheap (debug)" rmmod pheap
	t "debug: every page returned at unload" unloaded 2
}

# CPU hotplug storm: CPUs other than 0 go offline and come back, one at a
# time, for as long as a cross-CPU stress runs. Any splat fails the run
# (vm.sh); the stress checks contents and that nothing stays in use.
hotplug_phase() {
	t "insmod pheap.ko (hotplug)" insmod /mod/pheap.ko
	insmod /mod/pheap_stress.ko ops=$OPS 2>/tmp/stress.err &
	spid=$!
	cycles=0
	while kill -0 $spid 2>/dev/null; do
		for c in $(seq 1 $((NCPU - 1))); do
			echo 0 >/sys/devices/system/cpu/cpu$c/online &&
				echo 1 >/sys/devices/system/cpu/cpu$c/online &&
				cycles=$((cycles + 1))
		done
	done
	t "hotplug: stress ran clean while CPUs went offline and back" wait $spid
	echo "# hotplug: $cycles offline/online cycles during the stress"
	t "hotplug: CPUs went offline and back during the stress" test $cycles -gt 0
	t "hotplug: all CPUs online again" test "$(nproc)" = "$NCPU"
	t "hotplug: u_bytes back to 0, no bad frees" \
		sh -c "grep -qx 'u_bytes 0' $D/stats && grep -qx 'bad_frees 0' $D/stats"
	t "rmmod pheap_stress (hotplug)" rmmod pheap_stress
	t "rmmod pheap (hotplug)" rmmod pheap
	t "hotplug: every page returned at unload" unloaded 3
}

# The phases and their limits in seconds: well above what each takes at
# 4 vCPUs under TCG on the 2-core development machine (the longest, trace,
# 20 s of its 100), and below the kernel's hung-task report (120 s),
# which would name a stuck task less plainly.
phase load 60 load_phase
phase badcallers 60 badcallers_phase
phase stress 100 stress_phase
phase faults 100 faults_phase
# Tracepoints: the pheap:* events counted against the counters (trace.sh).
phase trace 100 trace_phase $((OPS / 100))
phase unload 60 unload_phase
phase debug 100 debug_phase
[ "$NCPU" -gt 1 ] && phase hotplug 100 hotplug_phase
# DESIGNS_PHASE=0 (vmtest.sh --no-designs) leaves the designs out.
[ "${DESIGNS_PHASE:-1}" = 0 ] || designs_phases $((OPS / 4))
done_testing
