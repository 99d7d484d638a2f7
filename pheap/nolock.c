// SPDX-License-Identifier: GPL-2.0
/*
 * pheap_alloc_nolock(): allocation from any context, NMI included, for
 * callers that may not wait for anything (kmalloc_nolock()'s: BPF
 * programs, tracing, NMI handlers); and the irq_work that frees what
 * pheap_free() was given in NMI (free.c queues it).
 *
 * An allocation takes no lock it could wait for and never calls the page
 * allocator. hoard and ownership, outside debug mode:
 *
 *   1. this CPU's heap, unless it is in use on this CPU: its trylock is a
 *      flag (heap.h), which an NMI that lands while its CPU holds the heap
 *      finds set; then the head of the class's active superblock
 *      (pheap_cpu_pop(): no refill, no collection);
 *   2. else this CPU's reserve of the class, popped lock free;
 *   3. else NULL, counted (nolock_failures).
 *
 * On PREEMPT_RT the heap's lock is a sleeping lock: step 2 only. The other
 * designs, debug mode and sizes above the largest class get NULL, counted,
 * as kmalloc_nolock() may return NULL. The calls that found the heap in
 * use are counted (nolock_busy): an NMI that landed inside pheap's own
 * alloc or free path.
 *
 * A reserve taken from, or found empty, is filled again by its CPU's
 * irq_work with ordinary allocations: GFP_ATOMIC from hard interrupt
 * context (an interrupted heap's blocks then come from the global heap,
 * heap.c), or from the irq_work thread on PREEMPT_RT. Reserve blocks are
 * allocated blocks no caller holds: statistics count them apart
 * (nolock_reserve_bytes), not in u_bytes or allocs. Per CPU, of the
 * classes nolock callers used, 32 blocks of each class up to 512 bytes
 * and 8 of each larger one: at most 32 x 1736 + 8 x 12544 bytes, 152 KiB
 * a CPU. They go back by trim, at destroy, when their CPU dies, and
 * PHEAP_NOLOCK_IDLE after the last refill.
 */
#include <linux/cpumask.h>
#include <linux/export.h>
#include <linux/gfp.h>
#include <linux/hardirq.h>
#include <linux/irq_work.h>
#include <linux/numa.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/workqueue.h>

#include "class.h"
#include "debug.h"
#include "design.h"
#include "entry.h"
#include "heap.h"
#include "instance.h"
#include "lifecycle.h"
#include "nolock.h"
#include "page.h"
#include "sb.h"
#include "trace.h"

/* The reserves go back this long after the last refill. */
#define PHEAP_NOLOCK_IDLE	(2 * HZ)

#define PHEAP_RSV_NR(s)		((s) & 0xff)
#define PHEAP_RSV_NEXT(s, nr)	(((((s) >> 8) + 1) << 8) | (nr))

/*
 * A block of this CPU's reserve of @cls, or NULL. Context: preemption off
 * (any context on this CPU, NMI included).
 */
static void *pheap_reserve_pop(struct pheap_nolock_cpu __percpu *nc,
			       unsigned int cls)
{
	unsigned long s;
	void *obj;

	do {
		s = this_cpu_read(nc->reserve[cls].state);
		if (!PHEAP_RSV_NR(s))
			return NULL;
		obj = this_cpu_read(nc->reserve[cls].blk[PHEAP_RSV_NR(s) - 1]);
	} while (this_cpu_cmpxchg(nc->reserve[cls].state, s,
				  PHEAP_RSV_NEXT(s, PHEAP_RSV_NR(s) - 1)) != s);
	return obj;
}

/* How many blocks of @cls a CPU keeps. */
static unsigned int pheap_reserve_depth(unsigned int cls)
{
	return pheap_csize(cls) <= PHEAP_NOLOCK_SMALL ? PHEAP_NOLOCK_DEPTH :
							 PHEAP_NOLOCK_DEPTH / 4;
}

/*
 * @obj into this CPU's reserve of @cls. Return: false if it is full.
 * Context: preemption off.
 */
