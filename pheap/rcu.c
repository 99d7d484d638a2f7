// SPDX-License-Identifier: GPL-2.0
/*
 * pheap_free_rcu(): a free an RCU grace period later, kfree_rcu()'s
 * counterpart, with no rcu_head in the caller's object.
 *
 * The call claims the block at once, so that every other free of it is
 * refused as a double free from then on: the design's rcu_claim
 * (design.h: hoard and ownership set its remote-free bit without naming
 * it, remote.c; the shared designs a held bit under their lock; private
 * clears its live bit), debug mode's record, or for a large allocation
 * its page moved to p->large_rcu; a page-run design's block (run.h), its
 * design's rcu_claim_run. Nothing is written into the block:
 * readers may still read it. The claim is then recorded, as the
 * superblock and the block's start, in this CPU's batch, a page of
 * entries (kvfree_rcu()'s batching), or, when no batch page can be had,
 * in the superblock's own metadata: the block's bit in sb->rcu_fb, and the
 * superblock on the instance's fallback list, once however many of its
 * blocks wait (a page run's: its rcu_fb, the run on run_fallback). A
 * large allocation needs neither. The free never fails, never sleeps and
 * never waits for a grace period.
 *
 * One work item per instance, on system_unbound_wq, PHEAP_RCU_DELAY after
 * a free finds it idle, frees them in rounds:
 *
 *	take every CPU's batch, the full batches, the fallback list (each
 *	superblock's fallback bits moved to its ripe bits) and the claimed
 *	large allocations: all of them claimed before this point
 *	synchronize_rcu()
 *	free each (the design's rcu_done: hoard's queues the block to its
 *	owner as a remote free), and keep the batch pages as spares
 *
 * Rounds are serialised (a superblock's ripe bits are one round's). A
 * million calls wait for a grace period once a round, not a million
 * times; the events count both (rcu_frees, rcu_rounds), and the claims
 * recorded in a superblock for want of a page (rcu_fallbacks).
 *
 * Memory: each CPU holds at most two batch pages, the one it fills and a
 * spare; batches waiting for their round, 16 bytes per block claimed.
 * They are taken with GFP_NOWAIT only where the page allocator may be
 * called (interrupts on, and not PREEMPT_RT's atomic contexts), count in
 * the instance's pages (A), and the spares go back once PHEAP_RCU_IDLE
 * passes without a round. pheap_destroy() waits for every claim
 * (pheap_rcu_destroy()).
 *
 * Context: pheap_free_rcu() in any context pheap_free() serves but NMI,
 * where it refuses the pointer as pheap_free() used to. Lock free but for
 * a shared design's lock and large_lock. A batch is taken from its CPU's
 * slot and put back with atomic exchanges, so an interrupt that frees
 * meanwhile, or a migration, only starts another batch.
 */
#include <linux/export.h>
#include <linux/hardirq.h>
#include <linux/irqflags.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/reciprocal_div.h>
#include <linux/slab.h>

#include "debug.h"
#include "design.h"
#include "fault.h"
#include "heap.h"
#include "instance.h"
#include "large.h"
#include "lifecycle.h"
#include "page.h"
#include "rcu.h"
#include "report.h"
#include "run.h"
#include "sb.h"
#include "trace.h"

/* A round starts this long after the first free that found none coming. */
#define PHEAP_RCU_DELAY		(HZ / 50)
/* The spare batch pages go back after this long without a round. */
#define PHEAP_RCU_IDLE		(2 * HZ)

/* A block claimed, waiting in a batch. */
struct pheap_rcu_entry {
	struct pheap_sb *sb;	/* NULL: a page run's block (run.h) */
	void *obj;		/* the block's first byte */
};

/* A batch: one page of entries. */
struct pheap_rcu_batch {
	struct llist_node node;
	unsigned int nr;
	struct pheap_rcu_entry e[];
};

#define PHEAP_RCU_BATCH	((PAGE_SIZE - sizeof(struct pheap_rcu_batch)) / \
			 sizeof(struct pheap_rcu_entry))

/* What one round frees: everything claimed before it began. */
struct pheap_rcu_round {
	struct llist_node *batches;
	struct pheap_sb *ripe;		/* linked by sb->rcu_ripe_next */
	struct pheap_run *ripe_runs;	/* linked by run->rcu_ripe_next */
	struct list_head large;
};

static struct pheap_rcu_batch *pheap_rcu_page_get(struct pheap *p)
{
	struct page *page;

	page = pheap_get_pages(p, GFP_NOWAIT | __GFP_NOWARN, 0, -1,
			       numa_mem_id());
	return page ? page_address(page) : NULL;
}

