// SPDX-License-Identifier: GPL-2.0
/*
 * pheap_bench: Hoard's benchmark suite in the kernel, pheap next to SLUB.
 *
 * Loading the module runs the suite from module_init and returns 0; the
 * results are lines on the kernel log, one per (scenario, case, metric,
 * allocator), which scripts/bench.sh turns into a table, CSV and plots:
 *
 *	pheap_bench: R scenario=pair case=size64 metric=ns_per_op alloc=pheap
 *		     median=812.345 min=800.101 max=830.999 n=5
 *
 * Allocators ("kinds"): pheap (a private instance per run, created with
 * pheap_create() and the f, K, S pheap.ko was loaded with, destroyed after
 * the run, so its statistics describe that run only), kmalloc/kfree
 * (SLUB), and SLUB with
 * fresh caches ("kcache"): a dedicated kmem_cache where the scenario uses
 * one object size, else a set of caches with kmalloc's size classes
 * (8..2048, objects freed with kfree()). kcache caches are created per run
 * with a usercopy region, so SLUB does not merge them into kmalloc-<n> and
 * their pages count from zero, as pheap's private instance does.
 *
 * Scenarios (Hoard's paper and the kernel's slab tests), each with its
 * cases: pair (alloc+free on one CPU, 16..4096 bytes), pair-after-bulk
 * (pairs of 16 and 64 bytes on a CPU that has just allocated, then freed,
 * a bulk of 64-byte objects from the same allocator, in its untimed prep:
 * 10 objects per pair, at most 1000000; a heap that let a bulk go must
 * keep its fast path), batch (n = 10, 100, 1000 allocations, then their
 * frees, LIFO or shuffled), threadtest (Hoard: per-CPU rounds of 100
 * allocations then frees, 1..P CPUs, fixed total work), larson (random
 * sizes 16..512 in a shared slot array: every CPU replaces random slots
 * with xchg() and frees what it took out, so most frees are remote),
 * remote-free (CPUs 1..P-1 allocate, CPU 0 frees, through SPSC rings),
 * prodcons (CPU 0 allocates, CPUs 1..P-1 free), blowup (round-robin: in
 * each round CPU i allocates and frees what CPU i-1 allocated the round
 * before; memory after every round), active-false and passive-false
 * (Hoard: 8-byte objects written 64 times; passive starts with blocks one
 * CPU allocated for all; cache lines that held blocks of more than one CPU
 * are counted from the addresses), mixed (random sizes 8..2047 and
 * geometric lifetimes, per CPU).
 *
 * Harness: a case is run reps + 1 times per kind, kinds alternating
 * (pheap, kmalloc, kcache, pheap, ...); the first pass is a warm-up and is
 * dropped. One run starts one kthread per CPU taking part, bound to its
 * CPU; each runs the case's prep() (untimed), waits on a completion that
 * releases all workers together, then runs body() between two
 * ktime_get_ns() reads. A run's time is the last end minus the first
 * start; ns_per_op is that time over all operations of all workers, so it
 * is an inverse throughput (an "op" is one allocation and its free).
 * Workers call cond_resched() every few hundred operations and sleep
 * (usleep_range) when they wait for another CPU, so that nothing spins for
 * long on a host that runs more vCPUs than it has cores.
 *
 * Memory next to time: for pheap, pheap_get_stats() after the run gives
 * A (held_kb), peak A (peak_kb), pages taken and returned, and, where the
 * workload holds objects at the end (larson, blowup, mixed), A/U; and how
 * often it left its fast path: refill_pct, refills per 100 small
 * allocations, and moves_pct, superblock moves to and from the global
 * heap per 100 operations (the targets for mixed sizes: at most 5 and 1;
 * pair-after-bulk counts them over the pairs only). For SLUB
 * the only figure a module can read is the system-wide count of slab pages
 * (NR_SLAB_UNRECLAIMABLE_B, summed with the per-CPU deltas not yet folded
 * in); held_kb is its change over the run, which includes any other slab
 * user in the VM, and can be negative. For kmalloc it misses objects that
 * landed in slabs that existed before the run (a lower bound); for kcache,
 * whose caches start empty, it is the run's own footprint. held_over_live
 * divides held bytes by the bytes the workload asked for and still holds,
 * for every kind.
 *
 * Values are printed with three decimals (fixed point, milli-units).
 * Every metric but "lines" (context for shared_lines) is lower-is-better.
 * a_over_u is pheap's own A/U as read; its U still counts remote frees
 * the owner has not collected, so a_over_u_flushed reads it again after
 * pheap_flush(). Nothing here asserts on time; errors
 * (failed allocations, A < U, a run that did no work) are counted and
 * reported on the last line, "pheap_bench: done ... errors=N".
 *
 * Limits: CPUs taking part are the first online ones, at most
 * BENCH_MAX_THREADS; CPU hotplug during a run is not handled.
 */
