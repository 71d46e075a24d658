#!/usr/bin/env bash
# make fuzz-guest: the random-guest fuzzer (ktest fuzz_guest,
# tests/selftests/test_fuzz_guest.c) for a while, in one emulator, with
# its figures.
#
# Usage: tests/fuzz-guest.sh [--seconds N] [--seed S] [--emu qemu|bochs]
#   --seconds  how long the fuzzer runs inside the hypervisor (default 60)
#   --seed     the seed (default: a new one, printed); the same seed and
#              emulator replay the same VMs in the same order
#   --emu      qemu: AMD SVM (QEMU TCG, EPYC); bochs: Intel VMX (tigerlake)
# Prints the "fuzz:" lines and ends with status 0 iff the ktest passed (the
# hypervisor survived, no result mismatch, enough exit reasons reached).
# The serial log stays in build/fuzz/.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

seconds=60 seed= emu=qemu
while (($#)); do
	case $1 in
	--seconds) seconds=${2:?}; shift ;;
	--seed) seed=${2:?}; shift ;;
	--emu) emu=${2:?}; shift ;;
	*) echo "usage: $0 [--seconds N] [--seed S] [--emu qemu|bochs]" >&2; exit 2 ;;
	esac
	shift
done
[[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "fuzz-guest: SECONDS must be a positive number" >&2; exit 2; }
if [ -z "$seed" ]; then
	seed=$(printf '0x%04x%04x%04x%04x' $RANDOM $RANDOM $RANDOM $RANDOM)
fi

OUT=build/fuzz
mkdir -p "$OUT"
make --no-print-directory -s all || exit 1
log=$OUT/fuzz-$emu.log
# The emulator's bound: the run itself, boot and a margin for the slow one.
bound=$((seconds * 2 + 180))
echo "fuzz-guest: $emu, $seconds s, seed $seed (make fuzz-guest SEED=$seed EMU=$emu replays it)"
case $emu in
qemu)
	tools/mkimage.sh "$OUT/fuzz-qemu.img" --efi build/hv.efi \
		--cfg "loglevel=7 hvmem=256M ktest=fuzz_guest ktest_skip=xsetbv_intercept fuzz_seed=$seed fuzz_seconds=$seconds exit=qemu" > /dev/null
	tests/emu/run-qemu.sh --image "$OUT/fuzz-qemu.img" --log "$log" --cpu EPYC --mem 1024 \
		--timeout "$bound" 2> "$log.err"
	st=$?
	;;
bochs)
	tools/mkimage.sh "$OUT/fuzz-bochs.img" --efi build/hv.efi \
		--cfg "loglevel=7 hvmem=256M ktest=fuzz_guest fuzz_seed=$seed fuzz_seconds=$seconds exit=bochs" > /dev/null
	tests/emu/run-bochs.sh --image "$OUT/fuzz-bochs.img" --log "$log" --model tigerlake \
		--timeout "$bound" 2> "$log.err"
	st=$?
	;;
*)
	echo "fuzz-guest: EMU must be qemu or bochs" >&2
	exit 2
	;;
esac
tr -d '\r' < "$log" | grep -a -E '\] fuzz: |ok [0-9]+ fuzz_guest|# fuzz_guest|Kernel panic|PANIC' |
	sed 's/^\[[ 0-9.]*\] //'
if [ "$st" -ne 0 ]; then
	echo "fuzz-guest: the $emu run ended with status $st (log: $log)"
	tr -d '\r' < "$log" | grep -a . | tail -n 20
fi
exit "$st"
