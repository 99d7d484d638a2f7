// SPDX-License-Identifier: GPL-2.0
/*
 * pheap core: the public allocation API, instances, CPU hotplug.
 *
 * pheap_alloc_in():  size -> class, then with interrupts off pop a block
 *		      from this CPU's active superblock of the class
 *		      (pheap_cpu_pop()); when it has none, pheap_alloc_slow().
 *		      Above the largest class: whole pages (sb.c).
 * pheap_free_in():   pointer -> superblock from its struct page, checks,
 *		      then with interrupts off: owned by this CPU -> push it
 *		      back (pheap_cpu_push()); otherwise -> the owner's
 *		      remote list, lock free.
 *
 * Semantics follow kmalloc: size 0 gives ZERO_SIZE_PTR, __GFP_ZERO and
 * init_on_alloc/init_on_free are honoured, blocks are aligned to at least
 * 8 bytes and power-of-two sizes up to PAGE_SIZE naturally. Zone modifiers
 * (GFP_DMA, GFP_DMA32) are refused: pheap's memory is ordinary memory.
 *
 * Bad frees (a pointer pheap did not hand out, an interior pointer, a
 * pointer of another instance, a block that is the head of its free list)
 * are reported rate-limited with the caller, counted, and otherwise
 * ignored: the heap is not touched.
 *
 * Instances register with a CPU hotplug state: when a CPU dies, its heap's
 * superblocks move to the global heap. pheap_destroy() requires that no
 * other caller uses the instance any more.
 */
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/export.h>
#include <linux/irqflags.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/ratelimit.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/smp.h>

#include "internal.h"

static enum cpuhp_state pheap_cpuhp_state = CPUHP_INVALID;

/* The module's instance behind pheap_alloc()/pheap_free(). */
static struct pheap *pheap_default_instance;

/**
 * pheap_default_config() - the module's defaults
 * @cfg: filled in
 *
 * f = 25 %, K = 4, S = 8 KiB, reserve 1: a CPU heap keeps at most four
 * spare superblocks (32 KiB) or a quarter of what it holds, whichever is
 * more; with 15 classes the global reserve is 120 KiB.
 *
 * Context: any.
 */
void pheap_default_config(struct pheap_config *cfg)
{
	cfg->name = "pheap";
	cfg->f_pct = 25;
	cfg->k_sb = 4;
	cfg->sb_order = 1;
	cfg->global_reserve = 1;
}
EXPORT_SYMBOL_GPL(pheap_default_config);

/**
 * pheap_report_bad_free() - report and count a free pheap refuses
 * @p: instance the caller freed to
 * @ptr: the pointer
 * @why: what is wrong with it
 * @caller: return address of the caller of the public free function
 *
 * Context: any.
 */
void pheap_report_bad_free(struct pheap *p, const void *ptr, const char *why,
			   unsigned long caller)
{
	this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_BAD_FREE]);
	pr_err_ratelimited("%s: bad free of %p from %pS: %s\n", p->cfg.name,
			   ptr, (void *)caller, why);
}

static void *pheap_alloc_refused(struct pheap *p, gfp_t gfp)
{
	WARN_ONCE(!(gfp & __GFP_NOWARN),
		  "%s: zone modifiers (GFP_DMA, GFP_DMA32) are not supported\n",
		  p->cfg.name);
	this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_ALLOC_FAIL]);
	return NULL;
}

static void *pheap_alloc_large_path(struct pheap *p, size_t size, gfp_t gfp)
{
	void *obj = pheap_large_alloc(p, size, gfp);

	if (unlikely(!obj))
		this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_ALLOC_FAIL]);
	return obj;
}

/**
 * pheap_alloc_in() - allocate from an instance
 * @p: instance
 * @size: bytes
 * @gfp: allocation flags, as for kmalloc()
 *
 * Context: as kmalloc() with the same @gfp: process context, softirq, or
 * hardirq with GFP_ATOMIC/GFP_NOWAIT. Not NMI.
 * Return: the memory; ZERO_SIZE_PTR for @size 0; NULL on failure.
 */
void *pheap_alloc_in(struct pheap *p, size_t size, gfp_t gfp)
{
	unsigned long flags;
	unsigned int cls;
	void *obj;

	might_alloc(gfp);
	if (unlikely(gfp & (__GFP_DMA | __GFP_DMA32)))
		return pheap_alloc_refused(p, gfp);
	if (unlikely(size > PHEAP_MAX_SMALL))
		return pheap_alloc_large_path(p, size, gfp);
	if (unlikely(!size))
		return ZERO_SIZE_PTR;
	cls = pheap_size_to_class(size);

	local_irq_save(flags);
	obj = pheap_cpu_pop(this_cpu_ptr(p->cpu_heaps), cls, size);
	if (unlikely(!obj))
		obj = pheap_alloc_slow(p, cls, size, gfp, &flags);
	local_irq_restore(flags);

	if (unlikely(!obj)) {
		this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_ALLOC_FAIL]);
		return NULL;
	}
	if (unlikely(want_init_on_alloc(gfp)))
		memset(obj, 0, pheap_csize(cls));
	return obj;
}
EXPORT_SYMBOL_GPL(pheap_alloc_in);

