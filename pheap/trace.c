// SPDX-License-Identifier: GPL-2.0
/*
 * pheap tracepoints: the pheap:* events are created here (trace.h has
 * their list and fields), and the one event whose arguments take work,
 * pheap_alloc, gets them here, called only while it is enabled.
 */
#include <linux/mm.h>
#include <linux/slab.h>

#include "internal.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

/**
 * pheap_trace_alloc() - emit pheap_alloc for an allocation's result
 * @p: instance
 * @obj: what the allocation returns (NULL and ZERO_SIZE_PTR too)
 * @size: bytes requested
 * @gfp: allocation flags
 * @caller: return address of the caller of the public function
 *
 * bytes_alloc is the usable size, 0 for no memory; class the block's size
 * class, -1 for a page-sized allocation or none.
 *
 * Context: as the allocation; called only while the event is enabled.
 */
void pheap_trace_alloc(struct pheap *p, const void *obj, size_t size,
		       gfp_t gfp, unsigned long caller)
{
	struct pheap_sb *sb;
	unsigned long tag;
	size_t bytes = 0;
	int cls = -1;

	if (!ZERO_OR_NULL_PTR(obj)) {
		bytes = pheap_usable_size_in(p, obj);
		sb = pheap_sb_lookup(obj, &tag);
		if (sb)
			cls = sb->cls;
	}
	trace_pheap_alloc(p, caller, obj, size, bytes, gfp, cls);
}
