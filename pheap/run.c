// SPDX-License-Identifier: GPL-2.0
/*
 * pheap page runs: the pages of the designs whose blocks are of any size
 * (run.h says what a run is and how a pointer finds it).
 *
 * A run is one 2^PHEAP_RUN_ORDER-page request on the caller's node, its
 * descriptor (with its bitmaps) kmalloc'ed beside it. The design carves
 * it; this file only creates, tags and releases runs.
 *
 * Release: the tag is cleared first, then the pages and descriptor go
 * back a grace period later (call_rcu()), so that a lookup in a
 * superblock read section (a double free racing the release) reads a
 * descriptor that is still allocated, and finds it dead.
 *
 * Context: pheap_run_new() allocates with the caller's gfp and is called
 * with no pheap lock held; pheap_run_release() never sleeps, and is
 * called with no pheap lock held and never where PREEMPT_RT forbids the
 * page allocator (the designs keep such a run instead).
 */
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "fault.h"
#include "instance.h"
#include "page.h"
#include "report.h"
#include "run.h"

/**
 * pheap_run_new() - a new page run, untouched, tagged as @p's
 * @p: instance
 * @gfp: the caller's allocation flags (__GFP_THISNODE: on @nid or none)
 * @nid: the memory node asked for
 *
 * Counts in the page-fault injection (fault.c) as a superblock does.
 *
 * Context: as alloc_pages() with @gfp.
 * Return: the run, its bitmaps clear, or NULL.
 */
struct pheap_run *pheap_run_new(struct pheap *p, gfp_t gfp, int nid)
{
	gfp_t page_gfp = gfp & ~(__GFP_ZERO | __GFP_COMP | __GFP_HIGHMEM |
				 GFP_ZONEMASK);
	struct pheap_run *run;
	struct page *page;
	unsigned int words = BITS_TO_LONGS(PHEAP_RUN_GRANULES);

	if (pheap_fault_should_fail(p))
		return NULL;
	run = kzalloc(sizeof(*run), page_gfp);
	if (!run)
		return NULL;
	page = pheap_get_pages(p, page_gfp, PHEAP_RUN_ORDER, PHEAP_RUN_CLS,
			       nid);
	if (!page) {
		kfree(run);
		return NULL;
	}
	run->base = page_address(page);
	run->nid = page_to_nid(page);
	run->pheap = p;
	INIT_LIST_HEAD(&run->node);
	run->starts = run->bits;
	run->live = run->bits + words;
	run->rcu_held = run->bits + 2 * words;
	run->rcu_fb = run->bits + 3 * words;
	run->rcu_ripe = run->bits + 4 * words;
	run->locks = run->bits + 5 * words;
	run->magic = PHEAP_RUN_MAGIC;
	pheap_tag_pages(page, 1U << PHEAP_RUN_ORDER,
			(unsigned long)run | PHEAP_TAG_RUN);
	return run;
}

static void pheap_run_free_rcu(struct rcu_head *rcu)
{
	struct pheap_run *run = container_of(rcu, struct pheap_run, rcu);

	__free_pages(virt_to_page(run->base), PHEAP_RUN_ORDER);
	kfree(run);
}

/**
 * pheap_run_release() - give a run's pages back, a grace period from now
 * @p: its instance
 * @run: a run no block of which is in use, off its design's lists
 *
 * Context: no pheap lock held, not pheap_rt_atomic(); never sleeps.
 */
void pheap_run_release(struct pheap *p, struct pheap_run *run)
{
	struct page *page = virt_to_page(run->base);

	pheap_tag_pages(page, 1U << PHEAP_RUN_ORDER, 0);
	WRITE_ONCE(run->magic, 0);
	pheap_pages_given(p, page, PHEAP_RUN_ORDER, PHEAP_RUN_CLS);
	call_rcu(&run->rcu, pheap_run_free_rcu);
}

