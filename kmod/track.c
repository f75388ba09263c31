// SPDX-License-Identifier: GPL-2.0
/*
 * Tracked processes and threads. The fault path only looks them up under RCU;
 * every change (fork, exit, exec, netlink requests) happens under cp_lock.
 *
 * cp_lock is a raw spinlock: the tracepoint probes run with preemption
 * disabled, where a spinlock_t sleeps on PREEMPT_RT. No interrupt handler
 * takes it (its users are the fork, exit and exec tracepoints, netlink
 * requests and the exit work item, all in process context; neither the kprobe
 * handlers nor the RCU callbacks here take it), so raw_spin_lock() without
 * disabling interrupts is enough. Nothing under it allocates, sends or
 * sleeps, and the work done per hold is bounded by the module parameters.
 *
 * Records come from two pools allocated at load: max_procs process records,
 * each with room for max_regions regions, and max_threads thread records.
 * Nothing is allocated afterwards, so memory stays what the parameters say.
 * A deleted record may still be in use by a reader under RCU, so it is reused
 * only after a grace period: deletion unhashes it and hands it to call_rcu(),
 * whose callback puts it on its pool's "freed" llist (lock-free: the callback
 * runs in softirq context); allocation, under cp_lock, takes from the pool's
 * free list and refills that from the freed llist. Reusing records at once and
 * revalidating them in readers, as SLAB_TYPESAFE_BY_RCU allows, would not be
 * safe here: a kprobe handler counts into the process record it found
 * (cp_account() gets t->proc or a record found by mm) without looking again,
 * so a record reused meanwhile for another process would be charged with the
 * old one's faults. Until its grace period ends a deleted record keeps its
 * slot: a burst of exits can briefly leave fewer free records than max_procs
 * minus those held, and refusals then are counted as any other.
 *
 * Exit records are made in process context. When the last thread of a
 * process exits, cp_on_exit() only queues the record on cp_exit_queue (if
 * anyone listens) and kicks cp_exit_work, which makes and multicasts the
 * records one at a time in queue order, so that their sequence numbers follow
 * the order of the exits. A queued record is marked CP_PROC_QUEUED and stays
 * allocated until its exit record is made: cp_proc_del() unhashes it as usual
 * (track_all records at exit, as before; UNWATCH at any time) but only marks
 * it CP_PROC_DELETED, and the work item frees it once done. Each queued
 * record holds a pool slot, so the queue never holds more than max_procs.
 */
#include <linux/cache.h>
#include <linux/hashtable.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/rculist.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/tracepoint.h>
#include <linux/workqueue.h>
#include <net/netlink.h>
#include "cowprobe.h"

DEFINE_RAW_SPINLOCK(cp_lock);
static DEFINE_HASHTABLE(cp_threads, 12);
static DEFINE_HASHTABLE(cp_procs, 10);
static DEFINE_HASHTABLE(cp_procs_mm, 10);
static LIST_HEAD(cp_exit_queue);

/* Fixed-size records, preallocated; see the comment at the top. */
struct cp_pool {
	void *mem;
	size_t size;			/* of one record */
	size_t stride;			/* between records: cache lines */
	size_t node_off;		/* of its struct llist_node */
	struct llist_node *free;	/* ready for use, under cp_lock */
	struct llist_head freed;	/* back from RCU callbacks */
};

static struct cp_pool cp_proc_pool;
static struct cp_pool cp_thread_pool;

atomic_t cp_nr_procs = ATOMIC_INIT(0);
atomic_t cp_nr_threads = ATOMIC_INIT(0);
atomic64_t cp_refused_procs = ATOMIC64_INIT(0);
atomic64_t cp_refused_threads = ATOMIC64_INIT(0);
/*
 * Bumped whenever a dump resuming at (bucket, position) could miss a record:
 * only when one leaves cp_procs. A new record goes to the head of its bucket,
 * so at worst a dump sees one record twice (userspace keeps the later copy);
 * thread changes alter a record's content, which is read whole under cp_lock.
 * Bumping on every fork made dumps under a fork storm always inconsistent.
 */
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

