// SPDX-License-Identifier: GPL-2.0
/*
 * The life of tracked processes: task_newtask (every new task, io_uring's and
 * other kernel-made workers included, which sched_process_fork misses, and
 * before the task first runs), sched_process_exec and sched_process_exit.
 * The common case, a task nobody tracks, costs one hash lookup and no lock.
 *
 * A process is over when its last thread exits, tracked or not: a thread the
 * thread limit refused is still running when the last tracked one leaves,
 * so the end is read from the thread group's own count of live threads
 * (signal->live, dropped before this tracepoint) rather than from ours.
 */
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <trace/events/sched.h>
#include <trace/events/task.h>
#include "compat.h"
#include "cowprobe.h"

static bool cp_tracked(struct task_struct *task)
{
	bool tracked;

	rcu_read_lock();
	tracked = cp_thread_lookup(task);
	rcu_read_unlock();
	return tracked;
}

/* A process forked while track_all is set, by an untracked parent. */
static void cp_track_new(struct task_struct *child)
{
	struct cp_proc *p;

	raw_spin_lock(&cp_lock);
	/* a WATCH since the child was made may have found it already */
	if (cp_thread_lookup(child))
		goto out;
	p = cp_proc_new(child, NULL,
			COWPROBE_PROC_F_FOLLOW | COWPROBE_PROC_F_AUTO);
	if (p && !cp_thread_new(p, child))
		cp_proc_del(p);
out:
	raw_spin_unlock(&cp_lock);
}

/* current made task; it has its pids and mm and has not run yet. */
static void cp_newtask(struct task_struct *task, bool thread)
{
	struct cp_thread *pt;
	struct cp_proc *p;

	if (!cp_tracked(current)) {
		/* kernel threads take no copy-on-write faults, and never exit */
		if (READ_ONCE(cp_track_all) && !thread &&
		    !(task->flags & PF_KTHREAD))
			cp_track_new(task);
		return;
	}

	raw_spin_lock(&cp_lock);
	pt = cp_thread_lookup(current);
	if (!pt || cp_thread_lookup(task))
		goto out;
	p = pt->proc;
	if (p->root_rec && (p->root_rec->state & CP_PROC_CLOSING))
		goto out;
	if (!thread) {
		if (!(p->flags & COWPROBE_PROC_F_FOLLOW))
			goto out;
		p = cp_proc_new(task, p, COWPROBE_PROC_F_FOLLOW |
				(p->flags & (COWPROBE_PROC_F_AUTO |
					     COWPROBE_PROC_F_MAPS)));
		if (!p)
			goto out;
		cp_maps_at_fork(p, task->mm);
	}
	if (!cp_thread_new(p, task) && !p->live_threads)
		cp_proc_del(p);
out:
	raw_spin_unlock(&cp_lock);
}

static void cp_on_newtask_ul(void *data, struct task_struct *task,
			     unsigned long clone_flags)
{
	cp_newtask(task, clone_flags & CLONE_THREAD);
}

static void cp_on_newtask_u64(void *data, struct task_struct *task,
			      u64 clone_flags)
{
	cp_newtask(task, clone_flags & CLONE_THREAD);
}

/* Whether every thread of task's group has passed do_exit's count. */
static bool cp_group_dead(struct task_struct *task)
{
	return !atomic_read(&task->signal->live);
}

/* The final word on p's credentials; commit_creds() drops dumpable too. */
static void cp_final_cred(struct cp_proc *p, struct task_struct *task)
{
	struct cp_cred now;

	cp_cred_snapshot(&now, task, p->cred.dumpable);
	if (!uid_eq(now.euid, p->cred.euid) || !gid_eq(now.egid, p->cred.egid))
		now.dumpable = false;
	p->cred = now;
}

static void cp_proc_over(struct cp_proc *p, bool *queued)
{
	cp_proc_exited(p);
	/* the exit record is made by a work item, where it may sleep */
	if (cp_exit_queue(p))
		*queued = true;
	if (p->flags & COWPROBE_PROC_F_AUTO)
		cp_proc_del(p);
}

/* The last thread of a process whose other threads were not all tracked. */
static void cp_untracked_exit(struct task_struct *task, bool *queued)
{
	struct cp_proc *p;

	raw_spin_lock(&cp_lock);
	p = cp_proc_by_pid(task_tgid(task));
	if (p && !p->live_threads) {
		cp_final_cred(p, task);
		cp_proc_over(p, queued);
	}
	raw_spin_unlock(&cp_lock);
}

