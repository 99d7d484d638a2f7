// SPDX-License-Identifier: GPL-2.0
/*
 * pheap instances: configuration, create, destroy, flush, CPU hotplug,
 * and the module's default instance.
 *
 * An instance (struct pheap) is a CPU heap per possible CPU, the global
 * heap, the class geometry and the large allocations. Instances register
 * with a CPU hotplug state: when a CPU dies, its heap's superblocks move
 * to the global heap and the frees waiting for it are forwarded.
 * pheap_destroy() requires that no other caller uses the instance any
 * more; it stops the collectors' work items first (p->dying), so nothing
 * runs on the instance while it is torn down.
 */
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/export.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include "class.h"
#include "debug.h"
#include "design.h"
#include "global.h"
#include "heap.h"
#include "instance.h"
#include "large.h"
#include "lifecycle.h"
#include "nolock.h"
#include "rcu.h"
#include "sb.h"

static enum cpuhp_state pheap_cpuhp_state = CPUHP_INVALID;

/* On while an instance of a design with its own heaps exists (design.h). */
DEFINE_STATIC_KEY_FALSE(pheap_design_key);

/* The module's instance behind pheap_alloc()/pheap_free() (alloc.c, free.c). */
struct pheap *pheap_default_instance;

/**
 * pheap_default_config() - the module's defaults
 * @cfg: filled in
 *
 * f = 25 %, K = 8, S = 4 KiB (sb_order 0: the smallest superblock is a
 * page; classes above 512 bytes get larger ones, class.c), reserve 1. A
 * CPU heap's idle superblocks then hold at most 32 KiB (K*S) or a quarter
 * of what they hold (f) in free blocks, whichever is more, besides one
 * active superblock per class; the global heap keeps at most one empty
 * superblock per class (17 classes: 124 KiB with 4 KiB pages).
 *
 * Context: any.
 */
void pheap_default_config(struct pheap_config *cfg)
{
	cfg->name = "pheap";
	cfg->f_pct = 25;
	cfg->k_sb = 8;
	cfg->sb_order = 0;
	cfg->global_reserve = 1;
	cfg->debug = 0;
	cfg->design = NULL;
}
EXPORT_SYMBOL_GPL(pheap_default_config);

/* Every CPU heap collected now, online or not; then the global heap. */
static void pheap_flush_round(struct pheap *p)
{
	unsigned int c;
	int cpu;

	for_each_possible_cpu(cpu)
		pheap_heap_flush(p, per_cpu_ptr(p->cpu_heaps, cpu));
	for (c = 0; c < PHEAP_NR_CLASSES; c++)
		pheap_global_drain(p, c);
}

/**
 * pheap_flush() - collect every remote free now
 * @p: instance
 *
 * Remote frees wait on their owner's list until it next allocates or
 * frees, or until its collector runs (at most PHEAP_COLLECT_DELAY after
 * the first); this runs every CPU heap's collector now, and the global
 * heap's. An offline CPU's heap, or one whose CPU never came online, is
 * collected in the caller's context (pheap_heap_flush()). Run twice,
 * because a collection may forward a block whose superblock changed
 * owner. With no concurrent frees, afterwards every figure counts only
 * blocks really in use. Frees after a grace period that are waiting
 * (pheap_free_rcu_in()) are done first: this waits for a grace period if
 * there are any.
 *
 * Context: process context, may sleep; not under cpus_read_lock().
 */
void pheap_flush(struct pheap *p)
{
	pheap_rcu_barrier(p);
	if (p->ops->flush)
		p->ops->flush(p);
	pheap_flush_round(p);
	pheap_flush_round(p);
}
EXPORT_SYMBOL_GPL(pheap_flush);

/**
 * pheap_trim() - give back every empty superblock now
 * @p: instance
 *
 * What the idle check does a second or more after a heap stands still
 * (its timer is deferrable, so on an idle CPU it may be much later), and
 * the shrinker under memory pressure, done now and waited for: each
 * online CPU heap's work item collects its remote frees and gives its
 * empty superblocks to the global heap; the global heap then gives back
 * its empty ones, reserve included. Superblocks with a block in use
 * stay. The CPU heaps give theirs up in hoard only; the designs with
 * heaps of their own keep what those hold. The spare pages of
 * pheap_free_rcu_in()'s batches go back too, and before everything the
 * online CPUs' reserves for pheap_alloc_nolock_in().
 *
 * Context: process context, may sleep; not under cpus_read_lock().
 * Return: pages given back by the global heap.
 */
