// SPDX-License-Identifier: GPL-2.0
/*
 * pheap's block-lock design: the concurrent heap with a lock per free
 * block, the last of the notes' concurrent heaps.
 *
 *   "Concurrent Heap: ... lock per free block."
 *
 * The heap: page runs (run.h) and one free list through every run's free
 * blocks, in address order, from a sentinel in the instance. Each free
 * block has its own lock: a bit spinlock (bit_spin_lock()), the only
 * lock small enough to be one per 16-byte block and to nest. Its bit is
 * the block's in its run's @locks bitmap rather than in the block: a
 * caller that writes into a block after freeing it (the partial writes
 * pheap's tests make) could otherwise set a lock bit no one would ever
 * clear. Every walk of the list goes hand over hand: it holds the lock
 * of the block it stands on, takes the next one's, then lets the first
 * go.
 * An allocation and a free at different places in the list so proceed at
 * once; two that meet wait for each other one block at a time, and all of
 * them pass through the sentinel's lock first (which is what the
 * lock_contended figure shows).
 *
 * A free block:  | size (8) | next (8) | ...
 *
 * No header in a block handed out: its size is pheap's own record, the
 * run's bitmaps (run.h), which a free reads (a block's end is the next
 * block's start, and no one moves that while the block is handed out:
 * only a free of the block itself merges it with the one after). The
 * smallest block is 16 bytes (the size word and the link), so 8-byte
 * requests take 16. Sizes are the size classes', as in every pheap
 * design; power-of-two sizes up to PAGE_SIZE are naturally aligned (the
 * gap in front stays a free block, align_pad_bytes).
 *
 * Allocation: first fit, hand over hand from the sentinel; the block
 * found is cut under its lock and its predecessor's: the gap in front
 * stays in place, the block is handed out, the rest takes its place in
 * the list. Free: the block's live bit cleared (test_and_clear_bit(): of
 * two frees, one wins; the loser is reported), then a walk hand over hand
 * to its place in address order, where it is merged with the free block
 * before it and the one after it when they touch it (same run), under
 * their locks.
 *
 * The bitmaps are changed with atomic bit operations: different blocks
 * of one run are cut and merged at once under different locks.
 *
 * A caller's write into a free block is found by the walk that reaches
 * it: a link to no free block of this heap (the list is cut there, the
 * blocks past it lost to the heap until unload: counted as a corruption,
 * with how many), or a size that disagrees with the bitmaps (repaired
 * from them). Either way nothing is handed out twice.
 *
 * Interrupts are off for a whole walk (a free from a hard interrupt must
 * not spin on a bit its own CPU holds), and the walk is unbounded: the
 * claim being measured (free_list_searched, search_max; a lock taken
 * per block visited: lock_acquired). Runs go back at unload only, as
 * private's superblocks do: an empty run is a free block like any other
 * (Known limits).
 *
 * The kmalloc family: pheap_alloc_nolock() gets NULL (counted); node and
 * bulk calls take the plain paths; pheap_free_rcu() claims a block by
 * clearing its live bit (so every other free is refused) and setting its
 * held bit (so that its usable size is still known).
 */
#include <linux/atomic.h>
#include <linux/processor.h>	/* before bit_spinlock.h, which needs it */
#include <linux/bit_spinlock.h>
#include <linux/bitmap.h>
#include <linux/list.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "class.h"
#include "design.h"
#include "heap.h"
#include "instance.h"
#include "page.h"
#include "report.h"
#include "run.h"

#define BL_MIN		16UL

/* A free block's two words; the sentinel is one too. */
struct bl_free {
	unsigned long size;	/* bytes */
	struct bl_free *next;	/* the next free block up, or NULL */
};

/**
 * struct pheap_blocklock - the block-lock heap
 * @head:	the sentinel: size 0; @head_lock guards @head.next
 * @head_lock:	the sentinel's bit spinlock, bit 0
 * @runs_lock:	guards @runs (a run joins once, at its creation)
 * @runs:	every run
 * @nr_runs:	runs held
 * @free_bytes:	bytes in free blocks
 * @hdr_bytes:	what blocks in use take beyond their class size
 * @inuse:	blocks in use, per size class
 * @search_max: the longest search, free blocks visited
 * @hist:	searches by length, log2 buckets
 */
