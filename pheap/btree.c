// SPDX-License-Identifier: GPL-2.0
/*
 * pheap's btree design: the concurrent B-tree heap of pheap's lecture
 * notes ("Concurrent Heap: ... Concurrent B-Tree"), over the kernel's own
 * RCU-safe B-tree, the maple tree.
 *
 * The heap: page runs (run.h), and one maple tree over the direct map's
 * addresses in its allocation mode (MT_FLAGS_ALLOC_RANGE). The tree holds
 * the blocks handed out, each an entry over its bytes whose value is its
 * size class, and a fence entry over everything that is no run's; the
 * free extents are the tree's gaps. An allocation asks the tree for the
 * lowest gap that fits (mas_empty_area(): every node keeps the largest
 * gap under each of its children, so the search descends once, in
 * O(log n)) and stores the block there; a free stores nothing over the
 * block's range, which coalesces it with the free extents on either side
 * at once, since they are all one gap. The last 16 bytes of every run
 * stay under the fence, so that no gap spans two runs that happen to
 * touch.
 *
 * Concurrency, as the notes have it: readers are concurrent, writers are
 * serialised. The tree is in RCU mode: pheap_usable_size() reads a
 * block's entry with no lock (mtree_load()), in any context, while a
 * writer changes the tree. Every search and store takes the tree's one
 * writer lock, a raw spinlock with interrupts off (frees come from hard
 * interrupts), given to the tree as its external lock
 * (MT_FLAGS_LOCK_EXTERN). Its acquisitions, waits and hold time are
 * counted (lock_acquired, lock_contended, lock_hold_ns, lock_hold_max_ns).
 *
 * Node memory: a store that splits or copies nodes needs new ones, and
 * the maple tree would take them from the slab, with this lock held and
 * interrupts off, where pheap never calls an allocator. So the nodes are
 * taken beforehand: the heap keeps two lists of them, the stash and a
 * spare, and every store under the lock takes its nodes from the stash
 * (the store's ma_state is given it, marked preallocated, and gives the
 * rest back). A store is begun only when the stash holds what the worst
 * case of one store needs at the tree's height (BT_WORST()), so the tree
 * never allocates under the lock; a stash below that trades places with
 * a fuller spare. The spare is topped up outside the lock
 * (mas_expected_entries(), which sleeps: by an allocation that may
 * sleep, else by the heap's work item, queued when the spare runs low).
 * In RCU mode a store copies the nodes it changes, about one per tree
 * level. When both lists run short, an allocation that may not sleep
 * gets NULL (counted as any failed allocation) and a free is done by the
 * work item instead, once it has filled them; so is every free made with
 * interrupts off, which would spend the nodes that the allocations there
 * need and cannot refill (btree_deferred_frees).
 *
 * pheap's own record: a block handed out has its bit in its run's @live
 * bitmap (run.h); a free is checked against it (test_and_clear_bit(): of
 * two frees one wins, the other is reported), never against the block's
 * bytes, and a free block holds nothing the heap reads: a caller's write
 * into one changes nothing.
 *
 * Sizes are the size classes', as in every pheap design; no header, so a
 * block is its class size rounded up to 16 bytes (8-byte requests take
 * 16: hdr_bytes). Power-of-two sizes are naturally aligned: when the
 * lowest fitting gap does not start aligned, the search asks again for a
 * gap an alignment longer, where an aligned place is sure to be, and the
 * gap in front stays free (align_pad_bytes).
 *
 * Runs go back at unload only (Known limits). The kmalloc family:
 * pheap_alloc_nolock() gets NULL (counted), node and bulk calls take the
 * plain paths, pheap_free_rcu() claims a block by moving its live bit to
 * its held bit, as block-lock does.
 */
#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/gfp.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/log2.h>
#include <linux/maple_tree.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/sched/clock.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "class.h"
#include "design.h"
#include "heap.h"
#include "instance.h"
#include "page.h"
#include "btree.h"
#include "report.h"
#include "run.h"

#define BT_MIN		PHEAP_RUN_GRANULE
/* The value of the entry over every address that is no run's free space. */
#define BT_FENCE	xa_mk_value(PHEAP_NR_CLASSES)
/*
 * lib/maple_tree.c's MA_STATE_PREALLOC (the same in 6.1 and 6.12): the
 * state's own nodes serve the store, which allocates none and leaves the
 * rest in the state.
 */
