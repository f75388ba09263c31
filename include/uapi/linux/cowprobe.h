/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * cowprobe: per-process copy-on-write fault counters over generic netlink.
 *
 * Family "cowprobe", version COWPROBE_GENL_VERSION. Both the kernel module and
 * the userspace tools compile against this header; it is the protocol manual.
 *
 * Who may do what. An administrator is a caller with CAP_NET_ADMIN in the
 * initial user namespace (what GENL_ADMIN_PERM checks: root of a user
 * namespace is not one). Anyone else sees only the records of processes it
 * could ptrace: the same real, effective and saved uid and gid as the caller,
 * and dumpable, as the process was at its last fork, exec or exit (so exited
 * processes are judged too). A record it may not see does not exist for it:
 * dumps leave it out and requests naming it get ENOENT. WATCH, UNWATCH,
 * RESET and REGION_ADD are for administrators, and, when the module is
 * loaded with unprivileged=1 (lab mode), for users on processes they could
 * ptrace: WATCH any such process, the others on trees they watched
 * themselves, with at most max_user_procs records per user. CONFIG and the
 * "exits" multicast group are for administrators only.
 *
 * Pids. Every pid in a request is read, and every pid in a reply written,
 * in the caller's pid namespace; a thread id names its process. Records of
 * processes that namespace cannot see are left out, and a parent or root it
 * cannot see reads 0. Exit records carry initial-namespace pids. The family
 * lives in the initial network namespace only: its records and limits are
 * the machine's.
 *
 * Commands and their attributes (all integers in host byte order):
 *
 *   COWPROBE_CMD_STATUS  (doit, any user)
 *     request:  none
 *     reply:    COWPROBE_A_VERSION            string, module version
 *               COWPROBE_A_GENL_VERSION       u32
 *               COWPROBE_A_LIMIT_PROCS        u32, module parameter max_procs
 *               COWPROBE_A_LIMIT_THREADS      u32, module parameter max_threads
 *               COWPROBE_A_LIMIT_REGIONS      u32, module parameter max_regions
 *               COWPROBE_A_NR_PROCS           u32, process records held now
 *               COWPROBE_A_NR_THREADS         u32, live threads tracked now
 *               COWPROBE_A_REFUSED_PROCS      u64, processes not tracked: limit
 *               COWPROBE_A_REFUSED_THREADS    u64, threads not tracked: limit
 *               COWPROBE_A_PROBES             nested, one COWPROBE_A_PROBE each:
 *                 COWPROBE_A_PROBE            nested:
 *                   COWPROBE_PROBE_A_NAME     string, role ("do_wp_page", ...)
 *                   COWPROBE_PROBE_A_SYMBOL   string, resolved kernel symbol
 *                   COWPROBE_PROBE_A_STATE    u32, enum cowprobe_probe_state
 *                   COWPROBE_PROBE_A_ERROR    s32, -errno of the last attempt
 *                   COWPROBE_PROBE_A_NMISSED  u64, kprobe/kretprobe nmissed
 *                   COWPROBE_PROBE_A_HITS     u64, handler calls for tracked
 *                                             tasks
 *                   COWPROBE_PROBE_A_HOOK     u32, enum cowprobe_probe_hook
 *                                             (absent before 2026-12-08)
 *               COWPROBE_A_CLASSES            nested, one COWPROBE_A_CLASS per
 *                                             fault class, the probe self-check:
 *                 COWPROBE_A_CLASS            nested:
 *                   COWPROBE_CLASS_A_NAME     string ("copy", "reuse", ...)
 *                   COWPROBE_CLASS_A_STATE    u32, enum cowprobe_class_state
 *                   COWPROBE_CLASS_A_HOW      string, how this kernel's probes
 *                                             see the class, or why they cannot
 *
 *   COWPROBE_CMD_WATCH   (doit, CAP_NET_ADMIN or lab mode)
 *     request:  COWPROBE_A_PID                u32, required, a process id
 *               COWPROBE_A_WATCH_FLAGS        u32, COWPROBE_WATCH_F_*
 *     reply:    none (ack)
 *     Tracks every thread of the process from now on. With
 *     COWPROBE_WATCH_F_CHILDREN every process and thread it creates later is
 *     tracked as well, recursively, from fork until exit.
 *
 *   COWPROBE_CMD_UNWATCH (doit, CAP_NET_ADMIN or lab mode)
 *     request:  COWPROBE_A_PID                u32, required, a watched root
 *     Stops tracking the tree started by COWPROBE_CMD_WATCH of that pid and
 *     forgets its records, exited processes included.
 *
 *   COWPROBE_CMD_GET     (doit and dumpit, any user: what it may see)
 *     doit request:   COWPROBE_A_PID          u32, required
 *     dumpit request: COWPROBE_A_ROOT         u32, optional: only that tree
 *     reply, one message per process:
 *               COWPROBE_A_PID                u32, tgid
 *               COWPROBE_A_PPID               u32, parent tgid at fork, or 0
 *               COWPROBE_A_ROOT               u32, pid given to WATCH, or 0
 *               COWPROBE_A_COMM               string, command name
 *               COWPROBE_A_PROC_FLAGS         u32, COWPROBE_PROC_F_*
 *               COWPROBE_A_START_NS           u64, CLOCK_MONOTONIC at fork
 *               COWPROBE_A_EXIT_NS            u64, at exit of the last thread
 *               COWPROBE_A_NR_THREADS         u32, threads seen, exited ones
 *                                             included
 *               COWPROBE_A_COUNTERS           nested, COWPROBE_C_* each u64
 *               COWPROBE_A_REGIONS            nested, one COWPROBE_A_REGION
 *                                             per region:
 *                 COWPROBE_A_REGION           nested: COWPROBE_A_REGION_START,
 *                                             _END, _NAME, COWPROBE_A_COUNTERS
 *               COWPROBE_A_THREADS            nested, one COWPROBE_A_THREAD
 *                                             per live tracked thread:
 *                 COWPROBE_A_THREAD           nested:
 *                   COWPROBE_A_PID            u32, thread id
 *                   COWPROBE_A_COUNTERS       nested, as above
 *               COWPROBE_A_NR_FOLDED          u32, of a watched root: exited
 *                                             members folded into it
 *               COWPROBE_A_FOLDED             nested, their counters summed
 *     A dump walks the records in pid order and resumes after the last one it
 *     gave: a record present for the whole dump is given exactly once, one
 *     made or removed meanwhile may or may not be; it is never interrupted.
 *     When the record pool runs low, the oldest exited member of a watched
 *     tree is folded into its root, so the tree's totals stay exact.
 *
 *   COWPROBE_CMD_RESET   (doit, CAP_NET_ADMIN or lab mode)
 *     request:  COWPROBE_A_PID                u32, optional: one process;
 *                                             absent: every record (admins)
 *     Sets counters to zero, regions' included; tracking is unchanged.
 *
 *   COWPROBE_CMD_REGION_ADD (doit, CAP_NET_ADMIN or lab mode)
 *     request:  COWPROBE_A_PID                u32, required, a tracked process
 *               COWPROBE_A_REGION_START       u64, required, first address
 *               COWPROBE_A_REGION_END         u64, required, one past the last
 *               COWPROBE_A_REGION_NAME        string, optional, < 16 bytes
 *     Faults on pages that overlap [START, END) are also counted in the region's
 *     own counters. Processes forked later inherit the region (counters
 *     start at zero); exec ends a process's regions, which described the
 *     old image. At most COWPROBE_A_LIMIT_REGIONS per process.
 *
 *   COWPROBE_CMD_CONFIG  (doit, CAP_NET_ADMIN)
 *     request:  COWPROBE_A_TRACK_ALL          u32, 0 or 1
 *     1: every process created from now on is tracked (for labs); its
 *     record is dropped once its exit record is sent. A later WATCH of such
 *     a process makes it a watched root, kept until UNWATCH.
 *
 *   COWPROBE_CMD_EXIT    (multicast on group COWPROBE_MCGRP_EXITS, admins)
 *     Sent when the last thread of a tracked process exits: the attributes
 *     of a COWPROBE_CMD_GET reply (no COWPROBE_A_THREADS) and
 *     COWPROBE_A_SEQ (u64), which counts exit records from 1 in the order
 *     they were made. A gap in SEQ means records were lost: the kernel
 *     counts those it could not send in COWPROBE_A_EXITS_DROPPED, and a
 *     listener whose socket overflowed gets ENOBUFS.
 *
 * STATUS also carries COWPROBE_A_TRACK_ALL (u32), COWPROBE_A_EXITS_SENT and
 * COWPROBE_A_EXITS_DROPPED (u64), COWPROBE_A_SEQ, the last one made,
 * COWPROBE_A_UNPRIVILEGED (u32, lab mode), COWPROBE_A_LIMIT_USER_PROCS (u32)
 * and COWPROBE_A_FOLDED_PROCS (u64, exited records folded into roots).
 *
 * A request carrying an attribute its command (for GET: its doit or dumpit)
 * does not list above is refused with EINVAL, as is a malformed one; the
 * netlink spec, Documentation/netlink/specs/cowprobe.yaml, lists the same.
 * Every rejected request carries an extended ack message saying why.
 */
