/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pheap reports (report.c): bad frees and corruption, rate-limited and
 * counted.
 */
#ifndef _PHEAP_REPORT_H
#define _PHEAP_REPORT_H

#include <linux/types.h>

struct pheap;

/* report.c */
void pheap_report_bad_free(struct pheap *p, const void *ptr,
			   const char *why, unsigned long caller);
void pheap_report_late_double_free(struct pheap *p, const void *ptr,
				   const char *where);
void pheap_report_corrupt_link(struct pheap *p, const void *ptr,
			       const void *sb, unsigned int size,
			       unsigned int lost);
void pheap_report_corrupt_tag(struct pheap *p, const void *blk);
void pheap_report_corrupt_list(struct pheap *p, const void *blk);

#endif /* _PHEAP_REPORT_H */
