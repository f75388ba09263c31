// SPDX-License-Identifier: GPL-2.0
/*
 * cp-scale N [ROUNDS]: N live processes tracked (the module loaded with
 * track_all=1), then, in ROUNDS interleaved rounds, one full GET dump against
 * reading /proc/PID/stat of the same N processes (open, read, close), the
 * two ways a tool learns about every process. Prints
 *   SCALE procs N tracked T forked_ns F
 *   SCALE round R dump_ns D dump_records K proc_ns P proc_read Q
 *   SCALE status proc_bytes B thread_bytes C refused_procs X procs_allocated A
 *                threads_allocated T pool_behind Y
 * Under tools/vm/run --icount a nanosecond is a guest instruction.
 *
 * The children are this program forked: each blocks in read() on one pipe
 * and exits when the parent closes its end, so N processes cost their kernel
 * structures and a few pages each.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cpnl.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

struct dump_arg {
	unsigned long records;
};

static void count_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct dump_arg *d = arg;

	(void)nlh;
	d->records++;
}

static void bytes_cb(const struct nlmsghdr *nlh, void *arg)
{
	uint32_t *b = arg;
	struct nlattr *a;
	size_t len;
	void *attrs = cpnl_attrs(nlh, &len);

	cpnl_for_each_attr(a, attrs, len)
	{
		if (cpnl_type(a) == COWPROBE_A_PROC_BYTES)
			b[0] = cpnl_u32(a);
		if (cpnl_type(a) == COWPROBE_A_THREAD_BYTES)
			b[1] = cpnl_u32(a);
		if (cpnl_type(a) == COWPROBE_A_PROCS_ALLOCATED)
			b[2] = cpnl_u32(a);
		if (cpnl_type(a) == COWPROBE_A_THREADS_ALLOCATED)
			b[3] = cpnl_u32(a);
		if (cpnl_type(a) == COWPROBE_A_POOL_BEHIND)
			b[4] = (uint32_t)cpnl_u64(a);
	}
}

int main(int argc, char **argv)
{
	unsigned long n, rounds, i, r;
	int gate[2];
	pid_t *pids;
	struct cpnl c;
	struct cpnl_status st;
	uint32_t bytes[5] = {0, 0, 0, 0, 0};
	uint64_t t0;
	int err;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: cp-scale N [ROUNDS]\n");
		return 2;
	}
	n = strtoul(argv[1], NULL, 10);
	rounds = argc == 3 ? strtoul(argv[2], NULL, 10) : 3;
	if (!n || !rounds)
		cpnl_die("cp-scale: N and ROUNDS must be positive\n");
	pids = calloc(n, sizeof(*pids));
	if (!pids || pipe2(gate, O_CLOEXEC) < 0)
		cpnl_die("cp-scale: %s\n", strerror(errno));
	err = cpnl_open(&c);
	if (err)
		cpnl_die("cp-scale: the cowprobe family: %s\n", strerror(-err));

	t0 = now_ns();
	for (i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			fprintf(stderr, "cp-scale: fork %lu: %s\n", i, strerror(errno));
			n = i;
			break;
		}
		if (pids[i] == 0) {
			char b;

			close(gate[1]);
			while (read(gate[0], &b, 1) < 0 && errno == EINTR)
				;
			_exit(0);
		}
		if (i % 10000 == 9999)
			fprintf(stderr, "cp-scale: %lu processes\n", i + 1);
	}
	err = cpnl_status(&c, &st);
	if (err)
		cpnl_die("cp-scale: STATUS: %s\n", strerror(-err));
	printf("SCALE procs %lu tracked %u forked_ns %llu\n", n, st.nr_procs,
	       (unsigned long long)(now_ns() - t0));

	for (r = 0; r < rounds; r++) {
		struct dump_arg d = {0};
		struct cpnl_msg m;
		uint64_t dump_ns, proc_ns;
		unsigned long ok = 0;
		char buf[1024];

		t0 = now_ns();
		cpnl_msg_init(&m, c.family, NLM_F_DUMP, COWPROBE_CMD_GET, COWPROBE_GENL_VERSION);
		err = cpnl_call(&c, &m, count_cb, &d);
		dump_ns = now_ns() - t0;
		if (err)
			cpnl_die("cp-scale: dump: %s (%s)\n", strerror(-err), c.extack);

		t0 = now_ns();
		for (i = 0; i < n; i++) {
			int fd;

			snprintf(buf, sizeof(buf), "/proc/%d/stat", (int)pids[i]);
			fd = open(buf, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				continue;
			if (read(fd, buf, sizeof(buf)) > 0)
				ok++;
			close(fd);
		}
		proc_ns = now_ns() - t0;
		printf("SCALE round %lu dump_ns %llu dump_records %lu proc_ns %llu proc_read %lu\n", r,
		       (unsigned long long)dump_ns, d.records, (unsigned long long)proc_ns, ok);
		fflush(stdout);
	}

	err = cpnl_simple(&c, COWPROBE_CMD_STATUS, 0, bytes_cb, bytes);
	if (!err)
		err = cpnl_status(&c, &st);
	if (err)
		cpnl_die("cp-scale: STATUS: %s\n", strerror(-err));
	printf("SCALE status proc_bytes %u thread_bytes %u refused_procs %llu procs_allocated %u threads_allocated %u pool_behind %u\n",
	       bytes[0], bytes[1], (unsigned long long)st.refused_procs, bytes[2], bytes[3], bytes[4]);

	close(gate[1]);
	for (i = 0; i < n; i++)
		waitpid(pids[i], NULL, 0);
	free(pids);
	cpnl_close(&c);
	return 0;
}
