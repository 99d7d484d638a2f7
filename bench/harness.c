// SPDX-License-Identifier: GPL-2.0
/*
 * pheap_bench: Hoard's benchmark suite in the kernel, pheap next to SLUB,
 * and pheap's heap designs next to each other.
 *
 * Loading the module runs nothing: it creates
 * /sys/kernel/debug/pheap_bench/run, and a write to that file is one run
 * of the suite, in the writer's context (the write returns when the run
 * is over; one run at a time, a second writer gets -EBUSY). What is
 * written is a list of words: scenario names, comma lists of them, or
 * "all", and options as key=value:
 *
 *	echo "pair,larson reps=3 ops=100000" > /sys/kernel/debug/pheap_bench/run
 *	echo "all designs=all ops=400000" > /sys/kernel/debug/pheap_bench/run
 *
 * reps, ops, quick, max_cpus and scenarios default to the module
 * parameters of the same names; designs= (a comma list of pheap's design
 * names, or "all") selects designs mode. An unknown word fails the write
 * with -EINVAL and runs nothing. The results are lines on the kernel log,
 * one per (scenario, case, metric, allocator), which scripts/bench.sh
 * turns into tables, CSV and plots:
 *
 *	pheap_bench: R scenario=pair case=size64 metric=ns_per_op alloc=pheap
 *		     median=812.345 min=800.101 max=830.999 n=15 q1=805.3 q3=820.0
 *	pheap_bench: R scenario=pair case=size64 metric=ratio_km alloc=pheap
 *		     median=0.912 min=0.850 max=1.020 n=15 q1=0.890 q3=0.930
 *
 * framed by "start ..." and "done scenarios=N errors=N secs=S", with a
 * "D scenario=... secs=..." line after each scenario.
 *
 * Allocators: normally pheap (a private instance per run, created with
 * pheap_create() and the f, K, S pheap.ko was loaded with, destroyed after
 * the run, so its statistics describe that run only; its design is the
 * default, hoard), kmalloc/kfree (SLUB), and SLUB with fresh caches
 * ("kcache"): a dedicated kmem_cache where the scenario uses one object
 * size, else a set of caches with kmalloc's size classes (8..2048, objects
 * freed with kfree()). kcache caches are created per run with a usercopy
 * region, so SLUB does not merge them into kmalloc-<n> and their pages
 * count from zero, as pheap's private instance does. In designs mode the
 * allocators are pheap instances created with cfg.design set to each
 * chosen design, named for it in the result lines (alloc=kheap, serial,
 * class-lock, private, ownership, hoard), and kmalloc; no kcache. Each
 * worker then holds at most BENCH_DESIGNS_HOLD objects where a scenario
 * would hold more (kheap's free walks every superblock held), and the
 * designs-only scenarios run too (bench/scn_designs.c).
 *
 * Scenarios, each with its cases, in files by group: scn_single.c (pair,
 * pair-after-bulk, batch: one CPU), scn_threads.c (threadtest, larson),
 * scn_cross.c (remote-free, prodcons, blowup: blocks freed by another
 * CPU), scn_false.c (active-false, passive-false), scn_mixed.c (mixed),
 * scn_designs.c (prodcons-rounds, kheap-walk); each file's header says
 * what its scenarios do.
 *
 * Harness: a case is run in short slices, reps + 1 per allocator (15 +
 * 1 of 300000 operations by default), allocators alternating (pheap,
 * kmalloc, kcache, pheap, ...) on the same CPUs; the first pass is a
 * warm-up and is dropped. One slice starts one kthread per CPU taking
 * part, bound to its CPU; each runs the case's prep() (untimed), waits on
 * a completion that releases all workers together, then runs body()
 * between two ktime_get_ns() reads. A slice's time is the last end minus
 * the first start; ns_per_op is that time over all operations of all
 * workers, so it is an inverse throughput (an "op" is one allocation and
 * its free). Every time is also divided by kmalloc's (ratio_km) and
 * kcache's (ratio_kc) of the same repetition, the slices that ran next
 * to it: the median of those per-slice ratios, with its interquartile
 * range (q1..q3), is what the tables call a ratio. The host's noise moves
 * neighbouring slices together, so it cancels in the pairs rather than
 * widening the medians of each allocator apart.
 * Workers call cond_resched() every few hundred operations and sleep
 * (usleep_range) when they wait for another CPU, so that nothing spins for
 * long on a host that runs more vCPUs than it has cores. The writer waits
 * for the workers with timeouts of a second, so the hung-task detector
 * stays quiet.
 *
 * Memory next to time: for pheap, pheap_get_stats() after the run gives
 * A (held_kb), peak A (peak_kb), pages taken and returned, and, where the
 * workload holds objects at the end (larson, blowup, mixed), A/U; and how
 * often it left its fast path: refill_pct, refills per 100 small
 * allocations, and moves_pct, superblock moves to and from the global
 * heap per 100 operations (the targets for mixed sizes: at most 5 and 1;
 * pair-after-bulk counts them over the pairs only); for the designs with
 * a shared-heap lock, lock_pct (acquisitions that found it taken, per 100
 * acquisitions) and locks_per_op; for kheap, walked_per_free (pagerefs a
 * free passed, PHEAP_EV_WALKED over PHEAP_EV_FREE). For SLUB the only
 * figure a module can read is the system-wide count of slab pages
 * (NR_SLAB_UNRECLAIMABLE_B, summed with the per-CPU deltas not yet folded
 * in); held_kb is its change over the run, which includes any other slab
 * user in the VM, and can be negative. For kmalloc it misses objects that
 * landed in slabs that existed before the run (a lower bound); for kcache,
 * whose caches start empty, it is the run's own footprint. held_over_live
 * divides held bytes by the bytes the workload asked for and still holds,
 * for every kind.
 *
 * Values are printed with three decimals (fixed point, milli-units).
 * Every metric but "lines" (context for shared_lines) and "pagerefs"
 * (kheap-walk's x axis) is lower-is-better. a_over_u is pheap's own A/U as
 * read; its U still counts remote frees the owner has not collected, so
 * a_over_u_flushed reads it again after pheap_flush(). Nothing here
 * asserts on time; errors (failed allocations, A < U, a run that did no
 * work, a design not in force) are counted and reported on the last line,
 * "pheap_bench: done ... errors=N".
 *
 * Context: the writer of the run file, which sleeps; workers are kthreads
 * bound to their CPUs. bench_run_lock serialises runs, and bench_opt and
 * bench_errors belong to the run holding it. Unloading waits for a run in
 * progress (debugfs_remove() waits for the writer to leave).
 *
 * Limits: CPUs taking part are the first online ones, at most
 * BENCH_MAX_THREADS; CPU hotplug during a run is not handled.
 */
