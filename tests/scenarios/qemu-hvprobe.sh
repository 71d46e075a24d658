# shellcheck shell=bash
# qemu-hvprobe: from inside the SVM platform VM's guest (a second hv.efi
# with hvprobe), where the hypervisor lives (a hypercall tells) is out of
# reach -- every page of it is one scratch page (all ones, a write shows
# at every page), the first touches logged -- and the CPU looks like one
# without SVM.

# scenario_qemu_hvprobe: hvprobe as the next stage.
scenario_qemu_hvprobe() {
	local log st
	stage2_image qemu-hvprobe 'loglevel=7 hvprobe exit=qemu'
	qemu_run qemu-hvprobe --cpu EPYC,hypervisor=off --mem 1024
	expect_status qemu "hvprobe: the guest finds the hypervisor out of reach" "$st" 0 "$log"
	# The first hv.efi's hiding lines name every range; the second one
	# (hvprobe) learns them by hypercall.
	expect_count qemu "hvprobe: every hidden range is out of reach" "$log" \
		'hvprobe: hypervisor memory \[0x[0-9a-f]*-0x[0-9a-f]*\]: reads as all ones' \
		"$(hidden_ranges "$log" | grep -c .)"
	expect qemu "hvprobe: the hypervisor logs the pages touched" "$log" \
		'platform: guest (read of|write to) hypervisor memory at 0x[0-9a-f]+ .*given the scratch page'
	hvprobe_checks qemu "$log" amd
}
