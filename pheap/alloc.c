// SPDX-License-Identifier: GPL-2.0
/*
 * pheap allocation path, top to bottom.
 *
 * pheap_alloc_in(): refuse what pheap cannot serve (zone modifiers);
 * above the largest class, a compound page (large.c); otherwise size ->
 * class (class.c), then under this CPU's heap's lock pop a block from
 * the class's active superblock (pheap_cpu_pop(), inline). When it has
 * none, the slow path (heap.c) collects a batch of remote frees and
 * refills; superblocks it gives up go back to the page allocator after
 * the lock is dropped.
 *
 * Semantics follow kmalloc: size 0 gives ZERO_SIZE_PTR, __GFP_ZERO and
 * init_on_alloc are honoured, blocks are aligned to at least 8 bytes and
 * power-of-two sizes up to PAGE_SIZE naturally.
 *
 * Every return is traced (pheap_alloc, trace.h): one static branch while
 * the event is off.
 *
 * An instance of any design but hoard and ownership takes its design's
 * path after the checks every design shares (one static branch while
 * there is none, instance.h's pheap_design_on()).
 *
 * An instance in debug mode takes debug.c's path after the checks above
 * (one static branch here when none is), which comes back through
 * pheap_alloc_block() and pheap_alloc_large_path().
 */
#include <linux/export.h>
#include <linux/gfp.h>
#include <linux/hardirq.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "class.h"
#include "debug.h"
#include "design.h"
#include "entry.h"
#include "global.h"
#include "heap.h"
#include "instance.h"
#include "large.h"
#include "lifecycle.h"
#include "page.h"
#include "sb.h"
#include "trace.h"

static void *pheap_alloc_refused(struct pheap *p, gfp_t gfp)
{
	WARN_ONCE(!(gfp & __GFP_NOWARN),
		  "%s: zone modifiers (GFP_DMA, GFP_DMA32) are not supported\n",
		  p->cfg.name);
	this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_ALLOC_FAIL]);
	return NULL;
}

/* NMI can interrupt the local lock's holder: nothing here is safe there. */
static void *pheap_alloc_in_nmi(struct pheap *p)
{
	this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_ALLOC_FAIL]);
	pr_err_ratelimited("%s: allocation from NMI refused\n", p->cfg.name);
	return NULL;
}

/* PREEMPT_RT, a context that may not take a sleeping lock: as kmalloc. */
static void *pheap_alloc_rt_atomic(struct pheap *p)
{
	this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_ALLOC_FAIL]);
	pr_err_ratelimited("%s: allocation with interrupts or preemption off refused (PREEMPT_RT: pheap's locks sleep, as the slab's do)\n",
			   p->cfg.name);
	return NULL;
}

/* A block of class @cls from a path that does not count its failure. */
static void *pheap_alloc_result(struct pheap *p, void *obj, unsigned int cls,
				gfp_t gfp)
{
	if (unlikely(!obj)) {
		this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_ALLOC_FAIL]);
		return NULL;
	}
	if (unlikely(want_init_on_alloc(gfp)))
		memset(obj, 0, pheap_csize(cls));
	return obj;
}

/*
 * The designs but hoard and ownership: their own heaps, through the
 * design's table (design.h), past the checks every design shares and out
 * of hoard's inline path.
 */
static noinline void *pheap_alloc_design(struct pheap *p, size_t size,
					 gfp_t gfp)
{
	unsigned int cls;
	void *obj;

	if (unlikely(size > PHEAP_MAX_SMALL))
		return pheap_alloc_large_path(p, size, gfp, numa_mem_id());
	cls = pheap_size_to_class(size);
	obj = p->ops->alloc(p, cls, size, gfp);
	return pheap_alloc_result(p, obj, cls, gfp);
}

static __always_inline void *pheap_alloc_serve(struct pheap *p, size_t size,
					       gfp_t gfp, unsigned long caller)
{
	unsigned int cls;
	void *obj;

	might_alloc(gfp);
	if (unlikely(in_nmi()))
		return pheap_alloc_in_nmi(p);
	if (unlikely(pheap_rt_atomic()))
		return pheap_alloc_rt_atomic(p);
	if (unlikely(gfp & (__GFP_DMA | __GFP_DMA32)))
		return pheap_alloc_refused(p, gfp);
	if (unlikely(!size))
		return ZERO_SIZE_PTR;
	if (pheap_design_on(p))
		return pheap_alloc_design(p, size, gfp);
	if (pheap_debug_on(p))
		return pheap_debug_alloc(p, size, gfp, caller);
	if (unlikely(size > PHEAP_MAX_SMALL))
		return pheap_alloc_large_path(p, size, gfp, numa_mem_id());
	cls = pheap_size_to_class(size);
	obj = pheap_alloc_small(p, cls, size, gfp);
	if (unlikely(obj && want_init_on_alloc(gfp)))
		memset(obj, 0, pheap_csize(cls));
	return obj;
}

