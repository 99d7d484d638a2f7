/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pheap CPU heaps (heap.c): their types, and the inline fast paths.
 *
 * The fast paths
 * --------------
 * An allocation pops the head of its class's active superblock's free
 * list; a free pushes the block back into its superblock when this CPU's
 * heap owns it, unless that moves the superblock to another fullness
 * group or breaks the threshold. Each, on the way:
 *
 *  - takes the heap's lock (pheap_heap_trylock(): preemption off and a
 *    flag, no atomic instruction, interrupts on);
 *  - reads and writes the superblock's owner-only fields and the heap's
 *    own, and the block's first word (the link, checked: link.h);
 *  - reads one word other CPUs write: the block's remote-free bit
 *    (sb->rfree), which only a remote free of a block of that superblock
 *    writes. It is what catches a remote free that raced its owner's
 *    free of the same block before the block is handed out twice
 *    (remote.c); without remote frees to the superblock the line stays
 *    in this CPU's cache;
 *  - writes two counters besides the block state (struct
 *    pheap_heap_class says which and why), nothing else: every other
 *    figure is derived when read (stats.c);
 *  - makes no indirect call (scripts/no-indirect.sh checks the built
 *    module), and looks at no remote list: the slow paths collect.
 *
 * The anchors weighed: SLUB's sheaves (a per-CPU array of object
 * pointers, no atomics, refilled from a per-node barn) would put a second
 * copy of the free state in front of the superblock's, and a double free
 * into a sheaf is not seen until the sheaf is flushed; pheap keeps one
 * free state, the superblock's, whose live bit catches every double
 * free at once. mimalloc's free-list sharding (a local list, the other
 * threads' frees on a list apart, swapped in when the local one runs
 * dry) is what pheap does, at superblock granularity: remote frees are
 * bits apart from the free list, taken in by a refill. bpf_mem_alloc's
 * per-CPU lists with watermarks run with interrupts off; pheap's lock
 * no longer does (heap.c says what that costs under TCG).
 */
#ifndef _PHEAP_HEAP_H
#define _PHEAP_HEAP_H

#include <linux/cache.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/spinlock.h>
#include <linux/local_lock.h>
#include <linux/percpu.h>
#include <linux/workqueue.h>

#include "class.h"
#include "instance.h"
#include "page.h"
#include "report.h"
#include "sb.h"

/*
 * Remote frees are collected PHEAP_COLLECT_BATCH superblocks at a time,
 * so that no path walks an unbounded list under a lock; blocks freed to
 * an owner that does not collect them itself are collected by its work
 * item at most PHEAP_COLLECT_DELAY jiffies after the first of them.
 */
#define PHEAP_COLLECT_BATCH	8
#define PHEAP_COLLECT_DELAY	max(1, HZ / 100)

/*
 * Threshold return moves at most PHEAP_RETURN_MAX superblocks to the
 * global heap each time it runs (heap.c): a call runs it at most twice.
 */
#define PHEAP_RETURN_MAX	4

/*
 * A bulk allocation or free (pheap_alloc_bulk(), pheap_free_bulk())
 * handles at most PHEAP_BULK_BATCH blocks per hold of the CPU heap's
 * lock: between two holds, preemption is on again.
 */
#define PHEAP_BULK_BATCH	32

