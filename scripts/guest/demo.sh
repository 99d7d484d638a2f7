# SPDX-License-Identifier: GPL-2.0
# make demo, guest side: load pheap, run a mixed workload on every CPU with
# cross-CPU frees, show the debugfs files, unload. DESIGN, the heap
# design, is set in front of this script by scripts/demo.sh.
D=/sys/kernel/debug/pheap
NCPU=$(nproc)

echo "== insmod pheap.ko design=$DESIGN"
if ! insmod /mod/pheap.ko design="$DESIGN"; then
	dmesg | grep 'pheap:' | tail -n 2 | sed 's/^\[[^]]*\] //'
	exit 1
fi
# The tunables in force, as pheap reports them: every param_<name> line.
echo "   in force: $(awk '/^param_/ { sub(/^param_/, "", $1);
	printf "%s%s=%s", sep, $1, $2; sep = " " }' $D/stats)"
echo "== ls $D"
ls $D
echo "== workload: pheap_stress on each of $NCPU CPUs: 50000 random-size"
echo "   allocs/frees each, a quarter of the frees done by another CPU,"
echo "   16 blocks per CPU kept allocated so the tables show something in use"
insmod /mod/pheap_stress.ko ops=50000 keep=16 || exit 1
dmesg | grep 'pheap_stress:' | sed 's/^\[[^]]*\] //'
# How often an allocation left the fast path, from the stats counters.
awk '$1 == "allocs" { a = $2 } $1 == "refills" { r = $2 }
	END { if (a > 0) printf "refills: %.1f%% of allocations (%s of %s)\n", 100 * r / a, r, a
	      else print "refills: no allocations counted" }' $D/stats
for f in stats classes cpus; do
	echo "== cat $D/$f"
	cat $D/$f
done
echo "== rmmod pheap_stress (frees the kept blocks from one CPU: remote frees)"
rmmod pheap_stress || exit 1
grep -E '^(u_bytes|a_bytes|remote_frees_sent|remote_frees_recv) ' $D/stats
echo "   (blocks freed by a CPU that does not own them wait on the owner's"
echo "   list, still counted in u_bytes, until the owner next refills or"
echo "   its collector runs, about 10 ms later; and a CPU heap idle for a"
echo "   second gives its empty superblocks to the global heap, which keeps"
echo "   its reserve, global_reserve of each class used; three seconds on:)"
sleep 3
grep -E '^(u_bytes|a_bytes|remote_frees_sent|remote_frees_recv|sb_global) ' $D/stats
echo "== rmmod pheap"
rmmod pheap || exit 1
dmesg | grep 'pheap: unloaded' | sed 's/^\[[^]]*\] //'
echo "== done"
