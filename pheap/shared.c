// SPDX-License-Identifier: GPL-2.0
/*
 * pheap's single-heap designs: kheap, serial and class-lock.
 *
 * Three designs of pheap's lecture notes share one heap between all CPUs.
 * They differ in the lock and in how a free finds its block's superblock:
 *
 *   kheap	"KHEAP allocator [Kernel heap from OS161]: has different size
 *		classes for different memory sizes ... On free it has to
 *		search everything to find what size it was part of." One
 *		lock. A superblock is OS/161's pageref; the pagerefs of a
 *		class are linked from its size base (partial ones, then full
 *		ones), and pheap_free() walks them, class after class, until
 *		it meets the pageref whose pages hold the pointer: O(pagerefs
 *		held), on purpose. Each pageref passed counts in
 *		PHEAP_EV_WALKED. The walk runs under the lock with interrupts
 *		off: its cost is the design's, and is why pheap's other
 *		designs find a block's superblock from its struct page.
 *
 *   serial	"Single Serial Heap: poor scalability [global lock], active
 *		false sharing, + low fragmentation, + fast." One lock for
 *		the whole heap; a free finds its superblock in O(1)
 *		(pheap_sb_lookup()). Consecutive allocations, whichever CPU
 *		makes them, get neighbouring blocks: blocks of different CPUs
 *		share cache lines (active false sharing).
 *
 *   class-lock	"Concurrent Heap: lock-per-size class [finer grain locking],
 *		active false sharing." serial with a lock per size class:
 *		CPUs allocating different sizes no longer wait for each other;
 *		CPUs allocating one size still do, and still share lines.
 *
 * The heap: per class, the superblocks with a free block (@partial) and
 * those without (@full); allocations take the first partial one's first
 * free block. A free that empties a superblock keeps it while the class
 * has fewer than cfg.global_reserve empty ones, else gives its pages back
 * after the lock is dropped (never where PREEMPT_RT forbids: it is kept).
 * Blocks use the superblock's free list and live bitmap (sb.h), so
 * double frees and corrupt links are caught as in every design.
 *
 * Statistics: every acquisition of the heap's lock counts in PHEAP_EV_LOCK,
 * and one that found it taken (a failed trylock first) in
 * PHEAP_EV_LOCK_CONTENDED. The shared heap's superblocks are reported as
 * the global heap's (sb_global): no CPU owns them.
 *
 * Context: the locks are raw spinlocks taken with interrupts off, so
 * every context pheap serves may allocate and free (PREEMPT_RT included,
 * where allocations with interrupts or preemption off are refused before
 * they get here: alloc.c). The page allocator is called with no lock held.
 *
 * The kmalloc family: pheap_alloc_nolock() gets NULL, counted (a shared
 * lock is exactly what nolock may not wait for); node and bulk calls take
 * the plain paths; pheap_free_rcu() claims a block by a held bit set
 * under the lock its frees take, which they check.
 */
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "class.h"
#include "design.h"
#include "heap.h"
#include "instance.h"
#include "page.h"
#include "report.h"
#include "sb.h"

/**
 * struct pheap_shared_class - one size class of the shared heap
 * @lock:     class-lock: protects this class; kheap and serial: only class
 *	      0's lock is used, and protects every class
 * @partial:  superblocks with a free block (kheap: the size base's list)
 * @full:     superblocks without one
 * @nr_sb:    superblocks held
 * @inuse:    blocks in use in them
 * @nr_empty: of them, empty
 *
 * Everything but @lock is under the lock that protects the class.
 */
struct pheap_shared_class {
	raw_spinlock_t lock;
	struct list_head partial, full;
	unsigned long nr_sb, inuse, nr_empty;
} ____cacheline_aligned_in_smp;

/**
 * struct pheap_shared - the heap kheap, serial and class-lock share
 * @cls: per size class
 */
struct pheap_shared {
	struct pheap_shared_class cls[PHEAP_NR_CLASSES];
};

