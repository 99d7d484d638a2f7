// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the boundary-tag design's own claims (btag.c). What every design
 * promises runs in the parametrised suites (pheap_alloc_designs,
 * pheap_context, ...); here, what makes this one the size-header heap:
 *
 *   - a free coalesces at once: no two free blocks are ever adjacent, and
 *     a run whose blocks are all free is one free block again;
 *   - the smallest block is 16 bytes: header, two 32-bit links, footer;
 *   - a header a caller overwrote is found against pheap's own record,
 *     reported, and repaired: no block lost, none handed out twice.
 */
#include <kunit/test.h>
#include <linux/prandom.h>
#include <linux/slab.h>

#include "helpers.h"

#define BT_BLOCKS	600

static struct pheap *bt_create(struct kunit *test)
{
	struct pheap_config cfg;
	struct pheap *p;

	pheap_default_config(&cfg);
	cfg.name = "pheap-kunit";
	cfg.design = "boundary-tag";
	p = pheap_create(&cfg);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, p);
	return p;
}

/* Adjacent free blocks in the runs of @n blocks at @blk (NULLs skipped). */
static unsigned int bt_adjacent_in(struct pheap *p, void **blk, unsigned int n)
{
	unsigned int i, adjacent = 0;
	struct pheap_run *run, *seen[32];
	unsigned int nseen = 0, j;

	for (i = 0; i < n; i++) {
		if (!blk[i])
			continue;
		run = pheap_run_lookup(p, blk[i]);
		for (j = 0; j < nseen && seen[j] != run; j++)
			;
		if (j < nseen || nseen == ARRAY_SIZE(seen))
			continue;
		seen[nseen++] = run;
		adjacent += kt_run_adjacent_free(run);
	}
	return adjacent;
}

/*
 * Mixed sizes freed in a random order: after every free, no two free
 * blocks side by side; at the end, each run kept is one free block.
 */
static void btag_frees_coalesce(struct kunit *test)
{
	struct pheap *p = bt_create(test);
	void **blk = kunit_kcalloc(test, BT_BLOCKS, sizeof(*blk), GFP_KERNEL);
	unsigned int i, j, adjacent = 0;
	struct pheap_stats st;
	struct rnd_state rnd;

	KUNIT_ASSERT_NOT_NULL(test, blk);
	prandom_seed_state(&rnd, 22);
	for (i = 0; i < BT_BLOCKS; i++) {
		blk[i] = pheap_alloc_in(p, 1 + prandom_u32_state(&rnd) % 600,
					GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, blk[i]);
	}
	for (i = 0; i < BT_BLOCKS; i++) {
		j = prandom_u32_state(&rnd) % BT_BLOCKS;
		if (!blk[j])
			continue;
		pheap_free_in(p, blk[j]);
		blk[j] = NULL;
		if (!(i % 16))
			adjacent += bt_adjacent_in(p, blk, BT_BLOCKS);
	}
	KUNIT_EXPECT_EQ(test, adjacent, 0U);
	for (i = 0; i < BT_BLOCKS; i++)
		pheap_free_in(p, blk[i]);
	pheap_get_stats(p, &st);
	KUNIT_EXPECT_EQ(test, st.u, 0UL);
	KUNIT_EXPECT_GE(test, st.run.runs, 1UL);
	/* each run one free block: as large as a run holds, and as many */
	KUNIT_EXPECT_EQ(test, st.run.largest_free,
			PHEAP_RUN_BYTES - PHEAP_RUN_GRANULE);
	KUNIT_EXPECT_EQ(test, st.run.free_bytes,
			st.run.runs * (PHEAP_RUN_BYTES - PHEAP_RUN_GRANULE));
	KUNIT_EXPECT_EQ(test, st.run.hdr_bytes, 0UL);
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_CORRUPT), 0UL);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

/* Bytes the block at @ptr takes, from pheap's record of block starts. */
static unsigned long bt_block_bytes(struct pheap *p, void *ptr)
{
	struct pheap_run *run = pheap_run_lookup(p, ptr);
	int g = pheap_run_granule(run, ptr);

	return (find_next_bit(run->starts, PHEAP_RUN_GRANULES, g + 1) - g) *
	       PHEAP_RUN_GRANULE;
}

/*
 * The notes' 16-byte minimum: 8 bytes asked for take 16 (a 4-byte header
 * and the object); 64 take 80. Objects are 16-byte aligned.
 */
static void btag_block_sizes(struct kunit *test)
{
	static const struct { size_t size; unsigned long bytes; } cases[] = {
		{ 1, 16 }, { 8, 16 }, { 9, 32 }, { 16, 32 }, { 64, 80 },
		{ 100, 144 }, { 4096, 4112 },
	};
	struct pheap *p = bt_create(test);
	struct pheap_stats st;
	unsigned long hdr = 0;
	void *q[ARRAY_SIZE(cases)];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		q[i] = pheap_alloc_in(p, cases[i].size, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, q[i]);
		KUNIT_EXPECT_EQ_MSG(test, bt_block_bytes(p, q[i]), cases[i].bytes,
				    "size %zu", cases[i].size);
		KUNIT_EXPECT_TRUE(test, IS_ALIGNED((unsigned long)q[i], 16));
		hdr += cases[i].bytes - pheap_usable_size_in(p, q[i]);
	}
	pheap_get_stats(p, &st);
	KUNIT_EXPECT_EQ(test, st.run.hdr_bytes, hdr);
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		pheap_free_in(p, q[i]);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

/*
 * A write past the end of a block reaches the next block's header: the
 * next free of that block finds the header against the bitmaps, reports
 * it once, rebuilds every tag, and frees it; nothing is lost, no block
 * is handed out twice.
 */
static void btag_header_overwrite_repaired(struct kunit *test)
{
	struct pheap *p = bt_create(test);
	void *a, *b, *c;
	struct pheap_stats st;

	/* 48 bytes: not a power of two, so no alignment gap between them */
	a = pheap_alloc_in(p, 48, GFP_KERNEL);
	b = pheap_alloc_in(p, 48, GFP_KERNEL);
	c = pheap_alloc_in(p, 48, GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, a && b && c);
	KUNIT_ASSERT_PTR_EQ(test, a + bt_block_bytes(p, a), b);
	/* a's block runs to b's header: fill a's slack and b's header */
	memset(a, 0x5a, bt_block_bytes(p, a));
	pheap_free_in(p, b);
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_CORRUPT), 1UL);
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_BAD_FREE), 0UL);
	KUNIT_EXPECT_EQ(test, pheap_usable_size_in(p, b), 0UL);
	KUNIT_EXPECT_EQ(test, kt_handed_out_twice(p, 64, 2000), 0);
	pheap_free_in(p, a);
	pheap_free_in(p, c);
	pheap_get_stats(p, &st);
	KUNIT_EXPECT_EQ(test, st.u, 0UL);
	KUNIT_EXPECT_EQ(test, st.run.largest_free,
			PHEAP_RUN_BYTES - PHEAP_RUN_GRANULE);
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_CORRUPT), 1UL);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

static struct kunit_case pheap_btag_cases[] = {
	KUNIT_CASE(btag_frees_coalesce),
	KUNIT_CASE(btag_block_sizes),
	KUNIT_CASE(btag_header_overwrite_repaired),
	{}
};

static struct kunit_suite pheap_btag_suite = {
	.name = "pheap_btag",
	.test_cases = pheap_btag_cases,
};

kunit_test_suite(pheap_btag_suite);
