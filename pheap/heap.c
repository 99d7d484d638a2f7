// SPDX-License-Identifier: GPL-2.0
/*
 * pheap CPU heaps: refill, remote frees, threshold return, eviction.
 *
 * The fast paths (pop a block from the active superblock, push a block
 * back into a superblock this CPU owns) are inline in core.c. This file
 * holds what they call when that is not enough.
 *
 * Per-CPU state and interrupts
 * ----------------------------
 * A CPU heap is used only by its CPU, inside local_irq_save(). That one
 * pair makes the heap safe against preemption, migration and interrupt
 * handlers that allocate on the same CPU, with plain loads and stores and
 * no atomic instruction on the fast path. The alternatives weighed:
 *
 *  - SLUB's transaction-id cmpxchg (this_cpu_cmpxchg_double) avoids the
 *    irq toggle but must keep the per-CPU free list and the tid in one
 *    16-byte word, retries under contention with interrupts, and still
 *    needs irqs off (or a local lock) for everything beyond the pop:
 *    pheap updates a superblock's count, the heap's u and its counters on
 *    every operation, which one cmpxchg cannot cover.
 *  - bpf_mem_alloc's irq-off lists are this choice: one pushf/cli and one
 *    popf around a few loads and stores.
 *  - SLUB's per-CPU sheaves use a local_trylock and arrays of pointers;
 *    they pay a trylock on each operation and fall back in irq context.
 *
 * With irqs off the whole per-CPU update is a short straight line, and
 * the same code serves process, softirq and hardirq context. The cost is
 * interrupt latency for the length of the fast path (tens of
 * instructions); slow paths that can sleep (GFP_KERNEL page allocation)
 * restore interrupts around the page allocator and find their CPU again.
 *
 * Remote frees
 * ------------
 * A block freed on a CPU that does not own its superblock goes onto the
 * owner's remote list with llist_add(): lock free, no global lock. The
 * owner takes the whole list (llist_del_all) when it refills and frees the
 * blocks as its own. The freer reads sb->owner racily; if ownership moved
 * meanwhile, whoever drains the list forwards the block to the new owner.
 * The superblock cannot go away under a freer: a block on a remote list
 * still counts in sb->inuse, and superblocks are freed only at inuse 0.
 *
 * Threshold return (Hoard)
 * ------------------------
 * After each free a CPU heap keeps u >= a - K*S or u >= (1-f)*a; when both
 * break, its emptiest superblocks go to the global heap until one holds.
 * This bounds what the CPU heaps hold to U + P*K*S beyond u/(1-f).
 */
#include <linux/gfp.h>
#include <linux/irqflags.h>
#include <linux/llist.h>
#include <linux/percpu.h>

#include "internal.h"

/**
 * pheap_heap_init() - an empty heap
 * @p: instance
 * @h: heap, zeroed
 *
 * Context: any.
 */
void pheap_heap_init(struct pheap *p, struct pheap_heap *h)
{
	unsigned int c, g;

	for (c = 0; c < PHEAP_NR_CLASSES; c++)
		for (g = 0; g < PHEAP_GROUPS; g++)
			INIT_LIST_HEAD(&h->cls[c].groups[g]);
	init_llist_head(&h->remote);
	pheap_heap_set_floor(p, h);
}

/**
 * pheap_heap_list() - put a superblock in its fullness group
 * @p: instance
 * @h: heap owning @sb
 * @sb: superblock, not listed
 *
 * Context: @h's owner.
 */
void pheap_heap_list(struct pheap *p, struct pheap_heap *h,
		     struct pheap_sb *sb)
{
	sb->group = pheap_group(&p->ci[sb->cls], sb->inuse);
	list_add(&sb->node, &h->cls[sb->cls].groups[sb->group]);
}

/* A CPU heap takes ownership of @sb (from the global heap or new). */
static void pheap_cpu_adopt(struct pheap *p, struct pheap_heap *h,
			    struct pheap_sb *sb)
{
	struct pheap_heap_class *hc = &h->cls[sb->cls];

	WRITE_ONCE(sb->owner, h);
	hc->nr_sb++;
	hc->inuse += sb->inuse;
	h->u += sb->inuse * pheap_csize(sb->cls);
	h->a += p->sb_bytes;
	pheap_heap_set_floor(p, h);
}

/* A CPU heap gives up @sb, which is neither active nor listed any more. */
static void pheap_cpu_disown(struct pheap *p, struct pheap_heap *h,
			     struct pheap_sb *sb)
{
	struct pheap_heap_class *hc = &h->cls[sb->cls];

	hc->nr_sb--;
	hc->inuse -= sb->inuse;
	h->u -= sb->inuse * pheap_csize(sb->cls);
	h->a -= p->sb_bytes;
	pheap_heap_set_floor(p, h);
}