static bool pheap_reserve_push(struct pheap_nolock_cpu __percpu *nc,
			       unsigned int cls, void *obj)
{
	unsigned long s, n;

	do {
		s = this_cpu_read(nc->reserve[cls].state);
		n = PHEAP_RSV_NR(s);
		if (n >= pheap_reserve_depth(cls))
			return false;
		/* beyond the count: no pop reads it before the exchange */
		this_cpu_write(nc->reserve[cls].blk[n], obj);
	} while (this_cpu_cmpxchg(nc->reserve[cls].state, s,
				  PHEAP_RSV_NEXT(s, n + 1)) != s);
	return true;
}

/* A reserve block of @cls, and its refill asked for. Context: any. */
static void *pheap_nolock_reserve_take(struct pheap *p, unsigned int cls)
{
	struct pheap_nolock_cpu __percpu *nc = p->nolock;
	void *obj;

	preempt_disable();
	obj = pheap_reserve_pop(nc, cls);
	if (obj)
		this_cpu_dec(nc->outstanding[cls]);
	set_bit(cls, this_cpu_ptr(&nc->want));
	irq_work_queue(this_cpu_ptr(&nc->refill));
	preempt_enable();
	if (obj)
		this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_NOLOCK_RESERVE]);
	return obj;
}

/* Step 1: the active superblock's head, if the heap is not in use here. */
static void *pheap_nolock_from_heap(struct pheap *p, unsigned int cls,
				    size_t size)
{
	struct pheap_heap *h;
	void *obj;

	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		return NULL;
	h = pheap_heap_trylock(p);
	if (!h) {
		this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_NOLOCK_BUSY]);
		return NULL;
	}
	obj = pheap_cpu_pop(p, h, cls, size);
	pheap_heap_unlock(p, h);
	return obj;
}

/* Can a nolock allocation of @size, @gfp and @node be served at all? */
static bool pheap_nolock_ok(struct pheap *p, size_t size, gfp_t gfp,
			    int node)
{
	if (size > PHEAP_MAX_SMALL || pheap_design_on(p) ||
	    pheap_debug_on(p) || (gfp & (__GFP_DMA | __GFP_DMA32)))
		return false;
	/* only this CPU's blocks: another node's only as a fallback */
	return node == NUMA_NO_NODE || node == numa_mem_id() ||
	       !(gfp & __GFP_THISNODE);
}

static void *pheap_nolock_serve(struct pheap *p, size_t size, gfp_t gfp,
				int node)
{
	unsigned int cls;
	void *obj;

	if (unlikely(!size))
		return ZERO_SIZE_PTR;
	if (unlikely(!pheap_nolock_ok(p, size, gfp, node)))
		goto fail;
	cls = pheap_size_to_class(size);
	obj = pheap_nolock_from_heap(p, cls, size);
	if (!obj)
		obj = pheap_nolock_reserve_take(p, cls);
	if (unlikely(!obj))
		goto fail;
	this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_NOLOCK_ALLOC]);
	if (node != NUMA_NO_NODE &&
	    page_to_nid(virt_to_page(obj)) != node)
		this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_ALLOC_OTHER_NODE]);
	if (want_init_on_alloc(gfp))
		memset(obj, 0, pheap_csize(cls));
	return obj;
fail:
	this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_NOLOCK_FAIL]);
	return NULL;
}

static void *pheap_alloc_nolock_caller(struct pheap *p, size_t size,
				       gfp_t gfp, int node,
				       unsigned long caller)
{
	void *obj = pheap_nolock_serve(p, size, gfp, node);

	trace_pheap_alloc(p, caller, obj, size,
			  ZERO_OR_NULL_PTR(obj) ? 0 :
			  pheap_csize(pheap_size_to_class(size)),
			  gfp, ZERO_OR_NULL_PTR(obj) ? -1 :
			  (int)pheap_size_to_class(size));
	return obj;
}

/**
 * pheap_alloc_nolock_in() - allocate from any context, NMI included
 * @p: instance
 * @size: bytes
 * @gfp: __GFP_ZERO and __GFP_NOWARN are honoured, __GFP_THISNODE with
 *	 @node; other flags change nothing (nothing here may wait)
 * @node: the memory node wanted, or NUMA_NO_NODE; this CPU's blocks are
 *	  served, counted in allocs_other_node when of another node, and
 *	  refused under __GFP_THISNODE
 *
 * kmalloc_nolock()'s counterpart: takes no lock it could wait for (not
 * one the interrupted context may hold) and never calls the page
 * allocator: the block comes from this CPU's heap when that is not in use
 * here, else from this CPU's reserve. May return NULL (counted in
 * nolock_failures); always does for sizes above the largest class, in
 * the designs other than hoard and ownership, and in debug mode. Free
 * the block with pheap_free_in(), from any context.
 *
 * Context: any, NMI and hard interrupts included.
 * Return: the memory, ZERO_SIZE_PTR for @size 0, or NULL.
 */
