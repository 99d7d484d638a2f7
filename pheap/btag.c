// SPDX-License-Identifier: GPL-2.0
/*
 * pheap's boundary-tag design: the size-header heap pheap's lecture notes
 * open with.
 *
 *   "we always allocate more memory than the program asks for ... to
 *   store the size"; "each of the free blocks has a pointer to the
 *   previous and the next"; "the smallest size of a block is 16 bytes"
 *   ("CMU malloc basically does this").
 *
 * The heap: page runs (run.h), each one sequence of blocks, and one
 * explicit doubly linked free list through every run's free blocks,
 * searched first fit from its head; a freed block goes to the head
 * (LIFO). One raw spinlock, taken with interrupts off, protects it all.
 *
 * A block:
 *
 *   handed out:  | size|A|P (4) | object ...                        |
 *   free:        | size|P (4)   | prev (4) | next (4) | ... | size (4) |
 *
 * The header (4 bytes, in front of the pointer returned) holds the
 * block's size, a multiple of 16, and two flags: A (handed out) and P
 * (the block before it is handed out). A free block repeats its size in
 * a footer, its last 4 bytes, so that the free of the block after it
 * finds it in O(1) and coalesces: a free merges the block with a free
 * neighbour on either side at once, so no two free blocks are ever
 * adjacent. prev and next are 32-bit links: a block's address in
 * 16-byte units of the direct map, which is what brings a free block to
 * the notes' 16 bytes on a 64-bit kernel (header, two links, footer); it
 * limits the design to machines whose memory ends below 64 GiB
 * (pheap_btag_init() refuses the others).
 *
 * Sizes: a request is served with a block of its size class's size plus
 * the header, rounded up to 16 bytes (a 64-byte request takes 80 bytes):
 * every pheap design serves the same class sizes, so the designs are
 * compared on the same blocks, and what this one adds per block is
 * counted (hdr_bytes). Objects start 16-byte aligned (headers sit at
 * 12 mod 16); a power-of-two size up to PAGE_SIZE is naturally aligned,
 * as kmalloc's are: the search skips to the first aligned place in a
 * free block, and the gap in front of it (a multiple of 16) stays a free
 * block of its own (align_pad_bytes). Large requests are whole pages, as
 * in every design.
 *
 * pheap's own record: the run's @starts and @live bitmaps (run.h) say
 * where every block starts and which are handed out. A free is checked
 * against them (a pointer that starts no block handed out is a bad free,
 * reported, the heap untouched), never against the header; and every
 * size the design reads from a header, a footer or a link is checked
 * against them before it is used. A caller that overwrote one (a write
 * past its block, or into a freed one) is reported as a corruption, and
 * the list and every tag are rebuilt from the bitmaps (pheap_btag_rebuild()):
 * nothing is lost, and nothing is written where the corrupt value
 * pointed.
 *
 * What the notes claim, and what the statistics show: the search length
 * (free_list_searched per allocation, search_max, search_p99), the
 * header's cost (hdr_bytes), the alignment's (align_pad_bytes), and
 * external fragmentation (run_free_bytes against run_largest_free).
 * The search is first fit over one list: unbounded, with interrupts off,
 * on purpose, as kheap's walk is (README, Known limits).
 *
 * Empty runs: a free that empties one keeps it while fewer than
 * cfg.global_reserve are empty, else gives it back after the lock is
 * dropped (never where PREEMPT_RT forbids: it is kept).
 *
 * The kmalloc family: pheap_alloc_nolock() gets NULL (the one lock is
 * what nolock may not wait for); node and bulk calls take the plain
 * paths; pheap_free_rcu() claims a block by a bit in its run's
 * @rcu_held, set under the lock its frees take, which they check.
 */
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

#define BT_ALLOC	1U	/* header: the block is handed out */
#define BT_PREV_ALLOC	2U	/* header: the block before it is */
#define BT_FLAGS	15U
#define BT_MIN		16U	/* header, two links, footer */
#define BT_NIL		U32_MAX

