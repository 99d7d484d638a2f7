/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pheap tracepoints, the pheap:* events, in the manner of the kmem:*
 * events of include/trace/events/kmem.h:
 *
 *   pheap_alloc           every return of the allocation calls, the
 *                         family's and pheap_alloc_nolock()'s included
 *                         (NULL and ZERO_SIZE_PTR too, bytes_alloc 0)
 *   pheap_free            every free of a pointer other than NULL and
 *                         ZERO_SIZE_PTR, bad ones included, RCU frees and
 *                         frees in NMI at the call
 *   pheap_sb_to_global    a CPU heap gives a superblock to the global heap
 *   pheap_sb_from_global  a CPU heap takes one back
 *   pheap_pages_alloc     pages taken from the page allocator
 *   pheap_pages_free      pages given back to it
 *
 * Every event names its instance (heap=, the first 15 bytes of the name).
 * Disabled, an event costs one static branch; the arguments that take
 * work (the class and usable size of an allocation) are computed only
 * when pheap_alloc is enabled (trace.c).
 *
 * class is the size class of a block, -1 for a page-sized allocation or
 * none; node is the memory node of the pages (pheap_alloc: of the block,
 * -1 for none).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM pheap

#if !defined(_PHEAP_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _PHEAP_TRACE_H

#include <linux/mm.h>
#include <linux/tracepoint.h>
#include <trace/events/mmflags.h>

#include "instance.h"
#include "sb.h"

#define PHEAP_TRACE_NAME_LEN	16

TRACE_EVENT(pheap_alloc,
	    TP_PROTO(const struct pheap *p, unsigned long call_site,
		     const void *ptr, size_t bytes_req, size_t bytes_alloc,
		     gfp_t gfp_flags, int cls),
	    TP_ARGS(p, call_site, ptr, bytes_req, bytes_alloc, gfp_flags, cls),
	    TP_STRUCT__entry(__array(char, heap, PHEAP_TRACE_NAME_LEN)
			     __field(unsigned long, call_site)
			     __field(const void *, ptr)
			     __field(size_t, bytes_req)
			     __field(size_t, bytes_alloc)
			     __field(unsigned long, gfp_flags)
			     __field(int, cpu)
			     __field(int, node)
			     __field(int, cls)),
	    TP_fast_assign(strscpy(__entry->heap, p->cfg.name,
				   PHEAP_TRACE_NAME_LEN);
			   __entry->call_site = call_site;
			   __entry->ptr = ptr;
			   __entry->bytes_req = bytes_req;
			   __entry->bytes_alloc = bytes_alloc;
			   __entry->gfp_flags = (__force unsigned long)gfp_flags;
			   __entry->cpu = raw_smp_processor_id();
			   __entry->node = ZERO_OR_NULL_PTR(ptr) ? NUMA_NO_NODE :
					   page_to_nid(virt_to_page(ptr));
			   __entry->cls = cls),
	    TP_printk("heap=%s call_site=%pS ptr=%p bytes_req=%zu bytes_alloc=%zu gfp_flags=%s cpu=%d node=%d class=%d",
		      __entry->heap, (void *)__entry->call_site, __entry->ptr,
		      __entry->bytes_req, __entry->bytes_alloc,
		      show_gfp_flags(__entry->gfp_flags), __entry->cpu,
		      __entry->node, __entry->cls));

TRACE_EVENT(pheap_free,
	    TP_PROTO(const struct pheap *p, unsigned long call_site,
		     const void *ptr),
	    TP_ARGS(p, call_site, ptr),
	    TP_STRUCT__entry(__array(char, heap, PHEAP_TRACE_NAME_LEN)
			     __field(unsigned long, call_site)
			     __field(const void *, ptr)),
	    TP_fast_assign(strscpy(__entry->heap, p->cfg.name,
				   PHEAP_TRACE_NAME_LEN);
			   __entry->call_site = call_site;
			   __entry->ptr = ptr),
	    TP_printk("heap=%s call_site=%pS ptr=%p", __entry->heap,
		      (void *)__entry->call_site, __entry->ptr));

DECLARE_EVENT_CLASS(pheap_sb_move,
		    TP_PROTO(const struct pheap *p, const struct pheap_sb *sb),
		    TP_ARGS(p, sb),
		    TP_STRUCT__entry(__array(char, heap, PHEAP_TRACE_NAME_LEN)
				     __field(const void *, base)
				     __field(int, cls)
				     __field(unsigned int, inuse)
				     __field(unsigned int, nblocks)
				     __field(int, cpu)
				     __field(int, node)),
		    TP_fast_assign(strscpy(__entry->heap, p->cfg.name,
					   PHEAP_TRACE_NAME_LEN);
				   __entry->base = sb->base;
				   __entry->cls = sb->cls;
				   __entry->inuse = sb->inuse;
				   __entry->nblocks = sb->nblocks;
				   __entry->cpu = raw_smp_processor_id();
				   __entry->node = page_to_nid(virt_to_page(sb->base))),
		    TP_printk("heap=%s sb=%p class=%d inuse=%u/%u cpu=%d node=%d",
			      __entry->heap, __entry->base, __entry->cls,
			      __entry->inuse, __entry->nblocks, __entry->cpu,
			      __entry->node));

DEFINE_EVENT(pheap_sb_move, pheap_sb_to_global,
	     TP_PROTO(const struct pheap *p, const struct pheap_sb *sb),
	     TP_ARGS(p, sb));

DEFINE_EVENT(pheap_sb_move, pheap_sb_from_global,
	     TP_PROTO(const struct pheap *p, const struct pheap_sb *sb),
	     TP_ARGS(p, sb));

DECLARE_EVENT_CLASS(pheap_pages,
		    TP_PROTO(const struct pheap *p, struct page *page,
			     unsigned int order, int cls),
		    TP_ARGS(p, page, order, cls),
		    TP_STRUCT__entry(__array(char, heap, PHEAP_TRACE_NAME_LEN)
				     __field(unsigned long, pfn)
				     __field(unsigned int, order)
				     __field(int, node)
				     __field(int, cls)),
		    TP_fast_assign(strscpy(__entry->heap, p->cfg.name,
					   PHEAP_TRACE_NAME_LEN);
				   __entry->pfn = page_to_pfn(page);
				   __entry->order = order;
				   __entry->node = page_to_nid(page);
				   __entry->cls = cls),
		    TP_printk("heap=%s pfn=0x%lx order=%u node=%d class=%d",
			      __entry->heap, __entry->pfn, __entry->order,
			      __entry->node, __entry->cls));

DEFINE_EVENT(pheap_pages, pheap_pages_alloc,
	     TP_PROTO(const struct pheap *p, struct page *page,
		      unsigned int order, int cls),
	     TP_ARGS(p, page, order, cls));

DEFINE_EVENT(pheap_pages, pheap_pages_free,
	     TP_PROTO(const struct pheap *p, struct page *page,
		      unsigned int order, int cls),
	     TP_ARGS(p, page, order, cls));

#endif /* _PHEAP_TRACE_H */

/* This part must be outside the include guard. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
