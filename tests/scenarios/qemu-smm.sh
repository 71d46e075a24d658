# shellcheck shell=bash
# qemu-smm: firmware that uses SMM, as real PCs' does.  q35 with smm=on and
# Debian's SMM build of OVMF (OVMF_CODE_4M.secboot.fd, Secure Boot off; the
# variable flash writable only from SMM): the firmware raises software SMIs
# (port 0xb2) for its variable services while it runs as hv.efi's guest,
# and so does Linux's SetVariable.  Linux reaches userspace, writes a UEFI
# variable through efivarfs and reads it back, passes memcheck and
# switches the machine off; the variable is in the store afterwards.

# scenario_qemu_smm: Linux under hv.efi on the SMM firmware, UEFI variable
# writes included.
scenario_qemu_smm() {
	local log st mib n token vars=$OUT/qemu-smm-vars.fd
	bluepill_image qemu-smm '\vmlinuz' \
		'initrd=\initrd.img console=ttyS0 tdpvisor.efivars=1 tdpvisor.test=1' \
		--add 'build/guest/vmlinuz=\vmlinuz' --add 'build/guest/initrd.img=\initrd.img'
	rm -f -- "$vars"
	qemu_run qemu-smm --smm --vars-out "$vars" --cpu EPYC,hypervisor=off --mem 1024
	expect_status qemu "SMM firmware: Linux switches the machine off at the end" "$st" 2 "$log"
	expect_no_panic qemu "SMM firmware: no panic" "$log"
	expect qemu "SMM firmware: Linux reaches userspace under hv.efi" "$log" \
		'tdpvisor default guest: Linux [^ ]+ up'
	# QEMU's TCG runs SMM code inside the guest: each SMI's handler makes
	# exits (its CPUID at least), which find EFER.SVME cleared.  A CPU runs
	# it outside the guest, and the hypervisor sees none of it.
	n=$(grep -a -o 'platform: [0-9]* exits came from SMM code' "$log" | grep -o '[0-9]*' | head -1)
	result qemu "SMM firmware: SMIs were taken while the guest ran (${n:-0} exits from SMM code)" \
		"$([ "${n:-0}" -gt 0 ] && echo 1 || echo 0)" "no 'exits came from SMM code' line in $log"
	mib=$(grep -a -o 'memcheck: [0-9]* MiB ok' "$log" | grep -o '[0-9]*' | head -1)
	if [ "${mib:-0}" -ge 512 ]; then
		result qemu "SMM firmware: memcheck over at least 512 MiB passes ($mib MiB)" 1
	else
		result qemu "SMM firmware: memcheck over at least 512 MiB passes" 0 \
			"$(grep -a 'memcheck' "$log" | head -2 | tr '\n' ' ')"
	fi
	expect qemu "SMM firmware: Linux writes a UEFI variable and reads it back" "$log" \
		'^efivars: read back ok'
	# The data went through SMM to the flash: the store QEMU leaves holds it.
	token=$(grep -a -o 'efivars: wrote [^ ]* = [0-9a-f-]*' "$log" | head -1 | sed 's/.* = //')
	if [ -n "$token" ] && [ -f "$vars" ] && grep -aqF -- "$token" "$vars"; then
		result qemu "SMM firmware: the variable is in the flash after the run" 1
	else
		result qemu "SMM firmware: the variable is in the flash after the run" 0 \
			"token '${token:-none}' not found in $vars"
	fi
	expect qemu "SMM firmware: statistics with the page-size split at power-off" "$log" \
		'platform: mapped on demand: [0-9]+ GiB in 1 GiB pages, [0-9]+ MiB in 2 MiB pages, [0-9]+ KiB in 4 KiB pages'
}
