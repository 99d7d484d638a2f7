// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite pheap_debug: debug mode (debug.c) finds what it is for and
 * nothing else: a write past the end or before the start (Z, on free
 * and by the validate walk), a write after free (P), a double free
 * (reported with the callers, U), an overwritten record (F); legitimate
 * use across CPUs counts nothing. The API semantics with debug on
 * (alignment, usable size, zeroing) are the pheap_alloc cases, run again
 * by the pheap_alloc_debug suite.
 */
#include <kunit/test.h>
#include <linux/cpumask.h>

#include "helpers.h"

static void debug_parse_letters(struct kunit *test)
{
	unsigned int f = 99;

	KUNIT_EXPECT_EQ(test, pheap_debug_parse("FZPU", &f), 0);
	KUNIT_EXPECT_EQ(test, f, (unsigned int)PHEAP_DEBUG_ALL);
	KUNIT_EXPECT_EQ(test, pheap_debug_parse("1", &f), 0);
	KUNIT_EXPECT_EQ(test, f, (unsigned int)PHEAP_DEBUG_ALL);
	KUNIT_EXPECT_EQ(test, pheap_debug_parse("zp", &f), 0);
	KUNIT_EXPECT_EQ(test, f, (unsigned int)(PHEAP_DEBUG_Z | PHEAP_DEBUG_P));
	KUNIT_EXPECT_EQ(test, pheap_debug_parse("U\n", &f), 0);
	KUNIT_EXPECT_EQ(test, f, (unsigned int)PHEAP_DEBUG_U);
	KUNIT_EXPECT_EQ(test, pheap_debug_parse("0", &f), 0);
	KUNIT_EXPECT_EQ(test, f, 0U);
	KUNIT_EXPECT_EQ(test, pheap_debug_parse("", &f), 0);
	KUNIT_EXPECT_EQ(test, f, 0U);
	KUNIT_EXPECT_EQ(test, pheap_debug_parse("FX", &f), -EINVAL);
	KUNIT_EXPECT_EQ(test, pheap_debug_parse("2", &f), -EINVAL);
}

static void debug_create_rejects_unknown_flags(struct kunit *test)
{
	struct pheap_config cfg;

	pheap_default_config(&cfg);
	cfg.debug = PHEAP_DEBUG_ALL + 1;
	KUNIT_EXPECT_EQ(test, PTR_ERR(pheap_create(&cfg)), -EINVAL);
}

static const size_t dbg_sizes[] = { 1, 8, 60, 64, 100, 2048, 3000, 4096,
				    5000, 3 * PAGE_SIZE };

/* Z: one byte written past the usable size is reported on free, once. */
static void debug_red_zone_checked_on_free(struct kunit *test)
{
	struct pheap *p = kt_create_debug(test, PHEAP_DEBUG_Z | PHEAP_DEBUG_U);
	unsigned long before;
	unsigned int i;
	size_t usable;
	u8 *q;

	for (i = 0; i < ARRAY_SIZE(dbg_sizes); i++) {
		q = pheap_alloc_in(p, dbg_sizes[i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, q);
		usable = pheap_usable_size_in(p, q);
		memset(q, 0x5a, usable);	/* all of it is the caller's */
		before = kt_event(p, PHEAP_EV_CORRUPT);
		q[usable] = 0;			/* one byte too far */
		pheap_free_in(p, q);
		KUNIT_EXPECT_EQ_MSG(test, kt_event(p, PHEAP_EV_CORRUPT) - before,
				    1UL, "size %zu", dbg_sizes[i]);
	}
	/* repaired: the same blocks again, used properly, report nothing */
	before = kt_event(p, PHEAP_EV_CORRUPT);
	for (i = 0; i < ARRAY_SIZE(dbg_sizes); i++) {
		q = pheap_alloc_in(p, dbg_sizes[i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, q);
		pheap_free_in(p, q);
	}
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_CORRUPT), before);
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_BAD_FREE), 0UL);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

/* Z: the validate walk finds overflows of blocks still allocated. */
static void debug_validate_finds_overflows(struct kunit *test)
{
	struct pheap *p = kt_create_debug(test, PHEAP_DEBUG_Z);
	u8 *q[ARRAY_SIZE(dbg_sizes)];
	unsigned long blocks;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(dbg_sizes); i++) {
		q[i] = pheap_alloc_in(p, dbg_sizes[i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, q[i]);
	}
	KUNIT_EXPECT_EQ(test, pheap_debug_validate(p, &blocks), 0UL);
	KUNIT_EXPECT_EQ(test, blocks, ARRAY_SIZE(dbg_sizes));
	q[2][pheap_usable_size_in(p, q[2])] = 1;
	q[7][pheap_usable_size_in(p, q[7]) + 3] = 1;
	q[9][pheap_usable_size_in(p, q[9])] = 1;
	KUNIT_EXPECT_EQ(test, pheap_debug_validate(p, &blocks), 3UL);
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_CORRUPT), 3UL);
	/* each is reported once: repaired by the walk */
	KUNIT_EXPECT_EQ(test, pheap_debug_validate(p, &blocks), 0UL);
	kt_free_all(p, (void **)q, ARRAY_SIZE(q));
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_CORRUPT), 3UL);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

