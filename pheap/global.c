// SPDX-License-Identifier: GPL-2.0
/*
 * pheap global heap: superblocks no CPU heap holds.
 *
 * struct pheap_global: per memory node and class, a raw spinlock that
 * protects the class's fullness groups and the block state of every
 * superblock in them. A superblock is listed on the node of its pages,
 * and a CPU heap takes from its own node's class first, from another
 * node's only when its own has none (without NUMA: one node). CPU heaps
 * put superblocks here when their threshold is crossed or their CPU
 * goes offline, and take them back when they run dry, partial ones before
 * empty ones (so a CPU fills what is already in use before it touches an
 * empty superblock, and empties drain towards the page allocator). Empty
 * superblocks beyond the reserve (cfg.global_reserve per class and node)
 * go back to the page allocator; the shrinker takes the reserve too under
 * memory pressure.
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
#include <linux/nodemask.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "class.h"
#include "global.h"
#include "heap.h"
#include "instance.h"
#include "remote.h"
#include "sb.h"
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
 * Does collecting a block wipe it (init_on_free; debug mode poisons
 * instead)? Then the global heap collects only where it can drop its
 * lock around the wipe, its work item (pheap_global_drain_node()): a
 * wipe is up to a superblock's bytes, too long for a raw lock with
 * interrupts off.
 */
static bool pheap_global_wipes(struct pheap *p)
{
	return want_init_on_free() && !pheap_debug_on(p);
}

/*
 * Collect at most one batch of the class's remote frees. Class lock held.
 * Superblocks released while queued go on @release. Nothing when the
 * collection would wipe: the work item collects then.
 * Return: true when more wait.
 */
static bool pheap_global_collect(struct pheap *p,
				 struct pheap_global_class *gc,
				 struct list_head *release)
{
	struct pheap_sb *sb;
	unsigned int n;

	if (pheap_global_wipes(p))
		return gc->pending || !llist_empty(&gc->remote);
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

/* pheap_global_take() on one node's class. */
static struct pheap_sb *pheap_global_take_node(struct pheap *p, int nid,
					       unsigned int cls,
					       struct pheap_heap *to,
					       struct list_head *release)
{
	struct pheap_global_class *gc = pheap_gclass(p, nid, cls);
	struct pheap_sb *sb = NULL;
	unsigned long flags;
	unsigned int i;

	raw_spin_lock_irqsave(&gc->lock, flags);
	pheap_global_collect(p, gc, release);
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
 * pheap_global_take() - a superblock for a CPU heap that ran dry
 * @p: instance
 * @cls: size class
 * @to: the CPU heap that will own it
 * @release: superblocks to give back to the page allocator go here
 *
 * From @to's CPU's node first; another node's only when that node has
 * none. Within a node, in pheap_refill_groups[] order: partial
 * superblocks before empty ones.
 *
 * Context: any; takes the class locks, one at a time.
 * Return: the superblock, unlisted, owner set to @to; or NULL.
 */
struct pheap_sb *pheap_global_take(struct pheap *p, unsigned int cls,
				   struct pheap_heap *to,
				   struct list_head *release)
{
	int home = cpu_to_mem(to->cpu), nid;
	struct pheap_sb *sb;

	sb = pheap_global_take_node(p, home, cls, to, release);
	for_each_node(nid) {
		if (sb)
			break;
		if (nid != home)
			sb = pheap_global_take_node(p, nid, cls, to, release);
	}
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
	struct pheap_global_class *gc = pheap_gclass(p, sb->nid, sb->cls);
	unsigned long flags;

	raw_spin_lock_irqsave(&gc->lock, flags);
	pheap_sb_check(p, sb);
	trace_pheap_sb_to_global(p, sb);
	WRITE_ONCE(sb->owner, NULL);
	gc->nr_sb++;
	gc->inuse += sb->inuse;
	pheap_global_list(p, gc, sb);
	pheap_global_collect(p, gc, release);
	pheap_global_trim(gc, p->cfg.global_reserve, release);
	raw_spin_unlock_irqrestore(&gc->lock, flags);
}

/*
 * A block from @sb, listed in @gc: its head, unless that is not a block
 * to hand out here (a corrupt link, a live block, or a remote-free bit on
 * a free block: the CPU heap that takes the superblock sorts those out, heap.c).
 * Class lock held.
 */
static void *pheap_global_pop(struct pheap *p, struct pheap_global_class *gc,
			      struct pheap_sb *sb, size_t size)
{
	unsigned int idx = sb->free;
	void *obj;
	u64 next;

