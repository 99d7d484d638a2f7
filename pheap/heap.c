// SPDX-License-Identifier: GPL-2.0
/*
 * pheap CPU heaps: refill, the free slow path, threshold return,
 * collecting remote frees, eviction.
 *
 * The fast paths (pop a block from the active superblock; push a block
 * back into any superblock the heap owns, when that changes no fullness
 * group and keeps the threshold) are inline in heap.h; alloc.c and
 * free.c call in here when they are not enough.
 *
 * Per-CPU state and the heap's lock
 * --------------------------------
 * A CPU heap is used only by its CPU under its lock, pheap_heap_trylock()
 * (heap.h). On a !PREEMPT_RT kernel that is preemption off and a flag in
 * the heap, as SLUB's local_trylock_t: plain loads and stores, no atomic
 * instruction, and interrupts stay on. A softirq or hardirq that
 * interrupts the holder on the same CPU finds the flag set and leaves the
 * heap alone: its frees take the lock-free remote way (remote.c), to this
 * CPU's heap as to any, and its allocations take a block straight from
 * the global heap (pheap_alloc_interrupted()). Both are rare: they need
 * an interrupt that allocates from the same instance to land inside a
 * few dozen instructions. On PREEMPT_RT the lock is the local lock, a
 * per-CPU spinlock with migration disabled.
 *
 * The alternatives weighed: local_irq_save() around the heap, this
 * file's choice until now and bpf_mem_alloc's, costs an interrupt-flag
 * restore per operation, which under QEMU's TCG ends the translation
 * block (measured: 25-35 % of a pair's time, scripts/bench-ab.sh); SLUB's
 * transaction-id cmpxchg covers one free-list word, not the superblock's
 * count and live bit that pheap updates with it.
 *
 * The page allocator is never called under the heap's lock: refill drops
 * it around pheap_sb_new() and takes it again after, on whichever CPU it
 * then runs on, and superblocks to give back go on the caller's release
 * list.
 *
 * Active and idle superblocks
 * ---------------------------
 * Each class has one active superblock: allocations pop from it. All
 * other superblocks a CPU heap owns are idle, in fullness groups; a free
 * into one is the slow path only when it moves it to another group or
 * breaks the threshold. When the active one runs dry (a refill), it
 * joins the idle ones and an idle superblock takes its place, the emptiest
 * partial ones first and empty ones last (pheap_refill_groups[]); else
 * one from the global heap, in the same order; else a new one.
 *
 * Threshold return, with hysteresis (Hoard, kept over idle superblocks)
 * --------------------------------------------------------------------
 * The heap keeps, over its idle superblocks (held bytes a', bytes in use
 * u'):
 *
 *	a' - u' <= max(K*S, f * a')
 *
 * A free into an idle superblock, or a refill that retires the full
 * active one, that breaks it returns idle superblocks,
 * the one with the most free bytes first, until a' - u' is at most half
 * that limit: at most PHEAP_RETURN_MAX of them in one go, so that no
 * allocation or free, whatever the heap holds, moves more than
 * 2 * PHEAP_RETURN_MAX superblocks (each runs the return at most twice:
 * after its own block, after its batch of remote frees). What the
 * invariant still needs then is the heap's work item's
 * (pheap_heap_keep_threshold()). Hence:
 *
 *  - an active superblock is never returned, so a heap at the threshold
 *    no longer returns the superblock its next allocation pops from (the
 *    first version's ping-pong through the global heap);
 *  - after a return the heap can absorb half its slack in frees before the
 *    next one, so alternating frees and allocations at the boundary move
 *    a superblock at most once;
 *  - the bound: a CPU heap holds a_i <= max(u_i + K*S, u_i / (1 - f)) +
 *    sum over classes of one superblock (the actives), and all CPU heaps
 *    together at most U / (1 - f) + P * (K*S + sum_c S_c); the global
 *    heap adds its reserve and the superblocks returned with blocks whose
 *    frees are still on their way (Hoard's theorem bounds those by the
 *    peak of U, not U). The KUnit
 *    model test (kunit/threshold_test.c) checks the invariant after every
 *    operation of a scripted run.
 *
 * The ownership design
 * --------------------
 * The lecture notes: "Private Heap with ownership: just like [pure private
 * heaps] except blocks are freed back to the heap they came from; you
 * can store a pointer to the heap where it was allocated, or play some
 * tricks with bitmasking to learn where it came from. Fragmentation
 * O(P)." An instance of the ownership design is this file and remote.c
 * with two lines changed: its idle limit is infinite (no threshold
 * return) and a refill never looks at the global heap, so a superblock
 * stays with the CPU heap that first took it. Memory one CPU frees is
 * reused by that CPU alone: what a heap holds is bounded by its own peak
 * in use, so all together by the sum of the CPUs' peaks, up to P times
 * the peak of U. Only a dead CPU's superblocks reach the global heap
 * (pheap_heap_evict()), which gives them back to the page allocator once
 * they are empty.
 *
 * Remote frees
 * ------------
 * Superblocks with blocks other CPUs freed wait on h->remote (remote.c).
 * Every slow path, a refill above all, collects one batch
 * (PHEAP_COLLECT_BATCH) of them first: all the blocks freed into a
 * superblock at once, then its fullness group and the threshold once;
 * a refill takes a new superblock only if the active one is still dry
 * after that. The fast paths never look: the list head is a line other
 * CPUs write. This is mimalloc's choice, a local free list with the
 * other threads' frees apart, taken in when the local one runs out. An
 * owner that neither allocates nor frees, or whose active superblock does
 * not run dry, is covered by its work item (pheap_heap_work()), armed by
 * the first push to its empty list: it collects everything within
 * PHEAP_COLLECT_DELAY.
 */
