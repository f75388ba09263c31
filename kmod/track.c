// SPDX-License-Identifier: GPL-2.0
/*
 * Tracked processes and threads. The fault path only looks threads up under
 * RCU; every change (fork, exit, exec, netlink requests) happens under cp_lock,
 * in process context, and frees with kfree_rcu.
 */
#include <linux/hashtable.h>
#include <linux/module.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/tracepoint.h>
#include <net/netlink.h>
#include "cowprobe.h"

DEFINE_SPINLOCK(cp_lock);
static DEFINE_HASHTABLE(cp_threads, 12);
static DEFINE_HASHTABLE(cp_procs, 10);
static DEFINE_HASHTABLE(cp_procs_mm, 10);

atomic_t cp_nr_procs = ATOMIC_INIT(0);
atomic_t cp_nr_threads = ATOMIC_INIT(0);
atomic64_t cp_refused_procs = ATOMIC64_INIT(0);
atomic64_t cp_refused_threads = ATOMIC64_INIT(0);
unsigned int cp_generation = 1;

bool cp_track_all;
module_param_named(track_all, cp_track_all, bool, 0644);
MODULE_PARM_DESC(track_all,
		 "track every process created from now on, not only watched trees");

struct cp_thread *cp_thread_lookup(struct task_struct *task)
{
	struct cp_thread *t;

	hash_for_each_possible_rcu(cp_threads, t, node, (unsigned long)task)
		if (t->task == task)
			return t;
	return NULL;
}

struct cp_proc *cp_proc_lookup(pid_t tgid)
{
	struct cp_proc *p;

	hash_for_each_possible_rcu(cp_procs, p, node, tgid)
		if (p->tgid == tgid)
			return p;
	return NULL;
}

struct cp_proc *cp_proc_by_mm(struct mm_struct *mm)
{
	struct cp_proc *p;

	hash_for_each_possible_rcu(cp_procs_mm, p, mm_node, (unsigned long)mm)
		if (p->mm == mm)
			return p;
	return NULL;
}

static void cp_proc_set_mm(struct cp_proc *p, struct mm_struct *mm)
{
	lockdep_assert_held(&cp_lock);
	if (p->mm)
		hash_del_rcu(&p->mm_node);
	p->mm = mm;
	if (mm)
		hash_add_rcu(cp_procs_mm, &p->mm_node, (unsigned long)mm);
}

/* Walks every process record; the caller holds cp_lock between calls. */
struct cp_proc *cp_proc_next(unsigned int *bucket, unsigned int *pos)
{
	struct cp_proc *p;
	unsigned int i;

	for (; *bucket < HASH_SIZE(cp_procs); (*bucket)++, *pos = 0) {
		i = 0;
		hlist_for_each_entry(p, &cp_procs[*bucket], node) {
			if (i++ == *pos) {
				(*pos)++;
				return p;
			}
		}
	}
	return NULL;
}

/*
 * Count one event of class c at addr for the process that owns the memory
 * (t->proc, or the target of a remote fault) and, when local, for the thread.
 * Runs in probe handlers under RCU: no locks, no allocation.
 */
void cp_account(struct cp_thread *t, struct cp_proc *owner, unsigned long addr,
		enum cowprobe_counter c)
{
	unsigned int i, n;

	if (t && t->proc == owner)
		atomic64_inc(&t->cnt.c[c]);
	atomic64_inc(&owner->cnt.c[c]);
	/* pairs with the release in cp_region_add: entries below n are set */
	n = smp_load_acquire(&owner->nr_regions);
	for (i = 0; i < n; i++) {
		struct cp_region *r = &owner->regions[i];

		if (addr >= r->start && addr < r->end)
			atomic64_inc(&r->cnt.c[c]);
	}
}

static struct cp_proc *cp_proc_new(struct task_struct *leader,
				   struct cp_proc *parent, pid_t ppid, u32 flags)
{
	struct cp_proc *p;
	unsigned int i;

