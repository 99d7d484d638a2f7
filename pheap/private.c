// SPDX-License-Identifier: GPL-2.0
/*
 * pheap's "private" design: pure private per-CPU heaps.
 *
 * The lecture notes: "Pure Private Heap - was used in STL: each thread
 * allocates/frees to own heap; - unbounded memory consumption [producer
 * allocates, consumer frees]; + no active false sharing; - passive false
 * sharing."
 *
 * Each CPU has, per size class, a free list of blocks. An allocation pops
 * this CPU's list; a free pushes the block onto the list of the CPU that
 * frees it, whoever allocated it. Nothing ever goes back: a CPU whose list
 * is empty carves a new superblock, all of its blocks onto its own list,
 * and keeps it until the instance is destroyed. So when CPU A allocates
 * and CPU B frees, A takes new pages for ever while B's list grows: the
 * memory held is unbounded though the memory in use is not. That is the
 * design, not a leak: pheap_destroy() gives back every superblock (they
 * are all listed per class, @sbs).
 *
 * Blocks of one CPU never share a line with another CPU's blocks as long
 * as nobody frees remotely (no active false sharing); a block freed by
 * another CPU is reused there while its neighbours are still in use by
 * the first (passive false sharing).
 *
 * A free list is threaded through its blocks: the first 8 bytes hold a
 * link (link.h) naming the next block by its address, with a
 * per-instance random key and the block's own address as its salt. An
 * allocation checks the link, that the address it names is a block of
 * this instance and class, and that the block is not live, before it
 * follows it: a block a caller wrote to after its free cuts the list
 * (reported, the rest of the list is lost until destroy) instead of
 * handing out wild memory or a block in use. A block's live bit (the
 * superblock's bitmap, atomic here, since blocks of one superblock are on
 * many CPUs' lists) is set while it is handed out: a free that finds it
 * clear is a double free, reported and ignored.
 *
 * Context: the lists are under a per-CPU local lock, as hoard's CPU heaps.
 * On PREEMPT_RT, where that lock sleeps, a free from a context that may
 * not sleep goes onto this CPU's lock-free @deferred list instead, which
 * the next allocation on that CPU takes in. New superblocks are listed in
 * @sbs under a raw spinlock, taken without the local lock.
 *
 * The kmalloc family: pheap_alloc_nolock() gets NULL, counted (its CPU
 * lists have no lock-free way); node and bulk calls take the plain paths;
 * pheap_free_rcu() claims a block by clearing its live bit, which is
 * what a free does, so that no other free and no allocation takes it,
 * and a grace period later puts it on the freeing CPU's list.
 */
#include <linux/bitops.h>
#include <linux/llist.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/random.h>
#include <linux/slab.h>
/* before local_lock.h: on PREEMPT_RT a local lock is a spinlock_t */
#include <linux/spinlock.h>
#include <linux/local_lock.h>

#include "class.h"
#include "design.h"
#include "heap.h"
#include "instance.h"
#include "link.h"
#include "page.h"
#include "report.h"
#include "sb.h"

/**
 * struct pheap_private_cpu - one CPU's private heap
 * @lock:     the local lock: everything below but @deferred
 * @free:     per class, the first free block, or NULL: named by the link
 *	      of the block popped before it, and checked like any
 * @inuse:    per class, blocks allocated minus blocks freed on this CPU
 *	      (only the sum over CPUs means something)
 * @deferred: blocks freed where the local lock may not be taken
 *	      (PREEMPT_RT); any context of this CPU pushes, the lock holder
 *	      takes them
 */
struct pheap_private_cpu {
	local_lock_t lock;
	void *free[PHEAP_NR_CLASSES];
	long inuse[PHEAP_NR_CLASSES];
	struct llist_head deferred;
};

/**
 * struct pheap_private - the private design's state
 * @cpu:     per CPU
 * @key:     random, encodes the free lists' links
 * @sb_lock: protects @sbs and @nr_sb
 * @sbs:     per class, every superblock, for destroy
 * @nr_sb:   per class, their number
 */
struct pheap_private {
	struct pheap_private_cpu __percpu *cpu;
	u64 key;
	raw_spinlock_t sb_lock;
	struct list_head sbs[PHEAP_NR_CLASSES];
	unsigned long nr_sb[PHEAP_NR_CLASSES];
};