#define pr_fmt(fmt) "pheap_bench: " fmt

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/log2.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/vmstat.h>

#include "../pheap/pheap.h"

static char *scenarios = "all";
module_param(scenarios, charp, 0444);
MODULE_PARM_DESC(scenarios, "comma-separated scenarios to run, or \"all\"");

static unsigned int reps;
module_param(reps, uint, 0444);
MODULE_PARM_DESC(reps, "measured repetitions per case, after one warm-up (default 5, quick 2)");

static unsigned int ops;
module_param(ops, uint, 0444);
MODULE_PARM_DESC(ops, "operations per run (default 1000000, quick 20000)");

static bool quick;
module_param(quick, bool, 0444);
MODULE_PARM_DESC(quick, "small defaults for make check");

static unsigned int max_cpus;
module_param(max_cpus, uint, 0444);
MODULE_PARM_DESC(max_cpus, "CPUs taking part (default: all online)");

#define BENCH_MAX_REPS		15
#define BENCH_MAX_THREADS	64	/* fits the CPU index in a cache-line offset */
#define BENCH_MAX_METRICS	96	/* (case, metric) pairs of one scenario case */
#define BENCH_NAME_LEN		24

#define BENCH_OBJ		64	/* object size of the fixed-size scenarios */
#define BENCH_RING		4096	/* hand-over ring slots, a power of two */
#define BENCH_TT_BATCH		100	/* threadtest: objects per round */
#define BENCH_LARSON_SLOTS	1024	/* larson: slots per CPU */
#define BENCH_LARSON_MIN	16
#define BENCH_LARSON_MAX	512
#define BENCH_MIXED_SLOTS	512	/* mixed: slots per CPU */
#define BENCH_BULK_MAX		1000000	/* pair-after-bulk: objects in the bulk, */
#define BENCH_BULK_PER_OP	10ULL	/* or this many per pair if fewer */
#define BENCH_FS_SIZE		8	/* false sharing: Hoard's object size */
#define BENCH_FS_WRITES		64	/* writes to each object */
#define BENCH_REC_MAX		4096	/* addresses recorded per CPU */
#define BENCH_YIELD_MASK	255	/* cond_resched() every 256 operations */
#define BENCH_SPINS		64	/* failed polls before a short sleep */

enum bench_kind { BENCH_PHEAP, BENCH_KMALLOC, BENCH_KCACHE, BENCH_NR_KINDS };

static const char *const bench_kind_names[BENCH_NR_KINDS] = {
	[BENCH_PHEAP] = "pheap",
	[BENCH_KMALLOC] = "kmalloc",
	[BENCH_KCACHE] = "kcache",
};

/* kmalloc's size classes up to pheap's largest: the kcache set. */
static const unsigned int bench_kcs_sizes[] = {
	8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048,
};

#define BENCH_NR_KCS	ARRAY_SIZE(bench_kcs_sizes)

/*
 * One allocator under test: ph for pheap; for kcache, kc when the
 * scenario has one size, else kcs, one fresh cache per kmalloc class.
 */
struct bench_alloc {
	enum bench_kind kind;
	struct pheap *ph;
	struct kmem_cache *kc;
	struct kmem_cache *kcs[BENCH_NR_KCS];
};

/* Measured values of one (case, metric), per kind, in milli-units. */
struct bench_metric {
	char cname[BENCH_NAME_LEN];
	char metric[BENCH_NAME_LEN];
	unsigned int n[BENCH_NR_KINDS];
	s64 v[BENCH_NR_KINDS][BENCH_MAX_REPS];
};

struct bench_reg {
	unsigned int nr;
	struct bench_metric m[BENCH_MAX_METRICS];
};

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
	int (*setup)(struct bench_ctx *c);
	void (*prep)(struct bench_worker *w);
	void (*body)(struct bench_worker *w);
	void (*round_end)(struct bench_ctx *c);
	void (*teardown)(struct bench_ctx *c);
};

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

