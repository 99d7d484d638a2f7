// SPDX-License-Identifier: GPL-2.0
/*
 * pheap remote frees: a block freed on a CPU that does not own its
 * superblock.
 *
 * The freer pushes the block onto its owner's list with llist_add(): lock
 * free, no global lock, one atomic on the owner's list head. The owner is
 * a CPU heap (its remote list) or the global heap (the class's remote
 * list). The block still counts as in use until the owner collects it, so
 * its superblock cannot go away under the freer.
 *
 * Collection is bounded: a collector takes the whole list at once
 * (llist_del_all()) into a private "pending" list and then frees at most
 * a batch per call (pheap_remote_pop()), so no path walks an unbounded
 * list under a lock. The rule for every collector: a block whose
 * superblock it still owns is freed into it; any other is pushed on to
 * the superblock's current owner (ownership moved after the freer read
 * it).
 *
 * Prompt collection: CPU heaps look for waiting blocks every
 * PHEAP_COLLECT_EVERY allocations and frees, and on every refill
 * (heap.c). A push that finds the
 * list empty also arms the owner's work item, which collects what the
 * owner has not after PHEAP_COLLECT_DELAY: an idle owner gets its blocks,
 * and so its empty superblocks, back in bounded time. Pushes to a list
 * that already has blocks cost no more than the llist_add(). This is
 * mimalloc's "delayed free" idea at heap rather than page granularity:
 * pheap finds a block's superblock from its struct page in O(1), so one
 * list per heap is enough and the owner looks at one word.
 *
 * Context: any but NMI; never sleeps.
 */
#include <linux/cpumask.h>
#include <linux/llist.h>
#include <linux/percpu.h>
#include <linux/printk.h>
#include <linux/workqueue.h>

#include "internal.h"

/* Arm the owner's collector; @owner NULL is the global heap. */
static void pheap_remote_kick(struct pheap *p, struct pheap_heap *owner)
{
	if (READ_ONCE(p->dying))
		return;
	if (!owner)
		queue_delayed_work(system_unbound_wq, &p->global.work,
				   PHEAP_COLLECT_DELAY);
	else if (cpu_online(owner->cpu))
		queue_delayed_work_on(owner->cpu, system_wq, &owner->work,
				      PHEAP_COLLECT_DELAY);
	else	/* the handler sees the CPU is gone and forwards */
		queue_delayed_work(system_wq, &owner->work,
				   PHEAP_COLLECT_DELAY);
}

/**
 * pheap_remote_push() - send a block to the heap that owns its superblock
 * @p: instance
 * @sb: the block's superblock
 * @obj: the block
 *
 * The push is the last access to @sb: once it is visible the owner may
 * collect the block and free the superblock.
 *
 * Context: any but NMI; lock free.
 */
void pheap_remote_push(struct pheap *p, struct pheap_sb *sb, void *obj)
{
	struct pheap_heap *owner = READ_ONCE(sb->owner);
	struct llist_head *list;

	list = owner ? &owner->remote : &p->global.cls[sb->cls].remote;
	if (llist_add(obj, list))
		pheap_remote_kick(p, owner);
}

/*
 * A node that is not a block of @p: a write after free overwrote the
 * link of the node before it. Nothing after it can be trusted: the rest
 * of the chain is dropped, and its blocks stay counted as in use, which
 * leaks them (pheap_destroy() reports them) rather than hand out memory
 * that may not be pheap's.
 */
static void pheap_remote_corrupt(struct pheap *p, struct llist_node **pending,
				 struct llist_node *node)
{
	*pending = NULL;
	this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_CORRUPT]);
	pr_err_ratelimited("%s: remote free list corrupted: %p is not a block of this heap (write after free?); the rest of the list is dropped\n",
			   p->cfg.name, node);
}

/**
 * pheap_remote_pop() - the next block a collector should free
 * @p: instance
 * @list: the remote list it owns
 * @pending: its private list of blocks already taken off @list
 * @sbp: set to the block's superblock
 *
 * Each node is checked to be a block of @p before its link is read.
 *
 * Context: the list's owner.
 * Return: a block, or NULL when both lists are empty (or the rest of them
 * was dropped as corrupt).
 */
struct llist_node *pheap_remote_pop(struct pheap *p, struct llist_head *list,
				    struct llist_node **pending,
				    struct pheap_sb **sbp)
{
	struct llist_node *node = *pending;
	unsigned long tag;

	if (!node) {
		node = llist_del_all(list);
		if (!node)
			return NULL;
	}
	*sbp = pheap_sb_lookup(node, &tag);
	if (unlikely(!*sbp || !pheap_sb_block_ok(p, *sbp, node))) {
		pheap_remote_corrupt(p, pending, node);
		return NULL;
	}
	*pending = node->next;
	return node;
}