void *pheap_alloc_nolock_in(struct pheap *p, size_t size, gfp_t gfp, int node)
{
	return pheap_alloc_nolock_caller(p, size, gfp, node, _RET_IP_);
}
EXPORT_SYMBOL_GPL(pheap_alloc_nolock_in);

/**
 * pheap_alloc_nolock() - allocate from any context, like kmalloc_nolock()
 * @size: bytes
 * @gfp: as for pheap_alloc_nolock_in()
 * @node: the memory node wanted, or NUMA_NO_NODE
 *
 * See pheap_alloc_nolock_in(); this uses the module's default instance.
 *
 * Context: any, NMI included.
 * Return: the memory, ZERO_SIZE_PTR for @size 0, or NULL.
 */
void *pheap_alloc_nolock(size_t size, gfp_t gfp, int node)
{
	return pheap_alloc_nolock_caller(READ_ONCE(pheap_default_instance),
					 size, gfp, node, _RET_IP_);
}
EXPORT_SYMBOL_GPL(pheap_alloc_nolock);

/*
 * Fill this CPU's reserve of @cls with ordinary allocations, untraced:
 * the pheap_alloc event is a nolock caller's, when it takes the block.
 */
static void pheap_nolock_fill(struct pheap *p, unsigned int cls)
{
	bool pushed;
	void *obj;

	do {
		obj = pheap_alloc_small(p, cls, pheap_csize(cls),
					GFP_ATOMIC | __GFP_NOWARN);
		if (!obj)
			return;
		this_cpu_inc(p->nolock->outstanding[cls]);
		/* the irq_work thread on PREEMPT_RT: a task may pop too */
		preempt_disable();
		pushed = pheap_reserve_push(p->nolock, cls, obj);
		preempt_enable();
	} while (pushed);
	this_cpu_inc(p->nolock->drained[cls]);
	pheap_free_untraced(p, obj, _RET_IP_);
}

/* irq_work, on the CPU that asked: fill the reserves it took from. */
static void pheap_nolock_refill(struct irq_work *work)
{
	struct pheap_nolock_cpu *nc = container_of(work, struct pheap_nolock_cpu,
						   refill);
	struct pheap *p = nc->pheap;
	unsigned long want;
	unsigned int cls;

	/* on this CPU: hard interrupt context, or its irq_work thread */
	want = xchg(&nc->want, 0);
	for_each_set_bit(cls, &want, PHEAP_NR_CLASSES)
		pheap_nolock_fill(p, cls);
	if (!READ_ONCE(p->dying))
		mod_delayed_work(system_wq, &p->nolock_idle, PHEAP_NOLOCK_IDLE);
}

/*
 * Give this CPU's reserves back, as frees: each counted as drained, so
 * the statistics show neither its allocation nor its free. Context:
 * preemption off, on the reserves' CPU.
 */
static void pheap_nolock_drain_here(void *arg)
{
	struct pheap *p = arg;
	unsigned int cls;
	void *obj;

	for (cls = 0; cls < PHEAP_NR_CLASSES; cls++) {
		while ((obj = pheap_reserve_pop(p->nolock, cls))) {
			this_cpu_inc(p->nolock->drained[cls]);
			pheap_free_untraced(p, obj, _RET_IP_);
		}
	}
}

static void pheap_nolock_idle(struct work_struct *work)
{
	pheap_nolock_trim(container_of(to_delayed_work(work), struct pheap,
				       nolock_idle));
}

/**
 * pheap_nolock_trim() - give every online CPU's reserve back now
 * @p: instance
 *
 * A refill already asked for is waited for first: on PREEMPT_RT its
 * irq_work thread may run a tick later, and would fill the reserve again.
 *
 * Context: process context, not under cpus_read_lock().
 */