static int cp_pool_init(struct cp_pool *pool, unsigned int count, size_t size,
			size_t node_off)
{
	unsigned int i;

	pool->size = size;
	pool->stride = ALIGN(size, SMP_CACHE_BYTES);
	pool->node_off = node_off;
	pool->mem = kvcalloc(count, pool->stride, GFP_KERNEL | __GFP_NOWARN);
	if (!pool->mem)
		return -ENOMEM;
	pool->free = NULL;
	init_llist_head(&pool->freed);
	for (i = count; i > 0; i--) {
		struct llist_node *n = pool->mem + (i - 1) * pool->stride +
				       node_off;

		n->next = pool->free;
		pool->free = n;
	}
	return 0;
}

static void cp_pool_destroy(struct cp_pool *pool)
{
	kvfree(pool->mem);
	pool->mem = NULL;
}

/* A zeroed record, or NULL when every one is in use or waiting for RCU. */
static void *cp_pool_get(struct cp_pool *pool)
{
	struct llist_node *n;
	void *obj;

	lockdep_assert_held(&cp_lock);
	if (!pool->free)
		pool->free = llist_del_all(&pool->freed);
	n = pool->free;
	if (!n)
		return NULL;
	pool->free = n->next;
	obj = (void *)n - pool->node_off;
	memset(obj, 0, pool->size);
	return obj;
}

static void cp_proc_free_rcu(struct rcu_head *rcu)
{
	struct cp_proc *p = container_of(rcu, struct cp_proc, rcu);

	llist_add(&p->free_node, &cp_proc_pool.freed);
}

static void cp_thread_free_rcu(struct rcu_head *rcu)
{
	struct cp_thread *t = container_of(rcu, struct cp_thread, rcu);

	llist_add(&t->free_node, &cp_thread_pool.freed);
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

		/* faults are per page: count the pages the region touches */
		if (addr + PAGE_SIZE > r->start && addr < r->end)
			atomic64_inc(&r->cnt.c[c]);
	}
}

static struct cp_proc *cp_proc_new(struct task_struct *leader,
				   struct cp_proc *parent, pid_t ppid, u32 flags)
{
	struct cp_proc *p;
	unsigned int i;

	lockdep_assert_held(&cp_lock);
	p = cp_pool_get(&cp_proc_pool);
	if (!p) {
		atomic64_inc(&cp_refused_procs);
		return NULL;
	}
	atomic_inc(&cp_nr_procs);
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
	return p;
}

static struct cp_thread *cp_thread_new(struct cp_proc *p,
				       struct task_struct *task)
{
	struct cp_thread *t;

	lockdep_assert_held(&cp_lock);
	t = cp_pool_get(&cp_thread_pool);
	if (!t) {
		atomic64_inc(&cp_refused_threads);
		p->flags |= COWPROBE_PROC_F_PARTIAL;
		return NULL;
	}
	atomic_inc(&cp_nr_threads);
	t->task = task;
	t->proc = p;
	t->pid = task_pid_nr(task);
	list_add_tail_rcu(&t->sibling, &p->threads);
	p->nr_threads++;
	p->live_threads++;
	hash_add_rcu(cp_threads, &t->node, (unsigned long)task);
	return t;
}

static void cp_thread_del(struct cp_thread *t)
{
	struct cp_proc *p = t->proc;

	lockdep_assert_held(&cp_lock);
	hash_del_rcu(&t->node);
	list_del_rcu(&t->sibling);
	if (--p->live_threads == 0) {
		p->flags |= COWPROBE_PROC_F_EXITED;
		p->exit_ns = ktime_get_ns();
		cp_proc_set_mm(p, NULL);
	}
	atomic_dec(&cp_nr_threads);
	call_rcu_hurry(&t->rcu, cp_thread_free_rcu);
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
	if (p->state & CP_PROC_QUEUED)
		p->state |= CP_PROC_DELETED;	/* cp_exit_work frees it */
	else
		call_rcu_hurry(&p->rcu, cp_proc_free_rcu);
}

