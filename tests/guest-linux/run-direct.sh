#!/bin/bash
# run-direct.sh — boot the default guest (tools/mkguest.sh) in QEMU TCG under
# OVMF, WITHOUT the hypervisor: the baseline for the platform VM's tests and
# overhead benchmark, and proof that the payload itself works.
#
# Usage:
#   tests/guest-linux/run-direct.sh [--dir DIR] [--log LOG] [--runs N]
#       [--mem MIB] [--cpu MODEL] [--smp N] [--timeout SECS] [--append "ARGS"]
#       [--interactive]
#
# Contract:
#   - Boots DIR/vmlinuz (default build/guest) with -initrd DIR/initrd.img on
#     q35, N CPUs (default 1), MIB of RAM (default 1024), -cpu MODEL (default EPYC), no
#     network, OVMF as in tests/emu/run-qemu.sh (Debian's read-only code
#     flash plus a fresh copy of the variable store per run); OVMF starts
#     the kernel through its EFI stub.  -no-reboot.
#   - Command line: "console=ttyS0 tdpvisor.test=1" plus --append's ARGS:
#     the guest's /init prints its banner and memory lines, runs memcheck
#     over 90% of MemAvailable and powers off.
#   - COM1 goes to LOG (default DIR/direct.log; with --runs N > 1 run i
#     writes LOG with .i before its extension).  Each run is bounded by
#     SECS (default 300) of wall time.
#   - Prints per run: seconds from QEMU's start to the banner and to the
#     memcheck line, the guest's own lines (hypervisor bit and vendor,
#     MemTotal, the memcheck result and time); then the banner times of
#     all runs.
#   - --interactive: no tdpvisor.test=1 and no timeout; serial and the QEMU
#     monitor share the terminal (Ctrl-A x quits); gives the busybox shell.
#
# Exit status:
#   0    every run printed the banner and "memcheck: N MiB ok" and powered off
#   1    a run printed "memcheck: FAILED ..." or ended without the banner or
#        the memcheck line
#   124  a run hit the timeout (QEMU killed; the log's tail is printed)
#   2    bad usage, missing kernel/initrd/firmware/QEMU, QEMU failed to start
set -euo pipefail

readonly OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
readonly OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
readonly QEMU=qemu-system-x86_64
readonly BANNER='tdpvisor default guest: Linux .* up'