static struct pheap_shared_class *pheap_shared_class(struct pheap *p,
						     unsigned int cls)
{
	return &p->shared->cls[cls];
}

static raw_spinlock_t *pheap_shared_lock_of(struct pheap *p, unsigned int cls)
{
	if (p->ops->class_locks)
		return &p->shared->cls[cls].lock;
	return &p->shared->cls[0].lock;
}

/* Take @lock with interrupts off, counting the acquisition and a wait. */
static unsigned long pheap_shared_lock(struct pheap *p, raw_spinlock_t *lock)
	__acquires(lock)
{
	unsigned long flags;

	local_irq_save(flags);
	if (!raw_spin_trylock(lock)) {
		this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_LOCK_CONTENDED]);
		raw_spin_lock(lock);
	}
	this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_LOCK]);
	return flags;
}

static void pheap_shared_unlock(raw_spinlock_t *lock, unsigned long flags)
	__releases(lock)
{
	raw_spin_unlock_irqrestore(lock, flags);
}

/*
 * The first free block of @sb's list is corrupt (a caller wrote into a
 * free block, pheap_sb_head_ok()): its free blocks count as in use for good (sb->lost), and
 * @sb is full from now on.
 */
static void pheap_shared_quarantine(struct pheap *p,
				    struct pheap_shared_class *sc,
				    struct pheap_sb *sb, void *obj)
{
	unsigned int lost = sb->nblocks - sb->inuse;

	pheap_report_corrupt_link(p, obj, sb, pheap_csize(sb->cls), lost);
	if (!sb->inuse)
		sc->nr_empty--;
	sb->free = sb->nblocks;
	sb->lost += lost;
	sb->inuse += lost;
	sc->inuse += lost;
	list_move(&sb->node, &sc->full);
}

/* A block of class @cls from the first partial superblock, or NULL. */
static void *pheap_shared_pop(struct pheap *p, struct pheap_shared_class *sc,
			      unsigned int cls)
{
	struct pheap_sb *sb;
	unsigned int idx;
	void *obj;
	u64 next;

	while ((sb = list_first_entry_or_null(&sc->partial, struct pheap_sb,
					      node))) {
		idx = sb->free;
		obj = pheap_sb_block(p, sb, idx);
		if (unlikely(!pheap_sb_head_ok(sb, obj, idx, &next))) {
			pheap_shared_quarantine(p, sc, sb, obj);
			continue;
		}
		if (!sb->inuse)
			sc->nr_empty--;
		pheap_sb_take(sb, obj, idx, next);
		sc->inuse++;
		if (sb->free >= sb->nblocks)
			list_move(&sb->node, &sc->full);
		return obj;
	}
	return NULL;
}

/* A new superblock joins class @cls, empty, at the head of its partials. */
static void pheap_shared_add(struct pheap_shared_class *sc,
			     struct pheap_sb *sb)
{
	list_add(&sb->node, &sc->partial);
	sc->nr_sb++;
	sc->nr_empty++;
}

/**
 * pheap_shared_alloc() - a block from the shared heap
 * @p: a kheap, serial or class-lock instance
 * @cls: size class
 * @size: bytes requested, for the statistics
 * @gfp: allocation flags, for a new superblock
 *
 * Context: as pheap_alloc_in().
 * Return: the block, contents as they are, or NULL.
 */
static void *pheap_shared_alloc(struct pheap *p, unsigned int cls, size_t size,
				gfp_t gfp)
{
	struct pheap_shared_class *sc = pheap_shared_class(p, cls);
	raw_spinlock_t *lock = pheap_shared_lock_of(p, cls);
	struct pheap_sb *sb;
	unsigned long flags;
	void *obj;

	flags = pheap_shared_lock(p, lock);
	obj = pheap_shared_pop(p, sc, cls);
	pheap_shared_unlock(lock, flags);
	if (!obj) {
		this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_REFILL]);
		sb = pheap_sb_new(p, cls, gfp, numa_mem_id());
		if (!sb)
			return NULL;
		flags = pheap_shared_lock(p, lock);
		pheap_shared_add(sc, sb);
		obj = pheap_shared_pop(p, sc, cls);
		pheap_shared_unlock(lock, flags);
		if (!obj)
			return NULL;
	}
	this_cpu_dec(p->cpu_heaps->cls[cls].moved);
	this_cpu_add(p->cpu_heaps->cls[cls].req_bytes, size);
	return obj;
}

