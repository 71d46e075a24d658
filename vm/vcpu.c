// SPDX-License-Identifier: MIT
/*
 * vCPU objects and the small services every exit handler shares: moving
 * RIP past an intercepted instruction and writing an IN's result.
 */
#include "vm/run.h"
#include "vm/insn.h"
#include "arch/percpu.h"
#include "bug.h"
#include "errcode.h"
#include "lib/printk.h"
#include "lib/string.h"

int vcpu_create(struct vcpu *v, struct vm *vm, unsigned int id, const struct vcpu_config *cfg)
{
	int err;

	BUG_ON(!cfg->boot == !cfg->capture);
	if (id >= VM_MAX_VCPUS || vm->vcpus[id]) {
		pr_err("vm %s: vcpu%u: no such slot, or taken\n", vm->name, id);
		return -EINVAL;
	}
	memset(v, 0, sizeof(*v));
	v->vm = vm;
	v->id = id;
	v->gpr[GPR_RSP] = cfg->boot ? cfg->boot->rsp : cfg->capture->rsp;
	err = tdp_vcpu_init(&v->tdp, &vm->mmu, id);
	if (!err)
		err = tdp_vcpu_load_root(&v->tdp);
	if (!err)
		err = virt->vcpu_init(v, cfg);
	if (err) {
		tdp_vcpu_destroy(&v->tdp);
		pr_err("vm %s: cannot create vcpu%u (%d)\n", vm->name, id, err);
		return err;
	}
	__atomic_store_n(&vm->vcpus[id], v, __ATOMIC_RELEASE);
	return 0;
}

void vcpu_destroy(struct vcpu *v)
{
	u64 *gone = (u64 *)&v->vm->gone;
	const u64 *mine = (const u64 *)&v->stats;
	unsigned int i;

	__atomic_store_n(&v->vm->vcpus[v->id], NULL, __ATOMIC_RELEASE);
	for (i = 0; i < sizeof(v->stats) / sizeof(u64); i++)
		__atomic_fetch_add(&gone[i], mine[i], __ATOMIC_RELAXED);
	virt->vcpu_destroy(v);
	tdp_vcpu_destroy(&v->tdp);
}

void vcpu_insn_done(struct vcpu *v, u64 next_rip)
{
	virt->set_rip(v, next_rip);
	virt->insn_done(v);
}

int vcpu_skip_insn(struct vcpu *v, const struct vm_exit *e)
{
	u8 bytes[INSN_MAX_LEN];
	struct gva_fault f;
	int n, len;

	if (e->next_rip) {
		vcpu_insn_done(v, e->next_rip);
		return 0;
	}
	if (e->insn_len) {
		vcpu_insn_done(v, virt->get_rip(v) + e->insn_len);
		return 0;
	}
	n = vcpu_fetch_insn(v, bytes, sizeof(bytes), &f);
	len = n > 0 ? insn_intercepted_length(bytes, (size_t)n,
					      (enum cpu_mode)virt->get_cpu_mode(v)) : n;
	/* The length decoder says -EINVAL for bytes cut short too. */
	if (vcpu_fetch_interrupted(v, len == -EINVAL ? -E2BIG : len, &f))
		return 1;
	if (len < 0) {
		vm_kill(v->vm, "cannot decode the intercepted instruction at RIP 0x%llx "
			"(exit 0x%llx, bytes %02x %02x %02x %02x)",
			(unsigned long long)virt->get_rip(v), (unsigned long long)e->hw_code,
			n > 0 ? bytes[0] : 0, n > 1 ? bytes[1] : 0, n > 2 ? bytes[2] : 0,
			n > 3 ? bytes[3] : 0);
		return len;
	}
	vcpu_insn_done(v, virt->get_rip(v) + (u64)len);
	return 0;
}

void vcpu_io_in_result(struct vcpu *v, unsigned int size, u64 val)
{
	u64 mask = size == 4 ? 0xffffffffULL : (1ULL << (8 * size)) - 1;

	v->gpr[GPR_RAX] = (size == 4 ? 0 : v->gpr[GPR_RAX] & ~mask) | (val & mask);
}

void vcpu_dump(struct vcpu *v)
{
	const u64 *g = v->gpr;
	u8 b[INSN_MAX_LEN];
	char hex[3 * INSN_MAX_LEN + 1];
	struct gva_fault f;
	int n, i;

	pr_emerg("vm %s: vcpu%u on cpu%u:\n", v->vm->name, v->id, this_cpu_id());
	pr_emerg("  RAX %016llx RBX %016llx RCX %016llx RDX %016llx\n",
		 (unsigned long long)g[GPR_RAX], (unsigned long long)g[GPR_RBX],
		 (unsigned long long)g[GPR_RCX], (unsigned long long)g[GPR_RDX]);
	pr_emerg("  RSI %016llx RDI %016llx RBP %016llx R8  %016llx\n",
		 (unsigned long long)g[GPR_RSI], (unsigned long long)g[GPR_RDI],
		 (unsigned long long)g[GPR_RBP], (unsigned long long)g[GPR_R8]);
	pr_emerg("  R9  %016llx R10 %016llx R11 %016llx R12 %016llx\n",
		 (unsigned long long)g[GPR_R9], (unsigned long long)g[GPR_R10],
		 (unsigned long long)g[GPR_R11], (unsigned long long)g[GPR_R12]);
	pr_emerg("  R13 %016llx R14 %016llx R15 %016llx\n", (unsigned long long)g[GPR_R13],
		 (unsigned long long)g[GPR_R14], (unsigned long long)g[GPR_R15]);
	virt->dump_state(v);
	n = vcpu_fetch_insn(v, b, sizeof(b), &f);
	for (i = 0; i < n; i++)
		snprintf(hex + 3 * i, sizeof(hex) - 3 * (size_t)i, " %02x", b[i]);
	if (n > 0)
		pr_emerg("  code at RIP:%s\n", hex);
	else
		pr_emerg("  code at RIP: not readable (%d)\n", n);
}

void vcpu_dump_current(void)
{
	struct vcpu *v = this_cpu()->vcpu;

	if (!v) {
		pr_emerg("panic: cpu%u was not running a guest\n", this_cpu_id());
		return;
	}
	pr_emerg("panic: the guest cpu%u was running:\n", this_cpu_id());
	vcpu_dump(v);
}
