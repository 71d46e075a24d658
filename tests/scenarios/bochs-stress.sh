# shellcheck shell=bash
# bochs-stress: Debian's Linux under hv.efi's Intel platform VM in Bochs
# (corei7_skylake_x: EPT with A/D bits and PML) with tdp_stress=5, memcheck
# inside (docs/stress.md).  Bochs' firmware has no ACPI power-off that
# hv.efi sees: the counters come from the last periodic report, and Linux
# halts at the end.

# scenario_bochs_stress: memcheck passes under stress; every operation
# happened, zaps and dirty-log toggles at least every 10 ms on average.
scenario_bochs_stress() {
	local log st n secs us
	tools/mkimage.sh "$OUT/bochs-stress.img" --efi build/hv.efi \
		--cfg "loglevel=7 hvmem=64M bluepill tdp_stress=5 next=\\vmlinuz next_args=\"initrd=\\initrd.img console=ttyS0 tdpvisor.test=1\"" \
		--add 'build/guest/vmlinuz=\vmlinuz' --add 'build/guest/initrd.img=\initrd.img' > /dev/null
	log=$OUT/bochs-stress.log
	if boot_until bochs "$log" 'reboot: (System halted|Power down)|Kernel panic' 600 \
		--image "$OUT/bochs-stress.img" --model corei7_skylake_x; then st=0; else st=1; fi
	expect_status bochs "stress: Linux runs to its end within 600 s" "$st" 0 "$log"
	expect bochs "stress: hv.efi stresses the platform VM every 5 ms" "$log" \
		'stress: vm platform: every 5 ms on every CPU, ops 0x1f'
	expect bochs "stress: Linux reaches userspace under VMX" "$log" 'tdpvisor default guest: Linux [^ ]+ up'
	expect bochs "stress: memcheck passes" "$log" 'memcheck: [0-9]+ MiB ok'
	expect_no bochs "stress: no corruption" "$log" 'memcheck: FAILED'
	stress_checks bochs "stress" "$log" 'after [0-9]* s: '
	# Zaps and toggles (each once a step) per second of the last report.
	secs=$(grep -a -o 'stress: after [0-9]* s: [0-9]* zaps' "$log" | tail -n 1 |
		sed 's/stress: after \([0-9]*\) s: \([0-9]*\) zaps/\1 \2/')
	n=${secs#* } secs=${secs% *}
	if [ -n "$secs" ] && [ "$secs" -gt 0 ] && [ "$n" -gt 0 ]; then
		us=$((secs * 1000000 / n))
		echo "# stress: a zap and a dirty-log toggle every $us us ($n zaps in $secs s)" >> "$OUT/bochs.tap"
		result bochs "stress: a zap and a dirty-log toggle at least every 10 ms" \
			"$([ "$us" -le 10000 ] && echo 1 || echo 0)" "$n zaps in $secs s"
	else
		result bochs "stress: a zap and a dirty-log toggle at least every 10 ms" 0 \
			"no 'stress: after N s: N zaps' line in $log"
	fi
	expect_no bochs "stress: hv.efi kills no VM" "$log" 'vm [^ ]*: killed:'
	expect_no bochs "stress: no dirty-log call fails" "$log" 'stress: vm .*: dirty log .* failed'
	expect_no_panic bochs "stress: no panic" "$log"
}
