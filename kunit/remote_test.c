// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite pheap_remote: blocks freed by a CPU that does not own them
 * go back to their owner's superblocks, lock free, and are collected.
 */
#include <kunit/test.h>
#include <linux/cpumask.h>
#include <linux/delay.h>

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

/*
 * On the owner: NR_REMOTE 64-byte blocks, more than its active superblock
 * has left, so that it runs dry and the refill collects; then freed.
 */
static int remote_refill(void *arg)
{
	struct remote_work *w = arg;
	int ret;

	ret = kt_alloc_filled(w->p, w->blk, NR_REMOTE, 64);
	if (ret)
		return ret;
	return remote_free(w);
}

/*
 * Allocate on CPU A, free on CPU B: the blocks come back to A's own
 * superblocks, collected by A's next refill (or by its collector,
 * whichever comes first), with no lock taken by B.
 */
static void remote_free_returns_to_owner(struct kunit *test)
{
	struct pheap_cpu_stats a, b;
	struct remote_work *w;
	struct pheap_heap *ha;
	struct pheap_sb *sb;
	unsigned long tag;
	unsigned int cpu_a, cpu_b;
	struct pheap *p;

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
	KUNIT_EXPECT_EQ(test, pheap_heap_u(ha), NR_REMOTE * 64UL);
	KUNIT_EXPECT_EQ(test, kt_run_on_cpu(cpu_b, remote_free, w), 0);
	KUNIT_EXPECT_EQ(test, w->cpu_seen, cpu_b);
	pheap_get_cpu_stats(p, cpu_b, &b);
	KUNIT_EXPECT_EQ(test, b.ev[PHEAP_EV_REMOTE_SENT], (unsigned long)NR_REMOTE);
	KUNIT_EXPECT_EQ(test, b.nr_sb, 0UL);

	KUNIT_EXPECT_EQ(test, kt_run_on_cpu(cpu_a, remote_refill, w), 0);
	pheap_get_cpu_stats(p, cpu_a, &a);
	KUNIT_EXPECT_EQ(test, a.ev[PHEAP_EV_REMOTE_RECV], (unsigned long)NR_REMOTE);
	KUNIT_EXPECT_EQ(test, a.u, 0UL);
	KUNIT_EXPECT_TRUE(test, llist_empty(&ha->remote));
	sb = pheap_sb_lookup(w->blk[0], &tag);
	KUNIT_ASSERT_NOT_NULL(test, sb);
	KUNIT_EXPECT_PTR_EQ(test, READ_ONCE(sb->owner), ha);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

#define NR_PRODUCED	96	/* 256-byte blocks: six superblocks, all full */

struct produce_work {
	struct pheap *p;
	void *blk[2 * NR_PRODUCED];
	unsigned int from;
};

static int produce(void *arg)
{
	struct produce_work *w = arg;

	return kt_alloc_filled(w->p, w->blk + w->from, NR_PRODUCED, 256);
}

static int consume(void *arg)
{
	struct produce_work *w = arg;
	unsigned int i;

	for (i = 0; i < NR_PRODUCED; i++)
		pheap_free_in(w->p, w->blk[w->from + i]);
	return 0;
}

/*
 * A refill collects the frees waiting for its heap before it takes a new
 * superblock: a producer whose blocks come back from a consumer on
 * another CPU reuses them and takes no new page. The collector work is
 * held off (p->dying: nothing is queued), so that only the refill can.
 */
static void refill_collects_before_new_pages(struct kunit *test)
{
	struct pheap_heap *ha;
	struct produce_work *w;
	unsigned int cpu_a, cpu_b;
	unsigned long pages, recv;
	struct pheap *p;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs 2 online CPUs, has %u", num_online_cpus());
	cpu_a = cpumask_first(cpu_online_mask);
	cpu_b = cpumask_next(cpu_a, cpu_online_mask);
	w = kunit_kzalloc(test, sizeof(*w), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w);
	p = kt_create(test, 0, 0);
	w->p = p;
	ha = per_cpu_ptr(p->cpu_heaps, cpu_a);

	KUNIT_ASSERT_EQ(test, kt_run_on_cpu(cpu_a, produce, w), 0);
	WRITE_ONCE(p->dying, true);
	KUNIT_ASSERT_EQ(test, kt_run_on_cpu(cpu_b, consume, w), 0);
	pages = READ_ONCE(ha->ev[PHEAP_EV_PAGES_IN]);
	recv = READ_ONCE(ha->ev[PHEAP_EV_REMOTE_RECV]);
	w->from = NR_PRODUCED;
	KUNIT_ASSERT_EQ(test, kt_run_on_cpu(cpu_a, produce, w), 0);
	pages = READ_ONCE(ha->ev[PHEAP_EV_PAGES_IN]) - pages;
	recv = READ_ONCE(ha->ev[PHEAP_EV_REMOTE_RECV]) - recv;
	KUNIT_EXPECT_EQ_MSG(test, pages, 0UL, "pages the second round took");
	KUNIT_EXPECT_EQ(test, recv, (unsigned long)NR_PRODUCED);
	WRITE_ONCE(p->dying, false);
	KUNIT_ASSERT_EQ(test, kt_run_on_cpu(cpu_a, consume, w), 0);
	pheap_flush(p);
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
	pheap_flush(p);
	pheap_get_stats(p, &st);
	KUNIT_EXPECT_EQ(test, st.u, 0UL);
	KUNIT_EXPECT_EQ(test, st.ev[PHEAP_EV_REMOTE_RECV], (unsigned long)NR_REMOTE);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

struct idle_work {
	struct pheap *p;
	void **blk;
	unsigned int n;
};

static int idle_alloc(void *arg)
{
	struct idle_work *w = arg;

	return kt_alloc_filled(w->p, w->blk, w->n, 256);
}

static int idle_free(void *arg)
{
	struct idle_work *w = arg;

	kt_free_all(w->p, w->blk, w->n);
	return 0;
}

/*
 * CPU A allocates many superblocks' worth and then does nothing; CPU B
 * frees every block. Without any help from A, within a bounded time (the
 * collector runs PHEAP_COLLECT_DELAY after the first free, and the
 * threshold return goes on in the same work item, PHEAP_RETURN_MAX
 * superblocks a lock hold; the test allows a second): A has collected
 * them all, and has given back every emptied superblock beyond its K*S
 * of slack and its active one, and the global heap every one beyond its
 * reserve.
 */
static void remote_frees_to_idle_owner_collected(struct kunit *test)
{
	struct idle_work w = { .n = 2048 };
	const struct pheap_class_info *ci;
	struct pheap_cpu_stats a;
	unsigned int cpu_a, cpu_b;
	struct pheap_stats st;
	unsigned long limit;
	int waited;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs 2 online CPUs, has %u", num_online_cpus());
	cpu_a = cpumask_first(cpu_online_mask);
	cpu_b = cpumask_next(cpu_a, cpu_online_mask);
	w.blk = kunit_kcalloc(test, w.n, sizeof(void *), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w.blk);
	w.p = kt_create(test, 0, 0);
	ci = &w.p->ci[pheap_size_to_class(256)];
	KUNIT_ASSERT_EQ(test, kt_run_on_cpu(cpu_a, idle_alloc, &w), 0);
	pheap_get_cpu_stats(w.p, cpu_a, &a);
	KUNIT_EXPECT_EQ(test, a.u, w.n * 256UL);
	KUNIT_EXPECT_EQ(test, kt_run_on_cpu(cpu_b, idle_free, &w), 0);

	limit = w.p->k_bytes + ci->sb_bytes +
		w.p->cfg.global_reserve * ci->sb_bytes;
	/* the threshold return may go on in A's work item after collecting */
	for (waited = 0; waited < 1000; waited += 10) {
		pheap_get_cpu_stats(w.p, cpu_a, &a);
		pheap_get_stats(w.p, &st);
		if (a.ev[PHEAP_EV_REMOTE_RECV] == w.n &&
		    a.a <= w.p->k_bytes + ci->sb_bytes && st.a <= limit)
			break;
		usleep_range(10000, 11000);
	}
	kunit_info(test, "collected and returned after about %d ms", waited);
	KUNIT_EXPECT_EQ(test, a.ev[PHEAP_EV_REMOTE_RECV], (unsigned long)w.n);
	KUNIT_EXPECT_EQ(test, a.u, 0UL);
	KUNIT_EXPECT_LE(test, a.a, w.p->k_bytes + ci->sb_bytes);
	KUNIT_EXPECT_GT(test, a.ev[PHEAP_EV_TO_GLOBAL], 0UL);
	KUNIT_EXPECT_LE(test, st.a, limit);
	KUNIT_EXPECT_GT(test, st.ev[PHEAP_EV_PAGES_OUT], 0UL);
	KUNIT_EXPECT_EQ(test, pheap_destroy(w.p), 0UL);
}

/*
 * A remote list whose node is not a superblock of the instance (memory
 * outside pheap's blocks was overwritten, or another instance's): the
 * collector counts a corruption and drops the rest of the list; it does
 * not follow the node.
 */
static void remote_list_bad_node_contained(struct kunit *test)
{
	struct pheap *p = kt_create(test, 0, 0), *other = kt_create(test, 0, 0);
	struct pheap_sb *fake = kzalloc(sizeof(*fake), GFP_KERNEL);
	void *q = pheap_alloc_in(other, 64, GFP_KERNEL);
	unsigned int cpu = cpumask_first(cpu_online_mask);
	struct pheap_heap *h = per_cpu_ptr(p->cpu_heaps, cpu);
	struct pheap_sb *stranger;
	struct pheap_stats st;
	unsigned long tag;

	KUNIT_ASSERT_NOT_NULL(test, fake);
	KUNIT_ASSERT_NOT_NULL(test, q);
	stranger = pheap_sb_lookup(q, &tag);
	KUNIT_ASSERT_NOT_NULL(test, stranger);
	llist_add(&fake->rnode, &h->remote);
	pheap_flush(p);
	llist_add(&fake->rnode, &h->remote);
	llist_add(&stranger->rnode, &h->remote);	/* first, then fake */
	pheap_flush(p);
	pheap_get_stats(p, &st);
	KUNIT_EXPECT_EQ(test, st.ev[PHEAP_EV_CORRUPT], 2UL);
	KUNIT_EXPECT_EQ(test, st.ev[PHEAP_EV_REMOTE_RECV], 0UL);
	KUNIT_EXPECT_FALSE(test, pheap_heap_remote_waiting(h));
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
	pheap_free_in(other, q);
	KUNIT_EXPECT_EQ(test, pheap_destroy(other), 0UL);
	kfree(fake);
}

struct cut_work {
	struct pheap *p;
	void *blk[2];
	struct pheap_sb *sb;
	int idx;
};

static int cut_alloc(void *arg)
{
	struct cut_work *w = arg;
	unsigned long tag;
	int err = kt_alloc_filled(w->p, w->blk, 2, 64);

	if (err)
		return err;
	w->sb = pheap_sb_lookup(w->blk[0], &tag);
	if (!w->sb || pheap_sb_lookup(w->blk[1], &tag) != w->sb)
		return -EINVAL;
	w->idx = pheap_sb_block_index(w->p, w->sb, w->blk[0]);
	return 0;
}

static int cut_free_second(void *arg)
{
	struct cut_work *w = arg;

	pheap_free_in(w->p, w->blk[1]);
	return 0;
}

/*
 * A remote list cut short by a corrupt node, with a superblock behind it:
 * the block freed remotely into that superblock cannot be collected
 * while the instance lives, but destroy collects it and gives every page
 * back: no leak reported, no page unaccounted for.
 */
static void remote_list_cut_recovered_at_destroy(struct kunit *test)
{
	struct pheap_sb *fake = kzalloc(sizeof(*fake), GFP_KERNEL);
	struct cut_work w = { .p = kt_create(test, 0, 0) };
	unsigned int cpu = cpumask_first(cpu_online_mask);
	struct pheap_heap *h = per_cpu_ptr(w.p->cpu_heaps, cpu);

	KUNIT_ASSERT_NOT_NULL(test, fake);
	KUNIT_ASSERT_EQ(test, kt_run_on_cpu(cpu, cut_alloc, &w), 0);
	/* block 0 freed remotely: its superblock queued on h's list */
	KUNIT_ASSERT_TRUE(test, pheap_remote_free(w.p, w.sb, w.idx));
	cancel_delayed_work_sync(&h->work);
	llist_add(&fake->rnode, &h->remote);	/* collected first: cut */
	pheap_flush(w.p);
	KUNIT_EXPECT_EQ(test, kt_event(w.p, PHEAP_EV_CORRUPT), 1UL);
	KUNIT_EXPECT_TRUE(test, atomic_long_read(&w.sb->rsummary) &
				PHEAP_RS_QUEUED);
	KUNIT_EXPECT_EQ(test, kt_run_on_cpu(cpu, cut_free_second, &w), 0);
	KUNIT_EXPECT_EQ(test, pheap_destroy(w.p), 0UL);
	kfree(fake);
}

/*
 * Under init_on_free (KUnit boots with it) collecting a block wipes it:
 * the global heap does that only in its work item, its class lock dropped
 * around the wipe, never under the lock with interrupts off, where a
 * shrink, a refill or a return would have. A block of a global
 * superblock (handed out while this CPU's heap was held, as to an
 * interrupt) freed remotely stays uncollected through a shrink, then
 * pheap_flush() (the work item's way) collects and wipes it.
 */
static void global_wipes_outside_its_lock(struct kunit *test)
{
	struct pheap_stats st;
	struct pheap_heap *h;
	unsigned long tag;
	struct pheap *p;
	u8 *q;

	if (!want_init_on_free())
		kunit_skip(test, "needs init_on_free=1");
	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		kunit_skip(test, "PREEMPT_RT: nothing interrupts a local lock's holder");
	p = kt_create(test, 0, 0);
	migrate_disable();
	h = pheap_heap_trylock(p);
	q = h ? pheap_alloc_in(p, 64, GFP_ATOMIC) : NULL;	/* global's */
	if (h)
		pheap_heap_unlock(p, h);
	migrate_enable();
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_ASSERT_NULL(test, READ_ONCE(pheap_sb_lookup(q, &tag)->owner));
	memset(q, 0x5a, 64);
	pheap_free_in(p, q);			/* queued on the global heap */
	cancel_delayed_work_sync(&p->global.work);
	pheap_global_shrink(p, ULONG_MAX);	/* under the class locks */
	pheap_get_stats(p, &st);
	KUNIT_EXPECT_EQ(test, st.u, 64UL);	/* not collected there */
	pheap_flush(p);
	pheap_get_stats(p, &st);
	KUNIT_EXPECT_EQ(test, st.u, 0UL);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

static struct kunit_case pheap_remote_cases[] = {
	KUNIT_CASE(remote_free_returns_to_owner),
	KUNIT_CASE(remote_frees_to_idle_owner_collected),
	KUNIT_CASE(flush_collects_everywhere),
	KUNIT_CASE(refill_collects_before_new_pages),
	KUNIT_CASE(remote_list_bad_node_contained),
	KUNIT_CASE(remote_list_cut_recovered_at_destroy),
	KUNIT_CASE(global_wipes_outside_its_lock),
	{}
};

static struct kunit_suite pheap_remote_suite = {
	.name = "pheap_remote",
	.test_cases = pheap_remote_cases,
};

kunit_test_suite(pheap_remote_suite);
