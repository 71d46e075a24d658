# shellcheck shell=bash disable=SC2034  # log, st and the settings are for the callers
# lib.sh — sourced by tests/run-all.sh and the scenarios in tests/scenarios/:
# results, images, emulator runs and the check groups several scenarios use.
#
# Contract:
#   - The caller runs from the repository root under `set -uo pipefail`.
#   - Results: every check is one line in $OUT/SUITE.tap, "ok - SUITE: NAME"
#     or "not ok - SUITE: NAME" followed by "#   REASON" lines; the driver
#     counts and prints them.  SUITE is host, qemu or bochs.
#   - Runners (qemu_run, bochs_run, boot_to_firmware) set the caller's `log`
#     (the serial log, $OUT/NAME.log) and `st` (the runner's status, or 0/1
#     for boot_to_firmware): scenarios declare `local log st`.
#   - Images are $OUT/NAME.img.

OUT=${OUT:-build/test}
QEMU_TIMEOUT=${QEMU_TIMEOUT:-240}
BOCHS_TIMEOUT=${BOCHS_TIMEOUT:-900}
# The in-hypervisor tests and selftests, as the main boots run them.
TEST_CMDLINE="loglevel=7 hvmem=256M ktest=all"
# What the firmware prints once its boot manager runs (after hv.efi or a
# probe returned to it).
FIRMWARE_UI='Boot0000 "UiApp"|Shell>'

# ---- results ---------------------------------------------------------------

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

# expect_no SUITE NAME LOG REGEX: no line of LOG matches REGEX.
expect_no() {
	if grep -aEq -- "$4" "$3"; then
		result "$1" "$2" 0 "$(grep -aE -- "$4" "$3" | head -1)"
	else
		result "$1" "$2" 1
	fi
}

# expect_count SUITE NAME LOG REGEX N: exactly N lines of LOG match REGEX
# (a basic regex, as grep -c takes it).
expect_count() {
	local n
	n=$(grep -a -c -- "$4" "$3")
	if [ "$n" -eq "$5" ]; then
		result "$1" "$2" 1
	else
		result "$1" "$2" 0 "$n lines match /$4/ in $3, expected $5"
	fi
}

# expect_at_most SUITE NAME LOG REGEX N: at most N lines of LOG match REGEX
# (a basic regex, as grep -c takes it), and at least one does.
expect_at_most() {
	local n
	n=$(grep -a -c -- "$4" "$3")
	if [ "$n" -ge 1 ] && [ "$n" -le "$5" ]; then
		result "$1" "$2" 1
	else
		result "$1" "$2" 0 "$n lines match /$4/ in $3, expected 1 to $5"
	fi
}

