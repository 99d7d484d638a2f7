/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pheap remote frees (remote.c).
 */
#ifndef _PHEAP_REMOTE_H
#define _PHEAP_REMOTE_H

#include <linux/llist.h>
#include <linux/types.h>

struct pheap;
struct pheap_sb;
struct list_head;

/* remote.c */
bool pheap_remote_free(struct pheap *p, struct pheap_sb *sb, unsigned int idx);
bool pheap_remote_rcu_claim(struct pheap *p, struct pheap_sb *sb,
			    unsigned int idx);
void pheap_remote_rcu_done(struct pheap *p, struct pheap_sb *sb,
			   unsigned int idx);
void pheap_remote_queue(struct pheap *p, struct pheap_sb *sb);
struct pheap_sb *pheap_remote_pop(struct pheap *p, struct llist_head *list,
				  struct llist_node **pending,
				  struct list_head *release);
unsigned int pheap_remote_collect(struct pheap *p, struct pheap_sb *sb);

#endif /* _PHEAP_REMOTE_H */