static void cp_exit(struct task_struct *task)
{
	struct cp_thread *t;
	struct cp_proc *p;
	bool queued = false;

	if (!cp_tracked(task)) {
		if (atomic_read(&cp_nr_partial_live) && cp_group_dead(task))
			cp_untracked_exit(task, &queued);
		goto out;
	}

	raw_spin_lock(&cp_lock);
	t = cp_thread_lookup(task);
	if (!t)
		goto unlock;
	p = t->proc;
	if (p->live_threads == 1) {
		strscpy(p->comm, task->comm, sizeof(p->comm));
		cp_final_cred(p, task);
	}
	cp_thread_del(t);
	if (!p->live_threads && cp_group_dead(task))
		cp_proc_over(p, &queued);
unlock:
	raw_spin_unlock(&cp_lock);
out:
	if (queued)
		cp_exits_kick();
}

static void cp_on_exit_1(void *data, struct task_struct *task)
{
	cp_exit(task);
}

/* group_dead is true for the thread that counted last, not for every one */
static void cp_on_exit_2(void *data, struct task_struct *task, bool group_dead)
{
	cp_exit(task);
}

static void cp_on_exec(void *data, struct task_struct *task, pid_t old_pid,
		       struct linux_binprm *bprm)
{
	struct cp_thread *t;
	struct cp_proc *p;

	if (!cp_tracked(task))
		return;

	raw_spin_lock(&cp_lock);
	t = cp_thread_lookup(task);
	if (t) {
		p = t->proc;
		strscpy(p->comm, task->comm, sizeof(p->comm));
		cp_proc_set_mm(p, task->mm);
		/* task is current: its new mm cannot go away under us */
		cp_cred_snapshot(&p->cred, task, cp_dumpable(task, task->mm));
		/*
		 * The regions described the old image's addresses. Their entries
		 * stay readable for a fault path that loaded the old count.
		 */
		WRITE_ONCE(p->nr_regions, 0);
		cp_maps_reset(p);
	}
	raw_spin_unlock(&cp_lock);
}

/*
 * The probes, with the prototypes of this kernel's tracepoints: chosen by
 * type at build time and checked by the compiler against the typed
 * registration functions (an indirect call of the wrong type would trap
 * under CFI). The registration itself goes through the tracepoint structs,
 * which are not exported to modules.
 */
typedef void (*cp_newtask_u64_fn)(struct task_struct *, u64);
typedef void (*cp_exit_dead_fn)(struct task_struct *, bool);

#define cp_has_type(fn, type) __builtin_types_compatible_p(typeof(fn) *, type)
#define cp_on_newtask							\
	__builtin_choose_expr(cp_has_type(trace_task_newtask,		\
					  cp_newtask_u64_fn),		\
			      cp_on_newtask_u64, cp_on_newtask_ul)
#define cp_on_exit							\
	__builtin_choose_expr(cp_has_type(trace_sched_process_exit,	\
					  cp_exit_dead_fn),		\
			      cp_on_exit_2, cp_on_exit_1)

static_assert(sizeof(register_trace_task_newtask(cp_on_newtask, NULL)));
static_assert(sizeof(register_trace_sched_process_exit(cp_on_exit, NULL)));
static_assert(sizeof(register_trace_sched_process_exec(cp_on_exec, NULL)));

struct cp_tracepoint {
	const char *name;
	void *probe;
	struct tracepoint *tp;
};

/*
 * Attached in this order, detached in the reverse: a task is tracked only
 * once its exit and exec are seen. With task_newtask first, a process that
 * track_all=1 tracked at load and that exited before sched_process_exit was
 * attached kept its record until the unload (7 loads in 60 under a fork
 * storm on 6.12-rt; tests/stress/guest/55-loadrace.sh).
 */
static struct cp_tracepoint cp_tracepoints[] = {
	{ .name = "sched_process_exit", .probe = cp_on_exit },
	{ .name = "sched_process_exec", .probe = cp_on_exec },
	{ .name = "task_newtask", .probe = cp_on_newtask },
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
	cp_exits_flush();
}

int cp_lifecycle_init(void)
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
	cp_tracepoints_unregister(i);
	return err;
}

/* Stops tracking: no record is added, and no exit record made, after it. */
void cp_lifecycle_exit(void)
{
	cp_tracepoints_unregister(ARRAY_SIZE(cp_tracepoints));
}
