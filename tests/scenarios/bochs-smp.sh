# shellcheck shell=bash
# bochs-smp: hv.efi on a 2-CPU Intel machine (Bochs tigerlake, count=2).

# scenario_bochs_smp: the firmware's MP services list 2 CPUs and the AP
# answers for itself with VMX; with smp=all both CPUs run the firmware as
# VMX guests and the firmware reaches its boot manager, and probe.efi's
# checks pass on both (after the firmware woke cpu1 with INIT-SIPI-SIPI,
# and after TDP flushes that kicked it while it was halted); test VMs with
# vCPUs on both CPUs (ktest=smp); a real INIT to the boot CPU resets the
# machine.
scenario_bochs_smp() {
	local log st
	image bochs-smp "loglevel=7 exit=bochs"
	bochs_run bochs-smp tigerlake --cpus 2
	expect_status bochs "smp 2: boot ends with a passing status" "$st" 0 "$log"
	expect bochs "smp 2: the firmware lists 2 enabled CPUs" "$log" 'smp: 2 CPUs, 2 enabled'
	expect bochs "smp 2: cpu1 answers for itself, with VMX" "$log" \
		'smp: cpu1: APIC ID 1, VMX yes, SVM no[[:space:]]*$'
	expect bochs "smp 2: every CPU has VMX" "$log" "smp: every CPU has the boot CPU's VMX"

	image bochs-smp-all "loglevel=7 hvmem=64M bluepill smp=all"
	boot_to_firmware bochs bochs-smp-all 400 --image "$OUT/bochs-smp-all.img" \
		--model tigerlake --cpus 2
	expect_status bochs "smp=all: the firmware's boot manager runs on, as a guest" "$st" 0 "$log"
	expect bochs "smp=all: cpu1 enables VMX itself" "$log" 'cpu1: VMX on: EPT 4 levels'
	expect bochs "smp=all: cpu1 runs the firmware as a guest" "$log" \
		'platform: cpu1 now runs the firmware as a guest'
	expect bochs "smp=all: then cpu0" "$log" 'platform: cpu0 now runs the firmware as a guest'
	expect_no_panic bochs "smp=all: no panic" "$log"

	# probe.efi's MTRR writes retype memory while cpu1 is halted in the
	# firmware's cli; hlt: the TDP flush kicks it with an NMI.  Then the
	# firmware wakes it (INIT-SIPI-SIPI) for the per-CPU checks, which
	# include NMIs it sends itself.  Without "virtual NMIs", Bochs leaves
	# the guest's NMIs blocked after the first kick: the flush waits in
	# vain and cpu1 never answers (docs/platform.md).
	tests/efi-probe/mkprobe-img.sh "$OUT/bochs-smp-probe.img" --exit bochs --hv-args "smp=all tick=5" \
		--probe-args allcpus > /dev/null
	bochs_run bochs-smp-probe tigerlake --cpus 2
	expect_status bochs "smp=all: probe.efi passes on both CPUs" "$st" 0 "$log"
	expect bochs "smp=all: with tick=5, by the VMX-preemption timer" "$log" \
		'cpu0: tick: every 5 ms by the VMX-preemption timer'
	allcpus_probe_checks bochs "$log" 2

	# A real INIT to the boot CPU, as a chipset's INIT# would send: with
	# smp=boot cpu1 runs natively and sends it.  VMX makes it an INIT exit;
	# the boot CPU would restart the firmware, so the machine resets.
	tests/efi-probe/mkprobe-img.sh "$OUT/bochs-smp-initbsp.img" --exit bochs --hv-args smp=boot \
		--probe-args initbsp > /dev/null
	log=$OUT/bochs-smp-initbsp.log
	boot_until bochs "$log" 'resetting the machine|did not reset' 300 \
		--image "$OUT/bochs-smp-initbsp.img" --model tigerlake --cpus 2
	expect bochs "INIT to the boot CPU: an INIT exit, logged" "$log" \
		'platform: an INIT signal reached the boot CPU at RIP'
	expect bochs "INIT to the boot CPU: the machine resets, with the statistics" "$log" \
		'platform: INIT on the boot CPU, resetting the machine \(on cpu0\)'
	expect_no bochs "INIT to the boot CPU: the probe never sees the machine go on" "$log" \
		'did not reset'

	# Test VMs with vCPUs on two CPUs at once (tests/selftests/test_smp.c).
	image bochs-smp-ktest "loglevel=7 ktest=smp exit=bochs"
	bochs_run bochs-smp-ktest tigerlake --cpus 2
	expect_status bochs "smp selftests: pass on 2 CPUs" "$st" 0 "$log"
	ktap bochs smp-ktest-bochs "$log"
	expect bochs "smp selftests: the reader on cpu1 never reads the zapped page after the zap" \
		"$log" 'smp_remote_flush: .* [1-9][0-9]* after, 0 of them stale'
}
