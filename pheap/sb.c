// SPDX-License-Identifier: GPL-2.0
/*
 * pheap superblocks and large allocations: everything that touches the
 * page allocator.
 *
 * A superblock is 2^sb_order pages from alloc_pages() (not compound), cut
 * into blocks of one class laid out from the page-aligned base, the free
 * list threaded through the blocks (next pointer at offset 0). What does
 * not fit a whole block at the end is slack: at most one block less a byte.
 *
 * The descriptor (struct pheap_sb) is kmalloc'ed beside the pages rather
 * than put at their start: a 2048-byte class in an 8 KiB superblock would
 * lose a quarter of it to a header.
 *
 * Pointer -> superblock is O(1): every page of the superblock has
 * page->private = descriptor and page->index = private ^ PHEAP_PAGE_MAGIC
 * (pheap_sb_lookup()). A large allocation tags its first page the same way
 * with the instance and the order. Both are cleared before the pages go
 * back, so a stale pointer does not match.
 *
 * Context: pheap_sb_new() and pheap_large_alloc() allocate with the
 * caller's gfp (callers re-enable interrupts first when it may sleep);
 * releases never sleep and may run with interrupts off.
 */
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "internal.h"

static void pheap_tag_pages(struct page *page, unsigned int nr,
			    unsigned long priv)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		set_page_private(page + i, priv);
		WRITE_ONCE(page[i].index, priv ? priv ^ PHEAP_PAGE_MAGIC : 0);
	}
}

/* gfp for pheap's own pages and descriptors: normal memory, no zeroing. */
static gfp_t pheap_page_gfp(gfp_t gfp)
{
	return gfp & ~(__GFP_ZERO | __GFP_COMP | __GFP_HIGHMEM | GFP_ZONEMASK);
}

/**
 * pheap_note_pages() - account pages taken from or given back to the
 *			page allocator
 * @p: instance
 * @delta: pages, positive when taken
 *
 * Keeps the instance's pages held and its peak, and this CPU's counters.
 *
 * Context: any.
 */
void pheap_note_pages(struct pheap *p, long delta)
{
	long held = atomic_long_add_return(delta, &p->pages_held);

	if (delta > 0) {
		this_cpu_add(p->cpu_heaps->ev[PHEAP_EV_PAGES_IN], delta);
		pheap_raise_peak(&p->peak_pages, held);
		pheap_note_peak_u(p);
	} else {
		this_cpu_add(p->cpu_heaps->ev[PHEAP_EV_PAGES_OUT], -delta);
	}
}

/**
 * pheap_sb_new() - a new superblock of a class, every block free
 * @p: instance
 * @cls: size class
 * @gfp: the caller's allocation flags
 *
 * Context: as alloc_pages() with @gfp.
 * Return: the superblock, owned by nobody yet, or NULL.
 */
struct pheap_sb *pheap_sb_new(struct pheap *p, unsigned int cls, gfp_t gfp)
{
	const struct pheap_class_info *ci = &p->ci[cls];
	unsigned int order = p->cfg.sb_order;
	struct pheap_sb *sb;
	struct page *page;
	void *base, **link;
	unsigned int i;

	sb = kmalloc(sizeof(*sb), pheap_page_gfp(gfp));
	if (!sb)
		return NULL;
	page = alloc_pages(pheap_page_gfp(gfp), order);
	if (!page) {
		kfree(sb);
		return NULL;
	}
	base = page_address(page);

	/* Thread the free list through the blocks, lowest address first. */
	link = &sb->free;
	for (i = 0; i < ci->nblocks; i++) {
		*link = base + i * ci->size;
		link = *link;
	}
	*link = NULL;

	sb->inuse = 0;
	sb->group = 0;
	sb->cls = cls;
	sb->nblocks = ci->nblocks;
	INIT_LIST_HEAD(&sb->node);
	sb->owner = NULL;
	sb->base = base;
	sb->pheap = p;
	sb->magic = PHEAP_SB_MAGIC;
	pheap_tag_pages(page, 1U << order, (unsigned long)sb);
	pheap_note_pages(p, 1L << order);
	return sb;
}

/**
 * pheap_sb_release() - give a superblock's pages back
 * @p: instance
 * @sb: superblock, no longer listed in any heap
 *
 * Context: any; never sleeps.
 */
void pheap_sb_release(struct pheap *p, struct pheap_sb *sb)
{
	unsigned int order = p->cfg.sb_order;
	struct page *page = virt_to_page(sb->base);

	pheap_tag_pages(page, 1U << order, 0);
	sb->magic = 0;
	__free_pages(page, order);
	kfree(sb);
	pheap_note_pages(p, -(1L << order));
}

