#!/usr/bin/env bash
# make bench: figures and ratios, never pass/fail.
#   1. the TDP MMU on the host (make bench-mm: optimized build, fake arch)
#   2. in-hypervisor benchmarks (bench=all) in QEMU (AMD SVM, TCG); the
#      exit and fault counts are the figures of merit under emulation
set -uo pipefail
cd "$(dirname "$0")/../.."

OUT=build/bench
mkdir -p "$OUT"
make --no-print-directory -s all || exit 1

echo "== TDP MMU on the host (make bench-mm)"
make --no-print-directory -s bench-mm

echo
echo "== In the hypervisor: QEMU TCG, -cpu EPYC (AMD SVM + NPT)"
tools/mkimage.sh "$OUT/bench.img" --efi build/hv.efi \
	--cfg "loglevel=7 hvmem=256M bench=all exit=qemu" > /dev/null
tests/emu/run-qemu.sh --image "$OUT/bench.img" --log "$OUT/qemu-bench.log" --cpu EPYC \
	--mem 1024 --timeout 600 2> "$OUT/qemu-bench.err"
st=$?
grep -a 'bench:' "$OUT/qemu-bench.log" | sed 's/^\[[ 0-9.]*\] bench: //'
[ "$st" -eq 0 ] || echo "(the QEMU run ended with status $st; log: $OUT/qemu-bench.log)"
