/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Up to 5.10 at least, <linux/huge_mm.h> is not self-contained: it uses
 * struct vm_fault, the VM_* flags and the pmd helpers that <linux/mm.h>
 * brings, and <linux/mm.h> includes it itself half-way. Include it through
 * <linux/mm.h> first, on every kernel: the order is the kernel's own.
 */
#ifndef _COWPROBE_COMPAT_LINUX_HUGE_MM_H
#define _COWPROBE_COMPAT_LINUX_HUGE_MM_H
#include <linux/mm.h>
#endif

#include_next <linux/huge_mm.h>
