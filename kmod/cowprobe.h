/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _COWPROBE_H
#define _COWPROBE_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/types.h>
#include <uapi/linux/cowprobe.h>

struct netlink_ext_ack;

struct cp_counters {
	atomic64_t c[__COWPROBE_C_MAX];
};

/* One per tracked process (thread group); kept after exit until unwatched. */
struct cp_proc {
	struct hlist_node node;		/* cp_procs, by tgid */
	struct list_head threads;	/* cp_thread.sibling, under cp_lock */
	struct rcu_head rcu;
	pid_t tgid;
	pid_t ppid;
	pid_t root;
	u32 flags;			/* COWPROBE_PROC_F_*, under cp_lock */
	u32 nr_threads;			/* threads ever tracked */
	u32 live_threads;
	u64 start_ns;
	u64 exit_ns;
	char comm[TASK_COMM_LEN];
	struct cp_counters cnt;
};

/* Outcome of one do_wp_page call, set by the inner probes. */
enum cp_outcome {
	CP_OUT_NONE,
	CP_OUT_COPY,
	CP_OUT_REUSE,
};

/* One per live tracked thread; looked up by task on the fault path. */
struct cp_thread {
	struct hlist_node node;		/* cp_threads, by task pointer */
	struct list_head sibling;	/* cp_proc.threads */
	struct rcu_head rcu;
	struct task_struct *task;
	struct cp_proc *proc;
	pid_t pid;
	/* state of the fault in progress: written only by the task itself */
	bool in_wp;
	bool wp_zero;
	bool wp_shared;
	u8 wp_outcome;
	struct cp_counters cnt;
};

/* track.c */
int cp_track_init(void);
void cp_track_exit(void);
struct cp_thread *cp_thread_lookup(struct task_struct *task);
int cp_watch(struct task_struct *task, u32 flags, struct netlink_ext_ack *extack);
int cp_unwatch(pid_t root, struct netlink_ext_ack *extack);
int cp_reset(pid_t tgid, struct netlink_ext_ack *extack);
void cp_count(struct cp_thread *t, enum cowprobe_counter c);

extern spinlock_t cp_lock;
extern atomic_t cp_nr_procs;
extern atomic_t cp_nr_threads;
extern atomic64_t cp_refused_procs;
extern atomic64_t cp_refused_threads;
extern unsigned int cp_generation;
extern unsigned int max_procs;
extern unsigned int max_threads;

struct cp_proc *cp_proc_lookup(pid_t tgid);
struct cp_proc *cp_proc_next(unsigned int *bucket, unsigned int *pos);

/* probes.c */
struct cp_probe_info {
	const char *name;
	const char *symbol;
	enum cowprobe_probe_state state;
	int error;
	u64 nmissed;
	u64 hits;
};

int cp_probes_init(void);
void cp_probes_exit(void);
unsigned int cp_probes_count(void);
void cp_probe_info(unsigned int i, struct cp_probe_info *info);

/* netlink.c */
int cp_netlink_init(void);
void cp_netlink_exit(void);

#endif /* _COWPROBE_H */
