# shellcheck shell=bash
# qemu-poweroff: the platform VM's guest switches the machine off, or
# resets it, and the hypervisor prints its statistics first.

# scenario_qemu_poweroff: the ACPI PM1 power-off, then the keyboard
# controller reset (0xfe to port 0x64; QEMU's -no-reboot ends that run).
scenario_qemu_poweroff() {
	local log st
	stage2_image qemu-poweroff 'loglevel=7 exit=poweroff'
	qemu_run qemu-poweroff --cpu EPYC --mem 1024
	expect_status qemu "power-off: QEMU ends without a debug-exit verdict" "$st" 2 "$log"
	expect qemu "power-off: found in the ACPI FADT" "$log" 'platform: power-off ports 0x[0-9a-f]+'
	expect qemu "power-off: statistics printed first" "$log" \
		'platform: the guest switches the machine off \(on cpu0\): [0-9]+ exits, [0-9]+ TDP faults'
	expect qemu "power-off: exits per reason" "$log" 'platform:   exits tdp-fault +[0-9]+'
	expect qemu "power-off: page-size split of the mapped RAM" "$log" \
		'platform: mapped on demand: [0-9]+ GiB in 1 GiB pages, [0-9]+ MiB in 2 MiB pages'

	stage2_image qemu-reset 'loglevel=7 exit=reset'
	qemu_run qemu-reset --cpu EPYC --mem 1024
	expect_status qemu "reset: QEMU ends without a debug-exit verdict" "$st" 2 "$log"
	expect qemu "reset: the guest pulses the keyboard controller's reset line" "$log" \
		'exit: resetting the machine through the keyboard controller'
	expect qemu "reset: statistics printed first" "$log" \
		'platform: the guest resets the machine \(on cpu0\): [0-9]+ exits, [0-9]+ TDP faults'
}
