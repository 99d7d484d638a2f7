/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pheap debug mode (debug.c).
 */
#ifndef _PHEAP_DEBUG_H
#define _PHEAP_DEBUG_H

#include <linux/types.h>

struct page;
struct pheap;
struct pheap_sb;

/* debug.c */
void pheap_debug_init(struct pheap *p);
void pheap_debug_key_get(struct pheap *p);
void pheap_debug_key_put(struct pheap *p);
const char *pheap_debug_flags_string(unsigned int flags, char *buf);
void *pheap_debug_alloc(struct pheap *p, size_t size, gfp_t gfp,
			unsigned long caller);
void pheap_debug_free_small(struct pheap *p, struct pheap_sb *sb,
			    const void *ptr, unsigned long caller);
void pheap_debug_free_large(struct pheap *p, unsigned long tag,
			    const void *ptr, unsigned long caller);
void *pheap_debug_rcu_claim(struct pheap *p, struct pheap_sb *sb,
			    unsigned long tag, const void *ptr,
			    unsigned long caller);
void pheap_debug_rcu_done(struct pheap *p, struct pheap_sb *sb,
			  unsigned int idx);
void pheap_debug_rcu_done_large(struct pheap *p, struct page *page);
size_t pheap_debug_usable_size(struct pheap *p, const struct pheap_sb *sb,
			       unsigned long tag, const void *ptr);

#endif /* _PHEAP_DEBUG_H */
