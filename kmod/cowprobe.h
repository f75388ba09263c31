/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cowprobe's records and the functions one file offers the others. Calls go
 * one way: main -> netlink -> {get, nlmsg, verbs, arm, exits, access,
 * selfcheck}; get -> nlmsg; nlmsg -> maps; verbs -> {track, access};
 * lifecycle -> {track, exits, maps}; exits -> track; arm -> probes -> faults
 * -> {track, maps} (with account.h's inline accounting); selfcheck ->
 * probes; track -> {access, pool, maps}. The exit records reach netlink through the
 * sink it registers with exits.c, never through a direct call; a disarm is
 * asked of arm.c by track.c through a work item.
 */
#ifndef _COWPROBE_H
#define _COWPROBE_H

#include <linux/atomic.h>
#include <linux/cred.h>
#include <linux/hash.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/rbtree.h>
#include <linux/rculist.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <uapi/linux/cowprobe.h>

struct netlink_ext_ack;
struct mm_struct;
struct pid;
struct pid_namespace;

struct cp_counters {
	atomic64_t c[__COWPROBE_C_MAX];
};

static inline void cp_counters_zero(struct cp_counters *cnt)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(cnt->c); i++)
		atomic64_set(&cnt->c[i], 0);
}

struct cp_region {
	u64 start;
	u64 end;
	char name[COWPROBE_REGION_NAME_LEN];
	struct cp_counters cnt;
};

/* maps.c: one mapping's counts; filled, then published by ready */
struct cp_map {
	u64 start;
	u64 end;
	u64 pgoff;
	u64 ino;
	unsigned long file;		/* the struct file, compared only */
	unsigned long object;		/* of a .bss: the file before it, too */
	u32 dev;
	u8 kind;			/* enum cowprobe_map_kind */
	u8 flags;			/* COWPROBE_MAP_F_* */
	u8 ready;
	char name[COWPROBE_MAP_NAME_LEN];
	struct cp_counters cnt;
};

/* What ptrace compares, as the process had it at its last fork, exec or exit. */
struct cp_cred {
	kuid_t uid, euid, suid;
	kgid_t gid, egid, sgid;
	bool dumpable;
};

/* cp_proc.state, under cp_lock */
enum cp_proc_state {
	CP_PROC_QUEUED = BIT(0),	/* exit record not made yet: keep it */
	CP_PROC_DELETED = BIT(1),	/* deleted meanwhile: free once made */
	CP_PROC_CLOSING = BIT(2),	/* a root being unwatched: follow no fork */
	CP_PROC_CHARGED = BIT(3),	/* counted against its watcher's limit */
	CP_PROC_UNTRACKED = BIT(4),	/* alive with a thread not tracked */
};

/* One per tracked process (thread group); kept after exit until unwatched. */
struct cp_proc {
	struct rb_node rb;		/* cp_procs, by (tgid, serial) */
	struct hlist_node mm_node;	/* cp_procs_mm, by mm, while it has one */
	struct list_head threads;	/* cp_thread.sibling: RCU list, cp_lock */
	struct list_head exit_node;	/* the exit queue (exits.c), cp_lock */
	struct list_head exited_node;	/* root->exited: foldable members */
	struct list_head exited;	/* of a root: its exited members, oldest first */
	struct rcu_head rcu;
	struct llist_node free_node;	/* pool free lists */
	struct mm_struct *mm;		/* compared, never dereferenced */
	struct cp_proc *root_rec;	/* the watched root; NULL for track_all */
	struct pid *pid, *ppid_pid, *root_pid;	/* references held */
	u64 serial;			/* unique per record: (tgid, serial) */
	pid_t tgid;			/* the numbers in the initial pid ns */
	pid_t ppid;
	pid_t root;
	kuid_t watcher;			/* the unprivileged user who watches it */
	struct cp_cred cred;
	u32 flags;			/* COWPROBE_PROC_F_*, under cp_lock */
	u32 state;			/* enum cp_proc_state, under cp_lock */
	u32 nr_threads;			/* threads ever tracked */
	u32 live_threads;
	u32 nr_folded;			/* of a root: exited members folded in */
	u64 start_ns;
	u64 exit_ns;
	char comm[TASK_COMM_LEN];
	struct cp_counters cnt;
	struct cp_counters folded;	/* of a root: what its folded members counted */
	atomic_t nr_maps;		/* buckets claimed (maps.c) */
	unsigned int nr_regions;	/* published with release semantics */
	struct cp_region regions[];	/* max_regions, then the buckets */
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
	u8 wp_class;			/* provisional: other or shared write */
	u8 wp_nreg;			/* the owner's regions it is counted in */
	u8 hugetlb_outcome;
	struct mm_struct *mm;		/* the mm faulted on, for remote faults */
	u64 wp_owner;			/* serial of the record it is counted in */
	unsigned long wp_addr;
	struct cp_map *wp_map;		/* its mapping's bucket, or NULL */
	struct cp_map *huge_map;	/* of the huge-PMD fault in progress */
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
	struct pid *tid;		/* reference held */
	struct cp_fault f;
	struct cp_counters cnt;
};

