// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite pheap_context: allocation and free from hardirq and softirq
 * (hrtimers) while process context allocates on the same CPU, the same
 * with every other free a pheap_free_rcu(), and CPU hotplug moving a dead
 * CPU's superblocks to the global heap.
 *
 * The interrupt side starts with blocks the process side allocated, one
 * of them large, and frees them first. On PREEMPT_RT an allocation from
 * hardirq is refused, as kmalloc's would be, and counted; the frees there
 * must still work (the lock-free way) and lose nothing.
 *
 * The interrupt and NMI cases run once per heap design (kt_design_params):
 * every design serves every context. An interrupt that lands while its
 * CPU's hoard heap is locked is played by the test itself: it holds the
 * heap's lock, and allocates and frees as that interrupt would.
 */
#include <kunit/test.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/hardirq.h>
#include <linux/hrtimer.h>
#include <linux/irq_work.h>
#include <linux/prandom.h>

#include "helpers.h"
#include "../pheap/nolock.h"
#include "../pheap/rcu.h"

#define IRQ_SLOTS	16
#define PROC_ITERS	20000

struct ctx_work {
	struct pheap *p;
	struct hrtimer timer;
	enum hrtimer_mode mode;
	void *slot[IRQ_SLOTS];
	size_t size[IRQ_SLOTS];
	unsigned int fires, irq_allocs, irq_frees, irq_fail, corrupt, wrong_ctx;
	unsigned int irq_drops, proc_drops, irq_rcu_frees;
	bool stop, rcu;		/* rcu: every other free is pheap_free_rcu() */
	struct rnd_state irq_rnd, proc_rnd;
};

/* One alloc or free per slot visited; checks content before every free. */
static void ctx_drop(struct ctx_work *w, void **slot, size_t size)
{
	if (!*slot)
		return;
	if (!kt_intact(*slot, size))
		w->corrupt++;
	if (w->rcu && (in_interrupt() ? w->irq_drops++ : w->proc_drops++) & 1) {
		w->irq_rcu_frees += !!in_interrupt();
		pheap_free_rcu_in(w->p, *slot);
	} else {
		pheap_free_in(w->p, *slot);
	}
	*slot = NULL;
}

static void ctx_step(struct ctx_work *w, struct rnd_state *rnd, void **slot,
		     size_t *size, gfp_t gfp, unsigned int *allocs)
{
	if (*slot) {
		ctx_drop(w, slot, *size);
		return;
	}
	*size = 1 + prandom_u32_state(rnd) % PHEAP_MAX_SMALL;
	*slot = pheap_alloc_in(w->p, *size, gfp);
	if (!*slot) {
		w->irq_fail++;
		return;
	}
	kt_fill(*slot, *size);
	(*allocs)++;
}

static enum hrtimer_restart ctx_timer_fn(struct hrtimer *t)
{
	struct ctx_work *w = container_of(t, struct ctx_work, timer);
	bool hard = w->mode & HRTIMER_MODE_HARD;
	unsigned int i;

	if (hard ? !in_hardirq() : !in_serving_softirq())
		w->wrong_ctx++;
	w->fires++;
	for (i = 0; i < 4; i++) {
		unsigned int s = (w->fires * 4 + i) % IRQ_SLOTS;

		w->irq_frees += !!w->slot[s];
		ctx_step(w, &w->irq_rnd, &w->slot[s], &w->size[s], GFP_ATOMIC,
			 &w->irq_allocs);
	}
	if (READ_ONCE(w->stop))
		return HRTIMER_NORESTART;
	hrtimer_forward_now(t, ns_to_ktime(50 * NSEC_PER_USEC));
	return HRTIMER_RESTART;
}

