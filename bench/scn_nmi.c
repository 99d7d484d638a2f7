// SPDX-License-Identifier: GPL-2.0
/*
 * pheap_bench: allocation from NMI, pheap_alloc_nolock() under a steady
 * NMI load: pheap only (hoard, and ownership in designs mode, the designs
 * it serves), as kmalloc_nolock() is not in the kernels measured.
 *
 *   nmi	worker 0 allocates and frees without pause, 32 blocks of a
 *		random size (8..512) a bulk call, so that its CPU holds its
 *		heap as much as it can; worker 1, on another
 *		CPU, aims NMIs at worker 0's CPU as NMI IPIs
 *		(apic->send_IPI(cpu, NMI_VECTOR): the TCG guest has no PMU
 *		to raise them as lib/tests/slub_kunit.c does), one at a time,
 *		the next one BENCH_NMI_GAP_US after the last was handled. Each
 *		NMI asks pheap_alloc_nolock() for 64 bytes and frees the block
 *		with pheap_free_in() (done after the NMI, by an irq_work).
 *
 * Metrics: nmis, nolock_ok_pct (of the NMIs' allocations, those that got
 * a block; the target is 99 %), nmi_busy_pct (of the NMIs, those that
 * landed while worker 0's CPU held its heap: pheap's nolock_busy; the
 * target is at least 30 %), nmi_reserve_pct (served from the CPU's
 * reserve). The gap keeps the NMI rate under what would make the guest's
 * RCU stall detector speak: worker 0 runs between any two NMIs.
 */
#include <linux/delay.h>
#include <linux/numa.h>
#include <asm/apic.h>
#include <asm/nmi.h>

#include "bench.h"

#define BENCH_NMI_SLOTS		32	/* blocks per bulk call */
#define BENCH_NMI_GAP_US	20

struct bench_nmi {
	struct pheap *ph;
	unsigned int cpu;		/* worker 0's */
	atomic_t pending;		/* sent, not yet handled */
	bool busy;			/* worker 0 is in its loop */
	bool stop;			/* worker 0 is done */
	unsigned long nmis, got, null;
};

static struct bench_nmi *bench_nmi_state;

static int bench_nmi_handler(unsigned int type, struct pt_regs *regs)
{
	struct bench_nmi *s = READ_ONCE(bench_nmi_state);
	void *obj;

	if (!s || smp_processor_id() != s->cpu ||
	    atomic_dec_if_positive(&s->pending) < 0)
		return NMI_DONE;
	s->nmis++;
	obj = pheap_alloc_nolock_in(s->ph, BENCH_OBJ, 0, NUMA_NO_NODE);
	if (obj) {
		s->got++;
		pheap_free_in(s->ph, obj);
	} else {
		s->null++;
	}
	return NMI_HANDLED;
}

static int nmi_setup(struct bench_ctx *c)
{
	struct bench_nmi *s = kzalloc(sizeof(*s), GFP_KERNEL);
	int err;

	if (!s)
		return -ENOMEM;
	s->ph = c->ba.ph;
	s->cpu = bench_opt.cpus[0];
	c->shared = s;
	WRITE_ONCE(bench_nmi_state, s);
	err = register_nmi_handler(NMI_LOCAL, bench_nmi_handler, 0,
				   "pheap_bench");
	if (err) {
		WRITE_ONCE(bench_nmi_state, NULL);
		kfree(s);
		c->shared = NULL;
	}
	return err;
}

/*
 * Worker 0: the CPU under NMIs, inside pheap's alloc and free paths as
 * much as it can be: BENCH_NMI_SLOTS blocks of one random size allocated
 * with one bulk call (pheap holds its CPU heap across them), then freed
 * with one. An operation is a block allocated and freed.
 */
static void nmi_target(struct bench_worker *w)
{
	struct bench_nmi *s = w->ctx->shared;
	const struct bench_alloc ba = w->ctx->ba;
	u64 i, n = w->ctx->bc->ops;
	u32 size;

	WRITE_ONCE(s->busy, true);
	for (i = 0; i < n; i += BENCH_NMI_SLOTS) {
		size = 8 + bench_below(&w->rnd, 505);
		if (unlikely(!bench_alloc_bulk(&ba, size, BENCH_NMI_SLOTS,
					       w->buf))) {
			w->fails++;
			continue;
		}
		bench_free_bulk(&ba, BENCH_NMI_SLOTS, w->buf);
		bench_yield(i);
	}
	w->ops = i;
	WRITE_ONCE(s->stop, true);
}

/*
 * Worker 1: an NMI at worker 0's CPU whenever the last one was handled,
 * from when worker 0 is in its loop until it is done.
 */
static void nmi_sender(struct bench_worker *w)
{
	struct bench_nmi *s = w->ctx->shared;
	u64 i = 0;

	while (!READ_ONCE(s->stop)) {
		if (READ_ONCE(s->busy) && !atomic_read(&s->pending)) {
			atomic_inc(&s->pending);
			apic->send_IPI(s->cpu, NMI_VECTOR);
		}
		udelay(BENCH_NMI_GAP_US);
		bench_yield(i++);
	}
	w->ops = 0;		/* ns_per_op is worker 0's */
}

static void nmi_body(struct bench_worker *w)
{
	if (w->idx)
		nmi_sender(w);
	else
		nmi_target(w);
}

static void nmi_teardown(struct bench_ctx *c)
{
	struct bench_nmi *s = c->shared;
	const char *cn = c->bc->name;
	struct pheap_stats st;

	if (!s)
		return;
	mdelay(1);		/* an NMI still in flight */
	unregister_nmi_handler(NMI_LOCAL, "pheap_bench");
	WRITE_ONCE(bench_nmi_state, NULL);
	pheap_get_stats(s->ph, &st);
	bench_put(c, cn, "nmis", s->nmis * 1000LL);
	if (s->nmis) {
		bench_put(c, cn, "nolock_ok_pct",
			  div64_s64(100000LL * s->got, s->nmis));
		bench_put(c, cn, "nmi_busy_pct",
			  div64_s64(100000LL * st.ev[PHEAP_EV_NOLOCK_BUSY],
				    s->nmis));
		bench_put(c, cn, "nmi_reserve_pct",
			  div64_s64(100000LL * st.ev[PHEAP_EV_NOLOCK_RESERVE],
				    s->nmis));
	}
	kfree(s);
	c->shared = NULL;
}

static void scn_nmi(void)
{
	struct bench_case bc = {
		.scn = "nmi", .name = "nolock64",
		.nthreads = 2, .ops = bench_opt.ops,
		.wbuf = BENCH_NMI_SLOTS,
		/* the designs pheap_alloc_nolock() serves */
		.only = BIT(BENCH_A_PHEAP) |
			BIT(BENCH_A_DESIGN + PHEAP_DESIGN_HOARD) |
			BIT(BENCH_A_DESIGN + PHEAP_DESIGN_OWNERSHIP),
		.setup = nmi_setup, .body = nmi_body,
		.teardown = nmi_teardown,
	};

	bench_case_run(&bc);
}

/* Run in this order by "all"; harness.c has the list of tables. */
const struct bench_scn bench_scns_nmi[] = {
	{ "nmi", scn_nmi, 2 },
	{ }
};
