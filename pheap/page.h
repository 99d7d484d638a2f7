/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pheap pages (page.c): every page pheap holds comes from
 * pheap_get_pages() and goes back through pheap_put_pages(); pages are
 * tagged as pheap's in their struct page.
 */
#ifndef _PHEAP_PAGE_H
#define _PHEAP_PAGE_H

#include <linux/atomic.h>
#include <linux/mm_types.h>
#include <linux/preempt.h>
#include <linux/types.h>

/*
 * page->index of every page pheap owns is page->private ^ PHEAP_PAGE_MAGIC;
 * page->private is a superblock's descriptor (bits 0 and 1 clear), a page
 * run's descriptor | PHEAP_TAG_RUN (run.h) or, for a large allocation,
 * the instance pointer | order << 1 | PHEAP_TAG_LARGE.
 */
#define PHEAP_PAGE_MAGIC	0x9e3779b97f4a7c15UL
#define PHEAP_TAG_LARGE		1UL
#define PHEAP_TAG_RUN		2UL

struct pheap;

/* page.c */
struct page *pheap_get_pages(struct pheap *p, gfp_t gfp, unsigned int order,
			     int cls, int nid);
void pheap_pages_given(struct pheap *p, struct page *page, unsigned int order,
		       int cls);
void pheap_put_pages(struct pheap *p, struct page *page, unsigned int order,
		     int cls);
void pheap_tag_pages(struct page *page, unsigned int nr, unsigned long priv);
void pheap_raise_peak(atomic_long_t *peak, long val);

/*
 * On PREEMPT_RT the local lock, the slab and the page allocator take
 * sleeping locks: from a context that may not sleep on one (hardirq,
 * interrupts or preemption off) pheap refuses allocations and frees
 * without them (free.c, large.c). Constant false elsewhere.
 */
static __always_inline bool pheap_rt_atomic(void)
{
	return IS_ENABLED(CONFIG_PREEMPT_RT) && !preemptible();
}

#endif /* _PHEAP_PAGE_H */
