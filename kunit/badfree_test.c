// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite pheap_badfree: a block freed twice, however it happens, is
 * reported, counted in bad_frees and otherwise ignored; a free block
 * written after its free is never followed. Each case then
 * allocates from the same instance and checks that no block is handed
 * out twice, and that destroy finds every block freed once.
 */
#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/sched.h>

#include "helpers.h"

#define BF_SIZE		64
#define BF_CHECK	256	/* blocks allocated to look for twice-handed ones */

struct bf_work {
	struct pheap *p;
	void *blk[3];
	bool then_alloc;		/* bf_raced_on_owner(): allocate after */
	unsigned long bad_at_free;	/* bad frees counted right after it */
};

static int bf_alloc(void *arg)
{
	struct bf_work *w = arg;

	return kt_alloc_filled(w->p, w->blk, ARRAY_SIZE(w->blk), BF_SIZE);
}

static int bf_free_first(void *arg)
{
	struct bf_work *w = arg;

	pheap_free_in(w->p, w->blk[0]);
	return 0;
}

static int bf_check(void *arg)
{
	struct bf_work *w = arg;

	return kt_handed_out_twice(w->p, BF_SIZE, BF_CHECK);
}

/* Nothing handed out twice on @cpu, nothing leaked, @bad bad frees. */
static void bf_expect_intact(struct kunit *test, struct bf_work *w,
			     unsigned int cpu, unsigned long bad)
{
	pheap_flush(w->p);
	KUNIT_EXPECT_EQ(test, kt_run_on_cpu(cpu, bf_check, w), 0);
	KUNIT_EXPECT_EQ(test, kt_event(w->p, PHEAP_EV_BAD_FREE), bad);
}

/* Two CPUs, a and b; w's blocks allocated on a. Skips with one CPU. */
static void bf_two_cpus(struct kunit *test, struct bf_work *w,
			unsigned int *a, unsigned int *b)
{
	if (num_online_cpus() < 2)
		kunit_skip(test, "needs 2 online CPUs, has %u", num_online_cpus());
	*a = cpumask_first(cpu_online_mask);
	*b = cpumask_next(*a, cpu_online_mask);
	KUNIT_ASSERT_EQ(test, kt_run_on_cpu(*a, bf_alloc, w), 0);
}

/* Free blocks 1 and 2 properly, and expect destroy to find no leak. */
static void bf_finish(struct kunit *test, struct bf_work *w)
{
	pheap_free_in(w->p, w->blk[1]);
	pheap_free_in(w->p, w->blk[2]);
	KUNIT_EXPECT_EQ(test, pheap_destroy(w->p), 0UL);
}

/*
 * On its own CPU, a block freed again when another block has been freed
 * after it (so it is no longer the head of its free list).
 */
static void double_free_not_head_refused(struct kunit *test)
{
	struct bf_work w = { .p = kt_create(test, 0, 0) };
	unsigned int cpu = cpumask_first(cpu_online_mask);

	KUNIT_ASSERT_EQ(test, kt_run_on_cpu(cpu, bf_alloc, &w), 0);
	KUNIT_EXPECT_EQ(test, kt_run_on_cpu(cpu, bf_free_first, &w), 0);
	pheap_free_in(w.p, w.blk[1]);	/* wherever this runs: now the head */
	KUNIT_EXPECT_EQ(test, kt_run_on_cpu(cpu, bf_free_first, &w), 0);
	bf_expect_intact(test, &w, cpu, 1);
	pheap_free_in(w.p, w.blk[2]);
	KUNIT_EXPECT_EQ(test, pheap_destroy(w.p), 0UL);
}

/* Two frees from a CPU that does not own the block, before collection. */
static void remote_double_free_refused(struct kunit *test)
{
	struct bf_work w = { .p = kt_create(test, 0, 0) };
	unsigned int a, b;

	bf_two_cpus(test, &w, &a, &b);
	KUNIT_EXPECT_EQ(test, kt_run_on_cpu(b, bf_free_first, &w), 0);
	KUNIT_EXPECT_EQ(test, kt_run_on_cpu(b, bf_free_first, &w), 0);
	bf_expect_intact(test, &w, a, 1);
	/* and once more, after the owner collected the first free */
	KUNIT_EXPECT_EQ(test, kt_run_on_cpu(b, bf_free_first, &w), 0);
	bf_expect_intact(test, &w, a, 2);
	bf_finish(test, &w);
}

