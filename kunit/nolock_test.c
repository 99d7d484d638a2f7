// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite pheap_nolock: pheap_alloc_nolock() and frees in NMI
 * (pheap/nolock.c, free.c). What it serves and refuses in every design;
 * a heap in use on its CPU (the test holds it, in an NMI's preempt count)
 * served from the CPU's reserve, refilled by its irq_work, and the
 * reserve kept out of u_bytes and allocs; frees in NMI done once the NMI
 * is over, bad ones refused untouched; nolock from hard interrupts (an
 * hrtimer) on a CPU that allocates meanwhile; and real NMIs (NMI IPIs)
 * aimed at a CPU that allocates and frees in a loop, their nolock
 * allocations counted.
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/irq_work.h>
#include <linux/kthread.h>
#include <linux/numa.h>
#include <linux/prandom.h>
#include <asm/apic.h>
#include <asm/nmi.h>

#include "helpers.h"
#include "../pheap/nolock.h"

static bool nolock_design_serves(struct kunit *test)
{
	const char *d = kt_design(test);

	return !d || !strcmp(d, "hoard") || !strcmp(d, "ownership");
}

/* Enter and leave what nmi_enter() makes of the preempt count. */
static void fake_nmi_enter(unsigned long *flags)
{
	local_irq_save(*flags);
	__preempt_count_add(NMI_OFFSET + HARDIRQ_OFFSET);
}

static void fake_nmi_exit(unsigned long flags)
{
	__preempt_count_sub(NMI_OFFSET + HARDIRQ_OFFSET);
	local_irq_restore(flags);
}

/* What pheap_alloc_nolock() serves, and what it refuses, per design. */
static void nolock_serves_or_refuses(struct kunit *test)
{
	struct pheap *p = kt_create(test, 0, 0);
	bool serves = nolock_design_serves(test);
	u8 *q, *z;

	/*
	 * A new heap has no block yet: the first calls find none, and ask
	 * for the reserve to be filled (which fills the CPU heap too).
	 */
	migrate_disable();
	pheap_free_in(p, pheap_alloc_nolock_in(p, 100, 0, NUMA_NO_NODE));
	pheap_free_in(p, pheap_alloc_nolock_in(p, 64, 0, NUMA_NO_NODE));
	irq_work_sync(&per_cpu_ptr(p->nolock, smp_processor_id())->refill);
	pheap_reset_events(p);
	q = pheap_alloc_nolock_in(p, 100, 0, NUMA_NO_NODE);
	z = pheap_alloc_nolock_in(p, 64, __GFP_ZERO, numa_mem_id());
	migrate_enable();
	KUNIT_EXPECT_PTR_EQ(test, pheap_alloc_nolock_in(p, 0, 0, NUMA_NO_NODE),
			    ZERO_SIZE_PTR);
	KUNIT_EXPECT_NULL(test, pheap_alloc_nolock_in(p, 2 * PAGE_SIZE, 0,
						      NUMA_NO_NODE));
	if (serves) {
		KUNIT_ASSERT_NOT_NULL(test, q);
		KUNIT_ASSERT_NOT_NULL(test, z);
		KUNIT_EXPECT_GE(test, pheap_usable_size_in(p, q), (size_t)100);
		KUNIT_EXPECT_TRUE(test, !memchr_inv(z, 0, 64));
		kt_fill(q, 100);
		KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_NOLOCK_ALLOC), 2UL);
		KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_NOLOCK_FAIL), 1UL);
	} else {
		KUNIT_EXPECT_NULL(test, q);
		KUNIT_EXPECT_NULL(test, z);
		KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_NOLOCK_FAIL), 3UL);
	}
	pheap_free_in(p, q);
	pheap_free_in(p, z);
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_BAD_FREE), 0UL);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

/* This CPU's reserve of @cls filled, the irq_work that fills it done. */
static void nolock_refill_wait(struct pheap *p)
{
	irq_work_sync(this_cpu_ptr(&p->nolock->refill));
}

