# SPDX-License-Identifier: GPL-2.0
# make bench, guest side: load pheap.ko with /pheap.args, then
# pheap_bench.ko with /bench.args (both written by scripts/bench.sh).
# pheap_bench runs the whole suite at load time and prints its results on
# the kernel log; then unload both. The host parses the console log.
. /lib.sh
pargs=$(cat /pheap.args 2>/dev/null)
bargs=$(cat /bench.args 2>/dev/null)
echo "PHEAP-BENCH: cmdline $(cat /proc/cmdline)"
# $pargs and $bargs are split into words on purpose: one parameter each.
t "insmod pheap.ko $pargs" insmod /mod/pheap.ko $pargs
t "insmod pheap_bench.ko $bargs" insmod /mod/pheap_bench.ko $bargs
t "rmmod pheap_bench" rmmod pheap_bench
t "rmmod pheap" rmmod pheap
done_testing
