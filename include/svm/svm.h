/* SPDX-License-Identifier: MIT */
/* AMD SVM (svm/): the virt_ops for AMD CPUs and the VMRUN entry point. */
#ifndef TDPVISOR_SVM_SVM_H
#define TDPVISOR_SVM_SVM_H

#include "types.h"

/* svm/vmrun.asm: enters the guest with gprs loaded, stores them on exit. */
void svm_vmrun(u64 *gprs, u64 guest_vmcb_pa, u64 host_vmcb_pa);
void svm_vmsave(u64 vmcb_pa);

#endif