/**
 * pheap_sb_block_ok() - is @ptr the start of a block of @sb, of instance @p?
 * @p: the instance the caller frees to
 * @sb: superblock found by pheap_sb_lookup()
 * @ptr: the pointer
 *
 * Context: any.
 * Return: true if it is.
 */
bool pheap_sb_block_ok(const struct pheap *p, const struct pheap_sb *sb,
		       const void *ptr)
{
	const struct pheap_class_info *ci;
	unsigned long off;
	u32 idx;

	if (unlikely(sb->magic != PHEAP_SB_MAGIC || sb->pheap != p))
		return false;
	ci = &p->ci[sb->cls];
	off = ptr - sb->base;
	idx = reciprocal_divide(off, ci->recip);
	return idx < ci->nblocks && idx * ci->size == off;
}

/* Large allocations: page->private = instance | order << 1 | 1. */

static unsigned long pheap_large_tag(struct pheap *p, unsigned int order)
{
	return (unsigned long)p | order << 1 | PHEAP_TAG_LARGE;
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
	return (tag >> 1) & 31;
}

/**
 * pheap_large_owner() - the instance a large-allocation tag records
 * @tag: from pheap_sb_lookup()
 *
 * Context: any.
 * Return: the instance.
 */
struct pheap *pheap_large_owner(unsigned long tag)
{
	return (struct pheap *)(tag & ~63UL);
}

/**
 * pheap_large_alloc() - whole pages for a request above the largest class
 * @p: instance
 * @size: bytes, above PHEAP_MAX_SMALL
 * @gfp: allocation flags; __GFP_ZERO and init_on_alloc are honoured by the
 *	 page allocator itself
 *
 * Context: as alloc_pages() with @gfp.
 * Return: the memory, or NULL (also for sizes no order can serve, which
 * warn unless __GFP_NOWARN, as kmalloc does).
 */
void *pheap_large_alloc(struct pheap *p, size_t size, gfp_t gfp)
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
	page = alloc_pages(gfp & ~(__GFP_COMP | __GFP_HIGHMEM), order);
	if (!page)
		return NULL;
	pheap_tag_pages(page, 1, pheap_large_tag(p, order));

	raw_spin_lock_irqsave(&p->large_lock, flags);
	list_add(&page->lru, &p->large_pages);
	p->large_nr++;
	p->large_bytes += PAGE_SIZE << order;
	raw_spin_unlock_irqrestore(&p->large_lock, flags);

	this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_LARGE_ALLOC]);
	pheap_note_pages(p, 1L << order);
	return page_address(page);
}

static void pheap_large_release(struct pheap *p, struct page *page,
				unsigned int order)
{
	pheap_tag_pages(page, 1, 0);
	__free_pages(page, order);
	pheap_note_pages(p, -(1L << order));
}

/**
 * pheap_large_free() - free a large allocation
 * @p: instance
 * @tag: its tag, from pheap_sb_lookup()
 * @ptr: the pointer; must be the start of the allocation
 *
 * Context: any; never sleeps.
 */
void pheap_large_free(struct pheap *p, unsigned long tag, const void *ptr)
{
	unsigned int order = pheap_large_order(tag);
	struct page *page = virt_to_page(ptr);
	unsigned long flags;

	raw_spin_lock_irqsave(&p->large_lock, flags);
	list_del(&page->lru);
	p->large_nr--;
	p->large_bytes -= PAGE_SIZE << order;
	raw_spin_unlock_irqrestore(&p->large_lock, flags);

	this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_LARGE_FREE]);
	pheap_large_release(p, page, order);
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

#ifdef CONFIG_PHEAP_DEBUG
/**
 * pheap_sb_check() - check a superblock's invariants (debug builds)
 * @p: instance
 * @sb: superblock, held by the caller as its owner
 *
 * inuse + length(free list) == nblocks, and every free block is a block of
 * this superblock.
 *
 * Context: the superblock's owner.
 */
void pheap_sb_check(const struct pheap *p, const struct pheap_sb *sb)
{
	unsigned int nfree = 0;
	void *obj;

	WARN_ON_ONCE(sb->magic != PHEAP_SB_MAGIC);
	WARN_ON_ONCE(sb->inuse > sb->nblocks);
	for (obj = sb->free; obj && nfree <= sb->nblocks; obj = *(void **)obj) {
		if (WARN_ON_ONCE(!pheap_sb_block_ok(p, sb, obj)))
			return;
		nfree++;
	}
	WARN_ON_ONCE(sb->inuse + nfree != sb->nblocks);
}
#endif