# expect_no_panic SUITE NAME LOG: LOG has no "Kernel panic" line.
expect_no_panic() {
	if grep -aq 'Kernel panic' "$3"; then
		result "$1" "$2" 0 "$(grep -a 'Kernel panic' "$3" | head -1)"
	else
		result "$1" "$2" 1
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

# ---- images ----------------------------------------------------------------

# image NAME CMDLINE: a boot image whose hv.cfg holds CMDLINE.
image() {
	tools/mkimage.sh "$OUT/$1.img" --efi build/hv.efi --cfg "$2" > /dev/null
}

# bluepill_image NAME NEXT NEXT_ARGS [MKIMAGE-ARGS...]: an image whose hv.efi
# (64 MiB pool) runs the firmware as its guest and has it start NEXT with
# the load options NEXT_ARGS; MKIMAGE-ARGS add the files NEXT needs.
# BLUEPILL_OPTS in the environment adds hv.efi options (e.g. consoles).
bluepill_image() {
	local name=$1 next=$2 args=$3
	shift 3
	tools/mkimage.sh "$OUT/$name.img" --efi build/hv.efi \
		--cfg "loglevel=7 hvmem=64M ${BLUEPILL_OPTS:+$BLUEPILL_OPTS }bluepill next=$next next_args=\"$args\"" \
		"$@" > /dev/null
}

# stage2_image NAME CMDLINE: a bluepill image whose second stage is another
# hv.efi (\EFI\tdpvisor\hv2.efi) started with CMDLINE as its load options.
stage2_image() {
	bluepill_image "$1" '\EFI\tdpvisor\hv2.efi' "$2" --add 'build/hv.efi=\EFI\tdpvisor\hv2.efi'
}

# ---- runners ---------------------------------------------------------------

# hidden_ranges LOG [MIN]: the ranges hv.efi's "platform: hiding" lines
# name (the pool and the image on one, each other range on a line of its
# own, "... too (what)"), one A-B per line, those starting below MIN (hex
# or decimal) left out.
hidden_ranges() {
	local r
	grep -a -E -o 'platform: hiding \[0x[0-9a-f]*-0x[0-9a-f]*\]( and \[0x[0-9a-f]*-0x[0-9a-f]*\]| too)' \
		"$1" | head -n 3 | grep -o '0x[0-9a-f]*-0x[0-9a-f]*' |
		while read -r r; do
			(( ${r%%-*} >= ${2:-0} )) && echo "$r"
		done
	return 0
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

# bochs_run NAME MODEL [RUNNER-ARGS...]: boots $OUT/NAME.img in Bochs; sets
# log and st.
bochs_run() {
	local name=$1 model=$2
	shift 2
	log=$OUT/$name.log
	tests/emu/run-bochs.sh --image "$OUT/$name.img" --log "$log" --model "$model" \
		--timeout "$BOCHS_TIMEOUT" "$@" 2> "$log.err"
	st=$?
}

# boot_until qemu|bochs LOG REGEX SECS RUNNER-ARGS...: boots, and stops the
# emulator once the log matches REGEX (for runs that return to the firmware
# or halt); the runner cleans up on SIGTERM.
boot_until() {
	local emu=$1 log=$2 re=$3 secs=$4 pid i
	shift 4
	: > "$log"	# a match left by an earlier run must not count
	"tests/emu/run-$emu.sh" --log "$log" --timeout "$secs" "$@" 2> "$log.err" &
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

# boot_to_firmware qemu|bochs NAME SECS RUNNER-ARGS...: boot_until the
# firmware's boot manager runs, logging to $OUT/NAME.log; sets log, and st
# to 0 if it ran within SECS, else 1.
boot_to_firmware() {
	local emu=$1 name=$2 secs=$3
	shift 3
	log=$OUT/$name.log
	if boot_until "$emu" "$log" "$FIRMWARE_UI" "$secs" "$@"; then st=0; else st=1; fi
}

# ---- check groups ----------------------------------------------------------

# probe_checks SUITE LOG amd|intel: each line probe.efi (tests/efi-probe/)
# must print under that vendor's platform VM, its summary, and its clean
# return (boot it with tests/efi-probe/mkprobe-img.sh --exit return).
probe_checks() {
	local suite=$1 log=$2 vendor=$3 c what ok leaf leaf_name msrs n
	if [ "$vendor" = amd ]; then
		msrs=('EFER.SVME reads 0' 'rdmsr VM_CR \(0xc0010114\) raises #GP'
			'rdmsr VM_HSAVE_PA \(0xc0010117\) raises #GP'
			'CPUID.80000001:ECX.SKINIT \(bit 12\) clear' 'wrmsr EFER with SVME raises #GP')
		leaf='NPT leaf is WB' leaf_name='NPT leaf is WB'
	else
		msrs=('IA32_FEATURE_CONTROL shows no VMX enabled' 'rdmsr IA32_VMX_BASIC \(0x480\) raises #GP'
			'IA32_FEATURE_CONTROL reads locked with the enables the CPU offers, VMX hidden')
		leaf='EPT leaf type [A-Z]+ is the MTRR type of all its'
		leaf_name='EPT leaf type is the MTRR type of every page it maps'
	fi
	for c in "CPUID 0x40000000 signature 'tdpvisor'" 'CPUID.1:ECX.hypervisor \(bit 31\) set' \
		'CPUID.1:ECX.VMX \(bit 5\) clear' 'CPUID.80000001:ECX.SVM \(bit 2\) clear' \
		"${msrs[@]}" 'HC_VERSION answers 0x20001' 'HC_TEST_SYNC/DONE/ASSERT answer -ENOSYS' \
		'a KVM-numbered hypercall \(1, a buffer in RBX\) answers -ENOSYS and writes nothing' \
		'HC_HV_MEMORY names the hidden ranges' \
		'the hypervisor still answers after the writes' 'MTRRs readable' \
		"NMI: 2 NMIs sent to itself reach the probe's NMI handler, one after the other" \
		'CPUID.1:ECX.SMX \(bit 6\) clear' 'CPUID.7.0:EBX.PT \(bit 25\) clear' \
		'rdmsr IA32_RTIT_CTL \(0x570\) raises #GP' 'wrmsr IA32_RTIT_CTL \(0x570\) raises #GP' \
		'wrmsr IA32_RTIT_OUTPUT_BASE \(0x560\) raises #GP' \
		"IA32_APIC_BASE onto the hypervisor's pool" 'IA32_APIC_BASE moved to a free page' \
		'EFER.NXE \(bit 11\) is set and read back' \
		"MTRR write: the hardware's MTRRs follow it where no hypervisor memory is" \
		"MTRR guard: the hypervisor's pool 0x[0-9a-f]+ is WB in the hardware's MTRRs" \
		'MTRR guard: var[0-9]+ = \[0x[0-9a-f]+, \+4 KiB\) UC reads back as the guest wrote it' \
		"MTRR guard: the hardware's MTRRs keep the pool WB after the guest's UC write" \
		'MTRR guard: while the hardware holds, the TDP leaf gives the guest its UC' \
		'MTRR guard: after the pairs are cleared the pool is WB in the hardware'; do
		expect "$suite" "probe: ${c//\\/}" "$log" "probe: ok $c"
	done
	# Its own SMM handler at the reset SMBASE: the SMI is not intercepted.
	expect "$suite" "probe: an SMI taken in the guest runs SMM, and RSM returns to the guest" \
		"$log" 'probe: ok SMI: .*the mark, RBX intact; still under tdpvisor: yes'
	# Every range hv.efi hides: the pool, the image, the kept log, the S3
	# wake area where there is one.
	n=$(hidden_ranges "$log" | grep -c .)
	for c in 'read as all ones' 'writes land on the scratch page' \
		'every page maps one 4 KiB scratch frame'; do
		expect_count "$suite" "probe: hypervisor memory, all $n ranges: $c" "$log" \
			"probe: ok hypervisor memory \[0x[0-9a-f]*-0x[0-9a-f]*\]: .*$c" "$n"
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
		grep -aEq "$FIRMWARE_UI"; then
		result "$suite" "probe: returns EFI_SUCCESS, and the firmware goes on" 1
	else
		result "$suite" "probe: returns EFI_SUCCESS, and the firmware goes on" 0 \
			"no boot manager after 'probe: returning EFI_SUCCESS' in $log"
	fi
	expect_no_panic "$suite" "probe: no panic" "$log"
}

# tsc_checks SUITE LOG: probe.efi wrote its TSC (1e12) and read it back;
# the hypervisor logged the write, and its own timestamps from there on
# stay below TSC_BOUND_S seconds and never go back (a TSC write that
# reached the host's clock would move them by minutes).
TSC_BOUND_S=120
tsc_checks() {
	local suite=$1 log=$2 stamps bad
	expect "$suite" "TSC: the guest reads back the IA32_TSC it wrote" "$log" \
		'probe: ok TSC: after wrmsr\(IA32_TSC, 1e12\) RDTSC reads 0x'
	expect "$suite" "TSC: RDMSR(IA32_TSC) agrees" "$log" 'probe: ok TSC: RDMSR\(IA32_TSC\) reads it too'
	expect "$suite" "TSC: the hypervisor takes the write as the guest's offset" "$log" \
		'vm platform: cpu0: the guest wrote IA32_TSC 0xe8d4a51000: its TSC runs ahead of'
	expect_no "$suite" "TSC: no TSC check of the probe fails" "$log" 'probe: FAIL TSC:'
	# The host's timestamps (the first [ s.us] of each line) after the write.
	stamps=$(sed -n '/the guest wrote IA32_TSC 0xe8d4a51000/,$p' "$log" |
		grep -aoE '^[^[]*\[ *[0-9]+\.[0-9]{6}\]' | grep -oE '[0-9]+\.[0-9]{6}')
	bad=$(awk -v bound="$TSC_BOUND_S" '
		{ t = $1 + 0; n++
		  if (t >= bound) { print "timestamp " $1 " s over " bound " s"; exit }
		  if (n > 1 && t < last) { print "timestamp " $1 " after " last; exit }
		  last = t }
		END { if (n < 2) print "only " n + 0 " host lines after the write" }' <<< "$stamps")
	if [ -z "$bad" ]; then
		result "$suite" "TSC: host timestamps after the guest's write stay under ${TSC_BOUND_S} s and monotonic" 1
	else
		result "$suite" "TSC: host timestamps after the guest's write stay under ${TSC_BOUND_S} s and monotonic" 0 \
			"$bad (in $log)"
	fi
}

# allcpus_probe_checks SUITE LOG NCPUS: probe.efi with smp=all and allcpus
# on NCPUS CPUs: each AP, woken by the firmware's INIT-SIPI-SIPI, answers
# CPUID as a guest and gets the NMIs it sends itself, as does the boot CPU;
# no TDP flush gave up on a CPU; no panic.
allcpus_probe_checks() {
	local suite=$1 log=$2 n=$3 i
	expect "$suite" "smp=all: the guest's own NMIs reach it on cpu0, one after the other" \
		"$log" "probe: ok NMI: 2 NMIs sent to itself reach the probe's NMI handler"
	for ((i = 1; i < n; i++)); do
		expect "$suite" "smp=all: cpu$i answers CPUID as a guest after the firmware's INIT-SIPI" \
			"$log" "probe: ok cpu$i: CPUID 0x40000000 signature 'tdpvisor'"
		expect "$suite" "smp=all: the guest's own NMIs reach it on cpu$i, one after the other" \
			"$log" "probe: ok cpu$i: 2 NMIs sent to itself reach the probe's NMI handler"
	done
	expect_no "$suite" "smp=all probe: every TDP flush reached every CPU" "$log" \
		'did not exit for a TLB flush'
	expect_no_panic "$suite" "smp=all probe: no panic" "$log"
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

# stress_counts LOG WHO: "ZAPS ROUNDS SPLITS RECOVERIES AGES RETYPES" from
# the last "stress: WHO..." counters line of LOG (WHO "" for the VM's,
# "  cpuN: " for a CPU's, "after N s: " for a periodic one).
stress_counts() {
	grep -a -o "stress: $2[0-9]* zaps, [0-9]* dirty-log rounds, [0-9]* splits, [0-9]* recoveries, [0-9]* ages, [0-9]* retypes" "$1" |
		tail -n 1 | sed "s/^stress: $2//" | tr -cs '0-9' ' '
}

# stress_checks SUITE WHAT LOG WHO: every counter of the last WHO line of
# LOG is above 0 (the figures go into the suite's file as a comment).
stress_checks() {
	local suite=$1 what=$2 log=$3 who=$4 n i ok=1 names="zaps rounds splits recoveries ages retypes"
	# shellcheck disable=SC2207  # six numbers
	n=($(stress_counts "$log" "$who"))
	if [ "${#n[@]}" -ne 6 ]; then
		result "$suite" "$what: the stress statistics are logged" 0 "no 'stress: ${who}N zaps, ...' line in $log"
		return
	fi
	for i in 0 1 2 3 4 5; do [ "${n[$i]}" -gt 0 ] || ok=0; done
	echo "# $what: $names: ${n[*]}" >> "$OUT/$suite.tap"
	result "$suite" "$what: zaps, dirty-log rounds, splits, recoveries, ages, retypes all happened" \
		"$ok" "$names: ${n[*]}"
}
