/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pheap allocation path (alloc.c).
 */
#ifndef _PHEAP_ALLOC_H
#define _PHEAP_ALLOC_H

#include <linux/types.h>

struct pheap;

/* alloc.c */
void *pheap_alloc_block(struct pheap *p, unsigned int cls, size_t size,
			gfp_t gfp);
void *pheap_alloc_large_path(struct pheap *p, size_t size, gfp_t gfp);

#endif /* _PHEAP_ALLOC_H */
