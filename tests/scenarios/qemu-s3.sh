# shellcheck shell=bash
# qemu-s3: suspend to RAM (ACPI S3) under the platform VM.  Debian's Linux
# runs on 2 CPUs, each a guest of hv.efi (smp=all), on a q35 whose ACPI
# offers S3 (-global ICH9-LPC.disable_s3=0).  The guest's init
# (tdpvisor.s3=1) checks every CPU, prints "s3: suspending" and writes
# `mem` to /sys/power/state; QEMU's monitor shows the machine suspended and
# wakes it (system_wakeup); OVMF's S3 resume path returns to Linux's waking
# vector, Linux brings its APs back, and the init checks every CPU again:
# each must still be hv.efi's guest, hv.efi's memory still hidden, then
# memcheck and a power-off whose statistics hv.efi prints.  hv.efi names
# the two halves in its log ("platform: S3: sleeping ...", "platform: S3:
# resumed ...").

# How long a stage may take (TCG, 2 CPUs; a full run takes about 30 s).
S3_SUSPEND_SECS=60	# "s3: suspending" to QEMU's "suspended"
S3_RESUME_SECS=90	# system_wakeup to "s3: resumed"

# s3_mon SOCK COMMAND: COMMAND on QEMU's monitor (HMP) at SOCK; prints its
# answer without the greeting, the prompt and the echo; false when the
# monitor cannot be reached.
s3_mon() {
	local out
	out=$(printf '%s\n' "$2" | socat -t 1 - "UNIX-CONNECT:$1" 2>&1) || return 1
	printf '%s\n' "$out" | tr -d '\r' | sed 's/\x1b\[[0-9;]*[A-Za-z]//g' |
		grep -av -e '^QEMU .* monitor' -e '^(qemu)' || true
}

# s3_secs T0 T1: nanoseconds between two `date +%s%N` as seconds, 1 decimal.
s3_secs() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'
}

# s3_wait_log PID LOG REGEX SECS: true once LOG matches REGEX; false after
# SECS seconds or once PID has ended without it.
s3_wait_log() {
	local pid=$1 log=$2 re=$3 secs=$4 i
	for ((i = 0; i < secs * 5; i++)); do
		grep -aEq -- "$re" "$log" 2> /dev/null && return 0
		kill -0 "$pid" 2> /dev/null || break
		sleep 0.2
	done
	grep -aEq -- "$re" "$log" 2> /dev/null
}

# s3_split LOG: LOG without CRs cut at the guest's "s3: resumed" line into
# LOG.before (up to it) and LOG.after (from it on; empty without it).
s3_split() {
	tr -d '\r' < "$1" | sed 's/\x1b\[[0-9;=?]*[A-Za-z]//g' > "$1.clean"
	sed '/^s3: resumed/,$d' "$1.clean" > "$1.before"
	sed -n '/^s3: resumed/,$p' "$1.clean" > "$1.after"
}

# s3_stop PID: ends run-qemu.sh (it stops its QEMU and cleans up) and waits.
s3_stop() {
	kill -TERM "$1" 2> /dev/null
	wait "$1" 2> /dev/null
}

