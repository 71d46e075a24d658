# tests/host/: the fake arch that runs mm/ on Linux, and the TDP MMU's
# host-only tests, fuzzer and benchmark (sources in tests/host/mm/).
#   make host-mm-test   iterator, unit, model (ASan+UBSan) and threaded (TSan) tests
#   make fuzz           libFuzzer over the model's operation stream (clang),
#                       FUZZ_SECONDS=60 by default; ends with a summary line
#   make bench-mm       the TDP MMU benchmark table (optimized build)
#   make mutants        a mutation run of these tests over mm/'s TDP MMU
#                       (tools/mutants.py): MUTANTS_MAX=300 sampled mutants by
#                       default (0: all), MUTANTS_SEED=1; ends with its score
host-test-y += tests/host/fake_arch.o

# ktests that run on both sides: in the host unit-tests binary and in hv.efi.
tdp-unit-tests := tests/unit/test_tdp_iter.o tests/unit/test_tdp_mmu.o
unit-tests += $(tdp-unit-tests)
host-test-y += $(tdp-unit-tests)
hv-y += $(tdp-unit-tests)

HMM := $(BUILD)/host-mm
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60

mm-core-src := $(patsubst %.o,%.c,$(tdp-mmu-y)) tests/host/fake_arch.c lib/vsprintf.c \
	lib/string.c
mm-ktest-src := $(mm-core-src) lib/ktest.c mm/page_alloc.c tests/host/host_main.c tests/host/host_rt.c
mm-test-src := $(mm-ktest-src) tests/unit/test_tdp_iter.c tests/unit/test_tdp_mmu.c \
	tests/unit/test_tdp_lookup.c tests/unit/test_tdp_fast.c tests/unit/test_tdp_dirty_end.c \
	tests/unit/test_page_alloc.c \
	tests/host/mm/tdp_model.c tests/host/mm/test_tdp_model.c tests/host/mm/test_tdp_oracles.c \
	tests/host/mm/test_tdp_edges.c
mm-thread-src := $(mm-ktest-src) tests/host/mm/test_tdp_threads.c
mm-fuzz-src := $(mm-core-src) tests/host/host_rt.c tests/host/mm/tdp_model.c \
	tests/host/mm/fuzz_tdp.c
mm-bench-src := $(mm-core-src) tests/host/host_rt.c tests/host/mm/bench_tdp.c

MM_HOST_CFLAGS := $(HOST_CFLAGS) -Itests/host/mm
# Loops start on a 64-byte line: the time of a short loop on this kind of
# CPU moves by up to 40% with where in the line it starts, that is, with
# unrelated code before it.
MM_BENCH_CFLAGS := $(filter-out -O1,$(MM_HOST_CFLAGS)) -O2 -falign-loops=64
# The fuzzer: ASan and UBSan everywhere, coverage only in mm/, the code under
# test, and without compare tracing: the operations are hashed from the
# input bytes, so libFuzzer cannot map a compared value back to them.
MM_FUZZ_CFLAGS := $(filter-out -O1,$(MM_HOST_CFLAGS)) -O1 -Wno-unknown-warning-option \
	-fsanitize=address,undefined
MM_FUZZ_COV := -fsanitize=fuzzer-no-link -fno-sanitize-coverage=trace-cmp

$(HMM)/asan/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	$(Q)$(CC) $(MM_HOST_CFLAGS) $(HOST_SAN) -MMD -MP -c -o $@ $<

$(HMM)/tsan/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	$(Q)$(CC) $(MM_HOST_CFLAGS) -fsanitize=thread -MMD -MP -c -o $@ $<

$(HMM)/bench/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	$(Q)$(CC) $(MM_BENCH_CFLAGS) -MMD -MP -c -o $@ $<

$(HMM)/fuzz/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $@"
	$(Q)$(FUZZ_CC) $(MM_FUZZ_CFLAGS) -MMD -MP -c -o $@ $<

$(HMM)/fuzz/mm/%.o: mm/%.c
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $@"
	$(Q)$(FUZZ_CC) $(MM_FUZZ_CFLAGS) $(MM_FUZZ_COV) -MMD -MP -c -o $@ $<

$(HMM)/mm-tests: $(addprefix $(HMM)/asan/,$(mm-test-src:.c=.o))
	@echo "  HOSTLD  $@"
	$(Q)$(CC) $(HOST_SAN) -o $@ $^ $(HOST_LDLIBS)

$(HMM)/mm-threads: $(addprefix $(HMM)/tsan/,$(mm-thread-src:.c=.o))
	@echo "  HOSTLD  $@"
	$(Q)$(CC) -fsanitize=thread -o $@ $^ $(HOST_LDLIBS)

$(HMM)/bench-tdp: $(addprefix $(HMM)/bench/,$(mm-bench-src:.c=.o))
	@echo "  HOSTLD  $@"
	$(Q)$(CC) -o $@ $^ $(HOST_LDLIBS)

$(HMM)/fuzz-tdp: $(addprefix $(HMM)/fuzz/,$(mm-fuzz-src:.c=.o))
	@echo "  FUZZLD  $@"
	$(Q)$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $@ $^ $(HOST_LDLIBS)

.PHONY: host-mm-test fuzz bench-mm mutants
host-mm-test: $(HMM)/mm-tests $(HMM)/mm-threads
	$(Q)tests/host/mm/run-tests.sh $^

# -max_len: 1024 bytes are about the 64 operations an input may run.
fuzz: $(HMM)/fuzz-tdp
	$(Q)tests/host/mm/run-fuzz.sh $< $(FUZZ_SECONDS) $(HMM)/fuzz-corpus -max_len=1024

bench-mm: $(HMM)/bench-tdp
	$(Q)$<

# Not part of make test: about 15 minutes on two cores for 300 mutants.
MUTANTS_MAX ?= 300
MUTANTS_SEED ?= 1
mutants:
	$(Q)MUTANTS_MAX=$(MUTANTS_MAX) MUTANTS_SEED=$(MUTANTS_SEED) tools/mutants.py
