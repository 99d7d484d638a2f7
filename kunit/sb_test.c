// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite pheap_sb: carving a superblock, and pointer -> superblock.
 */
#include <kunit/test.h>
#include <linux/bitmap.h>
#include <linux/slab.h>

#include "helpers.h"

static int pheap_sb_test_init(struct kunit *test)
{
	test->priv = kt_create(test, 0, 0);
	return 0;
}

static void pheap_sb_test_exit(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, pheap_destroy(test->priv), 0UL);
}

/* The free list visits every block of the superblock exactly once. */
static void sb_new_carve_covers_every_block(struct kunit *test)
{
	struct pheap *p = test->priv;
	unsigned long *seen;
	struct pheap_sb *sb;
	unsigned int c, n, idx;
	void *obj;

	seen = kunit_kzalloc(test, BITS_TO_LONGS(1024) * sizeof(long),
			     GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, seen);
	for (c = 0; c < PHEAP_NR_CLASSES; c++) {
		sb = pheap_sb_new(p, c, GFP_KERNEL, numa_mem_id());
		KUNIT_ASSERT_NOT_NULL(test, sb);
		KUNIT_EXPECT_EQ(test, (unsigned int)sb->nblocks,
				p->ci[c].sb_bytes / pheap_csize(c));
		KUNIT_EXPECT_GE(test, (unsigned int)sb->nblocks,
				(unsigned int)PHEAP_MIN_BLOCKS);
		bitmap_zero(seen, 1024);
		n = 0;
		for (idx = sb->free; idx < sb->nblocks && n <= sb->nblocks; n++) {
			obj = pheap_sb_block(p, sb, idx);
			KUNIT_ASSERT_TRUE(test, pheap_sb_block_ok(p, sb, obj));
			KUNIT_EXPECT_FALSE(test, test_and_set_bit(idx, seen));
			idx = pheap_sb_link(sb, obj, idx);
		}
		KUNIT_EXPECT_EQ(test, idx, (unsigned int)sb->nblocks);
		KUNIT_EXPECT_EQ(test, n, (unsigned int)sb->nblocks);
		KUNIT_EXPECT_EQ(test, bitmap_weight(seen, sb->nblocks), n);
		KUNIT_EXPECT_EQ(test, sb->inuse, 0U);
		pheap_sb_release(p, sb);
	}
}

/* Every byte of every block leads back to its superblock in O(1). */
static void sb_lookup_every_block_and_interior(struct kunit *test)
{
	struct pheap *p = test->priv;
	unsigned int c, i, size;
	struct pheap_sb *sb, *found;
	unsigned long tag;
	void *blk;

	for (c = 0; c < PHEAP_NR_CLASSES; c++) {
		sb = pheap_sb_new(p, c, GFP_KERNEL, numa_mem_id());
		KUNIT_ASSERT_NOT_NULL(test, sb);
		size = pheap_csize(c);
		for (i = 0; i < sb->nblocks; i++) {
			blk = sb->base + i * size;
			found = pheap_sb_lookup(blk, &tag);
			KUNIT_EXPECT_PTR_EQ(test, found, sb);
			KUNIT_EXPECT_TRUE(test, pheap_sb_block_ok(p, sb, blk));
			found = pheap_sb_lookup(blk + size - 1, &tag);
			KUNIT_EXPECT_PTR_EQ(test, found, sb);
			if (size > 8)
				KUNIT_EXPECT_FALSE(test, pheap_sb_block_ok(p, sb,
									   blk + 8));
		}
		/* the slack after the last block is not a block */
		blk = sb->base + sb->nblocks * size;
		if (p->ci[c].sb_bytes % size)
			KUNIT_EXPECT_FALSE(test, pheap_sb_block_ok(p, sb, blk));
		pheap_sb_release(p, sb);
	}
}

static int kt_global_var;

