// SPDX-License-Identifier: GPL-2.0
/*
 * pheap free path, top to bottom.
 *
 * pheap_free_in(): pointer -> superblock from its struct page (O(1),
 * without touching the memory), checks, then under this CPU's local lock:
 * a block of a superblock this CPU's heap owns goes straight back
 * (pheap_cpu_free(), inline) unless its superblock changes fullness group
 * or the threshold is crossed; anything else (that, another heap's block,
 * or the time to look for remote frees again) takes the slow path in
 * heap.c, and superblocks it gives up go back to the page allocator after
 * the lock is dropped. On PREEMPT_RT, from a context that may not sleep
 * (hardirq, interrupts or preemption off), where the local lock and the
 * page allocator would, every free takes the remote way, lock free, even
 * to this CPU's own heap (large.c defers its pages). Large allocations go
 * to large.c. Every free of a
 * pointer but NULL and ZERO_SIZE_PTR is traced (pheap_free, trace.h).
 *
 * Instances of the designs but hoard and ownership take their design's
 * way (pheap_free_design()) past one static branch.
 *
 * From NMI, which may interrupt the holder of any lock a free takes, a
 * block is checked against pheap's metadata, queued on this CPU's list of
 * NMI frees through its first word, and freed by an irq_work after the
 * NMI (pheap_free_deferred()).
 *
 * Bad frees (a pointer pheap did not hand out, an interior pointer, a
 * pointer of another instance, a double free) are reported rate-limited
 * with the caller, counted, and otherwise ignored: the heap is not
 * touched. Everything from the lookup on runs in a superblock read
 * section (sb.h): a double free that races the release of its
 * superblock reads and writes a descriptor that is still allocated,
 * finds it dead, and is refused.
 *
 * Double frees, every kind: each block has a live bit (set while it is
 * handed out; the owner's) and a remote-free bit (set by the other CPU
 * that freed it, until the owner collects it). The owner frees a block
 * only if it is live and not freed remotely; another CPU only if it is
 * live and its remote bit was clear, set atomically (remote.c), so of two
 * racing frees from other CPUs exactly one wins. The one race those two
 * checks cannot order, the owner and another CPU freeing a block at the
 * same moment, leaves a remote bit on a free block: it is found, reported
 * and dropped when the block is collected or next handed out (remote.c,
 * heap.c). A large allocation's tag is cleared under the large lock, so
 * one of two frees wins there too (large.c).
 */
#include <linux/export.h>
#include <linux/hardirq.h>
#include <linux/irq_work.h>
#include <linux/llist.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/ratelimit.h>
#include <linux/slab.h>

#include "class.h"
#include "debug.h"
#include "design.h"
#include "entry.h"
#include "heap.h"
#include "instance.h"
#include "large.h"
#include "lifecycle.h"
#include "nolock.h"
#include "page.h"
#include "remote.h"
#include "report.h"
#include "sb.h"
#include "trace.h"

/* A pointer no superblock holds: a large allocation, or a bad free. */
static void pheap_free_unknown(struct pheap *p, const void *ptr,
			       unsigned long tag, unsigned long caller)
{
	if (tag && pheap_large_owner(tag) == p && pheap_debug_on(p))
		pheap_debug_free_large(p, tag, ptr, caller);
	else if (!tag || pheap_large_owner(tag) != p || !PAGE_ALIGNED(ptr))
		pheap_report_bad_free(p, ptr, "not allocated by pheap, or already freed",
				      caller);
	else if (!pheap_large_free(p, tag, ptr))
		pheap_report_bad_free(p, ptr, "double free", caller);
}

/*
 * The designs but hoard and ownership: the block back to their own
 * heaps, through the design's table (design.h). A design that finds its
 * blocks by its own means (kheap walks its pagerefs first, as OS/161's
 * kfree() does) has only a pointer it did not find looked up by its page.
 */