static void pheap_rcu_page_put(struct pheap *p, struct pheap_rcu_batch *b)
{
	pheap_put_pages(p, virt_to_page(b), 0, -1);
}

/* A batch to fill: this CPU's spare, or a new page where one may be had. */
static struct pheap_rcu_batch *pheap_rcu_batch_new(struct pheap *p,
						   struct pheap_rcu_cpu *rc)
{
	struct pheap_rcu_batch *b = xchg(&rc->spare, NULL);

	if (!b && !irqs_disabled() && !pheap_rt_atomic() &&
	    !pheap_fault_should_fail(p))
		b = pheap_rcu_page_get(p);
	if (b)
		b->nr = 0;
	return b;
}

/*
 * Record @obj of @sb in this CPU's batch. A full batch, or one whose slot
 * an interrupt (or the CPU this task migrated from) filled meanwhile, is
 * sealed. Return: false if no batch page could be had.
 */
static bool pheap_rcu_batch_add(struct pheap *p, struct pheap_sb *sb,
				void *obj)
{
	struct pheap_rcu_cpu *rc = raw_cpu_ptr(p->rcu.cpu);
	struct pheap_rcu_batch *b = xchg(&rc->cur, NULL);

	if (!b)
		b = pheap_rcu_batch_new(p, rc);
	if (!b)
		return false;
	b->e[b->nr].sb = sb;
	b->e[b->nr].obj = obj;
	b->nr++;
	if (b->nr == PHEAP_RCU_BATCH || cmpxchg(&rc->cur, NULL, b))
		llist_add(&b->node, &p->rcu.sealed);
	return true;
}

/* No page: block @idx of @sb recorded in the superblock's fallback bits. */
static void pheap_rcu_fallback(struct pheap *p, struct pheap_sb *sb,
			       unsigned int idx)
{
	set_bit(idx, sb->rcu_fb);
	if (!test_and_set_bit(PHEAP_SB_RCU_QUEUED, &sb->rcu_flags))
		llist_add(&sb->rcu_node, &p->rcu.fallback);
	this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_RCU_FALLBACK]);
}

/*
 * Start a round PHEAP_RCU_DELAY from now unless one is pending: one that
 * is pending has not yet taken anything, so it takes what the caller
 * claimed (the claim's atomics order it before this read).
 */
static void pheap_rcu_kick(struct pheap *p)
{
	if (!delayed_work_pending(&p->rcu.work))
		queue_delayed_work(system_unbound_wq, &p->rcu.work,
				   PHEAP_RCU_DELAY);
}

/* A small block: the design's claim (or debug mode's), then recorded. */
static void pheap_rcu_free_small(struct pheap *p, struct pheap_sb *sb,
				 const void *ptr, unsigned long caller)
{
	void *obj;
	int idx;

	if (pheap_debug_on(p)) {
		obj = pheap_debug_rcu_claim(p, sb, 0, ptr, caller);
		if (!obj)
			return;
		idx = pheap_sb_block_index(p, sb, obj);
	} else {
		idx = pheap_sb_block_index(p, sb, ptr);
		if (unlikely(idx < 0)) {
			pheap_report_bad_free(p, ptr, "not a block of this heap",
					      caller);
			return;
		}
		if (!p->ops->rcu_claim(p, sb, idx)) {
			pheap_report_bad_free(p, ptr, "double free", caller);
			return;
		}
		obj = (void *)ptr;
	}
	this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_RCU_FREE]);
	if (!pheap_rcu_batch_add(p, sb, obj))
		pheap_rcu_fallback(p, sb, idx);
}

/* No page: the block at granule @g of @run recorded in the run. */
static void pheap_rcu_run_fallback(struct pheap *p, struct pheap_run *run,
				   unsigned int g)
{
	set_bit(g, run->rcu_fb);
	if (!test_and_set_bit(PHEAP_RUN_RCU_QUEUED, &run->rcu_flags))
		llist_add(&run->rcu_node, &p->rcu.run_fallback);
	this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_RCU_FALLBACK]);
}

/* A page-run design's block: the design's claim, then recorded. */
static void pheap_rcu_free_run(struct pheap *p, struct pheap_run *run,
			       const void *ptr, unsigned long caller)
{
	if (!p->ops->rcu_claim_run(p, run, ptr)) {
		pheap_report_bad_free(p, ptr, "not a block of this heap, or a double free",
				      caller);
		return;
	}
	this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_RCU_FREE]);
	if (!pheap_rcu_batch_add(p, NULL, (void *)ptr))
		pheap_rcu_run_fallback(p, run, pheap_run_granule(run, ptr));
}

