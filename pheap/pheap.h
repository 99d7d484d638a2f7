/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pheap: a per-CPU small-object heap for kernel code (Hoard design).
 *
 * The three calls most callers need work on the module's default instance
 * and follow kmalloc()/kfree()/ksize() semantics:
 *
 *	p = pheap_alloc(size, GFP_KERNEL);
 *	pheap_free(p);
 *
 * Callers that want a private heap (tests, benchmarks) create an instance
 * with pheap_create() and use the *_in() variants. Every figure pheap keeps
 * is available as a snapshot (struct pheap_stats and friends), the same
 * numbers /sys/kernel/debug/pheap/ prints.
 */
#ifndef _PHEAP_H
#define _PHEAP_H

#include <linux/types.h>
#include <linux/gfp.h>

struct pheap;

/**
 * struct pheap_config - tunables of one instance
 * @name:	   shown in messages; the default instance is "pheap"
 * @f_pct:	   Hoard's emptiness fraction f, in percent (1..99)
 * @k_sb:	   Hoard's K: superblocks of slack a CPU heap may keep
 * @sb_order:	   the smallest superblock is PAGE_SIZE << @sb_order bytes
 *		   (S, the unit of K*S), 0..3; a class whose blocks do not
 *		   fit PHEAP_MIN_BLOCKS times in S gets a larger one
 * @global_reserve: empty superblocks per class and NUMA node the global
 *		   heap keeps before it returns pages to the page allocator
 * @debug:	   debug mode, PHEAP_DEBUG_* flags (0: off; see
 *		   pheap_debug_parse() for the module's debug= letters);
 *		   only with the hoard design
 * @design:	   the heap design, one of pheap_design_names[] ("kheap",
 *		   "serial", "class-lock", "private", "ownership", "hoard",
 *		   "boundary-tag"); NULL for "hoard". f and K are Hoard's and
 *		   mean nothing to the designs without them; the reserve is
 *		   also what kheap, serial, class-lock keep of empty
 *		   superblocks per class, boundary-tag of empty page runs
 *
 * pheap_default_config() fills in the module's defaults; the idle
 * superblocks of a CPU heap hold at most their in-use bytes plus K*S, or
 * u/(1-f), whichever is larger, besides one active superblock per class.
 */
struct pheap_config {
	const char *name;
	unsigned int f_pct;
	unsigned int k_sb;
	unsigned int sb_order;
	unsigned int global_reserve;
	unsigned int debug;
	const char *design;
};

/*
 * The heap designs of pheap's lecture notes, side by side (pheap/design.c
 * says what each is and where it lives). Every one is a complete
 * allocator behind the same API; hoard is the default.
 */
enum pheap_design {
	PHEAP_DESIGN_KHEAP,	/* OS/161: one lock, a free walks the pagerefs */
	PHEAP_DESIGN_SERIAL,	/* one shared heap, one lock */
	PHEAP_DESIGN_CLASS_LOCK, /* one shared heap, a lock per size class */
	PHEAP_DESIGN_PRIVATE,	/* per-CPU heaps, a block joins its freer's */
	PHEAP_DESIGN_OWNERSHIP,	/* per-CPU heaps, a block goes to its owner */
	PHEAP_DESIGN_HOARD,	/* ownership, threshold and a global heap */
	PHEAP_DESIGN_BOUNDARY_TAG, /* size headers, one free list, coalescing */
	PHEAP_DESIGN_BLOCK_LOCK, /* one free list, a lock per free block */
	PHEAP_DESIGN_BTREE,	/* free extents as a maple tree's gaps */
	PHEAP_DESIGN_NR
};

extern const char *const pheap_design_names[PHEAP_DESIGN_NR];
int pheap_design_parse(const char *name);

/* Debug mode flags (pheap/debug.c), the letters of slub_debug. */
#define PHEAP_DEBUG_F	0x1	/* sanity checks of each block's record */
#define PHEAP_DEBUG_Z	0x2	/* red zones */
#define PHEAP_DEBUG_P	0x4	/* poisoning */
#define PHEAP_DEBUG_U	0x8	/* last alloc/free caller tracking */
#define PHEAP_DEBUG_ALL	0xf

void pheap_default_config(struct pheap_config *cfg);
struct pheap *pheap_create(const struct pheap_config *cfg);
unsigned long pheap_destroy(struct pheap *p);

void *pheap_alloc_in(struct pheap *p, size_t size, gfp_t gfp);
void pheap_free_in(struct pheap *p, const void *ptr);
size_t pheap_usable_size_in(struct pheap *p, const void *ptr);
void pheap_flush(struct pheap *p);
unsigned long pheap_trim(struct pheap *p);
int pheap_debug_parse(const char *s, unsigned int *flags);
unsigned long pheap_debug_validate(struct pheap *p, unsigned long *blocks);

