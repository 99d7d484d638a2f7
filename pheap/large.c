// SPDX-License-Identifier: GPL-2.0
/*
 * pheap large allocations: requests above the largest size class.
 *
 * Each is one compound page (__GFP_COMP) of the order that fits, as
 * kmalloc's large allocations are, so get_page() on any of its pages is
 * safe and the memory goes back only when the last reference does. The
 * head page carries the tag page->private = instance | inset << 5 |
 * order << 1 | 1, with the check word in page->index (pheap_sb_lookup()),
 * so free and pheap_usable_size() need no size from the caller. Inset
 * marks an allocation whose object starts a quarter of the way in (debug
 * mode's left red zone, debug.c), so that its free is checked against
 * pheap's own record of where the object is. Outstanding
 * allocations are listed on the instance (head page->lru) so that
 * pheap_destroy() can give back what callers leaked.
 *
 * Context: pheap_large_alloc() as alloc_pages() with the caller's gfp;
 * pheap_large_free() never sleeps. p->large_lock only guards the list
 * and its counts; the page allocator is called outside it. On
 * PREEMPT_RT, where the page allocator takes sleeping locks, a free from
 * a context that may not sleep on one (pheap_rt_atomic()) moves the head
 * page to p->large_deferred (its lru, under the raw p->large_lock: no
 * write into the pages, which another get_page() holder may still read),
 * and p->large_work gives them back.
 */
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/workqueue.h>

#include "class.h"
#include "fault.h"
#include "heap.h"
#include "instance.h"
#include "large.h"
#include "page.h"
#include "sb.h"

#define PHEAP_LARGE_INSET	BIT(5)
static_assert(PHEAP_MAX_PAGE_ORDER < 16);

static unsigned long pheap_large_tag(struct pheap *p, unsigned int order,
				     unsigned long inset)
{
	return (unsigned long)p | inset | order << 1 | PHEAP_TAG_LARGE;
}

/**
 * pheap_large_order() - the page order a large-allocation tag records
 * @tag: from pheap_sb_lookup()
 *
 * Context: any.
 * Return: the order.
 */
unsigned int pheap_large_order(unsigned long tag)
{
	return (tag >> 1) & 15;
}

/**
 * pheap_large_inset() - was the allocation made by pheap_alloc_large_inset()?
 * @tag: from pheap_sb_lookup()
 *
 * Context: any.
 * Return: true if its object starts a quarter of the way in.
 */
bool pheap_large_inset(unsigned long tag)
{
	return tag & PHEAP_LARGE_INSET;
}

/**
 * pheap_large_owner() - the instance a large-allocation tag records
 * @tag: from pheap_sb_lookup()
 *
 * Context: any.
 * Return: the instance, or NULL for a tag that is not a large
 * allocation's (a page run's).
 */
struct pheap *pheap_large_owner(unsigned long tag)
{
	if (!(tag & PHEAP_TAG_LARGE))
		return NULL;	/* a page run's (run.h) */
	return (struct pheap *)(tag & ~63UL);
}

/**
 * pheap_large_alloc() - a compound page for a request above the largest
 *			 class
 * @p: instance
 * @size: bytes, above PHEAP_MAX_SMALL
 * @gfp: allocation flags; __GFP_ZERO and init_on_alloc are honoured by the
 *	 page allocator itself
 * @inset: PHEAP_LARGE_INSET or 0, recorded in the tag
 * @nid: the memory node asked for
 *
 * Context: as alloc_pages() with @gfp.
 * Return: the memory, or NULL (also for sizes no order can serve, which
 * warn unless __GFP_NOWARN, as kmalloc does).
 */
static void *pheap_large_alloc(struct pheap *p, size_t size, gfp_t gfp,
			       unsigned long inset, int nid)
{
	unsigned long flags;
	unsigned int order;
	struct page *page;

	if (unlikely(size > (PAGE_SIZE << PHEAP_MAX_PAGE_ORDER))) {
		WARN_ONCE(!(gfp & __GFP_NOWARN),
			  "%s: %zu bytes is more than any allocation can serve\n",
			  p->cfg.name, size);
		return NULL;
	}
	order = get_order(size);
	if (pheap_fault_should_fail(p))
		return NULL;
	page = pheap_get_pages(p, (gfp & ~__GFP_HIGHMEM) | __GFP_COMP, order,
			       -1, nid);
	if (!page)
		return NULL;
	pheap_tag_pages(page, 1, pheap_large_tag(p, order, inset));

	raw_spin_lock_irqsave(&p->large_lock, flags);
	list_add(&page->lru, &p->large_pages);
	p->large_nr++;
	p->large_bytes += PAGE_SIZE << order;
	raw_spin_unlock_irqrestore(&p->large_lock, flags);

	this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_LARGE_ALLOC]);
	return page_address(page);
}

