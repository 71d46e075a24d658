// SPDX-License-Identifier: MIT
/* Picks the vendor's virt_ops for this CPU and turns virtualization on. */
#include "vm/vm.h"
#include "vm/virt.h"
#include "errcode.h"
#include "lib/printk.h"

int virt_enable(const struct cpu_caps *caps)
{
	const struct virt_ops *ops = NULL;
	int err;

	if (caps->vendor == VENDOR_AMD && caps->svm)
		ops = &svm_ops;
	else if (caps->vendor == VENDOR_INTEL && caps->vmx && caps->ept)
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
	return 0;
}

void virt_disable(void)
{
	if (!virt)
		return;
	virt->disable();
	virt = NULL;
}