/* Make @sb the class's active superblock; the old one goes to its group. */
static void pheap_activate(struct pheap *p, struct pheap_heap *h,
			   struct pheap_sb *sb)
{
	struct pheap_heap_class *hc = &h->cls[sb->cls];

	if (hc->active)
		pheap_heap_list(p, h, hc->active);
	hc->active = sb;
	pheap_sb_check(p, sb);
}

/* The fullest superblock of a class that has a free block, unlisted. */
static struct pheap_sb *pheap_take_partial(struct pheap *p,
					   struct pheap_heap *h,
					   unsigned int cls)
{
	struct pheap_heap_class *hc = &h->cls[cls];
	struct pheap_sb *sb;
	int g;

	for (g = PHEAP_FULL - 1; g >= 0; g--) {
		sb = list_first_entry_or_null(&hc->groups[g], struct pheap_sb,
					      node);
		if (sb) {
			list_del_init(&sb->node);
			return sb;
		}
	}
	return NULL;
}

/* A new superblock; may re-enable interrupts, so *h may change CPU. */
static struct pheap_sb *pheap_grow(struct pheap *p, struct pheap_heap **h,
				   unsigned int cls, gfp_t gfp,
				   unsigned long *flags)
{
	struct pheap_sb *sb;

	if (!gfpflags_allow_blocking(gfp))
		return pheap_sb_new(p, cls, gfp);
	local_irq_restore(*flags);
	sb = pheap_sb_new(p, cls, gfp);
	local_irq_save(*flags);
	*h = this_cpu_ptr(p->cpu_heaps);
	return sb;
}

/**
 * pheap_alloc_slow() - refill a class whose active superblock ran dry
 * @p: instance
 * @cls: size class
 * @size: bytes requested (for the statistics)
 * @gfp: allocation flags
 * @flags: the caller's saved irq flags; interrupts are off on entry and on
 *	   return, but are turned on around the page allocator when @gfp
 *	   allows blocking
 *
 * Tries, in order: frees other CPUs sent back, the fullest partial
 * superblock this heap holds, the global heap, a new superblock.
 *
 * Context: interrupts disabled by the caller (pheap_alloc_in()).
 * Return: a block, or NULL.
 */
void *pheap_alloc_slow(struct pheap *p, unsigned int cls, size_t size,
		       gfp_t gfp, unsigned long *flags)
{
	struct pheap_heap *h = this_cpu_ptr(p->cpu_heaps);
	struct pheap_sb *sb;
	void *obj;

	pheap_ev_inc(h, PHEAP_EV_REFILL);
	pheap_drain_remote(p, h);
	obj = pheap_cpu_pop(h, cls, size);
	if (obj)
		return obj;

	sb = pheap_take_partial(p, h, cls);
	if (!sb) {
		sb = pheap_global_take(p, cls, h);
		if (sb) {
			pheap_cpu_adopt(p, h, sb);
			pheap_ev_inc(h, PHEAP_EV_FROM_GLOBAL);
		}
	}
	if (!sb) {
		sb = pheap_grow(p, &h, cls, gfp, flags);
		if (!sb)
			return NULL;
		pheap_cpu_adopt(p, h, sb);
	}
	pheap_activate(p, h, sb);
	return pheap_cpu_pop(h, cls, size);
}

/**
 * pheap_free_remote() - send a block to the heap that owns its superblock
 * @p: instance
 * @sb: the block's superblock
 * @obj: the block
 *
 * The push is the last access to @sb: once it is visible the owner may
 * collect the block and free the superblock.
 *
 * Context: any; lock free.
 */
void pheap_free_remote(struct pheap *p, struct pheap_sb *sb, void *obj)
{
	struct pheap_heap *owner = READ_ONCE(sb->owner);
	struct llist_head *list;

	if (owner == &p->global)
		list = &p->gcls[sb->cls].remote;
	else
		list = &owner->remote;
	llist_add(obj, list);
}

/**
 * pheap_collect() - take the blocks waiting on a remote list
 * @p: instance
 * @list: the list
 * @me: the heap that owns @list
 * @take: frees one block into a superblock @me owns
 *
 * The one rule for remote frees: a block whose superblock @me still owns
 * is taken; any other is forwarded to the superblock's owner now.
 *
 * Context: @me's owner (its CPU with interrupts off, or the class lock).
 */
void pheap_collect(struct pheap *p, struct llist_head *list,
		   struct pheap_heap *me,
		   void (*take)(struct pheap *p, struct pheap_heap *me,
				struct pheap_sb *sb, void *obj))
{
	struct llist_node *node = llist_del_all(list);
	struct llist_node *next;
	struct pheap_sb *sb;
	unsigned long tag;

