// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the block-lock design's own claims (blocklock.c):
 *
 *   - a lock per free block, taken hand over hand: while a walk stands on
 *     one free block, an allocation served before it goes ahead, and one
 *     that must pass it waits; a walk takes one lock per block visited;
 *   - frees in address order coalesce: no two free blocks side by side,
 *     and a run whose blocks are all free is one free block again.
 */
#include <kunit/test.h>
#include <linux/bit_spinlock.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/prandom.h>
#include <linux/slab.h>

#include "helpers.h"

#define BL_BLOCKS	600

static struct pheap *bl_create(struct kunit *test)
{
	struct pheap_config cfg;
	struct pheap *p;

	pheap_default_config(&cfg);
	cfg.name = "pheap-kunit";
	cfg.design = "block-lock";
	p = pheap_create(&cfg);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, p);
	return p;
}

struct bl_waiter {
	struct pheap *p;
	size_t size;
	void *got;
	bool done;
};

static int bl_waiter_fn(void *arg)
{
	struct bl_waiter *w = arg;

	w->got = pheap_alloc_in(w->p, w->size, GFP_KERNEL);
	/* @got written before @done: bl_done_within() reads in that order */
	smp_store_release(&w->done, true);
	return 0;
}

/* Has @w finished within @ms ms? Spins: the caller holds a bit lock. */
static bool bl_done_within(struct bl_waiter *w, unsigned int ms)
{
	while (ms--) {
		/* pairs with bl_waiter_fn()'s release: @got is then set */
		if (smp_load_acquire(&w->done))
			return true;
		mdelay(1);
	}
	/* as above */
	return smp_load_acquire(&w->done);
}

/*
 * Free blocks A2 and A4 of six 64-byte ones, then the rest of the run:
 * the list is A2, A4, rest. The test stands on A4 (takes its lock, as a
 * walk there would hold it). An allocation of 64 bytes, served by A2,
 * goes ahead on another CPU; one of 128, which must pass A4 to reach the
 * rest, waits until A4 is let go. One lock serving the whole list would
 * not make the second wait.
 */
static void blocklock_walks_hand_over_hand(struct kunit *test)
{
	struct pheap *p = bl_create(test);
	struct bl_waiter w1 = { .p = p, .size = 64 }, w2 = { .p = p, .size = 128 };
	struct task_struct *t1, *t2;
	unsigned int other;
	struct pheap_run *run;
	int a4_bit;
	bool early1, early2;
	void *a[6];
	int i;

	if (num_online_cpus() < 2)
		kunit_skip(test, "one CPU: the other allocation needs another");
	for (i = 0; i < 6; i++) {
		a[i] = pheap_alloc_in(p, 64, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, a[i]);
	}
	KUNIT_ASSERT_PTR_EQ(test, a[0] + 5 * 64, a[5]);
	pheap_free_in(p, a[2]);
	pheap_free_in(p, a[4]);
	run = pheap_run_lookup(p, a[4]);	/* A4's lock: its run's bit */
	a4_bit = pheap_run_granule(run, a[4]);
	/* the allocations on another CPU than this one, which will spin */
	migrate_disable();
	other = cpumask_any_but(cpu_online_mask, smp_processor_id());
	t1 = kthread_create_on_cpu(bl_waiter_fn, &w1, other, "pheap_kt_bl/%u");
	t2 = kthread_create_on_cpu(bl_waiter_fn, &w2, other, "pheap_kt_bl/%u");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t1) || IS_ERR(t2));
	bit_spin_lock(a4_bit, run->locks);
	wake_up_process(t1);
	early1 = bl_done_within(&w1, 5000);
	wake_up_process(t2);
	early2 = bl_done_within(&w2, 100);
	bit_spin_unlock(a4_bit, run->locks);
	migrate_enable();
	KUNIT_EXPECT_TRUE_MSG(test, early1, "an allocation before the held block waited");
	KUNIT_EXPECT_FALSE_MSG(test, early2, "an allocation past the held block did not wait");
	KUNIT_EXPECT_TRUE(test, bl_done_within(&w2, 5000));
	KUNIT_EXPECT_PTR_EQ(test, w1.got, a[2]);
	KUNIT_EXPECT_NOT_NULL(test, w2.got);
	pheap_free_in(p, w1.got);
	pheap_free_in(p, w2.got);
	for (i = 0; i < 6; i++)
		if (i != 2 && i != 4)
			pheap_free_in(p, a[i]);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

/* One lock per block visited, and the sentinel's: a search of k, k + 1. */
static void blocklock_lock_per_block_visited(struct kunit *test)
{
	struct pheap *p = bl_create(test);
	unsigned long locks, searched;
	void *a[8], *big;
	int i;

	for (i = 0; i < 8; i++) {
		a[i] = pheap_alloc_in(p, 64, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, a[i]);
	}
	for (i = 1; i < 7; i += 2)	/* three free blocks of 64, apart */
		pheap_free_in(p, a[i]);
	locks = kt_event(p, PHEAP_EV_LOCK);
	searched = kt_event(p, PHEAP_EV_SEARCHED);
	big = pheap_alloc_in(p, 128, GFP_KERNEL);	/* past all three */
	KUNIT_ASSERT_NOT_NULL(test, big);
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_SEARCHED) - searched, 4UL);
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_LOCK) - locks, 5UL);
	pheap_free_in(p, big);
	for (i = 0; i < 8; i += 2)
		pheap_free_in(p, a[i]);
	pheap_free_in(p, a[7]);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

/* Mixed sizes freed in a random order: coalesced after every 16 frees. */
static void blocklock_frees_coalesce(struct kunit *test)
{
	struct pheap *p = bl_create(test);
	void **blk = kunit_kcalloc(test, BL_BLOCKS, sizeof(*blk), GFP_KERNEL);
	unsigned int i, j, adjacent = 0;
	struct pheap_stats st;
	struct rnd_state rnd;

	KUNIT_ASSERT_NOT_NULL(test, blk);
	prandom_seed_state(&rnd, 23);
	for (i = 0; i < BL_BLOCKS; i++) {
		blk[i] = pheap_alloc_in(p, 1 + prandom_u32_state(&rnd) % 600,
					GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, blk[i]);
	}
	for (i = 0; i < BL_BLOCKS; i++) {
		j = prandom_u32_state(&rnd) % BL_BLOCKS;
		if (!blk[j])
			continue;
		pheap_free_in(p, blk[j]);
		blk[j] = NULL;
		for (j = 0; !(i % 16) && j < BL_BLOCKS; j++)
			if (blk[j])
				adjacent += kt_run_adjacent_free(pheap_run_lookup(p, blk[j]));
	}
	KUNIT_EXPECT_EQ(test, adjacent, 0U);
	for (i = 0; i < BL_BLOCKS; i++)
		pheap_free_in(p, blk[i]);
	pheap_get_stats(p, &st);
	KUNIT_EXPECT_EQ(test, st.u, 0UL);
	KUNIT_EXPECT_EQ(test, st.run.largest_free, PHEAP_RUN_BYTES);
	KUNIT_EXPECT_EQ(test, st.run.free_bytes, st.run.runs * PHEAP_RUN_BYTES);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

static struct kunit_case pheap_blocklock_cases[] = {
	KUNIT_CASE(blocklock_walks_hand_over_hand),
	KUNIT_CASE(blocklock_lock_per_block_visited),
	KUNIT_CASE(blocklock_frees_coalesce),
	{}
};

static struct kunit_suite pheap_blocklock_suite = {
	.name = "pheap_blocklock",
	.test_cases = pheap_blocklock_cases,
};

kunit_test_suite(pheap_blocklock_suite);
