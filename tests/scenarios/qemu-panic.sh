# shellcheck shell=bash
# qemu-panic: hypervisor faults on purpose (crashtest=): registers, a
# symbolized backtrace, a failure status.

# scenario_qemu_panic: a host #UD, then a BUG_ON.
scenario_qemu_panic() {
	local log st
	image qemu-crash-ud "loglevel=7 crashtest=ud exit=qemu"
	qemu_run qemu-crash-ud --cpu EPYC
	expect_status qemu "crash #UD: failure status" "$st" 1 "$log"
	expect qemu "crash #UD: vector named" "$log" 'host exception 6 \(#UD invalid opcode\)'
	expect qemu "crash #UD: registers dumped" "$log" 'RAX: [0-9a-f]{16} RBX'
	expect qemu "crash #UD: backtrace names functions" "$log" '\] +\[<[0-9a-f]+>\] hv_main\+0x'
	expect qemu "crash #UD: backtrace names the loader's frames too" "$log" '\] +\[<[0-9a-f]+>\] efi_main\+0x'
	expect qemu "crash #UD: panic line" "$log" 'Kernel panic - not syncing: unhandled host exception 6'

	image qemu-crash-bug "loglevel=7 crashtest=bug exit=qemu"
	qemu_run qemu-crash-bug --cpu EPYC
	expect_status qemu "BUG_ON: failure status" "$st" 1 "$log"
	expect qemu "BUG_ON: file and line" "$log" 'BUG: failure at boot/efi_main.c:[0-9]+'
	expect qemu "BUG_ON: backtrace" "$log" 'crashtest_run'
}
