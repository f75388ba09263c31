// SPDX-License-Identifier: GPL-2.0
/*
 * Exit records, made in process context. When the last thread of a process
 * exits, lifecycle.c only queues its record here (if anyone listens) and
 * kicks cp_exit_work, which hands the records to the sink netlink.c
 * registered, one at a time in queue order, so that their sequence numbers
 * follow the order of the exits. A queued record is marked CP_PROC_QUEUED
 * and stays allocated until its exit record is made (track.c frees it then,
 * if it was deleted meanwhile). Each queued record holds a pool slot, so the
 * queue never holds more than max_procs.
 */
#include <linux/list.h>
#include <linux/workqueue.h>
#include "cowprobe.h"

static LIST_HEAD(cp_exit_list);
static const struct cp_exit_sink *cp_sink;

/* Set once the family is registered; NULL before it goes. */
void cp_exits_set_sink(const struct cp_exit_sink *sink)
{
	/* pairs with the acquire in cp_exit_wanted() */
	smp_store_release(&cp_sink, sink);
}

/* Whether an exit record would reach anyone; any context. */
bool cp_exit_wanted(void)
{
	/* pairs with the release in cp_exits_set_sink(): the family is set up */
	const struct cp_exit_sink *sink = smp_load_acquire(&cp_sink);

	return sink && sink->wanted();
}

/* Under cp_lock: queues p's exit record if anyone listens. */
bool cp_exit_queue(struct cp_proc *p)
{
	lockdep_assert_held(&cp_lock);
	if (!cp_exit_wanted())
		return false;
	p->state |= CP_PROC_QUEUED;
	list_add_tail(&p->exit_node, &cp_exit_list);
	return true;
}

/*
 * Makes the queued exit records, oldest first. A work item never runs twice
 * at once, so records are made one at a time, in the order of the exits.
 */
static void cp_exit_work_fn(struct work_struct *work)
{
	const struct cp_exit_sink *sink;
	struct cp_proc *p;

	for (;;) {
		raw_spin_lock(&cp_lock);
		p = list_first_entry_or_null(&cp_exit_list, struct cp_proc,
					     exit_node);
		if (p)
			list_del(&p->exit_node);
		raw_spin_unlock(&cp_lock);
		if (!p)
			return;

		/* pairs with the release in cp_exits_set_sink() */
		sink = smp_load_acquire(&cp_sink);
		if (sink)
			sink->send(p);
		cp_proc_release(p);
		cond_resched();
	}
}

static DECLARE_WORK(cp_exit_work, cp_exit_work_fn);

void cp_exits_kick(void)
{
	schedule_work(&cp_exit_work);
}

/* Once nothing queues any more: every queued record is made and freed. */
void cp_exits_flush(void)
{
	flush_work(&cp_exit_work);
	WARN_ON_ONCE(!list_empty(&cp_exit_list));
}
