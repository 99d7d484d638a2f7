// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite pheap_alloc: the allocation API on a private instance:
 * content, alignment, zeroing, usable size, the large path, absurd sizes,
 * bad frees, and destroy's leak count.
 */
#include <kunit/test.h>
#include <linux/prandom.h>
#include <linux/slab.h>

#include "helpers.h"

#define NR_BLOCKS 2000

static int pheap_alloc_test_init(struct kunit *test)
{
	test->priv = kt_create(test, 0, 0);
	return 0;
}

static void pheap_alloc_test_exit(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, pheap_destroy(test->priv), 0UL);
}

/*
 * Random sizes, every block filled with a pattern from its address and
 * checked before it is freed, in random order: overlapping blocks or a
 * free list threaded through live data would show.
 */
static void alloc_free_pattern_random_sizes(struct kunit *test)
{
	struct pheap *p = test->priv;
	struct rnd_state rnd;
	size_t *size;
	void **blk;
	unsigned int i, j;

	blk = kunit_kcalloc(test, NR_BLOCKS, sizeof(*blk), GFP_KERNEL);
	size = kunit_kcalloc(test, NR_BLOCKS, sizeof(*size), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, blk);
	KUNIT_ASSERT_NOT_NULL(test, size);
	prandom_seed_state(&rnd, 42);
	for (i = 0; i < NR_BLOCKS; i++) {
		size[i] = 1 + prandom_u32_state(&rnd) % PHEAP_MAX_SMALL;
		blk[i] = pheap_alloc_in(p, size[i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, blk[i]);
		kt_fill(blk[i], pheap_usable_size_in(p, blk[i]));
	}
	for (i = 0; i < NR_BLOCKS; i++) {
		j = prandom_u32_state(&rnd) % NR_BLOCKS;
		swap(blk[i], blk[j]);
		swap(size[i], size[j]);
	}
	for (i = 0; i < NR_BLOCKS; i++) {
		KUNIT_EXPECT_TRUE_MSG(test, kt_intact(blk[i], size[i]),
				      "block %u of %zu bytes overwritten", i,
				      size[i]);
		pheap_free_in(p, blk[i]);
		/* reuse half of them at once: freed blocks come back */
		if (i % 2 == 0) {
			blk[i] = pheap_alloc_in(p, size[i], GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, blk[i]);
			kt_fill(blk[i], size[i]);
		} else {
			blk[i] = NULL;
		}
	}
	for (i = 0; i < NR_BLOCKS; i += 2) {
		KUNIT_EXPECT_TRUE(test, kt_intact(blk[i], size[i]));
		pheap_free_in(p, blk[i]);
	}
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_BAD_FREE), 0UL);
}

static void alloc_zero_size_and_null_free(struct kunit *test)
{
	struct pheap *p = test->priv;

	KUNIT_EXPECT_PTR_EQ(test, pheap_alloc_in(p, 0, GFP_KERNEL),
			    (void *)ZERO_SIZE_PTR);
	pheap_free_in(p, NULL);
	pheap_free_in(p, ZERO_SIZE_PTR);
	KUNIT_EXPECT_EQ(test, pheap_usable_size_in(p, NULL), (size_t)0);
	KUNIT_EXPECT_EQ(test, pheap_usable_size_in(p, ZERO_SIZE_PTR), (size_t)0);
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_BAD_FREE), 0UL);
}

/* At least 8-byte aligned; power-of-two sizes up to PAGE_SIZE naturally. */
static void alloc_alignment(struct kunit *test)
{
	struct pheap *p = test->priv;
	size_t size;
	void *a[8];
	int i;

	for (size = 1; size <= 3 * PAGE_SIZE; size += 37) {
		void *q = pheap_alloc_in(p, size, GFP_KERNEL);

		KUNIT_ASSERT_NOT_NULL(test, q);
		bool aligned = IS_ALIGNED((unsigned long)q, ARCH_KMALLOC_MINALIGN);

		KUNIT_EXPECT_TRUE_MSG(test, aligned, "size %zu", size);
		pheap_free_in(p, q);
	}
	for (size = 8; size <= PAGE_SIZE; size *= 2) {
		for (i = 0; i < ARRAY_SIZE(a); i++) {
			a[i] = pheap_alloc_in(p, size, GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, a[i]);
			KUNIT_EXPECT_EQ_MSG(test, (unsigned long)a[i] % size,
					    0UL, "size %zu", size);
		}
		for (i = 0; i < ARRAY_SIZE(a); i++)
			pheap_free_in(p, a[i]);
	}
}

