/* SPDX-License-Identifier: MIT */
/* Per-boot CPU services of arch/: time, descriptor tables, capabilities. */
#ifndef TDPVISOR_ARCH_CPU_H
#define TDPVISOR_ARCH_CPU_H

#include "types.h"

/* arch/tsc.c */
/* Measures the TSC against stall_us(us) (a firmware delay).  Returns kHz. */
u64 tsc_calibrate(void (*stall_us)(u64 us));
u64 tsc_khz(void);
u64 ns_since_boot(void);
/* After S3: tsc_before was the TSC when the machine went to sleep; if the
 * TSC restarted, time since boot goes on from there. */
void tsc_resume(u64 tsc_before);

/* arch/desc.c */
/*
 * Installs the hypervisor's GDT (the firmware's descriptors kept at their
 * selectors, plus this CPU's TSS), TSS (IST stacks for #DF, NMI and #MC,
 * non-zero TR) and IDT (the firmware's vectors kept, 0-31 replaced by our
 * handlers) on the boot CPU.  Returns 0 or -ENOMEM.
 */
int desc_init(void);
/* Logs the boot CPU's tables as desc_init() made them (it runs before the
 * consoles exist, so it says nothing itself). */
void desc_report(void);
struct cpu_desc;
/* The same on the calling CPU with tables at d (desc_cpu_bytes() bytes,
 * 16-byte aligned; NULL: the boot CPU's static ones).  After
 * percpu_install(): the tables become this_cpu()->desc. */
int desc_init_cpu(struct cpu_desc *d);
/* After S3, on a CPU whose desc_init_cpu() ran before the sleep: its GDT,
 * TSS and the shared IDT loaded again (segment registers: the caller's). */
void desc_reload_cpu(void);
size_t desc_cpu_bytes(void);
/* Puts this CPU's firmware GDTR and IDTR back before returning to it. */
void desc_restore_firmware(void);
struct desc_ptr;
/* This CPU's firmware GDTR and IDTR as found by desc_init_cpu(). */
void desc_firmware_tables(struct desc_ptr *gdt, struct desc_ptr *idt);

/* arch/stacktrace.c */
/* Prints a symbolized backtrace starting at rip with frame pointer rbp. */
void dump_backtrace(u64 rip, u64 rbp);
void dump_stack(void);

enum cpu_vendor { VENDOR_OTHER, VENDOR_INTEL, VENDOR_AMD };

/*
 * What arch/ knows of the CPU.  Each vendor's own capabilities (the VMX
 * capability MSRs, CPUID 0x8000000a) are vmx/'s and svm/'s: vmx_caps() and
 * svm_caps().
 */
struct cpu_caps {
	enum cpu_vendor vendor;
	char vendor_id[13];
	u32 family, model, stepping;
	u32 maxphyaddr;
	bool la57;
	bool hypervisor;	/* CPUID.1:ECX[31]: we are a guest ourselves */
	char hv_signature[13];	/* CPUID 0x40000000, when hypervisor */
	/* Intel VMX */
	bool vmx;
	bool vmx_locked_off;	/* IA32_FEATURE_CONTROL locked without VMXON */
	bool vmx_fc_unlocked;
	/* AMD SVM */
	bool svm;
	bool svm_disabled;	/* VM_CR.SVMDIS */
};

/* arch/cpu_caps.c */
/* CPUID says the CPU has VMX / SVM (whatever the firmware did with it). */
bool cpu_has_vmx(void);
bool cpu_has_svm(void);
void cpu_caps_read(struct cpu_caps *c);
/* MAXPHYADDR: CPUID 0x80000008 EAX[7:0], 36 where the leaf is missing. */
unsigned int cpu_maxphyaddr(void);
/* The boot log's CPU lines (the vendors' own: virt_caps_print()). */
void cpu_caps_print(const struct cpu_caps *c, unsigned int cpu);
/*
 * Returns NULL when the CPU has VMX or SVM and the firmware left it on,
 * else a sentence saying why not.  (Whether the vendor's capabilities
 * suffice: virt_unusable_reason().)
 */
const char *cpu_caps_unusable_reason(const struct cpu_caps *c);

#endif
