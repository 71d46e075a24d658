#!/usr/bin/env bash
# make bench: figures and ratios, never pass/fail.
#   1. the TDP MMU on the host (make bench-mm: optimized build, fake arch)
#   2. in-hypervisor benchmarks (bench=all) in QEMU (AMD SVM, TCG); the
#      exit and fault counts are the figures of merit under emulation
#   3. the same in Bochs tigerlake (Intel VMX), once per dirty-logging mode
#      forced with tdp_dirty= (PML, EPT dirty bits, write protection)
#   3. the platform VM's overhead: the default guest (Debian's Linux) from
#      QEMU's start to its userspace banner, without and with hv.efi, in the
#      same run, as a ratio; plus hv.efi's exits and TDP faults per GiB
#      touched (memcheck writes most of RAM)
#   4. the telemetry's overhead: the same boot under hv.efi with
#      tdp_telemetry=1s against without, as a ratio
set -uo pipefail
cd "$(dirname "$0")/../.."

OUT=build/bench
mkdir -p "$OUT"
make --no-print-directory -s all guest || exit 1

# BENCH_ONLY=SECTION runs one section: mm, hv, linux, telemetry or bochs.
want() { [ -z "${BENCH_ONLY:-}" ] || [ "$BENCH_ONLY" = "$1" ]; }

if want mm; then
echo "== TDP MMU on the host (make bench-mm)"
make --no-print-directory -s bench-mm
fi

if want hv; then
echo
echo "== In the hypervisor: QEMU TCG, -cpu EPYC (AMD SVM + NPT)"
tools/mkimage.sh "$OUT/bench.img" --efi build/hv.efi \
	--cfg "loglevel=7 hvmem=256M bench=all exit=qemu" > /dev/null
tests/emu/run-qemu.sh --image "$OUT/bench.img" --log "$OUT/qemu-bench.log" --cpu EPYC --smp 2 \
	--mem 1024 --timeout 600 2> "$OUT/qemu-bench.err"
st=$?
grep -a 'bench:' "$OUT/qemu-bench.log" | sed 's/^\[[ 0-9.]*\] bench: //'
[ "$st" -eq 0 ] || echo "(the QEMU run ended with status $st; log: $OUT/qemu-bench.log)"
fi

echo
# hv_banner_times SMP HVOPTS TAG: Linux's boot to its userspace banner under
# hv.efi (hv.cfg options HVOPTS) with SMP CPUs, RUNS times, from QEMU's
# start; the times in seconds (nan: no banner) into `hv`, the logs as
# $OUT/linux-hv-TAG-N.log.
RUNS=${BENCH_RUNS:-3}
hv_banner_times() {
	local smp=$1 hvopts=$2 tag=$3 r log t0 t pid i
	tools/mkimage.sh "$OUT/linux.img" --efi build/hv.efi \
		--cfg "loglevel=7 hvmem=64M bluepill $hvopts next=\\vmlinuz next_args=\"initrd=\\initrd.img console=ttyS0 tdpvisor.test=1\"" \
		--add 'build/guest/vmlinuz=\vmlinuz' --add 'build/guest/initrd.img=\initrd.img' > /dev/null
	hv=
	for ((r = 0; r < RUNS; r++)); do
		log=$OUT/linux-hv-$tag-$r.log
		rm -f "$log"	# a banner left by an earlier run must not count
		t0=$(date +%s.%N)
		tests/emu/run-qemu.sh --image "$OUT/linux.img" --log "$log" --cpu EPYC,hypervisor=off \
			--mem 1024 --smp "$smp" --timeout 300 2> /dev/null &
		pid=$!
		t=
		for ((i = 0; i < 3000; i++)); do
			if grep -aq 'tdpvisor default guest: Linux .* up' "$log" 2> /dev/null; then
				t=$(printf "%.1f" "$(echo "$(date +%s.%N) - $t0" | bc)")
				break
			fi
			kill -0 "$pid" 2> /dev/null || break
			sleep 0.1
		done
		wait "$pid"
		hv="$hv ${t:-nan}"
	done
}

