/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What differs between kernels in the functions cowprobe probes (not in APIs
 * it calls: those shims live in compat-include/).
 */
#ifndef _COWPROBE_COMPAT_H
#define _COWPROBE_COMPAT_H

#include <linux/mm.h>
#include <linux/ptrace.h>
#include <linux/uaccess.h>
#include <linux/version.h>

/*
 * ftrace callbacks are given the traced function's arguments (fentry.c):
 * 5.11 on; from 6.1 on here, the oldest kernel tried with them.
 */
#if defined(CONFIG_DYNAMIC_FTRACE_WITH_ARGS) && LINUX_VERSION_CODE >= KERNEL_VERSION(6, 1, 0)
#define CP_FENTRY_ARGS
#endif

/*
 * ftrace direct calls (fentry.c): the function's fentry site calls the
 * module's own trampoline, where the function has no other direct call.
 * x86-64; the API took an ftrace_ops in 5.16 (the _multi names until 6.5).
 */
#if defined(CP_FENTRY_ARGS) && defined(CONFIG_X86_64) && \
	defined(CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS)
#define CP_FENTRY_DIRECT
#endif

/*
 * The faulting address of hugetlb_wp / hugetlb_cow:
 *   <= 6.11: (mm, vma, address, ptep, [flags,] pagecache_page, ptl)
 *   6.12+:   (pagecache_folio, vmf)
 *   then:    (vmf), since the hugetlb fault rework ("mm,hugetlb: change
 *            mechanism to detect a COW on private mapping"; 7.2 has it).
 * Rather than name a version (a wrong guess dereferences a folio, NULL or
 * a stale register), take whichever of the first two arguments reads, without
 * faulting, as a struct vm_fault whose address lies inside its vma. A folio
 * starts with its flags word, never a kernel pointer, so it cannot pass.
 * From 6.12 on vmf->address is rounded down to the huge page; the address
 * written, as older kernels pass it, is vmf->real_address where it is set.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
static inline const struct vm_fault *cp_vmf_at(unsigned long arg)
{
	const struct vm_fault *vmf = (const struct vm_fault *)arg;
	struct vm_area_struct *vma;
	unsigned long a, start, end;

	if (!arg || get_kernel_nofault(vma, &vmf->vma) || !vma ||
	    get_kernel_nofault(a, &vmf->address) ||
	    get_kernel_nofault(start, &vma->vm_start) ||
	    get_kernel_nofault(end, &vma->vm_end) || a < start || a >= end)
		return NULL;
	return vmf;
}

static inline const struct vm_fault *cp_hugetlb_vmf(struct pt_regs *regs)
{
	const struct vm_fault *vmf = cp_vmf_at(regs_get_kernel_argument(regs, 0));

	return vmf ? vmf : cp_vmf_at(regs_get_kernel_argument(regs, 1));
}
#endif

static inline unsigned long cp_hugetlb_fault_address(struct pt_regs *regs)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
	const struct vm_fault *vmf = cp_hugetlb_vmf(regs);
	unsigned long a, real, start, end;

	/* cp_vmf_at() read these once already: they do not fault */
	if (!vmf || get_kernel_nofault(a, &vmf->address) ||
	    get_kernel_nofault(start, &vmf->vma->vm_start) ||
	    get_kernel_nofault(end, &vmf->vma->vm_end))
		return 0;
	if (!get_kernel_nofault(real, &vmf->real_address) &&
	    real >= start && real < end)
		a = real;
	return a;
#else
	return regs_get_kernel_argument(regs, 2);
#endif
}

/*
 * hugetlb_no_page calls hugetlb_wp (hugetlb_cow) for the first write to a
 * fresh private page, "to do the COW without a second fault": the page is
 * new and this process's alone, so it is no write-protect fault. When the
 * page it mapped is the page cache's (a private mapping of a hugetlbfs file
 * or memfd), the call copies it, as do_cow_fault copies a file page: that
 * copy counts. From 6.12 the vmf then still holds the PTE hugetlb_fault
 * found, which was none, and the PTE no_page set (under its lock) tells
 * which page; before, the page cache argument is that fresh page, anonymous,
 * where hugetlb_fault passes NULL or a page cache page (never anonymous).
 */
static inline bool cp_hugetlb_fresh_page(struct pt_regs *regs)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
	const struct vm_fault *vmf = cp_hugetlb_vmf(regs);
	pte_t orig, pte, *ptep;

	if (!vmf || get_kernel_nofault(orig, &vmf->orig_pte) || !pte_none(orig))
		return false;
	if (get_kernel_nofault(ptep, &vmf->pte) || get_kernel_nofault(pte, ptep))
		return true;
	return !pte_present(pte) || PageAnon(pte_page(pte));
#else
	/* hugetlb_cow(mm, vma, addr, ptep, page, ptl); hugetlb_wp adds flags */
	unsigned int n = LINUX_VERSION_CODE < KERNEL_VERSION(6, 0, 0) ? 4 : 5;
	struct page *page = (struct page *)regs_get_kernel_argument(regs, n);

	return page && PageAnon(page);
#endif
}

/*
 * maps.c: the mapping whose range holds the address before vma's start, and
 * a walk over an mm's mappings (*index: where the walk is). Before 6.1 the
 * mappings were a list; since, a maple tree, read under RCU as
 * lock_vma_under_rcu() reads it.
 */
static inline struct vm_area_struct *cp_vma_before(struct vm_area_struct *vma)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
	return vma->vm_prev;
#else
	unsigned long index = vma->vm_start - 1;

	return vma->vm_start ?
		mt_find(&vma->vm_mm->mm_mt, &index, vma->vm_start - 1) : NULL;
#endif
}

static inline struct vm_area_struct *cp_vma_after(struct mm_struct *mm,
						  struct vm_area_struct *vma,
						  unsigned long *index)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
	return vma ? vma->vm_next : mm->mmap;
#else
	/* mt_find() moves index past the mapping it returns */
	return mt_find(&mm->mm_mt, index, ULONG_MAX);
#endif
}

/* arm.c: before 6.1, probes once armed stay armed (see arm.c) */
#define CP_DISARM_OK (LINUX_VERSION_CODE >= KERNEL_VERSION(6, 1, 0))

/* 5.19 added unsharing faults for read-only GUP pins */
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 19, 0)
#define FAULT_FLAG_UNSHARE 0
#endif

/*
 * Whether task is dumpable for its owner (ptrace by uid match): a flag of
 * its mm up to 7.1, then of its exec state (task->exec_state, under RCU).
 * mm is task's, held stable by the caller, and unused where exec state is.
 */
#if __has_include("linux/sched/exec_state.h")
#include <linux/sched/exec_state.h>

static inline bool cp_dumpable(struct task_struct *task, struct mm_struct *mm)
{
	struct task_exec_state *es;
	bool dumpable;

	rcu_read_lock();
	es = rcu_dereference(task->exec_state);
	dumpable = es && es->dumpable == TASK_DUMPABLE_OWNER;
	rcu_read_unlock();
	return dumpable;
}
#else
#include <linux/sched/coredump.h>

static inline bool cp_dumpable(struct task_struct *task, struct mm_struct *mm)
{
	return mm && get_dumpable(mm) == SUID_DUMP_USER;
}
#endif

#endif /* _COWPROBE_COMPAT_H */
