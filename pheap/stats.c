// SPDX-License-Identifier: GPL-2.0
/*
 * pheap statistics: snapshots of an instance's figures.
 *
 * Statistics are pulled, not pushed. Event counters live in each CPU
 * heap (h->ev[] and the per-class counters of struct pheap_heap_class),
 * written by their CPU under its heap's lock or with this_cpu ops, and
 * summed here on read. What a reader can derive is derived here, not
 * counted on the fast paths: a class's allocations (blocks in use plus
 * frees, less what moved in and out on slow paths), a CPU heap's bytes
 * in use (u_i: its blocks in use times their size), PHEAP_EV_ALLOC and
 * PHEAP_EV_FREE (sums of the classes'). Reading takes no lock the
 * allocation paths take: the reads of other CPUs' counters are racy on
 * purpose (data_race()), so a snapshot taken while CPUs allocate is a sum
 * of figures from slightly different moments. The global heap's
 * per-class figures are read under nothing either; they change only on
 * slow paths.
 *
 * The designs with heaps of their own (shared.c, private.c) add their
 * superblocks and blocks in use to these figures: private's superblocks
 * count as CPU heaps', the shared heap's as the global heap's.
 *
 * Peak U is sampled whenever a snapshot is taken: U is a sum over every
 * CPU, and neither the fast paths nor a page request walk every CPU for
 * it (an exact running peak would need a shared counter on the fast
 * path). Peak A is exact: pages are taken on slow paths only (page.c).
 */
#include <linux/build_bug.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/percpu.h>
#include <linux/smp.h>
#include <linux/string.h>

#include "class.h"
#include "design.h"
#include "global.h"
#include "heap.h"
#include "instance.h"
#include "nolock.h"
#include "page.h"
#include "sb.h"
#include "stats.h"

const char *const pheap_event_names[PHEAP_EV_NR] = {
	[PHEAP_EV_ALLOC]	= "allocs",
	[PHEAP_EV_FREE]		= "frees",
	[PHEAP_EV_REFILL]	= "refills",
	[PHEAP_EV_REMOTE_SENT]	= "remote_frees_sent",
	[PHEAP_EV_REMOTE_RECV]	= "remote_frees_recv",
	[PHEAP_EV_FROM_GLOBAL]	= "refills_from_global",
	[PHEAP_EV_TO_GLOBAL]	= "returns_to_global",
	[PHEAP_EV_PAGES_IN]	= "pages_in",
	[PHEAP_EV_PAGES_OUT]	= "pages_out",
	[PHEAP_EV_LARGE_ALLOC]	= "large_allocs",
	[PHEAP_EV_LARGE_FREE]	= "large_frees",
	[PHEAP_EV_ALLOC_FAIL]	= "alloc_failures",
	[PHEAP_EV_BAD_FREE]	= "bad_frees",
	[PHEAP_EV_CORRUPT]	= "corruptions",
	[PHEAP_EV_FAULT]	= "faults_injected",
	[PHEAP_EV_PAGES_OTHER_NODE] = "pages_in_other_node",
	[PHEAP_EV_FROM_OTHER_NODE] = "refills_from_other_node",
	[PHEAP_EV_LOCK]		= "lock_acquired",
	[PHEAP_EV_LOCK_CONTENDED] = "lock_contended",
	[PHEAP_EV_WALKED]	= "pagerefs_walked",
	[PHEAP_EV_ALLOC_INTERRUPTED] = "allocs_interrupted",
	[PHEAP_EV_ALLOC_OTHER_NODE] = "allocs_other_node",
	[PHEAP_EV_RCU_FREE] = "rcu_frees",
	[PHEAP_EV_RCU_FALLBACK] = "rcu_fallbacks",
	[PHEAP_EV_RCU_ROUND] = "rcu_rounds",
	[PHEAP_EV_NOLOCK_ALLOC] = "nolock_allocs",
	[PHEAP_EV_NOLOCK_RESERVE] = "nolock_from_reserve",
	[PHEAP_EV_NOLOCK_BUSY] = "nolock_busy",
	[PHEAP_EV_NOLOCK_FAIL] = "nolock_failures",
	[PHEAP_EV_NMI_FREE] = "nmi_frees",
	[PHEAP_EV_BULK_ALLOC] = "bulk_allocs",
	[PHEAP_EV_BULK_FREE] = "bulk_frees",
	[PHEAP_EV_SEARCHED] = "free_list_searched",
	[PHEAP_EV_ALIGN_PAD] = "align_pad_bytes",
};
EXPORT_SYMBOL_GPL(pheap_event_names);
static_assert(ARRAY_SIZE(pheap_event_names) == PHEAP_EV_NR);

