# tdpvisor — top-level build.  Every developer task is a target here:
#   make            build/hv.efi (+ build/hv.debug.elf with full symbols)
#   make test       everything: host unit tests, QEMU and Bochs boots
#   make run        boot in QEMU (AMD SVM), serial on the terminal
#   make run-bochs  the same under Bochs (Intel VMX)
#   make debug      QEMU waiting for gdb; see build/gdbinit
#   make debug-serial  gdb attached to hv.efi's own stub through COM2
#   make usb        build/hv-usb.img for a USB stick
#   make bench      benchmarks (figures and ratios)
#   make telemetry  Linux + dirtier with tdp_telemetry=1s: build/telemetry/
#                   telemetry.txt (table) and telemetry.png (gnuplot)
#   make fuzz-guest random hostile guests: SECONDS=N [SEED=S] [EMU=qemu|bochs]
#   make V=1        show the commands
# Each folder lists its objects once, in its build.mk.

.DEFAULT_GOAL := all
V ?= 0
ifeq ($(V),1)
Q :=
else
Q := @
endif

BUILD := build
CC := gcc
LD := ld
NASM := nasm
OBJCOPY := objcopy
NM := nm
EFI_INC := /usr/include/efi
EFI_LIB := /usr/lib
VERSION := 0.1.0

WARN := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter

# The hypervisor: freestanding, position independent (relocated by
# gnu-efi's _relocate), no SSE/FPU so host code never touches guest state.
HV_CFLAGS := -std=gnu11 -O2 -g $(WARN) -ffreestanding -fno-builtin \
	-fno-stack-protector -fno-strict-aliasing -fpic -fvisibility=hidden \
	-fshort-wchar -mno-red-zone -mgeneral-regs-only -fno-omit-frame-pointer -fno-optimize-sibling-calls \
	-fno-asynchronous-unwind-tables -fno-tree-loop-distribute-patterns -mcmodel=small \
	-DGNU_EFI_USE_MS_ABI -DHV_VERSION=\"$(VERSION)\" \
	-Iinclude -I$(BUILD)/include -I$(EFI_INC) -I$(EFI_INC)/x86_64
HV_NASMFLAGS := -f elf64 -g -F dwarf -I$(BUILD)/include/ -Iinclude/
HV_LDFLAGS := -nostdlib -znocombreloc -shared -Bsymbolic --no-undefined \
	-z noexecstack -T linker.ld

# Host test builds: the same mm/ and lib/ sources against a fake arch.
HOST_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
HOST_CFLAGS := -std=gnu11 -O1 -g $(WARN) -fno-omit-frame-pointer \
	-DHOST_TEST -Iinclude -Itests/host -include tests/host/host_names.h
HOST_LDLIBS := -lpthread