/* A run's layout: granule 0 is the prologue, then blocks to the end. */
#define BT_FIRST_G	1
#define BT_RUN_SPAN	(PHEAP_RUN_BYTES - PHEAP_RUN_GRANULE)

/**
 * struct pheap_btag - the boundary-tag heap
 * @lock:	protects everything below, and the blocks' tags
 * @head:	the first free block's link, or BT_NIL
 * @runs:	every run (struct pheap_run.node)
 * @nr_runs:	runs held
 * @nr_empty:	of them, with no block handed out
 * @free_bytes:	bytes in free blocks, every run
 * @hdr_bytes:	what blocks in use take beyond their class size
 * @inuse:	blocks in use, per size class
 * @search_max: the longest search, free blocks visited
 * @hist:	searches by length, log2 buckets
 */
struct pheap_btag {
	raw_spinlock_t lock;
	u32 head;
	struct list_head runs;
	unsigned long nr_runs, nr_empty, free_bytes, hdr_bytes;
	unsigned long inuse[PHEAP_NR_CLASSES];
	unsigned long search_max;
	unsigned long hist[PHEAP_SEARCH_HIST];
};

/* Bytes a block of class @cls takes: object, header, rounded to 16. */
static unsigned int bt_need(unsigned int cls)
{
	return ALIGN(pheap_csize(cls) + sizeof(u32), PHEAP_RUN_GRANULE);
}

/* The alignment class @cls's objects get: natural for a power of two. */
static unsigned int bt_align(unsigned int cls)
{
	unsigned int size = pheap_csize(cls);

	return is_power_of_2(size) && size > PHEAP_RUN_GRANULE ?
	       size : PHEAP_RUN_GRANULE;
}

/* The class whose blocks are @bytes long, or -1. */
static int bt_cls_of(unsigned long bytes)
{
	unsigned int c;

	for (c = 0; c < PHEAP_NR_CLASSES; c++)
		if (bt_need(c) == bytes)
			return c;
	return -1;
}

/* A block is its header's address; the object starts 4 bytes in. */
static u32 *bt_hdr(void *blk)
{
	return blk;
}

static u32 *bt_prev(void *blk)
{
	return blk + 4;
}

static u32 *bt_next(void *blk)
{
	return blk + 8;
}

static u32 *bt_foot(void *blk, unsigned long size)
{
	return blk + size - 4;
}

/* Granule @g of @run as a block, and back. */
static void *bt_blk(struct pheap_run *run, unsigned int g)
{
	return pheap_run_addr(run, g) - sizeof(u32);
}

static u32 bt_link(const void *blk)
{
	return ((unsigned long)blk - PAGE_OFFSET) / PHEAP_RUN_GRANULE;
}

static void *bt_at(u32 link)
{
	return (void *)(PAGE_OFFSET + (unsigned long)link * PHEAP_RUN_GRANULE +
			PHEAP_RUN_GRANULE - sizeof(u32));
}

/* Bytes of the block at granule @g, from pheap's own record. */
static unsigned long bt_size(struct pheap_run *run, unsigned int g)
{
	return (find_next_bit(run->starts, PHEAP_RUN_GRANULES, g + 1) - g) *
	       PHEAP_RUN_GRANULE;
}

/* Write the tags of a free block of @size at @blk (not its links). */
static void bt_set_free(void *blk, unsigned long size, u32 prev_flag)
{
	*bt_hdr(blk) = size | prev_flag;
	*bt_foot(blk, size) = size;
}

/* Set or clear the P flag of the block after @blk (or the end tag). */
static void bt_set_prev_flag(void *blk, unsigned long size, bool alloc)
{
	u32 *next = bt_hdr(blk + size);

	*next = alloc ? *next | BT_PREV_ALLOC : *next & ~BT_PREV_ALLOC;
}

/*
 * Is @link a free block of @p whose tags agree with pheap's record?
 * Return: its run, or NULL.
 */
