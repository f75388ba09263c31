// SPDX-License-Identifier: GPL-2.0
/*
 * Probes on the copy-on-write fault paths. A kprobe on do_wp_page counts the
 * tracked thread's write-protect fault in a provisional class; probes on the
 * functions it calls for a copy or a reuse move it to its class, so each
 * fault is counted once, in one class. Huge-PMD, hugetlb and private-file faults have probes of
 * their own. No symbol name works on every kernel (wp_page_copy is inlined
 * from 6.12 on), so each role has candidate names, compiler-suffixed variants
 * are tried, and a module parameter can name the symbol instead.
 */
#include <linux/huge_mm.h>
#include <linux/kallsyms.h>
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/page-flags.h>
#include <linux/percpu.h>
#include <linux/pgtable.h>
#include "compat.h"
#include "cowprobe.h"

#define CP_SYM_LEN 128

static int maxactive = 256;
module_param(maxactive, int, 0444);
MODULE_PARM_DESC(maxactive,
		 "huge-page faults of tracked tasks in flight at once, per kretprobe");

static DEFINE_PER_CPU(u64, cp_hits[CP_NR_PROBES]);

static unsigned long cp_arg(struct pt_regs *regs, unsigned int n)
{
	return regs_get_kernel_argument(regs, n);
}

