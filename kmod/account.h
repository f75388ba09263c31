/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where one counted event goes: the process that owns the memory, the thread
 * when it is that process's own, the regions it registered, and the mapping's
 * bucket (maps.c). Inline: the probe handlers (faults.c) call these a few
 * times per fault, under RCU.
 */
#ifndef _COWPROBE_ACCOUNT_H
#define _COWPROBE_ACCOUNT_H

#include <linux/atomic.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include "cowprobe.h"

/*
 * Count one event of class c at addr for the process that owns the memory
 * (t->proc, or the target of a remote fault) and, when local, for the thread:
 * delta (+1, or -1 to move a fault out of its provisional class) in the
 * owner's first nreg regions. Runs in probe handlers under RCU: no locks, no
 * allocation.
 */
static inline void cp_account_in(struct cp_thread *t, struct cp_proc *owner,
				 struct cp_map *m, unsigned long addr,
				 enum cowprobe_counter c, int delta,
				 unsigned int nreg)
{
	unsigned int i;

	if (t && t->proc == owner)
		atomic64_add(delta, &t->cnt.c[c]);
	atomic64_add(delta, &owner->cnt.c[c]);
	if (m)
		atomic64_add(delta, &m->cnt.c[c]);
	for (i = 0; i < nreg; i++) {
		struct cp_region *r = &owner->regions[i];

		/* faults are per page: count the pages the region touches */
		if (addr + PAGE_SIZE > r->start && addr < r->end)
			atomic64_add(delta, &r->cnt.c[c]);
	}
}

/* The regions a fault is counted in, fixed when it starts. */
static inline unsigned int cp_nr_regions(struct cp_proc *owner)
{
	/* pairs with the release in cp_region_add: entries below n are set */
	return smp_load_acquire(&owner->nr_regions);
}

static inline void cp_account(struct cp_thread *t, struct cp_proc *owner,
			      struct cp_map *m, unsigned long addr,
			      enum cowprobe_counter c)
{
	cp_account_in(t, owner, m, addr, c, 1, cp_nr_regions(owner));
}

/*
 * The handlers every tracked fault runs (do_wp_page's, the copy's and the
 * reuse's) read the records as RCU-sched readers: a section with preemption
 * off is an RCU read-side one for call_rcu() (track.c frees records so)
 * since the flavours were merged in 4.20, and lockdep knows it. A kprobe
 * handler has preemption off already, an ftrace callback (fentry.c) may
 * not: this turns it off for the cost of a preempt count, where
 * rcu_read_lock() is two calls on the kernels of PREEMPT_RCU (Debian's).
 */
static __always_inline void cp_fault_rcu_lock(void)
{
	rcu_read_lock_sched_notrace();
}

static __always_inline void cp_fault_rcu_unlock(void)
{
	rcu_read_unlock_sched_notrace();
}

#endif /* _COWPROBE_ACCOUNT_H */
