// SPDX-License-Identifier: GPL-2.0
/*
 * pheap debugfs files: /sys/kernel/debug/pheap/{stats,classes,slabinfo,cpus,
 * reset,trim,fail_every,fail_percent,validate}.
 *
 *   stats    one "name value" line per instance-wide figure
 *   classes  one row per size class, with a header line
 *   slabinfo the classes in /proc/slabinfo's format (version 2.1), for
 *	      slabtop's parser and scripts written for it
 *   cpus     one row per possible CPU, then one SLUB-style line per event
 *	      counter: "<counter> <sum> C0=n C1=m" (non-zero CPUs only)
 *   reset    write "1" to clear the event counters; anything else: -EINVAL
 *   trim     write "1" to give back every empty superblock now, waited
 *	      for (pheap_trim()); anything else: -EINVAL
 *   fail_every, fail_percent  injected page-request failures (fault.c):
 *	      read the setting, write a number to change it; a number out
 *	      of range or anything else: -EINVAL
 *   validate reading it checks the red zone of every allocated block
 *	      (debug=Z, debug.c): blocks_checked, red_zones_overwritten;
 *	      each one found is also reported in the kernel log
 *
 * Every view is built from the snapshot functions in stats.c, so reading
 * takes no lock the allocation paths take. No view prints an address.
 * Creating the files may fail (no debugfs); pheap works without them.
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "class.h"
#include "debug.h"
#include "debugfs.h"
#include "instance.h"
#include "fault.h"
#include "stats.h"

/* "A/U" with two decimals, "-" when nothing is in use. */
static void pheap_seq_ratio(struct seq_file *m, unsigned long a,
			    unsigned long u)
{
	unsigned long r;

	if (!u) {
		seq_puts(m, "-");
		return;
	}
	r = div64_ul((u64)a * 100, u);
	seq_printf(m, "%lu.%02lu", r / 100, r % 100);
}

/**
 * pheap_stats_show() - the "stats" view
 * @m: seq_file; m->private is the instance
 * @v: unused
 *
 * Context: process context.
 * Return: 0.
 */
int pheap_stats_show(struct seq_file *m, void *v)
{
	struct pheap *p = m->private;
	struct pheap_stats st;
	unsigned int e;
	char flags[8];
	int nid;

	pheap_get_stats(p, &st);
	seq_printf(m, "u_bytes %lu\n", st.u);
	seq_printf(m, "a_bytes %lu\n", st.a);
	seq_puts(m, "a_over_u ");
	pheap_seq_ratio(m, st.a, st.u);
	seq_putc(m, '\n');
	seq_printf(m, "peak_u_bytes %lu\n", st.peak_u);
	seq_printf(m, "peak_a_bytes %lu\n", st.peak_a);
	seq_printf(m, "sb_cpu %lu\n", st.sb_cpu);
	seq_printf(m, "sb_global %lu\n", st.sb_global);
	seq_printf(m, "large_outstanding %lu\n", st.large_nr);
	seq_printf(m, "large_bytes %lu\n", st.large_bytes);
	seq_printf(m, "nolock_reserve_bytes %lu\n", st.nolock_reserve);
	for_each_online_node(nid) {
		seq_printf(m, "node%d_pages %lu\n", nid, pheap_node_pages(p, nid));
		seq_printf(m, "node%d_sb_global %lu\n", nid,
			   pheap_node_sb_global(p, nid));
	}
	for (e = 0; e < PHEAP_EV_NR; e++)
		seq_printf(m, "%s %lu\n", pheap_event_names[e], st.ev[e]);
	seq_puts(m, "pagerefs_walked_per_free ");
	pheap_seq_ratio(m, st.ev[PHEAP_EV_WALKED], st.ev[PHEAP_EV_FREE]);
	seq_putc(m, '\n');
	seq_puts(m, "searched_per_alloc ");
	pheap_seq_ratio(m, st.ev[PHEAP_EV_SEARCHED], st.ev[PHEAP_EV_ALLOC]);
	seq_putc(m, '\n');
	seq_printf(m, "search_max %lu\n", st.run.search_max);
	seq_printf(m, "search_p99 %lu\n", st.run.search_p99);
	seq_printf(m, "runs %lu\n", st.run.runs);
	seq_printf(m, "run_free_bytes %lu\n", st.run.free_bytes);
	seq_printf(m, "run_largest_free %lu\n", st.run.largest_free);
	seq_printf(m, "hdr_bytes %lu\n", st.run.hdr_bytes);
	seq_printf(m, "lock_hold_ns %llu\n", st.run.hold_ns);
	seq_printf(m, "lock_hold_max_ns %llu\n", st.run.hold_max_ns);
	seq_printf(m, "btree_deferred_frees %lu\n", st.run.deferred);
	seq_printf(m, "param_f_pct %u\n", st.f_pct);
	seq_printf(m, "param_k_sb %u\n", st.k_sb);
	seq_printf(m, "param_sb_bytes %u\n", st.sb_bytes);
	seq_printf(m, "param_nr_classes %u\n", st.nr_classes);
	seq_printf(m, "param_global_reserve %u\n", st.global_reserve);
	seq_printf(m, "param_debug %s\n",
		   pheap_debug_flags_string(st.debug, flags));
	seq_printf(m, "param_design %s\n", pheap_design_names[st.design]);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pheap_stats);

