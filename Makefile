# SPDX-License-Identifier: GPL-2.0
#
# pheap: build the module out of tree, and the commands a newcomer runs:
#   make demo    boot a VM, load pheap, exercise it, print its statistics
#                (DESIGN=kheap|serial|class-lock|private|ownership|hoard|
#                boundary-tag|block-lock|btree)
#   make check   every test: builds, checkpatch, KUnit, VM tests
#   make check-full  make check and the matrix cells beyond its budget
#   make bench   pheap next to kmalloc in a VM: table, CSV, plots in results/
#   make bench-designs  the nine heap designs side by side: results/designs/
#   make bench-designs-walk  boundary-tag and block-lock beside serial,
#                class-lock and btree: results/designs-walk/
#   make soak    the gate's steadiness: the full VM tests and KUnit, N=10 times
#
# KDIR defaults to the running kernel's build directory when it exists,
# otherwise to the Debian 6.1 headers that scripts/setup.sh installs.

RUNNING_KDIR := /lib/modules/$(shell uname -r)/build
STOCK61_KDIR := $(shell bash -c '. scripts/common.sh; r=$$(stock_release 6.1); [ -n "$$r" ] && stock_kdir $$r')
KDIR ?= $(if $(wildcard $(RUNNING_KDIR)/Makefile),$(RUNNING_KDIR),$(STOCK61_KDIR))

.PHONY: all modules clean install dkms demo check check-full setup kunit \
	kunit-kcsan kunit-6.12 kunit-rt vmtest bench bench-designs bench-designs-walk soak

all: modules

modules:
	@test -n "$(KDIR)" -a -f "$(KDIR)/Makefile" || { echo "no kernel build directory: run scripts/setup.sh or pass KDIR=<dir>"; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) CONFIG_PHEAP=m CONFIG_PHEAP_STRESS=m \
		CONFIG_PHEAP_BENCH=m modules

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || true
	rm -rf out

# pheap.ko alone into /lib/modules/<release>/updates for KDIR's kernel
install:
	$(MAKE) -C $(KDIR) M=$(CURDIR) CONFIG_PHEAP=m modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) CONFIG_PHEAP=m INSTALL_MOD_DIR=updates modules_install

# pheap under DKMS, rebuilt for each kernel installed from now on
dkms:
	bash scripts/dkms.sh install

setup:
	bash scripts/setup.sh

demo:
	PHEAP_DESIGN=$(or $(DESIGN),$(POLICY)) bash scripts/demo.sh

check:
	bash scripts/check.sh

check-full:
	bash scripts/check.sh --full

kunit:
	bash scripts/kunit.sh

kunit-kcsan:
	bash scripts/kunit.sh kcsan

kunit-6.12:
	bash scripts/kunit.sh kasan-6.12

kunit-rt:
	bash scripts/kunit.sh rt-6.12

vmtest:
	bash scripts/vmtest.sh 6.1
	bash scripts/vmtest.sh 6.12
	bash scripts/vmtest.sh 6.1-rt
	bash scripts/vmtest.sh 6.12-rt
	bash scripts/vmtest.sh 6.1 --smp 1
	bash scripts/vmtest.sh 6.1 --smp 2
	bash scripts/vmtest.sh 6.1 --smp 8
	bash scripts/vmtest.sh 6.1 --numa

bench:
	bash scripts/bench.sh

# make check's full VM tests and KUnit stages N times each, tallied
soak:
	bash scripts/soak.sh $(or $(N),10)

# pheap's nine heap designs side by side, results/designs/: the seven
# bounded ones in one boot; boundary-tag and block-lock, whose calls walk
# a free list without bound, in a second with fewer operations
# (results/designs/walk/), their rows merged into the first's table
WALK_ARGS = --ops 50000 --reps 1 --scenarios pair,threadtest,larson,active-false
bench-designs:
	bash scripts/bench.sh --designs
	bash scripts/bench.sh --designs --design-list boundary-tag,block-lock $(WALK_ARGS) \
		--out results/designs/walk
	bash scripts/bench.sh --merge results/designs/walk

# the designs whose calls walk a free list (boundary-tag, block-lock),
# beside serial, class-lock and btree, with fewer operations:
# results/designs-walk/
bench-designs-walk:
	bash scripts/bench.sh --designs --design-list serial,class-lock,boundary-tag,block-lock,btree \
		$(WALK_ARGS) --out results/designs-walk
