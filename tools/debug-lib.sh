# shellcheck shell=bash
# What tools/debug.sh and tools/debug-serial.sh share.

# debug_wait_base NAME LOG PID ERRFILE REGEX SECS: waits until hv.efi's
# serial log LOG names its image base and matches REGEX (it waits for gdb
# there); sets `base`.  Exits 1 with a message prefixed NAME when the QEMU
# of pid PID ends first (its stderr, ERRFILE, is shown) or SECS pass.
debug_wait_base() {
	local name=$1 log=$2 pid=$3 err=$4 re=$5 secs=$6 i
	base=
	for ((i = 0; i < secs * 10; i++)); do
		base=$(grep -a -o 'hv.efi: image base 0x[0-9a-f]*' "$log" | head -1 | awk '{print $4}') || true
		if [ -n "$base" ] && grep -aq -- "$re" "$log"; then
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "$name: QEMU ended before hv.efi waited for gdb:" >&2
			cat "$err" >&2
			exit 1
		fi
		base=
		sleep 0.1
	done
	echo "$name: hv.efi did not wait for gdb within $secs s" >&2
	exit 1
}