#define BT_MA_PREALLOC	4
/*
 * Nodes one store may need at worst, at tree height @h (the maple tree's
 * own count for a store, 1 + 3h, at one level higher than now).
 */
#define BT_WORST(h)	(1 + 3 * ((h) + 1))
/* Nodes a list is filled to: two worst cases and this many more. */
#define BT_STASH_SPARE	96

static unsigned long bt_need(unsigned int cls)
{
	return ALIGN((unsigned long)pheap_csize(cls), BT_MIN);
}

static unsigned long bt_align(unsigned int cls)
{
	unsigned int size = pheap_csize(cls);

	return is_power_of_2(size) && size > BT_MIN ? size : BT_MIN;
}

/* Nodes in a ma_state's list (a request count, odd, is none). */
static unsigned long bt_nodes(const struct maple_alloc *alloc)
{
	if (!alloc || ((unsigned long)alloc & 1))
		return 0;
	return alloc->total;
}

/* Under the lock: the stash is @alloc's nodes now. */
static void bt_stash_set(struct pheap_btree *bt, struct maple_alloc *alloc)
{
	bt->stash = alloc;
	WRITE_ONCE(bt->stash_nodes, bt_nodes(alloc));
}

static void bt_spare_set(struct pheap_btree *bt, struct maple_alloc *alloc)
{
	bt->spare = alloc;
	WRITE_ONCE(bt->spare_nodes, bt_nodes(alloc));
}

/* Under the lock: the fuller list becomes the stash. */
static void bt_stash_swap(struct pheap_btree *bt)
{
	struct maple_alloc *stash = bt->stash;

	if (bt->spare_nodes <= bt->stash_nodes)
		return;
	bt_stash_set(bt, bt->spare);
	bt_spare_set(bt, stash);
}

/* Under the lock: may a store begin? */
static bool bt_stash_enough(struct pheap_btree *bt)
{
	unsigned long worst = BT_WORST(mt_height(&bt->mt));

	if (bt->stash_nodes < worst)
		bt_stash_swap(bt);
	return bt->stash_nodes >= worst;
}

/* Below this many nodes the spare is topped up. */
static unsigned long bt_spare_low(struct pheap_btree *bt)
{
	/* racy outside the lock: the height only sets when to fill */
	return BT_WORST(data_race(mt_height(&bt->mt))) + BT_STASH_SPARE / 2;
}

static unsigned long bt_lock(struct pheap *p, struct pheap_btree *bt)
	__acquires(&bt->lock)
{
	unsigned long flags;

	local_irq_save(flags);
	if (!raw_spin_trylock(&bt->lock)) {
		this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_LOCK_CONTENDED]);
		raw_spin_lock(&bt->lock);
	}
	this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_LOCK]);
	bt->hold_start = local_clock();
	return flags;
}

static void bt_unlock(struct pheap_btree *bt, unsigned long flags)
	__releases(&bt->lock)
{
	s64 held = local_clock() - bt->hold_start;

	raw_spin_unlock_irqrestore(&bt->lock, flags);
	if (held < 0)
		return;
	atomic64_add(held, &bt->hold_ns);
	if (held > atomic64_read(&bt->hold_max_ns))
		atomic64_set(&bt->hold_max_ns, held);	/* a racy peak */
}

/*
 * A full spare outside the lock (a fresh list: mas_expected_entries()
 * topping up a list stores had taken nodes from was seen to fail on
 * 6.1), and the fuller list made the stash; nothing if another filler
 * has just filled it. Context: may sleep. Return: false if the nodes
 * could not be had.
 */
static bool bt_fill_stash(struct pheap *p, struct pheap_btree *bt)
{
	MA_STATE(fresh, &bt->mt, 0, 0);
	MA_STATE(old, &bt->mt, 0, 0);
	unsigned long flags, want;

	mutex_lock(&bt->fill_lock);
	if (READ_ONCE(bt->spare_nodes) >= bt_spare_low(bt)) {
		mutex_unlock(&bt->fill_lock);	/* a store may swap it in */
		return true;
	}
	/* racy: the height only sets how many to take */
	want = 2 * BT_WORST(data_race(mt_height(&bt->mt))) + BT_STASH_SPARE;
	/* about one leaf per 7 entries, and a few more: want nodes at least */
	if (mas_expected_entries(&fresh, 7 * want)) {
		mutex_unlock(&bt->fill_lock);
		return false;
	}
	fresh.mas_flags = 0;	/* its nodes are all we keep of it */
	flags = bt_lock(p, bt);
	old.alloc = bt->spare;
	bt_spare_set(bt, fresh.alloc);
	bt_stash_swap(bt);
	bt_unlock(bt, flags);
	mutex_unlock(&bt->fill_lock);
	mas_destroy(&old);
	return true;
}

