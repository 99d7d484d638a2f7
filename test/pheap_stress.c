// SPDX-License-Identifier: GPL-2.0
/*
 * pheap_stress: a workload for the VM tests and the demo, built on
 * pheap's exported API only.
 *
 * At load it runs one kthread per online CPU, bound to it and released
 * together. Each does @ops operations on a table of its own slots: an
 * empty slot gets a block of a random size (mostly small, some large),
 * a full slot is either freed here or swapped into a shared exchange table
 * (one time in @cross_pct), which hands it to whatever CPU swaps that
 * entry next: frees by other CPUs. With one CPU online that CPU is always
 * the same: the load still checks contents and leaks, but no free is
 * remote, and the summary line says so. Every block carries its size and a
 * pattern derived from its address, checked before it is freed, so an
 * overlap or a lost write shows up as corruption. One allocation in 16
 * asks pheap_alloc_node() for an online node at random (another
 * node's block is the global heap's, freed the remote way); one step in
 * 32 is a bulk step: the blocks of 8 neighbouring slots checked and
 * freed with one pheap_free_bulk(), and the 8 filled again with one
 * pheap_alloc_bulk() of one size. One free in 16 is a pheap_free_rcu(),
 * one allocation in 16 asks pheap_alloc_nolock() first (pheap_alloc()
 * when that gives NULL, as it may), one is a pheap_calloc() whose bytes
 * are checked to be zero, one a pheap_alloc_array(), and one step in 16
 * on a full slot moves its block to a new size with pheap_realloc()
 * instead of freeing it.
 *
 * Afterwards it frees what is left, calls pheap_flush() (which waits for
 * the frees after a grace period) and checks that
 * pheap's bytes in use are back to what they were. Any corruption or
 * leak fails the load with -EIO, after printing what went wrong. With
 * keep > 0 each CPU leaves that many blocks allocated until unload (they
 * are freed then, from the unloading CPU): the demo uses it to show
 * figures in use.
 */
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/nodemask.h>
#include <linux/numa.h>
#include <linux/prandom.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>

#include "../pheap/pheap.h"

static unsigned long ops = 300000;
module_param(ops, ulong, 0444);
MODULE_PARM_DESC(ops, "operations per CPU (default 300000)");

static unsigned int cross_pct = 25;
module_param(cross_pct, uint, 0444);
MODULE_PARM_DESC(cross_pct, "percent of frees handed to another CPU (default 25)");

static unsigned int keep;
module_param(keep, uint, 0444);
MODULE_PARM_DESC(keep, "blocks per CPU left allocated until unload (default 0)");

static bool nulls_ok;
module_param(nulls_ok, bool, 0444);
MODULE_PARM_DESC(nulls_ok, "allocations that return NULL are expected (fault injection): counted, not errors");

#define SLOTS		256
#define XCHG_SLOTS	1024

static void *xchg_table[XCHG_SLOTS];
static atomic_t ready;
static DECLARE_COMPLETION(go);
static atomic_long_t errors, cross_frees, total_ops, nulls;
static void **kept;	/* keep blocks per CPU, kept[cpu * keep + k] */

static u8 pattern_of(const void *p)
{
	unsigned long a = (unsigned long)p;

	return (u8)((a >> 3) ^ (a >> 11) ^ 0x5a);
}

static size_t random_size(struct rnd_state *rnd)
{
	u32 r = prandom_u32_state(rnd);

	if (r % 64 == 0)
		return 2049 + r % (3 * PAGE_SIZE);	/* large path */
	return 8 + r % 2041;				/* 8 .. 2048 */
}

/* An allocation that returned NULL: an error unless faults are injected. */
static void stress_null(size_t size, const char *how)
{
	atomic_long_inc(&nulls);
	if (!nulls_ok) {
		atomic_long_inc(&errors);
		pr_err("pheap_stress: %s of %zu bytes failed\n", how, size);
	}
}

/* A block's header and pattern, written once after allocation. */
static void stress_fill(u8 *p, size_t size)
{
	*(size_t *)p = size;
	memset(p + sizeof(size_t), pattern_of(p), size - sizeof(size_t));
}

/* pheap_calloc(), size elements of a byte: every byte must be zero. */
static void *stress_calloc(size_t size)
{
	u8 *p = pheap_calloc(size, 1, GFP_KERNEL);

	if (p && memchr_inv(p, 0, size)) {
		atomic_long_inc(&errors);
		pr_err("pheap_stress: pheap_calloc() of %zu bytes not zeroed\n",
		       size);
	}
	return p;
}