/* __GFP_ZERO zeroes the whole usable block, even a reused dirty one. */
static void alloc_gfp_zero(struct kunit *test)
{
	struct pheap *p = test->priv;
	unsigned int c;
	u8 *q;
	size_t i, n;

	for (c = 0; c < PHEAP_NR_CLASSES; c++) {
		q = pheap_alloc_in(p, pheap_csize(c), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, q);
		memset(q, 0xff, pheap_csize(c));
		pheap_free_in(p, q);
		q = pheap_alloc_in(p, pheap_csize(c), GFP_KERNEL | __GFP_ZERO);
		KUNIT_ASSERT_NOT_NULL(test, q);
		n = pheap_usable_size_in(p, q);
		for (i = 0; i < n && !q[i]; i++)
			;
		KUNIT_EXPECT_EQ_MSG(test, i, n, "class %u", pheap_csize(c));
		pheap_free_in(p, q);
	}
	q = pheap_alloc_in(p, 3 * PAGE_SIZE, GFP_KERNEL | __GFP_ZERO);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(q, 0, 3 * PAGE_SIZE));
	pheap_free_in(p, q);
}

/* With init_on_free a freed block is zeroed (but for its free-list link). */
static void free_zeroes_with_init_on_free(struct kunit *test)
{
	struct pheap *p = test->priv;
	unsigned int c;
	u8 *q;

	if (!want_init_on_free())
		kunit_skip(test, "the kernel runs without init_on_free");
	for (c = 0; c < PHEAP_NR_CLASSES; c++) {
		migrate_disable();
		q = pheap_alloc_in(p, pheap_csize(c), GFP_KERNEL);
		if (q) {
			memset(q, 0xff, pheap_csize(c));
			pheap_free_in(p, q);
		}
		migrate_enable();
		KUNIT_ASSERT_NOT_NULL(test, q);
		/* q is free now: only its first word, the link, may be set */
		KUNIT_EXPECT_TRUE_MSG(test, !memchr_inv(q + sizeof(void *), 0,
							pheap_csize(c) - sizeof(void *)),
				      "class %u", pheap_csize(c));
	}
}

/*
 * A block handed out again holds no free-list link: the free block's
 * first word (its link) is not zero, and once it is handed out again it
 * is; under init_on_free the whole block is zero.
 */
static void alloc_hands_out_no_link(struct kunit *test)
{
	struct pheap *p = test->priv;
	void *a, *b, *c;
	unsigned long tag;
	unsigned int cls;
	bool small;
	u64 link;
	size_t size;

	for (cls = 0; cls < PHEAP_NR_CLASSES; cls++) {
		size = pheap_csize(cls);
		migrate_disable();
		a = pheap_alloc_in(p, size, GFP_KERNEL);
		b = pheap_alloc_in(p, size, GFP_KERNEL);
		if (a && b) {
			memset(a, 0xff, size);
			memset(b, 0xff, size);
		}
		/* debug mode serves its largest size from whole pages */
		small = b && pheap_sb_lookup(b, &tag);
		pheap_free_in(p, a);
		pheap_free_in(p, b);	/* its link names a */
		link = small ? *(u64 *)b : 1;
		c = pheap_alloc_in(p, size, GFP_KERNEL);	/* b, or a */
		migrate_enable();
		KUNIT_ASSERT_NOT_NULL(test, a);
		KUNIT_ASSERT_NOT_NULL(test, b);
		KUNIT_ASSERT_NOT_NULL(test, c);
		KUNIT_EXPECT_NE_MSG(test, link, 0ULL, "class %zu: no link", size);
		KUNIT_EXPECT_EQ_MSG(test, *(u64 *)c, 0ULL,
				    "class %zu: first word %llx", size, *(u64 *)c);
		if (want_init_on_free())
			KUNIT_EXPECT_TRUE_MSG(test, !memchr_inv(c, 0, size),
					      "class %zu not zero", size);
		pheap_free_in(p, c);
	}
}

