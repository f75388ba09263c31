// SPDX-License-Identifier: GPL-2.0
/*
 * Tracked processes and threads: the records, their pools and indexes, and
 * what forks, exits and the fault path do to them (the verbs: verbs.c).
 *
 * Locking: the fault path only looks records up under RCU; every change
 * (fork, exit, exec, netlink requests) happens under cp_lock. cp_lock is a
 * raw spinlock: the tracepoint probes run with preemption disabled, where a
 * spinlock_t sleeps on PREEMPT_RT. No interrupt handler takes it, so
 * raw_spin_lock() without disabling interrupts is enough. Nothing under it
 * allocates, sends, sleeps or drops a reference that could free memory, and
 * the work per hold is bounded: one record, or one fork's worth, or
 * CP_BATCH records of a walk that lets go of the lock in between.
 *
 * Lifetimes: a record is unhashed under cp_lock and handed to call_rcu();
 * its callback drops the pid references it held and returns it to its pool
 * (pool.c). A record whose exit record is still to be made (CP_PROC_QUEUED)
 * is only marked CP_PROC_DELETED: exits.c frees it once the record is made.
 *
 * Records are ordered by (tgid in the initial pid namespace, serial) in an
 * rbtree, so that a dump resumes after the last key it gave, whatever was
 * added or removed meanwhile, and two records of one reused pid stay apart.
 *
 * A watched tree keeps the records of its exited members until UNWATCH, so
 * that a report made after the fact has them. When the pool runs low, the
 * oldest exited member of the tree whose process just exited is folded into
 * its root: its counters are added to the root's "folded" counters and its
 * slot is freed, so a tree's totals stay exact however many processes it
 * had. Only when that is not enough is a fork refused (counted, and the tree
 * marked partial).
 */
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/rculist.h>
#include <linux/sched/signal.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <net/netlink.h>
#include "compat.h"
#include "cowprobe.h"

DEFINE_RAW_SPINLOCK(cp_lock);
struct cp_hash cp_threads;		/* by task: cp_thread_lookup() */
static struct cp_hash cp_procs_mm;	/* by mm */
static struct rb_root cp_procs = RB_ROOT;
static u64 cp_serial;

static struct cp_pool cp_proc_pool;
static struct cp_pool cp_thread_pool;

atomic_t cp_nr_procs = ATOMIC_INIT(0);
atomic_t cp_nr_threads = ATOMIC_INIT(0);
/* live processes with threads not tracked: their exit needs a look */
atomic_t cp_nr_partial_live = ATOMIC_INIT(0);
atomic64_t cp_refused_procs = ATOMIC64_INIT(0);
atomic64_t cp_refused_threads = ATOMIC64_INIT(0);
atomic64_t cp_folded_procs = ATOMIC64_INIT(0);

struct cp_proc *cp_proc_by_mm(struct mm_struct *mm)
{
	struct cp_proc *p;

	hlist_for_each_entry_rcu(p, cp_bucket(&cp_procs_mm, mm), mm_node)
		if (p->mm == mm)
			return p;
	return NULL;
}

static int cp_key_cmp(pid_t tgid, u64 serial, const struct cp_proc *p)
{
	if (tgid != p->tgid)
		return tgid < p->tgid ? -1 : 1;
	if (serial != p->serial)
		return serial < p->serial ? -1 : 1;
	return 0;
}

/*
 * The first record at or after (tgid, serial), under cp_lock. rbtree
 * rotations are not RCU-safe for readers, so walks take the lock.
 */
struct cp_proc *cp_proc_from(pid_t tgid, u64 serial)
{
	struct rb_node *n = cp_procs.rb_node;
	struct cp_proc *p, *best = NULL;

	lockdep_assert_held(&cp_lock);
	while (n) {
		p = rb_entry(n, struct cp_proc, rb);
		if (cp_key_cmp(tgid, serial, p) <= 0) {
			best = p;
			n = n->rb_left;
		} else {
			n = n->rb_right;
		}
	}
	return best;
}

struct cp_proc *cp_proc_next(struct cp_proc *p)
{
	struct rb_node *n = rb_next(&p->rb);

	return n ? rb_entry(n, struct cp_proc, rb) : NULL;
}

/* The live record of the process pid (its thread group id), under cp_lock. */
struct cp_proc *cp_proc_by_pid(struct pid *pid)
{
	struct cp_proc *p;

	for (p = cp_proc_from(pid_nr(pid), 0); p && p->tgid == pid_nr(pid);
	     p = cp_proc_next(p))
		if (p->pid == pid && !(p->flags & COWPROBE_PROC_F_EXITED))
			return p;
	return NULL;
}