/* A block its owner already freed, freed again from another CPU. */
static void remote_free_of_free_block_refused(struct kunit *test)
{
	struct bf_work w = { .p = kt_create(test, 0, 0) };
	unsigned int a, b;

	bf_two_cpus(test, &w, &a, &b);
	KUNIT_EXPECT_EQ(test, kt_run_on_cpu(a, bf_free_first, &w), 0);
	KUNIT_EXPECT_EQ(test, kt_run_on_cpu(b, bf_free_first, &w), 0);
	bf_expect_intact(test, &w, a, 1);
	bf_finish(test, &w);
}

/*
 * The state the one race the free paths cannot order leaves behind: the
 * owner freed block 0 while another CPU, past its check that the block
 * was live, set its remote-free bit. Made here on purpose: the live bit
 * is set around the remote free, as the racer saw it.
 */
static int bf_raced_remote_free(void *arg)
{
	struct bf_work *w = arg;
	struct pheap_sb *sb;
	unsigned long tag;
	bool freed;
	int idx;

	sb = pheap_sb_lookup(w->blk[0], &tag);
	if (!sb)
		return -EINVAL;
	idx = pheap_sb_block_index(w->p, sb, w->blk[0]);
	if (idx < 0 || test_bit(idx, sb->live))
		return -EINVAL;
	__set_bit(idx, sb->live);
	freed = pheap_remote_free(w->p, sb, idx);
	__clear_bit(idx, sb->live);
	return freed ? 0 : -EINVAL;
}

/*
 * On the owner, as a SCHED_FIFO task so that its collector (a work item
 * on this CPU, armed by the remote free, run by a normal kworker) cannot
 * run first; not with preemption off, where PREEMPT_RT refuses the
 * allocation: that state,
 * the bad frees counted then, and with @then_alloc one allocation, which
 * must not be block 0.
 */
static int bf_raced_on_owner(void *arg)
{
	struct bf_work *w = arg;
	void *q = NULL;
	int err;

	sched_set_fifo(current);
	err = bf_raced_remote_free(w);
	w->bad_at_free = kt_event(w->p, PHEAP_EV_BAD_FREE);
	if (!err && w->then_alloc)
		q = pheap_alloc_in(w->p, BF_SIZE, GFP_ATOMIC);
	if (err || !w->then_alloc)
		return err;
	if (!q)
		return -ENOMEM;
	pheap_free_in(w->p, q);
	return q == w->blk[0] ? -EEXIST : 0;
}

/*
 * That state found when the owner next hands block 0 out (it is at the
 * head of the free list), or, with @collect_first, when it collects its
 * remote frees: reported once, and block 0 is free once after.
 */
static void bf_raced(struct kunit *test, bool collect_first)
{
	struct bf_work w = { .p = kt_create(test, 0, 0),
			     .then_alloc = !collect_first };
	unsigned int a, b;

	bf_two_cpus(test, &w, &a, &b);
	KUNIT_EXPECT_EQ(test, kt_run_on_cpu(a, bf_free_first, &w), 0);
	KUNIT_EXPECT_EQ(test, kt_run_on_cpu(a, bf_raced_on_owner, &w), 0);
	KUNIT_EXPECT_EQ(test, w.bad_at_free, 0UL);	/* not seen at the free */
	if (collect_first)
		pheap_flush(w.p);
	KUNIT_EXPECT_EQ(test, kt_event(w.p, PHEAP_EV_BAD_FREE), 1UL);
	bf_expect_intact(test, &w, a, 1);
	bf_finish(test, &w);
}

static void raced_double_free_found_on_allocation(struct kunit *test)
{
	bf_raced(test, false);
}

static void raced_double_free_found_when_collected(struct kunit *test)
{
	bf_raced(test, true);
}

/*
 * A write after free over a free block's link (or an overflow from the
 * block before it): the link is never followed. The next allocations are
 * good blocks, the corruption is counted, and the superblock's free
 * blocks are quarantined, which destroy does not count as leaks.
 */
