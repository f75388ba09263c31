// SPDX-License-Identifier: GPL-2.0
/*
 * What the probes do on a fault (probes.c places them). A kprobe on
 * do_wp_page counts a tracked thread's write-protect fault; the copy
 * (new-anon-rmap) or reuse probe, called from do_wp_page or wp_page_copy,
 * counts its class, and a fault with no class is other (read as the rest,
 * nlmsg.c), so each fault is in one class at every moment. Huge-PMD and
 * hugetlb faults have kretprobes of their own; a private-file copy is a new
 * anon page from finish_fault.
 * Everything here runs in probe context: RCU lookups, atomics, no lock, no
 * allocation, no sleep.
 */
#include <linux/huge_mm.h>
#include <linux/kallsyms.h>
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/mm.h>
#include <linux/page-flags.h>
#include <linux/percpu.h>
#include <linux/pgtable.h>
#include "account.h"
#include "compat.h"
#include "cowprobe.h"

static DEFINE_PER_CPU(u64, cp_hits[CP_NR_PROBES]);

u64 cp_probe_hits(unsigned int i)
{
	u64 hits = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		hits += per_cpu(cp_hits[i], cpu);
	return hits;
}

static unsigned long cp_arg(struct pt_regs *regs, unsigned int n)
{
	return regs_get_kernel_argument(regs, n);
}

/*
 * Source-page attributes, read racily: they only label the fault. This is
 * on every tracked fault's path: the zero page is told by its pfn, and a
 * PTE in a mapping of struct pages (not VM_PFNMAP or VM_MIXEDMAP, not
 * special: do_wp_page's own vm_normal_page() says the same) needs no
 * pfn_valid() before its page is read.
 */
static u8 cp_page_flags(const struct vm_area_struct *vma, pte_t pte)
{
	unsigned long pfn = pte_pfn(pte);
	struct page *page;
	u8 flags = 0;

	if (is_zero_pfn(pfn))
		return CP_WP_ZERO;
	if (unlikely((vma->vm_flags & (VM_PFNMAP | VM_MIXEDMAP)) ||
		     pte_special(pte)) && !pfn_valid(pfn))
		return 0;
	page = pfn_to_page(pfn);
	if (PageKsm(page))
		flags |= CP_WP_KSM;
	if (PageCompound(page))
		flags |= CP_WP_THP;
	return flags;
}

/*
 * {folio,page}_add_new_anon_rmap(folio, vma, address, ...): a new anonymous
 * page. Inside do_wp_page it is the copy; outside, on a private mapping of a
 * real file (vm_ops set: not MAP_PRIVATE /dev/zero), it is do_cow_fault
 * (inlined everywhere) copying the file page for a write.
 */
/*
 * do_cow_fault installs its copy through finish_fault (and the function that
 * sets the PTE for it); swap-in and uprobes' page replacement add new anon
 * pages to private file mappings too, but call the rmap function themselves.
 * So a file copy is a new anon page whose caller is one of these. Their
 * ranges are found at load; without any, every such page counts as before.
 */
static const char *const cp_finish_syms[] = {
	"finish_fault", "set_pte_range", "do_set_pte", "alloc_set_pte",
};

static struct {
	unsigned long start, end;
} cp_finish[ARRAY_SIZE(cp_finish_syms)];
static unsigned int cp_nr_finish;

bool cp_file_copy_exact(void)
{
	return cp_nr_finish;
}

static bool cp_from_finish(unsigned long ret)
{
	unsigned int i;

	if (!cp_nr_finish)
		return true;
	for (i = 0; i < cp_nr_finish; i++)
		if (ret > cp_finish[i].start && ret <= cp_finish[i].end)
			return true;
	return false;
}

/* The function an address lies in, from kallsyms' offset and size. */
static int cp_addr_range(unsigned long addr, unsigned long *start,
			 unsigned long *end)
{
	char buf[KSYM_SYMBOL_LEN], *slash;
	unsigned long off, size;

	sprint_symbol(buf, addr);
	slash = strchr(buf, '/');
	if (!slash || !strchr(buf, '+'))
		return -EINVAL;
	*slash = '\0';
	if (kstrtoul(strchr(buf, '+') + 1, 0, &off) ||
	    sscanf(slash + 1, "%lx", &size) != 1 || off > addr)
		return -EINVAL;
	*start = addr - off;
	*end = *start + size;
	return 0;
}

/* Where a function lies: a kprobe finds its address, kallsyms its size. */
static int cp_func_range(const char *sym, unsigned long *start,
			 unsigned long *end)
{
	struct kprobe kp = { .symbol_name = sym };
	unsigned long addr;
	int err;

	err = register_kprobe(&kp);
	if (err)
		return err;
	addr = (unsigned long)kp.addr;
	unregister_kprobe(&kp);
	return cp_addr_range(addr, start, end);
}

