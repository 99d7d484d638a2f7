// SPDX-License-Identifier: GPL-2.0
/*
 * pheap superblocks: pages from the page allocator, carved into blocks.
 *
 * A superblock is 2^order pages (not compound) from the allocating CPU's
 * memory node (remembered in its nid), the order chosen per class
 * (class.c), cut into blocks of one class laid out from the page-aligned
 * base, the free list threaded through the blocks (an encoded index at
 * offset 0: struct pheap_sb). What does not fit a whole block at the end
 * is slack.
 *
 * The descriptor (struct pheap_sb, with its two bitmaps: class.c sizes
 * it) is kmalloc'ed beside the pages rather than put at their start: a
 * 4096-byte class in a 32 KiB superblock would lose an eighth of it to a
 * header.
 *
 * Pointer -> superblock is O(1): every page of the superblock has
 * page->private = descriptor and page->index = private ^ PHEAP_PAGE_MAGIC
 * (pheap_sb_lookup(); pheap_sb_block_ok() then checks the offset, both
 * inline in sb.h). Both are cleared before the pages go back, so a
 * stale pointer does not match.
 *
 * A superblock still queued on a remote list when it is released (only a
 * double free that raced its owner's free leaves one so: remote.c) is
 * marked dead instead, and freed by the collector that takes it off.
 *
 * Context: pheap_sb_new() allocates with the caller's gfp; callers hold no
 * pheap lock (heap.c drops its local lock first). Releases never sleep
 * and are called with no pheap lock held either.
 */
#include <linux/bitmap.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/slab.h>

#include "class.h"
#include "fault.h"
#include "heap.h"
#include "instance.h"
#include "page.h"
#include "sb.h"
#include "trace.h"

/* gfp for pheap's own pages and descriptors: normal memory, no zeroing. */
static gfp_t pheap_page_gfp(gfp_t gfp)
{
	return gfp & ~(__GFP_ZERO | __GFP_COMP | __GFP_HIGHMEM | GFP_ZONEMASK);
}

/**
 * pheap_sb_new() - a new superblock of a class on a node, every block free
 * @p: instance
 * @cls: size class
 * @gfp: the caller's allocation flags (__GFP_THISNODE: on @nid or none)
 * @nid: the memory node asked for, an online one (numa_mem_id(): the
 *	 calling CPU's)
 *
 * Context: as alloc_pages() with @gfp.
 * Return: the superblock, owned by nobody yet, or NULL.
 */
struct pheap_sb *pheap_sb_new(struct pheap *p, unsigned int cls, gfp_t gfp,
			      int nid)
{
	const struct pheap_class_info *ci = &p->ci[cls];
	unsigned int order = ci->order;
	struct pheap_sb *sb;
	struct page *page;
	unsigned int i;
	void *base;

	if (pheap_fault_should_fail(p))
		return NULL;
	sb = kzalloc(ci->desc_bytes, pheap_page_gfp(gfp));
	if (!sb)
		return NULL;
	/* debug mode: every block's record starts zero, "never allocated" */
	page = pheap_get_pages(p, pheap_page_gfp(gfp) |
			       (p->cfg.debug ? __GFP_ZERO : 0), order, cls, nid);
	if (!page) {
		kfree(sb);
		return NULL;
	}
	base = page_address(page);
	sb->key = get_random_u64();
	sb->nid = page_to_nid(page);
	sb->order = order;

	/* Thread the free list through the blocks, lowest address first. */
	for (i = 0; i < ci->nblocks; i++)
		pheap_sb_set_link(sb, base + i * ci->size, i, i + 1);
	sb->free = 0;
	sb->cls = cls;
	sb->nblocks = ci->nblocks;
	INIT_LIST_HEAD(&sb->node);
	sb->base = base;
	sb->live = (void *)sb + ci->live_off;
	sb->rcu_held = (void *)sb + pheap_class_rcu_off(ci);
	sb->rcu_fb = sb->rcu_held + ci->bm_words;
	sb->rcu_ripe = sb->rcu_fb + ci->bm_words;
	atomic_set(&sb->rcu_refs, 1);
	sb->pheap = p;
	sb->magic = PHEAP_SB_MAGIC;
	pheap_tag_pages(page, 1U << order, (unsigned long)sb);
	return sb;
}

/**
 * pheap_sb_unpin() - drop a hold on a superblock's memory
 * @sb: superblock pinned by pheap_sb_pin(), or by its own existence
 *
 * The last hold gone, its pages and descriptor go back: a superblock is
 * released (pheap_sb_release()) only when none of its blocks is in use,
 * so a pin is left only by a free after a grace period that a double
 * free raced (rcu.c); the pinner finds it dead.
 *
 * Context: any; never sleeps.
 */
void pheap_sb_unpin(struct pheap_sb *sb)
{
	if (!atomic_dec_and_test(&sb->rcu_refs))
		return;
	__free_pages(virt_to_page(sb->base), sb->order);
	kfree(sb);
}

/*
 * A grace period after its release: no read section holds @sb any more;
 * only a pin may.
 */
