// SPDX-License-Identifier: GPL-2.0
/*
 * pheap_bench: scenarios that tell pheap's heap designs apart. "all" runs
 * them in designs mode only; named, they run in either mode.
 *
 *   prodcons-rounds  a strict producer/consumer in 60 rounds: CPU 0
 *		      allocates a batch of 64-byte objects, CPU 1 frees the
 *		      batch CPU 0 allocated the round before; memory held is
 *		      read after every round (cases round1..round60). The
 *		      notes' claim for private heaps, "unbounded blowup",
 *		      shows here: a block freed by CPU 1 joins CPU 1's heap,
 *		      where no one allocates, so private's held bytes grow
 *		      by a batch per round while the live bytes stay one
 *		      batch; every other design gives the block back to a
 *		      heap CPU 0 allocates from, and stays flat.
 *   kheap-walk	      kheap only (OS/161's kmalloc: "On free it has to search
 *		      everything"): with N blocks of 512 bytes held, so that
 *		      the heap holds P pagerefs (superblocks), P = 1, 2, 4
 *		      .. 64, then steps of 64 to 512, a case each, time
 *		      pairs of an allocation and the free of a random held
 *		      block (which the new one replaces). Per
 *		      case: ns_per_op (one pair), walked_per_free (pagerefs
 *		      a free passed: PHEAP_EV_WALKED over PHEAP_EV_FREE,
 *		      counted over the pairs only) and pagerefs (superblocks
 *		      held after the pairs, the x axis). A random block, not
 *		      the one just allocated: where that one sits in the list
 *		      is the list's order, not the cost of the walk.
 *
 * Both keep their objects in one array (c->shared) written by the worker
 * that allocates and read by the one that frees in the next round
 * (prodcons-rounds: rounds are separated by the harness), or by one worker
 * (kheap-walk).
 */
#define pr_fmt(fmt) "pheap_bench: " fmt

#include <linux/minmax.h>
#include <linux/printk.h>

#include "bench.h"

#define BENCH_PCR_ROUNDS	60	/* prodcons-rounds: rounds */
#define BENCH_PCR_MIN		256	/* objects per round, at least */
#define BENCH_PCR_MAX		4096	/* and at most */
#define BENCH_WALK_SIZE		512	/* kheap-walk: block size */
#define BENCH_WALK_MAX_SB	512	/* and the most pagerefs held */

/* Generation gen of prodcons-rounds' batches: bc->ops slots. */
static void **pcr_slots(struct bench_ctx *c, unsigned int gen)
{
	return (void **)c->shared + gen * c->bc->ops;
}

static int pcr_setup(struct bench_ctx *c)
{
	c->shared = kvcalloc(2 * c->bc->ops, sizeof(void *), GFP_KERNEL);
	return c->shared ? 0 : -ENOMEM;
}

/* CPU 0 fills this round's generation, CPU 1 frees the last round's. */
static void pcr_body(struct bench_worker *w)
{
	struct bench_ctx *c = w->ctx;
	const struct bench_alloc ba = c->ba;
	unsigned int g = c->round & 1;
	void **slot = pcr_slots(c, w->idx ? !g : g);
	u64 i;

	for (i = 0; i < c->bc->ops; i++) {
		if (w->idx) {
			if (slot[i])
				bench_free(&ba, slot[i]);
			slot[i] = NULL;
		} else {
			slot[i] = bench_alloc(&ba, BENCH_OBJ);
			if (likely(slot[i]))
				bench_touch(slot[i], BENCH_OBJ);
			else
				w->fails++;
		}
		bench_yield(i);
	}
	if (!w->idx)	/* an op is an allocation and its free */
		w->ops = i;
}

static void pcr_round_end(struct bench_ctx *c)
{
	char cname[BENCH_NAME_LEN];
	s64 held;

	c->live = bench_live_bytes(pcr_slots(c, c->round & 1), c->bc->ops);
	held = bench_held(c);
	snprintf(cname, sizeof(cname), "round%u", c->round + 1);
	bench_put(c, cname, "held_kb", bench_ratio(held, 1024));
	bench_put(c, cname, "held_over_live", bench_ratio(held, c->live));
}

static void pcr_teardown(struct bench_ctx *c)
{
	bench_free_slots(c, c->shared, 2 * c->bc->ops);
	kvfree(c->shared);
}

static void scn_prodcons_rounds(void)
{
	struct bench_case bc = {
		.scn = "prodcons-rounds", .size = BENCH_OBJ, .nthreads = 2,
		.rounds = BENCH_PCR_ROUNDS,
		.ops = clamp(bench_opt.ops / BENCH_PCR_ROUNDS, BENCH_PCR_MIN,
			     BENCH_PCR_MAX),
		.setup = pcr_setup, .body = pcr_body,
		.round_end = pcr_round_end, .teardown = pcr_teardown,
	};

	snprintf(bc.name, sizeof(bc.name), "%urounds", BENCH_PCR_ROUNDS);
	bench_case_run(&bc);
}

