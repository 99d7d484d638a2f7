// SPDX-License-Identifier: GPL-2.0
/*
 * pheap module glue: the parameters, the default instance behind
 * pheap_alloc()/pheap_free(), its debugfs directory, the CPU hotplug state
 * and the shrinker. The allocator itself is in pheap/.
 *
 * Optional parts (debugfs, the shrinker) never fail the load.
 */
#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/shrinker.h>

#include "pheap/debug.h"
#include "pheap/debugfs.h"
#include "pheap/global.h"
#include "pheap/heap.h"
#include "pheap/instance.h"
#include "pheap/lifecycle.h"

/*
 * Defaults (see pheap_default_config() for the memory budget they give):
 * f = 25 % and K = 8 of S = 4 KiB. The idle superblocks of a CPU heap may
 * then hold at most max(u + 32 KiB, u / 0.75) before it returns some: the
 * K*S term keeps a small, busy heap from bouncing superblocks to the
 * global heap on every few frees, the f term bounds a large heap to a
 * third more than it uses. Measured: scripts/bench.sh (blowup, mixed).
 */
static unsigned int f_pct = 25;
module_param(f_pct, uint, 0444);
MODULE_PARM_DESC(f_pct, "emptiness fraction f, percent (default 25)");

static unsigned int k_sb = 8;
module_param(k_sb, uint, 0444);
MODULE_PARM_DESC(k_sb, "K: free superblocks' worth (K*S bytes) a CPU heap may keep (default 8)");

static unsigned int sb_order;
module_param(sb_order, uint, 0444);
MODULE_PARM_DESC(sb_order, "smallest superblock S = PAGE_SIZE << sb_order, 0..3 (default 0)");

static unsigned int global_reserve = 1;
module_param(global_reserve, uint, 0444);
MODULE_PARM_DESC(global_reserve, "empty superblocks per class and NUMA node the global heap keeps (default 1)");

static char *debug = "";
module_param(debug, charp, 0444);
MODULE_PARM_DESC(debug, "debug mode, as slub_debug: F sanity checks, Z red zones, P poisoning, U caller tracking; 1 for all (default off)");

static char *design = "hoard";
module_param(design, charp, 0444);
MODULE_PARM_DESC(design, "heap design: kheap, serial, class-lock, private, ownership, hoard or boundary-tag (default hoard)");
/* the design's earlier name, kept for command lines that use it */
module_param_named(policy, design, charp, 0444);
MODULE_PARM_DESC(policy, "the same as design=");

static struct pheap *pheap_def;
static struct dentry *pheap_debugfs_root;
static struct shrinker *pheap_shrinker;

/*
 * The global heap's empty superblocks, and the CPU heaps' slack: the
 * latter comes back through the CPU heaps' work items (asynchronous), to
 * the global heap, whose empties this and the next scans give back.
 */
static unsigned long pheap_shrink_count(struct shrinker *s,
					struct shrink_control *sc)
{
	return pheap_global_empty_pages(pheap_def) +
	       pheap_heap_slack_pages(pheap_def) ?: SHRINK_EMPTY;
}

static unsigned long pheap_shrink_scan(struct shrinker *s,
				       struct shrink_control *sc)
{
	unsigned long freed;

	pheap_heap_trim_all(pheap_def);
	freed = pheap_global_shrink(pheap_def, sc->nr_to_scan);
	return freed ?: SHRINK_STOP;
}

static int __init pheap_init(void)
{
	struct pheap_config cfg;
	char flags[8];
	int err;

	err = pheap_core_init();
	if (err)
		return err;

	pheap_default_config(&cfg);
	if (pheap_debug_parse(debug, &cfg.debug)) {
		pr_err("pheap: debug=%s: valid are letters of FZPU (F sanity checks, Z red zones, P poisoning, U caller tracking), 1 for all, 0 for none\n",
		       debug);
		err = -EINVAL;
		goto exit_core;
	}
	cfg.f_pct = f_pct;
	cfg.k_sb = k_sb;
	cfg.sb_order = sb_order;
	cfg.global_reserve = global_reserve;
	cfg.design = design;
	pheap_def = pheap_create(&cfg);
	if (IS_ERR(pheap_def)) {
		err = PTR_ERR(pheap_def);
		pr_err("pheap: bad parameters or no memory (%d)\n", err);
		goto exit_core;
	}
	pheap_set_default(pheap_def);

	pheap_debugfs_root = debugfs_create_dir("pheap", NULL);
	pheap_debugfs_create(pheap_def, pheap_debugfs_root);
	pheap_shrinker = pheap_shrinker_create("pheap", pheap_shrink_count,
					       pheap_shrink_scan, pheap_def);
	if (!pheap_shrinker)
		pr_warn("pheap: no shrinker: empty superblocks stay until unload\n");
	pr_info("pheap: ready, design %s, f=%u%% K=%u S=%lu bytes, debug %s\n",
		pheap_design_names[pheap_design_parse(design)], f_pct,
		k_sb, PAGE_SIZE << sb_order,
		pheap_debug_flags_string(cfg.debug, flags));
	return 0;

exit_core:
	pheap_core_exit();
	return err;
}

static void __exit pheap_exit(void)
{
	unsigned long leaked;

	pheap_shrinker_destroy(pheap_shrinker);
	debugfs_remove_recursive(pheap_debugfs_root);
	pheap_set_default(NULL);
	leaked = pheap_destroy(pheap_def);
	pheap_core_exit();
	pr_info("pheap: unloaded, every page returned (%lu allocations were still in use)\n",
		leaked);
}

module_init(pheap_init);
module_exit(pheap_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("pheap: per-CPU small-object heap with a global heap (Hoard design)");
