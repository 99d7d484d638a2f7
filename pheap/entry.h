/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pheap's public entry (alloc.c, free.c) on behalf of a caller: for the
 * rest of the kmalloc family (family.c), so that tracing and debug
 * reports name the caller of the public function; and the test both
 * entry files make of whether hoard's own paths may serve a call.
 */
#ifndef _PHEAP_ENTRY_H
#define _PHEAP_ENTRY_H

#include <linux/hardirq.h>
#include <linux/types.h>

#include "design.h"
#include "instance.h"
#include "page.h"

/*
 * Hoard or ownership outside debug mode, in a context their paths
 * serve: the bulk and node calls may take those paths' parts; anything
 * else makes the single calls, whose checks refuse or divert it.
 */
static inline bool pheap_entry_plain(const struct pheap *p)
{
	return !pheap_design_on(p) && !pheap_debug_on(p) && !in_nmi() &&
	       !pheap_rt_atomic();
}

/* alloc.c */
void *pheap_alloc_for(struct pheap *p, size_t size, gfp_t gfp,
		      unsigned long caller);
/* free.c */
struct irq_work;
void pheap_free_for(struct pheap *p, const void *ptr, unsigned long caller);
void pheap_free_untraced(struct pheap *p, const void *ptr,
			 unsigned long caller);
void pheap_free_deferred(struct irq_work *work);

#endif /* _PHEAP_ENTRY_H */
