# SPDX-License-Identifier: GPL-2.0
# Shared paths and helpers for the pheap scripts; sourced, never run.
#
# Everything that is expensive to rebuild (the extracted linux-source tree,
# the KUnit build directory, initramfs parts) lives under $PHEAP_CACHE,
# outside the repository. Deleting it is always safe: the next run
# rebuilds what it needs.

PHEAP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PHEAP_CACHE=${PHEAP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pheap}
PHEAP_OUT=${PHEAP_OUT:-$PHEAP_ROOT/out}

# A kernel log line matching this fails a run: oopses, BUG and WARNING
# reports (lockdep's reports begin with WARNING: too), KASAN and UBSAN,
# sleeping in atomic context, hung tasks, RCU stalls, panics.
SPLAT='Oops|BUG:|WARNING:|kernel BUG at|KASAN|UBSAN|general protection fault|possible circular locking|inconsistent lock state|scheduling while atomic|blocked for more than|rcu: INFO|self-detected stall|Kernel panic|Call Trace:'

say() { printf '[pheap] %s\n' "$*"; }
die() { printf '[pheap] error: %s\n' "$*" >&2; exit 1; }

# Newest installed stock kernel of a series: 6.1 or 6.12, or their
# PREEMPT_RT flavours 6.1-rt and 6.12-rt. Prints the release string (e.g.
# 6.1.0-56-amd64, 6.12.117+deb12-rt-amd64) whose image and headers are
# both installed, or nothing.
stock_release() {
	local series=${1%-rt} rt=0 img rel
	[ "$series" != "$1" ] && rt=1
	for img in $(ls -1 /boot/vmlinuz-"$series".* 2>/dev/null | sort -V -r); do
		rel=${img#/boot/vmlinuz-}
		case $rel in *-cloud-*) continue ;; esac
		case $rel in
		*-rt-*) [ $rt = 1 ] || continue ;;
		*) [ $rt = 0 ] || continue ;;
		esac
		if [ -d "/usr/src/linux-headers-$rel" ]; then
			echo "$rel"
			return 0
		fi
	done
	return 0
}

stock_kdir() { echo "/usr/src/linux-headers-$1"; }
stock_image() { echo "/boot/vmlinuz-$1"; }

# The linux-source-<version> tree (6.1, the default, or 6.12) that
# scripts/kunit.sh builds in; checkpatch.pl comes from the 6.1 one.
linux_src_dir() { echo "$PHEAP_CACHE/linux-source-${1:-6.1}"; }

# The KUnit build directories made from a source tree: stale when the
# tree is extracted again.
kunit_build_dirs() {
	if [ "${1:-6.1}" = 6.1 ]; then
		echo "$PHEAP_CACHE/kunit-build $PHEAP_CACHE/kunit-build-kcsan"
	else
		echo "$PHEAP_CACHE/kunit-build-$1 $PHEAP_CACHE/kunit-build-$1-rt"
	fi
}

# Extract Debian's linux-source-<version> (6.1 by default) into the cache,
# once per package version.
prepare_linux_tree() {
	local ver=${1:-6.1} src stamp want
	src=$(linux_src_dir "$ver")
	stamp=$PHEAP_CACHE/linux-source-$ver.version
	want=$(dpkg-query -W -f='${Version}' "linux-source-$ver")
	if [ -f "$src/Makefile" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
		return 0
	fi
	say "extracting linux-source-$ver $want into $PHEAP_CACHE (once, about a minute)"
	# shellcheck disable=SC2046
	rm -rf "$src" $(kunit_build_dirs "$ver")
	mkdir -p "$PHEAP_CACHE"
	tar -C "$PHEAP_CACHE" -xf "/usr/src/linux-source-$ver.tar.xz"
	echo "$want" >"$stamp"
}

# The project's own C sources, for checkpatch.
project_c_files() {
	(cd "$PHEAP_ROOT" && git ls-files --cached --others --exclude-standard \
		-- '*.c' '*.h' | sort)
}
