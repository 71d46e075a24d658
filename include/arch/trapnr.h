/* SPDX-License-Identifier: MIT */
/* Exception vectors (Intel SDM vol. 3A table 6-1). */
#ifndef TDPVISOR_ARCH_TRAPNR_H
#define TDPVISOR_ARCH_TRAPNR_H

#define DE_VECTOR 0
#define DB_VECTOR 1
#define NMI_VECTOR 2
#define BP_VECTOR 3
#define UD_VECTOR 6
#define DF_VECTOR 8
#define TS_VECTOR 10
#define NP_VECTOR 11
#define SS_VECTOR 12
#define GP_VECTOR 13
#define PF_VECTOR 14
#define AC_VECTOR 17
#define MC_VECTOR 18
#define FIRST_EXTERNAL_VECTOR 32

/* The #PF error code (SDM vol. 3A 4.7). */
#define PF_ERR_P BIT(0)		/* a protection violation, not a missing page */
#define PF_ERR_W BIT(1)		/* a write */
#define PF_ERR_U BIT(2)		/* a user-mode access */
#define PF_ERR_RSVD BIT(3)	/* a reserved bit set in a paging-structure entry */
#define PF_ERR_I BIT(4)		/* an instruction fetch (SMEP, or NX in use) */

#endif