/* Source-page attributes, read racily: they only label the fault. */
static u8 cp_page_flags(pte_t pte)
{
	unsigned long pfn = pte_pfn(pte);
	struct page *page;
	u8 flags = 0;

	if (is_zero_pfn(pfn))
		return CP_WP_ZERO;
	if (!pfn_valid(pfn))
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

static bool cp_from_finish(struct pt_regs *regs)
{
	unsigned long ret = regs_get_kernel_stack_nth(regs, 0);
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

static void cp_finish_init(void)
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

static bool cp_from_wp(struct pt_regs *regs)
{
	/* pairs with the release in cp_wp_range_init: ranges before count */
	unsigned int i, n = smp_load_acquire(&cp_nr_wp_range);
	unsigned long ret = regs_get_kernel_stack_nth(regs, 0);

	if (!n)
		return true;
	for (i = 0; i < n; i++)
		if (ret > cp_wp_range[i].start && ret <= cp_wp_range[i].end)
			return true;
	return false;
}

/*
 * do_wp_page, a plain kprobe (no kretprobe: no instance to run out of, no
 * return trampoline). The fault is counted when it starts, in a provisional
 * class (a shared write on a shared mapping, else other); the copy or reuse
 * probe, when the fault gets that far, moves it to its class. A fault that
 * ends otherwise (raced, retried, write-notify) stays where it was put, so
 * WP_FAULTS = the sum of the classes at every moment.
 */
static int cp_wp_pre(struct kprobe *kp, struct pt_regs *regs)
{
	struct vm_fault *vmf = (struct vm_fault *)cp_arg(regs, 0);
	struct mm_struct *mm = vmf->vma->vm_mm;
	unsigned long addr = vmf->address;
	struct cp_proc *owner;
	struct cp_thread *t;
	struct cp_fault *f;
	u8 flags;

	rcu_read_lock();
	t = cp_thread_lookup(current);
	if (!t) {
		/*
		 * An untracked task writing into a tracked process (ptrace, or a
		 * kernel thread using its mm, as 5.10's io-wq did): outcome unseen.
		 */
		owner = mm != current->mm || (current->flags & PF_KTHREAD) ?
			cp_proc_by_mm(mm) : NULL;
		if (owner) {
			cp_account(NULL, owner, addr, COWPROBE_C_WP_FAULTS);
			cp_account(NULL, owner, addr, COWPROBE_C_OTHER);
			cp_account(NULL, owner, addr, COWPROBE_C_REMOTE_WP_FAULTS);
		}
		goto out;
	}
	f = &t->f;
	f->in_wp = false;
	flags = cp_page_flags(vmf->orig_pte);
	if (vmf->vma->vm_flags & VM_SHARED)
		flags |= CP_WP_SHARED;
	if (vmf->flags & FAULT_FLAG_UNSHARE)
		flags |= CP_WP_UNSHARE;
	if (mm != current->mm)
		flags |= CP_WP_REMOTE;
	owner = flags & CP_WP_REMOTE ? cp_proc_by_mm(mm) : t->proc;
	if (!owner)
		goto out;
	f->wp_flags = flags;
	f->wp_addr = addr;
	f->mm = mm;
	f->wp_owner = owner->serial;
	f->wp_nreg = cp_nr_regions(owner);
	f->wp_class = flags & CP_WP_SHARED ? COWPROBE_C_SHARED_WRITES :
					     COWPROBE_C_OTHER;
	cp_account_in(t, owner, addr, COWPROBE_C_WP_FAULTS, 1, f->wp_nreg);
	cp_account_in(t, owner, addr, f->wp_class, 1, f->wp_nreg);
	if (flags & CP_WP_REMOTE)
		cp_account_in(t, owner, addr, COWPROBE_C_REMOTE_WP_FAULTS, 1,
			      f->wp_nreg);
	f->in_wp = true;
	this_cpu_inc(cp_hits[CP_PROBE_WP]);
out:
	rcu_read_unlock();
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

/* The fault in progress copied or reused: from its provisional class to it. */
static void cp_wp_outcome(struct cp_thread *t, enum cp_outcome out)
{
	struct cp_fault *f = &t->f;
	enum cowprobe_counter c;
	struct cp_proc *owner;
	unsigned int n = f->wp_nreg;
	unsigned long addr = f->wp_addr;

	f->in_wp = false;
	/* the record counted in at the start, if it is still there */
	owner = f->wp_flags & CP_WP_REMOTE ? cp_proc_by_mm(f->mm) : t->proc;
	if (!owner || owner->serial != f->wp_owner)
		return;
	c = cp_wp_class(f, out);
	if (c == f->wp_class)
		return;
	cp_account_in(t, owner, addr, f->wp_class, -1, n);
	cp_account_in(t, owner, addr, c, 1, n);
	if (c == COWPROBE_C_COPIES || c == COWPROBE_C_UNSHARE_COPIES) {
		if (f->wp_flags & CP_WP_KSM)
			cp_account_in(t, owner, addr, COWPROBE_C_KSM_COPIES, 1, n);
		if (f->wp_flags & CP_WP_THP)
			cp_account_in(t, owner, addr, COWPROBE_C_THP_COPIES, 1, n);
	}
	if ((f->wp_flags & CP_WP_REMOTE) && c == COWPROBE_C_COPIES)
		cp_account_in(t, owner, addr, COWPROBE_C_REMOTE_COPIES, 1, n);
}

static int cp_rmap_pre(struct kprobe *kp, struct pt_regs *regs)
{
	struct vm_area_struct *vma = (struct vm_area_struct *)cp_arg(regs, 1);
	struct cp_thread *t;

	rcu_read_lock();
	t = cp_thread_lookup(current);
	if (!t)
		goto out;
	if (t->f.in_wp && cp_from_wp(regs)) {
		cp_wp_outcome(t, CP_OUT_COPY);
		this_cpu_inc(cp_hits[CP_PROBE_RMAP]);
	} else if (vma->vm_file && !vma_is_anonymous(vma) &&
		   !(vma->vm_flags & VM_SHARED) && vma->vm_mm == current->mm &&
		   cp_from_finish(regs)) {
		cp_account(t, t->proc, cp_arg(regs, 2) & PAGE_MASK,
			   COWPROBE_C_FILE_COPIES);
		this_cpu_inc(cp_hits[CP_PROBE_RMAP]);
	}
out:
	rcu_read_unlock();
	return 0;
}

static int cp_reuse_pre(struct kprobe *kp, struct pt_regs *regs)
{
	struct cp_thread *t;

	rcu_read_lock();
	t = cp_thread_lookup(current);
	if (t && t->f.in_wp && cp_from_wp(regs)) {
		cp_wp_outcome(t, CP_OUT_REUSE);
		this_cpu_inc(cp_hits[CP_PROBE_REUSE]);
	}
	rcu_read_unlock();
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

static int cp_huge_pmd_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct vm_fault *vmf = (struct vm_fault *)cp_arg(regs, 0);
	struct cp_huge_data *d = (struct cp_huge_data *)ri->data;
	int ret = 1;

	rcu_read_lock();
	if (cp_local(vmf->vma->vm_mm)) {
		d->addr = vmf->address;
		this_cpu_inc(cp_hits[CP_PROBE_HUGE_PMD]);
		ret = 0;
	}
	rcu_read_unlock();
	return ret;
}

static int cp_huge_pmd_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct cp_huge_data *d = (struct cp_huge_data *)ri->data;
	vm_fault_t ret = regs_return_value(regs);
	struct cp_thread *t;

	rcu_read_lock();
	t = cp_thread_lookup(current);
	if (t) {
		cp_account(t, t->proc, d->addr, COWPROBE_C_THP_WP_FAULTS);
		if (ret & VM_FAULT_FALLBACK)
			cp_account(t, t->proc, d->addr, COWPROBE_C_THP_FALLBACKS);
		else if (!(ret & VM_FAULT_ERROR))
			cp_account(t, t->proc, d->addr, COWPROBE_C_THP_REUSES);
	}
	rcu_read_unlock();
	return 0;
}

/* hugetlb_wp(folio?, vmf) changed shape over time: find the vmf or address */
static int cp_hugetlb_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
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

static int cp_hugetlb_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct cp_huge_data *d = (struct cp_huge_data *)ri->data;
	vm_fault_t ret = regs_return_value(regs);
	struct cp_thread *t;

	rcu_read_lock();
	t = cp_thread_lookup(current);
	if (t && t->f.in_hugetlb) {
		t->f.in_hugetlb = false;
		cp_account(t, t->proc, d->addr, COWPROBE_C_HUGETLB_WP_FAULTS);
		if (t->f.hugetlb_outcome == CP_OUT_COPY)
			cp_account(t, t->proc, d->addr, COWPROBE_C_HUGETLB_COPIES);
		else if (!(ret & VM_FAULT_ERROR))
			cp_account(t, t->proc, d->addr, COWPROBE_C_HUGETLB_REUSES);
	}
	rcu_read_unlock();
	return 0;
}

static int cp_hugetlb_rmap_pre(struct kprobe *kp, struct pt_regs *regs)
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

struct cp_probe {
	const char *name;
	const char *const *candidates;
	bool essential;
	/* its handlers read no argument: a compiler clone will do */
	bool any_clone;
	/* a kprobe, or a kretprobe when handler is set */
	kprobe_pre_handler_t pre_handler;
	kretprobe_handler_t entry_handler;
	kretprobe_handler_t handler;
	size_t data_size;
	union {
		struct kprobe kp;
		struct kretprobe krp;
	};
	char override[CP_SYM_LEN];
	char symbol[CP_SYM_LEN];
	int error;
	bool active;
};

#define CP_NAMES(...) ((const char *const[]){ __VA_ARGS__, NULL })

static struct cp_probe cp_probes[CP_NR_PROBES] = {
	[CP_PROBE_WP] = {
		.name = "do_wp_page", .essential = true,
		.candidates = CP_NAMES("do_wp_page"),
		.pre_handler = cp_wp_pre,
	},
	[CP_PROBE_RMAP] = {
		.name = "new_anon_rmap", .essential = true,
		.candidates = CP_NAMES("folio_add_new_anon_rmap",
				       "page_add_new_anon_rmap"),
		.pre_handler = cp_rmap_pre,
	},
	[CP_PROBE_REUSE] = {
		.name = "wp_page_reuse", .any_clone = true,
		/*
		 * Where wp_page_reuse is inlined (5.10; 6.12 built without
		 * Debian's options), the PTE update it makes: nothing else in
		 * do_wp_page calls ptep_set_access_flags.
		 */
		.candidates = CP_NAMES("wp_page_reuse", "ptep_set_access_flags"),
		.pre_handler = cp_reuse_pre,
	},
	[CP_PROBE_HUGE_PMD] = {
		.name = "huge_pmd_wp",
		.candidates = CP_NAMES("do_huge_pmd_wp_page"),
		.entry_handler = cp_huge_pmd_entry,
		.handler = cp_huge_pmd_return,
		.data_size = sizeof(struct cp_huge_data),
	},
	[CP_PROBE_HUGETLB] = {
		.name = "hugetlb_wp",
		.candidates = CP_NAMES("hugetlb_wp", "hugetlb_cow"),
		.entry_handler = cp_hugetlb_entry,
		.handler = cp_hugetlb_return,
		.data_size = sizeof(struct cp_huge_data),
	},
	[CP_PROBE_HUGETLB_RMAP] = {
		.name = "hugetlb_new_anon_rmap",
		.candidates = CP_NAMES("hugetlb_add_new_anon_rmap",
				       "hugepage_add_new_anon_rmap"),
		.pre_handler = cp_hugetlb_rmap_pre,
	},
};

module_param_string(probe_do_wp_page, cp_probes[CP_PROBE_WP].override,
		    CP_SYM_LEN, 0444);
MODULE_PARM_DESC(probe_do_wp_page, "symbol for the do_wp_page kretprobe");
module_param_string(probe_new_anon_rmap, cp_probes[CP_PROBE_RMAP].override,
		    CP_SYM_LEN, 0444);
MODULE_PARM_DESC(probe_new_anon_rmap,
		 "symbol adding the rmap of a new anonymous page");
module_param_string(probe_wp_page_reuse, cp_probes[CP_PROBE_REUSE].override,
		    CP_SYM_LEN, 0444);
MODULE_PARM_DESC(probe_wp_page_reuse, "symbol for the reuse kprobe");
module_param_string(probe_huge_pmd_wp, cp_probes[CP_PROBE_HUGE_PMD].override,
		    CP_SYM_LEN, 0444);
MODULE_PARM_DESC(probe_huge_pmd_wp, "symbol for the huge-PMD write fault");
module_param_string(probe_hugetlb_wp, cp_probes[CP_PROBE_HUGETLB].override,
		    CP_SYM_LEN, 0444);
MODULE_PARM_DESC(probe_hugetlb_wp, "symbol for the hugetlb write fault");

/*
 * GCC clones keep the name with a suffix. An .isra or .constprop clone may
 * drop or reorder arguments, so only a role whose handlers read none takes
 * one (6.12-rt's wp_page_reuse.constprop.0); a .part clone is a function's
 * tail, entered on some paths only, and .cold a fragment: never.
 */
static const char *const cp_suffixes[] = {
	"", ".isra.0", ".constprop.0", ".isra.1", ".constprop.1",
};

static int cp_probe_try(struct cp_probe *p, const char *symbol)
{
	int err;

	strscpy(p->symbol, symbol, sizeof(p->symbol));
	/* a failed registration may leave state behind: start from scratch */
	if (p->handler) {
		p->krp = (struct kretprobe) {
			.entry_handler = p->entry_handler,
			.handler = p->handler,
			.data_size = p->data_size,
			.maxactive = maxactive,
			.kp.symbol_name = p->symbol,
			/* armed by arm.c while something is tracked */
			.kp.flags = KPROBE_FLAG_DISABLED,
		};
		err = register_kretprobe(&p->krp);
	} else {
		p->kp = (struct kprobe) {
			.pre_handler = p->pre_handler,
			.symbol_name = p->symbol,
			.flags = KPROBE_FLAG_DISABLED,
		};
		err = register_kprobe(&p->kp);
	}
	p->error = err;
	return err;
}

static int cp_probe_place(struct cp_probe *p)
{
	char name[CP_SYM_LEN];
	int i, s;

	if (p->override[0]) {
		if (strchr(p->override, '.') && !p->any_clone) {
			strscpy(p->symbol, p->override, sizeof(p->symbol));
			pr_err("refusing %s for %s: a compiler clone may take other arguments than the handlers read\n",
			       p->override, p->name);
			p->error = -EINVAL;
			return -EINVAL;
		}
		return cp_probe_try(p, p->override);
	}

	for (i = 0; p->candidates[i]; i++) {
		for (s = 0; s < (p->any_clone ? ARRAY_SIZE(cp_suffixes) : 1); s++) {
			snprintf(name, sizeof(name), "%s%s", p->candidates[i],
				 cp_suffixes[s]);
			if (!cp_probe_try(p, name))
				return 0;
		}
	}
	/* report the plain name of the first candidate as the one missing */
	strscpy(p->symbol, p->candidates[0], sizeof(p->symbol));
	return -ENOENT;
}

static void cp_probe_remove(struct cp_probe *p)
{
	if (!p->active)
		return;
	if (p->handler)
		unregister_kretprobe(&p->krp);
	else
		unregister_kprobe(&p->kp);
	p->active = false;
}

static void cp_wp_range_init(void)
{
	unsigned long addr = (unsigned long)cp_probes[CP_PROBE_WP].kp.addr;
	unsigned int n = 0;

	if (!cp_addr_range(addr, &cp_wp_range[n].start, &cp_wp_range[n].end))
		n++;
	if (!cp_func_range("wp_page_copy", &cp_wp_range[n].start,
			   &cp_wp_range[n].end))
		n++;
	/* published after the ranges: the kprobes read them locklessly */
	smp_store_release(&cp_nr_wp_range, n);
	pr_info("copies and reuses: called from %u function(s)\n", n);
}

int cp_probes_init(void)
{
	int i, err;

	if (maxactive < 1) {
		pr_err("maxactive must be at least 1\n");
		return -EINVAL;
	}
	cp_finish_init();
	for (i = 0; i < CP_NR_PROBES; i++) {
		struct cp_probe *p = &cp_probes[i];

		err = cp_probe_place(p);
		if (!err) {
			p->active = true;
			pr_info("probe %s on %s\n", p->name, p->symbol);
			continue;
		}
		if (p->essential) {
			pr_err("cannot probe %s (symbol %s): %d; name one with the module parameter for it\n",
			       p->name, p->symbol, err);
			goto err_remove;
		}
		pr_info("probe %s not placed (symbol %s: %d); its class is not counted\n",
			p->name, p->symbol, err);
	}
	cp_wp_range_init();
	return 0;

err_remove:
	while (--i >= 0)
		cp_probe_remove(&cp_probes[i]);
	return err;
}

/* arm.c, under its mutex: every placed probe on or off */
void cp_probes_enable(bool on)
{
	int i, err;

	for (i = 0; i < CP_NR_PROBES; i++) {
		struct cp_probe *p = &cp_probes[i];
		struct kprobe *kp = p->handler ? &p->krp.kp : &p->kp;

		if (!p->active)
			continue;
		err = on ? enable_kprobe(kp) : disable_kprobe(kp);
		if (err)
			pr_warn("cannot %s probe %s on %s: %d\n",
				on ? "arm" : "disarm", p->name, p->symbol, err);
	}
}

void cp_probes_exit(void)
{
	int i;

	for (i = CP_NR_PROBES - 1; i >= 0; i--)
		cp_probe_remove(&cp_probes[i]);
}

bool cp_probe_active(enum cp_role r)
{
	return cp_probes[r].active;
}

void cp_probe_info(unsigned int i, struct cp_probe_info *info)
{
	struct cp_probe *p = &cp_probes[i];
	int cpu;

	info->name = p->name;
	info->symbol = p->symbol;
	info->state = p->active ? COWPROBE_PROBE_ACTIVE : COWPROBE_PROBE_ABSENT;
	info->error = p->active ? 0 : p->error;
	info->nmissed = 0;
	if (p->active && p->handler)
		info->nmissed = p->krp.nmissed + p->krp.kp.nmissed;
	else if (p->active)
		info->nmissed = p->kp.nmissed;
	info->hits = 0;
	for_each_possible_cpu(cpu)
		info->hits += per_cpu(cp_hits[i], cpu);
}

