# tests/: the host test binary's own sources and the unit tests that run
# both on the host and inside hv.efi (ktest=... on its command line).
host-test-y += tests/host/host_main.o tests/host/host_rt.o

# Unit tests that run on both sides (host binary and hv.efi with ktest=).
unit-tests := tests/unit/test_vsprintf.o tests/unit/test_page_alloc.o \
	tests/unit/test_cmdline.o tests/unit/test_cmdline_cfg.o tests/unit/test_bitmap.o
unit-tests += tests/unit/test_xsave.o
unit-tests += tests/unit/test_tdp_lookup.o
unit-tests += tests/unit/test_tdp_dirty_end.o
unit-tests += tests/unit/test_mtrr.o
unit-tests += tests/unit/test_cr.o
unit-tests += tests/unit/test_gwalk.o
unit-tests += tests/unit/test_tag.o
unit-tests += tests/unit/test_ratelimit.o
unit-tests += tests/unit/test_prevlog.o
unit-tests += tests/unit/test_gdbstub.o
unit-tests += tests/unit/test_tdp_fast.o
unit-tests += tests/unit/test_guard.o
unit-tests += tests/unit/test_serial_find.o tests/unit/test_uart.o
unit-tests += tests/unit/test_acpi_aml.o
host-test-y += $(unit-tests)
hv-y += $(unit-tests)

# Host only: the CPU-listing verdict logs "smp:" lines of made-up machines,
# which have no place in a boot log.
host-test-y += tests/unit/test_mp.o

# Host only: the USB image's hv.cfg template, read from the source tree,
# each commented example through the real parser.
host-test-y += tests/host/test_usb_cfg.o
$(BUILD)/host/tests/host/test_usb_cfg.o: HOST_CFLAGS += -DHV_USB_CFG='"$(CURDIR)/tools/hv-usb.cfg"'

# ktests that need the real machine: hv.efi only.
hv-y += tests/hv/test_arch.o tests/hv/test_mtrr_hw.o
