// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite pheap_threshold: Hoard's threshold return. After every free
 * a CPU heap keeps u >= a - K*S or u >= (1-f)*a, and the superblocks it
 * gives up are the emptiest; across CPUs a round-robin producer/consumer
 * stays within U + P*K*S.
 */
#include <kunit/test.h>
#include <linux/cpumask.h>

#include "helpers.h"

#define NR_SB	5
#define BLK	64

static bool invariant_holds(struct pheap *p, struct pheap_heap *h)
{
	return h->u + p->k_bytes >= h->a ||
	       100 * h->u >= (100 - p->cfg.f_pct) * h->a;
}

/* Is the superblock at @base still held by CPU heap @h? */
static bool held_by(struct pheap_heap *h, void *base)
{
	unsigned long tag;
	struct pheap_sb *sb = pheap_sb_lookup(base, &tag);

	return sb && READ_ONCE(sb->owner) == h;
}

/*
 * The model: Hoard's rule applied to the per-superblock counts the test
 * keeps; it returns the emptiest superblocks while the invariant fails.
 */
struct model {
	unsigned long u, a;
	unsigned int inuse[NR_SB];
	bool held[NR_SB];
};

static void model_free(struct pheap *p, struct model *m, unsigned int sb)
{
	unsigned int i, best;

	m->inuse[sb]--;
	m->u -= BLK;
	while (!(m->u + p->k_bytes >= m->a ||
		 100 * m->u >= (100 - p->cfg.f_pct) * m->a)) {
		best = NR_SB;
		for (i = 0; i < NR_SB; i++)
			if (m->held[i] && (best == NR_SB || m->inuse[i] < m->inuse[best]))
				best = i;
		m->held[best] = false;
		m->u -= m->inuse[best] * BLK;
		m->a -= p->sb_bytes;
	}
}

/*
 * Fill five superblocks of one class on one CPU, then free them block by
 * block in allocation order. After every free: the invariant holds, and
 * the superblocks the CPU still holds are those the model says.
 */