#ifndef _UAPI_LINUX_COWPROBE_H
#define _UAPI_LINUX_COWPROBE_H

#define COWPROBE_GENL_NAME	"cowprobe"
#define COWPROBE_GENL_VERSION	1
#define COWPROBE_MCGRP_EXITS	"exits"

enum cowprobe_cmd {
	COWPROBE_CMD_UNSPEC,
	COWPROBE_CMD_STATUS,
	COWPROBE_CMD_WATCH,
	COWPROBE_CMD_UNWATCH,
	COWPROBE_CMD_GET,
	COWPROBE_CMD_RESET,
	COWPROBE_CMD_REGION_ADD,
	COWPROBE_CMD_CONFIG,
	COWPROBE_CMD_EXIT,

	__COWPROBE_CMD_MAX,
	COWPROBE_CMD_MAX = __COWPROBE_CMD_MAX - 1
};

enum cowprobe_attr {
	COWPROBE_A_UNSPEC,
	COWPROBE_A_PAD,
	COWPROBE_A_VERSION,
	COWPROBE_A_GENL_VERSION,
	COWPROBE_A_LIMIT_PROCS,
	COWPROBE_A_LIMIT_THREADS,
	COWPROBE_A_NR_PROCS,
	COWPROBE_A_NR_THREADS,
	COWPROBE_A_REFUSED_PROCS,
	COWPROBE_A_REFUSED_THREADS,
	COWPROBE_A_PROBES,
	COWPROBE_A_PROBE,
	COWPROBE_A_PID,
	COWPROBE_A_WATCH_FLAGS,
	COWPROBE_A_ROOT,
	COWPROBE_A_PPID,
	COWPROBE_A_COMM,
	COWPROBE_A_PROC_FLAGS,
	COWPROBE_A_START_NS,
	COWPROBE_A_EXIT_NS,
	COWPROBE_A_COUNTERS,
	COWPROBE_A_THREADS,
	COWPROBE_A_THREAD,
	COWPROBE_A_LIMIT_REGIONS,
	COWPROBE_A_REGIONS,
	COWPROBE_A_REGION,
	COWPROBE_A_REGION_START,
	COWPROBE_A_REGION_END,
	COWPROBE_A_REGION_NAME,
	COWPROBE_A_SEQ,
	COWPROBE_A_TRACK_ALL,
	COWPROBE_A_EXITS_SENT,
	COWPROBE_A_EXITS_DROPPED,
	COWPROBE_A_CLASSES,
	COWPROBE_A_CLASS,
	COWPROBE_A_UNPRIVILEGED,
	COWPROBE_A_LIMIT_USER_PROCS,
	COWPROBE_A_FOLDED_PROCS,
	COWPROBE_A_FOLDED,
	COWPROBE_A_NR_FOLDED,
	/*
	 * STATUS: u32, 1 while the probes are armed (a live tracked thread,
	 * track_all, or a WATCH in progress), 0 when loaded and idle: the
	 * kprobes are then disabled and cost the machine's faults nothing.
	 */
	COWPROBE_A_ARMED,
	COWPROBE_A_ARMINGS,		/* u64: times the probes were armed */
	/*
	 * STATUS, u32: kernel memory one process record (its max_regions
	 * regions included) and one thread record take, cache-line aligned;
	 * COWPROBE_A_PROCS_ALLOCATED and _THREADS_ALLOCATED of them are
	 * allocated now (at most max_procs and max_threads).
	 */
	COWPROBE_A_PROC_BYTES,
	COWPROBE_A_THREAD_BYTES,
	/*
	 * The mapping buckets of a record watched with COWPROBE_WATCH_F_MAPS
	 * (GET, EXIT): COWPROBE_A_MAPS nests one COWPROBE_A_MAP per bucket:
	 * COWPROBE_A_MAP_START, _END (u64, the mapping when its bucket was
	 * made), COWPROBE_A_MAP_KIND (u32, COWPROBE_MAP_*), COWPROBE_A_MAP_NAME
	 * (string, a file's path inside its file system, at most
	 * COWPROBE_MAP_NAME_LEN - 1 bytes, cut from the left with a leading
	 * "..."), COWPROBE_A_MAP_DEV (u32, the file system's device, as
	 * stat(2)'s st_dev), COWPROBE_A_MAP_INO (u64), COWPROBE_A_MAP_PGOFF
	 * (u64, file offset in bytes), COWPROBE_A_MAP_FLAGS (u32,
	 * COWPROBE_MAP_F_*) and COWPROBE_A_COUNTERS. A fault once every bucket
	 * is taken is counted in COWPROBE_A_MAPS_OVERFLOW's counters (nested,
	 * as COWPROBE_A_COUNTERS). STATUS: COWPROBE_A_LIMIT_MAPS (u32, module
	 * parameter max_maps, buckets per process; 0: no buckets).
	 */
	COWPROBE_A_MAPS,
	COWPROBE_A_MAP,
	COWPROBE_A_MAP_START,
	COWPROBE_A_MAP_END,
	COWPROBE_A_MAP_KIND,
	COWPROBE_A_MAP_NAME,
	COWPROBE_A_MAP_DEV,
	COWPROBE_A_MAP_INO,
	COWPROBE_A_MAP_PGOFF,
	COWPROBE_A_MAP_FLAGS,
	COWPROBE_A_MAPS_OVERFLOW,
	COWPROBE_A_LIMIT_MAPS,
	/* STATUS, u32: bytes of one process record's buckets (in PROC_BYTES) */
	COWPROBE_A_MAPS_BYTES,
	/*
	 * STATUS: the record pools follow use, a chunk at a time, grown in
	 * process context: COWPROBE_A_PROCS_ALLOCATED and
	 * COWPROBE_A_THREADS_ALLOCATED (u32) records are allocated now;
	 * COWPROBE_A_POOL_BEHIND (u64) records were refused (and counted in
	 * COWPROBE_A_REFUSED_*) while the next chunk was on its way.
	 */
	COWPROBE_A_PROCS_ALLOCATED,
	COWPROBE_A_THREADS_ALLOCATED,
	COWPROBE_A_POOL_BEHIND,