static void usable_size_is_class_or_pages(struct kunit *test)
{
	struct pheap *p = test->priv;
	size_t sizes[] = { 1, 8, 9, 33, 100, 2048, 2049, 4096, 5000, 65536 };
	size_t want;
	void *q;
	int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		q = pheap_alloc_in(p, sizes[i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, q);
		want = sizes[i] <= PHEAP_MAX_SMALL ?
		       pheap_csize(pheap_size_to_class(sizes[i])) :
		       PAGE_SIZE << get_order(sizes[i]);
		/* block-lock: a free block's two words, so 16 at least */
		if (p->design == PHEAP_DESIGN_BLOCK_LOCK)
			want = max_t(size_t, want, 16);
		KUNIT_EXPECT_EQ_MSG(test, pheap_usable_size_in(p, q), want,
				    "size %zu", sizes[i]);
		pheap_free_in(p, q);
	}
}

/* Above the largest class: whole pages, counted, page aligned. */
static void large_alloc_whole_pages(struct kunit *test)
{
	struct pheap *p = test->priv;
	struct pheap_stats st;
	void *q, *r;

	q = pheap_alloc_in(p, PHEAP_MAX_SMALL + 1, GFP_KERNEL);
	r = pheap_alloc_in(p, 5 * PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_ASSERT_NOT_NULL(test, r);
	KUNIT_EXPECT_TRUE(test, PAGE_ALIGNED(q));
	KUNIT_EXPECT_TRUE(test, PAGE_ALIGNED(r));
	kt_fill(r, 5 * PAGE_SIZE);
	pheap_get_stats(p, &st);
	KUNIT_EXPECT_EQ(test, st.large_nr, 2UL);
	KUNIT_EXPECT_EQ(test, st.large_bytes,
			(PAGE_SIZE << get_order(PHEAP_MAX_SMALL + 1)) + 8 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, st.u, st.large_bytes);
	KUNIT_EXPECT_TRUE(test, kt_intact(r, 5 * PAGE_SIZE));
	pheap_free_in(p, q);
	pheap_free_in(p, r);
	pheap_get_stats(p, &st);
	KUNIT_EXPECT_EQ(test, st.large_nr, 0UL);
	KUNIT_EXPECT_EQ(test, st.a, 0UL);
	KUNIT_EXPECT_EQ(test, st.ev[PHEAP_EV_LARGE_ALLOC], 2UL);
	KUNIT_EXPECT_EQ(test, st.ev[PHEAP_EV_LARGE_FREE], 2UL);
}

/* Large allocations are compound pages: a tail page's reference holds. */
static void large_alloc_is_compound(struct kunit *test)
{
	struct pheap *p = test->priv;
	struct page *head, *tail;
	void *q;

	q = pheap_alloc_in(p, 3 * PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	head = virt_to_page(q);
	tail = virt_to_page(q + 2 * PAGE_SIZE);
	KUNIT_EXPECT_TRUE(test, PageHead(head));
	KUNIT_EXPECT_PTR_EQ(test, compound_head(tail), head);
	KUNIT_EXPECT_EQ(test, compound_order(head), 2U);
	/* a caller's reference outlives the free: KASAN would see misuse */
	get_page(tail);
	pheap_free_in(p, q);
	KUNIT_EXPECT_EQ(test, page_ref_count(head), 1);
	put_page(tail);
}

/*
 * Two frees of one large allocation that both found its tag (two CPUs
 * racing): exactly one frees it, the other is refused; a later free of it
 * is a bad free.
 */
static void large_double_free_one_wins(struct kunit *test)
{
	struct pheap *p = test->priv;
	unsigned long tag;
	void *q;

	q = pheap_alloc_in(p, 3 * PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_ASSERT_NULL(test, pheap_sb_lookup(q, &tag));
	KUNIT_ASSERT_NE(test, tag, 0UL);
	KUNIT_EXPECT_TRUE(test, pheap_large_free(p, tag, q));
	KUNIT_EXPECT_FALSE(test, pheap_large_free(p, tag, q));
	pheap_free_in(p, q);
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_LARGE_FREE), 1UL);
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_BAD_FREE), 1UL);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
	test->priv = kt_create(test, 0, 0);
}

