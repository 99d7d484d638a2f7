// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite pheap_family: the kmalloc family over pheap
 * (pheap/family.c) keeps the kernel's semantics: kmalloc_array()'s and
 * kcalloc()'s overflow checks, kcalloc()'s zeroing, krealloc()'s every
 * case (NULL, size 0, in place, moved, failure leaving the block, the
 * grown part zeroed with __GFP_ZERO, a foreign pointer reported), and
 * kmem_cache_alloc_bulk()'s all-or-nothing contract (pheap_alloc_bulk(),
 * pheap_free_bulk(): distinct blocks, zeroed on request, nothing left
 * behind by a bulk that failed half way, a bad pointer among good ones).
 */
#include <kunit/test.h>
#include <linux/slab.h>

#include "helpers.h"

static void family_array_overflow_is_null(struct kunit *test)
{
	struct pheap *p = kt_create(test, 0, 0);
	unsigned long fails = kt_event(p, PHEAP_EV_ALLOC_FAIL);
	u8 *q;

	KUNIT_EXPECT_NULL(test, pheap_alloc_array_in(p, SIZE_MAX / 2 + 1, 2,
						     GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, pheap_calloc_in(p, 3, SIZE_MAX / 3 + 1,
						GFP_KERNEL));
	/* refused before any allocation: nothing counted */
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_ALLOC_FAIL), fails);
	q = pheap_alloc_array_in(p, 25, 40, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_GE(test, pheap_usable_size_in(p, q), 1000UL);
	pheap_free_in(p, q);
	KUNIT_EXPECT_PTR_EQ(test, pheap_alloc_array_in(p, 0, 40, GFP_KERNEL),
			    ZERO_SIZE_PTR);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

/* calloc zeroes, even a block that comes back dirty (LIFO reuse). */
static void family_calloc_zeroes(struct kunit *test)
{
	struct pheap *p = kt_create(test, 0, 0);
	u8 *q, *r;

	migrate_disable();
	q = pheap_alloc_in(p, 200, GFP_KERNEL);
	if (q)
		memset(q, 0xa5, pheap_usable_size_in(p, q));
	pheap_free_in(p, q);
	r = pheap_calloc_in(p, 10, 20, GFP_KERNEL);
	migrate_enable();
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_ASSERT_NOT_NULL(test, r);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(r, 0, 200));
	pheap_free_in(p, r);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

static void family_realloc_cases(struct kunit *test)
{
	struct pheap *p = kt_create(test, 0, 0);
	u8 *q, *r;
	size_t i;

	/* NULL allocates; ZERO_SIZE_PTR too */
	q = pheap_realloc_in(p, NULL, 100, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	for (i = 0; i < 100; i++)
		q[i] = i;
	/* within the usable size (128): in place */
	KUNIT_EXPECT_PTR_EQ(test, pheap_realloc_in(p, q, 120, GFP_KERNEL),
			    (void *)q);
	KUNIT_EXPECT_PTR_EQ(test, pheap_realloc_in(p, q, 10, GFP_KERNEL),
			    (void *)q);
	/* beyond it: moved, contents kept, the old block freed */
	r = pheap_realloc_in(p, q, 3000, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	KUNIT_EXPECT_PTR_NE(test, r, q);
	for (i = 0; i < 100; i++)
		KUNIT_EXPECT_EQ(test, r[i], (u8)i);
	pheap_free_in(p, q);		/* already freed by the move */
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_BAD_FREE), 1UL);
	/* size 0 frees */
	KUNIT_EXPECT_PTR_EQ(test, pheap_realloc_in(p, r, 0, GFP_KERNEL),
			    ZERO_SIZE_PTR);
	pheap_free_in(p, r);
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_BAD_FREE), 2UL);
	q = pheap_realloc_in(p, ZERO_SIZE_PTR, 8, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_PTR_NE(test, (void *)q, ZERO_SIZE_PTR);
	pheap_free_in(p, q);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

/* A move that cannot be served: NULL, the old block whole and still live. */
static void family_realloc_failure_keeps_block(struct kunit *test)
{
	struct pheap *p = kt_create(test, 0, 0);
	u8 *q;

	q = pheap_alloc_in(p, 64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	memset(q, 0x3c, 64);
	KUNIT_ASSERT_EQ(test, pheap_fault_set(p, 1, 0), 0);
	KUNIT_EXPECT_NULL(test, pheap_realloc_in(p, q, 5 * PAGE_SIZE,
						 GFP_KERNEL | __GFP_NOWARN));
	KUNIT_ASSERT_EQ(test, pheap_fault_set(p, 0, 0), 0);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(q, 0x3c, 64));
	pheap_free_in(p, q);		/* still the caller's: no bad free */
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_BAD_FREE), 0UL);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

