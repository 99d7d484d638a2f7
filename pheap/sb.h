/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pheap superblocks (sb.c): the descriptor, the free-list link, the
 * bitmaps, pointer -> superblock.
 */
#ifndef _PHEAP_SB_H
#define _PHEAP_SB_H

#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/mm.h>
#include <linux/preempt.h>
#include <linux/rcupdate.h>
#include <linux/reciprocal_div.h>

#include "class.h"
#include "instance.h"
#include "link.h"
#include "page.h"

/*
 * A superblock's remote-free summary word (remote.c) has a bit per word
 * of its bitmaps and two flags: at most PHEAP_SB_MAX_BLOCKS blocks.
 */
#define PHEAP_RS_QUEUED		BIT(BITS_PER_LONG - 1)
#define PHEAP_RS_DEAD		BIT(BITS_PER_LONG - 2)
#define PHEAP_SB_MAX_WORDS	(BITS_PER_LONG - 2)
#define PHEAP_SB_MAX_BLOCKS	(PHEAP_SB_MAX_WORDS * BITS_PER_LONG)

#define PHEAP_SB_MAGIC		0x70686562UL	/* "pheb" */

/* sb->rcu_flags: on the instance's RCU fallback list (rcu.c) */
#define PHEAP_SB_RCU_QUEUED	0

struct pheap_heap;

/**
 * struct pheap_sb - a superblock's descriptor
 *
 * The free list is threaded through the free blocks by index, not by
 * pointer: a block's first 8 bytes hold the next free block's index, a
 * link (link.h) with the superblock's random key and the block's own
 * index as its salt (pheap_sb_link()), @nblocks ending the list. A link a
 * caller wrote to, even one byte of it, fails the link's check or names
 * an index out of range or a live block, and is never followed (heap.c).
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
	u64 key;			/* random: encodes the free list */
	void *base;
	struct pheap *pheap;
	unsigned long magic;
	/*
	 * A bit per block handed out (in use, or freed remotely and not yet
	 * collected): the owner's; remote freers read it racily (remote.c).
	 */
	unsigned long *live;
	int nid;			/* the memory node of its pages */
	unsigned char order;		/* of its pages */
	struct rcu_head rcu;		/* its release (sb.c) */

	/*
	 * pheap_free_rcu() (rcu.c): any CPU, atomic operations only. A bit
	 * in @rcu_held is a block claimed for a free after a grace period:
	 * every other free of it is refused. One in @rcu_fb is such a block
	 * recorded here because no batch page could be had, until the RCU
	 * work moves it to @rcu_ripe (the work's alone) to wait out a grace
	 * period; @rcu_node puts the superblock on the instance's fallback
	 * list while PHEAP_SB_RCU_QUEUED is set in @rcu_flags. @rcu_refs is
	 * 1 until the release's grace period has passed, plus one per
	 * hoard or ownership block claimed: the descriptor and pages go
	 * back when it drops to 0 (sb.c).
	 */
	atomic_t rcu_refs;
	unsigned long rcu_flags;
	struct llist_node rcu_node;
	struct pheap_sb *rcu_ripe_next;	/* a round's list: the round's */
	unsigned long *rcu_held;
	unsigned long *rcu_fb;
	unsigned long *rcu_ripe;

	/* Remote frees: any CPU, atomic operations only (remote.c). */
	atomic_long_t rsummary ____cacheline_aligned_in_smp;
	struct llist_node rnode;	/* on its owner's remote list */
	atomic_long_t rfree[];		/* a bit per block freed remotely */
};

/* sb.c */
struct pheap_sb *pheap_sb_new(struct pheap *p, unsigned int cls, gfp_t gfp,
			      int nid);
void pheap_sb_release(struct pheap *p, struct pheap_sb *sb);
void pheap_sb_release_list(struct pheap *p, struct list_head *list);
void pheap_sb_out_of_limbo(struct pheap *p, struct pheap_sb *sb);
unsigned long pheap_sb_release_limbo(struct pheap *p);
void pheap_sb_unpin(struct pheap_sb *sb);

/*
 * Keep @sb's descriptor and pages, even if it is released meanwhile,
 * until pheap_sb_unpin(). Context: the read section @sb was looked up in.
 */
static inline void pheap_sb_pin(struct pheap_sb *sb)
{
	atomic_inc(&sb->rcu_refs);
}

/*
 * Is @ptr an address of the direct map with a struct page? What
 * virt_addr_valid() answers for the direct map, inline: every page pheap
 * holds is there, and an out-of-line call on every free is a cost the
 * free path measurably pays under QEMU's TCG. Kernel-image addresses,
 * which virt_addr_valid() also accepts, are never pheap's.
 */