# linux_ratio SMP HVOPTS: Linux's boot to userspace with SMP CPUs, with and
# without hv.efi (hv.cfg options HVOPTS), best of RUNS each, as a ratio.
linux_ratio() {
	local smp=$1 hvopts=$2 direct log bd bh mib exits
	echo
	echo "== Platform VM overhead: Linux boot to userspace, QEMU TCG, -cpu EPYC,hypervisor=off, 1 GiB, $smp CPU(s)${hvopts:+, $hvopts}"
	direct=$(tests/guest-linux/run-direct.sh --dir build/guest --cpu EPYC,hypervisor=off --smp "$smp" \
		--runs "$RUNS" 2>&1 | grep 'banner times' | sed 's/.*: //')
	hv_banner_times "$smp" "$hvopts" "smp$smp"
	bd=$(echo "$direct" | best)
	bh=$(echo "$hv" | best)
	printf '%-34s %s\n' "without hv.efi: banner after (s)" "$direct"
	printf '%-34s %s\n' "with hv.efi:    banner after (s)" "$hv"
	if [ -n "$bd" ] && [ -n "$bh" ] && [ "$bh" != nan ]; then
		printf '%-34s %.2f (best of %d each; goal under 1.05)\n' "ratio with/without" \
			"$(echo "$bh / $bd" | bc -l)" "$RUNS"
	fi
	log=$OUT/linux-hv-smp$smp-0.log
	grep -a 'platform: ' "$log" | sed 's/^\[[ 0-9.]*\] //' | grep -v 'hiding\|power-off ports\|now runs'
	mib=$(grep -a -o 'memcheck: [0-9]* MiB ok' "$log" | grep -o '[0-9]*' | head -1)
	exits=$(grep -a -o 'switches the machine off (on cpu[0-9]*): [0-9]* exits, [0-9]* TDP faults' "$log" |
		sed 's/(on cpu[0-9]*)//' | head -1)
	if [ -n "$mib" ] && [ -n "$exits" ]; then
		set -- $(echo "$exits" | grep -o '[0-9]*')
		printf 'per GiB touched (memcheck %s MiB): %.0f exits, %.0f TDP faults\n' "$mib" \
			"$(echo "$1 * 1024 / $mib" | bc -l)" "$(echo "$2 * 1024 / $mib" | bc -l)"
	fi
}

# telemetry_ratio SMP: Linux's boot to userspace under hv.efi (smp=all)
# with tdp_telemetry=1s against without, RUNS pairs run alternately (the
# machine's load changes during a run), best of each, as a ratio; and the
# TDP faults and exits hv.efi counted to its power-off (boot + memcheck).
telemetry_ratio() {
	local smp=$1 off= on= boff bon r f
	echo
	echo "== Linux boot, telemetry on vs off: hv.efi smp=all, QEMU TCG, -cpu EPYC,hypervisor=off, 1 GiB, $smp CPU(s)"
	for ((r = 0; r < RUNS; r++)); do
		RUNS=1 hv_banner_times "$smp" "smp=all" "telem-off$r"
		off="$off$hv"
		RUNS=1 hv_banner_times "$smp" "smp=all tdp_telemetry=1s" "telem-on$r"
		on="$on$hv"
	done
	boff=$(echo "$off" | best)
	bon=$(echo "$on" | best)
	printf '%-34s %s\n' "telemetry off: banner after (s)" "$off"
	printf '%-34s %s\n' "telemetry on:  banner after (s)" "$on"
	if [ -n "$boff" ] && [ -n "$bon" ] && [ "$boff" != nan ] && [ "$bon" != nan ]; then
		printf '%-34s %.2f (best of %d each; goal under 1.05)\n' "ratio on/off" \
			"$(echo "$bon / $boff" | bc -l)" "$RUNS"
		printf '%-34s %.2f (medians: the load of a shared machine moves single runs)\n' \
			"ratio on/off, medians" "$(echo "$(echo "$on" | median) / $(echo "$off" | median)" | bc -l)"
	fi
	for f in off on; do
		printf '%-34s %s\n' "telemetry $f: at power-off" \
			"$(grep -a -o '[0-9]* exits, [0-9]* TDP faults' "$OUT/linux-hv-telem-${f}0-0.log" | head -1)"
	done
}

best() { tr ' ' '\n' | grep -v '^$\|nan' | sort -n | head -1; }
median() { tr ' ' '\n' | grep -v '^$\|nan' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
if want linux; then
	linux_ratio 1 ""
	linux_ratio 4 "smp=all"
fi
want telemetry && telemetry_ratio 2

want bochs && for mode in pml dbit wp; do
	echo
	echo "== In the hypervisor: Bochs tigerlake (Intel VMX + EPT), tdp_dirty=$mode"
	tools/mkimage.sh "$OUT/bench-$mode.img" --efi build/hv.efi \
		--cfg "loglevel=7 hvmem=256M bench=dirty_log_perf tdp_dirty=$mode exit=bochs" > /dev/null
	tests/emu/run-bochs.sh --image "$OUT/bench-$mode.img" --log "$OUT/bochs-bench-$mode.log" \
		--model tigerlake --timeout 900 2> "$OUT/bochs-bench-$mode.err"
	st=$?
	grep -a 'dirty logging uses\|bench:' "$OUT/bochs-bench-$mode.log" |
		sed 's/^\[[ 0-9.]*\] //; s/^bench: //'
	[ "$st" -eq 0 ] || echo "(the Bochs run ended with status $st; log: $OUT/bochs-bench-$mode.log)"
done
