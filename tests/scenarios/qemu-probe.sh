# shellcheck shell=bash
# qemu-probe: probe.efi as the next stage checks the SVM platform VM from
# inside: CPUID, MSRs, the hidden memory, TDP memory types against the
# MTRRs; one "probe: ok|FAIL" line per check, then it returns EFI_SUCCESS
# and the firmware goes on to its boot manager.

# scenario_qemu_probe: probe.efi with 3 GiB, which puts RAM above 4 GiB.
scenario_qemu_probe() {
	local log st
	tests/efi-probe/mkprobe-img.sh "$OUT/qemu-probe.img" --exit return > /dev/null
	boot_to_firmware qemu qemu-probe 90 --image "$OUT/qemu-probe.img" \
		--cpu EPYC,hypervisor=off --mem 3072
	probe_checks qemu "$log" amd
	tsc_checks qemu "$log"
	expect qemu "probe: the high RAM sample lies above 4 GiB" "$log" \
		'probe: ok memtype high RAM 0x[1-9a-f][0-9a-f]{8}: mapped'
	expect_status qemu "probe: the firmware's boot manager runs after it returns" "$st" 0 "$log"

	# Opteron_G5: XSAVE without leaf 0xD sub-leaf 1, no NRIPS.  QEMU takes
	# CR4.OSXSAVE for reserved there and answers a MOV to CR4 that sets it
	# with a #VMEXIT even outside a guest (docs/platform.md): the host must
	# not set it, and the firmware must go on as a guest.
	tests/efi-probe/mkprobe-img.sh "$OUT/qemu-probe-g5.img" --exit return > /dev/null
	boot_to_firmware qemu qemu-probe-g5 90 --image "$OUT/qemu-probe-g5.img" \
		--cpu Opteron_G5,hypervisor=off --mem 1024
	expect qemu "probe Opteron_G5: every check passes" "$log" 'probe: [1-9][0-9]* passed, 0 failed'
	expect_status qemu "probe Opteron_G5: the firmware's boot manager runs after it returns" \
		"$st" 0 "$log"
}