/* A large allocation, or a pointer no superblock holds (@tag: its page's). */
static void pheap_rcu_free_large(struct pheap *p, unsigned long tag,
				 const void *ptr, unsigned long caller)
{
	bool debug = pheap_debug_on(p) && tag && pheap_large_owner(tag) == p;
	void *start = (void *)ptr;

	if (debug) {
		start = pheap_debug_rcu_claim(p, NULL, tag, ptr, caller);
		if (!start)
			return;
	} else if (!tag || pheap_large_owner(tag) != p || !PAGE_ALIGNED(ptr)) {
		pheap_report_bad_free(p, ptr, "not allocated by pheap, or already freed",
				      caller);
		return;
	}
	if (!pheap_large_rcu_claim(p, tag, start, debug)) {
		pheap_report_bad_free(p, ptr, "double free", caller);
		return;
	}
	this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_RCU_FREE]);
}

static void pheap_free_rcu_caller(struct pheap *p, const void *ptr,
				  unsigned long caller)
{
	struct pheap_run *run = NULL;
	struct pheap_sb *sb;
	unsigned long tag;

	if (unlikely(ZERO_OR_NULL_PTR(ptr)))
		return;
	trace_pheap_free(p, caller, ptr);
	if (unlikely(in_nmi())) {
		pheap_report_bad_free(p, ptr, "RCU free from NMI (the block is leaked)",
				      caller);
		return;
	}
	pheap_sb_read_begin();
	sb = pheap_sb_lookup(ptr, &tag);
	if (!sb && pheap_design_on(p) && p->ops->rcu_claim_run)
		run = pheap_run_lookup(p, ptr);
	if (sb)
		pheap_rcu_free_small(p, sb, ptr, caller);
	else if (run)
		pheap_rcu_free_run(p, run, ptr, caller);
	else
		pheap_rcu_free_large(p, tag, ptr, caller);
	pheap_sb_read_end();
	pheap_rcu_kick(p);
}

/**
 * pheap_free_rcu_in() - free memory of an instance after a grace period
 * @p: the instance that allocated it
 * @ptr: from @p; NULL and ZERO_SIZE_PTR are ignored
 *
 * kfree_rcu()'s counterpart, without an rcu_head: the block is freed once
 * every RCU read-side critical section that began before the call has
 * ended, and is not written to before then. From the call on, any other
 * free of it is a double free, reported and refused. A pointer @p did not
 * hand out is reported, counted and left alone, as by pheap_free_in().
 *
 * Context: any context pheap_free_in() serves but NMI; never sleeps,
 * never waits for a grace period, never fails.
 */
void pheap_free_rcu_in(struct pheap *p, const void *ptr)
{
	pheap_free_rcu_caller(p, ptr, _RET_IP_);
}
EXPORT_SYMBOL_GPL(pheap_free_rcu_in);

/**
 * pheap_free_rcu() - free memory from pheap_alloc() after a grace period
 * @ptr: the memory; NULL and ZERO_SIZE_PTR are ignored
 *
 * See pheap_free_rcu_in(); this uses the module's default instance.
 *
 * Context: as pheap_free_rcu_in().
 */
void pheap_free_rcu(const void *ptr)
{
	pheap_free_rcu_caller(READ_ONCE(pheap_default_instance), ptr,
			      _RET_IP_);
}
EXPORT_SYMBOL_GPL(pheap_free_rcu);

/*
 * A superblock off the fallback list: its fallback bits become the
 * round's ripe bits. Cleared first, the queued flag lets a claim that
 * comes after the bits are taken queue the superblock again.
 */
static void pheap_rcu_ripen(struct pheap *p, struct pheap_sb *sb,
			    struct pheap_rcu_round *r)
{
	unsigned int w;

	sb->rcu_ripe_next = r->ripe;
	r->ripe = sb;
	clear_bit(PHEAP_SB_RCU_QUEUED, &sb->rcu_flags);
	/* the flag clear before the bits are taken: pheap_rcu_fallback() */
	smp_mb__after_atomic();
	for (w = 0; w < p->ci[sb->cls].bm_words; w++)
		sb->rcu_ripe[w] = xchg(&sb->rcu_fb[w], 0);
}

/* A page run off its fallback list, as pheap_rcu_ripen() a superblock. */
static void pheap_rcu_ripen_run(struct pheap_run *run,
				struct pheap_rcu_round *r)
{
	unsigned int w;

