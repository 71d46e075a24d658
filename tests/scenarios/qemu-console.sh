# shellcheck shell=bash
# qemu-console: hv.efi's consoles on other serial ports: PCI serial cards
# (QEMU's pci-serial, a 16550 behind BAR 0), found by class or by address,
# console=spcr on a machine without an SPCR table (QEMU 7.2's x86
# machines build none), and console values that cannot work.  (The
# firmware console closing at ExitBootServices is checked in qemu-linux.)

# pci_serial_args ID ADDR FILE: run-qemu.sh arguments for a pci-serial card
# at slot ADDR of bus 0 whose output goes to FILE.
pci_serial_args() {
	: > "$3"
	echo --qemu-arg -chardev --qemu-arg "file,id=$1,path=$3" \
		--qemu-arg -device --qemu-arg "pci-serial,chardev=$1,addr=$2"
}

# scenario_qemu_console: PCI cards get hv.efi's log; SPCR's absence and bad
# values are reported by name while the other consoles keep working.
scenario_qemu_console() {
	local log st p5=$OUT/qemu-console-pci5.out p6=$OUT/qemu-console-pci6.out
	image qemu-console 'loglevel=7 console=ttyS0 console=pci console=pci,00:06.0,115200 console=spcr console=uart,mmio32,0xfe032002 console=pci,zz exit=qemu'
	# shellcheck disable=SC2046  # the helper's words
	qemu_run qemu-console --cpu EPYC $(pci_serial_args pcs5 0x5 "$p5") \
		$(pci_serial_args pcs6 0x6 "$p6")
	expect_status qemu "console: PCI cards: exits cleanly" "$st" 0 "$log"
	expect qemu "console=pci: the first 16550-class card is found" "$log" \
		'console: PCI serial card 00:05.0 \(1b36:0002\), BAR 0 at I/O 0x[0-9a-f]+'
	expect qemu "console=pci,00:06.0: the card at that address is used" "$log" \
		'console: PCI serial card 00:06.0 \(1b36:0002\), BAR 0 at I/O 0x[0-9a-f]+'
	expect qemu "console=pci: hv.efi's banner on the card found by class" "$p5" \
		'^\[ *[0-9.]+\] tdpvisor .* starting'
	expect qemu "console=pci: hv.efi's last line on the card found by class" "$p5" \
		'exit: isa-debug-exit status 0'
	expect qemu "console=pci,00:06.0: hv.efi's banner on that card" "$p6" \
		'^\[ *[0-9.]+\] tdpvisor .* starting'
	expect qemu "console=pci,00:06.0: hv.efi's last line on that card" "$p6" \
		'exit: isa-debug-exit status 0'
	expect qemu "console=spcr: no SPCR table on QEMU's x86 machine, said so" "$log" \
		'console=spcr: not set up: the firmware has no ACPI SPCR table'
	expect qemu "console=: a misaligned MMIO address refused by name" "$log" \
		'cmdline: console=uart,mmio32,0xfe032002: MMIO address zero or not aligned'
	expect qemu "console=: a bad PCI address refused by name" "$log" \
		'cmdline: console=pci,zz: bad PCI address'
	expect qemu "console=: COM1 keeps working beside them" "$log" 'exit: isa-debug-exit status 0'

	# No card at all: console=pci and console=pci,BDF say why, COM1 stays.
	image qemu-console-nocard 'loglevel=7 console=ttyS0 console=pci console=pci,00:07.0 exit=qemu'
	qemu_run qemu-console-nocard --cpu EPYC
	expect_status qemu "console: no PCI card: exits cleanly" "$st" 0 "$log"
	expect qemu "console=pci without a card: said so" "$log" \
		'console=pci: not set up: no 16550-compatible PCI serial card'
	expect qemu "console=pci,00:07.0 with nothing there: said so" "$log" \
		'console=pci: not set up: no PCI device at 00:07.0'
}
