// SPDX-License-Identifier: GPL-2.0
/* The cowprobe generic netlink family: see include/uapi/linux/cowprobe.h. */
#include <linux/pid.h>
#include <linux/sched/task.h>
#include <net/genetlink.h>
#include "cowprobe.h"

static struct genl_family cp_family;

/*
 * The kernel marks the missing attribute; say it in words too. The local is
 * not called __info: GENL_REQ_ATTR_CHECK() declares one of that name, which
 * would be initialized from itself.
 */
#define cp_require(info, attr) ({					\
	struct genl_info *__cp_info = (info);				\
	bool __missing = GENL_REQ_ATTR_CHECK(__cp_info, attr);		\
									\
	if (__missing)							\
		NL_SET_ERR_MSG_MOD(__cp_info->extack,			\
				   "missing required attribute " #attr);\
	__missing;							\
})

enum cp_mcgrp {
	CP_MCGRP_EXITS,
};

/* the family is registered: exit records may be made */
static bool cp_nl_ready;
static atomic64_t cp_exit_seq = ATOMIC64_INIT(0);
static atomic64_t cp_exits_sent = ATOMIC64_INIT(0);
static atomic64_t cp_exits_dropped = ATOMIC64_INIT(0);

static const struct nla_policy cp_config_policy[COWPROBE_A_MAX + 1] = {
	[COWPROBE_A_TRACK_ALL] = NLA_POLICY_MAX(NLA_U32, 1),
};

static const struct nla_policy cp_watch_policy[COWPROBE_A_MAX + 1] = {
	[COWPROBE_A_PID] = NLA_POLICY_MIN(NLA_U32, 1),
	[COWPROBE_A_WATCH_FLAGS] = NLA_POLICY_MASK(NLA_U32, __COWPROBE_WATCH_F_ALL),
};

static const struct nla_policy cp_pid_policy[COWPROBE_A_MAX + 1] = {
	[COWPROBE_A_PID] = NLA_POLICY_MIN(NLA_U32, 1),
};

static const struct nla_policy cp_get_policy[COWPROBE_A_MAX + 1] = {
	[COWPROBE_A_PID] = NLA_POLICY_MIN(NLA_U32, 1),
	[COWPROBE_A_ROOT] = NLA_POLICY_MIN(NLA_U32, 1),
};

static const struct nla_policy cp_region_policy[COWPROBE_A_MAX + 1] = {
	[COWPROBE_A_PID] = NLA_POLICY_MIN(NLA_U32, 1),
	[COWPROBE_A_REGION_START] = { .type = NLA_U64 },
	[COWPROBE_A_REGION_END] = { .type = NLA_U64 },
	[COWPROBE_A_REGION_NAME] = { .type = NLA_NUL_STRING,
				     .len = COWPROBE_REGION_NAME_LEN - 1 },
};

/* Message sizes: at most what the cp_put_*() functions below write. */
static size_t cp_counters_size(void)
{
	return nla_total_size(0) +
	       (COWPROBE_C_MAX - COWPROBE_C_WP_FAULTS + 1) *
	       nla_total_size_64bit(sizeof(u64));
}

static size_t cp_thread_size(void)
{
	return nla_total_size(0) + nla_total_size(sizeof(u32)) +
	       cp_counters_size();
}

static size_t cp_region_size(void)
{
	return nla_total_size(0) + 2 * nla_total_size_64bit(sizeof(u64)) +
	       nla_total_size(COWPROBE_REGION_NAME_LEN) + cp_counters_size();
}

static size_t cp_proc_size(unsigned int nr_regions, bool threads,
			   unsigned int nr_threads)
{
	size_t size;

	size = 5 * nla_total_size(sizeof(u32)) +
	       nla_total_size(TASK_COMM_LEN) +
	       2 * nla_total_size_64bit(sizeof(u64)) + cp_counters_size();
	if (nr_regions)
		size += nla_total_size(0) + nr_regions * cp_region_size();
	if (threads)
		size += nla_total_size(0) + nr_threads * cp_thread_size();
	return size;
}