/*
 * The stash was too short for a store: drop the lock, and fill it here
 * if @gfp may sleep, else ask the work item to. Return: true if it was
 * filled (the caller takes the lock again and retries).
 */
static bool bt_short(struct pheap *p, struct pheap_btree *bt, gfp_t gfp,
		     unsigned long flags)
	__releases(&bt->lock)
{
	bt_unlock(bt, flags);
	if (gfpflags_allow_blocking(gfp) && bt_fill_stash(p, bt))
		return true;
	queue_work(system_unbound_wq, &bt->work);
	return false;
}

/* After a store: the spare topped up in the background when it is low. */
static void bt_stash_check(struct pheap_btree *bt)
{
	if (bt->spare_nodes < bt_spare_low(bt))
		queue_work(system_unbound_wq, &bt->work);
}

/* Under the lock, with enough nodes: store @entry over [@first, @last]. */
static void bt_store(struct pheap_btree *bt, unsigned long first,
		     unsigned long last, void *entry)
{
	MA_STATE(mas, &bt->mt, first, last);

	mas.alloc = bt->stash;
	mas.mas_flags = BT_MA_PREALLOC;
	mas_store(&mas, entry);
	bt_stash_set(bt, mas.alloc);
	bt_stash_check(bt);
}

/*
 * Under the lock: the lowest address where @need bytes aligned to @align
 * fit in a gap, or 0; @steps counts the tree levels descended, @pad the
 * bytes the alignment leaves free in front.
 */
static unsigned long bt_find(struct pheap_btree *bt, unsigned long need,
			     unsigned long align, unsigned long *steps,
			     unsigned long *pad)
{
	MA_STATE(mas, &bt->mt, 0, 0);

	*pad = 0;
	*steps += mt_height(&bt->mt);
	if (mas_empty_area(&mas, 0, ULONG_MAX, need))
		return 0;
	if (IS_ALIGNED(mas.index, align))
		return mas.index;
	mas_reset(&mas);
	*steps += mt_height(&bt->mt);
	if (mas_empty_area(&mas, 0, ULONG_MAX, need + align - BT_MIN))
		return 0;
	*pad = ALIGN(mas.index, align) - mas.index;
	return mas.index + *pad;
}

static void bt_searched(struct pheap *p, struct pheap_btree *bt,
			unsigned long steps)
{
	long max = atomic_long_read(&bt->search_max);

	atomic_long_inc(&bt->hist[pheap_search_bucket(steps)]);
	while ((long)steps > max &&
	       !atomic_long_try_cmpxchg(&bt->search_max, &max, steps))
		;
	this_cpu_add(p->cpu_heaps->ev[PHEAP_EV_SEARCHED], steps);
}

/*
 * A block of class @cls from the tree's gaps, its live bit set. Return:
 * the object; NULL if no gap fits; an ERR_PTR if the stash was short.
 */
static void *bt_take(struct pheap *p, struct pheap_btree *bt,
		     unsigned int cls, gfp_t gfp)
{
	unsigned long need = bt_need(cls), start, flags, steps = 0, pad;
	struct pheap_run *run;

	/* one that may sleep tops the spare up before both run short */
	if (gfpflags_allow_blocking(gfp) &&
	    READ_ONCE(bt->spare_nodes) < bt_spare_low(bt) &&
	    !mutex_is_locked(&bt->fill_lock))
		bt_fill_stash(p, bt);
retry:
	flags = bt_lock(p, bt);
	if (!bt_stash_enough(bt)) {
		if (bt_short(p, bt, gfp, flags))
			goto retry;
		return ERR_PTR(-ENOMEM);
	}
	start = bt_find(bt, need, bt_align(cls), &steps, &pad);
	if (start) {
		run = pheap_run_lookup(p, (void *)start);
		if (WARN_ON_ONCE(!run)) {
			bt_unlock(bt, flags);
			return ERR_PTR(-EFAULT);
		}
		bt_store(bt, start, start + need - 1, xa_mk_value(cls));
		set_bit(pheap_run_granule(run, (void *)start), run->live);
	}
	bt_unlock(bt, flags);
	bt_searched(p, bt, steps);
	if (start)
		this_cpu_add(p->cpu_heaps->ev[PHEAP_EV_ALIGN_PAD], pad);
	return (void *)start;
}

