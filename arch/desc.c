// SPDX-License-Identifier: MIT
/*
 * The host's descriptor tables.  UEFI firmware runs with its own GDT and IDT
 * and TR = 0; VMX needs a non-zero host TR, and our exception handlers must
 * catch the hypervisor's faults.  The firmware keeps running while boot
 * services are up (its timer interrupt among others), so its descriptors
 * stay valid: each CPU's GDT is a copy of the firmware's GDT on that CPU
 * with the CPU's own TSS appended (a TSS is busy once loaded: no two CPUs
 * can share one), with IST stacks of its own for #DF, NMI and #MC.  The
 * IDT is one for all CPUs: a copy of the boot CPU's firmware IDT with
 * vectors 0-31 pointed at ours.
 */
#include "arch/cpu.h"
#include "arch/percpu.h"
#include "arch/exception.h"
#include "arch/x86.h"
#include "arch/cr.h"
#include "bug.h"
#include "lib/printk.h"
#include "lib/string.h"
#include "errcode.h"

#define GDT_BYTES 4096
#define IDT_ENTRIES 256
#define IST_STACK_BYTES 8192
#define IST_DOUBLE_FAULT 1
#define IST_NMI 2
#define IST_MACHINE_CHECK 3

struct __attribute__((packed)) tss64 {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3;
	u16 iomap_base;
};

struct idt_gate {
	u16 offset_lo;
	u16 selector;
	u8 ist;
	u8 type_attr;
	u16 offset_mid;
	u32 offset_hi;
	u32 reserved;
};
_Static_assert(sizeof(struct idt_gate) == 16, "64-bit IDT gates are 16 bytes");

#define GATE_INTERRUPT_PRESENT 0x8e	/* P=1, DPL=0, type 0xE */
#define TSS_TYPE_AVAILABLE 0x9
#define DESC_PRESENT BIT_ULL(47)

/* One CPU's tables; the boot CPU's is static, the others' from the pool. */
struct cpu_desc {
	u8 gdt[GDT_BYTES];
	struct tss64 tss;
	struct desc_ptr fw_gdtr, fw_idtr;
	u16 fw_tr;
	u8 ist_stacks[3][IST_STACK_BYTES] __aligned(16);
};

static struct cpu_desc boot_cpu_desc __aligned(16);
static struct idt_gate idt[IDT_ENTRIES] __aligned(16);
static bool idt_built;
/* The host's IDT with every vector from 32 up taken by intr_take_stubs. */
static struct idt_gate take_idt[IDT_ENTRIES] __aligned(16);

static void set_gate(struct idt_gate *g, u64 handler, u16 cs, u8 ist)
{
	g->offset_lo = (u16)handler;
	g->offset_mid = (u16)(handler >> 16);
	g->offset_hi = (u32)(handler >> 32);
	g->selector = cs;
	g->ist = ist;
	g->type_attr = GATE_INTERRUPT_PRESENT;
	g->reserved = 0;
}

