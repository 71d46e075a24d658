# shellcheck shell=bash
# qemu-la57: the default Linux guest on QEMU's "max" CPU, which has LA57:
# Linux runs on 5-level page tables, and every instruction hv.efi fetches
# for it (TCG's SVM gives no next RIP: each intercepted CPUID and port
# access is decoded from the guest's bytes) goes through a 5-level walk.

# walk_count LOG MODE: the count of guest page walks in MODE ("5-level",
# "4-level", ...) from hv.efi's last statistics line.
walk_count() {
	grep -a -o "platform: guest page walks: .*" "$1" | tail -n 1 |
		grep -o "$2 [0-9]*" | grep -o '[0-9]*$'
}

# scenario_qemu_la57: Linux to userspace and memcheck under hv.efi with
# -cpu max; the walks hv.efi made were 5-level ones.
scenario_qemu_la57() {
	local log st n
	bluepill_image qemu-la57 '\vmlinuz' 'initrd=\initrd.img console=ttyS0 tdpvisor.test=1' \
		--add 'build/guest/vmlinuz=\vmlinuz' --add 'build/guest/initrd.img=\initrd.img'
	qemu_run qemu-la57 --cpu max,hypervisor=off --mem 1024
	expect_status qemu "LA57 Linux: switches the machine off at the end" "$st" 2 "$log"
	expect qemu "LA57: the CPU has 5-level paging" "$log" 'cpu0: MAXPHYADDR [0-9]+ bits, LA57 yes'
	expect qemu "LA57 Linux: reaches userspace under hv.efi" "$log" \
		'tdpvisor default guest: Linux [^ ]+ up'
	expect qemu "LA57 Linux: memcheck passes" "$log" 'memcheck: [0-9]+ MiB ok'
	n=$(walk_count "$log" 5-level)
	if [ "${n:-0}" -gt 0 ]; then
		result qemu "LA57 Linux: hv.efi walked the guest's 5-level tables ($n walks)" 1
	else
		result qemu "LA57 Linux: hv.efi walked the guest's 5-level tables" 0 \
			"$(grep -a 'guest page walks' "$log" | tail -n 1)"
	fi
	expect_no qemu "LA57 Linux: the platform VM is not killed" "$log" 'vm [a-z]+: killed: '
}