/* A read of a figure another CPU may be updating: racy on purpose. */
#define RACY(x) data_race(READ_ONCE(x))

static unsigned long pheap_global_inuse_bytes(struct pheap *p)
{
	unsigned long bytes = 0;
	unsigned int c;
	int nid;

	for_each_node(nid)
		for (c = 0; c < PHEAP_NR_CLASSES; c++)
			bytes += RACY(pheap_gclass(p, nid, c)->inuse) *
				 pheap_csize(c);
	return bytes;
}

/*
 * The superblocks and blocks in use of class @cls in a design's own heaps
 * (shared.c, private.c); zero for hoard and ownership.
 */
static void pheap_design_class(struct pheap *p, unsigned int cls,
			       unsigned long *nr_sb, unsigned long *inuse)
{
	*nr_sb = 0;
	*inuse = 0;
	if (p->ops->class_stats)
		p->ops->class_stats(p, cls, nr_sb, inuse);
}

static unsigned long pheap_design_inuse_bytes(struct pheap *p)
{
	unsigned long bytes = 0, nr_sb, inuse;
	unsigned int c;

	for (c = 0; c < PHEAP_NR_CLASSES; c++) {
		pheap_design_class(p, c, &nr_sb, &inuse);
		bytes += inuse * pheap_csize(c);
	}
	return bytes;
}

static unsigned long pheap_current_u(struct pheap *p)
{
	unsigned long u = pheap_global_inuse_bytes(p) +
			  pheap_design_inuse_bytes(p);
	int cpu;

	for_each_possible_cpu(cpu)
		u += pheap_heap_u(per_cpu_ptr(p->cpu_heaps, cpu));
	return u + RACY(p->large_bytes);
}

/* One CPU heap's event counters, ALLOC and FREE summed from its classes. */
static void pheap_cpu_events(struct pheap_heap *h, unsigned long *ev)
{
	unsigned int c, e;

	for (e = 0; e < PHEAP_EV_NR; e++)
		ev[e] = RACY(h->ev[e]);
	for (c = 0; c < PHEAP_NR_CLASSES; c++) {
		ev[PHEAP_EV_ALLOC] += pheap_heap_class_allocs(h, c);
		ev[PHEAP_EV_FREE] += RACY(h->cls[c].frees) +
				     RACY(h->cls[c].remote_frees);
	}
}

/*
 * The CPUs' reserves for pheap_alloc_nolock() (nolock.c): blocks allocated
 * that no caller holds, from a CPU heap or (filled while it was in use)
 * the global heap. Their bytes come off U, and the instance's allocations
 * and frees lose the reserves' own: fills no caller took, blocks given
 * back unused. Return: the reserves' bytes.
 */
static unsigned long pheap_reserves(struct pheap *p, unsigned long *ev)
{
	unsigned long bytes = 0, drained, freed = 0;
	long outstanding, filled = 0;
	unsigned int c;
	int cpu;

	for_each_possible_cpu(cpu)
		for (c = 0; c < PHEAP_NR_CLASSES; c++) {
			bytes += pheap_nolock_reserved(p, cpu, c, &outstanding,
						       &drained) * pheap_csize(c);
			filled += outstanding;
			freed += drained;
		}
	ev[PHEAP_EV_ALLOC] -= clamp_t(long, filled, 0, ev[PHEAP_EV_ALLOC]);
	ev[PHEAP_EV_FREE] -= min(freed, ev[PHEAP_EV_FREE]);
	return bytes;
}

/**
 * pheap_get_cpu_stats() - one CPU heap's figures
 * @p: instance
 * @cpu: a possible CPU
 * @cs: filled in
 *
 * Context: any; racy against @cpu's own updates (see the file comment).
 */
void pheap_get_cpu_stats(struct pheap *p, unsigned int cpu,
			 struct pheap_cpu_stats *cs)
{
	struct pheap_heap *h = per_cpu_ptr(p->cpu_heaps, cpu);
	unsigned int c;

	memset(cs, 0, sizeof(*cs));
	cs->u = pheap_heap_u(h);
	cs->a = RACY(h->a);
	for (c = 0; c < PHEAP_NR_CLASSES; c++)
		cs->nr_sb += RACY(h->cls[c].nr_sb);
	pheap_cpu_events(h, cs->ev);
}
EXPORT_SYMBOL_GPL(pheap_get_cpu_stats);