/**
 * struct pheap_heap_class - one size class of a CPU heap
 * @active:  the superblock allocations pop from; not listed in @groups
 * @inuse:   blocks in use in the superblocks the heap holds
 * @req_bytes: bytes asked for by the allocations (for frag_bytes)
 * @frees:   frees into superblocks this heap owns, made on its CPU
 * @moved:   what changed @inuse but an allocation or a free on its CPU:
 *	     superblocks taken and given with their blocks in use, remote
 *	     frees collected, blocks quarantined; the allocations are
 *	     @inuse + @frees - @moved (pheap_heap_class_allocs()), not
 *	     counted on the fast path. The designs with heaps of their own
 *	     (shared.c, private.c), whose blocks are never in a CPU heap,
 *	     count an allocation as -1 here and a free as +1 and in @frees
 * @remote_frees: frees this CPU sent to another heap's remote list
 * @nr_sb:   superblocks held, @active included
 * @groups:  idle superblocks by fullness group, fullest last
 *
 * The owner CPU under the heap's lock, but @remote_frees, which this CPU
 * bumps with this_cpu_inc() and never under the lock (heap.c), and the
 * other designs' counts (this_cpu ops too).
 *
 * What the fast paths write besides the block state: an allocation
 * @inuse and @req_bytes, a free @inuse and @frees. No other figure of
 * the statistics needs them: the allocations are derived (above), and
 * the bytes in use are @inuse times the class size.
 */
struct pheap_heap_class {
	struct pheap_sb *active;
	unsigned long inuse, req_bytes, frees, moved;
	unsigned long remote_frees;
	unsigned long nr_sb;
	struct list_head groups[PHEAP_GROUPS];
};

/**
 * struct pheap_heap - a CPU heap
 * @busy:      the heap's lock on !PREEMPT_RT (pheap_heap_trylock()):
 *	       everything but @remote, @work and the constants is the owner
 *	       CPU's, under it; written by that CPU alone
 * @lock:      the heap's lock on PREEMPT_RT, a local lock
 * @cls:       per class
 * @a:	       bytes this heap's superblocks hold (Hoard's a_i; its u_i is
 *	       pheap_heap_u())
 * @idle_used: bytes in use in the idle superblocks (all but the actives)
 * @idle_held: bytes the idle superblocks hold
 * @idle_limit: max(K*S, f * @idle_held): Hoard's invariant, kept over the
 *	       idle superblocks, is idle_held - idle_used <= idle_limit
 * @pending:   superblocks taken off @remote and not yet collected
 * @returning: a threshold return stopped at PHEAP_RETURN_MAX superblocks
 *	       with the invariant broken; the work item finishes it
 * @trim:      the heap is to give up its empty superblocks (idle, or the
 *	       shrinker): its work item does; set by any CPU
 * @idle_seen: pheap_heap_activity() at the instance's last idle check;
 *	       that check's alone
 * @ev:	       event counters (enum pheap_event) of this CPU
 * @remote:    superblocks with blocks other CPUs freed; any CPU pushes
 *	       (llist_add), the owner takes them (llist_del_all); on its own
 *	       cache line, away from what the owner writes
 * @work:      collects @remote when the owner does not (heap.c)
 * @cpu, @pheap: constant
 */
struct pheap_heap {
	bool busy;
	local_lock_t lock;
	struct pheap_heap_class cls[PHEAP_NR_CLASSES];
	unsigned long a;
	unsigned long idle_used, idle_held, idle_limit;
	struct llist_node *pending;
	bool returning;
	bool trim;
	unsigned long idle_seen;
	unsigned long ev[PHEAP_EV_NR];

	struct llist_head remote ____cacheline_aligned_in_smp;
	struct delayed_work work;
	unsigned int cpu;
	struct pheap *pheap;
} ____cacheline_aligned_in_smp;

/* heap.c */
void pheap_heap_init(struct pheap *p, struct pheap_heap *h, unsigned int cpu);
void *pheap_heap_refill(struct pheap *p, struct pheap_heap **h,
			unsigned int cls, size_t size, gfp_t gfp,
			struct list_head *release);
void pheap_heap_free(struct pheap *p, struct pheap_heap *h,
		     struct pheap_sb *sb, void *obj, unsigned int idx,
		     struct list_head *release);
void *pheap_heap_pop_bad(struct pheap *p, struct pheap_heap *h,
			 unsigned int cls, size_t size);