struct pheap *pheap_default(void);
void *pheap_alloc(size_t size, gfp_t gfp);
void pheap_free(const void *ptr);
size_t pheap_usable_size(const void *ptr);

/* The kmalloc family (family.c): kmalloc_array(), kcalloc(), krealloc() */
void *pheap_alloc_array_in(struct pheap *p, size_t n, size_t size, gfp_t gfp);
void *pheap_calloc_in(struct pheap *p, size_t n, size_t size, gfp_t gfp);
void *pheap_realloc_in(struct pheap *p, const void *ptr, size_t new_size,
		       gfp_t gfp);
void *pheap_alloc_array(size_t n, size_t size, gfp_t gfp);
void *pheap_calloc(size_t n, size_t size, gfp_t gfp);
void *pheap_realloc(const void *ptr, size_t new_size, gfp_t gfp);

/* kmalloc_node() (alloc.c) */
void *pheap_alloc_node_in(struct pheap *p, size_t size, gfp_t gfp, int node);
void *pheap_alloc_node(size_t size, gfp_t gfp, int node);

/* kmem_cache_alloc_bulk(), kmem_cache_free_bulk() (alloc.c, free.c) */
int pheap_alloc_bulk_in(struct pheap *p, size_t size, gfp_t gfp, size_t nr,
			void **out);
void pheap_free_bulk_in(struct pheap *p, size_t nr, void **ptrs);
int pheap_alloc_bulk(size_t size, gfp_t gfp, size_t nr, void **out);
void pheap_free_bulk(size_t nr, void **ptrs);
void pheap_free_rcu_in(struct pheap *p, const void *ptr);
void pheap_free_rcu(const void *ptr);
void *pheap_alloc_nolock_in(struct pheap *p, size_t size, gfp_t gfp,
			    int node);
void *pheap_alloc_nolock(size_t size, gfp_t gfp, int node);

/*
 * Statistics. Event counters are per CPU and summed on read; figures read
 * while other CPUs allocate are a racy but consistent-enough snapshot.
 */
enum pheap_event {
	PHEAP_EV_ALLOC,		/* small blocks handed out */
	PHEAP_EV_FREE,		/* small blocks freed back into their superblock */
	PHEAP_EV_REFILL,	/* the active superblock ran dry: replaced */
	PHEAP_EV_REMOTE_SENT,	/* frees of blocks another heap owns */
	PHEAP_EV_REMOTE_RECV,	/* such frees collected by the owner */
	PHEAP_EV_FROM_GLOBAL,	/* superblocks taken from the global heap */
	PHEAP_EV_TO_GLOBAL,	/* threshold returns to the global heap */
	PHEAP_EV_PAGES_IN,	/* pages taken from the page allocator */
	PHEAP_EV_PAGES_OUT,	/* pages given back to it */
	PHEAP_EV_LARGE_ALLOC,	/* whole-page allocations */
	PHEAP_EV_LARGE_FREE,
	PHEAP_EV_ALLOC_FAIL,	/* pheap_alloc() returned NULL */
	PHEAP_EV_BAD_FREE,	/* frees of pointers pheap did not hand out */
	PHEAP_EV_CORRUPT,	/* heap corruption found (and contained) */
	PHEAP_EV_FAULT,		/* page requests failed on purpose (fault.c) */
	PHEAP_EV_PAGES_OTHER_NODE, /* pages not on the node asked for */
	PHEAP_EV_FROM_OTHER_NODE, /* global superblocks of another node taken */
	PHEAP_EV_LOCK,		/* shared-heap lock acquisitions (locked designs) */
	PHEAP_EV_LOCK_CONTENDED, /* of them, ones that found the lock taken */
	PHEAP_EV_WALKED,	/* pagerefs a kheap free walked to find a block */
	/* by a context that interrupted its CPU's heap in use: global heap's */
	PHEAP_EV_ALLOC_INTERRUPTED,
	PHEAP_EV_ALLOC_OTHER_NODE, /* pheap_alloc_node(): not of the node asked */
	PHEAP_EV_RCU_FREE,	/* pheap_free_rcu(): blocks claimed */
	PHEAP_EV_RCU_FALLBACK,	/* of them, recorded in their superblock */
	PHEAP_EV_RCU_ROUND,	/* grace periods waited for them */
	PHEAP_EV_NOLOCK_ALLOC,	/* pheap_alloc_nolock(): blocks served */
	PHEAP_EV_NOLOCK_RESERVE, /* of them, from the CPU's reserve */
	PHEAP_EV_NOLOCK_BUSY,	/* calls that found the CPU's heap in use */
	PHEAP_EV_NOLOCK_FAIL,	/* calls that returned NULL */
	PHEAP_EV_NMI_FREE,	/* pheap_free() in NMI: done by an irq_work */
	PHEAP_EV_BULK_ALLOC,	/* blocks of pheap_alloc_bulk() calls that succeeded */
	PHEAP_EV_BULK_FREE,	/* blocks given to pheap_free_bulk() */
	PHEAP_EV_SEARCHED,	/* boundary-tag: free blocks a search visited */
	PHEAP_EV_ALIGN_PAD,	/* boundary-tag: bytes left in front to align */
	PHEAP_EV_NR
};

