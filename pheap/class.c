// SPDX-License-Identifier: GPL-2.0
/*
 * pheap size classes: one table, one size -> class function.
 *
 * The classes are the powers of two from 8 to 4096 (OS/161's kheap used
 * 16..2048; kmalloc goes on to 8192) with a class half way between each
 * pair from 32 up (48, 96, 192, ..., 3072: kmalloc has 96 and 192).
 * Spacing by 1.5 instead of 2 bounds the internal fragmentation of a
 * block at a third of its size instead of half of it; Hoard's b = 1.2
 * would double the class count, and with it the superblocks a heap holds
 * half empty. Every power of two is a class, so a
 * power-of-two request gets a power-of-two block, naturally aligned: blocks
 * are laid out from the superblock's page-aligned base.
 *
 * size -> class is arithmetic on the bit length of size - 1 (one bsr and a
 * compare, pheap_size_to_class() in class.h, inline on the allocation
 * path): no table to warm, and nothing to initialise.
 * Requests above PHEAP_MAX_SMALL take whole pages (large.c).
 *
 * Superblock geometry: each class gets the smallest superblock, at least
 * PAGE_SIZE << sb_order, that holds PHEAP_WANT_BLOCKS (16) blocks, but
 * no larger than order PHEAP_MAX_SB_ORDER (32 KiB): SLUB's rule for
 * kmalloc caches on a machine of 4 CPUs (at least 16 objects a slab, at
 * most order 3). With 4 KiB pages and sb_order 0: one page up to
 * 256-byte blocks, 8 KiB for 384 and 512, 16 KiB for 768 and 1024, 32 KiB
 * from 1536 up (16 to 21 blocks; 10 of 3072, 8 of 4096). Measured against
 * 8 blocks a superblock (half these sizes from 384 up), the mixed-sizes
 * scenario refilled on 1.1 % of its allocations instead of 6.1 % and
 * moved superblocks on 0.6 % of its operations instead of 1.5 %, for
 * 2.3 times its live bytes held instead of 2.0 (fresh SLUB caches: 2.6);
 * make demo's workload, half of it 1536 and 2048 bytes, refilled on 19 %
 * instead of 38 %. Larger superblocks still would hold pages that a CPU
 * using a class lightly never fills, and need higher-order pages. What a
 * superblock cannot fill with whole blocks is slack: 2 KiB of the 32 KiB
 * for 1536 and for 3072, otherwise at most a block less a byte.
 *
 * A superblock holds at most PHEAP_SB_MAX_BLOCKS (3968) blocks, the most
 * its remote-free summary word can cover (remote.c): that caps only the
 * 8-byte class at sb_order 3, at 3968 of the 4096 it could hold.
 */
#include <linux/bitops.h>
#include <linux/bug.h>
#include <linux/kernel.h>

#include "class.h"
#include "sb.h"

const unsigned short pheap_class_sizes[PHEAP_NR_CLASSES] = {
	8, 16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048,
	3072, 4096,
};

static_assert(PHEAP_MAX_SMALL == 4096);
static_assert(PHEAP_MIN_BLOCKS * PHEAP_MAX_SMALL <= PAGE_SIZE << PHEAP_MAX_SB_ORDER);

/*
 * Where a refill looks, in order (heap.c, global.c): the emptiest
 * partial superblocks (at most a third of their blocks in use), then
 * fuller ones, then nearly full ones, then empty ones, so that a refill
 * buys as many blocks as a partial superblock has and empty superblocks
 * are left to be returned. Hoard's fullest-first would pick a superblock
 * with one block just freed into it, and refill again at the next
 * allocation (measured: larson refilled on 41 % of its allocations);
 * against the order 2, 1, 3, 0 this measured fewer refills (larson 32 %
 * against 34 %, make demo 17 % against 19 %) and no more memory held.
 */
const unsigned char pheap_refill_groups[PHEAP_GROUPS - 1] = { 1, 2, 3, 0 };
static_assert(PHEAP_GROUPS == 5);
static_assert(ARCH_KMALLOC_MINALIGN <= 8);

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

/*
 * The descriptor of a superblock of @ci: struct pheap_sb, whose remote
 * part starts on a cache line of its own and ends with the remote-free
 * bitmap, then the live bitmap on the next cache line, so that remote
 * freers and the owner do not write the same line; last, on a line of
 * their own again, pheap_free_rcu()'s three bitmaps (held, fallback,
 * ripe: sb.h).
 */
static void pheap_class_desc_layout(struct pheap_class_info *ci)
{
	unsigned int bm_bytes;

	ci->bm_words = BITS_TO_LONGS(ci->nblocks);
	bm_bytes = ci->bm_words * sizeof(unsigned long);
	ci->live_off = ALIGN(struct_size_t(struct pheap_sb, rfree, ci->bm_words),
			     SMP_CACHE_BYTES);
	ci->desc_bytes = pheap_class_rcu_off(ci) + 3 * bm_bytes;
}

/**
 * pheap_class_info_init() - derive a class's geometry
 * @ci: filled in
 * @size: block size
 * @min_order: the smallest superblock order (the instance's sb_order)
 *
 * Context: any.
 */
void pheap_class_info_init(struct pheap_class_info *ci, unsigned int size,
			   unsigned int min_order)
{
	unsigned int g, partial = PHEAP_FULL - 1;

	ci->size = size;
	ci->order = max_t(unsigned int, min_order,
			  min_t(unsigned int, get_order(PHEAP_WANT_BLOCKS * size),
				PHEAP_MAX_SB_ORDER));
	ci->sb_bytes = PAGE_SIZE << ci->order;
	ci->nblocks = min_t(unsigned int, ci->sb_bytes / size,
			    PHEAP_SB_MAX_BLOCKS);
	ci->recip = reciprocal_value(size);
	pheap_class_desc_layout(ci);
	ci->group_min[0] = 0;
	/* group g (1..partial) starts at (g - 1)/partial of the blocks, >= 1 */
	for (g = 1; g <= partial; g++)
		ci->group_min[g] = max(1U, (g - 1) * ci->nblocks / partial);
	ci->group_min[PHEAP_FULL] = ci->nblocks;
}
