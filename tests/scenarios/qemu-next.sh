# shellcheck shell=bash
# qemu-next: the platform VM boots the next stage as its guest: a second
# hv.efi, started with load options, which finds itself under tdpvisor
# without SVM and ends the run through the I/O port that passes through.

# scenario_qemu_next: next= with next_args=, seen from the second stage.
scenario_qemu_next() {
	local log st
	stage2_image qemu-next 'loglevel=7 ktest=cmdline exit=qemu'
	qemu_run qemu-next --cpu EPYC,hypervisor=off --mem 1024
	expect_status qemu "next stage: the guest hv.efi ends the run with a pass" "$st" 0 "$log"
	expect qemu "next stage: started from \EFI\tdpvisor with its load options" "$log" \
		'path \\EFI\\tdpvisor\\hv2.efi'
	expect qemu "next stage: its load options arrive (UCS-2)" "$log" \
		'Command line: loglevel=7 ktest=cmdline exit=qemu'
	expect qemu "next stage: it runs under tdpvisor" "$log" \
		"running under a hypervisor, CPUID 0x40000000 signature 'tdpvisor'"
	expect qemu "next stage: SVM is hidden from it" "$log" \
		'cpu0: this CPU has no hardware virtualization'
}
