hv-y += vm/insn.o vm/insn_len.o
host-y += vm/insn.o vm/insn_len.o
host-test-y += tests/unit/test_insn.o
hv-y += tests/unit/test_insn.o
hv-y += vm/vm.o vm/vcpu.o vm/guest_mem.o vm/exit.o vm/hypercall.o vm/test_vm.o \
	vm/guest_rt.o vm/guest_lib.o vm/guest_fuzz.o vm/virt.o vm/mmio.o vm/pio.o \
	vm/platform.o vm/platform_mtrr.o vm/platform_exits.o vm/platform_sleep.o vm/platform_crashtest.o vm/platform_mem.o vm/platform_rt.o vm/platform_wake.o vm/platform_smp.o vm/platform_ipi.o vm/platform_guard.o vm/smp.o \
	vm/telemetry.o vm/tick.o vm/vtsc.o
# TDP stress (tdp_stress=): the engine
hv-y += vm/stress.o vm/stress_log.o vm/stress_platform.o
# The guest page-table walker: pure, so the host tests run it too.
hv-y += vm/gwalk.o
host-y += vm/gwalk.o
