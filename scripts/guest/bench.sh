# SPDX-License-Identifier: GPL-2.0
# make bench, guest side: load pheap.ko with /pheap.args and pheap_bench.ko,
# then start a run by writing /bench.args (both written by
# scripts/bench.sh) to pheap_bench's debugfs run file. The write returns
# when the run is over; the module prints its results on the kernel log,
# which the host parses from the console. Then unload both.
. /lib.sh
pargs=$(cat /pheap.args 2>/dev/null)
bargs=$(cat /bench.args 2>/dev/null)
run=/sys/kernel/debug/pheap_bench/run
echo "PHEAP-BENCH: cmdline $(cat /proc/cmdline)"
bench_run() {
	echo "$bargs" >"$run"
}
# $pargs is split into words on purpose: one parameter each.
t "insmod pheap.ko $pargs" insmod /mod/pheap.ko $pargs
t "insmod pheap_bench.ko" insmod /mod/pheap_bench.ko
t "run: $bargs" bench_run
t "rmmod pheap_bench" rmmod pheap_bench
t "rmmod pheap" rmmod pheap
done_testing
