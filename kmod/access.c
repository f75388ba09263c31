// SPDX-License-Identifier: GPL-2.0
/*
 * Who may see and change what, and pids in the caller's terms.
 *
 * An administrator (CAP_NET_ADMIN in the initial user namespace, what
 * GENL_ADMIN_PERM checks) sees every record. Anyone else sees the records of
 * processes it could ptrace: the same real, effective and saved uid and gid
 * as the caller, and dumpable. ptrace_may_access() is not exported to
 * modules, so the rule is applied here, to the credentials each record keeps
 * (from its last fork, exec or exit), so that exited processes are judged
 * too. A record the caller may not see does not exist for it: a dump leaves
 * it out and a request naming it gets ENOENT.
 *
 * Lab mode (module parameter unprivileged=1) lets such a caller also watch
 * processes it could ptrace and unwatch, reset and add regions to trees it
 * watched itself, within max_user_procs records.
 *
 * Pids are read and written in the caller's pid namespace; a record of a
 * process outside it is not visible, and a parent or root outside it reads 0.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/sched/task.h>
#include <net/netlink.h>
#include "compat.h"
#include "cowprobe.h"

/* users whose lab-mode watches are counted apart (max_user_procs each) */
#define CP_LAB_USERS 64

static struct {
	kuid_t uid;
	unsigned int nr;
} cp_users[CP_LAB_USERS];

void cp_caller_init(struct cp_caller *c, bool admin)
{
	c->admin = admin;
	c->uid = current_uid();
	c->gid = current_gid();
	c->ns = get_pid_ns(task_active_pid_ns(current));
}

void cp_caller_release(struct cp_caller *c)
{
	put_pid_ns(c->ns);
	c->ns = NULL;
}

pid_t cp_pid_nr(const struct cp_caller *c, struct pid *pid)
{
	return pid ? pid_nr_ns(pid, c->ns) : 0;
}

static bool cp_cred_match(const struct cp_caller *c, const struct cp_cred *cr)
{
	return cr->dumpable &&
	       uid_eq(c->uid, cr->uid) && uid_eq(c->uid, cr->euid) &&
	       uid_eq(c->uid, cr->suid) && gid_eq(c->gid, cr->gid) &&
	       gid_eq(c->gid, cr->egid) && gid_eq(c->gid, cr->sgid);
}

bool cp_may_see(const struct cp_caller *c, const struct cp_proc *p)
{
	if (!cp_pid_nr(c, p->pid))
		return false;
	return c->admin || cp_cred_match(c, &p->cred);
}

/* p is a record c sees or not; 0 or a -errno with the reason in extack */
int cp_may_change(const struct cp_caller *c, const struct cp_proc *p,
		  struct netlink_ext_ack *extack)
{
	if (c->admin)
		return 0;
	if (!cp_may_see(c, p)) {
		NL_SET_ERR_MSG_MOD(extack, "process is not tracked");
		return -ENOENT;
	}
	if (!READ_ONCE(cp_unprivileged)) {
		NL_SET_ERR_MSG_MOD(extack,
				   "changing tracking needs CAP_NET_ADMIN (or the module's lab mode, unprivileged=1)");
		return -EPERM;
	}
	if (!p->root_rec || !uid_eq(p->root_rec->watcher, c->uid)) {
		NL_SET_ERR_MSG_MOD(extack,
				   "this tree was not watched by you: only its watcher or an administrator may change it");
		return -EPERM;
	}
	return 0;
}

/* Before cp_lock: whether c may start watching the live task. */
bool cp_may_watch(const struct cp_caller *c, struct task_struct *task,
		  struct netlink_ext_ack *extack)
{
	struct cp_cred cred;
	struct mm_struct *mm;
	bool dumpable;

	if (c->admin)
		return true;
	if (!READ_ONCE(cp_unprivileged)) {
		NL_SET_ERR_MSG_MOD(extack,
				   "watching needs CAP_NET_ADMIN (or the module's lab mode, unprivileged=1)");
		return false;
	}
	task_lock(task);
	mm = task->mm;
	dumpable = cp_dumpable(task, mm);
	task_unlock(task);
	cp_cred_snapshot(&cred, task, dumpable);
	if (!cp_cred_match(c, &cred)) {
		NL_SET_ERR_MSG_MOD(extack, "no such process");
		return false;
	}
	return true;
}

/* task's credentials now; the caller says whether its mm is dumpable. */
void cp_cred_snapshot(struct cp_cred *cred, struct task_struct *task,
		      bool dumpable)
{
	const struct cred *tc;

	rcu_read_lock();
	tc = __task_cred(task);
	cred->uid = tc->uid;
	cred->euid = tc->euid;
	cred->suid = tc->suid;
	cred->gid = tc->gid;
	cred->egid = tc->egid;
	cred->sgid = tc->sgid;
	rcu_read_unlock();
	cred->dumpable = dumpable;
}

/* Lab mode: a user's records count against max_user_procs. */
bool cp_user_charge(kuid_t uid)
{
	int i, slot = -1;

	lockdep_assert_held(&cp_lock);
	for (i = 0; i < CP_LAB_USERS; i++) {
		if (cp_users[i].nr && uid_eq(cp_users[i].uid, uid)) {
			if (cp_users[i].nr >= READ_ONCE(max_user_procs))
				return false;
			cp_users[i].nr++;
			return true;
		}
		if (!cp_users[i].nr && slot < 0)
			slot = i;
	}
	if (slot < 0 || !READ_ONCE(max_user_procs))
		return false;
	cp_users[slot].uid = uid;
	cp_users[slot].nr = 1;
	return true;
}

void cp_user_uncharge(kuid_t uid)
{
	int i;

	for (i = 0; i < CP_LAB_USERS; i++) {
		if (cp_users[i].nr && uid_eq(cp_users[i].uid, uid)) {
			cp_users[i].nr--;
			return;
		}
	}
}
