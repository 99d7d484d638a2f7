# SPDX-License-Identifier: GPL-2.0
# VM test on two NUMA nodes, guest side (vmtest.sh --numa): load pheap,
# the cross-CPU stress with every CPU keeping blocks, then node locality
# from the statistics: both nodes hold pages, no page came from a node
# other than the one asked for, and every pheap_alloc_node() the stress
# made (one allocation in 16, either node) was served on its node;
# unload, every page returned.
. /lib.sh
D=/sys/kernel/debug/pheap
NCPU=$(nproc)
OPS=$((1000000 / NCPU + 1))
field() { awk -v k="$1" '$1 == k { print $2 }' $D/stats; }

# One phase (lib.sh), limited as vmtest.sh's stress phase.
numa_test() {
	nodes=$(ls -d /sys/devices/system/node/node[0-9]* | wc -l)
	t "the guest sees 2 NUMA nodes" test "$nodes" = 2
	for node in 0 1; do
		echo "# node$node: CPUs $(cat /sys/devices/system/node/node$node/cpulist)"
	done
	t "insmod pheap.ko" insmod /mod/pheap.ko
	t "stress: $OPS ops on each of $NCPU CPUs, 64 blocks kept on each" \
		insmod /mod/pheap_stress.ko ops=$OPS keep=64
	grep -E '^(node[0-9]+_|pages_in|refills_from|allocs_other_node)' $D/stats
	for node in 0 1; do
		t "node $node holds pages (its CPUs allocated from it)" \
			test "$(field node${node}_pages)" -gt 0
	done
	t "every page came from the node asked for" \
		test "$(field pages_in_other_node)" = 0
	t "every pheap_alloc_node() block on the node asked for" \
		test "$(field allocs_other_node)" = 0
	echo "# refills from the global heap: $(field refills_from_global), of them from the other node (its own had none): $(field refills_from_other_node)"
	t "rmmod pheap_stress (the kept blocks freed)" rmmod pheap_stress
	t "stats: u_bytes back to 0, no bad frees" \
		sh -c "grep -qx 'u_bytes 0' $D/stats && grep -qx 'bad_frees 0' $D/stats"
	t "rmmod pheap" rmmod pheap
	t "every page returned at unload, nothing leaked" \
		sh -c "dmesg | grep -q 'pheap: unloaded, every page returned (0 allocations'"
}

phase numa 100 numa_test
done_testing