#define pr_fmt(fmt) "pheap_bench: " fmt

#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vmstat.h>

#include "bench.h"

static char *scenarios = "all";
module_param(scenarios, charp, 0444);
MODULE_PARM_DESC(scenarios, "default scenarios of a run: comma-separated, or \"all\"");

static unsigned int reps;
module_param(reps, uint, 0444);
MODULE_PARM_DESC(reps, "default measured repetitions (slices) per case, after one warm-up (15; quick 2, designs 7)");

static unsigned int ops;
module_param(ops, uint, 0444);
MODULE_PARM_DESC(ops, "default operations per run, one slice (300000; quick 20000, designs 200000)");

static bool quick;
module_param(quick, bool, 0444);
MODULE_PARM_DESC(quick, "default to make check's small mode");

static unsigned int max_cpus;
module_param(max_cpus, uint, 0444);
MODULE_PARM_DESC(max_cpus, "default CPUs taking part (0: all online)");

#define BENCH_CMD_LEN		512	/* longest write to the run file */
#define BENCH_DESIGNS_HOLD	16384	/* designs mode: bench_opt.hold_max */

const char *const bench_alloc_names[BENCH_NR_ALLOCS] = {
	[BENCH_A_PHEAP] = "pheap",
	[BENCH_A_KMALLOC] = "kmalloc",
	[BENCH_A_KCACHE] = "kcache",
	[BENCH_A_DESIGN + PHEAP_DESIGN_KHEAP] = "kheap",
	[BENCH_A_DESIGN + PHEAP_DESIGN_SERIAL] = "serial",
	[BENCH_A_DESIGN + PHEAP_DESIGN_CLASS_LOCK] = "class-lock",
	[BENCH_A_DESIGN + PHEAP_DESIGN_PRIVATE] = "private",
	[BENCH_A_DESIGN + PHEAP_DESIGN_OWNERSHIP] = "ownership",
	[BENCH_A_DESIGN + PHEAP_DESIGN_HOARD] = "hoard",
	[BENCH_A_DESIGN + PHEAP_DESIGN_BOUNDARY_TAG] = "boundary-tag",
	[BENCH_A_DESIGN + PHEAP_DESIGN_BLOCK_LOCK] = "block-lock",
	[BENCH_A_DESIGN + PHEAP_DESIGN_BTREE] = "btree",
};