/*
 * Makes the exit records of the processes queued by cp_on_exit(), oldest
 * first, and frees those deleted meanwhile. A work item never runs twice at
 * once, so records are made one at a time, in the order of the exits.
 */
static void cp_exit_work_fn(struct work_struct *work)
{
	struct cp_proc *p;

	for (;;) {
		raw_spin_lock(&cp_lock);
		p = list_first_entry_or_null(&cp_exit_queue, struct cp_proc,
					     exit_node);
		if (p)
			list_del(&p->exit_node);
		raw_spin_unlock(&cp_lock);
		if (!p)
			return;

		cp_notify_exit(p);

		raw_spin_lock(&cp_lock);
		p->state &= ~CP_PROC_QUEUED;
		if (p->state & CP_PROC_DELETED)
			call_rcu_hurry(&p->rcu, cp_proc_free_rcu);
		raw_spin_unlock(&cp_lock);
		cond_resched();
	}
}

static DECLARE_WORK(cp_exit_work, cp_exit_work_fn);

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

	raw_spin_lock(&cp_lock);
	/* a WATCH since the child was made may have found it already */
	if (cp_thread_lookup(child))
		goto out;
	p = cp_proc_new(child, NULL, task_tgid_nr(parent),
			COWPROBE_PROC_F_FOLLOW | COWPROBE_PROC_F_AUTO);
	if (p && !cp_thread_new(p, child))
		cp_proc_del(p);
out:
	raw_spin_unlock(&cp_lock);
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

	raw_spin_lock(&cp_lock);
	pt = cp_thread_lookup(parent);
	/* a WATCH since the child was made may have found it already */
	if (!pt || cp_thread_lookup(child))
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
	raw_spin_unlock(&cp_lock);
}

static void cp_on_exit(void *data, struct task_struct *task)
{
	struct cp_thread *t;
	struct cp_proc *p;
	bool queued = false;

	if (!cp_tracked(task))
		return;

	raw_spin_lock(&cp_lock);
	t = cp_thread_lookup(task);
	if (!t)
		goto out;
	p = t->proc;
	if (p->live_threads == 1)
		strscpy(p->comm, task->comm, sizeof(p->comm));
	cp_thread_del(t);
	if (p->live_threads)
		goto out;
	/* the exit record is made by cp_exit_work, where it may sleep */
	if (cp_exit_wanted()) {
		p->state |= CP_PROC_QUEUED;
		list_add_tail(&p->exit_node, &cp_exit_queue);
		queued = true;
	}
	if (p->flags & COWPROBE_PROC_F_AUTO)
		cp_proc_del(p);
out:
	raw_spin_unlock(&cp_lock);
	if (queued)
		schedule_work(&cp_exit_work);
}

static void cp_on_exec(void *data, struct task_struct *task, pid_t old_pid,
		       struct linux_binprm *bprm)
{
	struct cp_thread *t;

	if (!cp_tracked(task))
		return;

	raw_spin_lock(&cp_lock);
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
	raw_spin_unlock(&cp_lock);
}

int cp_watch(struct task_struct *task, u32 flags, struct netlink_ext_ack *extack)
{
	struct task_struct *leader = task->group_leader, *t;
	struct cp_proc *p;
	pid_t ppid;
	int err = 0;

	/* one hold over the threads of the process, at most max_threads */
	raw_spin_lock(&cp_lock);
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
	raw_spin_unlock(&cp_lock);
	return err;
}

