#!/usr/bin/env bash
# make test: everything, ending in one line "N passed, N failed".
#
#   host      the unit tests in one ASan+UBSan binary and the TDP MMU's host
#             suites
#   qemu      hv.efi booted by OVMF in QEMU (AMD SVM, TCG): the in-hypervisor
#             tests and selftests, the USB image, the platform VM (bluepill)
#             with a second hv.efi, probe.efi and Debian's Linux as guests
#             (and a hostile root user in that Linux),
#             power-off and reset, suspend to RAM (S3) and wake-up, a CPU
#             without SVM, the panic reports and
#             the log kept across a warm reset (two boots in one run), bad
#             options, `make debug` and hv.efi's own gdb stub over COM2
#             (`make debug-serial`, a hostile client, a crash)
#   bochs     hv.efi booted by OVMF in Bochs: Intel VMX (tigerlake, once per
#             dirty-logging mode; sandy bridge for the fallbacks; the
#             platform VM with probe.efi and hvprobe) and AMD SVM with NRIPS
#             and flush-by-ASID (ryzen)
#
# Each scenario is one file in tests/scenarios/ (see tests/README.md); the
# chains below list them in order.  The QEMU chain and the Bochs chain run
# side by side (one emulator each: the machines have two cores).  Each check
# prints "ok - SUITE: what" or "not ok - SUITE: what" with the reason; logs
# stay in build/test/ (emptied first).  Exit status 0 iff all passed.
#
# Usage: tests/run-all.sh [--list] [SCENARIO...]
#   SCENARIO names a scenario or is a glob ('qemu-*'); with none, all run
#   but the slow ones (SLOW_CHAIN), which run only when a pick matches them.
#   The SCENARIOS environment variable adds more (make test SCENARIOS=...).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
# shellcheck source=tests/emu/lib.sh
. tests/emu/lib.sh

HOST_CHAIN=(host layout)
QEMU_CHAIN=(qemu-ktest qemu-usb qemu-bluepill qemu-next qemu-hvprobe qemu-probe
	qemu-next-volumes qemu-poweroff qemu-linux qemu-smm qemu-la57 qemu-adversary qemu-smp qemu-smp-linux qemu-s3 qemu-s3-awake qemu-telemetry
	qemu-stress qemu-nosvm qemu-panic qemu-mce qemu-prevlog
	qemu-options qemu-console
	qemu-debug qemu-gdb)
BOCHS_CHAIN=(bochs-vmx bochs-fallbacks bochs-probe bochs-hvprobe bochs-ryzen bochs-smp bochs-stress)
# Too slow for make test: they run, in the Bochs lane, only when picked
# by name.  (None now: bochs-stress, Linux under stress in Bochs, runs in
# the Bochs lane beside the QEMU one; make test-stress-bochs runs it alone.)
SLOW_CHAIN=()
ALL=("${HOST_CHAIN[@]}" "${QEMU_CHAIN[@]}" "${BOCHS_CHAIN[@]}" "${SLOW_CHAIN[@]}")

# usage [STATUS]: the synopsis on stderr; exits with STATUS (default 2).
usage() {
	echo "usage: $0 [--list] [SCENARIO|GLOB...]   (or SCENARIOS=\"...\")" >&2
	exit "${1:-2}"
}

# selected NAME: NAME is one of the picked scenarios (all when none is picked).
selected() {
	local pat
	((${#PICK[@]})) || return 0
	for pat in "${PICK[@]}"; do
		# shellcheck disable=SC2053  # a pick may be a glob
		[[ $1 == $pat ]] && return 0
	done
	return 1
}

# picked NAME: NAME is one of the picked scenarios (none when none is picked).
picked() {
	((${#PICK[@]})) && selected "$1"
}

# run_chain NAME...: runs the selected scenarios among NAME, in order.
run_chain() {
	local s
	for s; do
		if selected "$s"; then "scenario_${s//-/_}"; fi
	done
}

PICK=()
while (($#)); do
	case $1 in
	--list) printf '%s\n' "${ALL[@]}"; exit 0 ;;
	-h|--help) usage 0 ;;
	-*) usage ;;
	*) PICK+=("$1") ;;
	esac
	shift
done
read -ra more <<< "${SCENARIOS:-}"
PICK+=("${more[@]}")

# Every scenario file is in a chain and defines its function; every pick
# names at least one scenario.
for f in tests/scenarios/*.sh; do
	# shellcheck source=/dev/null
	. "$f"
	s=${f##*/}
	s=${s%.sh}
	[[ " ${ALL[*]} " == *" $s "* ]] || { echo "$0: $f is in no chain" >&2; exit 2; }
	declare -F "scenario_${s//-/_}" > /dev/null ||
		{ echo "$0: $f defines no function scenario_${s//-/_}" >&2; exit 2; }
done
for pat in "${PICK[@]}"; do
	n=0
	for s in "${ALL[@]}"; do
		# shellcheck disable=SC2053
		[[ $s == $pat ]] && n=$((n + 1))
	done
	((n)) || { echo "$0: no scenario '$pat' (--list shows them)" >&2; exit 2; }
done

rm -rf "$OUT"
mkdir -p "$OUT"
echo "make test: building" >&2
if ! make --no-print-directory -s all build/host/unit-tests build/hv-usb.img guest > "$OUT/build.log" 2>&1; then
	cat "$OUT/build.log"
	echo "not ok - build: make all"
	echo "0 passed, 1 failed"
	exit 1
fi
echo "make test: host tests" >&2
run_chain "${HOST_CHAIN[@]}"
echo "make test: QEMU and Bochs boots (side by side)" >&2
run_chain "${QEMU_CHAIN[@]}" &
qpid=$!
{
	run_chain "${BOCHS_CHAIN[@]}"
	for s in "${SLOW_CHAIN[@]}"; do
		if picked "$s"; then "scenario_${s//-/_}"; fi
	done
} &
bpid=$!
wait "$qpid" "$bpid"

cat "$OUT"/host.tap "$OUT"/qemu.tap "$OUT"/bochs.tap 2> /dev/null
passed=$(cat "$OUT"/*.tap 2> /dev/null | grep -c '^ok - ')
failed=$(cat "$OUT"/*.tap 2> /dev/null | grep -c '^not ok - ')
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