static_assert(PHEAP_DESIGN_NR == 9);	/* one name above per design */

/* kmalloc's size classes up to pheap's largest: the kcache set. */
static const unsigned int bench_kcs_sizes[BENCH_NR_KCS] = {
	8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048,
};

/* Measured values of one (case, metric), per allocator, in milli-units. */
struct bench_metric {
	char cname[BENCH_NAME_LEN];
	char metric[BENCH_NAME_LEN];
	unsigned int n[BENCH_NR_ALLOCS];
	s64 v[BENCH_NR_ALLOCS][BENCH_MAX_REPS];
};

struct bench_reg {
	unsigned int nr;
	struct bench_metric m[BENCH_MAX_METRICS];
};

struct bench_opts bench_opt;
static char bench_want[BENCH_CMD_LEN];	/* scenarios of the run */
static atomic_t bench_errors = ATOMIC_INIT(0);
static atomic_t bench_kcache_seq = ATOMIC_INIT(0);
static DEFINE_MUTEX(bench_run_lock);
static struct dentry *bench_dir;

/**
 * bench_error() - report an error of the run and count it
 * @fmt: printf format of the message, without a newline
 *
 * Prints "pheap_bench: E <message>"; the run's last line counts them.
 * Context: any the bench runs in.
 */
void bench_error(const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	atomic_inc(&bench_errors);
	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	pr_err("E %pV\n", &vaf);
	va_end(args);
}

/* ---- allocators ---------------------------------------------------- */

/*
 * The tunables pheap.ko was loaded with (f, K, S, the global reserve:
 * its default instance shows them), so that "insmod pheap.ko k_sb=8"
 * applies to the benchmark instances too.
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
	cfg->global_reserve = st.global_reserve;
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

/* A pheap instance of the allocator's design; is that design in force? */
static int bench_open_pheap(struct bench_alloc *ba)
{
	struct pheap_config cfg;
	struct pheap_stats st;
	int design = ba->id - BENCH_A_DESIGN;

	bench_config(&cfg);
	if (ba->id >= BENCH_A_DESIGN)
		cfg.design = bench_alloc_names[ba->id];
	ba->ph = pheap_create(&cfg);
	if (IS_ERR_OR_NULL(ba->ph)) {
		ba->ph = NULL;
		return -ENOMEM;
	}
	pheap_get_stats(ba->ph, &st);
	if (ba->id >= BENCH_A_DESIGN && st.design != design) {
		bench_error("alloc=%s: pheap_create() gave design %u",
			    bench_alloc_names[ba->id], st.design);
		return -EINVAL;
	}
	return 0;
}

