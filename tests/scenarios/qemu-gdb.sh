# shellcheck shell=bash
# qemu-gdb: hv.efi's own gdb stub (gdb=ttyS1) on QEMU's second serial port,
# through tools/debug-serial.sh (make debug-serial): scripted gdb, a
# hostile raw client, and a crash inspected before the panic goes on.

# gdb_pc_in_text OUT N: the N-th "$K = 0x..." value gdb printed in OUT is
# inside hv.efi's .text at the base gdb loaded the symbols at.
gdb_pc_in_text() {
	local out=$1 n=$2 base pc start size
	base=$(grep -a -o 'symbols loaded at 0x[0-9a-f]*' "$out" | head -1 | awk '{print $4}')
	pc=$(gdb_value "$out" "$n")
	read -r start size < <(readelf -SW build/hv.debug.elf |
		sed -n 's/.* \.text *PROGBITS *\([0-9a-f]*\) [0-9a-f]* \([0-9a-f]*\) .*/0x\1 0x\2/p')
	[ -n "$base" ] && [ -n "$pc" ] && [ -n "$start" ] &&
		((pc >= base + start && pc < base + start + size))
}

# gdb_value OUT N: the N-th "$K = 0x..." value in OUT (1-based).
gdb_value() {
	grep -a -o '^\$[0-9]* = 0x[0-9a-f]*' "$1" | sed -n "$2p" | awk '{print $3}'
}