int cp_unwatch(pid_t root, struct netlink_ext_ack *extack)
{
	struct hlist_node *tmp;
	struct cp_proc *p;
	unsigned int bkt;
	int found = 0;

	/*
	 * One hold for the whole tree, bounded by max_procs and max_threads:
	 * the tree could grow behind a walk that let go of the lock.
	 */
	raw_spin_lock(&cp_lock);
	hash_for_each_safe(cp_procs, bkt, tmp, p, node) {
		if (p->root == root) {
			cp_proc_del(p);
			found++;
		}
	}
	raw_spin_unlock(&cp_lock);
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

static void cp_proc_zero(struct cp_proc *p)
{
	struct cp_thread *t;
	unsigned int i, n;

	cp_counters_zero(&p->cnt);
	/* pairs with the release in cp_region_add: entries below n are set */
	n = smp_load_acquire(&p->nr_regions);
	for (i = 0; i < n; i++)
		cp_counters_zero(&p->regions[i].cnt);
	list_for_each_entry_rcu(t, &p->threads, sibling)
		cp_counters_zero(&t->cnt);
}

/*
 * Under RCU alone, so as not to hold cp_lock over every record: counters are
 * atomic, and a record or region added meanwhile starts at zero anyway.
 */
int cp_reset(pid_t tgid, struct netlink_ext_ack *extack)
{
	struct cp_proc *p;
	unsigned int bkt;
	int found = 0;

	rcu_read_lock();
	if (tgid) {
		hash_for_each_possible_rcu(cp_procs, p, node, tgid) {
			if (p->tgid == tgid) {
				cp_proc_zero(p);
				found++;
			}
		}
	} else {
		hash_for_each_rcu(cp_procs, bkt, p, node)
			cp_proc_zero(p);
	}
	rcu_read_unlock();
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

	raw_spin_lock(&cp_lock);
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
	raw_spin_unlock(&cp_lock);
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

/*
 * Detaches the first n probes and waits until none runs and no exit record
 * is in the making: the queue is empty afterwards, and stays so.
 */
static void cp_tracepoints_unregister(int n)
{
	while (--n >= 0)
		tracepoint_probe_unregister(cp_tracepoints[n].tp,
					    cp_tracepoints[n].probe, NULL);
	tracepoint_synchronize_unregister();
	flush_work(&cp_exit_work);
}

/* Once nothing adds records any more: drops them all, returns their slots. */
static void cp_forget_all(void)
{
	struct hlist_node *tmp;
	struct cp_proc *p;
	unsigned int bkt;

	raw_spin_lock(&cp_lock);
	WARN_ON_ONCE(!list_empty(&cp_exit_queue));
	hash_for_each_safe(cp_procs, bkt, tmp, p, node)
		cp_proc_del(p);
	raw_spin_unlock(&cp_lock);
	/* the RCU callbacks of every record freed touch the pools */
	rcu_barrier();
}

static int cp_pools_init(void)
{
	struct cp_proc *p;
	int err;

	err = cp_pool_init(&cp_proc_pool, max_procs,
			   struct_size(p, regions, max_regions),
			   offsetof(struct cp_proc, free_node));
	if (err)
		goto err_nomem;
	err = cp_pool_init(&cp_thread_pool, max_threads,
			   sizeof(struct cp_thread),
			   offsetof(struct cp_thread, free_node));
	if (err)
		goto err_procs;
	pr_info("%zu KiB preallocated for %u process and %u thread records\n",
		(max_procs * cp_proc_pool.stride +
		 max_threads * cp_thread_pool.stride) / 1024,
		max_procs, max_threads);
	return 0;

err_procs:
	cp_pool_destroy(&cp_proc_pool);
err_nomem:
	pr_err("cannot preallocate %u process and %u thread records (module parameters max_procs, max_regions, max_threads)\n",
	       max_procs, max_threads);
	return err;
}

static void cp_pools_destroy(void)
{
	cp_pool_destroy(&cp_thread_pool);
	cp_pool_destroy(&cp_proc_pool);
}

int cp_track_init(void)
{
	int i, err;

	err = cp_pools_init();
	if (err)
		return err;

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
	cp_tracepoints_unregister(i);
	cp_forget_all();
	cp_pools_destroy();
	return err;
}

/* Stops tracking: no record is added, and no exit record made, after it. */
void cp_track_stop(void)
{
	cp_tracepoints_unregister(ARRAY_SIZE(cp_tracepoints));
}

/* After cp_track_stop(), once the probes and netlink requests are gone. */
void cp_track_exit(void)
{
	cp_forget_all();
	cp_pools_destroy();
}
