#!/bin/bash
# run-bochs.sh — boot a disk image under OVMF in Bochs (Intel VMX path).
#
# Usage:
#   tests/emu/run-bochs.sh --image IMG --log LOG [--model tigerlake]
#                          [--cpus 1] [--timeout SECS] [--interactive]
#
# Contract:
#   - Boots a private copy of IMG (Bochs locks its disk, and this keeps IMG
#     untouched and lets runs proceed side by side) with the 2 MiB OVMF
#     build, 512 MiB of RAM and an i440fx PCI chipset.  The bochsrc, the
#     debugger rc file, Bochs' own log and its screen output all live in a
#     private temp dir that is removed afterwards.
#   - COM1 goes to LOG (overwritten).  Bochs' screen (the "term" display)
#     goes to a file, or to the terminal with --interactive, which also
#     drops the timeout.
#   - The guest reports a verdict to Bochs:
#       pass: `xchg bx,bx` (magic breakpoint) stops in Bochs' debugger,
#             which then runs `quit` from the rc file (Bochs exits 0);
#       fail: the string "Shutdown" written to port 0x8900 (Bochs panics
#             with "Shutdown port: shutdown requested" and exits 1).
#     Any other panic (e.g. a triple fault: reset_on_triple_fault=0 turns
#     it into "exception(): 3rd (13) exception with no resolution") also
#     exits 1, so the two are told apart by Bochs' log, not the status.
#
# Exit status:
#   0    magic breakpoint reached (pass)
#   1    the guest requested a shutdown through port 0x8900 (fail)
#   124  no verdict within SECS (default 300): Bochs is killed (it ignores
#        SIGTERM) and the last 30 serial lines are printed to stderr
#   2    anything else: bad usage, missing files, a Bochs panic other than
#        the shutdown port (its >>PANIC<< line is printed), or Bochs ending
#        without a verdict
set -euo pipefail

readonly OVMF=/usr/share/ovmf/OVMF.fd
readonly VGABIOS=/usr/share/seabios/vgabios-isavga.bin
readonly BOCHS=${RUN_BOCHS_BINARY:-bochs}	# the variable: for testing this script
readonly TAIL_LINES=30
readonly SHUTDOWN_PANIC='Shutdown port: shutdown requested'

