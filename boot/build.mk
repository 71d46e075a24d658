# boot/: UEFI entry, command line, memory reservation.
hv-y += boot/efi_main.o boot/efi.o boot/cmdline.o boot/next_path.o boot/relocate.o boot/chainload.o boot/acpi.o boot/acpi_aml.o boot/hvprobe.o boot/mp.o boot/mp_report.o boot/serial_find.o boot/ebs_notify.o boot/keeplog.o
host-y += boot/acpi_aml.o boot/cmdline.o boot/next_path.o boot/mp_report.o boot/serial_find.o