	lockdep_assert_held(&cp_lock);
	if (atomic_inc_return(&cp_nr_procs) > max_procs)
		goto refused;
	p = kzalloc(struct_size(p, regions, max_regions),
		    GFP_ATOMIC | __GFP_NOWARN);
	if (!p)
		goto refused;
	if (parent) {
		for (i = 0; i < parent->nr_regions; i++) {
			p->regions[i].start = parent->regions[i].start;
			p->regions[i].end = parent->regions[i].end;
			memcpy(p->regions[i].name, parent->regions[i].name,
			       sizeof(p->regions[i].name));
		}
		p->nr_regions = parent->nr_regions;
	}
	INIT_LIST_HEAD(&p->threads);
	p->tgid = task_tgid_nr(leader);
	p->ppid = ppid;
	p->root = parent ? parent->root : p->tgid;
	p->flags = flags;
	p->start_ns = ktime_get_ns();
	strscpy(p->comm, leader->comm, sizeof(p->comm));
	hash_add_rcu(cp_procs, &p->node, p->tgid);
	cp_proc_set_mm(p, leader->mm);
	cp_generation++;
	return p;

refused:
	atomic_dec(&cp_nr_procs);
	atomic64_inc(&cp_refused_procs);
	return NULL;
}

static struct cp_thread *cp_thread_new(struct cp_proc *p,
				       struct task_struct *task)
{
	struct cp_thread *t;

	lockdep_assert_held(&cp_lock);
	if (atomic_inc_return(&cp_nr_threads) > max_threads)
		goto refused;
	t = kzalloc(sizeof(*t), GFP_ATOMIC | __GFP_NOWARN);
	if (!t)
		goto refused;
	t->task = task;
	t->proc = p;
	t->pid = task_pid_nr(task);
	list_add_tail(&t->sibling, &p->threads);
	p->nr_threads++;
	p->live_threads++;
	hash_add_rcu(cp_threads, &t->node, (unsigned long)task);
	cp_generation++;
	return t;

refused:
	atomic_dec(&cp_nr_threads);
	atomic64_inc(&cp_refused_threads);
	p->flags |= COWPROBE_PROC_F_PARTIAL;
	return NULL;
}

static void cp_thread_del(struct cp_thread *t)
{
	struct cp_proc *p = t->proc;

	lockdep_assert_held(&cp_lock);
	hash_del_rcu(&t->node);
	list_del(&t->sibling);
	if (--p->live_threads == 0) {
		p->flags |= COWPROBE_PROC_F_EXITED;
		p->exit_ns = ktime_get_ns();
		cp_proc_set_mm(p, NULL);
	}
	atomic_dec(&cp_nr_threads);
	cp_generation++;
	kfree_rcu(t, rcu);
}

static void cp_proc_del(struct cp_proc *p)
{
	struct cp_thread *t, *tmp;

	lockdep_assert_held(&cp_lock);
	list_for_each_entry_safe(t, tmp, &p->threads, sibling)
		cp_thread_del(t);
	cp_proc_set_mm(p, NULL);
	hash_del_rcu(&p->node);
	atomic_dec(&cp_nr_procs);
	cp_generation++;
	kfree_rcu(p, rcu);
}

static bool cp_tracked(struct task_struct *task)
{
	bool tracked;

	rcu_read_lock();
	tracked = cp_thread_lookup(task);
	rcu_read_unlock();
	return tracked;
}

/* A process forked while track_all is set, by an untracked parent. */
static void cp_track_new(struct task_struct *parent, struct task_struct *child)
{
	struct cp_proc *p;

	spin_lock(&cp_lock);
	p = cp_proc_new(child, NULL, task_tgid_nr(parent),
			COWPROBE_PROC_F_FOLLOW | COWPROBE_PROC_F_AUTO);
	if (p && !cp_thread_new(p, child))
		cp_proc_del(p);
	spin_unlock(&cp_lock);
}

static void cp_on_fork(void *data, struct task_struct *parent,
		       struct task_struct *child)
{
	struct cp_thread *pt;
	struct cp_proc *p;

	/* the common case, an untracked parent, takes no lock */
	if (!cp_tracked(parent)) {
		if (READ_ONCE(cp_track_all) && !same_thread_group(parent, child))
			cp_track_new(parent, child);
		return;
	}