static noinline void pheap_free_design(struct pheap *p, const void *ptr,
				       unsigned long caller)
{
	const struct pheap_design_ops *d = p->ops;
	struct pheap_sb *sb;
	unsigned long tag;
	int idx;

	if (d->find_free && d->find_free(p, ptr, caller))
		return;
	sb = pheap_sb_lookup(ptr, &tag);
	if (!sb) {
		pheap_free_unknown(p, ptr, tag, caller);
		return;
	}
	idx = pheap_sb_block_index(p, sb, ptr);
	if (unlikely(idx < 0 || d->find_free))
		pheap_report_bad_free(p, ptr, "not a block of this heap",
				      caller);
	else
		d->free(p, sb, (void *)ptr, idx, caller);
}

/* hoard and ownership, in a superblock read section. */
static __always_inline void pheap_free_looked_up(struct pheap *p,
						 const void *ptr,
						 unsigned long caller)
{
	struct pheap_sb *sb;
	unsigned long tag;
	int idx;

	sb = pheap_sb_lookup(ptr, &tag);
	if (unlikely(!sb)) {
		pheap_free_unknown(p, ptr, tag, caller);
		return;
	}
	if (pheap_debug_on(p)) {
		pheap_debug_free_small(p, sb, ptr, caller);
		return;
	}
	idx = pheap_sb_block_index(p, sb, ptr);
	if (unlikely(idx < 0))
		pheap_report_bad_free(p, ptr, "not a block of this heap",
				      caller);
	else
		pheap_free_small(p, sb, (void *)ptr, idx, caller);
}

/* The free itself, in a superblock read section; not traced. */
static __always_inline void pheap_free_serve(struct pheap *p, const void *ptr,
					     unsigned long caller)
{
	pheap_sb_read_begin();
	if (pheap_design_on(p))
		pheap_free_design(p, ptr, caller);
	else
		pheap_free_looked_up(p, ptr, caller);
	pheap_sb_read_end();
}

/*
 * In NMI: is @ptr an object of @p in use, as far as pheap's own metadata
 * tells? Only then is its first word used to queue it. A block freed
 * meanwhile by another CPU (a double free racing this one) is caught as
 * a corrupt link when next handed out, and contained (heap.c).
 */
static bool pheap_free_nmi_ok(struct pheap *p, const void *ptr)
{
	struct pheap_sb *sb;
	unsigned long tag;
	bool ok;
	int idx;

	pheap_sb_read_begin();
	ok = pheap_usable_size_in(p, ptr) >= sizeof(struct llist_node);
	sb = pheap_sb_lookup(ptr, &tag);
	if (ok && sb && !pheap_debug_on(p)) {
		idx = pheap_sb_block_index(p, sb, ptr);
		/* racy: a snapshot of the owner's bitmap, as remote.c reads it */
		ok = idx >= 0 && data_race(test_bit(idx, sb->live)) &&
		     !pheap_sb_remote_freed(sb, idx);
	}
	pheap_sb_read_end();
	return ok;
}

/*
 * NMI may interrupt the holder of any lock a free takes: the block is
 * queued on this CPU's list of NMI frees, and freed by its irq_work
 * (pheap_free_deferred()) once the NMI is over.
 */
static noinline void pheap_free_in_nmi(struct pheap *p, const void *ptr,
				       unsigned long caller)
{
	if (!pheap_free_nmi_ok(p, ptr)) {
		pheap_report_bad_free(p, ptr, "free from NMI of no block in use (left alone)",
				      caller);
		return;
	}
	llist_add((struct llist_node *)ptr, this_cpu_ptr(&p->nolock->nmi_frees));
	irq_work_queue(this_cpu_ptr(&p->nolock->nmi_free));
	this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_NMI_FREE]);
}

static __always_inline void pheap_free_caller(struct pheap *p, const void *ptr,
					      unsigned long caller)
{
	if (unlikely(ZERO_OR_NULL_PTR(ptr)))
		return;
	trace_pheap_free(p, caller, ptr);
	if (unlikely(in_nmi())) {
		pheap_free_in_nmi(p, ptr, caller);
		return;
	}
	pheap_free_serve(p, ptr, caller);
}

/**
 * pheap_free_deferred() - free the blocks pheap_free() was given in NMI
 * @work: a CPU's nmi_free irq_work (nolock.h)
 *
 * Context: the irq_work, on that CPU, once the NMI is over (hard
 * interrupt context; its thread on PREEMPT_RT); or pheap_nolock_dead().
 */
