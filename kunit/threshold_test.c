// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite pheap_threshold: Hoard's threshold return as pheap keeps it
 * (heap.c): over a CPU heap's idle superblocks (all but the actives)
 *
 *	a' - u' <= max(K*S, f * a')
 *
 * after every operation, hence a_i <= max(u_i + K*S, u_i / (1 - f)) plus
 * one active superblock per class; active superblocks are never returned,
 * and a return leaves half the slack free (hysteresis), so no superblock
 * ping-pongs through the global heap; across CPUs a round-robin
 * producer/consumer stays within the bound.
 */
#include <kunit/test.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/nodemask.h>
#include <linux/prandom.h>

#include "helpers.h"

/* What a CPU heap holds, counted by walking its lists. */
struct walk {
	unsigned long idle_held, idle_used, active_held, u, a;
};

static void walk_heap(struct pheap *p, struct pheap_heap *h, struct walk *w)
{
	const struct pheap_class_info *ci;
	struct pheap_sb *sb;
	unsigned int c, g;

	memset(w, 0, sizeof(*w));
	for (c = 0; c < PHEAP_NR_CLASSES; c++) {
		ci = &p->ci[c];
		for (g = 0; g < PHEAP_GROUPS; g++) {
			list_for_each_entry(sb, &h->cls[c].groups[g], node) {
				w->idle_held += ci->sb_bytes;
				w->idle_used += sb->inuse * ci->size;
			}
		}
		sb = h->cls[c].active;
		if (sb) {
			w->active_held += ci->sb_bytes;
			w->u += sb->inuse * ci->size;
		}
	}
	w->u += w->idle_used;
	w->a = w->idle_held + w->active_held;
}

/*
 * The bound, from the heap's lists alone: the invariant over the idle
 * superblocks, and a_i <= max(u_i + K*S, u_i / (1 - f)) + actives, once
 * a return that stopped at PHEAP_RETURN_MAX superblocks is finished by
 * the heap's work item.
 * Return: NULL, or what failed.
 */
static const char *bound_broken(struct pheap *p, struct pheap_heap *h)
{
	unsigned long f = p->cfg.f_pct, by_f;
	struct walk w;

	/* a return left to the work item (PHEAP_RETURN_MAX) ends first */
	if (READ_ONCE(h->returning))
		flush_delayed_work(&h->work);
	walk_heap(p, h, &w);
	if (w.u != pheap_heap_u(h) || w.a != h->a ||
	    w.idle_held != h->idle_held ||
	    w.idle_used != h->idle_used)
		return "the heap's counts differ from its lists";
	if (w.idle_held - w.idle_used > max(p->k_bytes, w.idle_held * f / 100))
		return "idle slack above max(K*S, f*a')";
	by_f = DIV_ROUND_UP(w.u * 100, 100 - f);
	if (w.a > max(w.u + p->k_bytes, by_f) + w.active_held)
		return "a above max(u + K*S, u/(1-f)) + actives";
	return NULL;
}

#define MODEL_BLOCKS	1200

/*
 * The memory-bound model test: a scripted run on one CPU over two classes
 * (64 and 1536 bytes: 64 and 10 blocks to a superblock, the latter with
 * 1 KiB of slack) of allocations and frees in a fixed pseudo-random order;
 * after every single operation the bound holds, checked from the heap's
 * lists, not from its counters.
 */
static void threshold_bound_after_every_op(struct kunit *test)
{
	struct pheap *p = kt_create(test, 25, 2);
	const char *why = NULL;
	struct rnd_state rnd;
	struct pheap_heap *h;
	unsigned int i, j, op = 0;
	void **blk;

	blk = kunit_kcalloc(test, MODEL_BLOCKS, sizeof(*blk), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, blk);
	prandom_seed_state(&rnd, 8);
	migrate_disable();
	h = this_cpu_ptr(p->cpu_heaps);
	/* fill, free a random half, refill some, free everything */
	for (i = 0; i < MODEL_BLOCKS && !why; i++, op++) {
		blk[i] = pheap_alloc_in(p, i % 3 ? 64 : 1536, GFP_KERNEL);
		why = blk[i] ? bound_broken(p, h) : "allocation failed";
	}
	for (i = 0; i < 4 * MODEL_BLOCKS && !why; i++, op++) {
		j = prandom_u32_state(&rnd) % MODEL_BLOCKS;
		if (blk[j]) {
			pheap_free_in(p, blk[j]);
			blk[j] = NULL;
		} else if (i < 2 * MODEL_BLOCKS) {
			blk[j] = pheap_alloc_in(p, j % 3 ? 64 : 1536, GFP_KERNEL);
			if (!blk[j])
				why = "allocation failed";
		}
		why = why ?: bound_broken(p, h);
	}
	for (i = 0; i < MODEL_BLOCKS && !why; i++, op++) {
		pheap_free_in(p, blk[i]);
		blk[i] = NULL;
		why = bound_broken(p, h);
	}
	migrate_enable();
	KUNIT_EXPECT_NULL_MSG(test, why, "operation %u: %s (u=%lu a=%lu idle %lu/%lu)",
			      op, why, pheap_heap_u(h), h->a, h->idle_used,
			      h->idle_held);
	KUNIT_EXPECT_GT(test, h->ev[PHEAP_EV_TO_GLOBAL], 0UL);
	for (i = 0; i < MODEL_BLOCKS; i++)
		pheap_free_in(p, blk[i]);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

/*
 * A refill retires the full active superblock into the idle ones, and its
 * slack (1 KiB of a 1536-byte class's 16 KiB) counts as free: with K = 0
 * and f = 1 % that alone breaks the invariant, and the refill must restore
 * it as a free would.
 */
static void threshold_bound_after_refill(struct kunit *test)
{
	unsigned int per_sb, i, n;
	struct pheap_config cfg;
	const char *why = NULL;
	struct pheap_heap *h;
	struct pheap *p;
	void **blk;

	pheap_default_config(&cfg);
	cfg.f_pct = 1;
	cfg.k_sb = 0;
	p = pheap_create(&cfg);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, p);
	per_sb = p->ci[pheap_size_to_class(1536)].nblocks;
	n = 3 * per_sb;
	blk = kunit_kcalloc(test, n, sizeof(*blk), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, blk);
	migrate_disable();
	h = this_cpu_ptr(p->cpu_heaps);
	for (i = 0; i < n && !why; i++) {
		blk[i] = pheap_alloc_in(p, 1536, GFP_KERNEL);
		why = blk[i] ? bound_broken(p, h) : "allocation failed";
	}
	migrate_enable();
	KUNIT_EXPECT_NULL_MSG(test, why, "allocation %u: %s (idle %lu/%lu)",
			      i, why, h->idle_used, h->idle_held);
	for (i = 0; i < n; i++)
		pheap_free_in(p, blk[i]);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

#define NR_TRACK	16

/* Superblocks by base address; a move is a change of "held by @h". */
struct tracker {
	void *base[NR_TRACK];
	bool held[NR_TRACK];
	unsigned int moves[NR_TRACK], n;
};

static bool held_by(struct pheap_heap *h, void *base)
{
	unsigned long tag;
	struct pheap_sb *sb = pheap_sb_lookup(base, &tag);

	return sb && READ_ONCE(sb->owner) == h;
}

static void track(struct tracker *t, struct pheap_heap *h, const void *blk)
{
	unsigned long tag;
	struct pheap_sb *sb = pheap_sb_lookup(blk, &tag);
	unsigned int i;

	if (!sb || t->n == NR_TRACK)
		return;
	for (i = 0; i < t->n; i++)
		if (t->base[i] == sb->base)
			return;
	t->base[t->n] = sb->base;
	t->held[t->n++] = held_by(h, sb->base);
}

static unsigned int most_moves(struct tracker *t, struct pheap_heap *h)
{
	unsigned int i, most = 0;
	bool now;

	for (i = 0; i < t->n; i++) {
		now = held_by(h, t->base[i]);
		t->moves[i] += now != t->held[i];
		t->held[i] = now;
		most = max(most, t->moves[i]);
	}
	return most;
}

/*
 * At the threshold boundary, alternating allocations and frees move no
 * superblock more than once. First the heap of a CPU that has just freed
 * a bulk of 64-byte blocks (it keeps K*S of them idle), then a 16-byte
 * pair loop: the pair's superblock is active and never returned. Then
 * frees into idle superblocks alternating with allocations.
 */
static void threshold_boundary_moves_once(struct kunit *test)
{
	struct pheap *p = kt_create(test, 0, 0);
	unsigned int per_sb = p->ci[pheap_size_to_class(64)].nblocks;
	unsigned int n = (p->cfg.k_sb + 2) * per_sb, i, most = 0;
	struct tracker *t;
	struct pheap_heap *h;
	void **blk, *q;

	blk = kunit_kcalloc(test, n, sizeof(*blk), GFP_KERNEL);
	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, blk);
	KUNIT_ASSERT_NOT_NULL(test, t);
	migrate_disable();
	h = this_cpu_ptr(p->cpu_heaps);
	for (i = 0; i < n; i++) {
		blk[i] = pheap_alloc_in(p, 64, GFP_KERNEL);
		if (!blk[i])
			break;
		track(t, h, blk[i]);
	}
	for (i = 0; i < n && blk[n - 1]; i++)
		pheap_free_in(p, blk[i]);
	most_moves(t, h);
	memset(t->moves, 0, sizeof(t->moves));
	/* the pair loop on a heap that just freed a bulk */
	for (i = 0; i < 200 && blk[n - 1]; i++) {
		q = pheap_alloc_in(p, 16, GFP_KERNEL);
		track(t, h, q);
		most = max(most, most_moves(t, h));
		pheap_free_in(p, q);
		most = max(most, most_moves(t, h));
	}
	/* refill the 64-byte superblocks, then free into idle ones, refill */
	for (i = 0; i < n && blk[n - 1]; i++)
		blk[i] = pheap_alloc_in(p, 64, GFP_KERNEL);
	for (i = 0; i < n && blk[n - 1] && blk[i]; i++) {
		pheap_free_in(p, blk[i]);
		most = max(most, most_moves(t, h));
		blk[i] = pheap_alloc_in(p, 64, GFP_KERNEL);
		most = max(most, most_moves(t, h));
		track(t, h, blk[i]);
	}
	migrate_enable();
	KUNIT_ASSERT_NOT_NULL_MSG(test, blk[n - 1], "could not allocate %u blocks", n);
	KUNIT_EXPECT_LE_MSG(test, most, 1U,
			    "a superblock moved %u times (%lu to, %lu from global)",
			    most, h->ev[PHEAP_EV_TO_GLOBAL],
			    h->ev[PHEAP_EV_FROM_GLOBAL]);
	for (i = 0; i < n; i++)
		pheap_free_in(p, blk[i]);
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

	kt_free_all(w->p, w->blk, w->n);
	return 0;
}

/*
 * Round robin: CPU i allocates a batch much larger than K*S, CPU i+1 frees
 * it. Without threshold return every CPU would keep a batch's worth of
 * superblocks. Pages held never exceed U/(1-f) + P*(K*S + one active
 * superblock of the class), plus the global heap's reserve on each memory
 * node, once the
 * frees are collected. (While they are in flight, the stats snapshot
 * races with collection and the global heap holds superblocks whose last
 * blocks are on their way: no bound is checked then.)
 */
static void threshold_round_robin_bounded(struct kunit *test)
{
	unsigned int ncpu = num_online_cpus(), *cpus, r, i = 0, cpu;
	struct pheap *p = kt_create(test, 25, 1);
	struct rr_work w = { .p = p, .n = 512 };
	const struct pheap_class_info *ci = &p->ci[pheap_size_to_class(256)];
	unsigned long extra;
	struct pheap_stats st;

	if (ncpu < 2)
		kunit_skip(test, "needs 2 online CPUs, has %u", ncpu);
	cpus = kunit_kcalloc(test, nr_cpu_ids, sizeof(*cpus), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cpus);
	for_each_online_cpu(cpu)
		cpus[i++] = cpu;
	w.blk = kunit_kcalloc(test, w.n, sizeof(void *), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w.blk);
	/* the global heap keeps its reserve on each memory node */
	extra = ncpu * (p->k_bytes + ci->sb_bytes) +
		p->cfg.global_reserve * num_node_state(N_MEMORY) * ci->sb_bytes;

#define RR_BOUND(u)	(DIV_ROUND_UP((u) * 100, 100 - p->cfg.f_pct) + extra)
	for (r = 0; r < 4 * ncpu; r++) {
		KUNIT_ASSERT_EQ(test, kt_run_on_cpu(cpus[r % ncpu], rr_alloc, &w), 0);
		pheap_get_stats(p, &st);
		KUNIT_EXPECT_LE_MSG(test, st.a, RR_BOUND(st.u), "round %u, allocated", r);
		kt_run_on_cpu(cpus[(r + 1) % ncpu], rr_free, &w);
		pheap_flush(p);
		pheap_get_stats(p, &st);
		KUNIT_EXPECT_EQ(test, st.u, 0UL);
		KUNIT_EXPECT_LE_MSG(test, st.a, extra, "round %u, collected", r);
	}
#undef RR_BOUND
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

#define BOUNDED_SBS	97

/*
 * Bounded work per call: BOUNDED_SBS full superblocks on one CPU (K = 1,
 * f = 50 %), freed one superblock after another. The free that first
 * breaks the threshold finds the slack at half the heap, and the
 * hysteresis wants it down to half the limit: about a third of the
 * superblocks to return at once. No single allocation or free may move
 * more than 2 * PHEAP_RETURN_MAX superblocks to the global heap, and the
 * threshold holds after it (once the work item ran, had it been left
 * some).
 */
static void threshold_return_bounded_per_call(struct kunit *test)
{
	unsigned long before, moved, most = 0;
	unsigned int nb, n, i, crossed_at = 0;
	struct pheap_heap *h;
	bool held = false;
	struct pheap *p;
	void **blk;

	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		kunit_skip(test, "PREEMPT_RT: a free with preemption off goes the remote way");
	p = kt_create(test, 50, 1);
	nb = p->ci[pheap_size_to_class(64)].nblocks;
	n = BOUNDED_SBS * nb;
	blk = kunit_kcalloc(test, n, sizeof(*blk), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, blk);
	migrate_disable();
	h = this_cpu_ptr(p->cpu_heaps);
	for (i = 0; i < n; i++)
		blk[i] = pheap_alloc_in(p, 64, GFP_KERNEL);
	for (i = 0; i < n; i++) {
		preempt_disable();	/* the work item's returns are not the free's */
		before = h->ev[PHEAP_EV_TO_GLOBAL];
		pheap_free_in(p, blk[i]);
		moved = h->ev[PHEAP_EV_TO_GLOBAL] - before;
		preempt_enable();
		most = max(most, moved);
		if (moved && !crossed_at) {
			crossed_at = i;
			pheap_flush(p);		/* runs the work item */
			held = h->idle_held - h->idle_used <= h->idle_limit;
		}
	}
	migrate_enable();
	KUNIT_EXPECT_GT(test, crossed_at, n / 3);
	KUNIT_EXPECT_LE(test, most, 2UL * PHEAP_RETURN_MAX);
	KUNIT_EXPECT_TRUE(test, held);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

static const size_t idle_sizes[] = { 64, 256, 1024 };

struct idle_work {
	struct pheap *p;
	void **blk;
	unsigned int n;		/* blocks a size */
};

/* Three superblocks' worth of each size, allocated, then all freed. */
static int idle_alloc_free(void *arg)
{
	struct idle_work *w = arg;
	unsigned int s, i;
	void **b;

	for (s = 0; s < ARRAY_SIZE(idle_sizes); s++) {
		b = w->blk + s * w->n;
		for (i = 0; i < w->n; i++) {
			b[i] = pheap_alloc_in(w->p, idle_sizes[s], GFP_KERNEL);
			if (!b[i])
				return -ENOMEM;
		}
	}
	for (i = 0; i < ARRAY_SIZE(idle_sizes) * w->n; i++)
		pheap_free_in(w->p, w->blk[i]);
	return 0;
}

/*
 * Every block freed on one CPU: the heap keeps its slack (K*S) and its
 * active superblocks. Return what the global heap may keep: its reserve
 * of each class used, on that CPU's node.
 */
static unsigned long idle_setup(struct kunit *test, struct idle_work *w)
{
	unsigned long reserve = 0;
	struct pheap_stats st;
	unsigned int s, nb = 0;

	for (s = 0; s < ARRAY_SIZE(idle_sizes); s++) {
		const struct pheap_class_info *ci =
			&w->p->ci[pheap_size_to_class(idle_sizes[s])];

		nb = max(nb, 3 * ci->nblocks);
		reserve += w->p->cfg.global_reserve * ci->sb_bytes;
	}
	w->n = nb;
	w->blk = kunit_kcalloc(test, ARRAY_SIZE(idle_sizes) * nb,
			       sizeof(void *), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w->blk);
	KUNIT_ASSERT_EQ(test, kt_run_on_cpu(cpumask_first(cpu_online_mask),
					    idle_alloc_free, w), 0);
	pheap_flush(w->p);	/* the frees into returned superblocks */
	pheap_get_stats(w->p, &st);
	KUNIT_EXPECT_EQ(test, st.u, 0UL);
	KUNIT_EXPECT_GT(test, st.a, reserve);	/* the slack, the actives */
	return reserve;
}

/*
 * An idle heap comes back down to the global heap's reserve by itself:
 * its idle check notices a second of no activity (within two seconds
 * while its CPU is awake: the timer is deferrable; the test allows 5 s),
 * and the CPU heap gives up its empty superblocks.
 */
static void idle_heap_returns_to_reserve(struct kunit *test)
{
	struct idle_work w = { .p = kt_create(test, 0, 0) };
	unsigned long reserve = idle_setup(test, &w);
	struct pheap_stats st;
	unsigned int ms;

	for (ms = 0; ms < 5000; ms += 100) {
		pheap_get_stats(w.p, &st);
		if (st.a <= reserve)
			break;
		msleep(100);
	}
	KUNIT_EXPECT_LE_MSG(test, st.a, reserve, "after %u ms idle", ms);
	KUNIT_EXPECT_EQ(test, pheap_destroy(w.p), 0UL);
}

/* The shrinker's way: every CPU heap gives up its empties at once. */
static void trim_all_reaches_cpu_heaps(struct kunit *test)
{
	struct idle_work w = { .p = kt_create(test, 0, 0) };
	unsigned long reserve = idle_setup(test, &w);
	struct pheap_stats st;

	pheap_heap_trim_all(w.p);
	pheap_flush(w.p);
	pheap_get_stats(w.p, &st);
	KUNIT_EXPECT_LE(test, st.a, reserve);
	KUNIT_EXPECT_EQ(test, pheap_destroy(w.p), 0UL);
}

/*
 * pheap_trim(): every empty superblock back at once, reserve included,
 * waited for; a superblock with a block in use stays.
 */
static void trim_gives_back_every_empty(struct kunit *test)
{
	struct idle_work w = { .p = kt_create(test, 0, 0) };
	unsigned int cls = pheap_size_to_class(64);
	struct pheap_stats st;
	void *blk;

	idle_setup(test, &w);
	blk = pheap_alloc_in(w.p, 64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, blk);
	KUNIT_EXPECT_GT(test, pheap_trim(w.p), 0UL);
	pheap_get_stats(w.p, &st);
	KUNIT_EXPECT_EQ(test, st.a, w.p->ci[cls].sb_bytes);
	KUNIT_EXPECT_EQ(test, st.sb_cpu + st.sb_global, 1UL);
	pheap_free_in(w.p, blk);
	pheap_trim(w.p);
	pheap_get_stats(w.p, &st);
	KUNIT_EXPECT_EQ(test, st.a, 0UL);
	KUNIT_EXPECT_EQ(test, st.sb_cpu + st.sb_global, 0UL);
	KUNIT_EXPECT_EQ(test, pheap_destroy(w.p), 0UL);
}

/*
 * Frees another CPU made and its owner has not collected yet: pheap_trim()
 * gives back the superblocks they empty too. On one CPU (K large enough
 * that no threshold return interferes) 16 superblocks of 64-byte blocks,
 * freed there but one block each (S) or two (T); then another CPU frees
 * one block of each, the S first: the T, queued last, are collected first
 * and empty nothing.
 */
struct trim_remote {
	struct pheap *p;
	void **blk;
	unsigned int nb;
};

#define TRIM_SBS	16

static int trim_remote_alloc(void *arg)
{
	struct trim_remote *t = arg;
	unsigned int i, keep;

	for (i = 0; i < TRIM_SBS * t->nb; i++) {
		t->blk[i] = pheap_alloc_in(t->p, 64, GFP_KERNEL);
		if (!t->blk[i])
			return -ENOMEM;
	}
	for (i = 0; i < TRIM_SBS * t->nb; i++) {
		keep = i / t->nb < TRIM_SBS / 2 ? 1 : 2;
		if (i % t->nb >= keep)
			pheap_free_in(t->p, t->blk[i]);
	}
	return 0;
}

static int trim_remote_free(void *arg)
{
	struct trim_remote *t = arg;
	unsigned int i;

	for (i = 0; i < TRIM_SBS; i++)
		pheap_free_in(t->p, t->blk[i * t->nb]);
	return 0;
}

static void trim_takes_what_waiting_frees_empty(struct kunit *test)
{
	struct trim_remote t = { .p = kt_create(test, 0, 64) };
	unsigned int cls = pheap_size_to_class(64), i;
	unsigned int a = cpumask_first(cpu_online_mask);
	unsigned int b = cpumask_next(a, cpu_online_mask);
	struct pheap_stats st;

	if (b >= nr_cpu_ids)
		kunit_skip(test, "one CPU: no remote frees");
	t.nb = t.p->ci[cls].nblocks;
	t.blk = kunit_kcalloc(test, TRIM_SBS * t.nb, sizeof(void *), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t.blk);
	KUNIT_ASSERT_EQ(test, kt_run_on_cpu(a, trim_remote_alloc, &t), 0);
	KUNIT_ASSERT_EQ(test, kt_run_on_cpu(b, trim_remote_free, &t), 0);
	pheap_trim(t.p);
	pheap_get_stats(t.p, &st);
	KUNIT_EXPECT_EQ(test, st.sb_cpu + st.sb_global, TRIM_SBS / 2UL);
	KUNIT_EXPECT_EQ(test, st.a, TRIM_SBS / 2UL * t.p->ci[cls].sb_bytes);
	for (i = TRIM_SBS / 2; i < TRIM_SBS; i++)
		pheap_free_in(t.p, t.blk[i * t.nb + 1]);
	pheap_trim(t.p);
	pheap_get_stats(t.p, &st);
	KUNIT_EXPECT_EQ(test, st.a, 0UL);
	KUNIT_EXPECT_EQ(test, pheap_destroy(t.p), 0UL);
}

/* The global heap keeps a reserve of empties; the shrinker takes it too. */
static void global_shrink_frees_reserve(struct kunit *test)
{
	struct pheap *p = kt_create(test, 25, 1);
	unsigned int cls = pheap_size_to_class(64);
	unsigned int n = 3 * p->ci[cls].nblocks, i;
	unsigned long pages = 1UL << p->ci[cls].order;
	struct pheap_stats st;
	void **blk;

	blk = kunit_kcalloc(test, n, sizeof(*blk), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, blk);
	migrate_disable();
	for (i = 0; i < n; i++)
		blk[i] = pheap_alloc_in(p, 64, GFP_KERNEL);
	for (i = 0; i < n; i++)
		pheap_free_in(p, blk[i]);
	migrate_enable();
	/* K*S = one superblock: one idle and the active stay, one in reserve */
	KUNIT_EXPECT_EQ(test, pheap_global_empty_pages(p), pages);
	KUNIT_EXPECT_EQ(test, pheap_global_shrink(p, 100), pages);
	KUNIT_EXPECT_EQ(test, pheap_global_empty_pages(p), 0UL);
	KUNIT_EXPECT_EQ(test, pheap_global_shrink(p, 100), 0UL);
	pheap_get_stats(p, &st);
	KUNIT_EXPECT_EQ(test, st.sb_global, 0UL);
	KUNIT_EXPECT_EQ(test, st.a, 2UL * p->ci[cls].sb_bytes);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

static struct kunit_case pheap_threshold_cases[] = {
	KUNIT_CASE(threshold_bound_after_every_op),
	KUNIT_CASE(threshold_bound_after_refill),
	KUNIT_CASE(threshold_boundary_moves_once),
	KUNIT_CASE(threshold_round_robin_bounded),
	KUNIT_CASE(threshold_return_bounded_per_call),
	KUNIT_CASE(idle_heap_returns_to_reserve),
	KUNIT_CASE(trim_all_reaches_cpu_heaps),
	KUNIT_CASE(trim_gives_back_every_empty),
	KUNIT_CASE(trim_takes_what_waiting_frees_empty),
	KUNIT_CASE(global_shrink_frees_reserve),
	{}
};

static struct kunit_suite pheap_threshold_suite = {
	.name = "pheap_threshold",
	.test_cases = pheap_threshold_cases,
};

kunit_test_suite(pheap_threshold_suite);
