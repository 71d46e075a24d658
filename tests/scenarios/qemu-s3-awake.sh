# shellcheck shell=bash
# qemu-s3-awake: the S3 path that keeps the machine awake.  With s3=awake
# (as where the hypervisor cannot resume itself: no memory below 1 MiB, a
# CPU that does not stop, a machine that does not sleep) the guest's sleep
# write never reaches the hardware, and its vCPU starts at once at the OS's
# waking vector.  Linux on 1 CPU suspends with tdpvisor.s3=1 and must come
# back without QEMU ever being suspended or woken (no monitor here: nothing
# wakes it), still hv.efi's guest.

scenario_qemu_s3_awake() {
	local log st clean
	tools/mkimage.sh "$OUT/qemu-s3-awake.img" --efi build/hv.efi \
		--cfg "loglevel=7 hvmem=64M bluepill s3=awake next=\\vmlinuz next_args=\"initrd=\\initrd.img console=ttyS0 no_console_suspend tdpvisor.s3=1\"" \
		--add 'build/guest/vmlinuz=\vmlinuz' --add 'build/guest/initrd.img=\initrd.img' > /dev/null
	qemu_run qemu-s3-awake --cpu EPYC,hypervisor=off --mem 1024 \
		--qemu-arg -global --qemu-arg ICH9-LPC.disable_s3=0
	clean=$log.clean
	tr -d '\r' < "$log" | sed 's/\x1b\[[0-9;=?]*[A-Za-z]//g' > "$clean"
	sed '/^s3: resumed/,$d' "$clean" > "$clean.before"
	expect_status qemu "S3 awake: switches the machine off at the end" "$st" 2 "$log"
	expect qemu "S3 awake: hv.efi reads \\_S3_ and knows it must keep the machine awake" "$clean" \
		'platform: S3: SLP_TYP [0-7]/[0-7] \(\\_S3_\), FACS at 0x[0-9a-f]+: s3=awake: a sleep keeps the machine awake'
	expect_no qemu "S3 awake: no wake-up area is reserved for it" "$clean" \
		'platform: hiding \[0x[0-9a-f]+-0x[0-9a-f]+\] too \(the S3 wake-up code\)'
	expect qemu "S3 awake: Linux asks for S3" "$clean" '^s3: suspending'
	expect qemu "S3 awake: hv.efi keeps the machine awake and wakes the OS at once" "$clean" \
		'platform: S3: cpu0 asks to sleep: staying awake \(s3=awake\), the OS wakes at once'
	expect_no qemu "S3 awake: the write never puts the machine to sleep" "$clean" \
		'platform: S3: sleeping'
	expect_no qemu "S3 awake: hv.efi does not take the sleep for a power-off" \
		"$clean.before" 'platform: the guest switches the machine off'
	expect qemu "S3 awake: Linux comes back (s3: resumed)" "$clean" '^s3: resumed'
	expect qemu "S3 awake: Linux takes it for a wake-up from S3" "$clean" \
		'ACPI: PM: Waking up from system sleep state S3'
	expect qemu "S3 awake: cpu0 answers CPUID as tdpvisor's guest after it" "$clean" \
		"^s3: cpuid after resume: every online CPU is tdpvisor's guest"
	expect qemu "S3 awake: hv.efi's memory is still hidden after it" "$clean" \
		'^s3: hidden memory after resume: ok'
	expect qemu "S3 awake: memcheck passes after it" "$clean" '^memcheck: [0-9]+ MiB ok'
	expect qemu "S3 awake: hv.efi prints its statistics at the power-off" "$clean" \
		'platform: the guest switches the machine off \(on cpu0\)'
	expect_no qemu "S3 awake: hv.efi kills no VM" "$clean" 'vm [^ ]*: killed:'
	expect_no_panic qemu "S3 awake: no panic" "$clean"
}