/**
 * pheap_get_class_stats() - one size class's figures
 * @p: instance
 * @idx: class index, below pheap_nr_classes()
 * @cs: filled in (zeroed for a bad @idx)
 *
 * Context: any.
 */
void pheap_get_class_stats(struct pheap *p, unsigned int idx,
			   struct pheap_class_stats *cs)
{
	const struct pheap_class_info *ci;
	struct pheap_global_class *gc;
	struct pheap_heap_class *hc;
	unsigned long nr_sb, inuse, reserved = 0, drained, freed = 0;
	long outstanding, filled = 0;
	int cpu, nid;

	memset(cs, 0, sizeof(*cs));
	if (idx >= PHEAP_NR_CLASSES)
		return;
	ci = &p->ci[idx];
	cs->size = ci->size;
	cs->blocks_per_sb = ci->nblocks;
	cs->sb_bytes = ci->sb_bytes;
	for_each_possible_cpu(cpu) {
		hc = &per_cpu_ptr(p->cpu_heaps, cpu)->cls[idx];
		cs->blocks_inuse += RACY(hc->inuse);
		cs->sb_cpu += RACY(hc->nr_sb);
		cs->allocs += pheap_heap_class_allocs(per_cpu_ptr(p->cpu_heaps,
								   cpu), idx);
		cs->frees += RACY(hc->frees) + RACY(hc->remote_frees);
		/* nolock.c's reserves: held by no caller */
		reserved += pheap_nolock_reserved(p, cpu, idx, &outstanding,
						  &drained);
		filled += outstanding;
		freed += drained;
		cs->remote_frees += RACY(hc->remote_frees);
		cs->req_bytes += RACY(hc->req_bytes);
	}
	for_each_node(nid) {
		gc = pheap_gclass(p, nid, idx);
		cs->blocks_inuse += RACY(gc->inuse);
		cs->sb_global += RACY(gc->nr_sb);
		cs->allocs += RACY(gc->allocs);
		cs->req_bytes += RACY(gc->req_bytes);
	}
	pheap_design_class(p, idx, &nr_sb, &inuse);
	cs->blocks_inuse += inuse;
	if (p->ops->sb_per_cpu)
		cs->sb_cpu += nr_sb;
	else
		cs->sb_global += nr_sb;
	cs->blocks_inuse -= min(reserved, cs->blocks_inuse);
	cs->allocs -= clamp_t(long, filled, 0, cs->allocs);
	cs->frees -= min(freed, cs->frees);
	cs->blocks_held = (cs->sb_cpu + cs->sb_global) * ci->nblocks;
	/*
	 * The allocations are derived and every figure is read racily: the
	 * bytes asked for may run ahead of the allocations for a moment.
	 */
	cs->frag_bytes = cs->allocs * ci->size > cs->req_bytes ?
			 cs->allocs * ci->size - cs->req_bytes : 0;
}
EXPORT_SYMBOL_GPL(pheap_get_class_stats);

/* A design's own superblocks: private's are its CPUs', the others shared. */
static void pheap_design_sb(struct pheap *p, struct pheap_stats *st)
{
	unsigned long nr_sb, inuse;
	unsigned int c;

	for (c = 0; c < PHEAP_NR_CLASSES; c++) {
		pheap_design_class(p, c, &nr_sb, &inuse);
		if (p->ops->sb_per_cpu)
			st->sb_cpu += nr_sb;
		else
			st->sb_global += nr_sb;
	}
}

/**
 * pheap_get_stats() - an instance's figures
 * @p: instance
 * @st: filled in
 *
 * Also samples U into the peak. A page-run design's figures are read
 * under its lock (its free list walked for the largest block).
 *
 * Context: any but NMI.
 */