# scenario_qemu_s3: Linux on 2 CPUs under hv.efi suspends to RAM, QEMU's
# monitor wakes it, and every CPU is hv.efi's guest again afterwards.
scenario_qemu_s3() {
	local log st pid sock=$OUT/qemu-s3.mon status='' i t0 t_susp='' t_asleep='' t_wake='' t_res='' t_end
	local asleep=$OUT/qemu-s3.asleep.log c
	log=$OUT/qemu-s3.log
	tools/mkimage.sh "$OUT/qemu-s3.img" --efi build/hv.efi \
		--cfg "loglevel=7 hvmem=64M bluepill smp=all tick=10 next=\\vmlinuz next_args=\"initrd=\\initrd.img console=ttyS0 no_console_suspend tdpvisor.s3=1\"" \
		--add 'build/guest/vmlinuz=\vmlinuz' --add 'build/guest/initrd.img=\initrd.img' > /dev/null
	: > "$log"
	: > "$asleep"
	rm -f "$sock"
	t0=$(date +%s%N)
	tests/emu/run-qemu.sh --image "$OUT/qemu-s3.img" --log "$log" --timeout "$QEMU_TIMEOUT" \
		--cpu EPYC,hypervisor=off --mem 1024 --smp 2 --monitor "$sock" \
		--qemu-arg -global --qemu-arg ICH9-LPC.disable_s3=0 2> "$log.err" &
	pid=$!

	# 1. The guest goes to sleep, and QEMU says it is suspended.
	if s3_wait_log "$pid" "$log" '^s3: suspending' "$QEMU_TIMEOUT"; then
		t_susp=$(date +%s%N)
		result qemu "S3: Linux asks for S3 (s3: suspending)" 1
	else
		result qemu "S3: Linux asks for S3 (s3: suspending)" 0 \
			"no 's3: suspending' in $log (QEMU $(kill -0 "$pid" 2> /dev/null && echo running ||
				echo ended)): $(grep -a -m1 '^s3: FAILED' "$log" | tr -d '\r')"
	fi
	if [ -n "$t_susp" ]; then
		for ((i = 0; i < S3_SUSPEND_SECS * 2; i++)); do
			kill -0 "$pid" 2> /dev/null || break
			status=$(s3_mon "$sock" 'info status' | grep -a -m1 'VM status' || true)
			[[ $status == *suspended* ]] && break
			sleep 0.5
		done
	fi
	if [[ $status == *suspended* ]]; then
		t_asleep=$(date +%s%N)
		result qemu "S3: QEMU's monitor shows the machine suspended" 1
		# What the log holds while the machine sleeps.
		sleep 1
		tr -d '\r' < "$log" > "$asleep"
		expect qemu "S3: hv.efi says the machine goes to sleep (platform: S3: sleeping)" \
			"$asleep" 'platform: S3: sleeping'
		expect_no qemu "S3: hv.efi does not take the sleep for a power-off" "$asleep" \
			'platform: the guest switches the machine off'
		t_wake=$(date +%s%N)
		s3_mon "$sock" system_wakeup > "$OUT/qemu-s3.wakeup" ||
			echo "monitor unreachable" > "$OUT/qemu-s3.wakeup"
		for ((i = 0; i < 20; i++)); do
			status=$(s3_mon "$sock" 'info status' | grep -a -m1 'VM status' || true)
			[[ $status == *suspended* ]] || break
			sleep 0.5
		done
		if [[ -n $status && $status != *suspended* ]]; then
			result qemu "S3: system_wakeup wakes the machine" 1
		else
			result qemu "S3: system_wakeup wakes the machine" 0 \
				"after system_wakeup ($(head -c 200 "$OUT/qemu-s3.wakeup")): '${status:-no answer}'"
		fi
		if s3_wait_log "$pid" "$log" '^s3: resumed' "$S3_RESUME_SECS"; then
			t_res=$(date +%s%N)
		else
			echo "# s3: no 's3: resumed' within ${S3_RESUME_SECS} s of system_wakeup: QEMU stopped" \
				>> "$OUT/qemu.tap"
			s3_stop "$pid"
		fi
	else
		[ -z "$t_susp" ] || result qemu "S3: QEMU's monitor shows the machine suspended" 0 \
			"after ${S3_SUSPEND_SECS} s: '${status:-no answer from $sock}'"
		# Nothing to wake: no reason to wait for the time bound.
		s3_stop "$pid"
	fi
	wait "$pid"
	st=$?
	t_end=$(date +%s%N)
	s3_split "$log"

	# 2. Before: every CPU a guest, hv.efi's memory hidden.
	expect qemu "S3: Linux offers S3 (mem, deep)" "$log.before" \
		'^s3: /sys/power/mem_sleep: .*deep'
	expect qemu "S3: 2 CPUs online before suspend" "$log.before" \
		'^s3: online CPUs before suspend: 0-1$'
	expect qemu "S3: every CPU is tdpvisor's guest before suspend" "$log.before" \
		"^s3: cpuid before suspend: every online CPU is tdpvisor's guest"
	expect qemu "S3: hv.efi's memory is hidden before suspend" "$log.before" \
		'^s3: hidden memory before suspend: ok'

	# 3. After: Linux is back with both CPUs, each still a guest.
	expect qemu "S3: Linux comes back (s3: resumed)" "$log.after" '^s3: resumed'
	expect qemu "S3: Linux wakes from S3" "$log.after" \
		'ACPI: PM: Waking up from system sleep state S3'
	expect qemu "S3: Linux's suspend ends (PM: suspend exit)" "$log.after" 'PM: suspend exit'
	# hv.efi's own lines about the wake-up come before Linux's: the boot
	# CPU first, then every AP back through the trampoline.
	expect qemu "S3: hv.efi resumes on the boot CPU after the wake-up (platform: S3: resumed)" \
		"$log.clean" 'platform: S3: resumed: cpu0 is back in the hypervisor \(1 sleep\)'
	expect qemu "S3: hv.efi brings every AP back under itself before the OS wakes" \
		"$log.clean" 'platform: S3: resumed: every CPU is under the hypervisor again'
	expect_no qemu "S3: hv.efi's wake-up lines come only after the wake-up" "$asleep" \
		'platform: S3: resumed'
	expect_no qemu "S3: no CPU fails to stop or to come back" "$log.clean" \
		'platform: S3: cpu[0-9]+ did not'
	expect_no qemu "S3: the machine really sleeps (no stay-awake fallback)" "$log.clean" \
		'platform: S3: .*staying awake'
	expect qemu "S3: 2 CPUs online after resume" "$log.after" \
		'^s3: online CPUs after resume: 0-1$'
	for c in 0 1; do
		expect qemu "S3: cpu$c answers CPUID as tdpvisor's guest after resume" "$log.after" \
			"^smpcheck: cpu$c: tdpvisor, no SVM$"
	done
	expect qemu "S3: every CPU is tdpvisor's guest after resume" "$log.after" \
		"^s3: cpuid after resume: every online CPU is tdpvisor's guest"
	expect qemu "S3: hv.efi's memory is still hidden after resume" "$log.after" \
		'^s3: hidden memory after resume: ok'
	expect qemu "S3: memcheck passes after resume" "$log.after" '^memcheck: [0-9]+ MiB ok'
	expect qemu "S3: hv.efi prints its statistics at the power-off after resume" "$log.after" \
		'platform: the guest switches the machine off \(on cpu[0-9]+\): .* 2 CPUs as guests'
	expect_status qemu "S3: switches the machine off at the end" "$st" 2 "$log"
	expect_no qemu "S3: hv.efi kills no VM" "$log.clean" 'vm [^ ]*: killed:'
	expect_no qemu "S3: the guest does not triple-fault" "$log.clean" 'platform: the guest triple-faulted'
	expect_no_panic qemu "S3: no panic" "$log.clean"

	{
		echo "# s3: $(grep -a -o 'VM status: .*' <<< "$status" | head -1)"
		printf '# s3: timing (s from QEMU start): s3: suspending %s, suspended %s, wakeup %s, s3: resumed %s, QEMU ended %s\n' \
			"$([ -n "$t_susp" ] && s3_secs "$t0" "$t_susp" || echo -)" \
			"$([ -n "$t_asleep" ] && s3_secs "$t0" "$t_asleep" || echo -)" \
			"$([ -n "$t_wake" ] && s3_secs "$t0" "$t_wake" || echo -)" \
			"$([ -n "$t_res" ] && s3_secs "$t0" "$t_res" || echo -)" \
			"$(s3_secs "$t0" "$t_end")"
		grep -a -E '^smpcheck: FAIL cpu[0-9]+: ' "$log.after" | head -2 | sed 's/^/# s3: after resume: /'
	} >> "$OUT/qemu.tap"
}
