// SPDX-License-Identifier: GPL-2.0
/*
 * pheap's kmalloc family: pheap_alloc_array(), pheap_calloc() and
 * pheap_realloc(), each also in its _in form (the instance first), with
 * the kernel's semantics, over the public entry (alloc.c, free.c), whose
 * checks, tracing and caller tracking they share: the caller a debug
 * report names is theirs.
 *
 *  - pheap_alloc_array(), pheap_calloc(): NULL when n * size overflows
 *    (check_mul_overflow(), as kmalloc_array() and kcalloc()), nothing
 *    counted, no warning; calloc adds __GFP_ZERO.
 *  - pheap_realloc(), as krealloc(): a NULL (or ZERO_SIZE_PTR) pointer
 *    allocates; new size 0 frees and gives ZERO_SIZE_PTR; while the
 *    usable size holds the new size the block stays where it is, and
 *    with __GFP_ZERO the bytes past the new size are zeroed, so that a
 *    later growth in place finds them zeroed (krealloc() does so since
 *    6.12); otherwise a new block, the old contents copied (the old
 *    usable size or the new size, the smaller), then the old block freed.
 *    On failure NULL, the old block untouched and still the caller's.
 *    __GFP_ZERO is honoured in full when every call for the block, from
 *    its first allocation, passes it, as for krealloc().
 *
 * A pointer the instance did not hand out is reported and counted as a
 * bad free is, and NULL returned; so is any pointer from NMI, where only
 * pheap_free() and pheap_alloc_nolock() are served. One it handed out and that was freed
 * since is caught only where the block must move (its free is then a
 * double free): the usable size, which the in-place path reads, is the
 * block's whether it is in use or not.
 */
#include <linux/export.h>
#include <linux/hardirq.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "entry.h"
#include "instance.h"
#include "lifecycle.h"
#include "report.h"

/**
 * pheap_alloc_array_in() - an array of @n elements, like kmalloc_array()
 * @p: instance
 * @n: elements
 * @size: bytes of each
 * @gfp: allocation flags
 *
 * Context: as pheap_alloc_in().
 * Return: the memory, ZERO_SIZE_PTR for 0 bytes, or NULL (also when
 * @n * @size overflows).
 */
void *pheap_alloc_array_in(struct pheap *p, size_t n, size_t size, gfp_t gfp)
{
	size_t bytes;

	if (unlikely(check_mul_overflow(n, size, &bytes)))
		return NULL;
	return pheap_alloc_for(p, bytes, gfp, _RET_IP_);
}
EXPORT_SYMBOL_GPL(pheap_alloc_array_in);

/**
 * pheap_alloc_array() - pheap_alloc_array_in() of the default instance
 * @n: elements
 * @size: bytes of each
 * @gfp: allocation flags
 *
 * Context: as kmalloc_array().
 * Return: the memory, ZERO_SIZE_PTR for 0 bytes, or NULL.
 */
void *pheap_alloc_array(size_t n, size_t size, gfp_t gfp)
{
	size_t bytes;

	if (unlikely(check_mul_overflow(n, size, &bytes)))
		return NULL;
	return pheap_alloc_for(READ_ONCE(pheap_default_instance), bytes, gfp,
			       _RET_IP_);
}
EXPORT_SYMBOL_GPL(pheap_alloc_array);

/**
 * pheap_calloc_in() - a zeroed array of @n elements, like kcalloc()
 * @p: instance
 * @n: elements
 * @size: bytes of each
 * @gfp: allocation flags; __GFP_ZERO is added
 *
 * Context: as pheap_alloc_in().
 * Return: the memory, ZERO_SIZE_PTR for 0 bytes, or NULL.
 */
void *pheap_calloc_in(struct pheap *p, size_t n, size_t size, gfp_t gfp)
{
	size_t bytes;

	if (unlikely(check_mul_overflow(n, size, &bytes)))
		return NULL;
	return pheap_alloc_for(p, bytes, gfp | __GFP_ZERO, _RET_IP_);
}
EXPORT_SYMBOL_GPL(pheap_calloc_in);

/**
 * pheap_calloc() - pheap_calloc_in() of the default instance
 * @n: elements
 * @size: bytes of each
 * @gfp: allocation flags; __GFP_ZERO is added
 *
 * Context: as kcalloc().
 * Return: the memory, ZERO_SIZE_PTR for 0 bytes, or NULL.
 */
void *pheap_calloc(size_t n, size_t size, gfp_t gfp)
{
	size_t bytes;

	if (unlikely(check_mul_overflow(n, size, &bytes)))
		return NULL;
	return pheap_alloc_for(READ_ONCE(pheap_default_instance), bytes,
			       gfp | __GFP_ZERO, _RET_IP_);
}
EXPORT_SYMBOL_GPL(pheap_calloc);

/* krealloc() for @caller: see the top of the file. */
static void *pheap_realloc_for(struct pheap *p, const void *ptr,
			       size_t new_size, gfp_t gfp,
			       unsigned long caller)
{
	size_t usable;
	void *fresh;

	if (ZERO_OR_NULL_PTR(ptr))
		return pheap_alloc_for(p, new_size, gfp, caller);
	/* from NMI only pheap_free() and pheap_alloc_nolock() are served */
	if (unlikely(in_nmi())) {
		pheap_report_bad_free(p, ptr, "realloc from NMI (left alone)",
				      caller);
		return NULL;
	}
	if (!new_size) {
		pheap_free_for(p, ptr, caller);
		return ZERO_SIZE_PTR;
	}
	usable = pheap_usable_size_in(p, ptr);
	if (!usable) {
		pheap_report_bad_free(p, ptr, "realloc of memory not allocated by pheap",
				      caller);
		return NULL;
	}
	if (new_size <= usable) {
		if (gfp & __GFP_ZERO)
			memset((void *)ptr + new_size, 0, usable - new_size);
		return (void *)ptr;
	}
	fresh = pheap_alloc_for(p, new_size, gfp, caller);
	if (!fresh)
		return NULL;
	memcpy(fresh, ptr, usable);
	pheap_free_for(p, ptr, caller);
	return fresh;
}

/**
 * pheap_realloc_in() - resize memory of an instance, like krealloc()
 * @p: the instance that allocated @ptr
 * @ptr: from @p, or NULL
 * @new_size: bytes; 0 frees @ptr
 * @gfp: allocation flags
 *
 * Context: as pheap_alloc_in() with @gfp.
 * Return: the memory (@ptr itself while its usable size holds @new_size),
 * ZERO_SIZE_PTR for @new_size 0, or NULL, @ptr then untouched.
 */
void *pheap_realloc_in(struct pheap *p, const void *ptr, size_t new_size,
		       gfp_t gfp)
{
	return pheap_realloc_for(p, ptr, new_size, gfp, _RET_IP_);
}
EXPORT_SYMBOL_GPL(pheap_realloc_in);

/**
 * pheap_realloc() - pheap_realloc_in() of the default instance
 * @ptr: from pheap_alloc(), or NULL
 * @new_size: bytes; 0 frees @ptr
 * @gfp: allocation flags
 *
 * Context: as krealloc() with @gfp.
 * Return: the memory, ZERO_SIZE_PTR for @new_size 0, or NULL.
 */
void *pheap_realloc(const void *ptr, size_t new_size, gfp_t gfp)
{
	return pheap_realloc_for(READ_ONCE(pheap_default_instance), ptr,
				 new_size, gfp, _RET_IP_);
}
EXPORT_SYMBOL_GPL(pheap_realloc);