unsigned long pheap_trim(struct pheap *p)
{
	pheap_nolock_trim(p);
	pheap_heap_trim_all(p);
	pheap_flush(p);
	pheap_rcu_trim(p);
	return pheap_global_shrink(p, ULONG_MAX);
}
EXPORT_SYMBOL_GPL(pheap_trim);

static int pheap_cpu_dead(unsigned int cpu, struct hlist_node *node)
{
	struct pheap *p = hlist_entry_safe(node, struct pheap, cpuhp_node);

	pheap_nolock_dead(p, cpu);
	pheap_heap_evict(p, per_cpu_ptr(p->cpu_heaps, cpu));
	return 0;
}

static bool pheap_config_ok(const struct pheap_config *cfg)
{
	return cfg->f_pct >= 1 && cfg->f_pct <= 99 &&
	       cfg->sb_order <= PHEAP_MAX_SB_ORDER &&
	       !(cfg->debug & ~PHEAP_DEBUG_ALL);
}

/* The design's name to p->design; debug mode is hoard's alone. */
static int pheap_design_set(struct pheap *p)
{
	int design = pheap_design_parse(p->cfg.design);

	if (design < 0)
		return design;
	if (p->cfg.debug && !pheap_designs[design]->debug_mode) {
		pr_err("%s: debug mode needs design=hoard (design=%s)\n",
		       p->cfg.name ?: "pheap", pheap_design_names[design]);
		return -EINVAL;
	}
	p->design = design;
	p->ops = pheap_designs[design];
	p->cfg.design = pheap_design_names[design];
	return 0;
}

/* The heaps of a design that does not use the CPU heaps, if @p has one. */
static int pheap_design_init(struct pheap *p)
{
	return p->ops->init ? p->ops->init(p) : 0;
}

/* Also after a failed or missing pheap_design_init(). */
static unsigned long pheap_design_destroy(struct pheap *p)
{
	return p->ops && p->ops->destroy ? p->ops->destroy(p) : 0;
}

static void pheap_design_key_get(struct pheap *p)
{
	if (p->ops->own_heaps)
		static_branch_inc(&pheap_design_key);
}

static void pheap_design_key_put(struct pheap *p)
{
	if (p->ops->own_heaps)
		static_branch_dec(&pheap_design_key);
}

/**
 * pheap_create() - a new instance
 * @cfg: its tunables; NULL for the defaults
 *
 * Context: process context, may sleep.
 * Return: the instance, or an ERR_PTR (-EINVAL for a bad @cfg, with a
 * message for an unknown design or debug mode with one but hoard;
 * -ENOMEM).
 */
struct pheap *pheap_create(const struct pheap_config *cfg)
{
	struct pheap *p;
	unsigned int c;
	int cpu, err;

	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return ERR_PTR(-ENOMEM);
	if (cfg)
		p->cfg = *cfg;
	else
		pheap_default_config(&p->cfg);
	err = -EINVAL;
	if (!pheap_config_ok(&p->cfg) || WARN_ON_ONCE((unsigned long)p & 63))
		goto free_instance;
	err = pheap_design_set(p);
	if (err)
		goto free_instance;
	if (!p->cfg.name)
		p->cfg.name = "pheap";
	p->sb_bytes = PAGE_SIZE << p->cfg.sb_order;
	p->k_bytes = (unsigned long)p->cfg.k_sb * p->sb_bytes;
	for (c = 0; c < PHEAP_NR_CLASSES; c++)
		pheap_class_info_init(&p->ci[c], pheap_class_sizes[c],
				      p->cfg.sb_order);
	pheap_debug_init(p);
	pheap_large_init(p);
	raw_spin_lock_init(&p->limbo_lock);
	INIT_LIST_HEAD(&p->limbo);
	pheap_heap_idle_init(p);

	err = -ENOMEM;
	p->node_pages = kcalloc(nr_node_ids, sizeof(*p->node_pages),
				GFP_KERNEL);
	if (!p->node_pages || pheap_global_init(p) || pheap_design_init(p) ||
	    pheap_rcu_init(p) || pheap_nolock_init(p))
		goto free_instance;
	p->cpu_heaps = alloc_percpu(struct pheap_heap);
	if (!p->cpu_heaps)
		goto free_instance;
	for_each_possible_cpu(cpu)
		pheap_heap_init(p, per_cpu_ptr(p->cpu_heaps, cpu), cpu);