/*
 * 2049..4096 bytes are blocks of superblocks (classes 3072 and 4096), at
 * least PHEAP_MIN_BLOCKS to a superblock, not whole pages; 4096-byte
 * blocks are page aligned.
 */
static void alloc_classes_above_2048(struct kunit *test)
{
	static const size_t sizes[] = { 2049, 3072, 3073, 4000, 4096 };
	void *q[2 * PHEAP_MIN_BLOCKS + 1];
	struct pheap *p = test->priv;
	struct pheap_sb *sb;
	unsigned long tag;
	unsigned int i, j;
	size_t csize;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		csize = sizes[i] <= 3072 ? 3072 : 4096;
		KUNIT_ASSERT_EQ(test, kt_alloc_filled(p, q, ARRAY_SIZE(q),
						      sizes[i]), 0);
		for (j = 0; j < ARRAY_SIZE(q); j++) {
			sb = pheap_sb_lookup(q[j], &tag);
			if (p->ops->usable_size) {	/* a page run's block */
				KUNIT_EXPECT_NULL(test, sb);
				KUNIT_EXPECT_NOT_NULL(test, pheap_run_lookup(p, q[j]));
			} else {
				KUNIT_ASSERT_NOT_NULL_MSG(test, sb, "size %zu",
							  sizes[i]);
				KUNIT_EXPECT_EQ(test, pheap_csize(sb->cls),
						(unsigned int)csize);
				KUNIT_EXPECT_GE(test, (unsigned int)sb->nblocks,
						(unsigned int)PHEAP_MIN_BLOCKS);
			}
			KUNIT_EXPECT_EQ(test, pheap_usable_size_in(p, q[j]), csize);
			if (csize == 4096)
				KUNIT_EXPECT_TRUE(test, PAGE_ALIGNED(q[j]));
		}
		for (j = 0; j < ARRAY_SIZE(q); j++) {
			KUNIT_EXPECT_TRUE(test, kt_intact(q[j], sizes[i]));
			pheap_free_in(p, q[j]);
		}
	}
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_LARGE_ALLOC), 0UL);
}

/* Sizes no order can serve fail cleanly and are counted. */
static void alloc_absurd_sizes_fail(struct kunit *test)
{
	struct pheap *p = test->priv;
	gfp_t gfp = GFP_KERNEL | __GFP_NOWARN;

	KUNIT_EXPECT_NULL(test, pheap_alloc_in(p, SIZE_MAX, gfp));
	KUNIT_EXPECT_NULL(test, pheap_alloc_in(p, 1ULL << 40, gfp));
	KUNIT_EXPECT_NULL(test, pheap_alloc_in(p, (PAGE_SIZE << PHEAP_MAX_PAGE_ORDER) + 1, gfp));
	KUNIT_EXPECT_NULL(test, pheap_alloc_in(p, 64, gfp | GFP_DMA));
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_ALLOC_FAIL), 4UL);
}

/*
 * Pointers pheap did not hand out are reported and ignored: the heap stays
 * usable and exact.
 */
