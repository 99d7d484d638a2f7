/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pheap large allocations (large.c): requests above the largest class.
 */
#ifndef _PHEAP_LARGE_H
#define _PHEAP_LARGE_H

#include <linux/types.h>

struct list_head;
struct page;
struct pheap;

/* large.c */
bool pheap_large_free(struct pheap *p, unsigned long tag, const void *ptr);
unsigned int pheap_large_order(unsigned long tag);
bool pheap_large_inset(unsigned long tag);
struct pheap *pheap_large_owner(unsigned long tag);
unsigned long pheap_large_release_all(struct pheap *p);
bool pheap_large_rcu_claim(struct pheap *p, unsigned long tag,
			   const void *start, bool keep_tag);
void pheap_large_rcu_take(struct pheap *p, struct list_head *list);
void pheap_large_rcu_done(struct pheap *p, struct page *page);
void pheap_large_init(struct pheap *p);
void *pheap_alloc_large_path(struct pheap *p, size_t size, gfp_t gfp,
			     int nid);
void *pheap_alloc_large_inset(struct pheap *p, size_t size, gfp_t gfp);

#endif /* _PHEAP_LARGE_H */