hv-y :=
host-y :=
host-test-y :=
include boot/build.mk arch/build.mk lib/build.mk mm/build.mk tests/build.mk
-include $(sort $(wildcard tests/*/build.mk vm/build.mk svm/build.mk vmx/build.mk))

HV_OBJS := $(addprefix $(BUILD)/hv/,$(hv-y))
HOST_OBJS := $(addprefix $(BUILD)/host/,$(host-y) $(host-test-y))

.PHONY: all clean test host-test run run-bochs debug debug-serial usb bench fuzz-guest deps-build deps-emu \
	test-linux-bochs test-telemetry-bochs telemetry deps-plot \
	test-stress-bochs test-kvm
all: $(BUILD)/hv.efi

# Debian packages, installed when run as root, else the apt-get line is shown.
PKGS_BUILD := gcc make binutils nasm gnu-efi
PKGS_EMU := qemu-system-x86 ovmf bochs bochsbios bochs-term seabios mtools \
	dosfstools fdisk gdb bc socat python3
PKGS_PLOT := gnuplot-nox
deps-build:
	$(Q)tools/deps.sh $(PKGS_BUILD)
deps-plot:
	$(Q)tools/deps.sh $(PKGS_PLOT)
deps-emu: deps-build
	$(Q)tools/deps.sh $(PKGS_EMU)

# The USB image: BOOTX64.EFI plus hv.cfg with the command line for real
# hardware (serial and the firmware's screen): the firmware then boots its
# next boot option -- the machine's own OS -- as the hypervisor's guest.
# hvbit=off: the OS sees no hypervisor bit, so it loads its early microcode
# updates as on bare metal (Linux skips them under a hypervisor); see
# docs/platform.md, "Guards".  hv.cfg is this line, then tools/hv-usb.cfg:
# commented examples (next= targets, consoles without a COM port, panic=,
# hvbit=, smp=, gdb=) that tests/host/test_usb_cfg.c parses one by one;
# docs/real-hardware.md.
USB_CMDLINE := loglevel=7 console=ttyS0,115200 console=efi bluepill panic=reset hvbit=off
# make run: serial only (OVMF already mirrors its text console onto the
# serial port), and the default guest, a Debian kernel with a busybox shell.
RUN_CMDLINE := loglevel=7 console=ttyS0,115200 bluepill next=\vmlinuz \
	next_args="initrd=\initrd.img console=ttyS0"
# make run: 2 CPUs, both guests (RUN_SMP=1 for one).
RUN_SMP ?= 2
# make run: KVM where /dev/kvm is usable (nested VMX/SVM), else TCG.
RUN_ACCEL ?= auto
# make run-bochs: Bochs is too slow for Linux; it shows the boot and returns.
RUN_BOCHS_CMDLINE := loglevel=7 console=ttyS0,115200

$(BUILD)/hv-usb.img: $(BUILD)/hv.efi tools/mkimage.sh tools/hv-usb.cfg Makefile
	@echo "  IMAGE   $@"
	$(Q)tools/mkimage.sh $@ --efi $< --cfg '$(USB_CMDLINE)' --cfg-file tools/hv-usb.cfg

$(BUILD)/hv-run.img: $(BUILD)/hv.efi tools/mkimage.sh $(BUILD)/guest/vmlinuz $(BUILD)/guest/initrd.img
	@echo "  IMAGE   $@"
	$(Q)tools/mkimage.sh $@ --efi $< --cfg '$(RUN_CMDLINE)' \
		--add '$(BUILD)/guest/vmlinuz=\vmlinuz' --add '$(BUILD)/guest/initrd.img=\initrd.img'

$(BUILD)/hv-run-bochs.img: $(BUILD)/hv.efi tools/mkimage.sh
	@echo "  IMAGE   $@"
	$(Q)tools/mkimage.sh $@ --efi $< --cfg '$(RUN_BOCHS_CMDLINE)'

$(BUILD)/hv-debug.img: $(BUILD)/hv.efi tools/mkimage.sh
	@echo "  IMAGE   $@"
	$(Q)tools/mkimage.sh $@ --efi $< --cfg "$(RUN_BOCHS_CMDLINE) debugwait"

# make debug-serial: hv.efi's own gdb stub on COM2, waiting at the start
# (the image is made each time: DEBUG_SERIAL_CMDLINE=... boots other options).
DEBUG_SERIAL_CMDLINE := $(RUN_BOCHS_CMDLINE) gdb=ttyS1 gdbwait

usb: deps-emu $(BUILD)/hv-usb.img
	@echo "Wrote $(BUILD)/hv-usb.img; see README.md for writing it to a stick."

run: deps-emu $(BUILD)/hv-run.img
	$(Q)tests/emu/run-qemu.sh --image $(BUILD)/hv-run.img --mem 1024 --smp $(RUN_SMP) --interactive \
		--accel $(RUN_ACCEL)

run-bochs: deps-emu $(BUILD)/hv-run-bochs.img
	$(Q)tests/emu/run-bochs.sh --image $(BUILD)/hv-run-bochs.img --interactive

debug: deps-emu $(BUILD)/hv-debug.img
	$(Q)tools/debug.sh $(BUILD)/hv-debug.img $(BUILD)/hv.debug.elf

debug-serial: deps-emu $(BUILD)/hv.efi
	@echo "  IMAGE   $(BUILD)/hv-debug-serial.img"
	$(Q)tools/mkimage.sh $(BUILD)/hv-debug-serial.img --efi $(BUILD)/hv.efi \
		--cfg "$(DEBUG_SERIAL_CMDLINE)" > /dev/null
	$(Q)tools/debug-serial.sh $(BUILD)/hv-debug-serial.img $(BUILD)/hv.debug.elf

test: deps-emu
	$(Q)tests/run-all.sh

bench: deps-emu
	$(Q)tests/bench/run-bench.sh

# The random-guest fuzzer for SECONDS in one emulator (tests/README.md).
SECONDS ?= 60
EMU ?= qemu
fuzz-guest: deps-emu
	$(Q)tests/fuzz-guest.sh --seconds $(SECONDS) --emu $(EMU) $(if $(SEED),--seed $(SEED))

# Memory telemetry of Linux running dirtier (tools/telemetry.sh; docs/telemetry.md).
telemetry: deps-emu deps-plot
	$(Q)tools/telemetry.sh

# Linux under the Intel platform VM in Bochs: slow, so not in make test.
test-linux-bochs: deps-emu
	$(Q)tests/guest-linux/run-bochs-linux.sh

# The same with tdp_telemetry=1s and dirtier instead of memcheck: one CPU,
# dirty pages by PML (docs/telemetry.md).  Slow as well.
BOCHS_DIRTIER ?= 4000,64,12,12000,128,12
test-telemetry-bochs: deps-emu
	$(Q)tests/guest-linux/run-bochs-linux.sh --dirtier $(BOCHS_DIRTIER)
# hv.efi under KVM's nested virtualization (-accel kvm -cpu host); skipped,
# with the reason, where /dev/kvm or nested virtualization is missing.
test-kvm: deps-emu
	$(Q)tests/run-kvm.sh

# Linux under tdp_stress= in Bochs (VMX, PML) alone; make test runs it in its Bochs lane.
test-stress-bochs: deps-emu
	$(Q)tests/run-all.sh bochs-stress

# ---- generated headers -------------------------------------------------
$(BUILD)/include/asm-offsets.inc: arch/asm-offsets.c $(wildcard include/*.h include/*/*.h)
	@mkdir -p $(dir $@)
	@echo "  GEN     $@"
	$(Q)$(CC) $(HV_CFLAGS) -S -o $@.s $<
	$(Q)sed -n 's/.*->\([A-Za-z0-9_]*\) \$$\?\([-0-9]*\).*/%define \1 \2/p' $@.s > $@.tmp
	$(Q)mv $@.tmp $@ && rm -f $@.s

# ---- hypervisor objects --------------------------------------------------
$(BUILD)/hv/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(HV_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/hv/%.o: %.asm $(BUILD)/include/asm-offsets.inc
	@mkdir -p $(dir $@)
	@echo "  NASM    $<"
	$(Q)$(NASM) $(HV_NASMFLAGS) -MD $@.d -o $@ $<

# Link twice, like the kernel's kallsyms: the first image gives the symbol
# table, which lives last in .data so that no code moves when the second
# link adds it.  tools/kallsyms.sh verifies that nothing moved.
HV_LINK = $(LD) $(HV_LDFLAGS) $(EFI_LIB)/crt0-efi-x86_64.o $(HV_OBJS) $(1) \
	$(EFI_LIB)/libgnuefi.a -o $(2)

# Objects are rebuilt when the flags in this file change.
$(HV_OBJS): Makefile | deps-build

$(BUILD)/hv.pass1.so: $(HV_OBJS) $(BUILD)/hv/kallsyms0.o linker.ld
	@echo "  LD      $@"
	$(Q)$(call HV_LINK,$(BUILD)/hv/kallsyms0.o,$@)

$(BUILD)/hv/kallsyms0.o: tools/kallsyms.sh
	@mkdir -p $(dir $@)
	$(Q)tools/kallsyms.sh gen /dev/null > $(BUILD)/hv/kallsyms0.c
	$(Q)$(CC) $(HV_CFLAGS) -c -o $@ $(BUILD)/hv/kallsyms0.c

$(BUILD)/hv/kallsyms.o: $(BUILD)/hv.pass1.so tools/kallsyms.sh
	@echo "  KSYMS   $@"
	$(Q)tools/kallsyms.sh gen $< > $(BUILD)/hv/kallsyms.c
	$(Q)$(CC) $(HV_CFLAGS) -c -o $@ $(BUILD)/hv/kallsyms.c

$(BUILD)/hv.debug.elf: $(BUILD)/hv/kallsyms.o $(BUILD)/hv.pass1.so
	@echo "  LD      $@"
	$(Q)$(call HV_LINK,$(BUILD)/hv/kallsyms.o,$@)
	$(Q)tools/kallsyms.sh verify $(BUILD)/hv.pass1.so $@

$(BUILD)/hv.efi: $(BUILD)/hv.debug.elf
	@echo "  EFI     $@"
	$(Q)$(OBJCOPY) -j .text -j .data -j .dynamic -j .dynsym -j .rel \
		-j .rela -j .reloc --target=efi-app-x86_64 --subsystem=10 $< $@

# ---- host tests ----------------------------------------------------------
$(BUILD)/host/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $<"
	$(Q)$(CC) $(HOST_CFLAGS) $(HOST_SAN) -MMD -MP -c -o $@ $<

$(BUILD)/host/unit-tests: $(HOST_OBJS)
	@echo "  HOSTLD  $@"
	$(Q)$(CC) $(HOST_SAN) -o $@ $^ $(HOST_LDLIBS)

# One process per test, each bounded in time and output (the runner's
# HOST_TEST_TIMEOUT, HOST_TEST_OUTPUT_CAP).
host-test: $(BUILD)/host/unit-tests
	$(Q)tests/host/mm/run-tests.sh $<

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
