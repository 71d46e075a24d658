# shellcheck shell=bash
# qemu-options: garbage options on hv.efi's command line.

# scenario_qemu_options: bad options are reported by name and ignored; a
# ktest= or bench= that matches nothing fails the run.
scenario_qemu_options() {
	local log st
	image qemu-badopts 'loglevel=7 frobnicate=1 hvmem=huge console=ttyS9 =x exit=qemu'
	qemu_run qemu-badopts --cpu EPYC
	expect_status qemu "bad options: exits cleanly" "$st" 0 "$log"
	expect qemu "bad options: unknown one named" "$log" "cmdline: unknown option 'frobnicate'"
	expect qemu "bad options: bad value named" "$log" "cmdline: hvmem: expected a size"
	expect qemu "bad options: boot goes on" "$log" 'mem: reserved 64 MiB'

	# A test or benchmark name that matches nothing is a failure, not a pass.
	image qemu-nosuchtest 'loglevel=7 ktest=no_such_test bench=no_such_bench exit=qemu'
	qemu_run qemu-nosuchtest --cpu EPYC
	expect_status qemu "ktest=/bench= matching nothing: the run fails" "$st" 1 "$log"
	expect qemu "ktest= matching nothing: a KTAP failure that names it" "$log" \
		'not ok 1 ktest=no_such_test: no test matches'
	expect qemu "bench= matching nothing: said so" "$log" \
		"bench: no benchmark matches 'no_such_bench'"
}
