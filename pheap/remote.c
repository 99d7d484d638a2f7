// SPDX-License-Identifier: GPL-2.0
/*
 * pheap remote frees: a block freed on a CPU that does not own its
 * superblock.
 *
 * The freer never writes into the block. It sets the block's bit in the
 * superblock's remote-free bitmap (sb->rfree) with one atomic fetch-or:
 * a bit already set is a double free, refused with nothing touched, and
 * of two racing frees of one block exactly one sets the bit. Before that
 * it reads the block's live bit (racily: a block handed out is seen as
 * live by any CPU the pointer reached), so that a free of a block that is
 * already free is refused at once, with its caller named.
 *
 * The superblock, not the block, is queued on its owner's list: a CPU
 * heap's remote list, or the class's list in the global heap. The
 * summary word sb->rsummary has a bit per bitmap word and the flag
 * PHEAP_RS_QUEUED:
 *
 *	freer				collector (the owner)
 *	old = fetch_or(bit, word w)	take sb off the list
 *	if old has the bit: refused	s = xchg(summary, 0)
 *	if old != 0: done		for each word w in s:
 *	s = fetch_or(w | QUEUED,	    bits = xchg(word w, 0)
 *		     summary)		    free each block of bits
 *	if s had no QUEUED: queue sb
 *
 * Only the first freer of a word (old == 0) goes on to the summary, and
 * a collector takes a word only once the summary names it: so a block's
 * free is collected only after its freer's last access to the
 * superblock, and the block keeps the superblock alive (it counts in
 * inuse) until then. A superblock is queued once however many blocks are
 * freed into it; its collection is O(1) a word, with no lookup a block.
 *
 * The owner's side of a double free: a free of a block whose remote bit
 * is set is refused (free.c); a remote bit found on a block that is not
 * live (a remote free that raced the owner's own free of the block) is a
 * double free reported when it is collected, and one found on a free
 * block about to be handed out is reported then, and the block left to
 * the collector (heap.c).
 *
 * A free after a grace period (pheap_free_rcu(), rcu.c) claims its block
 * at once by the block's remote-free bit, so that every other free is
 * refused as above, and its held bit (sb->rcu_held), but names no word:
 * a collector that takes the word for another block's sake puts the bits
 * of held blocks back. After the grace period the held bit is cleared
 * and the word named, and the block is collected as any remote free.
 *
 * Collection is bounded: a collector takes its whole list at once
 * (llist_del_all()) into a private "pending" list and then collects at
 * most PHEAP_COLLECT_BATCH superblocks a call. The rule for every
 * collector: a superblock it still owns is collected into; any other is
 * queued on to its current owner (ownership moved after the freer read
 * it), still marked queued.
 *
 * Prompt collection: CPU heaps look at their list on every slow path,
 * a refill above all, never on the fast paths (heap.c). A push that
 * finds the list empty also arms the owner's work
 * item, which collects what the owner has not after PHEAP_COLLECT_DELAY:
 * an idle owner gets its blocks, and so its empty superblocks, back in
 * bounded time. This is mimalloc's "delayed free" at superblock
 * granularity, with a bitmap instead of a list threaded through blocks.
 *
 * Context: any but NMI; never sleeps.
 */
#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/cpumask.h>
#include <linux/llist.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/printk.h>
#include <linux/workqueue.h>

#include "class.h"
#include "fault.h"
#include "heap.h"
#include "instance.h"
#include "remote.h"
#include "report.h"
#include "sb.h"

/* Arm the owner's collector; @owner NULL is the global heap. */
static void pheap_remote_kick(struct pheap *p, struct pheap_heap *owner)
{
	if (READ_ONCE(p->dying))
		return;
	if (!owner) {
		queue_delayed_work(system_unbound_wq, &p->global.work,
				   PHEAP_COLLECT_DELAY);
		return;
	}
	/*
	 * A CPU goes offline under stop_machine(), which waits for this CPU
	 * to leave the section: a CPU seen online here still runs when its
	 * timer is armed, and the timer moves when the CPU dies. Preempted
	 * between the two, the timer could land on a CPU already dead, its
	 * timers moved, and wait there until it comes back.
	 */
	preempt_disable();
	if (cpu_online(owner->cpu))
		queue_delayed_work_on(owner->cpu, system_wq, &owner->work,
				      PHEAP_COLLECT_DELAY);
	else	/* the handler sees the CPU is gone and forwards */
		queue_delayed_work(system_wq, &owner->work,
				   PHEAP_COLLECT_DELAY);
	preempt_enable();
}

/**
 * pheap_remote_queue() - queue a superblock on its owner's remote list
 * @p: instance
 * @sb: superblock marked PHEAP_RS_QUEUED, by the caller or still
 *
 * Context: any but NMI; lock free.
 */
void pheap_remote_queue(struct pheap *p, struct pheap_sb *sb)
{
	struct pheap_heap *owner = READ_ONCE(sb->owner);
	struct llist_head *list;

	list = owner ? &owner->remote : &pheap_gclass(p, sb->nid, sb->cls)->remote;
	if (llist_add(&sb->rnode, list))
		pheap_remote_kick(p, owner);
}

