# tests/selftests/: tests that run guests (hv.efi only).
hv-y += tests/selftests/test_basic.o tests/selftests/test_demand_paging.o \
	tests/selftests/test_zap.o tests/selftests/test_access.o tests/selftests/test_mmio.o \
	tests/selftests/test_bad_guest.o tests/selftests/test_dirty_log.o
hv-y += tests/selftests/test_gpa_mapping.o tests/selftests/test_smp.o tests/selftests/test_step.o \
	tests/selftests/test_pio.o tests/selftests/test_fuzz_guest.o
hv-y += tests/selftests/test_stress.o tests/selftests/test_mce.o tests/selftests/test_sleep.o