#include <linux/cpu.h>
#include <linux/gfp.h>
#include <linux/llist.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/workqueue.h>

#include "class.h"
#include "design.h"
#include "global.h"
#include "heap.h"
#include "instance.h"
#include "remote.h"
#include "report.h"
#include "sb.h"

static void pheap_heap_set_limit(struct pheap *p, struct pheap_heap *h)
{
	if (!p->ops->global_heap) {
		h->idle_limit = ULONG_MAX;	/* no threshold */
		return;
	}
	h->idle_limit = max(p->k_bytes, h->idle_held * p->cfg.f_pct / 100);
}

static bool pheap_heap_over(const struct pheap_heap *h, unsigned long limit)
{
	return h->idle_held - h->idle_used > limit;
}

/* @sb, owned by @h and neither active nor listed, becomes idle. */
static void pheap_idle_add(struct pheap *p, struct pheap_heap *h,
			   struct pheap_sb *sb)
{
	const struct pheap_class_info *ci = &p->ci[sb->cls];

	sb->group = pheap_group(ci, sb->inuse);
	list_add(&sb->node, &h->cls[sb->cls].groups[sb->group]);
	h->idle_held += ci->sb_bytes;
	h->idle_used += sb->inuse * ci->size;
	pheap_heap_set_limit(p, h);
}

/* @sb stops being idle (it becomes active, or leaves the heap). */
static void pheap_idle_del(struct pheap *p, struct pheap_heap *h,
			   struct pheap_sb *sb)
{
	const struct pheap_class_info *ci = &p->ci[sb->cls];

	list_del_init(&sb->node);
	h->idle_held -= ci->sb_bytes;
	h->idle_used -= sb->inuse * ci->size;
	pheap_heap_set_limit(p, h);
}

/*
 * A CPU heap holds superblocks: the instance's idle check runs within a
 * second, if it does not already (a test of its pending bit, then a
 * timer armed from any context).
 */
static void pheap_heap_idle_arm(struct pheap *p)
{
	if (p->ops->global_heap && !READ_ONCE(p->dying) &&
	    !delayed_work_pending(&p->idle_work))
		queue_delayed_work(system_wq, &p->idle_work, HZ);
}

/* @h takes ownership of @sb (from the global heap, or new). */
static void pheap_heap_own(struct pheap *p, struct pheap_heap *h,
			   struct pheap_sb *sb)
{
	const struct pheap_class_info *ci = &p->ci[sb->cls];
	struct pheap_heap_class *hc = &h->cls[sb->cls];

	pheap_heap_idle_arm(p);
	WRITE_ONCE(sb->owner, h);
	hc->nr_sb++;
	hc->inuse += sb->inuse;
	hc->moved += sb->inuse;
	h->a += ci->sb_bytes;
}

/* @h gives @sb, neither active nor listed, to the global heap. */
static void pheap_heap_give(struct pheap *p, struct pheap_heap *h,
			    struct pheap_sb *sb, struct list_head *release)
{
	const struct pheap_class_info *ci = &p->ci[sb->cls];
	struct pheap_heap_class *hc = &h->cls[sb->cls];

	hc->nr_sb--;
	hc->inuse -= sb->inuse;
	hc->moved -= sb->inuse;
	h->a -= ci->sb_bytes;
	pheap_global_put(p, sb, release);
}

/* The idle superblock with the most free bytes, or NULL. */
static struct pheap_sb *pheap_heap_emptiest(struct pheap *p,
					    struct pheap_heap *h)
{
	unsigned long best_free = 0, free;
	struct pheap_sb *best = NULL, *sb;
	unsigned int c, g;

	for (c = 0; c < PHEAP_NR_CLASSES; c++) {
		for (g = 0; g < PHEAP_GROUPS; g++) {
			sb = list_first_entry_or_null(&h->cls[c].groups[g],
						      struct pheap_sb, node);
			if (sb)
				break;
		}
		if (!sb)
			continue;
		free = p->ci[c].sb_bytes - sb->inuse * p->ci[c].size;
		if (free > best_free) {
			best = sb;
			best_free = free;
		}
	}
	return best;
}

/* Run @h's work item now: it finishes a return (or a collection). */
static void pheap_heap_kick(struct pheap *p, struct pheap_heap *h)
{
	if (!READ_ONCE(p->dying))
		queue_delayed_work_on(h->cpu, system_wq, &h->work, 0);
}