/* Who asks: netlink requests and dumps are judged and answered in its terms. */
struct cp_caller {
	bool admin;			/* CAP_NET_ADMIN in the initial user ns */
	kuid_t uid;
	kgid_t gid;
	struct pid_namespace *ns;
};

/* pool.c: fixed-size records in chunks, grown by a work item as used */
struct cp_pool {
	void **chunks;
	unsigned int nr_chunks;
	size_t size;			/* of one record */
	size_t zero;			/* its bytes zeroed when taken */
	size_t stride;			/* between records: cache lines */
	size_t node_off;		/* of its struct llist_node */
	unsigned int max;		/* at most: the module parameter */
	unsigned int chunk;		/* records per chunk */
	unsigned int allocated;		/* in its chunks; written under cp_lock */
	atomic_t used;			/* taken, not yet back from RCU */
	atomic64_t behind;		/* refused while a chunk was on its way */
	struct llist_node *free;	/* ready for use, under cp_lock */
	struct llist_head freed;	/* back from RCU callbacks */
	struct work_struct grow;
};

int cp_pool_init(struct cp_pool *pool, unsigned int max, size_t size,
		 size_t node_off);

struct cp_pool_info {
	u32 bytes;			/* one record, cache-line aligned */
	u32 allocated;			/* records its chunks hold now */
	u64 behind;			/* refused while it was growing */
};

void cp_pool_info(const struct cp_pool *pool, struct cp_pool_info *info);

/*
 * pool.c: the store's hash tables, sized at load from max_threads and
 * max_procs, a bucket per record at the limits (256 to 1M buckets), so a
 * lookup in the fault path stays short at 100,000 processes.
 */
struct cp_hash {
	struct hlist_head *heads;
	unsigned int bits;
};

static inline struct hlist_head *cp_bucket(const struct cp_hash *h,
					   const void *key)
{
	return &h->heads[hash_ptr(key, h->bits)];
}

int cp_hash_init(struct cp_hash *h, unsigned int count);
void cp_hash_destroy(struct cp_hash *h);
void cp_pool_destroy(struct cp_pool *pool);
void *cp_pool_get(struct cp_pool *pool);
void cp_pool_put(struct cp_pool *pool, struct llist_node *node);

/* track.c: the records; verbs.c: the verbs on them */
extern raw_spinlock_t cp_lock;
extern atomic_t cp_nr_procs;
extern atomic_t cp_nr_threads;
extern atomic_t cp_nr_partial_live;
extern atomic64_t cp_refused_procs;
extern atomic64_t cp_refused_threads;
extern atomic64_t cp_folded_procs;
extern unsigned int max_procs;
extern unsigned int max_threads;
extern unsigned int max_regions;
extern unsigned int max_maps;
extern unsigned int max_user_procs;
extern bool cp_unprivileged;
extern bool cp_track_all;

int cp_track_init(void);
void cp_track_exit(void);
extern struct cp_hash cp_threads;

/* Under RCU. Inline: every probe hit of every task on the machine asks. */
static inline struct cp_thread *cp_thread_lookup(struct task_struct *task)
{
	struct cp_thread *t;

	hlist_for_each_entry_rcu(t, cp_bucket(&cp_threads, task), node)
		if (t->task == task)
			return t;
	return NULL;
}

