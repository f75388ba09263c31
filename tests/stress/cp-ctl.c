// SPDX-License-Identifier: GPL-2.0
/*
 * cp-ctl: single requests for the stress scripts, with the errno and the
 * extack message of a refusal printed.
 *
 *   cp-ctl status                 one line: key=value for the STATUS figures
 *   cp-ctl watch PID [children]   WATCH
 *   cp-ctl unwatch PID            UNWATCH, and how long it took (ns)
 *   cp-ctl reset PID              RESET of one process's counters
 *   cp-ctl region PID START END [NAME]
 *   cp-ctl tree ROOT              records, partial ones, live threads, copies
 *   cp-ctl threads N [leader-first]
 *                                 watch itself, start N threads, print its
 *                                 record (partial?), then let the threads end
 *                                 in reverse order (or the leader first, the
 *                                 rest after it) and print how the record ended
 *   cp-ctl thread-root            a process with a thread; WATCH the thread's
 *                                 id as root, print what the module made of it,
 *                                 UNWATCH it
 *   cp-ctl crowd N                watch itself with children, fork N idle
 *                                 children, print "crowd PID ready", then wait
 *                                 for SIGTERM (the children die with it)
 *   cp-ctl daemon SOCKET REQUEST LINES SECONDS
 *                                 cowprobed, not the module: send REQUEST (one
 *                                 JSON line) on its Unix socket and print the
 *                                 reply's lines as they come; exit 0 once
 *                                 LINES lines came, 1 at the end of SECONDS
 *                                 or of the connection before that
 * Exit status: 0, or 1 when the request failed (errno and message on stdout).
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include "cpnl.h"

static int result(struct cpnl *c, const char *what, int err)
{
	if (!err) {
		printf("%s: ok\n", what);
		return 0;
	}
	printf("%s: %s (errno %d) extack \"%s\"\n", what, strerrorname_np(-err) ?: "?", -err,
	       c->extack);
	return 1;
}

struct tree {
	unsigned int n, partial, exited, live_threads;
	uint64_t copies, faults;
};

static void tree_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct tree *t = arg;
	struct cpnl_proc p;

	cpnl_parse_proc(nlh, &p);
	t->n++;
	t->partial += !!(p.flags & COWPROBE_PROC_F_PARTIAL);
	t->exited += !!(p.flags & COWPROBE_PROC_F_EXITED);
	t->copies += p.c[COWPROBE_C_COPIES];
	t->faults += p.c[COWPROBE_C_WP_FAULTS];
}

static int gate[2];
static volatile int order_next;

struct thr {
	pthread_t t;
	int idx;
};

/* threads end in reverse order of creation: the last made goes first */
static void *thr_main(void *arg)
{
	struct thr *t = arg;
	char c;

	if (read(gate[0], &c, 1) != 1)
		return NULL;
	while (__atomic_load_n(&order_next, __ATOMIC_ACQUIRE) != t->idx)
		usleep(1000);
	usleep(2000);
	__atomic_store_n(&order_next, t->idx - 1, __ATOMIC_RELEASE);
	return NULL;
}

static int print_proc(struct cpnl *c, uint32_t pid, const char *when)
{
	struct tree t = {0};
	struct cpnl_msg m;
	int err;

	cpnl_msg_init(&m, c->family, NLM_F_DUMP, COWPROBE_CMD_GET, COWPROBE_GENL_VERSION);
	cpnl_put_u32(&m, COWPROBE_A_ROOT, pid);
	err = cpnl_call(c, &m, tree_cb, &t);
	if (err)
		return result(c, when, err);
	printf("%s: records=%u partial=%u exited=%u\n", when, t.n, t.partial, t.exited);
	return 0;
}

