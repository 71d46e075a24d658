# arch/: x86 machinery both vendors share.
hv-y += arch/entry.o arch/desc.o arch/traps.o arch/stacktrace.o arch/tsc.o \
	arch/serial.o arch/cpu_caps.o arch/host_pt.o
