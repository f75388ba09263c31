// SPDX-License-Identifier: GPL-2.0
/*
 * Counts per mapping, for processes watched with COWPROBE_WATCH_F_MAPS. A
 * process record has max_maps buckets after its regions, and one more for
 * what finds no bucket. A fault on a mapping with no bucket claims the next
 * free one (an atomic counter that stops at max_maps), fills it and
 * publishes it with release semantics; the fault path never allocates,
 * sleeps or locks. Two threads faulting on a new mapping at once can make
 * two buckets for it: userspace adds up buckets of the same mapping.
 *
 * Names are taken in probe context, without locks, on every line including
 * PREEMPT_RT: a file's path inside its file system is read from its dentries
 * under RCU, as printk's %pd reads a name (a rename meanwhile can give a
 * mixed name, never a bad access); its device and inode number let userspace
 * find the mount. Kinds need no name: the heap and stack from the mm's
 * bounds, .data and .bss from the mapping before (ELF objects are mapped
 * segment after segment).
 *
 * Exact: every fault counted for the process is counted in one bucket, the
 * overflow one included. Approximate: a bucket keeps the mapping as it was at
 * its first fault. A heap or stack that grows keeps its bucket (matched by
 * kind); a mapping split later keeps its bucket by address; two mappings
 * merged later keep a bucket each.
 */
#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/mm_types.h>
#include "compat.h"
#include "cowprobe.h"

size_t cp_maps_off __read_mostly;

/* A record's size with its buckets; where they start is kept for cp_maps. */
size_t cp_maps_layout(size_t rec_size)
{
	cp_maps_off = ALIGN(rec_size, sizeof(u64));
	if (!max_maps)
		return rec_size;
	return cp_maps_off + (max_maps + 1) * sizeof(struct cp_map);
}

/* What one record's buckets take, the overflow one included. */
u32 cp_maps_bytes(void)
{
	return max_maps ? (max_maps + 1) * sizeof(struct cp_map) : 0;
}

/* The mapping just before vma, if it ends where vma starts. */
static struct vm_area_struct *cp_vma_prev(struct vm_area_struct *vma)
{
	struct vm_area_struct *prev = cp_vma_before(vma);

	return prev && prev->vm_end == vma->vm_start ? prev : NULL;
}

static u8 cp_vma_kind(struct vm_area_struct *vma)
{
	struct mm_struct *mm = vma->vm_mm;
	struct vm_area_struct *prev;

	if (vma->vm_file) {
		if (vma->vm_flags & VM_SHARED)
			return COWPROBE_MAP_FILE_SHARED;
		prev = cp_vma_prev(vma);
		if ((vma->vm_flags & VM_WRITE) && prev &&
		    READ_ONCE(prev->vm_file) == vma->vm_file)
			return COWPROBE_MAP_DATA;
		return COWPROBE_MAP_FILE;
	}
	if (vma->vm_start <= mm->brk && vma->vm_end >= mm->start_brk)
		return COWPROBE_MAP_HEAP;
	if (vma->vm_start <= mm->start_stack && vma->vm_end >= mm->start_stack)
		return COWPROBE_MAP_STACK;
#ifdef CONFIG_X86
	if (vma->vm_start == (unsigned long)mm->context.vdso)
		return COWPROBE_MAP_VDSO;
#endif
	prev = cp_vma_prev(vma);
	if (prev && READ_ONCE(prev->vm_file))
		return COWPROBE_MAP_BSS;
	return COWPROBE_MAP_ANON;
}

/*
 * The path of dentry inside its file system, written from the end of buf
 * backwards, as dentry_path_raw() does but without rename_lock: under RCU,
 * each name read as printk's %pd reads it. Cut from the left, "..." first.
 */
static void cp_dentry_path(char *buf, size_t len, struct dentry *dentry)
{
	char *end = buf + len - 1, *pos = end;
	unsigned int depth;

	*end = '\0';
	for (depth = 0; depth < 32; depth++) {
		struct dentry *parent = READ_ONCE(dentry->d_parent);
		const char *name;
		size_t n;

		if (dentry == parent)
			goto whole;
		name = READ_ONCE(dentry->d_name.name);
		n = strnlen(name, NAME_MAX);
		if (n + 1 > pos - buf)
			break;
		pos -= n;
		memcpy(pos, name, n);
		*--pos = '/';
		dentry = parent;
	}
	/* too long or too deep: "..." before what fits of the path */
	if (pos < buf + 3)
		pos = buf + 3;
	memmove(buf + 3, pos, end - pos + 1);
	memcpy(buf, "...", 3);
	return;
whole:
	if (pos == end)
		*--pos = '/';
	memmove(buf, pos, end - pos + 1);
}

