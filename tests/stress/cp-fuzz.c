// SPDX-License-Identifier: GPL-2.0
/*
 * cp-fuzz: random and mutated messages at the cowprobe family, as root and
 * as an unprivileged user, then the module's state compared with before.
 *
 *   cp-fuzz [--seed S] [--count N] [--uid UID]
 *
 * N messages in all (half as root, half as UID, default 65534). Every
 * command number (unknown ones too), known commands with random, mutated and
 * wrongly typed attributes, nested garbage, truncated headers, reserved bits,
 * NLM_F_DUMP on anything, and dumps abandoned mid-way (socket closed). Replies
 * are drained without waiting: the kernel handles a netlink request in the
 * sender's send(), so its answers are queued when send() returns.
 *
 * Checks (each prints one line, PASS or FAIL):
 *   every error reply carries a nonzero errno;
 *   nothing mutating succeeds for the unprivileged sender;
 *   [perm] explicit requests of the unprivileged user on a root process:
 *     WATCH, UNWATCH, RESET, REGION_ADD, CONFIG fail with EPERM or ENOENT;
 *     [rule:unpriv-get] GET of it answers ENOENT, a dump leaves it out;
 *     [rule:unpriv-mcast] joining the "exits" group fails;
 *   the victim (a watched root process) has the same counters after;
 *   STATUS answers after, and nr_procs/nr_threads are back at the baseline
 *   once the trees the fuzz may have watched are unwatched.
 * Figures: messages, errors, with extack, per errno; the errors without an
 * extack message, by command and errno.
 * Exit status: 0 when every check passed, 1 otherwise.
 */
#define _GNU_SOURCE
#include <grp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>

#include "cpnl.h"

#define MAX_PID (1 << 22)
#define CMD_SLOTS 256

static uint64_t rng_state;
static uint64_t rnd(void)
{
	/* xorshift64*: reproducible from --seed */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}
static uint32_t rn(uint32_t n)
{
	return n ? (uint32_t)(rnd() % n) : 0;
}

