/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pheap internals: the data structures all of pheap shares.
 *
 * Objects, from the bottom up:
 *
 *   superblock	2^sb_order pages from alloc_pages(), carved into blocks of
 *		one size class. Its descriptor (struct pheap_sb) lives out of
 *		band, so the pages hold blocks only. Every page of a superblock
 *		points to the descriptor (page->private), with a check word in
 *		page->index, so pointer -> superblock is O(1) and a pointer
 *		pheap did not hand out is recognised without touching memory
 *		it does not own.
 *   heap	per class: an active superblock (CPU heaps) and the other
 *		superblocks sorted into fullness groups; per heap: u and a,
 *		the two figures Hoard keeps. A CPU heap and the global heap
 *		share struct pheap_heap; policy differs.
 *   instance	struct pheap: a CPU heap per possible CPU, the global heap,
 *		the class geometry for its superblock size, large allocations.
 *
 * Concurrency (the full argument is at the top of heap.c):
 *
 *   A CPU heap is touched only by its own CPU with interrupts disabled
 *   (local_irq_save), so its fields need no lock. The one exception is
 *   cpu heap->remote: any CPU pushes blocks onto it (llist_add, lock free);
 *   only the owner takes them off (llist_del_all).
 *
 *   A superblock's block state (free, inuse, group, node) belongs to its
 *   owner: the owning CPU with irqs off, or the global heap's class lock.
 *   sb->owner is written by the current owner only (and by the hotplug and
 *   destroy paths, when the owner CPU is dead or nothing runs) and read
 *   racily by remote freers: a stale read sends the block to the previous
 *   owner's remote list, and that owner forwards it. A superblock is freed
 *   only when inuse == 0, and a block waiting on any remote list still
 *   counts in inuse, so a freer that read sb->owner can always finish its
 *   push safely.
 *
 * Lock order (outermost first):
 *
 *   local_irq_save (CPU heap)
 *     global->cls[c].lock		raw spinlock, one per class
 *   p->large_lock			raw spinlock, leaf, large allocations
 *
 * No path takes two class locks at once.
 */
#ifndef _PHEAP_INTERNAL_H
#define _PHEAP_INTERNAL_H

#include <linux/cache.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/reciprocal_div.h>
#include <linux/spinlock.h>

#include "pheap.h"
#include "compat.h"

/* Size classes (class.c): 8 .. 2048 bytes; larger requests take pages. */
#define PHEAP_NR_CLASSES	15
#define PHEAP_MAX_SMALL		2048

/*
 * Fullness groups: 0 holds empty superblocks, PHEAP_FULL full ones, and
 * 1..PHEAP_FULL-1 partial ones by thirds of their blocks in use.
 */
#define PHEAP_GROUPS		5
#define PHEAP_FULL		(PHEAP_GROUPS - 1)

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
 * Invariants, checked by pheap_sb_check() under CONFIG_PHEAP_DEBUG:
 *   0 <= inuse <= nblocks
 *   inuse + length(free) == nblocks
 *   group == pheap_group(inuse, nblocks) unless this is a CPU heap's
 *   active superblock (whose group is not kept up to date).
 */
struct pheap_sb {
	/* Owner only: the owning CPU with irqs off, or the global class lock. */
	void *free;			/* free list, next pointer in block */
	unsigned int inuse;		/* blocks not on @free */
	unsigned char group;		/* fullness group it is listed in */
	unsigned char cls;		/* size class, constant */
	unsigned short nblocks;		/* constant */
	struct list_head node;		/* in owner->cls[cls].groups[group] */
	/* Written by the owner (see the file comment), read racily by all. */
	struct pheap_heap *owner;
	/* Constant while the superblock exists. */
	void *base;
	struct pheap *pheap;
	unsigned long magic;
};

/**
 * struct pheap_heap_class - one size class of a heap
 * @active:   CPU heaps: the superblock allocations pop from; not listed in
 *	      @groups. Always NULL in the global heap.
 * @groups:   superblocks by fullness group, fullest last
 * @nr_sb:    superblocks held, @active included
 * @inuse:    blocks in use in those superblocks
 * @allocs, @frees, @remote_frees, @req_bytes: event counters (CPU heaps)
 *
 * CPU heaps: owner CPU with irqs off. Global heap: the class lock,
 * except @remote, which is lock free.
 */
struct pheap_heap_class {
	struct pheap_sb *active;
	unsigned long inuse;
	unsigned long allocs, req_bytes, frees, remote_frees;
	unsigned long nr_sb;
	struct list_head groups[PHEAP_GROUPS];
};

