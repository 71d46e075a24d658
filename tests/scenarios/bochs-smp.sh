# shellcheck shell=bash
# bochs-smp: hv.efi on a 2-CPU Intel machine (Bochs tigerlake, count=2).

# scenario_bochs_smp: the firmware's MP services list 2 CPUs, the AP
# answers for itself with VMX, and the log says it stays native.
scenario_bochs_smp() {
	local log st
	image bochs-smp "loglevel=7 exit=bochs"
	bochs_run bochs-smp tigerlake --cpus 2
	expect_status bochs "smp 2: boot ends with a passing status" "$st" 0 "$log"
	expect bochs "smp 2: the firmware lists 2 enabled CPUs" "$log" 'smp: 2 CPUs, 2 enabled'
	expect bochs "smp 2: cpu1 answers for itself, with VMX" "$log" \
		'smp: cpu1: APIC ID 1, VMX yes, SVM no[[:space:]]*$'
	expect bochs "smp 2: every CPU has VMX" "$log" "smp: every CPU has the boot CPU's VMX"
	expect bochs "smp 2: the log says the AP stays native" "$log" \
		'smp: only the boot CPU becomes a guest: the other 1 CPUs keep running natively'
}