static struct pheap_run *bt_free_ok(struct pheap *p, u32 link)
{
	void *blk = bt_at(link);
	struct pheap_run *run = pheap_run_lookup(p, blk + sizeof(u32));
	unsigned long size;
	int g;

	if (!run)
		return NULL;
	g = pheap_run_granule(run, blk + sizeof(u32));
	if (g < BT_FIRST_G || !test_bit(g, run->starts) || test_bit(g, run->live))
		return NULL;
	size = bt_size(run, g);
	if ((*bt_hdr(blk) & ~BT_FLAGS) != size || (*bt_hdr(blk) & BT_ALLOC) ||
	    *bt_foot(blk, size) != size)
		return NULL;
	return run;
}

/*
 * Is @blk, reached by a link, a free block of @p as far as its bitmaps
 * say? The walk's check: enough to read its size and link (in a run of
 * @p's, where a free block starts), not to cut it.
 */
static bool bt_free_seen(struct pheap *p, void *blk)
{
	struct pheap_run *run = pheap_run_lookup(p, blk + sizeof(u32));
	int g;

	if (!run)
		return false;
	g = pheap_run_granule(run, blk + sizeof(u32));
	return g >= BT_FIRST_G && test_bit(g, run->starts) &&
	       !test_bit(g, run->live) && !(*bt_hdr(blk) & BT_ALLOC);
}

/* Push the free block @blk at the head of the list. */
static void bt_push(struct pheap_btag *bt, void *blk)
{
	u32 link = bt_link(blk);

	*bt_prev(blk) = BT_NIL;
	*bt_next(blk) = bt->head;
	if (bt->head != BT_NIL)
		*bt_prev(bt_at(bt->head)) = link;
	bt->head = link;
}

/* Do the free block @blk's links, and its neighbours' on the list, agree? */
static bool bt_unlink_ok(struct pheap *p, struct pheap_btag *bt, void *blk)
{
	u32 link = bt_link(blk), prev = *bt_prev(blk), next = *bt_next(blk);

	if (prev == BT_NIL ? bt->head != link :
	    !bt_free_ok(p, prev) || *bt_next(bt_at(prev)) != link)
		return false;
	return next == BT_NIL ||
	       (bt_free_ok(p, next) && *bt_prev(bt_at(next)) == link);
}

/*
 * Take the free block @blk off the list, its links checked first.
 * Return: false (nothing written) if a link is corrupt.
 */
static bool bt_unlink(struct pheap *p, struct pheap_btag *bt, void *blk)
{
	u32 prev = *bt_prev(blk), next = *bt_next(blk);

	if (!bt_unlink_ok(p, bt, blk))
		return false;
	if (prev == BT_NIL)
		bt->head = next;
	else
		*bt_next(bt_at(prev)) = next;
	if (next != BT_NIL)
		*bt_prev(bt_at(next)) = prev;
	return true;
}

/* Lay @run out as one free block, on the list. */
static void bt_run_init(struct pheap_btag *bt, struct pheap_run *run)
{
	void *blk = bt_blk(run, BT_FIRST_G);

	set_bit(BT_FIRST_G, run->starts);
	bt_set_free(blk, BT_RUN_SPAN, BT_PREV_ALLOC);
	*bt_hdr(blk + BT_RUN_SPAN) = BT_ALLOC;		/* the end tag */
	bt_push(bt, blk);
	run->free_bytes = BT_RUN_SPAN;
	list_add(&run->node, &bt->runs);
	bt->nr_runs++;
	bt->nr_empty++;
	bt->free_bytes += BT_RUN_SPAN;
}

