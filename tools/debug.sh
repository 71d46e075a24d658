#!/usr/bin/env bash
# make debug: boot IMAGE (whose hv.cfg says "debugwait") in QEMU with a gdb
# stub on :1234, wait until hv.efi prints its image base and stops, then
# start gdb with the debug ELF's symbols loaded at that base.  In gdb,
# `set var hv_debug_wait = 0` then `continue` lets hv.efi go on (break
# points first, e.g. `break exception_handler`).
#
#   tools/debug.sh IMAGE DEBUG_ELF [--batch GDB_COMMANDS_FILE]
#
# --batch runs gdb non-interactively with extra commands (used by the tests).
# The serial log goes to build/debug-serial.log; QEMU is stopped when gdb ends.
set -euo pipefail
# shellcheck source=tools/debug-lib.sh
. "$(dirname "$0")/debug-lib.sh"

image=${1:?usage: tools/debug.sh IMAGE DEBUG_ELF [--batch FILE]}
elf=${2:?usage: tools/debug.sh IMAGE DEBUG_ELF [--batch FILE]}
batch=
if [ "${3:-}" = --batch ]; then
	batch=${4:?--batch needs a file of gdb commands}
fi
log=$(dirname "$elf")/debug-serial.log
gdbinit=$(dirname "$elf")/gdbinit
port=${GDB_PORT:-1234}

tmp=$(mktemp -d)
qemu_pid=
cleanup() {
	[ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

cp /usr/share/OVMF/OVMF_VARS_4M.fd "$tmp/vars.fd"
: > "$log"
qemu-system-x86_64 -machine q35 -cpu EPYC -m 512 -smp 1 -nic none \
	-drive if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd \
	-drive if=pflash,format=raw,file="$tmp/vars.fd" \
	-drive format=raw,file="$image",snapshot=on \
	-serial file:"$log" -display none -monitor none -no-reboot \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	-gdb tcp:127.0.0.1:"$port" 2> "$tmp/qemu.err" &
qemu_pid=$!

echo "debug: waiting for hv.efi to report its image base (serial log: $log)" >&2
debug_wait_base debug "$log" "$qemu_pid" "$tmp/qemu.err" 'waiting for gdb' 60

cat > "$gdbinit" <<GDB
set pagination off
target remote 127.0.0.1:$port
add-symbol-file $elf -o $base
echo hv.efi symbols loaded at $base; set var hv_debug_wait = 0 then continue\\n
GDB
echo "debug: hv.efi at $base; gdb commands in $gdbinit" >&2
if [ -n "$batch" ]; then
	gdb -q -nx -batch -x "$gdbinit" -x "$batch"
	# let hv.efi finish (its exit= option ends QEMU) before reporting
	for _ in $(seq 1 300); do
		kill -0 "$qemu_pid" 2>/dev/null || break
		sleep 0.1
	done
else
	gdb -q -nx -x "$gdbinit"
fi
