# shellcheck shell=bash
# bochs-ryzen: AMD SVM under Bochs' ryzen, for the NRIPS and flush-by-ASID
# paths QEMU's TCG lacks.

# scenario_bochs_ryzen: the suite under ryzen.  Bochs 2.7 panics on a guest
# triple fault instead of delivering the SHUTDOWN intercept, so that one
# sub-case runs only under QEMU.
scenario_bochs_ryzen() {
	local log st
	image bochs-ryzen "$TEST_CMDLINE ktest_skip=triple_fault exit=bochs"
	bochs_run bochs-ryzen ryzen
	expect_status bochs "ryzen boot ends with a passing status" "$st" 0 "$log"
	expect bochs "ryzen: SVM with NRIPS and flush-by-ASID" "$log" \
		'cpu0: SVM on: NPT 4 levels, [0-9]+ ASIDs, NRIPS yes, flush-by-ASID yes'
	ktap bochs bochs-ryzen "$log"
}
