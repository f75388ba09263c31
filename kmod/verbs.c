// SPDX-License-Identifier: GPL-2.0
/*
 * The verbs on records that netlink requests carry out: WATCH (a process and,
 * with COWPROBE_WATCH_F_CHILDREN, what it forks from then on), UNWATCH and
 * RESET (walks that let go of cp_lock every CP_BATCH records, so that an
 * UNWATCH of a 4,096-process tree holds the raw lock for bounded time on
 * PREEMPT_RT) and REGION_ADD. Who may ask for what is access.c's; the records
 * themselves are track.c's.
 */
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/rculist.h>
#include <linux/sched/signal.h>
#include <linux/string.h>
#include <net/netlink.h>
#include "compat.h"
#include "cowprobe.h"

/* records handled per hold of cp_lock in walks that let go of it */
#define CP_BATCH 32

int cp_watch(const struct cp_caller *c, struct task_struct *task, u32 flags,
	     struct netlink_ext_ack *extack)
{
	struct task_struct *leader, *t;
	struct pid *old_root = NULL;
	struct cp_proc *p;
	int err = 0;

	if (task->flags & PF_KTHREAD) {
		NL_SET_ERR_MSG_MOD(extack,
				   "a kernel thread takes no copy-on-write faults");
		return -EINVAL;
	}
	/* a process the caller may not ptrace looks like no process at all */
	if (!cp_may_watch(c, task, extack))
		return READ_ONCE(cp_unprivileged) ? -ESRCH : -EPERM;

	rcu_read_lock();
	leader = READ_ONCE(task->group_leader);
	/* one hold over the threads of the process, at most max_threads */
	raw_spin_lock(&cp_lock);
	p = cp_proc_by_pid(task_tgid(leader));
	if (p && (p->flags & COWPROBE_PROC_F_AUTO)) {
		/* tracked by track_all: make it a watched root */
		if (!c->admin && !cp_user_charge(c->uid)) {
			NL_SET_ERR_MSG_MOD(extack,
					   "your limit of tracked processes is reached (module parameter max_user_procs)");
			err = -ENOSPC;
			goto out;
		}
		if (!c->admin) {
			p->watcher = c->uid;
			p->state |= CP_PROC_CHARGED;
		}
		p->flags &= ~(COWPROBE_PROC_F_AUTO | COWPROBE_PROC_F_FOLLOW);
		if (flags & COWPROBE_WATCH_F_CHILDREN)
			p->flags |= COWPROBE_PROC_F_FOLLOW;
		if (flags & COWPROBE_WATCH_F_MAPS)
			p->flags |= COWPROBE_PROC_F_MAPS;
		p->root_rec = p;
		old_root = p->root_pid;	/* put once cp_lock is let go */
		p->root_pid = get_pid(p->pid);
		p->root = p->tgid;
		goto out;
	}
	if (p) {
		NL_SET_ERR_MSG_MOD(extack, "process is already tracked");
		err = -EEXIST;
		goto out;
	}
	if (!c->admin && !cp_user_charge(c->uid)) {
		NL_SET_ERR_MSG_MOD(extack,
				   "your limit of tracked processes is reached (module parameter max_user_procs)");
		err = -ENOSPC;
		goto out;
	}
	p = cp_proc_new(leader, NULL,
			(flags & COWPROBE_WATCH_F_CHILDREN ?
			 COWPROBE_PROC_F_FOLLOW : 0) |
			(flags & COWPROBE_WATCH_F_MAPS ?
			 COWPROBE_PROC_F_MAPS : 0));
	if (!p) {
		if (!c->admin)
			cp_user_uncharge(c->uid);
		NL_SET_ERR_MSG_MOD(extack,
				   "process limit reached (module parameter max_procs)");
		err = -ENOSPC;
		goto out;
	}
	if (!c->admin) {
		p->watcher = c->uid;
		p->state |= CP_PROC_CHARGED;
	}
	for_each_thread(leader, t)
		if (!(t->flags & PF_EXITING))
			cp_thread_new(p, t);
	if (!p->live_threads) {
		cp_proc_del(p);
		NL_SET_ERR_MSG_MOD(extack,
				   "no thread could be tracked (exiting, or module parameter max_threads reached)");
		err = -ESRCH;
	}
out:
	raw_spin_unlock(&cp_lock);
	rcu_read_unlock();
	put_pid(old_root);
	return err;
}

/*
 * Calls fn on every record, CP_BATCH of them per hold of cp_lock, in key
 * order; fn may delete the record it is given.
 */
