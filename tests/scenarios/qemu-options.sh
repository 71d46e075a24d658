# shellcheck shell=bash
# qemu-options: garbage options on hv.efi's command line.

# scenario_qemu_options: bad options are reported by name and ignored.
scenario_qemu_options() {
	local log st
	image qemu-badopts 'loglevel=7 frobnicate=1 hvmem=huge console=ttyS9 =x exit=qemu'
	qemu_run qemu-badopts --cpu EPYC
	expect_status qemu "bad options: exits cleanly" "$st" 0 "$log"
	expect qemu "bad options: unknown one named" "$log" "cmdline: unknown option 'frobnicate'"
	expect qemu "bad options: bad value named" "$log" "cmdline: hvmem: expected a size"
	expect qemu "bad options: boot goes on" "$log" 'mem: reserved 64 MiB'
}