static void pheap_free_small(struct pheap *p, struct pheap_sb *sb, void *obj,
			     unsigned long caller)
{
	struct pheap_heap_class *hc;
	struct pheap_heap *h;
	unsigned long flags;
	bool local;

	local_irq_save(flags);
	h = this_cpu_ptr(p->cpu_heaps);
	hc = &h->cls[sb->cls];
	local = READ_ONCE(sb->owner) == h;
	if (unlikely(local && sb->free == obj)) {
		local_irq_restore(flags);
		pheap_report_bad_free(p, obj, "double free", caller);
		return;
	}
	/* only now is the block known to be the caller's to wipe */
	if (unlikely(want_init_on_free()))
		memset(obj, 0, pheap_csize(sb->cls));
	hc->frees++;
	if (likely(local)) {
		pheap_cpu_push(p, h, sb, obj);
	} else {
		hc->remote_frees++;
		pheap_ev_inc(h, PHEAP_EV_REMOTE_SENT);
		pheap_free_remote(p, sb, obj);
	}
	local_irq_restore(flags);
}

static void pheap_free_caller(struct pheap *p, const void *ptr,
			      unsigned long caller)
{
	struct pheap_sb *sb;
	unsigned long tag;

	if (unlikely(ZERO_OR_NULL_PTR(ptr)))
		return;
	sb = pheap_sb_lookup(ptr, &tag);
	if (likely(sb)) {
		if (unlikely(!pheap_sb_block_ok(p, sb, ptr)))
			pheap_report_bad_free(p, ptr, "not a block of this heap",
					      caller);
		else
			pheap_free_small(p, sb, (void *)ptr, caller);
		return;
	}
	if (tag && pheap_large_owner(tag) == p && PAGE_ALIGNED(ptr))
		pheap_large_free(p, tag, ptr);
	else
		pheap_report_bad_free(p, ptr, "not allocated by pheap", caller);
}

/**
 * pheap_free_in() - free memory of an instance
 * @p: the instance that allocated it
 * @ptr: from pheap_alloc_in(@p); NULL and ZERO_SIZE_PTR are ignored
 *
 * A pointer @p did not hand out is reported, counted and left alone.
 *
 * Context: any context pheap_alloc_in() may run in; never sleeps.
 */
void pheap_free_in(struct pheap *p, const void *ptr)
{
	pheap_free_caller(p, ptr, _RET_IP_);
}
EXPORT_SYMBOL_GPL(pheap_free_in);

/**
 * pheap_usable_size_in() - bytes usable at a pointer, like ksize()
 * @p: the instance that allocated it
 * @ptr: from pheap_alloc_in(@p)
 *
 * Context: any.
 * Return: the block's size, or 0 for NULL, ZERO_SIZE_PTR and pointers @p
 * did not hand out.
 */
size_t pheap_usable_size_in(struct pheap *p, const void *ptr)
{
	struct pheap_sb *sb;
	unsigned long tag;

	if (ZERO_OR_NULL_PTR(ptr))
		return 0;
	sb = pheap_sb_lookup(ptr, &tag);
	if (sb)
		return pheap_sb_block_ok(p, sb, ptr) ? pheap_csize(sb->cls) : 0;
	if (tag && pheap_large_owner(tag) == p && PAGE_ALIGNED(ptr))
		return PAGE_SIZE << pheap_large_order(tag);
	return 0;
}
EXPORT_SYMBOL_GPL(pheap_usable_size_in);

static void pheap_flush_this_cpu(void *arg)
{
	struct pheap *p = arg;

	pheap_drain_remote(p, this_cpu_ptr(p->cpu_heaps));
}

static void pheap_flush_round(struct pheap *p)
{
	unsigned int cpu, c;

	on_each_cpu(pheap_flush_this_cpu, p, 1);
	for_each_possible_cpu(cpu)
		if (!cpu_online(cpu))
			pheap_drain_remote(p, per_cpu_ptr(p->cpu_heaps, cpu));
	for (c = 0; c < PHEAP_NR_CLASSES; c++)
		pheap_global_drain(p, c);
}

/**
 * pheap_flush() - collect every remote free now
 * @p: instance
 *
 * Remote frees wait on their owner's list until it refills; this makes
 * every CPU, and the global heap, collect them. Run twice, because a
 * collection may forward a block whose superblock changed owner. With no
 * concurrent frees, afterwards every figure counts only blocks really in
 * use.
 *
 * Context: process context; may not be called with interrupts off.
 */
