// SPDX-License-Identifier: GPL-2.0
/*
 * pheap_badcallers: a module that calls pheap wrongly, for the VM tests,
 * built on pheap's exported API only.
 *
 * At load it does each bad thing in turn to the default instance and
 * checks, from pheap_get_stats(), that pheap refused it and counted it:
 *
 *   foreign pointer	   a kmalloc'ed block
 *   stack pointer	   a local variable's address
 *   interior pointer	   a block plus 8
 *   double free	   twice in a row, on one CPU
 *   double free, not head a block freed again after another was freed
 *   remote double free	   a block of CPU A freed twice from CPU B
 *   large double free	   two CPUs free one large allocation at the
 *			   same moment, BC_ROUNDS times: one wins each time
 *
 * and when pheap is loaded in debug mode (debug=Z, debug=P, or both):
 *
 *   overflow		   one byte written past a block's usable size:
 *			   found by the validate walk, and on free
 *   write after free	   a byte written into a freed block: found when
 *			   the block is handed out again
 *
 * Each check prints "pheap_badcallers: <case>: refused" (or "found") or
 * an error; the
 * reports pheap prints itself (rate-limited, with the reason) are checked
 * by the guest script. Any failed check fails the load with -EIO.
 * Every block it allocated is freed once, properly, so that the VM test's
 * stress afterwards runs on the same heap and unload finds every page.
 */
#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "../pheap/pheap.h"

#define BC_ROUNDS	50

static struct pheap *bc_heap;
static int bc_failed;

static unsigned long bc_event(enum pheap_event e)
{
	struct pheap_stats st;

	pheap_get_stats(bc_heap, &st);
	return st.ev[e];
}

/*
 * Expect @what to have counted @want more events @ev since @before:
 * bad frees (refused) or corruptions (found).
 */
static void bc_expect_event(enum pheap_event ev, const char *what,
			    unsigned long before, unsigned long want)
{
	unsigned long got = bc_event(ev) - before;

	if (got == want) {
		pr_info("pheap_badcallers: %s: %s\n", what,
			ev == PHEAP_EV_BAD_FREE ? "refused" : "found");
		return;
	}
	pr_err("pheap_badcallers: %s: %lu %s counted, want %lu\n", what, got,
	       pheap_event_names[ev], want);
	bc_failed++;
}

static void bc_expect(const char *what, unsigned long before,
		      unsigned long want)
{
	bc_expect_event(PHEAP_EV_BAD_FREE, what, before, want);
}

static void bc_expect_found(const char *what, unsigned long before,
			    unsigned long want)
{
	bc_expect_event(PHEAP_EV_CORRUPT, what, before, want);
}

static void bc_pointers(void)
{
	unsigned long before = bc_event(PHEAP_EV_BAD_FREE);
	void *k = kmalloc(64, GFP_KERNEL);
	u8 *q = pheap_alloc(64, GFP_KERNEL);
	int on_stack;

	if (!k || !q) {
		pr_err("pheap_badcallers: out of memory\n");
		bc_failed++;
		kfree(k);
		pheap_free(q);
		return;
	}
	pheap_free(k);
	bc_expect("foreign pointer", before, 1);
	pheap_free(&on_stack);
	bc_expect("stack pointer", before, 2);
	pheap_free(q + 8);
	bc_expect("interior pointer", before, 3);
	pheap_free(q);
	kfree(k);
}

static void bc_local_double_frees(void)
{
	unsigned long before = bc_event(PHEAP_EV_BAD_FREE);
	void *a, *b;

	migrate_disable();
	a = pheap_alloc(64, GFP_KERNEL);
	b = pheap_alloc(64, GFP_KERNEL);
	pheap_free(b);
	pheap_free(b);
	bc_expect("double free", before, 1);
	pheap_free(a);
	pheap_free(b);		/* b is free and no longer the head */
	pheap_free(a);
	migrate_enable();
	bc_expect("double free, not at the head of the free list", before, 3);
}

/*
 * On a given CPU through work_on_cpu(), in process context: an IPI would
 * be hardirq, where PREEMPT_RT refuses allocations as it does kmalloc's.
 */
static long bc_alloc_on(void *arg)
{
	*(void **)arg = pheap_alloc(64, GFP_KERNEL);
	return 0;
}

static long bc_free_on(void *arg)
{
	pheap_free(*(void **)arg);
	return 0;
}

static void bc_remote_double_free(void)
{
	unsigned long before = bc_event(PHEAP_EV_BAD_FREE);
	unsigned int a = cpumask_first(cpu_online_mask);
	unsigned int b = cpumask_next(a, cpu_online_mask);
	void *q = NULL;

	if (b >= nr_cpu_ids) {
		pr_info("pheap_badcallers: remote double free: skipped, one CPU\n");
		return;
	}
	work_on_cpu(a, bc_alloc_on, &q);
	if (!q) {
		pr_err("pheap_badcallers: out of memory\n");
		bc_failed++;
		return;
	}
	work_on_cpu(b, bc_free_on, &q);
	work_on_cpu(b, bc_free_on, &q);
	bc_expect("remote double free", before, 1);
}

