# shellcheck shell=bash
# bochs-probe: the Intel platform VM.  The firmware goes on as a VMX guest
# and runs probe.efi, which checks the hypervisor from inside (CPUID, the
# VMX MSRs, the hidden pool, EPT memory types against the MTRRs), returns,
# and the firmware reaches its boot manager.

# scenario_bochs_probe: probe.efi under tigerlake.
scenario_bochs_probe() {
	local log st
	tests/efi-probe/mkprobe-img.sh "$OUT/bochs-probe.img" --exit return > /dev/null
	boot_to_firmware bochs bochs-probe 240 --image "$OUT/bochs-probe.img" --model tigerlake
	expect_status bochs "probe: the firmware's boot manager runs after it returns" "$st" 0 "$log"
	expect bochs "bluepill: VMX runs the firmware as a guest" "$log" \
		'platform: cpu0 now runs the firmware as a guest'
	expect bochs "bluepill: the MTRRs are logged" "$log" 'mtrr: enabled, default [A-Z]+'
	probe_checks bochs "$log" intel
	tsc_checks bochs "$log"
}