static void write_after_free_link_contained(struct kunit *test)
{
	struct pheap *p = kt_create(test, 0, 0);
	unsigned int i;
	void *a, *b, *c, *q[4];
	unsigned long tag;

	migrate_disable();
	a = pheap_alloc_in(p, BF_SIZE, GFP_KERNEL);
	b = pheap_alloc_in(p, BF_SIZE, GFP_KERNEL);
	c = pheap_alloc_in(p, BF_SIZE, GFP_KERNEL);
	pheap_free_in(p, b);
	memset(b, 0x41, sizeof(void *));	/* the write after free */
	for (i = 0; i < ARRAY_SIZE(q); i++)
		q[i] = pheap_alloc_in(p, BF_SIZE, GFP_KERNEL);
	migrate_enable();
	for (i = 0; i < ARRAY_SIZE(q); i++) {
		KUNIT_ASSERT_NOT_NULL(test, q[i]);
		KUNIT_EXPECT_PTR_NE(test, q[i], b);
		KUNIT_EXPECT_NOT_NULL(test, pheap_sb_lookup(q[i], &tag));
		KUNIT_EXPECT_EQ(test, pheap_usable_size_in(p, q[i]), (size_t)BF_SIZE);
	}
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_CORRUPT), 1UL);
	pheap_free_in(p, a);
	pheap_free_in(p, c);
	kt_free_all(p, q, ARRAY_SIZE(q));
	KUNIT_EXPECT_EQ(test, kt_handed_out_twice(p, BF_SIZE, BF_CHECK), 0);
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_BAD_FREE), 0UL);
	/* the quarantined blocks are no leak of the caller's */
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

/*
 * Partial writes over a free block's link: every write of 1, 2 or 4
 * bytes at every offset of the 8-byte link, of a few values a caller
 * might write (a cleared flag, a count of one, all ones, text) and of
 * what was there with its lowest bit flipped (a flag set), into the
 * second of three free blocks of the smallest classes.
 */
#define PW_BLOCKS	8	/* allocated; 2, 4 and 6 of them freed */
#define PW_VICTIM	4	/* the block written to after its free */

static const u32 pw_values[] = { 0, 1, 0xffffffff, 0x41414141 };

struct pw_work {
	struct pheap *p;
	size_t size;
	unsigned int off, width;
	u32 value;
	bool flip;		/* write what is there, bit 0 flipped */
	bool unchanged;		/* the write left the link as it was */
	int twice;		/* kt_handed_out_twice() after the write */
	unsigned int overwritten;	/* blocks in use written to */
};

/* The value written, as wide as the write. */
static u32 pw_written(const struct pw_work *w)
{
	return w->width < 4 ? w->value & (BIT(8 * w->width) - 1) : w->value;
}

static bool pw_live(unsigned int i)
{
	return i != 2 && i != PW_VICTIM && i != 6;
}

/*
 * On one CPU: allocate, free three, write into the victim, then allocate
 * more than a superblock's worth and look for blocks handed out twice.
 */
static int pw_run(void *arg)
{
	struct pw_work *w = arg;
	unsigned int i, nblocks = w->p->ci[pheap_size_to_class(w->size)].nblocks;
	void *blk[PW_BLOCKS];
	u8 *link;
	int err;

	err = kt_alloc_filled(w->p, blk, PW_BLOCKS, w->size);
	if (err)
		return err;
	for (i = 0; i < PW_BLOCKS; i++)
		if (!pw_live(i))
			pheap_free_in(w->p, blk[i]);
	link = (u8 *)blk[PW_VICTIM] + w->off;
	if (w->flip) {
		memcpy(&w->value, link, w->width);
		w->value ^= 1;
	}
	w->unchanged = !memcmp(link, &w->value, w->width);
	memcpy(link, &w->value, w->width);	/* little-endian: its low bytes */
	w->twice = kt_handed_out_twice(w->p, w->size, nblocks + PW_BLOCKS);
	w->overwritten = 0;
	for (i = 0; i < PW_BLOCKS; i++) {
		if (!pw_live(i))
			continue;
		w->overwritten += !kt_intact(blk[i], w->size);
		pheap_free_in(w->p, blk[i]);
	}
	return 0;
}

