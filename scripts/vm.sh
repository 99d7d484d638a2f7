#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a kernel image in QEMU with a busybox initramfs that carries the
# given modules and a guest script, run the script, and return its exit
# status. The full console log is kept; the run fails when the log shows
# a kernel splat (see SPLAT in common.sh) even if the script succeeded.
#
# usage: vm.sh --kernel IMAGE --script GUEST.sh [--module X.ko]...
#              [--file SRC:DEST]... [--smp N] [--mem SIZE] [--timeout SECS]
#              [--log FILE] [--append ARGS] [--numa N] [--maxcpus N] [--kvm]
#
# Guest side: /init mounts proc, sysfs, devtmpfs and debugfs, puts the
# modules in /mod and the helpers of scripts/guest (lib.sh, trace.sh,
# designs.sh) and trace-cmd (when the host has it) beside them, runs
# "sh /guest.sh", prints "PHEAP-VM-EXIT=<status>", and powers off.
# Acceleration is TCG: KVM hangs on the machines this project is
# developed on, so --kvm (or PHEAP_KVM=1) is an opt-in.
# --numa N splits the vCPUs and the memory evenly over N NUMA nodes.
# --maxcpus N gives the guest N possible CPUs, of which --smp are online
# (hot-pluggable vCPUs, as many VMs have).
#
# While QEMU runs, its process ID is in <log>.pid.
#
# Bounded in time: the guest's phases have limits of their own
# (scripts/guest/lib.sh); the host stops a guest 30 s after a splat
# (PHEAP_VM_SPLAT_GRACE), 60 s after a phase's limit passed with no word
# from it (PHEAP_VM_WEDGE_GRACE), one not up within 300 s
# (PHEAP_VM_BOOT_TIMEOUT) or silent for 90 s before it was up
# (PHEAP_VM_BOOT_QUIET: a boot prints all along, even under TCG, so a
# silent one has stalled), and any after --timeout (900 s).
# Failures that are not the test's are said so and tried again, up to 3
# runs in all (PHEAP_VM_TRIES): a kernel that did not boot, a splat
# before pheap was loaded, kernel text patching gone wrong under TCG
# with no pheap frame (see splat_owner below). Never any other.
#
# Exit status: the guest script's; 90 a splat that may be pheap's; 91
# the --timeout; 92 the script did not finish; 93 no boot in 3 tries;
# 94 a platform splat in every try; 95 a phase overran its limit, or the
# guest stopped running the test.
set -euo pipefail
. "$(dirname "$0")/common.sh"

kernel= script= smp=${PHEAP_SMP:-4} mem=${PHEAP_MEM:-1G} timeout=${PHEAP_VM_TIMEOUT:-900}
log= append= kvm=${PHEAP_KVM:-0} numa=0 maxcpus=
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
	--maxcpus) maxcpus=$2; shift ;;
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
if [ -n "$maxcpus" ]; then
	[ "$numa" -le 1 ] || die "vm: --maxcpus with --numa is not supported"
	smp_arg="$smp,maxcpus=$maxcpus"
fi

# stop_qemu PID: stop the timeout(1) process PID and the qemu under it,
# by force when it has not gone within 10 s.
stop_qemu() {
	local i
	kill "$1" 2>/dev/null
	for i in $(seq 10); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 1
	done
	pkill -KILL -P "$1" 2>/dev/null
	kill -KILL "$1" 2>/dev/null
}

# One run: qemu in the background, its console watched once a second.
# The host stops it when the guest kernel has not got to /init within
# $boot_timeout s, or printed nothing for $boot_quiet s before it got
# there; $splat_grace s after a splat (time for the report and
# the test's own end; a kernel that splatted may never finish); and when
# a guest phase (scripts/guest/lib.sh) has neither ended nor reported its
# own overrun $wedge_grace s past its limit: the guest no longer runs its
# own watchdog, its kernel has stopped running processes. Sets qrc
# (qemu's exit status), booted (0 or 1) and stopped (why the host
# stopped it, or nothing).
run_once() {
	local t0 qpid now splat_at= ph_line ph_count ph_seen= ph_at=0 ph_name ph_limit
	local size said=0 said_at
	timeout --kill-after=10 "$timeout" qemu-system-x86_64 \
		-accel "$accel" -smp "$smp_arg" -m "$mem" "${numa_args[@]}" \
		-kernel "$kernel" -initrd "$work/initrd" -append "$cmdline" \
		-display none -serial stdio -monitor none -no-reboot -nodefaults \
		-pidfile "$log.pid" </dev/null >"$log" 2>&1 &
	qpid=$!
	t0=$(date +%s)
	said_at=$t0
	booted=0 stopped=
	while kill -0 "$qpid" 2>/dev/null; do
		sleep 1
		now=$(date +%s)
		if [ $booted = 0 ]; then
			grep -aq "$UP" "$log" && booted=1
			size=$(stat -c %s "$log" 2>/dev/null || echo 0)
			[ "$size" != "$said" ] && said=$size said_at=$now
			if [ $booted = 1 ]; then
				:
			elif [ $((now - t0)) -ge "$boot_timeout" ]; then
				stopped="not up within ${boot_timeout}s"
			elif [ $((now - said_at)) -ge "$boot_quiet" ]; then
				stopped="no console output for ${boot_quiet}s before it was up"
			fi
		else
			[ -z "$splat_at" ] && grep -Eaq "$SPLAT" "$log" && splat_at=$now
			[ -n "$splat_at" ] && [ $((now - splat_at)) -ge "$splat_grace" ] &&
				stopped="stopped ${splat_grace}s after a kernel splat"
			# A phase's time runs from when its start line is first seen.
			ph_count=$(grep -ac '^PHEAP-PHASE: ' "$log")
			if [ "$ph_count" != "$ph_seen" ]; then
				ph_seen=$ph_count ph_at=$now
			fi
			ph_line=$(grep -a '^PHEAP-PHASE: ' "$log" | tail -n 1 | tr -d '\r')
			if [[ $ph_line =~ ^PHEAP-PHASE:\ ([^ ]+)\ start,\ limit\ ([0-9]+) ]]; then
				ph_name=${BASH_REMATCH[1]} ph_limit=${BASH_REMATCH[2]}
				[ $((now - ph_at)) -ge $((ph_limit + wedge_grace)) ] &&
					stopped="phase $ph_name: no word from the guest $((now - ph_at))s after it started (its limit ${ph_limit}s): the guest kernel stopped running the test"
			fi
		fi
		if [ -n "$stopped" ]; then
			stop_qemu "$qpid"
			break
		fi
	done
	wait "$qpid"
	qrc=$?
	grep -aq "$UP" "$log" && booted=1
	return 0
}

