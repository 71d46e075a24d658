# shellcheck shell=bash
# qemu-bluepill: the platform VM under SVM; the firmware goes on as a guest
# of hv.efi (bluepill) and reaches its boot manager.

# scenario_qemu_bluepill: bluepill without a next stage.
scenario_qemu_bluepill() {
	local log st
	image qemu-bluepill "loglevel=7 hvmem=64M bluepill"
	boot_to_firmware qemu qemu-bluepill 60 --image "$OUT/qemu-bluepill.img" \
		--cpu EPYC,hypervisor=off --mem 1024
	expect qemu "bluepill: the CPU runs the firmware as a guest" "$log" \
		'platform: cpu0 now runs the firmware as a guest'
	expect qemu "bluepill: the guest sees the hypervisor's CPUID leaf and bit" "$log" \
		"guest side\): CPUID 0x40000000 says 'tdpvisor', hypervisor bit 1"
	expect_status qemu "bluepill: the firmware's boot manager runs on, as a guest" "$st" 0 "$log"
	expect_no_panic qemu "bluepill: no panic" "$log"
}