void cp_finish_init(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cp_finish_syms); i++) {
		if (cp_func_range(cp_finish_syms[i], &cp_finish[cp_nr_finish].start,
				  &cp_finish[cp_nr_finish].end))
			continue;
		pr_info("file copies: new anon pages from %s\n", cp_finish_syms[i]);
		cp_nr_finish++;
	}
}

/*
 * Where the copy and the reuse of a write-protect fault are called from:
 * do_wp_page (wp_page_copy and wp_page_reuse inlined: 6.12; the reuse's
 * ptep_set_access_flags: 5.10) and wp_page_copy. A copy or reuse probe hit
 * from elsewhere is not the fault's outcome (a first touch of anonymous
 * memory, a private file copy). Without either range (kallsyms could not
 * say), every hit while a fault is in progress counts, as before 2026-12.
 */
static struct {
	unsigned long start, end;
} cp_wp_range[2];
static unsigned int cp_nr_wp_range;

static bool cp_from_wp(unsigned long ret)
{
	/* pairs with the release in cp_wp_range_init: ranges before count */
	unsigned int i, n = smp_load_acquire(&cp_nr_wp_range);

	if (!n)
		return true;
	for (i = 0; i < n; i++)
		if (ret > cp_wp_range[i].start && ret <= cp_wp_range[i].end)
			return true;
	return false;
}

/*
 * do_wp_page, a plain kprobe (no kretprobe: no instance to run out of, no
 * return trampoline). The fault is counted when it starts, in WP_FAULTS and,
 * on a shared mapping, in its provisional class (a shared write); the copy
 * or reuse probe, when the fault gets that far, counts it in its class (and
 * out of the provisional one). A fault that ends otherwise (raced, retried,
 * write-notify) is other: never counted as such, OTHER is what WP_FAULTS
 * holds beyond the classes, worked out when a record is read (nlmsg.c), so
 * WP_FAULTS = the sum of the classes at every moment, with one counter fewer
 * to touch per fault.
 */
/*
 * An untracked task writing into a tracked process (ptrace, or a kernel
 * thread using its mm, as 5.10's io-wq did): counted in the owner, its
 * outcome unseen (other: wp_faults beyond the classes, nlmsg.c). Out of
 * line: the tracked fault's path keeps fewer registers.
 */
static noinline void cp_wp_untracked(struct vm_fault *vmf)
{
	struct cp_proc *owner = cp_proc_by_mm(vmf->vma->vm_mm);
	unsigned long addr = vmf->address;
	struct cp_map *m;

	if (!owner)
		return;
	m = cp_map_of(owner, vmf->vma, addr);
	cp_account(NULL, owner, m, addr, COWPROBE_C_WP_FAULTS);
	cp_account(NULL, owner, m, addr, COWPROBE_C_REMOTE_WP_FAULTS);
}

notrace void cp_wp_start(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct mm_struct *mm = vma->vm_mm;
	unsigned long addr = vmf->address;
	enum cowprobe_counter class;
	struct cp_proc *owner;
	struct cp_thread *t;
	struct cp_map *m;
	unsigned int n;
	u8 flags;

	cp_fault_rcu_lock();
	t = cp_thread_lookup(current);
	if (!t) {
		if (unlikely(mm != current->mm || (current->flags & PF_KTHREAD)))
			cp_wp_untracked(vmf);
		goto out;
	}
	t->f.in_wp = false;
	flags = cp_page_flags(vma, vmf->orig_pte);
	if (vma->vm_flags & VM_SHARED)
		flags |= CP_WP_SHARED;
	if (vmf->flags & FAULT_FLAG_UNSHARE)
		flags |= CP_WP_UNSHARE;
	owner = t->proc;
	if (unlikely(mm != current->mm)) {
		flags |= CP_WP_REMOTE;
		owner = cp_proc_by_mm(mm);
		if (!owner)
			goto out;
	}
	n = cp_nr_regions(owner);
	/* the call only for a watch with --maps: this is every fault's path */
	m = READ_ONCE(owner->flags) & COWPROBE_PROC_F_MAPS ?
	    cp_map_of(owner, vma, addr) : NULL;
	class = flags & CP_WP_SHARED ? COWPROBE_C_SHARED_WRITES :
				       COWPROBE_C_OTHER;
	t->f.wp_flags = flags;
	t->f.wp_addr = addr;
	t->f.mm = mm;
	t->f.wp_owner = owner->serial;
	t->f.wp_nreg = n;
	t->f.wp_map = m;
	t->f.wp_class = class;
	cp_account_in(t, owner, m, addr, COWPROBE_C_WP_FAULTS, 1, n);
	/* other is not counted: it is what wp_faults holds beyond the classes */
	if (class != COWPROBE_C_OTHER)
		cp_account_in(t, owner, m, addr, class, 1, n);
	if (flags & CP_WP_REMOTE)
		cp_account_in(t, owner, m, addr, COWPROBE_C_REMOTE_WP_FAULTS, 1,
			      n);
	t->f.in_wp = true;
	this_cpu_inc(cp_hits[CP_PROBE_WP]);
out:
	cp_fault_rcu_unlock();
}