/* A new run, its bytes but the last granule one gap of the tree. */
static bool bt_grow(struct pheap *p, struct pheap_btree *bt, gfp_t gfp)
{
	struct pheap_run *run = pheap_run_new(p, gfp, numa_mem_id());
	unsigned long base, flags;

	if (!run)
		return false;
retry:
	flags = bt_lock(p, bt);
	if (!bt_stash_enough(bt)) {
		if (bt_short(p, bt, gfp, flags))
			goto retry;
		pheap_run_release(p, run);
		return false;
	}
	base = (unsigned long)run->base;
	bt_store(bt, base, base + PHEAP_RUN_BYTES - BT_MIN - 1, NULL);
	list_add(&run->node, &bt->runs);
	bt_unlock(bt, flags);
	atomic_long_inc(&bt->nr_runs);
	atomic_long_add(PHEAP_RUN_BYTES - BT_MIN, &bt->free_bytes);
	this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_REFILL]);
	return true;
}

/**
 * pheap_btree_alloc() - a block from the btree heap
 * @p: a btree instance
 * @cls: size class
 * @size: bytes requested, for the statistics
 * @gfp: allocation flags, for a new run and the tree's nodes
 *
 * Context: as pheap_alloc_in().
 * Return: the object, its contents as they are, or NULL.
 */
static void *pheap_btree_alloc(struct pheap *p, unsigned int cls,
			       size_t size, gfp_t gfp)
{
	struct pheap_btree *bt = p->btree;
	void *obj;

	for (;;) {
		obj = bt_take(p, bt, cls, gfp);
		if (IS_ERR(obj))
			return NULL;
		if (obj)
			break;
		if (!bt_grow(p, bt, gfp))
			return NULL;
	}
	atomic_long_sub(bt_need(cls), &bt->free_bytes);
	atomic_long_add(bt_need(cls) - pheap_csize(cls), &bt->hdr_bytes);
	atomic_long_inc(&bt->inuse[cls]);
	this_cpu_dec(p->cpu_heaps->cls[cls].moved);
	this_cpu_add(p->cpu_heaps->cls[cls].req_bytes, size);
	return obj;
}

/*
 * Free the block at granule @g of @run, whose live (or held) bit the
 * caller took: its entry erased, its bytes one gap with their free
 * neighbours. Return: false if the stash was short (nothing done).
 */
static bool bt_put(struct pheap *p, struct pheap_btree *bt,
		   struct pheap_run *run, unsigned int g, gfp_t gfp)
{
	unsigned long addr = (unsigned long)pheap_run_addr(run, g);
	unsigned long cls, flags;
	void *entry;

	MA_STATE(mas, &bt->mt, addr, addr);

retry:
	flags = bt_lock(p, bt);
	if (!bt_stash_enough(bt)) {
		if (bt_short(p, bt, gfp, flags))
			goto retry;
		return false;
	}
	mas_reset(&mas);
	entry = mas_walk(&mas);
	cls = xa_is_value(entry) ? xa_to_value(entry) : PHEAP_NR_CLASSES;
	/* the live bit is pheap's own: its entry is there, or pheap is wrong */
	if (WARN_ON_ONCE(cls >= PHEAP_NR_CLASSES || mas.index != addr)) {
		bt_unlock(bt, flags);
		return true;
	}
	if (unlikely(want_init_on_free()))
		memset((void *)addr, 0, pheap_csize(cls));
	bt_store(bt, mas.index, mas.last, NULL);
	bt_unlock(bt, flags);
	atomic_long_add(bt_need(cls), &bt->free_bytes);
	atomic_long_sub(bt_need(cls) - pheap_csize(cls), &bt->hdr_bytes);
	atomic_long_dec(&bt->inuse[cls]);
	this_cpu_inc(p->cpu_heaps->cls[cls].frees);
	this_cpu_inc(p->cpu_heaps->cls[cls].moved);
	return true;
}

/* A free for the work item to do (again, if it found no memory). */
static void bt_put_later(struct pheap_btree *bt, void *obj)
{
	if (llist_add(obj, &bt->pending))
		queue_work(system_unbound_wq, &bt->work);
}