/**
 * pheap_classes_show() - the "classes" view
 * @m: seq_file; m->private is the instance
 * @v: unused
 *
 * Context: process context.
 * Return: 0.
 */
int pheap_classes_show(struct seq_file *m, void *v)
{
	struct pheap *p = m->private;
	struct pheap_class_stats cs;
	unsigned int c;

	seq_puts(m, "# size blocks_inuse blocks_held blocks_per_sb sb_bytes sb_cpu sb_global frag_bytes allocs frees remote_frees\n");
	for (c = 0; c < PHEAP_NR_CLASSES; c++) {
		pheap_get_class_stats(p, c, &cs);
		seq_printf(m, "%u %lu %lu %u %u %lu %lu %lu %lu %lu %lu\n",
			   cs.size, cs.blocks_inuse, cs.blocks_held,
			   cs.blocks_per_sb, cs.sb_bytes, cs.sb_cpu, cs.sb_global,
			   cs.frag_bytes, cs.allocs, cs.frees,
			   cs.remote_frees);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pheap_classes);

/**
 * pheap_slabinfo_show() - the "slabinfo" view, /proc/slabinfo's format
 * @m: seq_file; m->private is the instance
 * @v: unused
 *
 * Version 2.1, SLUB's columns and widths: a row per size class, named
 * pheap-<size>; a slab is a superblock, all of them counted active (as
 * SLUB does); no tunables, no shared objects.
 *
 * Context: process context.
 * Return: 0.
 */
int pheap_slabinfo_show(struct seq_file *m, void *v)
{
	struct pheap *p = m->private;
	struct pheap_class_stats cs;
	char name[24];
	unsigned int c;

	seq_puts(m, "slabinfo - version: 2.1\n");
	seq_puts(m, "# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>\n");
	for (c = 0; c < PHEAP_NR_CLASSES; c++) {
		pheap_get_class_stats(p, c, &cs);
		snprintf(name, sizeof(name), "pheap-%u", cs.size);
		seq_printf(m, "%-17s %6lu %6lu %6u %4u %4lu", name,
			   cs.blocks_inuse, cs.blocks_held, cs.size,
			   cs.blocks_per_sb, (unsigned long)cs.sb_bytes >> PAGE_SHIFT);
		seq_printf(m, " : tunables %4u %4u %4u", 0, 0, 0);
		seq_printf(m, " : slabdata %6lu %6lu %6u\n",
			   cs.sb_cpu + cs.sb_global, cs.sb_cpu + cs.sb_global, 0);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pheap_slabinfo);

/* "<counter> <sum> C0=n C1=m ...", CPUs with a zero count left out */
static void pheap_cpus_event_line(struct seq_file *m, enum pheap_event e,
				  struct pheap_cpu_stats *cs)
{
	unsigned long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += cs[cpu].ev[e];
	seq_printf(m, "%s %lu", pheap_event_names[e], sum);
	for_each_possible_cpu(cpu)
		if (cs[cpu].ev[e])
			seq_printf(m, " C%d=%lu", cpu, cs[cpu].ev[e]);
	seq_putc(m, '\n');
}

/**
 * pheap_cpus_show() - the "cpus" view
 * @m: seq_file; m->private is the instance
 * @v: unused
 *
 * Context: process context, may sleep.
 * Return: 0, or -ENOMEM.
 */
int pheap_cpus_show(struct seq_file *m, void *v)
{
	struct pheap *p = m->private;
	struct pheap_cpu_stats *cs;
	enum pheap_event e;
	int cpu;

	cs = kcalloc(nr_cpu_ids, sizeof(*cs), GFP_KERNEL);
	if (!cs)
		return -ENOMEM;
	for_each_possible_cpu(cpu)
		pheap_get_cpu_stats(p, cpu, &cs[cpu]);

	seq_puts(m, "# cpu u_bytes a_bytes superblocks fast_hits refills remote_sent remote_recv to_global\n");
	for_each_possible_cpu(cpu) {
		unsigned long *ev = cs[cpu].ev;

		seq_printf(m, "%d %lu %lu %lu %lu %lu %lu %lu %lu\n", cpu,
			   cs[cpu].u, cs[cpu].a, cs[cpu].nr_sb,
			   ev[PHEAP_EV_ALLOC] - min(ev[PHEAP_EV_ALLOC],
						    ev[PHEAP_EV_REFILL]),
			   ev[PHEAP_EV_REFILL], ev[PHEAP_EV_REMOTE_SENT],
			   ev[PHEAP_EV_REMOTE_RECV], ev[PHEAP_EV_TO_GLOBAL]);
	}
	for (e = 0; e < PHEAP_EV_NR; e++)
		pheap_cpus_event_line(m, e, cs);
	kfree(cs);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pheap_cpus);

/**
 * pheap_command_ok() - is a write to "reset" or "trim" the one they accept?
 * @buf: the bytes written
 * @len: their count
 *
 * Context: any.
 * Return: true for "1", with or without a trailing newline.
 */
bool pheap_command_ok(const char *buf, size_t len)
{
	return (len == 1 || (len == 2 && buf[1] == '\n')) && buf[0] == '1';
}

/* A write of "1" to a command file: 0, or the error to return. */
static int pheap_command_get(const char __user *buf, size_t len)
{
	char kbuf[2];

	if (len < 1 || len > sizeof(kbuf))
		return -EINVAL;
	if (copy_from_user(kbuf, buf, len))
		return -EFAULT;
	return pheap_command_ok(kbuf, len) ? 0 : -EINVAL;
}

static ssize_t pheap_reset_write(struct file *file, const char __user *buf,
				 size_t len, loff_t *ppos)
{
	int err = pheap_command_get(buf, len);

	if (err)
		return err;
	pheap_reset_events(file_inode(file)->i_private);
	return len;
}

static const struct file_operations pheap_reset_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = pheap_reset_write,
	.llseek = noop_llseek,
};

static ssize_t pheap_trim_write(struct file *file, const char __user *buf,
				size_t len, loff_t *ppos)
{
	int err = pheap_command_get(buf, len);

	if (err)
		return err;
	pheap_trim(file_inode(file)->i_private);
	return len;
}

static const struct file_operations pheap_trim_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = pheap_trim_write,
	.llseek = noop_llseek,
};