/*
 * The record nr names in the caller's pid namespace, under cp_lock: that of
 * the live process (a thread id names its process) if it has one, else the
 * newest record whose pid reads nr there, exited ones included. With root,
 * only watched roots. Outside the initial namespace a process reaped since
 * has no number left to look up by, so the records are walked.
 */
struct cp_proc *cp_proc_find(const struct cp_caller *c, pid_t nr, bool root)
{
	struct cp_proc *p, *best = NULL;
	struct task_struct *task;
	struct pid *pid;

	lockdep_assert_held(&cp_lock);
	rcu_read_lock();
	pid = find_pid_ns(nr, c->ns);
	task = pid ? pid_task(pid, PIDTYPE_PID) : NULL;
	p = task ? cp_proc_by_pid(task_tgid(task)) : NULL;
	rcu_read_unlock();
	if (p && (!root || p->root_rec == p))
		return p;

	if (c->ns == &init_pid_ns)
		p = cp_proc_from(nr, 0);
	else
		p = rb_entry_safe(rb_first(&cp_procs), struct cp_proc, rb);
	for (; p; p = cp_proc_next(p)) {
		if (c->ns == &init_pid_ns && p->tgid != nr)
			break;
		if (root && p->root_rec != p)
			continue;
		if (pid_nr_ns(p->pid, c->ns) == nr &&
		    (!best || p->serial > best->serial))
			best = p;
	}
	return best;
}

void cp_proc_set_mm(struct cp_proc *p, struct mm_struct *mm)
{
	lockdep_assert_held(&cp_lock);
	if (p->mm)
		hlist_del_init_rcu(&p->mm_node);
	p->mm = mm;
	if (mm)
		hlist_add_head_rcu(&p->mm_node, cp_bucket(&cp_procs_mm, mm));
}

static void cp_proc_free_rcu(struct rcu_head *rcu)
{
	struct cp_proc *p = container_of(rcu, struct cp_proc, rcu);

	put_pid(p->pid);
	put_pid(p->ppid_pid);
	put_pid(p->root_pid);
	cp_pool_put(&cp_proc_pool, &p->free_node);
}

static void cp_thread_free_rcu(struct rcu_head *rcu)
{
	struct cp_thread *t = container_of(rcu, struct cp_thread, rcu);

	put_pid(t->tid);
	cp_pool_put(&cp_thread_pool, &t->free_node);
}

static void cp_rb_insert(struct cp_proc *p)
{
	struct rb_node **link = &cp_procs.rb_node, *parent = NULL;

	while (*link) {
		parent = *link;
		if (cp_key_cmp(p->tgid, p->serial,
			       rb_entry(parent, struct cp_proc, rb)) < 0)
			link = &parent->rb_left;
		else
			link = &parent->rb_right;
	}
	rb_link_node(&p->rb, parent, link);
	rb_insert_color(&p->rb, &cp_procs);
}

void cp_proc_mark_partial(struct cp_proc *p)
{
	p->flags |= COWPROBE_PROC_F_PARTIAL;
	if (p->root_rec)
		p->root_rec->flags |= COWPROBE_PROC_F_PARTIAL;
}

static void cp_counters_add(struct cp_counters *to, const struct cp_counters *from)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(to->c); i++)
		atomic64_add(atomic64_read(&from->c[i]), &to->c[i]);
}

/* Folds the oldest exited member of root's tree into it, if there is one. */
static bool cp_fold_one(struct cp_proc *root)
{
	struct cp_proc *m;

	m = list_first_entry_or_null(&root->exited, struct cp_proc,
				     exited_node);
	if (!m)
		return false;
	cp_counters_add(&root->folded, &m->cnt);
	root->nr_folded++;
	atomic64_inc(&cp_folded_procs);
	cp_proc_del(m);
	return true;
}

/*
 * A new record for the process led by leader: forked by parent_rec's process
 * (NULL for a WATCH or track_all), born to parent. Refused when the pool is
 * empty or the watcher's lab-mode limit is reached.
 */
