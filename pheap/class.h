/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pheap size classes (class.c): the class table, size -> class, and
 * each class's superblock geometry.
 */
#ifndef _PHEAP_CLASS_H
#define _PHEAP_CLASS_H

#include <linux/align.h>
#include <linux/bitops.h>
#include <linux/cache.h>
#include <linux/log2.h>
#include <linux/reciprocal_div.h>

/* Size classes (class.c): 8 .. 4096 bytes; larger requests take pages. */
#define PHEAP_NR_CLASSES	17
#define PHEAP_MAX_SMALL		4096
/*
 * A superblock holds PHEAP_WANT_BLOCKS blocks where that fits in order
 * PHEAP_MAX_SB_ORDER, and never fewer than PHEAP_MIN_BLOCKS (class.c).
 */
#define PHEAP_WANT_BLOCKS	16
#define PHEAP_MAX_SB_ORDER	3
#define PHEAP_MIN_BLOCKS	8

/*
 * Fullness groups: 0 holds empty superblocks, PHEAP_FULL full ones, and
 * 1..PHEAP_FULL-1 partial ones by thirds of their blocks in use.
 */
#define PHEAP_GROUPS		5
#define PHEAP_FULL		(PHEAP_GROUPS - 1)

/**
 * struct pheap_class_info - geometry of a class for this instance
 * @size:     block size
 * @nblocks:  blocks per superblock (at least PHEAP_MIN_BLOCKS, at most
 *	      PHEAP_SB_MAX_BLOCKS)
 * @order:    a superblock is PAGE_SIZE << @order bytes
 * @sb_bytes: that size
 * @bm_words: words of each bitmap of a descriptor
 * @live_off: offset of the live bitmap in the descriptor
 * @desc_bytes: size of the descriptor
 * @recip:    reciprocal of @size, for pointer -> block index
 * @group_min: a superblock in group g has at least group_min[g] blocks in
 *	     use; a free that drops it below moves it down
 */
struct pheap_class_info {
	unsigned int size;
	unsigned int nblocks;
	unsigned int order;
	unsigned int sb_bytes;
	unsigned int bm_words;
	unsigned int live_off;
	unsigned int desc_bytes;
	struct reciprocal_value recip;
	unsigned int group_min[PHEAP_GROUPS];
};

/*
 * Where the three bitmaps of pheap_free_rcu() (rcu.c) start in a
 * descriptor of @ci, on a cache line of their own after the live bitmap.
 * Derived, not stored: the class table's stride is the fast paths'.
 */
static inline unsigned int
pheap_class_rcu_off(const struct pheap_class_info *ci)
{
	return ALIGN(ci->live_off + ci->bm_words * sizeof(unsigned long),
		     SMP_CACHE_BYTES);
}

/* class.c */
extern const unsigned short pheap_class_sizes[PHEAP_NR_CLASSES];
extern const unsigned char pheap_refill_groups[PHEAP_GROUPS - 1];
void pheap_class_info_init(struct pheap_class_info *ci, unsigned int size,
			   unsigned int min_order);
unsigned int pheap_group(const struct pheap_class_info *ci, unsigned int inuse);

static inline unsigned int pheap_csize(unsigned int cls)
{
	return pheap_class_sizes[cls];
}

/**
 * pheap_size_to_class() - the size class that serves a request
 * @size: bytes requested, 1 .. PHEAP_MAX_SMALL
 *
 * Arithmetic on the bit length of @size - 1, inline on the allocation
 * path (class.c describes the classes).
 *
 * Context: any.
 * Return: the class index.
 */
static __always_inline unsigned int pheap_size_to_class(size_t size)
{
	unsigned int k = fls(size - 1);	/* size is in (2^(k-1), 2^k] */
	unsigned int pow2;

	if (k <= 3)
		return 0;		/* 8 */
	if (k <= 5)
		return k - 3;		/* 16, 32 */
	pow2 = 2 * k - 8;		/* 2^k: 64 is class 4, 4096 class 16 */
	return size <= (3U << (k - 2)) ? pow2 - 1 : pow2;
}

#endif /* _PHEAP_CLASS_H */