/* Tags and list of one run rebuilt from its bitmaps; see below. */
static void bt_rebuild_run(struct pheap_btag *bt, struct pheap_run *run)
{
	u32 prev_flag = BT_PREV_ALLOC;
	unsigned long size;
	unsigned int g, n;
	void *blk;

	run->free_bytes = 0;
	for (g = BT_FIRST_G; g < PHEAP_RUN_GRANULES; g = n) {
		n = find_next_bit(run->starts, PHEAP_RUN_GRANULES, g + 1);
		/* a free block after a free one: merge them */
		while (n < PHEAP_RUN_GRANULES && !test_bit(g, run->live) &&
		       !test_bit(n, run->live)) {
			clear_bit(n, run->starts);
			n = find_next_bit(run->starts, PHEAP_RUN_GRANULES, n + 1);
		}
		blk = bt_blk(run, g);
		size = (n - g) * PHEAP_RUN_GRANULE;
		if (test_bit(g, run->live)) {
			*bt_hdr(blk) = size | BT_ALLOC | prev_flag;
			prev_flag = BT_PREV_ALLOC;
			continue;
		}
		bt_set_free(blk, size, prev_flag);
		bt_push(bt, blk);
		run->free_bytes += size;
		prev_flag = 0;
	}
	*bt_hdr(bt_blk(run, PHEAP_RUN_GRANULES)) = BT_ALLOC | prev_flag;
	bt->free_bytes += run->free_bytes;
}

/*
 * A tag or link did not agree with pheap's record: a caller wrote where
 * it must not. Report it once, and rebuild every tag and the free list
 * from the runs' bitmaps, which no caller can write: what the caller
 * wrote is overwritten, no block is lost. O(heap), with the lock held.
 */
static void pheap_btag_rebuild(struct pheap *p, struct pheap_btag *bt,
			       const void *where)
{
	struct pheap_run *run;

	pheap_report_corrupt_tag(p, where);
	bt->head = BT_NIL;
	bt->free_bytes = 0;
	list_for_each_entry(run, &bt->runs, node)
		bt_rebuild_run(bt, run);
}

/* Count a search of @steps free blocks. */
static void bt_searched(struct pheap *p, struct pheap_btag *bt,
			unsigned long steps)
{
	bt->hist[pheap_search_bucket(steps)]++;
	bt->search_max = max(bt->search_max, steps);
	this_cpu_add(p->cpu_heaps->ev[PHEAP_EV_SEARCHED], steps);
}

/*
 * Carve a block of class @cls out of the free block @blk of @run, at
 * @lead bytes in: the gap in front stays a free block, the tail past the
 * block becomes one. Return: the object.
 */
static void *bt_carve(struct pheap *p, struct pheap_btag *bt,
		      struct pheap_run *run, void *blk, unsigned long lead,
		      unsigned int cls)
{
	unsigned long size = *bt_hdr(blk) & ~BT_FLAGS, need = bt_need(cls);
	unsigned long rest = size - lead - need;
	void *obj = blk + lead;
	u32 prev_flag = *bt_hdr(blk) & BT_PREV_ALLOC;

	if (lead) {
		bt_set_free(blk, lead, prev_flag);	/* stays on the list */
		prev_flag = 0;
		set_bit(pheap_run_granule(run, obj + sizeof(u32)), run->starts);
		this_cpu_add(p->cpu_heaps->ev[PHEAP_EV_ALIGN_PAD], lead);
	} else if (!bt_unlink(p, bt, blk)) {
		return NULL;
	}
	if (run->free_bytes == BT_RUN_SPAN)
		bt->nr_empty--;
	*bt_hdr(obj) = need | BT_ALLOC | prev_flag;
	if (rest) {
		bt_set_free(obj + need, rest, BT_PREV_ALLOC);
		set_bit(pheap_run_granule(run, obj + need + sizeof(u32)),
			run->starts);
		bt_push(bt, obj + need);
	} else {
		bt_set_prev_flag(obj, need, true);
	}
	set_bit(pheap_run_granule(run, obj + sizeof(u32)), run->live);
	run->free_bytes -= need;
	bt->free_bytes -= need;
	bt->hdr_bytes += need - pheap_csize(cls);
	bt->inuse[cls]++;
	return obj + sizeof(u32);
}

/*
 * First fit: the first free block on the list with room for a block of
 * class @cls at an aligned place. Return: the object, NULL if none has
 * room, or ERR_PTR(-EUCLEAN) after a corrupt link (the heap rebuilt).
 */