/* A link's salt: the address it is stored at, folded. */
static u16 pheap_private_salt(const void *obj)
{
	return pheap_link_fold((unsigned long)obj);
}

/* Is @obj a block of @p, of class @cls? Sets its superblock and index. */
static bool pheap_private_block(struct pheap *p, const void *obj,
				unsigned int cls, struct pheap_sb **sbp,
				int *idx)
{
	unsigned long tag;

	*sbp = pheap_sb_lookup(obj, &tag);
	if (!*sbp || (*sbp)->cls != cls)
		return false;
	*idx = pheap_sb_block_index(p, *sbp, obj);
	return *idx >= 0;
}

/* Push @obj onto @pc's list of @cls. */
static void pheap_private_push(struct pheap_private *pp,
			       struct pheap_private_cpu *pc, unsigned int cls,
			       void *obj)
{
	*(u64 *)obj = pheap_link_encode(pp->key, pheap_private_salt(obj),
					pheap_link_from_addr(pc->free[cls]));
	pc->free[cls] = obj;
}

/*
 * @pc's list of @cls is corrupt at @obj: reported, and cut there. Its
 * blocks stay unused until destroy.
 */
static void pheap_private_cut(struct pheap *p, struct pheap_private_cpu *pc,
			      unsigned int cls, void *obj,
			      const struct pheap_sb *sb)
{
	pheap_report_corrupt_link(p, obj, sb, pheap_csize(cls), 0);
	pc->free[cls] = NULL;
}

/*
 * Pop a block of @cls from @pc's list and mark it live, or NULL. The head
 * came from the link of the block popped before it, which passed its
 * check; it is still checked to be a block of @p, of @cls, before
 * anything is read from it. Then its own link is checked, and its live
 * bit must have been clear. If any check fails, the list is cut there.
 * The check's lookup also gives the live bit: one lookup per allocation.
 */
static void *pheap_private_pop(struct pheap *p, struct pheap_private_cpu *pc,
			       unsigned int cls)
{
	struct pheap_private *pp = p->priv;
	void *obj = pc->free[cls];
	struct pheap_sb *sb;
	u64 next;
	int idx;

	if (!obj)
		return NULL;
	if (unlikely(!pheap_private_block(p, obj, cls, &sb, &idx))) {
		pheap_private_cut(p, pc, cls, obj, NULL);
		return NULL;
	}
	next = pheap_link_decode(pp->key, pheap_private_salt(obj),
				 *(u64 *)obj);
	if (unlikely(next == PHEAP_LINK_BAD ||
		     test_and_set_bit(idx, sb->live))) {
		pheap_private_cut(p, pc, cls, obj, sb);
		return NULL;
	}
	pc->free[cls] = pheap_link_addr(next);
	*(u64 *)obj = 0;	/* the link is no caller's business */
	return obj;
}

/*
 * Blocks freed on this CPU where the lock could not be taken, taken in.
 * Each node is checked to be a block of @p before its link is read: a
 * block written to while it waited cuts the list there.
 */
static void pheap_private_take_deferred(struct pheap *p,
					struct pheap_private_cpu *pc)
{
	struct llist_node *node = llist_del_all(&pc->deferred), *next;
	struct pheap_sb *sb;
	unsigned long tag;

	for (; node; node = next) {
		sb = pheap_sb_lookup(node, &tag);
		if (unlikely(!sb || pheap_sb_block_index(p, sb, node) < 0)) {
			pheap_report_corrupt_link(p, node, sb, 0, 0);
			return;
		}
		next = node->next;
		pheap_private_push(p->priv, pc, sb->cls, node);
	}
}

