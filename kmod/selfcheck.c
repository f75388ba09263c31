// SPDX-License-Identifier: GPL-2.0
/*
 * The probe self-check: for each fault class, whether the probes placed on
 * this kernel see it, and how, or why not (STATUS, COWPROBE_A_CLASSES).
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include "compat.h"
#include "cowprobe.h"

enum cp_class {
	CP_CLASS_COPY,
	CP_CLASS_REUSE,
	CP_CLASS_ZERO_FILL,
	CP_CLASS_SHARED_WRITE,
	CP_CLASS_UNSHARE,
	CP_CLASS_KSM,
	CP_CLASS_THP,
	CP_CLASS_HUGETLB,
	CP_CLASS_REMOTE,
	CP_CLASS_FILE_COPY,
	CP_NR_CLASSES,
};

static const char *const cp_class_names[CP_NR_CLASSES] = {
	[CP_CLASS_COPY] = "copy",
	[CP_CLASS_REUSE] = "reuse",
	[CP_CLASS_ZERO_FILL] = "zero_fill",
	[CP_CLASS_SHARED_WRITE] = "shared_write",
	[CP_CLASS_UNSHARE] = "unshare",
	[CP_CLASS_KSM] = "ksm",
	[CP_CLASS_THP] = "thp",
	[CP_CLASS_HUGETLB] = "hugetlb",
	[CP_CLASS_REMOTE] = "remote",
	[CP_CLASS_FILE_COPY] = "file_copy",
};

static __printf(3, 4) void cp_class_set(struct cp_class_info *ci,
					enum cowprobe_class_state state,
					const char *fmt, ...)
{
	va_list args;

	ci->state = state;
	va_start(args, fmt);
	vscnprintf(ci->how, sizeof(ci->how), fmt, args);
	va_end(args);
}

static bool cp_on(enum cp_role r)
{
	return cp_probe_active(r);
}

static const char *cp_sym(enum cp_role r)
{
	struct cp_probe_info pi;

	cp_probe_info(r, &pi);
	return pi.symbol;
}

static int cp_err(enum cp_role r)
{
	struct cp_probe_info pi;

	cp_probe_info(r, &pi);
	return pi.error;
}

unsigned int cp_classes_count(void)
{
	return CP_NR_CLASSES;
}

void cp_class_info(unsigned int i, struct cp_class_info *ci)
{
	const char *wp = cp_sym(CP_PROBE_WP), *rmap = cp_sym(CP_PROBE_RMAP);

	ci->name = cp_class_names[i];
	switch (i) {
	case CP_CLASS_COPY:
		cp_class_set(ci, COWPROBE_CLASS_OBSERVED,
			     "%s with a new page mapped by %s", wp, rmap);
		break;
	case CP_CLASS_REUSE:
		if (cp_on(CP_PROBE_REUSE))
			cp_class_set(ci, COWPROBE_CLASS_OBSERVED, "%s in %s",
				     cp_sym(CP_PROBE_REUSE), wp);
		else
			cp_class_set(ci, COWPROBE_CLASS_UNOBSERVABLE,
				     "wp_page_reuse not probed (%d): counted as other",
				     cp_err(CP_PROBE_REUSE));
		break;
	case CP_CLASS_ZERO_FILL:
		cp_class_set(ci, COWPROBE_CLASS_OBSERVED,
			     "a copy in %s whose source pte is the zero page",
			     wp);
		break;
	case CP_CLASS_SHARED_WRITE:
		cp_class_set(ci, COWPROBE_CLASS_OBSERVED,
			     "%s on a shared mapping (write-notify, not CoW)",
			     wp);
		break;
	case CP_CLASS_UNSHARE:
		if (!FAULT_FLAG_UNSHARE)
			cp_class_set(ci, COWPROBE_CLASS_UNOBSERVABLE,
				     "no FAULT_FLAG_UNSHARE before 5.19: read-only GUP pins copy through write faults");
		else
			cp_class_set(ci, COWPROBE_CLASS_OBSERVED,
				     "a copy in %s with FAULT_FLAG_UNSHARE", wp);
		break;
	case CP_CLASS_KSM:
		if (IS_ENABLED(CONFIG_KSM))
			cp_class_set(ci, COWPROBE_CLASS_OBSERVED,
				     "a copy in %s of a KSM page", wp);
		else
			cp_class_set(ci, COWPROBE_CLASS_UNOBSERVABLE,
				     "CONFIG_KSM is off in this kernel");
		break;
	case CP_CLASS_THP:
		if (!IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE))
			cp_class_set(ci, COWPROBE_CLASS_UNOBSERVABLE,
				     "CONFIG_TRANSPARENT_HUGEPAGE is off in this kernel");
		else if (!cp_on(CP_PROBE_HUGE_PMD))
			cp_class_set(ci, COWPROBE_CLASS_UNOBSERVABLE,
				     "%s not probed (%d)",
				     cp_sym(CP_PROBE_HUGE_PMD),
				     cp_err(CP_PROBE_HUGE_PMD));
		else
			cp_class_set(ci, COWPROBE_CLASS_OBSERVED,
				     "%s; 4 KiB copies of a split huge page in %s",
				     cp_sym(CP_PROBE_HUGE_PMD), wp);
		break;
	case CP_CLASS_HUGETLB:
		if (!IS_ENABLED(CONFIG_HUGETLB_PAGE))
			cp_class_set(ci, COWPROBE_CLASS_UNOBSERVABLE,
				     "CONFIG_HUGETLB_PAGE is off in this kernel");
		else if (!cp_on(CP_PROBE_HUGETLB))
			cp_class_set(ci, COWPROBE_CLASS_UNOBSERVABLE,
				     "%s not probed (%d)",
				     cp_sym(CP_PROBE_HUGETLB),
				     cp_err(CP_PROBE_HUGETLB));
		else if (!cp_on(CP_PROBE_HUGETLB_RMAP))
			cp_class_set(ci, COWPROBE_CLASS_UNOBSERVABLE,
				     "%s not probed (%d): copies look like reuses",
				     cp_sym(CP_PROBE_HUGETLB_RMAP),
				     cp_err(CP_PROBE_HUGETLB_RMAP));
		else
			cp_class_set(ci, COWPROBE_CLASS_OBSERVED,
				     "%s with a new page mapped by %s",
				     cp_sym(CP_PROBE_HUGETLB),
				     cp_sym(CP_PROBE_HUGETLB_RMAP));
		break;
	case CP_CLASS_REMOTE:
		cp_class_set(ci, COWPROBE_CLASS_OBSERVED,
			     "%s on another process's mm (ptrace, process_vm_writev)",
			     wp);
		break;
	case CP_CLASS_FILE_COPY:
		if (cp_file_copy_exact())
			cp_class_set(ci, COWPROBE_CLASS_OBSERVED,
				     "%s from finish_fault on a private file mapping (do_cow_fault)",
				     rmap);
		else
			cp_class_set(ci, COWPROBE_CLASS_DERIVED,
				     "%s outside do_wp_page on a private file mapping: swap-ins count too",
				     rmap);
		break;
	}
}
