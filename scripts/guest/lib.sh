# SPDX-License-Identifier: GPL-2.0
# Guest-side helpers, sourced by the guest scripts: TAP-style results.
n=0
fails=0
# t DESCRIPTION COMMAND...: run a check, print "ok N - ..." or "not ok N - ...".
t() {
	desc=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc"
		fails=$((fails + 1))
	fi
}
# done_testing: print the plan and exit with the number of failures.
done_testing() {
	echo "# $n checks, $fails failed"
	exit $fails
}
