/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pheap free path (free.c).
 */
#ifndef _PHEAP_FREE_H
#define _PHEAP_FREE_H

#include <linux/types.h>

struct pheap;
struct pheap_sb;

/* free.c */
void pheap_free_block(struct pheap *p, struct pheap_sb *sb, void *obj,
		      unsigned int idx, unsigned long caller);

#endif /* _PHEAP_FREE_H */
