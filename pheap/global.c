// SPDX-License-Identifier: GPL-2.0
/*
 * pheap global heap: superblocks no CPU heap holds.
 *
 * One struct pheap_heap (p->global) with a raw spinlock per class
 * (p->gcls[c].lock) that protects the class's lists and the block state of
 * every superblock in them. CPU heaps put superblocks here when the
 * threshold is crossed or their CPU goes offline, and take them back when
 * they run dry, fullest first. Empty superblocks beyond the reserve
 * (global_reserve per class) go back to the page allocator at once; the
 * shrinker frees the reserve too under memory pressure.
 *
 * Frees of blocks in global superblocks arrive lock free on
 * p->gcls[c].remote and are collected whenever the class lock is taken.
 *
 * Pages are released after the lock is dropped (__free_pages() and kfree()
 * under a raw spinlock would nest a sleeping lock on PREEMPT_RT).
 *
 * Context: every function here may run with interrupts off; the locks are
 * taken with irqsave.
 */
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/spinlock.h>

#include "internal.h"

static void pheap_global_list(struct pheap *p, struct pheap_sb *sb)
{
	struct pheap_global_class *gc = &p->gcls[sb->cls];

	pheap_heap_list(p, &p->global, sb);
	if (sb->group == 0)
		gc->nr_empty++;
}

static void pheap_global_unlist(struct pheap *p, struct pheap_sb *sb)
{
	struct pheap_global_class *gc = &p->gcls[sb->cls];

	if (sb->group == 0)
		gc->nr_empty--;
	list_del_init(&sb->node);
}

/* Take empty superblocks beyond @keep off class @cls, onto @out. */
static void pheap_global_trim(struct pheap *p, unsigned int cls,
			      unsigned long keep, struct list_head *out)
{
	struct pheap_heap_class *hc = &p->global.cls[cls];
	struct pheap_sb *sb;

	while (p->gcls[cls].nr_empty > keep) {
		sb = list_first_entry(&hc->groups[0], struct pheap_sb, node);
		pheap_global_unlist(p, sb);
		hc->nr_sb--;
		list_add(&sb->node, out);
	}
}

static void pheap_release_list(struct pheap *p, struct list_head *list)
{
	struct pheap_sb *sb, *tmp;

	list_for_each_entry_safe(sb, tmp, list, node) {
		list_del(&sb->node);
		pheap_sb_release(p, sb);
	}
}

/* Free one block into a global superblock. Class lock held. */
static void pheap_global_take_remote(struct pheap *p, struct pheap_heap *g,
				     struct pheap_sb *sb, void *obj)
{
	struct pheap_heap_class *hc = &g->cls[sb->cls];

	pheap_global_unlist(p, sb);
	*(void **)obj = sb->free;
	sb->free = obj;
	sb->inuse--;
	hc->inuse--;
	pheap_global_list(p, sb);
}

/* Collect the class's remote frees. Class lock held. */
static void pheap_global_drain_locked(struct pheap *p, unsigned int cls)
{
	pheap_collect(p, &p->gcls[cls].remote, &p->global,
		      pheap_global_take_remote);
}

/**
 * pheap_global_take() - a superblock for a CPU heap that ran dry
 * @p: instance
 * @cls: size class
 * @to: the CPU heap that will own it
 *
 * Fullest first: a superblock with free blocks, else an empty one.
 *
 * Context: any; takes the class lock.
 * Return: the superblock, unlisted, owner set to @to; or NULL.
 */
struct pheap_sb *pheap_global_take(struct pheap *p, unsigned int cls,
				   struct pheap_heap *to)
{
	struct pheap_global_class *gc = &p->gcls[cls];
	struct pheap_heap_class *hc = &p->global.cls[cls];
	struct pheap_sb *sb = NULL;
	unsigned long flags;
	int g;

