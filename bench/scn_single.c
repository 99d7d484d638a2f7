// SPDX-License-Identifier: GPL-2.0
/*
 * pheap_bench: the single-CPU scenarios, one worker each.
 *
 *   pair		allocate and free at once, 16, 64, 256, 1024, 4096
 *			bytes: the fast path and nothing else (4096 is
 *			pheap's large path: whole pages).
 *   pair-after-bulk	the pair loop, 16 and 64 bytes, on a CPU that has
 *			just allocated, then freed, a bulk of 64-byte objects
 *			from the same allocator (untimed prep: 10 objects per
 *			pair, at most 1000000, or bench_opt.hold_max in
 *			designs mode); a heap that let a bulk go must keep its
 *			fast path. pheap's event counters start again after
 *			the bulk, so refills and moves describe the pairs.
 *   batch		n = 10, 100, 1000 allocations of 64 bytes, then their
 *			frees, LIFO or in a fixed shuffled order.
 *   bulk		batch's LIFO loop through the bulk calls: n = 10,
 *			100, 1000 objects of 64 bytes in one call, each
 *			written, then freed in one call. pheap:
 *			pheap_alloc_bulk_in() and pheap_free_bulk_in();
 *			kcache: kmem_cache_alloc_bulk() and
 *			kmem_cache_free_bulk(); kmalloc, which has no bulk
 *			allocation, n kmalloc() calls and kfree_bulk().
 *			Against batch's n-lifo rows of the same boot, what a
 *			bulk call saves over n single ones.
 *
 * Every object is written once after allocation (bench_touch()). Each
 * worker's objects live in its own w->buf; nothing is shared.
 */
#include <linux/minmax.h>

#include "bench.h"

#define BENCH_BULK_MAX		1000000	/* pair-after-bulk: objects in the bulk, */
#define BENCH_BULK_PER_OP	10ULL	/* or this many per pair if fewer */

static void pair_loop(struct bench_worker *w, u32 size)
{
	const struct bench_alloc ba = w->ctx->ba;
	u64 i, n = w->ctx->bc->ops;
	void *p;

	for (i = 0; i < n; i++) {
		p = bench_alloc(&ba, size);
		if (unlikely(!p)) {
			w->fails++;
			break;
		}
		bench_touch(p, size);
		bench_free(&ba, p);
		bench_yield(i);
	}
	w->ops = i;
}

static void pair_body(struct bench_worker *w)
{
	pair_loop(w, w->ctx->bc->size);
}

static void scn_pair(void)
{
	static const unsigned int sizes[] = { 16, 64, 256, 1024, 4096 };
	struct bench_case bc = {
		.scn = "pair", .nthreads = 1, .ops = bench_opt.ops,
		.body = pair_body,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		bc.size = sizes[i];
		snprintf(bc.name, sizeof(bc.name), "size%u", sizes[i]);
		bench_case_run(&bc);
	}
}

/*
 * Untimed, on the CPU that then runs the pair loop: allocate the bulk of
 * BENCH_OBJ-byte objects, then free it in allocation order. pheap's event
 * counters start again from zero after it, so that refills, superblock
 * moves and pages describe the timed pairs (peak_kb still has the bulk).
 */
static void bulk_prep(struct bench_worker *w)
{
	const struct bench_alloc ba = w->ctx->ba;
	unsigned int i, n = w->ctx->bc->wbuf;
	void **bulk = w->buf;

	for (i = 0; i < n; i++) {
		bulk[i] = bench_alloc(&ba, BENCH_OBJ);
		if (unlikely(!bulk[i])) {
			w->fails++;
			break;
		}
		bench_touch(bulk[i], BENCH_OBJ);
		bench_yield(i);
	}
	bench_free_slots(w->ctx, bulk, i);
	if (ba.kind == BENCH_PHEAP)
		pheap_reset_events(ba.ph);
}

static void bulk_body(struct bench_worker *w)
{
	pair_loop(w, w->ctx->bc->param);
}

/*
 * The bulk is 64 bytes and the pairs 16 (another class) or 64 (the class
 * the bulk emptied): no single size, so kcache is the kmalloc-class set.
 */
