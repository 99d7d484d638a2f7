// SPDX-License-Identifier: GPL-2.0
/*
 * pheap debug mode: red zones, poisoning, caller tracking and record
 * checks, per instance, modelled on slub_debug.
 *
 * struct pheap_config.debug (the module's debug= parameter for the default
 * instance) holds the flags:
 *
 *   F  sanity checks: each block's debug record (below) is checked on
 *	every allocation and free; a free whose record is corrupt is
 *	refused and reported, the block left alone
 *   Z  red zones: the bytes after the block's usable size are filled with
 *	PHEAP_RED_ZONE, checked on free and by the debugfs validate file
 *	(pheap_debug_validate())
 *   P  poisoning: a freed block is filled with POISON_FREE, checked when
 *	the block is next handed out; a write after free is reported
 *   U  caller tracking: the allocation's and the last free's caller
 *	(%pS), CPU, pid and age, printed in every report, as SLUB's
 *	"Object already free" report does (any debug mode records them;
 *	without U a report of a write after free prints the free only)
 *
 * Layout. Off, a block is its class's size and nothing more. On, a
 * request is served from a larger class, the inner class, so that the
 * block holds the object (the usable size kmalloc would give: the class
 * of the request), then the red zone (at least PHEAP_RED_MIN bytes), then
 * the block's record (struct pheap_dmeta) in its last 64 bytes:
 *
 *	| object: usable size | red zone | record |
 *	^ block start, the pointer the caller gets
 *
 * The inner class is a multiple of the usable size's natural alignment,
 * so power-of-two sizes stay naturally aligned, and pheap_usable_size()
 * returns the usable size: kmalloc's rules hold with debug on. Requests
 * whose usable size no class can hold so (4096 bytes) and large ones take
 * a compound page of twice the order, the record at its end. Statistics
 * count the inner classes.
 *
 * A record's seq is odd while the block is free (or being set up) and
 * even while it is allocated; the validate walk, which runs beside the
 * callers, checks a block's red zone only if seq is even and the same
 * after the check. The red zone is written once per allocation and
 * never by a free, so a free racing the walk is no false report. A free
 * turns seq odd with a cmpxchg before it touches the block: of two
 * frees of one block (small or large), one wins and the other touches
 * nothing, so no poison lands on a block already handed out again.
 *
 * The fast paths pay one static branch (pheap_debug_on(), instance.h),
 * enabled while an instance with debug flags exists: a no-op jump
 * otherwise. Every report is rate-limited and counted: double frees in
 * bad_frees, overwritten red zones, writes after free and corrupt
 * records in corruptions.
 */
#include <linux/cpu.h>
#include <linux/ctype.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/poison.h>
#include <linux/ratelimit.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include "class.h"
#include "debug.h"
#include "global.h"
#include "heap.h"
#include "instance.h"
#include "large.h"
#include "report.h"
#include "sb.h"

#define PHEAP_RED_ZONE		0xcc	/* SLUB_RED_ACTIVE */
#define PHEAP_RED_MIN		8
#define PHEAP_DMETA_MAGIC	0x70686467	/* "phdg" */
/* The first 8 bytes of a free block hold its free-list link. */
#define PHEAP_POISON_FROM	8

DEFINE_STATIC_KEY_FALSE(pheap_debug_key);

/* Where a block was allocated or freed. */
struct pheap_track {
	unsigned long caller;
	unsigned long when;		/* jiffies */
	int cpu;
	int pid;
};

/**
 * struct pheap_dmeta - a block's debug record, in its last 64 bytes
 * @seq:    odd while the block is free or being set up, even while
 *	    allocated; 0 for a block never allocated
 * @magic:  PHEAP_DMETA_MAGIC once the block was allocated
 * @size:   bytes requested
 * @usable: the object's size: the red zone starts here
 * @alloc:  the last allocation
 * @free:   the last free
 */
