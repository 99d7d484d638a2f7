/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pheap global heap (global.c): its types and entry points.
 */
#ifndef _PHEAP_GLOBAL_H
#define _PHEAP_GLOBAL_H

#include <linux/cache.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "class.h"

struct pheap;
struct pheap_sb;
struct pheap_heap;

/**
 * struct pheap_global_class - the global heap's superblocks of one class
 * @lock:     protects everything below but @remote, and the block state of
 *	      every superblock listed here
 * @groups:   superblocks by fullness group
 * @nr_sb:    superblocks held
 * @inuse:    blocks in use in them
 * @nr_empty: of them, empty (group 0)
 * @allocs, @req_bytes: blocks handed out straight from here, and the
 *	      bytes asked for them (pheap_global_alloc())
 * @pending:  superblocks taken off @remote, not yet collected
 * @remote:   superblocks with blocks freed remotely, lock free
 */
struct pheap_global_class {
	raw_spinlock_t lock;
	struct list_head groups[PHEAP_GROUPS];
	unsigned long nr_sb, inuse, nr_empty;
	unsigned long allocs, req_bytes;
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

/* global.c */
int pheap_global_init(struct pheap *p);
void pheap_global_free(struct pheap *p);
struct pheap_sb *pheap_global_take(struct pheap *p, unsigned int cls,
				   struct pheap_heap *to,
				   struct list_head *release);
void *pheap_global_alloc(struct pheap *p, unsigned int cls, size_t size,
			 gfp_t gfp, int nid);
void pheap_global_put(struct pheap *p, struct pheap_sb *sb,
		      struct list_head *release);
void pheap_global_drain(struct pheap *p, unsigned int cls);
unsigned long pheap_global_shrink(struct pheap *p, unsigned long nr);
unsigned long pheap_global_empty_pages(struct pheap *p);
unsigned long pheap_global_release_all(struct pheap *p);

#endif /* _PHEAP_GLOBAL_H */