/*
 * The pheap_alloc event for an allocation's result, only while it is
 * enabled: bytes_alloc is the usable size, 0 for no memory; class the
 * block's size class, -1 for a page-sized allocation or none.
 */
static noinline void pheap_alloc_trace(struct pheap *p, const void *obj,
				       size_t size, gfp_t gfp,
				       unsigned long caller)
{
	struct pheap_sb *sb;
	unsigned long tag;
	size_t bytes = 0;
	int cls = -1;

	if (!ZERO_OR_NULL_PTR(obj)) {
		bytes = pheap_usable_size_in(p, obj);
		sb = pheap_sb_lookup(obj, &tag);
		if (sb)
			cls = sb->cls;
		else if (bytes && bytes <= PHEAP_MAX_SMALL)	/* a page run's */
			cls = pheap_size_to_class(bytes);
	}
	trace_pheap_alloc(p, caller, obj, size, bytes, gfp, cls);
}

/* The allocation, and its pheap_alloc event when that is enabled. */
static __always_inline void *pheap_alloc_caller(struct pheap *p, size_t size,
						gfp_t gfp,
						unsigned long caller)
{
	void *obj = pheap_alloc_serve(p, size, gfp, caller);

	if (trace_pheap_alloc_enabled())
		pheap_alloc_trace(p, obj, size, gfp, caller);
	return obj;
}

/**
 * pheap_alloc_in() - allocate from an instance
 * @p: instance
 * @size: bytes
 * @gfp: allocation flags, as for kmalloc()
 *
 * Context: as kmalloc() with the same @gfp: process context, softirq, or
 * hardirq with GFP_ATOMIC/GFP_NOWAIT. From NMI it is refused: NULL,
 * reported and counted; on PREEMPT_RT, where kmalloc() may not be called
 * with interrupts or preemption off either, so is it from there.
 * Return: the memory; ZERO_SIZE_PTR for @size 0; NULL on failure.
 */
void *pheap_alloc_in(struct pheap *p, size_t size, gfp_t gfp)
{
	return pheap_alloc_caller(p, size, gfp, _RET_IP_);
}
EXPORT_SYMBOL_GPL(pheap_alloc_in);

/**
 * pheap_alloc_for() - pheap_alloc_in() on behalf of a caller
 * @p: instance
 * @size: bytes
 * @gfp: allocation flags
 * @caller: the return address that tracing and debug reports name
 *
 * Context: as pheap_alloc_in().
 * Return: as pheap_alloc_in().
 */
void *pheap_alloc_for(struct pheap *p, size_t size, gfp_t gfp,
		      unsigned long caller)
{
	return pheap_alloc_caller(p, size, gfp, caller);
}

/**
 * pheap_alloc() - allocate memory, like kmalloc()
 * @size: bytes
 * @gfp: allocation flags
 *
 * See pheap_alloc_in(); this uses the module's default instance.
 *
 * Context: as kmalloc() with the same @gfp.
 * Return: the memory, ZERO_SIZE_PTR for @size 0, or NULL.
 */
void *pheap_alloc(size_t size, gfp_t gfp)
{
	return pheap_alloc_caller(READ_ONCE(pheap_default_instance), size, gfp,
				  _RET_IP_);
}
EXPORT_SYMBOL_GPL(pheap_alloc);

/* pheap_entry_plain(), with flags hoard's paths serve. */
static bool pheap_alloc_plain(struct pheap *p, gfp_t gfp)
{
	return pheap_entry_plain(p) && !(gfp & (__GFP_DMA | __GFP_DMA32));
}

/* Can a bulk allocation of @size take hoard's many-per-lock way? */
static bool pheap_alloc_bulk_direct(struct pheap *p, size_t size, gfp_t gfp)
{
	return size && size <= PHEAP_MAX_SMALL && pheap_alloc_plain(p, gfp);
}

