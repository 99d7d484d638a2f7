/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pheap injected faults (fault.c): page requests that fail, and race
 * windows held open for tests.
 */
#ifndef _PHEAP_FAULT_H
#define _PHEAP_FAULT_H

#include <linux/compiler.h>
#include <linux/kconfig.h>
#include <linux/types.h>

struct pheap;

/* fault.c */
int pheap_fault_set(struct pheap *p, unsigned int every, unsigned int percent);
bool pheap_fault_should_fail(struct pheap *p);

/*
 * Race windows: places where a KUnit test may hold a CPU, to widen a
 * window a few instructions wide into one a test can land in. The hook
 * exists in KUnit builds alone; elsewhere a window compiles to nothing.
 */
enum pheap_race_point {
	PHEAP_RACE_REMOTE_FREE,	/* remote.c: after the live bit was read */
};

#if IS_ENABLED(CONFIG_PHEAP_KUNIT_TEST)
extern void (*pheap_race_hook)(enum pheap_race_point point);

static inline void pheap_race_window(enum pheap_race_point point)
{
	void (*hook)(enum pheap_race_point point) = READ_ONCE(pheap_race_hook);

	if (unlikely(hook))
		hook(point);
}
#else
static inline void pheap_race_window(enum pheap_race_point point) { }
#endif

#endif /* _PHEAP_FAULT_H */