void pheap_heap_evict(struct pheap *p, struct pheap_heap *h);
void pheap_heap_trim_all(struct pheap *p);
unsigned long pheap_heap_slack_pages(struct pheap *p);
void pheap_heap_idle_init(struct pheap *p);
void pheap_heap_idle_stop(struct pheap *p);
void pheap_heap_flush(struct pheap *p, struct pheap_heap *h);
void *pheap_alloc_slow(struct pheap *p, struct pheap_heap *h,
		       unsigned int cls, size_t size, gfp_t gfp);
void pheap_free_slow(struct pheap *p, struct pheap_heap *h,
		     struct pheap_sb *sb, void *obj, unsigned int idx);
void *pheap_alloc_interrupted(struct pheap *p, unsigned int cls, size_t size,
			      gfp_t gfp);
void pheap_free_remote(struct pheap *p, struct pheap_sb *sb, void *obj,
		       unsigned int idx, unsigned long caller);
void *pheap_alloc_block(struct pheap *p, unsigned int cls, size_t size,
			gfp_t gfp);
size_t pheap_heap_alloc_bulk(struct pheap *p, unsigned int cls, size_t size,
			     gfp_t gfp, size_t nr, void **out);
void pheap_free_block(struct pheap *p, struct pheap_sb *sb, void *obj,
		      unsigned int idx, unsigned long caller);

/**
 * pheap_heap_trylock() - lock this CPU's heap, unless it is in use here
 * @p: instance
 *
 * !PREEMPT_RT: preemption off and the heap's @busy flag set; interrupts
 * stay on. A context that interrupted the holder on this CPU (a softirq
 * or hardirq allocating or freeing) finds @busy set and must not touch
 * the heap: for it alone this fails. A task never finds it set, since a
 * holder runs with preemption off; neither does a context that took the
 * lock, dropped it around the page allocator and takes it again, since
 * whatever interrupted it in between is over. This is SLUB's
 * local_trylock_t of 6.15 (sheaves), which 6.1 and 6.12 do not have.
 *
 * PREEMPT_RT: the local lock, a per-CPU sleeping spinlock with migration
 * disabled. pheap refuses the contexts that may not take it
 * (pheap_rt_atomic()), so it always succeeds.
 *
 * Context: any pheap serves; never sleeps on !PREEMPT_RT.
 * Return: this CPU's heap, locked; NULL if it is in use on this CPU.
 */
static __always_inline struct pheap_heap *pheap_heap_trylock(struct pheap *p)
{
	struct pheap_heap *h;

	if (IS_ENABLED(CONFIG_PREEMPT_RT)) {
		local_lock(&p->cpu_heaps->lock);
		return this_cpu_ptr(p->cpu_heaps);
	}
	preempt_disable();
	h = this_cpu_ptr(p->cpu_heaps);
	if (unlikely(READ_ONCE(h->busy))) {
		preempt_enable();
		return NULL;
	}
	WRITE_ONCE(h->busy, true);
	barrier();	/* nothing of the heap is touched before */
	return h;
}

/* Unlock @h, this CPU's heap, locked by pheap_heap_trylock(). */
static __always_inline void pheap_heap_unlock(struct pheap *p,
					      struct pheap_heap *h)
{
	if (IS_ENABLED(CONFIG_PREEMPT_RT)) {
		local_unlock(&p->cpu_heaps->lock);
		return;
	}
	barrier();	/* nothing of the heap is touched after */
	WRITE_ONCE(h->busy, false);
	preempt_enable();
}

static inline void pheap_ev_inc(struct pheap_heap *h, enum pheap_event ev)
{
	h->ev[ev]++;
}

/*
 * The allocations of class @c on @h's CPU, derived (struct
 * pheap_heap_class): racy reads of another CPU's figures may disagree
 * for a moment, never below zero.
 */
static inline unsigned long
pheap_heap_class_allocs(const struct pheap_heap *h, unsigned int c)
{
	const struct pheap_heap_class *hc = &h->cls[c];
	/* racy on purpose: its CPU updates them while a reader sums */
	long n = data_race(READ_ONCE(hc->inuse) + READ_ONCE(hc->frees) -
			   READ_ONCE(hc->moved));

	return max(n, 0L);
}

