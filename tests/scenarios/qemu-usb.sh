# shellcheck shell=bash
# qemu-usb: the USB image exactly as `make usb` writes it (build/hv-usb.img).

# scenario_qemu_usb: hv.efi runs, returns, and the firmware carries on to
# its boot manager.
scenario_qemu_usb() {
	local log st
	boot_to_firmware qemu qemu-usb 60 --image build/hv-usb.img --cpu EPYC
	expect qemu "USB image: hv.efi boots from \\EFI\\BOOT\\BOOTX64.EFI" "$log" 'path \\EFI\\BOOT\\BOOTX64.EFI'
	expect qemu "USB image: hv.cfg is read" "$log" 'Command line \(hv.cfg\): loglevel=7'
	expect qemu "USB image: returns to the firmware" "$log" 'returning to the firmware'
	expect_status qemu "USB image: the firmware's boot manager runs afterwards" "$st" 0
}