static int bench_open(struct bench_alloc *ba, enum bench_alloc_id id,
		      unsigned int size)
{
	unsigned int i;

	memset(ba, 0, sizeof(*ba));
	ba->id = id;
	ba->kind = id == BENCH_A_KMALLOC ? BENCH_KMALLOC :
		   id == BENCH_A_KCACHE ? BENCH_KCACHE : BENCH_PHEAP;
	if (ba->kind == BENCH_PHEAP)
		return bench_open_pheap(ba);
	if (ba->kind == BENCH_KCACHE && size) {
		ba->kc = bench_kcache(size);
		if (!ba->kc)
			return -ENOMEM;
	} else if (ba->kind == BENCH_KCACHE) {
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
			bench_error("alloc=%s: pheap destroyed with %lu blocks in use",
				    bench_alloc_names[ba->id], leaked);
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

/**
 * bench_held() - bytes the run's allocator holds now
 * @c: the run
 *
 * Context: process; not while workers run (a racy but harmless read).
 * Return: pheap's A, or for SLUB the change in slab bytes since setup().
 */
s64 bench_held(struct bench_ctx *c)
{
	struct pheap_stats st;

	if (c->ba.kind == BENCH_PHEAP) {
		pheap_get_stats(c->ba.ph, &st);
		return st.a;
	}
	return (s64)(bench_slab_pages() - c->slab0) * PAGE_SIZE;
}

/**
 * bench_live_bytes() - bytes a workload holds in a slot array
 * @slot: the array; NULL slots are empty
 * @n: its length
 *
 * Objects carry their requested size in their first word (bench_touch()).
 * Context: process, the slots' owner or no worker running.
 * Return: the sum of those sizes.
 */
u64 bench_live_bytes(void **slot, unsigned long n)
{
	unsigned long i;
	u64 sum = 0;

	for (i = 0; i < n; i++)
		if (slot[i])
			sum += *(u32 *)slot[i];
	return sum;
}

/**
 * bench_free_slots() - free what a slot array holds, and empty it
 * @c: the run whose allocator the objects came from
 * @slot: the array; NULL slots are skipped
 * @n: its length
 *
 * Context: process, the slots' owner or no worker running.
 */
void bench_free_slots(struct bench_ctx *c, void **slot, unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		if (slot[i])
			bench_free(&c->ba, slot[i]);
		slot[i] = NULL;
		bench_yield(i);
	}
}

/**
 * bench_backoff() - wait for another CPU: poll a little, then sleep
 * @spins: the caller's count of failed polls, kept between calls
 *
 * Context: a worker kthread; may sleep.
 */
void bench_backoff(unsigned int *spins)
{
	if (++*spins < 64) {
		cpu_relax();
		return;
	}
	*spins = 0;
	usleep_range(5, 20);
}

/**
 * bench_cmp_u64() - sort() comparison of two u64
 * @a: one
 * @b: the other
 *
 * Return: -1, 0 or 1 as *@a is below, equal to or above *@b.
 */
int bench_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* ---- results ------------------------------------------------------- */

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

/**
 * bench_put() - record a value of this run
 * @c: the run
 * @cname: the case it belongs to (a scenario may add cases, e.g. rounds)
 * @metric: what it is, e.g. "held_kb"
 * @milli: the value in milli-units
 *
 * The warm-up pass (repetition 0) is dropped.
 * Context: process, between a run's workers (not from them).
 */
void bench_put(struct bench_ctx *c, const char *cname, const char *metric,
	       s64 milli)
{
	struct bench_metric *m;
	enum bench_alloc_id a = c->ba.id;

	if (!c->rep)
		return;
	m = bench_lookup(c->reg, cname, metric);
	if (!m) {
		bench_error("scenario=%s too many metrics", c->bc->scn);
		return;
	}
	if (m->n[a] < BENCH_MAX_REPS)
		m->v[a][m->n[a]++] = milli;
}

/* The @k-th quartile (0..4) of the @n sorted values @v, interpolated. */
static s64 bench_quartile(const s64 *v, unsigned int n, unsigned int k)
{
	unsigned int pos4 = (n - 1) * k, lo = pos4 / 4;

	if (pos4 % 4 == 0)
		return v[lo];
	return v[lo] + (v[lo + 1] - v[lo]) * (s64)(pos4 % 4) / 4;
}

/* One "R" line: the median, quartiles and extremes of @n values. */
static void bench_emit_values(const char *scn, const char *cname,
			      const char *metric, enum bench_alloc_id a,
			      s64 *v, unsigned int n)
{
	char q[5][24];
	unsigned int k;

	sort(v, n, sizeof(*v), bench_cmp_s64, NULL);
	for (k = 0; k <= 4; k++)
		bench_fmt(q[k], sizeof(q[k]), bench_quartile(v, n, k));
	pr_info("R scenario=%s case=%s metric=%s alloc=%s median=%s min=%s max=%s n=%u q1=%s q3=%s\n",
		scn, cname, metric, bench_alloc_names[a], q[2], q[0], q[4], n,
		q[1], q[3]);
}

/*
 * The per-slice ratios of allocator @a's time to allocator @to's, paired
 * by repetition: each repetition runs every allocator back to back on the
 * same CPUs, so a pair shares the host's state of that moment, and the
 * median of the ratios is steadier than the ratio of the medians.
 */
static void bench_emit_ratio(const char *scn, struct bench_metric *m,
			     enum bench_alloc_id a, enum bench_alloc_id to,
			     const char *metric)
{
	s64 r[BENCH_MAX_REPS];
	unsigned int i, n = m->n[a];

	if (!n || m->n[to] != n)
		return;
	for (i = 0; i < n; i++) {
		if (m->v[to][i] <= 0)
			return;
		r[i] = div64_s64(m->v[a][i] * 1000, m->v[to][i]);
	}
	bench_emit_values(scn, m->cname, metric, a, r, n);
}

static void bench_emit_ratios(const char *scn, struct bench_metric *m)
{
	enum bench_alloc_id a;
	unsigned int k;

	for (k = 0; k < bench_opt.nr_allocs; k++) {
		a = bench_opt.allocs[k];
		if (a == BENCH_A_KMALLOC || a == BENCH_A_KCACHE)
			continue;
		bench_emit_ratio(scn, m, a, BENCH_A_KMALLOC, "ratio_km");
		bench_emit_ratio(scn, m, a, BENCH_A_KCACHE, "ratio_kc");
	}
}

static void bench_emit(const char *scn, struct bench_reg *reg)
{
	struct bench_metric *m;
	enum bench_alloc_id a;
	unsigned int i, k;

	for (i = 0; i < reg->nr; i++) {
		m = &reg->m[i];
		/* before the values are sorted: the ratios pair them */
		if (!strcmp(m->metric, "ns_per_op"))
			bench_emit_ratios(scn, m);
		for (k = 0; k < bench_opt.nr_allocs; k++) {
			a = bench_opt.allocs[k];
			if (m->n[a])
				bench_emit_values(scn, m->cname, m->metric, a,
						  m->v[a], m->n[a]);
		}
	}
}

/* ---- runs ---------------------------------------------------------- */

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
		w->task = kthread_create_on_cpu(bench_thread, w,
						bench_opt.cpus[i], "pbench/%u");
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
			goto free_bufs;
	}
	return c;
