/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pheap pure private heaps design (private.c).
 */
#ifndef _PHEAP_PRIVATE_H
#define _PHEAP_PRIVATE_H

#include <linux/types.h>

struct pheap;
struct pheap_sb;

/* private.c */
int pheap_private_init(struct pheap *p);
unsigned long pheap_private_destroy(struct pheap *p);
void *pheap_private_alloc(struct pheap *p, unsigned int cls, size_t size,
			  gfp_t gfp);
void pheap_private_free(struct pheap *p, struct pheap_sb *sb, void *obj,
			unsigned int idx, unsigned long caller);
void pheap_private_class_stats(struct pheap *p, unsigned int cls,
			       unsigned long *nr_sb, unsigned long *inuse);

#endif /* _PHEAP_PRIVATE_H */