prog=${0##*/}
# shellcheck source=tests/emu/verdict.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/verdict.sh"

usage() {
	cat >&2 <<EOF
usage: $prog --image IMG --log LOG [--model tigerlake] [--cpus 1]
       [--timeout SECS] [--interactive]
exit: 0 pass (magic breakpoint), 1 fail (port 0x8900 "Shutdown"),
      124 timeout, 2 error (panic, triple fault, Bochs failure)
EOF
	exit 2
}

# ---- arguments -----------------------------------------------------------
image= log= model=tigerlake cpus=1 timeout=300 interactive=0
while (($#)); do
	case $1 in
	--image) (($# >= 2)) || usage; image=$2; shift 2 ;;
	--log) (($# >= 2)) || usage; log=$2; shift 2 ;;
	--model) (($# >= 2)) || usage; model=$2; shift 2 ;;
	--cpus) (($# >= 2)) || usage; cpus=$2; shift 2 ;;
	--timeout) (($# >= 2)) || usage; timeout=$2; shift 2 ;;
	--interactive) interactive=1; shift ;;
	-h|--help) usage ;;
	*) echo "$prog: unknown argument '$1'" >&2; usage ;;
	esac
done
[[ -n $image ]] || { echo "$prog: --image is required" >&2; usage; }
[[ -n $log ]] || { echo "$prog: --log is required" >&2; usage; }
[[ $cpus =~ ^[1-9][0-9]*$ ]] || die "--cpus must be a positive number"
[[ $timeout =~ ^[0-9]+$ && $timeout -gt 0 ]] || die "--timeout must be a positive number of seconds"
[[ $model =~ ^[A-Za-z0-9_]+$ ]] || die "--model '$model' is not a Bochs CPU model name"
[[ -f $image && -r $image ]] || die "image '$image' not found (make it with tools/mkimage.sh)"
[[ -f $OVMF ]] || die "firmware '$OVMF' missing (tools/deps.sh ovmf)"
[[ -f $VGABIOS ]] || die "VGA BIOS '$VGABIOS' missing (tools/deps.sh seabios)"
command -v "$BOCHS" >/dev/null || die "$BOCHS missing (tools/deps.sh bochs bochsbios bochs-term)"
: > "$log" || die "cannot write log '$log'"
log=$(realpath -- "$log")

# ---- private state ---------------------------------------------------------
private_dir run-bochs

cp -- "$image" "$tmp/disk.img"

# Paths in a bochsrc cannot be quoted: refuse what would break a line.
[[ $tmp$log != *[,\ \"]* ]] || die "paths with spaces, commas or quotes are not supported: $log"

cat > "$tmp/bochsrc" <<EOF
romimage: file=$OVMF
vgaromimage: file=$VGABIOS
cpu: model=$model, count=$cpus, ips=100000000, reset_on_triple_fault=0, ignore_bad_msrs=1
memory: guest=512, host=512
pci: enabled=1, chipset=i440fx
display_library: term
ata0-master: type=disk, path=$tmp/disk.img, mode=flat
boot: disk
com1: enabled=1, mode=file, dev=$log
magic_break: enabled=1
log: $tmp/bochs.log
panic: action=fatal
EOF
# The debugger runs these after the first stop, i.e. the magic breakpoint.
printf 'c\nquit\n' > "$tmp/rc"

# The term display is a curses UI: it needs a terminal type even when its
# output goes to a file.
export TERM=${TERM:-xterm}
[[ $TERM != dumb ]] || TERM=xterm
cmd=("$BOCHS" -q -f "$tmp/bochsrc" -rc "$tmp/rc")

timed_out=0 rc=0
if ((interactive)); then
	echo "$prog: serial output goes to $log (try: tail -f $log)" >&2
	"${cmd[@]}" 2> "$tmp/stderr" || rc=$?
else
	# Bochs (which ignores SIGTERM) and a timer race.
	"${cmd[@]}" > "$tmp/screen" 2> "$tmp/stderr" < /dev/null &
	emu_pid=$!
	race "$timeout" KILL
fi
((!timed_out)) || verdict timeout "no verdict after ${timeout}s, Bochs killed"

# Bochs' log marks every panic with >>PANIC<<; the shutdown port is one.
panic=
[[ ! -f $tmp/bochs.log ]] ||
	panic=$(grep -a '>>PANIC<<' -- "$tmp/bochs.log" | tail -n 1 | sed 's/^[0-9]*p//' || true)

if ((rc == 0)) && [[ -z $panic ]]; then
	# Only a debugger stop runs the rc file's `quit`; confirm it was the
	# magic breakpoint when the debugger's output was captured.
	if ((interactive)) || grep -aq 'Magic breakpoint' -- "$tmp/screen"; then
		verdict pass "magic breakpoint"
	fi
	verdict error "Bochs exited 0 without a magic breakpoint"
fi
[[ $panic != *"$SHUTDOWN_PANIC"* ]] || verdict fail 'guest wrote "Shutdown" to port 0x8900'
[[ -z $panic ]] || verdict error "Bochs panic: $panic"
# Bochs 2.7 with count=2 now and then dies of a signal while it quits after
# the magic breakpoint: the guest's verdict was given before, and counts
# when Bochs' own output shows the breakpoint (a crash that lost it stays
# an error).
if ((rc > 128)) && { grep -aq 'Magic breakpoint' -- "$tmp/screen" ||
		     grep -aq 'Stopped on MAGIC BREAKPOINT' -- "$tmp/bochs.log"; } 2> /dev/null; then
	echo "$prog: Bochs died of signal $((rc - 128)) after the magic breakpoint" >&2
	verdict pass "magic breakpoint, then Bochs crashed while quitting"
fi
# No log line: Bochs stopped before or outside the simulation (bad
# bochsrc, missing plugin, terminal trouble); show its own words.
why=$(grep -a -A1 'Bochs is exiting with the following message' -- "$tmp/stderr" |
	tail -n 1 || true)
[[ -n $why ]] || why=$(grep -av -e '^ALSA' -e '^[0-9]*i\[' -- "$tmp/stderr" | tail -n 3 || true)
verdict error "Bochs exited with status $rc without a verdict: ${why:-no message}"
