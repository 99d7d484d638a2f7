// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite pheap_rcu: pheap_free_rcu() (pheap/rcu.c), in every design
 * and in debug mode. A block is not freed, nor written, while a reader
 * that began before the call still reads; it is freed after, everything
 * given back; many calls wait for few grace periods; any other free of a
 * claimed block is refused and reported, and nothing is handed out twice;
 * with no batch page to be had the claims go to the superblocks' bitmaps
 * and are still freed; pheap_destroy() waits for what is pending; bad and
 * large pointers are served as pheap_free() serves them. (Hardirq and
 * softirq: pheap_context.)
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

#include "helpers.h"
#include "../pheap/rcu.h"

#define RCU_BLOCKS	64
#define RCU_SIZE	96

/* Bytes in use after every pending RCU free and remote free is done. */
static unsigned long rcu_settled_u(struct pheap *p)
{
	struct pheap_stats st;

	pheap_rcu_barrier(p);
	pheap_flush(p);
	flush_work(&p->large_work);
	pheap_get_stats(p, &st);
	return st.u;
}

/*
 * Every remote free collected, as pheap_flush() does, without waiting for
 * the frees after a grace period: a reader of the caller's holds those.
 * But not on the reader's CPU @skip: on PREEMPT_RT, RCU boosts a reader
 * that holds a grace period back for 500 ms to a real-time priority, and
 * the reader's busy-wait then starves that CPU's workqueue worker, which
 * a flush there would wait for until the reader gave up (seen on 6.12-rt:
 * the reader timed out after 5 s and every block was freed). The test
 * keeps its blocks off that CPU.
 */
static void rcu_collect(struct pheap *p, int skip)
{
	unsigned int c, round;
	int cpu;

	for (round = 0; round < 2; round++) {
		for_each_possible_cpu(cpu)
			if (cpu != skip)
				pheap_heap_flush(p, per_cpu_ptr(p->cpu_heaps, cpu));
		for (c = 0; c < PHEAP_NR_CLASSES; c++)
			pheap_global_drain(p, c);
	}
}

struct rcu_reader {
	struct completion in;
	bool leave;
	bool timed_out;
};

/*
 * A reader: in a read-side critical section until told to leave, or 5 s
 * of the clock (not 5000 mdelay(1)s: under TCG a busy-wait's calibration
 * can run far faster than the clock, seen ending in under a second).
 */
static int rcu_reader_fn(void *arg)
{
	struct rcu_reader *r = arg;
	u64 end = ktime_get_ns() + 5 * NSEC_PER_SEC;

	rcu_read_lock();
	complete(&r->in);
	while (!READ_ONCE(r->leave)) {
		if (ktime_get_ns() > end) {	/* the test side never came back */
			r->timed_out = true;
			break;
		}
		mdelay(1);
	}
	rcu_read_unlock();
	return 0;
}

/*
 * Freed with pheap_free_rcu() while a reader reads: after rounds, remote
 * collections and 300 ms, every block is still in use and intact; once the
 * reader has left, every one is freed.
 */
static void rcu_not_freed_before_grace_period(struct kunit *test)
{
	struct pheap *p = kt_create(test, 0, 0);
	void **blk = kunit_kcalloc(test, RCU_BLOCKS, sizeof(*blk), GFP_KERNEL);
	struct rcu_reader *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	unsigned int i, intact = 0, here, reader_cpu;
	struct task_struct *t = NULL;
	unsigned long u0;
	int err;

	KUNIT_ASSERT_NOT_NULL(test, blk);
	KUNIT_ASSERT_NOT_NULL(test, r);
	if (num_online_cpus() < 2)
		kunit_skip(test, "a reader spinning on the only CPU would stall the test");
	/* the blocks this CPU's, the reader on another (rcu_collect()) */
	migrate_disable();
	here = smp_processor_id();
	reader_cpu = cpumask_any_but(cpu_online_mask, here);
	err = kt_alloc_filled(p, blk, RCU_BLOCKS, RCU_SIZE);
	if (!err) {
		t = kthread_create(rcu_reader_fn, r, "pheap_kt_reader");
		err = PTR_ERR_OR_ZERO(t);
	}
	if (err)
		migrate_enable();
	KUNIT_ASSERT_EQ(test, err, 0);
	u0 = rcu_settled_u(p);
	init_completion(&r->in);
	kthread_bind(t, reader_cpu);
	wake_up_process(t);
	wait_for_completion(&r->in);

	for (i = 0; i < RCU_BLOCKS; i++)
		pheap_free_rcu_in(p, blk[i]);
	msleep(300);	/* a round has begun, and waits */
	rcu_collect(p, reader_cpu);
	for (i = 0; i < RCU_BLOCKS; i++)
		intact += kt_intact(blk[i], RCU_SIZE);
	KUNIT_EXPECT_EQ(test, intact, RCU_BLOCKS);
	KUNIT_EXPECT_EQ(test, pheap_usable_size_in(p, blk[0]) ? 1 : 0, 1);
	{
		struct pheap_stats st;

		pheap_get_stats(p, &st);
		KUNIT_EXPECT_EQ(test, st.u, u0);
	}
	WRITE_ONCE(r->leave, true);
	KUNIT_EXPECT_EQ(test, rcu_settled_u(p), 0UL);
	migrate_enable();
	KUNIT_EXPECT_FALSE(test, r->timed_out);
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_RCU_FREE),
			(unsigned long)RCU_BLOCKS);
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_BAD_FREE), 0UL);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

