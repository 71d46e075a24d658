# boot/: UEFI entry, command line, memory reservation.
hv-y += boot/efi_main.o boot/efi.o boot/cmdline.o boot/relocate.o boot/chainload.o boot/acpi.o boot/hvprobe.o boot/mp.o boot/mp_report.o boot/keeplog.o
host-y += boot/cmdline.o boot/mp_report.o