/*
 * One write into a fresh instance of the case's design. A changed link is
 * caught before it is followed: counted as a corruption, no block handed
 * out twice or written to while in use, no allocation failing. Writes of
 * 1 or 2 bytes are caught always; of 4 bytes all but once in 2^16 (sb.h),
 * counted in @missed.
 */
static void pw_case(struct kunit *test, struct pw_work *w,
		    unsigned int *missed)
{
	unsigned int cpu = cpumask_first(cpu_online_mask);
	unsigned long corrupt;

	w->p = kt_create(test, 0, 0);
	KUNIT_ASSERT_EQ(test, kt_run_on_cpu(cpu, pw_run, w), 0);
	corrupt = kt_event(w->p, PHEAP_EV_CORRUPT);
	KUNIT_EXPECT_EQ_MSG(test, w->twice, 0,
			    "size %zu: %u bytes of %#x at offset %u",
			    w->size, w->width, pw_written(w), w->off);
	KUNIT_EXPECT_EQ(test, w->overwritten, 0U);
	KUNIT_EXPECT_EQ(test, kt_event(w->p, PHEAP_EV_BAD_FREE), 0UL);
	/* btree's free blocks hold nothing it reads: nothing to catch */
	if (w->unchanged || w->p->design == PHEAP_DESIGN_BTREE)
		KUNIT_EXPECT_EQ(test, corrupt, 0UL);
	else if (w->width < 4)
		KUNIT_EXPECT_EQ_MSG(test, corrupt, 1UL,
				    "size %zu: %u bytes of %#x at offset %u not caught",
				    w->size, w->width, pw_written(w), w->off);
	else
		*missed += corrupt != 1;
	/* every design: the quarantined blocks are no leak */
	KUNIT_EXPECT_EQ(test, pheap_destroy(w->p), 0UL);
}

/* Every value at every offset, in blocks of @size, @width bytes wide. */
static void pw_cases(struct kunit *test, size_t size, unsigned int width,
		     unsigned int *missed)
{
	struct pw_work w = { .size = size, .width = width };
	unsigned int v;

	for (w.off = 0; w.off + width <= sizeof(u64); w.off++) {
		for (v = 0; v <= ARRAY_SIZE(pw_values); v++) {
			w.flip = v == ARRAY_SIZE(pw_values);
			w.value = w.flip ? 0 : pw_values[v];
			pw_case(test, &w, missed);
		}
	}
}

/* At most one 4-byte write in the whole case may pass, harmlessly. */
static void partial_write_to_link_caught(struct kunit *test)
{
	static const unsigned int widths[] = { 1, 2, 4 };
	unsigned int i, missed = 0;
	size_t size;

	for (size = 8; size <= 16; size *= 2)
		for (i = 0; i < ARRAY_SIZE(widths); i++)
			pw_cases(test, size, widths[i], &missed);
	KUNIT_EXPECT_LE(test, missed, 1U);
}

#define BF_ROUNDS	200

/*
 * Two CPUs free the same block at the same moment, BF_ROUNDS times: the
 * owner (which allocated it) and another CPU, or two other CPUs. Exactly
 * one free of each pair may win.
 */
struct bf_race {
	struct pheap *p;
	bool owner_frees;	/* the owner is one of the two freers */
	void *blk;
	atomic_t go, done;
	unsigned int rounds;
};

/* Spin until @v reaches @want; false if told to stop first. */
static bool bf_wait_for(atomic_t *v, int want)
{
	while (atomic_read_acquire(v) < want) {
		if (kthread_should_stop())
			return false;
		cpu_relax();
	}
	return true;
}

/* On the owner: allocate, publish, (free), wait for the racers. */
static int bf_race_owner(void *arg)
{
	struct bf_race *r = arg;
	int racers = r->owner_frees ? 1 : 2;
	unsigned int i;

	for (i = 1; i <= r->rounds; i++) {
		r->blk = pheap_alloc_in(r->p, BF_SIZE, GFP_KERNEL);
		if (!r->blk)
			return -ENOMEM;
		atomic_set_release(&r->go, i);
		if (r->owner_frees)
			pheap_free_in(r->p, r->blk);
		bf_wait_for(&r->done, racers * i);
	}
	return 0;
}