/* kmalloc, stack, kernel data and released pages are not pheap's. */
static void sb_lookup_rejects_foreign_pointers(struct kunit *test)
{
	struct pheap *p = test->priv;
	unsigned long tag;
	struct pheap_sb *sb;
	int on_stack;
	void *base, *k;

	k = kunit_kmalloc(test, 64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, k);
	KUNIT_EXPECT_NULL(test, pheap_sb_lookup(k, &tag));
	KUNIT_EXPECT_EQ(test, tag, 0UL);
	KUNIT_EXPECT_NULL(test, pheap_sb_lookup(&on_stack, &tag));
	KUNIT_EXPECT_EQ(test, tag, 0UL);
	KUNIT_EXPECT_NULL(test, pheap_sb_lookup(&kt_global_var, &tag));
	KUNIT_EXPECT_EQ(test, tag, 0UL);

	sb = pheap_sb_new(p, 4, GFP_KERNEL, numa_mem_id());
	KUNIT_ASSERT_NOT_NULL(test, sb);
	base = sb->base;
	pheap_sb_release(p, sb);
	KUNIT_EXPECT_NULL(test, pheap_sb_lookup(base, &tag));
	KUNIT_EXPECT_EQ(test, tag, 0UL);
}

/* A superblock's pages are counted in and out. */
static void sb_pages_accounted(struct kunit *test)
{
	struct pheap *p = test->priv;
	struct pheap_stats st;
	struct pheap_sb *sb;

	sb = pheap_sb_new(p, 0, GFP_KERNEL, numa_mem_id());
	KUNIT_ASSERT_NOT_NULL(test, sb);
	pheap_get_stats(p, &st);
	KUNIT_EXPECT_EQ(test, st.a, (unsigned long)p->ci[0].sb_bytes);
	KUNIT_EXPECT_EQ(test, st.ev[PHEAP_EV_PAGES_IN], 1UL << p->ci[0].order);
	pheap_sb_release(p, sb);
	pheap_get_stats(p, &st);
	KUNIT_EXPECT_EQ(test, st.a, 0UL);
	KUNIT_EXPECT_EQ(test, st.ev[PHEAP_EV_PAGES_OUT], 1UL << p->ci[0].order);
	KUNIT_EXPECT_EQ(test, st.peak_a, (unsigned long)p->ci[0].sb_bytes);
}

/*
 * A superblock released while it is queued on a remote list (a remote
 * free raced its owner's free of the same block, then every block was
 * freed) keeps its pages until the collector takes it off the list.
 */
static void sb_released_while_queued_waits_for_collector(struct kunit *test)
{
	struct pheap *p = test->priv;
	struct pheap_stats st;
	struct pheap_sb *sb;

	/* no owner: the global heap's */
	sb = pheap_sb_new(p, 4, GFP_KERNEL, numa_mem_id());
	KUNIT_ASSERT_NOT_NULL(test, sb);
	/* what that race leaves, queued without arming the collector */
	atomic_long_or(BIT(0), &sb->rfree[0]);
	atomic_long_set(&sb->rsummary, BIT(0) | PHEAP_RS_QUEUED);
	llist_add(&sb->rnode, &pheap_gclass(p, sb->nid, 4)->remote);
	pheap_sb_release(p, sb);
	pheap_get_stats(p, &st);
	KUNIT_EXPECT_EQ(test, st.a, (unsigned long)p->ci[4].sb_bytes);
	pheap_flush(p);
	pheap_get_stats(p, &st);
	KUNIT_EXPECT_EQ(test, st.a, 0UL);
	KUNIT_EXPECT_EQ(test, st.ev[PHEAP_EV_PAGES_OUT], 1UL << p->ci[4].order);
}

static struct kunit_case pheap_sb_cases[] = {
	KUNIT_CASE(sb_new_carve_covers_every_block),
	KUNIT_CASE(sb_lookup_every_block_and_interior),
	KUNIT_CASE(sb_lookup_rejects_foreign_pointers),
	KUNIT_CASE(sb_pages_accounted),
	KUNIT_CASE(sb_released_while_queued_waits_for_collector),
	{}
};

static struct kunit_suite pheap_sb_suite = {
	.name = "pheap_sb",
	.init = pheap_sb_test_init,
	.exit = pheap_sb_test_exit,
	.test_cases = pheap_sb_cases,
};

kunit_test_suite(pheap_sb_suite);
