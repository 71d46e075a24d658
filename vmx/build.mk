# vmx/: Intel VMX with EPT.
hv-y += vmx/vmx.o vmx/caps.o vmx/vmcs.o vmx/ept.o vmx/pml.o vmx/exit.o vmx/platform.o \
	vmx/vmenter.o
