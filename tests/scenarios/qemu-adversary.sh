# shellcheck shell=bash
# qemu-adversary: the default Linux guest under hv.efi (AMD SVM, QEMU) with
# a hostile root user: tests/guest-linux/adversary.c attacks the hypervisor
# (its hidden memory with every kind of access, string I/O on the ports it
# intercepts, single-steps over intercepted instructions, hypercalls from
# user space and, through its kernel module, foreign and hostile ones from
# the kernel, a flood of reads of its memory), then the guest checks the
# hidden ranges again, runs memcheck and switches off.
#
# ADVERSARY=LIST (attack names joined by commas, default all) runs only
# those attacks: `ADVERSARY=sse tests/run-all.sh qemu-adversary`.

# Every attack adversary knows, in the order it runs them.
ADVERSARY_ATTACKS='mov tf tf-mmio hypercall-user hypercall-kernel flood string sse avx atomic io io-fault tf-string'

# The most lines the hypervisor's log may have about guest accesses to its
# memory, whatever the attacks did (each attack on hidden memory makes
# hundreds of accesses, the flood 100,000).
ADVERSARY_LOG_BOUND=20

# adversary_picked: the attacks this run asked for, one per line.
adversary_picked() {
	local pick=${ADVERSARY:-all}
	if [ "$pick" = all ]; then
		# shellcheck disable=SC2086  # one word per attack
		printf '%s\n' $ADVERSARY_ATTACKS
	else
		echo "$pick" | tr ',' '\n'
	fi
}

# scenario_qemu_adversary: each attack reports its expected outcome, the
# hypervisor stays alive (the statistics at power-off), nothing panics, the
# hidden ranges still read as all ones and memcheck passes, and the log
# about hidden memory stays short.
scenario_qemu_adversary() {
	local log st a r ranges n=0 lines mib
	# panic=reset: a hypervisor that dies of an attack ends the run at once.
	tools/mkimage.sh "$OUT/qemu-adversary.img" --efi build/hv.efi \
		--cfg "loglevel=7 hvmem=64M panic=reset bluepill next=\\vmlinuz next_args=\"initrd=\\initrd.img console=ttyS0 tdpvisor.adversary=${ADVERSARY:-all} tdpvisor.test=1\"" \
		--add 'build/guest/vmlinuz=\vmlinuz' --add 'build/guest/initrd.img=\initrd.img' > /dev/null
	qemu_run qemu-adversary --cpu EPYC,hypervisor=off --mem 1024
	expect_status qemu "adversary: the guest switches the machine off at the end" "$st" 2 "$log"
	expect qemu "adversary: Linux reaches userspace under hv.efi" "$log" \
		'tdpvisor default guest: Linux [^ ]+ up'

	for a in $(adversary_picked); do
		if [ "$a" = avx ]; then
			# Without AVX in the CPU model there is nothing to run.
			expect qemu "adversary: avx: the attack passes (or the CPU has no AVX)" "$log" \
				'adversary: (ok|skip) avx: '
		else
			expect qemu "adversary: $a: the attack passes" "$log" "adversary: ok $a: "
		fi
	done
	expect qemu "adversary: every attack reports, none fails" "$log" \
		'adversary: [0-9]+ passed, 0 failed, [0-9]+ skipped'
	expect_no qemu "adversary: no FAIL line" "$log" 'adversary: FAIL '

	# The ranges adversary attacked are the ones hv.efi hides (HC_HV_MEMORY
	# names them, asked at CPL 0), and after the attacks they still read as
	# all ones (smpcheck hidden).
	expect qemu "adversary: learns the hidden ranges by HC_HV_MEMORY at CPL 0" "$log" \
		'adversary: hidden ranges from HC_HV_MEMORY'
	ranges=$(grep -a -o 'platform: hiding \[0x[0-9a-f]*-0x[0-9a-f]*\] and \[0x[0-9a-f]*-0x[0-9a-f]*\]' \
		"$log" | head -n 1 | grep -o '0x[0-9a-f]*-0x[0-9a-f]*')
	if [ -z "$ranges" ]; then
		result qemu "adversary: hv.efi names the ranges it hides" 0 \
			"no 'platform: hiding [A-B] and [C-D]' line in $log"
	fi
	for r in $ranges; do
		n=$((n + 1))
		expect qemu "adversary: attacks hidden range $n (hv.efi's log)" "$log" \
			"adversary: hidden range \\[$r\\]"
		expect qemu "adversary: hidden range $n still reads as all ones afterwards" "$log" \
			"smpcheck: hidden range \\[$r\\]: [0-9]+ words read as all ones on cpu0"
	done
	expect_count qemu "adversary: attacks no other range as hidden memory" "$log" \
		'adversary: hidden range \[' "$(echo "$ranges" | grep -c .)"

	mib=$(grep -a -o 'memcheck: [0-9]* MiB ok' "$log" | grep -o '[0-9]*' | head -1)
	if [ "${mib:-0}" -ge 512 ]; then
		result qemu "adversary: memcheck over at least 512 MiB passes afterwards ($mib MiB)" 1
	else
		result qemu "adversary: memcheck over at least 512 MiB passes afterwards" 0 \
			"$(grep -a 'memcheck:' "$log" | head -2 | tr '\n' ' ' | grep . || echo "no memcheck line in $log")"
	fi
	expect qemu "adversary: hv.efi is alive at power-off (its statistics)" "$log" \
		'platform: the guest switches the machine off'
	expect qemu "adversary: the statistics include the page-size split" "$log" \
		'platform: mapped on demand: [0-9]+ GiB in 1 GiB pages'
	expect_no_panic qemu "adversary: no panic (Linux's or hv.efi's)" "$log"
	expect_no qemu "adversary: hv.efi kills no VM" "$log" 'vm [^ ]*: killed:'

	# The log about guest accesses to hypervisor memory (the statistics'
	# total at power-off aside): short, however many accesses the attacks
	# made and however long they took.
	lines=$(grep -a 'hypervisor memory' "$log" | grep -avc 'guest accesses to hypervisor memory refused')
	if [ "$lines" -le "$ADVERSARY_LOG_BOUND" ]; then
		result qemu "adversary: at most $ADVERSARY_LOG_BOUND log lines about hidden memory ($lines)" 1
	else
		result qemu "adversary: at most $ADVERSARY_LOG_BOUND log lines about hidden memory" 0 \
			"$lines lines about hypervisor memory in $log"
	fi
}
