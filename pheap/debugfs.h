/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pheap debugfs views (debugfs.c).
 */
#ifndef _PHEAP_DEBUGFS_H
#define _PHEAP_DEBUGFS_H

#include <linux/types.h>

/* debugfs.c */
struct seq_file;
struct dentry;
int pheap_stats_show(struct seq_file *m, void *v);
int pheap_classes_show(struct seq_file *m, void *v);
int pheap_slabinfo_show(struct seq_file *m, void *v);
int pheap_cpus_show(struct seq_file *m, void *v);
bool pheap_command_ok(const char *buf, size_t len);
void pheap_debugfs_create(struct pheap *p, struct dentry *dir);

#endif /* _PHEAP_DEBUGFS_H */
