/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel differences pheap meets between 6.1 and 6.12, in one place.
 */
#ifndef _PHEAP_COMPAT_H
#define _PHEAP_COMPAT_H

#include <linux/mmzone.h>
#include <linux/shrinker.h>
#include <linux/slab.h>

/*
 * The largest order alloc_pages() serves (inclusive): MAX_PAGE_ORDER since
 * 6.8; before, MAX_ORDER, exclusive up to 6.3 (on 6.4..6.7, where it was
 * inclusive, this gives up the largest order: safe, one order short).
 */
#ifdef MAX_PAGE_ORDER
#define PHEAP_MAX_PAGE_ORDER	MAX_PAGE_ORDER
#else
#define PHEAP_MAX_PAGE_ORDER	(MAX_ORDER - 1)
#endif

/*
 * Shrinkers: 6.1 registers a caller-owned struct shrinker; since 6.7 it is
 * allocated with shrinker_alloc(), which came with SHRINKER_ALLOCATED.
 */
#ifdef SHRINKER_ALLOCATED
#define PHEAP_SHRINKER_ALLOC	1
#endif

static inline struct shrinker *
pheap_shrinker_create(const char *name,
		      unsigned long (*count)(struct shrinker *,
					     struct shrink_control *),
		      unsigned long (*scan)(struct shrinker *,
					    struct shrink_control *),
		      void *priv)
{
	struct shrinker *s;

#ifdef PHEAP_SHRINKER_ALLOC
	s = shrinker_alloc(0, "%s", name);
	if (!s)
		return NULL;
	s->count_objects = count;
	s->scan_objects = scan;
	s->private_data = priv;
	shrinker_register(s);
#else
	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return NULL;
	s->count_objects = count;
	s->scan_objects = scan;
	s->seeks = DEFAULT_SEEKS;
	s->batch = 0;
	/* 6.1 has no private_data: pheap keeps one shrinker per module. */
	if (register_shrinker(s, "%s", name)) {
		kfree(s);
		return NULL;
	}
#endif
	return s;
}

static inline void pheap_shrinker_destroy(struct shrinker *s)
{
	if (!s)
		return;
#ifdef PHEAP_SHRINKER_ALLOC
	shrinker_free(s);
#else
	unregister_shrinker(s);
	kfree(s);
#endif
}

#endif /* _PHEAP_COMPAT_H */