	spin_lock(&cp_lock);
	pt = cp_thread_lookup(parent);
	if (!pt)
		goto out;
	p = pt->proc;
	if (!same_thread_group(parent, child)) {
		if (!(p->flags & COWPROBE_PROC_F_FOLLOW))
			goto out;
		p = cp_proc_new(child, p, p->tgid, COWPROBE_PROC_F_FOLLOW |
				(p->flags & COWPROBE_PROC_F_AUTO));
		if (!p)
			goto out;
	}
	if (!cp_thread_new(p, child) && !p->live_threads)
		cp_proc_del(p);
out:
	spin_unlock(&cp_lock);
}

static void cp_on_exit(void *data, struct task_struct *task)
{
	struct cp_thread *t;
	struct cp_proc *p;

	if (!cp_tracked(task))
		return;

	spin_lock(&cp_lock);
	t = cp_thread_lookup(task);
	if (!t)
		goto out;
	p = t->proc;
	if (p->live_threads == 1)
		strscpy(p->comm, task->comm, sizeof(p->comm));
	cp_thread_del(t);
	if (!p->live_threads) {
		cp_notify_exit(p);
		if (p->flags & COWPROBE_PROC_F_AUTO)
			cp_proc_del(p);
	}
out:
	spin_unlock(&cp_lock);
}

static void cp_on_exec(void *data, struct task_struct *task, pid_t old_pid,
		       struct linux_binprm *bprm)
{
	struct cp_thread *t;

	if (!cp_tracked(task))
		return;

	spin_lock(&cp_lock);
	t = cp_thread_lookup(task);
	if (t) {
		strscpy(t->proc->comm, task->comm, sizeof(t->proc->comm));
		cp_proc_set_mm(t->proc, task->mm);
		/*
		 * The regions described the old image's addresses. Their entries
		 * stay readable for a fault path that loaded the old count.
		 */
		WRITE_ONCE(t->proc->nr_regions, 0);
	}
	spin_unlock(&cp_lock);
}

int cp_watch(struct task_struct *task, u32 flags, struct netlink_ext_ack *extack)
{
	struct task_struct *leader = task->group_leader, *t;
	struct cp_proc *p;
	pid_t ppid;
	int err = 0;

	spin_lock(&cp_lock);
	p = cp_proc_lookup(task_tgid_nr(leader));
	if (p && (p->flags & COWPROBE_PROC_F_AUTO)) {
		/* tracked by track_all: make it a watched root */
		p->flags &= ~(COWPROBE_PROC_F_AUTO | COWPROBE_PROC_F_FOLLOW);
		if (flags & COWPROBE_WATCH_F_CHILDREN)
			p->flags |= COWPROBE_PROC_F_FOLLOW;
		p->root = p->tgid;
		goto out;
	}
	if (p) {
		NL_SET_ERR_MSG_MOD(extack, "process is already tracked");
		err = -EEXIST;
		goto out;
	}
	rcu_read_lock();
	ppid = task_tgid_nr(rcu_dereference(leader->real_parent));
	p = cp_proc_new(leader, NULL, ppid,
			flags & COWPROBE_WATCH_F_CHILDREN ?
			COWPROBE_PROC_F_FOLLOW : 0);
	if (!p) {
		rcu_read_unlock();
		NL_SET_ERR_MSG_MOD(extack,
				   "process limit reached (module parameter max_procs)");
		err = -ENOSPC;
		goto out;
	}
	for_each_thread(leader, t)
		if (!(t->flags & PF_EXITING))
			cp_thread_new(p, t);
	rcu_read_unlock();
	if (!p->live_threads) {
		cp_proc_del(p);
		NL_SET_ERR_MSG_MOD(extack,
				   "no thread could be tracked (exiting, or module parameter max_threads reached)");
		err = -ESRCH;
	}
out:
	spin_unlock(&cp_lock);
	return err;
}

