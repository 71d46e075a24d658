# shellcheck shell=bash
# qemu-mce: machine checks under the platform VM.  QEMU's monitor injects
# an uncorrected error (bank 1, MCG_STATUS RIPV|MCIP) into CPU 0 while
# Debian's Linux runs under hv.efi: the #MC reaches Linux (through hv.efi,
# which logs the banks, when it lands in the host), whose handler reads
# the same bank (AMD's rules make an uncorrected error in the kernel
# fatal: Linux panics and, with panic=1, resets); hv.efi is still there to catch the reset and print its
# statistics.  QEMU's TCG raises an injected #MC in the guest's IDT even
# with the intercept set, so which path it takes depends on where CPU 0
# is at that moment; the selftest machine_check covers the host's path
# deterministically on both vendors.

MCE_STATUS=0xb000000000000000	# VAL | UC | EN
MCE_MCG=0x5			# RIPV | MCIP

# mce_inject SOCK: the monitor's "mce" command for CPU 0, bank 1; true when
# the monitor took it.
mce_inject() {
	printf 'mce 0 1 %s %s 0x0 0x0\n' "$MCE_STATUS" "$MCE_MCG" |
		socat -t 2 - "UNIX-CONNECT:$1" > "$1.out" 2>&1
}

# mce_run NAME REGEX: boots $OUT/NAME.img with a monitor, injects the
# machine check once the log matches REGEX, and waits; sets log and st.
mce_run() {
	local name=$1 re=$2 pid i sock=$OUT/$1.mon
	log=$OUT/$name.log
	: > "$log"
	rm -f "$sock"
	tests/emu/run-qemu.sh --image "$OUT/$name.img" --log "$log" --timeout "$QEMU_TIMEOUT" \
		--cpu EPYC,hypervisor=off --mem 1024 --monitor "$sock" 2> "$log.err" &
	pid=$!
	for ((i = 0; i < QEMU_TIMEOUT * 5; i++)); do
		grep -aEq -- "$re" "$log" 2> /dev/null && break
		kill -0 "$pid" 2> /dev/null || break
		sleep 0.2
	done
	if kill -0 "$pid" 2> /dev/null && mce_inject "$sock"; then
		result qemu "mce: the monitor injects a machine check ($name)" 1
	else
		result qemu "mce: the monitor injects a machine check ($name)" 0 \
			"QEMU gone or no monitor at $sock: $(tail -c 300 "$sock.out" 2> /dev/null)"
	fi
	wait "$pid"
	st=$?
}

scenario_qemu_mce() {
	local log st bank path
	# Linux, in its userspace (memcheck runs for a while).
	bluepill_image qemu-mce '\vmlinuz' 'initrd=\initrd.img console=ttyS0 tdpvisor.test=1 panic=1' \
		--add 'build/guest/vmlinuz=\vmlinuz' --add 'build/guest/initrd.img=\initrd.img'
	mce_run qemu-mce 'tdpvisor default guest: Linux [^ ]+ up'
	expect qemu "mce: Linux's own handler reads the injected bank" "$log" \
		'mce: \[Hardware Error\]: .*Bank 1: b000000000000000'
	expect qemu "mce: hv.efi outlives the guest's fatal machine check (catches its reset)" "$log" \
		'platform: the guest resets the machine .*'
	# Where QEMU delivered it: while the host ran, hv.efi's handler kept it
	# for the guest; while the guest ran, QEMU gives it to the guest's IDT
	# whatever the #MC intercept says (docs/platform.md).
	if grep -aq 'cpu0: machine check while the hypervisor ran' "$log"; then
		path="in the hypervisor, kept and given to the guest"
		bank=$(grep -a -o 'cpu0:   bank 1: status 0x[0-9a-f]*' "$log" | head -1)
		if [ "${bank##* }" = "$MCE_STATUS" ] &&
			grep -aq 'vm platform: the machine check goes to the guest (vector 18)' "$log"; then
			result qemu "mce: hv.efi logged the bank it gives the guest ($MCE_STATUS)" 1
		else
			result qemu "mce: hv.efi logged the bank it gives the guest ($MCE_STATUS)" 0 \
				"got: ${bank:-no bank line}"
		fi
	else
		path="in the guest, straight to its IDT"
	fi
	echo "# mce: QEMU raised the machine check $path" >> "$OUT/qemu.tap"
}
