/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal generic netlink client for the stress programs: raw sockets, no
 * libmnl, so the programs link statically and run in the busybox guest as
 * they are. Header only; every program is one translation unit.
 */
#ifndef COWPROBE_STRESS_CPNL_H
#define COWPROBE_STRESS_CPNL_H

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <linux/cowprobe.h>

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

#define CPNL_BUF (64 * 1024)

struct cpnl {
	int fd;
	uint16_t family;
	uint32_t exits_group;
	uint32_t seq;
	char extack[256]; /* message of the last error, "" if none */
};

struct cpnl_msg {
	unsigned char buf[8192];
	size_t len;
	struct nlmsghdr *nlh;
};

static inline void cpnl_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static inline void cpnl_msg_init(struct cpnl_msg *m, uint16_t type, uint16_t flags, uint8_t cmd,
				 uint8_t version)
{
	struct genlmsghdr *g;

	memset(m->buf, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	m->nlh = (struct nlmsghdr *)m->buf;
	m->nlh->nlmsg_type = type;
	m->nlh->nlmsg_flags = flags;
	g = (struct genlmsghdr *)(m->buf + NLMSG_HDRLEN);
	g->cmd = cmd;
	g->version = version;
	m->len = NLMSG_HDRLEN + GENL_HDRLEN;
	m->nlh->nlmsg_len = m->len;
}

/* Appends an attribute header and len bytes of data (NULL: zeros). */
static inline struct nlattr *cpnl_put(struct cpnl_msg *m, uint16_t type, const void *data,
				      size_t len)
{
	struct nlattr *a = (struct nlattr *)(m->buf + m->len);
	size_t total = NLA_ALIGN(NLA_HDRLEN + len);

	if (m->len + total > sizeof(m->buf))
		return NULL;
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (data)
		memcpy((char *)a + NLA_HDRLEN, data, len);
	else
		memset((char *)a + NLA_HDRLEN, 0, len);
	memset((char *)a + NLA_HDRLEN + len, 0, total - NLA_HDRLEN - len);
	m->len += total;
	m->nlh->nlmsg_len = m->len;
	return a;
}

static inline void cpnl_put_u32(struct cpnl_msg *m, uint16_t type, uint32_t v)
{
	cpnl_put(m, type, &v, sizeof(v));
}

static inline void cpnl_put_u64(struct cpnl_msg *m, uint16_t type, uint64_t v)
{
	cpnl_put(m, type, &v, sizeof(v));
}

static inline void cpnl_put_str(struct cpnl_msg *m, uint16_t type, const char *s)
{
	cpnl_put(m, type, s, strlen(s) + 1);
}

static inline struct nlattr *cpnl_nest_start(struct cpnl_msg *m, uint16_t type)
{
	return cpnl_put(m, type | NLA_F_NESTED, NULL, 0);
}

static inline void cpnl_nest_end(struct cpnl_msg *m, struct nlattr *nest)
{
	nest->nla_len = (uint16_t)((m->buf + m->len) - (unsigned char *)nest);
}

/* Attribute iteration over [data, data + len). */
#define cpnl_for_each_attr(a, data, len)                                                   \
	for (a = (struct nlattr *)(data);                                                  \
	     (char *)a + NLA_HDRLEN <= (char *)(data) + (len) &&                           \
	     a->nla_len >= NLA_HDRLEN && (char *)a + a->nla_len <= (char *)(data) + (len); \
	     a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len)))

static inline void *cpnl_data(const struct nlattr *a)
{
	return (char *)a + NLA_HDRLEN;
}

static inline int cpnl_type(const struct nlattr *a)
{
	return a->nla_type & NLA_TYPE_MASK;
}

static inline size_t cpnl_len(const struct nlattr *a)
{
	return a->nla_len - NLA_HDRLEN;
}

static inline uint32_t cpnl_u32(const struct nlattr *a)
{
	uint32_t v = 0;

	memcpy(&v, cpnl_data(a), cpnl_len(a) < 4 ? cpnl_len(a) : 4);
	return v;
}

static inline uint64_t cpnl_u64(const struct nlattr *a)
{
	uint64_t v = 0;

	memcpy(&v, cpnl_data(a), cpnl_len(a) < 8 ? cpnl_len(a) : 8);
	return v;
}