#define RSV_ROUNDS	3

/*
 * An NMI that lands while its CPU holds the heap (played by the test: it
 * holds the heap's lock in an NMI's preempt count): the first call finds
 * the reserve empty and asks for it to be filled; once the irq_work ran,
 * PHEAP_NOLOCK_DEPTH calls are served from it and the next one is not.
 * The reserve is in no figure of blocks in use; trim gives it back.
 */
static int nolock_reserve_on_cpu(void *arg)
{
	struct kunit *test = arg;
	struct pheap *p = kt_create(test, 0, 0);
	void *blk[PHEAP_NOLOCK_DEPTH + 1];
	unsigned int i, got, total = 0, round;
	struct pheap_heap *h;
	struct pheap_stats st;
	unsigned long flags;

	for (round = 0; round < RSV_ROUNDS; round++) {
		h = pheap_heap_trylock(p);
		KUNIT_ASSERT_NOT_NULL(test, h);
		fake_nmi_enter(&flags);
		for (i = 0; i < ARRAY_SIZE(blk); i++)
			blk[i] = pheap_alloc_nolock_in(p, 64, 0, NUMA_NO_NODE);
		fake_nmi_exit(flags);
		pheap_heap_unlock(p, h);
		nolock_refill_wait(p);
		for (got = 0, i = 0; i < ARRAY_SIZE(blk); i++) {
			got += !!blk[i];
			if (blk[i])
				kt_fill(blk[i], 64);
		}
		total += got;
		/* empty at first; then full: PHEAP_NOLOCK_DEPTH of them */
		KUNIT_EXPECT_EQ(test, got, round ? PHEAP_NOLOCK_DEPTH : 0);
		pheap_flush(p);		/* a fill's overflow, freed remotely */
		pheap_get_stats(p, &st);
		KUNIT_EXPECT_EQ(test, st.u, got * 64UL);
		KUNIT_EXPECT_EQ(test, st.nolock_reserve,
				PHEAP_NOLOCK_DEPTH * 64UL);
		KUNIT_EXPECT_EQ(test, st.ev[PHEAP_EV_ALLOC], (unsigned long)total);
		for (i = 0; i < ARRAY_SIZE(blk); i++)
			if (blk[i] && !kt_intact(blk[i], 64))
				KUNIT_FAIL(test, "a reserve block handed out twice");
		for (i = 0; i < ARRAY_SIZE(blk); i++)
			pheap_free_in(p, blk[i]);
	}
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_NOLOCK_RESERVE),
			(unsigned long)total);
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_NOLOCK_BUSY),
			RSV_ROUNDS * (PHEAP_NOLOCK_DEPTH + 1UL));
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_NOLOCK_FAIL),
			RSV_ROUNDS * (PHEAP_NOLOCK_DEPTH + 1UL) - total);
	pheap_trim(p);
	pheap_get_stats(p, &st);
	KUNIT_EXPECT_EQ(test, st.u, 0UL);
	KUNIT_EXPECT_EQ(test, st.nolock_reserve, 0UL);
	KUNIT_EXPECT_EQ(test, st.a, 0UL);
	KUNIT_EXPECT_EQ(test, st.ev[PHEAP_EV_ALLOC], (unsigned long)total);
	KUNIT_EXPECT_EQ(test, st.ev[PHEAP_EV_FREE], (unsigned long)total);
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_BAD_FREE), 0UL);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
	return 0;
}

static void nolock_reserve_serves_interrupted_heap(struct kunit *test)
{
	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		kunit_skip(test, "PREEMPT_RT: nolock never takes the heap's lock");
	KUNIT_ASSERT_EQ(test, kt_run_on_cpu(cpumask_first(cpu_online_mask),
					    nolock_reserve_on_cpu, test), 0);
}

/*
 * From hard interrupts: an hrtimer, every 50 us, asks pheap_alloc_nolock()
 * for a block and frees it, on a CPU whose task allocates and frees
 * meanwhile (so the timer often lands while the task holds its heap).
 */
