# mm/: the page allocator and the vendor-neutral TDP MMU.
# hv-y: objects linked into hv.efi.  host-y: objects also built into the host
# test binaries (with the fake arch under tests/host/).
hv-y += mm/page_alloc.o
host-y += mm/page_alloc.o
# The TDP MMU (include/mm/tdp_mmu.h): a core, and features that call the
# core and never each other (docs/tdp-mmu.md, "Layers"; tools/
# check-mm-layers.sh reads these two lists, one line each, and checks the
# objects against them).  hooks_hv.c is the hypervisor's side of
# include/mm/mm_hooks.h (the host's is tests/host/fake_arch.c).
tdp-core-y := mm/spte.o mm/tdp_iter.o mm/tdp_reclaim.o mm/tdp_core.o mm/tdp_root.o
tdp-feature-y := mm/tdp_fault.o mm/tdp_zap.o mm/tdp_dirty.o mm/tdp_age.o mm/tdp_lookup.o mm/tdp_recover.o mm/tdp_ring.o
tdp-mmu-y := $(tdp-core-y) $(tdp-feature-y)
hv-y += $(tdp-mmu-y) mm/hooks_hv.o
host-y += $(tdp-mmu-y)

# make check-mm-layers: builds the hypervisor's mm/, vmx/ and svm/ objects
# and checks the layers of mm/ on their symbol tables.  Only TAP lines go
# to stdout (the build's own output goes to stderr), so that they can be
# appended to a TAP file.
.PHONY: check-mm-layers
check-mm-layers:
	$(Q)$(MAKE) --no-print-directory \
		$(filter $(BUILD)/hv/mm/% $(BUILD)/hv/vmx/% $(BUILD)/hv/svm/%,$(HV_OBJS)) >&2
	$(Q)tools/check-mm-layers.sh $(BUILD)/hv/mm