struct pheap_blocklock {
	struct bl_free head ____cacheline_aligned_in_smp;
	unsigned long head_lock;
	raw_spinlock_t runs_lock ____cacheline_aligned_in_smp;
	struct list_head runs;
	atomic_long_t nr_runs, free_bytes, hdr_bytes;
	atomic_long_t inuse[PHEAP_NR_CLASSES];
	atomic_long_t search_max;
	atomic_long_t hist[PHEAP_SEARCH_HIST];
};

static unsigned long bl_need(unsigned int cls)
{
	return max(BL_MIN, ALIGN((unsigned long)pheap_csize(cls),
				 PHEAP_RUN_GRANULE));
}

static unsigned long bl_align(unsigned int cls)
{
	unsigned int size = pheap_csize(cls);

	return is_power_of_2(size) && size > PHEAP_RUN_GRANULE ?
	       size : PHEAP_RUN_GRANULE;
}

/*
 * The class whose blocks are @bytes long, the largest of them: 8-byte
 * requests take 16-byte blocks, and are class 16's.
 */
static int bl_cls_of(unsigned long bytes)
{
	int c;

	for (c = PHEAP_NR_CLASSES - 1; c >= 0; c--)
		if (bl_need(c) == bytes)
			return c;
	return -1;
}

/* Bytes of the block at granule @g, from pheap's own record. */
static unsigned long bl_bytes(struct pheap_run *run, unsigned int g)
{
	return (find_next_bit(run->starts, PHEAP_RUN_GRANULES, g + 1) - g) *
	       PHEAP_RUN_GRANULE;
}

/* Where @b's lock bit is: the sentinel's word, or its run's bitmap. */
static unsigned long *bl_lock_word(struct pheap *p, struct pheap_blocklock *bl,
				   struct bl_free *b, int *bit)
{
	struct pheap_run *run;

	if (b == &bl->head) {
		*bit = 0;
		return &bl->head_lock;
	}
	run = pheap_run_lookup(p, b);
	*bit = pheap_run_granule(run, b);
	return run->locks;
}

/*
 * Take @b's lock, counting it and a wait unless @quiet (a statistics
 * read). sparse counts one lock context per function, which a walk hand
 * over hand (holding one or two locks that change as it goes, some only
 * if a block is found) cannot match: the bit locks are kept out of its
 * count here and in bl_unlock().
 */
static void bl_lock(struct pheap *p, struct pheap_blocklock *bl,
		    struct bl_free *b, bool quiet)
{
	int bit;
	unsigned long *word = bl_lock_word(p, bl, b, &bit);

	if (!bit_spin_trylock(bit, word)) {
		if (!quiet)
			this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_LOCK_CONTENDED]);
		bit_spin_lock(bit, word);
	}
	__release(bitlock);
	if (!quiet)
		this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_LOCK]);
}

static void bl_unlock(struct pheap *p, struct pheap_blocklock *bl,
		      struct bl_free *b)
{
	int bit;
	unsigned long *word = bl_lock_word(p, bl, b, &bit);

	__acquire(bitlock);
	bit_spin_unlock(bit, word);
}

/*
 * Under @prev's lock: the next free block, checked to be a free block of
 * @p's before it is locked (as bl_lock() with @quiet), and its size
 * against the bitmaps once it is (repaired from them). A link to anything
 * else: the list is cut at @prev, counted. Return: the next block,
 * locked, or NULL.
 */
static struct bl_free *bl_next_locked(struct pheap *p,
				      struct pheap_blocklock *bl,
				      struct bl_free *prev, bool quiet)
{
	struct bl_free *cur = prev->next;
	struct pheap_run *run;
	unsigned long bytes;
	int g = -1;

	if (!cur)
		return NULL;
	run = pheap_run_lookup(p, cur);
	if (run)
		g = pheap_run_granule(run, cur);
	if (g < 0 || !test_bit(g, run->starts) || test_bit(g, run->live)) {
		prev->next = NULL;
		pheap_report_corrupt_list(p, prev);
		return NULL;
	}
	bl_lock(p, bl, cur, quiet);
	bytes = bl_bytes(run, g);
	if (cur->size != bytes) {
		pheap_report_corrupt_tag(p, cur);
		cur->size = bytes;
	}
	return cur;
}

static unsigned long bl_size(const struct bl_free *b)
{
	return b->size;
}

