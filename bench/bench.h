/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pheap_bench: what the harness (bench/harness.c) and the scenario files
 * (bench/scn_*.c) share.
 *
 * A scenario file defines its scenarios as a table of struct bench_scn,
 * ended by an empty entry, and declared here; harness.c runs the tables in
 * a fixed order. A scenario's run() describes its cases (struct bench_case:
 * workers, object size, operations, and the callbacks that do the work)
 * and hands each to bench_case_run(), which runs it on every allocator of
 * the run, repetition after repetition, and prints the medians.
 *
 * Allocators are numbered (enum bench_alloc_id): pheap's default design,
 * kmalloc, kcache, then each of pheap's designs by name. A run measures a
 * list of them (bench_opt.allocs): pheap, kmalloc, kcache normally; the
 * chosen designs and kmalloc in designs mode. Every pheap design is
 * reached the same way (kind BENCH_PHEAP): bench_alloc() and bench_free()
 * below are the only calls into the allocators on the measured paths.
 *
 * Concurrency: bench_opt is written by the one run in progress (under the
 * harness's run mutex) before any worker starts, and only read while
 * workers run. Everything else is per run (struct bench_ctx) or per worker.
 */
#ifndef _PHEAP_BENCH_H
#define _PHEAP_BENCH_H

#include <linux/bits.h>
#include <linux/build_bug.h>
#include <linux/compiler.h>
#include <linux/completion.h>
#include <linux/math64.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/types.h>

#include "../pheap/pheap.h"

#define BENCH_MAX_REPS		31
#define BENCH_MAX_THREADS	64	/* fits the CPU index in a cache-line offset */
#define BENCH_MAX_METRICS	256	/* (case, metric) pairs of one scenario case */
#define BENCH_NAME_LEN		24

#define BENCH_OBJ		64	/* object size of the fixed-size scenarios */
#define BENCH_YIELD_MASK	255	/* cond_resched() every 256 operations */

/* How a run allocates: pheap (any design), kmalloc, fresh kmem_caches. */
enum bench_kind { BENCH_PHEAP, BENCH_KMALLOC, BENCH_KCACHE };

/*
 * Allocators, as named in the result lines: "pheap" is pheap's default
 * design (hoard) in the normal runs; in designs mode every design is an
 * allocator of its own named for it, hoard included, next to kmalloc.
 */
enum bench_alloc_id {
	BENCH_A_PHEAP,
	BENCH_A_KMALLOC,
	BENCH_A_KCACHE,
	BENCH_A_DESIGN,		/* + enum pheap_design */
	BENCH_NR_ALLOCS = BENCH_A_DESIGN + PHEAP_DESIGN_NR
};

#define BENCH_A_KHEAP	(BENCH_A_DESIGN + PHEAP_DESIGN_KHEAP)

extern const char *const bench_alloc_names[BENCH_NR_ALLOCS];

/* kmalloc's size classes up to pheap's largest: the kcache set. */
#define BENCH_NR_KCS	11

/*
 * One allocator under test: ph for pheap; for kcache, kc when the
 * scenario has one size, else kcs, one fresh cache per kmalloc class.
 */
struct bench_alloc {
	enum bench_kind kind;
	enum bench_alloc_id id;
	struct pheap *ph;
	struct kmem_cache *kc;
	struct kmem_cache *kcs[BENCH_NR_KCS];
};

/**
 * struct bench_opts - parameters of the run in progress
 * @reps:	measured repetitions per case, after one warm-up
 * @ops:	operations per run (a scenario divides them as it says)
 * @quick:	make check's small mode (fewer blowup rounds)
 * @designs:	designs mode: the designs in @allocs, next to kmalloc
 * @hold_max:	objects a worker may hold at once, where a scenario holds
 *		many (pair-after-bulk's bulk, blowup's generations): capped
 *		in designs mode, where kheap's free walks them all
 * @nr_allocs:	allocators measured, in the order they alternate
 * @allocs:	their ids
 * @nr_cpus:	CPUs taking part, the first online ones
 * @cpus:	their numbers
 */
struct bench_opts {
	unsigned int reps, ops;
	bool quick, designs;
	u64 hold_max;
	unsigned int nr_allocs;
	enum bench_alloc_id allocs[BENCH_NR_ALLOCS];
	unsigned int nr_cpus;
	unsigned int cpus[BENCH_MAX_THREADS];
};

extern struct bench_opts bench_opt;

struct bench_ctx;
struct bench_worker;

/**
 * struct bench_case - one measured configuration of a scenario
 * @scn:	scenario name
 * @name:	case name, e.g. "size64" or "cpus2"
 * @nthreads:	workers, on the first @nthreads bench CPUs
 * @size:	object size, or 0 when sizes vary (kcache is a set then)
 * @rounds:	runs per measurement, sharing one allocator (blowup)
 * @ops:	operations per worker per round
 * @param:	scenario-specific (batch: objects per batch;
 *		pair-after-bulk: the size of the pairs)
 * @shuffle:	batch: free in a shuffled order instead of LIFO
 * @wbuf:	pointer slots per worker the harness allocates (w->buf)
 * @only:	BIT() of the allocators the case is for; 0: every one
 * @setup:	before the first round, after the allocator is open
 * @prep:	in each worker before the start barrier (untimed)
 * @body:	the timed work of one worker
 * @round_end:	after each round, all workers finished
 * @teardown:	after the last round: free what the workload still holds
 */
struct bench_case {
	const char *scn;
	char name[BENCH_NAME_LEN];
	unsigned int nthreads, size, rounds;
	u64 ops, param;
	bool shuffle;
	unsigned int wbuf;
	u32 only;
	int (*setup)(struct bench_ctx *c);
	void (*prep)(struct bench_worker *w);
	void (*body)(struct bench_worker *w);
	void (*round_end)(struct bench_ctx *c);
	void (*teardown)(struct bench_ctx *c);
};

static_assert(BENCH_NR_ALLOCS <= 32);	/* bench_case.only */

/*
 * One worker. Written only by its own kthread while the run is going;
 * the coordinator reads it after the done completion.
 */
struct bench_worker {
	struct bench_ctx *ctx;
	struct task_struct *task;
	unsigned int idx;
	u64 t0, t1, ops, rnd;
	unsigned long fails;
	unsigned long nrec;	/* false sharing: addresses in buf */
	void **buf;		/* bc->wbuf slots */
} ____cacheline_aligned;

struct bench_reg;

/* One run: one case, one allocator, one repetition. */
struct bench_ctx {
	const struct bench_case *bc;
	struct bench_alloc ba;
	struct bench_reg *reg;
	unsigned int rep, round;
	void *shared;		/* scenario state, from setup() */
	long slab0;		/* slab pages after setup() */
	u64 ns, nops;		/* summed over rounds */
	u64 live;		/* bytes the workload holds after the last round */
	atomic_t ready_left, done_left;
	struct completion ready, go, done;
	struct bench_worker w[];
};

/**
 * struct bench_scn - one scenario, as the run file and scripts name it
 * @name:	 e.g. "pair"
 * @run:	 runs its cases (bench_case_run() for each)
 * @min_cpus:	 CPUs it needs; skipped with fewer
 * @designs:	 runs in designs mode only ("all" leaves it out otherwise;
 *		 named, it runs in either mode)
 */
struct bench_scn {
	const char *name;
	void (*run)(void);
	unsigned int min_cpus;
	bool designs;
};

/* The scenario tables, in the order "all" runs them; each ends with { }. */
extern const struct bench_scn bench_scns_single[];	/* scn_single.c */
extern const struct bench_scn bench_scns_threads[];	/* scn_threads.c */
extern const struct bench_scn bench_scns_cross[];	/* scn_cross.c */
extern const struct bench_scn bench_scns_false[];	/* scn_false.c */
extern const struct bench_scn bench_scns_mixed[];	/* scn_mixed.c */
extern const struct bench_scn bench_scns_nmi[];		/* scn_nmi.c */
extern const struct bench_scn bench_scns_designs[];	/* scn_designs.c */

/* harness.c */
void bench_case_run(const struct bench_case *bc);
void bench_put(struct bench_ctx *c, const char *cname, const char *metric,
	       s64 milli);
__printf(1, 2) void bench_error(const char *fmt, ...);
s64 bench_held(struct bench_ctx *c);
u64 bench_live_bytes(void **slot, unsigned long n);
void bench_free_slots(struct bench_ctx *c, void **slot, unsigned long n);
void bench_backoff(unsigned int *spins);
int bench_cmp_u64(const void *a, const void *b);

/* ---- allocators ---------------------------------------------------- */

/* Index into the kcache set of the class serving 1..2048 bytes. */
static inline unsigned int bench_kcs_index(size_t size)
{
	static const u8 small[24] = {	/* (size - 1) / 8 for size <= 192 */
		0, 1, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4,
		5, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 6,
	};

	if (size <= 192)
		return small[(size - 1) / 8];
	return fls(size - 1) - 1;	/* 256 -> 7 ... 2048 -> 10 */
}

static __always_inline void *bench_alloc(const struct bench_alloc *ba,
					 size_t size)
{
	switch (ba->kind) {
	case BENCH_PHEAP:
		return pheap_alloc_in(ba->ph, size, GFP_KERNEL);
	case BENCH_KCACHE:
		if (likely(ba->kc))
			return kmem_cache_alloc(ba->kc, GFP_KERNEL);
		return kmem_cache_alloc(ba->kcs[bench_kcs_index(size)],
					GFP_KERNEL);
	default:
		return kmalloc(size, GFP_KERNEL);
	}
}

/* SLUB's kfree() takes objects of any cache: the kcache set uses it. */
static __always_inline void bench_free(const struct bench_alloc *ba, void *p)
{
	switch (ba->kind) {
	case BENCH_PHEAP:
		pheap_free_in(ba->ph, p);
		break;
	case BENCH_KCACHE:
		if (likely(ba->kc)) {
			kmem_cache_free(ba->kc, p);
			break;
		}
		fallthrough;
	default:
		kfree(p);
	}
}

/*
 * n objects of one size freed at once: pheap's and a single cache's bulk
 * free; kmalloc's objects through kfree_bulk().
 */
static __always_inline void bench_free_bulk(const struct bench_alloc *ba,
					    unsigned int n, void **a)
{
	switch (ba->kind) {
	case BENCH_PHEAP:
		pheap_free_bulk_in(ba->ph, n, a);
		break;
	case BENCH_KCACHE:
		if (likely(ba->kc)) {
			kmem_cache_free_bulk(ba->kc, n, a);
			break;
		}
		fallthrough;
	default:
		kfree_bulk(n, a);
	}
}

/*
 * n objects of one size allocated at once, all or none: pheap's and a
 * single cache's bulk allocation; kmalloc, which has none, n calls.
 */
static __always_inline bool bench_alloc_bulk(const struct bench_alloc *ba,
					     size_t size, unsigned int n,
					     void **a)
{
	unsigned int i;

	switch (ba->kind) {
	case BENCH_PHEAP:
		return pheap_alloc_bulk_in(ba->ph, size, GFP_KERNEL, n, a) == n;
	case BENCH_KCACHE:
		if (likely(ba->kc))
			return kmem_cache_alloc_bulk(ba->kc, GFP_KERNEL, n, a) == n;
		fallthrough;
	default:
		for (i = 0; i < n; i++) {
			a[i] = bench_alloc(ba, size);
			if (unlikely(!a[i])) {
				bench_free_bulk(ba, i, a);
				return false;
			}
		}
		return true;
	}
}

/* ---- small helpers ------------------------------------------------- */

static inline u64 bench_rand(u64 *s)
{
	u64 x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

static inline u32 bench_below(u64 *s, u32 n)
{
	return (u32)(bench_rand(s) >> 32) % n;
}

/* Use the object the way a caller would: write its size in it. */
static inline void bench_touch(void *p, u32 size)
{
	WRITE_ONCE(*(u32 *)p, size);
}

static inline void bench_yield(u64 i)
{
	if (!(i & BENCH_YIELD_MASK))
		cond_resched();
}

/* num / den in milli-units (num * 1000 / den), 0 when den is 0. */
static inline s64 bench_ratio(s64 num, u64 den)
{
	if (!den)
		return 0;
	if (num < 0)
		return -(s64)div64_u64((u64)-num * 1000, den);
	return div64_u64((u64)num * 1000, den);
}

#endif /* _PHEAP_BENCH_H */