/* One run: one case, one kind, one repetition. */
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

static unsigned int bench_cpus[BENCH_MAX_THREADS];
static unsigned int bench_nr_cpus;
static atomic_t bench_errors = ATOMIC_INIT(0);
static atomic_t bench_kcache_seq = ATOMIC_INIT(0);

#define bench_error(fmt, ...) do {					\
	atomic_inc(&bench_errors);					\
	pr_err("E " fmt "\n", ##__VA_ARGS__);				\
} while (0)

/* ---- allocators ---------------------------------------------------- */

/* Index into bench_kcs_sizes[] of the class serving 1..2048 bytes. */
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
 * The tunables pheap.ko was loaded with (f, K, S: its default instance
 * shows them), so that "insmod pheap.ko k_sb=8" applies to the benchmark
 * instances too. The global reserve is not shown: the built-in default.
 */
static void bench_config(struct pheap_config *cfg)
{
	struct pheap *def = pheap_default();
	struct pheap_stats st;

	pheap_default_config(cfg);
	cfg->name = "pbench";
	if (!def)
		return;
	pheap_get_stats(def, &st);
	cfg->f_pct = st.f_pct;
	cfg->k_sb = st.k_sb;
	if (st.sb_bytes >= PAGE_SIZE)
		cfg->sb_order = ilog2(st.sb_bytes >> PAGE_SHIFT);
}

/*
 * A fresh, unshared cache. A usercopy region keeps SLUB from merging it
 * into kmalloc-<size> or any other cache; its pages count from zero.
 */
static struct kmem_cache *bench_kcache(unsigned int size)
{
	char name[BENCH_NAME_LEN];

	snprintf(name, sizeof(name), "pheap_bench_%d",
		 atomic_inc_return(&bench_kcache_seq));
	return kmem_cache_create_usercopy(name, size, 0, 0, 0, size, NULL);
}

static int bench_open(struct bench_alloc *ba, enum bench_kind kind,
		      unsigned int size)
{
	struct pheap_config cfg;
	unsigned int i;

	memset(ba, 0, sizeof(*ba));
	ba->kind = kind;
	if (kind == BENCH_PHEAP) {
		bench_config(&cfg);
		ba->ph = pheap_create(&cfg);
		if (IS_ERR_OR_NULL(ba->ph)) {
			ba->ph = NULL;
			return -ENOMEM;
		}
	} else if (kind == BENCH_KCACHE && size) {
		ba->kc = bench_kcache(size);
		if (!ba->kc)
			return -ENOMEM;
	} else if (kind == BENCH_KCACHE) {
		for (i = 0; i < BENCH_NR_KCS; i++) {
			ba->kcs[i] = bench_kcache(bench_kcs_sizes[i]);
			if (!ba->kcs[i])
				return -ENOMEM;	/* bench_close() cleans up */
		}
	}
	return 0;
}

static void bench_close(struct bench_alloc *ba)
{
	unsigned long leaked;
	unsigned int i;

	if (ba->ph) {
		leaked = pheap_destroy(ba->ph);
		if (leaked)
			bench_error("pheap destroyed with %lu blocks in use",
				    leaked);
	}
	kmem_cache_destroy(ba->kc);
	for (i = 0; i < BENCH_NR_KCS; i++)
		kmem_cache_destroy(ba->kcs[i]);
}

/* Slab pages in the system, with the per-CPU deltas not yet folded in. */
static long bench_slab_pages(void)
{
	long x = atomic_long_read(&vm_node_stat[NR_SLAB_UNRECLAIMABLE_B]);
	struct per_cpu_nodestat *pcp;
	int nid, cpu;

	for_each_online_node(nid) {
		for_each_online_cpu(cpu) {
			pcp = per_cpu_ptr(NODE_DATA(nid)->per_cpu_nodestats, cpu);
			x += READ_ONCE(pcp->vm_node_stat_diff[NR_SLAB_UNRECLAIMABLE_B]);
		}
	}
	return x;
}

