/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pheap internals: the data structures all of pheap shares, the lock
 * order, and the two inline fast paths.
 *
 * Layers, bottom up; each file calls only the ones below it:
 *
 *   class.c	size classes and each class's superblock geometry
 *   fault.c	injected page-request failures (debugfs)
 *   sb.c	a superblock: pages from alloc_pages(), carved into blocks;
 *		pointer -> superblock in O(1)
 *   large.c	requests above the largest class: compound pages
 *   remote.c	a block freed by a CPU that does not own it: a bit set in
 *		its superblock's remote-free bitmap, the superblock queued
 *		on its owner's lock-free list; collecting those bits
 *   global.c	the global heap (struct pheap_global): superblocks no CPU
 *		heap holds, a lock per class
 *   heap.c	CPU heaps: refill, the free slow path, Hoard's threshold
 *		return with hysteresis, collecting remote frees, eviction
 *   shared.c	the single-heap designs: kheap, serial, class-lock
 *   private.c	the pure private heaps design
 *   alloc.c	pheap_alloc*(): the allocation path, top to bottom
 *   free.c	pheap_free*(), pheap_usable_size*(): the free path
 *   debug.c	debug mode (red zones, poison, caller tracking): alloc.c
 *		and free.c hand a debug instance's calls to it after their
 *		checks, and it calls their block-level paths
 *   instance.c	instances: create, destroy, flush, CPU hotplug
 *   stats.c, debugfs.c	read-only views
 *
 * Designs (enum pheap_policy, chosen per instance): hoard, the default,
 * is CPU heaps with ownership (heap.c, remote.c) plus the threshold and
 * the global heap (global.c); ownership is the same without the last two
 * (heap.c's file comment); kheap, serial and class-lock share one heap
 * (shared.c); private is per-CPU free lists without owners (private.c).
 * alloc.c and free.c send the last four to their files past one static
 * branch (pheap_design_on()): hoard and ownership pay nothing for them.
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
 * lock (raw spinlock, one, or one per class for class-lock) and
 * private.c's local lock, each outermost, and under either nothing but
 * what sb.c's descriptor kmalloc and large.c take when called without it.
 *
 * No path takes two class locks, or two local locks, at once.
 */
#ifndef _PHEAP_INTERNAL_H
#define _PHEAP_INTERNAL_H

#include <linux/bitops.h>
#include <linux/jump_label.h>
#include <linux/cache.h>
#include <linux/list.h>
#include <linux/llist.h>
/* before local_lock.h: on PREEMPT_RT a local lock is a spinlock_t */
#include <linux/spinlock.h>
#include <linux/local_lock.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/reciprocal_div.h>
#include <linux/workqueue.h>

#include "pheap.h"
#include "compat.h"

/* Size classes (class.c): 8 .. 4096 bytes; larger requests take pages. */
#define PHEAP_NR_CLASSES	17
#define PHEAP_MAX_SMALL		4096
/*
 * A superblock holds PHEAP_WANT_BLOCKS blocks where that fits in order
 * PHEAP_MAX_SB_ORDER, and never fewer than PHEAP_MIN_BLOCKS (class.c).
 */
#define PHEAP_WANT_BLOCKS	16
#define PHEAP_MAX_SB_ORDER	3
#define PHEAP_MIN_BLOCKS	8

/*
 * A superblock's remote-free summary word (remote.c) has a bit per word
 * of its bitmaps and two flags: at most PHEAP_SB_MAX_BLOCKS blocks.
 */
#define PHEAP_RS_QUEUED		BIT(BITS_PER_LONG - 1)
#define PHEAP_RS_DEAD		BIT(BITS_PER_LONG - 2)
#define PHEAP_SB_MAX_WORDS	(BITS_PER_LONG - 2)
#define PHEAP_SB_MAX_BLOCKS	(PHEAP_SB_MAX_WORDS * BITS_PER_LONG)

/*
 * Fullness groups: 0 holds empty superblocks, PHEAP_FULL full ones, and
 * 1..PHEAP_FULL-1 partial ones by thirds of their blocks in use.
 */
#define PHEAP_GROUPS		5
#define PHEAP_FULL		(PHEAP_GROUPS - 1)

/*
 * Remote frees are collected PHEAP_COLLECT_BATCH superblocks at a time,
 * so that no path walks an unbounded list under a lock; blocks freed to
 * an owner that does not collect them itself are collected by its work
 * item at most PHEAP_COLLECT_DELAY jiffies after the first of them.
 */
#define PHEAP_COLLECT_BATCH	8
#define PHEAP_COLLECT_DELAY	max(1, HZ / 100)
/*
 * A CPU heap looks at its remote list once every PHEAP_COLLECT_EVERY
 * allocations and frees, not on each: the list head is a line other CPUs
 * write, and a batch per look amortises the llist_del_all().
 */
#define PHEAP_COLLECT_EVERY	64

/*
 * page->index of every page pheap owns is page->private ^ PHEAP_PAGE_MAGIC;
 * page->private is a descriptor pointer (bit 0 clear) or, for a large
 * allocation, the instance pointer | order << 1 | 1.
 */
#define PHEAP_PAGE_MAGIC	0x9e3779b97f4a7c15UL
#define PHEAP_TAG_LARGE		1UL

#define PHEAP_SB_MAGIC		0x70686562UL	/* "pheb" */

struct pheap_heap;

/**
 * struct pheap_sb - a superblock's descriptor
 *
 * The free list is threaded through the free blocks by index, not by
 * pointer: a block's first 4 bytes hold the next free block's index
 * encoded with the superblock's random key and the block's own index
 * (pheap_sb_link()), @nblocks ending the list. A link a caller overwrote
 * decodes to an index out of range, with all but a tiny probability, and
 * is never followed (heap.c); a link copied from another block does too.
 *
 * Invariants, checked by pheap_sb_check() under CONFIG_PHEAP_DEBUG:
 *   0 <= inuse <= nblocks
 *   inuse + length(free) == nblocks
 *   inuse == lost + the bits set in live, which are blocks not on @free
 *   group == pheap_group(inuse) while listed (idle or global)
 * A bit set in @rfree is a block freed by another CPU and not yet
 * collected: its live bit is still set, it is not on @free.
 *
 * Layout: the owner's fields, then on their own cache line the fields
 * other CPUs write, @rfree, and on the next line the @live bitmap.
 */
struct pheap_sb {
	/* Owner only: the owning CPU under its local lock, or the class lock. */
	unsigned int free;		/* first free block's index, or nblocks */
	unsigned int inuse;		/* live blocks, plus @lost */
	unsigned char group;		/* fullness group it is listed in */
	unsigned char cls;		/* size class, constant */
	unsigned short nblocks;		/* constant */
	unsigned int lost;		/* free blocks cut off a corrupt list */
	struct list_head node;		/* in its owner's groups[group] */
	/*
	 * The CPU heap that owns it, NULL while the global heap does. Written
	 * by the owner (see the file comment), read racily by all.
	 */
	struct pheap_heap *owner;
	/* Constant while the superblock exists. */
	u32 key;			/* random: encodes the free list */
	int nid;			/* the memory node of its pages */
	void *base;
	struct pheap *pheap;
	unsigned long magic;
	/*
	 * A bit per block handed out (in use, or freed remotely and not yet
	 * collected): the owner's; remote freers read it racily (remote.c).
	 */
	unsigned long *live;

	/* Remote frees: any CPU, atomic operations only (remote.c). */
	atomic_long_t rsummary ____cacheline_aligned_in_smp;
	struct llist_node rnode;	/* on its owner's remote list */
	atomic_long_t rfree[];		/* a bit per block freed remotely */
};

/**
 * struct pheap_heap_class - one size class of a CPU heap
 * @active:  the superblock allocations pop from; not listed in @groups
 * @groups:  idle superblocks by fullness group, fullest last
 * @nr_sb:   superblocks held, @active included
 * @inuse:   blocks in use in those superblocks
 * @allocs, @req_bytes: event counters
 * @frees:   frees into superblocks this heap owns, made on its CPU
 * @remote_frees: frees this CPU sent to another heap's remote list
 *
 * The owner CPU under the heap's local lock, but @remote_frees, which
 * this CPU bumps with this_cpu_inc() and never under the lock (free.c).
 */
struct pheap_heap_class {
	struct pheap_sb *active;
	unsigned long inuse;
	unsigned long allocs, req_bytes, frees, remote_frees;
	unsigned long nr_sb;
	struct list_head groups[PHEAP_GROUPS];
};

/**
 * struct pheap_heap - a CPU heap
 * @lock:      the local lock: everything but @remote, @work and the
 *	       constants is the owner CPU's, under it
 * @cls:       per class
 * @u:	       bytes in use in this heap's superblocks (Hoard's u_i)
 * @a:	       bytes they hold (Hoard's a_i)
 * @idle_used: bytes in use in the idle superblocks (all but the actives)
 * @idle_held: bytes the idle superblocks hold
 * @idle_limit: max(K*S, f * @idle_held): Hoard's invariant, kept over the
 *	       idle superblocks, is idle_held - idle_used <= idle_limit
 * @tick:      operations left before the heap looks at @remote again
 * @pending:   superblocks taken off @remote and not yet collected
 * @ev:	       event counters (enum pheap_event) of this CPU
 * @remote:    superblocks with blocks other CPUs freed; any CPU pushes
 *	       (llist_add), the owner takes them (llist_del_all); on its own
 *	       cache line, away from what the owner writes
 * @work:      collects @remote when the owner does not (heap.c)
 * @cpu, @pheap: constant
 */
struct pheap_heap {
	local_lock_t lock;
	struct pheap_heap_class cls[PHEAP_NR_CLASSES];
	unsigned long u, a;
	unsigned long idle_used, idle_held, idle_limit;
	unsigned int tick;
	struct llist_node *pending;
	unsigned long ev[PHEAP_EV_NR];

	struct llist_head remote ____cacheline_aligned_in_smp;
	struct delayed_work work;
	unsigned int cpu;
	struct pheap *pheap;
} ____cacheline_aligned_in_smp;

/**
 * struct pheap_global_class - the global heap's superblocks of one class
 * @lock:     protects everything below but @remote, and the block state of
 *	      every superblock listed here
 * @groups:   superblocks by fullness group
 * @nr_sb:    superblocks held
 * @inuse:    blocks in use in them
 * @nr_empty: of them, empty (group 0)
 * @pending:  superblocks taken off @remote, not yet collected
 * @remote:   superblocks with blocks freed remotely, lock free
 */
struct pheap_global_class {
	raw_spinlock_t lock;
	struct list_head groups[PHEAP_GROUPS];
	unsigned long nr_sb, inuse, nr_empty;
	struct llist_node *pending;
	struct llist_head remote;
} ____cacheline_aligned_in_smp;

/**
 * struct pheap_global_node - the global heap's superblocks on one node
 * @cls: per class
 */
struct pheap_global_node {
	struct pheap_global_class cls[PHEAP_NR_CLASSES];
};

/**
 * struct pheap_global - the global heap
 * @node: per possible memory node (nr_node_ids), set at creation: a
 *	  superblock is listed on the node of its pages
 * @work: collects remote frees of global superblocks and gives empty ones
 *	  beyond the reserve back, when no CPU takes the class lock
 */
struct pheap_global {
	struct pheap_global_node **node;
	struct delayed_work work;
};

/**
 * struct pheap_class_info - geometry of a class for this instance
 * @size:     block size
 * @nblocks:  blocks per superblock (at least PHEAP_MIN_BLOCKS, at most
 *	      PHEAP_SB_MAX_BLOCKS)
 * @order:    a superblock is PAGE_SIZE << @order bytes
 * @sb_bytes: that size
 * @bm_words: words of each bitmap of a descriptor
 * @live_off: offset of the live bitmap in the descriptor
 * @desc_bytes: size of the descriptor
 * @recip:    reciprocal of @size, for pointer -> block index
 * @group_min: a superblock in group g has at least group_min[g] blocks in
 *	     use; a free that drops it below moves it down
 */
struct pheap_class_info {
	unsigned int size;
	unsigned int nblocks;
	unsigned int order;
	unsigned int sb_bytes;
	unsigned int bm_words;
	unsigned int live_off;
	unsigned int desc_bytes;
	struct reciprocal_value recip;
	unsigned int group_min[PHEAP_GROUPS];
};

/**
 * struct pheap - an instance
 *
 * Everything but @cpu_heaps, @global, @dying, @fault and the
 * large-allocation and page-accounting fields is constant after
 * pheap_create().
 */
struct pheap {
	struct pheap_config cfg;
	unsigned int policy;			/* enum pheap_policy */
	/* The designs with heaps of their own: the one in force, or NULL. */
	struct pheap_shared *shared;		/* kheap, serial, class-lock */
	struct pheap_private *priv;		/* private */
	unsigned int sb_bytes;			/* S, the unit of K*S */
	unsigned long k_bytes;			/* K * S */
	struct pheap_class_info ci[PHEAP_NR_CLASSES];
	/* debug mode: the class that serves each class's requests */
	unsigned char debug_cls[PHEAP_NR_CLASSES];
	struct pheap_heap __percpu *cpu_heaps;
	struct pheap_global global;
	bool dying;				/* destroy: no work queued */

	/* Whole-page allocations, for accounting and for destroy. */
	raw_spinlock_t large_lock;
	struct list_head large_pages;		/* page->lru, under large_lock */
	/* freed where pages cannot go back at once (PREEMPT_RT: large.c) */
	struct llist_head large_deferred;
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

/* class.c */
extern const unsigned short pheap_class_sizes[PHEAP_NR_CLASSES];
extern const unsigned char pheap_refill_groups[PHEAP_GROUPS - 1];
void pheap_class_info_init(struct pheap_class_info *ci, unsigned int size,
			   unsigned int min_order);
unsigned int pheap_group(const struct pheap_class_info *ci, unsigned int inuse);

/* fault.c */
int pheap_fault_set(struct pheap *p, unsigned int every, unsigned int percent);
bool pheap_fault_should_fail(struct pheap *p);

/* sb.c */
struct pheap_sb *pheap_sb_new(struct pheap *p, unsigned int cls, gfp_t gfp);
void pheap_sb_release(struct pheap *p, struct pheap_sb *sb);
void pheap_sb_release_list(struct pheap *p, struct list_head *list);
struct page *pheap_get_pages(struct pheap *p, gfp_t gfp, unsigned int order,
			     int cls);
void pheap_put_pages(struct pheap *p, struct page *page, unsigned int order,
		     int cls);
void pheap_tag_pages(struct page *page, unsigned int nr, unsigned long priv);

/* large.c */
void *pheap_large_alloc(struct pheap *p, size_t size, gfp_t gfp);
bool pheap_large_free(struct pheap *p, unsigned long tag, const void *ptr);
unsigned int pheap_large_order(unsigned long tag);
struct pheap *pheap_large_owner(unsigned long tag);
unsigned long pheap_large_release_all(struct pheap *p);
void pheap_large_init(struct pheap *p);

/* remote.c */
bool pheap_remote_free(struct pheap *p, struct pheap_sb *sb, unsigned int idx);
void pheap_remote_queue(struct pheap *p, struct pheap_sb *sb);
struct pheap_sb *pheap_remote_pop(struct pheap *p, struct llist_head *list,
				  struct llist_node **pending,
				  struct list_head *release);
unsigned int pheap_remote_collect(struct pheap *p, struct pheap_sb *sb);

/* global.c */
int pheap_global_init(struct pheap *p);
void pheap_global_free(struct pheap *p);
struct pheap_sb *pheap_global_take(struct pheap *p, unsigned int cls,
				   struct pheap_heap *to,
				   struct list_head *release);
void pheap_global_put(struct pheap *p, struct pheap_sb *sb,
		      struct list_head *release);
void pheap_global_drain(struct pheap *p, unsigned int cls);
unsigned long pheap_global_shrink(struct pheap *p, unsigned long nr);
unsigned long pheap_global_empty_pages(struct pheap *p);
unsigned long pheap_global_release_all(struct pheap *p);

/* heap.c */
void pheap_heap_init(struct pheap *p, struct pheap_heap *h, unsigned int cpu);
void *pheap_heap_refill(struct pheap *p, unsigned int cls, size_t size,
			gfp_t gfp, unsigned long *flags,
			struct list_head *release);
void pheap_heap_free(struct pheap *p, struct pheap_heap *h,
		     struct pheap_sb *sb, void *obj, unsigned int idx,
		     struct list_head *release);
void *pheap_heap_pop_bad(struct pheap *p, struct pheap_heap *h,
			 unsigned int cls, size_t size);
void pheap_heap_evict(struct pheap *p, struct pheap_heap *h);
void pheap_heap_flush(struct pheap *p, struct pheap_heap *h);

/* shared.c */
int pheap_shared_init(struct pheap *p);
unsigned long pheap_shared_destroy(struct pheap *p);
void *pheap_shared_alloc(struct pheap *p, unsigned int cls, size_t size,
			 gfp_t gfp);
void pheap_shared_free(struct pheap *p, struct pheap_sb *sb, void *obj,
		       unsigned int idx, unsigned long caller);
bool pheap_kheap_free(struct pheap *p, const void *ptr, unsigned long caller);
void pheap_shared_class_stats(struct pheap *p, unsigned int cls,
			      unsigned long *nr_sb, unsigned long *inuse);

/* private.c */
int pheap_private_init(struct pheap *p);
unsigned long pheap_private_destroy(struct pheap *p);
void *pheap_private_alloc(struct pheap *p, unsigned int cls, size_t size,
			  gfp_t gfp);
void pheap_private_free(struct pheap *p, struct pheap_sb *sb, void *obj,
			unsigned int idx, unsigned long caller);
void pheap_private_class_stats(struct pheap *p, unsigned int cls,
			       unsigned long *nr_sb, unsigned long *inuse);

/* alloc.c */
void *pheap_alloc_block(struct pheap *p, unsigned int cls, size_t size,
			gfp_t gfp);
void *pheap_alloc_large_path(struct pheap *p, size_t size, gfp_t gfp);

/* free.c */
void pheap_free_block(struct pheap *p, struct pheap_sb *sb, void *obj,
		      unsigned int idx, unsigned long caller);
void pheap_report_bad_free(struct pheap *p, const void *ptr,
			   const char *why, unsigned long caller);
void pheap_report_late_double_free(struct pheap *p, const void *ptr,
				   const char *where);
void pheap_report_corrupt_link(struct pheap *p, const void *ptr,
			       unsigned int lost);

/* debug.c */
DECLARE_STATIC_KEY_FALSE(pheap_debug_key);
void pheap_debug_init(struct pheap *p);
void pheap_debug_key_get(struct pheap *p);
void pheap_debug_key_put(struct pheap *p);
const char *pheap_debug_flags_string(unsigned int flags, char *buf);
void *pheap_debug_alloc(struct pheap *p, size_t size, gfp_t gfp,
			unsigned long caller);
void pheap_debug_free_small(struct pheap *p, struct pheap_sb *sb, void *obj,
			    unsigned int idx, unsigned long caller);
void pheap_debug_free_large(struct pheap *p, unsigned long tag, void *obj,
			    unsigned long caller);
size_t pheap_debug_usable_size(void *obj, size_t bytes);

/*
 * Is @p in debug mode? A static branch, a no-op jump while no instance
 * has debug flags: what the fast paths pay for debug mode.
 */
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

static __always_inline bool pheap_debug_on(const struct pheap *p)
{
	return static_branch_unlikely(&pheap_debug_key) && p->cfg.debug;
}

/*
 * Does @p take shared.c's or private.c's path? A static branch, a no-op
 * jump while every instance is hoard or ownership (instance.c).
 */
DECLARE_STATIC_KEY_FALSE(pheap_design_key);
static __always_inline bool pheap_design_on(const struct pheap *p)
{
	return static_branch_unlikely(&pheap_design_key) &&
	       (p->shared || p->priv);
}

/* instance.c */
int pheap_core_init(void);
void pheap_core_exit(void);
void pheap_set_default(struct pheap *p);
extern struct pheap *pheap_default_instance;

/* stats.c */
void pheap_raise_peak(atomic_long_t *peak, long val);
void pheap_note_peak_u(struct pheap *p);
unsigned long pheap_node_pages(struct pheap *p, int nid);
unsigned long pheap_node_sb_global(struct pheap *p, int nid);

/* debugfs.c */
struct seq_file;
struct dentry;
int pheap_stats_show(struct seq_file *m, void *v);
int pheap_classes_show(struct seq_file *m, void *v);
int pheap_slabinfo_show(struct seq_file *m, void *v);
int pheap_cpus_show(struct seq_file *m, void *v);
bool pheap_reset_request_ok(const char *buf, size_t len);
void pheap_debugfs_create(struct pheap *p, struct dentry *dir);

/**
 * pheap_sb_lookup() - the superblock a pointer belongs to, in O(1)
 * @ptr: any pointer
 * @tag: set to the page's tag: 0 if pheap does not own the page, the
 *	 descriptor for a superblock, the large-allocation tag otherwise
 *
 * Reads only the struct page of @ptr: a pointer pheap did not hand out is
 * recognised without touching the memory it points to.
 *
 * Return: the superblock, or NULL (not pheap's, or a large allocation).
 */
static __always_inline struct pheap_sb *pheap_sb_lookup(const void *ptr,
							unsigned long *tag)
{
	struct page *page;
	unsigned long priv;

	*tag = 0;
	if (unlikely(!virt_addr_valid(ptr)))
		return NULL;
	page = virt_to_page(ptr);
	priv = page_private(page);
	if (unlikely(!priv || READ_ONCE(page->index) != (priv ^ PHEAP_PAGE_MAGIC)))
		return NULL;
	*tag = priv;
	if (unlikely(priv & PHEAP_TAG_LARGE))
		return NULL;
	return (struct pheap_sb *)priv;
}

static inline unsigned int pheap_csize(unsigned int cls)
{
	return pheap_class_sizes[cls];
}

/**
 * pheap_size_to_class() - the size class that serves a request
 * @size: bytes requested, 1 .. PHEAP_MAX_SMALL
 *
 * Arithmetic on the bit length of @size - 1, inline on the allocation
 * path (class.c describes the classes).
 *
 * Context: any.
 * Return: the class index.
 */
static __always_inline unsigned int pheap_size_to_class(size_t size)
{
	unsigned int k = fls(size - 1);	/* size is in (2^(k-1), 2^k] */
	unsigned int pow2;

	if (k <= 3)
		return 0;		/* 8 */
	if (k <= 5)
		return k - 3;		/* 16, 32 */
	pow2 = 2 * k - 8;		/* 2^k: 64 is class 4, 4096 class 16 */
	return size <= (3U << (k - 2)) ? pow2 - 1 : pow2;
}

/**
 * pheap_sb_block_index() - the block @ptr starts, in @sb of instance @p
 * @p: the instance the caller frees to
 * @sb: superblock found by pheap_sb_lookup()
 * @ptr: the pointer
 *
 * Context: any.
 * Return: the block's index in @sb, or -1 if @ptr starts no block of it.
 */
static __always_inline int pheap_sb_block_index(const struct pheap *p,
						const struct pheap_sb *sb,
						const void *ptr)
{
	const struct pheap_class_info *ci;
	unsigned long off;
	u32 idx;

	if (unlikely(sb->magic != PHEAP_SB_MAGIC || sb->pheap != p))
		return -1;
	ci = &p->ci[sb->cls];
	off = ptr - sb->base;
	idx = reciprocal_divide(off, ci->recip);
	return idx < ci->nblocks && idx * ci->size == off ? idx : -1;
}

/* Is @ptr the start of a block of @sb, of instance @p? */
static inline bool pheap_sb_block_ok(const struct pheap *p,
				     const struct pheap_sb *sb, const void *ptr)
{
	return pheap_sb_block_index(p, sb, ptr) >= 0;
}

/* The address of block @idx of @sb. */
static __always_inline void *pheap_sb_block(const struct pheap *p,
					    const struct pheap_sb *sb,
					    unsigned int idx)
{
	return sb->base + idx * pheap_csize(sb->cls);
}

/* Has block @idx of @sb been freed by another CPU, not yet collected? */
static __always_inline bool
pheap_sb_remote_freed(const struct pheap_sb *sb, unsigned int idx)
{
	return atomic_long_read(&sb->rfree[BIT_WORD(idx)]) & BIT_MASK(idx);
}

/* The word block @idx's link is encoded with (see struct pheap_sb). */
static __always_inline u32 pheap_sb_link_key(const struct pheap_sb *sb,
					     unsigned int idx)
{
	return sb->key ^ (idx << 16);
}

/*
 * The index the link in free block @idx, at @obj, names: another block,
 * sb->nblocks for the end of the list, or above for a corrupt link.
 */
static __always_inline unsigned int pheap_sb_link(const struct pheap_sb *sb,
						  const void *obj,
						  unsigned int idx)
{
	return *(const u32 *)obj ^ pheap_sb_link_key(sb, idx);
}

static __always_inline void pheap_sb_set_link(const struct pheap_sb *sb,
					      void *obj, unsigned int idx,
					      unsigned int next)
{
	*(u32 *)obj = next ^ pheap_sb_link_key(sb, idx);
}

/* Block @idx of @sb, at @obj, whose link names @next, handed out. */
static __always_inline void pheap_sb_take(struct pheap_sb *sb, void *obj,
					  unsigned int idx, unsigned int next)
{
	sb->free = next;
	*(void **)obj = NULL;	/* the link is no caller's business */
	__set_bit(idx, sb->live);
	sb->inuse++;
}

/* Block @idx of @sb, at @obj, back onto the free list. */
static __always_inline void pheap_sb_put(struct pheap_sb *sb, void *obj,
					 unsigned int idx)
{
	pheap_sb_set_link(sb, obj, idx, sb->free);
	sb->free = idx;
	__clear_bit(idx, sb->live);
	sb->inuse--;
}

static inline void pheap_ev_inc(struct pheap_heap *h, enum pheap_event ev)
{
	h->ev[ev]++;
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
 * __pheap_cpu_pop() - a block from the active superblock of a class
 * @p: instance
 * @h: this CPU's heap
 * @cls: size class
 * @size: bytes requested, for the fragmentation figure
 *
 * A free block whose remote-free bit is set (freed again by another CPU
 * while it was free), or whose link is corrupt, takes the slow path,
 * pheap_heap_pop_bad().
 *
 * Context: @h's CPU under its local lock.
 * Return: the block, or NULL when the active superblock has none.
 */
static __always_inline void *__pheap_cpu_pop(struct pheap *p,
					     struct pheap_heap *h,
					     unsigned int cls, size_t size)
{
	struct pheap_heap_class *hc = &h->cls[cls];
	struct pheap_sb *sb = hc->active;
	unsigned int idx, next;
	void *obj;

	if (unlikely(!sb))
		return NULL;
	idx = sb->free;
	if (unlikely(idx >= sb->nblocks))
		return NULL;
	obj = sb->base + idx * pheap_csize(cls);
	next = pheap_sb_link(sb, obj, idx);
	if (unlikely(next > sb->nblocks || pheap_sb_remote_freed(sb, idx)))
		return pheap_heap_pop_bad(p, h, cls, size);
	pheap_sb_take(sb, obj, idx, next);
	hc->inuse++;
	hc->allocs++;
	hc->req_bytes += size;
	h->u += pheap_csize(cls);
	return obj;
}

/**
 * pheap_cpu_pop() - the allocation fast path
 * @p: instance
 * @h: this CPU's heap
 * @cls: size class
 * @size: bytes requested, for the fragmentation figure
 *
 * Context: @h's CPU under its local lock.
 * Return: a block from the active superblock, or NULL when it has none or
 * it is time to look for remote frees (pheap_heap_refill() does both).
 */
static __always_inline void *pheap_cpu_pop(struct pheap *p,
					   struct pheap_heap *h,
					   unsigned int cls, size_t size)
{
	if (unlikely(!--h->tick))
		return NULL;
	return __pheap_cpu_pop(p, h, cls, size);
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
	h->u -= pheap_csize(cls);
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

#ifdef CONFIG_PHEAP_DEBUG
void pheap_sb_check(const struct pheap *p, const struct pheap_sb *sb);
#else
static inline void pheap_sb_check(const struct pheap *p,
				  const struct pheap_sb *sb) { }
#endif

#endif /* _PHEAP_INTERNAL_H */