	run->rcu_ripe_next = r->ripe_runs;
	r->ripe_runs = run;
	clear_bit(PHEAP_RUN_RCU_QUEUED, &run->rcu_flags);
	/* the flag clear before the bits are taken: pheap_rcu_run_fallback() */
	smp_mb__after_atomic();
	for (w = 0; w < BITS_TO_LONGS(PHEAP_RUN_GRANULES); w++)
		run->rcu_ripe[w] = xchg(&run->rcu_fb[w], 0);
}

/* Take everything claimed so far. Return: false if there was nothing. */
static bool pheap_rcu_gather(struct pheap *p, struct pheap_rcu_round *r)
{
	struct llist_node *node, *next;
	struct pheap_rcu_batch *b;
	int cpu;

	for_each_possible_cpu(cpu) {
		b = xchg(&per_cpu_ptr(p->rcu.cpu, cpu)->cur, NULL);
		if (b)
			llist_add(&b->node, &p->rcu.sealed);
	}
	r->batches = llist_del_all(&p->rcu.sealed);
	r->ripe = NULL;
	/* the link is read first: a ripened superblock may be queued again */
	llist_for_each_safe(node, next, llist_del_all(&p->rcu.fallback))
		pheap_rcu_ripen(p, llist_entry(node, struct pheap_sb, rcu_node),
				r);
	r->ripe_runs = NULL;
	llist_for_each_safe(node, next, llist_del_all(&p->rcu.run_fallback))
		pheap_rcu_ripen_run(llist_entry(node, struct pheap_run,
						rcu_node), r);
	INIT_LIST_HEAD(&r->large);
	pheap_large_rcu_take(p, &r->large);
	return r->batches || r->ripe || r->ripe_runs ||
	       !list_empty(&r->large);
}

/* Free block @idx of @sb, claimed a grace period ago. */
static void pheap_rcu_done(struct pheap *p, struct pheap_sb *sb,
			   unsigned int idx)
{
	pheap_sb_read_begin();
	if (pheap_debug_on(p))
		pheap_debug_rcu_done(p, sb, idx);
	else
		p->ops->rcu_done(p, sb, idx);
	pheap_sb_read_end();
}

/*
 * Free the page-run block at @obj, claimed a grace period ago: its run
 * cannot go while the block is held.
 */
static void pheap_rcu_done_run(struct pheap *p, const void *obj)
{
	pheap_sb_read_begin();
	p->ops->rcu_done_run(p, pheap_run_lookup(p, obj), obj);
	pheap_sb_read_end();
}

/*
 * Free @run's ripe blocks, in one read section: the last of them freed,
 * the run may be released, and its bits go a grace period later.
 */
static void pheap_rcu_free_ripe_run(struct pheap *p, struct pheap_run *run)
{
	unsigned int g;

	pheap_sb_read_begin();
	for_each_set_bit(g, run->rcu_ripe, PHEAP_RUN_GRANULES) {
		__clear_bit(g, run->rcu_ripe);
		p->ops->rcu_done_run(p, run, pheap_run_addr(run, g));
	}
	pheap_sb_read_end();
}

/* A spare for a CPU that has none, else back to the page allocator. */
static void pheap_rcu_batch_recycle(struct pheap *p,
				    struct pheap_rcu_batch *b)
{
	int cpu;

	for_each_online_cpu(cpu)
		if (!cmpxchg(&per_cpu_ptr(p->rcu.cpu, cpu)->spare, NULL, b))
			return;
	pheap_rcu_page_put(p, b);
}

static void pheap_rcu_free_batches(struct pheap *p, struct llist_node *list)
{
	struct pheap_rcu_batch *b, *tmp;
	unsigned int i;

	llist_for_each_entry_safe(b, tmp, list, node) {
		for (i = 0; i < b->nr; i++) {
			if (!b->e[i].sb) {
				pheap_rcu_done_run(p, b->e[i].obj);
				continue;
			}
			pheap_rcu_done(p, b->e[i].sb,
				       reciprocal_divide(b->e[i].obj - b->e[i].sb->base,
							 p->ci[b->e[i].sb->cls].recip));
		}
		pheap_rcu_batch_recycle(p, b);
		cond_resched();
	}
}

/*
 * Free @sb's ripe blocks. Pinned meanwhile: the last of them freed, the
 * superblock may be released and its bits would go with it.
 */
static void pheap_rcu_free_ripe(struct pheap *p, struct pheap_sb *sb)
{
	unsigned int idx, nblocks = p->ci[sb->cls].nblocks;

	pheap_sb_pin(sb);
	for_each_set_bit(idx, sb->rcu_ripe, nblocks) {
		__clear_bit(idx, sb->rcu_ripe);
		pheap_rcu_done(p, sb, idx);
	}
	pheap_sb_unpin(sb);
}