/* Bytes the allocator holds now: pheap's A, or SLUB's change in slab. */
static s64 bench_held(struct bench_ctx *c)
{
	struct pheap_stats st;

	if (c->ba.kind == BENCH_PHEAP) {
		pheap_get_stats(c->ba.ph, &st);
		return st.a;
	}
	return (s64)(bench_slab_pages() - c->slab0) * PAGE_SIZE;
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

/* Waiting for another CPU: poll a little, then sleep a little. */
static void bench_backoff(unsigned int *spins)
{
	if (++*spins < BENCH_SPINS) {
		cpu_relax();
		return;
	}
	*spins = 0;
	usleep_range(5, 20);
}

static int bench_cmp_s64(const void *a, const void *b)
{
	s64 x = *(const s64 *)a, y = *(const s64 *)b;

	return x < y ? -1 : x > y;
}

static void bench_fmt(char *buf, size_t len, s64 v)
{
	u64 a = v < 0 ? -(u64)v : (u64)v;
	u32 frac;
	u64 whole = div_u64_rem(a, 1000, &frac);

	snprintf(buf, len, "%s%llu.%03u", v < 0 ? "-" : "", whole, frac);
}

static s64 bench_ratio(s64 num, u64 den)
{
	if (!den)
		return 0;
	if (num < 0)
		return -(s64)div64_u64((u64)-num * 1000, den);
	return div64_u64((u64)num * 1000, den);
}

/* ---- results ------------------------------------------------------- */

static struct bench_metric *bench_lookup(struct bench_reg *reg,
					 const char *cname, const char *metric)
{
	struct bench_metric *m;
	unsigned int i;

	for (i = 0; i < reg->nr; i++) {
		m = &reg->m[i];
		if (!strcmp(m->cname, cname) && !strcmp(m->metric, metric))
			return m;
	}
	if (reg->nr == BENCH_MAX_METRICS)
		return NULL;
	m = &reg->m[reg->nr++];
	strscpy(m->cname, cname, sizeof(m->cname));
	strscpy(m->metric, metric, sizeof(m->metric));
	return m;
}

/* Record a value (milli-units) of this run; the warm-up pass is dropped. */
static void bench_put(struct bench_ctx *c, const char *cname,
		      const char *metric, s64 milli)
{
	struct bench_metric *m;
	enum bench_kind k = c->ba.kind;

	if (!c->rep)
		return;
	m = bench_lookup(c->reg, cname, metric);
	if (!m) {
		bench_error("scenario=%s too many metrics", c->bc->scn);
		return;
	}
	if (m->n[k] < BENCH_MAX_REPS)
		m->v[k][m->n[k]++] = milli;
}

static void bench_emit_one(const char *scn, struct bench_metric *m,
			   enum bench_kind k)
{
	char med[24], lo[24], hi[24];
	unsigned int n = m->n[k];
	s64 *v = m->v[k];
	s64 mid;

	sort(v, n, sizeof(*v), bench_cmp_s64, NULL);
	mid = n & 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	bench_fmt(med, sizeof(med), mid);
	bench_fmt(lo, sizeof(lo), v[0]);
	bench_fmt(hi, sizeof(hi), v[n - 1]);
	pr_info("R scenario=%s case=%s metric=%s alloc=%s median=%s min=%s max=%s n=%u\n",
		scn, m->cname, m->metric, bench_kind_names[k], med, lo, hi, n);
}

static void bench_emit(const char *scn, struct bench_reg *reg)
{
	unsigned int i;
	int k;

	for (i = 0; i < reg->nr; i++)
		for (k = 0; k < BENCH_NR_KINDS; k++)
			if (reg->m[i].n[k])
				bench_emit_one(scn, &reg->m[i], k);
}

/* ---- harness ------------------------------------------------------- */

static void bench_wait(struct completion *x)
{
	/* Wake up every second: the hung-task detector stays quiet. */
	while (!wait_for_completion_timeout(x, HZ))
		;
}

static void bench_park(void)
{
	set_current_state(TASK_INTERRUPTIBLE);
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_INTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
}

static int bench_thread(void *arg)
{
	struct bench_worker *w = arg;
	struct bench_ctx *c = w->ctx;

	if (c->bc->prep)
		c->bc->prep(w);
	if (atomic_dec_and_test(&c->ready_left))
		complete(&c->ready);
	wait_for_completion(&c->go);
	w->t0 = ktime_get_ns();
	c->bc->body(w);
	w->t1 = ktime_get_ns();
	if (atomic_dec_and_test(&c->done_left))
		complete(&c->done);
	bench_park();
	return 0;
}

static int bench_spawn(struct bench_ctx *c)
{
	unsigned int i, n = c->bc->nthreads;
	struct bench_worker *w;

	for (i = 0; i < n; i++) {
		w = &c->w[i];
		w->ops = 0;
		w->fails = 0;
		w->nrec = 0;
		w->rnd = 0x9e3779b97f4a7c15ULL * (i + 1) + c->rep * 7919 +
			 c->round;
		w->task = kthread_create_on_cpu(bench_thread, w, bench_cpus[i],
						"pbench/%u");
		if (IS_ERR(w->task)) {
			while (i--)
				kthread_stop(c->w[i].task);
			return -ENOMEM;
		}
	}
	return 0;
}

/* Run body() once on every worker; add the time and the work to c. */
static int bench_exec(struct bench_ctx *c)
{
	unsigned int i, n = c->bc->nthreads;
	u64 t0 = U64_MAX, t1 = 0;

	atomic_set(&c->ready_left, n);
	atomic_set(&c->done_left, n);
	reinit_completion(&c->ready);
	reinit_completion(&c->go);
	reinit_completion(&c->done);
	if (bench_spawn(c)) {
		bench_error("scenario=%s case=%s: no kthreads", c->bc->scn,
			    c->bc->name);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		wake_up_process(c->w[i].task);
	bench_wait(&c->ready);
	complete_all(&c->go);
	bench_wait(&c->done);
	for (i = 0; i < n; i++) {
		kthread_stop(c->w[i].task);
		t0 = min(t0, c->w[i].t0);
		t1 = max(t1, c->w[i].t1);
		c->nops += c->w[i].ops;
	}
	c->ns += t1 - t0;
	return 0;
}

static struct bench_ctx *bench_ctx_new(const struct bench_case *bc,
				       struct bench_reg *reg, unsigned int rep)
{
	struct bench_ctx *c;
	unsigned int i;

	c = kzalloc(struct_size(c, w, bc->nthreads), GFP_KERNEL);
	if (!c)
		return NULL;
	c->bc = bc;
	c->reg = reg;
	c->rep = rep;
	init_completion(&c->ready);
	init_completion(&c->go);
	init_completion(&c->done);
	for (i = 0; i < bc->nthreads; i++) {
		c->w[i].ctx = c;
		c->w[i].idx = i;
		if (!bc->wbuf)
			continue;
		c->w[i].buf = kvcalloc(bc->wbuf, sizeof(void *), GFP_KERNEL);
		if (!c->w[i].buf)
			goto free;
	}
	return c;
free:
	while (i--)
		kvfree(c->w[i].buf);
	kfree(c);
	return NULL;
}

static void bench_ctx_free(struct bench_ctx *c)
{
	unsigned int i;

	for (i = 0; i < c->bc->nthreads; i++)
		kvfree(c->w[i].buf);
	kfree(c);
}

/*
 * How often pheap left its fast path: refills per 100 small allocations
 * (none for pair size4096: whole pages), and superblock moves to and from
 * the global heap per 100 operations.
 */
static void bench_record_slow_path(struct bench_ctx *c,
				   const struct pheap_stats *st)
{
	unsigned long moves = st->ev[PHEAP_EV_TO_GLOBAL] +
			      st->ev[PHEAP_EV_FROM_GLOBAL];

	if (st->ev[PHEAP_EV_ALLOC])
		bench_put(c, c->bc->name, "refill_pct",
			  bench_ratio(100LL * st->ev[PHEAP_EV_REFILL],
				      st->ev[PHEAP_EV_ALLOC]));
	bench_put(c, c->bc->name, "moves_pct", bench_ratio(100LL * moves,
							   c->nops));
}

/* pheap's own figures for the run; A < U would be a bug in pheap. */
static void bench_record_pheap(struct bench_ctx *c)
{
	const char *cn = c->bc->name;
	struct pheap_stats st;

	pheap_get_stats(c->ba.ph, &st);
	if (st.a < st.u || st.peak_a < st.a)
		bench_error("scenario=%s case=%s: pheap a=%lu u=%lu peak_a=%lu",
			    c->bc->scn, cn, st.a, st.u, st.peak_a);
	bench_put(c, cn, "peak_kb", bench_ratio(st.peak_a, 1024));
	bench_put(c, cn, "pages_in", st.ev[PHEAP_EV_PAGES_IN] * 1000LL);
	bench_put(c, cn, "pages_out", st.ev[PHEAP_EV_PAGES_OUT] * 1000LL);
	bench_put(c, cn, "refills", st.ev[PHEAP_EV_REFILL] * 1000LL);
	bench_put(c, cn, "to_global", st.ev[PHEAP_EV_TO_GLOBAL] * 1000LL);
	bench_put(c, cn, "from_global", st.ev[PHEAP_EV_FROM_GLOBAL] * 1000LL);
	bench_record_slow_path(c, &st);
	if (!c->live)
		return;
	if (st.u)
		bench_put(c, cn, "a_over_u", bench_ratio(st.a, st.u));
	/* U counts remote frees not yet collected; collect them and look again. */
	pheap_flush(c->ba.ph);
	pheap_get_stats(c->ba.ph, &st);
	if (st.a < st.u)
		bench_error("scenario=%s case=%s: flushed pheap a=%lu u=%lu",
			    c->bc->scn, cn, st.a, st.u);
	if (st.u)
		bench_put(c, cn, "a_over_u_flushed", bench_ratio(st.a, st.u));
}

/* Time and memory of a finished run, before teardown frees the rest. */
static void bench_record(struct bench_ctx *c)
{
	const char *cn = c->bc->name;
	unsigned long fails = 0;
	unsigned int i;
	s64 held;

	for (i = 0; i < c->bc->nthreads; i++)
		fails += c->w[i].fails;
	if (fails)
		bench_error("scenario=%s case=%s alloc=%s: %lu failed allocations",
			    c->bc->scn, cn, bench_kind_names[c->ba.kind], fails);
	if (!c->nops || !c->ns) {
		bench_error("scenario=%s case=%s alloc=%s: no work done",
			    c->bc->scn, cn, bench_kind_names[c->ba.kind]);
		return;
	}
	bench_put(c, cn, "ns_per_op", bench_ratio(c->ns, c->nops));
	held = bench_held(c);
	bench_put(c, cn, "held_kb", bench_ratio(held, 1024));
	if (c->live)
		bench_put(c, cn, "held_over_live", bench_ratio(held, c->live));
	if (c->ba.kind == BENCH_PHEAP)
		bench_record_pheap(c);
}

static void bench_one(const struct bench_case *bc, struct bench_reg *reg,
		      enum bench_kind kind, unsigned int rep)
{
	unsigned int rounds = bc->rounds ? bc->rounds : 1;
	struct bench_ctx *c;

	c = bench_ctx_new(bc, reg, rep);
	if (!c) {
		bench_error("scenario=%s case=%s: no memory", bc->scn, bc->name);
		return;
	}
	if (bench_open(&c->ba, kind, bc->size)) {
		bench_error("scenario=%s case=%s: cannot create %s", bc->scn,
			    bc->name, bench_kind_names[kind]);
		goto close;
	}
	if (bc->setup && bc->setup(c)) {
		bench_error("scenario=%s case=%s: setup failed", bc->scn,
			    bc->name);
		goto close;
	}
	/* After setup: its arrays may be large kmallocs, counted as slab. */
	c->slab0 = bench_slab_pages();
	for (c->round = 0; c->round < rounds; c->round++) {
		if (bench_exec(c))
			break;
		if (bc->round_end)
			bc->round_end(c);
	}
	bench_record(c);
	if (bc->teardown)
		bc->teardown(c);
close:
	bench_close(&c->ba);
	bench_ctx_free(c);
}

/* Every kind, alternating, reps + 1 times; then print the medians. */
static void bench_case_run(const struct bench_case *bc)
{
	struct bench_reg *reg;
	unsigned int rep;
	int k;

	reg = kvzalloc(sizeof(*reg), GFP_KERNEL);
	if (!reg) {
		bench_error("scenario=%s: no memory", bc->scn);
		return;
	}
	for (rep = 0; rep <= reps; rep++) {
		for (k = 0; k < BENCH_NR_KINDS; k++) {
			bench_one(bc, reg, k, rep);
			cond_resched();
		}
	}
	bench_emit(bc->scn, reg);
	kvfree(reg);
}

/* ---- pair, batch, threadtest: one CPU or no sharing ----------------- */

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
		.scn = "pair", .nthreads = 1, .ops = ops, .body = pair_body,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		bc.size = sizes[i];
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
		.scn = "batch", .nthreads = 1, .size = BENCH_OBJ, .ops = ops,
		.setup = batch_setup, .body = batch_body,
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

	for (t = 1; t <= bench_nr_cpus; t++) {
		bc.nthreads = t;
		bc.ops = ops / t;	/* fixed total work, as in Hoard */
		snprintf(bc.name, sizeof(bc.name), "cpus%u", t);
		bench_case_run(&bc);
	}
}

/* ---- larson: frees by other CPUs through a shared slot array -------- */

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

/* Objects carry their requested size in their first word. */
static u64 bench_live_bytes(void **slot, unsigned long n)
{
	unsigned long i;
	u64 sum = 0;

	for (i = 0; i < n; i++)
		if (slot[i])
			sum += *(u32 *)slot[i];
	return sum;
}

static void larson_round_end(struct bench_ctx *c)
{
	c->live = bench_live_bytes(c->shared,
				   BENCH_LARSON_SLOTS * c->bc->nthreads);
}

static void bench_free_slots(struct bench_ctx *c, void **slot,
			     unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		if (slot[i])
			bench_free(&c->ba, slot[i]);
		slot[i] = NULL;
		bench_yield(i);
	}
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
		.nthreads = bench_nr_cpus, .ops = ops / bench_nr_cpus,
		.setup = larson_setup, .prep = larson_prep,
		.body = larson_body, .round_end = larson_round_end,
		.teardown = larson_teardown,
	};

	bench_case_run(&bc);
}