/* Many frees in a burst wait for a few grace periods, not one each. */
static void rcu_many_frees_few_rounds(struct kunit *test)
{
	const unsigned int n = 4096;
	struct pheap *p = kt_create(test, 0, 0);
	void **blk = kunit_kcalloc(test, n, sizeof(*blk), GFP_KERNEL);
	unsigned long rounds;
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, blk);
	KUNIT_ASSERT_EQ(test, kt_alloc_filled(p, blk, n, 32), 0);
	for (i = 0; i < n; i++)
		pheap_free_rcu_in(p, blk[i]);
	KUNIT_EXPECT_EQ(test, rcu_settled_u(p), 0UL);
	rounds = kt_event(p, PHEAP_EV_RCU_ROUND);
	kunit_info(test, "%u frees, %lu rounds, %lu fallbacks\n", n, rounds,
		   kt_event(p, PHEAP_EV_RCU_FALLBACK));
	KUNIT_EXPECT_GE(test, rounds, 1UL);
	KUNIT_EXPECT_LE(test, rounds, 8UL);
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_RCU_FREE), (unsigned long)n);
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_RCU_FALLBACK), 0UL);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

/*
 * Any free of a block claimed by pheap_free_rcu(), plain or RCU, is a
 * double free: reported and refused. The block is freed once, and no
 * block is handed out twice afterwards.
 */
static void rcu_double_free_refused(struct kunit *test)
{
	struct pheap *p = kt_create(test, 0, 0);
	void *q = pheap_alloc_in(p, RCU_SIZE, GFP_KERNEL);
	void *big = pheap_alloc_in(p, 3 * PAGE_SIZE, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_ASSERT_NOT_NULL(test, big);
	pheap_free_rcu_in(p, q);
	pheap_free_in(p, q);
	pheap_free_rcu_in(p, q);
	pheap_free_rcu_in(p, big);
	pheap_free_in(p, big);
	pheap_free_rcu_in(p, big);
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_BAD_FREE), 4UL);
	KUNIT_EXPECT_EQ(test, rcu_settled_u(p), 0UL);
	/* freed: an RCU free of it now is a free of a free block */
	pheap_free_rcu_in(p, q);
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_BAD_FREE), 5UL);
	KUNIT_EXPECT_EQ(test, kt_handed_out_twice(p, RCU_SIZE, 512), 0);
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_RCU_FREE), 2UL);
	KUNIT_EXPECT_EQ(test, rcu_settled_u(p), 0UL);
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_CORRUPT), 0UL);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

/*
 * No page for a batch (every page request fails): the claims are recorded
 * in their superblocks, and still freed, every one, after a grace period.
 */
static void rcu_fallback_without_pages(struct kunit *test)
{
	struct pheap *p = kt_create(test, 0, 0);
	void **blk = kunit_kcalloc(test, RCU_BLOCKS, sizeof(*blk), GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, blk);
	KUNIT_ASSERT_EQ(test, kt_alloc_filled(p, blk, RCU_BLOCKS, RCU_SIZE), 0);
	KUNIT_ASSERT_EQ(test, pheap_fault_set(p, 1, 0), 0);
	for (i = 0; i < RCU_BLOCKS; i++)
		pheap_free_rcu_in(p, blk[i]);
	KUNIT_ASSERT_EQ(test, pheap_fault_set(p, 0, 0), 0);
	KUNIT_EXPECT_EQ(test, rcu_settled_u(p), 0UL);
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_RCU_FALLBACK),
			(unsigned long)RCU_BLOCKS);
	KUNIT_ASSERT_EQ(test, kt_alloc_filled(p, blk, RCU_BLOCKS, RCU_SIZE), 0);
	/* half, then half again once a round has taken the first half */
	KUNIT_ASSERT_EQ(test, pheap_fault_set(p, 1, 0), 0);
	for (i = 0; i < RCU_BLOCKS; i += 2)
		pheap_free_rcu_in(p, blk[i]);
	msleep(50);
	for (i = 1; i < RCU_BLOCKS; i += 2)
		pheap_free_rcu_in(p, blk[i]);
	KUNIT_ASSERT_EQ(test, pheap_fault_set(p, 0, 0), 0);
	KUNIT_EXPECT_EQ(test, rcu_settled_u(p), 0UL);
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_BAD_FREE), 0UL);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