struct nolock_irq {
	struct pheap *p;
	struct hrtimer timer;
	unsigned int fires, got, null, wrong_ctx;
	bool stop;
};

static enum hrtimer_restart nolock_irq_fn(struct hrtimer *t)
{
	struct nolock_irq *w = container_of(t, struct nolock_irq, timer);
	void *obj;

	w->wrong_ctx += !in_hardirq();
	w->fires++;
	obj = pheap_alloc_nolock_in(w->p, 64, 0, NUMA_NO_NODE);
	if (obj) {
		w->got++;
		kt_fill(obj, 64);
		pheap_free_in(w->p, obj);
	} else {
		w->null++;
	}
	if (READ_ONCE(w->stop))
		return HRTIMER_NORESTART;
	hrtimer_forward_now(t, ns_to_ktime(50 * NSEC_PER_USEC));
	return HRTIMER_RESTART;
}

static int nolock_irq_side(void *arg)
{
	struct nolock_irq *w = arg;
	void *slot[16] = { };
	unsigned int i;

	hrtimer_init(&w->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED_HARD);
	w->timer.function = nolock_irq_fn;
	hrtimer_start(&w->timer, ns_to_ktime(20 * NSEC_PER_USEC),
		      HRTIMER_MODE_REL_PINNED_HARD);
	for (i = 0; i < 400000 && (i < 20000 || READ_ONCE(w->fires) < 50);
	     i++) {
		void **s = &slot[i % ARRAY_SIZE(slot)];

		if (*s) {
			pheap_free_in(w->p, *s);
			*s = NULL;
		} else {
			*s = pheap_alloc_in(w->p, 8 + i % 500, GFP_KERNEL);
		}
		if (i % 256 == 0)
			cond_resched();
	}
	WRITE_ONCE(w->stop, true);
	hrtimer_cancel(&w->timer);
	for (i = 0; i < ARRAY_SIZE(slot); i++)
		pheap_free_in(w->p, slot[i]);
	return 0;
}

static void nolock_in_hardirq(struct kunit *test)
{
	struct nolock_irq *w = kunit_kzalloc(test, sizeof(*w), GFP_KERNEL);
	struct pheap_stats st;

	KUNIT_ASSERT_NOT_NULL(test, w);
	w->p = kt_create(test, 0, 0);
	KUNIT_ASSERT_EQ(test, kt_run_on_cpu(cpumask_first(cpu_online_mask),
					    nolock_irq_side, w), 0);
	kunit_info(test, "%u interrupts: %u allocations, %u NULL\n", w->fires,
		   w->got, w->null);
	KUNIT_EXPECT_GE(test, w->fires, 50U);
	KUNIT_EXPECT_EQ(test, w->wrong_ctx, 0U);
	KUNIT_EXPECT_EQ(test, w->got + w->null, w->fires);
	if (nolock_design_serves(test))
		KUNIT_EXPECT_GE(test, w->got * 10, w->fires * 8);
	else
		KUNIT_EXPECT_EQ(test, w->got, 0U);
	pheap_trim(w->p);
	flush_work(&w->p->large_work);
	pheap_get_stats(w->p, &st);
	KUNIT_EXPECT_EQ(test, st.u, 0UL);
	KUNIT_EXPECT_EQ(test, st.ev[PHEAP_EV_BAD_FREE], 0UL);
	KUNIT_EXPECT_EQ(test, st.ev[PHEAP_EV_NOLOCK_ALLOC], (unsigned long)w->got);
	KUNIT_EXPECT_EQ(test, pheap_destroy(w->p), 0UL);
}

/*
 * pheap_free() in NMI: checked, queued, done by the irq_work after the
 * NMI, once; a pointer that is no block in use refused, nothing written.
 */