static void free_bad_pointers_counted_and_ignored(struct kunit *test)
{
	struct pheap *p = test->priv, *other;
	u8 *q, *k, *big, *o;
	int on_stack;

	q = pheap_alloc_in(p, 64, GFP_KERNEL);
	big = pheap_alloc_in(p, 3 * PAGE_SIZE, GFP_KERNEL);
	k = kmalloc(64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_ASSERT_NOT_NULL(test, big);
	KUNIT_ASSERT_NOT_NULL(test, k);
	other = kt_create(test, 0, 0);
	o = pheap_alloc_in(other, 64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, o);

	pheap_free_in(p, k);			/* kmalloc */
	pheap_free_in(p, &on_stack);		/* stack */
	pheap_free_in(p, q + 8);		/* interior */
	pheap_free_in(p, big + PAGE_SIZE);	/* inside a large block */
	pheap_free_in(p, o);			/* another instance's */
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_BAD_FREE), 5UL);

	/*
	 * On one CPU, so the second free finds q at the head of its list: q
	 * is allocated again after migrate_disable(), because creating the
	 * other instance may have moved this thread to another CPU.
	 */
	migrate_disable();
	pheap_free_in(p, q);
	q = pheap_alloc_in(p, 64, GFP_KERNEL);
	pheap_free_in(p, q);
	pheap_free_in(p, q);			/* double free */
	migrate_enable();
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_BAD_FREE), 6UL);

	/* nothing was corrupted: the next two blocks are distinct */
	q = pheap_alloc_in(p, 64, GFP_KERNEL);
	k[0] = 0;
	KUNIT_EXPECT_PTR_NE(test, q, pheap_alloc_in(p, 64, GFP_KERNEL));
	kfree(k);
	pheap_free_in(other, o);
	KUNIT_EXPECT_EQ(test, pheap_destroy(other), 0UL);
	pheap_free_in(p, big);
	/* q and its neighbour are still allocated: destroy reports them */
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 2UL);
	test->priv = kt_create(test, 0, 0);
}

