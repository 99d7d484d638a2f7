// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite pheap_design: each heap design (enum pheap_design) on the
 * property that defines it.
 *
 *  - the selector: every name gives its design, anything else -EINVAL;
 *  - producer/consumer (one CPU allocates, another frees, round after
 *    round): private's memory grows with the rounds, every other
 *    design's stays bounded;
 *  - kheap: a free walks the pagerefs of the classes before its own, and
 *    still frees into the right class; no other design walks;
 *  - every design, the locked ones above all, stays correct with all
 *    CPUs allocating and freeing each other's blocks at once, and the
 *    locked ones count a lock acquisition per operation.
 *
 * The generic conformance cases run per design in pheap_alloc_designs
 * (alloc_test.c).
 */
#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/prandom.h>
#include <linux/slab.h>

#include "helpers.h"

static void design_names_select_designs(struct kunit *test)
{
	struct pheap_config cfg;
	struct pheap_stats st;
	struct pheap *p;
	int i;

	for (i = 0; i < PHEAP_DESIGN_NR; i++) {
		pheap_default_config(&cfg);
		cfg.design = pheap_design_names[i];
		p = pheap_create(&cfg);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, p);
		pheap_get_stats(p, &st);
		KUNIT_EXPECT_EQ(test, st.design, (unsigned int)i);
		pheap_destroy(p);
	}
	pheap_default_config(&cfg);
	p = pheap_create(&cfg);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, p);
	pheap_get_stats(p, &st);
	KUNIT_EXPECT_EQ(test, st.design, (unsigned int)PHEAP_DESIGN_HOARD);
	pheap_destroy(p);

	cfg.design = "Hoard";
	KUNIT_EXPECT_EQ(test, PTR_ERR(pheap_create(&cfg)), -EINVAL);
	cfg.design = "slab";
	KUNIT_EXPECT_EQ(test, PTR_ERR(pheap_create(&cfg)), -EINVAL);
	cfg.design = "serial";
	cfg.debug = PHEAP_DEBUG_Z;	/* debug mode is hoard's alone */
	KUNIT_EXPECT_EQ(test, PTR_ERR(pheap_create(&cfg)), -EINVAL);
	KUNIT_EXPECT_EQ(test, pheap_design_parse("class-lock"),
			PHEAP_DESIGN_CLASS_LOCK);
	KUNIT_EXPECT_EQ(test, pheap_design_parse(NULL), PHEAP_DESIGN_HOARD);
}

#define PC_ROUNDS	20
#define PC_BLOCKS	256
#define PC_SIZE		64

struct pc_round {
	struct pheap *p;
	void **blk;
};

static int pc_produce(void *arg)
{
	struct pc_round *r = arg;
	unsigned int i;

	for (i = 0; i < PC_BLOCKS; i++) {
		r->blk[i] = pheap_alloc_in(r->p, PC_SIZE, GFP_KERNEL);
		if (!r->blk[i])
			return -ENOMEM;
		kt_fill(r->blk[i], PC_SIZE);
	}
	return 0;
}

static int pc_consume(void *arg)
{
	struct pc_round *r = arg;
	unsigned int i, bad = 0;

	for (i = 0; i < PC_BLOCKS; i++) {
		bad += !kt_intact(r->blk[i], PC_SIZE);
		pheap_free_in(r->p, r->blk[i]);
	}
	return bad;
}

static unsigned long pc_held(struct pheap *p)
{
	struct pheap_stats st;

	pheap_flush(p);
	pheap_get_stats(p, &st);
	return st.a;
}

/*
 * CPU 0 allocates, CPU 1 frees, PC_ROUNDS times: "pure private heaps:
 * unbounded memory consumption [producer allocates, consumer frees]".
 * Only private keeps taking pages; the others reuse what was freed.
 */