/* Runs bound to one CPU: start the timer there, allocate meanwhile. */
static int ctx_process_side(void *arg)
{
	struct ctx_work *w = arg;
	void *slot[IRQ_SLOTS] = { };
	size_t size[IRQ_SLOTS];
	unsigned int i, dummy = 0;

	for (i = 0; i < IRQ_SLOTS; i++) {
		w->size[i] = i ? 1 + i * 250 : 3 * PAGE_SIZE;
		w->slot[i] = pheap_alloc_in(w->p, w->size[i], GFP_KERNEL);
		if (!w->slot[i])
			return -ENOMEM;
		kt_fill(w->slot[i], w->size[i]);
	}
	hrtimer_init(&w->timer, CLOCK_MONOTONIC, w->mode);
	w->timer.function = ctx_timer_fn;
	hrtimer_start(&w->timer, ns_to_ktime(20 * NSEC_PER_USEC), w->mode);
	for (i = 0; i < PROC_ITERS; i++) {
		unsigned int s = i % IRQ_SLOTS;

		ctx_step(w, &w->proc_rnd, &slot[s], &size[s], GFP_KERNEL,
			 &dummy);
		if (i % 256 == 0)
			cond_resched();
	}
	/* keep going until the timer has fired a few times at least */
	for (i = 0; i < 1000 && w->fires < 20; i++)
		usleep_range(100, 200);
	WRITE_ONCE(w->stop, true);
	hrtimer_cancel(&w->timer);
	for (i = 0; i < IRQ_SLOTS; i++) {
		ctx_drop(w, &slot[i], size[i]);
		ctx_drop(w, &w->slot[i], w->size[i]);
	}
	return 0;
}

static void ctx_run(struct kunit *test, enum hrtimer_mode mode, bool rcu)
{
	struct ctx_work *w = kunit_kzalloc(test, sizeof(*w), GFP_KERNEL);
	struct pheap_stats st;

	KUNIT_ASSERT_NOT_NULL(test, w);
	w->p = kt_create(test, 0, 0);
	w->mode = mode;
	w->rcu = rcu;
	prandom_seed_state(&w->irq_rnd, 7);
	prandom_seed_state(&w->proc_rnd, 11);
	KUNIT_ASSERT_EQ(test, kt_run_on_cpu(cpumask_first(cpu_online_mask),
					    ctx_process_side, w), 0);
	KUNIT_EXPECT_GE(test, w->fires, 20U);
	KUNIT_EXPECT_GE(test, w->irq_frees, (unsigned int)IRQ_SLOTS);
	if (IS_ENABLED(CONFIG_PREEMPT_RT) && (mode & HRTIMER_MODE_HARD)) {
		KUNIT_EXPECT_EQ(test, w->irq_allocs, 0U);
		KUNIT_EXPECT_GT(test, w->irq_fail, 0U);
	} else if (w->p->design == PHEAP_DESIGN_BTREE) {
		/*
		 * btree: an allocation that may not sleep takes tree nodes set
		 * aside beforehand, which a storm of them uses up: NULL then,
		 * counted (README, Known limits). Its rate is shown.
		 */
		KUNIT_EXPECT_GT(test, w->irq_allocs, 0U);
		kunit_info(test, "btree: %u of %u allocations in interrupts failed\n",
			   w->irq_fail, w->irq_fail + w->irq_allocs);
	} else {
		KUNIT_EXPECT_GT(test, w->irq_allocs, 0U);
		KUNIT_EXPECT_EQ(test, w->irq_fail, 0U);
	}
	KUNIT_EXPECT_EQ(test, w->corrupt, 0U);
	KUNIT_EXPECT_EQ(test, w->wrong_ctx, 0U);
	pheap_rcu_barrier(w->p);
	pheap_flush(w->p);
	flush_work(&w->p->large_work);
	pheap_get_stats(w->p, &st);
	KUNIT_EXPECT_EQ(test, st.ev[PHEAP_EV_ALLOC_FAIL], (unsigned long)w->irq_fail);
	KUNIT_EXPECT_EQ(test, st.u, 0UL);
	KUNIT_EXPECT_EQ(test, st.ev[PHEAP_EV_BAD_FREE], 0UL);
	if (rcu) {
		KUNIT_EXPECT_GE(test, w->irq_rcu_frees, (unsigned int)IRQ_SLOTS / 2);
		KUNIT_EXPECT_GT(test, st.ev[PHEAP_EV_RCU_FREE],
				(unsigned long)w->irq_rcu_frees);
	}
	KUNIT_EXPECT_EQ(test, pheap_destroy(w->p), 0UL);
}

static void alloc_free_in_hardirq(struct kunit *test)
{
	ctx_run(test, HRTIMER_MODE_REL_PINNED_HARD, false);
}

static void alloc_free_in_softirq(struct kunit *test)
{
	ctx_run(test, HRTIMER_MODE_REL_PINNED_SOFT, false);
}

/* The same, every other free after a grace period (pheap_free_rcu()). */
static void free_rcu_in_hardirq(struct kunit *test)
{
	ctx_run(test, HRTIMER_MODE_REL_PINNED_HARD, true);
}

static void free_rcu_in_softirq(struct kunit *test)
{
	ctx_run(test, HRTIMER_MODE_REL_PINNED_SOFT, true);
}