static int nmi_free_on_cpu(void *arg)
{
	struct kunit *test = arg;
	struct pheap *p = kt_create(test, 0, 0);
	void *q = pheap_alloc_in(p, 200, GFP_KERNEL);
	void *big = pheap_alloc_in(p, 3 * PAGE_SIZE, GFP_KERNEL);
	void *gone = pheap_alloc_in(p, 200, GFP_KERNEL);
	unsigned long flags, word = 0x1234;
	struct pheap_stats st;

	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_ASSERT_NOT_NULL(test, big);
	KUNIT_ASSERT_NOT_NULL(test, gone);
	pheap_free_in(p, gone);
	fake_nmi_enter(&flags);
	pheap_free_in(p, q);
	pheap_free_in(p, big);
	pheap_free_in(p, &word);
	pheap_free_in(p, gone);		/* its block is free: not live */
	fake_nmi_exit(flags);
	irq_work_sync(this_cpu_ptr(&p->nolock->nmi_free));
	KUNIT_EXPECT_EQ(test, word, 0x1234UL);
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_NMI_FREE), 2UL);
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_BAD_FREE), 2UL);
	pheap_flush(p);
	flush_work(&p->large_work);
	pheap_get_stats(p, &st);
	KUNIT_EXPECT_EQ(test, st.u, 0UL);
	KUNIT_EXPECT_EQ(test, kt_handed_out_twice(p, 200, 256), 0);
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_CORRUPT), 0UL);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
	return 0;
}

static void nmi_free_deferred(struct kunit *test)
{
	KUNIT_ASSERT_EQ(test, kt_run_on_cpu(cpumask_first(cpu_online_mask),
					    nmi_free_on_cpu, test), 0);
}

/* Real NMIs, raised as NMI IPIs at a CPU busy in pheap's own paths. */
#define NMI_GAP_US	50

struct nmi_load {
	struct pheap *p;
	atomic_t pending;		/* NMIs sent and not yet handled */
	unsigned int cpu;
	unsigned long nmis, got, null;
	bool stop;
};

static struct nmi_load *nmi_load;

static int nolock_nmi_handler(unsigned int type, struct pt_regs *regs)
{
	struct nmi_load *l = READ_ONCE(nmi_load);
	void *obj;

	if (!l || smp_processor_id() != l->cpu ||
	    atomic_read(&l->pending) <= 0)
		return NMI_DONE;
	l->nmis++;
	obj = pheap_alloc_nolock_in(l->p, 64, 0, NUMA_NO_NODE);
	if (obj) {
		l->got++;
		pheap_free_in(l->p, obj);
	} else {
		l->null++;
	}
	/* done: the next NMI comes a gap from now, not while this one runs */
	atomic_dec(&l->pending);
	return NMI_HANDLED;
}

static int nmi_target(void *arg)
{
	struct nmi_load *l = arg;
	struct rnd_state rnd;
	void *slot[16] = { };
	unsigned int i = 0;

	prandom_seed_state(&rnd, 3);
	while (!READ_ONCE(l->stop)) {
		void **s = &slot[i++ % ARRAY_SIZE(slot)];

		if (*s) {
			pheap_free_in(l->p, *s);
			*s = NULL;
		} else {
			*s = pheap_alloc_in(l->p, 8 + prandom_u32_state(&rnd) % 500,
					    GFP_KERNEL);
		}
		if (!(i % 4096))
			cond_resched();
	}
	for (i = 0; i < ARRAY_SIZE(slot); i++)
		pheap_free_in(l->p, slot[i]);
	return 0;
}

/*
 * NMI IPIs, one every 50 us or so for half a second, at a CPU that
 * allocates and frees without pause: the allocations each NMI makes are
 * counted, and the NMIs that landed while the CPU held its heap. On
 * PREEMPT_RT only the reserve serves, filled by the irq_work thread.
 */
