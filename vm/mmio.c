// SPDX-License-Identifier: MIT
/*
 * Emulated MMIO: the access that faulted is decoded from the instruction
 * bytes at the guest's RIP (no decode assists needed), performed against
 * the device, and the guest resumes after the instruction.  Anything the
 * decoder does not accept, or an access that leaves the device, kills the
 * VM with the reason; it never reaches the hypervisor's own state.  A
 * fetch the guest's page tables refuse raises that fault in the guest.
 */
#include "vm/run.h"
#include "vm/insn.h"
#include "errcode.h"
#include "lib/printk.h"

int vcpu_emulate_mmio(struct vcpu *v, gpa_t gpa, struct vm_mmio_dev *dev)
{
	u8 b[INSN_MAX_LEN];
	struct mmio_insn in;
	struct gva_fault f;
	u64 off = gpa - dev->base, rip = virt->get_rip(v), val;
	int n, err;

	v->stats.mmio_exits++;
	n = vcpu_fetch_insn(v, b, sizeof(b), &f);
	err = n < 0 ? n : insn_decode_mmio(b, (size_t)n, (enum cpu_mode)virt->get_cpu_mode(v),
					   &in);
	if (vcpu_fetch_interrupted(v, err, &f))
		return 0;	/* the guest takes the fetch's fault, or runs it again */
	if (n < 0) {
		vm_kill(v->vm, "MMIO at GPA 0x%llx: cannot fetch the instruction at RIP 0x%llx",
			(unsigned long long)gpa, (unsigned long long)rip);
		return n;
	}
	if (err) {
		vm_kill(v->vm, "MMIO at GPA 0x%llx: instruction %02x %02x %02x %02x at RIP 0x%llx "
			"is not emulated (%d)", (unsigned long long)gpa, b[0],
			n > 1 ? b[1] : 0, n > 2 ? b[2] : 0, n > 3 ? b[3] : 0,
			(unsigned long long)rip, err);
		return err;
	}
	if (off + in.size > dev->size) {
		vm_kill(v->vm, "MMIO at GPA 0x%llx: %u-byte access leaves device %s",
			(unsigned long long)gpa, in.size, dev->name);
		return -EFAULT;
	}
	if (in.dir == INSN_STORE) {
		dev->write(dev, off, in.size, insn_store_value(&in, v->gpr));
		dev->writes++;
	} else {
		val = dev->read(dev, off, in.size);
		v->gpr[in.reg] = insn_merge_load(&in, v->gpr[in.reg], val);
		dev->reads++;
	}
	vcpu_insn_done(v, rip + in.len);
	return 0;
}