static int failures;
static void check(int ok, const char *what, const char *fmt, ...)
{
	va_list ap;

	printf("fuzz: %s %s: ", ok ? "PASS" : "FAIL", what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		failures++;
}

/* what one phase saw */
struct tally {
	uint64_t sent, batches, replies, acks, errors, with_extack, bad_errno;
	uint64_t mutating_ok;        /* acks of WATCH..CONFIG requests */
	uint64_t mutating_ok_others; /* of those, on a process not the sender's */
	uint64_t dumps_abandoned, enobufs;
	uint64_t by_errno[160];
	/* errors of requests that reached the family's ops (policy, handler) */
	uint64_t reach_errors, reach_with_extack, eperm, eperm_with_extack;
	/* errors without an extack message: [cmd][errno] */
	uint32_t no_extack[CMD_SLOTS][160];
	uint64_t ok_by_cmd[CMD_SLOTS];
};

static unsigned char *watched; /* pids a WATCH was sent for (shared memory) */
static uint32_t pid_hint = 400;
static pid_t self_pid;

/* a pid worth sending: mostly live ones, sometimes edge values */
static uint32_t pick_pid(void)
{
	switch (rn(8)) {
	case 0:
		return 0;
	case 1:
		return (uint32_t)self_pid;
	case 2:
		return rn(2) ? UINT32_MAX : (uint32_t)INT32_MAX + rn(3);
	case 3:
		return rn(MAX_PID);
	default:
		return 1 + rn(pid_hint);
	}
}

static const uint16_t u32_attrs[] = {COWPROBE_A_PID, COWPROBE_A_WATCH_FLAGS, COWPROBE_A_ROOT,
				     COWPROBE_A_TRACK_ALL};
static const uint16_t u64_attrs[] = {COWPROBE_A_REGION_START, COWPROBE_A_REGION_END};

static void put_garbage(struct cpnl_msg *m, int depth);

/* one attribute: right type, wrong length, wrong type, nested garbage */
static void put_random_attr(struct cpnl_msg *m, int depth)
{
	uint16_t type = (uint16_t)rn(COWPROBE_A_MAX + 4);
	unsigned char data[80];
	size_t len;
	uint32_t v32;
	uint64_t v64;
	size_t i;

	switch (rn(10)) {
	case 0:
	case 1:
	case 2: /* a u32 attribute, random or edge value */
		type = u32_attrs[rn(4)];
		v32 = rn(3) ? pick_pid() : (uint32_t)rnd();
		if (type == COWPROBE_A_WATCH_FLAGS || type == COWPROBE_A_TRACK_ALL)
			v32 = rn(2) ? rn(3) : 1U << rn(32);
		cpnl_put_u32(m, type, v32);
		if (type == COWPROBE_A_PID && v32 && v32 < MAX_PID && watched)
			watched[v32] = 1;
		return;
	case 3: /* region bounds */
		type = u64_attrs[rn(2)];
		v64 = rn(2) ? rnd() : (rnd() & 0x7ffffffff000ULL);
		cpnl_put_u64(m, type, v64);
		return;
	case 4: /* a string, with or without its NUL, any length */
		len = rn(40);
		for (i = 0; i < len; i++)
			data[i] = (unsigned char)(rn(2) ? 'a' + rn(26) : rnd());
		if (rn(2) && len)
			data[len - 1] = 0;
		cpnl_put(m, rn(2) ? COWPROBE_A_REGION_NAME : type, data, len);
		return;
	case 5: /* wrong length for the type */
		len = rn(2) ? rn(3) : 4 + rn(12);
		for (i = 0; i < len; i++)
			data[i] = (unsigned char)rnd();
		cpnl_put(m, type, data, len);
		return;
	case 6: /* nested garbage */
		if (depth < 3) {
			struct nlattr *n = cpnl_nest_start(m, type);

			if (!n)
				return;
			put_garbage(m, depth + 1);
			cpnl_nest_end(m, n);
			return;
		}
		/* fall through */
	case 7: /* flag bits in the type */
		v32 = (uint32_t)rnd();
		cpnl_put(m, (uint16_t)(type | (rn(2) ? NLA_F_NESTED : NLA_F_NET_BYTEORDER)), &v32,
			 sizeof(v32));
		return;
	default: /* anything */
		len = rn(sizeof(data));
		for (i = 0; i < len; i++)
			data[i] = (unsigned char)rnd();
		cpnl_put(m, (uint16_t)rnd(), data, len);
		return;
	}
}

static void put_garbage(struct cpnl_msg *m, int depth)
{
	unsigned int n = rn(4), i;

	for (i = 0; i < n; i++)
		put_random_attr(m, depth);
}

/* a well-formed request of a known command, before any mutation */
static void put_valid(struct cpnl_msg *m, uint8_t cmd)
{
	uint32_t pid = pick_pid();

	switch (cmd) {
	case COWPROBE_CMD_WATCH:
		cpnl_put_u32(m, COWPROBE_A_PID, pid);
		if (rn(2))
			cpnl_put_u32(m, COWPROBE_A_WATCH_FLAGS, rn(2));
		break;
	case COWPROBE_CMD_UNWATCH:
	case COWPROBE_CMD_RESET:
	case COWPROBE_CMD_GET:
		if (cmd != COWPROBE_CMD_RESET || rn(4))
			cpnl_put_u32(m, rn(4) ? COWPROBE_A_PID : COWPROBE_A_ROOT, pid);
		break;
	case COWPROBE_CMD_REGION_ADD: {
		uint64_t start = (rnd() & 0x7ffffffff000ULL);

		cpnl_put_u32(m, COWPROBE_A_PID, pid);
		cpnl_put_u64(m, COWPROBE_A_REGION_START, start);
		cpnl_put_u64(m, COWPROBE_A_REGION_END, start + (rn(4) ? 4096 * (1 + rn(64)) : 0));
		if (rn(2))
			cpnl_put_str(m, COWPROBE_A_REGION_NAME, rn(2) ? "fuzz" : "0123456789abcdef");
		break;
	}
	case COWPROBE_CMD_CONFIG:
		/* track_all 1 now and then; cleared after the phase */
		cpnl_put_u32(m, COWPROBE_A_TRACK_ALL, rn(8) ? 0 : 1);
		break;
	}
	if (pid && pid < MAX_PID && watched &&
	    (cmd == COWPROBE_CMD_WATCH || cmd == COWPROBE_CMD_REGION_ADD))
		watched[pid] = 1;
}

static int mutating(uint8_t cmd)
{
	return cmd == COWPROBE_CMD_WATCH || cmd == COWPROBE_CMD_UNWATCH ||
	       cmd == COWPROBE_CMD_RESET || cmd == COWPROBE_CMD_REGION_ADD ||
	       cmd == COWPROBE_CMD_CONFIG;
}

/* the target pid of a request, 0 if none: for "others' processes" */
static uint32_t target_pid(const struct cpnl_msg *m)
{
	size_t len = m->len < m->nlh->nlmsg_len ? m->len : m->nlh->nlmsg_len;
	void *attrs = m->nlh + 1;
	struct nlattr *a;

	if (len < NLMSG_HDRLEN + GENL_HDRLEN)
		return 0;
	attrs = (char *)m->nlh + NLMSG_HDRLEN + GENL_HDRLEN;
	len -= NLMSG_HDRLEN + GENL_HDRLEN;
	cpnl_for_each_attr(a, attrs, len)
	{
		if (cpnl_type(a) == COWPROBE_A_PID && cpnl_len(a) == 4)
			return cpnl_u32(a);
	}
	return 0;
}

struct sent {
	uint32_t seq;
	uint8_t cmd;
	uint8_t mut;
	uint8_t own; /* targets the sender's own process (or none) */
	uint8_t reach; /* well-formed enough to reach one of cowprobe's ops */
};

#define BATCH 8
static struct sent batch[BATCH];
static unsigned int nbatch;
static unsigned char sendbuf[BATCH * 8192];
static size_t sendlen;

static void record_reply(struct tally *t, const struct nlmsghdr *nlh)
{
	char msg[256];
	unsigned int i;
	int err;

	t->replies++;
	if (nlh->nlmsg_type == NLMSG_DONE) {
		/* a dump refused once under way: as an error reply */
		err = cpnl_done(nlh, msg, sizeof(msg));
		if (!err)
			return;
	} else if (nlh->nlmsg_type != NLMSG_ERROR) {
		return;
	} else {
		err = cpnl_error(nlh, msg, sizeof(msg));
	}
	for (i = 0; i < nbatch; i++)
		if (batch[i].seq == nlh->nlmsg_seq)
			break;
	if (err == 0) {
		t->acks++;
		if (i < nbatch) {
			t->ok_by_cmd[batch[i].cmd]++;
			if (batch[i].mut) {
				t->mutating_ok++;
				if (!batch[i].own)
					t->mutating_ok_others++;
			}
		}
		return;
	}
	t->errors++;
	if (err > 0 || err < -159) {
		t->bad_errno++;
		return;
	}
	t->by_errno[-err]++;
	if (msg[0])
		t->with_extack++;
	if (err == -EPERM) {
		t->eperm++;
		t->eperm_with_extack += !!msg[0];
	}
	if (i < nbatch && batch[i].reach) {
		t->reach_errors++;
		if (msg[0])
			t->reach_with_extack++;
		else
			t->no_extack[batch[i].cmd][-err]++;
	}
}

/* reads whatever is queued; continues running dumps as the kernel refills */
static void drain(struct cpnl *c, struct tally *t)
{
	static unsigned char buf[CPNL_BUF];

	for (;;) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
		struct nlmsghdr *nlh;
		size_t left;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				t->enobufs++;
				continue;
			}
			return;
		}
		left = (size_t)n;
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, left); nlh = NLMSG_NEXT(nlh, left))
			record_reply(t, nlh);
	}
}

