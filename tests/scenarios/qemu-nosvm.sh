# shellcheck shell=bash
# qemu-nosvm: a CPU without SVM.

# scenario_qemu_nosvm: a clear message and a clean return (EFI_UNSUPPORTED).
scenario_qemu_nosvm() {
	local log st
	image qemu-nosvm "loglevel=7 exit=qemu"
	qemu_run qemu-nosvm --cpu qemu64,-svm
	expect_status qemu "no SVM: exits cleanly" "$st" 0 "$log"
	expect qemu "no SVM: says why" "$log" 'cpu0: this CPU has no hardware virtualization'
	expect qemu "no SVM: returns EFI_UNSUPPORTED" "$log" 'returning to the firmware \(status 0x8000000000000003\)'
}
