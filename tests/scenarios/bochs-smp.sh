# shellcheck shell=bash
# bochs-smp: hv.efi on a 2-CPU Intel machine (Bochs tigerlake, count=2).

# scenario_bochs_smp: the firmware's MP services list 2 CPUs and the AP
# answers for itself with VMX; with smp=all both CPUs run the firmware as
# VMX guests and the firmware reaches its boot manager; test VMs with
# vCPUs on both CPUs (ktest=smp).
scenario_bochs_smp() {
	local log st
	image bochs-smp "loglevel=7 exit=bochs"
	bochs_run bochs-smp tigerlake --cpus 2
	expect_status bochs "smp 2: boot ends with a passing status" "$st" 0 "$log"
	expect bochs "smp 2: the firmware lists 2 enabled CPUs" "$log" 'smp: 2 CPUs, 2 enabled'
	expect bochs "smp 2: cpu1 answers for itself, with VMX" "$log" \
		'smp: cpu1: APIC ID 1, VMX yes, SVM no[[:space:]]*$'
	expect bochs "smp 2: every CPU has VMX" "$log" "smp: every CPU has the boot CPU's VMX"

	# Without probe.efi: its MTRR write makes a TDP flush wait for cpu1,
	# halted in OVMF's cli; hlt, which Bochs 2.7 does not wake for the
	# kick (docs/platform.md, "Known problem"), and cpu1 then no longer
	# answers the firmware.  QEMU runs that probe (qemu-smp).
	image bochs-smp-all "loglevel=7 hvmem=64M bluepill smp=all"
	boot_to_firmware bochs bochs-smp-all 400 --image "$OUT/bochs-smp-all.img" \
		--model tigerlake --cpus 2
	expect_status bochs "smp=all: the firmware's boot manager runs on, as a guest" "$st" 0 "$log"
	expect bochs "smp=all: cpu1 enables VMX itself" "$log" 'cpu1: VMX on: EPT 4 levels'
	expect bochs "smp=all: cpu1 runs the firmware as a guest" "$log" \
		'platform: cpu1 now runs the firmware as a guest'
	expect bochs "smp=all: then cpu0" "$log" 'platform: cpu0 now runs the firmware as a guest'
	expect_no_panic bochs "smp=all: no panic" "$log"

	# Test VMs with vCPUs on two CPUs at once (tests/selftests/test_smp.c).
	image bochs-smp-ktest "loglevel=7 ktest=smp exit=bochs"
	bochs_run bochs-smp-ktest tigerlake --cpus 2
	expect_status bochs "smp selftests: pass on 2 CPUs" "$st" 0 "$log"
	ktap bochs smp-ktest-bochs "$log"
	expect bochs "smp selftests: the reader on cpu1 never reads the zapped page after the zap" \
		"$log" 'smp_remote_flush: .* [1-9][0-9]* after, 0 of them stale'
}
