# shellcheck shell=bash
# qemu-smp: hv.efi on a 4-CPU machine (QEMU, AMD SVM).

# scenario_qemu_smp: the firmware's MP services list 4 CPUs, each AP
# answers for itself with SVM, and the log says which CPUs stay native.
scenario_qemu_smp() {
	local log st i
	image qemu-smp "loglevel=7 exit=qemu"
	qemu_run qemu-smp --smp 4
	expect_status qemu "smp 4: exits cleanly" "$st" 0 "$log"
	expect qemu "smp 4: the firmware lists 4 enabled CPUs" "$log" 'smp: 4 CPUs, 4 enabled'
	expect qemu "smp 4: the boot CPU is cpu0" "$log" 'smp: cpu0: APIC ID 0 \(boot CPU\), VMX no, SVM yes'
	for i in 1 2 3; do
		expect qemu "smp 4: cpu$i answers for itself, with SVM" "$log" \
			"smp: cpu$i: APIC ID $i, VMX no, SVM yes[[:space:]]*$"
	done
	expect qemu "smp 4: every CPU has SVM" "$log" "smp: every CPU has the boot CPU's SVM"
	expect qemu "smp 4: the log says the APs stay native" "$log" \
		'smp: only the boot CPU becomes a guest: the other 3 CPUs keep running natively'
}
