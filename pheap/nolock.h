/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pheap allocation from any context, NMI included (nolock.c): each
 * CPU's reserve of blocks, and the frees made in NMI waiting to be done.
 */
#ifndef _PHEAP_NOLOCK_H
#define _PHEAP_NOLOCK_H

#include <linux/irq_work.h>
#include <linux/llist.h>
#include <linux/types.h>

#include "class.h"

struct pheap;

/*
 * Blocks a CPU keeps per class for pheap_alloc_nolock() (nolock.c): this
 * many of each class up to PHEAP_NOLOCK_SMALL bytes, a quarter of it of
 * the larger ones.
 */
#define PHEAP_NOLOCK_DEPTH	32
#define PHEAP_NOLOCK_SMALL	512

/*
 * A class's reserve on one CPU. @state is the count of blocks in @blk
 * (low byte) and a generation above it, changed together by one
 * this_cpu_cmpxchg(): a pop that an NMI, or an interrupt's refill, came
 * between its read and its exchange retries instead of taking a block
 * twice.
 */
struct pheap_reserve {
	unsigned long state;
	void *blk[PHEAP_NOLOCK_DEPTH];
};

/**
 * struct pheap_nolock_cpu - one CPU's state for the contexts that may not
 *			     wait for anything
 * @reserve:	per class; popped by pheap_alloc_nolock() on this CPU, in
 *		any context, filled by @refill
 * @outstanding: per class, blocks put in the reserve less those taken
 *		from it (this_cpu ops): allocations no caller got, which the
 *		statistics take off the allocations they derive
 * @drained:	per class, reserve blocks given back unused: frees the
 *		statistics take off (this_cpu ops)
 * @want:	the classes whose reserve @refill is to fill (atomic bits)
 * @refill:	irq_work: fills them (from hard interrupt context, or its
 *		thread on PREEMPT_RT) with ordinary allocations
 * @nmi_frees:	blocks pheap_free() was given in NMI, linked through their
 *		first word; @nmi_free frees them
 * @nmi_free:	irq_work
 * @pheap:	constant
 */
struct pheap_nolock_cpu {
	struct pheap_reserve reserve[PHEAP_NR_CLASSES];
	long outstanding[PHEAP_NR_CLASSES];
	unsigned long drained[PHEAP_NR_CLASSES];
	unsigned long want;
	struct irq_work refill;
	struct llist_head nmi_frees;
	struct irq_work nmi_free;
	struct pheap *pheap;
};

/* nolock.c */
int pheap_nolock_init(struct pheap *p);
void pheap_nolock_destroy(struct pheap *p);
void pheap_nolock_trim(struct pheap *p);
void pheap_nolock_dead(struct pheap *p, int cpu);
unsigned long pheap_nolock_reserved(struct pheap *p, int cpu,
				    unsigned int cls, long *outstanding,
				    unsigned long *drained);
void pheap_nolock_reset(struct pheap *p, int cpu);

#endif /* _PHEAP_NOLOCK_H */
