# shellcheck shell=bash
# qemu-adversary: the default Linux guest under hv.efi (AMD SVM, QEMU) with
# a hostile root user: tests/guest-linux/adversary.c attacks the hypervisor
# (its hidden memory with every kind of access, string I/O on the ports it
# intercepts, single-steps over intercepted instructions, hypercalls from
# user space and, through its kernel module, foreign and hostile ones from
# the kernel, a flood of reads of its memory, S3 sleep writes with no
# waking vector from every CPU), then the guest checks the
# hidden ranges again, runs memcheck and switches off.
#
# ADVERSARY=LIST (attack names joined by commas, default all) runs only
# those attacks: `ADVERSARY=sse tests/run-all.sh qemu-adversary`.

# Every attack adversary knows, in the order it runs them.
ADVERSARY_ATTACKS='mov tf tf-mmio hypercall-user hypercall-kernel flood string sse avx atomic io io-fault tf-string sleep'

# The hypervisor logs the first touch of each page of its memory (the page
# is then mapped to the scratch page, and later accesses are the CPU's own):
# at most this many lines each ADVERSARY_LOG_WINDOW seconds (lib/ratelimit.c,
# vm/platform_mem.c's hole_log), plus one "N more pages ... not logged" line after
# a window that held some back.  The bound for a run is taken from its
# length, whatever the attacks did (each attack on hidden memory makes
# hundreds of accesses, the flood 100,000).
ADVERSARY_LOG_BURST=10
ADVERSARY_LOG_WINDOW=5

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
	local log st a r ranges n=0 lines mib t0 secs bound touched
	# panic=reset: a hypervisor that dies of an attack ends the run at once.
	tools/mkimage.sh "$OUT/qemu-adversary.img" --efi build/hv.efi \
		--cfg "loglevel=7 hvmem=64M panic=reset bluepill next=\\vmlinuz next_args=\"initrd=\\initrd.img console=ttyS0 tdpvisor.adversary=${ADVERSARY:-all} tdpvisor.test=1\"" \
		--add 'build/guest/vmlinuz=\vmlinuz' --add 'build/guest/initrd.img=\initrd.img' > /dev/null
	t0=$(date +%s)
	qemu_run qemu-adversary --cpu EPYC,hypervisor=off --mem 1024
	secs=$(($(date +%s) - t0))
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
	if adversary_picked | grep -qx sleep; then
		# The S3 writes from every CPU: refused (the OS set no waking
		# vector), the machine never sleeps, the power-off still follows.
		expect qemu "adversary: sleep: hv.efi refuses S3 without a waking vector, stays awake" "$log" \
			'platform: S3: cpu[0-9]+ asks to sleep, but the OS set no waking vector below 1 MiB: the machine stays awake'
		expect_no qemu "adversary: sleep: the machine never sleeps" "$log" 'platform: S3: sleeping'
	fi
	expect qemu "adversary: every attack reports, none fails" "$log" \
		'adversary: [0-9]+ passed, 0 failed, [0-9]+ skipped'
	expect_no qemu "adversary: no FAIL line" "$log" 'adversary: FAIL '

	# The ranges adversary attacked are the ones hv.efi hides (HC_HV_MEMORY
	# names them, asked at CPL 0), and after the attacks they still read as
	# all ones (smpcheck hidden).
	expect qemu "adversary: learns the hidden ranges by HC_HV_MEMORY at CPL 0" "$log" \
		'adversary: hidden ranges from HC_HV_MEMORY'
	ranges=$(hidden_ranges "$log")
	if [ -z "$ranges" ]; then
		result qemu "adversary: hv.efi names the ranges it hides" 0 \
			"no 'platform: hiding [A-B] and [C-D]' line in $log"
	fi
	for r in $ranges; do
		n=$((n + 1))
		expect qemu "adversary: attacks hidden range $n (hv.efi's log)" "$log" \
			"adversary: hidden range \\[$r\\]"
		# smpcheck finds hidden ranges among the Reserved ones at or above
		# 1 MiB; the wake area below it is checked by adversary's own reads.
		(( ${r%%-*} < 0x100000 )) && continue
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

	# The log about guest accesses to hypervisor memory: one line per page
	# at its first touch (no more lines than the pages the statistics
	# count), and rate limited: at most a burst and one "more pages" line
	# per window of the run, however many accesses the attacks made.  The
	# run's length counts from QEMU's start, before hv.efi's.
	lines=$(grep -ac 'platform: guest [a-z ]* hypervisor memory at 0x' "$log")
	touched=$(grep -a -o 'the guest touched [0-9]* pages of hypervisor memory' "$log" |
		grep -o '[0-9][0-9]*' | tail -n 1)
	touched=${touched:-0}
	if [ "$touched" -ge 1 ] && [ "$lines" -ge 1 ] && [ "$lines" -le "$touched" ]; then
		result qemu "adversary: the guest touched $touched hypervisor pages (statistics), $lines logged" 1
	else
		result qemu "adversary: the statistics count the hypervisor pages the guest touched, at least one logged, no more" 0 \
			"$touched pages touched (the statistics' 'the guest touched N pages' line), $lines first-touch lines in $log"
	fi
	lines=$((lines + $(grep -ac 'more pages of hypervisor memory touched by the guest' "$log")))
	bound=$(((ADVERSARY_LOG_BURST + 1) * (1 + secs / ADVERSARY_LOG_WINDOW)))
	if [ "$lines" -le "$bound" ]; then
		result qemu "adversary: $lines log lines about hidden memory, at most $bound in $secs s" 1
	else
		result qemu "adversary: at most $bound log lines about hidden memory in $secs s" 0 \
			"$lines lines about hypervisor memory in $log"
	fi
}