void pheap_free_deferred(struct irq_work *work)
{
	struct pheap_nolock_cpu *nc = container_of(work, struct pheap_nolock_cpu,
						   nmi_free);
	struct llist_node *node, *next;

	llist_for_each_safe(node, next, llist_del_all(&nc->nmi_frees))
		pheap_free_serve(nc->pheap, node, _RET_IP_);
}

/**
 * pheap_free_untraced() - pheap_free_in(), with no pheap_free event
 * @p: instance
 * @ptr: a block of @p
 * @caller: the return address reports name
 *
 * For blocks no caller held (nolock.c's reserves): their free is no
 * caller's, and the statistics leave it out too.
 *
 * Context: as pheap_free_in(), but not NMI.
 */
void pheap_free_untraced(struct pheap *p, const void *ptr,
			 unsigned long caller)
{
	pheap_free_serve(p, ptr, caller);
}

/**
 * pheap_free_in() - free memory of an instance
 * @p: the instance that allocated it
 * @ptr: from pheap_alloc_in(@p); NULL and ZERO_SIZE_PTR are ignored
 *
 * A pointer @p did not hand out is reported, counted and left alone.
 *
 * Context: any, NMI included (there the free is done by an irq_work once
 * the NMI is over); never sleeps.
 */
void pheap_free_in(struct pheap *p, const void *ptr)
{
	pheap_free_caller(p, ptr, _RET_IP_);
}
EXPORT_SYMBOL_GPL(pheap_free_in);

/**
 * pheap_free_for() - pheap_free_in() on behalf of a caller
 * @p: the instance that allocated @ptr
 * @ptr: the memory
 * @caller: the return address that tracing and reports name
 *
 * Context: as pheap_free_in().
 */
void pheap_free_for(struct pheap *p, const void *ptr, unsigned long caller)
{
	pheap_free_caller(p, ptr, caller);
}

/**
 * pheap_free() - free memory from pheap_alloc(), like kfree()
 * @ptr: the memory; NULL and ZERO_SIZE_PTR are ignored
 *
 * Context: any, NMI included (see pheap_free_in()); never sleeps or fails.
 */
void pheap_free(const void *ptr)
{
	pheap_free_caller(READ_ONCE(pheap_default_instance), ptr, _RET_IP_);
}
EXPORT_SYMBOL_GPL(pheap_free);

/*
 * Free up to PHEAP_BULK_BATCH of @ptrs in one superblock read section,
 * holding this CPU's heap across the frees of its own blocks. Return:
 * how many were taken.
 */
static size_t pheap_free_bulk_batch(struct pheap *p, size_t nr,
				    void **ptrs, unsigned long caller)
{
	struct pheap_heap *h = NULL;
	size_t i, given = 0;
	struct pheap_sb *sb;
	unsigned long tag;
	int idx;

	nr = min_t(size_t, nr, PHEAP_BULK_BATCH);
	pheap_sb_read_begin();
	for (i = 0; i < nr; i++) {
		if (unlikely(ZERO_OR_NULL_PTR(ptrs[i])))
			continue;
		given++;
		trace_pheap_free(p, caller, ptrs[i]);
		sb = pheap_sb_lookup(ptrs[i], &tag);
		idx = sb ? pheap_sb_block_index(p, sb, ptrs[i]) : -1;
		if (unlikely(idx < 0)) {
			if (h)
				pheap_heap_unlock(p, h);
			h = NULL;
			if (sb)
				pheap_report_bad_free(p, ptrs[i], "not a block of this heap",
						      caller);
			else
				pheap_free_unknown(p, ptrs[i], tag, caller);
			continue;
		}
		if (!h)
			h = pheap_heap_trylock(p);
		if (unlikely(!h))
			pheap_free_remote(p, sb, ptrs[i], idx, caller);
		else if (!pheap_free_locked(p, h, sb, sb->cls, ptrs[i], idx,
					    caller))
			h = NULL;
	}
	if (h)
		pheap_heap_unlock(p, h);
	pheap_sb_read_end();
	this_cpu_add(p->cpu_heaps->ev[PHEAP_EV_BULK_FREE], given);
	return nr;
}