/*
 * Name word @w of @sb's remote-free bitmap in its summary, and queue @sb
 * unless it is queued already. Return: false if @sb was released since
 * the caller's free was decided: the owner freed the block meanwhile, its
 * last, so that free is a double free. A released superblock is not
 * queued: its pages and descriptor are on their way back, a grace period
 * after the release (the caller's read section, sb.h, or its pin keeps
 * them until then).
 */
static bool pheap_remote_announce(struct pheap *p, struct pheap_sb *sb,
				  unsigned int w)
{
	unsigned long old;

	old = atomic_long_fetch_or(BIT(w) | PHEAP_RS_QUEUED, &sb->rsummary);
	if (unlikely(old & PHEAP_RS_DEAD))
		return false;
	if (!(old & PHEAP_RS_QUEUED))
		pheap_remote_queue(p, sb);
	return true;
}

/**
 * pheap_remote_free() - free a block of a superblock another heap owns
 * @p: instance
 * @sb: the block's superblock
 * @idx: the block's index in @sb
 *
 * Context: any but NMI; lock free; in the read section @sb was looked up
 * in (sb.h).
 * Return: false for a double free (the block is free, or already freed
 * remotely, or its superblock was released meanwhile): nothing was done
 * but a remote-free bit set in a superblock on its way out.
 */
bool pheap_remote_free(struct pheap *p, struct pheap_sb *sb, unsigned int idx)
{
	unsigned long mask = BIT_MASK(idx), old;
	unsigned int w = BIT_WORD(idx);

	/*
	 * The owner writes live bits without atomics; a block handed out
	 * reads as live on any CPU the pointer reached, so a clear bit is a
	 * free block. A race with the owner's own free is caught later.
	 */
	if (!data_race(test_bit(idx, sb->live)))
		return false;
	pheap_race_window(PHEAP_RACE_REMOTE_FREE);
	old = atomic_long_fetch_or(mask, &sb->rfree[w]);
	if (old & mask)
		return false;
	if (old)
		return true;	/* the word's first freer queues it */
	return pheap_remote_announce(p, sb, w);
}

/**
 * pheap_remote_rcu_claim() - claim a block for a free after a grace period
 * @p: instance (hoard or ownership)
 * @sb: the block's superblock
 * @idx: the block's index in @sb
 *
 * pheap_free_rcu()'s claim (rcu.c), from any CPU, owner or not: the
 * block's remote-free bit is set as a remote free sets it, so that every
 * other free of the block is refused as a double free, but its word is
 * not named in the summary: no collector takes the block before
 * pheap_remote_rcu_done(). A collector that takes the word for another
 * block's sake finds the block in @sb->rcu_held and puts its bit back
 * (pheap_remote_keep_held()). Nothing is written into the block.
 *
 * Context: any but NMI; lock free; in the read section @sb was looked up
 * in (sb.h).
 * Return: true if the block is claimed, and @sb pinned (sb.h); false for
 * a block that is free, freed or claimed already.
 */
bool pheap_remote_rcu_claim(struct pheap *p, struct pheap_sb *sb,
			    unsigned int idx)
{
	unsigned long mask = BIT_MASK(idx);
	unsigned int w = BIT_WORD(idx);

	/* racy, as pheap_remote_free()'s: the atomics below order the rest */
	if (!data_race(test_bit(idx, sb->live)))
		return false;
	/* held first: a collector that sees the remote bit sees this */
	if (test_and_set_bit(idx, sb->rcu_held))
		return false;
	if (atomic_long_fetch_or(mask, &sb->rfree[w]) & mask) {
		/* freed remotely already: the bit is that free's */
		clear_bit(idx, sb->rcu_held);
		/* held clear before the word is named: a collector takes it */
		smp_mb__after_atomic();
		/* a collector may have kept the bit back for us meanwhile */
		pheap_remote_announce(p, sb, w);
		return false;
	}
	pheap_sb_pin(sb);
	return true;
}

/**
 * pheap_remote_rcu_done() - free a block pheap_remote_rcu_claim() claimed
 * @p: instance
 * @sb: the block's superblock, pinned by the claim
 * @idx: the block's index in @sb
 *
 * The claim becomes a remote free: its word named, @sb queued on its
 * owner's list, the block collected from there as any remote free is.
 *
 * Context: any but NMI, a grace period after the claim; lock free.
 */
void pheap_remote_rcu_done(struct pheap *p, struct pheap_sb *sb,
			   unsigned int idx)
{
	clear_bit(idx, sb->rcu_held);
	/* held clear before the word is named: its collector takes it */
	smp_mb__after_atomic();
	if (pheap_remote_announce(p, sb, BIT_WORD(idx))) {
		/* counted as pheap_free_remote() counts its frees */
		this_cpu_inc(p->cpu_heaps->cls[sb->cls].remote_frees);
		if (READ_ONCE(sb->owner) != raw_cpu_ptr(p->cpu_heaps))
			this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_REMOTE_SENT]);
	} else {
		pheap_report_late_double_free(p, pheap_sb_block(p, sb, idx),
					      "while its RCU free waited");
	}
	pheap_sb_unpin(sb);
}

