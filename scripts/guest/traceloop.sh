# SPDX-License-Identifier: GPL-2.0
# The trace-cmd phase alone, in a loop (vmtest.sh --trace-loop N): load
# pheap, then N times trace-cmd record -e 'pheap:*' around a small
# stress, each run a phase of its own (60 s). LOOPS and RECORD_CMD are
# set in front of this script by vmtest.sh. RECORD_CMD=1 records task
# names as trace-cmd does by default, which hooks the scheduler's
# tracepoints: under TCG that is what hung the trace-cmd phase
# (trace.sh says how); the VM test runs with it off.
. /lib.sh
T=/sys/kernel/tracing
NCPU=$(nproc)
OPS=$((10000 / NCPU + 1))
opt=norecord-cmd
[ "$RECORD_CMD" = 1 ] && opt=record-cmd

trace_once() {
	t "trace-cmd record -O $opt around a stress of $OPS ops per CPU" \
		trace-cmd record -q -O $opt -b 8192 -e 'pheap:*' -o /tmp/trace.dat \
		insmod /mod/pheap_stress.ko ops=$OPS
	rmmod pheap_stress
}

t "insmod pheap.ko" insmod /mod/pheap.ko
mount -t tracefs nodev $T 2>/dev/null
i=0
while [ $i -lt "$LOOPS" ]; do
	i=$((i + 1))
	phase "trace-cmd-$i" 60 trace_once
done
t "rmmod pheap" rmmod pheap
done_testing
