#!/usr/bin/env bash
# telemetry.sh — make telemetry: boots the default Linux guest under hv.efi
# in QEMU (AMD SVM) with memory telemetry on and dirtier as its workload,
# and draws what the telemetry saw.
#
# Usage:
#   tools/telemetry.sh [--out DIR] [--interval 1s] [--dirtier R,MIB,S[,R,MIB,S...]]
#                      [--smp N] [--mem MIB] [--log LOG]
#
# Contract:
#   - Without --log: builds hv.efi and the guest, boots them (hv.cfg:
#     bluepill smp=all tdp_telemetry=INTERVAL; the guest's init runs
#     dirtier with the phases given, then switches off) and keeps the
#     serial log as DIR/telemetry.log.  With --log it only reads LOG.
#   - Times (t_s, dt_ms, and so dirty pages/s) are scaled by hv.efi's TSC
#     calibration against Linux's ("hv.efi: TSC N MHz", "tsc: Detected N
#     MHz"): under a loaded emulator hv.efi's was seen 37% high.
#   - Parses hv.efi's "telemetry: seq=..." lines (one per interval) into
#     DIR/telemetry.dat (whitespace-separated, a '#' header) and writes
#     DIR/telemetry.txt: a table, one row per interval -- time, interval,
#     dirty pages and dirty pages/s, young pages (working set) in pages and
#     MiB, TDP faults, zaps, leaves by size -- then dirtier's phases and
#     verdicts (truth, measured, error) as the guest printed them.
#   - DIR/telemetry.png (gnuplot, package gnuplot-nox): dirty pages/s,
#     working set (MiB), and TDP faults per interval and 4 KiB leaves over
#     time, with dirtier's phases shaded.
#   - Exit 0 when the table and the picture were written; 1 otherwise (no
#     telemetry lines, boot failed, gnuplot missing).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

out=build/telemetry interval=1s dirtier=4000,64,12,12000,128,12 smp=2 mem=1024 log=
while (($#)); do
	case $1 in
	--out) out=$2; shift 2 ;;
	--interval) interval=$2; shift 2 ;;
	--dirtier) dirtier=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	*) echo "usage: $0 [--out DIR] [--interval 1s] [--dirtier R,MIB,S,...] [--smp N] [--mem MIB] [--log LOG]" >&2
	   exit 2 ;;
	esac
done
command -v gnuplot > /dev/null || { echo "$0: gnuplot not found (apt-get install gnuplot-nox)" >&2; exit 1; }
mkdir -p "$out"

if [ -z "$log" ]; then
	make --no-print-directory -s all guest || exit 1
	log=$out/telemetry.log
	tools/mkimage.sh "$out/telemetry.img" --efi build/hv.efi \
		--cfg "loglevel=7 hvmem=64M bluepill smp=all tdp_telemetry=$interval next=\\vmlinuz next_args=\"initrd=\\initrd.img console=ttyS0 tdpvisor.dirtier=$dirtier\"" \
		--add 'build/guest/vmlinuz=\vmlinuz' --add 'build/guest/initrd.img=\initrd.img' > /dev/null ||
		exit 1
	echo "telemetry: booting Linux with dirtier $dirtier, telemetry every $interval (log $log)"
	tests/emu/run-qemu.sh --image "$out/telemetry.img" --log "$log" --cpu EPYC,hypervisor=off \
		--mem "$mem" --smp "$smp" --timeout 600 2> "$log.err"
	[ $? = 2 ] || echo "telemetry: QEMU did not end with the guest's power-off (see $log.err)" >&2
fi