void pheap_flush(struct pheap *p)
{
	cpus_read_lock();
	pheap_flush_round(p);
	pheap_flush_round(p);
	cpus_read_unlock();
}
EXPORT_SYMBOL_GPL(pheap_flush);

static int pheap_cpu_dead(unsigned int cpu, struct hlist_node *node)
{
	struct pheap *p = hlist_entry_safe(node, struct pheap, cpuhp_node);

	pheap_cpu_heap_evict(p, per_cpu_ptr(p->cpu_heaps, cpu));
	return 0;
}

static bool pheap_config_ok(const struct pheap_config *cfg)
{
	return cfg->f_pct >= 1 && cfg->f_pct <= 99 &&
	       cfg->sb_order <= 4 &&
	       (PAGE_SIZE << cfg->sb_order) >= 2 * PHEAP_MAX_SMALL &&
	       (PAGE_SIZE << cfg->sb_order) / 8 <= U16_MAX;
}

/**
 * pheap_create() - a new instance
 * @cfg: its tunables; NULL for the defaults
 *
 * Context: process context, may sleep.
 * Return: the instance, or an ERR_PTR (-EINVAL for a bad @cfg, -ENOMEM).
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
	if (!p->cfg.name)
		p->cfg.name = "pheap";
	p->sb_bytes = PAGE_SIZE << p->cfg.sb_order;
	p->k_bytes = (unsigned long)p->cfg.k_sb * p->sb_bytes;
	for (c = 0; c < PHEAP_NR_CLASSES; c++) {
		pheap_class_info_init(&p->ci[c], pheap_class_sizes[c],
				      p->sb_bytes);
		raw_spin_lock_init(&p->gcls[c].lock);
		init_llist_head(&p->gcls[c].remote);
	}
	pheap_heap_init(p, &p->global);
	raw_spin_lock_init(&p->large_lock);
	INIT_LIST_HEAD(&p->large_pages);

	err = -ENOMEM;
	p->cpu_heaps = alloc_percpu(struct pheap_heap);
	if (!p->cpu_heaps)
		goto free_instance;
	for_each_possible_cpu(cpu)
		pheap_heap_init(p, per_cpu_ptr(p->cpu_heaps, cpu));

	err = cpuhp_state_add_instance_nocalls(pheap_cpuhp_state,
					       &p->cpuhp_node);
	if (err)
		goto free_heaps;
	return p;

free_heaps:
	free_percpu(p->cpu_heaps);
free_instance:
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
 * trigger a warning: without one, every page went back.
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
	for_each_possible_cpu(cpu)
		pheap_cpu_heap_evict(p, per_cpu_ptr(p->cpu_heaps, cpu));
	leaked = pheap_global_release_all(p);
	leaked += pheap_large_release_all(p);
	if (leaked)
		pr_warn("%s: destroyed with %lu allocations still in use\n",
			p->cfg.name, leaked);
	if (WARN_ON_ONCE(atomic_long_read(&p->pages_held)))
		pr_err("%s: %ld pages unaccounted for\n", p->cfg.name,
		       atomic_long_read(&p->pages_held));
	free_percpu(p->cpu_heaps);
	kfree(p);
	return leaked;
}
EXPORT_SYMBOL_GPL(pheap_destroy);

/**
 * pheap_core_init() - register pheap's CPU hotplug state
 *
 * Called once, before the first pheap_create().
 *
 * Context: process context.
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
 * Context: process context, every instance destroyed.
 */
void pheap_core_exit(void)
{
	cpuhp_remove_multi_state(pheap_cpuhp_state);
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

/**
 * pheap_alloc() - allocate memory, like kmalloc()
 * @size: bytes
 * @gfp: allocation flags
 *
 * See pheap_alloc_in(); this uses the module's default instance.
 *
 * Context: as kmalloc() with the same @gfp.
 * Return: the memory, ZERO_SIZE_PTR for @size 0, or NULL.
 */
void *pheap_alloc(size_t size, gfp_t gfp)
{
	return pheap_alloc_in(pheap_default_instance, size, gfp);
}
EXPORT_SYMBOL_GPL(pheap_alloc);

/**
 * pheap_free() - free memory from pheap_alloc(), like kfree()
 * @ptr: the memory; NULL and ZERO_SIZE_PTR are ignored
 *
 * Context: any context pheap_alloc() may run in; never sleeps or fails.
 */
void pheap_free(const void *ptr)
{
	pheap_free_caller(pheap_default_instance, ptr, _RET_IP_);
}
EXPORT_SYMBOL_GPL(pheap_free);

/**
 * pheap_usable_size() - bytes usable at a pointer, like ksize()
 * @ptr: from pheap_alloc()
 *
 * Context: any.
 * Return: the usable size, or 0.
 */
size_t pheap_usable_size(const void *ptr)
{
	return pheap_usable_size_in(pheap_default_instance, ptr);
}
EXPORT_SYMBOL_GPL(pheap_usable_size);
