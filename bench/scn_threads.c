// SPDX-License-Identifier: GPL-2.0
/*
 * pheap_bench: scenarios of many CPUs, each allocating for itself.
 *
 *   threadtest	Hoard's threadtest: per-CPU rounds of 100 allocations of
 *		64 bytes, then their frees in order; 1..P CPUs, a case each,
 *		with the total work fixed (ops / CPUs per CPU), so the time
 *		per operation falls as CPUs are added if the allocator
 *		scales. Nothing is shared: a design that serialises CPUs
 *		shows here.
 *   larson	Larson's server benchmark: random sizes 16..512 in a shared
 *		array of 1024 slots per CPU. Each CPU first fills its own
 *		part (so it owns those blocks), then replaces random slots
 *		of the whole array with xchg() and frees what it took out:
 *		most frees are of blocks another CPU allocated. What the
 *		array holds at the end is the live memory (held_over_live).
 *
 * The slot array is the only shared data; xchg() hands each old block to
 * exactly one CPU, which frees it.
 */
#include "bench.h"

#define BENCH_TT_BATCH		100	/* threadtest: objects per round */
#define BENCH_LARSON_SLOTS	1024	/* larson: slots per CPU */
#define BENCH_LARSON_MIN	16
#define BENCH_LARSON_MAX	512

/* Hoard's threadtest: rounds of 100 allocations then 100 frees, FIFO. */
static void threadtest_body(struct bench_worker *w)
{
	const struct bench_alloc ba = w->ctx->ba;
	u64 it, iters = div_u64(w->ctx->bc->ops, BENCH_TT_BATCH);
	void **a = w->buf;
	unsigned int j;

	for (it = 0; it < iters; it++) {
		for (j = 0; j < BENCH_TT_BATCH; j++) {
			a[j] = bench_alloc(&ba, BENCH_OBJ);
			if (unlikely(!a[j])) {
				w->fails++;
				continue;
			}
			bench_touch(a[j], BENCH_OBJ);
		}
		for (j = 0; j < BENCH_TT_BATCH; j++)
			if (a[j])
				bench_free(&ba, a[j]);
		w->ops += BENCH_TT_BATCH;
		bench_yield(it);
	}
}

static void scn_threadtest(void)
{
	struct bench_case bc = {
		.scn = "threadtest", .size = BENCH_OBJ, .wbuf = BENCH_TT_BATCH,
		.body = threadtest_body,
	};
	unsigned int t;

	for (t = 1; t <= bench_opt.nr_cpus; t++) {
		bc.nthreads = t;
		bc.ops = bench_opt.ops / t;	/* fixed total work, as in Hoard */
		snprintf(bc.name, sizeof(bc.name), "cpus%u", t);
		bench_case_run(&bc);
	}
}

static u32 larson_size(u64 *rnd)
{
	return BENCH_LARSON_MIN +
	       bench_below(rnd, BENCH_LARSON_MAX - BENCH_LARSON_MIN + 1);
}

static int larson_setup(struct bench_ctx *c)
{
	c->shared = kvcalloc(BENCH_LARSON_SLOTS * c->bc->nthreads,
			     sizeof(void *), GFP_KERNEL);
	return c->shared ? 0 : -ENOMEM;
}

/* Each CPU fills its own part of the array, so it owns those blocks. */
static void larson_prep(struct bench_worker *w)
{
	void **slot = (void **)w->ctx->shared + w->idx * BENCH_LARSON_SLOTS;
	unsigned int i;
	u32 size;

	for (i = 0; i < BENCH_LARSON_SLOTS; i++) {
		size = larson_size(&w->rnd);
		slot[i] = bench_alloc(&w->ctx->ba, size);
		if (slot[i])
			bench_touch(slot[i], size);
		else
			w->fails++;
	}
}

static void larson_body(struct bench_worker *w)
{
	const struct bench_alloc ba = w->ctx->ba;
	u32 nslots = BENCH_LARSON_SLOTS * w->ctx->bc->nthreads, size;
	void **slot = w->ctx->shared, *p, *old;
	u64 i, n = w->ctx->bc->ops;

	for (i = 0; i < n; i++) {
		size = larson_size(&w->rnd);
		p = bench_alloc(&ba, size);
		if (unlikely(!p)) {
			w->fails++;
			break;
		}
		bench_touch(p, size);
		old = xchg(&slot[bench_below(&w->rnd, nslots)], p);
		if (old)
			bench_free(&ba, old);
		bench_yield(i);
	}
	w->ops = i;
}

static void larson_round_end(struct bench_ctx *c)
{
	c->live = bench_live_bytes(c->shared,
				   BENCH_LARSON_SLOTS * c->bc->nthreads);
}

static void larson_teardown(struct bench_ctx *c)
{
	bench_free_slots(c, c->shared, BENCH_LARSON_SLOTS * c->bc->nthreads);
	kvfree(c->shared);
}

static void scn_larson(void)
{
	struct bench_case bc = {
		.scn = "larson", .name = "random16-512",
		.nthreads = bench_opt.nr_cpus,
		.ops = bench_opt.ops / bench_opt.nr_cpus,
		.setup = larson_setup, .prep = larson_prep,
		.body = larson_body, .round_end = larson_round_end,
		.teardown = larson_teardown,
	};

	bench_case_run(&bc);
}

/* Run in this order by "all"; harness.c has the list of tables. */
const struct bench_scn bench_scns_threads[] = {
	{ "threadtest", scn_threadtest, 1 },
	{ "larson", scn_larson, 2 },
	{ }
};