static int threads_cmd(struct cpnl *c, int n, int leader_first)
{
	struct thr *t = calloc((size_t)n, sizeof(*t));
	struct cpnl_status s;
	int i, err, status;
	pid_t child;
	char go[1024];

	if (pipe(gate))
		return 1;
	child = fork();
	if (child == 0) {
		int made = 0;

		for (i = 0; i < n; i++) {
			t[i].idx = i;
			if (pthread_create(&t[i].t, NULL, thr_main, &t[i]) == 0)
				made++;
		}
		/* wait for the parent's go, then let the threads end in turn */
		order_next = n - 1;
		if (leader_first)
			pthread_exit(NULL); /* the leader ends first, a zombie until the rest end */
		for (i = 0; i < n; i++)
			pthread_join(t[i].t, NULL);
		_exit(made == n ? 0 : 4);
	}
	if ((err = cpnl_watch(c, (uint32_t)child, COWPROBE_WATCH_F_CHILDREN)))
		return result(c, "watch", err);
	usleep(500000);
	print_proc(c, (uint32_t)child, "while running");
	memset(go, 'g', sizeof(go));
	for (i = 0; i < n; i += (int)sizeof(go))
		if (write(gate[1], go, (size_t)(n - i) < sizeof(go) ? (size_t)(n - i) : sizeof(go)) < 0)
			return 1;
	waitpid(child, &status, 0);
	usleep(200000);
	print_proc(c, (uint32_t)child, "after the last thread");
	err = cpnl_unwatch(c, (uint32_t)child);
	result(c, "unwatch", err);
	if (cpnl_status(c, &s) == 0)
		printf("after unwatch: nr_procs=%u nr_threads=%u\n", s.nr_procs, s.nr_threads);
	return err ? 1 : 0;
}

static void *sleeper(void *arg)
{
	pid_t tid = gettid();

	if (write(*(int *)arg, &tid, sizeof(tid)) != sizeof(tid))
		return NULL;
	for (;;)
		pause();
	return NULL;
}

static int thread_root_cmd(struct cpnl *c)
{
	int p[2], err, werr, uerr;
	struct cpnl_status s0, s1;
	pid_t child, tid = 0;

	if (pipe(p))
		return 1;
	cpnl_status(c, &s0);
	child = fork();
	if (child == 0) {
		pthread_t t;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		pthread_create(&t, NULL, sleeper, &p[1]);
		for (;;)
			pause();
	}
	if (read(p[0], &tid, sizeof(tid)) != sizeof(tid))
		return 1;
	werr = cpnl_watch(c, (uint32_t)tid, COWPROBE_WATCH_F_CHILDREN);
	result(c, "watch of a thread id as root", werr);
	print_proc(c, (uint32_t)tid, "tree of the thread id");
	print_proc(c, (uint32_t)child, "tree of its process");
	uerr = cpnl_unwatch(c, (uint32_t)tid);
	result(c, "unwatch of the thread id", uerr);
	if (uerr)
		cpnl_unwatch(c, (uint32_t)child);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	usleep(200000);
	err = cpnl_status(c, &s1);
	printf("thread-root: nr_procs %u -> %u, nr_threads %u -> %u\n", s0.nr_procs, s1.nr_procs,
	       s0.nr_threads, s1.nr_threads);
	return err || (!werr && uerr) || s1.nr_procs != s0.nr_procs ||
	       s1.nr_threads != s0.nr_threads;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void on_term(int sig)
{
	(void)sig;
}

/* cp-ctl daemon: a client of cowprobed's socket (the guest has no other) */
static int daemon_request(const char *path, const char *request, int lines, int seconds)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	uint64_t end = now_ns() + (uint64_t)seconds * 1000000000ULL;
	int fd, got = 0;
	char ch;

	if (strlen(path) >= sizeof(a.sun_path))
		cpnl_die("cp-ctl daemon: socket path too long");
	strcpy(a.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		printf("connect %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (dprintf(fd, "%s\n", request) < 0) {
		printf("send: %s\n", strerror(errno));
		return 1;
	}
	while (got < lines) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint64_t now = now_ns();

		if (now >= end || poll(&p, 1, (int)((end - now) / 1000000) + 1) <= 0)
			break;
		if (read(fd, &ch, 1) != 1)
			break;
		putchar(ch);
		if (ch == '\n') {
			got++;
			fflush(stdout);
		}
	}
	close(fd);
	return got < lines;
}