struct pheap_dmeta {
	u32 seq;
	u32 magic;
	u32 size;
	u32 usable;
	struct pheap_track alloc;
	struct pheap_track free;
};

#define PHEAP_DMETA_BYTES	64
static_assert(sizeof(struct pheap_dmeta) <= PHEAP_DMETA_BYTES);

static const char pheap_debug_letters[] = "FZPU";

/**
 * pheap_debug_parse() - debug flags from a slub_debug-style string
 * @s: letters of "FZPU" in either case, "1" for all of them, "" or "0"
 *     for none
 * @flags: set to the PHEAP_DEBUG_* flags on success
 *
 * Context: any.
 * Return: 0, or -EINVAL for anything else.
 */
int pheap_debug_parse(const char *s, unsigned int *flags)
{
	unsigned int f = 0;
	const char *l;

	if (!s || !*s || !strcmp(s, "0")) {
		*flags = 0;
		return 0;
	}
	if (!strcmp(s, "1")) {
		*flags = PHEAP_DEBUG_ALL;
		return 0;
	}
	for (; *s && *s != '\n'; s++) {
		l = strchr(pheap_debug_letters, toupper(*s));
		if (!l)
			return -EINVAL;
		f |= BIT(l - pheap_debug_letters);
	}
	*flags = f;
	return 0;
}
EXPORT_SYMBOL_GPL(pheap_debug_parse);

/**
 * pheap_debug_flags_string() - debug flags as letters
 * @flags: PHEAP_DEBUG_* flags
 * @buf: at least 5 bytes
 *
 * Context: any.
 * Return: @buf, "FZPU" or a subset of it, "-" for none.
 */
const char *pheap_debug_flags_string(unsigned int flags, char *buf)
{
	unsigned int i, n = 0;

	for (i = 0; i < ARRAY_SIZE(pheap_debug_letters) - 1; i++)
		if (flags & BIT(i))
			buf[n++] = pheap_debug_letters[i];
	if (!n)
		buf[n++] = '-';
	buf[n] = '\0';
	return buf;
}

/* The alignment kmalloc gives a block of @usable bytes. */
static unsigned int pheap_natural_align(unsigned int usable)
{
	return is_power_of_2(usable) ? usable : 8;
}

/**
 * pheap_debug_init() - the inner class of every class, for debug mode
 * @p: instance being created
 *
 * For each class (as a usable size), the smallest class that holds it, a
 * red zone and a record, and is a multiple of its natural alignment; or
 * PHEAP_NR_CLASSES for none (the request takes pages).
 *
 * Context: pheap_create().
 */
void pheap_debug_init(struct pheap *p)
{
	unsigned int c, i, usable, need;

	for (c = 0; c < PHEAP_NR_CLASSES; c++) {
		usable = pheap_csize(c);
		need = usable + PHEAP_RED_MIN + PHEAP_DMETA_BYTES;
		p->debug_cls[c] = PHEAP_NR_CLASSES;
		for (i = c; i < PHEAP_NR_CLASSES; i++) {
			if (pheap_csize(i) >= need &&
			    !(pheap_csize(i) % pheap_natural_align(usable))) {
				p->debug_cls[c] = i;
				break;
			}
		}
	}
}

/**
 * pheap_debug_key_get() - keep the debug paths switched on for an instance
 * @p: instance with debug flags
 *
 * Context: process context (static_branch_inc() may sleep).
 */
void pheap_debug_key_get(struct pheap *p)
{
	if (p->cfg.debug)
		static_branch_inc(&pheap_debug_key);
}

/**
 * pheap_debug_key_put() - undo pheap_debug_key_get()
 * @p: instance being destroyed
 *
 * Context: process context.
 */
void pheap_debug_key_put(struct pheap *p)
{
	if (p->cfg.debug)
		static_branch_dec(&pheap_debug_key);
}