/*
 * Z: a write just before the object (an underflow) lands in its left red
 * zone, for every size below a page, page-backed ones (2048) included:
 * found by the validate walk while the block is allocated, and on free.
 * Page-sized objects start at their page and have no left zone.
 */
static void debug_write_before_start_caught(struct kunit *test)
{
	struct pheap *p = kt_create_debug(test, PHEAP_DEBUG_Z);
	unsigned long blocks, before, found, tested = 0;
	unsigned int i;
	u8 *q, old;

	for (i = 0; i < ARRAY_SIZE(dbg_sizes); i++) {
		if (dbg_sizes[i] > PAGE_SIZE / 2 + PAGE_SIZE / 4)
			continue;
		q = pheap_alloc_in(p, dbg_sizes[i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, q);
		KUNIT_ASSERT_LT(test, pheap_usable_size_in(p, q), PAGE_SIZE);
		/* inside the left zone: no object of the heap, refused */
		KUNIT_EXPECT_EQ(test, pheap_usable_size_in(p, q - 8), 0UL);
		pheap_free_in(p, q - 8);
		tested++;
		before = kt_event(p, PHEAP_EV_CORRUPT);
		old = q[-1];
		q[-1] = ~old;
		KUNIT_EXPECT_EQ_MSG(test, pheap_debug_validate(p, &blocks), 1UL,
				    "size %zu", dbg_sizes[i]);
		q[-1] = ~old;
		pheap_free_in(p, q);
		found = kt_event(p, PHEAP_EV_CORRUPT) - before;
		KUNIT_EXPECT_EQ_MSG(test, found, 2UL, "size %zu", dbg_sizes[i]);
		if (found < 2)		/* not repaired: not pheap's byte */
			q[-1] = old;
	}
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_BAD_FREE), tested);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

/* P: a write into a freed block is reported when it is handed out again. */
static void debug_write_after_free_reported(struct kunit *test)
{
	struct pheap *p = kt_create_debug(test, PHEAP_DEBUG_P | PHEAP_DEBUG_U);
	unsigned long before;
	u8 *q, *r;

	migrate_disable();
	q = pheap_alloc_in(p, 64, GFP_KERNEL);
	pheap_free_in(p, q);
	before = kt_event(p, PHEAP_EV_CORRUPT);
	if (q)
		q[20] = 1;		/* after its free */
	r = pheap_alloc_in(p, 64, GFP_KERNEL);	/* the same block, LIFO */
	migrate_enable();
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_ASSERT_PTR_EQ(test, r, q);
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_CORRUPT) - before, 1UL);
	pheap_free_in(p, r);
	KUNIT_EXPECT_EQ(test, kt_handed_out_twice(p, 64, 256), 0);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

/*
 * P: a write of one byte anywhere in a freed block is caught when the
 * block would be handed out again: in its poison, or in its free-list
 * link (its first 8 bytes, checked by the free list), the smallest
 * sizes included.
 */
static void debug_every_byte_written_after_free_caught(struct kunit *test)
{
	static const size_t sizes[] = { 8, 16, 64 };
	struct pheap *p = kt_create_debug(test, PHEAP_DEBUG_P);
	unsigned long before, caught;
	unsigned int i, off;
	u8 *q, *r;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		for (off = 0; off < sizes[i]; off++) {
			migrate_disable();
			q = pheap_alloc_in(p, sizes[i], GFP_KERNEL);
			pheap_free_in(p, q);
			before = kt_event(p, PHEAP_EV_CORRUPT);
			if (q)
				q[off] ^= 0x5a;		/* after its free */
			r = pheap_alloc_in(p, sizes[i], GFP_KERNEL);
			migrate_enable();
			KUNIT_ASSERT_NOT_NULL(test, q);
			KUNIT_ASSERT_NOT_NULL(test, r);
			caught = kt_event(p, PHEAP_EV_CORRUPT) - before;
			KUNIT_EXPECT_EQ_MSG(test, caught, 1UL,
					    "size %zu, byte %u", sizes[i], off);
			pheap_free_in(p, r);
		}
	}
	KUNIT_EXPECT_EQ(test, kt_handed_out_twice(p, 8, 256), 0);
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_BAD_FREE), 0UL);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);	/* quarantine: no leak */
}

