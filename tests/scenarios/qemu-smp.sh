# shellcheck shell=bash
# qemu-smp: hv.efi on a 4-CPU machine (QEMU, AMD SVM).

# scenario_qemu_smp: the firmware's MP services list 4 CPUs and each AP
# answers for itself with SVM; with smp=all every CPU becomes a guest of
# the platform VM; when one AP cannot (smp_fault=), none does, and every
# AP is put back as the firmware left it.
scenario_qemu_smp() {
	local log st i
	image qemu-smp "loglevel=7 exit=qemu"
	qemu_run qemu-smp --smp 4
	expect_status qemu "smp 4: exits cleanly" "$st" 0 "$log"
	expect qemu "smp 4: the firmware lists 4 enabled CPUs" "$log" 'smp: 4 CPUs, 4 enabled'
	expect qemu "smp 4: the boot CPU is cpu0" "$log" 'smp: cpu0: APIC ID 0 \(boot CPU\), VMX no, SVM yes'
	for i in 1 2 3; do
		expect qemu "smp 4: cpu$i answers for itself, with SVM" "$log" \
			"smp: cpu$i: APIC ID $i, VMX no, SVM yes[[:space:]]*$"
	done
	expect qemu "smp 4: every CPU has SVM" "$log" "smp: every CPU has the boot CPU's SVM"

	# The default is smp=all.
	image qemu-smp-all "loglevel=7 hvmem=64M bluepill"
	boot_to_firmware qemu qemu-smp-all 90 --image "$OUT/qemu-smp-all.img" \
		--cpu EPYC,hypervisor=off --mem 1024 --smp 4
	expect_status qemu "smp=all: the firmware's boot manager runs on, as a guest" "$st" 0 "$log"
	for i in 0 1 2 3; do
		expect qemu "smp=all: cpu$i runs the firmware as a guest" "$log" \
			"platform: cpu$i now runs the firmware as a guest"
	done
	expect qemu "smp=all: the APs are guests before the boot CPU" "$log" \
		'smp: every CPU runs under the hypervisor: 3 APs are guests, the boot CPU follows'
	expect qemu "smp=all: each AP logs with its own cpuN: prefix" "$log" \
		'cpu3: SVM on: NPT'
	expect_no_panic qemu "smp=all: no panic" "$log"

	# The firmware wakes its APs with INIT-SIPI-SIPI each time it uses them:
	# probe.efi's per-CPU CPUID runs on each AP after such a wake-up.
	tests/efi-probe/mkprobe-img.sh "$OUT/qemu-smp-probe.img" --exit qemu --hv-args smp=all \
		--probe-args allcpus > /dev/null
	qemu_run qemu-smp-probe --cpu EPYC,hypervisor=off --mem 1024 --smp 4
	expect_status qemu "smp=all: probe.efi passes on every CPU" "$st" 0 "$log"
	allcpus_probe_checks qemu "$log" 4

	# smp=boot: the APs stay outside, and the log says so.
	tests/efi-probe/mkprobe-img.sh "$OUT/qemu-smp-boot.img" --exit qemu --hv-args smp=boot \
		> /dev/null
	qemu_run qemu-smp-boot --cpu EPYC,hypervisor=off --mem 1024 --smp 2
	expect_status qemu "smp=boot: probe.efi passes on the boot CPU" "$st" 0 "$log"
	expect qemu "smp=boot: the log warns that cpu1 runs natively" "$log" \
		'smp: only the boot CPU becomes a guest \(smp=boot\): 1 other CPU keeps running natively'
	expect qemu "smp=boot: cpu1 is not a guest" "$log" 'probe: # cpu1: not a guest'

	tools/mkimage.sh "$OUT/qemu-smp-linux.img" --efi build/hv.efi \
		--cfg "loglevel=7 hvmem=64M bluepill smp=all next=\\vmlinuz next_args=\"initrd=\\initrd.img console=ttyS0 tdpvisor.test=1\"" \
		--add 'build/guest/vmlinuz=\vmlinuz' --add 'build/guest/initrd.img=\initrd.img' > /dev/null
	qemu_run qemu-smp-linux --cpu EPYC,hypervisor=off --mem 1024 --smp 2
	expect_status qemu "smp=all Linux: switches the machine off at the end" "$st" 2 "$log"
	expect qemu "smp=all Linux: brings up both CPUs" "$log" 'smp: Brought up 1 node, 2 CPUs'
	expect qemu "smp=all Linux: memcheck passes" "$log" 'memcheck: [0-9]+ MiB ok'
	expect qemu "smp=all Linux: both CPUs are guests at power-off" "$log" \
		'platform: the guest switches the machine off .*2 CPUs as guests'
	expect qemu "smp=all Linux: cpu1 went through INIT and SIPI as a guest" "$log" \
		'platform:   cpu1: [0-9]+ exits, [0-9]+ TDP faults, [1-9][0-9]* INIT, [1-9][0-9]* SIPI'
	expect_no_panic qemu "smp=all Linux: no panic" "$log"

	# A guest's wrong INIT/SIPI: ignored or undone as on hardware; an AP
	# that triple-faults resets the machine (QEMU runs with -no-reboot).
	tests/efi-probe/mkprobe-img.sh "$OUT/qemu-smp-badipi.img" --exit qemu --hv-args smp=all \
		--probe-args "allcpus badipi" > /dev/null
	qemu_run qemu-smp-badipi --cpu EPYC,hypervisor=off --mem 1024 --smp 2
	expect qemu "bad IPIs: a SIPI to a running AP is ignored" "$log" \
		'probe: ok cpu1: a SIPI while it runs is ignored'
	expect qemu "bad IPIs: an INIT without a SIPI leaves the AP to the next INIT-SIPI" "$log" \
		"probe: ok cpu1: after an INIT without a SIPI, the firmware's INIT-SIPI-SIPI starts it again"
	expect qemu "bad IPIs: the AP's triple fault is logged with its CPU" "$log" \
		'platform: the guest triple-faulted on cpu1 at RIP'
	expect qemu "bad IPIs: and the machine resets, with the statistics" "$log" \
		'platform: triple fault, resetting the machine \(on cpu1\)'
	expect_no qemu "bad IPIs: the probe never sees the machine go on" "$log" 'did not reset'
	expect_no_panic qemu "bad IPIs: no panic" "$log"
	expect qemu "bad IPIs: the triple fault dumps the AP's state" "$log" \
		'CR0 [0-9a-f]{16} CR2 [0-9a-f]{16} CR3'
	expect qemu "bad IPIs: ... and its code at RIP" "$log" '  code at RIP:( [0-9a-f]{2})+'

	# A platform guest that dies (an SSE load from the trapped xAPIC page,
	# which the hypervisor cannot perform): why, its state, the statistics,
	# then the panic= policy -- with exit=qemu, a failure status.
	tests/efi-probe/mkprobe-img.sh "$OUT/qemu-smp-die.img" --exit qemu \
		--hv-args "smp=all exit=qemu" --probe-args "die" > /dev/null
	qemu_run qemu-smp-die --cpu EPYC,hypervisor=off --mem 1024 --smp 2
	expect_status qemu "dead guest: a failure status" "$st" 1 "$log"
	expect qemu "dead guest: the reason, with its CPU" "$log" \
		'platform: the guest died on cpu0: MMIO at GPA 0xfee00020: instruction f3 0f 6f .* is not emulated'
	expect qemu "dead guest: its registers" "$log" '  RAX [0-9a-f]{16} RBX [0-9a-f]{16}'
	expect qemu "dead guest: its control registers and segments" "$log" \
		'  CS [0-9a-f]{4} base [0-9a-f]{16} limit'
	expect qemu "dead guest: the SSE load at RIP" "$log" '  code at RIP: f3 0f 6f 07'
	expect qemu "dead guest: the statistics" "$log" 'platform: the guest died \(on cpu0\)'
	expect qemu "dead guest: then the panic" "$log" 'Kernel panic - not syncing: platform: the guest died'
	expect_no qemu "dead guest: the probe never goes on" "$log" 'the guest lives on'

	# Test VMs with vCPUs on two CPUs at once (tests/selftests/test_smp.c).
	image qemu-smp-ktest "loglevel=7 ktest=smp exit=qemu"
	qemu_run qemu-smp-ktest --cpu EPYC --mem 1024 --smp 2
	expect_status qemu "smp selftests: pass on 2 CPUs" "$st" 0 "$log"
	ktap qemu smp-ktest "$log"
	expect qemu "smp selftests: the reader on cpu1 never reads the zapped page after the zap" \
		"$log" 'smp_remote_flush: .* [1-9][0-9]* after, 0 of them stale'

	image qemu-smp-fault "loglevel=7 hvmem=64M bluepill smp=all smp_fault=2 exit=qemu"
	qemu_run qemu-smp-fault --cpu EPYC,hypervisor=off --mem 1024 --smp 4
	expect_status qemu "smp rollback: hv.efi fails the bluepill it could not do" "$st" 1 "$log"
	expect qemu "smp rollback: the AP that cannot says why" "$log" \
		'smp: cpu2 \(APIC ID 2\) cannot run guests: smp_fault= says it cannot enable virtualization'
	for i in 1 3; do
		expect qemu "smp rollback: cpu$i turns SVM off again" "$log" "cpu$i: SVM off, EFER restored"
		expect qemu "smp rollback: cpu$i is put back" "$log" \
			"smp: cpu$i \(APIC ID $i\) put back as it was"
	done
	expect qemu "smp rollback: no CPU launches" "$log" \
		'smp: not starting the hypervisor: every CPU is back as the firmware left it'
	expect qemu "smp rollback: every AP reads as the firmware left it" "$log" \
		'smp: every AP is as the firmware left it'
	expect_no qemu "smp rollback: no CPU became a guest" "$log" 'now runs the firmware as a guest'
	expect qemu "smp rollback: hv.efi returns to the firmware with an error" "$log" \
		'hv.efi: returning to the firmware \(status 0x8000000000000015\)'
	expect_no_panic qemu "smp rollback: no panic" "$log"
}
