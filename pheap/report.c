// SPDX-License-Identifier: GPL-2.0
/*
 * pheap reports: a bad free, a double free found late, a corrupt free
 * list. Each is rate-limited, names the instance, and is counted in the
 * reporting CPU's event counters (bad_frees, corruptions). The bottom
 * layer: every layer above may report, and this file calls nothing of
 * pheap's.
 */
#include <linux/percpu.h>
#include <linux/printk.h>

#include "instance.h"
#include "heap.h"
#include "report.h"

/**
 * pheap_report_bad_free() - report and count a free pheap refuses
 * @p: instance the caller freed to
 * @ptr: the pointer
 * @why: what is wrong with it
 * @caller: return address of the caller of the public free function
 *
 * Context: any.
 */
void pheap_report_bad_free(struct pheap *p, const void *ptr, const char *why,
			   unsigned long caller)
{
	this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_BAD_FREE]);
	pr_err_ratelimited("%s: bad free of %p from %pS: %s\n", p->cfg.name,
			   ptr, (void *)caller, why);
}

/**
 * pheap_report_late_double_free() - report a double free found after it
 * @p: instance
 * @ptr: the block
 * @where: when it was found
 *
 * A remote free that raced its owner's free of the block: found when
 * the block is collected or next handed out, where its caller is no
 * longer known.
 *
 * Context: any.
 */
void pheap_report_late_double_free(struct pheap *p, const void *ptr,
				   const char *where)
{
	this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_BAD_FREE]);
	pr_err_ratelimited("%s: double free of %p, found %s: freed by another CPU while it was free (the caller is not known)\n",
			   p->cfg.name, ptr, where);
}

/**
 * pheap_report_corrupt_link() - report a corrupt free-list link
 * @p: instance
 * @ptr: the free block whose link was written to, or the address a link
 *	 named that is no block of @p's
 * @sb: the superblock of @ptr, or NULL if it has none
 * @size: its class's block size
 * @lost: the free blocks quarantined with it
 *
 * Context: any.
 */
void pheap_report_corrupt_link(struct pheap *p, const void *ptr,
			       const void *sb, unsigned int size,
			       unsigned int lost)
{
	this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_CORRUPT]);
	pr_err_ratelimited("%s: free block %p (%u bytes, superblock %p) was written to after its free (its free-list link is corrupt): %u free blocks quarantined\n",
			   p->cfg.name, ptr, size, sb, lost);
}

/**
 * pheap_report_corrupt_tag() - report a block's tag or link overwritten
 * @p: instance (boundary-tag)
 * @blk: the block whose header, footer or free-list link did not agree
 *	 with pheap's own record of the blocks
 *
 * Context: any.
 */
void pheap_report_corrupt_tag(struct pheap *p, const void *blk)
{
	this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_CORRUPT]);
	pr_err_ratelimited("%s: block %p: its size tag or free-list link was written to (past the end of a block, or after its free): tags and free list rebuilt from pheap's record, nothing lost\n",
			   p->cfg.name, blk);
}

/**
 * pheap_report_corrupt_list() - report a free-list link overwritten
 * @p: instance (block-lock)
 * @blk: the free block whose link named no free block of @p: the list
 *	 is cut there, the free blocks past it lost to the heap until
 *	 pheap_destroy()
 *
 * Context: any.
 */
void pheap_report_corrupt_list(struct pheap *p, const void *blk)
{
	this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_CORRUPT]);
	pr_err_ratelimited("%s: free block %p was written to after its free (its free-list link names no free block): the list is cut there, the free blocks past it kept out of use until the heap is destroyed\n",
			   p->cfg.name, blk);
}
