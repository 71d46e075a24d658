# tests/efi-probe/: probe.efi, an EFI program that checks the hypervisor from
# inside the platform VM (docs/platform.md).  `make` builds it next to
# hv.efi, with the same flags, linker script and gnu-efi runtime; it shares
# lib/'s formatter and string functions.  tests/efi-probe/mkprobe-img.sh
# puts it on a boot image behind `bluepill next=\probe.efi`.
probe-y := tests/efi-probe/probe.o tests/efi-probe/probe_mtrr.o tests/efi-probe/probe_guard.o \
	tests/efi-probe/probe_smi.o \
	tests/efi-probe/probe_rt.o lib/vsprintf.o lib/string.o
PROBE_OBJS := $(addprefix $(BUILD)/hv/,$(probe-y))

all: $(BUILD)/tests/probe.efi

$(PROBE_OBJS): Makefile | deps-build

$(BUILD)/tests/probe.so: $(PROBE_OBJS) linker.ld
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(LD) $(HV_LDFLAGS) $(EFI_LIB)/crt0-efi-x86_64.o $(PROBE_OBJS) \
		$(EFI_LIB)/libgnuefi.a -o $@

$(BUILD)/tests/probe.efi: $(BUILD)/tests/probe.so
	@echo "  EFI     $@"
	$(Q)$(OBJCOPY) -j .text -j .data -j .dynamic -j .dynsym -j .rel \
		-j .rela -j .reloc --target=efi-app-x86_64 --subsystem=10 $< $@