/* The blocks of a bulk allocation: as many of @nr as could be had. */
static size_t pheap_alloc_bulk_serve(struct pheap *p, size_t size, gfp_t gfp,
				     size_t nr, void **out,
				     unsigned long caller)
{
	unsigned int cls;
	size_t i, n;

	if (!pheap_alloc_bulk_direct(p, size, gfp)) {
		for (i = 0; i < nr; i++) {
			out[i] = pheap_alloc_caller(p, size, gfp, caller);
			if (!out[i])
				break;
		}
		return i;
	}
	might_alloc(gfp);
	cls = pheap_size_to_class(size);
	n = pheap_heap_alloc_bulk(p, cls, size, gfp, nr, out);
	for (i = 0; i < n; i++) {
		if (unlikely(want_init_on_alloc(gfp)))
			memset(out[i], 0, pheap_csize(cls));
		if (trace_pheap_alloc_enabled())
			pheap_alloc_trace(p, out[i], size, gfp, caller);
	}
	if (n < nr && trace_pheap_alloc_enabled())
		pheap_alloc_trace(p, NULL, size, gfp, caller);
	return n;
}

/**
 * pheap_alloc_bulk_in() - allocate many blocks of one size at once
 * @p: instance
 * @size: bytes of each
 * @gfp: allocation flags, as for kmalloc()
 * @nr: how many
 * @out: where the pointers go, @nr of them
 *
 * kmem_cache_alloc_bulk()'s contract: all or nothing. Hoard takes up to
 * PHEAP_BULK_BATCH blocks per hold of the CPU heap's lock, which costs
 * less per block than @nr pheap_alloc_in() calls; the other designs,
 * debug mode and sizes above the largest class make single calls.
 *
 * Context: as pheap_alloc_in() with the same @gfp.
 * Return: @nr, or 0 with nothing allocated (also for @nr above INT_MAX).
 */
int pheap_alloc_bulk_in(struct pheap *p, size_t size, gfp_t gfp, size_t nr,
			void **out)
{
	size_t n;

	if (unlikely(nr > INT_MAX))
		return 0;
	n = pheap_alloc_bulk_serve(p, size, gfp, nr, out, _RET_IP_);
	if (likely(n == nr)) {
		this_cpu_add(p->cpu_heaps->ev[PHEAP_EV_BULK_ALLOC], nr);
		return nr;
	}
	pheap_free_bulk_in(p, n, out);
	return 0;
}
EXPORT_SYMBOL_GPL(pheap_alloc_bulk_in);

/**
 * pheap_alloc_bulk() - allocate many blocks of one size at once
 * @size: bytes of each
 * @gfp: allocation flags
 * @nr: how many
 * @out: where the pointers go
 *
 * See pheap_alloc_bulk_in(); this uses the module's default instance.
 *
 * Context: as kmalloc() with the same @gfp.
 * Return: @nr, or 0 with nothing allocated.
 */
int pheap_alloc_bulk(size_t size, gfp_t gfp, size_t nr, void **out)
{
	return pheap_alloc_bulk_in(READ_ONCE(pheap_default_instance), size,
				   gfp, nr, out);
}
EXPORT_SYMBOL_GPL(pheap_alloc_bulk);

/* A node no allocation can be asked for: refused, as a bad argument. */
static void *pheap_alloc_bad_node(struct pheap *p, int node)
{
	this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_ALLOC_FAIL]);
	pr_err_ratelimited("%s: allocation on node %d refused: not an online node\n",
			   p->cfg.name, node);
	return NULL;
}

/* Hoard, ownership: a block from @node's global class, or large pages. */
static void *pheap_alloc_on_node(struct pheap *p, size_t size, gfp_t gfp,
				 int node)
{
	unsigned int cls;
	void *obj;

	might_alloc(gfp);
	if (size > PHEAP_MAX_SMALL)
		return pheap_alloc_large_path(p, size, gfp, node);
	cls = pheap_size_to_class(size);
	obj = pheap_global_alloc(p, cls, size, gfp, node);
	return pheap_alloc_result(p, obj, cls, gfp);
}

static bool pheap_on_node(const void *obj, int node)
{
	return page_to_nid(virt_to_page(obj)) == node;
}