static int bf_race_freer(void *arg)
{
	struct bf_race *r = arg;
	unsigned int i;

	for (i = 1; i <= r->rounds; i++) {
		if (!bf_wait_for(&r->go, i))
			break;
		pheap_free_in(r->p, r->blk);
		atomic_inc(&r->done);
	}
	return 0;
}

static struct task_struct *bf_start(struct kunit *test, int (*fn)(void *),
				    struct bf_race *r, unsigned int cpu)
{
	struct task_struct *t;

	t = kthread_create_on_cpu(fn, r, cpu, "pheap_bf/%u");
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, t);
	get_task_struct(t);
	wake_up_process(t);
	return t;
}

static void bf_race(struct kunit *test, bool owner_frees)
{
	struct bf_race r = { .p = kt_create(test, 0, 0), .rounds = BF_ROUNDS,
			     .owner_frees = owner_frees };
	struct bf_work w = { .p = r.p };
	unsigned int cpu[3], n = 0, c;
	struct task_struct *t[2];

	for_each_online_cpu(c)
		if (n < ARRAY_SIZE(cpu))
			cpu[n++] = c;
	if (n < 3 - owner_frees)
		kunit_skip(test, "needs %d online CPUs, has %u", 3 - owner_frees, n);
	t[0] = bf_start(test, bf_race_freer, &r, cpu[1]);
	t[1] = owner_frees ? NULL : bf_start(test, bf_race_freer, &r, cpu[2]);
	KUNIT_EXPECT_EQ(test, kt_run_on_cpu(cpu[0], bf_race_owner, &r), 0);
	for (c = 0; c < ARRAY_SIZE(t); c++) {
		if (t[c]) {
			kthread_stop(t[c]);
			put_task_struct(t[c]);
		}
	}
	bf_expect_intact(test, &w, cpu[0], BF_ROUNDS);
	KUNIT_EXPECT_EQ(test, pheap_destroy(r.p), 0UL);
}

static void concurrent_owner_and_remote_double_free(struct kunit *test)
{
	bf_race(test, true);
}

static void concurrent_remote_double_free(struct kunit *test)
{
	bf_race(test, false);
}

/*
 * A double free racing the release of its superblock: a CPU frees block
 * X of another CPU's superblock and stops right after it read X's live
 * bit (the race window, fault.h); meanwhile the owner frees X, its
 * superblock's last block, and the superblock goes back to the page
 * allocator. The first CPU then goes on with its remote free: it must
 * find the superblock dead, in memory still allocated (KASAN would
 * report a use after free), and refuse the free.
 */
struct bf_release_race {
	struct pheap *p;
	void *blk[PHEAP_SB_MAX_BLOCKS + 1];
	unsigned int nblocks;
	struct task_struct *racer;	/* the task the window holds */
	struct completion ready, go;
	bool done;			/* the owner freed X */
	bool held, released;		/* X's superblock before, after */
};

static struct bf_release_race *bf_rr;	/* the race the window serves */

static void bf_rr_window(enum pheap_race_point point)
{
	struct bf_release_race *r = READ_ONCE(bf_rr);
	unsigned int ms;

	if (point != PHEAP_RACE_REMOTE_FREE || !r || current != r->racer)
		return;
	complete(&r->go);
	for (ms = 0; ms < 2000 && !READ_ONCE(r->done); ms++)
		mdelay(1);
}

/*
 * The owner: a full superblock and one block of the next, then every
 * block of the first freed but X (blk[0]); the threshold (K 0, f 99 %)
 * keeps it, until X's free returns it, and the global heap (reserve 0)
 * releases it.
 */