struct cp_proc *cp_proc_by_mm(struct mm_struct *mm);
struct cp_proc *cp_proc_by_pid(struct pid *pid);
struct cp_proc *cp_proc_from(pid_t tgid, u64 serial);
struct cp_proc *cp_proc_find(const struct cp_caller *c, pid_t nr, bool root);
struct cp_proc *cp_proc_new(struct task_struct *leader, struct cp_proc *parent,
			    u32 flags);
struct cp_thread *cp_thread_new(struct cp_proc *p, struct task_struct *task);
void cp_thread_del(struct cp_thread *t);
void cp_proc_del(struct cp_proc *p);
void cp_proc_release(struct cp_proc *p);
void cp_proc_exited(struct cp_proc *p);
void cp_proc_mark_partial(struct cp_proc *p);
void cp_proc_set_mm(struct cp_proc *p, struct mm_struct *mm);
void cp_cred_snapshot(struct cp_cred *cred, struct task_struct *task,
		      bool dumpable);
void cp_record_pools(struct cp_pool_info *procs, struct cp_pool_info *threads);
bool cp_user_charge(kuid_t uid);
void cp_user_uncharge(kuid_t uid);
struct cp_proc *cp_proc_next(struct cp_proc *p);
int cp_watch(const struct cp_caller *c, struct task_struct *task, u32 flags,
	     struct netlink_ext_ack *extack);
int cp_unwatch(const struct cp_caller *c, pid_t root,
	       struct netlink_ext_ack *extack);
int cp_reset(const struct cp_caller *c, pid_t nr, struct netlink_ext_ack *extack);
int cp_region_add(const struct cp_caller *c, pid_t nr, u64 start, u64 end,
		  const char *name, struct netlink_ext_ack *extack);
void cp_forget_all(void);

/* access.c: who may see and change what, and pids in the caller's terms */
void cp_caller_init(struct cp_caller *c, bool admin);
void cp_caller_release(struct cp_caller *c);
bool cp_may_see(const struct cp_caller *c, const struct cp_proc *p);
int cp_may_change(const struct cp_caller *c, const struct cp_proc *p,
		  struct netlink_ext_ack *extack);
bool cp_may_watch(const struct cp_caller *c, struct task_struct *task,
		  struct netlink_ext_ack *extack);
pid_t cp_pid_nr(const struct cp_caller *c, struct pid *pid);

/* exits.c: exit records, made in order by a work item */
struct cp_exit_sink {
	bool (*wanted)(void);
	void (*send)(const struct cp_proc *p);
};

void cp_exits_set_sink(const struct cp_exit_sink *sink);
bool cp_exit_wanted(void);
bool cp_exit_queue(struct cp_proc *p);
void cp_exits_kick(void);
void cp_exits_flush(void);

/* lifecycle.c: fork, exec and exit of tracked processes */
int cp_lifecycle_init(void);
void cp_lifecycle_exit(void);

/* probes.c: placing the probes; faults.c: what they do */
struct cp_probe_info {
	const char *name;
	const char *symbol;
	enum cowprobe_probe_state state;
	enum cowprobe_probe_hook hook;
	int error;
	u64 nmissed;
	u64 hits;
};

enum cp_role {
	CP_PROBE_WP,
	CP_PROBE_RMAP,
	CP_PROBE_REUSE,
	CP_PROBE_HUGE_PMD,
	CP_PROBE_HUGETLB,
	CP_PROBE_HUGETLB_RMAP,
	CP_NR_PROBES,
};

int cp_probes_init(void);
void cp_probes_exit(void);
void cp_probe_info(unsigned int i, struct cp_probe_info *info);
bool cp_probe_active(enum cp_role r);
bool cp_file_copy_exact(void);

void cp_probes_enable(bool on);

/* fentry.c: do_wp_page and new-anon-rmap as ftrace callbacks, where it can */
int cp_fentry_place(enum cp_role r, char *symbol);
int cp_fentry_enable(enum cp_role r, bool on);
enum cowprobe_probe_hook cp_fentry_hook(enum cp_role r);
/* its trampolines (asm) for ftrace direct calls, where CP_FENTRY_DIRECT */
void cp_direct_wp(void);
void cp_direct_rmap(void);
void cp_fentry_remove(enum cp_role r);

