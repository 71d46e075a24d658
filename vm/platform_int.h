/* SPDX-License-Identifier: MIT */
/* What vm/platform*.c share. */
#ifndef TDPVISOR_VM_PLATFORM_INT_H
#define TDPVISOR_VM_PLATFORM_INT_H

#include "types.h"
#include "compiler.h"
#include "vm/platform.h"

/* Gives CPU id a host stack (the boot CPU's comes with platform_prepare()).
 * Runs on the boot CPU.  0 or -ENOMEM. */
int platform_prepare_cpu(unsigned int id);
/* On the CPU itself, after desc_init_cpu(): records its firmware GDT and
 * IDT for its guest and returns its launch arguments. */
struct platform_launch_args *platform_cpu_ready(void);
/* True once CPU id's vCPU has been made and runs. */
bool platform_cpu_is_guest(unsigned int id);

/* vm/platform_mem.c: the platform VM's memory slots and hidden ranges. */
struct vm;
struct vm_mmio_dev;
struct vcpu;
/* Slots of [0, end): identity, the hypervisor's ranges as scratch slots
 * (the pool, the image and those platform_hide() added), and dev (when
 * not NULL).  0 or <0. */
int platform_mem_setup(struct vm *vm, u64 end, struct vm_mmio_dev *dev);
/* The log line that says what is hidden, and where the scratch page is. */
void platform_mem_print(void);
/* The kind's scratch_mapped(): a first touch of a hidden page. */
void platform_scratch_mapped(struct vcpu *v, gpa_t gpa, u32 access);
/* HC_HV_MEMORY: the hidden ranges, written to guest-physical gpa. */
s64 platform_hc_hv_memory(struct vcpu *v, gpa_t gpa);
/* Pages of the hidden ranges the guest has touched so far. */
u64 platform_hidden_pages(void);
/* The hidden ranges (after platform_mem_setup()). */
struct guard_ranges;
void platform_mem_ranges(struct guard_ranges *out);

/* vm/platform_guard.c: the guarded MSRs (docs/platform.md "Guards"). */
/* After platform_mem_setup(): records the hidden ranges and phys_bits and
 * appends the MSRs whose reads and writes must exit to msrs[*n] (max). */
void platform_guard_setup(unsigned int phys_bits, u32 *msrs, unsigned int *n, unsigned int max);
/* A guest RDMSR/WRMSR of a guarded MSR: 0, -EPERM (#GP), or -ENOENT when
 * msr is not one of them. */
int platform_guard_msr(struct vcpu *v, u32 msr, bool write, u64 *val);
/* The ranges the guards keep (the hidden ranges). */
const struct guard_ranges *platform_guard_ranges(void);
/* Writes refused so far. */
u64 platform_guard_refused(void);
/* The kind's xsetbv(): XCR0 set for real, to values the CPU accepts only
 * (-EPERM: #GP, as the CPU would give). */
int platform_guard_xsetbv(struct vcpu *v, u32 xcr, u64 val);
/* HC_HOST_MEMTYPE: this CPU's hardware MTRR type at pa (HC_MT_*), or <0. */
s64 platform_guard_hc_host_memtype(u64 pa, unsigned int phys_bits);

/* vm/platform_ipi.c: INIT and SIPI between the platform VM's CPUs. */
struct vm_mmio_dev;
struct vcpu;
/* Traps the local APIC (returned: the device to add to the VM) for the
 * vCPUs cpu_vcpus[] (by CPU id; cpu_is_guest[id]: that one runs) and adds
 * the x2APIC ICR to msrs[*nmsrs] (at most max), whatever mode it is in. */
struct vm_mmio_dev *platform_ipi_setup(struct vcpu *cpu_vcpus, const bool *cpu_is_guest,
				       unsigned int phys_bits, u32 *msrs, unsigned int *nmsrs,
				       unsigned int max);
/* A guest WRMSR: true when it was the x2APIC ICR and an INIT/SIPI done here. */
bool platform_ipi_msr(u32 msr, u64 val);
/* Called before each entry with a request and while a CPU waits for a
 * SIPI (the S3 sleep parks CPUs there: platform_sleep_park()). */
