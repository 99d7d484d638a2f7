// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite pheap_fault: page requests failed on purpose (fault.c).
 * Every injected failure becomes a NULL for its caller, counted; nothing
 * else changes: the blocks handed out are intact and distinct, and
 * destroy finds everything freed and gives every page back.
 */
#include <kunit/test.h>

#include "helpers.h"

#define FT_ALLOCS	1500

/* Request sizes: every class, and two large sizes, in turn. */
static size_t ft_size(unsigned int i)
{
	unsigned int n = PHEAP_NR_CLASSES + 2;

	if (i % n < PHEAP_NR_CLASSES)
		return pheap_csize(i % n);
	return i % n == PHEAP_NR_CLASSES ? 2 * PAGE_SIZE : 5 * PAGE_SIZE;
}

/*
 * Allocate FT_ALLOCS blocks of every size with failures injected, check
 * the counters and the blocks, free them all, then check with injection
 * off that no block is handed out twice. Return: the NULLs seen.
 */
static unsigned int ft_run(struct kunit *test, struct pheap *p)
{
	void **blk = kunit_kcalloc(test, FT_ALLOCS, sizeof(void *), GFP_KERNEL);
	unsigned int i, nulls = 0;

	KUNIT_ASSERT_NOT_NULL(test, blk);
	for (i = 0; i < FT_ALLOCS; i++) {
		blk[i] = pheap_alloc_in(p, ft_size(i), GFP_KERNEL | __GFP_NOWARN);
		if (!blk[i])
			nulls++;
		else
			kt_fill(blk[i], ft_size(i));
	}
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_FAULT), (unsigned long)nulls);
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_ALLOC_FAIL), (unsigned long)nulls);
	for (i = 0; i < FT_ALLOCS; i++) {
		if (!blk[i])
			continue;
		KUNIT_EXPECT_TRUE(test, kt_intact(blk[i], ft_size(i)));
		KUNIT_EXPECT_GE(test, pheap_usable_size_in(p, blk[i]), ft_size(i));
		pheap_free_in(p, blk[i]);
	}
	KUNIT_EXPECT_EQ(test, pheap_fault_set(p, 0, 0), 0);
	KUNIT_EXPECT_EQ(test, kt_handed_out_twice(p, 64, 256), 0);
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_BAD_FREE), 0UL);
	return nulls;
}

/* Every 3rd page request fails: some allocations are NULL, not all. */
static void fault_every_nth_page_request(struct kunit *test)
{
	struct pheap *p = kt_create(test, 0, 0);
	unsigned int nulls;

	KUNIT_ASSERT_EQ(test, pheap_fault_set(p, 3, 0), 0);
	nulls = ft_run(test, p);
	kunit_info(test, "%u of %u allocations failed", nulls, FT_ALLOCS);
	KUNIT_EXPECT_GT(test, nulls, 0U);
	KUNIT_EXPECT_LT(test, nulls, FT_ALLOCS / 2U);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

/* Half the page requests fail, at random. */
static void fault_percent_of_page_requests(struct kunit *test)
{
	struct pheap *p = kt_create(test, 0, 0);
	unsigned int nulls;

	KUNIT_ASSERT_EQ(test, pheap_fault_set(p, 0, 50), 0);
	nulls = ft_run(test, p);
	kunit_info(test, "%u of %u allocations failed", nulls, FT_ALLOCS);
	KUNIT_EXPECT_GT(test, nulls, 0U);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

/* Every page request fails: only NULLs, and nothing held. */
static void fault_every_request(struct kunit *test)
{
	struct pheap *p = kt_create(test, 0, 0);
	struct pheap_stats st;

	KUNIT_ASSERT_EQ(test, pheap_fault_set(p, 1, 0), 0);
	KUNIT_EXPECT_NULL(test, pheap_alloc_in(p, 64, GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, pheap_alloc_in(p, 3 * PAGE_SIZE, GFP_KERNEL));
	pheap_get_stats(p, &st);
	KUNIT_EXPECT_EQ(test, st.a, 0UL);
	KUNIT_EXPECT_EQ(test, st.ev[PHEAP_EV_FAULT], 2UL);
	KUNIT_EXPECT_EQ(test, pheap_fault_set(p, 0, 101), -EINVAL);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

static struct kunit_case pheap_fault_cases[] = {
	KUNIT_CASE(fault_every_nth_page_request),
	KUNIT_CASE(fault_percent_of_page_requests),
	KUNIT_CASE(fault_every_request),
	{}
};

static struct kunit_suite pheap_fault_suite = {
	.name = "pheap_fault",
	.test_cases = pheap_fault_cases,
};

kunit_test_suite(pheap_fault_suite);