/* faults.c: the handlers, and where the copy and reuse calls come from */
struct kprobe;
struct kretprobe_instance;
struct pt_regs;
#define CP_HUGE_DATA_SIZE sizeof(unsigned long)
struct vm_fault;
struct vm_area_struct;
/* notrace: the fentry hooks call them on every write fault (fentry.c) */
void cp_wp_start(struct vm_fault *vmf);
void cp_rmap_new(struct vm_area_struct *vma, unsigned long addr,
		 unsigned long ret);
int cp_wp_pre(struct kprobe *kp, struct pt_regs *regs);
int cp_rmap_pre(struct kprobe *kp, struct pt_regs *regs);
int cp_reuse_pre(struct kprobe *kp, struct pt_regs *regs);
int cp_huge_pmd_entry(struct kretprobe_instance *ri, struct pt_regs *regs);
int cp_huge_pmd_return(struct kretprobe_instance *ri, struct pt_regs *regs);
int cp_hugetlb_entry(struct kretprobe_instance *ri, struct pt_regs *regs);
int cp_hugetlb_return(struct kretprobe_instance *ri, struct pt_regs *regs);
int cp_hugetlb_rmap_pre(struct kprobe *kp, struct pt_regs *regs);
void cp_finish_init(void);
void cp_wp_range_init(const char *wp_symbol);
u64 cp_probe_hits(unsigned int i);

/* arm.c: with idle_disarm, probes armed only while something is tracked */
extern bool cp_idle_disarm;
void cp_arm_choose(void);
void cp_arm_init(void);
void cp_arm_exit(void);
void cp_arm_hold(void);
void cp_arm_unhold(void);
void cp_arm_idle(void);
bool cp_arm_state(u64 *count);
void cp_set_track_all(bool on);

/* selfcheck.c: which fault classes this kernel's probes see, and how */
#define CP_HOW_LEN 128

struct cp_class_info {
	const char *name;
	enum cowprobe_class_state state;
	char how[CP_HOW_LEN];
};

unsigned int cp_classes_count(void);
void cp_class_info(unsigned int i, struct cp_class_info *ci);

/* maps.c: counts per mapping (COWPROBE_WATCH_F_MAPS) */
struct vm_area_struct;
size_t cp_maps_layout(size_t rec_size);
u32 cp_maps_bytes(void);
/* where a record's buckets start, set once at load by cp_maps_layout */
extern size_t cp_maps_off;

/* The buckets of p: max_maps of them, then the overflow bucket. */
static inline struct cp_map *cp_maps(const struct cp_proc *p)
{
	return (struct cp_map *)((char *)p + cp_maps_off);
}

/* Buckets claimed by p, at most max_maps (the overflow bucket is apart). */
static inline unsigned int cp_nr_maps(const struct cp_proc *p)
{
	return min_t(unsigned int, atomic_read(&p->nr_maps), max_maps);
}

/* The published bucket of p after m (the first after NULL), or NULL. */
static inline struct cp_map *cp_map_next(const struct cp_proc *p,
					 struct cp_map *m)
{
	struct cp_map *maps = cp_maps(p);
	unsigned int i;

	for (i = m ? m - maps + 1 : 0; i < cp_nr_maps(p); i++)
		/* filled before published: pairs with the release of ->ready */
		if (smp_load_acquire(&maps[i].ready))
			return &maps[i];
	return NULL;
}

struct cp_map *cp_map_of(struct cp_proc *p, struct vm_area_struct *vma,
			 unsigned long addr);
struct cp_map *cp_map_at(struct cp_proc *p, unsigned long addr);
void cp_maps_at_fork(struct cp_proc *p, struct mm_struct *mm);
void cp_maps_reset(struct cp_proc *p);

/* nlmsg.c: the attributes of a record (with cp_lock held) and their sizes */
struct sk_buff;
size_t cp_proc_size(unsigned int nr_regions, bool threads,
		    unsigned int nr_threads);
bool cp_threads_fit(const struct cp_proc *p);
int cp_put_proc(struct sk_buff *skb, const struct cp_caller *c,
		const struct cp_proc *p, bool threads, u32 extra_flags);
int cp_put_classes(struct sk_buff *msg);

/* netlink.c */
int cp_netlink_init(void);
void cp_netlink_exit(void);

#endif /* _COWPROBE_H */