	__COWPROBE_A_MAX,
	COWPROBE_A_MAX = __COWPROBE_A_MAX - 1
};

enum cowprobe_watch_flag {
	COWPROBE_WATCH_F_CHILDREN = 1U << 0,
	/*
	 * Count per mapping as well (COWPROBE_A_MAPS), in this process and in
	 * what it forks; a child also gets, at fork, a bucket for each private
	 * writable mapping of at least 1 MiB it shares with its parent.
	 */
	COWPROBE_WATCH_F_MAPS = 1U << 1,

	__COWPROBE_WATCH_F_ALL = COWPROBE_WATCH_F_CHILDREN |
				 COWPROBE_WATCH_F_MAPS
};

/* What a mapping bucket's mapping was (COWPROBE_A_MAP_KIND). */
enum cowprobe_map_kind {
	COWPROBE_MAP_ANON,		/* anonymous, none of the below */
	COWPROBE_MAP_FILE,		/* a private mapping of a file */
	COWPROBE_MAP_FILE_SHARED,	/* a shared mapping of a file */
	/*
	 * A writable private file mapping that follows a mapping of the same
	 * file: the data segment of a loaded object (ELF maps its segments
	 * side by side).
	 */
	COWPROBE_MAP_DATA,
	/* anonymous, right after a file mapping: the rest of its .bss */
	COWPROBE_MAP_BSS,
	COWPROBE_MAP_HEAP,
	COWPROBE_MAP_STACK,
	COWPROBE_MAP_VDSO,
	COWPROBE_MAP_ANON_SHARED,	/* MAP_SHARED | MAP_ANONYMOUS, shmem */
};