	if (idx >= sb->nblocks)
		return NULL;
	obj = pheap_sb_block(p, sb, idx);
	if (!pheap_sb_head_ok(sb, obj, idx, &next) ||
	    pheap_sb_remote_freed(sb, idx))
		return NULL;
	pheap_global_unlist(gc, sb);
	pheap_sb_take(sb, obj, idx, next);
	pheap_global_list(p, gc, sb);
	gc->inuse++;
	gc->allocs++;
	gc->req_bytes += size;
	return obj;
}

/*
 * A block from the first superblock of each group of a class that is not
 * full, fullest first: at most PHEAP_FULL superblocks looked at, so the
 * work under the class lock does not grow with the heap.
 */
static void *pheap_global_pop_any(struct pheap *p,
				  struct pheap_global_class *gc, size_t size)
{
	struct pheap_sb *sb;
	unsigned int g;
	void *obj;

	for (g = PHEAP_FULL; g-- > 0;) {
		sb = list_first_entry_or_null(&gc->groups[g], struct pheap_sb,
					      node);
		obj = sb ? pheap_global_pop(p, gc, sb, size) : NULL;
		if (obj)
			return obj;
	}
	return NULL;
}

/**
 * pheap_global_alloc() - a block straight from the global heap's class
 *			  of a node
 * @p: instance
 * @cls: size class
 * @size: bytes requested, for the statistics
 * @gfp: allocation flags (__GFP_THISNODE: a block of @nid or none)
 * @nid: the memory node asked for, an online one
 *
 * For a context that may not use its CPU's heap (heap.c: it interrupted
 * the heap's holder), and for a block of another node than this CPU's
 * (pheap_alloc_node()). From @nid's class: a partial superblock (fullest
 * first), else an empty one, else a new superblock, which the global
 * heap keeps (on another node if the page allocator fell back). The
 * block stays the global heap's; its free takes the remote way, and the
 * class's collector gets it back.
 *
 * Context: any pheap serves; takes the class lock, and calls the page
 * allocator with none held.
 * Return: the block, or NULL.
 */
void *pheap_global_alloc(struct pheap *p, unsigned int cls, size_t size,
			 gfp_t gfp, int nid)
{
	struct pheap_global_class *gc = pheap_gclass(p, nid, cls);
	unsigned long flags;
	struct pheap_sb *sb;
	void *obj;

	raw_spin_lock_irqsave(&gc->lock, flags);
	obj = pheap_global_pop_any(p, gc, size);
	raw_spin_unlock_irqrestore(&gc->lock, flags);
	if (obj)
		return obj;
	sb = pheap_sb_new(p, cls, gfp, nid);
	if (!sb)
		return NULL;
	gc = pheap_gclass(p, sb->nid, cls);
	raw_spin_lock_irqsave(&gc->lock, flags);
	trace_pheap_sb_to_global(p, sb);
	gc->nr_sb++;
	pheap_global_list(p, gc, sb);
	obj = pheap_global_pop(p, gc, sb, size);
	raw_spin_unlock_irqrestore(&gc->lock, flags);
	return obj;
}

/* Collect every free waiting for one node's class, a batch at a time. */
/*
 * One superblock's remote frees, wiped, the class lock dropped around the
 * wipe: unlisted meanwhile, the superblock is this collector's alone (no
 * refill or allocation finds it; remote frees into it go on, atomically).
 * Class lock held on entry and on return, *@flags its saved state.
 * Return: true when more wait.
 */
static bool pheap_global_collect_wiping(struct pheap *p,
					struct pheap_global_class *gc,
					struct list_head *release,
					unsigned long *flags)
{
	struct pheap_sb *sb;
	unsigned int n;

	sb = pheap_remote_pop(p, &gc->remote, &gc->pending, release);
	if (!sb)
		return !llist_empty(&gc->remote);
	if (READ_ONCE(sb->owner)) {
		pheap_remote_queue(p, sb);
	} else {
		pheap_global_unlist(gc, sb);
		raw_spin_unlock_irqrestore(&gc->lock, *flags);
		n = pheap_remote_collect(p, sb);
		raw_spin_lock_irqsave(&gc->lock, *flags);
		gc->inuse -= n;
		pheap_global_list(p, gc, sb);
	}
	return gc->pending || !llist_empty(&gc->remote);
}

static void pheap_global_drain_node(struct pheap *p,
				    struct pheap_global_class *gc)
{
	unsigned long flags;
	LIST_HEAD(release);
	bool more;