/**
 * pheap_run_release_all() - give back every run of a list
 * @p: their instance
 * @runs: runs linked by their node, none of their blocks in use
 *
 * Context: as pheap_run_release().
 */
void pheap_run_release_all(struct pheap *p, struct list_head *runs)
{
	struct pheap_run *run, *tmp;

	list_for_each_entry_safe(run, tmp, runs, node) {
		list_del(&run->node);
		pheap_run_release(p, run);
	}
}

/**
 * pheap_run_free_check() - a free of a design with no header (block-lock,
 *			    btree), checked against its run's own record
 * @p: the instance
 * @ptr: the pointer freed
 * @caller: for the report of a bad free
 * @g: set to the block's granule once its live bit is taken (the free
 *     is then the caller's to do), else to -1 (refused and reported)
 *
 * Context: as pheap_free_in().
 * Return: the run that holds @ptr, or NULL if no run of @p does (the
 * caller tries the large allocations).
 */
struct pheap_run *pheap_run_free_check(struct pheap *p, const void *ptr,
				       unsigned long caller, int *g)
{
	struct pheap_run *run = pheap_run_lookup(p, ptr);

	if (!run)
		return NULL;
	*g = pheap_run_granule(run, ptr);
	if (*g < 0 || !test_and_clear_bit(*g, run->live)) {
		pheap_report_bad_free(p, ptr, "not a block of this heap, or a double free",
				      caller);
		*g = -1;
	}
	return run;
}

/**
 * pheap_run_handed_out() - the granule of a block handed out, or claimed
 *			    by pheap_free_rcu(), for a usable size
 * @p: the instance
 * @ptr: any pointer
 * @runp: set to the run that holds @ptr
 *
 * A snapshot, racy as a usable size is in every design.
 *
 * Context: any, NMI included.
 * Return: the granule @ptr starts, or -1 if it starts no such block.
 */
int pheap_run_handed_out(struct pheap *p, const void *ptr,
			 struct pheap_run **runp)
{
	struct pheap_run *run = pheap_run_lookup(p, ptr);
	int g;

	if (!run)
		return -1;
	g = pheap_run_granule(run, ptr);
	/* racy: a snapshot; a claim moves the live bit to the held one */
	if (g < 0 || (!data_race(test_bit(g, run->live)) &&
		      /* racy as above */
		      !data_race(test_bit(g, run->rcu_held))))
		return -1;
	*runp = run;
	return g;
}

/**
 * pheap_run_rcu_claim() - pheap_free_rcu()'s claim of a block of a design
 *			   with no header (block-lock, btree)
 * @p: its instance
 * @run: its run
 * @ptr: the block
 *
 * The live bit taken, the held bit set first, so that the block's usable
 * size is known throughout; every other free of it is then refused.
 *
 * Context: any.
 * Return: false if @ptr starts no block handed out.
 */
bool pheap_run_rcu_claim(struct pheap *p, struct pheap_run *run,
			 const void *ptr)
{
	int g = pheap_run_granule(run, ptr);

	if (g < 0)
		return false;
	set_bit(g, run->rcu_held);
	if (test_and_clear_bit(g, run->live))
		return true;
	clear_bit(g, run->rcu_held);
	return false;
}

/**
 * pheap_search_p99() - the search length 99 % of the searches did not pass
 * @hist: PHEAP_SEARCH_HIST counts, by pheap_search_bucket()
 * @max: the longest search seen
 *
 * Context: any.
 * Return: the upper bound of the bucket that holds the 99th percentile,
 * or @max if less.
 */
unsigned long pheap_search_p99(const unsigned long *hist, unsigned long max)
{
	unsigned long total = 0, seen = 0;
	unsigned int i;

	for (i = 0; i < PHEAP_SEARCH_HIST; i++)
		total += hist[i];
	for (i = 0; i < PHEAP_SEARCH_HIST; i++) {
		seen += hist[i];
		if (seen * 100 >= total * 99)
			return min(i ? (1UL << i) - 1 : 0, max);
	}
	return max;
}