enum cowprobe_map_flag {
	/* made at fork: the mapping was shared with the parent then */
	COWPROBE_MAP_F_AT_FORK = 1U << 0,
};

#define COWPROBE_MAP_NAME_LEN	96

enum cowprobe_proc_flag {
	COWPROBE_PROC_F_EXITED = 1U << 0,
	COWPROBE_PROC_F_FOLLOW = 1U << 1,
	/* a thread of this process was not tracked: counts are partial */
	COWPROBE_PROC_F_PARTIAL = 1U << 2,
	/* too many threads for one message: COWPROBE_A_THREADS left out */
	COWPROBE_PROC_F_THREADS_OMITTED = 1U << 3,
	/* tracked by COWPROBE_A_TRACK_ALL: forgotten after its exit record */
	COWPROBE_PROC_F_AUTO = 1U << 4,
	/* counted per mapping too (COWPROBE_WATCH_F_MAPS) */
	COWPROBE_PROC_F_MAPS = 1U << 5,
	/*
	 * a counter at zero is left out of every COWPROBE_A_COUNTERS nest of
	 * this record (its threads', regions', mappings' and folded ones too):
	 * absent reads as 0. So are COWPROBE_A_PPID, COWPROBE_A_ROOT and
	 * COWPROBE_A_EXIT_NS at 0 left out: absent, each reads as 0 too (the
	 * nests are always put, empty if need be)
	 */
	COWPROBE_PROC_F_SPARSE = 1U << 6,
};

