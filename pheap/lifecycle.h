/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pheap instances' life (lifecycle.c): the core's set-up and the module's
 * default instance.
 */
#ifndef _PHEAP_LIFECYCLE_H
#define _PHEAP_LIFECYCLE_H

#include <linux/types.h>

struct pheap;

/* lifecycle.c */
int pheap_core_init(void);
void pheap_core_exit(void);
void pheap_set_default(struct pheap *p);
extern struct pheap *pheap_default_instance;

#endif /* _PHEAP_LIFECYCLE_H */
