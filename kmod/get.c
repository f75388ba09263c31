// SPDX-License-Identifier: GPL-2.0
/*
 * GET: one process (doit), or every record the caller may see, or one tree
 * (dump). A dump resumes after the last (tgid, serial) key it sent, so
 * records added or removed between two of its messages neither repeat nor
 * stop it; a few records are put per hold of cp_lock (CP_DUMP_BATCH).
 */
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/sched/task.h>
#include "netlink.h"

/*
 * The reply is filled under cp_lock, which the size of one message bounds: a
 * thread list longer than an attribute can hold (U16_MAX bytes, some 280
 * threads) is left out and COWPROBE_PROC_F_THREADS_OMITTED set, as in a dump.
 */
static int cp_nl_get_one(struct genl_info *info, const struct cp_caller *c,
			 pid_t nr)
{
	size_t size = NLMSG_GOODSIZE;
	struct sk_buff *msg;
	struct cp_proc *p;
	bool threads;
	void *hdr;
	int tries;

	/* the record may grow between sizing and filling: retry */
	for (tries = 0; tries < 4; tries++) {
		msg = genlmsg_new(size, GFP_KERNEL);
		if (!msg) {
			NL_SET_ERR_MSG_MOD(info->extack,
					   "out of memory for the reply");
			return -ENOMEM;
		}
		hdr = genlmsg_put_reply(msg, info, &cp_family, 0,
					COWPROBE_CMD_GET);
		if (!hdr) {
			nlmsg_free(msg);
			NL_SET_ERR_MSG_MOD(info->extack,
					   "reply header does not fit");
			return -EMSGSIZE;
		}
		raw_spin_lock(&cp_lock);
		p = cp_proc_find(c, nr, false);
		/* one the caller may not see does not exist for it */
		if (!p || !cp_may_see(c, p)) {
			raw_spin_unlock(&cp_lock);
			nlmsg_free(msg);
			NL_SET_ERR_MSG_ATTR(info->extack,
					    info->attrs[COWPROBE_A_PID],
					    "process is not tracked");
			return -ENOENT;
		}
		threads = cp_threads_fit(p);
		if (!cp_put_proc(msg, c, p, threads, threads ? 0 :
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

int cp_nl_get(struct sk_buff *skb, struct genl_info *info)
{
	struct cp_caller c;
	int err;

	err = cp_nl_attrs_only(info->attrs, CP_GET_MAXATTR,
			       cowprobe_get_do_nl_policy,
			       ARRAY_SIZE(cowprobe_get_do_nl_policy) - 1,
			       info->extack);
	if (err)
		return err;
	if (cp_require(info, COWPROBE_A_PID))
		return -EINVAL;
	cp_caller_of(&c, skb);
	err = cp_nl_get_one(info, &c, nla_get_u32(info->attrs[COWPROBE_A_PID]));
	cp_caller_release(&c);
	return err;
}

/*
 * A dump walks the records in (tgid, serial) order and resumes after the
 * last key it gave: each record present for the whole dump is given once,
 * whatever else comes and goes meanwhile, so a dump is never interrupted.
 */
struct cp_dump {
	struct cp_caller caller;	/* taken at the start, as the request */
	pid_t root;			/* 0, or only the tree of that root */
	pid_t tgid;			/* where to resume */
	int refused;			/* -errno: refused, said by the dump */
	u64 serial;
};

static_assert(sizeof(struct cp_dump) <=
	      sizeof_field(struct netlink_callback, ctx));

static struct cp_dump *cp_dump_of(struct netlink_callback *cb)
{
	return (struct cp_dump *)cb->ctx;
}

int cp_nl_get_start(struct netlink_callback *cb)
{
	struct nlattr **attrs = cp_genl_dump_attrs(cb);
	struct cp_dump *d = cp_dump_of(cb);
	int err;

	memset(d, 0, sizeof(*d));
	err = cp_nl_attrs_only(attrs, CP_GET_MAXATTR,
			       cowprobe_get_dump_nl_policy,
			       ARRAY_SIZE(cowprobe_get_dump_nl_policy) - 1,
			       cb->extack);
	/*
	 * A kernel whose dump start has no extack (6.1 has none, 6.12 has
	 * one) would send the refusal without its message: the dump then
	 * refuses instead, its NLMSG_DONE carrying the errno and the message.
	 */
	if (err && cb->extack)
		return err;
	d->refused = err;
	if (attrs[COWPROBE_A_ROOT])
		d->root = nla_get_u32(attrs[COWPROBE_A_ROOT]);
	cp_caller_of(&d->caller, cb->skb);
	/* room for any record without its threads, whatever max_regions */
	cb->min_dump_alloc = nlmsg_total_size(GENL_HDRLEN +
					      cp_proc_size(max_regions, false, 0));
	return 0;
}

int cp_nl_get_done(struct netlink_callback *cb)
{
	cp_caller_release(&cp_dump_of(cb)->caller);
	return 0;
}

/*
 * genlmsg_put() as a dump calls it, inline (cp_family has no header of its
 * own, hdrsize 0): genlmsg_put's nlmsg_put() is three calls more per record
 * (__nlmsg_put, skb_put, memset), near a tenth of what a record costs.
 */
static void *cp_dump_hdr(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct genlmsghdr *g;
	struct nlmsghdr *nlh;

	if (skb_tailroom(skb) < nlmsg_total_size(GENL_HDRLEN))
		return NULL;
	nlh = __skb_put(skb, nlmsg_total_size(GENL_HDRLEN));
	nlh->nlmsg_len = nlmsg_msg_size(GENL_HDRLEN);
	nlh->nlmsg_type = cp_family.id;
	nlh->nlmsg_flags = NLM_F_MULTI;
	nlh->nlmsg_seq = cb->nlh->nlmsg_seq;
	nlh->nlmsg_pid = NETLINK_CB(cb->skb).portid;
	g = nlmsg_data(nlh);
	g->cmd = COWPROBE_CMD_GET;
	g->version = cp_family.version;
	g->reserved = 0;
	return g + 1;
}

/* Puts p, or p without its threads when it alone does not fit a message. */
static int cp_dump_one(struct sk_buff *skb, struct netlink_callback *cb,
		       const struct cp_caller *c, const struct cp_proc *p)
{
	bool first = !skb->len;
	void *hdr;
	int err;

	hdr = cp_dump_hdr(skb, cb);
	if (!hdr)
		return -EMSGSIZE;
	err = cp_put_proc(skb, c, p, true, 0);
	if (err && first) {
		genlmsg_cancel(skb, hdr);
		hdr = cp_dump_hdr(skb, cb);
		if (!hdr)
			return -EMSGSIZE;
		err = cp_put_proc(skb, c, p, false,
				  COWPROBE_PROC_F_THREADS_OMITTED);
	}
	if (err) {
		genlmsg_cancel(skb, hdr);
		return err;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/*
 * Per hold of cp_lock a dump puts up to CP_DUMP_BATCH records, walking the
 * tree from one to the next, and looks at up to CP_DUMP_SKIP (those the
 * caller does not see too): one lookup of the resume key and one lock round
 * trip serve them all. cp_lock is a raw spinlock, not preemptible on the RT
 * kernels (6.12-rt) either: a hold is at most CP_DUMP_BATCH times what a
 * GET of one record holds it, so the batch stays small.
 */
#define CP_DUMP_BATCH 16
#define CP_DUMP_SKIP 32

int cp_nl_get_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct cp_dump *d = cp_dump_of(cb);
	const struct cp_caller *c = &d->caller;
	struct cp_proc *p;
	int seen, put, err = 0;

	if (d->refused) {
		NL_SET_ERR_MSG_MOD(cb->extack,
				   "attribute not valid in a GET dump (only its doit takes a pid)");
		return d->refused;
	}
	for (;;) {
		raw_spin_lock(&cp_lock);
		p = cp_proc_from(d->tgid, d->serial);
		for (seen = 0, put = 0; p && seen < CP_DUMP_SKIP &&
		     put < CP_DUMP_BATCH; seen++, p = cp_proc_next(p)) {
			if (cp_may_see(c, p) &&
			    (!d->root || cp_pid_nr(c, p->root_pid) == d->root)) {
				err = cp_dump_one(skb, cb, c, p);
				if (err)
					break;
				put++;
			}
			/* given or passed over: the next hold resumes after it */
			d->tgid = p->tgid;
			d->serial = p->serial + 1;
		}
		raw_spin_unlock(&cp_lock);
		if (!p || err)
			break;
		cond_resched();
	}
	return skb->len;
}
