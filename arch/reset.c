// SPDX-License-Identifier: MIT
/*
 * Resetting the machine from the hypervisor, whatever state it is in: the
 * PCI reset control register (0xcf9, a hard reset), then the keyboard
 * controller's reset line, then a triple fault (an empty IDT and an
 * exception), each tried only if the one before did not take.
 */
#include "arch/reset.h"
#include "arch/x86.h"

#define RESET_CONTROL 0xcf9
#define RESET_CONTROL_HARD 0x06		/* full reset, CPU reset */
#define KBC_COMMAND 0x64
#define KBC_PULSE_RESET 0xfe

void machine_reset(void)
{
	static const struct desc_ptr no_idt = { 0, 0 };
	unsigned int i;

	irq_disable();
	outb(RESET_CONTROL, RESET_CONTROL_HARD);
	for (i = 0; i < 1000000; i++)
		cpu_relax();
	outb(KBC_COMMAND, KBC_PULSE_RESET);
	for (i = 0; i < 1000000; i++)
		cpu_relax();
	lidt(&no_idt);
	__asm__ volatile("int3");
	for (;;)
		halt();
}