/* A new superblock of @cls, all its blocks onto this CPU's list. */
static bool pheap_private_grow(struct pheap *p, unsigned int cls, gfp_t gfp)
{
	struct pheap_private *pp = p->priv;
	struct pheap_private_cpu *pc;
	unsigned long flags;
	struct pheap_sb *sb;
	int i;

	this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_REFILL]);
	sb = pheap_sb_new(p, cls, gfp, numa_mem_id());
	if (!sb)
		return false;
	sb->free = sb->nblocks;		/* its blocks live on CPU lists */
	raw_spin_lock_irqsave(&pp->sb_lock, flags);
	list_add(&sb->node, &pp->sbs[cls]);
	pp->nr_sb[cls]++;
	raw_spin_unlock_irqrestore(&pp->sb_lock, flags);

	local_lock_irqsave(&pp->cpu->lock, flags);
	pc = this_cpu_ptr(pp->cpu);
	for (i = sb->nblocks - 1; i >= 0; i--)
		pheap_private_push(pp, pc, cls, pheap_sb_block(p, sb, i));
	local_unlock_irqrestore(&pp->cpu->lock, flags);
	return true;
}

/* Pop a block of @cls on this CPU, or NULL; counts it and marks it live. */
static void *pheap_private_try(struct pheap *p, unsigned int cls, size_t size)
{
	struct pheap_private *pp = p->priv;
	struct pheap_private_cpu *pc;
	unsigned long flags;
	void *obj;

	local_lock_irqsave(&pp->cpu->lock, flags);
	pc = this_cpu_ptr(pp->cpu);
	if (unlikely(!llist_empty(&pc->deferred)))
		pheap_private_take_deferred(p, pc);
	obj = pheap_private_pop(p, pc, cls);
	if (obj)
		pc->inuse[cls]++;
	local_unlock_irqrestore(&pp->cpu->lock, flags);
	return obj;
}

/**
 * pheap_private_alloc() - a block from this CPU's private heap
 * @p: a private instance
 * @cls: size class
 * @size: bytes requested, for the statistics
 * @gfp: allocation flags, for a new superblock
 *
 * Context: as pheap_alloc_in().
 * Return: the block, contents as they are, or NULL.
 */
static void *pheap_private_alloc(struct pheap *p, unsigned int cls, size_t size,
				 gfp_t gfp)
{
	void *obj;

	do {
		obj = pheap_private_try(p, cls, size);
	} while (!obj && pheap_private_grow(p, cls, gfp));
	if (obj) {
		this_cpu_dec(p->cpu_heaps->cls[cls].moved);
		this_cpu_add(p->cpu_heaps->cls[cls].req_bytes, size);
	}
	return obj;
}

/* Block @obj of @sb, no longer live, onto the freeing CPU's list. */
static void pheap_private_put(struct pheap *p, struct pheap_sb *sb, void *obj)
{
	struct pheap_private *pp = p->priv;
	struct pheap_private_cpu *pc;
	unsigned int cls = sb->cls;
	unsigned long flags;

	if (unlikely(want_init_on_free()))
		memset(obj, 0, pheap_csize(cls));
	this_cpu_inc(p->cpu_heaps->cls[cls].frees);
	this_cpu_inc(p->cpu_heaps->cls[cls].moved);
	if (unlikely(pheap_rt_atomic())) {
		this_cpu_dec(pp->cpu->inuse[cls]);
		llist_add(obj, &this_cpu_ptr(pp->cpu)->deferred);
		return;
	}
	local_lock_irqsave(&pp->cpu->lock, flags);
	pc = this_cpu_ptr(pp->cpu);
	pheap_private_push(pp, pc, cls, obj);
	pc->inuse[cls]--;
	local_unlock_irqrestore(&pp->cpu->lock, flags);
}

/**
 * pheap_private_free() - a block onto the freeing CPU's list
 * @p: a private instance
 * @sb: the block's superblock, of @p (checked by the caller)
 * @obj: the block, a block start of @sb
 * @idx: its index
 * @caller: for the report of a double free
 *
 * Context: as pheap_free_in().
 */
static void pheap_private_free(struct pheap *p, struct pheap_sb *sb, void *obj,
			       unsigned int idx, unsigned long caller)
{
	if (unlikely(!test_and_clear_bit(idx, sb->live))) {
		pheap_report_bad_free(p, obj, "double free", caller);
		return;
	}
	pheap_private_put(p, sb, obj);
}

/*
 * pheap_free_rcu()'s claim (design.h): the live bit cleared, atomically as
 * a free clears it, so that every other free is refused; the block is on
 * no list, so it is not handed out either.
 */