/* Writes a 16-byte available-TSS descriptor for d's TSS at its GDT + off. */
static void set_tss_desc(struct cpu_desc *d, u32 off)
{
	u64 base = (u64)(uintptr_t)&d->tss, limit = sizeof(d->tss) - 1;
	u64 lo = (limit & 0xffff) | ((base & 0xffffff) << 16) |
		 ((u64)TSS_TYPE_AVAILABLE << 40) | DESC_PRESENT |
		 (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	u64 hi = base >> 32;

	memcpy(d->gdt + off, &lo, 8);
	memcpy(d->gdt + off + 8, &hi, 8);
}

/* The shared IDT: the firmware's vectors, 0-31 ours. */
static void build_idt(const struct desc_ptr *fw_idtr, u16 cs)
{
	unsigned int i;

	memset(idt, 0, sizeof(idt));
	memcpy(idt, (void *)(uintptr_t)fw_idtr->base, (size_t)fw_idtr->limit + 1);
	for (i = 0; i < 32; i++) {
		u8 ist = i == 8 ? IST_DOUBLE_FAULT : i == 2 ? IST_NMI :
			 i == 18 ? IST_MACHINE_CHECK : 0;

		set_gate(&idt[i], (u64)(uintptr_t)(exception_stubs + i * EXCEPTION_STUB_SIZE), cs, ist);
	}
	memcpy(take_idt, idt, 32 * sizeof(idt[0]));
	for (i = 32; i < IDT_ENTRIES; i++)
		set_gate(&take_idt[i], (u64)(uintptr_t)(intr_take_stubs + i * INTR_TAKE_STUB_SIZE),
			 cs, 0);
	idt_built = true;
}

int desc_take_interrupt(void)
{
	const struct desc_ptr take = { sizeof(take_idt) - 1, (u64)(uintptr_t)take_idt };
	const struct desc_ptr host = { sizeof(idt) - 1, (u64)(uintptr_t)idt };

	BUG_ON(read_rflags() & X86_RFLAGS_IF);
	return intr_take(&take, &host);
}

size_t desc_cpu_bytes(void)
{
	return sizeof(struct cpu_desc);
}

/* What desc_report() says of the boot CPU's tables (made before any console). */
static char boot_desc_line[96];

int desc_init_cpu(struct cpu_desc *d)
{
	struct desc_ptr gdtr, idtr;
	u32 fw_gdt_bytes, tss_off, i;
	u16 cs = read_cs();

	if (!d)
		d = &boot_cpu_desc;
	sgdt(&d->fw_gdtr);
	sidt(&d->fw_idtr);
	d->fw_tr = str();
	fw_gdt_bytes = (u32)d->fw_gdtr.limit + 1;
	tss_off = ALIGN_UP(fw_gdt_bytes, 16);
	if (tss_off + 16 > GDT_BYTES || d->fw_idtr.limit + 1u > sizeof(idt)) {
		pr_err("cpu%u: desc: firmware GDT (%u bytes) or IDT (%u bytes) too large\n",
		       this_cpu_id(), fw_gdt_bytes, d->fw_idtr.limit + 1u);
		return -ENOMEM;
	}
	memcpy(d->gdt, (void *)(uintptr_t)d->fw_gdtr.base, fw_gdt_bytes);
	set_tss_desc(d, tss_off);

	memset(&d->tss, 0, sizeof(d->tss));
	d->tss.iomap_base = sizeof(d->tss);
	for (i = 0; i < 3; i++)
		d->tss.ist[i] = (u64)(uintptr_t)(d->ist_stacks[i] + IST_STACK_BYTES);
	if (!idt_built)
		build_idt(&d->fw_idtr, cs);

	gdtr.base = (u64)(uintptr_t)d->gdt;
	gdtr.limit = (u16)(tss_off + 16 - 1);
	idtr.base = (u64)(uintptr_t)idt;
	idtr.limit = sizeof(idt) - 1;
	lgdt(&gdtr);
	ltr((u16)tss_off);
	lidt(&idtr);
	this_cpu()->desc = d;
	if (d == &boot_cpu_desc)
		snprintf(boot_desc_line, sizeof(boot_desc_line), "GDT %u bytes (firmware %u), TR "
			 "0x%x, IDT 256 gates, CS 0x%x", tss_off + 16, fw_gdt_bytes, tss_off, cs);
	return 0;
}

int desc_init(void)
{
	return desc_init_cpu(NULL);
}

void desc_report(void)
{
	pr_info("desc: %s\n", boot_desc_line);
}

void desc_reload_cpu(void)
{
	struct cpu_desc *d = this_cpu()->desc;
	u32 tss_off = ALIGN_UP((u32)d->fw_gdtr.limit + 1, 16);
	struct desc_ptr gdtr = { .base = (u64)(uintptr_t)d->gdt, .limit = (u16)(tss_off + 16 - 1) };
	struct desc_ptr idtr = { .base = (u64)(uintptr_t)idt, .limit = sizeof(idt) - 1 };

	/* LTR wants the TSS descriptor available: the last LTR left it busy. */
	d->gdt[tss_off + 5] = (u8)((d->gdt[tss_off + 5] & ~0xfu) | TSS_TYPE_AVAILABLE);
	lgdt(&gdtr);
	ltr((u16)tss_off);
	lidt(&idtr);
}

void desc_firmware_tables(struct desc_ptr *fw_gdt, struct desc_ptr *fw_idt)
{
	const struct cpu_desc *d = this_cpu()->desc;

	*fw_gdt = d->fw_gdtr;
	*fw_idt = d->fw_idtr;
}

/*
 * The firmware's GDTR, IDTR and TR back.  A firmware that ran with TR = 0
 * (OVMF does) keeps our selector, as LTR cannot load a null one: it uses no
 * IST and no privilege change, so its CPUs never read the TSS, and the slot
 * is beyond its GDT's limit.  A firmware TSS is loaded again: LTR wants its
 * descriptor available, so the busy bit the first LTR set is cleared.
 */
void desc_restore_firmware(void)
{
	const struct cpu_desc *d = this_cpu()->desc;

	if (!d)
		return;
	lidt(&d->fw_idtr);
	lgdt(&d->fw_gdtr);
	if (d->fw_tr && (u32)(d->fw_tr & ~7u) + 16 <= (u32)d->fw_gdtr.limit + 1u) {
		u8 *type = (u8 *)(uintptr_t)d->fw_gdtr.base + (d->fw_tr & ~7u) + 5;

		*type = (u8)((*type & ~0xfu) | TSS_TYPE_AVAILABLE);
		ltr(d->fw_tr);
	}
}