static struct pheap_dmeta *pheap_dmeta(void *block, size_t bytes)
{
	return block + bytes - PHEAP_DMETA_BYTES;
}

/* The record of the large allocation @obj, of page order @order. */
static struct pheap_dmeta *pheap_dmeta_large(void *obj, unsigned int order)
{
	return pheap_dmeta(obj, PAGE_SIZE << order);
}

/* Bytes of the red zone of a block whose record is @m. */
static size_t pheap_rz_bytes(const void *obj, const struct pheap_dmeta *m)
{
	return (const void *)m - obj - m->usable;
}

/* Is the record of a block @bytes long sound? */
static bool pheap_dmeta_ok(const struct pheap_dmeta *m, size_t bytes)
{
	return m->magic == PHEAP_DMETA_MAGIC && m->size <= m->usable &&
	       m->usable + PHEAP_RED_MIN + PHEAP_DMETA_BYTES <= bytes;
}

static void pheap_track_set(struct pheap_track *t, unsigned long caller)
{
	t->caller = caller;
	t->when = jiffies;
	t->cpu = raw_smp_processor_id();
	t->pid = current->pid;
}

static void pheap_track_print(const struct pheap *p, const char *what,
			      const struct pheap_track *t)
{
	if (!t->caller) {
		pr_err("%s:   %s: never\n", p->cfg.name, what);
		return;
	}
	pr_err("%s:   %s by %pS cpu=%d pid=%d age=%u ms\n", p->cfg.name,
	       what, (void *)t->caller, t->cpu, t->pid,
	       jiffies_to_msecs(jiffies - t->when));
}

/*
 * Report a bad block and count it in @ev: the reason, the block, its sizes,
 * who found it (@caller, 0 for the validate walk) and, with U, its last
 * allocation and free (for a write after free, the free always).
 */
static void pheap_debug_report(struct pheap *p, const void *obj,
			       const struct pheap_dmeta *m, const char *why,
			       unsigned long caller, enum pheap_event ev)
{
	static DEFINE_RATELIMIT_STATE(rs, DEFAULT_RATELIMIT_INTERVAL,
				      DEFAULT_RATELIMIT_BURST);

	this_cpu_inc(p->cpu_heaps->ev[ev]);
	if (!__ratelimit(&rs))
		return;
	if (caller)
		pr_err("%s: %s: block %p of pheap-%u, %u bytes requested, found by %pS\n",
		       p->cfg.name, why, obj, m->usable, m->size, (void *)caller);
	else
		pr_err("%s: %s: block %p of pheap-%u, %u bytes requested, found by the validate walk\n",
		       p->cfg.name, why, obj, m->usable, m->size);
	if (p->cfg.debug & PHEAP_DEBUG_U)
		pheap_track_print(p, "allocated", &m->alloc);
	if (p->cfg.debug & PHEAP_DEBUG_U || ev == PHEAP_EV_CORRUPT)
		pheap_track_print(p, "last freed", &m->free);
}

static void pheap_report_bad_record(struct pheap *p, const void *obj,
				    unsigned long caller)
{
	static DEFINE_RATELIMIT_STATE(rs, DEFAULT_RATELIMIT_INTERVAL,
				      DEFAULT_RATELIMIT_BURST);

	this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_CORRUPT]);
	if (__ratelimit(&rs))
		pr_err("%s: debug record of block %p overwritten, found by %pS: the block is left alone\n",
		       p->cfg.name, obj, (void *)caller);
}

/* Are @len bytes at @s all @c? */
static bool pheap_bytes_are(const void *s, int c, size_t len)
{
	return !memchr_inv(s, c, len);
}

/*
 * Check the red zone of a block, report and repair it if overwritten.
 * Return: true if it was intact.
 */
