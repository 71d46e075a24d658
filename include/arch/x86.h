/* SPDX-License-Identifier: MIT */
/*
 * x86 instruction accessors.  Each is one line of inline assembly; no other
 * file in the project contains inline assembly except the VMX/SVM accessor
 * headers.  Anything longer lives in a .asm file.
 */
#ifndef TDPVISOR_X86_H
#define TDPVISOR_X86_H

#include "types.h"
#include "atomic.h"	/* cpu_relax() */
#include "arch/cr.h"
#include "arch/cpuid.h"	/* struct cpuid_regs */

static inline struct cpuid_regs cpuid_count(u32 leaf, u32 subleaf)
{
	struct cpuid_regs r;

	__asm__ volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			 : "a"(leaf), "c"(subleaf));
	return r;
}

static inline struct cpuid_regs cpuid(u32 leaf)
{
	return cpuid_count(leaf, 0);
}

static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((u64)hi << 32) | lo;
}

static inline void wrmsr(u32 msr, u64 v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}

/* rdmsr that survives a #GP: returns false (and leaves *v alone) on fault.
 * Implemented in arch/entry.asm with an exception fixup. */
bool rdmsr_safe(u32 msr, u64 *v);
/* An MSR that may not exist on this CPU: its value, or 0 where it faults. */
static inline u64 rdmsr_or_zero(u32 msr)
{
	u64 v = 0;

	return rdmsr_safe(msr, &v) ? v : 0;
}
/* wrmsr and xsetbv that survive a #GP (or #UD): false when they fault. */
bool wrmsr_safe(u32 msr, u64 v);
bool xsetbv_safe(u32 xcr, u64 v);
bool write_cr4_safe(u64 v);
/* Copies n bytes in order; a fault (#PF, #GP) stops the copy.  Returns 0,
 * or the number of bytes left uncopied from the faulting one on. */
size_t memcpy_safe(void *dst, const void *src, size_t n);

static inline u64 xgetbv(u32 xcr)
{
	u32 lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(xcr));
	return ((u64)hi << 32) | lo;
}

static inline void invd(void)
{
	__asm__ volatile("invd" ::: "memory");
}

static inline void wbinvd(void)
{
	__asm__ volatile("wbinvd" ::: "memory");
}

static inline u64 rdtsc(void)
{
	u32 lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

static inline u8 inb(u16 port)
{
	u8 v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outb(u16 port, u8 v)
{
	__asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}

static inline u16 inw(u16 port)
{
	u16 v;

	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline u32 inl(u16 port)
{
	u32 v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outl(u16 port, u32 v)
{
	__asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port));
}

static inline void outw(u16 port, u16 v)
{
	__asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port));
}

static inline u64 read_cr0(void) { u64 v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline u64 read_cr2(void) { u64 v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline u64 read_cr3(void) { u64 v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline u64 read_cr4(void) { u64 v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void write_cr0(u64 v) { __asm__ volatile("mov %0, %%cr0" ::"r"(v) : "memory"); }
static inline void write_cr2(u64 v) { __asm__ volatile("mov %0, %%cr2" ::"r"(v) : "memory"); }
static inline void write_cr4(u64 v) { __asm__ volatile("mov %0, %%cr4" ::"r"(v) : "memory"); }

static inline u64 read_rflags(void)
{
	u64 v;

	__asm__ volatile("pushfq; pop %0" : "=r"(v));
	return v;
}

static inline u64 read_rbp(void) { u64 v; __asm__ volatile("mov %%rbp, %0" : "=r"(v)); return v; }
static inline void irq_disable(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void irq_enable(void) { __asm__ volatile("sti" ::: "memory"); }
static inline u64 read_dr6(void)
{
	u64 v;

	__asm__ volatile("mov %%dr6, %0" : "=r"(v));
	return v;
}

static inline void write_dr6(u64 v) { __asm__ volatile("mov %0, %%dr6" ::"r"(v)); }

static inline u64 read_dr7(void)
{
	u64 v;

	__asm__ volatile("mov %%dr7, %0" : "=r"(v));
	return v;
}

#define DR7_ENABLE_MASK 0xffULL	/* L0-L3, G0-G3: a breakpoint is armed */

static inline void halt(void) { __asm__ volatile("hlt" ::: "memory"); }

struct __attribute__((packed)) desc_ptr {
	u16 limit;
	u64 base;
};

/*
 * A code or data segment descriptor, decoded: base, limit in bytes (scaled
 * by G), the access byte (type, S, DPL, P) and the flags nibble (AVL, L,
 * D/B, G).  The vendors pack the last two into their own layouts.
 */
struct seg_desc {
	u64 base;
	u32 limit;
	u8 access, flags;
};

/* Decodes the descriptor of selector sel in the GDT at gdt. */
static inline struct seg_desc gdt_seg_desc(const u8 *gdt, u16 sel)
{
	struct seg_desc s;
	u64 d;

	__builtin_memcpy(&d, gdt + (sel & ~7u), 8);
	s.base = ((d >> 16) & 0xffffff) | ((d >> 32) & 0xff000000);
	s.limit = (u32)((d & 0xffff) | ((d >> 32) & 0xf0000));
	s.access = (u8)(d >> 40);
	s.flags = (u8)((d >> 52) & 0xf);
	if (s.flags & 0x8)	/* G: 4 KiB granularity */
		s.limit = (s.limit << 12) | 0xfff;
	return s;
}

static inline void sgdt(struct desc_ptr *d) { __asm__ volatile("sgdt %0" : "=m"(*d)); }
static inline void sidt(struct desc_ptr *d) { __asm__ volatile("sidt %0" : "=m"(*d)); }
static inline void lgdt(const struct desc_ptr *d) { __asm__ volatile("lgdt %0" ::"m"(*d)); }
static inline void lidt(const struct desc_ptr *d) { __asm__ volatile("lidt %0" ::"m"(*d)); }
static inline void ltr(u16 sel) { __asm__ volatile("ltr %0" ::"r"(sel)); }
static inline u16 str(void) { u16 v; __asm__ volatile("str %0" : "=r"(v)); return v; }
static inline u16 read_cs(void) { u16 v; __asm__ volatile("mov %%cs, %0" : "=r"(v)); return v; }
static inline u16 read_ss(void) { u16 v; __asm__ volatile("mov %%ss, %0" : "=r"(v)); return v; }
static inline u16 read_ds(void) { u16 v; __asm__ volatile("mov %%ds, %0" : "=r"(v)); return v; }
static inline u16 read_es(void) { u16 v; __asm__ volatile("mov %%es, %0" : "=r"(v)); return v; }
static inline u16 read_fs(void) { u16 v; __asm__ volatile("mov %%fs, %0" : "=r"(v)); return v; }
static inline u16 read_gs(void) { u16 v; __asm__ volatile("mov %%gs, %0" : "=r"(v)); return v; }
static inline void write_cr3(u64 v) { __asm__ volatile("mov %0, %%cr3" ::"r"(v) : "memory"); }

/* Bochs' magic breakpoint (magic_break: enabled=1 stops at it). */
static inline void bochs_magic_break(void) { __asm__ volatile("xchg %%bx, %%bx" ::: "memory"); }

#endif
