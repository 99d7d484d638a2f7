// SPDX-License-Identifier: GPL-2.0
/*
 * pheap designs: their names.
 */
#include <linux/build_bug.h>
#include <linux/export.h>
#include <linux/printk.h>
#include <linux/string.h>

#include "pheap.h"

const char *const pheap_design_names[PHEAP_DESIGN_NR] = {
	[PHEAP_DESIGN_KHEAP]		= "kheap",
	[PHEAP_DESIGN_SERIAL]		= "serial",
	[PHEAP_DESIGN_CLASS_LOCK]	= "class-lock",
	[PHEAP_DESIGN_PRIVATE]		= "private",
	[PHEAP_DESIGN_OWNERSHIP]	= "ownership",
	[PHEAP_DESIGN_HOARD]		= "hoard",
};
EXPORT_SYMBOL_GPL(pheap_design_names);
static_assert(ARRAY_SIZE(pheap_design_names) == PHEAP_DESIGN_NR);

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
	int i;

	if (!name || !*name)
		return PHEAP_DESIGN_HOARD;
	i = match_string(pheap_design_names, PHEAP_DESIGN_NR, name);
	if (i < 0)
		pr_err("pheap: unknown design '%s': valid are kheap, serial, class-lock, private, ownership, hoard\n",
		       name);
	return i;
}
EXPORT_SYMBOL_GPL(pheap_design_parse);
