hv-y += vm/insn.o
host-y += vm/insn.o
host-test-y += tests/unit/test_insn.o
hv-y += tests/unit/test_insn.o
