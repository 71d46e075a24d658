#!/bin/bash
# run-qemu.sh — boot a disk image under OVMF in QEMU TCG (AMD SVM path).
#
# Usage:
#   tests/emu/run-qemu.sh --image IMG --log LOG [--cpu EPYC] [--mem 512] [--smp 1]
#                         [--timeout SECS] [--interactive] [--gdb] [--monitor SOCK]
#                         [--accel tcg|kvm|auto] [--disk IMG2]... [--smm]
#                         [--vars-out FILE] [--qemu-arg ARG]... [--reboot]
#
# Contract:
#   - Boots IMG (a GPT disk from tools/mkimage.sh) on q35 with --smp CPUs, no
#     network and OVMF: the read-only code flash from Debian plus a private
#     copy of the variable store, so every run starts from fresh variables
#     and boots \EFI\BOOT\BOOTX64.EFI at once.  IMG itself is never written
#     (the disk is opened with snapshot=on; the overlay lives in a temp dir).
#   - COM1 goes to LOG (overwritten).  With --interactive it goes to the
#     terminal with the QEMU monitor multiplexed (Ctrl-A c; Ctrl-A x quits)
#     and is copied to LOG (a private file without --log); there is no
#     timeout.  Stdin need not be a terminal (a here-doc types into the
#     guest's console).
#   - --reboot lets a guest reset restart the machine (RAM kept, as on a
#     warm reset) instead of ending QEMU (-no-reboot otherwise).
#   - --smm boots q35 with smm=on and the SMM build of OVMF (Debian's
#     OVMF_CODE_4M.secboot.fd, its variables behind SMM; Secure Boot stays
#     off with the plain OVMF_VARS_4M.fd), like most real PCs' firmware.
#     The flash is then writable only from SMM, as on those PCs.
#   - --vars-out FILE: the variable store as the run left it is copied to
#     FILE when QEMU has ended (whatever the verdict).
#   - --gdb adds -s -S: QEMU waits for gdb on localhost:1234 (no timeout
#     unless --timeout is given).
#   - --monitor SOCK: the QEMU monitor (HMP) listens on the Unix socket SOCK
#     (a test drives it with socat: e.g. to inject a machine check).
#   - --accel: tcg (the default: software emulation, AMD SVM with the --cpu
#     model), kvm (-accel kvm -cpu host: hv.efi runs the host CPU's own
#     VMX or SVM under KVM's nested virtualization; an error without a
#     usable /dev/kvm), or auto (kvm where /dev/kvm is usable, else tcg).
#     The choice is printed on stderr.
#   - --disk IMG2 (repeatable): more disks after IMG, on the next SATA ports
#     (snapshot=on: never written), e.g. a second volume for next=.
#   - --qemu-arg ARG appends ARG to QEMU's command line (repeat it for each
#     word), e.g. a second serial device and its chardev.
#   - The guest reports a verdict by writing a byte V to port 0xf4
#     (isa-debug-exit), which makes QEMU exit with (V << 1) | 1.
#
# Exit status:
#   0    the guest wrote V = 0 to port 0xf4 (pass)
#   1    the guest wrote any other V (fail)
#   124  no verdict within SECS (default 120): QEMU is killed and the last
#        30 lines of the serial log are printed to stderr
#   2    anything else: bad usage, missing firmware or image, QEMU could
#        not start, or QEMU ended without a verdict (guest reset, triple
#        fault or power-off; -no-reboot turns a reset into an exit)
#   With --interactive, a run that ends without a port 0xf4 verdict is
#   judged by its serial log instead, as a person at the console would:
#   0 when the guest switched the machine off or reset it (hv.efi's
#   "platform: the guest switches the machine off"/"resets the machine",
#   or Linux's "reboot: Power down" without a hypervisor), 1 when hv.efi
#   panicked or the platform guest triple-faulted, 2 otherwise.
set -euo pipefail

readonly OVMF_CODE_PLAIN=/usr/share/OVMF/OVMF_CODE_4M.fd
readonly OVMF_CODE_SMM=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd
readonly OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
readonly QEMU=qemu-system-x86_64
readonly TAIL_LINES=30