/* Whether the threads of p fit in one attribute, whose length is a u16. */
static bool cp_threads_fit(const struct cp_proc *p)
{
	return nla_total_size(0) + p->live_threads * cp_thread_size() <=
	       U16_MAX;
}

static int cp_put_counters(struct sk_buff *skb, const struct cp_counters *cnt)
{
	struct nlattr *nest;
	int i;

	nest = nla_nest_start(skb, COWPROBE_A_COUNTERS);
	if (!nest)
		return -EMSGSIZE;
	for (i = COWPROBE_C_WP_FAULTS; i <= COWPROBE_C_MAX; i++) {
		if (nla_put_u64_64bit(skb, i, atomic64_read(&cnt->c[i]),
				      COWPROBE_C_PAD)) {
			nla_nest_cancel(skb, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int cp_put_threads(struct sk_buff *skb, const struct cp_proc *p)
{
	struct nlattr *threads, *thread;
	struct cp_thread *t;

	threads = nla_nest_start(skb, COWPROBE_A_THREADS);
	if (!threads)
		return -EMSGSIZE;
	list_for_each_entry(t, &p->threads, sibling) {
		thread = nla_nest_start(skb, COWPROBE_A_THREAD);
		if (!thread || nla_put_u32(skb, COWPROBE_A_PID, t->pid) ||
		    cp_put_counters(skb, &t->cnt)) {
			nla_nest_cancel(skb, threads);
			return -EMSGSIZE;
		}
		nla_nest_end(skb, thread);
	}
	nla_nest_end(skb, threads);
	return 0;
}

static int cp_put_regions(struct sk_buff *skb, const struct cp_proc *p)
{
	struct nlattr *regions, *region;
	unsigned int i;

	if (!p->nr_regions)
		return 0;
	regions = nla_nest_start(skb, COWPROBE_A_REGIONS);
	if (!regions)
		return -EMSGSIZE;
	for (i = 0; i < p->nr_regions; i++) {
		const struct cp_region *r = &p->regions[i];

		region = nla_nest_start(skb, COWPROBE_A_REGION);
		if (!region ||
		    nla_put_u64_64bit(skb, COWPROBE_A_REGION_START, r->start,
				      COWPROBE_A_PAD) ||
		    nla_put_u64_64bit(skb, COWPROBE_A_REGION_END, r->end,
				      COWPROBE_A_PAD) ||
		    nla_put_string(skb, COWPROBE_A_REGION_NAME, r->name) ||
		    cp_put_counters(skb, &r->cnt)) {
			nla_nest_cancel(skb, regions);
			return -EMSGSIZE;
		}
		nla_nest_end(skb, region);
	}
	nla_nest_end(skb, regions);
	return 0;
}

/* Called with cp_lock held. */
static int cp_put_proc(struct sk_buff *skb, const struct cp_proc *p,
		       bool threads, u32 extra_flags)
{
	u32 flags = p->flags | extra_flags;

	if (nla_put_u32(skb, COWPROBE_A_PID, p->tgid) ||
	    nla_put_u32(skb, COWPROBE_A_PPID, p->ppid) ||
	    nla_put_u32(skb, COWPROBE_A_ROOT, p->root) ||
	    nla_put_string(skb, COWPROBE_A_COMM, p->comm) ||
	    nla_put_u32(skb, COWPROBE_A_PROC_FLAGS, flags) ||
	    nla_put_u32(skb, COWPROBE_A_NR_THREADS, p->nr_threads) ||
	    nla_put_u64_64bit(skb, COWPROBE_A_START_NS, p->start_ns,
			      COWPROBE_A_PAD) ||
	    nla_put_u64_64bit(skb, COWPROBE_A_EXIT_NS, p->exit_ns,
			      COWPROBE_A_PAD) ||
	    cp_put_counters(skb, &p->cnt) || cp_put_regions(skb, p))
		return -EMSGSIZE;
	if (threads && cp_put_threads(skb, p))
		return -EMSGSIZE;
	return 0;
}

static int cp_put_classes(struct sk_buff *msg)
{
	struct cp_class_info ci;
	struct nlattr *classes, *class;
	unsigned int i;

	classes = nla_nest_start(msg, COWPROBE_A_CLASSES);
	if (!classes)
		return -EMSGSIZE;
	for (i = 0; i < cp_classes_count(); i++) {
		cp_class_info(i, &ci);
		class = nla_nest_start(msg, COWPROBE_A_CLASS);
		if (!class ||
		    nla_put_string(msg, COWPROBE_CLASS_A_NAME, ci.name) ||
		    nla_put_u32(msg, COWPROBE_CLASS_A_STATE, ci.state) ||
		    nla_put_string(msg, COWPROBE_CLASS_A_HOW, ci.how))
			return -EMSGSIZE;
		nla_nest_end(msg, class);
	}
	nla_nest_end(msg, classes);
	return 0;
}

static int cp_nl_status(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *probes, *probe;
	struct cp_probe_info pi;
	struct sk_buff *msg;
	unsigned int i;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &cp_family, 0, COWPROBE_CMD_STATUS);
	if (!hdr)
		goto err_free;
	if (nla_put_string(msg, COWPROBE_A_VERSION, COWPROBE_VERSION) ||
	    nla_put_u32(msg, COWPROBE_A_GENL_VERSION, COWPROBE_GENL_VERSION) ||
	    nla_put_u32(msg, COWPROBE_A_LIMIT_PROCS, max_procs) ||
	    nla_put_u32(msg, COWPROBE_A_LIMIT_THREADS, max_threads) ||
	    nla_put_u32(msg, COWPROBE_A_LIMIT_REGIONS, max_regions) ||
	    nla_put_u32(msg, COWPROBE_A_NR_PROCS, atomic_read(&cp_nr_procs)) ||
	    nla_put_u32(msg, COWPROBE_A_NR_THREADS, atomic_read(&cp_nr_threads)) ||
	    nla_put_u64_64bit(msg, COWPROBE_A_REFUSED_PROCS,
			      atomic64_read(&cp_refused_procs), COWPROBE_A_PAD) ||
	    nla_put_u64_64bit(msg, COWPROBE_A_REFUSED_THREADS,
			      atomic64_read(&cp_refused_threads), COWPROBE_A_PAD) ||
	    nla_put_u32(msg, COWPROBE_A_TRACK_ALL, READ_ONCE(cp_track_all)) ||
	    nla_put_u64_64bit(msg, COWPROBE_A_SEQ, atomic64_read(&cp_exit_seq),
			      COWPROBE_A_PAD) ||
	    nla_put_u64_64bit(msg, COWPROBE_A_EXITS_SENT,
			      atomic64_read(&cp_exits_sent), COWPROBE_A_PAD) ||
	    nla_put_u64_64bit(msg, COWPROBE_A_EXITS_DROPPED,
			      atomic64_read(&cp_exits_dropped), COWPROBE_A_PAD))
		goto err_free;

	probes = nla_nest_start(msg, COWPROBE_A_PROBES);
	if (!probes)
		goto err_free;
	for (i = 0; i < cp_probes_count(); i++) {
		cp_probe_info(i, &pi);
		probe = nla_nest_start(msg, COWPROBE_A_PROBE);
		if (!probe ||
		    nla_put_string(msg, COWPROBE_PROBE_A_NAME, pi.name) ||
		    nla_put_string(msg, COWPROBE_PROBE_A_SYMBOL, pi.symbol) ||
		    nla_put_u32(msg, COWPROBE_PROBE_A_STATE, pi.state) ||
		    nla_put_s32(msg, COWPROBE_PROBE_A_ERROR, pi.error) ||
		    nla_put_u64_64bit(msg, COWPROBE_PROBE_A_NMISSED, pi.nmissed,
				      COWPROBE_PROBE_A_PAD) ||
		    nla_put_u64_64bit(msg, COWPROBE_PROBE_A_HITS, pi.hits,
				      COWPROBE_PROBE_A_PAD))
			goto err_free;
		nla_nest_end(msg, probe);
	}
	nla_nest_end(msg, probes);
	if (cp_put_classes(msg))
		goto err_free;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_free:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static int cp_nl_watch(struct sk_buff *skb, struct genl_info *info)
{
	struct task_struct *task;
	struct pid *pid;
	u32 flags = 0;
	int err;

	if (cp_require(info, COWPROBE_A_PID))
		return -EINVAL;
	if (info->attrs[COWPROBE_A_WATCH_FLAGS])
		flags = nla_get_u32(info->attrs[COWPROBE_A_WATCH_FLAGS]);

	pid = find_get_pid(nla_get_u32(info->attrs[COWPROBE_A_PID]));
	task = pid ? get_pid_task(pid, PIDTYPE_PID) : NULL;
	put_pid(pid);
	if (!task) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[COWPROBE_A_PID],
				    "no such process");
		return -ESRCH;
	}
	err = cp_watch(task, flags, info->extack);
	put_task_struct(task);
	return err;
}

static int cp_nl_unwatch(struct sk_buff *skb, struct genl_info *info)
{
	if (cp_require(info, COWPROBE_A_PID))
		return -EINVAL;
	return cp_unwatch(nla_get_u32(info->attrs[COWPROBE_A_PID]), info->extack);
}

static int cp_nl_reset(struct sk_buff *skb, struct genl_info *info)
{
	pid_t tgid = 0;

	if (info->attrs[COWPROBE_A_PID])
		tgid = nla_get_u32(info->attrs[COWPROBE_A_PID]);
	return cp_reset(tgid, info->extack);
}

static int cp_nl_region_add(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **attrs = info->attrs;
	const char *name = "";
	u64 start, end;

	if (cp_require(info, COWPROBE_A_PID) ||
	    cp_require(info, COWPROBE_A_REGION_START) ||
	    cp_require(info, COWPROBE_A_REGION_END))
		return -EINVAL;
	start = nla_get_u64(attrs[COWPROBE_A_REGION_START]);
	end = nla_get_u64(attrs[COWPROBE_A_REGION_END]);
	if (start >= end) {
		NL_SET_ERR_MSG_ATTR(info->extack, attrs[COWPROBE_A_REGION_END],
				    "region end must lie above its start");
		return -EINVAL;
	}
	if (attrs[COWPROBE_A_REGION_NAME])
		name = nla_data(attrs[COWPROBE_A_REGION_NAME]);
	return cp_region_add(nla_get_u32(attrs[COWPROBE_A_PID]), start, end,
			     name, info->extack);
}

static int cp_nl_config(struct sk_buff *skb, struct genl_info *info)
{
	if (info->attrs[COWPROBE_A_TRACK_ALL])
		WRITE_ONCE(cp_track_all,
			   nla_get_u32(info->attrs[COWPROBE_A_TRACK_ALL]));
	return 0;
}

/* Whether an exit record would reach anyone; any context. */
bool cp_exit_wanted(void)
{
	/* pairs with the release in cp_netlink_init(): the family is set up */
	return smp_load_acquire(&cp_nl_ready) &&
	       genl_has_listeners(&cp_family, &init_net, CP_MCGRP_EXITS);
}

/*
 * The exit record of p, numbered seq: sized from the regions p has, which an
 * exited process can only gain (REGION_ADD) before cp_lock is taken; then
 * sized again.
 */
static struct sk_buff *cp_exit_msg(const struct cp_proc *p, u64 seq)
{
	unsigned int nr_regions = READ_ONCE(p->nr_regions);
	struct sk_buff *skb;
	int tries, err;
	void *hdr;

	for (tries = 0; tries < 2; tries++) {
		skb = genlmsg_new(cp_proc_size(nr_regions, false, 0) +
				  nla_total_size_64bit(sizeof(u64)), GFP_KERNEL);
		if (!skb)
			return NULL;
		hdr = genlmsg_put(skb, 0, 0, &cp_family, 0, COWPROBE_CMD_EXIT);
		if (hdr) {
			raw_spin_lock(&cp_lock);
			err = cp_put_proc(skb, p, false, 0);
			nr_regions = p->nr_regions;
			raw_spin_unlock(&cp_lock);
			if (!err)
				err = nla_put_u64_64bit(skb, COWPROBE_A_SEQ, seq,
							COWPROBE_A_PAD);
			if (!err) {
				genlmsg_end(skb, hdr);
				return skb;
			}
		}
		nlmsg_free(skb);
	}
	return NULL;
}

/*
 * Called by the exit work item (track.c), in process context, for a process
 * whose last thread exited; p stays allocated meanwhile. Records are
 * numbered when made, one at a time, so a listener sees any it missed as a
 * gap; the ones the kernel could not send are counted.
 */
void cp_notify_exit(const struct cp_proc *p)
{
	struct sk_buff *skb;
	u64 seq;
	int err;

	if (!cp_exit_wanted())
		return;
	seq = atomic64_inc_return(&cp_exit_seq);
	skb = cp_exit_msg(p, seq);
	if (!skb)
		goto dropped;
	err = genlmsg_multicast(&cp_family, skb, 0, CP_MCGRP_EXITS, GFP_KERNEL);
	/*
	 * -ESRCH: delivered to nobody. Either the last listener left meanwhile
	 * (nobody missed anything) or every listener's socket was full and
	 * none asked for NETLINK_BROADCAST_ERROR: those missed it.
	 */
	if (err == -ESRCH && !cp_exit_wanted())
		err = 0;
	if (err)
		goto dropped;
	atomic64_inc(&cp_exits_sent);
	return;

dropped:
	atomic64_inc(&cp_exits_dropped);
}

/*
 * The reply is filled under cp_lock, which the size of one message bounds: a
 * thread list longer than an attribute can hold (U16_MAX bytes, some 280
 * threads) is left out and COWPROBE_PROC_F_THREADS_OMITTED set, as in a dump.
 */
static int cp_nl_get(struct sk_buff *skb, struct genl_info *info)
{
	size_t size = NLMSG_GOODSIZE;
	struct sk_buff *msg;
	struct cp_proc *p;
	bool threads;
	pid_t tgid;
	void *hdr;
	int tries;

	if (cp_require(info, COWPROBE_A_PID))
		return -EINVAL;
	tgid = nla_get_u32(info->attrs[COWPROBE_A_PID]);

	/* the record may grow between sizing and filling: retry */
	for (tries = 0; tries < 4; tries++) {
		msg = genlmsg_new(size, GFP_KERNEL);
		if (!msg)
			return -ENOMEM;
		hdr = genlmsg_put_reply(msg, info, &cp_family, 0,
					COWPROBE_CMD_GET);
		if (!hdr) {
			nlmsg_free(msg);
			return -EMSGSIZE;
		}
		raw_spin_lock(&cp_lock);
		p = cp_proc_lookup(tgid);
		if (!p) {
			raw_spin_unlock(&cp_lock);
			nlmsg_free(msg);
			NL_SET_ERR_MSG_ATTR(info->extack,
					    info->attrs[COWPROBE_A_PID],
					    "process is not tracked");
			return -ENOENT;
		}
		threads = cp_threads_fit(p);
		if (!cp_put_proc(msg, p, threads, threads ? 0 :
				 COWPROBE_PROC_F_THREADS_OMITTED)) {
			raw_spin_unlock(&cp_lock);
			genlmsg_end(msg, hdr);
			return genlmsg_reply(msg, info);
		}
		size = max(size * 2, cp_proc_size(p->nr_regions, threads,
						  p->live_threads));
		raw_spin_unlock(&cp_lock);
		nlmsg_free(msg);
	}
	NL_SET_ERR_MSG_MOD(info->extack, "record too large for one message");
	return -EMSGSIZE;
}

/* cb->args: [0] hash bucket, [1] position in it, [2] root filter */
static int cp_nl_get_start(struct netlink_callback *cb)
{
	struct nlattr **attrs = cp_genl_dump_attrs(cb);

	if (attrs[COWPROBE_A_ROOT])
		cb->args[2] = nla_get_u32(attrs[COWPROBE_A_ROOT]);
	/* room for any record without its threads, whatever max_regions */
	cb->min_dump_alloc = nlmsg_total_size(GENL_HDRLEN +
					      cp_proc_size(max_regions, false, 0));
	return 0;
}

static int cp_nl_get_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	unsigned int bucket = cb->args[0], pos = cb->args[1];
	pid_t root = cb->args[2];
	struct cp_proc *p;
	void *hdr;
	int err;

	/* one message per call: that bounds the time cp_lock is held */
	raw_spin_lock(&cp_lock);
	cb->seq = cp_generation;
	for (;;) {
		unsigned int prev_bucket = bucket, prev_pos = pos;
		bool first = !skb->len;

		p = cp_proc_next(&bucket, &pos);
		if (!p)
			break;
		if (root && p->root != root)
			continue;
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &cp_family, NLM_F_MULTI,
				  COWPROBE_CMD_GET);
		if (!hdr)
			goto full;
		genl_dump_check_consistent(cb, hdr);
		err = cp_put_proc(skb, p, true, 0);
		/* one record alone too large for a message: drop its threads */
		if (err && first) {
			genlmsg_cancel(skb, hdr);
			hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
					  cb->nlh->nlmsg_seq, &cp_family,
					  NLM_F_MULTI, COWPROBE_CMD_GET);
			err = hdr ? cp_put_proc(skb, p, false,
						COWPROBE_PROC_F_THREADS_OMITTED) :
				    -EMSGSIZE;
		}
		if (err) {
			if (hdr)
				genlmsg_cancel(skb, hdr);
full:
			bucket = prev_bucket;
			pos = prev_pos;
			break;
		}
		genlmsg_end(skb, hdr);
	}
	raw_spin_unlock(&cp_lock);
	cb->args[0] = bucket;
	cb->args[1] = pos;
	return skb->len;
}

