/* SPDX-License-Identifier: MIT */
/* hvprobe: the platform guest's own check that the hypervisor is hidden. */
#ifndef TDPVISOR_BOOT_HVPROBE_H
#define TDPVISOR_BOOT_HVPROBE_H

struct cpu_caps;

/* Returns 0 when every hypervisor range is out of reach, else -1. */
int hvprobe(const struct cpu_caps *caps);

#endif