struct bc_race {
	void *blk;
	atomic_t go, done;
};

/*
 * One of the two racers: free each round's block as soon as it is out.
 * Every wait yields (cond_resched()): on a kernel without full preemption
 * a spinning thread would starve the other thread bound to its CPU (the
 * loading thread may share a CPU with a racer).
 */
static int bc_racer(void *arg)
{
	struct bc_race *r = arg;
	int i;

	for (i = 1; i <= BC_ROUNDS; i++) {
		while (atomic_read_acquire(&r->go) < i) {
			if (kthread_should_stop())
				return 0;
			cond_resched();
		}
		pheap_free(r->blk);
		atomic_inc(&r->done);
	}
	return 0;
}

static struct task_struct *bc_start(struct bc_race *r, unsigned int cpu)
{
	struct task_struct *t = kthread_create_on_cpu(bc_racer, r, cpu,
						      "pheap_bc/%u");

	if (!IS_ERR(t)) {
		get_task_struct(t);
		wake_up_process(t);
	}
	return t;
}

static void bc_stop(struct task_struct *t)
{
	if (IS_ERR(t))
		return;
	kthread_stop(t);
	put_task_struct(t);
}

static void bc_race_rounds(struct bc_race *r)
{
	int i;

	for (i = 1; i <= BC_ROUNDS; i++) {
		r->blk = pheap_alloc(3 * PAGE_SIZE, GFP_KERNEL);
		if (!r->blk)
			break;
		atomic_set_release(&r->go, i);
		while (atomic_read_acquire(&r->done) < 2 * i)
			cond_resched();
	}
}

static void bc_large_race(void)
{
	unsigned long before = bc_event(PHEAP_EV_BAD_FREE);
	unsigned long frees = bc_event(PHEAP_EV_LARGE_FREE);
	unsigned int a = cpumask_first(cpu_online_mask);
	unsigned int b = cpumask_next(a, cpu_online_mask);
	struct task_struct *t[2];
	struct bc_race r = {};

	if (b >= nr_cpu_ids) {
		pr_info("pheap_badcallers: concurrent large double free: skipped, one CPU\n");
		return;
	}
	t[0] = bc_start(&r, a);
	t[1] = bc_start(&r, b);
	if (!IS_ERR(t[0]) && !IS_ERR(t[1]))
		bc_race_rounds(&r);
	bc_stop(t[0]);
	bc_stop(t[1]);
	if (bc_event(PHEAP_EV_LARGE_FREE) - frees != BC_ROUNDS) {
		pr_err("pheap_badcallers: concurrent large double free: %lu frees won, want %d\n",
		       bc_event(PHEAP_EV_LARGE_FREE) - frees, BC_ROUNDS);
		bc_failed++;
	}
	bc_expect("concurrent large double free", before, BC_ROUNDS);
}

/* debug=Z: a 1-byte overflow, found by the validate walk, then on free. */
static void bc_overflow(void)
{
	unsigned long before = bc_event(PHEAP_EV_CORRUPT), blocks;
	u8 *q = pheap_alloc(64, GFP_KERNEL);

	if (!q) {
		pr_err("pheap_badcallers: out of memory\n");
		bc_failed++;
		return;
	}
	q[pheap_usable_size(q)] = 0;
	pheap_debug_validate(bc_heap, &blocks);
	bc_expect_found("1-byte overflow, by the validate walk", before, 1);
	q[pheap_usable_size(q)] = 0;
	pheap_free(q);
	bc_expect_found("1-byte overflow, on free", before, 2);
}

/* debug=P: a write into a freed block, found when it is handed out. */
static void bc_write_after_free(void)
{
	unsigned long before = bc_event(PHEAP_EV_CORRUPT);
	u8 *q, *r;

	migrate_disable();
	q = pheap_alloc(64, GFP_KERNEL);
	pheap_free(q);
	if (q)
		q[16] = 1;
	r = pheap_alloc(64, GFP_KERNEL);	/* the same block: LIFO */
	migrate_enable();
	if (!q || r != q) {
		pr_err("pheap_badcallers: write after free: block not handed out again\n");
		bc_failed++;
	}
	bc_expect_found("write after free", before, 1);
	pheap_free(r);
}

static int __init pheap_badcallers_init(void)
{
	struct pheap_stats st;

	bc_heap = pheap_default();
	if (!bc_heap)
		return -ENODEV;
	bc_pointers();
	bc_local_double_frees();
	bc_remote_double_free();
	bc_large_race();
	pheap_get_stats(bc_heap, &st);
	if (st.debug & PHEAP_DEBUG_Z)
		bc_overflow();
	if (st.debug & PHEAP_DEBUG_P)
		bc_write_after_free();
	pheap_flush(bc_heap);
	if (bc_failed) {
		pr_err("pheap_badcallers: %d checks failed\n", bc_failed);
		return -EIO;
	}
	pr_info("pheap_badcallers: every bad call refused and counted\n");
	return 0;
}

static void __exit pheap_badcallers_exit(void)
{
}

module_init(pheap_badcallers_init);
module_exit(pheap_badcallers_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("pheap bad callers: each kind of wrong free, refused and counted");
