/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pheap's instance (struct pheap), and the map of the layers that
 * serve it: what each file is, the order they call in, the lock order.
 * This header has no .c of its own and calls nothing: every layer reads
 * the instance's fields from it, and each layer's own types and inline
 * paths are in that layer's header.
 *
 * Layers, top down. Each calls only the ones below it (a .c and its own
 * .h are one layer); none is called back from below. A lower layer that
 * needs something decided above returns it as a value (the superblocks
 * to release after a lock is dropped, a double free found), and reports
 * go to the bottom layer rather than back up:
 *
 *   alloc.c, free.c  the public entry points, pheap_alloc*(),
 *		pheap_free*(), pheap_usable_size*(): context checks, size
 *		-> class, pointer -> superblock, one dispatch
 *   rcu.c	pheap_free_rcu*(): the design's claim at once, the free a
 *		grace period later, batched
 *   nolock.c	pheap_alloc_nolock*(): any context, NMI included, from
 *		this CPU's heap or its reserve; the irq_works that fill the
 *		reserves and free what pheap_free() got in NMI
 *   debug.c	debug mode (red zones, poison, caller tracking): wraps the
 *		hoard design's block-level alloc and free
 *   design.c	the designs' names and their tables (design.h): the
 *		entry points reach every design but hoard and ownership
 *		through them, past one static branch
 *   the designs:
 *     heap.c	hoard and ownership: CPU heaps, the inline fast paths
 *		(heap.h), refill, the free slow path, Hoard's threshold
 *		return with hysteresis, eviction
 *     global.c	hoard's global heap: superblocks no CPU heap holds, a
 *		lock per class and node
 *     remote.c	a block freed by a CPU that does not own it: a bit in its
 *		superblock's remote-free bitmap, the superblock queued on
 *		its owner's lock-free list; collecting those bits
 *     shared.c	the single-heap designs: kheap, serial, class-lock
 *     private.c the pure private heaps design
 *     btag.c	the boundary-tag design: blocks of any length in page runs,
 *		size headers, one free list, coalescing
 *     blocklock.c the block-lock design: one free list, a lock per
 *		free block
 *     btree.c	the btree design: free extents as a maple tree's gaps
 *   sb.c	superblocks: carved into blocks, their free list, the
 *		bitmaps, pointer -> superblock in O(1)
 *   run.c	page runs, the page-run designs' memory: their bitmaps of
 *		block starts, pointer -> run in O(1)
 *   link.h	the free-list link of every design and its check
 *   class.c	size classes and each class's superblock geometry
 *   large.c	requests above the largest class: compound pages
 *   page.c	every page pheap holds: alloc_pages()/__free_pages(),
 *		the accounting, the node, the tag in struct page
 *   fault.c	injected page-request failures (debugfs)
 *   report.c	reports of bad frees and corruption, and their counters
 *
 * Beside them, above everything and called by the module alone:
 *   lifecycle.c instances: create, destroy, flush, CPU hotplug
 *   stats.c, debugfs.c, trace.c  views: they read the layers' figures and
 *		are never called from them (the tracepoints are emitted by
 *		the layers; trace.c only creates them)
 *
 * Designs (enum pheap_design, chosen per instance): hoard, the default,
 * is CPU heaps with ownership (heap.c, remote.c) plus the threshold and
 * the global heap (global.c); ownership is the same without the last two
 * (heap.c's file comment); kheap, serial and class-lock share one heap
 * (shared.c); private is per-CPU free lists without owners (private.c);
 * boundary-tag is the size-header heap over page runs (btag.c, run.c);
 * block-lock and btree keep other free lists over page runs
 * (blocklock.c, btree.c).
 * Everything below describes hoard unless it says otherwise.
 *
 * Objects:
 *
 *   superblock	2^order pages, order chosen per class so that it holds
 *		16 blocks, up to 32 KiB (class.c). Its descriptor (struct
 *		pheap_sb) lives out of band; every page of it points to the
 *		descriptor (page->private, with a check word in page->index).
 *		The descriptor has a bit per block twice: "live" (handed
 *		out, the owner's) and "remote freed" (set atomically by other
 *		CPUs), which is how every double free is caught (free.c).
 *   CPU heap	per class an active superblock, which allocations pop from
 *		and local frees push to, and the idle superblocks (all the
 *		others it owns) in fullness groups. Hoard's threshold is kept
 *		over the idle ones: the active superblocks are never returned.
 *   global heap per class, superblocks no CPU owns, in fullness groups.
 *
 * Concurrency:
 *
 *   A CPU heap is used only by its CPU under its local lock (struct
 *   pheap_heap.lock, local_lock_irqsave(): interrupts off on !PREEMPT_RT,
 *   a per-CPU lock with migration disabled on PREEMPT_RT). The only
 *   exception is its remote list, which any CPU pushes to (llist_add()).
 *
 *   A superblock's block state (free, inuse, live, group, node) belongs
 *   to its owner: the owning CPU under its local lock, or the global class
 *   lock. sb->owner is written by the current owner only (and by the
 *   hotplug and destroy paths, when nothing runs on the owner) and read
 *   racily by remote freers: a stale read queues the superblock on the
 *   previous owner's list, and the previous owner forwards it. A
 *   superblock is freed only at inuse == 0, and a block freed remotely
 *   still counts in inuse until its owner collects it, so a remote freer
 *   can always finish (remote.c gives the order that makes this hold).
 *
 *   The page allocator is never called under a pheap lock: slow paths drop
 *   the local lock around alloc_pages(), and superblocks to give back are
 *   collected on a list that is released after every lock is dropped.
 *
 * Lock order (outermost first):
 *
 *   pheap_heap.lock			local lock, one per CPU heap
 *     pheap_global_class.lock		raw spinlock, one per class
 *   pheap.large_lock			raw spinlock, leaf
 *
 * The other designs' locks are not held with any of these: shared.c's
 * lock (raw spinlock, one, or one per class for class-lock), private.c's
 * local lock, btag.c's raw spinlock, blocklock.c's bit locks and
 * btree.c's raw spinlock (its maple tree's external lock), each
 * outermost, and under any of them nothing but what sb.c's descriptor
 * kmalloc and large.c take when called without it (btree.c: the maple
 * tree's call_rcu() of the nodes it replaces).
 *
 * No path takes two class locks, or two local locks, at once.
 */
#ifndef _PHEAP_INSTANCE_H
#define _PHEAP_INSTANCE_H

#include <linux/atomic.h>
#include <linux/jump_label.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include "pheap.h"
#include "compat.h"
#include "class.h"
#include "global.h"
#include "rcu.h"

struct pheap_design_ops;
struct pheap_heap;
struct pheap_nolock_cpu;
struct pheap_shared;
struct pheap_private;
struct pheap_btag;
struct pheap_blocklock;
struct pheap_btree;

/**
 * struct pheap - an instance
 *
 * Everything but @cpu_heaps, @global, @dying, @fault and the
 * large-allocation and page-accounting fields is constant after
 * pheap_create().
 */
struct pheap {
	struct pheap_config cfg;
	unsigned int design;			/* enum pheap_design */
	const struct pheap_design_ops *ops;	/* its table (design.h) */
	/* The designs with heaps of their own: the one in force, or NULL. */
	struct pheap_shared *shared;		/* kheap, serial, class-lock */
	struct pheap_private *priv;		/* private */
	struct pheap_btag *btag;		/* boundary-tag */
	struct pheap_blocklock *blocklock;	/* block-lock */
	struct pheap_btree *btree;		/* btree */
	unsigned int sb_bytes;			/* S, the unit of K*S */
	unsigned long k_bytes;			/* K * S */
	struct pheap_class_info ci[PHEAP_NR_CLASSES];
	/* debug mode: the class that serves each class's requests */
	unsigned char debug_cls[PHEAP_NR_CLASSES];
	/* debug mode: each inner class's left red zone, bytes (0: unused) */
	unsigned short debug_left[PHEAP_NR_CLASSES];
	struct pheap_heap __percpu *cpu_heaps;
	struct pheap_global global;
	bool dying;				/* destroy: no work queued */
	struct pheap_rcu rcu;			/* pheap_free_rcu() (rcu.c) */
	/* pheap_alloc_nolock() and frees in NMI (nolock.c, free.c) */
	struct pheap_nolock_cpu __percpu *nolock;
	struct delayed_work nolock_idle;	/* gives the reserves back */
	struct delayed_work idle_work;		/* heap.c: idle CPU heaps */

	/*
	 * Superblocks released while queued on a remote list, until their
	 * collector takes them off it (sb.c): sb->node, under limbo_lock.
	 */
	raw_spinlock_t limbo_lock;
	struct list_head limbo;

	/* Whole-page allocations, for accounting and for destroy. */
	raw_spinlock_t large_lock;
	struct list_head large_pages;		/* page->lru, under large_lock */
	/* freed where pages cannot go back at once (PREEMPT_RT: large.c) */
	struct list_head large_deferred;	/* page->lru, under large_lock */
	/* claimed by pheap_free_rcu(), until the RCU work takes them */
	struct list_head large_rcu;		/* page->lru, under large_lock */
	struct work_struct large_work;
	unsigned long large_nr;			/* under large_lock */
	unsigned long large_bytes;		/* under large_lock */

	/* Instance-wide page accounting, updated on slow paths only. */
	atomic_long_t pages_held;
	atomic_long_t peak_pages;
	atomic_long_t peak_u;
	atomic_long_t *node_pages;		/* pages held per node, nr_node_ids */

	struct hlist_node cpuhp_node;		/* CPU hotplug */

	/* Injected page-request failures (fault.c), set in debugfs. */
	struct {
		unsigned int every, percent;
		atomic_t requests;
	} fault;
};

/* The global heap's class @cls on memory node @nid. */
static inline struct pheap_global_class *pheap_gclass(const struct pheap *p,
						      int nid, unsigned int cls)
{
	return &p->global.node[nid]->cls[cls];
}

DECLARE_STATIC_KEY_FALSE(pheap_debug_key);

/*
 * Is @p in debug mode? A static branch, a no-op jump while no instance
 * has debug flags: what the fast paths pay for debug mode.
 */
static __always_inline bool pheap_debug_on(const struct pheap *p)
{
	return static_branch_unlikely(&pheap_debug_key) && p->cfg.debug;
}

#endif /* _PHEAP_INSTANCE_H */