/*
 * Block @idx of @sb back. Return: the superblock to give back to the page
 * allocator once the lock is dropped, or NULL.
 */
static struct pheap_sb *pheap_shared_put(struct pheap *p,
					 struct pheap_shared_class *sc,
					 struct pheap_sb *sb, void *obj,
					 unsigned int idx)
{
	bool was_full = sb->free >= sb->nblocks;

	if (unlikely(want_init_on_free()))
		memset(obj, 0, pheap_csize(sb->cls));
	pheap_sb_put(sb, obj, idx);
	sc->inuse--;
	if (was_full)
		list_move(&sb->node, &sc->partial);
	if (sb->inuse)
		return NULL;
	if (sc->nr_empty >= p->cfg.global_reserve && !pheap_rt_atomic()) {
		list_del(&sb->node);
		sc->nr_sb--;
		return sb;
	}
	sc->nr_empty++;
	list_move_tail(&sb->node, &sc->partial);	/* partial ones first */
	return NULL;
}

/*
 * Under the lock: free @obj, block @idx of @sb, unless it is not live or
 * pheap_free_rcu() holds it.
 */
static bool pheap_shared_free_locked(struct pheap *p,
				     struct pheap_shared_class *sc,
				     struct pheap_sb *sb, void *obj,
				     unsigned int idx, struct pheap_sb **release)
{
	if (unlikely(!test_bit(idx, sb->live) || test_bit(idx, sb->rcu_held)))
		return false;
	*release = pheap_shared_put(p, sc, sb, obj, idx);
	return true;
}

static void pheap_shared_freed(struct pheap *p, struct pheap_sb *release,
			       unsigned int cls)
{
	this_cpu_inc(p->cpu_heaps->cls[cls].frees);
	this_cpu_inc(p->cpu_heaps->cls[cls].moved);
	if (release)
		pheap_sb_release(p, release);
}

/**
 * pheap_shared_free() - free a block found in O(1) (serial, class-lock)
 * @p: the instance
 * @sb: its superblock, of @p (checked by the caller)
 * @obj: the block, a block start of @sb
 * @idx: its index
 * @caller: for the report of a double free
 *
 * Context: as pheap_free_in().
 */
static void pheap_shared_free(struct pheap *p, struct pheap_sb *sb, void *obj,
			      unsigned int idx, unsigned long caller)
{
	unsigned int cls = sb->cls;
	raw_spinlock_t *lock = pheap_shared_lock_of(p, cls);
	struct pheap_sb *release = NULL;
	unsigned long flags;
	bool freed;

	flags = pheap_shared_lock(p, lock);
	freed = pheap_shared_free_locked(p, pheap_shared_class(p, cls), sb,
					 obj, idx, &release);
	pheap_shared_unlock(lock, flags);
	if (!freed) {
		pheap_report_bad_free(p, obj, "double free", caller);
		return;
	}
	pheap_shared_freed(p, release, cls);
}

/*
 * pheap_free_rcu()'s claim (design.h): the block's held bit, set under the
 * lock its frees take. The claim finds the block from its struct page,
 * kheap's too: the walk is kheap's free, and the free a grace period
 * later takes the same way as serial's.
 */
static bool pheap_shared_rcu_claim(struct pheap *p, struct pheap_sb *sb,
				   unsigned int idx)
{
	raw_spinlock_t *lock = pheap_shared_lock_of(p, sb->cls);
	unsigned long flags;
	bool claimed;

	flags = pheap_shared_lock(p, lock);
	claimed = test_bit(idx, sb->live) &&
		  !test_and_set_bit(idx, sb->rcu_held);
	pheap_shared_unlock(lock, flags);
	return claimed;
}

