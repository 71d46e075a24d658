# shellcheck shell=bash
# qemu-panic: hypervisor faults on purpose (crashtest=): registers, a
# symbolized backtrace, a failure status.

# scenario_qemu_panic: a host #UD, then a BUG_ON; without exit=, panic=reset
# resets the machine and the default halts it, each saying so.
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
	expect qemu "BUG_ON: the report says no guest ran on that CPU" "$log" \
		'panic: cpu0 was not running a guest'

	# A fault before any console is set up (right after the options are
	# read): COM1 becomes the console and the log so far comes first.
	image qemu-crash-early "loglevel=7 crashtest=early panic=reset"
	qemu_run qemu-crash-early --cpu EPYC
	expect qemu "early fault: said on COM1 without a console" "$log" \
		'hv.efi: no console was set up yet: COM1 at 115200, and the log so far:'
	expect qemu "early fault: the log before it is replayed" "$log" "crashtest: triggering 'early'"
	expect qemu "early fault: vector named" "$log" 'host exception 6 \(#UD invalid opcode\)'
	expect qemu "early fault: backtrace" "$log" '\] +\[<[0-9a-f]+>\] hv_main\+0x'
	expect qemu "early fault: then panic=reset" "$log" 'panic: resetting the machine \(panic=reset\)'
	expect_status qemu "early fault: the machine resets (QEMU's -no-reboot ends it)" "$st" 2 "$log"

	# No exit= to end the emulator: the panic= policy says what happens.
	image qemu-crash-reset "loglevel=7 crashtest=bug panic=reset"
	qemu_run qemu-crash-reset --cpu EPYC
	expect_status qemu "panic=reset: the machine resets (QEMU's -no-reboot ends it)" "$st" 2 "$log"
	expect qemu "panic=reset: said before it happens" "$log" \
		'panic: resetting the machine \(panic=reset\)'
	image qemu-crash-halt "loglevel=7 crashtest=bug"
	log=$OUT/qemu-crash-halt.log
	boot_until qemu "$log" 'the machine stays halted' 60 --image "$OUT/qemu-crash-halt.img" --cpu EPYC
	expect qemu "panic=halt (the default): said, then the machine stays halted" "$log" \
		'panic: the machine stays halted \(panic=halt\)'
}