struct hp_work {
	struct pheap *p;
	void *blk[50];
};

static int hp_alloc(void *arg)
{
	struct hp_work *w = arg;

	return kt_alloc_filled(w->p, w->blk, ARRAY_SIZE(w->blk), 128);
}

static int hp_alloc_free(void *arg)
{
	struct hp_work *w = arg;
	void *q = pheap_alloc_in(w->p, 128, GFP_KERNEL);

	pheap_free_in(w->p, q);
	return q ? 0 : -ENOMEM;
}

/* A CPU goes offline: its superblocks move to the global heap. */
static void hotplug_moves_heap_to_global(struct kunit *test)
{
	struct hp_work *w = kunit_kzalloc(test, sizeof(*w), GFP_KERNEL);
	unsigned int cpu = cpumask_last(cpu_online_mask);
	struct pheap_cpu_stats cs;
	struct pheap_stats st;
	struct pheap_sb *sb;
	unsigned long tag;
	unsigned long nr_sb;
	int i, err;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs 2 online CPUs, has %u", num_online_cpus());
	KUNIT_ASSERT_NOT_NULL(test, w);
	w->p = kt_create(test, 0, 0);
	nr_sb = DIV_ROUND_UP(ARRAY_SIZE(w->blk),
			     w->p->ci[pheap_size_to_class(128)].nblocks);
	KUNIT_ASSERT_EQ(test, kt_run_on_cpu(cpu, hp_alloc, w), 0);
	pheap_get_cpu_stats(w->p, cpu, &cs);
	KUNIT_EXPECT_EQ(test, cs.nr_sb, nr_sb);

	err = remove_cpu(cpu);
	if (err) {
		for (i = 0; i < ARRAY_SIZE(w->blk); i++)
			pheap_free_in(w->p, w->blk[i]);
		pheap_destroy(w->p);
		kunit_skip(test, "CPU %u cannot go offline (%d)", cpu, err);
	}
	pheap_get_cpu_stats(w->p, cpu, &cs);
	KUNIT_EXPECT_EQ(test, cs.nr_sb, 0UL);
	KUNIT_EXPECT_EQ(test, cs.u, 0UL);
	KUNIT_EXPECT_EQ(test, cs.a, 0UL);
	sb = pheap_sb_lookup(w->blk[0], &tag);
	KUNIT_ASSERT_NOT_NULL(test, sb);
	KUNIT_EXPECT_NULL(test, READ_ONCE(sb->owner));	/* the global heap */
	pheap_get_stats(w->p, &st);
	KUNIT_EXPECT_EQ(test, st.sb_global, nr_sb);
	KUNIT_EXPECT_EQ(test, st.u, 50 * 128UL);

	/* the blocks are intact and can be freed from anywhere */
	for (i = 0; i < ARRAY_SIZE(w->blk); i++) {
		KUNIT_EXPECT_TRUE(test, kt_intact(w->blk[i], 128));
		pheap_free_in(w->p, w->blk[i]);
	}
	pheap_flush(w->p);
	pheap_get_stats(w->p, &st);
	KUNIT_EXPECT_EQ(test, st.u, 0UL);

	KUNIT_ASSERT_EQ(test, add_cpu(cpu), 0);
	KUNIT_EXPECT_EQ(test, kt_run_on_cpu(cpu, hp_alloc_free, w), 0);
	KUNIT_EXPECT_EQ(test, pheap_destroy(w->p), 0UL);
}

/*
 * From NMI (here the preempt count nmi_enter() sets, interrupts off) an
 * allocation gets NULL and pheap_free_rcu() and pheap_realloc() are
 * refused, all counted, while pheap_free() is done by an irq_work after
 * the NMI: NMI can
 * interrupt the holder of the local lock, so nothing of the heap may be
 * touched. The heap is intact after.
 */
#define HELD_BLOCKS	40

/*
 * What an interrupt sees when it lands while its CPU's hoard heap is
 * locked: the test holds the lock itself (pheap_heap_trylock(), heap.h)
 * and allocates and frees as such an interrupt would, GFP_ATOMIC. Every
 * allocation must succeed from the global heap, counted; every free must
 * take the lock-free way, the one of a block the CPU heap owns too; and
 * once the lock is dropped, everything must come back, nothing lost.
 */