static void nolock_under_nmi_ipis(struct kunit *test)
{
	struct nmi_load *l = kunit_kzalloc(test, sizeof(*l), GFP_KERNEL);
	unsigned int sender = cpumask_first(cpu_online_mask);
	struct task_struct *t;
	unsigned long busy, reserve, end;

	KUNIT_ASSERT_NOT_NULL(test, l);
	if (num_online_cpus() < 2)
		kunit_skip(test, "one CPU: no other to send the NMIs");
	l->p = kt_create(test, 0, 0);
	l->cpu = cpumask_next(sender, cpu_online_mask);
	KUNIT_ASSERT_EQ(test, register_nmi_handler(NMI_LOCAL, nolock_nmi_handler,
						   0, "pheap_kunit"), 0);
	WRITE_ONCE(nmi_load, l);
	t = kthread_create_on_cpu(nmi_target, l, l->cpu, "pheap_kt_nmi/%u");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	get_task_struct(t);
	wake_up_process(t);
	end = jiffies + HZ / 2;
	while (time_before(jiffies, end)) {
		if (atomic_read(&l->pending) == 0) {
			atomic_inc(&l->pending);
			apic->send_IPI(l->cpu, NMI_VECTOR);
		}
		udelay(NMI_GAP_US);	/* spinning: the rate is the point */
	}
	WRITE_ONCE(l->stop, true);
	kthread_stop(t);
	put_task_struct(t);
	msleep(20);		/* the last NMI in flight */
	WRITE_ONCE(nmi_load, NULL);
	unregister_nmi_handler(NMI_LOCAL, "pheap_kunit");
	busy = kt_event(l->p, PHEAP_EV_NOLOCK_BUSY);
	reserve = kt_event(l->p, PHEAP_EV_NOLOCK_RESERVE);
	kunit_info(test, "%lu NMIs: %lu allocations, %lu NULL; %lu found the heap in use, %lu served from the reserve; %lu refills from the global heap, %lu failed allocations\n",
		   l->nmis, l->got, l->null, busy, reserve,
		   kt_event(l->p, PHEAP_EV_ALLOC_INTERRUPTED),
		   kt_event(l->p, PHEAP_EV_ALLOC_FAIL));
	KUNIT_EXPECT_GE(test, l->nmis, 100UL);
	KUNIT_EXPECT_EQ(test, l->got + l->null, l->nmis);
	/*
	 * The rate of all NMIs served depends on how soon each refill
	 * follows them, which is timing (82 % to 99.9 % here, under KASAN
	 * and TCG): the bench measures it against its 99 % target. Here,
	 * only what holds whatever the timing: the NMIs that found the heap
	 * in use were served by the reserve (without it, none would be),
	 * and on PREEMPT_RT the reserve alone serves.
	 */
	if (IS_ENABLED(CONFIG_PREEMPT_RT)) {
		KUNIT_EXPECT_EQ(test, reserve, l->got);
		KUNIT_EXPECT_GT(test, l->got, 0UL);
	} else {
		KUNIT_EXPECT_GT(test, busy, l->nmis / 10);
		KUNIT_EXPECT_GE(test, reserve * 10, busy * 9);
	}
	KUNIT_EXPECT_EQ(test, kt_event(l->p, PHEAP_EV_NMI_FREE), l->got);
	pheap_trim(l->p);
	{
		struct pheap_stats st;

		pheap_get_stats(l->p, &st);
		KUNIT_EXPECT_EQ(test, st.u, 0UL);
		KUNIT_EXPECT_EQ(test, st.ev[PHEAP_EV_BAD_FREE], 0UL);
	}
	KUNIT_EXPECT_EQ(test, pheap_destroy(l->p), 0UL);
}

static struct kunit_case pheap_nolock_cases[] = {
	KUNIT_CASE_PARAM(nolock_serves_or_refuses, kt_design_params),
	KUNIT_CASE(nolock_reserve_serves_interrupted_heap),
	KUNIT_CASE_PARAM(nolock_in_hardirq, kt_design_params),
	KUNIT_CASE_PARAM(nmi_free_deferred, kt_design_params),
	KUNIT_CASE(nolock_under_nmi_ipis),
	{}
};

static struct kunit_suite pheap_nolock_suite = {
	.name = "pheap_nolock",
	.test_cases = pheap_nolock_cases,
};

kunit_test_suite(pheap_nolock_suite);