/*
 * A free: done now, or by the work item if the stash is short, or if it
 * comes with interrupts off (a free there would spend the nodes that
 * the allocations there, which cannot fill the stash, need).
 */
static void bt_put_or_defer(struct pheap *p, struct pheap_btree *bt,
			    struct pheap_run *run, unsigned int g)
{
	if (irqs_disabled() || !bt_put(p, bt, run, g, 0)) {
		atomic_long_inc(&bt->deferred);
		bt_put_later(bt, pheap_run_addr(run, g));
	}
}

/* The frees waiting for nodes. Context: may sleep. */
static void bt_put_pending(struct pheap *p, struct pheap_btree *bt)
{
	struct llist_node *pos, *next;
	struct pheap_run *run;

	llist_for_each_safe(pos, next, llist_del_all(&bt->pending)) {
		run = pheap_run_lookup(p, pos);	/* runs go at destroy only */
		if (WARN_ON_ONCE(!run))
			continue;
		if (!bt_put(p, bt, run, pheap_run_granule(run, pos),
			    GFP_KERNEL))
			bt_put_later(bt, pos);	/* no memory: next time */
	}
}

/* The work item: the stash filled, then the frees that waited for it. */
static void pheap_btree_work(struct work_struct *work)
{
	struct pheap_btree *bt = container_of(work, struct pheap_btree, work);

	bt_fill_stash(bt->pheap, bt);
	bt_put_pending(bt->pheap, bt);
}

/**
 * pheap_btree_free() - btree's free: the block found from its page
 * @p: a btree instance
 * @ptr: the pointer freed
 * @caller: for the report of a bad free
 *
 * Context: as pheap_free_in().
 * Return: false if no run of @p holds @ptr (the caller tries the large
 * allocations), true if the free was done, deferred, or refused and
 * reported.
 */
static bool pheap_btree_free(struct pheap *p, const void *ptr,
			     unsigned long caller)
{
	struct pheap_run *run;
	int g;

	run = pheap_run_free_check(p, ptr, caller, &g);
	if (!run)
		return false;
	if (g >= 0)
		bt_put_or_defer(p, p->btree, run, g);
	return true;
}

/* The usable size, from the tree read under RCU alone: no lock. */
static size_t pheap_btree_usable_size(struct pheap *p, const void *ptr)
{
	struct pheap_run *run;
	unsigned long cls;
	void *entry;

	if (pheap_run_handed_out(p, ptr, &run) < 0)
		return 0;
	entry = mtree_load(&p->btree->mt, (unsigned long)ptr);
	cls = xa_is_value(entry) ? xa_to_value(entry) : PHEAP_NR_CLASSES;
	return cls < PHEAP_NR_CLASSES ? pheap_csize(cls) : 0;
}

static void pheap_btree_rcu_done_run(struct pheap *p, struct pheap_run *run,
				     const void *ptr)
{
	int g = pheap_run_granule(run, ptr);

	clear_bit(g, run->rcu_held);
	bt_put_or_defer(p, p->btree, run, g);
}

/* pheap_flush(): the frees that waited for nodes, done now. */
static void pheap_btree_flush(struct pheap *p)
{
	struct pheap_btree *bt = p->btree;

	flush_work(&bt->work);
	while (!llist_empty(&bt->pending) && bt_fill_stash(p, bt))
		bt_put_pending(p, bt);
}

/**
 * pheap_btree_init() - the btree heap of an instance being created
 * @p: instance
 *
 * An empty tree, its stash filled, and the fence over every address.
 *
 * Context: process context.
 * Return: 0 or -ENOMEM.
 */
static int pheap_btree_init(struct pheap *p)
{
	struct pheap_btree *bt = kzalloc(sizeof(*bt), GFP_KERNEL);
	unsigned long flags;

	if (!bt)
		return -ENOMEM;
	raw_spin_lock_init(&bt->lock);
	mt_init_flags(&bt->mt, MT_FLAGS_ALLOC_RANGE | MT_FLAGS_LOCK_EXTERN |
			       MT_FLAGS_USE_RCU);
	mt_set_external_lock(&bt->mt, &bt->lock);
	mutex_init(&bt->fill_lock);
	INIT_LIST_HEAD(&bt->runs);
	init_llist_head(&bt->pending);
	INIT_WORK(&bt->work, pheap_btree_work);
	bt->pheap = p;
	p->btree = bt;
	if (!bt_fill_stash(p, bt))
		return -ENOMEM;		/* destroy frees what there is */
	flags = bt_lock(p, bt);
	bt_store(bt, 0, ULONG_MAX, BT_FENCE);
	bt_unlock(bt, flags);
	return 0;
}

