# shellcheck shell=bash
# qemu-debug: `make debug` (tools/debug.sh) end to end.

# scenario_qemu_debug: gdb attaches at the reported base and hits a
# breakpoint by name; hv.efi then goes on and finishes.
scenario_qemu_debug() {
	local log
	image qemu-debug "loglevel=7 debugwait ktest=cmdline exit=qemu"
	printf '%s\n' 'set var hv_debug_wait = 0' 'break ktest_run' 'continue' 'bt 2' 'detach' \
		> "$OUT/gdb-cmds"
	log=$OUT/qemu-debug.gdb
	timeout 120 tools/debug.sh "$OUT/qemu-debug.img" build/hv.debug.elf --batch \
		"$OUT/gdb-cmds" > "$log" 2>&1
	expect qemu "make debug: gdb stops at a breakpoint by name" "$log" 'Breakpoint 1, ktest_run'
	expect qemu "make debug: hv.efi goes on and finishes" build/debug-serial.log 'ktest: [0-9]+ passed, 0 failed'
}