static void bl_searched(struct pheap *p, struct pheap_blocklock *bl,
			unsigned long steps)
{
	long max = atomic_long_read(&bl->search_max);

	atomic_long_inc(&bl->hist[pheap_search_bucket(steps)]);
	while ((long)steps > max &&
	       !atomic_long_try_cmpxchg(&bl->search_max, &max, steps))
		;
	this_cpu_add(p->cpu_heaps->ev[PHEAP_EV_SEARCHED], steps);
}

/*
 * Under @prev's and @cur's locks: cut a block of class @cls out of @cur,
 * @lead bytes in. Return: the object; @cur is left locked or, cut from
 * its start, taken off the list (the caller drops its lock all the same).
 */
static void *bl_cut(struct pheap *p, struct pheap_blocklock *bl,
		    struct bl_free *prev, struct bl_free *cur,
		    unsigned long lead, unsigned int cls)
{
	struct pheap_run *run = pheap_run_lookup(p, cur);
	unsigned long size = bl_size(cur), need = bl_need(cls);
	unsigned long rest = size - lead - need;
	void *obj = (void *)cur + lead;
	struct bl_free *r, *after = cur->next;

	if (lead) {
		cur->size = lead;
		set_bit(pheap_run_granule(run, obj), run->starts);
		this_cpu_add(p->cpu_heaps->ev[PHEAP_EV_ALIGN_PAD], lead);
		prev = cur;
	}
	if (rest) {
		r = obj + need;
		r->size = rest;
		r->next = after;
		set_bit(pheap_run_granule(run, r), run->starts);
		after = r;
	}
	prev->next = after;		/* @prev, or @cur before a gap */
	set_bit(pheap_run_granule(run, obj), run->live);
	atomic_long_sub(need, &bl->free_bytes);
	atomic_long_add(need - pheap_csize(cls), &bl->hdr_bytes);
	atomic_long_inc(&bl->inuse[cls]);
	return obj;
}

/* First fit, hand over hand. Return: the object, or NULL. */
static void *bl_first_fit(struct pheap *p, struct pheap_blocklock *bl,
			  unsigned int cls)
{
	unsigned long need = bl_need(cls), align = bl_align(cls), lead;
	struct bl_free *prev = &bl->head, *cur;
	unsigned long flags, steps = 0;
	void *obj = NULL;

	local_irq_save(flags);
	bl_lock(p, bl, prev, false);
	while ((cur = bl_next_locked(p, bl, prev, false))) {
		steps++;
		lead = ALIGN((unsigned long)cur, align) - (unsigned long)cur;
		if (lead + need <= bl_size(cur) &&
		    (!lead || lead >= BL_MIN)) {
			obj = bl_cut(p, bl, prev, cur, lead, cls);
			bl_unlock(p, bl, cur);
			break;
		}
		bl_unlock(p, bl, prev);
		prev = cur;
	}
	bl_unlock(p, bl, prev);
	local_irq_restore(flags);
	bl_searched(p, bl, steps);
	return obj;
}

/*
 * Under the locks of @cur and its predecessor: @b before @cur, absorbing
 * it if they touch in @run; @cur's lock dropped. (A walk that stood on
 * @cur has moved on: its lock was waited for; no other can come: it
 * would need the predecessor's.)
 */
static void bl_link_before(struct pheap *p, struct pheap_blocklock *bl,
			   struct pheap_run *run, struct bl_free *b,
			   struct bl_free *cur)
{
	b->next = cur;
	if (!cur)
		return;
	if ((void *)b + bl_size(b) == (void *)cur &&
	    pheap_run_lookup(p, cur) == run) {
		clear_bit(pheap_run_granule(run, cur), run->starts);
		b->size += bl_size(cur);
		b->next = cur->next;
	}
	bl_unlock(p, bl, cur);
}

/*
 * Link the free block @b (locked by nobody, in no list) in at its place
 * in address order, merged with the free blocks it touches in @run.
 */
static void bl_insert(struct pheap *p, struct pheap_blocklock *bl,
		      struct pheap_run *run, struct bl_free *b)
{
	struct bl_free *prev = &bl->head, *cur;
	unsigned long flags;

