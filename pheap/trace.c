// SPDX-License-Identifier: GPL-2.0
/*
 * pheap tracepoints: the pheap:* events are created here; trace.h has
 * their list and fields. Emitting them is the callers' (alloc.c, free.c,
 * sb.c, global.c): this file calls nothing and is called by nothing.
 */
#include <linux/mm.h>
#include <linux/slab.h>

#define CREATE_TRACE_POINTS
#include "trace.h"
