# shellcheck shell=bash
# qemu-next-volumes: next= beyond hv.efi's own volume.  A second disk holds
# one FAT file system over the whole disk; the platform VM boots from it
# by volume number (fs1:, a second hv.efi) and by a device path in the
# UEFI text form (the default guest, Linux, with its initrd from that
# disk); a volume that does not exist is refused by name with the
# firmware's volumes listed.

# fat_disk NAME: a second disk, one FAT file system over the whole disk (no
# partition table), with a second hv.efi (\EFI\tdpvisor\hv2.efi) and the
# default guest (\vmlinuz, \initrd.img).
fat_disk() {
	local img=$OUT/$1.disk
	rm -f "$img"
	mkfs.vfat -C "$img" 65536 > /dev/null &&
		mmd -i "$img" ::/EFI ::/EFI/tdpvisor &&
		mcopy -i "$img" build/hv.efi ::/EFI/tdpvisor/hv2.efi &&
		mcopy -i "$img" build/guest/vmlinuz ::/vmlinuz &&
		mcopy -i "$img" build/guest/initrd.img ::/initrd.img
}

# scenario_qemu_next_volumes: next= on another disk, by volume number and by
# device path; the first boots a second hv.efi, the second the default
# guest (Linux, its initrd from the same disk).
scenario_qemu_next_volumes() {
	local log st
	fat_disk qemu-next-vol ||
		{ result qemu "next on another disk: the second disk is made" 0; return; }
	# 1. fs1: the firmware's second file system (the first is hv.efi's).
	bluepill_image qemu-next-fs 'fs1:\EFI\tdpvisor\hv2.efi' 'loglevel=7 exit=qemu'
	qemu_run qemu-next-fs --cpu EPYC,hypervisor=off --mem 1024 --disk "$OUT/qemu-next-vol.disk"
	expect_status qemu "next=fs1:\\...: the hv.efi on the second disk ends the run with a pass" "$st" 0 "$log"
	expect qemu "next=fs1:\\...: it runs under tdpvisor" "$log" \
		"running under a hypervisor, CPUID 0x40000000 signature 'tdpvisor'"
	# 2. A device path in text form: the second SATA port's whole disk.
	bluepill_image qemu-next-dp 'PciRoot(0x0)/Pci(0x1F,0x2)/Sata(0x1,0xFFFF,0x0)/\vmlinuz' \
		'initrd=\initrd.img console=ttyS0 tdpvisor.test=1'
	qemu_run qemu-next-dp --cpu EPYC,hypervisor=off --mem 1024 --disk "$OUT/qemu-next-vol.disk"
	expect_status qemu "next=PciRoot(...)/...: Linux from the second disk switches the machine off" "$st" 2 "$log"
	expect qemu "next=PciRoot(...)/...: Linux reaches userspace under hv.efi" "$log" \
		'tdpvisor default guest: Linux [^ ]+ up'
	# 3. A partition by its GPT node alone (as efibootmgr -v prints it):
	#    matched against the volumes the firmware knows; here hv.efi's own
	#    ESP, which holds the second hv.efi too.
	#    The image is made with the node in its hv.cfg, then its partition
	#    gets the GUID the node names (sfdisk --part-uuid).
	local guid=5D1E5B5A-7D0C-4C1B-9A4E-2F3A6B7C8D9E start size hd img=$OUT/qemu-next-hd.img
	bluepill_image qemu-next-hd 'x' '' > /dev/null 2>&1	# only for the partition's place
	start=$(sfdisk -d "$img" 2> /dev/null | grep -o 'start= *[0-9]*' | head -1 | grep -o '[0-9]*')
	size=$(sfdisk -d "$img" 2> /dev/null | grep -o 'size= *[0-9]*' | head -1 | grep -o '[0-9]*')
	hd=$(printf 'HD(1,GPT,%s,0x%X,0x%X)' "$guid" "${start:-0}" "${size:-0}")
	bluepill_image qemu-next-hd "$hd/\\EFI\\tdpvisor\\hv2.efi" 'loglevel=7 exit=qemu' \
		--add 'build/hv.efi=\EFI\tdpvisor\hv2.efi'
	if [ -n "$start" ] && sfdisk --quiet --part-uuid "$img" 1 "$guid" > /dev/null 2>&1; then
		qemu_run qemu-next-hd --cpu EPYC,hypervisor=off --mem 1024
		expect_status qemu "next=HD(1,GPT,...)/...: the partition is found, its hv.efi ends the run with a pass" "$st" 0 "$log"
	else
		result qemu "next=HD(1,GPT,...)/...: the partition is found" 0 "sfdisk could not read or set $img"
	fi
	# 4. A volume that is not there: the error names it and lists the volumes.
	bluepill_image qemu-next-bad 'fs7:\EFI\none.efi' ''
	boot_until qemu "$OUT/qemu-next-bad.log" 'hv.efi: fs1: ' 60 --image "$OUT/qemu-next-bad.img" \
		--cpu EPYC,hypervisor=off --mem 1024 --disk "$OUT/qemu-next-vol.disk"
	log=$OUT/qemu-next-bad.log
	expect qemu "next=fs7:\\...: refused by name, the firmware's volumes listed" "$log" \
		'hv.efi: next stage fs7:\\EFI\\none.efi: no such volume'
	expect qemu "next=fs7:\\...: the list shows the second disk's device path" "$log" \
		'hv.efi: fs1: PciRoot\(0x0\)/Pci\(0x1F,0x2\)/Sata\(0x1,0xFFFF,0x0\)'
}