	local_irq_save(flags);
	bl_lock(p, bl, prev, false);
	while ((cur = bl_next_locked(p, bl, prev, false)) && cur < b) {
		bl_unlock(p, bl, prev);
		prev = cur;
	}
	bl_link_before(p, bl, run, b, cur);
	/* the one before it, if it touches it: absorbs it */
	if (prev != &bl->head && (void *)prev + bl_size(prev) == (void *)b &&
	    pheap_run_lookup(p, prev) == run) {
		clear_bit(pheap_run_granule(run, b), run->starts);
		prev->size += bl_size(b);
		prev->next = b->next;
	} else {
		prev->next = b;
	}
	bl_unlock(p, bl, prev);
	local_irq_restore(flags);
}

/* Free the block at granule @g of @run, whose live bit the caller took. */
static void bl_put(struct pheap *p, struct pheap_blocklock *bl,
		   struct pheap_run *run, unsigned int g)
{
	unsigned long bytes = bl_bytes(run, g);
	struct bl_free *b = pheap_run_addr(run, g);
	int cls = bl_cls_of(bytes);

	if (WARN_ON_ONCE(cls < 0))
		return;
	if (unlikely(want_init_on_free()))
		memset(b, 0, pheap_csize(cls));
	b->size = bytes;
	atomic_long_add(bytes, &bl->free_bytes);
	atomic_long_sub(bytes - pheap_csize(cls), &bl->hdr_bytes);
	atomic_long_dec(&bl->inuse[cls]);
	bl_insert(p, bl, run, b);
	this_cpu_inc(p->cpu_heaps->cls[cls].frees);
	this_cpu_inc(p->cpu_heaps->cls[cls].moved);
}

/* A new run, one free block, into the list and the heap's runs. */
static struct pheap_run *bl_grow(struct pheap *p, struct pheap_blocklock *bl,
				 gfp_t gfp)
{
	struct pheap_run *run = pheap_run_new(p, gfp, numa_mem_id());
	struct bl_free *b;
	unsigned long flags;

	if (!run)
		return NULL;
	b = run->base;
	b->size = PHEAP_RUN_BYTES;
	set_bit(0, run->starts);
	raw_spin_lock_irqsave(&bl->runs_lock, flags);
	list_add(&run->node, &bl->runs);
	raw_spin_unlock_irqrestore(&bl->runs_lock, flags);
	atomic_long_inc(&bl->nr_runs);
	atomic_long_add(PHEAP_RUN_BYTES, &bl->free_bytes);
	bl_insert(p, bl, run, b);
	return run;
}

/**
 * pheap_blocklock_alloc() - a block from the block-lock heap
 * @p: a block-lock instance
 * @cls: size class
 * @size: bytes requested, for the statistics
 * @gfp: allocation flags, for a new run
 *
 * Context: as pheap_alloc_in().
 * Return: the object, its first 16 bytes clear (init_on_free: all of
 * it), or NULL.
 */
static void *pheap_blocklock_alloc(struct pheap *p, unsigned int cls,
				   size_t size, gfp_t gfp)
{
	struct pheap_blocklock *bl = p->blocklock;
	void *obj;

	cls = bl_cls_of(bl_need(cls));		/* 8 bytes: a 16-byte block */
	obj = bl_first_fit(p, bl, cls);
	while (!obj) {
		this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_REFILL]);
		if (!bl_grow(p, bl, gfp))
			return NULL;
		obj = bl_first_fit(p, bl, cls);
	}
	memset(obj, 0, want_init_on_free() ? pheap_csize(cls) :
		       sizeof(struct bl_free));
	this_cpu_dec(p->cpu_heaps->cls[cls].moved);
	this_cpu_add(p->cpu_heaps->cls[cls].req_bytes, size);
	return obj;
}

/**
 * pheap_blocklock_free() - block-lock's free: the block found from its page
 * @p: a block-lock instance
 * @ptr: the pointer freed
 * @caller: for the report of a bad free
 *
 * Context: as pheap_free_in().
 * Return: false if no run of @p holds @ptr (the caller tries the large
 * allocations), true if the free was done or refused and reported.
 */
static bool pheap_blocklock_free(struct pheap *p, const void *ptr,
				 unsigned long caller)
{
	struct pheap_run *run;
	int g;

	run = pheap_run_free_check(p, ptr, caller, &g);
	if (!run)
		return false;
	if (g >= 0)
		bl_put(p, p->blocklock, run, g);
	return true;
}