/**
 * pheap_free_bulk_in() - free many blocks at once
 * @p: the instance that allocated them
 * @nr: how many
 * @ptrs: the blocks, of any sizes; NULL and ZERO_SIZE_PTR are skipped
 *
 * kmem_cache_free_bulk()'s counterpart. Hoard frees the blocks of this
 * CPU's heap up to PHEAP_BULK_BATCH per hold of its lock; every other
 * block, and every block of the other designs or of debug mode, as
 * pheap_free_in() would. A bad pointer is reported and refused as there,
 * and the others are still freed.
 *
 * Context: as pheap_free_in(), but not NMI: refused there, each pointer
 * reported and left alone.
 */
void pheap_free_bulk_in(struct pheap *p, size_t nr, void **ptrs)
{
	unsigned long caller = _RET_IP_;
	size_t i = 0;

	if (unlikely(in_nmi())) {
		for (i = 0; i < nr; i++)
			if (!ZERO_OR_NULL_PTR(ptrs[i]))
				pheap_report_bad_free(p, ptrs[i], "bulk free from NMI (left alone)",
						      caller);
		return;
	}
	if (!pheap_entry_plain(p)) {
		for (i = 0; i < nr; i++) {
			if (!ZERO_OR_NULL_PTR(ptrs[i]))
				this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_BULK_FREE]);
			pheap_free_caller(p, ptrs[i], caller);
		}
		return;
	}
	while (i < nr)
		i += pheap_free_bulk_batch(p, nr - i, ptrs + i, caller);
}
EXPORT_SYMBOL_GPL(pheap_free_bulk_in);

/**
 * pheap_free_bulk() - free many blocks from pheap_alloc() at once
 * @nr: how many
 * @ptrs: the blocks
 *
 * See pheap_free_bulk_in(); this uses the module's default instance.
 *
 * Context: as pheap_free().
 */
void pheap_free_bulk(size_t nr, void **ptrs)
{
	pheap_free_bulk_in(READ_ONCE(pheap_default_instance), nr, ptrs);
}
EXPORT_SYMBOL_GPL(pheap_free_bulk);

/* A page-run design's block: its design knows its size. */
static noinline size_t pheap_usable_size_design(struct pheap *p,
						const void *ptr)
{
	return p->ops->usable_size(p, ptr);
}

/**
 * pheap_usable_size_in() - bytes usable at a pointer, like ksize()
 * @p: the instance that allocated it
 * @ptr: from pheap_alloc_in(@p)
 *
 * Context: any.
 * Return: the block's size, or 0 for NULL, ZERO_SIZE_PTR and pointers @p
 * did not hand out.
 */
size_t pheap_usable_size_in(struct pheap *p, const void *ptr)
{
	struct pheap_sb *sb;
	unsigned long tag;
	size_t size;

	if (ZERO_OR_NULL_PTR(ptr))
		return 0;
	pheap_sb_read_begin();
	sb = pheap_sb_lookup(ptr, &tag);
	if (pheap_debug_on(p))
		size = pheap_debug_usable_size(p, sb, tag, ptr);
	else if (sb)
		size = pheap_sb_block_ok(p, sb, ptr) ? pheap_csize(sb->cls) : 0;
	else if (tag && pheap_large_owner(tag) == p && PAGE_ALIGNED(ptr))
		size = PAGE_SIZE << pheap_large_order(tag);
	else if (pheap_design_on(p) && p->ops->usable_size)
		size = pheap_usable_size_design(p, ptr);
	else
		size = 0;
	pheap_sb_read_end();
	return size;
}
EXPORT_SYMBOL_GPL(pheap_usable_size_in);

/**
 * pheap_usable_size() - bytes usable at a pointer, like ksize()
 * @ptr: from pheap_alloc()
 *
 * Context: any.
 * Return: the usable size, or 0.
 */
size_t pheap_usable_size(const void *ptr)
{
	return pheap_usable_size_in(READ_ONCE(pheap_default_instance), ptr);
}
EXPORT_SYMBOL_GPL(pheap_usable_size);
