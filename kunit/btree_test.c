// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite pheap_btree: the btree design's own properties. A free
 * coalesces at once with the free extents on either side (they are one
 * gap of the tree), and an allocation gets the lowest gap it fits,
 * however many smaller gaps lie before it, without a new run. Readers go
 * without the writer lock (RCU), writers wait for it.
 * (The conformance and context suites run on it with every design.)
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/slab.h>

#include "helpers.h"
#include "../pheap/btree.h"

#define BT_BLOCKS	512	/* 64-byte blocks: half a run */

static struct pheap *bt_create(struct kunit *test)
{
	struct pheap_config cfg;
	struct pheap *p;

	pheap_default_config(&cfg);
	cfg.name = "pheap-kunit";
	cfg.design = "btree";
	p = pheap_create(&cfg);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, p);
	return p;
}

/*
 * 512 blocks of 64 bytes in a row; every other one freed: 256 gaps of 64
 * bytes, none touching another. Freeing the block between gaps 2k and
 * 2k + 2 makes one gap of 192 bytes of the three, which the next
 * allocation of more than 128 bytes (and at most 192) must get, in the
 * run it has, however many 64-byte gaps come before it.
 */
static void btree_free_coalesces_and_lowest_gap_fits(struct kunit *test)
{
	struct pheap *p = bt_create(test);
	void **blk = kunit_kcalloc(test, BT_BLOCKS, sizeof(*blk), GFP_KERNEL);
	unsigned int i, k = BT_BLOCKS / 2 + 2;	/* gaps before it: k / 2 */
	size_t big = 150, need;
	struct pheap_stats st;
	unsigned long runs;
	void *got;

	KUNIT_ASSERT_NOT_NULL(test, blk);
	need = pheap_csize(pheap_size_to_class(big));
	KUNIT_ASSERT_GT(test, need, (size_t)128);
	KUNIT_ASSERT_LE(test, need, (size_t)192);
	for (i = 0; i < BT_BLOCKS; i++) {
		blk[i] = pheap_alloc_in(p, 64, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, blk[i]);
		/* in a row: each block right after the one before */
		if (i)
			KUNIT_ASSERT_PTR_EQ(test, blk[i], blk[i - 1] + 64);
	}
	for (i = 0; i < BT_BLOCKS; i += 2) {
		pheap_free_in(p, blk[i]);
		blk[i] = NULL;
	}
	pheap_free_in(p, blk[k + 1]);
	blk[k + 1] = NULL;
	pheap_get_stats(p, &st);
	runs = st.run.runs;
	KUNIT_EXPECT_GE(test, st.run.largest_free, (unsigned long)need);

	got = pheap_alloc_in(p, big, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, got);
	KUNIT_EXPECT_PTR_EQ(test, got, blk[k - 1] + 64);	/* gap k's start */
	pheap_get_stats(p, &st);
	KUNIT_EXPECT_EQ(test, st.run.runs, runs);
	kunit_info(test, "search: %lu tree levels at most, %u gaps before the fit\n",
		   st.run.search_max, k / 2);
	pheap_free_in(p, got);
	for (i = 0; i < BT_BLOCKS; i++)
		pheap_free_in(p, blk[i]);
	pheap_flush(p);
	pheap_get_stats(p, &st);
	KUNIT_EXPECT_EQ(test, st.u, 0UL);
	/* every run one gap again, but for its last granule (the fence) */
	KUNIT_EXPECT_EQ(test, st.run.largest_free, PHEAP_RUN_BYTES - 16);
	KUNIT_EXPECT_EQ(test, st.run.free_bytes,
			st.run.runs * (PHEAP_RUN_BYTES - 16));
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

struct bt_caller {
	struct pheap *p;
	void *blk;		/* reader: the block whose size it reads */
	size_t got_size;	/* reader: what it read */
	void *got;		/* writer: the block it allocated */
	bool done;
};

static int bt_reader_fn(void *arg)
{
	struct bt_caller *c = arg;

	c->got_size = pheap_usable_size_in(c->p, c->blk);
	/* @got_size written before @done: bt_done_within() reads in order */
	smp_store_release(&c->done, true);
	return 0;
}

static int bt_writer_fn(void *arg)
{
	struct bt_caller *c = arg;

	c->got = pheap_alloc_in(c->p, 64, GFP_KERNEL);
	/* as above, for @got */
	smp_store_release(&c->done, true);
	return 0;
}

/* Has @c finished within @ms ms? Spins: the caller holds the lock. */
static bool bt_done_within(struct bt_caller *c, unsigned int ms)
{
	while (ms--) {
		/* pairs with the callers' release */
		if (smp_load_acquire(&c->done))
			return true;
		mdelay(1);
	}
	/* as above */
	return smp_load_acquire(&c->done);
}

/*
 * The test holds the tree's writer lock, as a writer would. On another
 * CPU, a reader (pheap_usable_size_in()) reads a block's size through the
 * tree and finishes; a writer (an allocation) waits until the lock is
 * let go. A reader that took the lock would wait too.
 */
static void btree_readers_go_writers_wait(struct kunit *test)
{
	struct pheap *p = bt_create(test);
	struct bt_caller r = { .p = p }, w = { .p = p };
	struct pheap_btree *bt = p->btree;
	struct task_struct *tr, *tw;
	bool read_early, wrote_early;
	unsigned int other;
	unsigned long flags;

	if (num_online_cpus() < 2)
		kunit_skip(test, "one CPU: the reader and writer need another");
	r.blk = pheap_alloc_in(p, 100, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r.blk);
	migrate_disable();
	other = cpumask_any_but(cpu_online_mask, smp_processor_id());
	tr = kthread_create_on_cpu(bt_reader_fn, &r, other, "pheap_kt_bt/%u");
	tw = kthread_create_on_cpu(bt_writer_fn, &w, other, "pheap_kt_bt/%u");
	KUNIT_ASSERT_FALSE(test, IS_ERR(tr) || IS_ERR(tw));
	raw_spin_lock_irqsave(&bt->lock, flags);
	wake_up_process(tr);
	read_early = bt_done_within(&r, 5000);
	wake_up_process(tw);
	wrote_early = bt_done_within(&w, 100);
	raw_spin_unlock_irqrestore(&bt->lock, flags);
	migrate_enable();
	KUNIT_EXPECT_TRUE_MSG(test, read_early, "a reader waited for the writer lock");
	KUNIT_EXPECT_FALSE_MSG(test, wrote_early, "a writer did not wait for the lock");
	KUNIT_EXPECT_EQ(test, r.got_size, pheap_csize(pheap_size_to_class(100)));
	KUNIT_EXPECT_TRUE(test, bt_done_within(&w, 5000));
	KUNIT_EXPECT_NOT_NULL(test, w.got);
	pheap_free_in(p, w.got);
	pheap_free_in(p, r.blk);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

static struct kunit_case pheap_btree_cases[] = {
	KUNIT_CASE(btree_free_coalesces_and_lowest_gap_fits),
	KUNIT_CASE(btree_readers_go_writers_wait),
	{}
};

static struct kunit_suite pheap_btree_suite = {
	.name = "pheap_btree",
	.test_cases = pheap_btree_cases,
};

kunit_test_suite(pheap_btree_suite);