/* A block of another node than the one asked for: counted, served. */
static void *pheap_alloc_other_node(struct pheap *p, void *obj)
{
	this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_ALLOC_OTHER_NODE]);
	return obj;
}

/*
 * Hoard and ownership take a block of another node than this CPU's from
 * that node's global class (under __GFP_THISNODE only that node's
 * pages); one of this CPU's node from the CPU heap, unless its
 * superblock is of another node (one taken from another node's global
 * class when this node's had none): then it goes back, and the node's
 * global class serves. The other designs and debug mode take their
 * plain path for any node: a block of another node is counted, or
 * under __GFP_THISNODE given back, and the allocation fails.
 */
static void *pheap_alloc_node_serve(struct pheap *p, size_t size, gfp_t gfp,
				    int node, unsigned long caller)
{
	bool plain = size && pheap_alloc_plain(p, gfp);
	void *obj;

	if (plain && node != numa_mem_id()) {
		obj = pheap_alloc_on_node(p, size, gfp, node);
		if (ZERO_OR_NULL_PTR(obj) || pheap_on_node(obj, node))
			return obj;
		return pheap_alloc_other_node(p, obj);
	}
	obj = pheap_alloc_serve(p, size, gfp, caller);
	if (ZERO_OR_NULL_PTR(obj) || pheap_on_node(obj, node))
		return obj;
	if (!plain && !(gfp & __GFP_THISNODE))
		return pheap_alloc_other_node(p, obj);
	if (trace_pheap_alloc_enabled())
		pheap_alloc_trace(p, obj, size, gfp, caller);
	pheap_free_for(p, obj, caller);
	if (!plain) {
		this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_ALLOC_FAIL]);
		return NULL;
	}
	obj = pheap_alloc_on_node(p, size, gfp, node);
	if (ZERO_OR_NULL_PTR(obj) || pheap_on_node(obj, node))
		return obj;
	return pheap_alloc_other_node(p, obj);
}

/**
 * pheap_alloc_node_in() - allocate memory on a NUMA node, like
 *			   kmalloc_node()
 * @p: instance
 * @size: bytes
 * @gfp: allocation flags, as for kmalloc_node(); with __GFP_THISNODE a
 *	 block of @node or NULL
 * @node: the memory node, or NUMA_NO_NODE for any (pheap_alloc_in())
 *
 * Hoard and ownership serve another node than the calling CPU's from
 * that node's class of the global heap (a block the global heap keeps,
 * whose free takes the remote way), new pages from that node; the page
 * allocator may fall back to another node unless __GFP_THISNODE is
 * given. The calling CPU's own node takes the usual path unless that
 * gives a block of a superblock of another node. The other designs and
 * debug mode take their usual path for any node. A block of another
 * node than @node is counted in allocs_other_node. A node that is not
 * online is refused: NULL, reported and counted.
 *
 * Context: as pheap_alloc_in().
 * Return: the memory; ZERO_SIZE_PTR for @size 0; NULL on failure.
 */
void *pheap_alloc_node_in(struct pheap *p, size_t size, gfp_t gfp, int node)
{
	void *obj;

	if (node == NUMA_NO_NODE)
		return pheap_alloc_caller(p, size, gfp, _RET_IP_);
	if (unlikely(node < 0 || node >= nr_node_ids || !node_online(node)))
		obj = pheap_alloc_bad_node(p, node);
	else
		obj = pheap_alloc_node_serve(p, size, gfp, node, _RET_IP_);
	if (trace_pheap_alloc_enabled())
		pheap_alloc_trace(p, obj, size, gfp, _RET_IP_);
	return obj;
}
EXPORT_SYMBOL_GPL(pheap_alloc_node_in);

/**
 * pheap_alloc_node() - allocate memory on a NUMA node, like kmalloc_node()
 * @size: bytes
 * @gfp: allocation flags
 * @node: the memory node, or NUMA_NO_NODE for any
 *
 * See pheap_alloc_node_in(); this uses the module's default instance.
 *
 * Context: as kmalloc_node() with the same @gfp.
 * Return: the memory, ZERO_SIZE_PTR for @size 0, or NULL.
 */
void *pheap_alloc_node(size_t size, gfp_t gfp, int node)
{
	return pheap_alloc_node_in(READ_ONCE(pheap_default_instance), size,
				   gfp, node);
}
EXPORT_SYMBOL_GPL(pheap_alloc_node);