/* ---- remote-free and prodcons: hand-over rings ---------------------- */

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
	struct bench_case bc = {
		.scn = "remote-free", .size = BENCH_OBJ,
		.nthreads = bench_nr_cpus, .ops = ops / (bench_nr_cpus - 1),
		.setup = ring_setup, .body = remote_body,
		.teardown = ring_teardown,
	};

	snprintf(bc.name, sizeof(bc.name), "%uto1", bench_nr_cpus - 1);
	bench_case_run(&bc);
}

static void scn_prodcons(void)
{
	struct bench_case bc = {
		.scn = "prodcons", .size = BENCH_OBJ,
		.nthreads = bench_nr_cpus, .ops = ops,
		.setup = ring_setup, .body = prodcons_body,
		.teardown = ring_teardown,
	};

	snprintf(bc.name, sizeof(bc.name), "1to%u", bench_nr_cpus - 1);
	bench_case_run(&bc);
}

/* ---- blowup: CPU i allocates, CPU i+1 frees, round after round ------ */

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
		bench_error("scenario=blowup %s: pheap a=%lu < u=%lu", cname,
			    st.a, st.u);
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
	unsigned int rounds = quick ? 4 : 10;
	struct bench_case bc = {
		.scn = "blowup", .size = BENCH_OBJ,
		.nthreads = bench_nr_cpus, .rounds = rounds,
		.ops = max(64U, ops / (rounds * bench_nr_cpus)),
		.setup = blowup_setup, .body = blowup_body,
		.round_end = blowup_round_end, .teardown = blowup_teardown,
	};

	snprintf(bc.name, sizeof(bc.name), "%urounds", rounds);
	bench_case_run(&bc);
}

