/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pheap single-heap designs (shared.c): kheap, serial, class-lock.
 */
#ifndef _PHEAP_SHARED_H
#define _PHEAP_SHARED_H

#include <linux/types.h>

struct pheap;
struct pheap_sb;

/* shared.c */
int pheap_shared_init(struct pheap *p);
unsigned long pheap_shared_destroy(struct pheap *p);
void *pheap_shared_alloc(struct pheap *p, unsigned int cls, size_t size,
			 gfp_t gfp);
void pheap_shared_free(struct pheap *p, struct pheap_sb *sb, void *obj,
		       unsigned int idx, unsigned long caller);
bool pheap_kheap_free(struct pheap *p, const void *ptr, unsigned long caller);
void pheap_shared_class_stats(struct pheap *p, unsigned int cls,
			      unsigned long *nr_sb, unsigned long *inuse);

#endif /* _PHEAP_SHARED_H */
