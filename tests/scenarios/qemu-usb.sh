# shellcheck shell=bash
# qemu-usb: the USB image exactly as `make usb` writes it (build/hv-usb.img).

# scenario_qemu_usb: hv.efi runs, returns, and the firmware carries on to
# its boot manager; with the image's hvbit=off it sees no hypervisor bit
# (QEMU's own is off, so the bit could only come from hv.efi).
scenario_qemu_usb() {
	local log st
	boot_to_firmware qemu qemu-usb 60 --image build/hv-usb.img --cpu EPYC,hypervisor=off
	expect qemu "USB image: hv.efi boots from \\EFI\\BOOT\\BOOTX64.EFI" "$log" 'path \\EFI\\BOOT\\BOOTX64.EFI'
	expect qemu "USB image: hv.cfg is read" "$log" 'Command line \(hv.cfg\): loglevel=7'
	expect qemu "USB image: returns to the firmware" "$log" 'returning to the firmware'
	expect qemu "USB image: hvbit=off: the guest sees no hypervisor bit, no 'tdpvisor' leaf" \
		"$log" "hv.efi \(guest side\): CPUID 0x40000000 says '[^t].*', hypervisor bit 0"
	expect_no qemu "USB image: hvbit=off: no refused option" "$log" 'hvbit: expected'
	expect_status qemu "USB image: the firmware's boot manager runs afterwards" "$st" 0
}