/*
 * Restore the threshold after frees into idle superblocks: return the
 * emptiest until the slack is at most half the limit (the hysteresis),
 * but never more than PHEAP_RETURN_MAX superblocks at a time. Stopped
 * there with the slack under the limit, the return is over: the heap
 * absorbs less in frees before its next return, that is all. Stopped
 * above it (a heap holding many superblocks whose limit shrinks as they
 * go), it leaves the rest to the heap's work item, which runs it again,
 * a batch per lock hold, down to the half (@h->returning).
 */
static void pheap_heap_keep_threshold(struct pheap *p, struct pheap_heap *h,
				      struct list_head *release)
{
	unsigned int n = 0;
	struct pheap_sb *sb;

	if (likely(!h->returning && !pheap_heap_over(h, h->idle_limit)))
		return;
	while (pheap_heap_over(h, h->idle_limit / 2) && n++ < PHEAP_RETURN_MAX) {
		sb = pheap_heap_emptiest(p, h);
		if (WARN_ON_ONCE(!sb))
			break;
		pheap_idle_del(p, h, sb);
		pheap_ev_inc(h, PHEAP_EV_TO_GLOBAL);
		pheap_heap_give(p, h, sb, release);
	}
	/* the invariant still broken: the work item goes on to the half */
	h->returning = pheap_heap_over(h, h->idle_limit);
	if (h->returning)
		pheap_heap_kick(p, h);
}

/*
 * @sb becomes the class's active superblock; the old one turns idle, and
 * its slack counts against the threshold like any free space.
 */
static void pheap_activate(struct pheap *p, struct pheap_heap *h,
			   struct pheap_sb *sb, struct list_head *release)
{
	struct pheap_heap_class *hc = &h->cls[sb->cls];
	struct pheap_sb *old = hc->active;

	hc->active = sb;
	pheap_sb_check(p, sb);
	if (old) {
		pheap_idle_add(p, h, old);
		pheap_heap_keep_threshold(p, h, release);
	}
}

/*
 * @nr blocks were freed into @sb, which @h owns: the heap's counts, and
 * for an idle superblock its fullness group. The caller counts them, as
 * frees or as moved, and keeps the threshold.
 */
static void pheap_heap_settle(struct pheap *p, struct pheap_heap *h,
			      struct pheap_sb *sb, unsigned int nr)
{
	const struct pheap_class_info *ci = &p->ci[sb->cls];
	struct pheap_heap_class *hc = &h->cls[sb->cls];

	hc->inuse -= nr;
	if (sb == hc->active)
		return;
	h->idle_used -= nr * ci->size;
	if (sb->inuse < ci->group_min[sb->group]) {
		list_del(&sb->node);
		sb->group = pheap_group(ci, sb->inuse);
		list_add(&sb->node, &hc->groups[sb->group]);
	}
}

/*
 * pheap_heap_collect() - collect one batch of the superblocks with blocks
 *			  other CPUs freed to @h
 * @p: instance
 * @h: a CPU heap
 * @release: superblocks to give back to the page allocator go here
 *
 * Superblocks @h still owns get their blocks back; the others are
 * forwarded to their current owner.
 *
 * Context: @h's CPU under its local lock, or any CPU while @h's CPU is
 * offline and CPU hotplug is held off.
 */
static void pheap_heap_collect(struct pheap *p, struct pheap_heap *h,
			       struct list_head *release)
{
	struct pheap_sb *sb;
	unsigned int n, nr;

	for (n = 0; n < PHEAP_COLLECT_BATCH; n++) {
		sb = pheap_remote_pop(p, &h->remote, &h->pending, release);
		if (!sb)
			break;
		if (READ_ONCE(sb->owner) != h) {
			pheap_remote_queue(p, sb);
			continue;
		}
		nr = pheap_remote_collect(p, sb);
		h->ev[PHEAP_EV_REMOTE_RECV] += nr;
		h->cls[sb->cls].moved -= nr;
		pheap_heap_settle(p, h, sb, nr);
	}
	pheap_heap_keep_threshold(p, h, release);
}

/* On every slow path: one batch of what waits, if anything does. */
static void pheap_heap_collect_some(struct pheap *p, struct pheap_heap *h,
				    struct list_head *release)
{
	if (pheap_heap_remote_waiting(h))
		pheap_heap_collect(p, h, release);
}

/**
 * pheap_heap_free() - the free slow path
 * @p: instance
 * @h: this CPU's heap
 * @sb: the block's superblock, owned by @h
 * @obj: the block, live
 * @idx: its index in @sb
 * @release: superblocks to give back to the page allocator go here
 *
 * The block goes back into @sb, with its fullness group and the threshold
 * kept. Then one batch of waiting remote frees, if any, is collected.
 *
 * Context: @h's CPU under its local lock.
 */
void pheap_heap_free(struct pheap *p, struct pheap_heap *h,
		     struct pheap_sb *sb, void *obj, unsigned int idx,
		     struct list_head *release)
{
	h->cls[sb->cls].frees++;
	pheap_sb_put(sb, obj, idx);
	pheap_heap_settle(p, h, sb, 1);
	pheap_heap_keep_threshold(p, h, release);
	pheap_heap_collect_some(p, h, release);
}

