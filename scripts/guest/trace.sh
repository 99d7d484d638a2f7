# SPDX-License-Identifier: GPL-2.0
# Guest-side tracepoint checks, sourced by vmtest.sh after lib.sh: every
# pheap:* event on while a stress runs, first through tracefs, then with
# trace-cmd when the VM has it; the events counted must match the
# counters in debugfs stats.
#
# Task names are not recorded (the record-cmd option is off, for tracefs
# and for trace-cmd): recording them hooks the scheduler's own
# tracepoints, sched_switch and sched_wakeup, and switching those on or
# off patches __schedule() and ttwu_do_activate() while the other vCPUs
# run them. Under TCG that patching can go wrong: a vCPU goes on trapping
# on the int3 the patching CPU put there, and either oopses ("int3" in
# ttwu_do_activate) or, livelocked with interrupts off, never answers
# the patching CPU's IPI, which waits in text_poke_bp_batch() forever; on
# PREEMPT_RT the console, printed from a kthread, then goes silent too.
# That was the trace-cmd phase's 15-minute hang on 6.1-rt: looped alone
# (vmtest.sh 6.1-rt --trace-loop N --record-cmd), trace-cmd record hung
# in 2 boots of 3, at the 4th and the 17th run (the third ran 40 clean,
# with a kernel build beside it), the vCPUs caught in exactly that state;
# with record-cmd off, 60 runs of 60 clean. pheap's own events patch
# only pheap's code.
T=/sys/kernel/tracing
TRACE_KEYS="allocs frees returns_to_global refills_from_global pages_in pages_out"

# The counters the events stand for, one "key value" line each: allocs and
# frees with the large ones added (pheap_alloc and pheap_free cover both).
trace_counters() {
	awk '{ v[$1] = $2 }
	     END { print "allocs", v["allocs"] + v["large_allocs"]
		   print "frees", v["frees"] + v["large_frees"]
		   print "returns_to_global", v["returns_to_global"]
		   print "refills_from_global", v["refills_from_global"]
		   print "pages_in", v["pages_in"]
		   print "pages_out", v["pages_out"] }' /sys/kernel/debug/pheap/stats
}

# The same figures counted from trace text (tracefs' trace file or
# trace-cmd report) on stdin, events of the instance "pheap" only. An
# allocation that returned no memory (bytes_alloc=0) is not counted.
trace_event_counts() {
	awk 'function order(s) { sub(/.*order=/, "", s); sub(/ .*/, "", s); return s + 0 }
	     function pages(o,   n) { n = 1; while (o-- > 0) n *= 2; return n }
	     {
		ev = ""
		for (i = 1; i <= NF; i++)
			if ($i ~ /^pheap_[a-z_]+:$/) { ev = $i; break }
		if (ev == "" || $(i + 1) != "heap=pheap") next
		if (ev == "pheap_alloc:") { if ($0 !~ / bytes_alloc=0 /) n["allocs"]++ }
		else if (ev == "pheap_free:") n["frees"]++
		else if (ev == "pheap_sb_to_global:") n["returns_to_global"]++
		else if (ev == "pheap_sb_from_global:") n["refills_from_global"]++
		else if (ev == "pheap_pages_alloc:") n["pages_in"] += pages(order($0))
		else if (ev == "pheap_pages_free:") n["pages_out"] += pages(order($0))
	     }
	     END { split("'"$TRACE_KEYS"'", k, " ")
		   for (j = 1; j in k; j++) print k[j], n[k[j]] + 0 }'
}

# trace_match BEFORE AFTER1 AFTER2 EVENTS: every event count must be the
# counter's growth, BEFORE to AFTER1 at least (read while tracing was on),
# BEFORE to AFTER2 at most (read after it stopped): superblocks and pages
# may move in work items between the two reads. Prints each figure.
trace_match() {
	awk 'FILENAME == ARGV[1] { b[$1] = $2; next }
	     FILENAME == ARGV[2] { a1[$1] = $2; next }
	     FILENAME == ARGV[3] { a2[$1] = $2; next }
	     { lo = a1[$1] - b[$1]; hi = a2[$1] - b[$1]
	       ok = ($2 >= lo && $2 <= hi)
	       printf "#   %-20s events %8d, counters +%d%s %s\n", $1, $2, lo,
		      (hi != lo ? sprintf("..+%d", hi) : ""), ok ? "" : "MISMATCH"
	       if (!ok) bad = 1; n++ }
	     END { exit bad || n != 6 }' "$1" "$2" "$3" "$4"
}