/* Hoard's u_i: bytes in use in @h's superblocks (racy for another CPU). */
static inline unsigned long pheap_heap_u(const struct pheap_heap *h)
{
	unsigned long u = 0;
	unsigned int c;

	for (c = 0; c < PHEAP_NR_CLASSES; c++)
		/* racy on purpose: its CPU updates it while a reader sums */
		u += data_race(READ_ONCE(h->cls[c].inuse)) * pheap_csize(c);
	return u;
}

/*
 * Are remote frees waiting for @h? A peek at the list head other CPUs push
 * to: a push it misses is seen on the next call or by @h's collector.
 */
static __always_inline bool pheap_heap_remote_waiting(struct pheap_heap *h)
{
	return h->pending || READ_ONCE(h->remote.first);
}

/**
 * pheap_cpu_pop() - a block from the active superblock of a class
 * @p: instance
 * @h: this CPU's heap
 * @cls: size class
 * @size: bytes requested, for the fragmentation figure
 *
 * A free block whose remote-free bit is set (freed again by another CPU
 * while it was free), whose link is corrupt or which is live takes the
 * slow path, pheap_heap_pop_bad().
 *
 * Context: @h's CPU under its local lock.
 * Return: the block, or NULL when the active superblock has none.
 */
static __always_inline void *pheap_cpu_pop(struct pheap *p,
					   struct pheap_heap *h,
					   unsigned int cls, size_t size)
{
	struct pheap_heap_class *hc = &h->cls[cls];
	struct pheap_sb *sb = hc->active;
	unsigned int idx;
	void *obj;
	u64 next;

	if (unlikely(!sb))
		return NULL;
	idx = sb->free;
	if (unlikely(idx >= sb->nblocks))
		return NULL;
	obj = sb->base + idx * pheap_csize(cls);
	if (unlikely(!pheap_sb_head_ok(sb, obj, idx, &next) ||
		     pheap_sb_remote_freed(sb, idx)))
		return pheap_heap_pop_bad(p, h, cls, size);
	pheap_sb_take(sb, obj, idx, next);
	hc->inuse++;
	hc->req_bytes += size;
	return obj;
}

/**
 * pheap_cpu_push() - a block back into a superblock this CPU heap owns
 * @h: this CPU's heap, owner of @sb
 * @sb: the block's superblock
 * @obj: the block
 * @idx: its index in @sb
 *
 * Only the block state and the heap's counts: the caller keeps the
 * fullness group and the threshold when @sb is idle (pheap_heap_free()).
 *
 * Context: @h's CPU under its local lock.
 */
static __always_inline void pheap_cpu_push(struct pheap_heap *h,
					   struct pheap_sb *sb, void *obj,
					   unsigned int idx)
{
	unsigned int cls = sb->cls;

	pheap_sb_put(sb, obj, idx);
	h->cls[cls].inuse--;
}

/**
 * pheap_cpu_free() - the free fast path
 * @p: instance
 * @h: this CPU's heap, owner of @sb
 * @cls: @sb's class
 * @sb: the block's superblock
 * @obj: the block
 * @idx: its index in @sb
 *
 * Frees the block into @h's active superblock of its class, or into an
 * idle superblock when that moves the superblock to no other fullness
 * group and keeps the threshold. Anything else (a group change, a return
 * to the global heap) is the slow path's, pheap_heap_free().
 *
 * Context: @h's CPU under its local lock.
 * Return: true if the block was freed.
 */
static __always_inline bool pheap_cpu_free(const struct pheap *p,
					   struct pheap_heap *h,
					   unsigned int cls,
					   struct pheap_sb *sb, void *obj,
					   unsigned int idx)
{
	const struct pheap_class_info *ci = &p->ci[cls];

	if (likely(sb == h->cls[cls].active)) {
		pheap_cpu_push(h, sb, obj, idx);
		return true;
	}
	if (sb->inuse <= ci->group_min[sb->group] ||
	    h->idle_held - (h->idle_used - ci->size) > h->idle_limit)
		return false;
	pheap_cpu_push(h, sb, obj, idx);
	h->idle_used -= ci->size;
	return true;
}

