// SPDX-License-Identifier: GPL-2.0
/*
 * The attributes of a process record, its threads, regions and counters, and
 * of the self-check, as netlink.c sends them in replies, dumps and exit
 * records; and their sizes, so a message is allocated once, never grown.
 */
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <net/genetlink.h>
#include "cowprobe.h"

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

static size_t cp_map_size(void)
{
	return nla_total_size(0) + 4 * nla_total_size_64bit(sizeof(u64)) +
	       3 * nla_total_size(sizeof(u32)) +
	       nla_total_size(COWPROBE_MAP_NAME_LEN) + cp_counters_size();
}

/* What cp_put_maps writes, at most, for any record. */
static size_t cp_maps_size(void)
{
	if (!max_maps)
		return 0;
	return nla_total_size(0) + max_maps * cp_map_size() +
	       cp_counters_size();
}

size_t cp_proc_size(unsigned int nr_regions, bool threads,
		    unsigned int nr_threads)
{
	size_t size;

	size = 6 * nla_total_size(sizeof(u32)) +
	       nla_total_size(TASK_COMM_LEN) +
	       2 * nla_total_size_64bit(sizeof(u64)) + 2 * cp_counters_size();
	if (nr_regions)
		size += nla_total_size(0) + nr_regions * cp_region_size();
	if (threads)
		size += nla_total_size(0) + nr_threads * cp_thread_size();
	return size + cp_maps_size();
}

/* Whether the threads of p fit in one attribute, whose length is a u16. */
bool cp_threads_fit(const struct cp_proc *p)
{
	return nla_total_size(0) + p->live_threads * cp_thread_size() <=
	       U16_MAX;
}

/*
 * nla_put() is a few calls per attribute (nla_put, __nla_reserve, skb_put,
 * memset, memcpy), some hundred guest instructions, and a record has ten or
 * more: most of what a dump costs per record. The fixed attributes of a
 * record, of a thread and its counters are instead written in room checked
 * once for the most they can take, by the cp_w_*() helpers, which write at
 * pos and return where the next attribute goes; __skb_put() then takes what
 * was written. The bytes are those nla_put_*() would write.
 */
static __always_inline void *cp_w_attr(void *pos, int type, int len)
{
	struct nlattr *a = pos;

	a->nla_type = type;
	a->nla_len = nla_attr_size(len);
	return nla_data(a);
}

static __always_inline void *cp_w_u32(void *pos, int type, u32 v)
{
	*(u32 *)cp_w_attr(pos, type, sizeof(v)) = v;
	return pos + nla_total_size(sizeof(v));
}

/* As nla_put_u64_64bit: a pad attribute first if the u64 is unaligned. */
static __always_inline void *cp_w_u64(void *pos, int type, u64 v, int pad)
{
	if (!IS_ENABLED(CONFIG_HAVE_EFFICIENT_UNALIGNED_ACCESS) &&
	    IS_ALIGNED((unsigned long)pos, 8)) {
		cp_w_attr(pos, pad, 0);
		pos += nla_total_size(0);
	}
	memcpy(cp_w_attr(pos, type, sizeof(v)), &v, sizeof(v));
	return pos + nla_total_size(sizeof(v));
}

/* As nla_put_string, of s cut to size - 1 bytes: room nla_total_size(size) */
static void *cp_w_str(void *pos, int type, const char *s, size_t size)
{
	size_t len = strnlen(s, size - 1);
	char *d = cp_w_attr(pos, type, len + 1);

	memcpy(d, s, len);
	/* the NUL, then the padding zeroed as nla_put does */
	memset(d + len, 0, nla_total_size(len + 1) - NLA_HDRLEN - len);
	return pos + nla_total_size(len + 1);
}

static __always_inline void *cp_w_nest_end(void *nest, int type, void *end)
{
	struct nlattr *a = nest;

	a->nla_type = type | NLA_F_NESTED;
	a->nla_len = end - nest;
	return end;
}

/* The classes a write-protect fault ends in; other is the rest. */
static const u8 cp_wp_classes[] = {
	COWPROBE_C_COPIES, COWPROBE_C_REUSES, COWPROBE_C_ZERO_FILLS,
	COWPROBE_C_SHARED_WRITES, COWPROBE_C_UNSHARE_COPIES,
};