static bool pheap_rz_check(struct pheap *p, void *obj, struct pheap_dmeta *m,
			   unsigned long caller)
{
	size_t len = pheap_rz_bytes(obj, m);

	if (pheap_bytes_are(obj + m->usable, PHEAP_RED_ZONE, len))
		return true;
	pheap_debug_report(p, obj, m, "red zone overwritten (a write past the end)",
			   caller, PHEAP_EV_CORRUPT);
	memset(obj + m->usable, PHEAP_RED_ZONE, len);
	return false;
}

/* A block of @bytes was just handed out for @size bytes: set it up. */
static void *pheap_debug_setup(struct pheap *p, void *obj, size_t bytes,
			       size_t size, size_t usable, gfp_t gfp,
			       unsigned long caller)
{
	struct pheap_dmeta *m = pheap_dmeta(obj, bytes);
	u32 seq = m->seq;

	m->magic = PHEAP_DMETA_MAGIC;
	m->size = size;
	m->usable = usable;
	pheap_track_set(&m->alloc, caller);
	if (want_init_on_alloc(gfp) || want_init_on_free())
		memset(obj, 0, usable);
	memset(obj + usable, PHEAP_RED_ZONE, pheap_rz_bytes(obj, m));
	/* even, allocated: the walk reads the zone and record after this */
	smp_store_release(&m->seq, (seq | 1) + 1);
	return obj;
}

/*
 * Before a small block is set up again: its record must be sound or
 * never written (F), and what its last free poisoned untouched (P).
 */
static void pheap_debug_check_reused(struct pheap *p, void *obj,
				     size_t bytes, unsigned long caller)
{
	struct pheap_dmeta *m = pheap_dmeta(obj, bytes);

	if (!m->seq)
		return;			/* never allocated: fresh pages */
	if (!pheap_dmeta_ok(m, bytes)) {
		if (p->cfg.debug & PHEAP_DEBUG_F)
			pheap_report_bad_record(p, obj, caller);
		return;
	}
	if (p->cfg.debug & PHEAP_DEBUG_P && m->usable > PHEAP_POISON_FROM &&
	    !pheap_bytes_are(obj + PHEAP_POISON_FROM, POISON_FREE,
			     m->usable - PHEAP_POISON_FROM))
		pheap_debug_report(p, obj, m, "write after free", caller,
				   PHEAP_EV_CORRUPT);
}

/**
 * pheap_debug_alloc() - pheap_alloc_in() in debug mode
 * @p: instance with debug flags
 * @size: bytes, not 0
 * @gfp: allocation flags
 * @caller: return address of the caller of the public function
 *
 * Context: as pheap_alloc_in().
 * Return: the object, or NULL.
 */
void *pheap_debug_alloc(struct pheap *p, size_t size, gfp_t gfp,
			unsigned long caller)
{
	unsigned int cls, inner, order;
	size_t usable;
	void *obj;

	if (size <= PHEAP_MAX_SMALL) {
		cls = pheap_size_to_class(size);
		usable = pheap_csize(cls);
		inner = p->debug_cls[cls];
	} else if (size <= PAGE_SIZE << PHEAP_MAX_PAGE_ORDER) {
		usable = PAGE_SIZE << get_order(size);
		inner = PHEAP_NR_CLASSES;
	} else {
		/* no order serves it: refused, warned about and counted there */
		return pheap_alloc_large_path(p, size, gfp);
	}
	if (inner < PHEAP_NR_CLASSES) {
		obj = pheap_alloc_block(p, inner, size, gfp & ~__GFP_ZERO);
		if (!obj)
			return NULL;
		pheap_debug_check_reused(p, obj, pheap_csize(inner), caller);
		return pheap_debug_setup(p, obj, pheap_csize(inner), size,
					 usable, gfp, caller);
	}
	order = get_order(usable + PHEAP_RED_MIN + PHEAP_DMETA_BYTES);
	obj = pheap_alloc_large_path(p, usable + PHEAP_RED_MIN +
				     PHEAP_DMETA_BYTES, gfp);
	if (!obj)
		return NULL;
	/* the pages are listed already: odd until set up, for the walk */
	WRITE_ONCE(pheap_dmeta_large(obj, order)->seq, 1);
	return pheap_debug_setup(p, obj, PAGE_SIZE << order, size, usable, gfp,
				 caller);
}

