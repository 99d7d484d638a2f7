/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pheap's public entry (alloc.c, free.c) on behalf of a caller: for the
 * rest of the kmalloc family (family.c), so that tracing and debug
 * reports name the caller of the public function.
 */
#ifndef _PHEAP_ENTRY_H
#define _PHEAP_ENTRY_H

#include <linux/types.h>

struct pheap;

/* alloc.c */
void *pheap_alloc_for(struct pheap *p, size_t size, gfp_t gfp,
		      unsigned long caller);
/* free.c */
void pheap_free_for(struct pheap *p, const void *ptr, unsigned long caller);

#endif /* _PHEAP_ENTRY_H */