static void cp_map_name(struct cp_map *m, struct file *file)
{
	struct inode *inode = file_inode(file);

	m->dev = new_encode_dev(inode->i_sb->s_dev);
	m->ino = inode->i_ino;
	rcu_read_lock();
	cp_dentry_path(m->name, sizeof(m->name), file->f_path.dentry);
	rcu_read_unlock();
}

/*
 * The name of a .bss is its object's, the file mapped before it. In the fault
 * path that mapping is not locked (a fault may hold only its own vma's lock,
 * 6.4+), so its file may be on its way out and is never read there: the name
 * comes from a bucket of the same file, made now or later (the data segment's
 * first fault names it, and then its .bss too). At fork nothing runs in the
 * child's mm and the file is read. A name is published by its first byte,
 * written last, so a reader sees it whole or empty.
 */
static void cp_map_name_bss(struct cp_map *bss, const struct cp_map *obj)
{
	bss->dev = obj->dev;
	bss->ino = obj->ino;
	memcpy(bss->name + 1, obj->name + 1, sizeof(bss->name) - 1);
	/* the rest of the name first: pairs with the acquire in cp_put_maps */
	smp_store_release(&bss->name[0], obj->name[0]);
}

/* Each published bucket of p but m: kept while fn returns false. */
static void cp_map_match(struct cp_proc *p, struct cp_map *m,
			 bool (*fn)(struct cp_map *m, struct cp_map *other))
{
	struct cp_map *other;

	for (other = cp_map_next(p, NULL); other; other = cp_map_next(p, other))
		if (other != m && fn(m, other))
			return;
}

/* A new .bss takes its name from a bucket of its object's file. */
static bool cp_map_bss_from(struct cp_map *bss, struct cp_map *other)
{
	if (other->kind == COWPROBE_MAP_BSS || other->file != bss->object ||
	    !READ_ONCE(other->name[0]))
		return false;
	cp_map_name_bss(bss, other);
	return true;
}

/* A new file bucket names the .bss buckets of its file left unnamed. */
static bool cp_map_bss_to(struct cp_map *obj, struct cp_map *other)
{
	if (other->kind == COWPROBE_MAP_BSS && other->object == obj->file &&
	    !READ_ONCE(other->name[0]))
		cp_map_name_bss(other, obj);
	return false;
}

static void cp_map_fill(struct cp_map *m, struct cp_proc *p,
			struct vm_area_struct *vma, u8 kind, bool at_fork)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(m->cnt.c); i++)
		atomic64_set(&m->cnt.c[i], 0);
	m->start = vma->vm_start;
	m->end = vma->vm_end;
	m->kind = kind;
	m->flags = at_fork ? COWPROBE_MAP_F_AT_FORK : 0;
	m->file = (unsigned long)vma->vm_file;
	m->object = 0;
	memset(m->name, 0, sizeof(m->name));
	m->dev = 0;
	m->ino = 0;
	m->pgoff = 0;
	if (kind == COWPROBE_MAP_BSS) {
		struct vm_area_struct *prev = cp_vma_prev(vma);
		struct file *file = prev ? READ_ONCE(prev->vm_file) : NULL;

		m->object = (unsigned long)file;
		if (file && at_fork)
			cp_map_name(m, file);
		else if (file)
			cp_map_match(p, m, cp_map_bss_from);
	} else if (vma->vm_file) {
		/* the faulting (or forked) mapping's file: held by its vma */
		m->pgoff = (u64)vma->vm_pgoff << PAGE_SHIFT;
		cp_map_name(m, vma->vm_file);
		cp_map_match(p, m, cp_map_bss_to);
	}
}

/* Claim a free bucket, or NULL when all are taken. */
static struct cp_map *cp_map_claim(struct cp_proc *p)
{
	int i = atomic_fetch_add_unless(&p->nr_maps, 1, max_maps);

	return i < max_maps ? &cp_maps(p)[i] : NULL;
}

static bool cp_map_has(const struct cp_map *m, struct vm_area_struct *vma,
		       unsigned long addr)
{
	return m->file == (unsigned long)vma->vm_file &&
	       ((addr >= m->start && addr < m->end) || m->start == vma->vm_start);
}