static void *bt_first_fit(struct pheap *p, struct pheap_btag *bt,
			  unsigned int cls)
{
	unsigned long need = bt_need(cls), align = bt_align(cls);
	unsigned long steps = 0, size, lead;
	struct pheap_run *run;
	u32 link = bt->head;
	void *blk, *obj;

	for (; link != BT_NIL; link = *bt_next(blk)) {
		blk = bt_at(link);
		/* no more free blocks than 16-byte ones would make: a cycle */
		if (++steps > bt->free_bytes / BT_MIN || !bt_free_seen(p, blk))
			goto corrupt;
		size = *bt_hdr(blk) & ~BT_FLAGS;
		lead = ALIGN((unsigned long)blk + sizeof(u32), align) -
		       ((unsigned long)blk + sizeof(u32));
		if (lead + need > size)
			continue;
		run = bt_free_ok(p, link);	/* the one cut: every tag */
		if (!run)
			goto corrupt;
		obj = bt_carve(p, bt, run, blk, lead, cls);
		if (!obj)
			goto corrupt;
		bt_searched(p, bt, steps);
		return obj;
	}
	bt_searched(p, bt, steps);
	return NULL;
corrupt:
	bt_searched(p, bt, steps);
	pheap_btag_rebuild(p, bt, blk);
	return ERR_PTR(-EUCLEAN);
}

static unsigned long bt_lock(struct pheap *p, struct pheap_btag *bt)
	__acquires(&bt->lock)
{
	unsigned long flags;

	local_irq_save(flags);
	if (!raw_spin_trylock(&bt->lock)) {
		this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_LOCK_CONTENDED]);
		raw_spin_lock(&bt->lock);
	}
	this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_LOCK]);
	return flags;
}

static void bt_unlock(struct pheap_btag *bt, unsigned long flags)
	__releases(&bt->lock)
{
	raw_spin_unlock_irqrestore(&bt->lock, flags);
}

/* Under the lock: a block, a rebuild's retry included, or NULL. */
static void *bt_take(struct pheap *p, struct pheap_btag *bt, unsigned int cls)
{
	void *obj = bt_first_fit(p, bt, cls);

	if (IS_ERR(obj))
		obj = bt_first_fit(p, bt, cls);
	return IS_ERR(obj) ? NULL : obj;
}

/**
 * pheap_btag_alloc() - a block from the boundary-tag heap
 * @p: a boundary-tag instance
 * @cls: size class
 * @size: bytes requested, for the statistics
 * @gfp: allocation flags, for a new run
 *
 * Context: as pheap_alloc_in().
 * Return: the object, contents as they are but its first 8 bytes clear
 * (init_on_free: all of it), or NULL.
 */
static void *pheap_btag_alloc(struct pheap *p, unsigned int cls, size_t size,
			      gfp_t gfp)
{
	struct pheap_btag *bt = p->btag;
	struct pheap_run *run = NULL;
	unsigned long flags;
	void *obj;

	flags = bt_lock(p, bt);
	obj = bt_take(p, bt, cls);
	bt_unlock(bt, flags);
	if (!obj) {
		this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_REFILL]);
		run = pheap_run_new(p, gfp, numa_mem_id());
		if (!run)
			return NULL;
		flags = bt_lock(p, bt);
		bt_run_init(bt, run);
		obj = bt_take(p, bt, cls);
		bt_unlock(bt, flags);
		if (!obj)
			return NULL;
	}
	/* the links a free block had there; init_on_free: all of it clear */
	memset(obj, 0, want_init_on_free() ? pheap_csize(cls) : 2 * sizeof(u32));
	this_cpu_dec(p->cpu_heaps->cls[cls].moved);
	this_cpu_add(p->cpu_heaps->cls[cls].req_bytes, size);
	return obj;
}

/*
 * Under the lock: can the block at granule @g of @run, handed out, be
 * freed? Its header, and its free neighbours' tags and links, must agree
 * with the bitmaps: then nothing read from them later is wrong.
 */