static void *stress_alloc(struct rnd_state *rnd)
{
	size_t size = random_size(rnd);
	u32 how = prandom_u32_state(rnd) % 16;
	u8 *p = NULL;

	/* nolock may return NULL (and does above the largest class) */
	if (how == 1)
		p = pheap_alloc_nolock(size, 0, NUMA_NO_NODE);
	if (!p && how == 0)
		p = pheap_alloc_node(size, GFP_KERNEL,
				     node_random(&node_online_map));
	else if (!p && how == 2)
		p = stress_calloc(size);
	else if (!p && how == 3)
		p = pheap_alloc_array(size, 1, GFP_KERNEL);
	else if (!p)
		p = pheap_alloc(size, GFP_KERNEL);
	if (!p) {
		stress_null(size, "allocation");
		return NULL;
	}
	stress_fill(p, size);
	return p;
}

/* Is the block as it was written? Reports what is not. */
static bool stress_block_ok(const u8 *p)
{
	size_t size = *(const size_t *)p, i;
	u8 want = pattern_of(p);

	if (size < 8 || size > 2049 + 3 * PAGE_SIZE ||
	    pheap_usable_size(p) < size) {
		atomic_long_inc(&errors);
		pr_err("pheap_stress: block header corrupt (size %zu)\n", size);
		return false;	/* leave it alone: not ours to free any more */
	}
	for (i = sizeof(size_t); i < size; i++) {
		if (p[i] != want) {
			atomic_long_inc(&errors);
			pr_err("pheap_stress: byte %zu of a %zu-byte block overwritten\n",
			       i, size);
			break;
		}
	}
	return true;
}

/* Checked, then freed: at once, or with @rcu after a grace period. */
static void stress_check_free(void *block, bool rcu)
{
	if (!stress_block_ok(block))
		return;
	if (rcu)
		pheap_free_rcu(block);
	else
		pheap_free(block);
}

/* One free in 16 waits for a grace period (pheap_free_rcu()). */
static bool stress_rcu(struct rnd_state *rnd)
{
	return prandom_u32_state(rnd) % 16 == 0;
}

#define BULK_SLOTS	8

/*
 * The blocks of BULK_SLOTS neighbouring slots, from @first on, checked
 * and freed with one call; then the slots filled again with one call.
 */
static void stress_bulk_step(struct rnd_state *rnd, void **slots,
			     unsigned int first)
{
	void *blk[BULK_SLOTS];
	unsigned int i, n = 0;
	size_t size;

	for (i = 0; i < BULK_SLOTS; i++) {
		void **slot = &slots[(first + i) % SLOTS];

		if (*slot && stress_block_ok(*slot))
			blk[n++] = *slot;
		*slot = NULL;
	}
	pheap_free_bulk(n, blk);
	size = random_size(rnd);
	if (pheap_alloc_bulk(size, GFP_KERNEL, BULK_SLOTS, blk) != BULK_SLOTS) {
		stress_null(size, "bulk allocation");
		return;
	}
	for (i = 0; i < BULK_SLOTS; i++) {
		stress_fill(blk[i], size);
		slots[(first + i) % SLOTS] = blk[i];
	}
}

/*
 * A block moved to a new size with pheap_realloc(): its header (the old
 * size) must come along; the rest is filled again, the pattern being the
 * address's. On failure the old block stays, whole.
 */
static void stress_realloc(struct rnd_state *rnd, void **slot)
{
	size_t size = random_size(rnd), old_size = *(size_t *)*slot;
	u8 *p;

	if (!stress_block_ok(*slot))
		return;
	p = pheap_realloc(*slot, size, GFP_KERNEL);
	if (!p) {
		stress_null(size, "reallocation");
		return;
	}
	if (*(size_t *)p != old_size) {
		atomic_long_inc(&errors);
		pr_err("pheap_stress: pheap_realloc() lost the block's first bytes\n");
	}
	stress_fill(p, size);
	*slot = p;
}

static void stress_step(struct rnd_state *rnd, void **slot)
{
	void *old;

	if (!*slot) {
		*slot = stress_alloc(rnd);
		return;
	}
	if (prandom_u32_state(rnd) % 16 == 0) {
		stress_realloc(rnd, slot);
		return;
	}
	if (prandom_u32_state(rnd) % 100 < cross_pct) {
		old = xchg(&xchg_table[prandom_u32_state(rnd) % XCHG_SLOTS], *slot);
		*slot = NULL;
		if (old) {
			atomic_long_inc(&cross_frees);
			stress_check_free(old, stress_rcu(rnd));
		}
		return;
	}
	stress_check_free(*slot, stress_rcu(rnd));
	*slot = NULL;
}