/*
 * A node that is not a superblock of @p: memory outside pheap's blocks
 * was overwritten. Nothing after it can be trusted: the rest of the chain
 * is dropped rather than follow a wild pointer. Its superblocks stay
 * marked queued, so the blocks freed into them wait, counted as in use,
 * until pheap_destroy(), which collects them (the superblocks it still
 * holds) or releases them (those released meanwhile, in limbo: sb.c).
 */
static void pheap_remote_corrupt(struct pheap *p, struct llist_node **pending,
				 struct pheap_sb *sb)
{
	*pending = NULL;
	this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_CORRUPT]);
	pr_err_ratelimited("%s: remote free list corrupted: %p is not a superblock of this heap; the rest of the list is dropped\n",
			   p->cfg.name, sb);
}

/**
 * pheap_remote_pop() - the next superblock a collector should look at
 * @p: instance
 * @list: the remote list it owns
 * @pending: its private list of superblocks already taken off @list
 * @release: a superblock released while it was queued (sb.c) is put
 *	     here, for the caller to free once it holds no pheap lock
 *
 * Each node is checked to be a superblock of @p (pheap_sb_node_ok(): its
 * address first, then its magic and instance) before its link is read.
 *
 * Context: the list's owner.
 * Return: a superblock, or NULL when both lists are empty (or the rest of
 * them was dropped as corrupt).
 */
struct pheap_sb *pheap_remote_pop(struct pheap *p, struct llist_head *list,
				  struct llist_node **pending,
				  struct list_head *release)
{
	struct llist_node *node;
	struct pheap_sb *sb;

	for (;;) {
		node = *pending;
		if (!node) {
			node = llist_del_all(list);
			if (!node)
				return NULL;
		}
		sb = llist_entry(node, struct pheap_sb, rnode);
		if (unlikely(!pheap_sb_node_ok(p, sb))) {
			pheap_remote_corrupt(p, pending, sb);
			return NULL;
		}
		*pending = node->next;
		if (likely(!(atomic_long_read(&sb->rsummary) & PHEAP_RS_DEAD)))
			return sb;
		/* released while queued: now it may go */
		pheap_sb_out_of_limbo(p, sb);
		atomic_long_set(&sb->rsummary, PHEAP_RS_DEAD);
		list_add(&sb->node, release);
	}
}

/*
 * A remote-free bit on a block that is not live: the remote free raced
 * the owner's own free of the block. Dropped and reported.
 */
static bool pheap_remote_bit_ok(struct pheap *p, struct pheap_sb *sb,
				unsigned int idx, void *obj)
{
	if (likely(test_bit(idx, sb->live)))
		return true;
	pheap_report_late_double_free(p, obj, "when collected");
	return false;
}

/*
 * Remote-free bits @held of word @w of @sb, taken by a collector, are
 * blocks claimed by pheap_free_rcu() (pheap_remote_rcu_claim()): their
 * bits go back, until the claim's grace period is over. A bit found set
 * again is a remote free of the block that came between: a double free,
 * reported (the block is freed once, when its claim ends). Return: @held.
 */
static unsigned long pheap_remote_keep_held(struct pheap *p,
					    struct pheap_sb *sb,
					    unsigned int w, unsigned long held)
{
	unsigned long again;
	unsigned int b;

	again = atomic_long_fetch_or(held, &sb->rfree[w]) & held;
	for_each_set_bit(b, &again, BITS_PER_LONG) {
		void *obj = pheap_sb_block(p, sb, w * BITS_PER_LONG + b);

		pheap_report_late_double_free(p, obj, "while its RCU free waited");
	}
	return held;
}

/**
 * pheap_remote_collect() - free into a superblock every block other CPUs
 *			    freed to it
 * @p: instance
 * @sb: superblock, taken off a remote list by its owner
 *
 * Only the block state (free list, inuse, live): the caller keeps its
 * own counts, @sb's fullness group and the threshold.
 *
 * Context: @sb's owner.
 * Return: the blocks freed.
 */
unsigned int pheap_remote_collect(struct pheap *p, struct pheap_sb *sb)
{
	const struct pheap_class_info *ci = &p->ci[sb->cls];
	unsigned long words, bits, held;
	unsigned int w, b, idx, n = 0;
	void *obj;

	words = atomic_long_xchg(&sb->rsummary, 0);
	for_each_set_bit(w, &words, ci->bm_words) {
		bits = atomic_long_xchg(&sb->rfree[w], 0);
		held = bits & READ_ONCE(sb->rcu_held[w]);
		if (unlikely(held))
			bits &= ~pheap_remote_keep_held(p, sb, w, held);
		for_each_set_bit(b, &bits, BITS_PER_LONG) {
			idx = w * BITS_PER_LONG + b;
			obj = pheap_sb_block(p, sb, idx);
			if (!pheap_remote_bit_ok(p, sb, idx, obj))
				continue;
			if (unlikely(want_init_on_free()) &&
			    !pheap_debug_on(p))
				memset(obj, 0, ci->size);
			pheap_sb_put(sb, obj, idx);
			n++;
		}
	}
	return n;
}