void pheap_nolock_trim(struct pheap *p)
{
	int cpu;

	for_each_online_cpu(cpu)
		irq_work_sync(&per_cpu_ptr(p->nolock, cpu)->refill);
	on_each_cpu(pheap_nolock_drain_here, p, 1);
}

/**
 * pheap_nolock_dead() - give a dead CPU's reserve and NMI frees back
 * @p: instance
 * @cpu: a CPU that is not running, or any while @p is destroyed
 *
 * Context: process context, nothing else using @cpu's state.
 */
void pheap_nolock_dead(struct pheap *p, int cpu)
{
	struct pheap_nolock_cpu *nc = per_cpu_ptr(p->nolock, cpu);
	struct pheap_reserve *r;
	unsigned int cls, i;

	irq_work_sync(&nc->refill);
	irq_work_sync(&nc->nmi_free);
	pheap_free_deferred(&nc->nmi_free);
	for (cls = 0; cls < PHEAP_NR_CLASSES; cls++) {
		r = &nc->reserve[cls];
		for (i = 0; i < PHEAP_RSV_NR(r->state); i++) {
			nc->drained[cls]++;
			pheap_free_untraced(p, r->blk[i], _RET_IP_);
		}
		r->state = PHEAP_RSV_NEXT(r->state, 0);
	}
}

/**
 * pheap_nolock_reserved() - a CPU's reserve of a class, for statistics
 * @p: instance
 * @cpu: a possible CPU
 * @cls: size class
 * @outstanding: set to the allocations of the reserve no caller got
 * @drained: set to the reserve blocks given back unused
 *
 * Context: any; racy against @cpu.
 * Return: the blocks in the reserve.
 */
unsigned long pheap_nolock_reserved(struct pheap *p, int cpu,
				    unsigned int cls, long *outstanding,
				    unsigned long *drained)
{
	struct pheap_nolock_cpu *nc = per_cpu_ptr(p->nolock, cpu);

	/* racy on purpose, all three: a snapshot while the CPU allocates */
	*outstanding = data_race(READ_ONCE(nc->outstanding[cls]));
	/* racy: as above */
	*drained = data_race(READ_ONCE(nc->drained[cls]));
	/* racy: as above */
	return PHEAP_RSV_NR(data_race(READ_ONCE(nc->reserve[cls].state)));
}

/**
 * pheap_nolock_reset() - the reserve's counts start again from zero
 * @p: instance
 * @cpu: this CPU, whose event counters are being reset
 *
 * Context: on @cpu, preemption off.
 */
void pheap_nolock_reset(struct pheap *p, int cpu)
{
	struct pheap_nolock_cpu *nc = per_cpu_ptr(p->nolock, cpu);
	unsigned int cls;

	for (cls = 0; cls < PHEAP_NR_CLASSES; cls++) {
		WRITE_ONCE(nc->outstanding[cls], 0);
		WRITE_ONCE(nc->drained[cls], 0);
	}
}

/**
 * pheap_nolock_init() - empty reserves and no NMI frees on every CPU
 * @p: instance being created
 *
 * Context: process context.
 * Return: 0 or -ENOMEM.
 */
int pheap_nolock_init(struct pheap *p)
{
	struct pheap_nolock_cpu *nc;
	int cpu;

	INIT_DELAYED_WORK(&p->nolock_idle, pheap_nolock_idle);
	p->nolock = alloc_percpu(struct pheap_nolock_cpu);
	if (!p->nolock)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		nc = per_cpu_ptr(p->nolock, cpu);
		nc->pheap = p;
		init_irq_work(&nc->refill, pheap_nolock_refill);
		init_llist_head(&nc->nmi_frees);
		init_irq_work(&nc->nmi_free, pheap_free_deferred);
	}
	return 0;
}

/**
 * pheap_nolock_destroy() - give every reserve and NMI free back
 * @p: instance being destroyed (or whose creation failed), @p->dying set
 *
 * Context: process context; no caller uses @p any more.
 */
void pheap_nolock_destroy(struct pheap *p)
{
	int cpu;

	if (!p->nolock)
		return;
	for_each_possible_cpu(cpu)
		pheap_nolock_dead(p, cpu);
	cancel_delayed_work_sync(&p->nolock_idle);
	free_percpu(p->nolock);
	p->nolock = NULL;
}
