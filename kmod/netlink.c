// SPDX-License-Identifier: GPL-2.0
/* The cowprobe generic netlink family: see include/uapi/linux/cowprobe.h. */
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/sched/task.h>
#include <net/genetlink.h>
#include "cowprobe.h"
#include "netlink.h"

/* Exit records go to administrators only: initial-namespace pids. */
static const struct cp_caller cp_init_caller = {
	.admin = true,
	.ns = &init_pid_ns,
};

/* Commands that change tracking: administrators, or users in lab mode. */
static bool cp_may_request(const struct cp_caller *c, struct genl_info *info)
{
	if (c->admin || READ_ONCE(cp_unprivileged))
		return true;
	NL_SET_ERR_MSG_MOD(info->extack,
			   "permission denied: needs CAP_NET_ADMIN (or the module's lab mode, unprivileged=1, for your own processes)");
	return false;
}

enum cp_mcgrp {
	CP_MCGRP_EXITS,
};

static atomic64_t cp_exit_seq = ATOMIC64_INIT(0);
static atomic64_t cp_exits_sent = ATOMIC64_INIT(0);
static atomic64_t cp_exits_dropped = ATOMIC64_INIT(0);

/*
 * The policies are the spec's (nl-gen.c, generated from it): one per
 * operation, sized to the last attribute it takes, so that strict
 * validation refuses any other. An operation whose spec lists no request
 * attribute (STATUS) takes none: from 6.1 the kernel refuses them itself
 * (resv_start_op below); before, this policy does, as the kernel's own
 * genl_policy_reject_all.
 */
static const struct nla_policy cp_reject_all_policy[] = {
	[COWPROBE_A_UNSPEC + 1] = { .type = NLA_REJECT },
};

/*
 * GET has two: a do takes a pid, a dump a root. A genl_ops has one policy
 * for both (genl_split_ops came in 6.2), so GET's is their union, made at
 * load, and each handler refuses what its own policy lacks
 * (cp_nl_attrs_only()).
 */
static struct nla_policy cp_get_policy[CP_GET_MAXATTR + 1] __ro_after_init;

static void __init cp_union_policy(struct nla_policy *to, unsigned int n,
				   const struct nla_policy *a, unsigned int na,
				   const struct nla_policy *b, unsigned int nb)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		/* memcpy: some members of struct nla_policy are const */
		if (i < na && a[i].type)
			memcpy(&to[i], &a[i], sizeof(to[i]));
		else if (i < nb)
			memcpy(&to[i], &b[i], sizeof(to[i]));
	}
}

static int cp_nl_status(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *probes, *probe;
	struct cp_probe_info pi;
	struct sk_buff *msg;
	unsigned int i;
	struct cp_pool_info procs, threads;
	u64 armings;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg) {
		NL_SET_ERR_MSG_MOD(info->extack, "out of memory for the reply");
		return -ENOMEM;
	}
	cp_record_pools(&procs, &threads);
	hdr = genlmsg_put_reply(msg, info, &cp_family, 0, COWPROBE_CMD_STATUS);
	if (!hdr)
		goto err_free;
	if (nla_put_string(msg, COWPROBE_A_VERSION, COWPROBE_VERSION) ||
	    nla_put_u32(msg, COWPROBE_A_GENL_VERSION, COWPROBE_GENL_VERSION) ||
	    nla_put_u32(msg, COWPROBE_A_LIMIT_PROCS, max_procs) ||
	    nla_put_u32(msg, COWPROBE_A_LIMIT_THREADS, max_threads) ||
	    nla_put_u32(msg, COWPROBE_A_LIMIT_REGIONS, max_regions) ||
	    nla_put_u32(msg, COWPROBE_A_LIMIT_MAPS, max_maps) ||
	    nla_put_u32(msg, COWPROBE_A_MAPS_BYTES, cp_maps_bytes()) ||
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
			      atomic64_read(&cp_exits_dropped), COWPROBE_A_PAD) ||
	    nla_put_u32(msg, COWPROBE_A_UNPRIVILEGED, READ_ONCE(cp_unprivileged)) ||
	    nla_put_u32(msg, COWPROBE_A_LIMIT_USER_PROCS,
			READ_ONCE(max_user_procs)) ||
	    nla_put_u64_64bit(msg, COWPROBE_A_FOLDED_PROCS,
			      atomic64_read(&cp_folded_procs), COWPROBE_A_PAD) ||
	    nla_put_u32(msg, COWPROBE_A_ARMED, cp_arm_state(&armings)) ||
	    nla_put_u64_64bit(msg, COWPROBE_A_ARMINGS, armings, COWPROBE_A_PAD) ||
	    nla_put_u32(msg, COWPROBE_A_PROC_BYTES, procs.bytes) ||
	    nla_put_u32(msg, COWPROBE_A_THREAD_BYTES, threads.bytes) ||
	    nla_put_u32(msg, COWPROBE_A_PROCS_ALLOCATED, procs.allocated) ||
	    nla_put_u32(msg, COWPROBE_A_THREADS_ALLOCATED, threads.allocated) ||
	    nla_put_u64_64bit(msg, COWPROBE_A_POOL_BEHIND,
			      procs.behind + threads.behind, COWPROBE_A_PAD))
		goto err_free;

	probes = nla_nest_start(msg, COWPROBE_A_PROBES);
	if (!probes)
		goto err_free;
	for (i = 0; i < CP_NR_PROBES; i++) {
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
				      COWPROBE_PROBE_A_PAD) ||
		    nla_put_u32(msg, COWPROBE_PROBE_A_HOOK, pi.hook))
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
	NL_SET_ERR_MSG_MOD(info->extack, "status does not fit in one message");
	return -EMSGSIZE;
}

