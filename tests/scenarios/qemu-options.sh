# shellcheck shell=bash
# qemu-options: garbage options on hv.efi's command line.

# scenario_qemu_options: bad options are reported by name and ignored; a
# ktest= or bench= that matches nothing fails the run; a refused next_args
# stops the chain-load, and a next= the firmware cannot load is reported
# with its status.
scenario_qemu_options() {
	local log st
	image qemu-badopts 'loglevel=7 frobnicate=1 hvmem=huge console=ttyS9 =x tdp_telemetry=5ms tdp_stress=0 tdp_stress=5,ops=zap+flush tdp_stress=5 tdp_telemetry=1 exit=qemu'
	qemu_run qemu-badopts --cpu EPYC
	expect_status qemu "bad options: exits cleanly" "$st" 0 "$log"
	expect qemu "bad options: unknown one named" "$log" "cmdline: unknown option 'frobnicate'"
	expect qemu "bad options: bad value named" "$log" "cmdline: hvmem: expected a size"
	expect qemu "bad options: a telemetry interval out of range named" "$log" \
		"cmdline: tdp_telemetry: expected an interval from 10ms to 60s \\(1s, 500ms\\), got '5ms'"
	expect qemu "bad options: a bad tdp_stress rate named" "$log" \
		"cmdline: tdp_stress: rate '0': expected 1..1000 ms"
	expect qemu "bad options: a bad tdp_stress op named" "$log" \
		"cmdline: tdp_stress: unknown op 'flush' \\(zap, dirty, age, split, retype\\)"
	expect qemu "bad options: tdp_telemetry refused after tdp_stress, both named" "$log" \
		"cmdline: tdp_telemetry: refused: tdp_stress already logs the platform VM's dirty pages"
	expect qemu "bad options: boot goes on" "$log" 'mem: reserved 64 MiB'

	# A test or benchmark name that matches nothing is a failure, not a pass.
	image qemu-nosuchtest 'loglevel=7 ktest=no_such_test bench=no_such_bench exit=qemu'
	qemu_run qemu-nosuchtest --cpu EPYC
	expect_status qemu "ktest=/bench= matching nothing: the run fails" "$st" 1 "$log"
	expect qemu "ktest= matching nothing: a KTAP failure that names it" "$log" \
		'not ok 1 ktest=no_such_test: no test matches'
	expect qemu "bench= matching nothing: said so" "$log" \
		"bench: no benchmark matches 'no_such_bench'"

	# A refused next_args stops the chain-load: the stage is not started
	# without its arguments.
	image qemu-longargs "loglevel=7 next=\\probe.efi next_args=$(printf 'x%.0s' {1..300}) exit=qemu"
	qemu_run qemu-longargs --cpu EPYC
	expect_status qemu "overlong next_args: the run fails" "$st" 1 "$log"
	expect qemu "overlong next_args: refused by name" "$log" "cmdline: option 'next_args=x"
	expect qemu "overlong next_args: the next stage is not started" "$log" \
		'hv.efi: next_args was refused: not starting \\probe.efi without them'
	expect_no qemu "overlong next_args: no next stage is set" "$log" 'hv.efi: next stage \\probe'

	# hv.cfg with a NUL byte, and one longer than hv.efi reads: each is
	# reported by name, and the options before the cut still apply.
	printf 'loglevel=7 hvmem=32M exit=qemu\n\0hvmem=96M\n' > "$OUT/nul.cfg"
	tools/mkimage.sh "$OUT/qemu-cfgnul.img" --efi build/hv.efi \
		--add "$OUT/nul.cfg=\\EFI\\BOOT\\hv.cfg" > /dev/null
	qemu_run qemu-cfgnul --cpu EPYC
	expect qemu "hv.cfg with a NUL: reported with its offset" "$log" \
		'cmdline: hv.cfg: a NUL byte at offset 31: the 11 bytes from there on are ignored'
	expect qemu "hv.cfg with a NUL: what came before applies" "$log" 'mem: reserved 32 MiB'
	{ printf 'loglevel=7 exit=qemu\n'; for i in $(seq 300); do printf '# padding line %03d\n' "$i"; done
	  printf 'hvmem=96M\n'; } > "$OUT/long.cfg"
	tools/mkimage.sh "$OUT/qemu-cfglong.img" --efi build/hv.efi \
		--add "$OUT/long.cfg=\\EFI\\BOOT\\hv.cfg" > /dev/null
	qemu_run qemu-cfglong --cpu EPYC
	expect qemu "overlong hv.cfg: reported" "$log" \
		'cmdline: hv.cfg: longer than 4095 bytes: the rest is ignored'
	expect_no qemu "overlong hv.cfg: the option past the cut does not apply" "$log" \
		'mem: reserved 96 MiB'

	# A next= that the firmware cannot load is reported with its status.
	image qemu-nonext 'loglevel=7 next=\no_such_stage.efi'
	log=$OUT/qemu-nonext.log
	boot_until qemu "$log" 'next stage .no_such_stage.efi: ' 60 --image "$OUT/qemu-nonext.img" \
		--cpu EPYC
	expect qemu "missing next=: the firmware's status is reported" "$log" \
		'hv.efi: next stage .no_such_stage.efi: the firmware could not load it \(status 0x800000000000000e\)'
}