/* The kprobe on do_wp_page(vmf); fentry.c has its ftrace callback. */
int cp_wp_pre(struct kprobe *kp, struct pt_regs *regs)
{
	cp_wp_start((struct vm_fault *)cp_arg(regs, 0));
	return 0;
}

static enum cowprobe_counter cp_wp_class(const struct cp_fault *f,
					 enum cp_outcome out)
{
	if (f->wp_flags & CP_WP_SHARED)
		return out == CP_OUT_COPY ? COWPROBE_C_COPIES :
					    COWPROBE_C_SHARED_WRITES;
	if (out == CP_OUT_REUSE)
		return COWPROBE_C_REUSES;
	if (f->wp_flags & CP_WP_ZERO)
		return COWPROBE_C_ZERO_FILLS;
	if (f->wp_flags & CP_WP_UNSHARE)
		return COWPROBE_C_UNSHARE_COPIES;
	return COWPROBE_C_COPIES;
}

/*
 * The fault in progress copied or reused: from its provisional class to it.
 * Inline in the copy's and the reuse's handler: no call on the fault path.
 */
static __always_inline void cp_wp_outcome(struct cp_thread *t, enum cp_outcome out)
{
	struct cp_fault *f = &t->f;
	enum cowprobe_counter c;
	struct cp_proc *owner;
	unsigned int n = f->wp_nreg;
	unsigned long addr = f->wp_addr;
	struct cp_map *m = f->wp_map;

	f->in_wp = false;
	/* the record counted in at the start, if it is still there */
	owner = f->wp_flags & CP_WP_REMOTE ? cp_proc_by_mm(f->mm) : t->proc;
	if (!owner || owner->serial != f->wp_owner)
		return;
	c = cp_wp_class(f, out);
	if (c == f->wp_class)
		return;
	if (f->wp_class != COWPROBE_C_OTHER)
		cp_account_in(t, owner, m, addr, f->wp_class, -1, n);
	cp_account_in(t, owner, m, addr, c, 1, n);
	if (c == COWPROBE_C_COPIES || c == COWPROBE_C_UNSHARE_COPIES) {
		if (f->wp_flags & CP_WP_KSM)
			cp_account_in(t, owner, m, addr, COWPROBE_C_KSM_COPIES,
				      1, n);
		if (f->wp_flags & CP_WP_THP)
			cp_account_in(t, owner, m, addr, COWPROBE_C_THP_COPIES,
				      1, n);
	}
	if ((f->wp_flags & CP_WP_REMOTE) && c == COWPROBE_C_COPIES)
		cp_account_in(t, owner, m, addr, COWPROBE_C_REMOTE_COPIES, 1,
			      n);
}

/* A new anonymous page at addr of vma, added by the call returning to ret. */
notrace void cp_rmap_new(struct vm_area_struct *vma, unsigned long addr,
			 unsigned long ret)
{
	struct cp_thread *t;

	cp_fault_rcu_lock();
	t = cp_thread_lookup(current);
	if (!t)
		goto out;
	if (t->f.in_wp && cp_from_wp(ret)) {
		cp_wp_outcome(t, CP_OUT_COPY);
		this_cpu_inc(cp_hits[CP_PROBE_RMAP]);
	} else if (vma->vm_file && !vma_is_anonymous(vma) &&
		   !(vma->vm_flags & VM_SHARED) && vma->vm_mm == current->mm &&
		   cp_from_finish(ret)) {
		addr &= PAGE_MASK;
		cp_account(t, t->proc, cp_map_of(t->proc, vma, addr), addr,
			   COWPROBE_C_FILE_COPIES);
		this_cpu_inc(cp_hits[CP_PROBE_RMAP]);
	}
out:
	cp_fault_rcu_unlock();
}

int cp_rmap_pre(struct kprobe *kp, struct pt_regs *regs)
{
	cp_rmap_new((struct vm_area_struct *)cp_arg(regs, 1), cp_arg(regs, 2),
		    regs_get_kernel_stack_nth(regs, 0));
	return 0;
}

int cp_reuse_pre(struct kprobe *kp, struct pt_regs *regs)
{
	struct cp_thread *t;

	cp_fault_rcu_lock();
	t = cp_thread_lookup(current);
	if (t && t->f.in_wp && cp_from_wp(regs_get_kernel_stack_nth(regs, 0))) {
		cp_wp_outcome(t, CP_OUT_REUSE);
		this_cpu_inc(cp_hits[CP_PROBE_REUSE]);
	}
	cp_fault_rcu_unlock();
	return 0;
}

