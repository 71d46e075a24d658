# shellcheck shell=bash
# bochs-fallbacks: VMX on Bochs' sandy bridge, without EPT A/D bits, 1G
# pages or PML.

# scenario_bochs_fallbacks: the suite on the fallbacks; PML is asked for
# and refused by name.
scenario_bochs_fallbacks() {
	local log st
	image bochs-sandy "$TEST_CMDLINE tdp_dirty=pml exit=bochs"
	bochs_run bochs-sandy corei7_sandy_bridge_2600k
	expect_status bochs "sandy bridge boot ends with a passing status" "$st" 0 "$log"
	expect bochs "sandy bridge: VMX without A/D bits, 1G pages or PML" "$log" \
		'cpu0: VMX on: EPT 4 levels, VPID yes, A/D no, 1G pages no, PML no'
	expect bochs "sandy bridge: tdp_dirty=pml refused by name" "$log" \
		'tdp_dirty=pml: this CPU has no PML dirty logging, falling back'
	expect bochs "sandy bridge: dirty logging uses write-protect" "$log" \
		'cpu0: VMX: dirty logging uses write-protect'
	ktap bochs bochs-sandy "$log"
}