static int cp_nl_watch(struct sk_buff *skb, struct genl_info *info)
{
	struct task_struct *task;
	struct cp_caller c;
	struct pid *pid;
	u32 flags = 0;
	int err;

	if (cp_require(info, COWPROBE_A_PID))
		return -EINVAL;
	if (info->attrs[COWPROBE_A_WATCH_FLAGS])
		flags = nla_get_u32(info->attrs[COWPROBE_A_WATCH_FLAGS]);

	cp_caller_of(&c, skb);
	if (!cp_may_request(&c, info)) {
		err = -EPERM;
		goto out;
	}
	/* the pid is read in the caller's pid namespace */
	pid = find_get_pid(nla_get_u32(info->attrs[COWPROBE_A_PID]));
	task = pid ? get_pid_task(pid, PIDTYPE_PID) : NULL;
	put_pid(pid);
	if (!task) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[COWPROBE_A_PID],
				    "no such process");
		err = -ESRCH;
		goto out;
	}
	/* armed before the first record: its first fault is counted */
	cp_arm_hold();
	err = cp_watch(&c, task, flags, info->extack);
	cp_arm_unhold();
	put_task_struct(task);
out:
	cp_caller_release(&c);
	return err;
}

static int cp_nl_unwatch(struct sk_buff *skb, struct genl_info *info)
{
	struct cp_caller c;
	int err = -EPERM;

	if (cp_require(info, COWPROBE_A_PID))
		return -EINVAL;
	cp_caller_of(&c, skb);
	if (cp_may_request(&c, info))
		err = cp_unwatch(&c, nla_get_u32(info->attrs[COWPROBE_A_PID]),
				 info->extack);
	cp_caller_release(&c);
	return err;
}

static int cp_nl_reset(struct sk_buff *skb, struct genl_info *info)
{
	struct cp_caller c;
	pid_t nr = 0;
	int err = -EPERM;

	if (info->attrs[COWPROBE_A_PID])
		nr = nla_get_u32(info->attrs[COWPROBE_A_PID]);
	cp_caller_of(&c, skb);
	if (cp_may_request(&c, info))
		err = cp_reset(&c, nr, info->extack);
	cp_caller_release(&c);
	return err;
}

static int cp_nl_region_add(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **attrs = info->attrs;
	const char *name = "";
	struct cp_caller c;
	u64 start, end;
	int err = -EPERM;

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
	cp_caller_of(&c, skb);
	if (cp_may_request(&c, info))
		err = cp_region_add(&c, nla_get_u32(attrs[COWPROBE_A_PID]),
				    start, end, name, info->extack);
	cp_caller_release(&c);
	return err;
}

static int cp_nl_config(struct sk_buff *skb, struct genl_info *info)
{
	if (!netlink_capable(skb, CAP_NET_ADMIN)) {
		NL_SET_ERR_MSG_MOD(info->extack,
				   "permission denied: configuring cowprobe needs CAP_NET_ADMIN");
		return -EPERM;
	}
	if (!info->attrs[COWPROBE_A_TRACK_ALL]) {
		NL_SET_ERR_MSG_MOD(info->extack, "nothing to configure");
		return -EINVAL;
	}
	cp_set_track_all(nla_get_u32(info->attrs[COWPROBE_A_TRACK_ALL]));
	return 0;
}