/**
 * struct pheap_heap - a set of superblocks of every class
 * @cls:    per class
 * @u:	    bytes in use in this heap's superblocks (Hoard's u_i)
 * @a:	    bytes held, nr_sb * S (Hoard's a_i)
 * @u_floor: threshold: the heap is too empty when u < u_floor, where
 *	    u_floor = min(a - K*S, (1 - f) * a), recomputed whenever a changes
 * @remote: blocks freed by CPUs other than the owner, waiting for it
 * @ev:	    event counters (enum pheap_event) for this CPU
 *
 * CPU heaps: owner CPU with irqs off, except @remote (any CPU may push).
 */
struct pheap_heap {
	struct pheap_heap_class cls[PHEAP_NR_CLASSES];
	unsigned long u, a, u_floor;
	struct llist_head remote;
	unsigned long ev[PHEAP_EV_NR];
} ____cacheline_aligned_in_smp;

/**
 * struct pheap_global_class - the global heap's lock and frees for a class
 * @lock:   protects the class's superblocks in the global heap:
 *	    heap.cls[c] and the block state of every superblock in it
 * @remote: frees of blocks in global superblocks, lock free; drained
 *	    under @lock
 * @nr_empty: empty superblocks held (group 0), under @lock
 */
struct pheap_global_class {
	raw_spinlock_t lock;
	struct llist_head remote;
	unsigned long nr_empty;
} ____cacheline_aligned_in_smp;

/**
 * struct pheap_class_info - geometry of a class for this instance
 * @size:    block size
 * @nblocks: blocks per superblock
 * @recip:   reciprocal of @size, for pointer -> block index
 * @group_min: a superblock in group g has at least group_min[g] blocks in
 *	     use; a free that drops it below moves it down
 */
struct pheap_class_info {
	unsigned int size;
	unsigned int nblocks;
	struct reciprocal_value recip;
	unsigned int group_min[PHEAP_GROUPS];
};

/**
 * struct pheap - an instance
 *
 * Everything but @cpu_heaps, @global and the large-allocation fields is
 * constant after pheap_create().
 */
struct pheap {
	struct pheap_config cfg;
	unsigned int sb_bytes;			/* S */
	unsigned long k_bytes;			/* K * S */
	struct pheap_class_info ci[PHEAP_NR_CLASSES];
	struct pheap_heap __percpu *cpu_heaps;
	struct pheap_heap global;		/* cls[c] under gcls[c].lock */
	struct pheap_global_class gcls[PHEAP_NR_CLASSES];

	/* Whole-page allocations, for accounting and for destroy. */
	raw_spinlock_t large_lock;
	struct list_head large_pages;		/* page->lru, under large_lock */
	unsigned long large_nr;			/* under large_lock */
	unsigned long large_bytes;		/* under large_lock */

	/* Instance-wide page accounting, updated on slow paths only. */
	atomic_long_t pages_held;
	atomic_long_t peak_pages;
	atomic_long_t peak_u;

	struct hlist_node cpuhp_node;		/* CPU hotplug */
};

/* class.c */
extern const unsigned short pheap_class_sizes[PHEAP_NR_CLASSES];
unsigned int pheap_size_to_class(size_t size);
void pheap_class_info_init(struct pheap_class_info *ci, unsigned int size,
			   unsigned int sb_bytes);
unsigned int pheap_group(const struct pheap_class_info *ci, unsigned int inuse);

/* sb.c */
struct pheap_sb *pheap_sb_new(struct pheap *p, unsigned int cls, gfp_t gfp);
void pheap_sb_release(struct pheap *p, struct pheap_sb *sb);
bool pheap_sb_block_ok(const struct pheap *p, const struct pheap_sb *sb,
		       const void *ptr);
void *pheap_large_alloc(struct pheap *p, size_t size, gfp_t gfp);
void pheap_large_free(struct pheap *p, unsigned long tag, const void *ptr);
unsigned int pheap_large_order(unsigned long tag);
struct pheap *pheap_large_owner(unsigned long tag);
unsigned long pheap_large_release_all(struct pheap *p);
void pheap_note_pages(struct pheap *p, long delta);
void pheap_note_peak_u(struct pheap *p);

/* stats.c */
void pheap_raise_peak(atomic_long_t *peak, long val);

/* heap.c */
void pheap_heap_init(struct pheap *p, struct pheap_heap *h);
void pheap_heap_list(struct pheap *p, struct pheap_heap *h,
		     struct pheap_sb *sb);
void *pheap_alloc_slow(struct pheap *p, unsigned int cls, size_t size,
		       gfp_t gfp, unsigned long *flags);
