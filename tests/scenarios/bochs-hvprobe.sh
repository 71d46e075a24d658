# shellcheck shell=bash
# bochs-hvprobe: hv.efi as the Intel platform VM's guest (hvprobe): the CR4
# shadow, the hidden VMX MSRs, XSETBV and INVD, and the hypervisor's memory
# out of reach.

# scenario_bochs_hvprobe: hvprobe as the next stage under tigerlake.
scenario_bochs_hvprobe() {
	local log st
	stage2_image bochs-hvprobe 'loglevel=7 hvprobe exit=bochs'
	bochs_run bochs-hvprobe tigerlake
	expect_status bochs "hvprobe: the guest hv.efi finds the hypervisor out of reach" "$st" 0 "$log"
	expect bochs "hvprobe: it runs under tdpvisor without VMX" "$log" \
		"running under a hypervisor, CPUID 0x40000000 signature 'tdpvisor'"
	hvprobe_checks bochs "$log" intel
}
