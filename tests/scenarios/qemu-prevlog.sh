# shellcheck shell=bash
# qemu-prevlog: the log kept across a warm reset.  One QEMU run, two boots
# (--reboot: RAM survives the reset).  The firmware's own shell runs
# \startup.nsh, which starts hv.efi with crashtest=panic panic=reset,2 the
# first time (and leaves a file saying so), and plainly the second time.

# scenario_qemu_prevlog: a panic under the platform VM, a countdown and a
# reset; the next hv.efi prints the previous boot's last lines.
scenario_qemu_prevlog() {
	local log st nsh=$OUT/qemu-prevlog.nsh
	cat > "$nsh" <<-'NSH'
	@echo -off
	fs0:
	if exist \crashed.txt then
	  echo "startup.nsh: the second boot"
	  \EFI\tdpvisor\hv.efi loglevel=7 exit=qemu
	else
	  echo crashed > \crashed.txt
	  echo "startup.nsh: the first boot"
	  \EFI\tdpvisor\hv.efi loglevel=7 hvmem=64M bluepill crashtest=panic panic=reset,2
	endif
	NSH
	tools/mkimage.sh "$OUT/qemu-prevlog.img" --efi build/hv.efi --efi-at '\EFI\tdpvisor\hv.efi' \
		--add "$nsh=\\startup.nsh" > /dev/null
	qemu_run qemu-prevlog --cpu EPYC --reboot
	expect_status qemu "prevlog: the second boot ends the run" "$st" 0 "$log"
	expect qemu "prevlog: the first boot keeps its log" "$log" \
		'prevlog: this boot.s log \(boot [0-9]+\) is kept at \[0x[0-9a-f]+-'
	expect qemu "prevlog: crashtest=panic panics under the platform VM" "$log" \
		'Kernel panic - not syncing: crashtest: a panic on purpose while cpu0 runs the platform VM'
	expect qemu "panic: the report shows the guest cpu0 ran" "$log" \
		'panic: the guest cpu0 was running:'
	expect qemu "panic: with its VMCB state" "$log" '  CR0 [0-9a-f]{16} CR2 [0-9a-f]{16} CR3'
	expect qemu "panic=reset,2: a countdown, then the reset" "$log" \
		'panic: resetting in 1 s'
	expect qemu "prevlog: the second boot finds the first's sealed log" "$log" \
		'prevlog: previous boot \(boot [0-9]+, at 0x[0-9a-f]+, sealed\): its last [0-9]+ lines:'
	expect qemu "prevlog: the previous boot's panic line is shown" "$log" \
		'previous boot: \[ *[0-9.]+\] Kernel panic - not syncing: crashtest: a panic on purpose'
	expect qemu "prevlog: up to the reset" "$log" \
		'previous boot: \[ *[0-9.]+\] panic: resetting the machine now'
	prevlog_counters "$log"
}

# prevlog_counters LOG: the second boot's counter is the first's plus one.
prevlog_counters() {
	local first second
	first=$(grep -aoE "prevlog: this boot.s log \(boot [0-9]+\)" "$1" | head -1 | grep -oE '[0-9]+')
	second=$(grep -aoE "prevlog: this boot.s log \(boot [0-9]+\)" "$1" | sed -n 2p | grep -oE '[0-9]+')
	if [[ -n $first && -n $second ]] && ((second == first + 1)); then
		result qemu "prevlog: the boot counter goes on" 1
	else
		result qemu "prevlog: the boot counter goes on" 0 \
			"expected two boots' counters N, N+1; seen '${first:-none}' and '${second:-none}'"
	fi
}
