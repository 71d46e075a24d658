// SPDX-License-Identifier: MIT
/*
 * Picks the vendor's virt_ops for this CPU and turns virtualization on:
 * the one place that names svm_ops and vmx_ops.  Everything else asks
 * `virt` and its features.
 */
#include "arch/percpu.h"
#include "vm/vm.h"
#include "vm/virt.h"
#include "svm/caps.h"
#include "vmx/caps.h"
#include "errcode.h"
#include "lib/printk.h"
#include "lib/string.h"

static const char *const dirty_mode_names[TDP_DIRTY_NR] = {
	[TDP_DIRTY_WP] = "write-protect",
	[TDP_DIRTY_DBIT] = "dirty bits",
	[TDP_DIRTY_PML] = "PML",
};
static const char *const dirty_mode_options[TDP_DIRTY_NR] = {
	[TDP_DIRTY_WP] = "wp",
	[TDP_DIRTY_DBIT] = "dbit",
	[TDP_DIRTY_PML] = "pml",
};
static char dirty_request[8];
static u32 dirty_offered = BIT(TDP_DIRTY_WP);
static enum tdp_dirty_mode dirty_mode = TDP_DIRTY_WP;
static bool dirty_forced;

const char *tdp_dirty_mode_name(enum tdp_dirty_mode m)
{
	return (unsigned int)m < TDP_DIRTY_NR ? dirty_mode_names[m] : "?";
}

void virt_request_dirty_mode(const char *name)
{
	strscpy(dirty_request, name ? name : "", sizeof(dirty_request));
}

enum tdp_dirty_mode virt_dirty_mode(void)
{
	return dirty_mode;
}

bool virt_dirty_mode_forced(void)
{
	return dirty_forced;
}

bool virt_dirty_mode_offered(enum tdp_dirty_mode m)
{
	return (unsigned int)m < TDP_DIRTY_NR && (dirty_offered & BIT(m));
}

/* Picks the mode: the one asked for when offered, else the best offered. */
static void choose_dirty_mode(const struct virt_ops *ops)
{
	enum tdp_dirty_mode m;
	int want = -1;

	/* Write protection works everywhere; the vendor says what else. */
	dirty_offered = BIT(TDP_DIRTY_WP) | ops->features->dirty_modes;
	for (m = TDP_DIRTY_WP; m < TDP_DIRTY_NR; m++)
		if (dirty_offered & BIT(m))
			dirty_mode = m;		/* the last one offered is the best */
	for (m = TDP_DIRTY_WP; m < TDP_DIRTY_NR; m++)
		if (!strcmp(dirty_request, dirty_mode_options[m]))
			want = (int)m;
	dirty_forced = false;
	if (want >= 0 && !(dirty_offered & BIT(want))) {
		pr_warn("cpu%u: %s: tdp_dirty=%s: this CPU has no %s dirty logging, "
			"falling back\n", this_cpu_id(), ops->name, dirty_request, dirty_mode_names[want]);
	} else if (want >= 0) {
		dirty_mode = (enum tdp_dirty_mode)want;
		dirty_forced = true;
	}
	pr_info("cpu%u: %s: dirty logging uses %s%s\n", this_cpu_id(), ops->name, dirty_mode_names[dirty_mode],
		dirty_forced ? " (tdp_dirty=)" : "");
}

void virt_caps_print(const struct cpu_caps *c, unsigned int cpu)
{
	if (c->vmx)
		vmx_caps_print(c, cpu);
	if (c->svm)
		svm_caps_print(c, cpu);
}

const char *virt_unusable_reason(const struct cpu_caps *c)
{
	const char *why = cpu_caps_unusable_reason(c);

	if (why)
		return why;
	if (c->vmx && c->vendor != VENDOR_AMD)
		return vmx_caps_unusable_reason(vmx_caps());
	return svm_caps_unusable_reason(svm_caps());
}

int virt_enable(const struct cpu_caps *caps)
{
	const struct virt_ops *ops = NULL;
	int err;

	if (caps->vendor == VENDOR_AMD && caps->svm)
		ops = &svm_ops;
	else if (caps->vendor == VENDOR_INTEL && caps->vmx)	/* vmx_enable() wants EPT */
		ops = &vmx_ops;
	if (!ops) {
		pr_warn("virt: no guest support for this CPU's virtualization in this build "
			"(%s)\n", caps->vmx ? "VMX" : "none");
		return -ENODEV;
	}
	err = ops->enable();
	if (err)
		return err;
	virt = ops;
	choose_dirty_mode(ops);
	return 0;
}

void virt_disable(void)
{
	if (!virt)
		return;
	virt->disable();
	virt = NULL;
}
