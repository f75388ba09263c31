/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What differs between kernels in the functions cowprobe probes (not in APIs
 * it calls: those shims live in compat-include/).
 */
#ifndef _COWPROBE_COMPAT_H
#define _COWPROBE_COMPAT_H

#include <linux/mm.h>
#include <linux/ptrace.h>
#include <linux/version.h>

/*
 * The faulting address of hugetlb_wp / hugetlb_cow:
 *   <= 6.11: (mm, vma, address, ptep, [flags,] pagecache_page, ptl)
 *   6.12+:   (pagecache_folio, vmf)
 */
static inline unsigned long cp_hugetlb_fault_address(struct pt_regs *regs)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
	struct vm_fault *vmf = (struct vm_fault *)regs_get_kernel_argument(regs, 1);

	return vmf->address;
#else
	return regs_get_kernel_argument(regs, 2);
#endif
}

/* 5.19 added unsharing faults for read-only GUP pins */
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 19, 0)
#define FAULT_FLAG_UNSHARE 0
#endif

#endif /* _COWPROBE_COMPAT_H */