void pheap_get_stats(struct pheap *p, struct pheap_stats *st)
{
	unsigned long ev[PHEAP_EV_NR];
	unsigned int c, e;
	int cpu, nid;

	memset(st, 0, sizeof(*st));
	for_each_possible_cpu(cpu) {
		struct pheap_heap *h = per_cpu_ptr(p->cpu_heaps, cpu);

		pheap_cpu_events(h, ev);
		for (e = 0; e < PHEAP_EV_NR; e++)
			st->ev[e] += ev[e];
		for (c = 0; c < PHEAP_NR_CLASSES; c++)
			st->sb_cpu += RACY(h->cls[c].nr_sb);
	}
	for_each_node(nid)
		for (c = 0; c < PHEAP_NR_CLASSES; c++) {
			st->sb_global += RACY(pheap_gclass(p, nid, c)->nr_sb);
			st->ev[PHEAP_EV_ALLOC] +=
				RACY(pheap_gclass(p, nid, c)->allocs);
		}
	pheap_design_sb(p, st);
	st->nolock_reserve = pheap_reserves(p, st->ev);
	st->u = pheap_current_u(p);
	st->u -= min(st->nolock_reserve, st->u);
	pheap_raise_peak(&p->peak_u, st->u);
	st->peak_u = atomic_long_read(&p->peak_u);
	st->a = atomic_long_read(&p->pages_held) << PAGE_SHIFT;
	st->peak_a = atomic_long_read(&p->peak_pages) << PAGE_SHIFT;
	st->large_nr = RACY(p->large_nr);
	st->large_bytes = RACY(p->large_bytes);
	st->f_pct = p->cfg.f_pct;
	st->k_sb = p->cfg.k_sb;
	st->sb_bytes = p->sb_bytes;
	st->nr_classes = PHEAP_NR_CLASSES;
	st->global_reserve = p->cfg.global_reserve;
	st->debug = p->cfg.debug;
	st->design = p->design;
	if (p->ops->run_stats)
		p->ops->run_stats(p, &st->run);
}
EXPORT_SYMBOL_GPL(pheap_get_stats);

static void pheap_reset_heap_events(struct pheap_heap *h)
{
	unsigned int c;

	memset(h->ev, 0, sizeof(h->ev));
	for (c = 0; c < PHEAP_NR_CLASSES; c++) {
		/* the derived allocations start again from zero */
		h->cls[c].moved = h->cls[c].inuse;
		h->cls[c].frees = 0;
		h->cls[c].remote_frees = 0;
		h->cls[c].req_bytes = 0;
	}
}

/*
 * On each online CPU, in process context: its counters under its heap's
 * lock (which a task always gets: heap.h), so that no increment made
 * under the lock is half done; those made without it are this_cpu ops.
 */
static long pheap_reset_cpu(void *arg)
{
	struct pheap *p = arg;
	struct pheap_heap *h = pheap_heap_trylock(p);

	if (WARN_ON_ONCE(!h))
		return 0;
	pheap_reset_heap_events(h);
	pheap_nolock_reset(p, smp_processor_id());
	pheap_heap_unlock(p, h);
	return 0;
}

/* The counters of the blocks handed out straight from the global heap. */
static void pheap_reset_global_events(struct pheap *p)
{
	struct pheap_global_class *gc;
	unsigned long flags;
	unsigned int c;
	int nid;

	for_each_node(nid)
		for (c = 0; c < PHEAP_NR_CLASSES; c++) {
			gc = pheap_gclass(p, nid, c);
			raw_spin_lock_irqsave(&gc->lock, flags);
			gc->allocs = 0;
			gc->req_bytes = 0;
			raw_spin_unlock_irqrestore(&gc->lock, flags);
		}
}

/**
 * pheap_reset_events() - clear the event counters
 * @p: instance
 *
 * Each online CPU clears its own counters, in process context under its
 * heap's lock, so no increment is lost half way; an offline CPU's are
 * cleared here. In-use and held figures, and the peaks, are kept.
 *
 * Context: process context, may sleep.
 */
void pheap_reset_events(struct pheap *p)
{
	int cpu;

	cpus_read_lock();
	for_each_possible_cpu(cpu) {
		if (cpu_online(cpu))
			work_on_cpu(cpu, pheap_reset_cpu, p);
		else
			pheap_reset_heap_events(per_cpu_ptr(p->cpu_heaps, cpu));
	}
	cpus_read_unlock();
	pheap_reset_global_events(p);
}
EXPORT_SYMBOL_GPL(pheap_reset_events);

/**
 * pheap_node_pages() - pages an instance holds on a memory node
 * @p: instance
 * @nid: a possible node
 *
 * Context: any.
 * Return: the pages, superblocks' and large allocations'.
 */
unsigned long pheap_node_pages(struct pheap *p, int nid)
{
	return atomic_long_read(&p->node_pages[nid]);
}

/**
 * pheap_node_sb_global() - superblocks the global heap holds on a node
 * @p: instance
 * @nid: a possible node
 *
 * Context: any; racy against the class locks' holders.
 * Return: the superblocks, every class.
 */
unsigned long pheap_node_sb_global(struct pheap *p, int nid)
{
	unsigned long n = 0;
	unsigned int c;

	for (c = 0; c < PHEAP_NR_CLASSES; c++)
		n += RACY(pheap_gclass(p, nid, c)->nr_sb);
	return n;
}