void pheap_regroup(struct pheap *p, struct pheap_heap *h, struct pheap_sb *sb);
void pheap_free_remote(struct pheap *p, struct pheap_sb *sb, void *obj);
void pheap_collect(struct pheap *p, struct llist_head *list,
		   struct pheap_heap *me,
		   void (*take)(struct pheap *p, struct pheap_heap *me,
				struct pheap_sb *sb, void *obj));
void pheap_drain_remote(struct pheap *p, struct pheap_heap *h);
void pheap_threshold_return(struct pheap *p, struct pheap_heap *h);
void pheap_cpu_heap_evict(struct pheap *p, struct pheap_heap *h);

/* global.c */
struct pheap_sb *pheap_global_take(struct pheap *p, unsigned int cls,
				   struct pheap_heap *to);
void pheap_global_put(struct pheap *p, struct pheap_sb *sb);
void pheap_global_drain(struct pheap *p, unsigned int cls);
unsigned long pheap_global_shrink(struct pheap *p, unsigned long nr);
unsigned long pheap_global_empty_pages(struct pheap *p);
unsigned long pheap_global_release_all(struct pheap *p);

/* core.c */
void pheap_report_bad_free(struct pheap *p, const void *ptr,
			   const char *why, unsigned long caller);
int pheap_core_init(void);
void pheap_core_exit(void);
void pheap_set_default(struct pheap *p);

/* debugfs.c */
struct seq_file;
struct dentry;
int pheap_stats_show(struct seq_file *m, void *v);
int pheap_classes_show(struct seq_file *m, void *v);
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

static inline void pheap_ev_inc(struct pheap_heap *h, enum pheap_event ev)
{
	h->ev[ev]++;
}

/* Re-derive the threshold after a change of h->a. */
static inline void pheap_heap_set_floor(struct pheap *p, struct pheap_heap *h)
{
	unsigned long by_k = h->a > p->k_bytes ? h->a - p->k_bytes : 0;
	/* u >= (1 - f) * a  <=>  u >= ceil((100 - f_pct) * a / 100) */
	unsigned long by_f = DIV_ROUND_UP((100 - p->cfg.f_pct) * h->a, 100);

	h->u_floor = min(by_k, by_f);
}

/**
 * pheap_cpu_pop() - the allocation fast path: a block from the active
 *		     superblock of a class
 * @h: this CPU's heap
 * @cls: size class
 * @size: bytes requested, for the fragmentation figure
 *
 * Context: @h's CPU with interrupts disabled.
 * Return: the block, or NULL when the active superblock has none.
 */
static __always_inline void *pheap_cpu_pop(struct pheap_heap *h,
					   unsigned int cls, size_t size)
{
	struct pheap_heap_class *hc = &h->cls[cls];
	struct pheap_sb *sb = hc->active;
	void *obj;

	if (unlikely(!sb))
		return NULL;
	obj = sb->free;
	if (unlikely(!obj))
		return NULL;
	sb->free = *(void **)obj;
	sb->inuse++;
	hc->inuse++;
	hc->allocs++;
	hc->req_bytes += size;
	h->u += pheap_csize(cls);
	return obj;
}

/**
 * pheap_cpu_push() - the free fast path: a block back into a superblock
 *		      this CPU heap owns
 * @p: instance
 * @h: this CPU's heap, owner of @sb
 * @sb: the block's superblock
 * @obj: the block
 *
 * Keeps the fullness group and Hoard's invariant; both fix-ups are out of
 * line and rare.
 *
 * Context: @h's CPU with interrupts disabled.
 */
static __always_inline void pheap_cpu_push(struct pheap *p,
					   struct pheap_heap *h,
					   struct pheap_sb *sb, void *obj)
{
	unsigned int cls = sb->cls;
	struct pheap_heap_class *hc = &h->cls[cls];

	*(void **)obj = sb->free;
	sb->free = obj;
	sb->inuse--;
	hc->inuse--;
	h->u -= pheap_csize(cls);
	if (sb != hc->active && sb->inuse < p->ci[cls].group_min[sb->group])
		pheap_regroup(p, h, sb);
	if (unlikely(h->u < h->u_floor))
		pheap_threshold_return(p, h);
}

#ifdef CONFIG_PHEAP_DEBUG
void pheap_sb_check(const struct pheap *p, const struct pheap_sb *sb);
#else
static inline void pheap_sb_check(const struct pheap *p,
				  const struct pheap_sb *sb) { }
#endif

#endif /* _PHEAP_INTERNAL_H */
