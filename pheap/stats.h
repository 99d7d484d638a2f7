/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pheap statistics (stats.c): what debugfs reads besides the public
 * snapshots.
 */
#ifndef _PHEAP_STATS_H
#define _PHEAP_STATS_H

#include <linux/types.h>

struct pheap;

/* stats.c */
unsigned long pheap_node_pages(struct pheap *p, int nid);
unsigned long pheap_node_sb_global(struct pheap *p, int nid);

#endif /* _PHEAP_STATS_H */