/*
 * The probes do not count other (faults.c): it is WP_FAULTS less the
 * classes, each fault counted in WP_FAULTS before its class, so the classes
 * are read first. A fault read between leaving its provisional class and
 * entering its own (a copy on a shared mapping) can make the classes one
 * more than WP_FAULTS for that moment: other reads 0.
 */
static u64 cp_other(const struct cp_counters *cnt, u64 *wp)
{
	u64 classes = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cp_wp_classes); i++)
		classes += atomic64_read(&cnt->c[cp_wp_classes[i]]);
	/* pairs with the probes' WP_FAULTS add before their class's */
	smp_rmb();
	*wp = atomic64_read(&cnt->c[COWPROBE_C_WP_FAULTS]);
	return *wp > classes ? *wp - classes : 0;
}

/* Room: cp_counters_size(). */
static void *cp_w_counters(void *pos, int type, const struct cp_counters *cnt)
{
	u64 wp, other = cp_other(cnt, &wp);
	void *nest = pos;
	int i;

	pos += NLA_HDRLEN;
	for (i = COWPROBE_C_WP_FAULTS; i <= COWPROBE_C_MAX; i++) {
		u64 v = i == COWPROBE_C_WP_FAULTS ? wp :
			i == COWPROBE_C_OTHER ? other :
			atomic64_read(&cnt->c[i]);

		/* COWPROBE_PROC_F_SPARSE: most counters of most records are 0 */
		if (v)
			pos = cp_w_u64(pos, i, v, COWPROBE_C_PAD);
	}
	return cp_w_nest_end(nest, type, pos);
}

static int cp_put_counters_as(struct sk_buff *skb, int type,
			      const struct cp_counters *cnt)
{
	void *start = skb_tail_pointer(skb);

	if (skb_tailroom(skb) < cp_counters_size())
		return -EMSGSIZE;
	__skb_put(skb, cp_w_counters(start, type, cnt) - start);
	return 0;
}

static int cp_put_counters(struct sk_buff *skb, const struct cp_counters *cnt)
{
	return cp_put_counters_as(skb, COWPROBE_A_COUNTERS, cnt);
}