#define COWPROBE_REGION_NAME_LEN	16

/*
 * Counters, nested in COWPROBE_A_COUNTERS, each u64. In a record flagged
 * COWPROBE_PROC_F_SPARSE a counter at zero is left out (it is 0); without
 * the flag an absent counter is one the kernel does not know. STATUS says
 * which probes are placed, so which classes can be counted.
 */
enum cowprobe_counter {
	COWPROBE_C_UNSPEC,
	COWPROBE_C_PAD,
	/* do_wp_page entries: write (or unshare) faults on present read-only PTEs */
	COWPROBE_C_WP_FAULTS,
	/* a new private anonymous page was installed with the old data copied */
	COWPROBE_C_COPIES,
	/* the writer was the only mapper: page made writable in place */
	COWPROBE_C_REUSES,
	/* write after a read of the shared zero page: zeroed page installed */
	COWPROBE_C_ZERO_FILLS,
	/* writes to shared mappings (write-notify): not copy-on-write */
	COWPROBE_C_SHARED_WRITES,
	/* do_wp_page calls that neither copied nor reused (raced, retried) */
	COWPROBE_C_OTHER,
	/*
	 * The outcomes above are disjoint: COPIES + REUSES + ZERO_FILLS +
	 * SHARED_WRITES + UNSHARE_COPIES + OTHER = WP_FAULTS. A copy made for
	 * FAULT_FLAG_UNSHARE (a read-only GUP pin, not a write) is counted
	 * here and not in COPIES.
	 */
	COWPROBE_C_UNSHARE_COPIES,
	/* subsets of COPIES + UNSHARE_COPIES: what the source page was */
	COWPROBE_C_KSM_COPIES,		/* a KSM-merged page */
	COWPROBE_C_THP_COPIES,		/* a page of a transparent huge page */
	/* faults taken by another task on this process's memory (GUP, ptrace,
	 * process_vm_writev, /proc/pid/mem): included in the counters above
	 */
	COWPROBE_C_REMOTE_WP_FAULTS,
	COWPROBE_C_REMOTE_COPIES,
	/* huge-PMD write faults (do_huge_pmd_wp_page), not in WP_FAULTS */
	COWPROBE_C_THP_WP_FAULTS,
	COWPROBE_C_THP_REUSES,		/* the huge page made writable whole */
	COWPROBE_C_THP_FALLBACKS,	/* PMD split: 4 KiB faults follow */
	/* hugetlb write faults (hugetlb_wp / hugetlb_cow), not in WP_FAULTS */
	COWPROBE_C_HUGETLB_WP_FAULTS,
	COWPROBE_C_HUGETLB_COPIES,	/* whole huge page copied */
	COWPROBE_C_HUGETLB_REUSES,
	/* first write to a not-present page of a private file mapping
	 * (do_cow_fault): the file page copied into an anonymous one
	 */
	COWPROBE_C_FILE_COPIES,

