#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian 12 packages pheap needs, and only the missing ones.
# Idempotent: a second run installs nothing and says so. Not root and
# something missing: stops with the exact command to run.
set -euo pipefail
. "$(dirname "$0")/common.sh"

# Kernels and headers for both series the module supports, stock and
# PREEMPT_RT, the source trees KUnit runs in, QEMU (qemu-system-data has
# qboot.rom for kunit.py), the busybox that becomes the VM's userland,
# what a kernel build needs, DKMS (with openssl, which it signs the
# modules it builds with), and trace-cmd, which the VM tests run in the
# guest.
PKGS=(
	linux-image-amd64 linux-headers-amd64
	linux-image-6.12-amd64 linux-headers-6.12-amd64
	linux-image-rt-amd64 linux-headers-rt-amd64
	linux-image-6.12-rt-amd64 linux-headers-6.12-rt-amd64
	linux-source-6.1 linux-source-6.12
	qemu-system-x86 qemu-system-data busybox-static
	build-essential gcc-12 bc flex bison libelf-dev libssl-dev dwarves
	cpio xz-utils kmod rsync python3 sparse gnuplot-nox dkms openssl
	trace-cmd
)

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	say "setup: all ${#PKGS[@]} packages present"
	exit 0
fi

cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	die "setup: missing packages; run as root: $cmd"
fi
say "setup: installing ${missing[*]}"
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
say "setup: done"
