// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite pheap_class: the size-class table, size -> class, and the
 * fullness groups.
 */
#include <kunit/test.h>
#include <linux/log2.h>

#include "helpers.h"

/* Every size maps to the smallest class that holds it. */
static void size_to_class_every_size(struct kunit *test)
{
	unsigned int c, size;

	for (size = 1; size <= PHEAP_MAX_SMALL; size++) {
		c = pheap_size_to_class(size);
		KUNIT_ASSERT_LT(test, c, PHEAP_NR_CLASSES);
		KUNIT_EXPECT_GE_MSG(test, pheap_csize(c), size, "size %u", size);
		if (c > 0)
			KUNIT_EXPECT_LT_MSG(test, pheap_csize(c - 1), size,
					    "size %u", size);
	}
}

/* At each boundary: the class size itself, one above, one below. */
static void size_to_class_boundaries(struct kunit *test)
{
	unsigned int c, s;

	KUNIT_EXPECT_EQ(test, pheap_size_to_class(1), 0U);
	for (c = 0; c < PHEAP_NR_CLASSES; c++) {
		s = pheap_csize(c);
		KUNIT_EXPECT_EQ_MSG(test, pheap_size_to_class(s), c, "size %u", s);
		/* classes are at least 8 apart: s - 1 is still class c */
		KUNIT_EXPECT_EQ_MSG(test, pheap_size_to_class(s - 1), c,
				    "size %u", s - 1);
		if (c + 1 < PHEAP_NR_CLASSES)
			KUNIT_EXPECT_EQ_MSG(test, pheap_size_to_class(s + 1),
					    c + 1, "size %u", s + 1);
	}
}

/* Sizes ascend, are 8-byte multiples, and every power of two is a class. */
static void class_table_shape(struct kunit *test)
{
	unsigned int c, s;

	for (c = 0; c < PHEAP_NR_CLASSES; c++) {
		KUNIT_EXPECT_EQ(test, pheap_csize(c) % 8, 0U);
		if (c)
			KUNIT_EXPECT_GT(test, pheap_csize(c), pheap_csize(c - 1));
	}
	KUNIT_EXPECT_EQ(test, pheap_csize(PHEAP_NR_CLASSES - 1),
			(unsigned int)PHEAP_MAX_SMALL);
	for (s = 8; s <= PHEAP_MAX_SMALL; s *= 2)
		KUNIT_EXPECT_EQ(test, pheap_csize(pheap_size_to_class(s)), s);
	KUNIT_EXPECT_EQ(test, pheap_nr_classes(), (unsigned int)PHEAP_NR_CLASSES);
	KUNIT_EXPECT_EQ(test, pheap_class_size(PHEAP_NR_CLASSES), 0U);
}

/*
 * Each class's superblock is the smallest that holds PHEAP_WANT_BLOCKS
 * blocks, capped at order PHEAP_MAX_SB_ORDER (and never below
 * PHEAP_MIN_BLOCKS, checked in group_of_inuse).
 */
static void geometry_want_blocks_up_to_cap(struct kunit *test)
{
	struct pheap_class_info ci;
	unsigned int c, size;

	for (c = 0; c < PHEAP_NR_CLASSES; c++) {
		size = pheap_csize(c);
		pheap_class_info_init(&ci, size, 0);
		KUNIT_EXPECT_LE(test, ci.order, (unsigned int)PHEAP_MAX_SB_ORDER);
		KUNIT_EXPECT_TRUE_MSG(test, ci.nblocks >= PHEAP_WANT_BLOCKS ||
				      ci.order == PHEAP_MAX_SB_ORDER,
				      "class %u: %u blocks", size, ci.nblocks);
		if (ci.order)
			KUNIT_EXPECT_LT_MSG(test,
					    (unsigned int)(PAGE_SIZE << (ci.order - 1)) / size,
					    (unsigned int)PHEAP_WANT_BLOCKS,
					    "class %u: order %u is not the smallest",
					    size, ci.order);
	}
}

/* Group 0 is empty only, PHEAP_FULL full only, monotone in between. */
static void group_of_inuse(struct kunit *test)
{
	struct pheap_class_info ci;
	unsigned int c, n, g, prev;

	for (c = 0; c < PHEAP_NR_CLASSES; c++) {
		pheap_class_info_init(&ci, pheap_csize(c), 0);
		KUNIT_EXPECT_EQ(test, ci.nblocks, ci.sb_bytes / pheap_csize(c));
		KUNIT_EXPECT_GE(test, ci.nblocks, (unsigned int)PHEAP_MIN_BLOCKS);
		KUNIT_EXPECT_EQ(test, ci.sb_bytes, (unsigned int)PAGE_SIZE << ci.order);
		KUNIT_EXPECT_EQ(test, pheap_group(&ci, 0), 0U);
		KUNIT_EXPECT_EQ(test, pheap_group(&ci, ci.nblocks),
				(unsigned int)PHEAP_FULL);
		prev = 0;
		for (n = 1; n < ci.nblocks; n++) {
			g = pheap_group(&ci, n);
			KUNIT_EXPECT_GE(test, g, 1U);
			KUNIT_EXPECT_LT(test, g, (unsigned int)PHEAP_FULL);
			KUNIT_EXPECT_GE(test, g, prev);
			prev = g;
		}
	}
}

static struct kunit_case pheap_class_cases[] = {
	KUNIT_CASE(size_to_class_every_size),
	KUNIT_CASE(size_to_class_boundaries),
	KUNIT_CASE(class_table_shape),
	KUNIT_CASE(geometry_want_blocks_up_to_cap),
	KUNIT_CASE(group_of_inuse),
	{}
};

static struct kunit_suite pheap_class_suite = {
	.name = "pheap_class",
	.test_cases = pheap_class_cases,
};

kunit_test_suite(pheap_class_suite);