static bool bt_put_ok(struct pheap *p, struct pheap_btag *bt,
		      struct pheap_run *run, unsigned int g, unsigned int pg,
		      unsigned int n)
{
	void *blk = bt_blk(run, g);
	unsigned long size = (n - g) * PHEAP_RUN_GRANULE;
	bool prev_free = pg < g && !test_bit(pg, run->live);
	u32 hdr = *bt_hdr(blk);

	if ((hdr & ~BT_FLAGS) != size || !(hdr & BT_ALLOC) ||
	    !(hdr & BT_PREV_ALLOC) != prev_free)
		return false;
	if (prev_free &&
	    (*(u32 *)(blk - sizeof(u32)) != (g - pg) * PHEAP_RUN_GRANULE ||
	     !bt_free_ok(p, bt_link(bt_blk(run, pg)))))
		return false;
	return n >= PHEAP_RUN_GRANULES || test_bit(n, run->live) ||
	       (bt_free_ok(p, bt_link(blk + size)) &&
		bt_unlink_ok(p, bt, blk + size));
}

/*
 * Under the lock: the block at granule @g of @run, handed out, freed and
 * coalesced with a free neighbour on either side. Return: false for a
 * tag that does not agree with the bitmaps (nothing written).
 */
static bool bt_put(struct pheap *p, struct pheap_btag *bt,
		   struct pheap_run *run, unsigned int g, unsigned int cls)
{
	unsigned long size = bt_size(run, g);
	unsigned int n = g + size / PHEAP_RUN_GRANULE;
	unsigned int pg = find_last_bit(run->starts, g);
	void *blk = bt_blk(run, g);

	if (!bt_put_ok(p, bt, run, g, pg, n))
		return false;
	if (unlikely(want_init_on_free()))
		memset(blk + sizeof(u32), 0, pheap_csize(cls));
	clear_bit(g, run->live);
	run->free_bytes += size;
	bt->free_bytes += size;
	bt->hdr_bytes -= size - pheap_csize(cls);
	bt->inuse[cls]--;
	if (n < PHEAP_RUN_GRANULES && !test_bit(n, run->live)) {
		bt_unlink(p, bt, blk + size);		/* checked above */
		clear_bit(n, run->starts);
	}
	if (pg < g && !test_bit(pg, run->live)) {	/* joins the one before */
		clear_bit(g, run->starts);
		g = pg;
		blk = bt_blk(run, g);
		bt_set_free(blk, bt_size(run, g), *bt_hdr(blk) & BT_PREV_ALLOC);
	} else {
		bt_set_free(blk, bt_size(run, g), BT_PREV_ALLOC);
		bt_push(bt, blk);
	}
	bt_set_prev_flag(blk, bt_size(run, g), false);
	if (run->free_bytes == BT_RUN_SPAN)
		bt->nr_empty++;
	return true;
}

/*
 * Under the lock: if @run is empty and enough others are, take it off
 * the heap. Return: the run to give back once the lock is dropped.
 */
static struct pheap_run *bt_shed(struct pheap *p, struct pheap_btag *bt,
				 struct pheap_run *run)
{
	if (run->free_bytes != BT_RUN_SPAN ||
	    bt->nr_empty <= p->cfg.global_reserve || pheap_rt_atomic())
		return NULL;
	if (!bt_unlink(p, bt, bt_blk(run, BT_FIRST_G)))
		return NULL;
	list_del(&run->node);
	bt->nr_runs--;
	bt->nr_empty--;
	bt->free_bytes -= BT_RUN_SPAN;
	return run;
}

/* Under the lock: free @ptr of @run, or say why not. */
static const char *bt_free_locked(struct pheap *p, struct pheap_btag *bt,
				  struct pheap_run *run, const void *ptr,
				  struct pheap_run **release)
{
	int g = pheap_run_granule(run, ptr), cls;