/* A grace period after a debug-mode free: nobody reads the pages now. */
static void pheap_large_free_rcu(struct rcu_head *rcu)
{
	struct page *page = container_of(rcu, struct page, rcu_head);

	__free_pages(page, compound_order(page));
}

/*
 * Give a freed large allocation's pages back. In debug mode, a double
 * free or a pheap_usable_size() that found the tag before this free
 * cleared it reads the allocation's record, in its last bytes, in its
 * superblock read section (sb.h): the pages go back a grace period
 * later, as a superblock's do (sb.c), their head page's rcu_head free
 * since the page left the list.
 */
static void pheap_large_put(struct pheap *p, struct page *page,
			    unsigned int order)
{
	if (!p->cfg.debug) {
		pheap_put_pages(p, page, order, -1);
		return;
	}
	pheap_pages_given(p, page, order, -1);
	call_rcu(&page->rcu_head, pheap_large_free_rcu);
}

static void pheap_large_release(struct pheap *p, struct page *page,
				unsigned int order)
{
	pheap_tag_pages(page, 1, 0);
	pheap_put_pages(p, page, order, -1);
}

/* Large allocations freed where their pages could not go back at once. */
static void pheap_large_deferred_work(struct work_struct *work)
{
	struct pheap *p = container_of(work, struct pheap, large_work);
	struct page *page, *tmp;
	unsigned long flags;
	LIST_HEAD(list);

	raw_spin_lock_irqsave(&p->large_lock, flags);
	list_splice_init(&p->large_deferred, &list);
	raw_spin_unlock_irqrestore(&p->large_lock, flags);
	list_for_each_entry_safe(page, tmp, &list, lru) {
		list_del(&page->lru);
		pheap_large_put(p, page, compound_order(page));
	}
}

/**
 * pheap_large_init() - no large allocation yet
 * @p: instance being created
 *
 * Context: process context.
 */
void pheap_large_init(struct pheap *p)
{
	raw_spin_lock_init(&p->large_lock);
	INIT_LIST_HEAD(&p->large_pages);
	INIT_LIST_HEAD(&p->large_deferred);
	INIT_LIST_HEAD(&p->large_rcu);
	INIT_WORK(&p->large_work, pheap_large_deferred_work);
}

/**
 * pheap_large_free() - free a large allocation
 * @p: instance
 * @tag: its tag, from pheap_sb_lookup()
 * @ptr: the pointer; must be the start of the allocation
 *
 * The tag is checked again and cleared under p->large_lock, so of two
 * frees of one allocation that both found its tag, exactly one frees it.
 *
 * Context: any; never sleeps.
 * Return: true if this call freed it; false if another free of it won.
 */
bool pheap_large_free(struct pheap *p, unsigned long tag, const void *ptr)
{
	unsigned int order = pheap_large_order(tag);
	struct page *page = virt_to_page(ptr);
	bool defer = pheap_rt_atomic();
	unsigned long flags;
	bool mine;

	raw_spin_lock_irqsave(&p->large_lock, flags);
	mine = page_private(page) == tag;
	if (mine) {
		/* untagged under the lock: a second free finds no tag */
		pheap_tag_pages(page, 1, 0);
		if (unlikely(defer))
			list_move(&page->lru, &p->large_deferred);
		else
			list_del(&page->lru);
		p->large_nr--;
		p->large_bytes -= PAGE_SIZE << order;
	}
	raw_spin_unlock_irqrestore(&p->large_lock, flags);
	if (!mine)
		return false;
	this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_LARGE_FREE]);
	if (unlikely(defer))
		schedule_work(&p->large_work);
	else
		pheap_large_put(p, page, order);
	return true;
}