struct cp_proc *cp_proc_new(struct task_struct *leader, struct cp_proc *parent_rec,
			    u32 flags)
{
	struct task_struct *parent;
	struct cp_proc *p;
	kuid_t watcher = parent_rec ? parent_rec->watcher : INVALID_UID;

	lockdep_assert_held(&cp_lock);
	if (uid_valid(watcher) && !cp_user_charge(watcher))
		goto refused;
	p = cp_pool_get(&cp_proc_pool);
	if (!p) {
		if (uid_valid(watcher))
			cp_user_uncharge(watcher);
		goto refused;
	}
	atomic_inc(&cp_nr_procs);
	cp_maps_reset(p);
	INIT_LIST_HEAD(&p->threads);
	INIT_LIST_HEAD(&p->exited);
	INIT_LIST_HEAD(&p->exited_node);
	p->serial = ++cp_serial;
	p->pid = get_pid(task_tgid(leader));
	p->tgid = pid_nr(p->pid);
	p->watcher = watcher;
	if (uid_valid(watcher))
		p->state |= CP_PROC_CHARGED;
	if (parent_rec) {
		unsigned int i;

		for (i = 0; i < parent_rec->nr_regions; i++) {
			p->regions[i].start = parent_rec->regions[i].start;
			p->regions[i].end = parent_rec->regions[i].end;
			memcpy(p->regions[i].name, parent_rec->regions[i].name,
			       sizeof(p->regions[i].name));
			/* not zeroed by the pool (cp_track_init) */
			cp_counters_zero(&p->regions[i].cnt);
		}
		p->nr_regions = parent_rec->nr_regions;
		p->ppid_pid = get_pid(parent_rec->pid);
		p->root_rec = parent_rec->root_rec;
		p->root_pid = get_pid(parent_rec->root_pid);
		p->root = parent_rec->root;
	} else {
		rcu_read_lock();
		parent = rcu_dereference(leader->real_parent);
		p->ppid_pid = get_pid(task_tgid(parent));
		rcu_read_unlock();
		p->root_rec = flags & COWPROBE_PROC_F_AUTO ? NULL : p;
		p->root_pid = get_pid(p->pid);
		p->root = p->tgid;
	}
	p->ppid = pid_nr(p->ppid_pid);
	p->flags = flags;
	p->start_ns = ktime_get_ns();
	strscpy(p->comm, leader->comm, sizeof(p->comm));
	/* not running yet, or current: its mm cannot change under us */
	cp_cred_snapshot(&p->cred, leader, cp_dumpable(leader, leader->mm));
	cp_rb_insert(p);
	cp_proc_set_mm(p, leader->mm);
	return p;

refused:
	atomic64_inc(&cp_refused_procs);
	if (parent_rec)
		cp_proc_mark_partial(parent_rec);
	return NULL;
}

struct cp_thread *cp_thread_new(struct cp_proc *p, struct task_struct *task)
{
	struct cp_thread *t;

	lockdep_assert_held(&cp_lock);
	t = cp_pool_get(&cp_thread_pool);
	if (!t) {
		atomic64_inc(&cp_refused_threads);
		if (!(p->state & CP_PROC_UNTRACKED)) {
			p->state |= CP_PROC_UNTRACKED;
			atomic_inc(&cp_nr_partial_live);
		}
		cp_proc_mark_partial(p);
		return NULL;
	}
	atomic_inc(&cp_nr_threads);
	t->task = task;
	t->proc = p;
	t->tid = get_pid(task_pid(task));
	t->pid = pid_nr(t->tid);
	list_add_tail_rcu(&t->sibling, &p->threads);
	p->nr_threads++;
	p->live_threads++;
	hlist_add_head_rcu(&t->node, cp_bucket(&cp_threads, task));
	return t;
}

void cp_thread_del(struct cp_thread *t)
{
	lockdep_assert_held(&cp_lock);
	hlist_del_init_rcu(&t->node);
	list_del_rcu(&t->sibling);
	t->proc->live_threads--;
	if (atomic_dec_and_test(&cp_nr_threads))
		cp_arm_idle();
	call_rcu_hurry(&t->rcu, cp_thread_free_rcu);
}

static unsigned int cp_fold_reserve(void)
{
	return max3(max_procs / 16, min(32U, max_procs / 2), 1U);
}

/* No thread of p runs any more, or p is forgotten before. */
static void cp_proc_gone(struct cp_proc *p)
{
	if (p->state & CP_PROC_UNTRACKED) {
		p->state &= ~CP_PROC_UNTRACKED;
		atomic_dec(&cp_nr_partial_live);
	}
	p->flags |= COWPROBE_PROC_F_EXITED;
	cp_proc_set_mm(p, NULL);
}

/*
 * The last thread of p is gone (tracked or not): its counts are final. A
 * member of a watched tree waits for the report on its root's list; when
 * the pool runs low the oldest of them is folded into the root.
 */
