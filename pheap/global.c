// SPDX-License-Identifier: GPL-2.0
/*
 * pheap global heap: superblocks no CPU heap holds.
 *
 * struct pheap_global: per class, a raw spinlock that protects the class's
 * fullness groups and the block state of every superblock in them. CPU
 * heaps put superblocks here when their threshold is crossed or their CPU
 * goes offline, and take them back when they run dry, partial ones before
 * empty ones (so a CPU fills what is already in use before it touches an
 * empty superblock, and empties drain towards the page allocator). Empty
 * superblocks beyond the reserve (cfg.global_reserve per class) go back
 * to the page allocator; the shrinker takes the reserve too under memory
 * pressure.
 *
 * Frees of blocks in global superblocks arrive lock free on the class's
 * remote list (remote.c). They are collected a batch at a time whenever
 * the class lock is taken, and by the global work item, armed by the
 * first push to an empty list, so that a class no CPU takes from still
 * gets its empty superblocks back to the page allocator.
 *
 * Pages are never released under the class lock: superblocks to release
 * go on the caller's list, which the caller releases once it holds no
 * pheap lock (the page allocator takes sleeping locks on PREEMPT_RT).
 *
 * Every move is traced: pheap_sb_to_global, pheap_sb_from_global
 * (trace.h).
 *
 * Context: every function here but the work and pheap_global_release_all()
 * may run with interrupts off; the class locks are taken with irqsave.
 */
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "internal.h"
#include "trace.h"

/* Put @sb on its fullness group. Class lock held. */
static void pheap_global_list(struct pheap *p, struct pheap_global_class *gc,
			      struct pheap_sb *sb)
{
	sb->group = pheap_group(&p->ci[sb->cls], sb->inuse);
	list_add(&sb->node, &gc->groups[sb->group]);
	if (sb->group == 0)
		gc->nr_empty++;
}

static void pheap_global_unlist(struct pheap_global_class *gc,
				struct pheap_sb *sb)
{
	if (sb->group == 0)
		gc->nr_empty--;
	list_del_init(&sb->node);
}

/* Take empty superblocks beyond @keep off the class, onto @out. */
static void pheap_global_trim(struct pheap_global_class *gc,
			      unsigned long keep, struct list_head *out)
{
	struct pheap_sb *sb;

	while (gc->nr_empty > keep) {
		sb = list_first_entry(&gc->groups[0], struct pheap_sb, node);
		pheap_global_unlist(gc, sb);
		gc->nr_sb--;
		list_add(&sb->node, out);
	}
}

/* Collect the remotely freed blocks of a global superblock. */
static void pheap_global_collect_sb(struct pheap *p,
				    struct pheap_global_class *gc,
				    struct pheap_sb *sb)
{
	pheap_global_unlist(gc, sb);
	gc->inuse -= pheap_remote_collect(p, sb);
	pheap_global_list(p, gc, sb);
}

/*
 * Collect at most one batch of the class's remote frees. Class lock held.
 * Superblocks released while queued go on @release.
 * Return: true when more wait.
 */
static bool pheap_global_collect(struct pheap *p, unsigned int cls,
				 struct list_head *release)
{
	struct pheap_global_class *gc = &p->global.cls[cls];
	struct pheap_sb *sb;
	unsigned int n;

	for (n = 0; n < PHEAP_COLLECT_BATCH; n++) {
		sb = pheap_remote_pop(p, &gc->remote, &gc->pending, release);
		if (!sb)	/* more only if a corrupt list was cut short */
			return !llist_empty(&gc->remote);
		if (!READ_ONCE(sb->owner))
			pheap_global_collect_sb(p, gc, sb);
		else
			pheap_remote_queue(p, sb);
	}
	return gc->pending || !llist_empty(&gc->remote);
}

/**
 * pheap_global_take() - a superblock for a CPU heap that ran dry
 * @p: instance
 * @cls: size class
 * @to: the CPU heap that will own it
 * @release: superblocks to give back to the page allocator go here
 *
 * In pheap_refill_groups[] order: partial superblocks before empty ones.
 *
 * Context: any; takes the class lock.
 * Return: the superblock, unlisted, owner set to @to; or NULL.
 */
struct pheap_sb *pheap_global_take(struct pheap *p, unsigned int cls,
				   struct pheap_heap *to,
				   struct list_head *release)
{
	struct pheap_global_class *gc = &p->global.cls[cls];
	struct pheap_sb *sb = NULL;
	unsigned long flags;
	unsigned int i;

	raw_spin_lock_irqsave(&gc->lock, flags);
	pheap_global_collect(p, cls, release);
	for (i = 0; i < ARRAY_SIZE(pheap_refill_groups) && !sb; i++)
		sb = list_first_entry_or_null(&gc->groups[pheap_refill_groups[i]],
					      struct pheap_sb, node);
	if (sb) {
		pheap_global_unlist(gc, sb);
		gc->nr_sb--;
		gc->inuse -= sb->inuse;
		pheap_sb_check(p, sb);
		WRITE_ONCE(sb->owner, to);
		trace_pheap_sb_from_global(p, sb);
	}
	raw_spin_unlock_irqrestore(&gc->lock, flags);
	return sb;
}

/**
 * pheap_global_put() - the global heap takes a superblock
 * @p: instance
 * @sb: superblock, detached from its CPU heap
 * @release: empty superblocks beyond the class's reserve are moved here;
 *	     the caller releases them once it holds no pheap lock
 *
 * Context: any; takes the class lock.
 */