static int pheap_fail_every_get(void *data, u64 *val)
{
	struct pheap *p = data;

	*val = READ_ONCE(p->fault.every);
	return 0;
}

static int pheap_fail_every_set(void *data, u64 val)
{
	struct pheap *p = data;

	if (val > UINT_MAX)
		return -EINVAL;
	return pheap_fault_set(p, val, READ_ONCE(p->fault.percent));
}
DEFINE_DEBUGFS_ATTRIBUTE(pheap_fail_every_fops, pheap_fail_every_get,
			 pheap_fail_every_set, "%llu\n");

static int pheap_fail_percent_get(void *data, u64 *val)
{
	struct pheap *p = data;

	*val = READ_ONCE(p->fault.percent);
	return 0;
}

static int pheap_fail_percent_set(void *data, u64 val)
{
	struct pheap *p = data;

	if (val > 100)
		return -EINVAL;
	return pheap_fault_set(p, READ_ONCE(p->fault.every), val);
}
DEFINE_DEBUGFS_ATTRIBUTE(pheap_fail_percent_fops, pheap_fail_percent_get,
			 pheap_fail_percent_set, "%llu\n");

/* Reading "validate" checks every allocated block's red zone now. */
static int pheap_validate_show(struct seq_file *m, void *v)
{
	struct pheap *p = m->private;
	unsigned long blocks, bad;

	if (!(p->cfg.debug & PHEAP_DEBUG_Z)) {
		seq_puts(m, "red zones off: load with debug=Z (or debug=1)\n");
		return 0;
	}
	bad = pheap_debug_validate(p, &blocks);
	seq_printf(m, "blocks_checked %lu\n", blocks);
	seq_printf(m, "red_zones_overwritten %lu\n", bad);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pheap_validate);

/**
 * pheap_debugfs_create() - create an instance's debugfs files
 * @p: instance
 * @dir: the directory to put them in (may be an error pointer: then
 *	 nothing is created)
 *
 * Context: process context.
 */
void pheap_debugfs_create(struct pheap *p, struct dentry *dir)
{
	if (IS_ERR_OR_NULL(dir))
		return;
	debugfs_create_file("stats", 0444, dir, p, &pheap_stats_fops);
	debugfs_create_file("classes", 0444, dir, p, &pheap_classes_fops);
	debugfs_create_file("slabinfo", 0444, dir, p, &pheap_slabinfo_fops);
	debugfs_create_file("cpus", 0444, dir, p, &pheap_cpus_fops);
	debugfs_create_file("reset", 0200, dir, p, &pheap_reset_fops);
	debugfs_create_file("trim", 0200, dir, p, &pheap_trim_fops);
	debugfs_create_file_unsafe("fail_every", 0600, dir, p,
				   &pheap_fail_every_fops);
	debugfs_create_file_unsafe("fail_percent", 0600, dir, p,
				   &pheap_fail_percent_fops);
	debugfs_create_file("validate", 0400, dir, p, &pheap_validate_fops);
}
