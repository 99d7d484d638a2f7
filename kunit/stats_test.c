// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite pheap_stats: the figures after scripted work are exact, the
 * per-CPU rows add up to the totals, the debugfs views parse, and reset
 * clears events only.
 */
#include <kunit/test.h>
#include <linux/cpumask.h>
#include <linux/nodemask.h>
#include <linux/seq_file.h>
#include <linux/string.h>

#include "helpers.h"

/* One CPU, a scripted sequence: every figure is known exactly. */
static void stats_exact_after_script(struct kunit *test)
{
	struct pheap *p = kt_create(test, 0, 0);
	unsigned int c64 = pheap_size_to_class(50), c128 = pheap_size_to_class(100);
	struct pheap_class_stats cs;
	struct pheap_stats st;
	void *a[10], *b[3];
	int i;

	migrate_disable();
	for (i = 0; i < 10; i++)
		a[i] = pheap_alloc_in(p, 50, GFP_KERNEL);
	for (i = 0; i < 3; i++)
		b[i] = pheap_alloc_in(p, 100, GFP_KERNEL);
	for (i = 0; i < 4; i++)
		pheap_free_in(p, a[i]);
	migrate_enable();

	pheap_get_stats(p, &st);
	KUNIT_EXPECT_EQ(test, st.u, 6 * 64UL + 3 * 128UL);
	KUNIT_EXPECT_EQ(test, st.a, 2UL * p->sb_bytes);
	KUNIT_EXPECT_EQ(test, st.peak_u, st.u);
	KUNIT_EXPECT_EQ(test, st.peak_a, 2UL * p->sb_bytes);
	KUNIT_EXPECT_EQ(test, st.sb_cpu, 2UL);
	KUNIT_EXPECT_EQ(test, st.sb_global, 0UL);
	KUNIT_EXPECT_EQ(test, st.ev[PHEAP_EV_ALLOC], 13UL);
	KUNIT_EXPECT_EQ(test, st.ev[PHEAP_EV_FREE], 4UL);
	KUNIT_EXPECT_EQ(test, st.ev[PHEAP_EV_REFILL], 2UL);
	KUNIT_EXPECT_EQ(test, st.ev[PHEAP_EV_PAGES_IN], 2UL << p->cfg.sb_order);
	KUNIT_EXPECT_EQ(test, st.ev[PHEAP_EV_PAGES_OUT], 0UL);
	KUNIT_EXPECT_EQ(test, st.ev[PHEAP_EV_REMOTE_SENT], 0UL);
	KUNIT_EXPECT_EQ(test, st.ev[PHEAP_EV_TO_GLOBAL], 0UL);
	KUNIT_EXPECT_EQ(test, st.ev[PHEAP_EV_LARGE_ALLOC], 0UL);
	KUNIT_EXPECT_EQ(test, st.f_pct, 25U);
	KUNIT_EXPECT_EQ(test, st.nr_classes, (unsigned int)PHEAP_NR_CLASSES);

	pheap_get_class_stats(p, c64, &cs);
	KUNIT_EXPECT_EQ(test, cs.size, 64U);
	KUNIT_EXPECT_EQ(test, cs.blocks_inuse, 6UL);
	KUNIT_EXPECT_EQ(test, cs.blocks_held, (unsigned long)p->sb_bytes / 64);
	KUNIT_EXPECT_EQ(test, cs.sb_cpu, 1UL);
	KUNIT_EXPECT_EQ(test, cs.allocs, 10UL);
	KUNIT_EXPECT_EQ(test, cs.frees, 4UL);
	KUNIT_EXPECT_EQ(test, cs.req_bytes, 500UL);
	KUNIT_EXPECT_EQ(test, cs.frag_bytes, 10 * 64UL - 500);
	pheap_get_class_stats(p, c128, &cs);
	KUNIT_EXPECT_EQ(test, cs.blocks_inuse, 3UL);
	KUNIT_EXPECT_EQ(test, cs.frag_bytes, 3 * 128UL - 300);

	for (i = 4; i < 10; i++)
		pheap_free_in(p, a[i]);
	for (i = 0; i < 3; i++)
		pheap_free_in(p, b[i]);
	pheap_flush(p);
	pheap_get_stats(p, &st);
	KUNIT_EXPECT_EQ(test, st.u, 0UL);
	KUNIT_EXPECT_EQ(test, st.ev[PHEAP_EV_FREE], 13UL);
	KUNIT_EXPECT_EQ(test, st.peak_u, 6 * 64UL + 3 * 128UL);

	/* reset clears events, keeps what is held and the peaks */
	pheap_reset_events(p);
	pheap_get_stats(p, &st);
	KUNIT_EXPECT_EQ(test, st.ev[PHEAP_EV_ALLOC], 0UL);
	KUNIT_EXPECT_EQ(test, st.ev[PHEAP_EV_PAGES_IN], 0UL);
	KUNIT_EXPECT_EQ(test, st.a, 2UL * p->sb_bytes);
	KUNIT_EXPECT_EQ(test, st.peak_a, 2UL * p->sb_bytes);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

struct mc_work {
	struct pheap *p;
	void *blk[200];
};

/* The size the test's @i-th allocation on @cpu asks for. */
static size_t mc_size(unsigned int cpu, unsigned int i)
{
	return 16 + (cpu * 97 + i * 31) % 3000;
}

static int mc_alloc_some(void *arg)
{
	struct mc_work *w = arg;
	unsigned int cpu = raw_smp_processor_id(), i;

	for (i = 0; i < ARRAY_SIZE(w->blk); i++) {
		w->blk[i] = pheap_alloc_in(w->p, mc_size(cpu, i), GFP_KERNEL);
		if (!w->blk[i])
			return -ENOMEM;
	}
	for (i = 0; i < ARRAY_SIZE(w->blk); i += 2)
		pheap_free_in(w->p, w->blk[i]);
	return 0;
}

/*
 * Every CPU works: each CPU's row counts the allocations made on it, each
 * class the allocations of its sizes, the totals every allocation and
 * free (what the test did, not another sum of the same counters); U
 * returns to 0.
 */
static void stats_cpu_rows_sum_to_totals(struct kunit *test)
{
	struct pheap *p = kt_create(test, 0, 0);
	struct mc_work *w = kunit_kcalloc(test, nr_cpu_ids, sizeof(*w), GFP_KERNEL);
	unsigned long want[PHEAP_NR_CLASSES] = { }, sum_u = 0;
	struct pheap_class_stats ccs;
	struct pheap_cpu_stats cs;
	struct pheap_stats st;
	unsigned int cpu, i;

	KUNIT_ASSERT_NOT_NULL(test, w);
	for_each_online_cpu(cpu) {
		w[cpu].p = p;
		KUNIT_ASSERT_EQ(test, kt_run_on_cpu(cpu, mc_alloc_some, &w[cpu]), 0);
	}
	/* the other half, freed from wherever this test runs */
	for_each_online_cpu(cpu)
		for (i = 1; i < ARRAY_SIZE(w[cpu].blk); i += 2)
			pheap_free_in(p, w[cpu].blk[i]);

	/*
	 * Collect every remote free first: a collector's work item running
	 * between the two reads below would change the counters under them.
	 */
	pheap_flush(p);
	pheap_get_stats(p, &st);
	for_each_possible_cpu(cpu) {
		pheap_get_cpu_stats(p, cpu, &cs);
		KUNIT_EXPECT_EQ_MSG(test, cs.ev[PHEAP_EV_ALLOC],
				    cpu_online(cpu) ? 200UL : 0UL, "CPU %u", cpu);
		sum_u += cs.u;
		for (i = 0; cpu_online(cpu) && i < ARRAY_SIZE(w->blk); i++)
			want[pheap_size_to_class(mc_size(cpu, i))]++;
	}
	for (i = 0; i < PHEAP_NR_CLASSES; i++) {
		pheap_get_class_stats(p, i, &ccs);
		KUNIT_EXPECT_EQ_MSG(test, ccs.allocs, want[i], "class %u",
				    ccs.size);
		KUNIT_EXPECT_EQ_MSG(test, ccs.frees, want[i], "class %u",
				    ccs.size);
	}
	KUNIT_EXPECT_EQ(test, st.ev[PHEAP_EV_ALLOC] + st.ev[PHEAP_EV_LARGE_ALLOC],
			200UL * num_online_cpus());
	KUNIT_EXPECT_EQ(test, st.ev[PHEAP_EV_FREE] + st.ev[PHEAP_EV_LARGE_FREE],
			200UL * num_online_cpus());
	KUNIT_EXPECT_LE(test, sum_u, st.u);
	KUNIT_EXPECT_EQ(test, st.u, 0UL);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

/*
 * The fragmentation figure never wraps: the bytes asked for, read racily
 * beside derived allocations, may run ahead of them for a moment (made
 * here on purpose); frag_bytes is then 0, not a number near 2^64.
 */
static void stats_frag_bytes_never_wraps(struct kunit *test)
{
	struct pheap *p = kt_create(test, 0, 0);
	unsigned int cls = pheap_size_to_class(40);
	struct pheap_class_stats ccs;
	struct pheap_heap *h;
	void *q;

	migrate_disable();
	h = this_cpu_ptr(p->cpu_heaps);
	q = pheap_alloc_in(p, 40, GFP_KERNEL);
	h->cls[cls].req_bytes += 1000;	/* ahead of its one allocation */
	migrate_enable();
	KUNIT_ASSERT_NOT_NULL(test, q);
	pheap_get_class_stats(p, cls, &ccs);
	KUNIT_EXPECT_EQ(test, ccs.allocs, 1UL);
	KUNIT_EXPECT_EQ(test, ccs.frag_bytes, 0UL);
	pheap_free_in(p, q);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

/* Run a show function into a buffer, as reading the file would. */
static char *kt_show(struct kunit *test, struct pheap *p,
		     int (*show)(struct seq_file *, void *))
{
	struct seq_file m = { };

	m.size = 16 * PAGE_SIZE;
	m.buf = kunit_kzalloc(test, m.size, GFP_KERNEL);
	m.private = p;
	KUNIT_ASSERT_NOT_NULL(test, m.buf);
	KUNIT_ASSERT_EQ(test, show(&m, NULL), 0);
	KUNIT_ASSERT_LT(test, m.count, m.size);
	return m.buf;
}

static unsigned int kt_count_fields(const char *line)
{
	unsigned int n = 0;
	bool in = false;

	for (; *line && *line != '\n'; line++) {
		if (*line != ' ' && !in)
			n++;
		in = *line != ' ';
	}
	return n;
}

/* "stats": "name value" lines whose values match the snapshot. */
static void stats_show_parses(struct kunit *test)
{
	struct pheap *p = kt_create(test, 0, 0);
	void *q = pheap_alloc_in(p, 100, GFP_KERNEL);
	char *buf, *line, name[32];
	unsigned long val, lines = 0, u = ~0UL;
	int n;

	KUNIT_ASSERT_NOT_NULL(test, q);
	buf = kt_show(test, p, pheap_stats_show);
	while ((line = strsep(&buf, "\n")) && *line) {
		lines++;
		KUNIT_EXPECT_EQ_MSG(test, kt_count_fields(line), 2U, "%s", line);
		if (!strncmp(line, "a_over_u ", 9) ||
		    !strncmp(line, "pagerefs_walked_per_free ", 25) ||
		    !strncmp(line, "searched_per_alloc ", 19))
			continue;
		if (!strncmp(line, "param_design ", 13)) {
			KUNIT_EXPECT_STREQ(test, line + 13, "hoard");
			continue;
		}
		if (!strncmp(line, "param_debug ", 12)) {
			KUNIT_EXPECT_STREQ(test, line + 12, "-");
			continue;
		}
		n = sscanf(line, "%31s %lu", name, &val);
		KUNIT_EXPECT_EQ_MSG(test, n, 2, "%s", line);
		if (!strcmp(name, "u_bytes"))
			u = val;
	}
	KUNIT_EXPECT_EQ(test, u, 128UL);
	/*
	 * 11 figures, 2 per online node, the events, the page-run designs'
	 * 7, 7 parameters
	 */
	KUNIT_EXPECT_EQ(test, lines, 11UL + 2 * num_online_nodes() + PHEAP_EV_NR + 7 + 10);
	pheap_free_in(p, q);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

/*
 * "classes": a header, then one row of eleven numbers per class, with the
 * geometry: blocks per superblock and its bytes.
 */
static void classes_show_parses(struct kunit *test)
{
	struct pheap *p = kt_create(test, 0, 0);
	unsigned long v[11];
	char *buf, *line;
	unsigned int rows = 0;
	int n;

	buf = kt_show(test, p, pheap_classes_show);
	line = strsep(&buf, "\n");
	KUNIT_EXPECT_EQ(test, line[0], '#');
	KUNIT_EXPECT_EQ(test, kt_count_fields(line), 12U);
	while ((line = strsep(&buf, "\n")) && *line) {
		KUNIT_EXPECT_EQ(test, kt_count_fields(line), 11U);
		n = sscanf(line, "%lu %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu",
			   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
			   &v[7], &v[8], &v[9], &v[10]);
		KUNIT_EXPECT_EQ(test, n, 11);
		if (rows < PHEAP_NR_CLASSES) {
			KUNIT_EXPECT_EQ(test, v[0], (unsigned long)pheap_csize(rows));
			KUNIT_EXPECT_EQ(test, v[3], (unsigned long)p->ci[rows].nblocks);
			KUNIT_EXPECT_EQ(test, v[4], (unsigned long)p->ci[rows].sb_bytes);
			KUNIT_EXPECT_GE(test, v[3], (unsigned long)PHEAP_MIN_BLOCKS);
		}
		rows++;
	}
	KUNIT_EXPECT_EQ(test, rows, (unsigned int)PHEAP_NR_CLASSES);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

/*
 * "slabinfo": parsed with slabtop's rules (procps: the version line, '#'
 * lines skipped, eight fields a row or the file is refused), each row's
 * figures those of its class, with blocks of three classes in use.
 */
static void slabinfo_parses_like_slabtop(struct kunit *test)
{
	static const char slabtop_row[] =
		"%31s %lu %lu %u %u %lu : tunables %*u %*u %*u : slabdata %lu %lu %*u";
	static const size_t sizes[] = { 8, 100, 3000 };
	struct pheap *p = kt_create(test, 0, 0);
	unsigned long act_objs, objs, pages, act_slabs, slabs;
	unsigned int objsize, perslab, rows = 0, i;
	struct pheap_class_stats cs;
	void *blk[ARRAY_SIZE(sizes)][20];
	int major, minor, n;
	char *buf, *line, name[32], want[32];

	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		KUNIT_ASSERT_EQ(test, kt_alloc_filled(p, blk[i], 20, sizes[i]), 0);
	buf = kt_show(test, p, pheap_slabinfo_show);
	line = strsep(&buf, "\n");
	n = sscanf(line, "slabinfo - version: %d.%d", &major, &minor);
	KUNIT_ASSERT_EQ(test, n, 2);
	KUNIT_EXPECT_EQ(test, major, 2);
	KUNIT_EXPECT_EQ(test, minor, 1);
	while ((line = strsep(&buf, "\n")) && *line) {
		if (line[0] == '#')
			continue;
		n = sscanf(line, slabtop_row, name, &act_objs, &objs,
			   &objsize, &perslab, &pages, &act_slabs, &slabs);
		KUNIT_ASSERT_EQ_MSG(test, n, 8, "%s", line);
		KUNIT_ASSERT_LT(test, rows, (unsigned int)PHEAP_NR_CLASSES);
		pheap_get_class_stats(p, rows, &cs);
		snprintf(want, sizeof(want), "pheap-%u", cs.size);
		KUNIT_EXPECT_STREQ(test, name, want);
		KUNIT_EXPECT_EQ(test, act_objs, cs.blocks_inuse);
		KUNIT_EXPECT_EQ(test, objs, cs.blocks_held);
		KUNIT_EXPECT_EQ(test, objsize, cs.size);
		KUNIT_EXPECT_EQ(test, perslab, cs.blocks_per_sb);
		KUNIT_EXPECT_EQ(test, pages, (unsigned long)cs.sb_bytes >> PAGE_SHIFT);
		KUNIT_EXPECT_EQ(test, slabs, cs.sb_cpu + cs.sb_global);
		KUNIT_EXPECT_EQ(test, act_slabs, slabs);
		if (cs.size == 8 || cs.size == 128 || cs.size == 3072)
			KUNIT_EXPECT_EQ_MSG(test, act_objs, 20UL, "%s", name);
		rows++;
	}
	KUNIT_EXPECT_EQ(test, rows, (unsigned int)PHEAP_NR_CLASSES);
	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		kt_free_all(p, blk[i], 20);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

/* "cpus": a row per possible CPU, then "<event> <sum> C<n>=<v>..." lines. */
static void cpus_show_parses(struct kunit *test)
{
	struct pheap *p = kt_create(test, 0, 0);
	unsigned int rows = 0, events = 0, n;
	unsigned long sum, v, total;
	char *buf, *line, *tok;
	void *q;
	int got;

	q = pheap_alloc_in(p, 64, GFP_KERNEL);
	pheap_free_in(p, q);

	buf = kt_show(test, p, pheap_cpus_show);
	line = strsep(&buf, "\n");
	KUNIT_EXPECT_EQ(test, line[0], '#');
	while ((line = strsep(&buf, "\n")) && *line) {
		if (line[0] >= '0' && line[0] <= '9') {
			KUNIT_EXPECT_EQ(test, kt_count_fields(line), 9U);
			rows++;
			continue;
		}
		events++;
		tok = strsep(&line, " ");
		KUNIT_ASSERT_TRUE(test, tok && line);
		KUNIT_ASSERT_EQ(test, kstrtoul(strsep(&line, " "), 10, &sum), 0);
		total = 0;
		while (line && (tok = strsep(&line, " "))) {
			got = sscanf(tok, "C%u=%lu", &n, &v);
			KUNIT_ASSERT_EQ_MSG(test, got, 2, "%s", tok);
			KUNIT_EXPECT_GT(test, v, 0UL);
			total += v;
		}
		KUNIT_EXPECT_EQ(test, total, sum);
	}
	KUNIT_EXPECT_EQ(test, rows, num_possible_cpus());
	KUNIT_EXPECT_EQ(test, events, (unsigned int)PHEAP_EV_NR);
	KUNIT_EXPECT_EQ(test, pheap_destroy(p), 0UL);
}

/* "reset" and "trim" accept exactly "1", with or without a newline. */
static void reset_request_only_one(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, pheap_command_ok("1", 1));
	KUNIT_EXPECT_TRUE(test, pheap_command_ok("1\n", 2));
	KUNIT_EXPECT_FALSE(test, pheap_command_ok("0", 1));
	KUNIT_EXPECT_FALSE(test, pheap_command_ok("11", 2));
	KUNIT_EXPECT_FALSE(test, pheap_command_ok("1 ", 2));
	KUNIT_EXPECT_FALSE(test, pheap_command_ok("y", 1));
	KUNIT_EXPECT_FALSE(test, pheap_command_ok("", 0));
}

static struct kunit_case pheap_stats_cases[] = {
	KUNIT_CASE(stats_exact_after_script),
	KUNIT_CASE(stats_cpu_rows_sum_to_totals),
	KUNIT_CASE(stats_frag_bytes_never_wraps),
	KUNIT_CASE(stats_show_parses),
	KUNIT_CASE(classes_show_parses),
	KUNIT_CASE(slabinfo_parses_like_slabtop),
	KUNIT_CASE(cpus_show_parses),
	KUNIT_CASE(reset_request_only_one),
	{}
};

static struct kunit_suite pheap_stats_suite = {
	.name = "pheap_stats",
	.test_cases = pheap_stats_cases,
};

kunit_test_suite(pheap_stats_suite);
