# SPDX-License-Identifier: GPL-2.0
# The trace-cmd phase alone, in a loop (vmtest.sh --trace-loop N): load
# pheap, then N times trace-cmd record -e 'pheap:*' around a small
# stress, each run a phase of its own (60 s), its event counts checked
# against the counters as the VM test checks them (trace.sh). LOOPS and
# RECORD_CMD are set in front of this script by vmtest.sh. RECORD_CMD=1
# records task names as trace-cmd does by default, which hooks the
# scheduler's tracepoints: under TCG that is what hung the trace-cmd
# phase (trace.sh says how); the VM test runs with it off.
. /lib.sh
. /trace.sh
NCPU=$(nproc)
OPS=$((10000 / NCPU + 1))
[ "$RECORD_CMD" = 1 ] && TRACE_CMD_OPT=record-cmd

trace_once() {
	t "trace-cmd record -O ${TRACE_CMD_OPT:-norecord-cmd} around a stress of $OPS ops per CPU" \
		trace_cmd_run $OPS
	t "trace-cmd: event counts match the stats counters" trace_counted
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
