# shellcheck shell=bash disable=SC2034,SC2154  # the runner sets prog and log, reads rc and timed_out
# verdict.sh — sourced by run-qemu.sh and run-bochs.sh: what the two
# runners share around the emulator they start.
#
# Contract:
#   - The runner sets prog (its name for messages), TAIL_LINES and log (the
#     serial log) before using these; it runs under `set -euo pipefail`.
#   - private_dir NAME: $tmp, a private temp dir.  At exit the emulator
#     ($emu_pid, if set) gets SIGKILL, the timer ($timer_pid) is stopped and
#     $tmp is removed; SIGINT and SIGTERM end the runner with 130 and 143
#     through that same cleanup (boot_until in tests/emu/lib.sh relies on it).
#   - race SECS STOPSIG: the emulator, started in the background as
#     $emu_pid, against a SECS timer.  Sets rc (the emulator's status) and
#     timed_out (0 or 1); on a timeout the emulator gets STOPSIG and 5 s to
#     go (then the exit cleanup kills it).
#   - verdict KIND WHY [DETAIL]: the runner's last stderr line and its exit:
#       pass     "PASS (WHY)", 0         fail   "FAIL (WHY)", 1
#       timeout  "TIMEOUT: WHY", 124     error  "ERROR: WHY", 2
#     timeout and error then print DETAIL (if any) and the serial log's
#     last TAIL_LINES lines, for a reader who has only stderr.
#   - die WHY: bad usage or setup, "error: WHY", status 2.

# die WHY: a usage or setup error; never returns (status 2).
die() {
	echo "$prog: error: $*" >&2
	exit 2
}

# cleanup: only our own children, by pid (Bochs ignores SIGTERM, so KILL).
cleanup() {
	[[ -z ${emu_pid:-} ]] || kill -KILL "$emu_pid" 2>/dev/null || true
	[[ -z ${timer_pid:-} ]] || kill "$timer_pid" 2>/dev/null || true
	[[ -z ${tmp:-} ]] || rm -rf -- "$tmp"
}

# private_dir NAME: makes $tmp and arms the exit cleanup and signal traps.
private_dir() {
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
	emu_pid= timer_pid=
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# race SECS STOPSIG: whichever of $emu_pid and a SECS timer ends first
# decides; sets rc and timed_out, clears emu_pid and timer_pid.
race() {
	local secs=$1 sig=$2 done_pid= _
	sleep "$secs" &
	timer_pid=$!
	rc=0
	wait -n -p done_pid "$emu_pid" "$timer_pid" || rc=$?
	if [[ $done_pid == "$timer_pid" ]]; then
		timed_out=1
		timer_pid=
		kill -"$sig" "$emu_pid" 2>/dev/null || true
		if [[ $sig == KILL ]]; then
			wait "$emu_pid" 2>/dev/null || true
		else
			for _ in 1 2 3 4 5 6 7 8 9 10; do
				kill -0 "$emu_pid" 2>/dev/null || break
				sleep 0.5
			done
			# Still there: the exit cleanup kills it.
			kill -0 "$emu_pid" 2>/dev/null && return
		fi
	else
		timed_out=0
		kill "$timer_pid" 2>/dev/null || true
		wait "$timer_pid" 2>/dev/null || true
		timer_pid=
	fi
	emu_pid=
}

# print_tail: the last serial lines, for a reader who has only stderr.
print_tail() {
	[[ -n $log && -s $log ]] || { echo "$prog: (serial log is empty)" >&2; return; }
	echo "$prog: last $TAIL_LINES serial lines of $log:" >&2
	# Firmware clears the screen with ANSI sequences and its setup menu
	# paints screens of blanks: drop the sequences and CRs, squeeze long
	# runs of blanks and cut long lines.
	tail -n "$TAIL_LINES" -- "$log" |
		sed -e "s/\x1b\[[0-9;=?]*[A-Za-z]//g" -e "s/\r//g" -e "s/ \{16,\}/ /g" |
		cut -c1-200 | sed "s/^/  | /" >&2
}

# verdict pass|fail|timeout|error WHY [DETAIL]: reports and exits (see above).
verdict() {
	local kind=$1 why=$2 detail=${3:-}
	case $kind in
	pass) echo "$prog: PASS ($why)" >&2; exit 0 ;;
	fail) echo "$prog: FAIL ($why)" >&2; exit 1 ;;
	timeout) echo "$prog: TIMEOUT: $why" >&2; print_tail; exit 124 ;;
	error)
		echo "$prog: ERROR: $why" >&2
		[[ -z $detail ]] || printf '%s\n' "$detail" >&2
		print_tail
		exit 2 ;;
	*) die "verdict: unknown kind '$kind'" ;;
	esac
}
