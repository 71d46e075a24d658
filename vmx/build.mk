# vmx/: Intel VMX with EPT.
hv-y += vmx/vmx.o vmx/vmenter.o