/*
 * Claim a block for this free, before anything is touched: its record
 * must be sound (a corrupt one is refused under F) and say allocated, and
 * this free must turn it to free (seq even to odd, atomically), so that
 * of two frees of one block exactly one goes on and the other touches
 * nothing. Return: true if the free may go on.
 */
static bool pheap_debug_claim(struct pheap *p, void *obj,
			      struct pheap_dmeta *m, size_t bytes, bool live,
			      unsigned long caller)
{
	u32 seq = READ_ONCE(m->seq);

	if (!pheap_dmeta_ok(m, bytes)) {
		if (!live) {
			pheap_report_bad_free(p, obj, "double free", caller);
			return false;
		}
		pheap_report_bad_record(p, obj, caller);
		return !(p->cfg.debug & PHEAP_DEBUG_F);
	}
	if (!live || !seq || seq & 1 || cmpxchg(&m->seq, seq, seq | 1) != seq) {
		pheap_debug_report(p, obj, m, "double free (block already free)",
				   caller, PHEAP_EV_BAD_FREE);
		return false;
	}
	return true;
}

/* A claimed block: check its red zone, note the free, poison or wipe it. */
static void pheap_debug_release(struct pheap *p, void *obj,
				struct pheap_dmeta *m, size_t bytes,
				unsigned long caller)
{
	size_t usable = pheap_dmeta_ok(m, bytes) ? m->usable : 0;

	if (!usable)
		return;			/* a corrupt record: touch nothing */
	if (p->cfg.debug & PHEAP_DEBUG_Z)
		pheap_rz_check(p, obj, m, caller);
	pheap_track_set(&m->free, caller);
	if (p->cfg.debug & PHEAP_DEBUG_P)
		memset(obj, POISON_FREE, usable);
	else if (want_init_on_free())
		memset(obj, 0, usable);
}

/**
 * pheap_debug_free_small() - free a small block in debug mode
 * @p: instance with debug flags
 * @sb: the block's superblock
 * @obj: the block (a block start of @sb, checked)
 * @idx: its index
 * @caller: return address of the caller of the public function
 *
 * Context: as pheap_free_in().
 */
void pheap_debug_free_small(struct pheap *p, struct pheap_sb *sb, void *obj,
			    unsigned int idx, unsigned long caller)
{
	size_t bytes = pheap_csize(sb->cls);
	struct pheap_dmeta *m = pheap_dmeta(obj, bytes);
	bool live;

	/*
	 * The owner's bitmap, read without its lock: a block not live is
	 * surely free; the claim orders racing frees of a live one.
	 */
	live = data_race(test_bit(idx, sb->live)) &&
	       !pheap_sb_remote_freed(sb, idx);
	if (!pheap_debug_claim(p, obj, m, bytes, live, caller))
		return;
	pheap_debug_release(p, obj, m, bytes, caller);
	pheap_free_block(p, sb, obj, idx, caller);
}

/**
 * pheap_debug_free_large() - free a large allocation in debug mode
 * @p: instance with debug flags
 * @tag: its tag
 * @obj: the allocation
 * @caller: return address of the caller of the public function
 *
 * Context: as pheap_free_in().
 */
void pheap_debug_free_large(struct pheap *p, unsigned long tag, void *obj,
			    unsigned long caller)
{
	unsigned int order = pheap_large_order(tag);
	struct pheap_dmeta *m = pheap_dmeta_large(obj, order);

	if (!pheap_debug_claim(p, obj, m, PAGE_SIZE << order, true, caller))
		return;
	pheap_debug_release(p, obj, m, PAGE_SIZE << order, caller);
	if (!pheap_large_free(p, tag, obj))
		pheap_report_bad_free(p, obj, "double free", caller);
}

