/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pheap injected page-request failures (fault.c).
 */
#ifndef _PHEAP_FAULT_H
#define _PHEAP_FAULT_H

#include <linux/types.h>

struct pheap;

/* fault.c */
int pheap_fault_set(struct pheap *p, unsigned int every, unsigned int percent);
bool pheap_fault_should_fail(struct pheap *p);

#endif /* _PHEAP_FAULT_H */
