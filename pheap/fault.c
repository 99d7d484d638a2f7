// SPDX-License-Identifier: GPL-2.0
/*
 * pheap fault injection: page requests that fail on purpose.
 *
 * Debian's stock kernels are built without the kernel's fault-injection
 * framework (CONFIG_FAULT_INJECTION, failslab, fail_page_alloc), so pheap
 * has its own, per instance, set in debugfs:
 *
 *   fail_every    N > 0: every Nth page request of the instance fails
 *   fail_percent  P in 0..100: a request fails with probability P %
 *
 * (0 turns either off; both may be on). A page request is a new
 * superblock (its pages and its descriptor) or a large allocation: every
 * place pheap calls the page allocator or kmalloc. An injected failure
 * looks to pheap exactly like the allocator's own NULL and is counted in
 * faults_injected. The KUnit suite pheap_fault checks that each one
 * becomes a NULL for the caller or a clean fallback.
 *
 * Off (both 0) it costs one read of each setting per page request; the
 * fast paths never get here.
 *
 * Context: any; lock free.
 */
#include <linux/atomic.h>
#include <linux/random.h>

#include "fault.h"
#include "heap.h"
#include "instance.h"

#if IS_ENABLED(CONFIG_PHEAP_KUNIT_TEST)
/* Set by a test, run at each race window (fault.h). */
void (*pheap_race_hook)(enum pheap_race_point point);
#endif

/**
 * pheap_fault_set() - set an instance's injected failures
 * @p: instance
 * @every: fail every @every-th page request; 0: never
 * @percent: fail a request with this probability, 0..100
 *
 * Context: any.
 * Return: 0, or -EINVAL for @percent above 100.
 */
int pheap_fault_set(struct pheap *p, unsigned int every, unsigned int percent)
{
	if (percent > 100)
		return -EINVAL;
	WRITE_ONCE(p->fault.every, every);
	WRITE_ONCE(p->fault.percent, percent);
	atomic_set(&p->fault.requests, 0);
	return 0;
}

/**
 * pheap_fault_should_fail() - should this page request fail?
 * @p: instance
 *
 * Counts an injected failure in faults_injected.
 *
 * Context: any.
 * Return: true to fail it.
 */
bool pheap_fault_should_fail(struct pheap *p)
{
	unsigned int every = READ_ONCE(p->fault.every);
	unsigned int percent = READ_ONCE(p->fault.percent);

	if (likely(!every && !percent))
		return false;
	if ((every && atomic_inc_return(&p->fault.requests) % every == 0) ||
	    (percent && get_random_u32_below(100) < percent)) {
		this_cpu_inc(p->cpu_heaps->ev[PHEAP_EV_FAULT]);
		return true;
	}
	return false;
}
