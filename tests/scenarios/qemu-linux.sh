# shellcheck shell=bash
# qemu-linux: the default guest.  Debian's Linux boots to userspace under
# hv.efi's SVM platform VM, sees the hypervisor bit, tests most of its RAM
# and switches off; then the same Linux boots without hv.efi, and the two
# boots' kernel warnings are compared.  hv.efi writes to the firmware's
# console and COM1 (console=efi console=ttyS0, the USB image's choice plus
# a UART): the firmware console must close before the firmware becomes
# the guest, and the firmware must signal ExitBootServices to hv.efi.

# Kernel warnings whose presence depends on emulation timing, in boots with
# and without hv.efi alike (QEMU TCG runs the APIC timer and the PIT
# against the host's clock).
TIMING_WARNINGS='APIC: Stale IRR|APIC calibration not consistent with PM-Timer|tsc: Unable to calibrate against PIT|tsc: Marking TSC unstable|clocksource: .* (skew|unstable)|timekeeping watchdog|hpet: Lost .* RTC interrupts'

# pool_reserved LOG START END: a "BIOS-e820: [mem A-B] reserved" line of
# LOG covers [START, END] (hex without 0x; the kernel merges neighbours).
pool_reserved() {
	local log=$1 lo=$((16#${2:-x})) hi=$((16#${3:-x})) a b
	[ -n "${2:-}" ] || return 1
	while read -r a b; do
		[ $((16#$a)) -le "$lo" ] && [ $((16#$b)) -ge "$hi" ] && return 0
	done < <(grep -a -o 'BIOS-e820: \[mem 0x[0-9a-f]*-0x[0-9a-f]*\] reserved' "$log" |
		sed 's/.*0x\([0-9a-f]*\)-0x\([0-9a-f]*\).*/\1 \2/')
	return 1
}

# kernel_warnings LOG: the guest's "kernel warning:" lines, numbers masked
# (the memory map differs by the pool), sorted and unique.
kernel_warnings() {
	grep -a -o 'kernel warning: .*' "$1" | tr -d '\r' | sed 's/[0-9]\+/#/g' | sort -u
}

# exit_breakdown_sum LOG WHAT: the figures of LOG's "WHAT exits by ..."
# line added up (the counts that follow each port or leaf; "(N from a
# lower port)" and "the rest N" counted as they should be).
exit_breakdown_sum() {
	local line
	line=$(grep -a -o "platform:   $2 exits by [^:]*:.*" "$1" | head -1 | tr -d '\r')
	[ -n "$line" ] || return 1
	line=${line#*:}
	line=$(echo "${line#*:}" | sed 's/([0-9]* from a lower port)//g; s/, the rest / x /')
	# pairs: NAME COUNT
	echo "$line" | awk '{ s = 0; for (i = 2; i <= NF; i += 2) s += $i; print s }'
}

# check_exit_breakdown LOG: the I/O exits by intercepted byte and the CPUID
# exits by leaf add up to the totals per reason; the dword accesses at
# 0xcf8 that exit for the reset byte 0xcf9 are counted as such.
check_exit_breakdown() {
	local log=$1 what total sum
	for what in io cpuid; do
		total=$(grep -a -o "platform:   exits $what  *[0-9]*" "$log" | head -1 | grep -o '[0-9]*$')
		sum=$(exit_breakdown_sum "$log" "$what")
		if [ -n "$total" ] && [ "$total" = "$sum" ]; then
			result qemu "Linux: the $what exits by port/leaf add up to the $what exits ($total)" 1
		else
			result qemu "Linux: the $what exits by port/leaf add up to the $what exits" 0 \
				"total ${total:-none}, breakdown ${sum:-none}"
		fi
	done
	expect qemu "Linux: its PCI type-1 accesses at 0xcf8 are counted as exits for the reset byte" \
		"$log" 'io exits by the intercepted byte they covered:.* 0xcf9 [1-9][0-9]* \([1-9][0-9]* from a lower port\)'
}

# console_checks LOG: OVMF mirrors its text console onto COM1, so while
# hv.efi runs natively each of its lines is there twice (once through the
# firmware); once the firmware runs as the guest, once: the firmware console
# closes with a note, the power-off statistics come through COM1 alone, the
# firmware signalled ExitBootServices to hv.efi's notification, and hv.efi's
# own count of calls into the firmware console after that is 0.
console_checks() {
	local log=$1
	expect_count qemu "Linux: while hv.efi runs natively its lines go to the firmware console too" \
		"$log" 'tdpvisor .* (built .*) starting' 2
	expect_count qemu "Linux: the firmware console closes when the firmware becomes a guest (said once)" \
		"$log" "printk: console efi closed: the firmware runs as the platform VM's guest" 1
	expect_count qemu "Linux: the power-off statistics come once (COM1 only)" "$log" \
		'platform: the guest switches the machine off' 1
	expect_count qemu "Linux: ExitBootServices signalled, no firmware-console call after it" "$log" \
		'efi: firmware console: [0-9]* calls, 0 of them after ExitBootServices; closed; ExitBootServices signalled: yes' 1
}

# scenario_qemu_linux: Linux under hv.efi, then without it as the baseline.
scenario_qemu_linux() {
	local log st mib range lw new ign
	BLUEPILL_OPTS='console=efi console=ttyS0' bluepill_image qemu-linux '\vmlinuz' 'initrd=\initrd.img console=ttyS0 tdpvisor.test=1' \
		--add 'build/guest/vmlinuz=\vmlinuz' --add 'build/guest/initrd.img=\initrd.img'
	# QEMU's EPYC sets the hypervisor bit itself: off, so the bit is ours.
	qemu_run qemu-linux --cpu EPYC,hypervisor=off --mem 1024
	expect_status qemu "Linux: switches the machine off at the end" "$st" 2 "$log"
	expect qemu "Linux: reaches userspace under hv.efi" "$log" 'tdpvisor default guest: Linux [^ ]+ up'
	expect qemu "Linux: sees the hypervisor bit" "$log" 'hypervisor bit: yes'
	mib=$(grep -a -o 'memcheck: [0-9]* MiB ok' "$log" | grep -o '[0-9]*' | head -1)
	if [ "${mib:-0}" -ge 512 ]; then
		result qemu "Linux: memcheck over at least 512 MiB passes ($mib MiB)" 1
	else
		result qemu "Linux: memcheck over at least 512 MiB passes" 0 \
			"$(grep -a 'memcheck' "$log" | head -2 | tr '\n' ' ')"
	fi
	expect qemu "Linux: statistics with the page-size split at power-off" "$log" \
		'platform: mapped on demand: [0-9]+ GiB in 1 GiB pages, [0-9]+ MiB in 2 MiB pages, [0-9]+ KiB in 4 KiB pages'
	check_exit_breakdown "$log"
	console_checks "$log"
	range=$(grep -a -o 'mem: reserved [0-9]* MiB at \[0x[0-9a-f]*-0x[0-9a-f]*\]' "$log" | head -1 |
		sed 's/.*\[0x\([0-9a-f]*\)-0x\([0-9a-f]*\)\]/\1 \2/')
	# shellcheck disable=SC2086  # START END, or nothing
	if pool_reserved "$log" $range; then
		result qemu "Linux: the hypervisor's pool is reserved in Linux's memory map" 1
	else
		result qemu "Linux: the hypervisor's pool is reserved in Linux's memory map" 0 \
			"no reserved BIOS-e820 range covers [0x${range% *}-0x${range#* }]"
	fi

	# Linux's warnings (its init prints dmesg's levels 0-4) against the same
	# boot without hv.efi.  TIMING_WARNINGS are warnings that QEMU's TCG
	# timing produces in either kind of boot, run to run: they are listed,
	# not counted.
	lw=$log
	tests/guest-linux/run-direct.sh --dir build/guest --cpu EPYC,hypervisor=off \
		--log "$OUT/qemu-linux-direct.log" > "$OUT/qemu-linux-direct.out" 2>&1
	expect_status qemu "Linux without hv.efi (the baseline) passes memcheck" "$?" 0 \
		"$OUT/qemu-linux-direct.log"
	new=$(comm -23 <(kernel_warnings "$lw") <(kernel_warnings "$OUT/qemu-linux-direct.log"))
	ign=$(echo "$new" | grep -E "$TIMING_WARNINGS")
	new=$(echo "$new" | grep -vE "$TIMING_WARNINGS" | grep -v '^$')
	# shellcheck disable=SC2086,SC2116  # one line, words squeezed
	[ -z "$ign" ] || echo "# Linux: timing warnings seen only under hv.efi this run: $(echo $ign)" \
		>> "$OUT/qemu.tap"
	if grep -aq 'kernel warning: ' "$lw" || grep -aq 'tdpvisor default guest: powering off' "$lw"; then
		# shellcheck disable=SC2086,SC2116
		result qemu "Linux: no kernel warning that the boot without hv.efi lacks" \
			"$([ -z "$new" ] && echo 1 || echo 0)" "new: $(echo $new)"
	else
		result qemu "Linux: no kernel warning that the boot without hv.efi lacks" 0 \
			"the guest printed no warning list"
	fi
}