static __always_inline bool pheap_direct_map_valid(const void *ptr)
{
	unsigned long x = (unsigned long)ptr;

	if (unlikely(x < PAGE_OFFSET || x >= (unsigned long)high_memory))
		return false;
	return pfn_valid(__pa(x) >> PAGE_SHIFT);
}

/*
 * Is @sb, read from a remote list's link, a superblock of @p? Its address
 * is checked to be mapped and aligned before a byte of it is read.
 */
static inline bool pheap_sb_node_ok(const struct pheap *p,
				    const struct pheap_sb *sb)
{
	return pheap_direct_map_valid(sb) &&
	       IS_ALIGNED((unsigned long)sb, sizeof(long)) &&
	       sb->magic == PHEAP_SB_MAGIC && sb->pheap == p;
}

/*
 * A superblock found by pheap_sb_lookup() stays allocated, its descriptor
 * and its pages, until the end of the read section it was found in,
 * whatever a caller does meanwhile (a double free racing the release of
 * its superblock): pheap_sb_release() frees both an RCU grace period
 * later. On !PREEMPT_RT the section is preemption off, as the fast paths'
 * lock already is; on PREEMPT_RT, where the section may take sleeping
 * locks, rcu_read_lock().
 */
static __always_inline void pheap_sb_read_begin(void)
{
	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		rcu_read_lock();
	else
		preempt_disable();
}

static __always_inline void pheap_sb_read_end(void)
{
	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		rcu_read_unlock();
	else
		preempt_enable();
}

/**
 * pheap_sb_lookup() - the superblock a pointer belongs to, in O(1)
 * @ptr: any pointer
 * @tag: set to the page's tag: 0 if pheap does not own the page, the
 *	 descriptor for a superblock, a page run's tag (run.h) or the
 *	 large-allocation tag otherwise
 *
 * Reads only the struct page of @ptr: a pointer pheap did not hand out is
 * recognised without touching the memory it points to.
 *
 * Context: a superblock read section (pheap_sb_read_begin()), unless the
 * caller knows the superblock cannot be released meanwhile.
 *
 * Return: the superblock, or NULL (not pheap's, a page run, or a large
 * allocation).
 */
static __always_inline struct pheap_sb *pheap_sb_lookup(const void *ptr,
							unsigned long *tag)
{
	struct page *page;
	unsigned long priv;

	*tag = 0;
	if (unlikely(!pheap_direct_map_valid(ptr)))
		return NULL;
	page = virt_to_page(ptr);
	priv = page_private(page);
	if (unlikely(!priv || READ_ONCE(page->index) != (priv ^ PHEAP_PAGE_MAGIC)))
		return NULL;
	*tag = priv;
	if (unlikely(priv & (PHEAP_TAG_LARGE | PHEAP_TAG_RUN)))
		return NULL;
	return (struct pheap_sb *)priv;
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

/*
 * The index the link in free block @idx, at @obj, names: another block,
 * sb->nblocks for the end of the list, or above for a corrupt link.
 */
static __always_inline u64 pheap_sb_link(const struct pheap_sb *sb,
					 const void *obj, unsigned int idx)
{
	return pheap_link_decode(sb->key, idx, *(const u64 *)obj);
}

static __always_inline void pheap_sb_set_link(const struct pheap_sb *sb,
					      void *obj, unsigned int idx,
					      unsigned int next)
{
	*(u64 *)obj = pheap_link_encode(sb->key, idx, next);
}

/*
 * May block @idx of @sb, the head of its free list, at @obj, be handed
 * out? Its link must name a block or the end of the list, and it must not
 * be live: a live block reached through the list means a link that passed
 * its check was still wrong. Sets the index its link names in @next.
 */
static __always_inline bool pheap_sb_head_ok(const struct pheap_sb *sb,
					     const void *obj, unsigned int idx,
					     u64 *next)
{
	*next = pheap_sb_link(sb, obj, idx);
	return *next <= sb->nblocks &&
	       !(sb->live[BIT_WORD(idx)] & BIT_MASK(idx));
}

/* Block @idx of @sb, at @obj, whose link names @next, handed out. */
static __always_inline void pheap_sb_take(struct pheap_sb *sb, void *obj,
					  unsigned int idx, unsigned int next)
{
	/* first: the live word pheap_sb_head_ok() read is reused */
	sb->live[BIT_WORD(idx)] |= BIT_MASK(idx);
	sb->free = next;
	*(void **)obj = NULL;	/* the link is no caller's business */
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

#ifdef CONFIG_PHEAP_DEBUG
void pheap_sb_check(const struct pheap *p, const struct pheap_sb *sb);
#else
static inline void pheap_sb_check(const struct pheap *p,
				  const struct pheap_sb *sb) { }
#endif

#endif /* _PHEAP_SB_H */
