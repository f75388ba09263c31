/* SPDX-License-Identifier: GPL-2.0 */
/* Shims so that cowprobe can test page flags the same way on every kernel. */
#ifndef _COWPROBE_COMPAT_LINUX_PAGE_FLAGS_H
#define _COWPROBE_COMPAT_LINUX_PAGE_FLAGS_H

/*
 * The guard comes first: a nested include from within the kernel's header
 * then stops here, so nothing below is defined before that header has been
 * read to its end.
 */
#include_next <linux/page-flags.h>
#include <linux/version.h>

/*
 * PageKsm() went away after 6.12 (7.2 has only folio_test_ksm()). Where it
 * still exists, the macro means the same as the function it hides.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#define PageKsm(page) folio_test_ksm(page_folio(page))
#endif

#endif /* _COWPROBE_COMPAT_LINUX_PAGE_FLAGS_H */