static void prodcons_memory_grows_only_private(struct kunit *test)
{
	struct pc_round r = { .p = kt_create(test, 0, 0) };
	unsigned long first = 0, last = 0;
	unsigned int round;
	int cpu1;

	cpu1 = cpumask_next(0, cpu_online_mask);
	if (cpu1 >= nr_cpu_ids) {
		pheap_destroy(r.p);
		kunit_skip(test, "needs two online CPUs");
	}
	r.blk = kunit_kcalloc(test, PC_BLOCKS, sizeof(*r.blk), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r.blk);
	for (round = 0; round < PC_ROUNDS; round++) {
		KUNIT_ASSERT_EQ(test, kt_run_on_cpu(0, pc_produce, &r), 0);
		KUNIT_EXPECT_EQ(test, kt_run_on_cpu(cpu1, pc_consume, &r), 0);
		last = pc_held(r.p);
		if (!round)
			first = last;
	}
	kunit_info(test, "%s: held %lu bytes after round 1, %lu after %u\n",
		   kt_design(test), first, last, PC_ROUNDS);
	if (r.p->design == PHEAP_DESIGN_PRIVATE)
		KUNIT_EXPECT_GE(test, last, first * PC_ROUNDS / 2);
	else
		KUNIT_EXPECT_LE(test, last, 2 * first + 4 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, kt_event(r.p, PHEAP_EV_BAD_FREE), 0UL);
	KUNIT_EXPECT_EQ(test, pheap_destroy(r.p), 0UL);
}

#define WALK_SMALL_SB	40	/* pagerefs of the 8-byte class held */

/*
 * kheap: "on free it has to search everything to find what size it was
 * part of". A free of a 4096-byte block walks past every pageref of the
 * 8-byte class, and the block still goes back to its own class; a free
 * in serial, the same heap with an O(1) lookup, walks none.
 */
static void kheap_free_walks_pagerefs(struct kunit *test)
{
	struct pheap *p = kt_create(test, 0, 0);
	unsigned int nsmall = WALK_SMALL_SB * p->ci[0].nblocks, i;
	struct pheap_class_stats cs;
	unsigned long walked;
	void **small, *big, *again;
	bool kheap = p->design == PHEAP_DESIGN_KHEAP;

	small = kunit_kcalloc(test, nsmall, sizeof(*small), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, small);
	KUNIT_ASSERT_EQ(test, kt_alloc_filled(p, small, nsmall, 8), 0);
	big = pheap_alloc_in(p, 4096, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, big);

	walked = kt_event(p, PHEAP_EV_WALKED);
	pheap_free_in(p, big);
	walked = kt_event(p, PHEAP_EV_WALKED) - walked;
	pheap_get_class_stats(p, PHEAP_NR_CLASSES - 1, &cs);
	KUNIT_EXPECT_EQ(test, cs.blocks_inuse, 0UL);
	KUNIT_EXPECT_EQ(test, cs.frees, 1UL);
	/* block-lock: 8 bytes take a 16-byte block, class 16's */
	pheap_get_class_stats(p, p->design == PHEAP_DESIGN_BLOCK_LOCK, &cs);
	KUNIT_EXPECT_EQ(test, cs.blocks_inuse, (unsigned long)nsmall);
	if (kheap)
		KUNIT_EXPECT_GE(test, walked, (unsigned long)WALK_SMALL_SB);
	else
		KUNIT_EXPECT_EQ(test, walked, 0UL);
	kunit_info(test, "%s: the free walked %lu pagerefs\n",
		   kt_design(test), walked);

	/* the block is free in its class: handed out again, untouched 8s */
	again = pheap_alloc_in(p, 4096, GFP_KERNEL);
	if (kheap || p->design == PHEAP_DESIGN_SERIAL)
		KUNIT_EXPECT_PTR_EQ(test, again, big);
	for (i = 0; i < nsmall; i++)
		KUNIT_EXPECT_TRUE(test, kt_intact(small[i], 8));
	pheap_free_in(p, again);
	kt_free_all(p, small, nsmall);
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_BAD_FREE), 0UL);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

#define MX_SLOTS	256
#define MX_OPS		1000

struct mx_shared {
	struct pheap *p;
	void *slot[MX_SLOTS];
	atomic_t bad;
	atomic_t ready;
	struct completion go;
	atomic_t left;
	struct completion done;
};