# The first kernel report in the log: from its first line matching SPLAT,
# 60 lines.
first_splat() {
	local at
	at=$(grep -Ean "$SPLAT" "$log" | head -n 1 | cut -d: -f1)
	[ -n "$at" ] && sed -n "${at},$((at + 60))p" "$log" | tr -d '\r'
}

# Whose failure a splat is. "pheap" when a frame of its report is in one
# of the project's modules ([pheap], [pheap_stress], ...), or when it
# came once pheap was loaded and is not the one kind known to be the
# platform's. "platform: ..." when it came before any pheap module was
# loaded, or when it is kernel text patching gone wrong under TCG: an
# int3 trap nobody claims (an "int3" oops) or a CPU stuck in text_poke,
# with no frame of the project's. Under TCG, a vCPU can go on running
# code another vCPU has just patched (a static key or static call flipped
# when tracing is switched on, say): it traps on the int3 after the
# patching CPU has stopped expecting it.
splat_owner() {
	local report at loaded
	report=$(first_splat)
	at=$(grep -Ean "$SPLAT" "$log" | head -n 1 | cut -d: -f1)
	loaded=$(grep -an '\] pheap: ' "$log" | head -n 1 | cut -d: -f1)
	if grep -q '\[pheap[a-z_]*\]' <<<"$report"; then
		echo pheap
	elif [ -z "$loaded" ] || [ "$at" -lt "$loaded" ]; then
		echo "platform: $(head -n 1 <<<"$report" | cut -c1-100), before pheap was loaded"
	elif grep -Eq '(^|[^a-z_])int3|text_poke' <<<"$report"; then
		echo "platform: kernel text patching under TCG ($(grep -Em1 'RIP:|int3|text_poke' <<<"$report" | sed 's/^\[[^]]*\] //' | cut -c1-80)), no frame of pheap's"
	else
		echo pheap
	fi
}

# A run is tried again when it failed through no fault of the test: the
# guest kernel did not boot (under TCG, an int3 oops or a soft lockup
# while it patches its own code at boot), or it splatted in a way
# splat_owner() puts on the platform. Up to $tries runs in all, each
# retry said so; a retried run's log is kept beside the final one
# (<log>.tryN). A failure that could be pheap's is never retried.
UP='PHEAP-VM: guest up'
boot_timeout=${PHEAP_VM_BOOT_TIMEOUT:-300}
boot_quiet=${PHEAP_VM_BOOT_QUIET:-90}
tries=${PHEAP_VM_TRIES:-${PHEAP_VM_BOOT_TRIES:-3}}
splat_grace=${PHEAP_VM_SPLAT_GRACE:-30}
wedge_grace=${PHEAP_VM_WEDGE_GRACE:-60}
set +e
attempt=1
while :; do
	run_once
	why=
	if [ "$booted" != 1 ]; then
		why="the guest kernel did not boot (${stopped:-$(grep -Eam1 "$SPLAT" "$log" | tr -d '\r' | cut -c1-100)})"
	elif grep -Eaq "$SPLAT" "$log"; then
		owner=$(splat_owner)
		[ "$owner" = pheap ] || why=${owner#platform: }
	fi
	[ -n "$why" ] && [ "$attempt" -lt "$tries" ] || break
	cp "$log" "$log.try$attempt"
	say "vm: not pheap's failure: $why; booting again (log $log.try$attempt)"
	attempt=$((attempt + 1))
done
set -e

if [ "$booted" != 1 ]; then
	say "vm: the guest kernel did not boot in $attempt tries (${stopped:-no /init}; log: $log)"
	exit 93
fi
if grep -Eaq "$SPLAT" "$log"; then
	owner=$(splat_owner)
	if [ "$owner" = pheap ]; then
		say "vm: kernel splat in $log:"
	else
		say "vm: kernel splat, the platform's, not pheap's, in all $attempt tries: ${owner#platform: } (log $log):"
	fi
	grep -Ean "$SPLAT" "$log" | head -n 20 >&2
	[ -n "$stopped" ] && say "vm: $stopped"
	[ "$owner" = pheap ] && exit 90
	exit 94
fi
overran=$(grep -a '^PHEAP-PHASE: .* overran' "$log" | tail -n 1 | tr -d '\r' || true)
if [ -n "$overran" ]; then
	say "vm: ${overran#PHEAP-PHASE: } (log: $log); its last lines, then its processes:"
	grep -a -B 12 '^# phase .*still running' "$log" | tr -d '\r' | head -n 12 >&2
	grep -a -A 40 '^# phase .*still running' "$log" | tr -d '\r' | grep '^#' | head -n 40 >&2
	exit 95
fi
if [ -n "$stopped" ]; then
	say "vm: $stopped (log: $log); the console's last lines:"
	tail -n 15 "$log" | tr -d '\r' >&2
	exit 95
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
