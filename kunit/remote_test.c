// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite pheap_remote: blocks freed by a CPU that does not own them
 * go back to their owner's superblocks, lock free, and are collected.
 */
#include <kunit/test.h>
#include <linux/cpumask.h>

#include "helpers.h"

#define NR_REMOTE 100

struct remote_work {
	struct pheap *p;
	void *blk[NR_REMOTE];
	unsigned int cpu_seen;
};

static int remote_alloc(void *arg)
{
	struct remote_work *w = arg;

	w->cpu_seen = raw_smp_processor_id();
	return kt_alloc_filled(w->p, w->blk, NR_REMOTE, 64);
}

static int remote_free(void *arg)
{
	struct remote_work *w = arg;
	int i, bad = 0;

	w->cpu_seen = raw_smp_processor_id();
	for (i = 0; i < NR_REMOTE; i++) {
		bad += !kt_intact(w->blk[i], 64);
		pheap_free_in(w->p, w->blk[i]);
	}
	return bad;
}

/* Use up the active superblock and one more: that refill collects. */
static int remote_refill(void *arg)
{
	struct remote_work *w = arg;
	unsigned int left = w->p->ci[pheap_size_to_class(64)].nblocks - NR_REMOTE;
	unsigned int i;

	for (i = 0; i <= left; i++) {
		w->blk[i] = pheap_alloc_in(w->p, 64, GFP_KERNEL);
		if (!w->blk[i])
			return -ENOMEM;
	}
	return i;
}

/* Allocate on CPU A, free on CPU B: the blocks come back to A. */
static void remote_free_returns_to_owner(struct kunit *test)
{
	struct remote_work *w;
	struct pheap_cpu_stats a, b;
	struct pheap_heap *ha;
	struct pheap_sb *sb;
	unsigned long tag;
	unsigned int cpu_a, cpu_b;
	struct pheap *p;
	int n;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs 2 online CPUs, has %u", num_online_cpus());
	cpu_a = cpumask_first(cpu_online_mask);
	cpu_b = cpumask_next(cpu_a, cpu_online_mask);
	w = kunit_kzalloc(test, sizeof(*w), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w);
	p = kt_create(test, 0, 0);
	w->p = p;
	ha = per_cpu_ptr(p->cpu_heaps, cpu_a);

	KUNIT_ASSERT_EQ(test, kt_run_on_cpu(cpu_a, remote_alloc, w), 0);
	KUNIT_EXPECT_EQ(test, w->cpu_seen, cpu_a);
	KUNIT_EXPECT_EQ(test, ha->u, NR_REMOTE * 64UL);
	KUNIT_EXPECT_EQ(test, kt_run_on_cpu(cpu_b, remote_free, w), 0);
	KUNIT_EXPECT_EQ(test, w->cpu_seen, cpu_b);

	pheap_get_cpu_stats(p, cpu_b, &b);
	KUNIT_EXPECT_EQ(test, b.ev[PHEAP_EV_REMOTE_SENT], (unsigned long)NR_REMOTE);
	KUNIT_EXPECT_EQ(test, b.nr_sb, 0UL);
	/* not collected yet: A still counts them, they wait on A's list */
	KUNIT_EXPECT_EQ(test, ha->u, NR_REMOTE * 64UL);
	KUNIT_EXPECT_FALSE(test, llist_empty(&ha->remote));

	/* A's next refill collects them, into the same superblock */
	n = kt_run_on_cpu(cpu_a, remote_refill, w);
	KUNIT_ASSERT_GT(test, n, 0);
	pheap_get_cpu_stats(p, cpu_a, &a);
	KUNIT_EXPECT_EQ(test, a.ev[PHEAP_EV_REMOTE_RECV], (unsigned long)NR_REMOTE);
	KUNIT_EXPECT_EQ(test, a.u, n * 64UL);
	KUNIT_EXPECT_EQ(test, a.nr_sb, 1UL);
	KUNIT_EXPECT_TRUE(test, llist_empty(&ha->remote));
	sb = pheap_sb_lookup(w->blk[n - 1], &tag);
	KUNIT_ASSERT_NOT_NULL(test, sb);
	KUNIT_EXPECT_PTR_EQ(test, READ_ONCE(sb->owner), ha);
	while (n--)
		pheap_free_in(p, w->blk[n]);
	pheap_flush(p);
	KUNIT_EXPECT_EQ(test, ha->u, 0UL);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

/* pheap_flush() collects remote frees on every CPU without an allocation. */
static void flush_collects_everywhere(struct kunit *test)
{
	struct remote_work *w;
	struct pheap_stats st;
	unsigned int cpu_a, cpu_b;
	struct pheap *p;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs 2 online CPUs, has %u", num_online_cpus());
	cpu_a = cpumask_last(cpu_online_mask);
	cpu_b = cpumask_first(cpu_online_mask);
	w = kunit_kzalloc(test, sizeof(*w), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w);
	p = kt_create(test, 0, 0);
	w->p = p;
	KUNIT_ASSERT_EQ(test, kt_run_on_cpu(cpu_a, remote_alloc, w), 0);
	KUNIT_EXPECT_EQ(test, kt_run_on_cpu(cpu_b, remote_free, w), 0);
	pheap_get_stats(p, &st);
	KUNIT_EXPECT_EQ(test, st.u, NR_REMOTE * 64UL);
	pheap_flush(p);
	pheap_get_stats(p, &st);
	KUNIT_EXPECT_EQ(test, st.u, 0UL);
	KUNIT_EXPECT_EQ(test, st.ev[PHEAP_EV_REMOTE_RECV], (unsigned long)NR_REMOTE);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

static struct kunit_case pheap_remote_cases[] = {
	KUNIT_CASE(remote_free_returns_to_owner),
	KUNIT_CASE(flush_collects_everywhere),
	{}
};

static struct kunit_suite pheap_remote_suite = {
	.name = "pheap_remote",
	.test_cases = pheap_remote_cases,
};

kunit_test_suite(pheap_remote_suite);
