// SPDX-License-Identifier: GPL-2.0
/*
 * pheap_bench: scenarios where blocks are freed by a CPU that did not
 * allocate them, 64 bytes each.
 *
 *   remote-free	CPUs 1..P-1 allocate and pass every object to CPU 0,
 *			which frees it.
 *   prodcons		CPU 0 allocates, CPUs 1..P-1 free (one ring each,
 *			filled round-robin).
 *   blowup		Hoard's round-robin blowup: in each round CPU i
 *			allocates a batch and frees the batch CPU i-1
 *			allocated the round before (10 rounds, 4 in quick
 *			mode); memory is read after every round (cases
 *			round1..roundN), so a heap that keeps freed blocks
 *			where no one allocates shows growing A/U.
 *
 * Hand-over: remote-free and prodcons pass objects through lock-free
 * single-producer single-consumer rings (struct bench_ring); a side that
 * finds its ring full or empty polls a little, then sleeps
 * (bench_backoff()). blowup needs no hand-over: rounds are separated by
 * the harness (all workers end a round before the next starts), and the
 * batches are two generations of slot arrays, one written and one freed
 * per round.
 */
#include "bench.h"

#define BENCH_RING	4096	/* hand-over ring slots, a power of two */

/*
 * Single-producer single-consumer ring. head and done are written by the
 * producer only, tail by the consumer only; each side reads the other's
 * index with acquire and publishes its own with release.
 */
struct bench_ring {
	unsigned int head ____cacheline_aligned;
	bool done;
	unsigned int tail ____cacheline_aligned;
	void *slot[BENCH_RING] ____cacheline_aligned;
};

static bool ring_push(struct bench_ring *r, void *p)
{
	unsigned int h = r->head;

	/* Acquire: the consumer has read the slot before it moved tail. */
	if (h - smp_load_acquire(&r->tail) >= BENCH_RING)
		return false;
	r->slot[h & (BENCH_RING - 1)] = p;
	/* Release: the slot is written before the consumer sees head. */
	smp_store_release(&r->head, h + 1);
	return true;
}

static void *ring_pop(struct bench_ring *r)
{
	unsigned int t = r->tail;
	void *p;

	/* Acquire: pairs with the release of head in ring_push(). */
	if (smp_load_acquire(&r->head) == t)
		return NULL;
	p = r->slot[t & (BENCH_RING - 1)];
	/* Release: the slot is read before the producer may reuse it. */
	smp_store_release(&r->tail, t + 1);
	return p;
}

static int ring_setup(struct bench_ctx *c)
{
	c->shared = kvcalloc(c->bc->nthreads, sizeof(struct bench_ring),
			     GFP_KERNEL);
	return c->shared ? 0 : -ENOMEM;
}

static void ring_teardown(struct bench_ctx *c)
{
	kvfree(c->shared);
}

/* Free what rings [first, last) bring until every producer is done. */
static void ring_consume(struct bench_worker *w, unsigned int first,
			 unsigned int last)
{
	const struct bench_alloc ba = w->ctx->ba;
	struct bench_ring *rings = w->ctx->shared;
	unsigned int i, open, spins = 0;
	bool done;
	u64 got;
	void *p;

	do {
		open = 0;
		got = 0;
		for (i = first; i < last; i++) {
			/* Acquire: done was set after the last push. */
			done = smp_load_acquire(&rings[i].done);
			while ((p = ring_pop(&rings[i]))) {
				bench_free(&ba, p);
				bench_yield(++got);
			}
			open += !done;
		}
		if (!got)
			bench_backoff(&spins);
	} while (open);
}

/* Allocate n objects, pushing them round-robin to rings [first, last). */
static void ring_produce(struct bench_worker *w, unsigned int first,
			 unsigned int last, u64 n)
{
	const struct bench_alloc ba = w->ctx->ba;
	struct bench_ring *rings = w->ctx->shared;
	unsigned int r = first, tries, spins = 0;
	u64 i;
	void *p;

	for (i = 0; i < n; i++) {
		p = bench_alloc(&ba, BENCH_OBJ);
		if (unlikely(!p)) {
			w->fails++;
			break;
		}
		bench_touch(p, BENCH_OBJ);
		for (tries = 0; !ring_push(&rings[r], p); tries++) {
			r = r + 1 < last ? r + 1 : first;
			if (tries >= last - first)
				bench_backoff(&spins);
		}
		r = r + 1 < last ? r + 1 : first;
		bench_yield(i);
	}
	w->ops = i;
	for (r = first; r < last; r++) {
		/* Release: every push happens before a consumer sees done. */
		smp_store_release(&rings[r].done, true);
	}
}

/* CPUs 1..P-1 allocate, CPU 0 frees everything. */
static void remote_body(struct bench_worker *w)
{
	if (!w->idx)
		ring_consume(w, 1, w->ctx->bc->nthreads);
	else
		ring_produce(w, w->idx, w->idx + 1, w->ctx->bc->ops);
}

