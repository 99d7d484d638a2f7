/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pheap's btree design (btree.c): its heap, whose writer lock the KUnit
 * suite takes to show that readers go without it and writers wait.
 */
#ifndef _PHEAP_BTREE_H
#define _PHEAP_BTREE_H

#include <linux/atomic.h>
#include <linux/cache.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/maple_tree.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include "class.h"
#include "run.h"

struct pheap;

/**
 * struct pheap_btree - the btree heap
 * @lock:	 the writer lock: every change to @mt, and @stash, @spare, @runs
 * @mt:		 the tree: blocks handed out and the fence; written under
 *		 @lock, read under RCU alone
 * @stash:	 nodes for @mt's stores, under @lock
 * @spare:	 more, topped up outside @lock, under @lock
 * @stash_nodes: how many @stash holds, written under @lock, read racily
 * @spare_nodes: how many @spare holds, the same
 * @fill_lock:	 one top-up of @spare at a time
 * @runs:	 every run, under @lock
 * @hold_start:	 when @lock was taken, under @lock
 * @pheap:	 its instance, for @work
 * @pending:	 blocks whose free waits for @work (the stash was short)
 * @work:	 fills the stash, and does @pending's frees
 * @nr_runs:	 runs held
 * @free_bytes:	 bytes in the runs' gaps
 * @hdr_bytes:	 what blocks in use take beyond their class size
 * @deferred:	 frees @work did for want of nodes
 * @inuse:	 blocks in use, per size class
 * @search_max:	 the longest search, tree levels descended
 * @hist:	 searches by length, log2 buckets
 * @hold_ns:	 @lock held, in all, nanoseconds
 * @hold_max_ns: the longest hold
 */
struct pheap_btree {
	raw_spinlock_t lock ____cacheline_aligned_in_smp;
	struct maple_tree mt;
	struct maple_alloc *stash, *spare;
	unsigned long stash_nodes, spare_nodes;
	struct mutex fill_lock;		/* one top-up of @spare at a time */
	struct list_head runs;
	u64 hold_start;
	struct pheap *pheap;
	struct llist_head pending ____cacheline_aligned_in_smp;
	struct work_struct work;
	atomic_long_t nr_runs, free_bytes, hdr_bytes, deferred;
	atomic_long_t inuse[PHEAP_NR_CLASSES];
	atomic_long_t search_max;
	atomic_long_t hist[PHEAP_SEARCH_HIST];
	atomic64_t hold_ns, hold_max_ns;
};

#endif /* _PHEAP_BTREE_H */