/*
 * The link of free block @idx of @h's active superblock is corrupt (a
 * caller wrote into a free block): the list is cut there, and the free
 * blocks it held count as in use for good (sb->lost), so they are never
 * handed out and the superblock never released; it goes on serving the
 * blocks freed into it later.
 */
static void pheap_heap_quarantine(struct pheap *p, struct pheap_heap *h,
				  struct pheap_sb *sb, void *obj)
{
	unsigned int lost = sb->nblocks - sb->inuse;

	pheap_report_corrupt_link(p, obj, sb, pheap_csize(sb->cls), lost);
	sb->free = sb->nblocks;
	sb->lost += lost;
	sb->inuse += lost;
	h->cls[sb->cls].inuse += lost;
	h->cls[sb->cls].moved += lost;
}

/**
 * pheap_heap_pop_bad() - allocate past bad blocks at the head of the list
 * @p: instance
 * @h: this CPU's heap
 * @cls: size class
 * @size: bytes requested
 *
 * The head of the active superblock's free list is one of:
 *  - a block with its remote-free bit set: another CPU freed it while it
 *    was free (a double free that raced its owner's free). Reported, and
 *    taken off the list as if handed out and freed remotely, so that the
 *    collector puts it back once;
 *  - a block whose link is corrupt, or a live block (reached through a
 *    link that passed its check, wrongly): reported, and the
 *    superblock's free blocks quarantined.
 *
 * Context: @h's CPU under its local lock.
 * Return: the next good block, or NULL when the active superblock has no
 * other.
 */
void *pheap_heap_pop_bad(struct pheap *p, struct pheap_heap *h,
			 unsigned int cls, size_t size)
{
	struct pheap_heap_class *hc = &h->cls[cls];
	struct pheap_sb *sb = hc->active;
	unsigned int idx;
	void *obj;
	u64 next;

	while ((idx = sb->free) < sb->nblocks) {
		obj = sb->base + idx * pheap_csize(cls);
		if (!pheap_sb_head_ok(sb, obj, idx, &next)) {
			pheap_heap_quarantine(p, h, sb, obj);
			return NULL;
		}
		pheap_sb_take(sb, obj, idx, next);
		hc->inuse++;
		if (!pheap_sb_remote_freed(sb, idx)) {
			hc->req_bytes += size;
			return obj;
		}
		/* in use until collected, but not an allocation */
		hc->moved++;
		pheap_report_late_double_free(p, obj, "on allocation");
	}
	return NULL;
}

/* An idle superblock of a class with a free block, unlisted. */
static struct pheap_sb *pheap_heap_take_idle(struct pheap *p,
					     struct pheap_heap *h,
					     unsigned int cls)
{
	struct pheap_sb *sb;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(pheap_refill_groups); i++) {
		sb = list_first_entry_or_null(&h->cls[cls].groups[pheap_refill_groups[i]],
					      struct pheap_sb, node);
		if (sb) {
			pheap_idle_del(p, h, sb);
			return sb;
		}
	}
	return NULL;
}

/*
 * Take the heap's lock again after dropping it: a context that held it
 * takes it again (what interrupted it in between is over), perhaps on
 * another CPU.
 */
static struct pheap_heap *pheap_heap_relock(struct pheap *p)
{
	struct pheap_heap *h;

	while (WARN_ON_ONCE(!(h = pheap_heap_trylock(p))))
		cpu_relax();
	return h;
}

/*
 * A new superblock, the heap's lock dropped around the page allocator.
 * On return the lock is held again, perhaps on another CPU: *h is that
 * CPU's heap.
 */
static struct pheap_sb *pheap_heap_grow(struct pheap *p,
					struct pheap_heap **h,
					unsigned int cls, gfp_t gfp)
{
	struct pheap_sb *sb;

	pheap_heap_unlock(p, *h);
	sb = pheap_sb_new(p, cls, gfp, numa_mem_id());
	*h = pheap_heap_relock(p);
	return sb;
}

/*
 * Place a new superblock: active, unless another context on this CPU
 * refilled the class while the lock was dropped; then it is idle.
 */
static void pheap_heap_place_new(struct pheap *p, struct pheap_heap *h,
				 struct pheap_sb *sb, struct list_head *release)
{
	struct pheap_sb *active = h->cls[sb->cls].active;

	pheap_heap_own(p, h, sb);
	if (!active || active->free >= active->nblocks) {
		pheap_activate(p, h, sb, release);
		return;
	}
	pheap_idle_add(p, h, sb);
	pheap_heap_keep_threshold(p, h, release);
}

/* The active superblock of @cls ran dry: find it a successor. */
static void *pheap_heap_replace_active(struct pheap *p, struct pheap_heap **hp,
				       unsigned int cls, size_t size, gfp_t gfp,
				       struct list_head *release)
{
	struct pheap_heap *h = *hp;
	struct pheap_sb *sb;

