#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# VM test on a stock Debian kernel: build the modules against its headers,
# boot it (TCG; --smp N vCPUs, else PHEAP_SMP, else 4), and run
# scripts/guest/vmtest.sh inside: load, work on every CPU, read debugfs,
# unload. With --stress-only, scripts/guest/stress.sh instead: the stress
# alone; with --numa, scripts/guest/numa.sh on two NUMA nodes of half the
# vCPUs each: node locality. --no-designs leaves out the full test's last
# phase, the other heap designs (scripts/guest/designs.sh).
# --trace-loop N runs the trace-cmd phase alone, N times
# (scripts/guest/traceloop.sh); with --record-cmd as trace-cmd does by
# default, recording task names: the way its hang under TCG reproduces.
# Any splat in the console log fails the run (scripts/vm.sh), whose exit
# status this script exits with.
#
# --maxcpus M gives the guest M possible CPUs, --smp of them online
# (vm.sh): every loop over possible CPUs meets CPUs that never came up.
#
# usage: vmtest.sh SERIES [--smp N] [--maxcpus M] [--stress-only | --numa]
#                  [--no-designs] [--trace-loop N [--record-cmd]]
#        SERIES is 6.1, 6.12, 6.1-rt or 6.12-rt (PREEMPT_RT)
# The console log is out/vmtest-<release>-smp<N>[-stress|-numa|-traceloop].log.
set -euo pipefail
. "$(dirname "$0")/common.sh"

[ $# -ge 1 ] || die "usage: vmtest.sh SERIES [--smp N]"
series=$1
shift
smp=${PHEAP_SMP:-4}
guest=vmtest suffix= vmargs=() designs=1 loops=0 record_cmd=0 maxcpus=
while [ $# -gt 0 ]; do
	case $1 in
	--smp) [ $# -ge 2 ] || die "vmtest: --smp wants a vCPU count"; smp=$2; shift ;;
	--stress-only) guest=stress suffix=-stress ;;
	--numa) guest=numa suffix=-numa vmargs=(--numa 2) ;;
	--no-designs) designs=0 ;;
	--maxcpus) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || die "vmtest: --maxcpus wants a CPU count"
		maxcpus=$2; shift ;;
	--trace-loop) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || die "vmtest: --trace-loop wants a count"
		guest=traceloop suffix=-traceloop loops=$2; shift ;;
	--record-cmd) record_cmd=1 ;;
	*) die "vmtest: unknown argument $1 (usage: vmtest.sh SERIES [--smp N] [--maxcpus M] [--stress-only | --numa] [--no-designs] [--trace-loop N [--record-cmd]])" ;;
	esac
	shift
done
if [ -n "$maxcpus" ]; then
	vmargs+=(--maxcpus "$maxcpus")
	suffix=$suffix-max$maxcpus
fi
[[ $smp =~ ^[1-9][0-9]*$ ]] || die "vmtest: --smp wants a vCPU count, not '$smp'"
rel=$(stock_release "$series")
[ -n "$rel" ] || die "vmtest: no Debian $series kernel: run scripts/setup.sh"
dir=$(bash "$PHEAP_ROOT/scripts/build.sh" "$series" | tail -n 1)
mods=()
for m in "$dir"/*.ko "$dir"/*/*.ko; do
	[ -e "$m" ] && mods+=(--module "$m")
done
log=$PHEAP_OUT/vmtest-$rel-smp$smp$suffix.log
# The guest script, with whether to run the designs phase in front.
script=$PHEAP_OUT/vmtest-guest-$rel-smp$smp$suffix.sh
{
	echo "DESIGNS_PHASE=$designs LOOPS=$loops RECORD_CMD=$record_cmd MAXCPUS=$maxcpus"
	cat "$PHEAP_ROOT/scripts/guest/$guest.sh"
} >"$script"
say "vmtest: booting $rel, $smp vCPUs (log $log)"
rc=0
bash "$PHEAP_ROOT/scripts/vm.sh" --kernel "$(stock_image "$rel")" \
	--script "$script" "${mods[@]}" \
	--smp "$smp" "${vmargs[@]}" --log "$log" || rc=$?
grep -aE '^(ok|not ok) |^# [0-9]+ checks|^# ([a-z-]+: )?stress took' "$log" | tr -d '\r' || true
# Each guest phase's time, on one line.
tr -d '\r' <"$log" | awk '/^PHEAP-PHASE: .* done in/ { t = t sep $2 " " $5 "s"; sep = ", " }
	END { if (t != "") print "# phases: " t }'
# vm.sh's exit status goes on up, so that make check can tell whose
# failure it was (94: the platform's in every try).
if [ $rc -ne 0 ]; then
	say "vmtest: $rel on $smp vCPUs failed (exit $rc, log $log)" >&2
	exit $rc
fi
say "vmtest: $rel on $smp vCPUs passed"