	for (; node; node = next) {
		next = node->next;
		sb = pheap_sb_lookup(node, &tag);
		if (READ_ONCE(sb->owner) == me)
			take(p, me, sb, node);
		else
			pheap_free_remote(p, sb, node);
	}
}

static void pheap_cpu_take_remote(struct pheap *p, struct pheap_heap *h,
				  struct pheap_sb *sb, void *obj)
{
	pheap_ev_inc(h, PHEAP_EV_REMOTE_RECV);
	pheap_cpu_push(p, h, sb, obj);
}

/**
 * pheap_drain_remote() - collect the blocks other CPUs freed to @h
 * @p: instance
 * @h: a CPU heap
 *
 * Context: @h's CPU with interrupts disabled, or any CPU once @h's CPU is
 * dead.
 */
void pheap_drain_remote(struct pheap *p, struct pheap_heap *h)
{
	pheap_collect(p, &h->remote, h, pheap_cpu_take_remote);
}

/**
 * pheap_regroup() - move a superblock to the group its use now puts it in
 * @p: instance
 * @h: heap owning @sb
 * @sb: listed superblock
 *
 * Context: @h's owner.
 */
void pheap_regroup(struct pheap *p, struct pheap_heap *h, struct pheap_sb *sb)
{
	list_del_init(&sb->node);
	pheap_heap_list(p, h, sb);
}

/* Bytes in use in @sb, the figure "emptiest" compares. */
static unsigned long pheap_sb_used(const struct pheap_sb *sb)
{
	return (unsigned long)sb->inuse * pheap_csize(sb->cls);
}

/*
 * The superblock whose return costs the least u: for each class, the
 * active one and the first of its emptiest non-empty group; the one with
 * the fewest bytes in use wins, listed ones before active ones on a tie.
 */
static struct pheap_sb *pheap_emptiest(struct pheap_heap *h)
{
	struct pheap_sb *best = NULL, *sb;
	unsigned int c, g;

	for (c = 0; c < PHEAP_NR_CLASSES; c++) {
		struct pheap_heap_class *hc = &h->cls[c];

		for (g = 0; g < PHEAP_GROUPS; g++) {
			sb = list_first_entry_or_null(&hc->groups[g],
						      struct pheap_sb, node);
			if (sb)
				break;
		}
		if (sb && (!best || pheap_sb_used(sb) < pheap_sb_used(best)))
			best = sb;
		sb = hc->active;
		if (sb && (!best || pheap_sb_used(sb) < pheap_sb_used(best)))
			best = sb;
	}
	return best;
}

/* Take @sb out of CPU heap @h, listed or active. */
static void pheap_cpu_detach(struct pheap *p, struct pheap_heap *h,
			     struct pheap_sb *sb)
{
	struct pheap_heap_class *hc = &h->cls[sb->cls];

	if (hc->active == sb)
		hc->active = NULL;
	else
		list_del_init(&sb->node);
	pheap_cpu_disown(p, h, sb);
}

/**
 * pheap_threshold_return() - restore Hoard's invariant on a CPU heap
 * @p: instance
 * @h: a CPU heap with u < u_floor
 *
 * Moves the emptiest superblocks to the global heap until
 * u >= a - K*S or u >= (1-f)*a holds again.
 *
 * Context: @h's CPU with interrupts disabled.
 */
void pheap_threshold_return(struct pheap *p, struct pheap_heap *h)
{
	struct pheap_sb *sb;

	while (h->u < h->u_floor) {
		sb = pheap_emptiest(h);
		if (WARN_ON_ONCE(!sb))
			return;
		pheap_cpu_detach(p, h, sb);
		pheap_ev_inc(h, PHEAP_EV_TO_GLOBAL);
		pheap_global_put(p, sb);
	}
}

/**
 * pheap_cpu_heap_evict() - move everything a CPU heap holds to the global
 *			    heap
 * @p: instance
 * @h: the heap of a dead CPU (hotplug), or of any CPU while @p is destroyed
 *
 * Context: process context, @h's CPU not using it.
 */
void pheap_cpu_heap_evict(struct pheap *p, struct pheap_heap *h)
{
	struct pheap_sb *sb;
	unsigned int c, g;

	for (c = 0; c < PHEAP_NR_CLASSES; c++) {
		struct pheap_heap_class *hc = &h->cls[c];

		for (g = 0; g < PHEAP_GROUPS; g++) {
			while ((sb = list_first_entry_or_null(&hc->groups[g],
							      struct pheap_sb,
							      node))) {
				pheap_cpu_detach(p, h, sb);
				pheap_global_put(p, sb);
			}
		}
		sb = hc->active;
		if (sb) {
			pheap_cpu_detach(p, h, sb);
			pheap_global_put(p, sb);
		}
	}
	/* Nothing is owned by @h now: every waiting block is forwarded. */
	pheap_drain_remote(p, h);
}
