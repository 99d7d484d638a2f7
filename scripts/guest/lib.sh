# SPDX-License-Identifier: GPL-2.0
# Guest-side helpers, sourced by the guest scripts: TAP-style results,
# and phases, each with a time limit of its own.
#
# Every check appends a line to $TAP, so that checks made in a phase
# (a child shell) are numbered and counted with the others.
TAP=/tmp/tap
[ -e $TAP ] || : >$TAP

# t DESCRIPTION COMMAND...: run a check, print "ok N - ..." or "not ok N - ...".
t() {
	desc=$1
	shift
	n=$(($(wc -l <$TAP) + 1))
	if "$@"; then
		echo "ok $n - $desc"
		echo ok >>$TAP
	else
		echo "not ok $n - $desc"
		echo "not ok" >>$TAP
	fi
}

# done_testing: print the plan and exit with the number of failures.
done_testing() {
	n=$(wc -l <$TAP)
	fails=$(grep -c '^not ok' $TAP)
	echo "# $n checks, $fails failed"
	exit $fails
}

# Seconds since boot, with tenths.
now() { cut -d' ' -f1 /proc/uptime; }

# The processes below PID, deepest first, PID last.
proc_tree() {
	for c in $(awk -v p="$1" '{ sub(/^[^)]*\) /, ""); if ($2 == p) print FILENAME }' \
		/proc/[0-9]*/stat 2>/dev/null | cut -d/ -f3); do
		proc_tree "$c"
	done
	echo "$1"
}

# phase_stuck NAME LIMIT PID: what a phase that overran was doing: each
# of its processes with its state and kernel stack.
phase_stuck() {
	echo "# phase $1: still running after its limit of $2 s; its processes:"
	for p in $(proc_tree "$3"); do
		[ -r /proc/$p/stat ] || continue
		echo "#   pid $p ($(cat /proc/$p/comm)): $(grep '^State' /proc/$p/status | tr -s '\t ' ' '), waiting in $(cat /proc/$p/wchan)"
		sed 's/^/#     /' /proc/$p/stack 2>/dev/null
	done
}

# phase NAME LIMIT FUNCTION [ARGS...]: one part of a test, in a child
# shell that has LIMIT seconds to finish. Its start and end are marked
# on the console ("PHEAP-PHASE: NAME ...", read by scripts/vm.sh). One
# that overruns is a failed check named for the phase; its processes and
# their kernel stacks are printed, they are killed, and the test ends
# there: what the phase left loaded may be stuck.
phase() {
	p_name=$1 p_limit=$2
	shift 2
	echo "PHEAP-PHASE: $p_name start, limit $p_limit s"
	p_t0=$(now)
	("$@") &
	p_pid=$!
	(
		sleep "$p_limit"
		kill -0 $p_pid 2>/dev/null || exit 0
		phase_stuck "$p_name" "$p_limit" $p_pid
		t "phase $p_name: over its limit of $p_limit s" false
		echo "PHEAP-PHASE: $p_name overran, limit $p_limit s"
		echo "# $(wc -l <$TAP) checks, $(grep -c '^not ok' $TAP) failed"
		# The test's own shell first (it would go on once the phase
		# is killed), then the phase: a process stuck in the kernel
		# cannot be killed, and the test must not wait for it.
		kill -9 $$
		for p in $(proc_tree $p_pid); do kill -9 "$p" 2>/dev/null; done
	) &
	p_dog=$!
	wait $p_pid
	kill $p_dog 2>/dev/null
	echo "PHEAP-PHASE: $p_name done in $(awk -v t0="$p_t0" '{ printf "%.1f", $1 - t0 }' /proc/uptime) s"
}
