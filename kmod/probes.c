// SPDX-License-Identifier: GPL-2.0
/*
 * Probes on the copy-on-write fault path. A kretprobe on do_wp_page marks the
 * tracked thread as inside a write-protect fault; probes on the functions it
 * calls record how the fault ended; the return handler counts exactly one
 * outcome per fault. No symbol name works on every kernel (wp_page_copy is
 * inlined from 6.12 on), so each role has candidate names, suffixed variants
 * are tried, and a module parameter can name the symbol instead.
 */
#include <linux/kprobes.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/pgtable.h>
#include "cowprobe.h"

#define CP_SYM_LEN 128

static char sym_wp[CP_SYM_LEN];
module_param_string(probe_do_wp_page, sym_wp, sizeof(sym_wp), 0444);
MODULE_PARM_DESC(probe_do_wp_page, "symbol for the do_wp_page kretprobe (default: resolved)");

static char sym_rmap[CP_SYM_LEN];
module_param_string(probe_new_anon_rmap, sym_rmap, sizeof(sym_rmap), 0444);
MODULE_PARM_DESC(probe_new_anon_rmap,
		 "symbol adding the rmap of a new anonymous page (default: resolved)");

static char sym_reuse[CP_SYM_LEN];
module_param_string(probe_wp_page_reuse, sym_reuse, sizeof(sym_reuse), 0444);
MODULE_PARM_DESC(probe_wp_page_reuse, "symbol for the reuse kprobe (default: resolved)");

static int maxactive = 256;
module_param(maxactive, int, 0444);
MODULE_PARM_DESC(maxactive,
		 "do_wp_page calls of tracked tasks in flight at once (kretprobe instances)");

enum cp_role {
	CP_PROBE_WP,
	CP_PROBE_RMAP,
	CP_PROBE_REUSE,
	CP_NR_PROBES,
};

static DEFINE_PER_CPU(u64, cp_hits[CP_NR_PROBES]);

static int cp_wp_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct vm_fault *vmf = (struct vm_fault *)regs_get_kernel_argument(regs, 0);
	struct cp_thread *t;
	int ret = 1;

	rcu_read_lock();
	t = cp_thread_lookup(current);
	/* faults on another process's memory (GUP, ptrace) are not ours */
	if (t && vmf->vma->vm_mm == current->mm) {
		t->in_wp = true;
		t->wp_outcome = CP_OUT_NONE;
		t->wp_zero = is_zero_pfn(pte_pfn(vmf->orig_pte));
		t->wp_shared = vmf->vma->vm_flags & VM_SHARED;
		this_cpu_inc(cp_hits[CP_PROBE_WP]);
		ret = 0;
	}
	rcu_read_unlock();
	return ret;
}

static int cp_wp_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	enum cowprobe_counter c;
	struct cp_thread *t;

	rcu_read_lock();
	t = cp_thread_lookup(current);
	if (t && t->in_wp) {
		t->in_wp = false;
		switch (t->wp_outcome) {
		case CP_OUT_COPY:
			c = t->wp_zero ? COWPROBE_C_ZERO_FILLS : COWPROBE_C_COPIES;
			break;
		case CP_OUT_REUSE:
			c = t->wp_shared ? COWPROBE_C_SHARED_WRITES : COWPROBE_C_REUSES;
			break;
		default:
			c = t->wp_shared ? COWPROBE_C_SHARED_WRITES : COWPROBE_C_OTHER;
			break;
		}
		cp_count(t, COWPROBE_C_WP_FAULTS);
		cp_count(t, c);
	}
	rcu_read_unlock();
	return 0;
}

static void cp_set_outcome(enum cp_role role, enum cp_outcome outcome)
{
	struct cp_thread *t;

	rcu_read_lock();
	t = cp_thread_lookup(current);
	if (t && t->in_wp) {
		t->wp_outcome = outcome;
		this_cpu_inc(cp_hits[role]);
	}
	rcu_read_unlock();
}

static int cp_rmap_pre(struct kprobe *kp, struct pt_regs *regs)
{
	cp_set_outcome(CP_PROBE_RMAP, CP_OUT_COPY);
	return 0;
}

static int cp_reuse_pre(struct kprobe *kp, struct pt_regs *regs)
{
	cp_set_outcome(CP_PROBE_REUSE, CP_OUT_REUSE);
	return 0;
}