/* The claimed block freed: its held bit cleared under the same lock. */
static void pheap_shared_rcu_done(struct pheap *p, struct pheap_sb *sb,
				  unsigned int idx)
{
	unsigned int cls = sb->cls;
	raw_spinlock_t *lock = pheap_shared_lock_of(p, cls);
	struct pheap_sb *release = NULL;
	unsigned long flags;

	flags = pheap_shared_lock(p, lock);
	clear_bit(idx, sb->rcu_held);
	pheap_shared_free_locked(p, pheap_shared_class(p, cls), sb,
				 pheap_sb_block(p, sb, idx), idx, &release);
	pheap_shared_unlock(lock, flags);
	pheap_shared_freed(p, release, cls);
}

/* kheap: the pageref of @list whose pages hold @ptr; counts the walk. */
static struct pheap_sb *pheap_kheap_search(struct pheap *p,
					   struct list_head *list,
					   const void *ptr,
					   unsigned long *walked)
{
	struct pheap_sb *sb;

	list_for_each_entry(sb, list, node) {
		(*walked)++;
		if (ptr >= sb->base && ptr < sb->base + p->ci[sb->cls].sb_bytes)
			return sb;
	}
	return NULL;
}

/* kheap: search everything, every size base, to find @ptr's pageref. */
static struct pheap_sb *pheap_kheap_walk(struct pheap *p, const void *ptr,
					 unsigned long *walked)
{
	struct pheap_shared_class *sc;
	struct pheap_sb *sb;
	unsigned int c;

	for (c = 0; c < PHEAP_NR_CLASSES; c++) {
		sc = pheap_shared_class(p, c);
		sb = pheap_kheap_search(p, &sc->partial, ptr, walked);
		if (!sb)
			sb = pheap_kheap_search(p, &sc->full, ptr, walked);
		if (sb)
			return sb;
	}
	return NULL;
}

/**
 * pheap_kheap_free() - kheap's free: walk the pagerefs to find the block
 * @p: a kheap instance
 * @ptr: the pointer freed
 * @caller: for the report of a bad free
 *
 * Context: as pheap_free_in().
 * Return: false if no pageref holds @ptr (the caller tries the large
 * allocations), true if the free was done or refused and reported.
 */
static bool pheap_kheap_free(struct pheap *p, const void *ptr, unsigned long caller)
{
	raw_spinlock_t *lock = pheap_shared_lock_of(p, 0);
	struct pheap_sb *sb, *release = NULL;
	unsigned long flags, walked = 0;
	const char *why = NULL;
	unsigned int cls = 0;
	int idx;

	flags = pheap_shared_lock(p, lock);
	sb = pheap_kheap_walk(p, ptr, &walked);
	if (sb) {
		cls = sb->cls;
		idx = pheap_sb_block_index(p, sb, ptr);
		if (idx < 0)
			why = "not a block of this heap";
		else if (!pheap_shared_free_locked(p, pheap_shared_class(p, cls),
						   sb, (void *)ptr, idx,
						   &release))
			why = "double free";
	}
	pheap_shared_unlock(lock, flags);
	this_cpu_add(p->cpu_heaps->ev[PHEAP_EV_WALKED], walked);
	if (!sb)
		return false;
	if (why)
		pheap_report_bad_free(p, ptr, why, caller);
	else
		pheap_shared_freed(p, release, cls);
	return true;
}

/**
 * pheap_shared_init() - the shared heap of a kheap, serial or class-lock
 * instance
 * @p: instance being created
 *
 * Context: process context.
 * Return: 0 or -ENOMEM.
 */