static void cp_walk(void (*fn)(struct cp_proc *p, void *arg), void *arg)
{
	struct cp_proc *p, *next;
	pid_t tgid = 0;
	u64 serial = 0;
	int n;

	do {
		raw_spin_lock(&cp_lock);
		p = cp_proc_from(tgid, serial);
		for (n = 0; p && n < CP_BATCH; n++, p = next) {
			next = cp_proc_next(p);
			fn(p, arg);
		}
		if (p) {
			tgid = p->tgid;
			serial = p->serial;
		}
		raw_spin_unlock(&cp_lock);
		cond_resched();
	} while (p);
}

static void cp_del_member(struct cp_proc *p, void *root)
{
	if (p->root_rec == root && p != root)
		cp_proc_del(p);
}

/*
 * Forgets the tree watched at root, CP_BATCH records per hold of cp_lock.
 * The root is marked closing first, so the tree stops growing, and goes
 * last: its members fold into it until then.
 */
int cp_unwatch(const struct cp_caller *c, pid_t nr, struct netlink_ext_ack *extack)
{
	struct cp_proc *root;
	int err;

	raw_spin_lock(&cp_lock);
	root = cp_proc_find(c, nr, true);
	if (!root || (root->state & CP_PROC_CLOSING)) {
		raw_spin_unlock(&cp_lock);
		NL_SET_ERR_MSG_MOD(extack, "no watched tree has this root pid");
		return -ENOENT;
	}
	err = cp_may_change(c, root, extack);
	if (err) {
		raw_spin_unlock(&cp_lock);
		return err;
	}
	root->state |= CP_PROC_CLOSING;
	root->flags &= ~COWPROBE_PROC_F_FOLLOW;
	raw_spin_unlock(&cp_lock);

	cp_walk(cp_del_member, root);

	raw_spin_lock(&cp_lock);
	cp_proc_del(root);
	raw_spin_unlock(&cp_lock);
	return 0;
}

static void cp_proc_zero(struct cp_proc *p)
{
	struct cp_thread *t;
	unsigned int i, n;

	cp_counters_zero(&p->cnt);
	cp_counters_zero(&p->folded);
	/* pairs with the release in cp_region_add: entries below n are set */
	n = smp_load_acquire(&p->nr_regions);
	for (i = 0; i < n; i++)
		cp_counters_zero(&p->regions[i].cnt);
	list_for_each_entry(t, &p->threads, sibling)
		cp_counters_zero(&t->cnt);
}

static void cp_zero_one(struct cp_proc *p, void *unused)
{
	cp_proc_zero(p);
}

/* One record, or (administrators only) every one, CP_BATCH per hold. */
int cp_reset(const struct cp_caller *c, pid_t nr, struct netlink_ext_ack *extack)
{
	struct cp_proc *p;
	int err;

	if (nr) {
		raw_spin_lock(&cp_lock);
		p = cp_proc_find(c, nr, false);
		err = p ? cp_may_change(c, p, extack) : -ENOENT;
		if (!err)
			cp_proc_zero(p);
		raw_spin_unlock(&cp_lock);
		if (err == -ENOENT)
			NL_SET_ERR_MSG_MOD(extack, "process is not tracked");
		return err;
	}
	if (!c->admin) {
		NL_SET_ERR_MSG_MOD(extack,
				   "resetting every record needs CAP_NET_ADMIN: name a process");
		return -EPERM;
	}
	cp_walk(cp_zero_one, NULL);
	return 0;
}

int cp_region_add(const struct cp_caller *c, pid_t nr, u64 start, u64 end,
		  const char *name, struct netlink_ext_ack *extack)
{
	struct cp_region *r;
	struct cp_proc *p;
	int err = 0;

	raw_spin_lock(&cp_lock);
	p = cp_proc_find(c, nr, false);
	if (!p) {
		NL_SET_ERR_MSG_MOD(extack, "process is not tracked");
		err = -ENOENT;
		goto out;
	}
	err = cp_may_change(c, p, extack);
	if (err)
		goto out;
	if (p->nr_regions >= max_regions) {
		NL_SET_ERR_MSG_MOD(extack,
				   "region limit reached (module parameter max_regions)");
		err = -ENOSPC;
		goto out;
	}
	r = &p->regions[p->nr_regions];
	r->start = start;
	r->end = end;
	strscpy(r->name, name, sizeof(r->name));
	cp_counters_zero(&r->cnt);
	/* the fault path reads the new entry only once it sees the count */
	smp_store_release(&p->nr_regions, p->nr_regions + 1);
out:
	raw_spin_unlock(&cp_lock);
	return err;
}
