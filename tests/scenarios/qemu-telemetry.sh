# shellcheck shell=bash
# qemu-telemetry: memory telemetry (tdp_telemetry=1s) of the default Linux
# guest on 2 CPUs under hv.efi's SVM platform VM (NPT dirty bits), with a
# workload of known truth: tests/guest-linux/dirtier.c writes a known
# number of distinct pages a second into a working set of known size, in
# two phases (TELEMETRY_DIRTIER), reads the hypervisor's telemetry ring
# through HC_TELEMETRY_READ and judges it: dirty rate and working set
# within 10% of the truth.  The kernel module that reads the ring first
# makes the call with hostile buffers, which must fail with their errors
# and write nothing.

# RATE,WSS_MIB,SECONDS per phase: 4,000 pages/s into 64 MiB, then 12,000
# into 128 MiB; each set holds well over the pages of one interval.
TELEMETRY_DIRTIER=${TELEMETRY_DIRTIER:-4000,64,12,12000,128,12}

# telemetry_check LOG NAME RAX STATE: the module's hostile call NAME
# returned RAX and left its page STATE (kept or changed).
telemetry_check() {
	expect qemu "telemetry: HC_TELEMETRY_READ $2 returns $3, page $4" "$1" \
		"telemetry check: $2 $3 $4"
}

scenario_qemu_telemetry() {
	local log st line
	tools/mkimage.sh "$OUT/qemu-telemetry.img" --efi build/hv.efi \
		--cfg "loglevel=7 hvmem=64M bluepill smp=all tdp_telemetry=1s next=\\vmlinuz next_args=\"initrd=\\initrd.img console=ttyS0 tdpvisor.dirtier=$TELEMETRY_DIRTIER\"" \
		--add 'build/guest/vmlinuz=\vmlinuz' --add 'build/guest/initrd.img=\initrd.img' > /dev/null
	qemu_run qemu-telemetry --cpu EPYC,hypervisor=off --mem 1024 --smp 2
	expect_status qemu "telemetry: Linux with dirtier switches the machine off" "$st" 2 "$log"
	expect qemu "telemetry: on, every 1000 ms, over the guest's RAM, by NPT dirty bits" "$log" \
		'telemetry: every 1000 ms over [0-9]+ RAM slots up to 0x[0-9a-f]+, dirty pages by dirty bits'
	expect qemu "telemetry: one log line per interval with every number" "$log" \
		'telemetry: seq=[0-9]+ t_ms=[0-9]+ dt_ms=[0-9]+ dirty=[0-9]+ young=[0-9]+ faults=[0-9]+ zaps=[0-9]+ 1g=[0-9]+ 2m=[0-9]+ 4k=[1-9][0-9]* mode=dbit cpu0=[0-9]+/[0-9]+/[0-9]+ cpu1=[0-9]+/[0-9]+/[0-9]+'
	expect qemu "telemetry: the guest reads the ring by hypercall" "$log" \
		'telemetry ring: ([2-9][0-9]|[1-9][0-9][0-9]+) records'

	telemetry_check "$log" zero-length -22 kept
	telemetry_check "$log" partial-record -22 kept
	telemetry_check "$log" unaligned -22 kept
	telemetry_check "$log" over-limit -7 kept
	telemetry_check "$log" far-beyond-ram -14 kept
	telemetry_check "$log" hidden-memory -14 kept
	telemetry_check "$log" one-record 1 changed

	for p in 1 2; do
		expect qemu "telemetry: phase $p: dirty rate within 10% of dirtier's" "$log" \
			"dirtier: phase $p: dirty rate measured [0-9]+ pages/s, true [0-9]+ pages/s, error [-+][0-9.]+% ok"
		expect qemu "telemetry: phase $p: working set within 10% of dirtier's" "$log" \
			"dirtier: phase $p: working set measured [0-9]+ pages, true [0-9]+ pages, error [-+][0-9.]+% ok"
	done
	expect_no qemu "telemetry: dirtier finds nothing wrong" "$log" 'dirtier: .*FAIL'
	# The figures, for the record.
	grep -a -o 'dirtier: phase [0-9]: \(dirty rate\|working set\) measured .*' "$log" |
		tr -d '\r' | while read -r line; do
		echo "# $line"
	done >> "$OUT/qemu.tap"
}
