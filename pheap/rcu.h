/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pheap frees after an RCU grace period (rcu.c): the instance's state.
 */
#ifndef _PHEAP_RCU_H
#define _PHEAP_RCU_H

#include <linux/llist.h>
#include <linux/mutex.h>
#include <linux/workqueue.h>

struct pheap;
struct pheap_rcu_batch;

/*
 * A CPU's batch pages: the one being filled and a spare. Each is taken
 * and put back with an atomic exchange, by its CPU (any context) and by
 * the RCU work (any CPU): neither is ever used by two at once.
 */
struct pheap_rcu_cpu {
	struct pheap_rcu_batch *cur;
	struct pheap_rcu_batch *spare;
};

/**
 * struct pheap_rcu - an instance's frees waiting for a grace period
 * @cpu:	 each CPU's batch pages
 * @sealed:	 full batches (and ones an interrupt's batch displaced)
 * @fallback:	 superblocks with blocks recorded in their rcu_fb bitmap
 * @run_fallback: page runs (run.h) with blocks recorded in theirs
 * @work:	 a round: take everything claimed, wait, free it
 * @idle:	 gives the spare pages back once no free came for a while
 * @round_lock:	 one round at a time: a superblock's ripe bits are its
 */
struct pheap_rcu {
	struct pheap_rcu_cpu __percpu *cpu;
	struct llist_head sealed;
	struct llist_head fallback;
	struct llist_head run_fallback;
	struct delayed_work work;
	struct delayed_work idle;
	struct mutex round_lock;	/* serialises rounds */
};

/* rcu.c */
int pheap_rcu_init(struct pheap *p);
void pheap_rcu_barrier(struct pheap *p);
void pheap_rcu_trim(struct pheap *p);
void pheap_rcu_destroy(struct pheap *p);

#endif /* _PHEAP_RCU_H */
