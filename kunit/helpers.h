/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by pheap's KUnit suites: private instances, content
 * patterns, and running a function on a given CPU.
 */
#ifndef _PHEAP_KUNIT_HELPERS_H
#define _PHEAP_KUNIT_HELPERS_H

#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/slab.h>
#include <linux/sched/task.h>
#include <linux/string.h>

#include "../pheap/class.h"
#include "../pheap/debug.h"
#include "../pheap/debugfs.h"
#include "../pheap/design.h"
#include "../pheap/fault.h"
#include "../pheap/global.h"
#include "../pheap/heap.h"
#include "../pheap/instance.h"
#include "../pheap/large.h"
#include "../pheap/lifecycle.h"
#include "../pheap/page.h"
#include "../pheap/remote.h"
#include "../pheap/report.h"
#include "../pheap/run.h"
#include "../pheap/sb.h"
#include "../pheap/stats.h"

/*
 * The design a case runs on: its parameter, in a case parametrised with
 * kt_design_params() (the only parameter pheap's suites use), else NULL,
 * hoard.
 */
static inline const char *kt_design(struct kunit *test)
{
	return test->param_value ? *(const char *const *)test->param_value :
				   NULL;
}

/* KUNIT_CASE_PARAM's generator: every design, pheap_design_names[]. */
static inline const void *kt_design_params(const void *prev, char *desc)
{
	const char *const *name = prev ? (const char *const *)prev + 1 :
					 pheap_design_names;

	if (name >= pheap_design_names + PHEAP_DESIGN_NR)
		return NULL;
	strscpy(desc, *name, KUNIT_PARAM_DESC_SIZE);
	return name;
}

/*
 * A private instance with the defaults, or with f, K changed, of the
 * case's design (kt_design()).
 */
static inline struct pheap *kt_create(struct kunit *test, unsigned int f_pct,
				      unsigned int k_sb)
{
	struct pheap_config cfg;
	struct pheap *p;

	pheap_default_config(&cfg);
	cfg.name = "pheap-kunit";
	cfg.design = kt_design(test);
	if (f_pct)
		cfg.f_pct = f_pct;
	if (k_sb)
		cfg.k_sb = k_sb;
	p = pheap_create(&cfg);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, p);
	return p;
}

/*
 * The free blocks of page run @run (boundary-tag, block-lock) that follow
 * a free block, from its bitmaps: 0 if its frees coalesced.
 */
static inline unsigned int kt_run_adjacent_free(struct pheap_run *run)
{
	unsigned int g, n, adjacent = 0;

	for_each_set_bit(g, run->starts, PHEAP_RUN_GRANULES) {
		n = find_next_bit(run->starts, PHEAP_RUN_GRANULES, g + 1);
		if (n < PHEAP_RUN_GRANULES && !test_bit(g, run->live) &&
		    !test_bit(n, run->live))
			adjacent++;
	}
	return adjacent;
}

/* A private instance in debug mode (PHEAP_DEBUG_* @flags). */
static inline struct pheap *kt_create_debug(struct kunit *test,
					    unsigned int flags)
{
	struct pheap_config cfg;
	struct pheap *p;

	pheap_default_config(&cfg);
	cfg.name = "pheap-kunit-debug";
	cfg.debug = flags;
	p = pheap_create(&cfg);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, p);
	return p;
}

/* One event counter of @p, summed over its CPUs. */
static inline unsigned long kt_event(struct pheap *p, enum pheap_event e)
{
	struct pheap_stats st;

	pheap_get_stats(p, &st);
	return st.ev[e];
}

/* The byte every block is filled with: derived from its address. */
static inline u8 kt_pattern(const void *p)
{
	unsigned long a = (unsigned long)p;

	return (u8)((a >> 3) ^ (a >> 13) ^ 0xa5);
}

static inline void kt_fill(void *p, size_t size)
{
	memset(p, kt_pattern(p), size);
}

/* Return true when the first @size bytes still hold the pattern. */
static inline bool kt_intact(const void *p, size_t size)
{
	const u8 *b = p;
	u8 want = kt_pattern(p);
	size_t i;

	for (i = 0; i < size; i++)
		if (b[i] != want)
			return false;
	return true;
}

/* Allocate @n blocks of @size from @p, each filled with its pattern. */
static inline int kt_alloc_filled(struct pheap *p, void **blk, unsigned int n,
				  size_t size)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		blk[i] = pheap_alloc_in(p, size, GFP_KERNEL);
		if (!blk[i])
			return -ENOMEM;
		kt_fill(blk[i], size);
	}
	return 0;
}

/* Free @n blocks of @p. */
static inline void kt_free_all(struct pheap *p, void **blk, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		pheap_free_in(p, blk[i]);
}

/*
 * Allocate @n blocks of @size, write each one's index into it, and check
 * that every block still holds its own: a block handed out twice holds
 * the later index. Then free them all.
 *
 * Return: how many blocks were handed out twice, or -ENOMEM if one of
 * the allocations failed.
 */
static inline int kt_handed_out_twice(struct pheap *p, size_t size,
				      unsigned int n)
{
	unsigned long **blk = kcalloc(n, sizeof(*blk), GFP_KERNEL);
	unsigned int i, twice = 0;

	if (!blk)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		blk[i] = pheap_alloc_in(p, size, GFP_KERNEL);
		if (!blk[i])
			break;
		*blk[i] = i;
	}
	for (i = 0; i < n && blk[i]; i++)
		twice += *blk[i] != i;
	kt_free_all(p, (void **)blk, i);
	kfree(blk);
	return i < n ? -ENOMEM : twice;
}

struct kt_on_cpu {
	int (*fn)(void *arg);
	void *arg;
	int ret;
	struct completion done;
};

static inline int kt_on_cpu_thread(void *data)
{
	struct kt_on_cpu *w = data;

	w->ret = w->fn(w->arg);
	complete(&w->done);
	return 0;
}

/* Run @fn(@arg) in a kthread bound to @cpu and wait for it. */
static inline int kt_run_on_cpu(unsigned int cpu, int (*fn)(void *), void *arg)
{
	struct kt_on_cpu w = { .fn = fn, .arg = arg };
	struct task_struct *t;

	init_completion(&w.done);
	t = kthread_create_on_cpu(kt_on_cpu_thread, &w, cpu, "pheap_kt/%u");
	if (IS_ERR(t))
		return PTR_ERR(t);
	wake_up_process(t);
	wait_for_completion(&w.done);
	return w.ret;
}

#endif