	raw_spin_lock_irqsave(&gc->lock, flags);
	pheap_global_drain_locked(p, cls);
	for (g = PHEAP_FULL - 1; g >= 0 && !sb; g--)
		sb = list_first_entry_or_null(&hc->groups[g], struct pheap_sb,
					      node);
	if (sb) {
		pheap_global_unlist(p, sb);
		hc->nr_sb--;
		hc->inuse -= sb->inuse;
		pheap_sb_check(p, sb);
		WRITE_ONCE(sb->owner, to);
	}
	raw_spin_unlock_irqrestore(&gc->lock, flags);
	return sb;
}

/**
 * pheap_global_put() - the global heap takes a superblock
 * @p: instance
 * @sb: superblock, detached from its CPU heap
 *
 * Keeps at most cfg.global_reserve empty superblocks of the class; the
 * rest go back to the page allocator.
 *
 * Context: any; takes the class lock.
 */
void pheap_global_put(struct pheap *p, struct pheap_sb *sb)
{
	unsigned int cls = sb->cls;
	struct pheap_global_class *gc = &p->gcls[cls];
	struct pheap_heap_class *hc = &p->global.cls[cls];
	unsigned long flags;
	LIST_HEAD(release);

	raw_spin_lock_irqsave(&gc->lock, flags);
	pheap_sb_check(p, sb);
	WRITE_ONCE(sb->owner, &p->global);
	hc->nr_sb++;
	hc->inuse += sb->inuse;
	pheap_global_list(p, sb);
	pheap_global_drain_locked(p, cls);
	pheap_global_trim(p, cls, p->cfg.global_reserve, &release);
	raw_spin_unlock_irqrestore(&gc->lock, flags);
	pheap_release_list(p, &release);
}

/**
 * pheap_global_drain() - collect the frees waiting for a global class
 * @p: instance
 * @cls: size class
 *
 * Context: any; takes the class lock.
 */
void pheap_global_drain(struct pheap *p, unsigned int cls)
{
	struct pheap_global_class *gc = &p->gcls[cls];
	unsigned long flags;
	LIST_HEAD(release);

	raw_spin_lock_irqsave(&gc->lock, flags);
	pheap_global_drain_locked(p, cls);
	pheap_global_trim(p, cls, p->cfg.global_reserve, &release);
	raw_spin_unlock_irqrestore(&gc->lock, flags);
	pheap_release_list(p, &release);
}

/**
 * pheap_global_shrink() - give empty superblocks back, reserve included
 * @p: instance
 * @nr: at most this many superblocks
 *
 * Context: any; takes the class locks one at a time.
 * Return: pages given back.
 */
unsigned long pheap_global_shrink(struct pheap *p, unsigned long nr)
{
	unsigned long flags, freed = 0, keep;
	unsigned int c;
	LIST_HEAD(release);

	for (c = 0; c < PHEAP_NR_CLASSES && freed < nr; c++) {
		struct pheap_global_class *gc = &p->gcls[c];

		raw_spin_lock_irqsave(&gc->lock, flags);
		pheap_global_drain_locked(p, c);
		keep = gc->nr_empty > nr - freed ? gc->nr_empty - (nr - freed) : 0;
		freed += gc->nr_empty - keep;
		pheap_global_trim(p, c, keep, &release);
		raw_spin_unlock_irqrestore(&gc->lock, flags);
	}
	pheap_release_list(p, &release);
	return freed << p->cfg.sb_order;
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
		n += data_race(READ_ONCE(p->gcls[c].nr_empty));
	return n << p->cfg.sb_order;
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
		struct pheap_heap_class *hc = &p->global.cls[c];

		pheap_global_drain(p, c);
		for (g = 0; g < PHEAP_GROUPS; g++) {
			list_for_each_entry_safe(sb, tmp, &hc->groups[g], node) {
				leaked += sb->inuse;
				list_del(&sb->node);
				pheap_sb_release(p, sb);
			}
		}
		hc->nr_sb = 0;
		hc->inuse = 0;
		p->gcls[c].nr_empty = 0;
	}
	return leaked;
}