	__COWPROBE_C_MAX,
	COWPROBE_C_MAX = __COWPROBE_C_MAX - 1
};

enum cowprobe_probe_attr {
	COWPROBE_PROBE_A_UNSPEC,
	COWPROBE_PROBE_A_PAD,
	COWPROBE_PROBE_A_NAME,
	COWPROBE_PROBE_A_SYMBOL,
	COWPROBE_PROBE_A_STATE,
	COWPROBE_PROBE_A_ERROR,
	COWPROBE_PROBE_A_NMISSED,
	COWPROBE_PROBE_A_HITS,
	COWPROBE_PROBE_A_HOOK,

	__COWPROBE_PROBE_A_MAX,
	COWPROBE_PROBE_A_MAX = __COWPROBE_PROBE_A_MAX - 1
};

enum cowprobe_probe_state {
	COWPROBE_PROBE_ABSENT,		/* no candidate symbol could be probed */
	COWPROBE_PROBE_ACTIVE,		/* registered and counting */
	COWPROBE_PROBE_DERIVED,		/* not probed; its class is derived */
};

enum cowprobe_probe_hook {
	COWPROBE_PROBE_HOOK_NONE,	/* not placed */
	COWPROBE_PROBE_HOOK_KPROBE,	/* kprobe at entry (int3 or ftrace) */
	COWPROBE_PROBE_HOOK_KRETPROBE,	/* kretprobe: entry and return */
	COWPROBE_PROBE_HOOK_FTRACE,	/* ftrace callback, arguments only */
	COWPROBE_PROBE_HOOK_DIRECT,	/* ftrace direct call to a trampoline */
};

enum cowprobe_class_attr {
	COWPROBE_CLASS_A_UNSPEC,
	COWPROBE_CLASS_A_NAME,
	COWPROBE_CLASS_A_STATE,
	COWPROBE_CLASS_A_HOW,

	__COWPROBE_CLASS_A_MAX,
	COWPROBE_CLASS_A_MAX = __COWPROBE_CLASS_A_MAX - 1
};

enum cowprobe_class_state {
	COWPROBE_CLASS_OBSERVED,	/* a probe sees every fault of the class */
	COWPROBE_CLASS_DERIVED,		/* inferred from what probes see */
	COWPROBE_CLASS_UNOBSERVABLE,	/* counted elsewhere or not at all */
};

#endif /* _UAPI_LINUX_COWPROBE_H */
