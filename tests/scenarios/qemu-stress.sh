# shellcheck shell=bash
# qemu-stress: Debian's Linux on 2 CPUs, both guests of hv.efi's platform
# VM (smp=all, QEMU, AMD SVM), with tdp_stress=5: every CPU's tick zaps,
# toggles dirty logging, splits and recovers huge pages, ages and retypes
# while smpcheck runs memcheck on both CPUs at once and memcheck runs again
# alone (docs/stress.md).

# scenario_qemu_stress: memcheck passes on both CPUs under stress, and the
# statistics show every operation, on each CPU at least every 10 ms.
scenario_qemu_stress() {
	local log st i us
	tools/mkimage.sh "$OUT/qemu-stress.img" --efi build/hv.efi \
		--cfg "loglevel=7 hvmem=64M bluepill smp=all tdp_stress=5 next=\\vmlinuz next_args=\"initrd=\\initrd.img console=ttyS0 tdpvisor.smp=1 tdpvisor.test=1\"" \
		--add 'build/guest/vmlinuz=\vmlinuz' --add 'build/guest/initrd.img=\initrd.img' > /dev/null
	qemu_run qemu-stress --cpu EPYC,hypervisor=off --mem 1024 --smp 2
	expect_status qemu "stress: Linux switches the machine off at the end" "$st" 2 "$log"
	expect qemu "stress: hv.efi stresses the platform VM every 5 ms" "$log" \
		'stress: vm platform: every 5 ms on every CPU, ops 0x1f'
	for i in 0 1; do
		expect qemu "stress: cpu$i passes its memcheck (both CPUs at once)" "$log" \
			"smpcheck: cpu$i: memcheck over [0-9]+ MiB passed"
	done
	expect qemu "stress: memcheck passes" "$log" 'memcheck: [0-9]+ MiB ok'
	expect_no qemu "stress: no corruption (memcheck, smpcheck)" "$log" 'memcheck: FAILED|smpcheck: FAIL'
	expect qemu "stress: both CPUs stressed" "$log" 'stress: vm platform: every 5 ms on 2 CPUs'
	stress_checks qemu "stress" "$log" ""
	for i in 0 1; do
		expect qemu "stress: cpu$i zapped and ran dirty-log rounds" "$log" \
			"stress:   cpu$i: [1-9][0-9]* zaps, [1-9][0-9]* dirty-log rounds"
		# The average over the CPU's whole run, from its own clock.
		us=$(grep -a -o "stress:   cpu$i: .* a zap every [0-9]* us, a dirty-log toggle every [0-9]* us" "$log" |
			tail -n 1 | sed 's/.* a zap every \([0-9]*\) us, a dirty-log toggle every \([0-9]*\) us/\1 \2/')
		echo "# stress: cpu$i: a zap, a dirty-log toggle every: ${us:-?} us" >> "$OUT/qemu.tap"
		if [ -n "$us" ] && [ "${us% *}" -le 10000 ] && [ "${us#* }" -le 10000 ]; then
			result qemu "stress: cpu$i zaps and toggles dirty logging at least every 10 ms" 1
		else
			result qemu "stress: cpu$i zaps and toggles dirty logging at least every 10 ms" 0 \
				"zap, toggle every: '${us}' us"
		fi
	done
	expect_no qemu "stress: hv.efi kills no VM" "$log" 'vm [^ ]*: killed:'
	expect_no qemu "stress: no dirty-log call fails" "$log" 'stress: vm .*: dirty log .* failed'
	expect_no_panic qemu "stress: no panic" "$log"
}