/* Destroy counts what is still allocated and returns every page. */
static void destroy_reports_leaks(struct kunit *test)
{
	struct pheap *p = kt_create(test, 0, 0);

	KUNIT_ASSERT_NOT_NULL(test, pheap_alloc_in(p, 100, GFP_KERNEL));
	KUNIT_ASSERT_NOT_NULL(test, pheap_alloc_in(p, 3 * PAGE_SIZE, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 2UL);
	KUNIT_EXPECT_EQ(test, pheap_destroy(NULL), 0UL);
}

/* Bad configurations are refused. */
static void create_rejects_bad_config(struct kunit *test)
{
	struct pheap_config cfg;

	pheap_default_config(&cfg);
	cfg.f_pct = 0;
	KUNIT_EXPECT_EQ(test, PTR_ERR(pheap_create(&cfg)), -EINVAL);
	pheap_default_config(&cfg);
	cfg.f_pct = 100;
	KUNIT_EXPECT_EQ(test, PTR_ERR(pheap_create(&cfg)), -EINVAL);
	pheap_default_config(&cfg);
	cfg.sb_order = 9;
	KUNIT_EXPECT_EQ(test, PTR_ERR(pheap_create(&cfg)), -EINVAL);
}

static struct kunit_case pheap_alloc_cases[] = {
	KUNIT_CASE(alloc_free_pattern_random_sizes),
	KUNIT_CASE(alloc_zero_size_and_null_free),
	KUNIT_CASE(alloc_alignment),
	KUNIT_CASE(alloc_gfp_zero),
	KUNIT_CASE(free_zeroes_with_init_on_free),
	KUNIT_CASE(alloc_hands_out_no_link),
	KUNIT_CASE(usable_size_is_class_or_pages),
	KUNIT_CASE(large_alloc_whole_pages),
	KUNIT_CASE(large_alloc_is_compound),
	KUNIT_CASE(large_double_free_one_wins),
	KUNIT_CASE(alloc_classes_above_2048),
	KUNIT_CASE(alloc_absurd_sizes_fail),
	KUNIT_CASE(free_bad_pointers_counted_and_ignored),
	KUNIT_CASE(destroy_reports_leaks),
	KUNIT_CASE(create_rejects_bad_config),
	{}
};

static struct kunit_suite pheap_alloc_suite = {
	.name = "pheap_alloc",
	.init = pheap_alloc_test_init,
	.exit = pheap_alloc_test_exit,
	.test_cases = pheap_alloc_cases,
};

/*
 * The same API semantics with debug mode on (debug.c): a block is then
 * served from a larger class with a red zone and a record after it, and
 * must still look like kmalloc's to the caller. Each case ends with no
 * corruption found, by the checks on the way or by a validate walk.
 */
static int pheap_alloc_debug_test_init(struct kunit *test)
{
	test->priv = kt_create_debug(test, PHEAP_DEBUG_ALL);
	return 0;
}

static void pheap_alloc_debug_test_exit(struct kunit *test)
{
	unsigned long blocks;

	KUNIT_EXPECT_EQ(test, pheap_debug_validate(test->priv, &blocks), 0UL);
	KUNIT_EXPECT_EQ(test, kt_event(test->priv, PHEAP_EV_CORRUPT), 0UL);
	KUNIT_EXPECT_EQ(test, pheap_destroy(test->priv), 0UL);
}

static struct kunit_case pheap_alloc_debug_cases[] = {
	KUNIT_CASE(alloc_free_pattern_random_sizes),
	KUNIT_CASE(alloc_zero_size_and_null_free),
	KUNIT_CASE(alloc_alignment),
	KUNIT_CASE(alloc_gfp_zero),
	KUNIT_CASE(alloc_hands_out_no_link),
	KUNIT_CASE(usable_size_is_class_or_pages),
	KUNIT_CASE(alloc_absurd_sizes_fail),
	{}
};

static struct kunit_suite pheap_alloc_debug_suite = {
	.name = "pheap_alloc_debug",
	.init = pheap_alloc_debug_test_init,
	.exit = pheap_alloc_debug_test_exit,
	.test_cases = pheap_alloc_debug_cases,
};

/*
 * Conformance of every design (pheap/pheap.h's enum pheap_design): the
 * same cases, each run once per design (kt_create() follows the case's
 * parameter).
 */
static struct kunit_case pheap_alloc_designs_cases[] = {
	KUNIT_CASE_PARAM(alloc_free_pattern_random_sizes, kt_design_params),
	KUNIT_CASE_PARAM(alloc_zero_size_and_null_free, kt_design_params),
	KUNIT_CASE_PARAM(alloc_alignment, kt_design_params),
	KUNIT_CASE_PARAM(alloc_gfp_zero, kt_design_params),
	KUNIT_CASE_PARAM(free_zeroes_with_init_on_free, kt_design_params),
	KUNIT_CASE_PARAM(alloc_hands_out_no_link, kt_design_params),
	KUNIT_CASE_PARAM(usable_size_is_class_or_pages, kt_design_params),
	KUNIT_CASE_PARAM(large_alloc_whole_pages, kt_design_params),
	KUNIT_CASE_PARAM(large_alloc_is_compound, kt_design_params),
	KUNIT_CASE_PARAM(large_double_free_one_wins, kt_design_params),
	KUNIT_CASE_PARAM(alloc_classes_above_2048, kt_design_params),
	KUNIT_CASE_PARAM(alloc_absurd_sizes_fail, kt_design_params),
	KUNIT_CASE_PARAM(free_bad_pointers_counted_and_ignored,
			 kt_design_params),
	KUNIT_CASE_PARAM(destroy_reports_leaks, kt_design_params),
	{}
};

static struct kunit_suite pheap_alloc_designs_suite = {
	.name = "pheap_alloc_designs",
	.init = pheap_alloc_test_init,
	.exit = pheap_alloc_test_exit,
	.test_cases = pheap_alloc_designs_cases,
};

kunit_test_suites(&pheap_alloc_suite, &pheap_alloc_debug_suite,
		  &pheap_alloc_designs_suite);