int main(int argc, char **argv)
{
	struct cpnl_status s;
	struct cpnl_msg m;
	struct cpnl c;
	int err;

	if (argc < 2)
		cpnl_die("usage: cp-ctl status|watch|unwatch|reset|region|tree|crowd|daemon ...");
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[1], "daemon") && argc >= 6)
		return daemon_request(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]));
	if ((err = cpnl_open(&c))) {
		printf("open: %s\n", strerror(-err));
		return 1;
	}
	if (!strcmp(argv[1], "status")) {
		if ((err = cpnl_status(&c, &s)))
			return result(&c, "status", err);
		printf("nr_procs=%u nr_threads=%u refused_procs=%llu refused_threads=%llu "
		       "nmissed=%llu track_all=%u armed=%u armings=%llu\n",
		       s.nr_procs, s.nr_threads, (unsigned long long)s.refused_procs,
		       (unsigned long long)s.refused_threads, (unsigned long long)s.nmissed,
		       s.track_all, s.armed, (unsigned long long)s.armings);
		return 0;
	}
	if (!strcmp(argv[1], "watch") && argc >= 3)
		return result(&c, "watch",
			      cpnl_watch(&c, (uint32_t)atoi(argv[2]),
					 argc > 3 && !strcmp(argv[3], "children") ?
						 COWPROBE_WATCH_F_CHILDREN :
						 0));
	if (!strcmp(argv[1], "unwatch") && argc >= 3) {
		uint64_t t0 = now_ns();

		err = cpnl_unwatch(&c, (uint32_t)atoi(argv[2]));
		printf("unwatch took %llu ns\n", (unsigned long long)(now_ns() - t0));
		return result(&c, "unwatch", err);
	}
	if (!strcmp(argv[1], "reset") && argc >= 3)
		return result(&c, "reset",
			      cpnl_simple(&c, COWPROBE_CMD_RESET, (uint32_t)atoi(argv[2]), NULL, NULL));
	if (!strcmp(argv[1], "region") && argc >= 5)
		return result(&c, "region",
			      cpnl_region_add(&c, (uint32_t)atoi(argv[2]),
					      strtoull(argv[3], NULL, 0),
					      strtoull(argv[4], NULL, 0),
					      argc > 5 ? argv[5] : NULL));
	if (!strcmp(argv[1], "tree") && argc >= 3) {
		struct tree t = {0};

		cpnl_msg_init(&m, c.family, NLM_F_DUMP, COWPROBE_CMD_GET, COWPROBE_GENL_VERSION);
		cpnl_put_u32(&m, COWPROBE_A_ROOT, (uint32_t)atoi(argv[2]));
		if ((err = cpnl_call(&c, &m, tree_cb, &t)))
			return result(&c, "tree", err);
		printf("records=%u partial=%u exited=%u copies=%llu wp_faults=%llu\n", t.n,
		       t.partial, t.exited, (unsigned long long)t.copies,
		       (unsigned long long)t.faults);
		return 0;
	}
	if (!strcmp(argv[1], "threads") && argc >= 3)
		return threads_cmd(&c, atoi(argv[2]), argc > 3 && !strcmp(argv[3], "leader-first"));
	if (!strcmp(argv[1], "thread-root"))
		return thread_root_cmd(&c);
	if (!strcmp(argv[1], "crowd") && argc >= 3) {
		int n = atoi(argv[2]), i, made = 0;
		sigset_t set;
		int sig;

		sigemptyset(&set);
		sigaddset(&set, SIGTERM);
		sigprocmask(SIG_BLOCK, &set, NULL);
		signal(SIGCHLD, SIG_IGN);
		if ((err = cpnl_watch(&c, (uint32_t)getpid(), COWPROBE_WATCH_F_CHILDREN)))
			return result(&c, "watch", err);
		for (i = 0; i < n; i++) {
			pid_t p = fork();

			if (p == 0) {
				prctl(PR_SET_PDEATHSIG, SIGKILL);
				signal(SIGTERM, on_term);
				for (;;)
					pause();
			}
			if (p > 0)
				made++;
		}
		printf("crowd %d ready: %d children\n", getpid(), made);
		sigwait(&set, &sig);
		return 0;
	}
	cpnl_die("cp-ctl: unknown or incomplete command '%s'", argv[1]);
	return 2;
}