void platform_ipi_set_wait_hook(void (*hook)(struct vcpu *v));
/* A real INIT on v's own CPU (an AP): the INIT state from its next entry. */
void platform_ipi_self_init(struct vcpu *v);
/* Before an entry with v->requests set: INIT, wait for SIPI, start. */
void platform_before_entry(struct vcpu *v);
u64 platform_ipi_inits(unsigned int id);
u64 platform_ipi_sipis(unsigned int id);

/* vm/platform_mtrr.c: the MTRRs three ways (the guest's view, the TDP
 * leaves', the hardware's). */
enum tdp_memtype;
/* Reads this CPU's MTRRs and lists the MSRs in msrs[0..max): how many. */
unsigned int platform_mtrr_setup(unsigned int phys_bits, u32 *msrs, unsigned int max);
bool platform_mtrr_msr(u32 msr);
/* A guest access to an MTRR: 0 or -EPERM (#GP). */
int platform_mtrr(struct vcpu *v, u32 msr, bool write, u64 *val);
/* The TDP MMU's memtype callback (a tdp_memtype_fn). */
bool platform_memtype(void *ctx, gfn_t gfn, u64 npages, enum tdp_memtype *mt);
/* The guest's MTRRs keep every hidden range WB. */
bool platform_mtrr_keeps_wb(void);
/* Guest configurations the hardware did not take. */
u64 platform_mtrr_held(void);
/* After S3: this CPU's MTRRs back to what the hypervisor keeps. */
void platform_mtrr_restore(void);

/* vm/platform_sleep.c: ACPI S3.  cpu_vcpus/cpu_is_guest/cpu_launch: by CPU
 * id (the last for the host stacks); run_vcpu runs a vCPU on its CPU for
 * good; awake: s3=awake. */
struct acpi_power_ports;
void platform_sleep_setup(const struct acpi_power_ports *pp, struct vcpu *cpu_vcpus,
			  const bool *cpu_is_guest, const struct platform_launch_args *cpu_launch,
			  void (*run_vcpu)(struct vcpu *v), bool awake);
/* While a sleep parks the CPUs, parks v's CPU (from before an entry),
 * returning if the machine stays awake; else returns at once. */
void platform_sleep_park(struct vcpu *v);
/* The trampoline's C steps (vm/platform_wake.asm). */
u64 platform_wake_cpu(void);
__noreturn void platform_wake_run(void);
/* What a guest's write of val (size bytes) to port is: not a PM1 write
 * with SLP_EN, the S3 sleep (*pm1b: to PM1b), or another sleeping state. */
#define PLATFORM_SLEEP_NONE 0
#define PLATFORM_SLEEP_S3 1
#define PLATFORM_SLEEP_OTHER 2
int platform_sleep_state(u16 port, u8 size, u32 val, bool *pm1b);
/* The S3 write on v: handled here (the caller does not perform it). */
bool platform_sleep(struct vcpu *v, bool pm1b);

/* vm/platform_exits.c: what the exits were, beyond their reason. */
struct vm_stats;
/* Counts an I/O exit (port, size in bytes) by the first byte of
 * ports[0..n) it covers: n is at most PLATFORM_IO_PORTS_MAX. */
#define PLATFORM_IO_PORTS_MAX 8
void platform_io_count(const u16 *ports, unsigned int n, u16 port, u8 size);
/* The log lines of the VM's totals s: tick, exits per reason, I/O exits by
 * intercepted byte (of ports[0..n)), CPUID exits by leaf, mappings, guest
 * page walks, MTRR writes (mtrr_held of them kept off the hardware), the
 * guarded MSR writes refused. */
void platform_exits_print(const struct vm_stats *s, const u16 *ports, unsigned int n,
			  u64 mtrr_held);
/* vm/platform_crashtest.c: crashtest=panic; the boot CPU's vCPU starts (id),
 * then at each tick. */
void platform_crashtest_start(unsigned int id);
void platform_crashtest_tick(struct vcpu *v);

#endif