/*
 * __GFP_ZERO on every call: what was never written reads as zero after
 * a shrink and a growth in place, and after a move.
 */
static void family_realloc_zeroes_grown_part(struct kunit *test)
{
	struct pheap *p = kt_create(test, 0, 0);
	gfp_t gfp = GFP_KERNEL | __GFP_ZERO;
	u8 *q, *r;

	q = pheap_realloc_in(p, NULL, 100, gfp);
	KUNIT_ASSERT_NOT_NULL(test, q);
	memset(q, 0x5a, 100);
	KUNIT_EXPECT_PTR_EQ(test, pheap_realloc_in(p, q, 50, gfp), (void *)q);
	KUNIT_EXPECT_PTR_EQ(test, pheap_realloc_in(p, q, 120, gfp), (void *)q);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(q, 0x5a, 50));
	KUNIT_EXPECT_TRUE(test, !memchr_inv(q + 50, 0, 70));
	r = pheap_realloc_in(p, q, 2000, gfp);
	KUNIT_ASSERT_NOT_NULL(test, r);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(r, 0x5a, 50));
	KUNIT_EXPECT_TRUE(test, !memchr_inv(r + 50, 0, 1950));
	pheap_free_in(p, r);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

/* A pointer pheap did not hand out: reported as a bad free, NULL. */
static void family_realloc_foreign_pointer_reported(struct kunit *test)
{
	struct pheap *p = kt_create(test, 0, 0);
	void *k = kunit_kmalloc(test, 64, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, k);
	KUNIT_EXPECT_NULL(test, pheap_realloc_in(p, k, 200, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_BAD_FREE), 1UL);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

/* The bulk sizes: the smallest class, a mid one, a large allocation. */
static const size_t bulk_sizes[] = { 8, 192, 3 * PAGE_SIZE };

/*
 * A bulk of distinct blocks, each zeroed with __GFP_ZERO and then marked
 * as its own; the bulk free takes them all back, and NULL and
 * ZERO_SIZE_PTR among them are skipped.
 */
static void family_bulk_distinct_and_back(struct kunit *test)
{
	struct pheap *p = kt_create(test, 0, 0);
	unsigned int n = 300, i, j, s;
	struct pheap_stats st;
	void **v;

	v = kunit_kcalloc(test, n + 2, sizeof(*v), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, v);
	for (s = 0; s < ARRAY_SIZE(bulk_sizes); s++) {
		size_t size = bulk_sizes[s];

		KUNIT_ASSERT_EQ(test, pheap_alloc_bulk_in(p, size,
							  GFP_KERNEL | __GFP_ZERO,
							  n, v), (int)n);
		for (i = 0; i < n; i++) {
			KUNIT_ASSERT_GE(test, pheap_usable_size_in(p, v[i]), size);
			KUNIT_EXPECT_TRUE(test, !memchr_inv(v[i], 0, size));
			memset(v[i], 0, size);
			*(unsigned int *)v[i] = i;
		}
		for (i = 0; i < n; i++)
			for (j = 0; j < size / sizeof(unsigned int); j++)
				KUNIT_ASSERT_EQ(test, ((unsigned int *)v[i])[j],
						j ? 0 : i);
		v[n] = NULL;
		v[n + 1] = ZERO_SIZE_PTR;
		pheap_free_bulk_in(p, n + 2, v);
		pheap_flush(p);
		pheap_get_stats(p, &st);
		KUNIT_EXPECT_EQ_MSG(test, st.u, 0UL, "size %zu", size);
	}
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_BAD_FREE), 0UL);
	/* counted: the blocks of whole bulks, the pointers freed in bulk */
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_BULK_ALLOC),
			(unsigned long)n * ARRAY_SIZE(bulk_sizes));
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_BULK_FREE),
			(unsigned long)n * ARRAY_SIZE(bulk_sizes));
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