static const struct genl_ops cp_ops[] = {
	{
		.cmd = COWPROBE_CMD_STATUS,
		.doit = cp_nl_status,
	},
	{
		.cmd = COWPROBE_CMD_WATCH,
		.doit = cp_nl_watch,
		.policy = cp_watch_policy,
		.maxattr = COWPROBE_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = COWPROBE_CMD_UNWATCH,
		.doit = cp_nl_unwatch,
		.policy = cp_pid_policy,
		.maxattr = COWPROBE_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = COWPROBE_CMD_GET,
		.doit = cp_nl_get,
		.start = cp_nl_get_start,
		.dumpit = cp_nl_get_dump,
		.policy = cp_get_policy,
		.maxattr = COWPROBE_A_MAX,
	},
	{
		.cmd = COWPROBE_CMD_RESET,
		.doit = cp_nl_reset,
		.policy = cp_pid_policy,
		.maxattr = COWPROBE_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = COWPROBE_CMD_CONFIG,
		.doit = cp_nl_config,
		.policy = cp_config_policy,
		.maxattr = COWPROBE_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = COWPROBE_CMD_REGION_ADD,
		.doit = cp_nl_region_add,
		.policy = cp_region_policy,
		.maxattr = COWPROBE_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
};

static const struct genl_multicast_group cp_mcgrps[] = {
	[CP_MCGRP_EXITS] = { .name = COWPROBE_MCGRP_EXITS },
};

static struct genl_family cp_family __ro_after_init = {
	.name = COWPROBE_GENL_NAME,
	.version = COWPROBE_GENL_VERSION,
	.module = THIS_MODULE,
	.ops = cp_ops,
	.n_ops = ARRAY_SIZE(cp_ops),
	.mcgrps = cp_mcgrps,
	.n_mcgrps = ARRAY_SIZE(cp_mcgrps),
	.resv_start_op = COWPROBE_CMD_EXIT + 1,
	.parallel_ops = true,
};

int __init cp_netlink_init(void)
{
	int err;

	err = genl_register_family(&cp_family);
	if (err)
		return err;
	/* pairs with the acquire in cp_exit_wanted() */
	smp_store_release(&cp_nl_ready, true);
	return 0;
}

/* After cp_track_stop(): no exit record is in the making. */
void cp_netlink_exit(void)
{
	WRITE_ONCE(cp_nl_ready, false);
	genl_unregister_family(&cp_family);
}
