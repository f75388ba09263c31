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
 * The faulting address of hugetlb_wp / hugetlb_cow:
 *   <= 6.11: (mm, vma, address, ptep, [flags,] pagecache_page, ptl)
 *   6.12+:   (pagecache_folio, vmf)
 *   then:    (vmf), since the 2025 hugetlb fault rework ("mm,hugetlb: change
 *            mechanism to detect a COW on private mapping"; 7.2 has it). It
 *            went through the mm tree in July 2025, so most likely 6.17, but
 *            the release is not pinned down here.
 * Rather than guess that version (a wrong guess dereferences a folio, NULL or
 * a stale register), take whichever of the first two arguments reads, without
 * faulting, as a struct vm_fault whose address lies inside its vma. A folio
 * starts with its flags word, never a kernel pointer, so it cannot pass.
 * From 6.12 on vmf->address is rounded down to the huge page; the address
 * written, as older kernels pass it, is vmf->real_address where it is set.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
static inline bool cp_vmf_address(unsigned long arg, unsigned long *addr)
{
	const struct vm_fault *vmf = (const struct vm_fault *)arg;
	struct vm_area_struct *vma;
	unsigned long a, real, start, end;

	if (!arg || get_kernel_nofault(vma, &vmf->vma) || !vma ||
	    get_kernel_nofault(a, &vmf->address) ||
	    get_kernel_nofault(start, &vma->vm_start) ||
	    get_kernel_nofault(end, &vma->vm_end) || a < start || a >= end)
		return false;
	if (!get_kernel_nofault(real, &vmf->real_address) &&
	    real >= start && real < end)
		a = real;
	*addr = a;
	return true;
}
#endif

static inline unsigned long cp_hugetlb_fault_address(struct pt_regs *regs)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
	unsigned long addr;

	if (cp_vmf_address(regs_get_kernel_argument(regs, 0), &addr) ||
	    cp_vmf_address(regs_get_kernel_argument(regs, 1), &addr))
		return addr;
	return 0;
#else
	return regs_get_kernel_argument(regs, 2);
#endif
}

/*
 * Whether do_wp_page reused the page, from its return value alone: up to 6.1
 * it returns VM_FAULT_WRITE after a reuse or an installed copy (6.2 removed
 * the flag). 5.10 inlines wp_page_reuse, so a fault that ends with this flag
 * and no copy seen is a reuse there.
 */
#define CP_HAVE_VM_FAULT_WRITE (LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0))

static inline bool cp_wp_reused(vm_fault_t ret)
{
#if CP_HAVE_VM_FAULT_WRITE
	return ret & VM_FAULT_WRITE;
#else
	return false;
#endif
}

/* 5.19 added unsharing faults for read-only GUP pins */
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 19, 0)
#define FAULT_FLAG_UNSHARE 0
#endif

#endif /* _COWPROBE_COMPAT_H */