static void flush(struct cpnl *c, struct tally *t)
{
	if (sendlen && send(c->fd, sendbuf, sendlen, 0) >= 0)
		t->batches++;
	drain(c, t);
	sendlen = 0;
	nbatch = 0;
}

/* one random message into the batch; a truncated one ends the batch */
static void one_message(struct cpnl *c, struct tally *t)
{
	struct cpnl_msg m;
	uint8_t cmd;
	uint16_t type = c->family, flags = NLM_F_REQUEST;
	int truncate = 0;
	size_t i, len;

	switch (rn(16)) {
	case 0: /* any command number, unknown ones too */
		cmd = (uint8_t)rnd();
		break;
	case 1:
		cmd = (uint8_t)(COWPROBE_CMD_MAX + 1 + rn(4));
		break;
	default:
		cmd = (uint8_t)(1 + rn(COWPROBE_CMD_MAX));
		break;
	}
	if (rn(3))
		flags |= NLM_F_ACK;
	if (!rn(6))
		flags |= NLM_F_DUMP;
	if (!rn(16))
		flags |= (uint16_t)rnd(); /* bad flags, NLM_F_REQUEST may go */
	if (!rn(64))
		type = (uint16_t)rn(2) ? GENL_ID_CTRL : (uint16_t)rnd();
	cpnl_msg_init(&m, type, flags, cmd, rn(8) ? COWPROBE_GENL_VERSION : (uint8_t)rnd());
	if (!rn(10))
		((struct genlmsghdr *)(m.buf + NLMSG_HDRLEN))->reserved = (uint16_t)(1 + rn(65535));
	switch (rn(6)) {
	case 0: /* only random attributes */
		put_garbage(&m, 0);
		break;
	case 1:
	case 2: /* valid */
		put_valid(&m, cmd);
		break;
	case 3: /* valid plus garbage */
		put_valid(&m, cmd);
		put_garbage(&m, 0);
		break;
	default: /* valid, then bytes flipped */
		put_valid(&m, cmd);
		len = m.len - NLMSG_HDRLEN;
		for (i = rn(4) + 1; i > 0 && len > 0; i--)
			m.buf[NLMSG_HDRLEN + rn((uint32_t)len)] ^= (unsigned char)(1 + rn(255));
		break;
	}
	m.nlh->nlmsg_seq = ++c->seq;
	m.nlh->nlmsg_pid = rn(32) ? 0 : (uint32_t)rnd();
	switch (rn(24)) {
	case 0: /* truncated: nlmsg_len beyond what is sent */
		m.len = rn((uint32_t)m.len);
		truncate = 1;
		break;
	case 1: /* genl header cut short, but consistent lengths */
		m.len = NLMSG_HDRLEN + rn(GENL_HDRLEN);
		m.nlh->nlmsg_len = m.len;
		break;
	case 2: /* attribute payload cut short */
		if (m.len > NLMSG_HDRLEN + GENL_HDRLEN + 1) {
			m.len -= 1 + rn((uint32_t)(m.len - NLMSG_HDRLEN - GENL_HDRLEN - 1));
			m.nlh->nlmsg_len = m.len;
		}
		break;
	case 3: /* nlmsg_len says less than there is */
		m.nlh->nlmsg_len = rn((uint32_t)m.len);
		truncate = 1;
		break;
	}
	if (nbatch == BATCH)
		flush(c, t);
	/* the command as sent: a flipped byte may have changed it */
	if (m.len >= NLMSG_HDRLEN + GENL_HDRLEN && m.nlh->nlmsg_len >= NLMSG_HDRLEN + GENL_HDRLEN)
		cmd = ((struct genlmsghdr *)(m.buf + NLMSG_HDRLEN))->cmd;
	else
		cmd = 0;
	batch[nbatch].seq = c->seq;
	batch[nbatch].cmd = cmd;
	batch[nbatch].mut = mutating(cmd) && type == c->family;
	batch[nbatch].reach = type == c->family && !truncate && cmd >= COWPROBE_CMD_STATUS &&
			      cmd <= COWPROBE_CMD_CONFIG && m.nlh->nlmsg_len == m.len &&
			      m.len >= NLMSG_HDRLEN + GENL_HDRLEN &&
			      (!(flags & NLM_F_DUMP) || cmd == COWPROBE_CMD_GET);
	batch[nbatch].own = target_pid(&m) == (uint32_t)self_pid;
	if (cmd == COWPROBE_CMD_CONFIG || (cmd == COWPROBE_CMD_RESET && !target_pid(&m)))
		batch[nbatch].own = 0; /* global: never the sender's own */
	nbatch++;
	memcpy(sendbuf + sendlen, m.buf, m.len);
	sendlen += NLMSG_ALIGN(m.len);
	t->sent++;
	if (truncate || (flags & NLM_F_DUMP))
		flush(c, t);
}