static size_t pheap_blocklock_usable_size(struct pheap *p, const void *ptr)
{
	struct pheap_run *run;
	int g = pheap_run_handed_out(p, ptr, &run), cls;

	if (g < 0)
		return 0;
	/* racy: a snapshot; a handed-out block's end does not move */
	cls = bl_cls_of(data_race(bl_bytes(run, g)));
	return cls < 0 ? 0 : pheap_csize(cls);
}

static void pheap_blocklock_rcu_done_run(struct pheap *p,
					 struct pheap_run *run,
					 const void *ptr)
{
	int g = pheap_run_granule(run, ptr);

	clear_bit(g, run->rcu_held);
	bl_put(p, p->blocklock, run, g);
}

/**
 * pheap_blocklock_init() - the block-lock heap of an instance being created
 * @p: instance
 *
 * Context: process context.
 * Return: 0 or -ENOMEM.
 */
static int pheap_blocklock_init(struct pheap *p)
{
	struct pheap_blocklock *bl = kzalloc(sizeof(*bl), GFP_KERNEL);

	if (!bl)
		return -ENOMEM;
	raw_spin_lock_init(&bl->runs_lock);
	INIT_LIST_HEAD(&bl->runs);
	p->blocklock = bl;
	return 0;
}

/**
 * pheap_blocklock_destroy() - give back every run
 * @p: instance being destroyed; NULL @p->blocklock is a no-op
 *
 * Context: process context, no other user of @p.
 * Return: blocks still in use.
 */
static unsigned long pheap_blocklock_destroy(struct pheap *p)
{
	struct pheap_blocklock *bl = p->blocklock;
	unsigned long leaked = 0;
	unsigned int c;

	if (!bl)
		return 0;
	for (c = 0; c < PHEAP_NR_CLASSES; c++)
		leaked += atomic_long_read(&bl->inuse[c]);
	pheap_run_release_all(p, &bl->runs);
	kfree(bl);
	p->blocklock = NULL;
	return leaked;
}

static void pheap_blocklock_class_stats(struct pheap *p, unsigned int cls,
					unsigned long *nr_sb,
					unsigned long *inuse)
{
	*nr_sb = 0;
	*inuse = atomic_long_read(&p->blocklock->inuse[cls]);
}

/*
 * The figures; the largest free block by a walk hand over hand, as a
 * search is. Context: any but NMI.
 */
static void pheap_blocklock_run_stats(struct pheap *p,
				      struct pheap_run_stats *rs)
{
	struct pheap_blocklock *bl = p->blocklock;
	unsigned long flags, hist[PHEAP_SEARCH_HIST];
	struct bl_free *prev = &bl->head, *cur;
	unsigned int i;

	rs->runs = atomic_long_read(&bl->nr_runs);
	rs->free_bytes = atomic_long_read(&bl->free_bytes);
	rs->hdr_bytes = atomic_long_read(&bl->hdr_bytes);
	rs->search_max = atomic_long_read(&bl->search_max);
	for (i = 0; i < PHEAP_SEARCH_HIST; i++)
		hist[i] = atomic_long_read(&bl->hist[i]);
	rs->search_p99 = pheap_search_p99(hist, rs->search_max);
	local_irq_save(flags);
	bl_lock(p, bl, prev, true);
	while ((cur = bl_next_locked(p, bl, prev, true))) {
		rs->largest_free = max(rs->largest_free, bl_size(cur));
		bl_unlock(p, bl, prev);
		prev = cur;
	}
	bl_unlock(p, bl, prev);
	local_irq_restore(flags);
}

const struct pheap_design_ops pheap_blocklock_design = {
	.id		= PHEAP_DESIGN_BLOCK_LOCK,
	.own_heaps	= true,
	.locked		= true,
	.init		= pheap_blocklock_init,
	.destroy	= pheap_blocklock_destroy,
	.alloc		= pheap_blocklock_alloc,
	.find_free	= pheap_blocklock_free,
	.usable_size	= pheap_blocklock_usable_size,
	.class_stats	= pheap_blocklock_class_stats,
	.run_stats	= pheap_blocklock_run_stats,
	.rcu_claim_run	= pheap_run_rcu_claim,
	.rcu_done_run	= pheap_blocklock_rcu_done_run,
};
