/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pheap free-list links: one encoding, one check, for every design.
 *
 * A free block's first 8 bytes name the next free block of its list.
 * The name, the payload, is the block's index in its superblock (hoard
 * and the single-heap designs, whose lists stay in one superblock) or its
 * address (private, whose lists cross superblocks: pheap_link_addr()).
 * It is stored as
 *
 *	key ^ (payload << 16 | (fold(payload) ^ salt))
 *
 * where fold() XORs a word's 16-bit pieces together, @key is random (per
 * superblock, or per instance) and @salt names where the link is stored
 * (the block's own index, or its address folded). A link is good when the
 * fold of the decoded word is the salt: a good link's is, by
 * construction, and a change E to the stored word changes the decoded
 * word's fold by fold(E). What that catches, before the link is followed:
 *
 *  - every write of 1 or 2 bytes anywhere in the link, whatever its
 *    value: it changes at most 16 consecutive bits, each of which lands
 *    on a different bit of the fold, so fold(E) is never 0;
 *  - a write of 4 or 8 bytes, all but once in 2^16: what was there is
 *    random to the writer (the key), so fold(E) is too;
 *  - a good link copied from another block: its salt was another.
 *
 * A link that passes names a payload its caller still checks: an index
 * in range, or the address of a block of the instance and class; and
 * the block it names must not be live when it is taken.
 */
#ifndef _PHEAP_LINK_H
#define _PHEAP_LINK_H

#include <linux/bits.h>
#include <linux/compiler.h>
#include <linux/mm.h>
#include <linux/types.h>

/* Payload bits: the high 48 bits of the link. */
#define PHEAP_LINK_PAYLOAD_BITS	48
#define PHEAP_LINK_CHECK_BITS	16
/* What pheap_link_decode() returns for a link that fails the check. */
#define PHEAP_LINK_BAD		U64_MAX

/* The XOR of @w's four 16-bit pieces. */
static __always_inline u16 pheap_link_fold(u64 w)
{
	w ^= w >> 32;
	w ^= w >> 16;
	return (u16)w;
}

/* The link naming @payload (< 2^48), stored where @salt names. */
static __always_inline u64 pheap_link_encode(u64 key, u16 salt, u64 payload)
{
	u16 check = pheap_link_fold(payload) ^ salt;

	return key ^ (payload << PHEAP_LINK_CHECK_BITS | check);
}

/*
 * The payload the link @word, stored where @salt names, names; or
 * PHEAP_LINK_BAD, above every payload, when it fails the check.
 */
static __always_inline u64 pheap_link_decode(u64 key, u16 salt, u64 word)
{
	u64 w = word ^ key;

	return pheap_link_fold(w) == salt ? w >> PHEAP_LINK_CHECK_BITS :
					    PHEAP_LINK_BAD;
}

/*
 * An address of the direct map as a payload, and back: blocks are 8-byte
 * aligned, so 48 bits cover 2 PiB of it (pheap_link_addr_ok()), and the
 * highest payload stands for NULL.
 */
#define PHEAP_LINK_NULL		(BIT_ULL(PHEAP_LINK_PAYLOAD_BITS) - 1)

static inline u64 pheap_link_from_addr(const void *addr)
{
	return addr ? ((unsigned long)addr - PAGE_OFFSET) >> 3 :
		      PHEAP_LINK_NULL;
}

/* The address @payload names; NULL for PHEAP_LINK_NULL. */
static inline void *pheap_link_addr(u64 payload)
{
	return payload != PHEAP_LINK_NULL ?
	       (void *)(PAGE_OFFSET + (unsigned long)(payload << 3)) : NULL;
}

/* Does every address of the direct map have a payload of its own? */
static inline bool pheap_link_addr_ok(void)
{
	return ((unsigned long)high_memory - PAGE_OFFSET) >> 3 <
	       PHEAP_LINK_NULL;
}

#endif /* _PHEAP_LINK_H */