/* a dump of everything, read one buffer of, then the socket closed */
static void abandoned_dump(struct tally *t)
{
	unsigned char buf[4096];
	struct cpnl_msg m;
	struct cpnl c;
	int small = 4096;

	if (cpnl_open(&c))
		return;
	setsockopt(c.fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	cpnl_msg_init(&m, c.family, NLM_F_REQUEST | NLM_F_DUMP, COWPROBE_CMD_GET,
		      COWPROBE_GENL_VERSION);
	if (cpnl_send(&c, &m) == 0 && recv(c.fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		t->dumps_abandoned++;
	cpnl_close(&c);
}

static void fuzz(struct cpnl *c, struct tally *t, uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++) {
		one_message(c, t);
		if (i % 512 == 511)
			abandoned_dump(t);
	}
	flush(c, t);
}

static void report(const char *who, const struct tally *t)
{
	unsigned int e, cmd, shown = 0;

	printf("fuzz: %s: %llu messages in %llu sends, %llu replies, %llu acks, %llu errors "
	       "(%llu with extack), %llu dumps abandoned, %llu ENOBUFS\n",
	       who, (unsigned long long)t->sent, (unsigned long long)t->batches,
	       (unsigned long long)t->replies, (unsigned long long)t->acks,
	       (unsigned long long)t->errors, (unsigned long long)t->with_extack,
	       (unsigned long long)t->dumps_abandoned, (unsigned long long)t->enobufs);
	printf("fuzz: %s: errors by errno:", who);
	for (e = 0; e < 160; e++)
		if (t->by_errno[e])
			printf(" %s=%llu", strerrorname_np((int)e) ?: "?",
			       (unsigned long long)t->by_errno[e]);
	printf("\nfuzz: %s: acks by command:", who);
	for (cmd = 0; cmd < CMD_SLOTS; cmd++)
		if (t->ok_by_cmd[cmd])
			printf(" %u=%llu", cmd, (unsigned long long)t->ok_by_cmd[cmd]);
	printf("\nfuzz: %s: errors of well-formed requests to cowprobe's ops: %llu (%llu with extack); "
	       "EPERM %llu (%llu with extack)",
	       who, (unsigned long long)t->reach_errors, (unsigned long long)t->reach_with_extack,
	       (unsigned long long)t->eperm, (unsigned long long)t->eperm_with_extack);
	printf("\nfuzz: %s: of those, without an extack message (command/errno=count):", who);
	for (cmd = 0; cmd < CMD_SLOTS; cmd++)
		for (e = 0; e < 160; e++)
			if (t->no_extack[cmd][e] && shown++ < 40)
				printf(" %u/%s=%u", cmd, strerrorname_np((int)e) ?: "?",
				       t->no_extack[cmd][e]);
	printf("\n");
	fflush(stdout);
}

/*
 * The victim: a root process with a crowd of 48 idle children (so that a
 * dump takes several messages). Each byte on its command pipe runs a round:
 * a child that copies 16 pages and exits, then the victim rewrites its
 * buffer; a byte back says the round is done.
 */
static int victim_cmd, victim_done;

static void victim_main(int cmd, int done)
{
	char *buf;
	pid_t child;
	char go;
	int i;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	buf = mmap(NULL, 64 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(buf, 1, 64 * 4096);
	while (read(cmd, &go, 1) == 1) {
		if (go == 'c') {
			for (i = 0; i < 48; i++) {
				if (fork() == 0) {
					prctl(PR_SET_PDEATHSIG, SIGKILL);
					pause();
					_exit(0);
				}
			}
		}
		child = fork();
		if (child == 0) {
			memset(buf, 2, 16 * 4096);
			_exit(0);
		}
		waitpid(child, NULL, 0);
		memset(buf, 3, 64 * 4096);
		if (write(done, "d", 1) != 1)
			_exit(1);
	}
	_exit(0);
}

static pid_t start_victim(void)
{
	int c[2], d[2];
	pid_t pid;

	if (pipe(c) || pipe(d))
		cpnl_die("pipe: %s", strerror(errno));
	pid = fork();
	if (pid == 0) {
		close(c[1]);
		close(d[0]);
		victim_main(c[0], d[1]);
	}
	close(c[0]);
	close(d[1]);
	victim_cmd = c[1];
	victim_done = d[0];
	return pid;
}

static void victim_round(char what)
{
	char done;

	if (write(victim_cmd, &what, 1) != 1 || read(victim_done, &done, 1) != 1)
		cpnl_die("victim: no answer");
}

struct snap {
	int n;
	struct cpnl_proc p[8];
};

static void snap_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct snap *s = arg;

	if (s->n < 8)
		cpnl_parse_proc(nlh, &s->p[s->n++]);
}

static int snapshot_tree(struct cpnl *c, uint32_t root, struct snap *s)
{
	struct cpnl_msg m;

	memset(s, 0, sizeof(*s));
	cpnl_msg_init(&m, c->family, NLM_F_DUMP, COWPROBE_CMD_GET, COWPROBE_GENL_VERSION);
	cpnl_put_u32(&m, COWPROBE_A_ROOT, root);
	return cpnl_call(c, &m, snap_cb, s);
}

static uint64_t snap_sum(const struct snap *s, int counter)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < s->n; i++)
		v += s->p[i].c[counter];
	return v;
}

