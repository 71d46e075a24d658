# tests/guest-linux/: the default guest, a Debian kernel with a busybox
# initramfs (tools/mkguest.sh; .deb downloads cached in build/guest/debs).
#   make guest          build/guest/vmlinuz and build/guest/initrd.img
#   make guest-direct   boot them in QEMU without the hypervisor (baseline):
#                       banner time and a memcheck over 90% of free RAM;
#                       GUEST_DIRECT_ARGS="--runs 3" etc. are passed on
GUEST := $(BUILD)/guest
GUEST_DIRECT_ARGS ?=

.PHONY: guest guest-direct
guest: $(GUEST)/vmlinuz $(GUEST)/initrd.img

# One run of mkguest.sh makes both files.  memcheck, smpcheck, adversary
# and dirtier are linked statically against glibc's libc.a (libc6-dev); the
# kernel modules (adversary's, telemetry's) are built against the kernel's
# own headers (downloaded; their prebuilt objtool needs libelf1).
$(GUEST)/vmlinuz $(GUEST)/initrd.img &: tools/mkguest.sh tests/guest-linux/init \
		tests/guest-linux/memcheck.c tests/guest-linux/smpcheck.c \
		tests/guest-linux/adversary.c tests/guest-linux/dirtier.c \
		tests/guest-linux/tdpvisor_hc.c tests/guest-linux/tdpvisor_telemetry.c | deps-build
	$(Q)tools/deps.sh libc6-dev libelf1
	@echo "  GUEST   $(GUEST)"
	$(Q)CC=$(CC) tools/mkguest.sh $(GUEST)

guest-direct: deps-emu guest
	$(Q)tests/guest-linux/run-direct.sh --dir $(GUEST) $(GUEST_DIRECT_ARGS)
