// SPDX-License-Identifier: GPL-2.0
/*
 * pheap_bench: Hoard's false-sharing scenarios, 8-byte objects, every CPU.
 *
 *   active-false	each CPU allocates an object, writes it 64 times,
 *			frees it, and again: an allocator that hands
 *			neighbouring blocks to different CPUs makes them
 *			share cache lines (actively induced false sharing).
 *   passive-false	the same, but first every CPU frees an object the
 *			main thread allocated for it (neighbours in one
 *			line): an allocator that reuses a freed block on the
 *			CPU that freed it keeps the sharing going.
 *
 * Measured besides the time: every worker records the addresses it got
 * (consecutive repeats once, at most BENCH_REC_MAX, in w->buf); after the
 * run, shared_lines counts the cache lines (address >> 6) that held
 * blocks of more than one CPU, and lines the distinct lines seen. These
 * do not depend on timing, so they mean the same under TCG, which does
 * not model caches, as on hardware.
 */
#include <linux/sort.h>

#include "bench.h"

#define BENCH_FS_SIZE		8	/* Hoard's object size */
#define BENCH_FS_WRITES		64	/* writes to each object */
#define BENCH_REC_MAX		4096	/* addresses recorded per CPU */

/* Remember where blocks landed; consecutive repeats are kept once. */
static inline void fs_record(struct bench_worker *w, void *p)
{
	if (w->nrec && w->buf[w->nrec - 1] == p)
		return;
	if (w->nrec < BENCH_REC_MAX)
		w->buf[w->nrec++] = p;
}

/* Hoard's false-sharing loop: allocate, write it many times, free. */
static void fs_loop(struct bench_worker *w)
{
	const struct bench_alloc ba = w->ctx->ba;
	u64 i, n = w->ctx->bc->ops;
	unsigned int k;
	u64 *p;

	for (i = 0; i < n; i++) {
		p = bench_alloc(&ba, BENCH_FS_SIZE);
		if (unlikely(!p)) {
			w->fails++;
			break;
		}
		fs_record(w, p);
		for (k = 0; k < BENCH_FS_WRITES; k++)
			WRITE_ONCE(*p, k);
		bench_free(&ba, p);
		bench_yield(i);
	}
	w->ops = i;
}

/*
 * Count cache lines that held blocks handed to more than one CPU, over
 * the whole run. Keys are line address | CPU index (index < 64).
 */
static void fs_round_end(struct bench_ctx *c)
{
	unsigned long i, j, n = 0, lines = 0, shared = 0;
	unsigned int cpus;
	u64 *key;

	for (i = 0; i < c->bc->nthreads; i++)
		n += c->w[i].nrec;
	key = kvmalloc_array(max(n, 1UL), sizeof(*key), GFP_KERNEL);
	if (!key) {
		bench_error("scenario=%s: no memory", c->bc->scn);
		return;
	}
	for (i = 0, n = 0; i < c->bc->nthreads; i++)
		for (j = 0; j < c->w[i].nrec; j++)
			key[n++] = ((unsigned long)c->w[i].buf[j] & ~63UL) | i;
	sort(key, n, sizeof(*key), bench_cmp_u64, NULL);
	for (i = 0; i < n; i = j) {
		for (j = i + 1, cpus = 1; j < n && key[j] >> 6 == key[i] >> 6; j++)
			cpus += key[j] != key[j - 1];
		lines++;
		shared += cpus > 1;
	}
	kvfree(key);
	bench_put(c, c->bc->name, "shared_lines", shared * 1000LL);
	bench_put(c, c->bc->name, "lines", lines * 1000LL);
}

static void active_body(struct bench_worker *w)
{
	fs_loop(w);
}

/* The main thread allocates one block per CPU, next to each other. */
static int passive_setup(struct bench_ctx *c)
{
	void **handed;
	unsigned int i;

	handed = kcalloc(c->bc->nthreads, sizeof(void *), GFP_KERNEL);
	if (!handed)
		return -ENOMEM;
	for (i = 0; i < c->bc->nthreads; i++) {
		handed[i] = bench_alloc(&c->ba, BENCH_FS_SIZE);
		if (!handed[i])
			goto free_handed;
	}
	c->shared = handed;
	return 0;
free_handed:
	while (i--)
		bench_free(&c->ba, handed[i]);
	kfree(handed);
	return -ENOMEM;
}

/* Free the block the main thread handed over, then the active loop. */
static void passive_body(struct bench_worker *w)
{
	void **handed = w->ctx->shared;

	if (handed[w->idx]) {
		WRITE_ONCE(*(u64 *)handed[w->idx], w->idx);
		bench_free(&w->ctx->ba, handed[w->idx]);
		handed[w->idx] = NULL;
	}
	fs_loop(w);
}

static void passive_teardown(struct bench_ctx *c)
{
	kfree(c->shared);
}

static void scn_false(const char *scn, bool passive)
{
	unsigned int p = bench_opt.nr_cpus;
	struct bench_case bc = {
		.scn = scn, .size = BENCH_FS_SIZE, .nthreads = p,
		.wbuf = BENCH_REC_MAX, .ops = bench_opt.ops / p,
		.body = passive ? passive_body : active_body,
		.round_end = fs_round_end,
	};

	if (passive) {
		bc.setup = passive_setup;
		bc.teardown = passive_teardown;
	}
	snprintf(bc.name, sizeof(bc.name), "size%u-cpus%u", BENCH_FS_SIZE, p);
	bench_case_run(&bc);
}

static void scn_active(void)
{
	scn_false("active-false", false);
}

static void scn_passive(void)
{
	scn_false("passive-false", true);
}

/* Run in this order by "all"; harness.c has the list of tables. */
const struct bench_scn bench_scns_false[] = {
	{ "active-false", scn_active, 2 },
	{ "passive-false", scn_passive, 2 },
	{ }
};