struct found {
	uint32_t pid;
	int seen;
};

static void found_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct found *f = arg;
	struct cpnl_proc p;

	cpnl_parse_proc(nlh, &p);
	if (p.pid == f->pid)
		f->seen = 1;
}

static const char *ename(int err)
{
	return err ? (strerrorname_np(-err) ?: "?") : "success";
}

/* bad requests as root: each must be refused with an errno and a message */
static void root_checks(struct cpnl *c)
{
	struct cpnl_msg m;
	int err;

	cpnl_msg_init(&m, c->family, 0, COWPROBE_CMD_CONFIG, COWPROBE_GENL_VERSION);
	err = cpnl_call(c, &m, NULL, NULL);
	check(err < 0 && c->extack[0],
	      "[rule:no-silent-success] CONFIG without an attribute is refused with a message",
	      "%s (extack \"%s\")", ename(err), c->extack);
	err = cpnl_unwatch(c, 1);
	check(err < 0 && c->extack[0], "UNWATCH of a pid that is no watched root",
	      "%s (extack \"%s\")", ename(err), c->extack);
	err = cpnl_region_add(c, 1, 0x10000, 0x20000, "x");
	check(err < 0 && c->extack[0], "REGION_ADD on an untracked process", "%s (extack \"%s\")",
	      ename(err), c->extack);
	err = cpnl_simple(c, COWPROBE_CMD_GET, 1, NULL, NULL);
	check(err < 0 && c->extack[0], "GET of an untracked process", "%s (extack \"%s\")",
	      ename(err), c->extack);
	err = cpnl_watch(c, 2, 0);
	printf("fuzz: WATCH of kthreadd (pid 2): %s (extack \"%s\")\n", ename(err), c->extack);
	if (!err)
		cpnl_unwatch(c, 2);
}

/* m must be refused with EINVAL and a message; 1 if it was accepted */
static int refused(struct cpnl *c, struct cpnl_msg *m, const char *what)
{
	int err = cpnl_call(c, m, NULL, NULL);

	check(err == -EINVAL && c->extack[0], what, "%s (extack \"%s\"), want EINVAL with a message",
	      ename(err), c->extack);
	return err == 0;
}

/*
 * Each op takes the attributes of its request in the spec and no other
 * (kmod/nl-gen.c, generated from it): one of another op, a nested one where
 * none is taken, or one of the wrong form is refused, with a message.
 */
