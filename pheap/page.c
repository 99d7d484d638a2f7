// SPDX-License-Identifier: GPL-2.0
/*
 * pheap pages.
 *
 * Every page pheap holds, large allocations' too, comes from
 * pheap_get_pages() and goes back through pheap_put_pages(), or through
 * pheap_pages_given() when its caller frees it later (a superblock, a
 * grace period after its release): the pages held, the counters and the
 * pheap_pages_alloc/pheap_pages_free events (trace.h) are kept there
 * alone.
 */
#include <linux/atomic.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/percpu.h>

#include "instance.h"
#include "heap.h"
#include "page.h"
#include "trace.h"

/**
 * pheap_tag_pages() - mark pages as pheap's, or clear the mark
 * @page: first page
 * @nr: pages
 * @priv: the tag (descriptor or large-allocation tag), 0 to clear
 *
 * Context: any.
 */
void pheap_tag_pages(struct page *page, unsigned int nr, unsigned long priv)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		set_page_private(page + i, priv);
		WRITE_ONCE(page[i].index, priv ? priv ^ PHEAP_PAGE_MAGIC : 0);
	}
}

/**
 * pheap_raise_peak() - keep the larger of a peak and a new value
 * @peak: the peak
 * @val: the value
 *
 * Context: any; lock free.
 */
void pheap_raise_peak(atomic_long_t *peak, long val)
{
	long old = atomic_long_read(peak);

	while (val > old && !atomic_long_try_cmpxchg(peak, &old, val))
		;
}

static void pheap_note_pages(struct pheap *p, struct page *page, long delta)
{
	long held = atomic_long_add_return(delta, &p->pages_held);

	atomic_long_add(delta, &p->node_pages[page_to_nid(page)]);
	if (delta > 0) {
		this_cpu_add(p->cpu_heaps->ev[PHEAP_EV_PAGES_IN], delta);
		pheap_raise_peak(&p->peak_pages, held);
	} else {
		this_cpu_add(p->cpu_heaps->ev[PHEAP_EV_PAGES_OUT], -delta);
	}
}

/**
 * pheap_get_pages() - pages of a node from the page allocator, accounted
 *		       and traced
 * @p: instance
 * @gfp: flags for alloc_pages(); with __GFP_THISNODE, of @nid or none
 * @order: how many, as a page order
 * @cls: the size class they are for, -1 for a large allocation
 * @nid: the memory node asked for, an online one (numa_mem_id(): the
 *	 calling CPU's)
 *
 * Pages the page allocator had to take from another node are counted.
 * Keeps the instance's pages held, per node too, its peak, and this
 * CPU's counters.
 *
 * Context: as alloc_pages() with @gfp.
 * Return: the first page, or NULL.
 */
struct page *pheap_get_pages(struct pheap *p, gfp_t gfp, unsigned int order,
			     int cls, int nid)
{
	struct page *page = alloc_pages_node(nid, gfp, order);

	if (!page)
		return NULL;
	if (unlikely(page_to_nid(page) != nid))
		this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_PAGES_OTHER_NODE]);
	trace_pheap_pages_alloc(p, page, order, cls);
	pheap_note_pages(p, page, 1L << order);
	return page;
}

/**
 * pheap_pages_given() - pages are no longer the instance's
 * @p: instance
 * @page: from pheap_get_pages() with the same @order and @cls
 * @order: their page order
 * @cls: the size class they were for, -1 for a large allocation
 *
 * The accounting and the trace event of pheap_put_pages(), for a caller
 * that frees the pages itself, later (sb.c: after a grace period).
 *
 * Context: any.
 */
void pheap_pages_given(struct pheap *p, struct page *page, unsigned int order,
		       int cls)
{
	trace_pheap_pages_free(p, page, order, cls);
	pheap_note_pages(p, page, -(1L << order));
}

/**
 * pheap_put_pages() - give pages back to the page allocator
 * @p: instance
 * @page: from pheap_get_pages() with the same @order and @cls
 * @order: their page order
 * @cls: the size class they were for, -1 for a large allocation
 *
 * Context: any; never sleeps (on PREEMPT_RT: holding no raw lock).
 */
void pheap_put_pages(struct pheap *p, struct page *page, unsigned int order,
		     int cls)
{
	pheap_pages_given(p, page, order, cls);
	__free_pages(page, order);
}