static bool pheap_private_rcu_claim(struct pheap *p, struct pheap_sb *sb,
				    unsigned int idx)
{
	return test_and_clear_bit(idx, sb->live);
}

/* The claimed block onto this CPU's list, its live bit already clear. */
static void pheap_private_rcu_done(struct pheap *p, struct pheap_sb *sb,
				   unsigned int idx)
{
	pheap_private_put(p, sb, pheap_sb_block(p, sb, idx));
}

/**
 * pheap_private_init() - the per-CPU heaps of a private instance
 * @p: instance being created
 *
 * Context: process context.
 * Return: 0, -ENOMEM, or -E2BIG where the direct map is too large for
 * the links (link.h: 2 PiB).
 */
static int pheap_private_init(struct pheap *p)
{
	struct pheap_private *pp;
	unsigned int c;
	int cpu;

	if (!pheap_link_addr_ok()) {
		pr_err("%s: the private design's free-list links cannot name every address of this machine's direct map\n",
		       p->cfg.name);
		return -E2BIG;
	}
	pp = kzalloc(sizeof(*pp), GFP_KERNEL);
	if (!pp)
		return -ENOMEM;
	pp->cpu = alloc_percpu(struct pheap_private_cpu);
	if (!pp->cpu) {
		kfree(pp);
		return -ENOMEM;
	}
	pp->key = get_random_u64();
	raw_spin_lock_init(&pp->sb_lock);
	for (c = 0; c < PHEAP_NR_CLASSES; c++)
		INIT_LIST_HEAD(&pp->sbs[c]);
	for_each_possible_cpu(cpu) {
		struct pheap_private_cpu *pc = per_cpu_ptr(pp->cpu, cpu);

		local_lock_init(&pc->lock);
		init_llist_head(&pc->deferred);
	}
	p->priv = pp;
	return 0;
}

/**
 * pheap_private_destroy() - give back every superblock of the design
 * @p: instance being destroyed; NULL @p->priv is a no-op
 *
 * Context: process context, no other user of @p.
 * Return: blocks still in use.
 */
static unsigned long pheap_private_destroy(struct pheap *p)
{
	struct pheap_private *pp = p->priv;
	unsigned long leaked = 0;
	struct pheap_sb *sb, *tmp;
	unsigned int c;

	if (!pp)
		return 0;
	for (c = 0; c < PHEAP_NR_CLASSES; c++) {
		list_for_each_entry_safe(sb, tmp, &pp->sbs[c], node) {
			leaked += bitmap_weight(sb->live, sb->nblocks);
			list_del(&sb->node);
			pheap_sb_release(p, sb);
		}
	}
	free_percpu(pp->cpu);
	kfree(pp);
	p->priv = NULL;
	return leaked;
}

/**
 * pheap_private_class_stats() - a class's figures, racy reads
 * @p: a private instance
 * @cls: size class
 * @nr_sb: set to its superblocks
 * @inuse: set to its blocks in use
 *
 * Context: any.
 */
static void pheap_private_class_stats(struct pheap *p, unsigned int cls,
				      unsigned long *nr_sb, unsigned long *inuse)
{
	struct pheap_private *pp = p->priv;
	long n = 0;
	int cpu;

	for_each_possible_cpu(cpu) {
		/* racy reads on purpose: a snapshot, as stats.c's */
		n += data_race(READ_ONCE(per_cpu_ptr(pp->cpu, cpu)->inuse[cls]));
	}
	/* racy read: the count changes under sb_lock only */
	*nr_sb = data_race(READ_ONCE(pp->nr_sb[cls]));
	*inuse = max(n, 0L);
}

const struct pheap_design_ops pheap_private_design = {
	.id		= PHEAP_DESIGN_PRIVATE,
	.own_heaps	= true,
	.sb_per_cpu	= true,
	.init		= pheap_private_init,
	.destroy	= pheap_private_destroy,
	.alloc		= pheap_private_alloc,
	.free		= pheap_private_free,
	.class_stats	= pheap_private_class_stats,
	.rcu_claim	= pheap_private_rcu_claim,
	.rcu_done	= pheap_private_rcu_done,
};