extern const char *const pheap_event_names[PHEAP_EV_NR];

/**
 * struct pheap_run_stats - a page-run design's figures (boundary-tag)
 * @runs:	  page runs held
 * @free_bytes:	  bytes in their free blocks
 * @largest_free: the largest free block, bytes: external fragmentation
 *		  is 1 - @largest_free / @free_bytes
 * @hdr_bytes:	  what the blocks in use take beyond their class size
 *		  (headers, rounding to 16 bytes)
 * @search_max:	  the longest search, free blocks visited
 * @search_p99:	  99 % of the searches visited at most this many (a
 *		  power of two less one, from a log2 histogram, or
 *		  @search_max if less)
 * @hold_ns:	  btree: its writer lock held, in all, nanoseconds
 * @hold_max_ns:  btree: the longest hold
 * @deferred:	  btree: frees left to its work item (interrupts off, or
 *		  tree nodes short)
 */
struct pheap_run_stats {
	unsigned long runs, free_bytes, largest_free, hdr_bytes;
	unsigned long search_max, search_p99;
	u64 hold_ns, hold_max_ns;
	unsigned long deferred;
};

/**
 * struct pheap_stats - instance-wide figures
 * @u:		bytes in use (U): blocks handed out, at class size, plus
 *		large allocations
 * @a:		bytes held (A): pages taken from the page allocator
 * @peak_u:	highest U seen by a snapshot (sampled when statistics are read)
 * @peak_a:	highest A (exact)
 * @sb_cpu:	superblocks held by CPU heaps
 * @sb_global:	superblocks held by the global heap
 * @large_nr:	large allocations outstanding
 * @large_bytes: their bytes
 * @nolock_reserve: bytes of the blocks the CPUs keep for
 *		pheap_alloc_nolock(): in A, not in U
 * @ev:		event counters summed over CPUs
 * @f_pct:	parameters in force (see struct pheap_config)
 * @k_sb:	K
 * @sb_bytes:	S, bytes (the smallest superblock)
 * @nr_classes:	number of size classes
 * @global_reserve: empty superblocks the global heap keeps per class and node
 * @debug:	debug mode flags in force (PHEAP_DEBUG_*)
 * @design:	the design in force (enum pheap_design)
 * @run:	a page-run design's figures; zero for the others
 */
struct pheap_stats {
	unsigned long u, a, peak_u, peak_a;
	unsigned long sb_cpu, sb_global;
	unsigned long large_nr, large_bytes;
	unsigned long nolock_reserve;
	unsigned long ev[PHEAP_EV_NR];
	unsigned int f_pct, k_sb, sb_bytes, nr_classes;
	unsigned int global_reserve;
	unsigned int debug;
	unsigned int design;
	struct pheap_run_stats run;
};

/**
 * struct pheap_class_stats - one size class
 * @size:	   block size
 * @blocks_inuse:  blocks handed out (including frees not yet collected)
 * @blocks_held:   blocks in all superblocks of the class
 * @blocks_per_sb: blocks in one superblock
 * @sb_bytes:	   bytes of one superblock (its pages)
 * @sb_cpu:	   superblocks on CPU heaps
 * @sb_global:	   superblocks in the global heap
 * @req_bytes:	   bytes requested by all allocations counted
 * @frag_bytes:	   internal fragmentation of those allocations:
 *		   allocs * size - req_bytes
 * @allocs:	   allocations
 * @frees:	   frees
 * @remote_frees:  frees from a CPU that does not own the block
 */
struct pheap_class_stats {
	unsigned int size, blocks_per_sb, sb_bytes;
	unsigned long blocks_inuse, blocks_held;
	unsigned long sb_cpu, sb_global;
	unsigned long req_bytes, frag_bytes;
	unsigned long allocs, frees, remote_frees;
};

/**
 * struct pheap_cpu_stats - one CPU heap
 * @u:	 bytes in use in this heap's superblocks
 * @a:	 bytes held by this heap's superblocks
 * @nr_sb: superblocks
 * @ev:	 this CPU's event counters
 */
struct pheap_cpu_stats {
	unsigned long u, a, nr_sb;
	unsigned long ev[PHEAP_EV_NR];
};

unsigned int pheap_nr_classes(void);
unsigned int pheap_class_size(unsigned int idx);
void pheap_get_stats(struct pheap *p, struct pheap_stats *st);
void pheap_get_class_stats(struct pheap *p, unsigned int idx,
			   struct pheap_class_stats *cs);
void pheap_get_cpu_stats(struct pheap *p, unsigned int cpu,
			 struct pheap_cpu_stats *cs);
void pheap_reset_events(struct pheap *p);

#endif /* _PHEAP_H */
