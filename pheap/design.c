// SPDX-License-Identifier: GPL-2.0
/*
 * pheap designs: their names, and the table of each (design.h).
 *
 * The designs of pheap's lecture notes, side by side, each a complete
 * allocator behind the same API (README, "The designs"):
 *
 *   kheap	OS/161's kernel heap: one lock, a free walks the pagerefs
 *		(shared.c)
 *   serial	one shared heap, one lock (shared.c)
 *   class-lock	one shared heap, a lock per size class (shared.c)
 *   private	per-CPU heaps, a block joins its freer's (private.c)
 *   ownership	per-CPU heaps, a block goes back to its owner's (heap.c,
 *		remote.c)
 *   hoard	ownership with the threshold return to a global heap, the
 *		default (heap.c, remote.c, global.c)
 *   boundary-tag the size-header heap: blocks of any length in page runs,
 *		one free list, coalescing (btag.c, run.c)
 *   block-lock	one free list in address order, a lock per free block,
 *		walked hand over hand (blocklock.c, run.c)
 *   btree	the concurrent B-tree heap: free extents are a maple tree's
 *		gaps, found in O(log n), one writer lock (btree.c, run.c)
 *
 * This file only names them: it calls nothing.
 */
#include <linux/build_bug.h>
#include <linux/export.h>
#include <linux/printk.h>
#include <linux/string.h>

#include "design.h"

const char *const pheap_design_names[PHEAP_DESIGN_NR] = {
	[PHEAP_DESIGN_KHEAP]		= "kheap",
	[PHEAP_DESIGN_SERIAL]		= "serial",
	[PHEAP_DESIGN_CLASS_LOCK]	= "class-lock",
	[PHEAP_DESIGN_PRIVATE]		= "private",
	[PHEAP_DESIGN_OWNERSHIP]	= "ownership",
	[PHEAP_DESIGN_HOARD]		= "hoard",
	[PHEAP_DESIGN_BOUNDARY_TAG]	= "boundary-tag",
	[PHEAP_DESIGN_BLOCK_LOCK]	= "block-lock",
	[PHEAP_DESIGN_BTREE]		= "btree",
};
EXPORT_SYMBOL_GPL(pheap_design_names);
static_assert(ARRAY_SIZE(pheap_design_names) == PHEAP_DESIGN_NR);

const struct pheap_design_ops *const pheap_designs[PHEAP_DESIGN_NR] = {
	[PHEAP_DESIGN_KHEAP]		= &pheap_kheap_design,
	[PHEAP_DESIGN_SERIAL]		= &pheap_serial_design,
	[PHEAP_DESIGN_CLASS_LOCK]	= &pheap_class_lock_design,
	[PHEAP_DESIGN_PRIVATE]		= &pheap_private_design,
	[PHEAP_DESIGN_OWNERSHIP]	= &pheap_ownership_design,
	[PHEAP_DESIGN_HOARD]		= &pheap_hoard_design,
	[PHEAP_DESIGN_BOUNDARY_TAG]	= &pheap_btag_design,
	[PHEAP_DESIGN_BLOCK_LOCK]	= &pheap_blocklock_design,
	[PHEAP_DESIGN_BTREE]		= &pheap_btree_design,
};

static_assert(ARRAY_SIZE(pheap_designs) == PHEAP_DESIGN_NR);

/**
 * pheap_design_parse() - a design's name to its enum pheap_design
 * @name: one of pheap_design_names[]; NULL or "" for hoard
 *
 * An unknown name is reported with the list of valid ones.
 *
 * Context: any.
 * Return: the design, or -EINVAL.
 */
int pheap_design_parse(const char *name)
{
	char valid[128] = "";
	int i;

	if (!name || !*name)
		return PHEAP_DESIGN_HOARD;
	i = match_string(pheap_design_names, PHEAP_DESIGN_NR, name);
	if (i >= 0)
		return i;
	for (i = 0; i < PHEAP_DESIGN_NR; i++) {
		if (i)
			strlcat(valid, ", ", sizeof(valid));
		strlcat(valid, pheap_design_names[i], sizeof(valid));
	}
	pr_err("pheap: unknown design '%s': valid are %s\n", name, valid);
	return -EINVAL;
}
EXPORT_SYMBOL_GPL(pheap_design_parse);