static struct kretprobe cp_wp_krp;
static struct kprobe cp_rmap_kp, cp_reuse_kp;

struct cp_probe {
	const char *name;
	const char *const *candidates;
	char *override;
	bool essential;
	kprobe_pre_handler_t pre_handler;
	struct kprobe *kp;		/* the kprobe, or the kretprobe's */
	struct kretprobe *krp;
	char symbol[CP_SYM_LEN];
	int error;
	bool active;
};

static const char *const cp_wp_names[] = { "do_wp_page", NULL };
static const char *const cp_rmap_names[] = {
	"folio_add_new_anon_rmap", "page_add_new_anon_rmap", NULL
};

static const char *const cp_reuse_names[] = { "wp_page_reuse", NULL };

static struct cp_probe cp_probes[CP_NR_PROBES] = {
	[CP_PROBE_WP] = {
		.name = "do_wp_page", .candidates = cp_wp_names,
		.override = sym_wp, .essential = true,
		.kp = &cp_wp_krp.kp, .krp = &cp_wp_krp,
	},
	[CP_PROBE_RMAP] = {
		.name = "new_anon_rmap", .candidates = cp_rmap_names,
		.override = sym_rmap, .essential = true,
		.pre_handler = cp_rmap_pre, .kp = &cp_rmap_kp,
	},
	[CP_PROBE_REUSE] = {
		.name = "wp_page_reuse", .candidates = cp_reuse_names,
		.override = sym_reuse,
		.pre_handler = cp_reuse_pre, .kp = &cp_reuse_kp,
	},
};

/* GCC clones keep the name with a suffix; kallsyms lists them as such. */
static const char *const cp_suffixes[] = {
	"", ".isra.0", ".constprop.0", ".part.0", ".isra.1", ".constprop.1",
};

static int cp_probe_try(struct cp_probe *p, const char *symbol)
{
	int err;

	strscpy(p->symbol, symbol, sizeof(p->symbol));
	/* a failed registration may leave state behind: start from scratch */
	if (p->krp) {
		*p->krp = (struct kretprobe) {
			.entry_handler = cp_wp_entry,
			.handler = cp_wp_return,
			.maxactive = maxactive,
			.kp.symbol_name = p->symbol,
		};
		err = register_kretprobe(p->krp);
	} else {
		*p->kp = (struct kprobe) {
			.pre_handler = p->pre_handler,
			.symbol_name = p->symbol,
		};
		err = register_kprobe(p->kp);
	}
	p->error = err;
	return err;
}

static int cp_probe_place(struct cp_probe *p)
{
	char name[CP_SYM_LEN];
	int i, s;

	if (p->override[0])
		return cp_probe_try(p, p->override);

	for (i = 0; p->candidates[i]; i++) {
		for (s = 0; s < ARRAY_SIZE(cp_suffixes); s++) {
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
	if (p->krp)
		unregister_kretprobe(p->krp);
	else
		unregister_kprobe(p->kp);
	p->active = false;
}

int cp_probes_init(void)
{
	int i, err;

	if (maxactive < 1) {
		pr_err("maxactive must be at least 1\n");
		return -EINVAL;
	}
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
		pr_warn("probe %s not placed (symbol %s: %d); its class is not counted\n",
			p->name, p->symbol, err);
	}
	return 0;

err_remove:
	while (--i >= 0)
		cp_probe_remove(&cp_probes[i]);
	return err;
}

void cp_probes_exit(void)
{
	int i;

	for (i = CP_NR_PROBES - 1; i >= 0; i--)
		cp_probe_remove(&cp_probes[i]);
}

unsigned int cp_probes_count(void)
{
	return CP_NR_PROBES;
}

void cp_probe_info(unsigned int i, struct cp_probe_info *info)
{
	struct cp_probe *p = &cp_probes[i];
	int cpu;

	info->name = p->name;
	info->symbol = p->symbol;
	info->state = p->active ? COWPROBE_PROBE_ACTIVE : COWPROBE_PROBE_ABSENT;
	info->error = p->active ? 0 : p->error;
	info->nmissed = p->kp->nmissed;
	if (p->krp)
		info->nmissed += p->krp->nmissed;
	info->hits = 0;
	for_each_possible_cpu(cpu)
		info->hits += per_cpu(cp_hits[i], cpu);
}