void cp_proc_exited(struct cp_proc *p)
{
	struct cp_proc *root = p->root_rec;

	lockdep_assert_held(&cp_lock);
	if (p->flags & COWPROBE_PROC_F_EXITED)
		return;
	cp_proc_gone(p);
	p->exit_ns = ktime_get_ns();
	cp_proc_set_mm(p, NULL);
	if (!root || root == p)
		return;
	list_add_tail(&p->exited_node, &root->exited);
	/*
	 * Keep room for forks to come: a folded record's slot comes back only
	 * after a grace period, which a fork loop can outrun. A sixteenth of
	 * the pool, and at least 32 slots (half of a small pool).
	 */
	if (atomic_read(&cp_nr_procs) + cp_fold_reserve() > max_procs)
		cp_fold_one(root);
}

/* Unhashes p and its threads; the slot comes back after a grace period. */
void cp_proc_del(struct cp_proc *p)
{
	struct cp_thread *t, *tmp;

	lockdep_assert_held(&cp_lock);
	list_for_each_entry_safe(t, tmp, &p->threads, sibling)
		cp_thread_del(t);
	cp_proc_gone(p);
	list_del_init(&p->exited_node);
	/* a root goes last but for cp_forget_all(): unlink what is left */
	while (!list_empty(&p->exited))
		list_del_init(p->exited.next);
	rb_erase(&p->rb, &cp_procs);
	atomic_dec(&cp_nr_procs);
	if (p->state & CP_PROC_CHARGED)
		cp_user_uncharge(p->watcher);
	if (p->state & CP_PROC_QUEUED)
		p->state |= CP_PROC_DELETED;	/* exits.c frees it */
	else
		call_rcu_hurry(&p->rcu, cp_proc_free_rcu);
}

/* exits.c made p's exit record: free it if it was deleted meanwhile. */
void cp_proc_release(struct cp_proc *p)
{
	raw_spin_lock(&cp_lock);
	p->state &= ~CP_PROC_QUEUED;
	if (p->state & CP_PROC_DELETED)
		call_rcu_hurry(&p->rcu, cp_proc_free_rcu);
	raw_spin_unlock(&cp_lock);
}

/* Once nothing adds records any more: drops them all, returns their slots. */
void cp_forget_all(void)
{
	struct cp_proc *p;

	do {
		raw_spin_lock(&cp_lock);
		for (p = cp_proc_from(0, 0); p; p = cp_proc_from(0, 0)) {
			cp_proc_del(p);
			if (need_resched())
				break;
		}
		raw_spin_unlock(&cp_lock);
		cond_resched();
	} while (p);
	/* the RCU callbacks of every record freed touch the pools */
	rcu_barrier();
}

void cp_record_pools(struct cp_pool_info *procs, struct cp_pool_info *threads)
{
	cp_pool_info(&cp_proc_pool, procs);
	cp_pool_info(&cp_thread_pool, threads);
}

int cp_track_init(void)
{
	struct cp_proc *p;
	int err;

	err = cp_pool_init(&cp_proc_pool, max_procs,
			   cp_maps_layout(struct_size(p, regions, max_regions)),
			   offsetof(struct cp_proc, free_node));
	if (err)
		goto err_nomem;
	/* regions are set when added or inherited, buckets by cp_maps_reset() */
	cp_proc_pool.zero = offsetof(struct cp_proc, regions);
	err = cp_pool_init(&cp_thread_pool, max_threads,
			   sizeof(struct cp_thread),
			   offsetof(struct cp_thread, free_node));
	if (err)
		goto err_procs;
	err = cp_hash_init(&cp_threads, max_threads);
	if (err)
		goto err_threads;
	err = cp_hash_init(&cp_procs_mm, max_procs);
	if (err)
		goto err_hash;
	pr_info("%zu KiB allocated for %u process and %u thread records, growing with use to %u and %u\n",
		(cp_proc_pool.allocated * cp_proc_pool.stride +
		 cp_thread_pool.allocated * cp_thread_pool.stride) / 1024,
		cp_proc_pool.allocated, cp_thread_pool.allocated, max_procs,
		max_threads);
	return 0;

err_hash:
	cp_hash_destroy(&cp_threads);
err_threads:
	cp_pool_destroy(&cp_thread_pool);
err_procs:
	cp_pool_destroy(&cp_proc_pool);
err_nomem:
	pr_err("cannot allocate the first records and the hash tables (module parameters max_procs, max_threads, max_regions, max_maps)\n");
	return err;
}

/* After every tracepoint, probe and request is gone. */
void cp_track_exit(void)
{
	cp_forget_all();
	cp_hash_destroy(&cp_procs_mm);
	cp_hash_destroy(&cp_threads);
	cp_pool_destroy(&cp_thread_pool);
	cp_pool_destroy(&cp_proc_pool);
}
