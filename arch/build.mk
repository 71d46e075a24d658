# arch/: x86 machinery both vendors share.
hv-y += arch/entry.o arch/intr_take.o arch/percpu.o arch/desc.o arch/traps.o arch/stacktrace.o arch/tsc.o \
	arch/gdbstub_x86.o \
	arch/serial.o arch/uart.o arch/pci.o arch/cpu_caps.o arch/host_pt.o arch/apic.o arch/reset.o
# Architectural control-register checks: pure, so the host tests run them too.
hv-y += arch/cr.o
host-y += arch/cr.o
# MTRR snapshots: the pure queries also run in the host tests; the MSR
# reading (arch/mtrr_msr.c) is hv.efi's only.
hv-y += arch/mtrr.o arch/mtrr_msr.o arch/mce.o
host-y += arch/mtrr.o
# The guards' checks (APIC base, PT, AMD's decoding MSRs, MTRRs, EFER,
# FEATURE_CONTROL): pure, so the host tests run them too.
hv-y += arch/guard.o
host-y += arch/guard.o
# 16550 register access: the host tests drive a UART made of memory.
host-y += arch/uart.o
