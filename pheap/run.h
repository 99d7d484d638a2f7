/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pheap page runs (run.c): the memory of the designs whose blocks are of
 * any size rather than one class's (boundary-tag, btag.c).
 *
 * A run is 2^PHEAP_RUN_ORDER pages carved into blocks that start on
 * PHEAP_RUN_GRANULE boundaries. Its descriptor lives out of band, as a
 * superblock's does, and every page of it points to it (page->private,
 * tagged PHEAP_TAG_RUN, with the check word in page->index), so a free
 * finds it in O(1) without reading the memory freed. Two bitmaps, a bit
 * per granule, are pheap's own record of the blocks, which no caller
 * can overwrite: @starts, every block's start, free or handed out, and
 * @live, the starts of the blocks handed out. A free is checked against
 * them, never against a header in the block.
 */
#ifndef _PHEAP_RUN_H
#define _PHEAP_RUN_H

#include <linux/bitmap.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/types.h>

#include "page.h"
#include "sb.h"

struct pheap;

#define PHEAP_RUN_ORDER		4			/* 64 KiB */
#define PHEAP_RUN_BYTES		(PAGE_SIZE << PHEAP_RUN_ORDER)
#define PHEAP_RUN_GRANULE	16
#define PHEAP_RUN_GRANULES	(PHEAP_RUN_BYTES / PHEAP_RUN_GRANULE)
#define PHEAP_RUN_MAGIC		0x72756e2070686561UL
/* The class a run's pages are given in trace events (-1: large). */
#define PHEAP_RUN_CLS		(-2)

/**
 * struct pheap_run - a page run's descriptor
 * @magic:    PHEAP_RUN_MAGIC while the run exists
 * @pheap:    its instance
 * @base:     its first byte, page aligned
 * @node:     on its design's list of runs, under the design's lock
 * @free_bytes: bytes in its free blocks, under the design's lock
 * @nid:      the memory node of its pages
 * @rcu:      its release: descriptor and pages go a grace period later
 * @starts:   a bit per granule that starts a block, under the design's lock
 * @live:     a bit per granule that starts a block handed out, under the
 *	      design's lock; read racily by pheap_usable_size() in NMI
 * @rcu_held: of @live, the blocks pheap_free_rcu() claimed: every other
 *	      free of them is refused until the claim's free; under the
 *	      design's lock
 * @rcu_fb:   of those, the claims recorded here for want of a batch page
 *	      (rcu.c), atomic bit operations
 * @rcu_ripe: the claims a round took from @rcu_fb: the round's alone
 * @locks:    block-lock: a bit spinlock per free block, at its start
 * @rcu_flags: PHEAP_RUN_RCU_QUEUED while on the fallback list
 * @rcu_node: on the instance's list of runs with fallback claims
 * @rcu_ripe_next: a round's list of runs: the round's alone
 * @bits:     the six bitmaps
 */
struct pheap_run {
	unsigned long magic;
	struct pheap *pheap;
	void *base;
	struct list_head node;
	unsigned int free_bytes;
	int nid;
	struct rcu_head rcu;
	unsigned long *starts, *live, *rcu_held, *rcu_fb, *rcu_ripe, *locks;
	unsigned long rcu_flags;
	struct llist_node rcu_node;
	struct pheap_run *rcu_ripe_next;
	unsigned long bits[6 * BITS_TO_LONGS(PHEAP_RUN_GRANULES)];
};

#define PHEAP_RUN_RCU_QUEUED	0	/* bit of rcu_flags */

/* Search lengths of a page-run design, in log2 buckets: 0, 1, 2-3, ... */
#define PHEAP_SEARCH_HIST	16

static inline unsigned int pheap_search_bucket(unsigned long steps)
{
	return min_t(unsigned int, steps ? ilog2(steps) + 1 : 0,
		     PHEAP_SEARCH_HIST - 1);
}

/* run.c */
struct pheap_run *pheap_run_new(struct pheap *p, gfp_t gfp, int nid);
void pheap_run_release(struct pheap *p, struct pheap_run *run);
void pheap_run_release_all(struct pheap *p, struct list_head *runs);
bool pheap_run_rcu_claim(struct pheap *p, struct pheap_run *run,
			 const void *ptr);
struct pheap_run *pheap_run_free_check(struct pheap *p, const void *ptr,
				       unsigned long caller, int *g);
int pheap_run_handed_out(struct pheap *p, const void *ptr,
			 struct pheap_run **runp);
unsigned long pheap_search_p99(const unsigned long *hist, unsigned long max);

/**
 * pheap_run_lookup() - the run of @p that holds @ptr, in O(1)
 * @p: the instance
 * @ptr: any pointer
 *
 * Reads only @ptr's struct page, and the descriptor it points to.
 *
 * Context: a superblock read section (sb.h): the run found stays
 * allocated until its end.
 * Return: the run, or NULL if no run of @p holds @ptr.
 */
static inline struct pheap_run *pheap_run_lookup(const struct pheap *p,
						 const void *ptr)
{
	struct pheap_run *run;
	unsigned long priv;
	struct page *page;

	if (!pheap_direct_map_valid(ptr))
		return NULL;
	page = virt_to_page(ptr);
	priv = page_private(page);
	if (!(priv & PHEAP_TAG_RUN) ||
	    READ_ONCE(page->index) != (priv ^ PHEAP_PAGE_MAGIC))
		return NULL;
	run = (struct pheap_run *)(priv & ~PHEAP_TAG_RUN);
	if (READ_ONCE(run->magic) != PHEAP_RUN_MAGIC || run->pheap != p)
		return NULL;
	return run;
}

/* The granule @ptr starts in @run, or -1 if it starts none. */
static inline int pheap_run_granule(const struct pheap_run *run,
				    const void *ptr)
{
	unsigned long off = ptr - run->base;

	if (off >= PHEAP_RUN_BYTES || off % PHEAP_RUN_GRANULE)
		return -1;
	return off / PHEAP_RUN_GRANULE;
}

/* The address of granule @g of @run. */
static inline void *pheap_run_addr(const struct pheap_run *run, unsigned int g)
{
	return run->base + g * PHEAP_RUN_GRANULE;
}

#endif /* _PHEAP_RUN_H */