	if (g < BT_FIRST_G || !test_bit(g, run->live))
		return "not a block of this heap, or a double free";
	if (test_bit(g, run->rcu_held))
		return "double free (pheap_free_rcu() holds it)";
	cls = bt_cls_of(bt_size(run, g));
	if (cls < 0 || !bt_put(p, bt, run, g, cls)) {
		pheap_btag_rebuild(p, bt, ptr - sizeof(u32));
		cls = bt_cls_of(bt_size(run, g));
		if (cls < 0 || !bt_put(p, bt, run, g, cls))
			return "block tags beyond repair";
	}
	*release = bt_shed(p, bt, run);
	this_cpu_inc(p->cpu_heaps->cls[cls].frees);
	this_cpu_inc(p->cpu_heaps->cls[cls].moved);
	return NULL;
}

/**
 * pheap_btag_free() - boundary-tag's free: the block found from its page
 * @p: a boundary-tag instance
 * @ptr: the pointer freed
 * @caller: for the report of a bad free
 *
 * Context: as pheap_free_in().
 * Return: false if no run of @p holds @ptr (the caller tries the large
 * allocations), true if the free was done or refused and reported.
 */
static bool pheap_btag_free(struct pheap *p, const void *ptr,
			    unsigned long caller)
{
	struct pheap_run *run = pheap_run_lookup(p, ptr), *release = NULL;
	struct pheap_btag *bt = p->btag;
	unsigned long flags;
	const char *why;

	if (!run)
		return false;
	flags = bt_lock(p, bt);
	why = bt_free_locked(p, bt, run, ptr, &release);
	bt_unlock(bt, flags);
	if (why)
		pheap_report_bad_free(p, ptr, why, caller);
	if (release)
		pheap_run_release(p, release);
	return true;
}

/*
 * The class of the block handed out at @ptr (claimed by pheap_free_rcu()
 * or not: readers may still use it), racily; -1 if none.
 */
static int bt_live_cls(struct pheap *p, const void *ptr)
{
	struct pheap_run *run = pheap_run_lookup(p, ptr);
	int g;

	if (!run)
		return -1;
	g = pheap_run_granule(run, ptr);
	/* racy: a snapshot, as usable size is for every design */
	if (g < BT_FIRST_G || !data_race(test_bit(g, run->live)))
		return -1;
	/* racy as above: a size of the moment */
	return bt_cls_of(data_race(bt_size(run, g)));
}

/**
 * pheap_btag_usable_size() - the object size of a block handed out
 * @p: a boundary-tag instance
 * @ptr: any pointer
 *
 * Context: any, in a superblock read section.
 * Return: its class's size, or 0 if @ptr starts no block handed out.
 */
static size_t pheap_btag_usable_size(struct pheap *p, const void *ptr)
{
	int cls = bt_live_cls(p, ptr);

	return cls < 0 ? 0 : pheap_csize(cls);
}

/* pheap_free_rcu()'s claim: the block's held bit, under the lock. */
static bool pheap_btag_rcu_claim_run(struct pheap *p, struct pheap_run *run,
				     const void *ptr)
{
	struct pheap_btag *bt = p->btag;
	int g = pheap_run_granule(run, ptr);
	unsigned long flags;
	bool claimed = false;

	flags = bt_lock(p, bt);
	if (g >= BT_FIRST_G && test_bit(g, run->live))
		claimed = !__test_and_set_bit(g, run->rcu_held);
	bt_unlock(bt, flags);
	return claimed;
}

/* The claimed block freed, a grace period later. */
static void pheap_btag_rcu_done_run(struct pheap *p, struct pheap_run *run,
				    const void *ptr)
{
	struct pheap_run *release = NULL;
	struct pheap_btag *bt = p->btag;
	unsigned long flags;
	const char *why;

	if (WARN_ON_ONCE(!run))
		return;
	flags = bt_lock(p, bt);
	__clear_bit(pheap_run_granule(run, ptr), run->rcu_held);
	why = bt_free_locked(p, bt, run, ptr, &release);
	bt_unlock(bt, flags);
	if (why)
		pheap_report_bad_free(p, ptr, why, _RET_IP_);
	if (release)
		pheap_run_release(p, release);
}