/* A tracked thread faulting on its own memory: its thread and process. */
static struct cp_thread *cp_local(struct mm_struct *mm)
{
	struct cp_thread *t = cp_thread_lookup(current);

	return t && mm == current->mm ? t : NULL;
}

struct cp_huge_data {
	unsigned long addr;
};

static_assert(sizeof(struct cp_huge_data) == CP_HUGE_DATA_SIZE);

int cp_huge_pmd_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct vm_fault *vmf = (struct vm_fault *)cp_arg(regs, 0);
	struct cp_huge_data *d = (struct cp_huge_data *)ri->data;
	struct cp_thread *t;
	int ret = 1;

	rcu_read_lock();
	t = cp_local(vmf->vma->vm_mm);
	if (t) {
		d->addr = vmf->address;
		t->f.huge_map = cp_map_of(t->proc, vmf->vma, d->addr);
		this_cpu_inc(cp_hits[CP_PROBE_HUGE_PMD]);
		ret = 0;
	}
	rcu_read_unlock();
	return ret;
}

int cp_huge_pmd_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct cp_huge_data *d = (struct cp_huge_data *)ri->data;
	vm_fault_t ret = regs_return_value(regs);
	struct cp_thread *t;

	rcu_read_lock();
	t = cp_thread_lookup(current);
	if (t) {
		struct cp_map *m = t->f.huge_map;

		cp_account(t, t->proc, m, d->addr, COWPROBE_C_THP_WP_FAULTS);
		if (ret & VM_FAULT_FALLBACK)
			cp_account(t, t->proc, m, d->addr,
				   COWPROBE_C_THP_FALLBACKS);
		else if (!(ret & VM_FAULT_ERROR))
			cp_account(t, t->proc, m, d->addr,
				   COWPROBE_C_THP_REUSES);
	}
	rcu_read_unlock();
	return 0;
}

/* hugetlb_wp(folio?, vmf) changed shape over time: find the vmf or address */
int cp_hugetlb_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct cp_huge_data *d = (struct cp_huge_data *)ri->data;
	struct cp_thread *t;
	int ret = 1;

	/* hugetlb_no_page calls it for a fresh page: not a write-protect fault */
	if (cp_hugetlb_fresh_page(regs))
		return 1;
	rcu_read_lock();
	t = cp_thread_lookup(current);
	if (t && !t->f.in_wp) {
		t->f.in_hugetlb = true;
		t->f.hugetlb_outcome = CP_OUT_NONE;
		d->addr = cp_hugetlb_fault_address(regs);
		this_cpu_inc(cp_hits[CP_PROBE_HUGETLB]);
		ret = 0;
	}
	rcu_read_unlock();
	return ret;
}

int cp_hugetlb_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct cp_huge_data *d = (struct cp_huge_data *)ri->data;
	vm_fault_t ret = regs_return_value(regs);
	struct cp_thread *t;

	rcu_read_lock();
	t = cp_thread_lookup(current);
	if (t && t->f.in_hugetlb) {
		/* no mapping at hand here: the bucket holding the address */
		struct cp_map *m = cp_map_at(t->proc, d->addr);

		t->f.in_hugetlb = false;
		cp_account(t, t->proc, m, d->addr,
			   COWPROBE_C_HUGETLB_WP_FAULTS);
		if (t->f.hugetlb_outcome == CP_OUT_COPY)
			cp_account(t, t->proc, m, d->addr,
				   COWPROBE_C_HUGETLB_COPIES);
		else if (!(ret & VM_FAULT_ERROR))
			cp_account(t, t->proc, m, d->addr,
				   COWPROBE_C_HUGETLB_REUSES);
	}
	rcu_read_unlock();
	return 0;
}

int cp_hugetlb_rmap_pre(struct kprobe *kp, struct pt_regs *regs)
{
	struct cp_thread *t;

	rcu_read_lock();
	t = cp_thread_lookup(current);
	if (t && t->f.in_hugetlb) {
		t->f.hugetlb_outcome = CP_OUT_COPY;
		this_cpu_inc(cp_hits[CP_PROBE_HUGETLB_RMAP]);
	}
	rcu_read_unlock();
	return 0;
}

void cp_wp_range_init(const char *wp_symbol)
{
	unsigned int n = 0;

	if (!cp_func_range(wp_symbol, &cp_wp_range[n].start,
			   &cp_wp_range[n].end))
		n++;
	if (!cp_func_range("wp_page_copy", &cp_wp_range[n].start,
			   &cp_wp_range[n].end))
		n++;
	/* published after the ranges: the kprobes read them locklessly */
	smp_store_release(&cp_nr_wp_range, n);
	pr_info("copies and reuses: called from %u function(s)\n", n);
}
