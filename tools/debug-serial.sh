#!/usr/bin/env bash
# make debug-serial: boot IMAGE (whose hv.cfg says "gdb=ttyS1 gdbwait") in
# QEMU with COM1 to a log file and COM2 on a TCP socket, wait until hv.efi
# prints its image base and stops in its gdb stub, then attach gdb to the
# stub through COM2 with the debug ELF's symbols loaded at that base.  This
# is hv.efi's own stub (lib/gdbstub.c), not QEMU's: the same works over a
# serial cable on a real machine (docs/debugging.md).
#
#   tools/debug-serial.sh IMAGE DEBUG_ELF [--batch GDB_COMMANDS_FILE]
#   tools/debug-serial.sh IMAGE DEBUG_ELF --client COMMAND [ARGS...]
#
# --batch runs gdb non-interactively with extra commands (the tests);
# --client runs COMMAND instead of gdb with GDB_SERIAL_PORT (the TCP port
# of COM2), GDB_IMAGE_BASE and GDB_SERIAL_LOG in its environment.
# Afterwards the script waits (up to DEBUG_SERIAL_END_WAIT seconds, 60) for
# hv.efi to end QEMU (exit=qemu), and prints
# "debug-serial: QEMU exited with status N" (1 is isa-debug-exit's pass).
# The serial log goes to build/debug-serial.log (DEBUG_SERIAL_LOG picks
# another); QEMU is stopped at the end.  hv.efi may also be stopped by a
# crash (gdb=ttyS1 without gdbwait): the script waits for either line.
# GDB_SERIAL_PORT picks the port (default: a free one); SMP the CPUs (1).
set -euo pipefail
# shellcheck source=tools/debug-lib.sh
. "$(dirname "$0")/debug-lib.sh"

usage="usage: tools/debug-serial.sh IMAGE DEBUG_ELF [--batch FILE | --client CMD...]"
image=${1:?$usage}
elf=${2:?$usage}
shift 2
mode=interactive batch=
if [ "${1:-}" = --batch ]; then
	mode=batch batch=${2:?--batch needs a file of gdb commands}
elif [ "${1:-}" = --client ]; then
	mode=client
	shift
	[ $# -gt 0 ] || { echo "$usage" >&2; exit 2; }
fi
log=${DEBUG_SERIAL_LOG:-$(dirname "$elf")/debug-serial.log}
gdbinit=${log%.log}.gdbinit
port=${GDB_SERIAL_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}

tmp=$(mktemp -d)
qemu_pid=
cleanup() {
	[ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

cp /usr/share/OVMF/OVMF_VARS_4M.fd "$tmp/vars.fd"
: > "$log"
qemu-system-x86_64 -machine q35 -cpu EPYC -m 512 -smp "${SMP:-1}" -nic none \
	-drive if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd \
	-drive if=pflash,format=raw,file="$tmp/vars.fd" \
	-drive format=raw,file="$image",snapshot=on \
	-serial file:"$log" -serial tcp:127.0.0.1:"$port",server=on,wait=off \
	-display none -monitor none -no-reboot \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 2> "$tmp/qemu.err" &
qemu_pid=$!

echo "debug-serial: waiting for hv.efi's gdb stub (serial log: $log)" >&2
debug_wait_base debug-serial "$log" "$qemu_pid" "$tmp/qemu.err" 'waits for gdb' 90

cat > "$gdbinit" <<GDB
set pagination off
set confirm off
${GDB_REMOTE_DEBUG:+set debug remote 1}
target remote 127.0.0.1:$port
add-symbol-file $elf -o $base
echo hv.efi symbols loaded at $base; it is stopped in its gdb stub (continue goes on)\\n
GDB
echo "debug-serial: hv.efi at $base, its stub on COM2 = 127.0.0.1:$port; gdb commands in $gdbinit" >&2
case $mode in
batch) gdb -q -nx -batch -x "$gdbinit" -x "$batch" || true ;;
client) GDB_SERIAL_PORT=$port GDB_IMAGE_BASE=$base GDB_SERIAL_LOG=$log "$@" || true ;;
*) gdb -q -nx -x "$gdbinit" ;;
esac
if [ "$mode" != interactive ]; then
	# let hv.efi finish (its exit= option ends QEMU) before reporting
	for _ in $(seq 1 $((${DEBUG_SERIAL_END_WAIT:-60} * 10))); do
		kill -0 "$qemu_pid" 2>/dev/null || break
		sleep 0.1
	done
fi
st=0
if kill -0 "$qemu_pid" 2>/dev/null; then
	echo "debug-serial: QEMU still running: stopped" >&2
else
	wait "$qemu_pid" || st=$?
	qemu_pid=
	echo "debug-serial: QEMU exited with status $st"
fi