	pheap_ev_inc(h, PHEAP_EV_REFILL);
	sb = pheap_heap_take_idle(p, h, cls);
	if (!sb && p->ops->global_heap) {
		sb = pheap_global_take(p, cls, h, release);
		if (sb) {
			pheap_heap_own(p, h, sb);
			pheap_ev_inc(h, PHEAP_EV_FROM_GLOBAL);
			if (sb->nid != cpu_to_mem(h->cpu))
				pheap_ev_inc(h, PHEAP_EV_FROM_OTHER_NODE);
		}
	}
	if (sb) {
		pheap_activate(p, h, sb, release);
		return pheap_cpu_pop(p, h, cls, size);
	}
	sb = pheap_heap_grow(p, hp, cls, gfp);
	h = *hp;
	if (sb)
		pheap_heap_place_new(p, h, sb, release);
	return pheap_cpu_pop(p, h, cls, size);
}

/**
 * pheap_heap_refill() - the allocation slow path
 * @p: instance
 * @hp: this CPU's heap, locked; its lock is held on return too but
 *	dropped around the page allocator, so that *@hp may then be
 *	another CPU's heap
 * @cls: size class
 * @size: bytes requested (for the statistics)
 * @gfp: allocation flags
 * @release: superblocks to give back to the page allocator go here
 *
 * Collects one batch of remote frees first; if the active superblock
 * still has no block, replaces it (a refill): an idle superblock, one
 * from the global heap, or a new superblock.
 *
 * Context: the local lock held (alloc.c).
 * Return: a block, or NULL.
 */
void *pheap_heap_refill(struct pheap *p, struct pheap_heap **hp,
			unsigned int cls, size_t size, gfp_t gfp,
			struct list_head *release)
{
	struct pheap_heap *h = *hp;
	void *obj;

	pheap_heap_collect_some(p, h, release);
	obj = pheap_cpu_pop(p, h, cls, size);
	if (obj)
		return obj;
	return pheap_heap_replace_active(p, hp, cls, size, gfp, release);
}

/*
 * Give up to PHEAP_RETURN_MAX of @h's empty superblocks, idle or active,
 * to the global heap, which keeps its reserve and releases the rest.
 * Clears @h->trim once none is left. Blocks in use keep theirs.
 */
static void pheap_heap_trim_some(struct pheap *p, struct pheap_heap *h,
				 struct list_head *release)
{
	struct pheap_heap_class *hc;
	unsigned int c, n = 0;
	struct pheap_sb *sb;

	for (c = 0; c < PHEAP_NR_CLASSES; c++) {
		hc = &h->cls[c];
		while ((sb = list_first_entry_or_null(&hc->groups[0],
						      struct pheap_sb, node)) &&
		       !sb->inuse) {
			if (n++ == PHEAP_RETURN_MAX)
				return;
			pheap_idle_del(p, h, sb);
			pheap_ev_inc(h, PHEAP_EV_TO_GLOBAL);
			pheap_heap_give(p, h, sb, release);
		}
		sb = hc->active;
		if (sb && !sb->inuse) {
			if (n++ == PHEAP_RETURN_MAX)
				return;
			hc->active = NULL;
			pheap_ev_inc(h, PHEAP_EV_TO_GLOBAL);
			pheap_heap_give(p, h, sb, release);
		}
	}
	WRITE_ONCE(h->trim, false);
}

/*
 * What every allocation and every free on @h's CPU changes: the bytes
 * asked for and the frees, summed. Read racily, from another CPU: it
 * only has to tell a heap that worked from one that did not.
 */
static unsigned long pheap_heap_activity(const struct pheap_heap *h)
{
	unsigned long sum = 0;
	unsigned int c;

	for (c = 0; c < PHEAP_NR_CLASSES; c++)
		/* racy on purpose: its CPU updates them as this sums */
		sum += data_race(READ_ONCE(h->cls[c].req_bytes) +
				 READ_ONCE(h->cls[c].frees));
	return sum;
}

/*
 * Has @h anything to give up: an empty idle superblock (its group 0 is
 * the empty ones), or an empty active one? Racy, from another CPU; an
 * active superblock read so stays allocated under rcu_read_lock() (sb.c
 * frees descriptors a grace period after their release).
 */
static bool pheap_heap_trimmable(const struct pheap_heap *h)
{
	const struct pheap_sb *sb;
	bool empty = false;
	unsigned int c;

	rcu_read_lock();
	for (c = 0; c < PHEAP_NR_CLASSES && !empty; c++) {
		/* racy on purpose: a hint, its CPU decides under its lock */
		empty = data_race(!list_empty(&h->cls[c].groups[0]));
		/* racy on purpose, as above */
		sb = data_race(READ_ONCE(h->cls[c].active));
		/* racy on purpose, as above */
		empty |= sb && !data_race(READ_ONCE(sb->inuse));
	}
	rcu_read_unlock();
	return empty;
}

/* Ask @h's CPU to give up its empty superblocks (its work item). */
static void pheap_heap_ask_trim(struct pheap *p, struct pheap_heap *h)
{
	WRITE_ONCE(h->trim, true);
	pheap_heap_kick(p, h);
}