free_bufs:
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
 * the global heap per 100 operations. For the designs with a shared-heap
 * lock, how often it was found taken; for kheap, how far a free walked.
 */
static void bench_record_slow_path(struct bench_ctx *c,
				   const struct pheap_stats *st)
{
	unsigned long moves = st->ev[PHEAP_EV_TO_GLOBAL] +
			      st->ev[PHEAP_EV_FROM_GLOBAL];
	const char *cn = c->bc->name;

	if (st->ev[PHEAP_EV_ALLOC])
		bench_put(c, cn, "refill_pct",
			  bench_ratio(100LL * st->ev[PHEAP_EV_REFILL],
				      st->ev[PHEAP_EV_ALLOC]));
	bench_put(c, cn, "moves_pct", bench_ratio(100LL * moves, c->nops));
	if (st->ev[PHEAP_EV_LOCK]) {
		bench_put(c, cn, "lock_pct",
			  bench_ratio(100LL * st->ev[PHEAP_EV_LOCK_CONTENDED],
				      st->ev[PHEAP_EV_LOCK]));
		bench_put(c, cn, "locks_per_op",
			  bench_ratio(st->ev[PHEAP_EV_LOCK], c->nops));
	}
	/* btree: how long its writer lock is held, an acquisition */
	if (st->run.hold_ns && st->ev[PHEAP_EV_LOCK]) {
		bench_put(c, cn, "hold_ns_per_lock",
			  bench_ratio(st->run.hold_ns, st->ev[PHEAP_EV_LOCK]));
		bench_put(c, cn, "hold_max_ns", 1000LL * st->run.hold_max_ns);
	}
	if (st->ev[PHEAP_EV_WALKED] && st->ev[PHEAP_EV_FREE])
		bench_put(c, cn, "walked_per_free",
			  bench_ratio(st->ev[PHEAP_EV_WALKED],
				      st->ev[PHEAP_EV_FREE]));
	if (st->ev[PHEAP_EV_SEARCHED] && st->ev[PHEAP_EV_ALLOC]) {
		bench_put(c, cn, "searched_per_alloc",
			  bench_ratio(st->ev[PHEAP_EV_SEARCHED],
				      st->ev[PHEAP_EV_ALLOC]));
		bench_put(c, cn, "search_max", 1000LL * st->run.search_max);
		bench_put(c, cn, "search_p99", 1000LL * st->run.search_p99);
		/* what aligning power-of-two sizes left free in front */
		bench_put(c, cn, "pad_per_alloc",
			  bench_ratio(st->ev[PHEAP_EV_ALIGN_PAD],
				      st->ev[PHEAP_EV_ALLOC]));
	}
}

