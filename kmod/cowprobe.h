/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _COWPROBE_H
#define _COWPROBE_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <uapi/linux/cowprobe.h>

struct netlink_ext_ack;
struct mm_struct;

struct cp_counters {
	atomic64_t c[__COWPROBE_C_MAX];
};

struct cp_region {
	u64 start;
	u64 end;
	char name[COWPROBE_REGION_NAME_LEN];
	struct cp_counters cnt;
};

/* cp_proc.state: the exit record, made by a work item (track.c) */
enum cp_proc_state {
	CP_PROC_QUEUED = BIT(0),	/* exit record not made yet: keep it */
	CP_PROC_DELETED = BIT(1),	/* deleted meanwhile: free once made */
};

/* One per tracked process (thread group); kept after exit until unwatched. */
struct cp_proc {
	struct hlist_node node;		/* cp_procs, by tgid */
	struct hlist_node mm_node;	/* cp_procs_mm, by mm, while it has one */
	struct list_head threads;	/* cp_thread.sibling: RCU list, cp_lock */
	struct list_head exit_node;	/* cp_exit_queue, under cp_lock */
	struct rcu_head rcu;
	struct llist_node free_node;	/* pool free lists */
	struct mm_struct *mm;		/* compared, never dereferenced */
	pid_t tgid;
	pid_t ppid;
	pid_t root;
	u32 flags;			/* COWPROBE_PROC_F_*, under cp_lock */
	u32 state;			/* enum cp_proc_state, under cp_lock */
	u32 nr_threads;			/* threads ever tracked */
	u32 live_threads;
	u64 start_ns;
	u64 exit_ns;
	char comm[TASK_COMM_LEN];
	struct cp_counters cnt;
	unsigned int nr_regions;	/* published with release semantics */
	struct cp_region regions[];	/* max_regions of them */
};

/* What the page written in the fault in progress was. */
enum cp_wp_flag {
	CP_WP_ZERO = BIT(0),
	CP_WP_SHARED = BIT(1),
	CP_WP_KSM = BIT(2),
	CP_WP_THP = BIT(3),
	CP_WP_UNSHARE = BIT(4),
	CP_WP_REMOTE = BIT(5),
};

/* Outcome of one fault, set by the inner probes. */
enum cp_outcome {
	CP_OUT_NONE,
	CP_OUT_COPY,
	CP_OUT_REUSE,
};

/* State of the faults in progress: written only by the thread itself. */
struct cp_fault {
	bool in_wp;
	bool in_hugetlb;
	u8 wp_flags;
	u8 wp_outcome;
	u8 hugetlb_outcome;
	struct mm_struct *mm;		/* the mm faulted on, for remote faults */
	unsigned long wp_addr;
};

/* One per live tracked thread; looked up by task on the fault path. */
struct cp_thread {
	struct hlist_node node;		/* cp_threads, by task pointer */
	struct list_head sibling;	/* cp_proc.threads */
	struct rcu_head rcu;
	struct llist_node free_node;	/* pool free lists */
	struct task_struct *task;
	struct cp_proc *proc;
	pid_t pid;
	struct cp_fault f;
	struct cp_counters cnt;
};

/* track.c */
int cp_track_init(void);
void cp_track_stop(void);
void cp_track_exit(void);
struct cp_thread *cp_thread_lookup(struct task_struct *task);
struct cp_proc *cp_proc_lookup(pid_t tgid);
struct cp_proc *cp_proc_by_mm(struct mm_struct *mm);
struct cp_proc *cp_proc_next(unsigned int *bucket, unsigned int *pos);
int cp_watch(struct task_struct *task, u32 flags, struct netlink_ext_ack *extack);
int cp_unwatch(pid_t root, struct netlink_ext_ack *extack);
int cp_reset(pid_t tgid, struct netlink_ext_ack *extack);
int cp_region_add(pid_t tgid, u64 start, u64 end, const char *name,
		  struct netlink_ext_ack *extack);
void cp_account(struct cp_thread *t, struct cp_proc *owner, unsigned long addr,
		enum cowprobe_counter c);

extern raw_spinlock_t cp_lock;
extern atomic_t cp_nr_procs;
extern atomic_t cp_nr_threads;
extern atomic64_t cp_refused_procs;
extern atomic64_t cp_refused_threads;
extern unsigned int cp_generation;
extern unsigned int max_procs;
extern unsigned int max_threads;
extern unsigned int max_regions;

/* probes.c */
struct cp_probe_info {
	const char *name;
	const char *symbol;
	enum cowprobe_probe_state state;
	int error;
	u64 nmissed;
	u64 hits;
};

#define CP_HOW_LEN 128

struct cp_class_info {
	const char *name;
	enum cowprobe_class_state state;
	char how[CP_HOW_LEN];
};

int cp_probes_init(void);
void cp_probes_exit(void);
unsigned int cp_probes_count(void);
void cp_probe_info(unsigned int i, struct cp_probe_info *info);
unsigned int cp_classes_count(void);
void cp_class_info(unsigned int i, struct cp_class_info *ci);

/* netlink.c */
int cp_netlink_init(void);
void cp_netlink_exit(void);
bool cp_exit_wanted(void);
void cp_notify_exit(const struct cp_proc *p);

extern bool cp_track_all;

#endif /* _COWPROBE_H */