static void interrupted_heap_served_elsewhere(struct kunit *test)
{
	void *blk[HELD_BLOCKS], *own;
	unsigned long interrupted, sent, bad;
	unsigned int i, not_global = 0, failed = 0;
	struct pheap_heap *h;
	struct pheap_stats st;
	unsigned long tag;
	struct pheap *p;

	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		kunit_skip(test, "PREEMPT_RT: nothing interrupts a local lock's holder");
	p = kt_create(test, 0, 0);
	own = pheap_alloc_in(p, 64, GFP_KERNEL);	/* a CPU heap's block */
	KUNIT_ASSERT_NOT_NULL(test, own);
	interrupted = kt_event(p, PHEAP_EV_ALLOC_INTERRUPTED);
	sent = kt_event(p, PHEAP_EV_REMOTE_SENT);
	bad = kt_event(p, PHEAP_EV_BAD_FREE);

	h = pheap_heap_trylock(p);
	KUNIT_ASSERT_NOT_NULL(test, h);
	for (i = 0; i < HELD_BLOCKS; i++) {
		blk[i] = pheap_alloc_in(p, 64 + i * 16, GFP_ATOMIC);
		if (!blk[i]) {
			failed++;
			continue;
		}
		kt_fill(blk[i], 64 + i * 16);
		if (READ_ONCE(pheap_sb_lookup(blk[i], &tag)->owner))
			not_global++;
	}
	for (i = 0; i < HELD_BLOCKS; i += 2)
		pheap_free_in(p, blk[i]);
	pheap_free_in(p, own);
	pheap_heap_unlock(p, h);

	KUNIT_EXPECT_EQ(test, failed, 0U);
	KUNIT_EXPECT_EQ(test, not_global, 0U);
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_ALLOC_INTERRUPTED) - interrupted,
			(unsigned long)HELD_BLOCKS);
	/* the global heap's blocks, not this CPU's own */
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_REMOTE_SENT) - sent,
			(unsigned long)HELD_BLOCKS / 2);
	for (i = 1; i < HELD_BLOCKS; i += 2) {
		KUNIT_EXPECT_TRUE(test, kt_intact(blk[i], 64 + i * 16));
		pheap_free_in(p, blk[i]);
	}
	pheap_flush(p);
	pheap_get_stats(p, &st);
	KUNIT_EXPECT_EQ(test, st.u, 0UL);
	KUNIT_EXPECT_EQ(test, st.ev[PHEAP_EV_BAD_FREE] - bad, 0UL);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

/*
 * The bulk calls as an interrupt of the heap's holder makes them: every
 * block from the global heap, every free the lock-free way, all back
 * once the lock is dropped.
 */
static void interrupted_bulk_served_elsewhere(struct kunit *test)
{
	unsigned long interrupted, bad;
	void *blk[HELD_BLOCKS];
	struct pheap_heap *h;
	struct pheap_stats st;
	struct pheap *p;
	int n;

	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		kunit_skip(test, "PREEMPT_RT: nothing interrupts a local lock's holder");
	p = kt_create(test, 0, 0);
	interrupted = kt_event(p, PHEAP_EV_ALLOC_INTERRUPTED);
	bad = kt_event(p, PHEAP_EV_BAD_FREE);
	h = pheap_heap_trylock(p);
	KUNIT_ASSERT_NOT_NULL(test, h);
	n = pheap_alloc_bulk_in(p, 96, GFP_ATOMIC, HELD_BLOCKS, blk);
	if (n)
		pheap_free_bulk_in(p, HELD_BLOCKS, blk);
	pheap_heap_unlock(p, h);
	KUNIT_EXPECT_EQ(test, n, HELD_BLOCKS);
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_ALLOC_INTERRUPTED) - interrupted,
			(unsigned long)HELD_BLOCKS);
	pheap_flush(p);
	pheap_get_stats(p, &st);
	KUNIT_EXPECT_EQ(test, st.u, 0UL);
	KUNIT_EXPECT_EQ(test, st.ev[PHEAP_EV_BAD_FREE] - bad, 0UL);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

