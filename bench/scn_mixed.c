// SPDX-License-Identifier: GPL-2.0
/*
 * pheap_bench: mixed sizes and lifetimes, every CPU on its own.
 *
 *   mixed	random sizes 8..2047, uniform over the power-of-two ranges
 *		(so small ones win), with geometric lifetimes: each step
 *		picks one of the CPU's 512 slots and frees it if full, fills
 *		it if empty. Every size class is busy at once; what the slots
 *		hold at the end is the live memory (held_over_live), and
 *		pheap's refill and superblock-move rates have targets here
 *		(at most 5 and 1 per 100 operations).
 *
 * The slots are the worker's own w->buf: nothing is shared.
 */
#include "bench.h"

#define BENCH_MIXED_SLOTS	512	/* slots per CPU */

/* Sizes 8..2047, uniform over the power-of-two ranges (small ones win). */
static u32 mixed_size(u64 *rnd)
{
	u32 lo = 8U << bench_below(rnd, 8);

	return lo + bench_below(rnd, lo);
}

/*
 * Each step picks one of the CPU's slots: an empty slot gets a new block
 * of a random size, a full one is freed. Lifetimes are geometric.
 */
static void mixed_body(struct bench_worker *w)
{
	const struct bench_alloc ba = w->ctx->ba;
	u64 i, n = w->ctx->bc->ops;
	void **slot = w->buf;
	u32 j, size;

	for (i = 0; i < n; i++) {
		j = bench_below(&w->rnd, BENCH_MIXED_SLOTS);
		if (slot[j]) {
			bench_free(&ba, slot[j]);
			slot[j] = NULL;
		} else {
			size = mixed_size(&w->rnd);
			slot[j] = bench_alloc(&ba, size);
			if (unlikely(!slot[j]))
				w->fails++;
			else
				bench_touch(slot[j], size);
		}
		bench_yield(i);
	}
	w->ops = i;
}

static void mixed_round_end(struct bench_ctx *c)
{
	unsigned int i;

	c->live = 0;
	for (i = 0; i < c->bc->nthreads; i++)
		c->live += bench_live_bytes(c->w[i].buf, BENCH_MIXED_SLOTS);
}

static void mixed_teardown(struct bench_ctx *c)
{
	unsigned int i;

	for (i = 0; i < c->bc->nthreads; i++)
		bench_free_slots(c, c->w[i].buf, BENCH_MIXED_SLOTS);
}

static void scn_mixed(void)
{
	struct bench_case bc = {
		.scn = "mixed", .name = "random8-2047",
		.nthreads = bench_opt.nr_cpus,
		.ops = bench_opt.ops / bench_opt.nr_cpus,
		.wbuf = BENCH_MIXED_SLOTS, .body = mixed_body,
		.round_end = mixed_round_end, .teardown = mixed_teardown,
	};

	bench_case_run(&bc);
}

/* Run in this order by "all"; harness.c has the list of tables. */
const struct bench_scn bench_scns_mixed[] = {
	{ "mixed", scn_mixed, 1 },
	{ }
};