/* ---- active and passive false sharing ------------------------------- */

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

static int bench_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
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
			goto free;
	}
	c->shared = handed;
	return 0;
free:
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
	struct bench_case bc = {
		.scn = scn, .size = BENCH_FS_SIZE,
		.nthreads = bench_nr_cpus, .wbuf = BENCH_REC_MAX,
		.ops = ops / bench_nr_cpus,
		.body = passive ? passive_body : active_body,
		.round_end = fs_round_end,
	};

	if (passive) {
		bc.setup = passive_setup;
		bc.teardown = passive_teardown;
	}
	snprintf(bc.name, sizeof(bc.name), "size%u-cpus%u", BENCH_FS_SIZE,
		 bench_nr_cpus);
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

/* ---- mixed sizes and lifetimes -------------------------------------- */

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
		.nthreads = bench_nr_cpus, .ops = ops / bench_nr_cpus,
		.wbuf = BENCH_MIXED_SLOTS, .body = mixed_body,
		.round_end = mixed_round_end, .teardown = mixed_teardown,
	};

	bench_case_run(&bc);
}

/* ---- pair-after-bulk: pairs on a heap that has just freed a bulk ---- */

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
	struct bench_case bc = {
		.scn = "pair-after-bulk", .nthreads = 1, .ops = ops,
		.wbuf = min_t(u64, BENCH_BULK_MAX, BENCH_BULK_PER_OP * ops),
		.prep = bulk_prep, .body = bulk_body,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		bc.param = sizes[i];
		snprintf(bc.name, sizeof(bc.name), "size%u", sizes[i]);
		bench_case_run(&bc);
	}
}