/* The attributes of a generic netlink message. */
static inline void *cpnl_attrs(const struct nlmsghdr *nlh, size_t *len)
{
	*len = nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
	return (char *)nlh + NLMSG_HDRLEN + GENL_HDRLEN;
}

/*
 * The error code of an NLMSG_ERROR message (0: an ack) and, with extended
 * acks on, its message into msg ("" if none).
 */
static inline int cpnl_error(const struct nlmsghdr *nlh, char *msg, size_t msglen)
{
	const struct nlmsgerr *e = (const struct nlmsgerr *)NLMSG_DATA(nlh);
	size_t off, end = nlh->nlmsg_len;
	struct nlattr *a;

	if (msg && msglen)
		msg[0] = 0;
	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*e))
		return -EBADMSG;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || !msg)
		return e->error;
	off = NLMSG_HDRLEN + sizeof(*e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += NLMSG_ALIGN(e->msg.nlmsg_len) - NLMSG_HDRLEN;
	if (off > end)
		return e->error;
	cpnl_for_each_attr(a, (char *)nlh + off, end - off)
	{
		if (cpnl_type(a) == NLMSGERR_ATTR_MSG && cpnl_len(a)) {
			snprintf(msg, msglen, "%.*s", (int)cpnl_len(a), (char *)cpnl_data(a));
		}
	}
	return e->error;
}

/*
 * The error code a dump ended with (0: none), in its NLMSG_DONE, and its
 * extack message into msg ("" if none).
 */
static inline int cpnl_done(const struct nlmsghdr *nlh, char *msg, size_t msglen)
{
	size_t off = NLMSG_HDRLEN + sizeof(int);
	struct nlattr *a;
	int err;

	if (msg && msglen)
		msg[0] = 0;
	if (nlh->nlmsg_len < off)
		return 0;
	memcpy(&err, NLMSG_DATA(nlh), sizeof(err));
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || !msg)
		return err;
	cpnl_for_each_attr(a, (char *)nlh + off, nlh->nlmsg_len - off)
	{
		if (cpnl_type(a) == NLMSGERR_ATTR_MSG && cpnl_len(a))
			snprintf(msg, msglen, "%.*s", (int)cpnl_len(a), (char *)cpnl_data(a));
	}
	return err;
}

typedef void (*cpnl_cb)(const struct nlmsghdr *nlh, void *arg);

static inline int cpnl_send(struct cpnl *c, struct cpnl_msg *m)
{
	ssize_t n;

	m->nlh->nlmsg_seq = ++c->seq;
	n = send(c->fd, m->buf, m->len, 0);
	if (n < 0)
		return -errno;
	return 0;
}

/*
 * Sends m (flags REQUEST|ACK added) and reads until its ack, error or the end
 * of its dump. Data messages go to cb. Returns 0 or -errno; the extack message
 * lands in c->extack.
 */
static inline int cpnl_call(struct cpnl *c, struct cpnl_msg *m, cpnl_cb cb, void *arg)
{
	static unsigned char buf[CPNL_BUF];
	int err;

	m->nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	c->extack[0] = 0;
	err = cpnl_send(c, m);
	if (err)
		return err;
	for (;;) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
		struct nlmsghdr *nlh;
		size_t left;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		left = (size_t)n;
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, left); nlh = NLMSG_NEXT(nlh, left)) {
			if (nlh->nlmsg_seq != c->seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR)
				return cpnl_error(nlh, c->extack, sizeof(c->extack));
			if (nlh->nlmsg_type == NLMSG_DONE)
				return cpnl_done(nlh, c->extack, sizeof(c->extack));
			if (cb)
				cb(nlh, arg);
		}
	}
}

struct cpnl_family_arg {
	uint16_t id;
	uint32_t exits;
};

