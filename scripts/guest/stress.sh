# SPDX-License-Identifier: GPL-2.0
# VM stress alone, guest side, for the cells of the make check matrix
# beyond each kernel's full VM test (scripts/guest/vmtest.sh): load
# pheap, the cross-CPU stress with contents checked, nothing left in use,
# unload, every page returned. About 10^6 operations over all CPUs, as in
# vmtest.sh. With MAXCPUS set (vmtest.sh --maxcpus), the guest must have
# that many possible CPUs, of which only NCPU online: pheap_flush(),
# which the stress ends with, then meets CPUs that never came up.
. /lib.sh
D=/sys/kernel/debug/pheap
NCPU=$(nproc)
OPS=$((1000000 / NCPU + 1))

# One phase (lib.sh), limited as vmtest.sh's stress phase.
stress_only() {
	echo "# CPUs: $(cat /sys/devices/system/cpu/possible) possible, $(cat /sys/devices/system/cpu/online) online"
	[ -z "$MAXCPUS" ] || t "$MAXCPUS possible CPUs, $NCPU online" \
		test "$(cat /sys/devices/system/cpu/possible)" = "0-$((MAXCPUS - 1))"
	t "insmod pheap.ko" insmod /mod/pheap.ko
	t "stress: $OPS ops on each of $NCPU CPUs, contents checked" \
		insmod /mod/pheap_stress.ko ops=$OPS
	dmesg | grep 'pheap_stress:' | tail -n 2
	t "stats: u_bytes back to 0, no bad frees, no corruption" \
		sh -c "grep -qx 'u_bytes 0' $D/stats && grep -qx 'bad_frees 0' $D/stats && grep -qx 'corruptions 0' $D/stats"
	t "rmmod pheap_stress" rmmod pheap_stress
	t "rmmod pheap" rmmod pheap
	t "every page returned at unload, nothing leaked" \
		sh -c "dmesg | grep -q 'pheap: unloaded, every page returned (0 allocations'"
}

phase stress 100 stress_only
done_testing