int cp_unwatch(pid_t root, struct netlink_ext_ack *extack)
{
	struct hlist_node *tmp;
	struct cp_proc *p;
	unsigned int bkt;
	int found = 0;

	spin_lock(&cp_lock);
	hash_for_each_safe(cp_procs, bkt, tmp, p, node) {
		if (p->root == root) {
			cp_proc_del(p);
			found++;
		}
	}
	spin_unlock(&cp_lock);
	if (!found) {
		NL_SET_ERR_MSG_MOD(extack, "no watched tree has this root pid");
		return -ENOENT;
	}
	return 0;
}

static void cp_counters_zero(struct cp_counters *cnt)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(cnt->c); i++)
		atomic64_set(&cnt->c[i], 0);
}

int cp_reset(pid_t tgid, struct netlink_ext_ack *extack)
{
	struct cp_thread *t;
	struct cp_proc *p;
	unsigned int bkt;
	int found = 0;

	spin_lock(&cp_lock);
	hash_for_each(cp_procs, bkt, p, node) {
		unsigned int i;

		if (tgid && p->tgid != tgid)
			continue;
		cp_counters_zero(&p->cnt);
		for (i = 0; i < p->nr_regions; i++)
			cp_counters_zero(&p->regions[i].cnt);
		list_for_each_entry(t, &p->threads, sibling)
			cp_counters_zero(&t->cnt);
		found++;
	}
	spin_unlock(&cp_lock);
	if (tgid && !found) {
		NL_SET_ERR_MSG_MOD(extack, "process is not tracked");
		return -ENOENT;
	}
	return 0;
}

int cp_region_add(pid_t tgid, u64 start, u64 end, const char *name,
		  struct netlink_ext_ack *extack)
{
	struct cp_region *r;
	struct cp_proc *p;
	int err = 0;

	spin_lock(&cp_lock);
	p = cp_proc_lookup(tgid);
	if (!p) {
		NL_SET_ERR_MSG_MOD(extack, "process is not tracked");
		err = -ENOENT;
		goto out;
	}
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
	spin_unlock(&cp_lock);
	return err;
}

struct cp_tracepoint {
	const char *name;
	void *probe;
	struct tracepoint *tp;
};

static struct cp_tracepoint cp_tracepoints[] = {
	{ .name = "sched_process_fork", .probe = cp_on_fork },
	{ .name = "sched_process_exit", .probe = cp_on_exit },
	{ .name = "sched_process_exec", .probe = cp_on_exec },
};

static void cp_tracepoint_find(struct tracepoint *tp, void *priv)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(cp_tracepoints); i++)
		if (!strcmp(tp->name, cp_tracepoints[i].name))
			cp_tracepoints[i].tp = tp;
}

int cp_track_init(void)
{
	int i, err;

	for_each_kernel_tracepoint(cp_tracepoint_find, NULL);
	for (i = 0; i < ARRAY_SIZE(cp_tracepoints); i++) {
		struct cp_tracepoint *c = &cp_tracepoints[i];

		if (!c->tp) {
			pr_err("tracepoint %s not found\n", c->name);
			err = -ENOENT;
			goto err_unregister;
		}
		err = tracepoint_probe_register(c->tp, c->probe, NULL);
		if (err) {
			pr_err("cannot attach to tracepoint %s: %d\n", c->name, err);
			goto err_unregister;
		}
	}
	return 0;

err_unregister:
	while (--i >= 0)
		tracepoint_probe_unregister(cp_tracepoints[i].tp,
					    cp_tracepoints[i].probe, NULL);
	tracepoint_synchronize_unregister();
	return err;
}

void cp_track_exit(void)
{
	struct hlist_node *tmp;
	struct cp_proc *p;
	unsigned int bkt;
	int i;

	for (i = ARRAY_SIZE(cp_tracepoints) - 1; i >= 0; i--)
		tracepoint_probe_unregister(cp_tracepoints[i].tp,
					    cp_tracepoints[i].probe, NULL);
	tracepoint_synchronize_unregister();

	spin_lock(&cp_lock);
	hash_for_each_safe(cp_procs, bkt, tmp, p, node)
		cp_proc_del(p);
	spin_unlock(&cp_lock);
}