/* pheap_destroy() right after the frees: it waits, nothing leaks. */
static void rcu_destroy_waits(struct kunit *test)
{
	struct pheap *p = kt_create(test, 0, 0);
	void **blk = kunit_kcalloc(test, RCU_BLOCKS, sizeof(*blk), GFP_KERNEL);
	void *big = pheap_alloc_in(p, 2 * PAGE_SIZE, GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, blk);
	KUNIT_ASSERT_NOT_NULL(test, big);
	KUNIT_ASSERT_EQ(test, kt_alloc_filled(p, blk, RCU_BLOCKS, RCU_SIZE), 0);
	for (i = 0; i < RCU_BLOCKS; i++)
		pheap_free_rcu_in(p, blk[i]);
	pheap_free_rcu_in(p, big);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

/* Large allocations and bad pointers, as pheap_free() serves them. */
static void rcu_large_and_bad_pointers(struct kunit *test)
{
	struct pheap *p = kt_create(test, 0, 0);
	void *k = kunit_kmalloc(test, 64, GFP_KERNEL);
	u8 *big = pheap_alloc_in(p, 5 * PAGE_SIZE, GFP_KERNEL);
	u8 *q = pheap_alloc_in(p, 256, GFP_KERNEL);
	struct pheap_stats st;

	KUNIT_ASSERT_NOT_NULL(test, k);
	KUNIT_ASSERT_NOT_NULL(test, big);
	KUNIT_ASSERT_NOT_NULL(test, q);
	pheap_free_rcu_in(p, k);
	pheap_free_rcu_in(p, q + 8);
	pheap_free_rcu_in(p, big + PAGE_SIZE);
	pheap_free_rcu_in(p, NULL);
	pheap_free_rcu_in(p, ZERO_SIZE_PTR);
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_BAD_FREE), 3UL);
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_RCU_FREE), 0UL);
	pheap_free_rcu_in(p, big);
	pheap_free_rcu_in(p, q);
	KUNIT_EXPECT_EQ(test, rcu_settled_u(p), 0UL);
	pheap_get_stats(p, &st);
	KUNIT_EXPECT_EQ(test, st.large_nr, 0UL);
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_LARGE_FREE), 1UL);
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_BAD_FREE), 3UL);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

/*
 * Debug mode: the object is left as it is until the grace period ends,
 * then poisoned; a second free meanwhile is reported; nothing corrupt.
 */
static void rcu_debug_mode(struct kunit *test)
{
	struct pheap *p = kt_create_debug(test, PHEAP_DEBUG_F | PHEAP_DEBUG_Z |
					  PHEAP_DEBUG_P | PHEAP_DEBUG_U);
	u8 *q = pheap_alloc_in(p, RCU_SIZE, GFP_KERNEL);
	u8 *big = pheap_alloc_in(p, 2 * PAGE_SIZE, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_ASSERT_NOT_NULL(test, big);
	kt_fill(q, RCU_SIZE);
	kt_fill(big, 2 * PAGE_SIZE);
	rcu_read_lock();
	pheap_free_rcu_in(p, q);
	pheap_free_rcu_in(p, big);
	mdelay(100);	/* a round has begun, and waits for this reader */
	KUNIT_EXPECT_TRUE(test, kt_intact(q, RCU_SIZE));
	KUNIT_EXPECT_TRUE(test, kt_intact(big, 2 * PAGE_SIZE));
	rcu_read_unlock();
	pheap_free_in(p, q);
	pheap_free_in(p, big);
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_BAD_FREE), 2UL);
	KUNIT_EXPECT_EQ(test, rcu_settled_u(p), 0UL);
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_CORRUPT), 0UL);
	KUNIT_EXPECT_EQ(test, kt_handed_out_twice(p, RCU_SIZE, 256), 0);
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_CORRUPT), 0UL);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

static struct kunit_case pheap_rcu_cases[] = {
	KUNIT_CASE_PARAM(rcu_not_freed_before_grace_period, kt_design_params),
	KUNIT_CASE_PARAM(rcu_many_frees_few_rounds, kt_design_params),
	KUNIT_CASE_PARAM(rcu_double_free_refused, kt_design_params),
	KUNIT_CASE_PARAM(rcu_fallback_without_pages, kt_design_params),
	KUNIT_CASE_PARAM(rcu_destroy_waits, kt_design_params),
	KUNIT_CASE_PARAM(rcu_large_and_bad_pointers, kt_design_params),
	KUNIT_CASE(rcu_debug_mode),
	{}
};

static struct kunit_suite pheap_rcu_suite = {
	.name = "pheap_rcu",
	.test_cases = pheap_rcu_cases,
};

kunit_test_suite(pheap_rcu_suite);