static void pheap_rcu_free_large_list(struct pheap *p, struct list_head *list)
{
	struct page *page, *tmp;

	list_for_each_entry_safe(page, tmp, list, lru) {
		/* debug mode keeps the tag; pheap_large_free() unlinks it */
		if (page_private(page)) {
			pheap_debug_rcu_done_large(p, page);
		} else {
			list_del(&page->lru);
			pheap_large_rcu_done(p, page);
		}
	}
}

/*
 * One round: everything claimed before it, freed after a grace period.
 * Return: false if there was nothing to free.
 */
static bool pheap_rcu_round(struct pheap *p)
{
	struct pheap_run *run, *next_run;
	struct pheap_rcu_round r;
	struct pheap_sb *sb, *next;

	mutex_lock(&p->rcu.round_lock);
	if (!pheap_rcu_gather(p, &r)) {
		mutex_unlock(&p->rcu.round_lock);
		return false;
	}
	synchronize_rcu();
	this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_RCU_ROUND]);
	pheap_rcu_free_batches(p, r.batches);
	for (sb = r.ripe; sb; sb = next) {
		next = sb->rcu_ripe_next;	/* the free may unpin it */
		pheap_rcu_free_ripe(p, sb);
	}
	for (run = r.ripe_runs; run; run = next_run) {
		next_run = run->rcu_ripe_next;	/* the free may release it */
		pheap_rcu_free_ripe_run(p, run);
	}
	pheap_rcu_free_large_list(p, &r.large);
	mutex_unlock(&p->rcu.round_lock);
	return true;
}

static void pheap_rcu_work(struct work_struct *work)
{
	struct pheap *p = container_of(to_delayed_work(work), struct pheap,
				       rcu.work);

	if (pheap_rcu_round(p))
		mod_delayed_work(system_unbound_wq, &p->rcu.idle,
				 PHEAP_RCU_IDLE);
}

/* Every CPU's spare batch page back to the page allocator. */
static void pheap_rcu_put_spares(struct pheap *p)
{
	struct pheap_rcu_batch *b;
	int cpu;

	for_each_possible_cpu(cpu) {
		b = xchg(&per_cpu_ptr(p->rcu.cpu, cpu)->spare, NULL);
		if (b)
			pheap_rcu_page_put(p, b);
	}
}

static void pheap_rcu_idle(struct work_struct *work)
{
	pheap_rcu_put_spares(container_of(to_delayed_work(work), struct pheap,
					  rcu.idle));
}

/**
 * pheap_rcu_trim() - give the spare batch pages back now
 * @p: instance
 *
 * What PHEAP_RCU_IDLE without a round does.
 *
 * Context: any but NMI.
 */
void pheap_rcu_trim(struct pheap *p)
{
	pheap_rcu_put_spares(p);
}

/**
 * pheap_rcu_init() - no free waiting for a grace period yet
 * @p: instance being created
 *
 * Context: process context.
 * Return: 0 or -ENOMEM.
 */
int pheap_rcu_init(struct pheap *p)
{
	init_llist_head(&p->rcu.sealed);
	init_llist_head(&p->rcu.fallback);
	init_llist_head(&p->rcu.run_fallback);
	INIT_DELAYED_WORK(&p->rcu.work, pheap_rcu_work);
	INIT_DELAYED_WORK(&p->rcu.idle, pheap_rcu_idle);
	mutex_init(&p->rcu.round_lock);
	p->rcu.cpu = alloc_percpu(struct pheap_rcu_cpu);
	return p->rcu.cpu ? 0 : -ENOMEM;
}

/**
 * pheap_rcu_barrier() - free every block claimed by pheap_free_rcu() so far
 * @p: instance
 *
 * Hoard's blocks go to their owners as remote frees, collected as those
 * are.
 *
 * Context: process context; sleeps for a grace period or more.
 */
void pheap_rcu_barrier(struct pheap *p)
{
	while (pheap_rcu_round(p))
		;
}

/**
 * pheap_rcu_destroy() - wait for every free after a grace period, and
 *			 give the batch pages back
 * @p: instance being destroyed (or whose creation failed); no caller frees
 *     to it any more
 *
 * Context: process context; sleeps.
 */
void pheap_rcu_destroy(struct pheap *p)
{
	if (!p->rcu.cpu)
		return;
	cancel_delayed_work_sync(&p->rcu.work);
	pheap_rcu_barrier(p);
	cancel_delayed_work_sync(&p->rcu.idle);
	pheap_rcu_put_spares(p);
	free_percpu(p->rcu.cpu);
	p->rcu.cpu = NULL;
}