/* Whether an exit record would reach anyone; any context. */
static bool cp_nl_exit_wanted(void)
{
	return genl_has_listeners(&cp_family, &init_net, CP_MCGRP_EXITS);
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
			err = cp_put_proc(skb, &cp_init_caller, p, false, 0);
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
 * The exit work item (exits.c) hands over a process whose last thread
 * exited, in process context. Records are numbered when made, one at a time,
 * so a listener sees any it missed as a gap; the ones the kernel could not
 * send are counted.
 */
static void cp_nl_send_exit(const struct cp_proc *p)
{
	struct sk_buff *skb;
	u64 seq;
	int err;

	if (!cp_nl_exit_wanted())
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
	if (err == -ESRCH && !cp_nl_exit_wanted())
		err = 0;
	if (err)
		goto dropped;
	atomic64_inc(&cp_exits_sent);
	return;

dropped:
	atomic64_inc(&cp_exits_dropped);
}

static const struct cp_exit_sink cp_nl_sink = {
	.wanted = cp_nl_exit_wanted,
	.send = cp_nl_send_exit,
};

/* each op's policy, and its maxattr, from the spec (nl-gen.h) */
static const struct genl_ops cp_ops[] = {
	{
		.cmd = COWPROBE_CMD_STATUS,
		.doit = cp_nl_status,
		.policy = cp_reject_all_policy,
		.maxattr = ARRAY_SIZE(cp_reject_all_policy) - 1,
	},
	{
		.cmd = COWPROBE_CMD_WATCH,
		.doit = cp_nl_watch,
		.policy = cowprobe_watch_nl_policy,
		.maxattr = ARRAY_SIZE(cowprobe_watch_nl_policy) - 1,
	},
	{
		.cmd = COWPROBE_CMD_UNWATCH,
		.doit = cp_nl_unwatch,
		.policy = cowprobe_unwatch_nl_policy,
		.maxattr = ARRAY_SIZE(cowprobe_unwatch_nl_policy) - 1,
	},
	{
		.cmd = COWPROBE_CMD_GET,
		.doit = cp_nl_get,
		.start = cp_nl_get_start,
		.dumpit = cp_nl_get_dump,
		.done = cp_nl_get_done,
		.policy = cp_get_policy,
		.maxattr = ARRAY_SIZE(cp_get_policy) - 1,
	},
	{
		.cmd = COWPROBE_CMD_RESET,
		.doit = cp_nl_reset,
		.policy = cowprobe_reset_nl_policy,
		.maxattr = ARRAY_SIZE(cowprobe_reset_nl_policy) - 1,
	},
	{
		.cmd = COWPROBE_CMD_CONFIG,
		.doit = cp_nl_config,
		.policy = cowprobe_config_nl_policy,
		.maxattr = ARRAY_SIZE(cowprobe_config_nl_policy) - 1,
	},
	{
		.cmd = COWPROBE_CMD_REGION_ADD,
		.doit = cp_nl_region_add,
		.policy = cowprobe_region_add_nl_policy,
		.maxattr = ARRAY_SIZE(cowprobe_region_add_nl_policy) - 1,
	},
};

/* exit records name every process on the machine: administrators only */
static const struct genl_multicast_group cp_mcgrps[] = {
	[CP_MCGRP_EXITS] = {
		.name = COWPROBE_MCGRP_EXITS,
		CP_MCGRP_ADMIN,
	},
};

/*
 * init_net only (no netnsok): the records, the limits and track_all are the
 * machine's, with pids of every pid namespace; a container in a network
 * namespace of its own gains nothing by a view of its own, and the admin
 * checks are made in the initial user namespace anyway.
 */
struct genl_family cp_family __ro_after_init = {
	.name = COWPROBE_GENL_NAME,
	.version = COWPROBE_GENL_VERSION,
	.module = THIS_MODULE,
	.ops = cp_ops,
	.n_ops = ARRAY_SIZE(cp_ops),
	.mcgrps = cp_mcgrps,
	.n_mcgrps = ARRAY_SIZE(cp_mcgrps),
	/* strict checks (reserved header bytes, unknown attributes) for all */
	.resv_start_op = 0,
	.parallel_ops = true,
};

int __init cp_netlink_init(void)
{
	int err;

	cp_union_policy(cp_get_policy, ARRAY_SIZE(cp_get_policy),
			cowprobe_get_do_nl_policy,
			ARRAY_SIZE(cowprobe_get_do_nl_policy),
			cowprobe_get_dump_nl_policy,
			ARRAY_SIZE(cowprobe_get_dump_nl_policy));
	err = genl_register_family(&cp_family);
	if (err)
		return err;
	cp_exits_set_sink(&cp_nl_sink);
	return 0;
}

/* After the lifecycle tracepoints are gone: no exit record is in the making. */
void cp_netlink_exit(void)
{
	cp_exits_set_sink(NULL);
	genl_unregister_family(&cp_family);
}
