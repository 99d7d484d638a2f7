// SPDX-License-Identifier: GPL-2.0
/*
 * pheap size classes: one table, one size -> class function.
 *
 * The classes are the powers of two from 8 to 2048 (OS/161's kheap used
 * 16..2048) with a class half way between each pair from 32 up (48, 96,
 * 192, ...: kmalloc has 96 and 192). Spacing by 1.5 instead of 2 bounds the
 * internal fragmentation of a block at a third of its size instead of half
 * of it; Hoard's b = 1.2 would double the class count, and with it the
 * superblocks a heap holds half empty. Every power of two is a class, so a
 * power-of-two request gets a power-of-two block, naturally aligned: blocks
 * are laid out from the superblock's page-aligned base.
 *
 * size -> class is arithmetic on the bit length of size - 1 (one bsr and a
 * compare): no table to warm, and nothing to initialise.
 * Requests above PHEAP_MAX_SMALL take whole pages (sb.c).
 */
#include <linux/bitops.h>
#include <linux/bug.h>
#include <linux/kernel.h>

#include "internal.h"

const unsigned short pheap_class_sizes[PHEAP_NR_CLASSES] = {
	8, 16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048,
};

static_assert(PHEAP_MAX_SMALL == 2048);
static_assert(ARCH_KMALLOC_MINALIGN <= 8);

/**
 * pheap_size_to_class() - the size class that serves a request
 * @size: bytes requested, 1 .. PHEAP_MAX_SMALL
 *
 * Context: any.
 * Return: the class index.
 */
unsigned int pheap_size_to_class(size_t size)
{
	unsigned int k = fls(size - 1);	/* size is in (2^(k-1), 2^k] */
	unsigned int pow2;

	if (k <= 3)
		return 0;		/* 8 */
	if (k <= 5)
		return k - 3;		/* 16, 32 */
	pow2 = 2 * k - 8;		/* 2^k: 64 is class 4, 2048 class 14 */
	return size <= (3U << (k - 2)) ? pow2 - 1 : pow2;
}

/**
 * pheap_class_size() - block size of a class
 * @idx: class index, below pheap_nr_classes()
 *
 * Context: any.
 * Return: the block size in bytes.
 */
unsigned int pheap_class_size(unsigned int idx)
{
	return idx < PHEAP_NR_CLASSES ? pheap_class_sizes[idx] : 0;
}
EXPORT_SYMBOL_GPL(pheap_class_size);

/**
 * pheap_nr_classes() - number of size classes
 *
 * Context: any.
 * Return: the count.
 */
unsigned int pheap_nr_classes(void)
{
	return PHEAP_NR_CLASSES;
}
EXPORT_SYMBOL_GPL(pheap_nr_classes);

/**
 * pheap_group() - fullness group of a superblock
 * @ci: its class geometry
 * @inuse: blocks in use
 *
 * Group 0 is empty, PHEAP_FULL full, and the groups between split the
 * partial superblocks by thirds of blocks in use.
 *
 * Context: any.
 * Return: the group.
 */
unsigned int pheap_group(const struct pheap_class_info *ci, unsigned int inuse)
{
	unsigned int g;

	for (g = PHEAP_FULL; g > 0; g--)
		if (inuse >= ci->group_min[g])
			return g;
	return 0;
}

/**
 * pheap_class_info_init() - derive a class's geometry for a superblock size
 * @ci: filled in
 * @size: block size
 * @sb_bytes: superblock size S
 *
 * Context: any.
 */
void pheap_class_info_init(struct pheap_class_info *ci, unsigned int size,
			   unsigned int sb_bytes)
{
	unsigned int g, partial = PHEAP_FULL - 1;

	ci->size = size;
	ci->nblocks = sb_bytes / size;
	ci->recip = reciprocal_value(size);
	ci->group_min[0] = 0;
	/* group g (1..partial) starts at (g - 1)/partial of the blocks, >= 1 */
	for (g = 1; g <= partial; g++)
		ci->group_min[g] = max(1U, (g - 1) * ci->nblocks / partial);
	ci->group_min[PHEAP_FULL] = ci->nblocks;
}