static int pheap_shared_init(struct pheap *p)
{
	struct pheap_shared_class *sc;
	unsigned int c;

	p->shared = kzalloc(sizeof(*p->shared), GFP_KERNEL);
	if (!p->shared)
		return -ENOMEM;
	for (c = 0; c < PHEAP_NR_CLASSES; c++) {
		sc = pheap_shared_class(p, c);
		raw_spin_lock_init(&sc->lock);
		INIT_LIST_HEAD(&sc->partial);
		INIT_LIST_HEAD(&sc->full);
	}
	return 0;
}

static unsigned long pheap_shared_release(struct pheap *p,
					  struct list_head *list)
{
	unsigned long leaked = 0;
	struct pheap_sb *sb, *tmp;

	list_for_each_entry_safe(sb, tmp, list, node) {
		leaked += sb->inuse - sb->lost;
		list_del(&sb->node);
		pheap_sb_release(p, sb);
	}
	return leaked;
}

/**
 * pheap_shared_destroy() - give back every superblock of the shared heap
 * @p: instance being destroyed; NULL @p->shared is a no-op
 *
 * Context: process context, no other user of @p.
 * Return: blocks still in use.
 */
static unsigned long pheap_shared_destroy(struct pheap *p)
{
	struct pheap_shared_class *sc;
	unsigned long leaked = 0;
	unsigned int c;

	if (!p->shared)
		return 0;
	for (c = 0; c < PHEAP_NR_CLASSES; c++) {
		sc = pheap_shared_class(p, c);
		leaked += pheap_shared_release(p, &sc->partial);
		leaked += pheap_shared_release(p, &sc->full);
	}
	kfree(p->shared);
	p->shared = NULL;
	return leaked;
}

/**
 * pheap_shared_class_stats() - a class's figures, racy reads
 * @p: instance with a shared heap
 * @cls: size class
 * @nr_sb: set to its superblocks
 * @inuse: set to its blocks in use
 *
 * Context: any.
 */
static void pheap_shared_class_stats(struct pheap *p, unsigned int cls,
				     unsigned long *nr_sb, unsigned long *inuse)
{
	struct pheap_shared_class *sc = pheap_shared_class(p, cls);

	/* racy reads on purpose: a snapshot, as stats.c's */
	*nr_sb = data_race(READ_ONCE(sc->nr_sb));
	/* racy read, as above */
	*inuse = data_race(READ_ONCE(sc->inuse));
}

const struct pheap_design_ops pheap_kheap_design = {
	.id		= PHEAP_DESIGN_KHEAP,
	.own_heaps	= true,
	.locked		= true,
	.init		= pheap_shared_init,
	.destroy	= pheap_shared_destroy,
	.alloc		= pheap_shared_alloc,
	.free		= pheap_shared_free,
	.find_free	= pheap_kheap_free,
	.class_stats	= pheap_shared_class_stats,
	.rcu_claim	= pheap_shared_rcu_claim,
	.rcu_done	= pheap_shared_rcu_done,
};

const struct pheap_design_ops pheap_serial_design = {
	.id		= PHEAP_DESIGN_SERIAL,
	.own_heaps	= true,
	.locked		= true,
	.init		= pheap_shared_init,
	.destroy	= pheap_shared_destroy,
	.alloc		= pheap_shared_alloc,
	.free		= pheap_shared_free,
	.class_stats	= pheap_shared_class_stats,
	.rcu_claim	= pheap_shared_rcu_claim,
	.rcu_done	= pheap_shared_rcu_done,
};

const struct pheap_design_ops pheap_class_lock_design = {
	.id		= PHEAP_DESIGN_CLASS_LOCK,
	.own_heaps	= true,
	.class_locks	= true,
	.locked		= true,
	.init		= pheap_shared_init,
	.destroy	= pheap_shared_destroy,
	.alloc		= pheap_shared_alloc,
	.free		= pheap_shared_free,
	.class_stats	= pheap_shared_class_stats,
	.rcu_claim	= pheap_shared_rcu_claim,
	.rcu_done	= pheap_shared_rcu_done,
};