/* pheap's own figures for the run; A < U would be a bug in pheap. */
static void bench_record_pheap(struct bench_ctx *c)
{
	const char *cn = c->bc->name;
	struct pheap_stats st;

	pheap_get_stats(c->ba.ph, &st);
	if (st.a < st.u || st.peak_a < st.a)
		bench_error("scenario=%s case=%s alloc=%s: a=%lu u=%lu peak_a=%lu",
			    c->bc->scn, cn, bench_alloc_names[c->ba.id],
			    st.a, st.u, st.peak_a);
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
	/* boundary-tag, objects still held: its free space and its headers */
	if (st.run.free_bytes)
		bench_put(c, cn, "ext_frag_pct",
			  bench_ratio(100LL * (st.run.free_bytes -
					       st.run.largest_free),
				      st.run.free_bytes));
	if (st.run.hdr_bytes && st.u)
		bench_put(c, cn, "hdr_pct",
			  bench_ratio(100LL * st.run.hdr_bytes, st.u));
	/* U counts remote frees not yet collected; collect them and look again. */
	pheap_flush(c->ba.ph);
	pheap_get_stats(c->ba.ph, &st);
	if (st.a < st.u)
		bench_error("scenario=%s case=%s alloc=%s: flushed a=%lu u=%lu",
			    c->bc->scn, cn, bench_alloc_names[c->ba.id],
			    st.a, st.u);
	if (st.u)
		bench_put(c, cn, "a_over_u_flushed", bench_ratio(st.a, st.u));
}