/*
 * The bucket a fault at addr in vma is counted in, for a process counted per
 * mapping; NULL otherwise. In probe context, under RCU.
 */
struct cp_map *cp_map_of(struct cp_proc *p, struct vm_area_struct *vma,
			 unsigned long addr)
{
	struct cp_map *m;
	u8 kind;

	if (!max_maps || !(READ_ONCE(p->flags) & COWPROBE_PROC_F_MAPS))
		return NULL;
	for (m = cp_map_next(p, NULL); m; m = cp_map_next(p, m))
		if (cp_map_has(m, vma, addr))
			return m;
	kind = cp_vma_kind(vma);
	if (kind == COWPROBE_MAP_HEAP || kind == COWPROBE_MAP_STACK) {
		/* grown or shrunk since: one bucket for it all the same */
		for (m = cp_map_next(p, NULL); m; m = cp_map_next(p, m)) {
			if (m->kind != kind)
				continue;
			WRITE_ONCE(m->start, min_t(u64, m->start, vma->vm_start));
			WRITE_ONCE(m->end, max_t(u64, m->end, vma->vm_end));
			return m;
		}
	}
	m = cp_map_claim(p);
	if (!m)
		return &cp_maps(p)[max_maps];
	cp_map_fill(m, p, vma, kind, false);
	/* filled, then seen: pairs with the acquires of the lookups */
	smp_store_release(&m->ready, 1);
	return m;
}

/* The bucket holding addr, for a fault whose mapping is not at hand. */
struct cp_map *cp_map_at(struct cp_proc *p, unsigned long addr)
{
	struct cp_map *m;

	if (!max_maps || !(READ_ONCE(p->flags) & COWPROBE_PROC_F_MAPS))
		return NULL;
	for (m = cp_map_next(p, NULL); m; m = cp_map_next(p, m))
		if (addr >= m->start && addr < m->end)
			return m;
	return &cp_maps(p)[max_maps];
}

/* Minimum size of a private writable mapping given a bucket at fork. */
#define CP_MAP_AT_FORK_MIN	SZ_1M
/* Mappings looked at, at most, per fork: bounds the time it takes. */
#define CP_MAP_AT_FORK_SCAN	512

/*
 * At fork, with cp_lock held: a bucket in the child's record for each large
 * private writable mapping it shares with its parent, so a mapping the child
 * never writes shows with its 0 copies. At most half the buckets: the rest
 * stay for the mappings it faults on. The child has not run and its mm is
 * new: nothing changes its mappings, which are read under RCU, without the
 * mmap lock (a tracepoint may not sleep).
 */
void cp_maps_at_fork(struct cp_proc *p, struct mm_struct *mm)
{
	struct vm_area_struct *vma;
	unsigned int seen = 0, made = 0;
	unsigned long index = 0;

	if (!max_maps || !mm || !(p->flags & COWPROBE_PROC_F_MAPS))
		return;
	rcu_read_lock();
	for (vma = cp_vma_after(mm, NULL, &index);
	     vma && seen < CP_MAP_AT_FORK_SCAN && made < max_maps / 2;
	     vma = cp_vma_after(mm, vma, &index), seen++) {
		struct cp_map *m;

		if ((vma->vm_flags & (VM_WRITE | VM_SHARED)) != VM_WRITE ||
		    vma->vm_end - vma->vm_start < CP_MAP_AT_FORK_MIN)
			continue;
		m = cp_map_claim(p);
		if (!m)
			break;
		cp_map_fill(m, p, vma, cp_vma_kind(vma), true);
		/* filled, then seen, as in cp_map_of */
		smp_store_release(&m->ready, 1);
		made++;
	}
	rcu_read_unlock();
}

/* At exec, with cp_lock held: the buckets described the old image. */
void cp_maps_reset(struct cp_proc *p)
{
	struct cp_map *maps;
	unsigned int i;

	if (!max_maps)
		return;
	maps = cp_maps(p);
	for (i = 0; i < max_maps; i++)
		WRITE_ONCE(maps[i].ready, 0);
	atomic_set(&p->nr_maps, 0);
	for (i = 0; i < ARRAY_SIZE(maps[max_maps].cnt.c); i++)
		atomic64_set(&maps[max_maps].cnt.c[i], 0);
}
