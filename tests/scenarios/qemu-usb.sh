# shellcheck shell=bash
# qemu-usb: the USB image exactly as `make usb` writes it (build/hv-usb.img).

# scenario_qemu_usb: hv.efi runs, returns, and the firmware carries on to
# its boot manager; with the image's hvbit=off it sees no hypervisor bit
# (QEMU's own is off, so the bit could only come from hv.efi).  hv.cfg is
# make usb's line and tools/hv-usb.cfg's commented examples: none of them
# is in force, and none draws a complaint.
scenario_qemu_usb() {
	local log st
	MTOOLS_SKIP_CHECK=1 mtype -i build/hv-usb.img@@1048576 ::/EFI/BOOT/hv.cfg \
		> "$OUT/qemu-usb-hv.cfg" 2>&1
	expect qemu "USB image: hv.cfg carries the commented examples of tools/hv-usb.cfg" \
		"$OUT/qemu-usb-hv.cfg" '^#next=fs1:'
	boot_to_firmware qemu qemu-usb 60 --image build/hv-usb.img --cpu EPYC,hypervisor=off
	expect qemu "USB image: hv.efi boots from \\EFI\\BOOT\\BOOTX64.EFI" "$log" 'path \\EFI\\BOOT\\BOOTX64.EFI'
	expect qemu "USB image: hv.cfg is read" "$log" 'Command line \(hv.cfg\): loglevel=7'
	expect_no qemu "USB image: hv.cfg's comments and examples are not options" "$log" \
		'Command line \(hv.cfg\):.*(#|next=|smp=|gdb=)'
	expect_no qemu "USB image: hv.cfg draws no complaint" "$log" 'cmdline: '
	expect qemu "USB image: returns to the firmware" "$log" 'returning to the firmware'
	expect qemu "USB image: hvbit=off: the guest sees no hypervisor bit, no 'tdpvisor' leaf" \
		"$log" "hv.efi \(guest side\): CPUID 0x40000000 says '[^t].*', hypervisor bit 0"
	expect_no qemu "USB image: hvbit=off: no refused option" "$log" 'hvbit: expected'
	expect_status qemu "USB image: the firmware's boot manager runs afterwards" "$st" 0
}