/**
 * pheap_large_rcu_claim() - claim a large allocation for pheap_free_rcu()
 * @p: instance
 * @tag: its tag, from pheap_sb_lookup()
 * @start: the allocation's first byte
 * @keep_tag: debug mode, which claimed the object already and frees it
 *	      with pheap_large_free() later: the tag stays
 *
 * The page moves from p->large_pages to p->large_rcu, and (without
 * @keep_tag) loses its tag under p->large_lock, so that every other free
 * finds none and is refused. It still counts as in use. Nothing is
 * written into the allocation.
 *
 * Context: any; never sleeps.
 * Return: true if this call claimed it; false if a free of it won.
 */
bool pheap_large_rcu_claim(struct pheap *p, unsigned long tag,
			   const void *start, bool keep_tag)
{
	struct page *page = virt_to_page(start);
	unsigned long flags;
	bool mine;

	raw_spin_lock_irqsave(&p->large_lock, flags);
	mine = page_private(page) == tag;
	if (mine) {
		if (!keep_tag)
			pheap_tag_pages(page, 1, 0);
		list_move(&page->lru, &p->large_rcu);
	}
	raw_spin_unlock_irqrestore(&p->large_lock, flags);
	return mine;
}

/**
 * pheap_large_rcu_take() - the large allocations claimed so far
 * @p: instance
 * @list: gets them (page->lru), for pheap_large_rcu_done() a grace period
 *	  later, or for debug mode's pheap_large_free()
 *
 * Context: any; never sleeps.
 */
void pheap_large_rcu_take(struct pheap *p, struct list_head *list)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&p->large_lock, flags);
	list_splice_init(&p->large_rcu, list);
	raw_spin_unlock_irqrestore(&p->large_lock, flags);
}

/**
 * pheap_large_rcu_done() - free a large allocation claimed without its tag
 * @p: instance
 * @page: its head page, taken off the list by the caller
 *
 * Context: process context (the RCU work, rcu.c).
 */
void pheap_large_rcu_done(struct pheap *p, struct page *page)
{
	unsigned int order = compound_order(page);
	unsigned long flags;

	raw_spin_lock_irqsave(&p->large_lock, flags);
	p->large_nr--;
	p->large_bytes -= PAGE_SIZE << order;
	raw_spin_unlock_irqrestore(&p->large_lock, flags);
	this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_LARGE_FREE]);
	pheap_put_pages(p, page, order, -1);
}

/**
 * pheap_large_release_all() - free every large allocation still held
 * @p: instance being destroyed
 *
 * Context: process context, nothing else using @p.
 * Return: how many there were (leaks).
 */
unsigned long pheap_large_release_all(struct pheap *p)
{
	struct page *page, *tmp;
	unsigned long n = 0;

	flush_work(&p->large_work);
	list_for_each_entry_safe(page, tmp, &p->large_pages, lru) {
		list_del(&page->lru);
		pheap_large_release(p, page,
				    pheap_large_order(page_private(page)));
		n++;
	}
	p->large_nr = 0;
	p->large_bytes = 0;
	return n;
}

/**
 * pheap_alloc_large_path() - a large allocation, its failure counted
 * @p: instance
 * @size: bytes; sizes no page order serves fail (with a warning unless
 *	  __GFP_NOWARN)
 * @gfp: allocation flags (__GFP_THISNODE: pages of @nid or none)
 * @nid: the memory node asked for, an online one (numa_mem_id(): the
 *	 calling CPU's)
 *
 * Context: as pheap_alloc_in().
 * Return: the memory, or NULL.
 */
void *pheap_alloc_large_path(struct pheap *p, size_t size, gfp_t gfp,
			     int nid)
{
	void *obj = pheap_large_alloc(p, size, gfp, 0, nid);

	if (unlikely(!obj))
		this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_ALLOC_FAIL]);
	return obj;
}

/**
 * pheap_alloc_large_inset() - pheap_alloc_large_path(), for an object the
 *			       caller places a quarter of the way in
 * @p: instance
 * @size: bytes, the whole allocation
 * @gfp: allocation flags
 *
 * The tag says so (pheap_large_inset()): debug mode's page-backed blocks
 * smaller than a page, whose left red zone keeps them in the head page.
 *
 * Context: as pheap_alloc_in().
 * Return: the allocation (not the object), or NULL.
 */
void *pheap_alloc_large_inset(struct pheap *p, size_t size, gfp_t gfp)
{
	void *obj = pheap_large_alloc(p, size, gfp, PHEAP_LARGE_INSET,
				      numa_mem_id());

	if (unlikely(!obj))
		this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_ALLOC_FAIL]);
	return obj;
}
