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
	/* placed as an ftrace callback (fentry.c), not a kprobe */
	bool on_fentry;
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
		.data_size = CP_HUGE_DATA_SIZE,
	},
	[CP_PROBE_HUGETLB] = {
		.name = "hugetlb_wp",
		.candidates = CP_NAMES("hugetlb_wp", "hugetlb_cow"),
		.entry_handler = cp_hugetlb_entry,
		.handler = cp_hugetlb_return,
		.data_size = CP_HUGE_DATA_SIZE,
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
	enum cp_role r = p - cp_probes;
	int err;

	strscpy(p->symbol, symbol, sizeof(p->symbol));
	/*
	 * On the fentry call where fentry.c can hook it; else, or where that
	 * cannot be registered now, a kprobe.
	 */
	p->on_fentry = false;
	err = cp_fentry_place(r, p->symbol);
	if (!err) {
		/* with idle_disarm, armed by arm.c while tracking */
		err = cp_idle_disarm ? 0 : cp_fentry_enable(r, true);
		if (!err) {
			p->on_fentry = true;
			p->error = 0;
			return 0;
		}
		pr_info("%s: fentry hook not registered (%d): a kprobe\n",
			p->symbol, err);
		cp_fentry_remove(r);
	}
	/* a failed registration may leave state behind: start from scratch */
	if (p->handler) {
		p->krp = (struct kretprobe) {
			.entry_handler = p->entry_handler,
			.handler = p->handler,
			.data_size = p->data_size,
			.maxactive = maxactive,
			.kp.symbol_name = p->symbol,
			/* with idle_disarm, armed by arm.c while tracking */
			.kp.flags = cp_idle_disarm ? KPROBE_FLAG_DISABLED : 0,
		};
		err = register_kretprobe(&p->krp);
	} else {
		p->kp = (struct kprobe) {
			.pre_handler = p->pre_handler,
			.symbol_name = p->symbol,
			.flags = cp_idle_disarm ? KPROBE_FLAG_DISABLED : 0,
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
	if (p->on_fentry)
		cp_fentry_remove(p - cp_probes);
	else if (p->handler)
		unregister_kretprobe(&p->krp);
	else
		unregister_kprobe(&p->kp);
	p->active = false;
}

static enum cowprobe_probe_hook cp_probe_hook(struct cp_probe *p)
{
	if (!p->active)
		return COWPROBE_PROBE_HOOK_NONE;
	if (p->on_fentry)
		return cp_fentry_hook(p - cp_probes);
	return p->handler ? COWPROBE_PROBE_HOOK_KRETPROBE :
			    COWPROBE_PROBE_HOOK_KPROBE;
}

static const char *const cp_hook_names[] = {
	[COWPROBE_PROBE_HOOK_NONE] = "none",
	[COWPROBE_PROBE_HOOK_KPROBE] = "kprobe",
	[COWPROBE_PROBE_HOOK_KRETPROBE] = "kretprobe",
	[COWPROBE_PROBE_HOOK_FTRACE] = "ftrace callback",
	[COWPROBE_PROBE_HOOK_DIRECT] = "ftrace direct call",
};

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
			pr_info("probe %s on %s (%s)\n", p->name, p->symbol,
				cp_hook_names[cp_probe_hook(p)]);
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
	cp_wp_range_init(cp_probes[CP_PROBE_WP].symbol);
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
		if (p->on_fentry)
			err = cp_fentry_enable(i, on);
		else
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

	info->name = p->name;
	info->symbol = p->symbol;
	info->state = p->active ? COWPROBE_PROBE_ACTIVE : COWPROBE_PROBE_ABSENT;
	info->error = p->active ? 0 : p->error;
	info->hook = cp_probe_hook(p);
	info->nmissed = 0;
	/* an ftrace callback misses none: it takes no recursion lock */
	if (p->active && p->handler)
		info->nmissed = p->krp.nmissed + p->krp.kp.nmissed;
	else if (p->active && !p->on_fentry)
		info->nmissed = p->kp.nmissed;
	info->hits = cp_probe_hits(i);
}