/* Double frees: refused and counted as bad frees, the heap intact. */
static void debug_double_free_refused(struct kunit *test)
{
	struct pheap *p = kt_create_debug(test, PHEAP_DEBUG_ALL);
	void *q, *big;

	q = pheap_alloc_in(p, 100, GFP_KERNEL);
	big = pheap_alloc_in(p, 5000, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_ASSERT_NOT_NULL(test, big);
	pheap_free_in(p, q);
	pheap_free_in(p, q);
	pheap_free_in(p, big);
	pheap_free_in(p, big);
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_BAD_FREE), 2UL);
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_CORRUPT), 0UL);
	KUNIT_EXPECT_EQ(test, kt_handed_out_twice(p, 100, 256), 0);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

/* F: a free whose record was overwritten is refused, the block kept. */
static void debug_bad_record_refused(struct kunit *test)
{
	struct pheap *p = kt_create_debug(test, PHEAP_DEBUG_F | PHEAP_DEBUG_Z);
	unsigned int inner = p->debug_cls[pheap_size_to_class(64)];
	u8 *q = pheap_alloc_in(p, 64, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, q);
	/* everything after the object: red zone and record */
	memset(q + 64, 0, pheap_csize(inner) - p->debug_left[inner] - 64);
	pheap_free_in(p, q);
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_CORRUPT), 1UL);
	KUNIT_EXPECT_EQ(test, kt_handed_out_twice(p, 64, 256), 0);
	/* left alone: still allocated when the instance goes */
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 1UL);
}

struct dbg_cross {
	struct pheap *p;
	void *blk[512];
};

static int dbg_cross_alloc(void *arg)
{
	struct dbg_cross *x = arg;

	return kt_alloc_filled(x->p, x->blk, ARRAY_SIZE(x->blk), 96);
}

static int dbg_cross_free(void *arg)
{
	struct dbg_cross *x = arg;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(x->blk); i++)
		if (!kt_intact(x->blk[i], 96))
			return -EIO;
	kt_free_all(x->p, x->blk, ARRAY_SIZE(x->blk));
	return 0;
}

/*
 * Legitimate use reports nothing: blocks of one CPU freed on another
 * (poisoned there, collected by the owner) and handed out again.
 */
static void debug_cross_cpu_use_is_clean(struct kunit *test)
{
	struct dbg_cross *x = kunit_kzalloc(test, sizeof(*x), GFP_KERNEL);
	unsigned int a = cpumask_first(cpu_online_mask);
	unsigned int b = cpumask_next(a, cpu_online_mask);
	unsigned long blocks;
	int round;

	KUNIT_ASSERT_NOT_NULL(test, x);
	if (b >= nr_cpu_ids)
		kunit_skip(test, "needs two online CPUs");
	x->p = kt_create_debug(test, PHEAP_DEBUG_ALL);
	for (round = 0; round < 4; round++) {
		KUNIT_ASSERT_EQ(test, kt_run_on_cpu(a, dbg_cross_alloc, x), 0);
		KUNIT_EXPECT_EQ(test, pheap_debug_validate(x->p, &blocks), 0UL);
		KUNIT_EXPECT_EQ(test, blocks, ARRAY_SIZE(x->blk));
		KUNIT_EXPECT_EQ(test, kt_run_on_cpu(b, dbg_cross_free, x), 0);
		pheap_flush(x->p);
	}
	KUNIT_EXPECT_EQ(test, kt_event(x->p, PHEAP_EV_CORRUPT), 0UL);
	KUNIT_EXPECT_EQ(test, kt_event(x->p, PHEAP_EV_BAD_FREE), 0UL);
	KUNIT_EXPECT_EQ(test, pheap_destroy(x->p), 0UL);
}

static struct kunit_case pheap_debug_cases[] = {
	KUNIT_CASE(debug_parse_letters),
	KUNIT_CASE(debug_create_rejects_unknown_flags),
	KUNIT_CASE(debug_red_zone_checked_on_free),
	KUNIT_CASE(debug_validate_finds_overflows),
	KUNIT_CASE(debug_write_before_start_caught),
	KUNIT_CASE(debug_write_after_free_reported),
	KUNIT_CASE(debug_every_byte_written_after_free_caught),
	KUNIT_CASE(debug_double_free_refused),
	KUNIT_CASE(debug_bad_record_refused),
	KUNIT_CASE(debug_cross_cpu_use_is_clean),
	{}
};

static struct kunit_suite pheap_debug_suite = {
	.name = "pheap_debug",
	.test_cases = pheap_debug_cases,
};

kunit_test_suite(pheap_debug_suite);