static void stress_free_kept(void)
{
	unsigned int i;

	for (i = 0; i < nr_cpu_ids * keep; i++)
		if (kept[i])
			stress_check_free(kept[i], false);
	kfree(kept);
	kept = NULL;
}

static int stress_thread(void *arg)
{
	unsigned int cpu = (unsigned long)arg, i, k = 0;
	void **slots = kcalloc(SLOTS, sizeof(void *), GFP_KERNEL);
	struct rnd_state rnd;
	unsigned long n;

	prandom_seed_state(&rnd, 0x9e3779b9ULL * (cpu + 1));
	atomic_inc(&ready);
	wait_for_completion(&go);
	if (!slots) {
		atomic_long_inc(&errors);
		return 0;
	}
	for (n = 0; n < ops; n++) {
		i = prandom_u32_state(&rnd) % SLOTS;
		if (prandom_u32_state(&rnd) % 32 == 0)
			stress_bulk_step(&rnd, slots, i);
		else
			stress_step(&rnd, &slots[i]);
		if (n % 1024 == 0)
			cond_resched();
	}
	for (i = 0; i < SLOTS; i++) {
		if (!slots[i])
			continue;
		if (k < keep)
			kept[cpu * keep + k++] = slots[i];
		else
			stress_check_free(slots[i], false);
	}
	kfree(slots);
	atomic_long_add(ops, &total_ops);
	return 0;
}

/* Start a bound kthread per online CPU, release them together, wait. */
static int stress_run(void)
{
	unsigned int cpu, n = 0, i, ncpu = num_online_cpus();
	struct task_struct **threads, *t;
	int err = 0;

	threads = kcalloc(ncpu, sizeof(*threads), GFP_KERNEL);
	if (!threads)
		return -ENOMEM;
	for_each_online_cpu(cpu) {
		if (n == ncpu)
			break;
		t = kthread_create_on_cpu(stress_thread,
					  (void *)(unsigned long)cpu, cpu,
					  "pheap_stress/%u");
		if (IS_ERR(t)) {
			err = PTR_ERR(t);
			break;
		}
		get_task_struct(t);
		wake_up_process(t);
		threads[n++] = t;
	}
	while (atomic_read(&ready) < n)
		usleep_range(1000, 2000);
	complete_all(&go);
	for (i = 0; i < n; i++) {
		kthread_stop(threads[i]);
		put_task_struct(threads[i]);
	}
	kfree(threads);
	return err ?: n;
}

static void stress_drain_exchange(void)
{
	unsigned int i;
	void *old;

	for (i = 0; i < XCHG_SLOTS; i++) {
		old = xchg(&xchg_table[i], NULL);
		if (old)
			stress_check_free(old, false);
	}
}

static int __init pheap_stress_init(void)
{
	struct pheap *p = pheap_default();
	struct pheap_stats before, after;
	unsigned int i, nr_kept = 0;
	int n;

	kept = kcalloc(nr_cpu_ids * (keep ?: 1), sizeof(void *), GFP_KERNEL);
	if (!kept)
		return -ENOMEM;
	pheap_flush(p);
	pheap_get_stats(p, &before);

	n = stress_run();
	if (n < 0) {
		kfree(kept);
		return n;
	}
	stress_drain_exchange();
	pheap_flush(p);
	pheap_get_stats(p, &after);

	for (i = 0; i < nr_cpu_ids * keep; i++)
		nr_kept += !!kept[i];
	pr_info("pheap_stress: %ld operations on %d CPUs, %ld freed through the exchange table%s, %ld allocations NULL, %ld errors\n",
		atomic_long_read(&total_ops), n, atomic_long_read(&cross_frees),
		n > 1 ? " (mostly by another CPU)" : " (one CPU: none remote)",
		atomic_long_read(&nulls), atomic_long_read(&errors));
	pr_info("pheap_stress: bytes in use before %lu, after %lu (%u blocks kept)\n",
		before.u, after.u, nr_kept);
	if (!keep && after.u != before.u) {
		pr_err("pheap_stress: bytes in use did not return to where they were\n");
		atomic_long_inc(&errors);
	}
	if (atomic_long_read(&errors)) {
		stress_free_kept();
		return -EIO;
	}
	return 0;
}

static void __exit pheap_stress_exit(void)
{
	stress_free_kept();
}

module_init(pheap_stress_init);
module_exit(pheap_stress_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("pheap stress workload: all CPUs, cross-CPU frees, content checks");
