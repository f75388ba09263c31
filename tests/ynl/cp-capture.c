// SPDX-License-Identifier: GPL-2.0
/*
 * cp-capture: raw cowprobe replies for tests/ynl/decode-test, which decodes
 * them on the host with the kernel's ynl library (the guest has no Python).
 *
 *   cp-capture DIR
 *
 * Forks a child, watches it (children and mapping buckets) with a region on
 * half of a 64-page buffer; the child writes the buffer, forks a grandchild
 * that writes 16 of its pages and exits, writes the buffer again and waits.
 * Then, while it waits, DIR gets the replies as the kernel sent them, one
 * netlink message after the other: status.nl (STATUS), get-do.nl (GET of the
 * child), get-dump.nl (GET dump of its tree), and what cowprobe's own client
 * says of the same moment: stats.json (cowprobe stats --pid --json),
 * status.json; pid holds the child's pid. The child is let go and exits.nl
 * gets the EXIT messages of the "exits" group up to the child's.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "../stress/cpnl.h"

#define PAGES 64
#define PAGE 4096

static void save(const struct nlmsghdr *nlh, void *arg)
{
	if (fwrite(nlh, 1, nlh->nlmsg_len, arg) != nlh->nlmsg_len)
		cpnl_die("cp-capture: write: %s", strerror(errno));
}

static FILE *out(const char *dir, const char *name)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		cpnl_die("cp-capture: %s: %s", path, strerror(errno));
	return f;
}

static void must(struct cpnl *c, const char *what, int err)
{
	if (err)
		cpnl_die("cp-capture: %s: %s (%s)", what, strerror(-err), c->extack);
}

static void child(char *buf, int go, int ready, int quit)
{
	char b;
	pid_t g;
	int i;

	if (read(go, &b, 1) != 1)
		_exit(1);
	for (i = 0; i < PAGES; i++)
		buf[i * PAGE] = 1;
	g = fork();
	if (g == 0) {
		for (i = 0; i < 16; i++)
			buf[i * PAGE] = 2;
		_exit(0);
	}
	waitpid(g, NULL, 0);
	for (i = 0; i < PAGES; i++)
		buf[i * PAGE] = 3;
	if (write(ready, "r", 1) != 1)
		_exit(1);
	read(quit, &b, 1);
	_exit(0);
}

/* The EXIT messages on x until the one of pid; 10 s at most. */
static void exits(struct cpnl *x, pid_t pid, FILE *f)
{
	static unsigned char buf[CPNL_BUF];
	struct pollfd p = { .fd = x->fd, .events = POLLIN };

	while (poll(&p, 1, 10000) == 1) {
		ssize_t n = recv(x->fd, buf, sizeof(buf), 0);
		size_t left = n > 0 ? (size_t)n : 0;
		struct nlmsghdr *nlh;

		for (nlh = (void *)buf; NLMSG_OK(nlh, left); nlh = NLMSG_NEXT(nlh, left)) {
			struct cpnl_proc rec;

			if (nlh->nlmsg_type != x->family)
				continue;
			save(nlh, f);
			cpnl_parse_proc(nlh, &rec);
			if (rec.pid == (uint32_t)pid)
				return;
		}
	}
	cpnl_die("cp-capture: no EXIT message of %d", pid);
}

int main(int argc, char **argv)
{
	int go[2], ready[2], quit[2];
	struct cpnl c, x;
	struct cpnl_msg m;
	char cmd[1024], b;
	const char *dir;
	uint64_t start;
	char *buf;
	FILE *f;
	pid_t pid;

	if (argc != 2)
		cpnl_die("usage: cp-capture DIR");
	dir = argv[1];
	must(&c, "open", cpnl_open(&c));
	must(&x, "open", cpnl_open(&x));
	if (setsockopt(x.fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &x.exits_group,
		       sizeof(x.exits_group)))
		cpnl_die("cp-capture: join exits: %s", strerror(errno));

	buf = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED || pipe(go) || pipe(ready) || pipe(quit))
		cpnl_die("cp-capture: %s", strerror(errno));
	alarm(90); /* a hang fails in the guest, with a message */
	pid = fork();
	if (pid == 0) {
		close(quit[1]);
		child(buf, go[0], ready[1], quit[0]);
	}
	must(&c, "watch", cpnl_watch(&c, pid, COWPROBE_WATCH_F_CHILDREN | COWPROBE_WATCH_F_MAPS));
	start = (uintptr_t)buf;
	must(&c, "region", cpnl_region_add(&c, pid, start, start + PAGES / 2 * PAGE, "half"));
	if (write(go[1], "g", 1) != 1 || read(ready[0], &b, 1) != 1)
		cpnl_die("cp-capture: the child did not get ready");

	f = out(dir, "status.nl");
	must(&c, "status", cpnl_simple(&c, COWPROBE_CMD_STATUS, 0, save, f));
	fclose(f);
	f = out(dir, "get-do.nl");
	must(&c, "get", cpnl_simple(&c, COWPROBE_CMD_GET, pid, save, f));
	fclose(f);
	f = out(dir, "get-dump.nl");
	cpnl_msg_init(&m, c.family, NLM_F_DUMP, COWPROBE_CMD_GET, COWPROBE_GENL_VERSION);
	cpnl_put_u32(&m, COWPROBE_A_ROOT, pid);
	must(&c, "dump", cpnl_call(&c, &m, save, f));
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "cowprobe stats --pid %d --json >%s/stats.json && cowprobe status --json >%s/status.json",
		 pid, dir, dir);
	if (system(cmd))
		cpnl_die("cp-capture: %s failed", cmd);
	f = out(dir, "pid");
	fprintf(f, "%d\n", pid);
	fclose(f);

	close(quit[1]);
	waitpid(pid, NULL, 0);
	f = out(dir, "exits.nl");
	exits(&x, pid, f);
	fclose(f);
	must(&c, "unwatch", cpnl_unwatch(&c, pid));
	cpnl_close(&x);
	cpnl_close(&c);
	return 0;
}
