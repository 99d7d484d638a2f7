/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pheap designs: one table of entry points per design (design.c lists
 * them), and the one branch the entry points take on it.
 *
 * Every design is a complete allocator of the size classes' blocks, over
 * pheap's superblocks or, for boundary-tag, over page runs (run.h) carved
 * into blocks of any length; what the layers above need of one is this
 * table.
 * The entry points (alloc.c, free.c) call a design through it only past
 * pheap_design_on(), a static branch that is a no-op jump while every
 * instance is hoard or ownership: those two, the default, are called
 * directly and inline (heap.h), with no indirect call on their paths.
 * lifecycle.c and stats.c read the table to set an instance up, tear it
 * down and count its figures.
 *
 * Room for the calls to come: an entry a design does not have is NULL,
 * and the entry point then does without it, as it does for @find_free.
 * A node-aware, bulk or any-context allocation is a member of its own,
 * so that adding one reshapes no other.
 */
#ifndef _PHEAP_DESIGN_H
#define _PHEAP_DESIGN_H

#include <linux/jump_label.h>
#include <linux/types.h>

#include "instance.h"

struct pheap_run;
struct pheap_sb;

/**
 * struct pheap_design_ops - a design's entry points and traits
 * @id:          enum pheap_design
 * @own_heaps:   its blocks live in heaps of its own, not the CPU heaps:
 *		 the entry points dispatch through @alloc and @free
 * @global_heap: a threshold returns superblocks to the global heap, and
 *		 refills take them back from it (hoard)
 * @class_locks: a lock per size class rather than one (class-lock)
 * @locked:      its heap is behind a lock every call takes, counted in
 *		 lock_acquired (the shared designs, boundary-tag,
 *		 block-lock, btree)
 * @debug_mode:  debug mode may wrap it
 * @sb_per_cpu:  its superblocks count as the CPUs' in the statistics
 *		 (else as the global heap's)
 * @init:        its own heaps, at pheap_create(); NULL: none
 * @destroy:     frees them, also after a failed @init or none; returns
 *		 the blocks still in use. NULL: nothing to free
 * @alloc:       a block of class @cls, its contents as they are; NULL if
 *		 there is no memory (the caller counts it)
 * @free:        block @idx of @sb, at @obj, which the entry point checked
 *		 to be a block start of @p; double frees are the design's
 *		 to catch and report
 * @find_free:   frees @ptr if the design finds its block by its own
 *		 means (kheap's walk of its pagerefs); false if it did not.
 *		 NULL: blocks are found from their struct page
 * @usable_size: the usable size of a block handed out at @ptr, 0 if
 *		 @ptr starts none; NULL: found from its superblock
 * @class_stats: superblocks held and blocks in use of class @cls in its
 *		 own heaps; NULL: only the CPU and global heaps hold any
 * @run_stats:   a page-run design's figures (struct pheap_run_stats);
 *		 NULL: none
 * @rcu_claim:   claims block @idx of @sb for pheap_free_rcu() (rcu.c):
 *		 until @rcu_done, every other free of it is refused as a
 *		 double free and it is not handed out; nothing is written
 *		 into it. False for a block not live, or claimed already
 * @rcu_done:    frees a block @rcu_claim claimed, a grace period later
 * @rcu_claim_run: @rcu_claim for the block at @ptr of page run @run
 * @rcu_done_run: @rcu_done for it
 * @flush:       does the frees the design deferred (pheap_flush()), waited
 *		 for; NULL: none are
 *
 * Context of each call: as the public function that makes it.
 */
struct pheap_design_ops {
	unsigned int id;
	bool own_heaps, global_heap, class_locks, locked, debug_mode;
	bool sb_per_cpu;
	int (*init)(struct pheap *p);
	unsigned long (*destroy)(struct pheap *p);
	void *(*alloc)(struct pheap *p, unsigned int cls, size_t size,
		       gfp_t gfp);
	void (*free)(struct pheap *p, struct pheap_sb *sb, void *obj,
		     unsigned int idx, unsigned long caller);
	bool (*find_free)(struct pheap *p, const void *ptr,
			  unsigned long caller);
	size_t (*usable_size)(struct pheap *p, const void *ptr);
	void (*class_stats)(struct pheap *p, unsigned int cls,
			    unsigned long *nr_sb, unsigned long *inuse);
	void (*run_stats)(struct pheap *p, struct pheap_run_stats *rs);
	bool (*rcu_claim)(struct pheap *p, struct pheap_sb *sb,
			  unsigned int idx);
	void (*rcu_done)(struct pheap *p, struct pheap_sb *sb,
			 unsigned int idx);
	bool (*rcu_claim_run)(struct pheap *p, struct pheap_run *run,
			      const void *ptr);
	void (*rcu_done_run)(struct pheap *p, struct pheap_run *run,
			     const void *ptr);
	void (*flush)(struct pheap *p);
};

/* Each design's table, in the file that implements it. */
extern const struct pheap_design_ops pheap_hoard_design;	/* heap.c */
extern const struct pheap_design_ops pheap_ownership_design;	/* heap.c */
extern const struct pheap_design_ops pheap_kheap_design;	/* shared.c */
extern const struct pheap_design_ops pheap_serial_design;	/* shared.c */
extern const struct pheap_design_ops pheap_class_lock_design;	/* shared.c */
extern const struct pheap_design_ops pheap_private_design;	/* private.c */
extern const struct pheap_design_ops pheap_btag_design;		/* btag.c */
extern const struct pheap_design_ops pheap_blocklock_design;	/* blocklock.c */
extern const struct pheap_design_ops pheap_btree_design;	/* btree.c */

/* design.c */
extern const struct pheap_design_ops *const pheap_designs[PHEAP_DESIGN_NR];

/*
 * Does @p take its design's table? A static branch, a no-op jump while
 * every instance is hoard or ownership (lifecycle.c keeps the key).
 */
DECLARE_STATIC_KEY_FALSE(pheap_design_key);
static __always_inline bool pheap_design_on(const struct pheap *p)
{
	return static_branch_unlikely(&pheap_design_key) && p->ops->own_heaps;
}

#endif /* _PHEAP_DESIGN_H */