dat=$out/telemetry.dat txt=$out/telemetry.txt png=$out/telemetry.png
# hv.efi's clock is its TSC calibrated at boot, which a loaded emulator can
# put far off; Linux calibrates against the HPET.  Times are scaled by
# their ratio (1 when either is missing).
hv_mhz=$(tr -d '\r' < "$log" | grep -a -o 'hv.efi: TSC [0-9.]* MHz' | head -1 | sed 's/.* \([0-9.]*\) MHz/\1/')
linux_mhz=$(tr -d '\r' < "$log" | grep -a -o 'tsc: Detected [0-9.]* MHz' | head -1 | sed 's/.* \([0-9.]*\) MHz/\1/')
scale=1
[ -n "$hv_mhz" ] && [ -n "$linux_mhz" ] && scale=$(echo "$hv_mhz / $linux_mhz" | bc -l)
# seq t_s dt_ms dirty dirty_per_s young young_mib faults zaps l1g l2m l4k
tr -d '\r' < "$log" | grep -a -o 'telemetry: seq=[0-9]* t_ms=[0-9]* dt_ms=[0-9]* dirty=[0-9]* young=[0-9]* faults=[0-9]* zaps=[0-9]* 1g=[0-9]* 2m=[0-9]* 4k=[0-9]*' |
	sed 's/[a-z0-9_]*=//g; s/^telemetry: //' |
	awk -v k="$scale" 'BEGIN { print "# seq t_s dt_ms dirty dirty_per_s young young_mib faults zaps leaves_1g leaves_2m leaves_4k" }
	     $3 > 0 { printf "%d %.3f %d %d %.0f %d %.1f %d %d %d %d %d\n", $1, $2 * k / 1000, $3 * k, $4,
		      $4 * 1000 / ($3 * k), $5, $5 * 4 / 1024, $6, $7, $8, $9, $10 }' > "$dat"
n=$(grep -vc '^#' "$dat")
if [ "$n" -lt 1 ]; then
	echo "telemetry: no telemetry lines in $log" >&2
	exit 1
fi

# dirtier's phases as hypervisor times: the first and last interval that
# the guest's phase judged ("phase N: K records (seq A..B)").
phases=$(tr -d '\r' < "$log" | grep -a -o 'dirtier: phase [0-9]*: [0-9]* records (seq [0-9]*\.\.[0-9]*)' |
	sed 's/dirtier: phase \([0-9]*\): [0-9]* records (seq \([0-9]*\)\.\.\([0-9]*\))/\1 \2 \3/')

{
	printf 'Times scaled by %.3f: hv.efi calibrated its TSC at %s MHz, Linux at %s MHz.\n\n' \
		"$scale" "${hv_mhz:-?}" "${linux_mhz:-?}"
	printf '%5s %9s %7s %8s %9s %8s %8s %7s %5s %4s %5s %8s\n' seq t_s dt_ms dirty dirty/s \
		young young_MiB faults zaps 1g 2m 4k
	grep -v '^#' "$dat" | while read -r s t dt d dps y ym f z g m k; do
		printf '%5s %9s %7s %8s %9s %8s %8s %7s %5s %4s %5s %8s\n' "$s" "$t" "$dt" "$d" "$dps" \
			"$y" "$ym" "$f" "$z" "$g" "$m" "$k"
	done
	echo
	echo "dirtier (the guest's truth, and its verdict on the ring's records):"
	tr -d '\r' < "$log" | grep -a -o 'dirtier: .*' | sed 's/^/  /'
} > "$txt"

# Shaded phases: an object per phase, from the start of its first interval
# to the end of its last.
objs=
while read -r p a b; do
	[ -n "$p" ] || continue
	x0=$(awk -v s="$a" '$1 == s { printf "%.3f", $2 - $3 / 1000 }' "$dat")
	x1=$(awk -v s="$b" '$1 == s { print $2 }' "$dat")
	[ -n "$x0" ] && [ -n "$x1" ] || continue
	objs+="set object $p rect from $x0, graph 0 to $x1, graph 1 behind fillcolor rgb '#e8eef8' fillstyle solid noborder
set label $p 'phase $p' at $x0, graph 0.92 offset 0.5, 0 font ',9'
"
done <<< "$phases"

gnuplot <<EOF || exit 1
set terminal png size 1000,900 font ',10'
set output '$png'
set multiplot layout 3,1 title 'tdpvisor memory telemetry: Linux + dirtier ($dirtier), every $interval'
set grid
set key top left opaque
set xlabel 'time since hv.efi started (s)'
$objs
set ylabel 'pages/s'
plot '$dat' using 2:5 with steps lw 2 title 'dirty pages/s'
set ylabel 'MiB'
plot '$dat' using 2:7 with steps lw 2 lc rgb '#2a7f2a' title 'working set (young pages)'
set ylabel 'count'
set logscale y
plot '$dat' using 2:(\$8 + 1) with steps lw 2 lc rgb '#b03030' title 'TDP faults per interval (+1)', \
     '$dat' using 2:(\$12 + 1) with steps lw 2 lc rgb '#606060' title '4 KiB leaves (+1)'
unset multiplot
EOF
echo "telemetry: $n intervals: $txt, $png"
tail -n +1 "$txt" | sed -n '/^dirtier/,$p'