	do {
		raw_spin_lock_irqsave(&gc->lock, flags);
		if (pheap_global_wipes(p))
			more = pheap_global_collect_wiping(p, gc, &release,
							   &flags);
		else
			more = pheap_global_collect(p, gc, &release);
		pheap_global_trim(gc, p->cfg.global_reserve, &release);
		raw_spin_unlock_irqrestore(&gc->lock, flags);
		pheap_sb_release_list(p, &release);
	} while (more);
}

/**
 * pheap_global_drain() - collect every free waiting for a global class
 * @p: instance
 * @cls: size class
 *
 * On every node, a batch at a time, the lock dropped between batches;
 * empty superblocks beyond the reserve go back to the page allocator.
 *
 * Context: any but hardirq; takes the class locks, holds no pheap lock.
 */
void pheap_global_drain(struct pheap *p, unsigned int cls)
{
	int nid;

	for_each_node(nid)
		pheap_global_drain_node(p, pheap_gclass(p, nid, cls));
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
 * pheap_global_init() - an empty global heap, its classes on every node
 * @p: instance being created
 *
 * Context: process context.
 * Return: 0, or -ENOMEM (nothing to undo then).
 */
int pheap_global_init(struct pheap *p)
{
	struct pheap_global_class *gc;
	unsigned int c, g;
	int nid;

	p->global.node = kcalloc(nr_node_ids, sizeof(*p->global.node),
				 GFP_KERNEL);
	if (!p->global.node)
		return -ENOMEM;
	for_each_node(nid) {
		p->global.node[nid] = kzalloc(sizeof(*p->global.node[nid]),
					      GFP_KERNEL);
		if (!p->global.node[nid]) {
			pheap_global_free(p);
			return -ENOMEM;
		}
		for (c = 0; c < PHEAP_NR_CLASSES; c++) {
			gc = pheap_gclass(p, nid, c);
			raw_spin_lock_init(&gc->lock);
			for (g = 0; g < PHEAP_GROUPS; g++)
				INIT_LIST_HEAD(&gc->groups[g]);
			init_llist_head(&gc->remote);
		}
	}
	INIT_DELAYED_WORK(&p->global.work, pheap_global_work);
	return 0;
}

/**
 * pheap_global_free() - free what pheap_global_init() allocated
 * @p: instance, its global heap empty
 *
 * Context: process context.
 */
void pheap_global_free(struct pheap *p)
{
	int nid;

	if (!p->global.node)
		return;
	for_each_node(nid)
		kfree(p->global.node[nid]);
	kfree(p->global.node);
	p->global.node = NULL;
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
	int nid;

	for_each_node(nid) {
		for (c = 0; c < PHEAP_NR_CLASSES && freed < nr_pages; c++) {
			struct pheap_global_class *gc = pheap_gclass(p, nid, c);

			raw_spin_lock_irqsave(&gc->lock, flags);
			pheap_global_collect(p, gc, &release);
			while (gc->nr_empty && freed < nr_pages) {
				pheap_global_trim(gc, gc->nr_empty - 1, &release);
				freed += 1UL << p->ci[c].order;
			}
			raw_spin_unlock_irqrestore(&gc->lock, flags);
		}
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
	int nid;

	for_each_node(nid)
		for (c = 0; c < PHEAP_NR_CLASSES; c++)
			/* racy: a hint for the shrinker, which locks to scan */
			n += data_race(READ_ONCE(pheap_gclass(p, nid, c)->nr_empty)) <<
			     p->ci[c].order;
	return n;
}

/**
 * pheap_global_release_all() - free every superblock of the global heap
 * @p: instance being destroyed, every CPU heap already evicted
 *
 * The remote lists drained, a superblock with remote frees left was on a
 * list cut short by a corrupt node (remote.c): they are collected here.
 *
 * Context: process context, nothing else using @p.
 * Return: blocks that were still in use (leaks).
 */
unsigned long pheap_global_release_all(struct pheap *p)
{
	unsigned long leaked = 0;
	struct pheap_sb *sb, *tmp;
	unsigned int c, g;
	int nid;

	for (c = 0; c < PHEAP_NR_CLASSES; c++) {
		pheap_global_drain(p, c);
		for_each_node(nid) {
			struct pheap_global_class *gc = pheap_gclass(p, nid, c);

			for (g = 0; g < PHEAP_GROUPS; g++) {
				list_for_each_entry_safe(sb, tmp, &gc->groups[g],
							 node) {
					/* dropped from a cut remote list */
					pheap_remote_collect(p, sb);
					/* quarantined blocks are no leak */
					leaked += sb->inuse - sb->lost;
					list_del(&sb->node);
					pheap_sb_release(p, sb);
				}
			}
			gc->nr_sb = 0;
			gc->inuse = 0;
			gc->nr_empty = 0;
		}
	}
	return leaked;
}