/**
 * pheap_debug_usable_size() - the usable size of a block in debug mode
 * @obj: a block start or a large allocation of a debug instance
 * @bytes: the block's size, or the large allocation's
 *
 * Context: any.
 * Return: the usable size (kmalloc's), or 0 if the record is unsound.
 */
size_t pheap_debug_usable_size(void *obj, size_t bytes)
{
	const struct pheap_dmeta *m = pheap_dmeta(obj, bytes);

	return pheap_dmeta_ok(m, bytes) ? m->usable : 0;
}

/*
 * Validate walk: a block's red zone, if it is allocated now and stays so
 * during the check. Return: 1 if it was overwritten (and is repaired).
 */
static unsigned int pheap_validate_block(struct pheap *p, void *obj,
					 size_t bytes)
{
	struct pheap_dmeta *m = pheap_dmeta(obj, bytes);
	bool ok;
	u32 seq;

	/* pairs with pheap_debug_setup(): the record is written before */
	seq = smp_load_acquire(&m->seq);
	if (!seq || seq & 1)
		return 0;
	/*
	 * The walk holds the lock a new allocation of the block needs, so the
	 * block can at most be freed meanwhile: the free changes seq (the
	 * result is then dropped) and writes the object, not the zone, but
	 * for its own check's repair of it, with the same bytes.
	 */
	ok = data_race(!pheap_dmeta_ok(m, bytes) ||
		       pheap_bytes_are(obj + m->usable, PHEAP_RED_ZONE,
				       pheap_rz_bytes(obj, m)));
	/* the zone read before seq again */
	smp_rmb();
	if (ok || READ_ONCE(m->seq) != seq)
		return 0;
	return !pheap_rz_check(p, obj, m, 0);
}

struct pheap_validate {
	struct pheap *p;
	unsigned long blocks, bad;
};

/*
 * Every live block of @sb: under its owner's lock, or beside it, in an
 * RCU read section (the live bits read racily then: a block seen live
 * that is freed meanwhile drops out by its record's seq).
 */
static void pheap_validate_sb(struct pheap_validate *v, struct pheap_sb *sb)
{
	size_t bytes = pheap_csize(sb->cls);
	unsigned int idx;

	for (idx = 0; idx < sb->nblocks; idx++) {
		/* racy on purpose when beside the owner: see above */
		if (!data_race(test_bit(idx, sb->live)))
			continue;
		v->blocks++;
		v->bad += pheap_validate_block(v->p, pheap_sb_block(v->p, sb, idx),
					       bytes);
	}
}

static void pheap_validate_groups(struct pheap_validate *v,
				  struct list_head *groups)
{
	struct pheap_sb *sb;
	unsigned int g;

	for (g = 0; g < PHEAP_GROUPS; g++)
		list_for_each_entry(sb, &groups[g], node)
			pheap_validate_sb(v, sb);
}

/*
 * Runs on each online CPU, in process context: its heap, under its lock
 * (which a task always gets: heap.h).
 */
static long pheap_validate_cpu(void *arg)
{
	struct pheap_validate *v = arg;
	struct pheap *p = v->p;
	struct pheap_heap *h;
	unsigned int c;

	h = pheap_heap_trylock(p);
	if (WARN_ON_ONCE(!h))
		return 0;
	for (c = 0; c < PHEAP_NR_CLASSES; c++) {
		if (h->cls[c].active)
			pheap_validate_sb(v, h->cls[c].active);
		pheap_validate_groups(v, h->cls[c].groups);
	}
	pheap_heap_unlock(p, h);
	return 0;
}

/*
 * A global class: its superblocks noted under the class lock (a pointer
 * each, at most @max), then checked without it, in an RCU read section
 * that keeps a superblock released meanwhile allocated (sb.c): no scan
 * of blocks under a raw lock with interrupts off.
 */