/* A bulk whose third page request fails: 0, and nothing left allocated. */
static void family_bulk_all_or_nothing(struct kunit *test)
{
	struct pheap *p = kt_create(test, 0, 0);
	unsigned int n = 3 * p->ci[pheap_size_to_class(64)].nblocks;
	struct pheap_stats st;
	void **v;

	if (p->ops->usable_size)	/* page runs: more than 2 runs' worth */
		n = 3 * PHEAP_RUN_BYTES / 64;
	v = kunit_kcalloc(test, n, sizeof(*v), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, v);
	KUNIT_ASSERT_EQ(test, pheap_fault_set(p, 3, 0), 0);
	KUNIT_EXPECT_EQ(test, pheap_alloc_bulk_in(p, 64, GFP_KERNEL | __GFP_NOWARN,
						  n, v), 0);
	KUNIT_ASSERT_EQ(test, pheap_fault_set(p, 0, 0), 0);
	pheap_flush(p);
	pheap_get_stats(p, &st);
	KUNIT_EXPECT_EQ(test, st.u, 0UL);
	KUNIT_EXPECT_GE(test, kt_event(p, PHEAP_EV_ALLOC_FAIL), 1UL);
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_BAD_FREE), 0UL);
	KUNIT_EXPECT_EQ(test, pheap_alloc_bulk_in(p, 64, GFP_KERNEL,
						  (size_t)INT_MAX + 1, v), 0);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

/* A pointer pheap did not hand out among good ones: reported, refused. */
static void family_bulk_free_bad_pointer(struct kunit *test)
{
	struct pheap *p = kt_create(test, 0, 0);
	void *k = kunit_kmalloc(test, 64, GFP_KERNEL);
	struct pheap_stats st;
	void *v[5];

	KUNIT_ASSERT_NOT_NULL(test, k);
	KUNIT_ASSERT_EQ(test, pheap_alloc_bulk_in(p, 64, GFP_KERNEL, 4, v), 4);
	v[4] = v[3];
	v[3] = k;
	pheap_free_bulk_in(p, 5, v);
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_BAD_FREE), 1UL);
	pheap_flush(p);
	pheap_get_stats(p, &st);
	KUNIT_EXPECT_EQ(test, st.u, 0UL);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

static struct kunit_case pheap_family_cases[] = {
	KUNIT_CASE_PARAM(family_array_overflow_is_null, kt_design_params),
	KUNIT_CASE_PARAM(family_calloc_zeroes, kt_design_params),
	KUNIT_CASE_PARAM(family_realloc_cases, kt_design_params),
	KUNIT_CASE_PARAM(family_realloc_failure_keeps_block, kt_design_params),
	KUNIT_CASE_PARAM(family_realloc_zeroes_grown_part, kt_design_params),
	KUNIT_CASE_PARAM(family_realloc_foreign_pointer_reported, kt_design_params),
	KUNIT_CASE_PARAM(family_bulk_distinct_and_back, kt_design_params),
	KUNIT_CASE_PARAM(family_bulk_all_or_nothing, kt_design_params),
	KUNIT_CASE_PARAM(family_bulk_free_bad_pointer, kt_design_params),
	{}
};

static struct kunit_suite pheap_family_suite = {
	.name = "pheap_family",
	.test_cases = pheap_family_cases,
};

kunit_test_suite(pheap_family_suite);
