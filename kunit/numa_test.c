// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: pheap on a NUMA machine. Pages come from the allocating CPU's
 * node, and the global heap hands a CPU heap a superblock of its own node
 * before one of another node.
 *
 * Needs two memory nodes with online CPUs: scripts/kunit.sh boots QEMU
 * with two; a kernel without CONFIG_NUMA (the KCSAN one) sees one, and
 * the cases skip, saying so.
 */
#include <linux/cpumask.h>
#include <linux/mm.h>
#include <linux/nodemask.h>
#include <linux/topology.h>

#include "helpers.h"

struct kt_numa {
	int cpu[2];
	int nid[2];
};

/* A CPU on each of two memory nodes; false when there are not two. */
static bool kt_numa_pick(struct kt_numa *n)
{
	unsigned int cpu;
	int nid, i = 0;

	for_each_node_state(nid, N_MEMORY) {
		cpu = cpumask_first_and(cpumask_of_node(nid), cpu_online_mask);
		if (cpu >= nr_cpu_ids)
			continue;
		n->nid[i] = nid;
		n->cpu[i] = cpu;
		if (++i == 2)
			return true;
	}
	return false;
}

#define KT_NUMA_SKIP_WHY "needs two memory nodes with online CPUs (scripts/kunit.sh boots two)"

struct kt_numa_alloc {
	struct pheap *p;
	int want_nid;
	void *blk[64];
	void *large;
	unsigned int misplaced;
};

/* On the CPU under test: blocks of two classes and a large allocation. */
static int kt_numa_alloc_here(void *arg)
{
	struct kt_numa_alloc *a = arg;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(a->blk); i++) {
		a->blk[i] = pheap_alloc_in(a->p, i & 1 ? 64 : 1024, GFP_KERNEL);
		if (!a->blk[i])
			return -ENOMEM;
		a->misplaced += page_to_nid(virt_to_page(a->blk[i])) != a->want_nid;
	}
	a->large = pheap_alloc_in(a->p, 3 * PAGE_SIZE, GFP_KERNEL);
	if (!a->large)
		return -ENOMEM;
	a->misplaced += page_to_nid(virt_to_page(a->large)) != a->want_nid;
	return 0;
}

static void numa_pages_from_the_allocating_cpus_node(struct kunit *test)
{
	struct pheap *p = test->priv;
	struct kt_numa_alloc a[2] = {};
	struct kt_numa n;
	unsigned int i;

	if (!kt_numa_pick(&n))
		kunit_skip(test, KT_NUMA_SKIP_WHY "; %u here",
			   num_node_state(N_MEMORY));
	for (i = 0; i < 2; i++) {
		a[i].p = p;
		a[i].want_nid = cpu_to_mem(n.cpu[i]);
		KUNIT_ASSERT_EQ(test, kt_run_on_cpu(n.cpu[i], kt_numa_alloc_here,
						    &a[i]), 0);
		KUNIT_EXPECT_EQ_MSG(test, a[i].misplaced, 0U, "CPU %d, node %d",
				    n.cpu[i], a[i].want_nid);
		KUNIT_EXPECT_GT(test, pheap_node_pages(p, a[i].want_nid), 0UL);
	}
	KUNIT_EXPECT_EQ(test, kt_event(p, PHEAP_EV_PAGES_OTHER_NODE), 0UL);
	for (i = 0; i < 2; i++) {
		kt_free_all(p, a[i].blk, ARRAY_SIZE(a[i].blk));
		pheap_free_in(p, a[i].large);
	}
}

struct kt_numa_sb {
	struct pheap *p;
	struct pheap_sb *sb;
};

static int kt_numa_sb_here(void *arg)
{
	struct kt_numa_sb *s = arg;

	s->sb = pheap_sb_new(s->p, 4, GFP_KERNEL);
	return s->sb ? 0 : -ENOMEM;
}

/*
 * One empty superblock of a class on each node's global list; a CPU of
 * the second node gets its own node's first, the first node's only then.
 * (Node order, or the order of the puts, would hand out the first node's
 * first.)
 */
static void numa_global_hands_out_the_home_node_first(struct kunit *test)
{
	struct pheap *p = test->priv;
	struct kt_numa_sb s[2] = { { .p = p }, { .p = p } };
	struct pheap_heap *h;
	struct pheap_sb *got[3];
	LIST_HEAD(release);
	struct kt_numa n;
	unsigned int i;

	if (!kt_numa_pick(&n))
		kunit_skip(test, KT_NUMA_SKIP_WHY "; %u here",
			   num_node_state(N_MEMORY));
	h = per_cpu_ptr(p->cpu_heaps, n.cpu[1]);
	for (i = 0; i < 2; i++) {
		KUNIT_ASSERT_EQ(test, kt_run_on_cpu(n.cpu[i], kt_numa_sb_here,
						    &s[i]), 0);
		KUNIT_EXPECT_EQ(test, s[i].sb->nid, cpu_to_mem(n.cpu[i]));
	}
	pheap_global_put(p, s[1].sb, &release);
	pheap_global_put(p, s[0].sb, &release);
	KUNIT_EXPECT_TRUE(test, list_empty(&release));
	KUNIT_EXPECT_EQ(test, pheap_node_sb_global(p, s[0].sb->nid), 1UL);
	KUNIT_EXPECT_EQ(test, pheap_node_sb_global(p, s[1].sb->nid), 1UL);

	for (i = 0; i < 3; i++)
		got[i] = pheap_global_take(p, 4, h, &release);
	KUNIT_EXPECT_PTR_EQ(test, got[0], s[1].sb);
	KUNIT_EXPECT_PTR_EQ(test, got[1], s[0].sb);
	KUNIT_EXPECT_NULL(test, got[2]);
	for (i = 0; i < 2; i++)
		if (got[i])
			pheap_global_put(p, got[i], &release);
	pheap_sb_release_list(p, &release);
}

static int pheap_numa_test_init(struct kunit *test)
{
	test->priv = kt_create(test, 0, 0);
	return 0;
}

static void pheap_numa_test_exit(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, pheap_destroy(test->priv), 0UL);
}

static struct kunit_case pheap_numa_cases[] = {
	KUNIT_CASE(numa_pages_from_the_allocating_cpus_node),
	KUNIT_CASE(numa_global_hands_out_the_home_node_first),
	{}
};

static struct kunit_suite pheap_numa_suite = {
	.name = "pheap_numa",
	.init = pheap_numa_test_init,
	.exit = pheap_numa_test_exit,
	.test_cases = pheap_numa_cases,
};

kunit_test_suites(&pheap_numa_suite);