static void pheap_validate_gclass(struct pheap_validate *v,
				  struct pheap_global_class *gc,
				  struct pheap_sb **sbs, unsigned long max)
{
	unsigned long flags, n = 0, i;
	struct pheap_sb *sb;
	unsigned int g;

	raw_spin_lock_irqsave(&gc->lock, flags);
	for (g = 0; g < PHEAP_GROUPS; g++)
		list_for_each_entry(sb, &gc->groups[g], node)
			if (n < max)
				sbs[n++] = sb;
	raw_spin_unlock_irqrestore(&gc->lock, flags);
	rcu_read_lock();
	for (i = 0; i < n; i++)
		pheap_validate_sb(v, sbs[i]);
	rcu_read_unlock();
}

static void pheap_validate_global(struct pheap_validate *v)
{
	struct pheap_global_class *gc;
	unsigned long max;
	struct pheap_sb **sbs;
	unsigned int c;
	int nid;

	for_each_node(nid) {
		for (c = 0; c < PHEAP_NR_CLASSES; c++) {
			gc = pheap_gclass(v->p, nid, c);
			/* room for the ones added before the lock is taken */
			max = data_race(READ_ONCE(gc->nr_sb)) + 64;
			sbs = kvmalloc_array(max, sizeof(*sbs), GFP_KERNEL);
			if (!sbs)
				continue;
			pheap_validate_gclass(v, gc, sbs, max);
			kvfree(sbs);
			cond_resched();
		}
	}
}

/*
 * The large allocations: each noted under the large lock with a
 * reference on its pages, then checked without the lock, and the
 * reference dropped (the pages go back then if they were freed
 * meanwhile).
 */
static void pheap_validate_large(struct pheap_validate *v)
{
	struct pheap *p = v->p;
	unsigned long flags, max, n = 0, i;
	struct page *page, **pages;

	/* room for the ones added before the lock is taken */
	max = data_race(READ_ONCE(p->large_nr)) + 64;
	pages = kvmalloc_array(max, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return;
	raw_spin_lock_irqsave(&p->large_lock, flags);
	list_for_each_entry(page, &p->large_pages, lru) {
		if (n == max)
			break;
		get_page(page);
		pages[n++] = page;
	}
	raw_spin_unlock_irqrestore(&p->large_lock, flags);
	for (i = 0; i < n; i++) {
		v->blocks++;
		v->bad += pheap_validate_block(p, page_address(pages[i]),
					       PAGE_SIZE << compound_order(pages[i]));
		put_page(pages[i]);
		cond_resched();
	}
	kvfree(pages);
}

/**
 * pheap_debug_validate() - check the red zone of every allocated block
 * @p: instance
 * @blocks: set to the allocated blocks checked
 *
 * Each overwritten red zone is reported, counted in corruptions and
 * repaired, so it is reported once. Runs on each online CPU in turn for
 * its heap (under its local lock), then the global heap and the large
 * allocations, which it notes under their raw locks and checks without
 * them; callers may go on meanwhile. At most 64 superblocks of a class,
 * or large allocations, added while it allocates its notes are missed.
 *
 * Context: process context, may sleep.
 * Return: the red zones found overwritten; 0 if @p has no red zones.
 */
unsigned long pheap_debug_validate(struct pheap *p, unsigned long *blocks)
{
	struct pheap_validate v = { .p = p };
	int cpu;

	*blocks = 0;
	if (!(p->cfg.debug & PHEAP_DEBUG_Z))
		return 0;
	cpus_read_lock();
	for_each_online_cpu(cpu)
		work_on_cpu(cpu, pheap_validate_cpu, &v);
	cpus_read_unlock();
	pheap_validate_global(&v);
	pheap_validate_large(&v);
	*blocks = v.blocks;
	return v.bad;
}
EXPORT_SYMBOL_GPL(pheap_debug_validate);
