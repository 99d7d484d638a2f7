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
 *   Z  red zones: the bytes before the object and after its usable size
 *	are filled with PHEAP_RED_ZONE, checked on free and by the debugfs
 *	validate file (pheap_debug_validate())
 *   P  poisoning: a freed block is filled with POISON_FREE, checked when
 *	the block is next handed out; a write after free is reported
 *   U  caller tracking: the allocation's and the last free's caller
 *	(%pS), CPU, pid and age, printed in every report, as SLUB's
 *	"Object already free" report does (any debug mode records them;
 *	without U a report of a write after free prints the free only)
 *
 * Layout. Off, a block is its class's size and nothing more. On, a
 * request is served from a larger class, the inner class, so that the
 * block holds a left red zone, the object (the usable size kmalloc would
 * give: the class of the request), a right red zone (each at least
 * PHEAP_RED_MIN bytes), then the block's record (struct pheap_dmeta) in
 * its last 64 bytes:
 *
 *	| left zone | object: usable size | right zone | record |
 *	^ block     ^ the pointer the caller gets
 *
 * The left zone and the inner class are multiples of the usable size's
 * natural alignment, so power-of-two sizes stay naturally aligned, and
 * pheap_usable_size() returns the usable size: kmalloc's rules hold with
 * debug on. The left zone's size belongs to the inner class
 * (p->debug_left[], chosen at creation), so a free finds the block from
 * pheap's own metadata, never from the block. While the block is free its
 * first 8 bytes, in the left zone, hold the free-list link, so poisoning
 * covers every byte of the object.
 *
 * Requests whose usable size no class can hold so (2048 and 4096 bytes)
 * and large ones take a compound page, the record at its end. One of a
 * usable size below a page is inset (pheap_alloc_large_inset(), marked in
 * its tag): the object starts a quarter of the way in, in the head page,
 * which keeps it aligned as its size. Page-sized and larger objects start
 * at the page, with no left zone: one that kept their alignment would
 * double their pages again, and SLUB red-zones no page-sized kmalloc at
 * all. Statistics count the inner classes.
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
 * @usable: the object's size: the right red zone starts after it
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

/*
 * Where a debug block's parts are: from pheap's own metadata (the inner
 * class, or the large allocation's tag), never from the block.
 */
struct pheap_dblock {
	void *start;		/* the block, or the large allocation */
	size_t bytes;		/* its size: the record is in its last bytes */
	unsigned int left;	/* left red zone: the object starts after it */
};

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

/* The smallest left red zone that keeps an object of @usable aligned. */
static unsigned int pheap_left_need(unsigned int usable)
{
	return ALIGN(PHEAP_RED_MIN, pheap_natural_align(usable));
}

/*
 * Can blocks of class @i, whose left zone is @left (0: not chosen yet),
 * hold an object of @usable bytes aligned, both red zones and a record?
 */
static bool pheap_debug_fits(unsigned int i, unsigned int left,
			     unsigned int usable)
{
	unsigned int align = pheap_natural_align(usable);

	if (!left)
		left = pheap_left_need(usable);
	return !(left % align) && !(pheap_csize(i) % align) &&
	       left + usable + PHEAP_RED_MIN + PHEAP_DMETA_BYTES <=
	       pheap_csize(i);
}

/**
 * pheap_debug_init() - the inner class of every class, for debug mode
 * @p: instance being created
 *
 * For each class (as a usable size), smallest first, the smallest class
 * that holds it, both red zones and a record, keeping it aligned, with
 * the left zone the first class mapped there chose; or PHEAP_NR_CLASSES
 * for none (the request takes pages).
 *
 * Context: pheap_create().
 */