/* kheap-walk's blocks: n of them, all held between the pairs. */
struct walk_held {
	unsigned long n;
	void *slot[];
};

/* Blocks of BENCH_WALK_SIZE one superblock of this instance holds. */
static unsigned int walk_blocks_per_sb(struct pheap *ph)
{
	struct pheap_class_stats cs;
	unsigned int i;

	for (i = 0; i < pheap_nr_classes(); i++) {
		if (pheap_class_size(i) < BENCH_WALK_SIZE)
			continue;
		pheap_get_class_stats(ph, i, &cs);
		return cs.blocks_per_sb;
	}
	return 0;
}

/* Room for param superblocks' worth of blocks. */
static int walk_setup(struct bench_ctx *c)
{
	unsigned int per_sb = walk_blocks_per_sb(c->ba.ph);
	struct walk_held *h;

	if (!per_sb)
		return -EINVAL;
	h = kvzalloc(struct_size(h, slot, c->bc->param * per_sb), GFP_KERNEL);
	if (!h)
		return -ENOMEM;
	h->n = c->bc->param * per_sb;
	c->shared = h;
	return 0;
}

/* Fill the superblocks, untimed; the counters then start from zero. */
static void walk_prep(struct bench_worker *w)
{
	const struct bench_alloc ba = w->ctx->ba;
	struct walk_held *h = w->ctx->shared;
	unsigned long i;

	for (i = 0; i < h->n; i++) {
		h->slot[i] = bench_alloc(&ba, BENCH_WALK_SIZE);
		if (unlikely(!h->slot[i])) {
			w->fails++;
			break;
		}
		bench_touch(h->slot[i], BENCH_WALK_SIZE);
		bench_yield(i);
	}
	pheap_reset_events(ba.ph);
}

/* Allocate a block, free a random held one, keep the new one instead. */
static void walk_body(struct bench_worker *w)
{
	const struct bench_alloc ba = w->ctx->ba;
	struct walk_held *h = w->ctx->shared;
	u64 i, n = w->ctx->bc->ops;
	void *p, **slot;

	for (i = 0; i < n; i++) {
		p = bench_alloc(&ba, BENCH_WALK_SIZE);
		if (unlikely(!p)) {
			w->fails++;
			break;
		}
		bench_touch(p, BENCH_WALK_SIZE);
		slot = &h->slot[bench_below(&w->rnd, h->n)];
		if (*slot)
			bench_free(&ba, *slot);
		*slot = p;
		bench_yield(i);
	}
	w->ops = i;
}

static void walk_round_end(struct bench_ctx *c)
{
	struct pheap_stats st;

	pheap_get_stats(c->ba.ph, &st);
	bench_put(c, c->bc->name, "pagerefs",
		  (st.sb_cpu + st.sb_global) * 1000LL);
}

static void walk_teardown(struct bench_ctx *c)
{
	struct walk_held *h = c->shared;

	bench_free_slots(c, h->slot, h->n);
	kvfree(h);
}

static void scn_kheap_walk(void)
{
	struct bench_case bc = {
		.scn = "kheap-walk", .size = BENCH_WALK_SIZE, .nthreads = 1,
		.only = BIT(BENCH_A_KHEAP),
		.ops = max(bench_opt.ops / 10, 1000U),
		.setup = walk_setup, .prep = walk_prep, .body = walk_body,
		.round_end = walk_round_end, .teardown = walk_teardown,
	};
	unsigned int k, sb;

	for (k = 0; k < bench_opt.nr_allocs; k++)
		if (bench_opt.allocs[k] == BENCH_A_KHEAP)
			break;
	if (k == bench_opt.nr_allocs) {
		pr_info("S scenario=kheap-walk skipped: kheap is not measured (designs=)\n");
		return;
	}
	/* Doubling to 64, then steps of 64: both ends of the curve. */
	for (sb = 1; sb <= BENCH_WALK_MAX_SB; sb = sb < 64 ? 2 * sb : sb + 64) {
		bc.param = sb;
		snprintf(bc.name, sizeof(bc.name), "pagerefs%u", sb);
		bench_case_run(&bc);
	}
}

/* Run in this order by "all" in designs mode; harness.c has the tables. */
const struct bench_scn bench_scns_designs[] = {
	{ "prodcons-rounds", scn_prodcons_rounds, 2, true },
	{ "kheap-walk", scn_kheap_walk, 1, true },
	{ }
};