static inline void cpnl_family_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct cpnl_family_arg *f = arg;
	struct nlattr *a, *g, *ga;
	size_t len;
	void *attrs = cpnl_attrs(nlh, &len);

	cpnl_for_each_attr(a, attrs, len)
	{
		if (cpnl_type(a) == CTRL_ATTR_FAMILY_ID)
			memcpy(&f->id, cpnl_data(a), sizeof(f->id));
		if (cpnl_type(a) != CTRL_ATTR_MCAST_GROUPS)
			continue;
		cpnl_for_each_attr(g, cpnl_data(a), cpnl_len(a))
		{
			const char *name = NULL;
			uint32_t id = 0;

			cpnl_for_each_attr(ga, cpnl_data(g), cpnl_len(g))
			{
				if (cpnl_type(ga) == CTRL_ATTR_MCAST_GRP_NAME)
					name = cpnl_data(ga);
				if (cpnl_type(ga) == CTRL_ATTR_MCAST_GRP_ID)
					id = cpnl_u32(ga);
			}
			if (name && !strcmp(name, COWPROBE_MCGRP_EXITS))
				f->exits = id;
		}
	}
}

/* Opens a socket with extended acks and resolves the family; -errno on error. */
static inline int cpnl_open(struct cpnl *c)
{
	struct cpnl_family_arg f = {0, 0};
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	struct cpnl_msg m;
	int one = 1, size = 4 << 20, err;

	memset(c, 0, sizeof(*c));
	c->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (c->fd < 0)
		return -errno;
	if (bind(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	setsockopt(c->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(c->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	cpnl_msg_init(&m, GENL_ID_CTRL, 0, CTRL_CMD_GETFAMILY, 1);
	cpnl_put_str(&m, CTRL_ATTR_FAMILY_NAME, COWPROBE_GENL_NAME);
	err = cpnl_call(c, &m, cpnl_family_cb, &f);
	if (err) {
		close(c->fd);
		c->fd = -1;
		return err;
	}
	c->family = f.id;
	c->exits_group = f.exits;
	return 0;
}

static inline void cpnl_close(struct cpnl *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* A simple request on the family: cmd with at most a pid attribute. */
static inline int cpnl_simple(struct cpnl *c, uint8_t cmd, uint32_t pid, cpnl_cb cb, void *arg)
{
	struct cpnl_msg m;

	cpnl_msg_init(&m, c->family, 0, cmd, COWPROBE_GENL_VERSION);
	if (pid)
		cpnl_put_u32(&m, COWPROBE_A_PID, pid);
	return cpnl_call(c, &m, cb, arg);
}

static inline int cpnl_watch(struct cpnl *c, uint32_t pid, uint32_t flags)
{
	struct cpnl_msg m;

	cpnl_msg_init(&m, c->family, 0, COWPROBE_CMD_WATCH, COWPROBE_GENL_VERSION);
	cpnl_put_u32(&m, COWPROBE_A_PID, pid);
	cpnl_put_u32(&m, COWPROBE_A_WATCH_FLAGS, flags);
	return cpnl_call(c, &m, NULL, NULL);
}

static inline int cpnl_unwatch(struct cpnl *c, uint32_t pid)
{
	return cpnl_simple(c, COWPROBE_CMD_UNWATCH, pid, NULL, NULL);
}

static inline int cpnl_region_add(struct cpnl *c, uint32_t pid, uint64_t start, uint64_t end,
				  const char *name)
{
	struct cpnl_msg m;

	cpnl_msg_init(&m, c->family, 0, COWPROBE_CMD_REGION_ADD, COWPROBE_GENL_VERSION);
	cpnl_put_u32(&m, COWPROBE_A_PID, pid);
	cpnl_put_u64(&m, COWPROBE_A_REGION_START, start);
	cpnl_put_u64(&m, COWPROBE_A_REGION_END, end);
	if (name)
		cpnl_put_str(&m, COWPROBE_A_REGION_NAME, name);
	return cpnl_call(c, &m, NULL, NULL);
}

static inline int cpnl_config_track_all(struct cpnl *c, uint32_t on)
{
	struct cpnl_msg m;

	cpnl_msg_init(&m, c->family, 0, COWPROBE_CMD_CONFIG, COWPROBE_GENL_VERSION);
	cpnl_put_u32(&m, COWPROBE_A_TRACK_ALL, on);
	return cpnl_call(c, &m, NULL, NULL);
}

/* STATUS figures the stress programs compare. */
struct cpnl_status {
	uint32_t nr_procs, nr_threads, track_all, armed;
	uint64_t refused_procs, refused_threads, nmissed, armings;
};

static inline void cpnl_status_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct cpnl_status *s = arg;
	struct nlattr *a, *p, *pa;
	size_t len;
	void *attrs = cpnl_attrs(nlh, &len);

	cpnl_for_each_attr(a, attrs, len)
	{
		switch (cpnl_type(a)) {
		case COWPROBE_A_NR_PROCS:
			s->nr_procs = cpnl_u32(a);
			break;
		case COWPROBE_A_NR_THREADS:
			s->nr_threads = cpnl_u32(a);
			break;
		case COWPROBE_A_TRACK_ALL:
			s->track_all = cpnl_u32(a);
			break;
		case COWPROBE_A_ARMED:
			s->armed = cpnl_u32(a);
			break;
		case COWPROBE_A_ARMINGS:
			s->armings = cpnl_u64(a);
			break;
		case COWPROBE_A_REFUSED_PROCS:
			s->refused_procs = cpnl_u64(a);
			break;
		case COWPROBE_A_REFUSED_THREADS:
			s->refused_threads = cpnl_u64(a);
			break;
		case COWPROBE_A_PROBES:
			cpnl_for_each_attr(p, cpnl_data(a), cpnl_len(a))
			{
				cpnl_for_each_attr(pa, cpnl_data(p), cpnl_len(p))
				{
					if (cpnl_type(pa) == COWPROBE_PROBE_A_NMISSED)
						s->nmissed += cpnl_u64(pa);
				}
			}
			break;
		}
	}
}

static inline int cpnl_status(struct cpnl *c, struct cpnl_status *s)
{
	memset(s, 0, sizeof(*s));
	return cpnl_simple(c, COWPROBE_CMD_STATUS, 0, cpnl_status_cb, s);
}

/* One process record of a GET reply, the counters the programs check. */
struct cpnl_proc {
	uint32_t pid, ppid, root, flags, nr_threads;
	char comm[16];
	uint64_t c[COWPROBE_C_MAX + 1];
	/* the first region's counters, and its name */
	int has_region;
	char region[COWPROBE_REGION_NAME_LEN];
	uint64_t rc[COWPROBE_C_MAX + 1];
};

static inline void cpnl_counters(const struct nlattr *nest, uint64_t *c)
{
	struct nlattr *a;

	cpnl_for_each_attr(a, cpnl_data(nest), cpnl_len(nest))
	{
		if (cpnl_type(a) <= COWPROBE_C_MAX)
			c[cpnl_type(a)] = cpnl_u64(a);
	}
}

static inline void cpnl_parse_proc(const struct nlmsghdr *nlh, struct cpnl_proc *p)
{
	struct nlattr *a, *r, *ra;
	size_t len;
	void *attrs = cpnl_attrs(nlh, &len);

	memset(p, 0, sizeof(*p));
	cpnl_for_each_attr(a, attrs, len)
	{
		switch (cpnl_type(a)) {
		case COWPROBE_A_PID:
			p->pid = cpnl_u32(a);
			break;
		case COWPROBE_A_PPID:
			p->ppid = cpnl_u32(a);
			break;
		case COWPROBE_A_ROOT:
			p->root = cpnl_u32(a);
			break;
		case COWPROBE_A_PROC_FLAGS:
			p->flags = cpnl_u32(a);
			break;
		case COWPROBE_A_NR_THREADS:
			p->nr_threads = cpnl_u32(a);
			break;
		case COWPROBE_A_COMM:
			snprintf(p->comm, sizeof(p->comm), "%.*s", (int)cpnl_len(a),
				 (char *)cpnl_data(a));
			break;
		case COWPROBE_A_COUNTERS:
			cpnl_counters(a, p->c);
			break;
		case COWPROBE_A_REGIONS:
			cpnl_for_each_attr(r, cpnl_data(a), cpnl_len(a))
			{
				if (p->has_region)
					break;
				p->has_region = 1;
				cpnl_for_each_attr(ra, cpnl_data(r), cpnl_len(r))
				{
					if (cpnl_type(ra) == COWPROBE_A_REGION_NAME)
						snprintf(p->region, sizeof(p->region), "%.*s",
							 (int)cpnl_len(ra), (char *)cpnl_data(ra));
					if (cpnl_type(ra) == COWPROBE_A_COUNTERS)
						cpnl_counters(ra, p->rc);
				}
			}
			break;
		}
	}
}

#endif /* COWPROBE_STRESS_CPNL_H */
