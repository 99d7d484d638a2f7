#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a kernel image in QEMU with a busybox initramfs that carries the
# given modules and a guest script, run the script, and return its exit
# status. The full console log is kept; the run fails when the log shows
# a kernel splat (see SPLAT below) even if the script succeeded. A guest
# kernel that fails to boot before the script starts is booted again (up
# to PHEAP_VM_BOOT_TRIES times, 3; "up" within PHEAP_VM_BOOT_TIMEOUT
# seconds, 300).
#
# usage: vm.sh --kernel IMAGE --script GUEST.sh [--module X.ko]...
#              [--file SRC:DEST]... [--smp N] [--mem SIZE] [--timeout SECS]
#              [--log FILE] [--append ARGS] [--numa N] [--kvm]
#
# Guest side: /init mounts proc, sysfs, devtmpfs and debugfs, puts the
# modules in /mod and the helpers of scripts/guest (lib.sh, trace.sh,
# designs.sh) and
# trace-cmd (when the host has it) beside them, runs "sh /guest.sh", prints "PHEAP-VM-EXIT=<status>",
# and powers off. Acceleration is TCG: KVM hangs on the machines this
# project is developed on, so --kvm (or PHEAP_KVM=1) is an opt-in.
# --numa N splits the vCPUs and the memory evenly over N NUMA nodes.
set -euo pipefail
. "$(dirname "$0")/common.sh"

kernel= script= smp=${PHEAP_SMP:-4} mem=${PHEAP_MEM:-1G} timeout=${PHEAP_VM_TIMEOUT:-900}
log= append= kvm=${PHEAP_KVM:-0} numa=0
modules=() files=()
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=$2; shift ;;
	--script) script=$2; shift ;;
	--module) modules+=("$2"); shift ;;
	--file) files+=("$2"); shift ;;
	--smp) smp=$2; shift ;;
	--mem) mem=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	--log) log=$2; shift ;;
	--append) append=$2; shift ;;
	--numa) numa=$2; shift ;;
	--kvm) kvm=1 ;;
	*) die "vm: unknown argument $1" ;;
	esac
	shift
done
[ -r "$kernel" ] || die "vm: no readable kernel image '$kernel'"
[ -r "$script" ] || die "vm: no guest script '$script'"
command -v qemu-system-x86_64 >/dev/null || die "vm: qemu missing: run scripts/setup.sh"
[ -x /bin/busybox ] || die "vm: busybox-static missing: run scripts/setup.sh"

