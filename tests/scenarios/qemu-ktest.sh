# shellcheck shell=bash
# qemu-ktest: the in-hypervisor tests, SVM selftests included, in QEMU's
# EPYC (SVM with NPT, no NRIPS).

# scenario_qemu_ktest: the main QEMU boot (ktest=all) and its KTAP results.
scenario_qemu_ktest() {
	local log st
	# QEMU's TCG runs a guest's XSETBV despite the intercept: the guest
	# fuzzer leaves XSETBV out (ktest_skip=xsetbv_intercept).
	image qemu-main "$TEST_CMDLINE ktest_skip=xsetbv_intercept exit=qemu"
	qemu_run qemu-main --cpu EPYC --mem 1024
	expect_status qemu "main boot ends with a passing status" "$st" 0 "$log"
	expect qemu "banner" "$log" '\] tdpvisor [0-9.]+ .* starting'
	expect qemu "capability report: SVM with NPT" "$log" 'cpu0: SVM: NPT yes'
	expect qemu "SVM turned on, without NRIPS (computed next RIP)" "$log" 'cpu0: SVM on: NPT 4 levels, .*NRIPS no'
	expect qemu "SVM turned off again, EFER restored" "$log" 'cpu0: SVM off, EFER restored'
	expect qemu "host descriptor tables with a non-zero TR" "$log" 'desc: .*TR 0x[1-9a-f]'
	expect qemu "memory pool reserved" "$log" 'mem: reserved 256 MiB at'
	expect qemu "hv.efi runs from a copy in reserved memory" "$log" 'hv.efi: loaded at 0x[0-9a-f]+, running from a copy in reserved memory'
	expect qemu "returns to the firmware" "$log" 'returning to the firmware \(status 0x0\)'
	expect qemu "fuzz_guest: random guests ran ops, the hypervisor went on" "$log" \
		'fuzz: seed 0x5eed \(fuzz_seed=0x5eed replays it\): [0-9]+ VMs, [1-9][0-9]* ops'
	ktap qemu qemu "$log"
}