/* Replace random slots, larson-style: most frees are another CPU's block. */
static int mx_worker(void *arg)
{
	struct mx_shared *x = arg;
	struct rnd_state rnd;
	unsigned int i;
	size_t size;
	void *q, *old;

	prandom_seed_state(&rnd, smp_processor_id() + 1);
	atomic_inc(&x->ready);
	wait_for_completion(&x->go);
	for (i = 0; i < MX_OPS; i++) {
		size = 1 + prandom_u32_state(&rnd) % 512;
		q = pheap_alloc_in(x->p, size, GFP_KERNEL);
		if (!q) {
			atomic_inc(&x->bad);
			break;
		}
		*(size_t *)q = size;
		if (size > sizeof(size_t))
			kt_fill(q + sizeof(size_t), size - sizeof(size_t));
		old = xchg(&x->slot[prandom_u32_state(&rnd) % MX_SLOTS], q);
		if (old) {
			size = *(size_t *)old;
			if (size > sizeof(size_t) &&
			    !kt_intact(old + sizeof(size_t), size - sizeof(size_t)))
				atomic_inc(&x->bad);
			pheap_free_in(x->p, old);
		}
		if (!(i & 63))
			cond_resched();
	}
	if (atomic_dec_and_test(&x->left))
		complete(&x->done);
	return 0;
}

/* Start a worker per online CPU, release them together, wait for them. */
static int mx_run(struct kunit *test, struct mx_shared *x)
{
	struct task_struct *t;
	int cpu, n = 0;

	init_completion(&x->go);
	init_completion(&x->done);
	atomic_set(&x->left, num_online_cpus());
	for_each_online_cpu(cpu) {
		t = kthread_create_on_cpu(mx_worker, x, cpu, "pheap_mx/%u");
		if (IS_ERR(t))
			return PTR_ERR(t);
		wake_up_process(t);
		n++;
	}
	while (atomic_read(&x->ready) < n)
		schedule_timeout_uninterruptible(1);
	complete_all(&x->go);
	wait_for_completion(&x->done);
	return n;
}

/*
 * All CPUs allocate and free each other's blocks at once: no block
 * handed out twice or overwritten, no free refused. The locked designs
 * take their lock at least once per allocation and per free.
 */
static void concurrent_cpus_stay_correct(struct kunit *test)
{
	struct mx_shared *x = kunit_kzalloc(test, sizeof(*x), GFP_KERNEL);
	struct pheap_stats st;
	bool locked;
	int i, n;

	KUNIT_ASSERT_NOT_NULL(test, x);
	x->p = kt_create(test, 0, 0);
	locked = x->p->ops->locked;
	n = mx_run(test, x);
	KUNIT_ASSERT_GT(test, n, 0);
	for (i = 0; i < MX_SLOTS; i++)
		pheap_free_in(x->p, x->slot[i]);
	KUNIT_EXPECT_EQ(test, atomic_read(&x->bad), 0);
	pheap_flush(x->p);	/* btree: the frees that waited for tree nodes */
	pheap_get_stats(x->p, &st);
	KUNIT_EXPECT_EQ(test, st.ev[PHEAP_EV_BAD_FREE], 0UL);
	KUNIT_EXPECT_EQ(test, st.ev[PHEAP_EV_CORRUPT], 0UL);
	KUNIT_EXPECT_EQ(test, st.ev[PHEAP_EV_ALLOC], (unsigned long)n * MX_OPS);
	KUNIT_EXPECT_EQ(test, st.ev[PHEAP_EV_FREE], st.ev[PHEAP_EV_ALLOC]);
	if (locked)
		KUNIT_EXPECT_GE(test, st.ev[PHEAP_EV_LOCK],
				2UL * st.ev[PHEAP_EV_ALLOC]);
	else
		KUNIT_EXPECT_EQ(test, st.ev[PHEAP_EV_LOCK], 0UL);
	kunit_info(test, "%s: %d CPUs, lock acquired %lu, contended %lu\n",
		   kt_design(test), n, st.ev[PHEAP_EV_LOCK],
		   st.ev[PHEAP_EV_LOCK_CONTENDED]);
	KUNIT_EXPECT_EQ(test, pheap_destroy(x->p), 0UL);
}

static struct kunit_case pheap_design_cases[] = {
	KUNIT_CASE(design_names_select_designs),
	KUNIT_CASE_PARAM(prodcons_memory_grows_only_private, kt_design_params),
	KUNIT_CASE_PARAM(kheap_free_walks_pagerefs, kt_design_params),
	KUNIT_CASE_PARAM(concurrent_cpus_stay_correct, kt_design_params),
	{}
};

static struct kunit_suite pheap_design_suite = {
	.name = "pheap_design",
	.test_cases = pheap_design_cases,
};

kunit_test_suites(&pheap_design_suite);