# trace-cmd, when the host has it, goes in with the libraries it links to.
add_trace_cmd() {
	local bin lib
	bin=$(command -v trace-cmd) || return 0
	cp "$bin" "$root/bin/trace-cmd"
	for lib in $(ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\/.*ld-linux/ { print $1 }'); do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}

work=$(mktemp -d "${TMPDIR:-/tmp}/pheap-vm.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{bin,dev,proc,sys,mod,tmp}
cp /bin/busybox "$root/bin/busybox"
for m in "${modules[@]}"; do cp "$m" "$root/mod/"; done
for f in "${files[@]}"; do
	mkdir -p "$root/$(dirname "${f#*:}")"
	cp "${f%%:*}" "$root/${f#*:}"
done
cp "$script" "$root/guest.sh"
cp "$PHEAP_ROOT/scripts/guest/lib.sh" "$PHEAP_ROOT/scripts/guest/trace.sh" \
	"$PHEAP_ROOT/scripts/guest/designs.sh" "$root/"
add_trace_cmd
cat >"$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug
echo "PHEAP-VM: guest up, $(nproc) CPUs, kernel $(uname -r)"
cd /
sh /guest.sh
rc=$?
echo "PHEAP-VM-EXIT=$rc"
poweroff -f
INIT
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initrd"

log=${log:-$PHEAP_OUT/vm.log}
mkdir -p "$(dirname "$log")"
accel=tcg
[ "$kvm" = 1 ] && accel=kvm
cmdline="console=ttyS0 panic=-1 loglevel=7 printk.time=1 $append"

# NUMA: node i gets vCPUs [i*smp/N, (i+1)*smp/N), a socket of their own
# (the kernel warns when CPUs sharing a cache sit on different nodes), and
# mem/N of memory.
numa_args=() smp_arg=$smp
if [ "$numa" -gt 1 ]; then
	[ $((smp % numa)) -eq 0 ] || die "vm: --numa $numa does not divide $smp vCPUs"
	mem_mb=$(numfmt --from=iec "$mem")
	mem_mb=$((mem_mb / 1048576 / numa))
	for i in $(seq 0 $((numa - 1))); do
		numa_args+=(-object "memory-backend-ram,id=m$i,size=${mem_mb}M"
			-numa "node,nodeid=$i,cpus=$((i * smp / numa))-$(((i + 1) * smp / numa - 1)),memdev=m$i")
	done
	mem=$((mem_mb * numa))M
	smp_arg="$smp,sockets=$numa,cores=$((smp / numa)),threads=1"
fi

# One boot: qemu in the background, watched until the guest's /init says
# it is up. A kernel that has not got there within $boot_timeout seconds
# is stopped. Sets qrc (qemu's exit status) and booted (0 or 1).
boot_once() {
	local t0 qpid
	timeout --kill-after=10 "$timeout" qemu-system-x86_64 \
		-accel "$accel" -smp "$smp_arg" -m "$mem" "${numa_args[@]}" \
		-kernel "$kernel" -initrd "$work/initrd" -append "$cmdline" \
		-display none -serial stdio -monitor none -no-reboot -nodefaults \
		</dev/null >"$log" 2>&1 &
	qpid=$!
	t0=$(date +%s)
	booted=0
	while kill -0 "$qpid" 2>/dev/null; do
		if grep -q "$UP" "$log"; then
			booted=1
			break
		fi
		if [ $(($(date +%s) - t0)) -ge "$boot_timeout" ]; then
			kill "$qpid" 2>/dev/null
			break
		fi
		sleep 1
	done
	wait "$qpid"
	qrc=$?
	grep -q "$UP" "$log" && booted=1
	return 0
}

# The guest kernel itself sometimes fails to boot under TCG (an int3 oops
# or a soft lockup while it patches its own code, before any module is
# loaded). Such a boot is retried, up to $boot_tries in all, and said
# so; its log is kept beside the final one. Anything that happens once
# the guest is up counts as it is.
UP='PHEAP-VM: guest up'
boot_timeout=${PHEAP_VM_BOOT_TIMEOUT:-300}
boot_tries=${PHEAP_VM_BOOT_TRIES:-3}
set +e
attempt=1
while :; do
	boot_once
	[ "$booted" = 1 ] || [ "$attempt" -ge "$boot_tries" ] && break
	why=$(grep -Eam1 "$SPLAT" "$log" | tr -d '\r' | cut -c1-100)
	cp "$log" "$log.boot$attempt"
	say "vm: the guest kernel did not boot (${why:-not up within ${boot_timeout}s}), before pheap was loaded; booting again (log $log.boot$attempt)"
	attempt=$((attempt + 1))
done
set -e

if grep -Eq "$SPLAT" "$log"; then
	say "vm: kernel splat in $log:"
	grep -En "$SPLAT" "$log" | head -n 20 >&2
	exit 90
fi
if [ "$booted" != 1 ]; then
	say "vm: the guest kernel did not boot in $attempt tries (log: $log)"
	exit 93
fi
if [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
	say "vm: timed out after ${timeout}s (log: $log)"
	exit 91
fi
rc=$(sed -nE 's/^PHEAP-VM-EXIT=([0-9]+).*/\1/p' "$log" | tail -n 1 | tr -d '\r')
if [ -z "$rc" ]; then
	say "vm: guest did not finish its script (qemu exit $qrc, log: $log)"
	exit 92
fi
exit "$rc"