/*
 * A block of class @cls, its contents as they are: the inline path. A
 * context that interrupted this CPU's heap in use takes a block from the
 * global heap instead (pheap_global_alloc()).
 */
static __always_inline void *pheap_alloc_small(struct pheap *p,
					       unsigned int cls, size_t size,
					       gfp_t gfp)
{
	struct pheap_heap *h = pheap_heap_trylock(p);
	void *obj;

	if (unlikely(!h)) {
		obj = pheap_alloc_interrupted(p, cls, size, gfp);
	} else {
		obj = pheap_cpu_pop(p, h, cls, size);
		if (likely(obj))
			pheap_heap_unlock(p, h);
		else
			obj = pheap_alloc_slow(p, h, cls, size, gfp);
	}

	if (unlikely(!obj))
		this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_ALLOC_FAIL]);
	return obj;
}

/**
 * pheap_free_locked() - free a block with this CPU's heap locked
 * @p: instance
 * @h: this CPU's heap, locked
 * @sb: the block's superblock
 * @cls: @sb's class, read before the lock was taken (the lock's barrier
 *	 would make a read here a second load on the fast path)
 * @obj: the block
 * @idx: its index in @sb
 * @caller: return address of the caller of the public function
 *
 * Context: @h's CPU under its local lock, in a superblock read section.
 * Return: true if @h is still locked; false if this dropped the lock (a
 * block of another heap, a double free, the slow path).
 */
static __always_inline bool pheap_free_locked(struct pheap *p,
					      struct pheap_heap *h,
					      struct pheap_sb *sb,
					      unsigned int cls, void *obj,
					      unsigned int idx,
					      unsigned long caller)
{
	/*
	 * Only this CPU, under this lock, gives its heap's superblocks away,
	 * so a superblock seen as this heap's stays so until the unlock. One
	 * seen as another's is pushed to a heap that owns it or owned it, and
	 * an owner that no longer does forwards it (remote.c).
	 */
	if (unlikely(READ_ONCE(sb->owner) != h)) {
		pheap_heap_unlock(p, h);
		pheap_free_remote(p, sb, obj, idx, caller);
		return false;
	}
	if (unlikely(!test_bit(idx, sb->live) ||
		     pheap_sb_remote_freed(sb, idx))) {
		pheap_heap_unlock(p, h);
		pheap_report_bad_free(p, obj, "double free", caller);
		return false;
	}
	/* only now is the block known to be the caller's to wipe */
	if (unlikely(want_init_on_free()) && !pheap_debug_on(p))
		memset(obj, 0, pheap_csize(cls));
	if (likely(pheap_cpu_free(p, h, cls, sb, obj, idx))) {
		h->cls[cls].frees++;
		return true;
	}
	pheap_free_slow(p, h, sb, obj, idx);
	return false;
}

static __always_inline void pheap_free_small(struct pheap *p,
					     struct pheap_sb *sb, void *obj,
					     unsigned int idx,
					     unsigned long caller)
{
	unsigned int cls = sb->cls;
	struct pheap_heap *h;

	/*
	 * PREEMPT_RT, may not sleep; or a context that interrupted this
	 * CPU's heap in use: the lock-free way, owner or not.
	 */
	if (unlikely(pheap_rt_atomic())) {
		pheap_free_remote(p, sb, obj, idx, caller);
		return;
	}
	h = pheap_heap_trylock(p);
	if (unlikely(!h)) {
		pheap_free_remote(p, sb, obj, idx, caller);
		return;
	}
	if (likely(pheap_free_locked(p, h, sb, cls, obj, idx, caller)))
		pheap_heap_unlock(p, h);
}

#endif /* _PHEAP_HEAP_H */