/**
 * pheap_heap_trim_all() - every CPU heap gives up its empty superblocks
 * @p: instance
 *
 * Asynchronous: each online CPU's work item does it, a batch per lock
 * hold; pheap_flush() waits for them. The shrinker's way to the CPU
 * heaps.
 *
 * Context: any but NMI.
 */
void pheap_heap_trim_all(struct pheap *p)
{
	int cpu;

	if (!p->ops->global_heap)
		return;
	for_each_online_cpu(cpu)
		pheap_heap_ask_trim(p, per_cpu_ptr(p->cpu_heaps, cpu));
}

/**
 * pheap_heap_slack_pages() - pages the CPU heaps hold beyond their use
 * @p: instance
 *
 * Context: any; racy, a hint for the shrinker.
 * Return: the free bytes of their idle superblocks, in pages.
 */
unsigned long pheap_heap_slack_pages(struct pheap *p)
{
	const struct pheap_heap *h;
	unsigned long slack = 0;
	int cpu;

	if (!p->ops->global_heap)
		return 0;
	for_each_online_cpu(cpu) {
		h = per_cpu_ptr(p->cpu_heaps, cpu);
		/* racy on purpose: a hint for the shrinker */
		slack += data_race(READ_ONCE(h->idle_held) -
				   READ_ONCE(h->idle_used));
	}
	return slack >> PAGE_SHIFT;
}

/*
 * The idle check, every second while a CPU heap holds superblocks: a
 * heap whose activity stood still since the last check, a second ago,
 * gives up its empty superblocks; so an idle instance comes down to the
 * global heap's reserve. Nothing on the fast paths: the figures it reads
 * are the ones they write anyway.
 */
static void pheap_heap_idle_work(struct work_struct *work)
{
	struct pheap *p = container_of(to_delayed_work(work), struct pheap,
				       idle_work);
	struct pheap_heap *h;
	unsigned long act;
	bool held = false;
	int cpu;

	cpus_read_lock();
	for_each_online_cpu(cpu) {
		h = per_cpu_ptr(p->cpu_heaps, cpu);
		/* racy on purpose: its CPU updates it as this reads */
		if (!data_race(READ_ONCE(h->a)))
			continue;
		held = true;
		act = pheap_heap_activity(h);
		if (act == h->idle_seen && pheap_heap_trimmable(h))
			pheap_heap_ask_trim(p, h);
		h->idle_seen = act;
	}
	cpus_read_unlock();
	if (held && !READ_ONCE(p->dying))
		queue_delayed_work(system_wq, &p->idle_work, HZ);
}

/**
 * pheap_heap_idle_init() - set up an instance's idle check
 * @p: instance being created
 *
 * Context: process context.
 */
void pheap_heap_idle_init(struct pheap *p)
{
	INIT_DEFERRABLE_WORK(&p->idle_work, pheap_heap_idle_work);
}

/**
 * pheap_heap_idle_stop() - stop an instance's idle check for good
 * @p: instance being destroyed, @p->dying set
 *
 * Context: process context, may sleep.
 */
void pheap_heap_idle_stop(struct pheap *p)
{
	cancel_delayed_work_sync(&p->idle_work);
}

/*
 * Collect everything waiting for @h, finish a threshold return, and give
 * up its empty superblocks if it was asked to (@h->trim), a batch per
 * lock hold. Return: false if this does not run on @h's CPU.
 */
static bool pheap_heap_drain_local(struct pheap *p, struct pheap_heap *h)
{
	struct pheap_heap *mine;
	bool more;

	do {
		LIST_HEAD(release);

		mine = pheap_heap_relock(p);
		if (mine != h) {
			pheap_heap_unlock(p, mine);
			return false;
		}
		pheap_heap_collect(p, h, &release);
		/* after every waiting free: the ones still queued may empty more */
		if (READ_ONCE(h->trim) && !pheap_heap_remote_waiting(h))
			pheap_heap_trim_some(p, h, &release);
		more = pheap_heap_remote_waiting(h) || h->returning ||
		       READ_ONCE(h->trim);
		pheap_heap_unlock(p, h);
		pheap_sb_release_list(p, &release);
		cond_resched();
	} while (more);
	return true;
}

/*
 * pheap_heap_drain() - collect everything waiting for the heap of an
 *			offline CPU
 * @p: instance
 * @h: the heap; its CPU is offline and CPU hotplug is held off
 *
 * Context: process context.
 */
static void pheap_heap_drain(struct pheap *p, struct pheap_heap *h)
{
	LIST_HEAD(release);

	while (pheap_heap_remote_waiting(h)) {
		pheap_heap_collect(p, h, &release);
		pheap_sb_release_list(p, &release);
		cond_resched();
	}
}

/*
 * The collector of last resort, armed by the first remote free to an
 * empty list: whatever the owner has not collected itself within
 * PHEAP_COLLECT_DELAY. Armed at once by a threshold return that stopped
 * at PHEAP_RETURN_MAX superblocks, to finish it. Runs on the owner's CPU; if that CPU is offline,
 * forwards the blocks to the superblocks' new owners.
 */