/* CPU 0 allocates, CPUs 1..P-1 free. */
static void prodcons_body(struct bench_worker *w)
{
	if (!w->idx)
		ring_produce(w, 1, w->ctx->bc->nthreads, w->ctx->bc->ops);
	else
		ring_consume(w, w->idx, w->idx + 1);
}

static void scn_remote(void)
{
	unsigned int p = bench_opt.nr_cpus;
	struct bench_case bc = {
		.scn = "remote-free", .size = BENCH_OBJ, .nthreads = p,
		.ops = bench_opt.ops / (p - 1), .setup = ring_setup,
		.body = remote_body, .teardown = ring_teardown,
	};

	snprintf(bc.name, sizeof(bc.name), "%uto1", p - 1);
	bench_case_run(&bc);
}

static void scn_prodcons(void)
{
	unsigned int p = bench_opt.nr_cpus;
	struct bench_case bc = {
		.scn = "prodcons", .size = BENCH_OBJ, .nthreads = p,
		.ops = bench_opt.ops, .setup = ring_setup,
		.body = prodcons_body, .teardown = ring_teardown,
	};

	snprintf(bc.name, sizeof(bc.name), "1to%u", p - 1);
	bench_case_run(&bc);
}

/*
 * Two generations of ops objects per CPU: in round r, CPU i fills its
 * slots of generation r & 1 and frees the slots CPU i-1 filled in round
 * r-1. What the workload holds after a round is one generation.
 */
static void **blowup_slots(struct bench_ctx *c, unsigned int gen,
			   unsigned int cpu)
{
	return (void **)c->shared +
	       (gen * c->bc->nthreads + cpu) * c->bc->ops;
}

static int blowup_setup(struct bench_ctx *c)
{
	c->shared = kvcalloc(2 * c->bc->nthreads * c->bc->ops,
			     sizeof(void *), GFP_KERNEL);
	return c->shared ? 0 : -ENOMEM;
}

static void blowup_body(struct bench_worker *w)
{
	struct bench_ctx *c = w->ctx;
	const struct bench_alloc ba = c->ba;
	unsigned int p = c->bc->nthreads, g = c->round & 1;
	void **mine = blowup_slots(c, g, w->idx);
	void **prev = blowup_slots(c, !g, (w->idx + p - 1) % p);
	u64 i;

	for (i = 0; i < c->bc->ops; i++) {
		mine[i] = bench_alloc(&ba, BENCH_OBJ);
		if (likely(mine[i]))
			bench_touch(mine[i], BENCH_OBJ);
		else
			w->fails++;
		if (prev[i])
			bench_free(&ba, prev[i]);
		prev[i] = NULL;
		bench_yield(i);
	}
	w->ops = i;
}

static void blowup_round_end(struct bench_ctx *c)
{
	char cname[BENCH_NAME_LEN];
	struct pheap_stats st;
	s64 held;

	c->live = bench_live_bytes(blowup_slots(c, c->round & 1, 0),
				   c->bc->nthreads * c->bc->ops);
	held = bench_held(c);
	snprintf(cname, sizeof(cname), "round%u", c->round + 1);
	bench_put(c, cname, "held_kb", bench_ratio(held, 1024));
	bench_put(c, cname, "held_over_live", bench_ratio(held, c->live));
	if (c->ba.kind != BENCH_PHEAP)
		return;
	pheap_get_stats(c->ba.ph, &st);
	if (st.a < st.u)
		bench_error("scenario=blowup %s alloc=%s: a=%lu < u=%lu", cname,
			    bench_alloc_names[c->ba.id], st.a, st.u);
	if (st.u)
		bench_put(c, cname, "a_over_u", bench_ratio(st.a, st.u));
}

static void blowup_teardown(struct bench_ctx *c)
{
	bench_free_slots(c, c->shared, 2 * c->bc->nthreads * c->bc->ops);
	kvfree(c->shared);
}

static void scn_blowup(void)
{
	unsigned int rounds = bench_opt.quick ? 4 : 10, p = bench_opt.nr_cpus;
	struct bench_case bc = {
		.scn = "blowup", .size = BENCH_OBJ, .nthreads = p,
		.rounds = rounds,
		.ops = max(64U, bench_opt.ops / (rounds * p)),
		.setup = blowup_setup, .body = blowup_body,
		.round_end = blowup_round_end, .teardown = blowup_teardown,
	};

	/* Each CPU holds up to two generations of its batches. */
	bc.ops = min(bc.ops, bench_opt.hold_max / 2);
	snprintf(bc.name, sizeof(bc.name), "%urounds", rounds);
	bench_case_run(&bc);
}

/* Run in this order by "all"; harness.c has the list of tables. */
const struct bench_scn bench_scns_cross[] = {
	{ "remote-free", scn_remote, 2 },
	{ "prodcons", scn_prodcons, 2 },
	{ "blowup", scn_blowup, 2 },
	{ }
};