static void policy_checks(struct cpnl *c)
{
	struct cpnl_msg m;
	struct nlattr *n;
	uint16_t pid16 = 1;

	cpnl_msg_init(&m, c->family, 0, COWPROBE_CMD_WATCH, COWPROBE_GENL_VERSION);
	cpnl_put_u32(&m, COWPROBE_A_PID, 1);
	cpnl_put_u32(&m, COWPROBE_A_ROOT, 1);
	if (refused(c, &m, "[rule:spec-policy] WATCH with root, an attribute not in its list"))
		cpnl_unwatch(c, 1);

	cpnl_msg_init(&m, c->family, 0, COWPROBE_CMD_WATCH, COWPROBE_GENL_VERSION);
	cpnl_put_u32(&m, COWPROBE_A_PID, 1);
	n = cpnl_nest_start(&m, COWPROBE_A_REGIONS);
	cpnl_put_u64(&m, COWPROBE_A_REGION_START, 0x10000);
	cpnl_nest_end(&m, n);
	if (refused(c, &m, "[rule:spec-policy] WATCH with a nested regions attribute"))
		cpnl_unwatch(c, 1);

	cpnl_msg_init(&m, c->family, 0, COWPROBE_CMD_REGION_ADD, COWPROBE_GENL_VERSION);
	cpnl_put_u32(&m, COWPROBE_A_PID, 1);
	cpnl_put_u64(&m, COWPROBE_A_REGION_START, 0x10000);
	cpnl_put_u64(&m, COWPROBE_A_REGION_END, 0x20000);
	n = cpnl_nest_start(&m, COWPROBE_A_REGION_NAME);
	cpnl_put_str(&m, COWPROBE_A_REGION_NAME, "x");
	cpnl_nest_end(&m, n);
	refused(c, &m, "[rule:spec-policy] REGION_ADD with a nest where a name string is meant");

	cpnl_msg_init(&m, c->family, 0, COWPROBE_CMD_GET, COWPROBE_GENL_VERSION);
	cpnl_put(&m, COWPROBE_A_PID, &pid16, sizeof(pid16));
	refused(c, &m, "[rule:spec-policy] GET with a 2-byte pid");

	cpnl_msg_init(&m, c->family, 0, COWPROBE_CMD_GET, COWPROBE_GENL_VERSION);
	cpnl_put_u32(&m, COWPROBE_A_PID, (uint32_t)getpid());
	cpnl_put_u32(&m, COWPROBE_A_ROOT, 1);
	refused(c, &m, "[rule:spec-policy] GET (do) with root, which only its dump takes");

	cpnl_msg_init(&m, c->family, NLM_F_DUMP, COWPROBE_CMD_GET, COWPROBE_GENL_VERSION);
	cpnl_put_u32(&m, COWPROBE_A_PID, 1);
	refused(c, &m, "[rule:spec-policy] GET dump with pid, which only its do takes");

	cpnl_msg_init(&m, c->family, 0, COWPROBE_CMD_STATUS, COWPROBE_GENL_VERSION);
	cpnl_put_u32(&m, COWPROBE_A_PID, 1);
	refused(c, &m, "[rule:spec-policy] STATUS with an attribute (it takes none)");
}

/* the explicit permission checks, in the unprivileged child */
static void perm_checks(uint32_t victim)
{
	struct found f = {victim, 0};
	struct cpnl_msg m;
	struct cpnl c, l;
	int err, grp;

	if ((err = cpnl_open(&c)))
		cpnl_die("unprivileged: cannot open the family: %s", strerror(-err));
#define DENIED(e) ((e) == -EPERM || (e) == -ENOENT)
	err = cpnl_watch(&c, victim, COWPROBE_WATCH_F_CHILDREN);
	check(DENIED(err), "[perm] unprivileged WATCH of root's process",
	      "%s (extack \"%s\")", ename(err), c.extack);
	err = cpnl_unwatch(&c, victim);
	check(DENIED(err), "[perm] unprivileged UNWATCH of root's tree", "%s (extack \"%s\")",
	      ename(err), c.extack);
	err = cpnl_simple(&c, COWPROBE_CMD_RESET, victim, NULL, NULL);
	check(DENIED(err), "[perm] unprivileged RESET of root's process", "%s (extack \"%s\")",
	      ename(err), c.extack);
	err = cpnl_simple(&c, COWPROBE_CMD_RESET, 0, NULL, NULL);
	check(DENIED(err), "[perm] unprivileged RESET of every record", "%s (extack \"%s\")",
	      ename(err), c.extack);
	err = cpnl_region_add(&c, victim, 0x10000, 0x20000, "evil");
	check(DENIED(err), "[perm] unprivileged REGION_ADD on root's process",
	      "%s (extack \"%s\")", ename(err), c.extack);
	err = cpnl_config_track_all(&c, 1);
	check(DENIED(err), "[perm] unprivileged CONFIG track_all=1", "%s (extack \"%s\")",
	      ename(err), c.extack);
	err = cpnl_simple(&c, COWPROBE_CMD_GET, victim, NULL, NULL);
	check(err == -ENOENT, "[rule:unpriv-get] unprivileged GET of root's process",
	      "%s, want ENOENT (rule: a caller without CAP_NET_ADMIN sees only its own "
	      "dumpable processes)",
	      ename(err));
	cpnl_msg_init(&m, c.family, NLM_F_DUMP, COWPROBE_CMD_GET, COWPROBE_GENL_VERSION);
	err = cpnl_call(&c, &m, found_cb, &f);
	check(!err && !f.seen, "[rule:unpriv-get] unprivileged dump leaves root's process out",
	      "dump %s, victim %s", ename(err), f.seen ? "listed" : "not listed");
	if (cpnl_open(&l) == 0) {
		grp = (int)c.exits_group;
		err = setsockopt(l.fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp)) ? -errno
										      : 0;
		check(err != 0, "[rule:unpriv-mcast] unprivileged join of the exits group",
		      "%s, want an error (EPERM)", ename(err));
		cpnl_close(&l);
	}
	cpnl_close(&c);
}