	err = cpuhp_state_add_instance_nocalls(pheap_cpuhp_state,
					       &p->cpuhp_node);
	if (err)
		goto free_heaps;
	pheap_debug_key_get(p);
	pheap_design_key_get(p);
	return p;

free_heaps:
	free_percpu(p->cpu_heaps);
free_instance:
	pheap_rcu_destroy(p);
	pheap_nolock_destroy(p);
	pheap_design_destroy(p);
	pheap_global_free(p);
	kfree(p->node_pages);
	kfree(p);
	return ERR_PTR(err);
}
EXPORT_SYMBOL_GPL(pheap_create);

/**
 * pheap_destroy() - free an instance and every page it holds
 * @p: instance; no other caller may use it any more. NULL is a no-op.
 *
 * Blocks still allocated are freed with their superblocks and counted; a
 * non-zero count is reported. Pages that cannot be accounted for (a bug)
 * trigger a warning: without one, every page went back, or is on its way
 * back: a superblock's pages go back a grace period after its release
 * (sb.c), and module unload waits for them (pheap_core_exit()). Frees
 * after a grace period (pheap_free_rcu_in()) still waiting are waited
 * for first, and are no leaks.
 *
 * Context: process context, may sleep.
 * Return: the number of blocks and large allocations still allocated.
 */
unsigned long pheap_destroy(struct pheap *p)
{
	unsigned long leaked;
	int cpu;

	if (IS_ERR_OR_NULL(p))
		return 0;
	cpuhp_state_remove_instance_nocalls(pheap_cpuhp_state, &p->cpuhp_node);
	pheap_rcu_destroy(p);		/* its frees may queue remote frees */
	pheap_nolock_destroy(p);	/* so may the reserves' and NMI frees */
	WRITE_ONCE(p->dying, true);
	pheap_heap_idle_stop(p);	/* it kicks the CPU heaps' work */
	for_each_possible_cpu(cpu)
		cancel_delayed_work_sync(&per_cpu_ptr(p->cpu_heaps, cpu)->work);
	cancel_delayed_work_sync(&p->global.work);
	for_each_possible_cpu(cpu)
		pheap_heap_evict(p, per_cpu_ptr(p->cpu_heaps, cpu));
	leaked = pheap_global_release_all(p);
	pheap_sb_release_limbo(p);
	leaked += pheap_design_destroy(p);
	leaked += pheap_large_release_all(p);
	pheap_debug_key_put(p);
	pheap_design_key_put(p);
	if (leaked)
		pr_warn("%s: destroyed with %lu allocations still in use\n",
			p->cfg.name, leaked);
	if (WARN_ON_ONCE(atomic_long_read(&p->pages_held)))
		pr_err("%s: %ld pages unaccounted for\n", p->cfg.name,
		       atomic_long_read(&p->pages_held));
	free_percpu(p->cpu_heaps);
	pheap_global_free(p);
	kfree(p->node_pages);
	kfree(p);
	return leaked;
}
EXPORT_SYMBOL_GPL(pheap_destroy);

/**
 * pheap_core_init() - register pheap's CPU hotplug state
 *
 * Context: process context; once, before the first pheap_create().
 * Return: 0 or a negative errno.
 */
int pheap_core_init(void)
{
	int ret;

	ret = cpuhp_setup_state_multi(CPUHP_BP_PREPARE_DYN, "pheap:dead",
				      NULL, pheap_cpu_dead);
	if (ret < 0)
		return ret;
	pheap_cpuhp_state = ret;
	return 0;
}

/**
 * pheap_core_exit() - undo pheap_core_init()
 *
 * Context: process context, every instance destroyed. Waits for the
 * superblocks released a grace period ago or less, whose pages and
 * descriptors go back from an RCU callback of pheap's (sb.c).
 */
void pheap_core_exit(void)
{
	cpuhp_remove_multi_state(pheap_cpuhp_state);
	rcu_barrier();
}

/**
 * pheap_set_default() - set the instance behind pheap_alloc()/pheap_free()
 * @p: instance, or NULL while the module unloads
 *
 * Context: module init and exit.
 */
void pheap_set_default(struct pheap *p)
{
	WRITE_ONCE(pheap_default_instance, p);
}

/**
 * pheap_default() - the module's default instance
 *
 * Context: any, while the module is loaded.
 * Return: the instance pheap_alloc() uses.
 */
struct pheap *pheap_default(void)
{
	return READ_ONCE(pheap_default_instance);
}
EXPORT_SYMBOL_GPL(pheap_default);
