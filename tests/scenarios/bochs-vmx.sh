# shellcheck shell=bash
# bochs-vmx: the in-hypervisor tests under Intel VMX with EPT in Bochs'
# tigerlake (A/D bits, 1G pages, PML), once per dirty-logging mode.

# scenario_bochs_vmx: the main Bochs boot (PML chosen by itself), then the
# whole suite again with each other dirty-logging mode forced.
scenario_bochs_vmx() {
	local log st mode name
	image bochs-main "$TEST_CMDLINE exit=bochs"
	bochs_run bochs-main tigerlake
	expect_status bochs "tigerlake boot ends with a passing status" "$st" 0 "$log"
	expect bochs "banner" "$log" '\] tdpvisor [0-9.]+ .* starting'
	expect bochs "capability report: VMX with EPT, A/D bits and PML" "$log" \
		'cpu0: VMX: EPT yes, VPID yes, unrestricted guest yes, 1G pages yes, A/D bits yes, PML yes'
	expect bochs "host descriptor tables with a non-zero TR" "$log" 'desc: .*TR 0x[1-9a-f]'
	expect bochs "returns to the firmware" "$log" 'returning to the firmware'
	expect bochs "tigerlake: dirty logging uses PML" "$log" 'cpu0: VMX: dirty logging uses PML'
	expect bochs "fuzz_guest: random guests ran ops, the hypervisor went on" "$log" \
		'fuzz: seed 0x5eed \(fuzz_seed=0x5eed replays it\): [0-9]+ VMs, [1-9][0-9]* ops'
	ktap bochs bochs "$log"

	for mode in dbit wp; do
		image "bochs-$mode" "$TEST_CMDLINE tdp_dirty=$mode exit=bochs"
		bochs_run "bochs-$mode" tigerlake
		[ "$mode" = wp ] && name=write-protect || name="dirty bits"
		expect_status bochs "tigerlake tdp_dirty=$mode boot ends with a passing status" \
			"$st" 0 "$log"
		expect bochs "tigerlake tdp_dirty=$mode: dirty logging uses $name" "$log" \
			"cpu0: VMX: dirty logging uses $name \\(tdp_dirty=\\)"
		ktap bochs "bochs-$mode" "$log"
	done
}
