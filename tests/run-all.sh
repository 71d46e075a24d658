#!/usr/bin/env bash
# make test: everything, ending in one line "N passed, N failed".
#
#   host      the unit tests (lib/, the allocator, the command line, the TDP
#             MMU's ktests) in one ASan+UBSan binary, and the TDP MMU's own
#             host suites (model, threads) from tests/host/build.mk
#   qemu      hv.efi booted by OVMF in QEMU (AMD SVM, TCG): the in-hypervisor
#             tests and selftests, the USB image as `make usb` writes it, the
#             firmware and then a second hv.efi, probe.efi (checks from
#             inside) and Debian's Linux running as guests (bluepill),
#             power-off statistics, a CPU without SVM, the panic reports, bad
#             options, and `make debug`
#   bochs     hv.efi booted by OVMF in Bochs: Intel VMX (tigerlake, once per
#             dirty-logging mode; sandy bridge for the fallbacks) and AMD
#             SVM with NRIPS and flush-by-ASID (ryzen)
#
# The QEMU and Bochs boots run side by side (one of each: the machines have
# two cores).  Each check prints "ok - SUITE: what" or "not ok - SUITE: what"
# with the reason; logs stay in build/test/.  Exit status 0 iff all passed.
set -uo pipefail
cd "$(dirname "$0")/.."

OUT=build/test
QEMU_TIMEOUT=${QEMU_TIMEOUT:-240}
BOCHS_TIMEOUT=${BOCHS_TIMEOUT:-900}
TEST_CMDLINE="loglevel=7 hvmem=256M ktest=all"
rm -rf "$OUT"
mkdir -p "$OUT"