void pheap_debug_init(struct pheap *p)
{
	unsigned int c, i, usable;

	memset(p->debug_left, 0, sizeof(p->debug_left));
	for (c = 0; c < PHEAP_NR_CLASSES; c++) {
		usable = pheap_csize(c);
		p->debug_cls[c] = PHEAP_NR_CLASSES;
		for (i = c; i < PHEAP_NR_CLASSES; i++) {
			if (!pheap_debug_fits(i, p->debug_left[i], usable))
				continue;
			if (!p->debug_left[i])
				p->debug_left[i] = pheap_left_need(usable);
			p->debug_cls[c] = i;
			break;
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

/* Block @start of inner class @inner. */
static void pheap_dblock_small(const struct pheap *p, struct pheap_dblock *b,
			       void *start, unsigned int inner)
{
	b->start = start;
	b->bytes = pheap_csize(inner);
	b->left = p->debug_left[inner];
}

/* The large allocation at @start of order @order, inset or not. */
static void pheap_dblock_pages(struct pheap_dblock *b, void *start,
			       unsigned int order, bool inset)
{
	b->start = start;
	b->bytes = PAGE_SIZE << order;
	b->left = inset ? b->bytes / 4 : 0;
}

static void *pheap_dobj(const struct pheap_dblock *b)
{
	return b->start + b->left;
}

static struct pheap_dmeta *pheap_dmeta(const struct pheap_dblock *b)
{
	return b->start + b->bytes - PHEAP_DMETA_BYTES;
}

/* Bytes of the right red zone of block @b, whose record is @m. */
static size_t pheap_rz_bytes(const struct pheap_dblock *b,
			     const struct pheap_dmeta *m)
{
	return (void *)m - pheap_dobj(b) - m->usable;
}

/* Is the record @m of block @b sound? */
static bool pheap_dmeta_ok(const struct pheap_dmeta *m,
			   const struct pheap_dblock *b)
{
	return m->magic == PHEAP_DMETA_MAGIC && m->size <= m->usable &&
	       b->left + m->usable + PHEAP_RED_MIN + PHEAP_DMETA_BYTES <=
	       b->bytes;
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
 * Repair block @b's left zone. Its first word is set back by a compare
 * and exchange from what the check read there (@first), so that a free
 * which wrote its free-list link there meanwhile (the validate walk runs
 * beside frees) keeps it; the rest no free writes.
 */
static void pheap_left_repair(const struct pheap_dblock *b,
			      unsigned long first)
{
	memset(b->start + sizeof(first), PHEAP_RED_ZONE,
	       b->left - sizeof(first));
	cmpxchg((unsigned long *)b->start, first, REPEAT_BYTE(PHEAP_RED_ZONE));
}

/*
 * Check both red zones of block @b, report and repair them if
 * overwritten. Return: true if they were intact.
 */
static bool pheap_rz_check(struct pheap *p, const struct pheap_dblock *b,
			   struct pheap_dmeta *m, unsigned long caller)
{
	unsigned long first = b->left ? READ_ONCE(*(unsigned long *)b->start) : 0;
	void *obj = pheap_dobj(b);
	size_t right = pheap_rz_bytes(b, m);
	bool left_ok, right_ok;

	left_ok = pheap_bytes_are(b->start, PHEAP_RED_ZONE, b->left);
	right_ok = pheap_bytes_are(obj + m->usable, PHEAP_RED_ZONE, right);
	if (left_ok && right_ok)
		return true;
	pheap_debug_report(p, obj, m, right_ok ?
			   "left red zone overwritten (a write before the start)" :
			   "red zone overwritten (a write past the end)",
			   caller, PHEAP_EV_CORRUPT);
	if (!right_ok)
		memset(obj + m->usable, PHEAP_RED_ZONE, right);
	if (!left_ok)
		pheap_left_repair(b, first);
	return false;
}

/* Block @b was just handed out for @size bytes: set it up. */
static void *pheap_debug_setup(struct pheap *p, const struct pheap_dblock *b,
			       size_t size, size_t usable, gfp_t gfp,
			       unsigned long caller)
{
	struct pheap_dmeta *m = pheap_dmeta(b);
	void *obj = pheap_dobj(b);
	u32 seq = m->seq;

	m->magic = PHEAP_DMETA_MAGIC;
	m->size = size;
	m->usable = usable;
	pheap_track_set(&m->alloc, caller);
	memset(b->start, PHEAP_RED_ZONE, b->left);
	if (want_init_on_alloc(gfp) || want_init_on_free())
		memset(obj, 0, usable);
	memset(obj + usable, PHEAP_RED_ZONE, pheap_rz_bytes(b, m));
	/* even, allocated: the walk reads the zones and record after this */
	smp_store_release(&m->seq, (seq | 1) + 1);
	return obj;
}

/*
 * Before a small block is set up again: its record must be sound or
 * never written (F), and the object its last free poisoned untouched (P).
 */
static void pheap_debug_check_reused(struct pheap *p,
				     const struct pheap_dblock *b,
				     unsigned long caller)
{
	struct pheap_dmeta *m = pheap_dmeta(b);
	void *obj = pheap_dobj(b);

	if (!m->seq)
		return;			/* never allocated: fresh pages */
	if (!pheap_dmeta_ok(m, b)) {
		if (p->cfg.debug & PHEAP_DEBUG_F)
			pheap_report_bad_record(p, obj, caller);
		return;
	}
	if (p->cfg.debug & PHEAP_DEBUG_P &&
	    !pheap_bytes_are(obj, POISON_FREE, m->usable))
		pheap_debug_report(p, obj, m, "write after free", caller,
				   PHEAP_EV_CORRUPT);
}

/*
 * A request no class can hold with its zones: a compound page, the
 * record at its end. An object below a page is inset a quarter of the
 * way in, its left zone: such a usable size is a power of two (2048 or
 * 4096, or a page multiple), the allocation is more than twice it, so at
 * least four times it, and a quarter of it is a multiple of the object's
 * alignment, holds it, and stays in the head page.
 */
static void *pheap_debug_alloc_pages(struct pheap *p, size_t size,
				     size_t usable, gfp_t gfp,
				     unsigned long caller)
{
	size_t extra = PHEAP_RED_MIN + PHEAP_DMETA_BYTES;
	bool inset = usable < PAGE_SIZE;
	struct pheap_dblock b;
	void *start;

	if (inset)
		start = pheap_alloc_large_inset(p, 2 * usable + extra, gfp);
	else
		start = pheap_alloc_large_path(p, usable + extra, gfp,
					       numa_mem_id());
	if (!start)
		return NULL;
	pheap_dblock_pages(&b, start, get_order(inset ? 2 * usable + extra :
						usable + extra), inset);
	/* the pages are listed already: odd until set up, for the walk */
	WRITE_ONCE(pheap_dmeta(&b)->seq, 1);
	return pheap_debug_setup(p, &b, size, usable, gfp, caller);
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
	unsigned int cls, inner;
	struct pheap_dblock b;
	size_t usable;
	void *start;

	if (size <= PHEAP_MAX_SMALL) {
		cls = pheap_size_to_class(size);
		usable = pheap_csize(cls);
		inner = p->debug_cls[cls];
	} else if (size <= PAGE_SIZE << PHEAP_MAX_PAGE_ORDER) {
		usable = PAGE_SIZE << get_order(size);
		inner = PHEAP_NR_CLASSES;
	} else {
		/* no order serves it: refused, warned about and counted there */
		return pheap_alloc_large_path(p, size, gfp, numa_mem_id());
	}
	if (inner == PHEAP_NR_CLASSES)
		return pheap_debug_alloc_pages(p, size, usable, gfp, caller);
	start = pheap_alloc_block(p, inner, size, gfp & ~__GFP_ZERO);
	if (!start)
		return NULL;
	pheap_dblock_small(p, &b, start, inner);
	pheap_debug_check_reused(p, &b, caller);
	return pheap_debug_setup(p, &b, size, usable, gfp, caller);
}

/*
 * Claim block @b for this free, before anything is touched: its record
 * must be sound (a corrupt one is refused under F) and say allocated, and
 * this free must turn it to free (seq even to odd, atomically), so that
 * of two frees of one block exactly one goes on and the other touches
 * nothing. Return: true if the free may go on.
 */
static bool pheap_debug_claim(struct pheap *p, const struct pheap_dblock *b,
			      bool live, unsigned long caller)
{
	struct pheap_dmeta *m = pheap_dmeta(b);
	void *obj = pheap_dobj(b);
	u32 seq = READ_ONCE(m->seq);

	if (!pheap_dmeta_ok(m, b)) {
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

/* A claimed block: check its red zones, note the free, poison or wipe it. */
static void pheap_debug_release(struct pheap *p, const struct pheap_dblock *b,
				unsigned long caller)
{
	struct pheap_dmeta *m = pheap_dmeta(b);
	size_t usable = pheap_dmeta_ok(m, b) ? m->usable : 0;

	if (!usable)
		return;			/* a corrupt record: touch nothing */
	if (p->cfg.debug & PHEAP_DEBUG_Z)
		pheap_rz_check(p, b, m, caller);
	pheap_track_set(&m->free, caller);
	if (p->cfg.debug & PHEAP_DEBUG_P)
		memset(pheap_dobj(b), POISON_FREE, usable);
	else if (want_init_on_free())
		memset(pheap_dobj(b), 0, usable);
}

/*
 * The block of @sb whose object @ptr is, from the left zone of its inner
 * class: its index, -1 for none.
 */
static int pheap_debug_block_index(const struct pheap *p,
				   const struct pheap_sb *sb, const void *ptr)
{
	unsigned int inner = READ_ONCE(sb->cls);

	if (inner >= PHEAP_NR_CLASSES || !p->debug_left[inner])
		return -1;
	return pheap_sb_block_index(p, sb, ptr - p->debug_left[inner]);
}

/**
 * pheap_debug_free_small() - free a small block in debug mode
 * @p: instance with debug flags
 * @sb: the superblock @ptr is in (pheap_sb_lookup())
 * @ptr: the pointer freed
 * @caller: return address of the caller of the public function
 *
 * A pointer that is not an object of @sb is reported and left alone.
 *
 * Context: as pheap_free_in(), in a superblock read section.
 */
void pheap_debug_free_small(struct pheap *p, struct pheap_sb *sb,
			    const void *ptr, unsigned long caller)
{
	int idx = pheap_debug_block_index(p, sb, ptr);
	struct pheap_dblock b;
	bool live;

	if (idx < 0) {
		pheap_report_bad_free(p, ptr, "not a block of this heap",
				      caller);
		return;
	}
	pheap_dblock_small(p, &b, pheap_sb_block(p, sb, idx), sb->cls);
	/*
	 * The owner's bitmap, read without its lock: a block not live is
	 * surely free; the claim orders racing frees of a live one.
	 */
	live = data_race(test_bit(idx, sb->live)) &&
	       !pheap_sb_remote_freed(sb, idx);
	if (!pheap_debug_claim(p, &b, live, caller))
		return;
	pheap_debug_release(p, &b, caller);
	pheap_free_block(p, sb, b.start, idx, caller);
}

/* The large allocation whose object @ptr is, from its tag @tag. */
static bool pheap_debug_large_block(struct pheap_dblock *b, const void *ptr,
				    unsigned long tag)
{
	pheap_dblock_pages(b, NULL, pheap_large_order(tag),
			   pheap_large_inset(tag));
	b->start = (void *)ptr - b->left;
	return PAGE_ALIGNED(b->start);
}

/**
 * pheap_debug_free_large() - free a large allocation in debug mode
 * @p: instance with debug flags, the owner @tag records
 * @tag: the tag of the page @ptr is in
 * @ptr: the pointer freed
 * @caller: return address of the caller of the public function
 *
 * A pointer that is not the allocation's object is reported and left
 * alone.
 *
 * Context: as pheap_free_in().
 */
void pheap_debug_free_large(struct pheap *p, unsigned long tag,
			    const void *ptr, unsigned long caller)
{
	struct pheap_dblock b;

	if (!pheap_debug_large_block(&b, ptr, tag)) {
		pheap_report_bad_free(p, ptr, "not allocated by pheap, or already freed",
				      caller);
		return;
	}
	if (!pheap_debug_claim(p, &b, true, caller))
		return;
	pheap_debug_release(p, &b, caller);
	if (!pheap_large_free(p, tag, b.start))
		pheap_report_bad_free(p, ptr, "double free", caller);
}

/**
 * pheap_debug_rcu_claim() - claim an object for pheap_free_rcu() in debug
 *			     mode
 * @p: instance with debug flags
 * @sb: the superblock @ptr is in, or NULL for a large allocation
 * @tag: the tag of @ptr's page (pheap_sb_lookup())
 * @ptr: the pointer freed
 * @caller: return address of the caller of the public function
 *
 * A free's claim (the record's seq turned odd) and its caller noted, in
 * the block's record, after the right red zone: the object is not
 * touched. Its zones are checked and it is poisoned a grace period
 * later, in pheap_debug_rcu_done() or pheap_debug_rcu_done_large().
 *
 * Context: as pheap_free_in(), in a superblock read section.
 * Return: the block's first byte, or NULL for a pointer refused (reported).
 */
void *pheap_debug_rcu_claim(struct pheap *p, struct pheap_sb *sb,
			    unsigned long tag, const void *ptr,
			    unsigned long caller)
{
	struct pheap_dblock b;
	bool live = true;
	int idx;

	if (sb) {
		idx = pheap_debug_block_index(p, sb, ptr);
		if (idx < 0) {
			pheap_report_bad_free(p, ptr, "not a block of this heap",
					      caller);
			return NULL;
		}
		pheap_dblock_small(p, &b, pheap_sb_block(p, sb, idx), sb->cls);
		/* racy, as in pheap_debug_free_small(): the claim orders */
		live = data_race(test_bit(idx, sb->live)) &&
		       !pheap_sb_remote_freed(sb, idx);
	} else if (!tag || pheap_large_owner(tag) != p ||
		   !pheap_debug_large_block(&b, ptr, tag)) {
		pheap_report_bad_free(p, ptr, "not allocated by pheap, or already freed",
				      caller);
		return NULL;
	}
	if (!pheap_debug_claim(p, &b, live, caller))
		return NULL;
	if (pheap_dmeta_ok(pheap_dmeta(&b), &b))
		pheap_track_set(&pheap_dmeta(&b)->free, caller);
	return b.start;
}

/* The caller pheap_debug_rcu_claim() noted in @b's record, if sound. */
static unsigned long pheap_debug_rcu_caller(const struct pheap_dblock *b)
{
	const struct pheap_dmeta *m = pheap_dmeta(b);

	return pheap_dmeta_ok(m, b) ? m->free.caller : 0;
}

/**
 * pheap_debug_rcu_done() - free a small block pheap_debug_rcu_claim()
 *			    claimed
 * @p: instance with debug flags
 * @sb: its superblock
 * @idx: its index in @sb
 *
 * Context: a grace period after the claim, in a superblock read section.
 */
void pheap_debug_rcu_done(struct pheap *p, struct pheap_sb *sb,
			  unsigned int idx)
{
	struct pheap_dblock b;
	unsigned long caller;

	pheap_dblock_small(p, &b, pheap_sb_block(p, sb, idx), sb->cls);
	caller = pheap_debug_rcu_caller(&b);
	pheap_debug_release(p, &b, caller);
	pheap_free_block(p, sb, b.start, idx, caller);
}

/**
 * pheap_debug_rcu_done_large() - free a large allocation
 *				  pheap_debug_rcu_claim() claimed
 * @p: instance with debug flags
 * @page: its head page, still tagged
 *
 * Context: a grace period after the claim.
 */
void pheap_debug_rcu_done_large(struct pheap *p, struct page *page)
{
	unsigned long tag = page_private(page), caller;
	struct pheap_dblock b;

	pheap_dblock_pages(&b, page_address(page), pheap_large_order(tag),
			   pheap_large_inset(tag));
	caller = pheap_debug_rcu_caller(&b);
	pheap_debug_release(p, &b, caller);
	if (!pheap_large_free(p, tag, b.start))
		pheap_report_bad_free(p, pheap_dobj(&b), "double free", caller);
}

/**
 * pheap_debug_usable_size() - the usable size of an object in debug mode
 * @p: instance with debug flags
 * @sb: the superblock @ptr is in, or NULL (pheap_sb_lookup())
 * @tag: the tag of @ptr's page (pheap_sb_lookup())
 * @ptr: the pointer
 *
 * Context: any, in a superblock read section.
 * Return: the usable size (kmalloc's), or 0 if @ptr is no object of @p
 * or its record is unsound.
 */
size_t pheap_debug_usable_size(struct pheap *p, const struct pheap_sb *sb,
			       unsigned long tag, const void *ptr)
{
	struct pheap_dblock b;
	struct pheap_dmeta *m;
	int idx;

	if (sb) {
		idx = pheap_debug_block_index(p, sb, ptr);
		if (idx < 0)
			return 0;
		pheap_dblock_small(p, &b, pheap_sb_block(p, sb, idx), sb->cls);
	} else if (!tag || pheap_large_owner(tag) != p ||
		   !pheap_debug_large_block(&b, ptr, tag)) {
		return 0;
	}
	m = pheap_dmeta(&b);
	return pheap_dmeta_ok(m, &b) ? m->usable : 0;
}

/*
 * Validate walk: a block's red zones, if it is allocated now and stays so
 * during the check. Return: 1 if one was overwritten (and is repaired).
 */
static unsigned int pheap_validate_block(struct pheap *p,
					 const struct pheap_dblock *b)
{
	struct pheap_dmeta *m = pheap_dmeta(b);
	bool ok;
	u32 seq;

	/* pairs with pheap_debug_setup(): the record is written before */
	seq = smp_load_acquire(&m->seq);
	if (!seq || seq & 1)
		return 0;
	/*
	 * The block can be freed meanwhile: the free changes seq (the result
	 * is then dropped), writes the object, the zones only for its own
	 * check's repair of them, with the same bytes, and then its link
	 * into the left zone's first word, which a repair here leaves alone
	 * (pheap_left_repair()).
	 */
	ok = data_race(!pheap_dmeta_ok(m, b) ||
		       (pheap_bytes_are(b->start, PHEAP_RED_ZONE, b->left) &&
			pheap_bytes_are(pheap_dobj(b) + m->usable,
					PHEAP_RED_ZONE, pheap_rz_bytes(b, m))));
	/* the zones read before seq again */
	smp_rmb();
	if (ok || READ_ONCE(m->seq) != seq)
		return 0;
	return !pheap_rz_check(p, b, m, 0);
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
	struct pheap_dblock b;
	unsigned int idx;

	for (idx = 0; idx < sb->nblocks; idx++) {
		/* racy on purpose when beside the owner: see above */
		if (!data_race(test_bit(idx, sb->live)))
			continue;
		v->blocks++;
		pheap_dblock_small(v->p, &b, pheap_sb_block(v->p, sb, idx),
				   sb->cls);
		v->bad += pheap_validate_block(v->p, &b);
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

/* A large allocation the walk noted: its head page and its tag then. */
struct pheap_noted_large {
	struct page *page;
	unsigned long tag;
};

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
	struct pheap_noted_large *noted;
	struct pheap_dblock b;
	struct page *page;

	/* room for the ones added before the lock is taken */
	max = data_race(READ_ONCE(p->large_nr)) + 64;
	noted = kvmalloc_array(max, sizeof(*noted), GFP_KERNEL);
	if (!noted)
		return;
	raw_spin_lock_irqsave(&p->large_lock, flags);
	list_for_each_entry(page, &p->large_pages, lru) {
		if (n == max)
			break;
		get_page(page);
		noted[n].page = page;
		noted[n++].tag = page_private(page);
	}
	raw_spin_unlock_irqrestore(&p->large_lock, flags);
	for (i = 0; i < n; i++) {
		v->blocks++;
		pheap_dblock_pages(&b, page_address(noted[i].page),
				   pheap_large_order(noted[i].tag),
				   pheap_large_inset(noted[i].tag));
		v->bad += pheap_validate_block(p, &b);
		put_page(noted[i].page);
		cond_resched();
	}
	kvfree(noted);
}

/**
 * pheap_debug_validate() - check the red zones of every allocated block
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