static void pheap_sb_free_rcu(struct rcu_head *rcu)
{
	pheap_sb_unpin(container_of(rcu, struct pheap_sb, rcu));
}

/**
 * pheap_sb_release() - give a superblock's pages back
 * @p: instance
 * @sb: superblock, no longer listed in any heap
 *
 * A superblock still on a remote list is only marked dead, and waits in
 * the instance's limbo: the collector that takes it off the list takes
 * it out of limbo (pheap_sb_out_of_limbo()) and calls this again
 * (remote.c); destroy releases what a cut list left there
 * (pheap_sb_release_limbo()). Otherwise its pages stop
 * being pheap's at once (untagged, no longer counted as held), and they
 * and the descriptor go back an RCU grace period later: a CPU that looked
 * the superblock up before (a double free racing this release, in its
 * read section, sb.h) may still read and write them, and finds it dead.
 *
 * Context: any; never sleeps.
 */
void pheap_sb_release(struct pheap *p, struct pheap_sb *sb)
{
	struct page *page = virt_to_page(sb->base);
	unsigned long flags, old;

	pheap_tag_pages(page, 1U << sb->order, 0);
	/* dead and in limbo at once, for the collector that sees it dead */
	raw_spin_lock_irqsave(&p->limbo_lock, flags);
	old = atomic_long_fetch_or(PHEAP_RS_DEAD, &sb->rsummary);
	if (old & PHEAP_RS_QUEUED)
		list_add(&sb->node, &p->limbo);
	raw_spin_unlock_irqrestore(&p->limbo_lock, flags);
	if (old & PHEAP_RS_QUEUED)
		return;
	sb->magic = 0;
	pheap_pages_given(p, page, sb->order, sb->cls);
	call_rcu(&sb->rcu, pheap_sb_free_rcu);
}

/**
 * pheap_sb_out_of_limbo() - a dead superblock is off its remote list
 * @p: instance
 * @sb: superblock its collector found dead (PHEAP_RS_DEAD)
 *
 * Context: any; takes the limbo lock.
 */
void pheap_sb_out_of_limbo(struct pheap *p, struct pheap_sb *sb)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&p->limbo_lock, flags);
	list_del(&sb->node);
	raw_spin_unlock_irqrestore(&p->limbo_lock, flags);
}

/**
 * pheap_sb_release_limbo() - release the superblocks no list leads to
 * @p: instance being destroyed, every remote list drained
 *
 * What is left in limbo was released while queued on a remote list that
 * a corrupt node cut short (remote.c): no collector will see it again.
 *
 * Context: process context, nothing else using @p.
 * Return: how many there were.
 */
unsigned long pheap_sb_release_limbo(struct pheap *p)
{
	struct pheap_sb *sb, *tmp;
	unsigned long n = 0;
	LIST_HEAD(list);

	raw_spin_lock_irq(&p->limbo_lock);
	list_splice_init(&p->limbo, &list);
	raw_spin_unlock_irq(&p->limbo_lock);
	list_for_each_entry_safe(sb, tmp, &list, node) {
		list_del(&sb->node);
		atomic_long_set(&sb->rsummary, 0);
		pheap_sb_release(p, sb);
		n++;
	}
	return n;
}

/**
 * pheap_sb_release_list() - give back every superblock on a list
 * @p: instance
 * @list: superblocks linked by their node, no longer in any heap
 *
 * Context: no pheap lock held; never sleeps.
 */
void pheap_sb_release_list(struct pheap *p, struct list_head *list)
{
	struct pheap_sb *sb, *tmp;

	list_for_each_entry_safe(sb, tmp, list, node) {
		list_del(&sb->node);
		pheap_sb_release(p, sb);
	}
}

#ifdef CONFIG_PHEAP_DEBUG
/**
 * pheap_sb_check() - check a superblock's invariants (debug builds)
 * @p: instance
 * @sb: superblock, held by the caller as its owner
 *
 * inuse + length(free list) == nblocks, every link names a block of this
 * superblock that is not live, and the live bitmap has a bit for each
 * block in use but those lost to a corrupt link.
 *
 * Context: the superblock's owner.
 */
void pheap_sb_check(const struct pheap *p, const struct pheap_sb *sb)
{
	unsigned int nfree = 0, idx = sb->free;

	WARN_ON_ONCE(sb->magic != PHEAP_SB_MAGIC);
	WARN_ON_ONCE(sb->inuse > sb->nblocks);
	while (idx < sb->nblocks && nfree <= sb->nblocks) {
		if (WARN_ON_ONCE(test_bit(idx, sb->live)))
			return;
		idx = pheap_sb_link(sb, pheap_sb_block(p, sb, idx), idx);
		nfree++;
	}
	WARN_ON_ONCE(idx != sb->nblocks);
	WARN_ON_ONCE(sb->inuse + nfree != sb->nblocks);
	WARN_ON_ONCE(sb->lost + bitmap_weight(sb->live, sb->nblocks) !=
		     sb->inuse);
}
#endif