# result SUITE NAME OK [REASON...]: one line in the suite's result file.
result() {
	local suite=$1 name=$2 ok=$3
	shift 3
	if [ "$ok" = 1 ]; then
		echo "ok - $suite: $name"
	else
		echo "not ok - $suite: $name"
		[ $# -gt 0 ] && echo "#   $*"
	fi >> "$OUT/$suite.tap"
}

# expect SUITE NAME LOG REGEX: the log has a line matching REGEX.
expect() {
	if grep -aEq -- "$4" "$3"; then
		result "$1" "$2" 1
	else
		result "$1" "$2" 0 "no line matching /$4/ in $3"
	fi
}

# expect_status SUITE NAME GOT WANT [LOG]: with LOG, a failure shows its
# last lines (a hung boot is killed at its bound and reported like this).
expect_status() {
	if [ "$3" = "$4" ]; then
		result "$1" "$2" 1
	else
		result "$1" "$2" 0 "exit status $3, expected $4"
		if [ -n "${5:-}" ] && [ -f "$5" ]; then
			tr -d '\r' < "$5" | sed 's/\x1b\[[0-9;=]*[A-Za-z]//g' | grep -a . |
				tail -n 8 | sed 's/^/#   | /' >> "$OUT/$1.tap"
		fi
	fi
}

# ktap SUITE NAME LOG: every KTAP result in LOG becomes one check.
ktap() {
	tests/emu/ktap.sh --prefix "$2" "$3" > "$OUT/$2.ktap" 2>&1
	grep -E '^(not )?ok - |^#' "$OUT/$2.ktap" >> "$OUT/$1.tap"
	if ! grep -qE '^ok - ' "$OUT/$2.ktap"; then
		result "$1" "$2 printed KTAP results" 0 "none found in $3"
	fi
}

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

# qemu_run NAME RUNNER-ARGS...: boots $OUT/NAME.img in QEMU; sets log and st.
qemu_run() {
	local name=$1
	shift
	log=$OUT/$name.log
	tests/emu/run-qemu.sh --image "$OUT/$name.img" --log "$log" --timeout "$QEMU_TIMEOUT" \
		"$@" 2> "$log.err"
	st=$?
}

# bochs_run NAME MODEL: boots $OUT/NAME.img in Bochs; sets log and st.
bochs_run() {
	log=$OUT/$1.log
	tests/emu/run-bochs.sh --image "$OUT/$1.img" --log "$log" --model "$2" \
		--timeout "$BOCHS_TIMEOUT" 2> "$log.err"
	st=$?
}

# image NAME CMDLINE: a boot image whose hv.cfg holds CMDLINE.
image() {
	tools/mkimage.sh "$OUT/$1.img" --efi build/hv.efi --cfg "$2" > /dev/null
}

# boot_until qemu|bochs LOG REGEX SECS RUNNER-ARGS...: boots, and stops the
# emulator once the log matches REGEX (for runs that return to the firmware
# or halt); the runner cleans up on SIGTERM.
boot_until() {
	local emu=$1 log=$2 re=$3 secs=$4 pid i
	shift 4
	: > "$log"	# a match left by an earlier run must not count
	tests/emu/run-$emu.sh --log "$log" --timeout "$secs" "$@" 2> "$log.err" &
	pid=$!
	for ((i = 0; i < secs * 5; i++)); do
		if grep -aEq -- "$re" "$log" 2> /dev/null; then
			kill -TERM "$pid" 2> /dev/null
			wait "$pid" 2> /dev/null
			return 0
		fi
		kill -0 "$pid" 2> /dev/null || break
		sleep 0.2
	done
	wait "$pid" 2> /dev/null
	return 1
}

# probe_checks SUITE LOG amd|intel: each line probe.efi (tests/efi-probe/)
# must print under that vendor's platform VM, its summary, and its clean
# return (boot it with tests/efi-probe/mkprobe-img.sh --exit return).
probe_checks() {
	local suite=$1 log=$2 vendor=$3 c n what ok leaf leaf_name msrs
	if [ "$vendor" = amd ]; then
		msrs=('EFER.SVME reads 0' 'rdmsr VM_CR \(0xc0010114\) raises #GP'
			'rdmsr VM_HSAVE_PA \(0xc0010117\) raises #GP')
		leaf='NPT leaf is WB' leaf_name='NPT leaf is WB'
	else
		msrs=('IA32_FEATURE_CONTROL shows no VMX enabled' 'rdmsr IA32_VMX_BASIC \(0x480\) raises #GP')
		leaf='EPT leaf type [A-Z]+ is the MTRR type of all its'
		leaf_name='EPT leaf type is the MTRR type of every page it maps'
	fi
	for c in "CPUID 0x40000000 signature 'tdpvisor'" 'CPUID.1:ECX.hypervisor \(bit 31\) set' \
		'CPUID.1:ECX.VMX \(bit 5\) clear' 'CPUID.80000001:ECX.SVM \(bit 2\) clear' \
		"${msrs[@]}" 'HC_VERSION answers 0x10000' 'HC_HV_MEMORY names the hidden ranges' \
		'the hypervisor still answers after the writes' 'MTRRs readable'; do
		expect "$suite" "probe: ${c//\\/}" "$log" "probe: ok $c"
	done
	for c in 'read as all ones' 'writes do not land' 'no TDP leaf maps it'; do
		n=$(grep -a -c "probe: ok hypervisor memory \[0x[0-9a-f]*-0x[0-9a-f]*\]: .*$c" "$log")
		if [ "$n" -eq 2 ]; then
			result "$suite" "probe: hypervisor pool and image: $c" 1
		else
			result "$suite" "probe: hypervisor pool and image: $c" 0 "$n of 2 ranges"
		fi
	done
	for what in 'low RAM' 'legacy VGA' 'probe code' 'IOAPIC' 'LAPIC' 'high RAM'; do
		for c in 'mapped after a read' 'identity mapped'; do
			expect "$suite" "probe: memtype $what: $c" "$log" \
				"probe: ok memtype $what 0x[0-9a-f]+: $c"
		done
		expect "$suite" "probe: memtype $what: $leaf_name" "$log" \
			"probe: ok memtype $what 0x[0-9a-f]+: $leaf"
	done
	# A guest MTRR write retypes the map (a free variable pair, then cleared).
	expect "$suite" "probe: an MTRR write retypes the map: the leaf no longer spans two types" \
		"$log" 'probe: ok MTRR write: the leaf no longer spans two types'
	expect "$suite" "probe: an MTRR write retypes the map: mapped again after the pair is cleared" \
		"$log" 'probe: ok MTRR write: 0x[0-9a-f]+ mapped after var[0-9]+ is cleared'
	if [ "$vendor" = intel ]; then
		expect "$suite" "probe: an MTRR write retypes the map: the EPT leaf is WT" "$log" \
			'probe: ok MTRR write: the EPT leaf is WT'
		expect "$suite" "probe: an MTRR write retypes the map: the old type is back" "$log" \
			'probe: ok MTRR write: the EPT leaf is [A-Z]+ again'
	fi
	ok=$(grep -a -c 'probe: ok ' "$log")
	if grep -aEq "probe: $ok passed, 0 failed" "$log" && [ "$ok" -ge 30 ]; then
		result "$suite" "probe: $ok passed, 0 failed" 1
	else
		result "$suite" "probe: every check passes" 0 \
			"$(grep -a -E 'probe: (FAIL|[0-9]+ passed)' "$log" | head -4 | tr -d '\r' | tr '\n' ' ')"
	fi
	if sed -n '/probe: returning EFI_SUCCESS to the firmware/,$p' "$log" |
		grep -aEq 'Boot0000 "UiApp"|Shell>'; then
		result "$suite" "probe: returns EFI_SUCCESS, and the firmware goes on" 1
	else
		result "$suite" "probe: returns EFI_SUCCESS, and the firmware goes on" 0 \
			"no boot manager after 'probe: returning EFI_SUCCESS' in $log"
	fi
	if grep -aq 'Kernel panic' "$log"; then
		result "$suite" "probe: no panic" 0 "$(grep -a 'Kernel panic' "$log" | head -1)"
	else
		result "$suite" "probe: no panic" 1
	fi
}

# hvprobe_checks SUITE LOG amd|intel: what hv.efi's hvprobe option, run as
# the platform VM's guest, must find: a CPU without VMX or SVM, XSETBV
# validated, INVD intercepted.
hvprobe_checks() {
	local suite=$1 log=$2 c checks
	checks=('CPUID hides VMX' 'CPUID hides SVM' 'CR4.VMXE reads 0'
		'XSETBV of the XCR0 in use is accepted' 'XSETBV without x87 gets #GP'
		'XSETBV of AVX without SSE gets #GP' 'XSETBV of XCR1 gets #GP'
		'XCR0 is unchanged after the refused values' 'INVD exits to the hypervisor'
		'CPUID.1:ECX.OSXSAVE reads 0 with CR4.OSXSAVE clear'
		'CPUID.1:ECX.OSXSAVE reads 1 with CR4.OSXSAVE set')
	if [ "$3" = intel ]; then
		checks+=('setting CR4.VMXE gets #GP' 'CR4.VMXE still reads 0'
			'IA32_VMX_BASIC gets #GP' 'IA32_FEATURE_CONTROL shows VMX disabled'
			'IA32_FEATURE_CONTROL cannot be written')
	else
		checks+=('EFER.SVME reads 0' 'setting EFER.SVME gets #GP' 'VM_CR gets #GP')
	fi
	for c in "${checks[@]}"; do
		expect "$suite" "hvprobe: $c" "$log" "hvprobe: ${c//./\\.}: ok"
	done
}

# Kernel warnings whose presence depends on emulation timing, in boots with
# and without hv.efi alike (QEMU TCG runs the APIC timer and the PIT
# against the host's clock).
TIMING_WARNINGS='APIC: Stale IRR|tsc: Unable to calibrate against PIT|tsc: Marking TSC unstable|clocksource: .* (skew|unstable)|timekeeping watchdog'

run_host() {
	local st
	build/host/unit-tests > "$OUT/host-unit.log" 2>&1
	st=$?
	expect_status host "unit-tests binary exits cleanly (ASan/UBSan)" "$st" 0
	ktap host host-unit "$OUT/host-unit.log"
	if make --no-print-directory -s host-mm-test > "$OUT/host-mm.log" 2>&1; then st=0; else st=$?; fi
	grep -E '^(not )?ok - ' "$OUT/host-mm.log" >> "$OUT/host.tap"
	expect_status host "TDP MMU host suites (make host-mm-test)" "$st" 0
}

run_qemu() {
	local st log

	# The in-hypervisor tests, SVM selftests included.
	image qemu-main "$TEST_CMDLINE exit=qemu"
	qemu_run qemu-main --cpu EPYC --mem 1024
	expect_status qemu "main boot ends with a passing status" "$st" 0 "$log"
	expect qemu "banner" "$log" '\] tdpvisor [0-9.]+ .* starting'
	expect qemu "capability report: SVM with NPT" "$log" 'cpu0: SVM: NPT yes'
	expect qemu "SVM turned on, without NRIPS (computed next RIP)" "$log" 'cpu0: SVM on: NPT 4 levels, .*NRIPS no'
	expect qemu "SVM turned off again, EFER restored" "$log" 'cpu0: SVM off, EFER restored'
	expect qemu "host descriptor tables with a non-zero TR" "$log" 'desc: .*TR 0x[1-9a-f]'
	expect qemu "memory pool reserved" "$log" 'mem: reserved 256 MiB at'
	expect qemu "hv.efi runs from a copy in reserved memory" "$log" 'hv.efi: loaded at 0x[0-9a-f]+, running from a copy in reserved memory'
	expect qemu "returns to the firmware" "$log" 'returning to the firmware \(status 0x0\)'
	ktap qemu qemu "$log"

	# The USB image exactly as `make usb` writes it: hv.efi runs, returns,
	# and the firmware carries on to its boot manager.
	log=$OUT/qemu-usb.log
	if boot_until qemu "$log" 'Boot0000 "UiApp"|Shell>' 60 --image build/hv-usb.img --cpu EPYC; then st=0; else st=1; fi
	expect qemu "USB image: hv.efi boots from \\EFI\\BOOT\\BOOTX64.EFI" "$log" 'path \\EFI\\BOOT\\BOOTX64.EFI'
	expect qemu "USB image: hv.cfg is read" "$log" 'Command line \(hv.cfg\): loglevel=7'
	expect qemu "USB image: returns to the firmware" "$log" 'returning to the firmware'
	expect_status qemu "USB image: the firmware's boot manager runs afterwards" "$st" 0

	# The platform VM: the firmware goes on as a guest of hv.efi (bluepill).
	image qemu-bluepill "loglevel=7 hvmem=64M bluepill"
	log=$OUT/qemu-bluepill.log
	if boot_until qemu "$log" 'Boot0000 "UiApp"|Shell>' 60 --image "$OUT/qemu-bluepill.img" \
		--cpu EPYC,hypervisor=off --mem 1024; then st=0; else st=1; fi
	expect qemu "bluepill: the CPU runs the firmware as a guest" "$log" \
		'platform: cpu0 now runs the firmware as a guest'
	expect qemu "bluepill: the guest sees the hypervisor's CPUID leaf and bit" "$log" \
		"guest side\): CPUID 0x40000000 says 'tdpvisor', hypervisor bit 1"
	expect_status qemu "bluepill: the firmware's boot manager runs on, as a guest" "$st" 0 "$log"
	if grep -aq 'Kernel panic' "$log"; then
		result qemu "bluepill: no panic" 0 "$(grep -a 'Kernel panic' "$log" | head -1)"
	else
		result qemu "bluepill: no panic" 1
	fi

	# ... and boots the next stage as its guest: a second hv.efi, started
	# with load options, which finds itself under tdpvisor without SVM and
	# ends the run through the I/O port that passes through.
	tools/mkimage.sh "$OUT/qemu-next.img" --efi build/hv.efi \
		--cfg 'loglevel=7 hvmem=64M bluepill next=\EFI\tdpvisor\hv2.efi next_args="loglevel=7 ktest=cmdline exit=qemu"' \
		--add 'build/hv.efi=\EFI\tdpvisor\hv2.efi' > /dev/null
	qemu_run qemu-next --cpu EPYC,hypervisor=off --mem 1024
	expect_status qemu "next stage: the guest hv.efi ends the run with a pass" "$st" 0 "$log"
	expect qemu "next stage: started from \EFI\tdpvisor with its load options" "$log" \
		'path \\EFI\\tdpvisor\\hv2.efi'
	expect qemu "next stage: its load options arrive (UCS-2)" "$log" \
		'Command line: loglevel=7 ktest=cmdline exit=qemu'
	expect qemu "next stage: it runs under tdpvisor" "$log" \
		"running under a hypervisor, CPUID 0x40000000 signature 'tdpvisor'"
	expect qemu "next stage: SVM is hidden from it" "$log" \
		'cpu0: this CPU has no hardware virtualization'

	# From inside the guest: where the hypervisor lives (a hypercall tells)
	# is out of reach -- reads give all ones, writes vanish, both logged.
	tools/mkimage.sh "$OUT/qemu-hvprobe.img" --efi build/hv.efi \
		--cfg 'loglevel=7 hvmem=64M bluepill next=\EFI\tdpvisor\hv2.efi next_args="loglevel=7 hvprobe exit=qemu"' \
		--add 'build/hv.efi=\EFI\tdpvisor\hv2.efi' > /dev/null
	qemu_run qemu-hvprobe --cpu EPYC,hypervisor=off --mem 1024
	expect_status qemu "hvprobe: the guest finds the hypervisor out of reach" "$st" 0 "$log"
	n=$(grep -a -c 'hvprobe: hypervisor memory \[0x[0-9a-f]*-0x[0-9a-f]*\]: reads as all ones' "$log")
	if [ "$n" -eq 2 ]; then
		result qemu "hvprobe: the pool and the image are both out of reach" 1
	else
		result qemu "hvprobe: the pool and the image are both out of reach" 0 "$n of 2 ranges"
	fi
	expect qemu "hvprobe: the hypervisor logs the refused accesses" "$log" \
		'platform: guest write to hypervisor memory at 0x[0-9a-f]+ refused'
	hvprobe_checks qemu "$log" amd

	# probe.efi as the next stage checks the hypervisor from inside: CPUID,
	# MSRs, the hidden memory, TDP memory types against the MTRRs; one
	# "probe: ok|FAIL" line per check, then it returns EFI_SUCCESS and the
	# firmware goes on to its boot manager.  3 GiB puts RAM above 4 GiB.
	tests/efi-probe/mkprobe-img.sh "$OUT/qemu-probe.img" --exit return > /dev/null
	log=$OUT/qemu-probe.log
	if boot_until qemu "$log" 'Boot0000 "UiApp"|Shell>' 90 --image "$OUT/qemu-probe.img" \
		--cpu EPYC,hypervisor=off --mem 3072; then st=0; else st=1; fi
	probe_checks qemu "$log" amd
	expect qemu "probe: the high RAM sample lies above 4 GiB" "$log" \
		'probe: ok memtype high RAM 0x[1-9a-f][0-9a-f]{8}: mapped'
	expect_status qemu "probe: the firmware's boot manager runs after it returns" "$st" 0 "$log"

	# The guest switches the machine off: the hypervisor notices the ACPI
	# PM1 write and prints its statistics first.
	tools/mkimage.sh "$OUT/qemu-poweroff.img" --efi build/hv.efi \
		--cfg 'loglevel=7 hvmem=64M bluepill next=\EFI\tdpvisor\hv2.efi next_args="loglevel=7 exit=poweroff"' \
		--add 'build/hv.efi=\EFI\tdpvisor\hv2.efi' > /dev/null
	qemu_run qemu-poweroff --cpu EPYC --mem 1024
	expect_status qemu "power-off: QEMU ends without a debug-exit verdict" "$st" 2 "$log"
	expect qemu "power-off: found in the ACPI FADT" "$log" 'platform: power-off ports 0x[0-9a-f]+'
	expect qemu "power-off: statistics printed first" "$log" \
		'platform: the guest switches the machine off: [0-9]+ exits, [0-9]+ TDP faults'
	expect qemu "power-off: exits per reason" "$log" 'platform:   exits tdp-fault +[0-9]+'
	expect qemu "power-off: page-size split of the mapped RAM" "$log" \
		'platform: mapped on demand: [0-9]+ GiB in 1 GiB pages, [0-9]+ MiB in 2 MiB pages'

	# ... and resets it through the keyboard controller (0xfe to port 0x64):
	# the statistics again, then the reset (QEMU's -no-reboot ends the run).
	tools/mkimage.sh "$OUT/qemu-reset.img" --efi build/hv.efi \
		--cfg 'loglevel=7 hvmem=64M bluepill next=\EFI\tdpvisor\hv2.efi next_args="loglevel=7 exit=reset"' \
		--add 'build/hv.efi=\EFI\tdpvisor\hv2.efi' > /dev/null
	qemu_run qemu-reset --cpu EPYC --mem 1024
	expect_status qemu "reset: QEMU ends without a debug-exit verdict" "$st" 2 "$log"
	expect qemu "reset: the guest pulses the keyboard controller's reset line" "$log" \
		'exit: resetting the machine through the keyboard controller'
	expect qemu "reset: statistics printed first" "$log" \
		'platform: the guest resets the machine: [0-9]+ exits, [0-9]+ TDP faults'

	# The default guest: Debian's Linux boots to userspace under hv.efi, sees
	# the hypervisor bit, tests most of its RAM and switches off.
	tools/mkimage.sh "$OUT/qemu-linux.img" --efi build/hv.efi \
		--cfg 'loglevel=7 hvmem=64M bluepill next=\vmlinuz next_args="initrd=\initrd.img console=ttyS0 tdpvisor.test=1"' \
		--add 'build/guest/vmlinuz=\vmlinuz' --add 'build/guest/initrd.img=\initrd.img' > /dev/null
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
	range=$(grep -a -o 'mem: reserved [0-9]* MiB at \[0x[0-9a-f]*-0x[0-9a-f]*\]' "$log" | head -1 |
		sed 's/.*\[0x\([0-9a-f]*\)-0x\([0-9a-f]*\)\]/\1 \2/')
	if pool_reserved "$log" $range; then
		result qemu "Linux: the hypervisor's pool is reserved in Linux's memory map" 1
	else
		result qemu "Linux: the hypervisor's pool is reserved in Linux's memory map" 0 \
			"no reserved BIOS-e820 range covers [0x${range% *}-0x${range#* }]"
	fi

	# Linux's warnings (its init prints dmesg's levels 0-4) against the same
	# boot without hv.efi.  Numbers are masked (the map differs by the
	# pool).  TIMING_WARNINGS are warnings that QEMU's TCG timing produces
	# in either kind of boot, run to run: they are listed, not counted.
	local lw=$log new ign
	tests/guest-linux/run-direct.sh --dir build/guest --cpu EPYC,hypervisor=off \
		--log "$OUT/qemu-linux-direct.log" > "$OUT/qemu-linux-direct.out" 2>&1
	expect_status qemu "Linux without hv.efi (the baseline) passes memcheck" "$?" 0 \
		"$OUT/qemu-linux-direct.log"
	kwarn() { grep -a -o 'kernel warning: .*' "$1" | tr -d '\r' | sed 's/[0-9]\+/#/g' | sort -u; }
	new=$(comm -23 <(kwarn "$lw") <(kwarn "$OUT/qemu-linux-direct.log"))
	ign=$(echo "$new" | grep -E "$TIMING_WARNINGS")
	new=$(echo "$new" | grep -vE "$TIMING_WARNINGS" | grep -v '^$')
	[ -z "$ign" ] || echo "# Linux: timing warnings seen only under hv.efi this run: $(echo $ign)" \
		>> "$OUT/qemu.tap"
	if grep -aq 'kernel warning: ' "$lw" || grep -aq 'tdpvisor default guest: powering off' "$lw"; then
		result qemu "Linux: no kernel warning that the boot without hv.efi lacks" \
			"$([ -z "$new" ] && echo 1 || echo 0)" "new: $(echo $new)"
	else
		result qemu "Linux: no kernel warning that the boot without hv.efi lacks" 0 \
			"the guest printed no warning list"
	fi

	# A CPU without SVM: a clear message and a clean return.
	image qemu-nosvm "loglevel=7 exit=qemu"
	qemu_run qemu-nosvm --cpu qemu64,-svm
	expect_status qemu "no SVM: exits cleanly" "$st" 0 "$log"
	expect qemu "no SVM: says why" "$log" 'cpu0: this CPU has no hardware virtualization'
	expect qemu "no SVM: returns EFI_UNSUPPORTED" "$log" 'returning to the firmware \(status 0x8000000000000003\)'

	# Hypervisor faults: registers, a symbolized backtrace, a failure status.
	image qemu-crash-ud "loglevel=7 crashtest=ud exit=qemu"
	qemu_run qemu-crash-ud --cpu EPYC
	expect_status qemu "crash #UD: failure status" "$st" 1 "$log"
	expect qemu "crash #UD: vector named" "$log" 'host exception 6 \(#UD invalid opcode\)'
	expect qemu "crash #UD: registers dumped" "$log" 'RAX: [0-9a-f]{16} RBX'
	expect qemu "crash #UD: backtrace names functions" "$log" '\] +\[<[0-9a-f]+>\] hv_main\+0x'
	expect qemu "crash #UD: backtrace names the loader's frames too" "$log" '\] +\[<[0-9a-f]+>\] efi_main\+0x'
	expect qemu "crash #UD: panic line" "$log" 'Kernel panic - not syncing: unhandled host exception 6'

	image qemu-crash-bug "loglevel=7 crashtest=bug exit=qemu"
	qemu_run qemu-crash-bug --cpu EPYC
	expect_status qemu "BUG_ON: failure status" "$st" 1 "$log"
	expect qemu "BUG_ON: file and line" "$log" 'BUG: failure at boot/efi_main.c:[0-9]+'
	expect qemu "BUG_ON: backtrace" "$log" 'crashtest_run'

	# Garbage options are reported by name and ignored.
	image qemu-badopts 'loglevel=7 frobnicate=1 hvmem=huge console=ttyS9 =x exit=qemu'
	qemu_run qemu-badopts --cpu EPYC
	expect_status qemu "bad options: exits cleanly" "$st" 0 "$log"
	expect qemu "bad options: unknown one named" "$log" "cmdline: unknown option 'frobnicate'"
	expect qemu "bad options: bad value named" "$log" "cmdline: hvmem: expected a size"
	expect qemu "bad options: boot goes on" "$log" 'mem: reserved 64 MiB'

	# make debug: gdb attaches at the reported base and hits a breakpoint.
	image qemu-debug "loglevel=7 debugwait ktest=cmdline exit=qemu"
	printf '%s\n' 'set var hv_debug_wait = 0' 'break ktest_run' 'continue' 'bt 2' 'detach' \
		> "$OUT/gdb-cmds"
	log=$OUT/qemu-debug.gdb
	timeout 120 tools/debug.sh "$OUT/qemu-debug.img" build/hv.debug.elf --batch \
		"$OUT/gdb-cmds" > "$log" 2>&1
	expect qemu "make debug: gdb stops at a breakpoint by name" "$log" 'Breakpoint 1, ktest_run'
	expect qemu "make debug: hv.efi goes on and finishes" build/debug-serial.log 'ktest: [0-9]+ passed, 0 failed'
}

run_bochs() {
	local st log
	image bochs-main "$TEST_CMDLINE exit=bochs"
	bochs_run bochs-main tigerlake
	expect_status bochs "tigerlake boot ends with a passing status" "$st" 0 "$log"
	expect bochs "banner" "$log" '\] tdpvisor [0-9.]+ .* starting'
	expect bochs "capability report: VMX with EPT, A/D bits and PML" "$log" \
		'cpu0: VMX: EPT yes, VPID yes, unrestricted guest yes, 1G pages yes, A/D bits yes, PML yes'
	expect bochs "host descriptor tables with a non-zero TR" "$log" 'desc: .*TR 0x[1-9a-f]'
	expect bochs "returns to the firmware" "$log" 'returning to the firmware'
	expect bochs "tigerlake: dirty logging uses PML" "$log" 'cpu0: VMX: dirty logging uses PML'
	ktap bochs bochs "$log"

	# The whole suite again with each other dirty-logging mode forced.
	local mode name
	for mode in dbit wp; do
		image "bochs-$mode" "$TEST_CMDLINE tdp_dirty=$mode exit=bochs"
		bochs_run "bochs-$mode" tigerlake
		[ "$mode" = wp ] && name=write-protect || name="dirty bits"
		expect_status bochs "tigerlake tdp_dirty=$mode boot ends with a passing status" \
			"$st" 0 "$log"
		expect bochs "tigerlake tdp_dirty=$mode: dirty logging uses $name" "$log" \
			"cpu0: VMX: dirty logging uses $name \\(tdp_dirty=\\)"
		ktap bochs "bochs-$mode" "$log"
	done

	# The fallbacks: no EPT A/D bits, no 1G pages, no PML.  PML is asked
	# for and refused by name.
	image bochs-sandy "$TEST_CMDLINE tdp_dirty=pml exit=bochs"
	bochs_run bochs-sandy corei7_sandy_bridge_2600k
	expect_status bochs "sandy bridge boot ends with a passing status" "$st" 0 "$log"
	expect bochs "sandy bridge: VMX without A/D bits, 1G pages or PML" "$log" \
		'cpu0: VMX on: EPT 4 levels, VPID yes, A/D no, 1G pages no, PML no'
	expect bochs "sandy bridge: tdp_dirty=pml refused by name" "$log" \
		'tdp_dirty=pml: this CPU has no PML dirty logging, falling back'
	expect bochs "sandy bridge: dirty logging uses write-protect" "$log" \
		'cpu0: VMX: dirty logging uses write-protect'
	ktap bochs bochs-sandy "$log"

	# The Intel platform VM: the firmware goes on as a VMX guest and runs
	# probe.efi, which checks the hypervisor from inside (CPUID, the VMX
	# MSRs, the hidden pool, EPT memory types against the MTRRs), returns,
	# and the firmware reaches its boot manager.
	tests/efi-probe/mkprobe-img.sh "$OUT/bochs-probe.img" --exit return > /dev/null
	log=$OUT/bochs-probe.log
	if boot_until bochs "$log" 'Boot0000 "UiApp"|Shell>' 240 --image "$OUT/bochs-probe.img" \
		--model tigerlake; then st=0; else st=1; fi
	expect_status bochs "probe: the firmware's boot manager runs after it returns" "$st" 0 "$log"
	expect bochs "bluepill: VMX runs the firmware as a guest" "$log" \
		'platform: cpu0 now runs the firmware as a guest'
	expect bochs "bluepill: the MTRRs are logged" "$log" 'mtrr: enabled, default [A-Z]+'
	probe_checks bochs "$log" intel

	# hv.efi as the Intel platform VM's guest: the CR4 shadow, the hidden
	# VMX MSRs, XSETBV and INVD, and the hypervisor's memory out of reach.
	tools/mkimage.sh "$OUT/bochs-hvprobe.img" --efi build/hv.efi \
		--cfg 'loglevel=7 hvmem=64M bluepill next=\EFI\tdpvisor\hv2.efi next_args="loglevel=7 hvprobe exit=bochs"' \
		--add 'build/hv.efi=\EFI\tdpvisor\hv2.efi' > /dev/null
	bochs_run bochs-hvprobe tigerlake
	expect_status bochs "hvprobe: the guest hv.efi finds the hypervisor out of reach" "$st" 0 "$log"
	expect bochs "hvprobe: it runs under tdpvisor without VMX" "$log" \
		"running under a hypervisor, CPUID 0x40000000 signature 'tdpvisor'"
	hvprobe_checks bochs "$log" intel

	# AMD SVM under Bochs' ryzen: the NRIPS and flush-by-ASID paths.
	# Bochs 2.7 panics on a guest triple fault instead of delivering the
	# SHUTDOWN intercept, so that one sub-case runs only under QEMU.
	image bochs-ryzen "$TEST_CMDLINE ktest_skip=triple_fault exit=bochs"
	bochs_run bochs-ryzen ryzen
	expect_status bochs "ryzen boot ends with a passing status" "$st" 0 "$log"
	expect bochs "ryzen: SVM with NRIPS and flush-by-ASID" "$log" \
		'cpu0: SVM on: NPT 4 levels, [0-9]+ ASIDs, NRIPS yes, flush-by-ASID yes'
	ktap bochs bochs-ryzen "$log"
}

echo "make test: building" >&2
if ! make --no-print-directory -s all build/host/unit-tests build/hv-usb.img guest > "$OUT/build.log" 2>&1; then
	cat "$OUT/build.log"
	echo "not ok - build: make all"
	echo "0 passed, 1 failed"
	exit 1
fi
echo "make test: host tests" >&2
run_host
echo "make test: QEMU and Bochs boots (side by side)" >&2
run_qemu &
qpid=$!
run_bochs &
bpid=$!
wait "$qpid" "$bpid"

cat "$OUT"/host.tap "$OUT"/qemu.tap "$OUT"/bochs.tap 2> /dev/null
passed=$(cat "$OUT"/*.tap 2> /dev/null | grep -c '^ok - ')
failed=$(cat "$OUT"/*.tap 2> /dev/null | grep -c '^not ok - ')
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