/* From NMI the bulk calls are refused as the single ones: 0, reported. */
static void nmi_bulk_refused(struct kunit *test)
{
	struct pheap *p = kt_create(test, 0, 0);
	struct pheap_stats st;
	unsigned long flags;
	void *q[2], *r[2];
	int n;

	KUNIT_ASSERT_EQ(test, pheap_alloc_bulk_in(p, 64, GFP_KERNEL, 2, q), 2);
	local_irq_save(flags);
	__preempt_count_add(NMI_OFFSET + HARDIRQ_OFFSET);
	n = pheap_alloc_bulk_in(p, 64, GFP_ATOMIC, 2, r);
	pheap_free_bulk_in(p, 2, q);
	__preempt_count_sub(NMI_OFFSET + HARDIRQ_OFFSET);
	local_irq_restore(flags);
	KUNIT_EXPECT_EQ(test, n, 0);
	pheap_get_stats(p, &st);
	KUNIT_EXPECT_EQ(test, st.ev[PHEAP_EV_ALLOC_FAIL], 1UL);
	KUNIT_EXPECT_EQ(test, st.ev[PHEAP_EV_BAD_FREE], 2UL);
	KUNIT_EXPECT_EQ(test, st.u, 128UL);	/* q is still allocated */
	pheap_free_bulk_in(p, 2, q);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

static void nmi_calls_refused(struct kunit *test)
{
	struct pheap *p = kt_create(test, 0, 0);
	struct pheap_stats st;
	unsigned long flags;
	void *q, *r, *s;
	int cpu;

	q = pheap_alloc_in(p, 64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	local_irq_save(flags);
	__preempt_count_add(NMI_OFFSET + HARDIRQ_OFFSET);
	cpu = smp_processor_id();
	r = pheap_alloc_in(p, 64, GFP_ATOMIC);
	pheap_free_rcu_in(p, q);
	s = pheap_realloc_in(p, q, 0, GFP_ATOMIC);
	pheap_free_in(p, q);
	__preempt_count_sub(NMI_OFFSET + HARDIRQ_OFFSET);
	local_irq_restore(flags);
	KUNIT_EXPECT_NULL(test, r);
	KUNIT_EXPECT_NULL(test, s);
	irq_work_sync(&per_cpu_ptr(p->nolock, cpu)->nmi_free);
	pheap_flush(p);
	pheap_get_stats(p, &st);
	KUNIT_EXPECT_EQ(test, st.ev[PHEAP_EV_ALLOC_FAIL], 1UL);
	KUNIT_EXPECT_EQ(test, st.ev[PHEAP_EV_BAD_FREE], 2UL);
	KUNIT_EXPECT_EQ(test, st.ev[PHEAP_EV_RCU_FREE], 0UL);
	KUNIT_EXPECT_EQ(test, st.ev[PHEAP_EV_NMI_FREE], 1UL);
	KUNIT_EXPECT_EQ(test, st.u, 0UL);	/* q freed after the NMI */
	pheap_free_in(p, r);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

/*
 * A large allocation freed where its pages cannot go back at once
 * (PREEMPT_RT, preemption off) waits for a work item; pheap writes
 * nothing into its pages meanwhile: another holder of a reference to
 * them (get_page()) still reads what was there.
 */
static void large_free_from_atomic_writes_nothing(struct kunit *test)
{
	struct pheap *p;
	struct page *page;
	size_t size = 3 * PAGE_SIZE;
	void *q;

	if (!IS_ENABLED(CONFIG_PREEMPT_RT))
		kunit_skip(test, "only PREEMPT_RT defers a large free");
	p = kt_create(test, 0, 0);
	q = pheap_alloc_in(p, size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	kt_fill(q, size);
	page = virt_to_page(q);
	get_page(page);			/* another holder */
	preempt_disable();
	pheap_free_in(p, q);		/* deferred */
	preempt_enable();
	flush_work(&p->large_work);	/* the pages go back: ours stays */
	KUNIT_EXPECT_TRUE(test, kt_intact(q, size));
	put_page(page);
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_BAD_FREE), 0UL);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

static struct kunit_case pheap_context_cases[] = {
	KUNIT_CASE_PARAM(alloc_free_in_hardirq, kt_design_params),
	KUNIT_CASE_PARAM(free_rcu_in_hardirq, kt_design_params),
	KUNIT_CASE_PARAM(free_rcu_in_softirq, kt_design_params),
	KUNIT_CASE_PARAM(alloc_free_in_softirq, kt_design_params),
	KUNIT_CASE(hotplug_moves_heap_to_global),
	KUNIT_CASE(interrupted_heap_served_elsewhere),
	KUNIT_CASE_PARAM(nmi_calls_refused, kt_design_params),
	KUNIT_CASE(interrupted_bulk_served_elsewhere),
	KUNIT_CASE_PARAM(nmi_bulk_refused, kt_design_params),
	KUNIT_CASE(large_free_from_atomic_writes_nothing),
	{}
};

static struct kunit_suite pheap_context_suite = {
	.name = "pheap_context",
	.test_cases = pheap_context_cases,
};

kunit_test_suite(pheap_context_suite);