static int cp_put_threads(struct sk_buff *skb, const struct cp_caller *c,
			  const struct cp_proc *p)
{
	struct nlattr *threads;
	struct cp_thread *t;
	void *start, *pos;

	if (skb_tailroom(skb) < nla_total_size(0))
		return -EMSGSIZE;
	threads = __skb_put(skb, nla_total_size(0));
	list_for_each_entry(t, &p->threads, sibling) {
		if (skb_tailroom(skb) < cp_thread_size()) {
			nla_nest_cancel(skb, threads);
			return -EMSGSIZE;
		}
		start = skb_tail_pointer(skb);
		pos = cp_w_u32(start + NLA_HDRLEN, COWPROBE_A_PID,
			       cp_pid_nr(c, t->tid));
		pos = cp_w_counters(pos, COWPROBE_A_COUNTERS, &t->cnt);
		__skb_put(skb, cp_w_nest_end(start, COWPROBE_A_THREAD, pos) -
			  start);
	}
	cp_w_nest_end(threads, COWPROBE_A_THREADS, skb_tail_pointer(skb));
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

/* The mapping buckets (maps.c) of a record watched with them. */
static int cp_put_maps(struct sk_buff *skb, const struct cp_proc *p)
{
	struct nlattr *nest, *map;
	struct cp_map *m;

	if (!max_maps || !(p->flags & COWPROBE_PROC_F_MAPS))
		return 0;
	nest = nla_nest_start(skb, COWPROBE_A_MAPS);
	if (!nest)
		return -EMSGSIZE;
	for (m = cp_map_next(p, NULL); m; m = cp_map_next(p, m)) {
		const char *name;

		/* a .bss named later: whole once its first byte is (release) */
		name = smp_load_acquire(&m->name[0]) ? m->name : "";
		map = nla_nest_start(skb, COWPROBE_A_MAP);
		if (!map ||
		    nla_put_u64_64bit(skb, COWPROBE_A_MAP_START,
				      READ_ONCE(m->start), COWPROBE_A_PAD) ||
		    nla_put_u64_64bit(skb, COWPROBE_A_MAP_END,
				      READ_ONCE(m->end), COWPROBE_A_PAD) ||
		    nla_put_u32(skb, COWPROBE_A_MAP_KIND, m->kind) ||
		    nla_put_string(skb, COWPROBE_A_MAP_NAME, name) ||
		    nla_put_u32(skb, COWPROBE_A_MAP_DEV, m->dev) ||
		    nla_put_u64_64bit(skb, COWPROBE_A_MAP_INO, m->ino,
				      COWPROBE_A_PAD) ||
		    nla_put_u64_64bit(skb, COWPROBE_A_MAP_PGOFF, m->pgoff,
				      COWPROBE_A_PAD) ||
		    nla_put_u32(skb, COWPROBE_A_MAP_FLAGS, m->flags) ||
		    cp_put_counters_as(skb, COWPROBE_A_COUNTERS, &m->cnt))
			goto cancel;
		nla_nest_end(skb, map);
	}
	nla_nest_end(skb, nest);
	if (cp_put_counters_as(skb, COWPROBE_A_MAPS_OVERFLOW,
			       &cp_maps(p)[max_maps].cnt))
		goto cancel;
	return 0;
cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

/* What cp_put_proc writes before the regions, at most. */
static size_t cp_head_size(void)
{
	return 5 * nla_total_size(sizeof(u32)) + nla_total_size(TASK_COMM_LEN) +
	       2 * nla_total_size_64bit(sizeof(u64)) + cp_counters_size();
}

/* COWPROBE_PROC_F_SPARSE: ppid and root left out when 0 (absent is 0) */
static __always_inline void *cp_w_nonzero_u32(void *pos, int type, u32 v)
{
	return v ? cp_w_u32(pos, type, v) : pos;
}

/*
 * Called with cp_lock held; pids as the caller's namespace reads them. The
 * record is sparse: exit-ns, ppid, root and counters at 0 are left out.
 */
int cp_put_proc(struct sk_buff *skb, const struct cp_caller *c,
		const struct cp_proc *p, bool threads, u32 extra_flags)
{
	u32 flags = p->flags | extra_flags | COWPROBE_PROC_F_SPARSE;
	void *start = skb_tail_pointer(skb), *pos;

	if (skb_tailroom(skb) < cp_head_size())
		return -EMSGSIZE;
	pos = cp_w_u32(start, COWPROBE_A_PID, cp_pid_nr(c, p->pid));
	pos = cp_w_nonzero_u32(pos, COWPROBE_A_PPID, cp_pid_nr(c, p->ppid_pid));
	pos = cp_w_nonzero_u32(pos, COWPROBE_A_ROOT, cp_pid_nr(c, p->root_pid));
	pos = cp_w_str(pos, COWPROBE_A_COMM, p->comm, TASK_COMM_LEN);
	pos = cp_w_u32(pos, COWPROBE_A_PROC_FLAGS, flags);
	pos = cp_w_u32(pos, COWPROBE_A_NR_THREADS, p->nr_threads);
	pos = cp_w_u64(pos, COWPROBE_A_START_NS, p->start_ns, COWPROBE_A_PAD);
	if (p->exit_ns)
		pos = cp_w_u64(pos, COWPROBE_A_EXIT_NS, p->exit_ns,
			       COWPROBE_A_PAD);
	pos = cp_w_counters(pos, COWPROBE_A_COUNTERS, &p->cnt);
	__skb_put(skb, pos - start);
	if (cp_put_regions(skb, p) || cp_put_maps(skb, p))
		return -EMSGSIZE;
	if (p->nr_folded &&
	    (nla_put_u32(skb, COWPROBE_A_NR_FOLDED, p->nr_folded) ||
	     cp_put_counters_as(skb, COWPROBE_A_FOLDED, &p->folded)))
		return -EMSGSIZE;
	if (threads && cp_put_threads(skb, c, p))
		return -EMSGSIZE;
	return 0;
}

int cp_put_classes(struct sk_buff *msg)
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