void pheap_global_put(struct pheap *p, struct pheap_sb *sb,
		      struct list_head *release)
{
	struct pheap_global_class *gc = &p->global.cls[sb->cls];
	unsigned long flags;

	raw_spin_lock_irqsave(&gc->lock, flags);
	pheap_sb_check(p, sb);
	trace_pheap_sb_to_global(p, sb);
	WRITE_ONCE(sb->owner, NULL);
	gc->nr_sb++;
	gc->inuse += sb->inuse;
	pheap_global_list(p, gc, sb);
	pheap_global_collect(p, sb->cls, release);
	pheap_global_trim(gc, p->cfg.global_reserve, release);
	raw_spin_unlock_irqrestore(&gc->lock, flags);
}

/**
 * pheap_global_drain() - collect every free waiting for a global class
 * @p: instance
 * @cls: size class
 *
 * A batch at a time, the lock dropped between batches; empty superblocks
 * beyond the reserve go back to the page allocator.
 *
 * Context: any but hardirq; takes the class lock, holds no pheap lock.
 */
void pheap_global_drain(struct pheap *p, unsigned int cls)
{
	struct pheap_global_class *gc = &p->global.cls[cls];
	unsigned long flags;
	LIST_HEAD(release);
	bool more;

	do {
		raw_spin_lock_irqsave(&gc->lock, flags);
		more = pheap_global_collect(p, cls, &release);
		pheap_global_trim(gc, p->cfg.global_reserve, &release);
		raw_spin_unlock_irqrestore(&gc->lock, flags);
		pheap_sb_release_list(p, &release);
	} while (more);
}

static void pheap_global_work(struct work_struct *work)
{
	struct pheap_global *g = container_of(to_delayed_work(work),
					      struct pheap_global, work);
	struct pheap *p = container_of(g, struct pheap, global);
	unsigned int c;

	for (c = 0; c < PHEAP_NR_CLASSES; c++) {
		pheap_global_drain(p, c);
		cond_resched();
	}
}

/**
 * pheap_global_init() - an empty global heap
 * @p: instance being created
 *
 * Context: process context.
 */
void pheap_global_init(struct pheap *p)
{
	unsigned int c, g;

	for (c = 0; c < PHEAP_NR_CLASSES; c++) {
		struct pheap_global_class *gc = &p->global.cls[c];

		raw_spin_lock_init(&gc->lock);
		for (g = 0; g < PHEAP_GROUPS; g++)
			INIT_LIST_HEAD(&gc->groups[g]);
		init_llist_head(&gc->remote);
	}
	INIT_DELAYED_WORK(&p->global.work, pheap_global_work);
}

/**
 * pheap_global_shrink() - give empty superblocks back, reserve included
 * @p: instance
 * @nr_pages: stop once at least this many pages went back
 *
 * Context: no pheap lock held; takes the class locks one at a time.
 * Return: pages given back.
 */
unsigned long pheap_global_shrink(struct pheap *p, unsigned long nr_pages)
{
	unsigned long flags, freed = 0;
	unsigned int c;
	LIST_HEAD(release);

	for (c = 0; c < PHEAP_NR_CLASSES && freed < nr_pages; c++) {
		struct pheap_global_class *gc = &p->global.cls[c];

		raw_spin_lock_irqsave(&gc->lock, flags);
		pheap_global_collect(p, c, &release);
		while (gc->nr_empty && freed < nr_pages) {
			pheap_global_trim(gc, gc->nr_empty - 1, &release);
			freed += 1UL << p->ci[c].order;
		}
		raw_spin_unlock_irqrestore(&gc->lock, flags);
	}
	pheap_sb_release_list(p, &release);
	return freed;
}

/**
 * pheap_global_empty_pages() - pages in empty global superblocks
 * @p: instance
 *
 * Context: any; racy read, for the shrinker's count.
 * Return: the pages pheap_global_shrink() could give back now.
 */
unsigned long pheap_global_empty_pages(struct pheap *p)
{
	unsigned long n = 0;
	unsigned int c;

	for (c = 0; c < PHEAP_NR_CLASSES; c++)
		/* racy: a hint for the shrinker, which locks when it scans */
		n += data_race(READ_ONCE(p->global.cls[c].nr_empty)) <<
		     p->ci[c].order;
	return n;
}

/**
 * pheap_global_release_all() - free every superblock of the global heap
 * @p: instance being destroyed, every CPU heap already evicted
 *
 * Context: process context, nothing else using @p.
 * Return: blocks that were still in use (leaks).
 */
unsigned long pheap_global_release_all(struct pheap *p)
{
	unsigned long leaked = 0;
	struct pheap_sb *sb, *tmp;
	unsigned int c, g;

	for (c = 0; c < PHEAP_NR_CLASSES; c++) {
		struct pheap_global_class *gc = &p->global.cls[c];

		pheap_global_drain(p, c);
		for (g = 0; g < PHEAP_GROUPS; g++) {
			list_for_each_entry_safe(sb, tmp, &gc->groups[g], node) {
				leaked += sb->inuse;
				list_del(&sb->node);
				pheap_sb_release(p, sb);
			}
		}
		gc->nr_sb = 0;
		gc->inuse = 0;
		gc->nr_empty = 0;
	}
	return leaked;
}
