# shellcheck shell=bash
# qemu-smp-linux: Debian's Linux on 4 CPUs, every one a guest of hv.efi's
# platform VM (smp=all, QEMU, AMD SVM), checks from inside that it is so
# (tests/guest-linux/smpcheck.c, run by the guest's init with tdpvisor.smp=1).

# smp_linux_ipis LOG CPU: "INITS SIPIS" from hv.efi's per-CPU statistics line.
smp_linux_ipis() {
	grep -a -o "platform:   cpu$2: [0-9]* exits, [0-9]* TDP faults, [0-9]* INIT, [0-9]* SIPI" "$1" |
		tail -n 1 | sed 's/.* \([0-9]*\) INIT, \([0-9]*\) SIPI$/\1 \2/'
}

# scenario_qemu_smp_linux: every CPU answers CPUID as a guest of tdpvisor,
# reads hv.efi's hidden ranges (the ones its log names) as all ones, passes
# memcheck with the others at once; cpu1 goes offline and comes back
# through the emulated INIT/SIPI; an AP (cpu1, reboot=smp1) switches off.
scenario_qemu_smp_linux() {
	local log st i r ranges n=0 one two
	tools/mkimage.sh "$OUT/qemu-smp-linux-4cpu.img" --efi build/hv.efi \
		--cfg "loglevel=7 hvmem=64M bluepill smp=all tick=10 next=\\vmlinuz next_args=\"initrd=\\initrd.img console=ttyS0 tdpvisor.smp=1 tdpvisor.test=1 reboot=smp1\"" \
		--add 'build/guest/vmlinuz=\vmlinuz' --add 'build/guest/initrd.img=\initrd.img' > /dev/null
	qemu_run qemu-smp-linux-4cpu --cpu EPYC,hypervisor=off --mem 1024 --smp 4
	expect_status qemu "smp Linux 4 CPUs: switches the machine off at the end" "$st" 2 "$log"
	expect qemu "smp Linux 4 CPUs: every CPU is a guest before Linux starts" "$log" \
		'smp: every CPU runs under the hypervisor: 3 APs are guests, the boot CPU follows'
	expect qemu "smp Linux 4 CPUs: brings up 4 CPUs" "$log" 'smp: Brought up 1 node, 4 CPUs'
	# tick=10: the AMD tick rides on the guest's interrupts, each taken by
	# the host and injected (docs/tick.md); Linux passes everything with it.
	expect qemu "smp Linux 4 CPUs: the tick runs at the guest's interrupts (SVM)" "$log" \
		'cpu0: tick: every 10 ms, at the guest.s interrupts \(SVM INTR intercept'
	expect qemu "smp Linux 4 CPUs: ticks ran, carried by injected guest interrupts" "$log" \
		'platform: hypervisor tick: [1-9][0-9]+ ticks \(every 10 ms\), [1-9][0-9]+ guest interrupts taken and injected'
	expect qemu "smp Linux 4 CPUs: smpcheck runs" "$log" 'smpcheck: [0-9]+ passed, [0-9]+ failed'
	expect_no qemu "smp Linux 4 CPUs: no smpcheck check fails" "$log" 'smpcheck: FAIL'

	# 1. CPUID on each CPU, pinned there.
	for i in 0 1 2 3; do
		expect qemu "smp Linux 4 CPUs: cpu$i answers CPUID as tdpvisor's guest, without SVM" \
			"$log" "smpcheck: cpu$i: tdpvisor, no SVM[[:space:]]*$"
	done

	# 2. The ranges hv.efi hides, read from every CPU through /dev/mem.
	# smpcheck looks among the Reserved ranges at or above 1 MiB (the S3
	# wake area lies below).
	ranges=$(hidden_ranges "$log" 0x100000)
	if [ -z "$ranges" ]; then
		result qemu "smp Linux 4 CPUs: hv.efi names the ranges it hides" 0 \
			"no 'platform: hiding [A-B] and [C-D]' line in $log"
	fi
	for r in $ranges; do
		n=$((n + 1))
		expect qemu "smp Linux 4 CPUs: the guest finds hidden range $n (hv.efi's log)" \
			"$log" "smpcheck: hidden range \\[$r\\]: [0-9]+ words read as all ones on cpu0"
		for i in 1 2 3; do
			expect qemu "smp Linux 4 CPUs: cpu$i reads hidden range $n as cpu0 does (all ones)" \
				"$log" "smpcheck: cpu$i: hidden range \\[$r\\]: [0-9]+ words read as on cpu0 \\(all ones\\)"
		done
	done
	expect_count qemu "smp Linux 4 CPUs: the guest takes no other range for hidden memory" "$log" \
		'smpcheck: hidden range \[' "$(echo "$ranges" | grep -c .)"
	expect qemu "smp Linux 4 CPUs: hv.efi gives the guest's reads of its memory the scratch page" \
		"$log" 'platform: guest read of hypervisor memory at 0x[0-9a-f]+ .*given the scratch page'
	# A page is mapped at its first touch; at most 10 lines each 5 s, the rest counted.
	expect_at_most qemu "smp Linux 4 CPUs: the hidden-memory lines do not flood the log" "$log" \
		'platform: guest \(read of\|write to\|fetch from\) hypervisor memory at' 40
	expect qemu "smp Linux 4 CPUs: the statistics count the pages touched" "$log" \
		'platform: the guest touched [1-9][0-9]* pages of hypervisor memory'

	# 3. memcheck on all CPUs at once.
	for i in 0 1 2 3; do
		expect qemu "smp Linux 4 CPUs: cpu$i passes its memcheck" "$log" \
			"smpcheck: cpu$i: memcheck over [0-9]+ MiB passed"
	done
	expect qemu "smp Linux 4 CPUs: the 4 memchecks run at once" "$log" \
		'smpcheck: memcheck: 4 instances ran at once .*none had ended'

	# Genuine NMIs still reach the guest (NMIs exit on every CPU, for the
	# hypervisor's kicks): sysrq 'l' sends one to every other CPU.
	for i in 0 1 2 3; do
		expect qemu "smp Linux 4 CPUs: cpu$i gets the guest's NMI (sysrq backtrace)" "$log" \
			"nmi backtrace: cpu $i[[:space:]]*$"
	done

	# 4. cpu1 offline and online again: Linux restarts it with INIT-SIPI-SIPI,
	# which hv.efi emulates, so cpu1 counts more of them than cpu2.
	expect qemu "smp Linux 4 CPUs: cpu1 goes offline" "$log" \
		'smpcheck: cpu1: offline \(write ok, online reads 0, pinning to it refused\)'
	expect qemu "smp Linux 4 CPUs: cpu1 comes back online" "$log" \
		'smpcheck: cpu1: online again \(write ok, online reads 1\)'
	expect qemu "smp Linux 4 CPUs: cpu1 is tdpvisor's guest again after coming back" "$log" \
		'smpcheck: cpu1: tdpvisor, no SVM \(back online\)'
	for i in 1 2 3; do
		expect qemu "smp Linux 4 CPUs: cpu$i went through INIT and SIPI as a guest" "$log" \
			"platform:   cpu$i: [0-9]+ exits, [0-9]+ TDP faults, [1-9][0-9]* INIT, [1-9][0-9]* SIPI"
	done
	one=$(smp_linux_ipis "$log" 1)
	two=$(smp_linux_ipis "$log" 2)
	if [ -n "$one" ] && [ -n "$two" ] && [ "${one% *}" -gt "${two% *}" ] &&
		[ "${one#* }" -gt "${two#* }" ]; then
		result qemu "smp Linux 4 CPUs: cpu1's restart went through hv.efi's INIT/SIPI" 1
	else
		result qemu "smp Linux 4 CPUs: cpu1's restart went through hv.efi's INIT/SIPI" 0 \
			"INIT SIPI: cpu1 '${one}', cpu2 '${two}' (cpu1 should have more)"
	fi

	# 5. An AP switches the machine off.
	expect qemu "smp Linux 4 CPUs: Linux powers off from cpu1 (reboot=smp1)" "$log" \
		'power-off cpu: 1[[:space:]]*$'
	expect qemu "smp Linux 4 CPUs: hv.efi sees an AP switch the machine off, 4 CPUs as guests" \
		"$log" 'platform: the guest switches the machine off \(on cpu[1-9][0-9]*\): .* 4 CPUs as guests'
	expect_no qemu "smp Linux 4 CPUs: hv.efi kills no VM" "$log" 'vm [^ ]*: killed:'
	expect_no_panic qemu "smp Linux 4 CPUs: no panic" "$log"
}