/* Time and memory of a finished run, before teardown frees the rest. */
static void bench_record(struct bench_ctx *c)
{
	const char *cn = c->bc->name, *an = bench_alloc_names[c->ba.id];
	unsigned long fails = 0;
	unsigned int i;
	s64 held;

	for (i = 0; i < c->bc->nthreads; i++)
		fails += c->w[i].fails;
	if (fails)
		bench_error("scenario=%s case=%s alloc=%s: %lu failed allocations",
			    c->bc->scn, cn, an, fails);
	if (!c->nops || !c->ns) {
		bench_error("scenario=%s case=%s alloc=%s: no work done",
			    c->bc->scn, cn, an);
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
		      enum bench_alloc_id id, unsigned int rep)
{
	unsigned int rounds = bc->rounds ? bc->rounds : 1;
	struct bench_ctx *c;

	c = bench_ctx_new(bc, reg, rep);
	if (!c) {
		bench_error("scenario=%s case=%s: no memory", bc->scn, bc->name);
		return;
	}
	if (bench_open(&c->ba, id, bc->size)) {
		bench_error("scenario=%s case=%s: cannot create %s", bc->scn,
			    bc->name, bench_alloc_names[id]);
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

/**
 * bench_case_run() - measure one case on every allocator of the run
 * @bc: the case
 *
 * Every allocator (the ones @bc->only allows), alternating, reps + 1
 * times; then print the medians, one "R" line per (case, metric,
 * allocator).
 * Context: process, the run's writer; sleeps.
 */
void bench_case_run(const struct bench_case *bc)
{
	struct bench_reg *reg;
	unsigned int rep, k;
	enum bench_alloc_id a;

	reg = kvzalloc(sizeof(*reg), GFP_KERNEL);
	if (!reg) {
		bench_error("scenario=%s: no memory", bc->scn);
		return;
	}
	for (rep = 0; rep <= bench_opt.reps; rep++) {
		for (k = 0; k < bench_opt.nr_allocs; k++) {
			a = bench_opt.allocs[k];
			if (bc->only && !(bc->only & BIT(a)))
				continue;
			bench_one(bc, reg, a, rep);
			cond_resched();
		}
	}
	bench_emit(bc->scn, reg);
	kvfree(reg);
}

/* ---- the suite ----------------------------------------------------- */

static const struct bench_scn *const bench_groups[] = {
	bench_scns_single, bench_scns_threads, bench_scns_cross,
	bench_scns_false, bench_scns_mixed, bench_scns_nmi,
	bench_scns_designs,
};

static const struct bench_scn *bench_find(const char *name, size_t len)
{
	const struct bench_scn *s;
	unsigned int g;

	for (g = 0; g < ARRAY_SIZE(bench_groups); g++)
		for (s = bench_groups[g]; s->name; s++)
			if (strlen(s->name) == len && !strncmp(s->name, name, len))
				return s;
	return NULL;
}

/* Is scenario @s selected by the run's list? */
static bool bench_wanted(const struct bench_scn *s)
{
	const char *w = bench_want;
	size_t n;

	if (!strcmp(w, "all"))
		return !s->designs || bench_opt.designs;
	for (; *w; w += n + !!w[n]) {
		n = strcspn(w, ",");
		if (n == strlen(s->name) && !strncmp(w, s->name, n))
			return true;
	}
	return false;
}

/* Add a comma list of scenario names (or "all") to the run's list. */
static int bench_add_scenarios(const char *list)
{
	const char *s;
	size_t n;

	if (!strcmp(list, "all")) {
		strscpy(bench_want, "all", sizeof(bench_want));
		return 0;
	}
	for (s = list; *s; s += n + !!s[n]) {
		n = strcspn(s, ",");
		if (n && !bench_find(s, n)) {
			pr_err("unknown scenario '%.*s'\n", (int)n, s);
			return -EINVAL;
		}
	}
	if (!strcmp(bench_want, "all"))
		return 0;	/* "all pair" is all */
	if (!bench_want[0]) {
		strscpy(bench_want, list, sizeof(bench_want));
		return 0;
	}
	if (strlcat(bench_want, ",", sizeof(bench_want)) >= sizeof(bench_want) ||
	    strlcat(bench_want, list, sizeof(bench_want)) >= sizeof(bench_want))
		return -E2BIG;
	return 0;
}

/* The design named by the @n bytes at @s, or -EINVAL. */
static int bench_design(const char *s, size_t n)
{
	const char *name;
	int d;

	for (d = 0; d < PHEAP_DESIGN_NR; d++) {
		name = bench_alloc_names[BENCH_A_DESIGN + d];
		if (n == strlen(name) && !strncmp(s, name, n))
			return d;
	}
	pr_err("unknown design '%.*s'\n", (int)n, s);
	return -EINVAL;
}

/* designs=all or designs=a,b: those designs, in enum order, then kmalloc. */
static int bench_set_designs(const char *list)
{
	u32 want = 0;
	const char *s;
	size_t n;
	int d;

	if (!strcmp(list, "all"))
		list = "";
	for (s = list; *s; s += n + !!s[n]) {
		n = strcspn(s, ",");
		d = bench_design(s, n);
		if (d < 0)
			return d;
		want |= BIT(d);
	}
	if (!want)
		want = BIT(PHEAP_DESIGN_NR) - 1;
	bench_opt.designs = true;
	bench_opt.nr_allocs = 0;
	for (d = 0; d < PHEAP_DESIGN_NR; d++)
		if (want & BIT(d))
			bench_opt.allocs[bench_opt.nr_allocs++] = BENCH_A_DESIGN + d;
	bench_opt.allocs[bench_opt.nr_allocs++] = BENCH_A_KMALLOC;
	return 0;
}

static int bench_uint(const char *key, const char *val, unsigned int *res)
{
	if (kstrtouint(val, 0, res)) {
		pr_err("%s=%s: not a number\n", key, val);
		return -EINVAL;
	}
	return 0;
}

/* One word of the run file: a scenario list, or key=value. */
static int bench_parse_word(char *word, unsigned int *max)
{
	char *val = strchr(word, '=');
	bool b;

	if (!val)
		return bench_add_scenarios(word);
	*val++ = '\0';
	if (!strcmp(word, "scenarios"))
		return bench_add_scenarios(val);
	if (!strcmp(word, "designs"))
		return bench_set_designs(val);
	if (!strcmp(word, "reps"))
		return bench_uint(word, val, &bench_opt.reps);
	if (!strcmp(word, "ops"))
		return bench_uint(word, val, &bench_opt.ops);
	if (!strcmp(word, "max_cpus"))
		return bench_uint(word, val, max);
	if (!strcmp(word, "quick")) {
		if (kstrtobool(val, &b))
			return -EINVAL;
		bench_opt.quick = b;
		return 0;
	}
	pr_err("unknown option '%s'\n", word);
	return -EINVAL;
}

static void bench_pick_cpus(unsigned int max)
{
	unsigned int cpu, limit = BENCH_MAX_THREADS;

	if (max && max < limit)
		limit = max;
	bench_opt.nr_cpus = 0;
	for_each_online_cpu(cpu) {
		if (bench_opt.nr_cpus == limit)
			break;
		bench_opt.cpus[bench_opt.nr_cpus++] = cpu;
	}
}

/* The run's options: the module parameters, then the words of @cmd. */
static int bench_parse(char *cmd)
{
	unsigned int max = max_cpus;
	char *word;
	int ret;

	memset(&bench_opt, 0, sizeof(bench_opt));
	bench_opt.reps = reps;
	bench_opt.ops = ops;
	bench_opt.quick = quick;
	bench_opt.allocs[0] = BENCH_A_PHEAP;
	bench_opt.allocs[1] = BENCH_A_KMALLOC;
	bench_opt.allocs[2] = BENCH_A_KCACHE;
	bench_opt.nr_allocs = 3;
	bench_want[0] = '\0';
	while ((word = strsep(&cmd, " \t\n"))) {
		if (!*word)
			continue;
		ret = bench_parse_word(word, &max);
		if (ret)
			return ret;
	}
	if (!bench_want[0]) {
		ret = bench_add_scenarios(scenarios);
		if (ret)
			return ret;
	}
	if (!bench_opt.reps)
		bench_opt.reps = bench_opt.quick ? 2 : bench_opt.designs ? 7 : 15;
	bench_opt.reps = min(bench_opt.reps, BENCH_MAX_REPS);
	if (!bench_opt.ops)
		bench_opt.ops = bench_opt.quick ? 20000 :
				bench_opt.designs ? 200000 : 300000;
	bench_opt.ops = max(bench_opt.ops, 1000U);
	bench_opt.hold_max = bench_opt.designs ? BENCH_DESIGNS_HOLD : U64_MAX;
	bench_pick_cpus(max);
	return 0;
}

static void bench_run_scn(const struct bench_scn *s)
{
	u64 t0 = ktime_get_ns();
	u32 ms;

	if (bench_opt.nr_cpus < s->min_cpus) {
		pr_info("S scenario=%s skipped: needs %u CPUs\n", s->name,
			s->min_cpus);
		return;
	}
	s->run();
	ms = div_u64(ktime_get_ns() - t0, NSEC_PER_MSEC);
	pr_info("D scenario=%s secs=%u.%03u\n", s->name, ms / 1000, ms % 1000);
}

/* One run of the suite, as the words of @cmd ask. */
static int bench_run(char *cmd)
{
	char allocs[BENCH_NR_ALLOCS * BENCH_NAME_LEN] = "";
	const struct bench_scn *s;
	unsigned int g, k, ran = 0;
	struct pheap_config cfg;
	u64 t0 = ktime_get_ns();
	int ret;
	u32 ms;

	ret = bench_parse(cmd);
	if (ret)
		return ret;
	atomic_set(&bench_errors, 0);
	for (k = 0; k < bench_opt.nr_allocs; k++) {
		if (k)
			strlcat(allocs, ",", sizeof(allocs));
		strlcat(allocs, bench_alloc_names[bench_opt.allocs[k]],
			sizeof(allocs));
	}
	bench_config(&cfg);
	pr_info("start cpus=%u reps=%u ops=%u quick=%d init_on_alloc=%d f_pct=%u k_sb=%u sb_bytes=%lu allocs=%s scenarios=%s\n",
		bench_opt.nr_cpus, bench_opt.reps, bench_opt.ops,
		bench_opt.quick, want_init_on_alloc(GFP_KERNEL), cfg.f_pct,
		cfg.k_sb, PAGE_SIZE << cfg.sb_order, allocs, bench_want);
	for (g = 0; g < ARRAY_SIZE(bench_groups); g++) {
		for (s = bench_groups[g]; s->name; s++) {
			if (!bench_wanted(s))
				continue;
			bench_run_scn(s);
			ran++;
		}
	}
	ms = div_u64(ktime_get_ns() - t0, NSEC_PER_MSEC);
	pr_info("done scenarios=%u errors=%d secs=%u.%03u\n", ran,
		atomic_read(&bench_errors), ms / 1000, ms % 1000);
	return 0;
}

/* ---- the run file -------------------------------------------------- */

static ssize_t bench_run_write(struct file *file, const char __user *ubuf,
			       size_t len, loff_t *ppos)
{
	char *cmd;
	int ret;

	if (len >= BENCH_CMD_LEN)
		return -E2BIG;
	cmd = memdup_user_nul(ubuf, len);
	if (IS_ERR(cmd))
		return PTR_ERR(cmd);
	if (!mutex_trylock(&bench_run_lock)) {
		kfree(cmd);
		return -EBUSY;
	}
	ret = bench_run(cmd);
	mutex_unlock(&bench_run_lock);
	kfree(cmd);
	return ret ? ret : len;
}

static const struct file_operations bench_run_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = bench_run_write,
	.llseek = noop_llseek,
};

static int __init pheap_bench_init(void)
{
	bench_dir = debugfs_create_dir("pheap_bench", NULL);
	if (IS_ERR(bench_dir)) {
		pr_err("no debugfs: nothing could start a run\n");
		return PTR_ERR(bench_dir);
	}
	debugfs_create_file("run", 0200, bench_dir, NULL, &bench_run_fops);
	return 0;
}

static void __exit pheap_bench_exit(void)
{
	debugfs_remove(bench_dir);
}

module_init(pheap_bench_init);
module_exit(pheap_bench_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("pheap benchmarks: Hoard's suite next to kmalloc and kmem_cache, and pheap's designs");