prog=${0##*/}
# shellcheck source=tests/emu/verdict.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/verdict.sh"

usage() {
	cat >&2 <<EOF
usage: $prog --image IMG --log LOG [--cpu EPYC] [--mem 512] [--smp 1]
       [--timeout SECS] [--interactive] [--gdb] [--monitor SOCK]
       [--accel tcg|kvm|auto] [--disk IMG2]... [--smm] [--vars-out FILE]
       [--qemu-arg ARG]... [--reboot]
exit: 0 pass (port 0xf4 <- 0), 1 fail (other value), 124 timeout, 2 error
EOF
	exit 2
}

# ---- arguments -----------------------------------------------------------
image= log= cpu=EPYC mem=512 smp=1 timeout=120 timeout_set=0 interactive=0 gdb=0 monitor= accel=tcg
smm=0 vars_out=
disks=()
extra=()
reboot=0
while (($#)); do
	case $1 in
	--image) (($# >= 2)) || usage; image=$2; shift 2 ;;
	--log) (($# >= 2)) || usage; log=$2; shift 2 ;;
	--cpu) (($# >= 2)) || usage; cpu=$2; shift 2 ;;
	--mem) (($# >= 2)) || usage; mem=$2; shift 2 ;;
	--smp) (($# >= 2)) && [[ $2 =~ ^[1-9][0-9]*$ ]] || usage; smp=$2; shift 2 ;;
	--timeout) (($# >= 2)) || usage; timeout=$2; timeout_set=1; shift 2 ;;
	--interactive) interactive=1; shift ;;
	--gdb) gdb=1; shift ;;
	--monitor) (($# >= 2)) || usage; monitor=$2; shift 2 ;;
	--disk) (($# >= 2)) || usage; disks+=("$2"); shift 2 ;;
	--accel) (($# >= 2)) && [[ $2 =~ ^(tcg|kvm|auto)$ ]] || usage; accel=$2; shift 2 ;;
	--smm) smm=1; shift ;;
	--vars-out) (($# >= 2)) || usage; vars_out=$2; shift 2 ;;
	--qemu-arg) (($# >= 2)) || usage; extra+=("$2"); shift 2 ;;
	--reboot) reboot=1; shift ;;
	-h|--help) usage ;;
	*) echo "$prog: unknown argument '$1'" >&2; usage ;;
	esac
done
[[ -n $image ]] || { echo "$prog: --image is required" >&2; usage; }
((interactive)) || [[ -n $log ]] || { echo "$prog: --log is required" >&2; usage; }
[[ $mem =~ ^[0-9]+$ ]] || die "--mem must be a number of MiB"
[[ $timeout =~ ^[0-9]+$ && $timeout -gt 0 ]] || die "--timeout must be a positive number of seconds"
if ((smm)); then
	OVMF_CODE=$OVMF_CODE_SMM machine=q35,smm=on
else
	OVMF_CODE=$OVMF_CODE_PLAIN machine=q35
fi
[[ -f $image && -r $image ]] || die "image '$image' not found (make it with tools/mkimage.sh)"
for d in "${disks[@]}"; do
	[[ -f $d && -r $d ]] || die "disk '$d' not found"
done
for f in "$OVMF_CODE" "$OVMF_VARS"; do
	[[ -f $f ]] || die "firmware '$f' missing (tools/deps.sh ovmf)"
done
command -v "$QEMU" >/dev/null || die "$QEMU missing (tools/deps.sh qemu-system-x86)"
# Interactive and gdb sessions last as long as the person needs.
if ((interactive)) || ((gdb && !timeout_set)); then
	timeout=0
fi

# ---- accelerator -----------------------------------------------------------
# kvm-check.sh says whether KVM can nest hv.efi here, or why not.
why_not=
if [[ $accel != tcg ]]; then
	why_not=$("$(dirname -- "${BASH_SOURCE[0]}")/kvm-check.sh") && why_not=
	[[ $accel == auto && -n $why_not ]] && accel=tcg
	[[ $accel == auto ]] && accel=kvm
fi
if [[ $accel == kvm ]]; then
	[[ -z $why_not ]] || die "--accel kvm: $why_not"
	cpu=host
	echo "$prog: accelerator: KVM (-cpu host: hv.efi runs this CPU's own VMX/SVM, nested under KVM)" >&2
else
	echo "$prog: accelerator: TCG, software emulation (-cpu $cpu)${why_not:+; not KVM: $why_not}" >&2
fi

# ---- private state ---------------------------------------------------------
private_dir run-qemu

cp -- "$OVMF_VARS" "$tmp/vars.fd"

args=(
	-machine "$machine" -accel "$accel" -cpu "$cpu" -m "$mem" -smp "$smp"
	-nic none -display none
	-device isa-debug-exit,iobase=0xf4,iosize=0x04
	-drive "if=pflash,format=raw,readonly=on,file=$OVMF_CODE"
	-drive "if=pflash,format=raw,file=$tmp/vars.fd"
	-drive "format=raw,file=${image//,/,,},snapshot=on"
)
for d in "${disks[@]}"; do
	args+=(-drive "format=raw,file=${d//,/,,},snapshot=on")
done
if [[ -n $monitor ]]; then
	((!interactive)) || die "--monitor and --interactive exclude each other"
	args+=(-chardev "socket,id=mon0,path=${monitor//,/,,},server=on,wait=off"
		-mon chardev=mon0,mode=readline)
else
	args+=(-monitor none)
fi
# The SMM build keeps its variables behind SMM: the flash takes writes only
# from SMM code (QEMU's secure pflash), as a real PC's SPI flash does.
((!smm)) || args+=(-global driver=cfi.pflash01,property=secure,value=on)
((reboot)) || args+=(-no-reboot)
if ((interactive)); then
	# Serial and monitor share the terminal; a copy of the serial output
	# goes to LOG when one was named.
	chr=stdio,id=con0,mux=on,signal=off
	[[ -n $log ]] || log=$tmp/serial.log
	chr+=",logfile=${log//,/,,},logappend=off"
	args+=(-chardev "$chr" -serial chardev:con0 -mon chardev=con0,mode=readline)
else
	: > "$log" || die "cannot write log '$log'"
	args+=(-chardev "file,id=ser0,path=${log//,/,,}" -serial chardev:ser0)
fi
args+=("${extra[@]}")
if ((gdb)); then
	args+=(-s -S)
	cat >&2 <<EOF
$prog: QEMU is waiting for gdb on localhost:1234; attach with
  gdb build/hv.debug.elf -ex 'target remote localhost:1234'
(hv.efi is relocated at load time: it prints its image base on the serial
port; use 'add-symbol-file build/hv.debug.elf -o BASE' with that base)
EOF
fi

# (QEMU options escape a comma in a path by doubling it.)
# snapshot=on keeps its overlay under TMPDIR: keep it in our private dir.
export TMPDIR=$tmp

if ((timeout == 0)); then
	rc=0
	# QEMU's messages are kept for the verdict below and shown once it
	# ends, without the warnings about CPUID features TCG lacks.
	"$QEMU" "${args[@]}" 2> "$tmp/stderr" || rc=$?
	grep -v "TCG doesn.t support requested feature" -- "$tmp/stderr" >&2 || true
	timed_out=0
else
	# QEMU (which stops cleanly on SIGTERM) and a timer race.
	"$QEMU" "${args[@]}" 2> "$tmp/stderr" &
	emu_pid=$!
	race "$timeout" TERM
fi
[[ -z $vars_out ]] || cp -- "$tmp/vars.fd" "$vars_out" || die "cannot write '$vars_out'"
((!timed_out)) || verdict timeout "no verdict after ${timeout}s, QEMU killed"

# QEMU itself exits 1 on a startup error, which a guest verdict of V=0 also
# gives: tell them apart by QEMU's own error lines (warnings do not count).
qemu_error=$(grep -v -e '^[^:]*: warning:' -e 'terminating on signal' -- "$tmp/stderr" | grep -m1 -e "^$QEMU:" -e '^qemu' || true)
((rc != 1)) || [[ -z $qemu_error ]] || verdict error "QEMU failed: $qemu_error"
if ((rc % 2 == 1)); then
	v=$(( rc >> 1 ))
	((v != 0)) || verdict pass "guest wrote 0 to port 0xf4"
	verdict fail "guest wrote $v to port 0xf4"
fi
# interactive_verdict: an interactive run that ended by itself, judged by
# what its serial log says last happened (see the contract above).
interactive_verdict() {
	local text
	# (hv.efi's copy of an earlier boot's log is not this run's.)
	text=$(sed -e 's/\x1b\[[0-9;=?]*[A-Za-z]//g' -e 's/\r//g' -e '/previous boot: /d' -- "$log" \
		2>/dev/null || true)
	if grep -qE 'Kernel panic - not syncing|platform: the guest triple-faulted' <<< "$text"; then
		verdict fail "$(grep -m1 -oE '(Kernel panic - not syncing|platform: the guest triple-faulted).*' <<< "$text")"
	elif grep -qE 'platform: the guest switches the machine off' <<< "$text"; then
		verdict pass "the guest switched the machine off"
	elif grep -qE 'platform: the guest resets the machine' <<< "$text"; then
		verdict pass "the guest reset the machine (-no-reboot ends the run)"
	elif grep -qE 'reboot: Power down' <<< "$text"; then
		verdict pass "Linux switched the machine off"
	fi
}
((!interactive || rc != 0)) || interactive_verdict
# TCG warns about every CPUID feature of the model it lacks: not news here.
verdict error "QEMU exited with status $rc without a verdict (guest reset, triple fault or power-off?)" \
	"$(grep -v "TCG doesn.t support requested feature" -- "$tmp/stderr" | sed "s/^/  qemu: /" || true)"
