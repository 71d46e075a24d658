# tests/bench/: in-hypervisor benchmarks (bench= on hv.efi's command line).
hv-y += tests/bench/bench_dirty_log_perf.o tests/bench/bench_smp_faults.o
