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

# Newest installed stock kernel of a series ("6.1" or "6.12"): prints the
# release string (e.g. 6.1.0-56-amd64) whose image and headers are both
# installed, or nothing.
stock_release() {
	local series=$1 img rel
	for img in $(ls -1 /boot/vmlinuz-"$series".* 2>/dev/null | sort -V -r); do
		rel=${img#/boot/vmlinuz-}
		case $rel in *-rt-*|*-cloud-*) continue ;; esac
		if [ -d "/usr/src/linux-headers-$rel" ]; then
			echo "$rel"
			return 0
		fi
	done
	return 0
}

stock_kdir() { echo "/usr/src/linux-headers-$1"; }
stock_image() { echo "/boot/vmlinuz-$1"; }

# The linux-source-6.1 tree prepared by scripts/kunit.sh (checkpatch lives
# there too).
linux_src_dir() { echo "$PHEAP_CACHE/linux-source-6.1"; }

# Extract Debian's linux-source-6.1 into the cache, once per package
# version. The KUnit runner builds in it; checkpatch.pl comes from it.
prepare_linux_tree() {
	local src stamp want
	src=$(linux_src_dir)
	stamp=$PHEAP_CACHE/linux-source-6.1.version
	want=$(dpkg-query -W -f='${Version}' linux-source-6.1)
	if [ -f "$src/Makefile" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
		return 0
	fi
	say "extracting linux-source-6.1 $want into $PHEAP_CACHE (once)"
	rm -rf "$src" "$PHEAP_CACHE/kunit-build"
	mkdir -p "$PHEAP_CACHE"
	tar -C "$PHEAP_CACHE" -xf /usr/src/linux-source-6.1.tar.xz
	echo "$want" >"$stamp"
}

# The project's own C sources, for checkpatch.
project_c_files() {
	(cd "$PHEAP_ROOT" && git ls-files --cached --others --exclude-standard \
		-- '*.c' '*.h' | sort)
}