/* ---- the suite ------------------------------------------------------ */

struct bench_scn {
	const char *name;
	void (*run)(void);
	unsigned int min_cpus;
};

static const struct bench_scn bench_scns[] = {
	{ "pair", scn_pair, 1 },
	{ "pair-after-bulk", scn_pair_after_bulk, 1 },
	{ "batch", scn_batch, 1 },
	{ "threadtest", scn_threadtest, 1 },
	{ "larson", scn_larson, 2 },
	{ "remote-free", scn_remote, 2 },
	{ "prodcons", scn_prodcons, 2 },
	{ "blowup", scn_blowup, 2 },
	{ "active-false", scn_active, 2 },
	{ "passive-false", scn_passive, 2 },
	{ "mixed", scn_mixed, 1 },
};

static const struct bench_scn *bench_find(const char *name, size_t len)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bench_scns); i++)
		if (strlen(bench_scns[i].name) == len &&
		    !strncmp(bench_scns[i].name, name, len))
			return &bench_scns[i];
	return NULL;
}

/* Is scenario @name selected by the scenarios= list? */
static bool bench_wanted(const char *name)
{
	const char *s = scenarios;
	size_t n;

	if (!strcmp(s, "all"))
		return true;
	for (; *s; s += n + !!s[n]) {
		n = strcspn(s, ",");
		if (n == strlen(name) && !strncmp(s, name, n))
			return true;
	}
	return false;
}