/**
 * pheap_btree_destroy() - give back the tree, its stash and every run
 * @p: instance being destroyed; NULL @p->btree is a no-op
 *
 * Context: process context, no other user of @p.
 * Return: blocks still in use.
 */
static unsigned long pheap_btree_destroy(struct pheap *p)
{
	struct pheap_btree *bt = p->btree;
	unsigned long leaked = 0, flags;
	unsigned int c;

	MA_STATE(stash, NULL, 0, 0);
	MA_STATE(spare, NULL, 0, 0);

	if (!bt)
		return 0;
	pheap_btree_flush(p);
	cancel_work_sync(&bt->work);	/* the stores above may queue it */
	for (c = 0; c < PHEAP_NR_CLASSES; c++)
		leaked += atomic_long_read(&bt->inuse[c]);
	flags = bt_lock(p, bt);
	__mt_destroy(&bt->mt);
	stash.alloc = bt->stash;
	bt_stash_set(bt, NULL);
	spare.alloc = bt->spare;
	bt_spare_set(bt, NULL);
	bt_unlock(bt, flags);
	mas_destroy(&stash);
	mas_destroy(&spare);
	pheap_run_release_all(p, &bt->runs);
	kfree(bt);
	p->btree = NULL;
	return leaked;
}

static void pheap_btree_class_stats(struct pheap *p, unsigned int cls,
				    unsigned long *nr_sb, unsigned long *inuse)
{
	*nr_sb = 0;
	*inuse = atomic_long_read(&p->btree->inuse[cls]);
}

/*
 * Under the lock: the largest gap, found by the tree's own search
 * (a binary search over its length, O(log n) a step).
 */
static unsigned long bt_largest_gap(struct pheap_btree *bt)
{
	unsigned long lo = 0, hi = PHEAP_RUN_GRANULES, mid;

	while (lo < hi) {			/* lo granules fit, hi do not */
		MA_STATE(mas, &bt->mt, 0, 0);

		mid = (lo + hi + 1) / 2;
		if (mas_empty_area(&mas, 0, ULONG_MAX, mid * BT_MIN))
			hi = mid - 1;
		else
			lo = mid;
	}
	return lo * BT_MIN;
}

/* The figures. Context: any but NMI. */
static void pheap_btree_run_stats(struct pheap *p, struct pheap_run_stats *rs)
{
	struct pheap_btree *bt = p->btree;
	unsigned long flags, hist[PHEAP_SEARCH_HIST];
	unsigned int i;

	rs->runs = atomic_long_read(&bt->nr_runs);
	rs->free_bytes = atomic_long_read(&bt->free_bytes);
	rs->hdr_bytes = atomic_long_read(&bt->hdr_bytes);
	rs->search_max = atomic_long_read(&bt->search_max);
	for (i = 0; i < PHEAP_SEARCH_HIST; i++)
		hist[i] = atomic_long_read(&bt->hist[i]);
	rs->search_p99 = pheap_search_p99(hist, rs->search_max);
	rs->hold_ns = atomic64_read(&bt->hold_ns);
	rs->hold_max_ns = atomic64_read(&bt->hold_max_ns);
	rs->deferred = atomic_long_read(&bt->deferred);
	local_irq_save(flags);
	raw_spin_lock(&bt->lock);	/* not counted: a statistics read */
	rs->largest_free = bt_largest_gap(bt);
	raw_spin_unlock(&bt->lock);
	local_irq_restore(flags);
}

const struct pheap_design_ops pheap_btree_design = {
	.id		= PHEAP_DESIGN_BTREE,
	.own_heaps	= true,
	.locked		= true,
	.init		= pheap_btree_init,
	.destroy	= pheap_btree_destroy,
	.alloc		= pheap_btree_alloc,
	.find_free	= pheap_btree_free,
	.usable_size	= pheap_btree_usable_size,
	.class_stats	= pheap_btree_class_stats,
	.run_stats	= pheap_btree_run_stats,
	.rcu_claim_run	= pheap_run_rcu_claim,
	.rcu_done_run	= pheap_btree_rcu_done_run,
	.flush		= pheap_btree_flush,
};