# Nothing may move while the events are off, between the first counter
# read and the events' start. After a workload the CPU heaps hold empty
# superblocks, which their idle check gives back a second or more later,
# when its deferrable timer fires: on an idle vCPU that may be many
# seconds (a sleep of 3 s once was not enough: trace-cmd, slow to start
# under TCG, missed 68 returns_to_global). So every empty superblock goes
# back now, waited for (trim), and then nothing is held that could move.
trace_settle() {
	echo 1 >/sys/kernel/debug/pheap/trim &&
		grep -qx 'a_bytes 0' /sys/kernel/debug/pheap/stats && return
	echo "# after trim:" $(grep -E '^(a_bytes|u_bytes|sb_cpu|sb_global|large_bytes|nolock_reserve_bytes) ' \
		/sys/kernel/debug/pheap/stats)
	return 1
}

# trace_tracefs OPS: through tracefs, every pheap event on, a stress of
# OPS per CPU; the trace text lands in /tmp/trace.txt and the counters in
# /tmp/trace.{before,during,after}. Fails if an event was lost. The
# stress module stays loaded until the text is read, so its call sites
# print as symbols.
trace_tracefs() {
	trace_settle &&
	echo 0 >$T/tracing_on && echo >$T/trace &&
		echo 0 >$T/options/record-cmd &&
		echo 8192 >$T/buffer_size_kb &&
		trace_counters >/tmp/trace.before &&
		echo 1 >$T/events/pheap/enable && echo 1 >$T/tracing_on &&
		insmod /mod/pheap_stress.ko ops="$1" &&
		trace_counters >/tmp/trace.during && echo 0 >$T/tracing_on &&
		trace_counters >/tmp/trace.after &&
		echo 0 >$T/events/pheap/enable &&
		cat $T/trace >/tmp/trace.txt && rmmod pheap_stress &&
		! grep -q '^overrun: [1-9]' $T/per_cpu/cpu*/stats
}

# trace-cmd record around the stress, the counters read by the command it
# runs (tracing still on) and after it, then its report. TRACE_CMD_OPT
# (traceloop.sh) may turn record-cmd back on.
trace_cmd_run() {
	trace_settle &&
	trace_counters >/tmp/trace.before &&
		trace-cmd record -q -O "${TRACE_CMD_OPT:-norecord-cmd}" -b 8192 -e 'pheap:*' \
			-o /tmp/trace.dat \
			sh -c ". /trace.sh && insmod /mod/pheap_stress.ko ops=$1 &&
				trace_counters >/tmp/trace.during &&
				cat $T/options/record-cmd >/tmp/trace.record-cmd" \
			>/tmp/trace-cmd.out 2>&1 ||
		{ echo "# trace-cmd record failed:"; tail -n 5 /tmp/trace-cmd.out; false; } &&
		trace_counters >/tmp/trace.after &&
		trace-cmd report -i /tmp/trace.dat >/tmp/trace.txt 2>/dev/null &&
		rmmod pheap_stress
}

# The events of /tmp/trace.txt counted, and matched against the counters.
trace_counted() {
	trace_event_counts </tmp/trace.txt >/tmp/trace.events &&
		trace_match /tmp/trace.before /tmp/trace.during /tmp/trace.after \
			/tmp/trace.events
}

trace_phase() {
	ops=$1
	mount -t tracefs nodev $T 2>/dev/null
	t "tracefs: the six pheap events listed" \
		test "$(ls -d $T/events/pheap/pheap_*/ | wc -l)" = 6
	t "tracefs: a stress of $ops ops per CPU with every pheap event on, no event lost" \
		trace_tracefs "$ops"
	t "tracefs: event counts match the stats counters" trace_counted
	echo "# a pheap_alloc line as tracefs prints it:"
	grep -m1 ' pheap_alloc: ' /tmp/trace.txt
	if ! command -v trace-cmd >/dev/null; then
		echo "# trace-cmd is not in this VM: its checks are skipped"
		return 0
	fi
	t "trace-cmd: record -e 'pheap:*' around a stress, and report" \
		trace_cmd_run "$ops"
	t "trace-cmd: event counts match the stats counters" trace_counted
	t "trace-cmd: task names not recorded while it ran (record-cmd 0)" \
		grep -qx 0 /tmp/trace.record-cmd
	echo "# trace-cmd report, the first event of each kind:"
	for e in alloc free sb_to_global sb_from_global pages_alloc pages_free; do
		grep -m1 " pheap_$e: " /tmp/trace.txt
	done
	rm -f /tmp/trace.txt /tmp/trace.dat
}