static int bench_check_list(void)
{
	const char *s = scenarios;
	size_t n;

	if (!strcmp(s, "all"))
		return 0;
	for (; *s; s += n + !!s[n]) {
		n = strcspn(s, ",");
		if (n && !bench_find(s, n)) {
			pr_err("unknown scenario '%.*s'\n", (int)n, s);
			return -EINVAL;
		}
	}
	return 0;
}

static void bench_pick_cpus(void)
{
	unsigned int cpu, limit = BENCH_MAX_THREADS;

	if (max_cpus && max_cpus < limit)
		limit = max_cpus;
	bench_nr_cpus = 0;
	for_each_online_cpu(cpu) {
		if (bench_nr_cpus == limit)
			break;
		bench_cpus[bench_nr_cpus++] = cpu;
	}
}

static void bench_run_scn(const struct bench_scn *s)
{
	u64 t0 = ktime_get_ns();
	u32 ms;

	if (bench_nr_cpus < s->min_cpus) {
		pr_info("S scenario=%s skipped: needs %u CPUs\n", s->name,
			s->min_cpus);
		return;
	}
	s->run();
	ms = div_u64(ktime_get_ns() - t0, NSEC_PER_MSEC);
	pr_info("D scenario=%s secs=%u.%03u\n", s->name, ms / 1000, ms % 1000);
}

static int __init pheap_bench_init(void)
{
	unsigned int i, ran = 0;
	struct pheap_config cfg;
	u64 t0 = ktime_get_ns();
	u32 ms;

	if (bench_check_list())
		return -EINVAL;
	reps = min_t(unsigned int, reps ? reps : (quick ? 2 : 5), BENCH_MAX_REPS);
	ops = max(ops ? ops : (quick ? 20000U : 1000000U), 1000U);
	bench_pick_cpus();
	bench_config(&cfg);
	pr_info("start cpus=%u reps=%u ops=%u quick=%d init_on_alloc=%d f_pct=%u k_sb=%u sb_bytes=%lu scenarios=%s\n",
		bench_nr_cpus, reps, ops, quick, want_init_on_alloc(GFP_KERNEL),
		cfg.f_pct, cfg.k_sb, PAGE_SIZE << cfg.sb_order, scenarios);
	for (i = 0; i < ARRAY_SIZE(bench_scns); i++) {
		if (!bench_wanted(bench_scns[i].name))
			continue;
		bench_run_scn(&bench_scns[i]);
		ran++;
	}
	ms = div_u64(ktime_get_ns() - t0, NSEC_PER_MSEC);
	pr_info("done scenarios=%u errors=%d secs=%u.%03u\n", ran,
		atomic_read(&bench_errors), ms / 1000, ms % 1000);
	return 0;
}

static void __exit pheap_bench_exit(void)
{
}

module_init(pheap_bench_init);
module_exit(pheap_bench_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("pheap benchmarks: Hoard's suite next to kmalloc and kmem_cache");