static void pheap_heap_work(struct work_struct *work)
{
	struct pheap_heap *h = container_of(to_delayed_work(work),
					    struct pheap_heap, work);
	struct pheap *p = h->pheap;

	cpus_read_lock();
	if (!cpu_online(h->cpu))
		pheap_heap_drain(p, h);
	else if (!pheap_heap_drain_local(p, h))
		queue_delayed_work_on(h->cpu, system_wq, &h->work, 0);
	cpus_read_unlock();
}

/**
 * pheap_heap_flush() - collect everything waiting for a CPU heap, now
 * @p: instance
 * @h: the heap
 *
 * An online CPU's collector runs on that CPU and is waited for. An
 * offline CPU's heap is drained here, with CPU hotplug held off: a CPU
 * that was never online (possible CPUs beyond the online ones, as on a
 * VM with hot-pluggable vCPUs) has no worker to run its collector, and
 * waiting for it would never end.
 *
 * Context: process context, may sleep; not under cpus_read_lock().
 */
void pheap_heap_flush(struct pheap *p, struct pheap_heap *h)
{
	bool online;

	cpus_read_lock();
	online = cpu_online(h->cpu);
	if (!online)
		pheap_heap_drain(p, h);
	cpus_read_unlock();
	if (!online)
		return;
	/* If it goes offline meanwhile, its worker runs the work elsewhere. */
	mod_delayed_work_on(h->cpu, system_wq, &h->work, 0);
	flush_delayed_work(&h->work);
}

/**
 * pheap_heap_init() - an empty CPU heap
 * @p: instance
 * @h: heap, zeroed
 * @cpu: its CPU
 *
 * Context: process context.
 */
void pheap_heap_init(struct pheap *p, struct pheap_heap *h, unsigned int cpu)
{
	unsigned int c, g;

	local_lock_init(&h->lock);
	for (c = 0; c < PHEAP_NR_CLASSES; c++)
		for (g = 0; g < PHEAP_GROUPS; g++)
			INIT_LIST_HEAD(&h->cls[c].groups[g]);
	init_llist_head(&h->remote);
	INIT_DELAYED_WORK(&h->work, pheap_heap_work);
	h->cpu = cpu;
	h->pheap = p;
	pheap_heap_set_limit(p, h);
}

/**
 * pheap_heap_evict() - move everything a CPU heap holds to the global heap
 * @p: instance
 * @h: the heap of a dead CPU (hotplug), or of any CPU while @p is destroyed
 *
 * Then forwards every block waiting on @h's remote list: @h owns nothing.
 *
 * Context: process context, nothing using @h (its CPU is dead, or @p is
 * being destroyed).
 */
void pheap_heap_evict(struct pheap *p, struct pheap_heap *h)
{
	struct pheap_sb *sb;
	unsigned int c, g;
	LIST_HEAD(release);

	for (c = 0; c < PHEAP_NR_CLASSES; c++) {
		struct pheap_heap_class *hc = &h->cls[c];

		for (g = 0; g < PHEAP_GROUPS; g++) {
			while ((sb = list_first_entry_or_null(&hc->groups[g],
							      struct pheap_sb,
							      node))) {
				pheap_idle_del(p, h, sb);
				pheap_heap_give(p, h, sb, &release);
			}
		}
		sb = hc->active;
		if (sb) {
			hc->active = NULL;
			pheap_heap_give(p, h, sb, &release);
		}
	}
	pheap_sb_release_list(p, &release);
	pheap_heap_drain(p, h);
}

/* Refill under the heap's lock, then drop it and give back what is freed. */
noinline void *pheap_alloc_slow(struct pheap *p, struct pheap_heap *h,
				unsigned int cls, size_t size, gfp_t gfp)
{
	LIST_HEAD(release);
	void *obj;

	obj = pheap_heap_refill(p, &h, cls, size, gfp, &release);
	pheap_heap_unlock(p, h);
	pheap_sb_release_list(p, &release);
	return obj;
}

/**
 * pheap_alloc_interrupted() - a block for a context that interrupted this
 *			       CPU's heap in use
 * @p: instance
 * @cls: size class
 * @size: bytes requested
 * @gfp: allocation flags
 *
 * A softirq or hardirq that lands while its CPU's heap is locked may not
 * touch the heap: it takes a block straight from the global heap, which
 * owns it; its free later takes the remote way, as any free of a global
 * superblock's block does. Counted in PHEAP_EV_ALLOC_INTERRUPTED.
 *
 * Context: as pheap_alloc_in(), with this CPU's heap locked by the
 * context it interrupted.
 * Return: the block, or NULL.
 */
noinline void *pheap_alloc_interrupted(struct pheap *p, unsigned int cls,
				       size_t size, gfp_t gfp)
{
	this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_ALLOC_INTERRUPTED]);
	return pheap_global_alloc(p, cls, size, gfp, numa_mem_id());
}

/**
 * pheap_alloc_block() - a block of a class, contents not initialised
 * @p: instance
 * @cls: size class
 * @size: bytes requested, for the statistics
 * @gfp: allocation flags (__GFP_ZERO and init_on_alloc are the caller's)
 *
 * Debug mode's way to the allocation path (debug.c).
 *
 * Context: as pheap_alloc_in().
 * Return: the block, or NULL (counted).
 */