/* UNWATCH every pid a WATCH or REGION_ADD was sent for, and also */
static unsigned int sweep(struct cpnl *c, uint32_t also)
{
	unsigned int n = 0;
	uint32_t pid;

	for (pid = 1; pid < MAX_PID; pid++) {
		if (!watched[pid] && pid != also)
			continue;
		if (cpnl_unwatch(c, pid) == 0)
			n++;
		watched[pid] = 0;
	}
	return n;
}

int main(int argc, char **argv)
{
	uint64_t seed = 1, count = 100000;
	struct cpnl_status base, after;
	struct snap before_v, after_v;
	struct tally *troot, *tuser;
	uid_t uid = 65534;
	struct cpnl c;
	int i, err, status;
	pid_t victim, child;
	unsigned int unwatched = 0;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--count") && i + 1 < argc)
			count = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--offline")) {
			/* generation only, no module: for debugging the fuzzer */
			c.fd = -1;
			c.family = 0x20;
			troot = calloc(1, sizeof(*troot));
			watched = calloc(1, MAX_PID);
			rng_state = seed * 0x9E3779B97F4A7C15ULL + 1;
			fuzz(&c, troot, count);
			report("offline", troot);
			return 0;
		} else if (!strcmp(argv[i], "--uid") && i + 1 < argc)
			uid = (uid_t)strtoul(argv[++i], NULL, 0);
		else
			cpnl_die("usage: cp-fuzz [--seed S] [--count N] [--uid UID]");
	}
	rng_state = seed * 0x9E3779B97F4A7C15ULL + 1;
	self_pid = getpid();
	pid_hint = (uint32_t)self_pid + 200;
	setvbuf(stdout, NULL, _IOLBF, 0);
	watched = mmap(NULL, MAX_PID, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	troot = mmap(NULL, sizeof(*troot), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
		     0);
	tuser = mmap(NULL, sizeof(*tuser), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
		     0);
	if (watched == MAP_FAILED || troot == MAP_FAILED || tuser == MAP_FAILED)
		cpnl_die("mmap: %s", strerror(errno));

	if ((err = cpnl_open(&c)))
		cpnl_die("cannot open the cowprobe family: %s", strerror(-err));
	if ((err = cpnl_status(&c, &base)))
		cpnl_die("STATUS: %s", strerror(-err));
	printf("fuzz: seed %llu, %llu messages; baseline nr_procs %u nr_threads %u track_all %u\n",
	       (unsigned long long)seed, (unsigned long long)count, base.nr_procs,
	       base.nr_threads, base.track_all);

	/* a watched tree to dump while fuzzing: the victim and its crowd */
	victim = start_victim();
	if ((err = cpnl_watch(&c, (uint32_t)victim, COWPROBE_WATCH_F_CHILDREN)))
		cpnl_die("WATCH victim: %s (%s)", strerror(-err), c.extack);
	victim_round('c');

	root_checks(&c);
	policy_checks(&c);
	/* root phase: anything goes, the victim may be reset or unwatched */
	fuzz(&c, troot, count / 2);
	report("root", troot);
	check(!troot->bad_errno, "root: every error reply has a negative errno", "%llu bad",
	      (unsigned long long)troot->bad_errno);
	check(troot->reach_with_extack == troot->reach_errors,
	      "[rule:extack] root: every refused request that reached cowprobe's ops says why",
	      "%llu of %llu errors with an extack message",
	      (unsigned long long)troot->reach_with_extack,
	      (unsigned long long)troot->reach_errors);
	cpnl_config_track_all(&c, base.track_all);
	printf("fuzz: %u trees unwatched after the root phase\n", sweep(&c, (uint32_t)victim));
	/* the victim afresh (the root phase may have reset or unwatched it) */
	cpnl_unwatch(&c, (uint32_t)victim);
	if ((err = cpnl_watch(&c, (uint32_t)victim, COWPROBE_WATCH_F_CHILDREN)))
		cpnl_die("WATCH victim again: %s (%s)", strerror(-err), c.extack);
	victim_round('r');
	if ((err = snapshot_tree(&c, (uint32_t)victim, &before_v)))
		cpnl_die("dump of the victim: %s", strerror(-err));
	printf("fuzz: victim %d: %d records, %llu copies, %llu wp faults\n", victim, before_v.n,
	       (unsigned long long)snap_sum(&before_v, COWPROBE_C_COPIES),
	       (unsigned long long)snap_sum(&before_v, COWPROBE_C_WP_FAULTS));
	check(before_v.n >= 2 && snap_sum(&before_v, COWPROBE_C_COPIES) >= 16,
	      "victim counted before the unprivileged phase", "want >= 2 records, >= 16 copies");

	/* unprivileged phase */
	child = fork();
	if (child == 0) {
		struct cpnl u;

		if (setgroups(0, NULL) || setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
			cpnl_die("cannot become uid %u: %s", uid, strerror(errno));
		self_pid = getpid();
		perm_checks((uint32_t)victim);
		if ((err = cpnl_open(&u)))
			cpnl_die("unprivileged: cannot open the family: %s", strerror(-err));
		fuzz(&u, tuser, count - count / 2);
		_exit(failures ? 1 : 0);
	}
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) > 1)
		check(0, "unprivileged child", "ended abnormally (status 0x%x)", status);
	else if (WEXITSTATUS(status))
		failures++; /* its own checks printed FAIL */
	report("unprivileged", tuser);
	check(!tuser->bad_errno, "unprivileged: every error reply has a negative errno",
	      "%llu bad", (unsigned long long)tuser->bad_errno);
	check(tuser->reach_with_extack == tuser->reach_errors,
	      "[rule:extack] unprivileged: every refused request that reached cowprobe's ops "
	      "says why (EPERM included)",
	      "%llu of %llu errors with an extack message (EPERM: %llu of %llu)",
	      (unsigned long long)tuser->reach_with_extack,
	      (unsigned long long)tuser->reach_errors,
	      (unsigned long long)tuser->eperm_with_extack, (unsigned long long)tuser->eperm);
	check(tuser->mutating_ok == 0, "unprivileged: no mutating request succeeded",
	      "%llu successes (%llu on others' processes)",
	      (unsigned long long)tuser->mutating_ok,
	      (unsigned long long)tuser->mutating_ok_others);

	/* the victim untouched by the unprivileged sender */
	err = snapshot_tree(&c, (uint32_t)victim, &after_v);
	{
		int same = !err && after_v.n == before_v.n;

		for (i = 0; same && i < before_v.n; i++)
			same = !memcmp(before_v.p[i].c, after_v.p[i].c, sizeof(before_v.p[i].c)) &&
			       before_v.p[i].pid == after_v.p[i].pid;
		check(same, "victim counters unchanged by the unprivileged fuzz",
		      "%d records before, %d after; copies %llu -> %llu, wp_faults %llu -> %llu",
		      before_v.n, after_v.n,
		      (unsigned long long)snap_sum(&before_v, COWPROBE_C_COPIES),
		      (unsigned long long)snap_sum(&after_v, COWPROBE_C_COPIES),
		      (unsigned long long)snap_sum(&before_v, COWPROBE_C_WP_FAULTS),
		      (unsigned long long)snap_sum(&after_v, COWPROBE_C_WP_FAULTS));
	}

	/* clean up: the victim, and every tree the fuzz may have made */
	kill(victim, SIGKILL);
	waitpid(victim, NULL, 0);
	cpnl_config_track_all(&c, base.track_all);
	unwatched = sweep(&c, (uint32_t)victim);
	err = cpnl_status(&c, &after);
	for (i = 0; !err && i < 50 && (after.nr_procs > base.nr_procs ||
				       after.nr_threads > base.nr_threads); i++) {
		usleep(100000);
		err = cpnl_status(&c, &after);
	}
	check(!err, "STATUS answers after the fuzz", "%s", ename(err));
	printf("fuzz: %u trees unwatched after the fuzz\n", unwatched);
	/* fewer is no leak: a record held before (a tracked kernel thread) may go */
	check(!err && after.nr_procs <= base.nr_procs && after.nr_threads <= base.nr_threads,
	      "records back to the baseline", "nr_procs %u -> %u, nr_threads %u -> %u",
	      base.nr_procs, after.nr_procs, base.nr_threads, after.nr_threads);
	printf("fuzz: %llu messages, %llu errors (%llu with extack), %llu successes on mutating "
	       "commands as unprivileged; nmissed %llu; %s\n",
	       (unsigned long long)(troot->sent + tuser->sent),
	       (unsigned long long)(troot->errors + tuser->errors),
	       (unsigned long long)(troot->with_extack + tuser->with_extack),
	       (unsigned long long)tuser->mutating_ok, (unsigned long long)after.nmissed,
	       failures ? "FAIL" : "PASS");
	if (failures)
		printf("fuzz: the same messages again: cp-fuzz --seed %llu --count %llu\n",
		       (unsigned long long)seed, (unsigned long long)count);
	return failures ? 1 : 0;
}
