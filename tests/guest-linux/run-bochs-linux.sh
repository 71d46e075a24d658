#!/usr/bin/env bash
# make test-linux-bochs: the default guest (Debian's Linux, built by
# tools/mkguest.sh) boots under hv.efi's Intel platform VM in Bochs --
# firmware, hv.efi, bluepill, next=\vmlinuz -- to userspace, checks its RAM
# with memcheck and halts.  Slow (Bochs emulates every instruction: two to
# five minutes), so not part of make test.
#
# The default model is corei7_skylake_x (VMX with EPT, A/D bits, PML and
# unrestricted guest).  With Bochs 2.7 (Debian 12), Linux 6.1 stops at
# "LSM: Security Framework initializing" on the tigerlake and icelake
# models even without the hypervisor; --baseline boots the same Linux from
# hv.efi's next= without bluepill, to tell the emulator's limits from ours.
#
# --dirtier R,MIB,S[,...] boots with tdp_telemetry=1s and runs dirtier
# (docs/telemetry.md) instead of memcheck: on one CPU the telemetry counts
# dirty pages with PML, and dirtier's verdicts (within 10%) are checked.
#
# Usage: tests/guest-linux/run-bochs-linux.sh [--timeout SECS] [--out DIR]
#                                             [--model NAME] [--baseline]
#                                             [--dirtier R,MIB,S[,...]]
# Prints one "ok - ..." / "not ok - ..." line per check and a summary;
# exit 0 when every check passed.
set -uo pipefail
cd "$(dirname "$0")/../.."
timeout=1800 out=build/test-linux-bochs pill=bluepill model=corei7_skylake_x dirtier=
while (($#)); do
	case $1 in
	--timeout) timeout=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--baseline) pill=; shift ;;
	--model) model=$2; shift 2 ;;
	--dirtier) dirtier=$2; shift 2 ;;
	*) echo "usage: $0 [--timeout SECS] [--out DIR] [--model NAME] [--baseline] [--dirtier R,MIB,S]" >&2; exit 2 ;;
	esac
done
mkdir -p "$out"
make --no-print-directory -s all guest || exit 1
img=$out/linux.img log=$out/linux.log hvopts= gargs=tdpvisor.test=1
if [ -n "$dirtier" ]; then
	img=$out/linux-telemetry.img log=$out/linux-telemetry.log
	hvopts=" tdp_telemetry=1s" gargs=tdpvisor.dirtier=$dirtier
fi
tools/mkimage.sh "$img" --efi build/hv.efi \
	--cfg "loglevel=7 hvmem=64M $pill$hvopts"' next=\vmlinuz next_args="initrd=\initrd.img console=ttyS0 '"$gargs"'"' \
	--add 'build/guest/vmlinuz=\vmlinuz' --add 'build/guest/initrd.img=\initrd.img' > /dev/null
echo "test-linux-bochs: booting Linux ${pill:+under hv.efi }in Bochs $model (up to $timeout s; log $log)"
t0=$(date +%s)
# Linux halts at the end rather than switching Bochs off: watch the log
# and stop Bochs (run-bochs.sh cleans up on SIGTERM) once it is done.  The
# log starts empty: the last run's halt line must not end this one.
: > "$log"
tests/emu/run-bochs.sh --image "$img" --log "$log" --model "$model" --timeout "$timeout" \
	2> "$log.err" &
pid=$!
while kill -0 "$pid" 2> /dev/null; do
	if grep -aEq 'reboot: (System halted|Power down)|Kernel panic' "$log" 2> /dev/null; then
		sleep 1
		kill -TERM "$pid" 2> /dev/null
		break
	fi
	sleep 1
done
wait "$pid"
st=$?
echo "test-linux-bochs: Bochs ended with status $st after $(($(date +%s) - t0)) s"

passed=0 failed=0
check() {	# check NAME REGEX
	if grep -aEq -- "$2" "$log"; then
		echo "ok - $1"
		passed=$((passed + 1))
	else
		echo "not ok - $1 (no line matching /$2/ in $log)"
		failed=$((failed + 1))
	fi
}
if [ -n "$pill" ]; then
	check "VMX runs the firmware as a guest" 'platform: cpu0 now runs the firmware as a guest'
	check "Linux sees the hypervisor bit" 'hypervisor bit: yes'
fi
check "Linux reaches userspace" 'tdpvisor default guest: Linux [^ ]+ up'
if [ -n "$dirtier" ]; then
	check "telemetry counts dirty pages with PML" 'telemetry: every 1000 ms .* dirty pages by PML'
	check "dirtier ran its phases" 'dirtier: (done|FAIL)'
	check "dirtier: telemetry within 10% of the truth" 'dirtier: done'
	grep -a -o 'dirtier: phase [0-9]*: \(dirty rate\|working set\) measured .*' "$log" | sed 's/^/# /'
else
	check "memcheck passes" 'memcheck: [0-9]+ MiB ok'
fi
# Bochs' firmware has no ACPI power-off: Linux halts (the last serial bytes
# before it may be lost).
check "Linux powers off or halts at the end" 'tdpvisor default guest: powering off|reboot: (System halted|Power down)'
if grep -aq 'Kernel panic' "$log"; then
	echo "not ok - no panic ($(grep -a 'Kernel panic' "$log" | head -1))"
	failed=$((failed + 1))
else
	echo "ok - no panic"
	passed=$((passed + 1))
fi
grep -a 'platform: .*exits\|platform: mapped on demand\|platform: .*MTRR' "$log" | sed 's/^/# /'
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