void *pheap_alloc_block(struct pheap *p, unsigned int cls, size_t size,
			gfp_t gfp)
{
	return pheap_alloc_small(p, cls, size, gfp);
}

/**
 * pheap_heap_alloc_bulk() - blocks of a class, many per lock hold
 * @p: instance
 * @cls: size class
 * @size: bytes requested for each, for the statistics
 * @gfp: allocation flags (__GFP_ZERO and init_on_alloc are the caller's)
 * @nr: blocks wanted
 * @out: where they go
 *
 * Pops up to PHEAP_BULK_BATCH blocks from this CPU's heap per hold of its
 * lock; a refill drops the lock, as a single allocation's does. A context
 * that interrupted the heap's holder takes each from the global heap.
 *
 * Context: as pheap_alloc_in().
 * Return: blocks put in @out; fewer than @nr only if one failed (counted).
 */
size_t pheap_heap_alloc_bulk(struct pheap *p, unsigned int cls, size_t size,
			     gfp_t gfp, size_t nr, void **out)
{
	struct pheap_heap *h = NULL;
	unsigned int held = 0;
	size_t i = 0;
	void *obj;

	while (i < nr) {
		if (!h) {
			h = pheap_heap_trylock(p);
			held = 0;
		}
		if (unlikely(!h)) {
			obj = pheap_alloc_interrupted(p, cls, size, gfp);
		} else {
			obj = pheap_cpu_pop(p, h, cls, size);
			if (unlikely(!obj)) {
				obj = pheap_alloc_slow(p, h, cls, size, gfp);
				h = NULL;
			} else if (++held == PHEAP_BULK_BATCH) {
				pheap_heap_unlock(p, h);
				h = NULL;
			}
		}
		if (unlikely(!obj)) {
			this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_ALLOC_FAIL]);
			break;
		}
		out[i++] = obj;
	}
	if (h)
		pheap_heap_unlock(p, h);
	return i;
}

/* Free under the heap's lock, then drop it and give back what is freed. */
noinline void pheap_free_slow(struct pheap *p, struct pheap_heap *h,
			      struct pheap_sb *sb, void *obj, unsigned int idx)
{
	LIST_HEAD(release);

	pheap_heap_free(p, h, sb, obj, idx, &release);
	pheap_heap_unlock(p, h);
	pheap_sb_release_list(p, &release);
}

/*
 * A block of a superblock this CPU's heap does not own: a remote free
 * (remote.c), after the local lock is dropped; the owner wipes it under
 * init_on_free when it collects it. Also the lock-free way to this CPU's
 * own heap (PREEMPT_RT atomic context, or an interrupt of the heap's
 * holder), which is a free of the class but not one sent to another
 * heap. The counters are bumped with this_cpu_inc() and only here: they
 * are never written under the lock.
 */
void pheap_free_remote(struct pheap *p, struct pheap_sb *sb, void *obj,
		       unsigned int idx, unsigned long caller)
{
	unsigned int cls = sb->cls;

	if (unlikely(!pheap_remote_free(p, sb, idx))) {
		pheap_report_bad_free(p, obj, "double free", caller);
		return;
	}
	this_cpu_inc(p->cpu_heaps->cls[cls].remote_frees);
	/* racy: a task on PREEMPT_RT may move; a count, not a decision */
	if (READ_ONCE(sb->owner) != raw_cpu_ptr(p->cpu_heaps))
		this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_REMOTE_SENT]);
}

/**
 * pheap_free_block() - free a block of a superblock
 * @p: instance
 * @sb: its superblock
 * @obj: the block, a block start of @sb (checked)
 * @idx: its index in @sb
 * @caller: return address of the caller of the public function
 *
 * Debug mode's way to the free path (debug.c): the double-free checks
 * and everything after them. A debug instance's blocks are not wiped
 * here under init_on_free: debug.c poisons or wipes them.
 *
 * Context: as pheap_free_in().
 */
void pheap_free_block(struct pheap *p, struct pheap_sb *sb, void *obj,
		      unsigned int idx, unsigned long caller)
{
	pheap_free_small(p, sb, obj, idx, caller);
}

/*
 * The two designs of this file. Their tables are for the layers that
 * read a design's traits; the entry points call hoard and ownership
 * directly (pheap_alloc_small(), pheap_free_small()), never through
 * @alloc and @free.
 */
const struct pheap_design_ops pheap_hoard_design = {
	.id		= PHEAP_DESIGN_HOARD,
	.global_heap	= true,
	.debug_mode	= true,
	.alloc		= pheap_alloc_block,
	.free		= pheap_free_block,
	.rcu_claim	= pheap_remote_rcu_claim,
	.rcu_done	= pheap_remote_rcu_done,
};

const struct pheap_design_ops pheap_ownership_design = {
	.id		= PHEAP_DESIGN_OWNERSHIP,
	.alloc		= pheap_alloc_block,
	.free		= pheap_free_block,
	.rcu_claim	= pheap_remote_rcu_claim,
	.rcu_done	= pheap_remote_rcu_done,
};