static void scn_pair_after_bulk(void)
{
	static const unsigned int sizes[] = { 16, BENCH_OBJ };
	u64 bulk = min3((u64)BENCH_BULK_MAX, BENCH_BULK_PER_OP * bench_opt.ops,
			bench_opt.hold_max);
	struct bench_case bc = {
		.scn = "pair-after-bulk", .nthreads = 1, .ops = bench_opt.ops,
		.wbuf = bulk, .prep = bulk_prep, .body = bulk_body,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		bc.param = sizes[i];
		snprintf(bc.name, sizeof(bc.name), "size%u", sizes[i]);
		bench_case_run(&bc);
	}
}

/* Free order of one batch: LIFO, or a fixed shuffle of 0..n-1. */
static int batch_setup(struct bench_ctx *c)
{
	unsigned int i, j, n = c->bc->param, *order, t;
	u64 seed = 12345;

	order = kvmalloc_array(n, sizeof(*order), GFP_KERNEL);
	if (!order)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		order[i] = n - 1 - i;
	for (i = n - 1; c->bc->shuffle && i > 0; i--) {
		j = bench_below(&seed, i + 1);
		t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	c->shared = order;
	return 0;
}

static void batch_teardown(struct bench_ctx *c)
{
	kvfree(c->shared);
}

/* Allocate n objects, then free them in the given order; repeat. */
static void batch_body(struct bench_worker *w)
{
	const struct bench_alloc ba = w->ctx->ba;
	const unsigned int *order = w->ctx->shared;
	u32 size = w->ctx->bc->size, n = w->ctx->bc->param, j;
	u64 it, iters = div_u64(w->ctx->bc->ops, n);
	void **a = w->buf;

	for (it = 0; it < iters; it++) {
		for (j = 0; j < n; j++) {
			a[j] = bench_alloc(&ba, size);
			if (unlikely(!a[j])) {
				w->fails++;
				continue;
			}
			bench_touch(a[j], size);
		}
		for (j = 0; j < n; j++)
			if (a[order[j]])
				bench_free(&ba, a[order[j]]);
		w->ops += n;
		cond_resched();
	}
}

static void scn_batch(void)
{
	static const unsigned int sizes[] = { 10, 100, 1000 };
	struct bench_case bc = {
		.scn = "batch", .nthreads = 1, .size = BENCH_OBJ,
		.ops = bench_opt.ops, .setup = batch_setup, .body = batch_body,
		.teardown = batch_teardown,
	};
	unsigned int i, s;

	for (s = 0; s < 2; s++) {
		for (i = 0; i < ARRAY_SIZE(sizes); i++) {
			bc.shuffle = s;
			bc.param = sizes[i];
			bc.wbuf = sizes[i];
			snprintf(bc.name, sizeof(bc.name), "n%u-%s", sizes[i],
				 s ? "shuffled" : "lifo");
			bench_case_run(&bc);
		}
	}
}

/* One bulk allocation of n objects, each written, one bulk free; repeat. */
static void bulk_call_body(struct bench_worker *w)
{
	const struct bench_alloc ba = w->ctx->ba;
	u32 n = w->ctx->bc->param, j;
	u64 it, iters = div_u64(w->ctx->bc->ops, n);
	void **a = w->buf;

	for (it = 0; it < iters; it++) {
		if (unlikely(!bench_alloc_bulk(&ba, BENCH_OBJ, n, a))) {
			w->fails++;
			break;
		}
		for (j = 0; j < n; j++)
			bench_touch(a[j], BENCH_OBJ);
		bench_free_bulk(&ba, n, a);
		w->ops += n;
		cond_resched();
	}
}

static void scn_bulk(void)
{
	static const unsigned int sizes[] = { 10, 100, 1000 };
	struct bench_case bc = {
		.scn = "bulk", .nthreads = 1, .size = BENCH_OBJ,
		.ops = bench_opt.ops, .body = bulk_call_body,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		bc.param = sizes[i];
		bc.wbuf = sizes[i];
		snprintf(bc.name, sizeof(bc.name), "n%u", sizes[i]);
		bench_case_run(&bc);
	}
}

/* Run in this order by "all"; harness.c has the list of tables. */
const struct bench_scn bench_scns_single[] = {
	{ "pair", scn_pair, 1 },
	{ "pair-after-bulk", scn_pair_after_bulk, 1 },
	{ "batch", scn_batch, 1 },
	{ "bulk", scn_bulk, 1 },
	{ }
};