prog=${0##*/}

usage() {
	cat >&2 <<EOF
usage: $prog [--dir DIR] [--log LOG] [--runs N] [--mem MIB] [--cpu MODEL] [--smp N]
       [--timeout SECS] [--append "ARGS"] [--interactive]
  DIR holds vmlinuz and initrd.img from tools/mkguest.sh (default build/guest)
exit: 0 memcheck ok, 1 guest failure, 124 timeout, 2 error
EOF
	exit 2
}

die() {
	echo "$prog: error: $*" >&2
	exit 2
}

# ---- arguments -----------------------------------------------------------
dir=build/guest log= runs=1 mem=1024 cpu=EPYC smp=1 timeout=300 append= interactive=0
while (($#)); do
	case $1 in
	--dir) (($# >= 2)) || usage; dir=$2; shift 2 ;;
	--log) (($# >= 2)) || usage; log=$2; shift 2 ;;
	--runs) (($# >= 2)) || usage; runs=$2; shift 2 ;;
	--mem) (($# >= 2)) || usage; mem=$2; shift 2 ;;
	--cpu) (($# >= 2)) || usage; cpu=$2; shift 2 ;;
	--smp) (($# >= 2)) || usage; smp=$2; shift 2 ;;
	--timeout) (($# >= 2)) || usage; timeout=$2; shift 2 ;;
	--append) (($# >= 2)) || usage; append=$2; shift 2 ;;
	--interactive) interactive=1; shift ;;
	-h|--help) usage ;;
	*) echo "$prog: unknown argument '$1'" >&2; usage ;;
	esac
done
[[ $mem =~ ^[0-9]+$ ]] || die "--mem must be a number of MiB"
[[ $runs =~ ^[0-9]+$ && $runs -gt 0 ]] || die "--runs must be a positive number"
[[ $timeout =~ ^[0-9]+$ && $timeout -gt 0 ]] || die "--timeout must be a positive number of seconds"
[[ $smp =~ ^[0-9]+$ && $smp -ge 1 && $smp -le 64 ]] || die "--smp must be a number of CPUs, 1..64"
for f in "$dir/vmlinuz" "$dir/initrd.img"; do
	[[ -f $f && -r $f ]] || die "'$f' not found (build it: make guest, or tools/mkguest.sh $dir)"
done
for f in "$OVMF_CODE" "$OVMF_VARS"; do
	[[ -f $f ]] || die "firmware '$f' missing (tools/deps.sh ovmf)"
done
command -v "$QEMU" >/dev/null || die "$QEMU missing (tools/deps.sh qemu-system-x86)"
[[ -n $log ]] || log=$dir/direct.log

# ---- private state ---------------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/run-direct.XXXXXX")
qpid=
cleanup() {
	# Only our own child, by pid.
	[[ -z $qpid ]] || kill -KILL "$qpid" 2>/dev/null || true
	rm -rf -- "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# qemu_args CMDLINE: the machine, shared by both modes.
qemu_args() {
	cp -- "$OVMF_VARS" "$tmp/vars.fd"
	args=(
		-machine q35 -cpu "$cpu" -m "$mem" -smp "$smp"
		-nic none -no-reboot -display none -monitor none
		-drive "if=pflash,format=raw,readonly=on,file=$OVMF_CODE"
		-drive "if=pflash,format=raw,file=$tmp/vars.fd"
		-kernel "$dir/vmlinuz" -initrd "$dir/initrd.img" -append "$1"
	)
}

# ---- interactive -------------------------------------------------------------
if ((interactive)); then
	qemu_args "console=ttyS0${append:+ $append}"
	chr=stdio,id=con0,mux=on,signal=off,logfile=${log//,/,,},logappend=off
	args+=(-chardev "$chr" -serial chardev:con0 -mon chardev=con0,mode=readline)
	echo "$prog: serial on this terminal (copy in $log); Ctrl-A x quits QEMU" >&2
	rc=0
	"$QEMU" "${args[@]}" 2> "$tmp/stderr" || rc=$?
	grep -v "TCG doesn.t support requested feature" -- "$tmp/stderr" >&2 || true
	exit $((rc == 0 ? 0 : 2))
fi

# ---- test runs -------------------------------------------------------------
now() { date +%s%N; }
# secs T0 T1: nanoseconds difference as seconds with one decimal.
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'; }
# clean LOG: the log without CRs and ANSI sequences (OVMF paints the screen).
clean() { sed -e "s/\x1b\[[0-9;=?]*[A-Za-z]//g" -e "s/\r//g" -- "$1"; }

banners=() status=0
for ((i = 1; i <= runs; i++)); do
	if ((runs > 1)); then
		base=${log##*/}
		if [[ $base == *.* ]]; then
			rlog=${log%.*}.$i.${log##*.}
		else
			rlog=$log.$i
		fi
	else
		rlog=$log
	fi
	: > "$rlog" || die "cannot write log '$rlog'"
	qemu_args "console=ttyS0 tdpvisor.test=1${append:+ $append}"
	args+=(-chardev "file,id=ser0,path=${rlog//,/,,}" -serial chardev:ser0)

	t0=$(now) t_banner= t_mem= timed_out=0
	"$QEMU" "${args[@]}" 2> "$tmp/stderr" &
	qpid=$!
	deadline=$((t0 + timeout * 1000000000))
	while kill -0 "$qpid" 2>/dev/null; do
		if [[ -z $t_banner ]] && grep -q -a -e "$BANNER" -- "$rlog"; then
			t_banner=$(now)
		fi
		if [[ -z $t_mem ]] && grep -q -a -e '^memcheck: ' -- "$rlog"; then
			t_mem=$(now)
		fi
		if (($(now) > deadline)); then
			timed_out=1
			kill -TERM "$qpid" 2>/dev/null || true
			for _ in 1 2 3 4 5 6 7 8 9 10; do
				kill -0 "$qpid" 2>/dev/null || break
				sleep 0.5
			done
			break
		fi
		sleep 0.1
	done
	rc=0
	wait "$qpid" || rc=$?
	qpid=
	t_end=$(now)
	# Lines that arrived between the last poll and QEMU's exit.
	[[ -n $t_banner ]] || ! grep -q -a -e "$BANNER" -- "$rlog" || t_banner=$t_end
	[[ -n $t_mem ]] || ! grep -q -a -e '^memcheck: ' -- "$rlog" || t_mem=$t_end

	qemu_error=$(grep -v -e '^[^:]*: warning:' -e 'terminating on signal' -- "$tmp/stderr" |
		grep -m1 -e "^$QEMU:" -e '^qemu' || true)
	[[ -z $qemu_error ]] || die "QEMU failed: $qemu_error"

	echo "run $i ($rlog):"
	b_s="(none)" m_s="(none)"
	[[ -z $t_banner ]] || b_s="$(secs "$t0" "$t_banner") s"
	[[ -z $t_mem ]] || m_s="$(secs "$t0" "$t_mem") s"
	echo "  banner after $b_s"
	echo "  memcheck line after $m_s"
	echo "  QEMU ended after $(secs "$t0" "$t_end") s (status $rc)"
	clean "$rlog" | grep -a -E "^(tdpvisor default guest|guest uptime|hypervisor (bit|vendor)|memory: |memcheck)" |
		sed 's/^/  | /'
	[[ -z $t_banner ]] || banners+=("$(secs "$t0" "$t_banner")")

	if ((timed_out)); then
		echo "$prog: TIMEOUT: run $i did not end within ${timeout}s; last lines of $rlog:" >&2
		clean "$rlog" | tail -n 30 | cut -c1-200 | sed 's/^/  | /' >&2
		exit 124
	fi
	if clean "$rlog" | grep -q -a -E '^memcheck: [0-9]+ MiB ok$' && [[ -n $t_banner ]]; then
		:
	else
		echo "$prog: FAIL: run $i: no banner or no 'memcheck: N MiB ok'; last lines of $rlog:" >&2
		clean "$rlog" | tail -n 30 | cut -c1-200 | sed 's/^/  | /' >&2
		status=1
	fi
done
echo "banner times (s): ${banners[*]:-none}"
if ((status == 0)); then
	echo "$prog: PASS ($runs run(s))" >&2
fi
exit $status