static void threshold_scripted_frees(struct kunit *test)
{
	struct pheap *p = kt_create(test, 25, 1);
	unsigned int per_sb = p->ci[pheap_size_to_class(BLK)].nblocks;
	unsigned int n = NR_SB * per_sb, i, s;
	struct pheap_heap *h;
	struct model m = { };
	void **blk, *base[NR_SB];
	unsigned long tag;

	blk = kunit_kcalloc(test, n, sizeof(*blk), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, blk);
	migrate_disable();
	h = this_cpu_ptr(p->cpu_heaps);
	for (i = 0; i < n; i++) {
		blk[i] = pheap_alloc_in(p, BLK, GFP_KERNEL);
		if (!blk[i])
			break;
	}
	for (s = 0; s < NR_SB && i == n; s++) {
		base[s] = pheap_sb_lookup(blk[s * per_sb], &tag)->base;
		m.inuse[s] = per_sb;
		m.held[s] = true;
	}
	m.u = n * BLK;
	m.a = NR_SB * p->sb_bytes;
	KUNIT_EXPECT_EQ(test, h->u, m.u);
	KUNIT_EXPECT_EQ(test, h->a, m.a);

	for (i = 0; i < n && blk[n - 1]; i++) {
		s = i / per_sb;
		pheap_free_in(p, blk[i]);
		model_free(p, &m, s);
		if (!invariant_holds(p, h) || h->u != m.u || h->a != m.a)
			break;
		for (s = 0; s < NR_SB; s++)
			if (held_by(h, base[s]) != m.held[s])
				break;
		if (s < NR_SB)
			break;
	}
	migrate_enable();
	KUNIT_ASSERT_NOT_NULL_MSG(test, blk[n - 1], "could not fill %u blocks", n);
	KUNIT_EXPECT_EQ_MSG(test, i, n, "diverged after free %u: u=%lu a=%lu model u=%lu a=%lu",
			    i, h->u, h->a, m.u, m.a);
	KUNIT_EXPECT_EQ(test, h->u, 0UL);
	/* what remains is at most K superblocks of slack */
	KUNIT_EXPECT_LE(test, h->a, p->k_bytes);
	KUNIT_EXPECT_GE(test, h->ev[PHEAP_EV_TO_GLOBAL], (unsigned long)NR_SB - 2);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

struct rr_work {
	struct pheap *p;
	void **blk;
	unsigned int n;
};

static int rr_alloc(void *arg)
{
	struct rr_work *w = arg;
	unsigned int i;

	for (i = 0; i < w->n; i++) {
		w->blk[i] = pheap_alloc_in(w->p, 256, GFP_KERNEL);
		if (!w->blk[i])
			return -ENOMEM;
	}
	return 0;
}

static int rr_free(void *arg)
{
	struct rr_work *w = arg;
	unsigned int i;

	for (i = 0; i < w->n; i++)
		pheap_free_in(w->p, w->blk[i]);
	return 0;
}

/*
 * Round robin: CPU i allocates a batch much larger than K*S, CPU i+1 frees
 * it. Without threshold return every CPU would keep a batch's worth of
 * superblocks. Pages held never exceed U + P*K*S, plus the global heap's
 * reserve for the one class used.
 */
static void threshold_round_robin_bounded(struct kunit *test)
{
	unsigned int ncpu = num_online_cpus(), *cpus, r, i = 0, cpu;
	struct pheap *p = kt_create(test, 25, 1);
	struct rr_work w = { .p = p, .n = 512 };
	unsigned long bound_extra;
	struct pheap_stats st;

	if (ncpu < 2)
		kunit_skip(test, "needs 2 online CPUs, has %u", ncpu);
	cpus = kunit_kcalloc(test, nr_cpu_ids, sizeof(*cpus), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cpus);
	for_each_online_cpu(cpu)
		cpus[i++] = cpu;
	w.blk = kunit_kcalloc(test, w.n, sizeof(void *), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w.blk);
	bound_extra = ncpu * p->k_bytes + p->cfg.global_reserve * p->sb_bytes;

	for (r = 0; r < 4 * ncpu; r++) {
		KUNIT_ASSERT_EQ(test, kt_run_on_cpu(cpus[r % ncpu], rr_alloc, &w), 0);
		pheap_get_stats(p, &st);
		KUNIT_EXPECT_LE_MSG(test, st.a, st.u + bound_extra, "round %u, allocated", r);
		kt_run_on_cpu(cpus[(r + 1) % ncpu], rr_free, &w);
		pheap_get_stats(p, &st);
		KUNIT_EXPECT_LE_MSG(test, st.a, st.u + bound_extra, "round %u, freed", r);
		pheap_flush(p);
		pheap_get_stats(p, &st);
		KUNIT_EXPECT_EQ(test, st.u, 0UL);
		KUNIT_EXPECT_LE_MSG(test, st.a, bound_extra, "round %u, collected", r);
	}
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

/* The global heap keeps a reserve of empties; the shrinker takes it too. */
static void global_shrink_frees_reserve(struct kunit *test)
{
	struct pheap *p = kt_create(test, 25, 1);
	unsigned int cls = pheap_size_to_class(BLK);
	unsigned int n = 3 * p->ci[cls].nblocks, i;
	unsigned long pages = 1UL << p->cfg.sb_order;
	struct pheap_stats st;
	void **blk;

	blk = kunit_kcalloc(test, n, sizeof(*blk), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, blk);
	migrate_disable();
	for (i = 0; i < n; i++)
		blk[i] = pheap_alloc_in(p, BLK, GFP_KERNEL);
	for (i = 0; i < n; i++)
		pheap_free_in(p, blk[i]);
	migrate_enable();
	/* K = 1: one empty superblock stays on the CPU, one in reserve */
	KUNIT_EXPECT_EQ(test, pheap_global_empty_pages(p), pages);
	KUNIT_EXPECT_EQ(test, pheap_global_shrink(p, 100), pages);
	KUNIT_EXPECT_EQ(test, pheap_global_empty_pages(p), 0UL);
	KUNIT_EXPECT_EQ(test, pheap_global_shrink(p, 100), 0UL);
	pheap_get_stats(p, &st);
	KUNIT_EXPECT_EQ(test, st.sb_global, 0UL);
	KUNIT_EXPECT_EQ(test, st.a, (unsigned long)p->sb_bytes);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

static struct kunit_case pheap_threshold_cases[] = {
	KUNIT_CASE(threshold_scripted_frees),
	KUNIT_CASE(threshold_round_robin_bounded),
	KUNIT_CASE(global_shrink_frees_reserve),
	{}
};

static struct kunit_suite pheap_threshold_suite = {
	.name = "pheap_threshold",
	.test_cases = pheap_threshold_cases,
};

kunit_test_suite(pheap_threshold_suite);