# scenario_qemu_gdb: gdb attaches over COM2 at gdbwait, reads registers and
# a backtrace, stops at a breakpoint by name, steps once and lets the boot
# finish; malformed packets get -, E or empty replies and the boot still
# finishes; Ctrl-C stops a bluepill hypervisor while its guest runs; a host
# #PF and a BUG_ON stop for gdb, and detaching lets the panic go on.
scenario_qemu_gdb() {
	local log st out bp pc
	image qemu-gdb "loglevel=7 gdb=ttyS1 gdbwait ktest=cmdline exit=qemu"
	printf '%s\n' 'p/x $pc' 'info symbol $pc' 'bt 3' 'break virt_enable' 'continue' \
		'info symbol $pc' 'p/x $pc' 'stepi' 'p/x $pc' 'delete' 'continue' \
		> "$OUT/qemu-gdb.cmds"
	out=$OUT/qemu-gdb.gdb
	log=$OUT/qemu-gdb.log
	DEBUG_SERIAL_LOG=$log timeout 300 tools/debug-serial.sh "$OUT/qemu-gdb.img" \
		build/hv.debug.elf --batch "$OUT/qemu-gdb.cmds" > "$out" 2>&1
	expect qemu "gdb: hv.efi waits in its stub (gdbwait)" "$log" 'gdb: cpu0 waits for gdb'
	if gdb_pc_in_text "$out" 1; then
		result qemu "gdb: rip read over the serial line is in hv.efi's .text" 1
	else
		result qemu "gdb: rip read over the serial line is in hv.efi's .text" 0 \
			"pc $(gdb_value "$out" 1) not in .text at the base in $out"
	fi
	expect qemu "gdb: rip names the stub's breakpoint function" "$out" \
		'^gdb_breakpoint \+ [0-9]+ in section \.text'
	expect qemu "gdb: the backtrace names hv_main" "$out" '^#[0-9]+ +0x[0-9a-f]+ in hv_main \('
	expect qemu "gdb: a breakpoint by name hits" "$out" '^Breakpoint 1, virt_enable \('
	expect qemu "gdb: the stop is in that function" "$out" '^virt_enable in section \.text'
	bp=$(grep -a -o '^Breakpoint 1 at 0x[0-9a-f]*' "$out" | awk '{print $4}')
	pc=$(gdb_value "$out" 2)
	if [ -n "$bp" ] && [ "$pc" = "$bp" ]; then
		result qemu "gdb: rip at the stop is the breakpoint's address" 1
	else
		result qemu "gdb: rip at the stop is the breakpoint's address" 0 "bp '$bp', pc '$pc'"
	fi
	pc=$(gdb_value "$out" 3)
	if [ -n "$pc" ] && [ -n "$bp" ] && ((pc > bp && pc <= bp + 15)); then
		result qemu "gdb: one single step moves rip by one instruction" 1
	else
		result qemu "gdb: one single step moves rip by one instruction" 0 "from '$bp' to '$pc'"
	fi
	expect qemu "gdb: after continue the boot goes on to its verdict" "$log" \
		'ktest: [0-9]+ passed, 0 failed'
	expect qemu "gdb: QEMU ends with the pass status" "$out" 'QEMU exited with status 1$'
	expect_no_panic qemu "gdb: no panic" "$log"

	image qemu-gdb-hostile "loglevel=7 gdb=ttyS1 gdbwait ktest=cmdline exit=qemu"
	out=$OUT/qemu-gdb-hostile.out
	log=$OUT/qemu-gdb-hostile.log
	DEBUG_SERIAL_LOG=$log timeout 300 tools/debug-serial.sh "$OUT/qemu-gdb-hostile.img" \
		build/hv.debug.elf --client python3 tests/emu/gdb-hostile.py > "$out" 2>&1
	local c
	for c in bad-checksum-nacked overlong-acked-and-refused unknown-command-empty-reply \
		read-unmapped-E read-noncanonical-E read-wrapping-E write-unmapped-E \
		breakpoint-unmapped-E malformed-read-E short-G-E unknown-register-E \
		noise-skipped-stop-reply read-image-header registers-still-readable detach-ok; do
		expect qemu "gdb hostile: $c" "$out" "^ok $c\$"
	done
	expect qemu "gdb hostile: the boot goes on to its verdict" "$log" \
		'ktest: [0-9]+ passed, 0 failed'
	expect qemu "gdb hostile: QEMU ends with the pass status" "$out" 'QEMU exited with status 1$'
	expect_no_panic qemu "gdb hostile: no panic" "$log"

	# Ctrl-C while the firmware runs as hv.efi's guest (bluepill).
	image qemu-gdb-intr "loglevel=7 hvmem=64M gdb=ttyS1 gdbwait bluepill"
	out=$OUT/qemu-gdb-intr.out
	log=$OUT/qemu-gdb-intr.log
	DEBUG_SERIAL_LOG=$log DEBUG_SERIAL_END_WAIT=20 timeout 300 tools/debug-serial.sh \
		"$OUT/qemu-gdb-intr.img" build/hv.debug.elf --client python3 tests/emu/gdb-hostile.py \
		--interrupt > "$out" 2>&1
	for c in continue-acked ctrl-c-stops-with-sigint ctrl-c-stop-is-in-hv.efi detach-ok; do
		expect qemu "gdb interrupt: $c" "$out" "^ok $c\$"
	done
	expect qemu "gdb interrupt: the firmware goes on as a guest to its boot manager" "$log" \
		"$FIRMWARE_UI"
	expect_no_panic qemu "gdb interrupt: no panic" "$log"

	image qemu-gdb-crash "loglevel=7 gdb=ttyS1 crashtest=pf exit=qemu"
	printf '%s\n' 'info symbol $pc' 'bt 2' 'detach' > "$OUT/qemu-gdb-crash.cmds"
	out=$OUT/qemu-gdb-crash.gdb
	log=$OUT/qemu-gdb-crash.log
	DEBUG_SERIAL_LOG=$log timeout 300 tools/debug-serial.sh "$OUT/qemu-gdb-crash.img" \
		build/hv.debug.elf --batch "$OUT/qemu-gdb-crash.cmds" > "$out" 2>&1
	expect qemu "gdb crash: the #PF waits for gdb" "$log" 'gdb: cpu0 waits for gdb to inspect the crash'
	expect qemu "gdb crash: gdb sees the faulting function" "$out" '^crashtest_run(\.[a-z]+)? \+ [0-9]+ in section \.text'
	expect qemu "gdb crash: its caller in the backtrace" "$out" '^#1 +0x[0-9a-f]+ in hv_main \('
	expect qemu "gdb crash: after detach the panic goes on" "$log" \
		'Kernel panic - not syncing: unhandled host exception 14'
	expect_count qemu "gdb crash: panic() does not stop a second time" "$log" 'waits for gdb' 1
	expect qemu "gdb crash: QEMU ends with the failure status" "$out" 'QEMU exited with status 3$'

	# BUG_ON(): panic() itself stops for gdb, in gdb_breakpoint().
	image qemu-gdb-bug "loglevel=7 gdb=ttyS1 crashtest=bug exit=qemu"
	printf '%s\n' 'bt 5' 'detach' > "$OUT/qemu-gdb-bug.cmds"
	out=$OUT/qemu-gdb-bug.gdb
	log=$OUT/qemu-gdb-bug.log
	DEBUG_SERIAL_LOG=$log timeout 300 tools/debug-serial.sh "$OUT/qemu-gdb-bug.img" \
		build/hv.debug.elf --batch "$OUT/qemu-gdb-bug.cmds" > "$out" 2>&1
	expect qemu "gdb BUG_ON: panic() waits for gdb" "$log" 'gdb: cpu0 waits for gdb to inspect the panic'
	expect qemu "gdb BUG_ON: the backtrace shows panic()" "$out" '^#[0-9]+ +0x[0-9a-f]+ in panic \('
	expect qemu "gdb BUG_ON: and the function that failed" "$out" ' in crashtest_run(\.[a-z]+)? \('
	expect qemu "gdb BUG_ON: after detach the panic goes on" "$log" 'exit: isa-debug-exit status 1'
	expect qemu "gdb BUG_ON: QEMU ends with the failure status" "$out" 'QEMU exited with status 3$'

	# A port without a UART (QEMU has no COM4): said, and the boot goes on.
	image qemu-gdb-nouart "loglevel=7 gdb=ttyS3 gdbwait ktest=cmdline exit=qemu"
	qemu_run qemu-gdb-nouart --cpu EPYC
	expect qemu "gdb: a port without a UART is named" "$log" \
		'gdb: no 16550 answers at I/O port 0x2e8: no stub, no wait'
	expect_status qemu "gdb: without its UART the boot does not wait" "$st" 0 "$log"
}