/**
 * pheap_btag_init() - the boundary-tag heap of an instance being created
 * @p: instance
 *
 * Context: process context.
 * Return: 0, -EINVAL where memory ends above what a 32-bit link reaches,
 * or -ENOMEM.
 */
static int pheap_btag_init(struct pheap *p)
{
	struct pheap_btag *bt;

	/* the direct map's end: memory hot-added later is not covered */
	if (((unsigned long)high_memory - PAGE_OFFSET) / PHEAP_RUN_GRANULE >=
	    BT_NIL) {
		pr_err("%s: design=boundary-tag links blocks by 32-bit granule numbers: memory must end below 64 GiB\n",
		       p->cfg.name ?: "pheap");
		return -EINVAL;
	}
	bt = kzalloc(sizeof(*bt), GFP_KERNEL);
	if (!bt)
		return -ENOMEM;
	raw_spin_lock_init(&bt->lock);
	bt->head = BT_NIL;
	INIT_LIST_HEAD(&bt->runs);
	p->btag = bt;
	return 0;
}

/**
 * pheap_btag_destroy() - give back every run
 * @p: instance being destroyed; NULL @p->btag is a no-op
 *
 * Context: process context, no other user of @p.
 * Return: blocks still in use.
 */
static unsigned long pheap_btag_destroy(struct pheap *p)
{
	struct pheap_btag *bt = p->btag;
	unsigned long leaked = 0;
	unsigned int c;

	if (!bt)
		return 0;
	for (c = 0; c < PHEAP_NR_CLASSES; c++)
		leaked += bt->inuse[c];
	pheap_run_release_all(p, &bt->runs);
	kfree(bt);
	p->btag = NULL;
	return leaked;
}

static void pheap_btag_class_stats(struct pheap *p, unsigned int cls,
				   unsigned long *nr_sb, unsigned long *inuse)
{
	*nr_sb = 0;
	/* racy read on purpose: a snapshot, as stats.c's */
	*inuse = data_race(READ_ONCE(p->btag->inuse[cls]));
}

/**
 * pheap_btag_run_stats() - the heap's runs and what the notes claim
 * @p: a boundary-tag instance
 * @rs: filled in
 *
 * Walks the free list for its largest block, under the lock: O(free
 * blocks), interrupts off, as a search is.
 *
 * Context: process context.
 */
static void pheap_btag_run_stats(struct pheap *p, struct pheap_run_stats *rs)
{
	struct pheap_btag *bt = p->btag;
	unsigned long flags, size;
	u32 link;

	/* a read: not counted in lock_acquired, as the calls' locks are */
	raw_spin_lock_irqsave(&bt->lock, flags);
	rs->runs = bt->nr_runs;
	rs->free_bytes = bt->free_bytes;
	rs->hdr_bytes = bt->hdr_bytes;
	rs->search_max = bt->search_max;
	rs->search_p99 = pheap_search_p99(bt->hist, bt->search_max);
	for (link = bt->head; link != BT_NIL; link = *bt_next(bt_at(link))) {
		if (!bt_free_ok(p, link))
			break;		/* found and repaired by the next search */
		size = *bt_hdr(bt_at(link)) & ~BT_FLAGS;
		rs->largest_free = max(rs->largest_free, size);
	}
	bt_unlock(bt, flags);
}

const struct pheap_design_ops pheap_btag_design = {
	.id		= PHEAP_DESIGN_BOUNDARY_TAG,
	.own_heaps	= true,
	.locked		= true,
	.init		= pheap_btag_init,
	.destroy	= pheap_btag_destroy,
	.alloc		= pheap_btag_alloc,
	.find_free	= pheap_btag_free,
	.usable_size	= pheap_btag_usable_size,
	.class_stats	= pheap_btag_class_stats,
	.run_stats	= pheap_btag_run_stats,
	.rcu_claim_run	= pheap_btag_rcu_claim_run,
	.rcu_done_run	= pheap_btag_rcu_done_run,
};
