/* SPDX-License-Identifier: MIT */
/* The hypervisor's own use of the local APIC (arch/apic.c). */
#ifndef TDPVISOR_ARCH_APIC_H
#define TDPVISOR_ARCH_APIC_H

#include "types.h"

/* The xAPIC page's interrupt command register and its fields. */
#define APIC_ICR_LO 0x300
#define APIC_ICR_HI 0x310
#define ICR_DM_SHIFT 8
#define ICR_DM_NMI 4
#define ICR_DM_INIT 5
#define ICR_DM_SIPI 6
#define ICR_DEST_LOGICAL BIT(11)
#define ICR_DELIVERY_PENDING BIT(12)
#define ICR_LEVEL_ASSERT BIT(14)
#define ICR_TRIGGER_LEVEL BIT(15)
#define ICR_SHORTHAND_SHIFT 18

/*
 * Sends an NMI to the CPU with local APIC ID apic_id, through this CPU's
 * APIC in the mode it is in (x2APIC: the ICR MSR; xAPIC: the ICR at the
 * APIC base, its high half put back as it was).  The hypervisor's "kick":
 * with NMI exits on, it makes a CPU that runs a guest exit.
 */
void apic_send_nmi(u32 apic_id);

/*
 * Starts the CPU with local APIC ID apic_id at vector:0000 in real mode:
 * INIT, 10 ms, SIPI, 200 us, SIPI (the SDM's MP start-up sequence).  For
 * CPUs that are not running a guest (S3 wake-up: vm/platform_sleep.c).
 */
void apic_send_init_sipi(u32 apic_id, u8 vector);

#endif