static int bf_rr_owner(void *arg)
{
	struct bf_release_race *r = arg;
	unsigned long tag;
	unsigned int i;
	int err;

	err = kt_alloc_filled(r->p, r->blk, r->nblocks + 1, BF_SIZE);
	for (i = 1; !err && i < r->nblocks; i++)
		pheap_free_in(r->p, r->blk[i]);
	r->held = !err && pheap_sb_lookup(r->blk[0], &tag) &&
		  pheap_sb_lookup(r->blk[0], &tag) !=
		  pheap_sb_lookup(r->blk[r->nblocks], &tag);
	complete(&r->ready);
	if (!r->held)
		return err ?: -EINVAL;
	if (!wait_for_completion_timeout(&r->go, 10 * HZ))
		return -ETIMEDOUT;	/* the racer's free never got there */
	pheap_free_in(r->p, r->blk[0]);
	r->released = !pheap_sb_lookup(r->blk[0], &tag);
	WRITE_ONCE(r->done, true);
	return 0;
}

static struct pheap *bf_rr_create(struct kunit *test)
{
	struct pheap_config cfg;
	struct pheap *p;

	pheap_default_config(&cfg);
	cfg.name = "pheap-kunit";
	cfg.k_sb = 0;
	cfg.f_pct = 99;
	cfg.global_reserve = 0;
	p = pheap_create(&cfg);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, p);
	return p;
}

static void remote_double_free_racing_release(struct kunit *test)
{
	struct bf_release_race *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	struct task_struct *owner;
	unsigned int a, b;

	KUNIT_ASSERT_NOT_NULL(test, r);
	r->p = bf_rr_create(test);
	r->nblocks = r->p->ci[pheap_size_to_class(BF_SIZE)].nblocks;
	r->racer = current;
	init_completion(&r->ready);
	init_completion(&r->go);
	migrate_disable();
	b = raw_smp_processor_id();
	a = cpumask_any_but(cpu_online_mask, b);
	if (a >= nr_cpu_ids) {
		migrate_enable();
		kunit_skip(test, "needs 2 online CPUs");
	}
	owner = kthread_create_on_cpu(bf_rr_owner, r, a, "pheap_rr/%u");
	if (IS_ERR(owner)) {
		migrate_enable();
		KUNIT_FAIL(test, "no owner thread");
		return;
	}
	get_task_struct(owner);
	wake_up_process(owner);
	wait_for_completion(&r->ready);
	if (r->held) {
		WRITE_ONCE(bf_rr, r);
		WRITE_ONCE(pheap_race_hook, bf_rr_window);
		pheap_free_in(r->p, r->blk[0]);		/* from b: remote */
		WRITE_ONCE(pheap_race_hook, NULL);
		WRITE_ONCE(bf_rr, NULL);
	}
	migrate_enable();
	KUNIT_EXPECT_EQ(test, kthread_stop(owner), 0);
	put_task_struct(owner);
	KUNIT_ASSERT_TRUE_MSG(test, r->held, "X's superblock was not held");
	KUNIT_EXPECT_TRUE(test, r->released);
	KUNIT_EXPECT_EQ(test, kt_event(r->p, PHEAP_EV_BAD_FREE), 1UL);
	pheap_free_in(r->p, r->blk[r->nblocks]);
	KUNIT_EXPECT_EQ(test, kt_handed_out_twice(r->p, BF_SIZE, BF_CHECK), 0);
	KUNIT_EXPECT_EQ(test, pheap_destroy(r->p), 0UL);
}

static struct kunit_case pheap_badfree_cases[] = {
	KUNIT_CASE(double_free_not_head_refused),
	KUNIT_CASE(remote_double_free_refused),
	KUNIT_CASE(remote_free_of_free_block_refused),
	KUNIT_CASE(raced_double_free_found_on_allocation),
	KUNIT_CASE(raced_double_free_found_when_collected),
	KUNIT_CASE(write_after_free_link_contained),
	KUNIT_CASE_PARAM(partial_write_to_link_caught, kt_design_params),
	KUNIT_CASE(concurrent_owner_and_remote_double_free),
	KUNIT_CASE(concurrent_remote_double_free),
	KUNIT_CASE(remote_double_free_racing_release),
	{}
};

static struct kunit_suite pheap_badfree_suite = {
	.name = "pheap_badfree",
	.test_cases = pheap_badfree_cases,
};

kunit_test_suite(pheap_badfree_suite);
