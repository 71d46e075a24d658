#!/bin/bash
# run-kvm.sh — make test-kvm: hv.efi in QEMU with KVM (-accel kvm -cpu
# host), the way most users first boot it: the host CPU's own VMX or SVM
# runs nested under KVM, with what KVM shows a guest hypervisor (no PML,
# its own capability MSRs).  Boots the default guest (Debian's Linux) under
# hv.efi to userspace and power-off, on 1 CPU and on 2 with smp=all.
#
# Where KVM or nested virtualization is missing it says so and stops with
# status 0: "N passed, N failed" is then "0 passed, 0 failed" with the
# reason on a "# skipped:" line (make test covers the same code paths under
# TCG and Bochs).  Exit status: 0 iff nothing failed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
OUT=build/test-kvm
# shellcheck source=tests/emu/lib.sh
. tests/emu/lib.sh

skip() {
	echo "# skipped: $*"
	echo "0 passed, 0 failed"
	exit 0
}

why=$(tests/emu/kvm-check.sh) || skip "$why"

rm -rf "$OUT"
mkdir -p "$OUT"
if ! make --no-print-directory -s all guest > "$OUT/build.log" 2>&1; then
	cat "$OUT/build.log"
	echo "not ok - build"
	echo "0 passed, 1 failed"
	exit 1
fi
for smp in 1 2; do
	opts=
	[ "$smp" = 1 ] || opts=smp=all
	tools/mkimage.sh "$OUT/kvm-$smp.img" --efi build/hv.efi \
		--cfg "loglevel=7 hvmem=64M bluepill $opts next=\\vmlinuz next_args=\"initrd=\\initrd.img console=ttyS0 tdpvisor.test=1\"" \
		--add 'build/guest/vmlinuz=\vmlinuz' --add 'build/guest/initrd.img=\initrd.img' > /dev/null
	log=$OUT/kvm-$smp.log
	tests/emu/run-qemu.sh --image "$OUT/kvm-$smp.img" --log "$log" --accel kvm --mem 1024 \
		--smp "$smp" --timeout 300 2> "$log.err"
	st=$?
	grep -a 'accelerator' "$log.err" | sed 's/^/# /'
	expect_status kvm "$smp CPU(s): Linux switches the machine off at the end" "$st" 2 "$log"
	expect kvm "$smp CPU(s): hv.efi found the CPU's virtualization" "$log" 'cpu0: (VMX|SVM): '
	expect kvm "$smp CPU(s): Linux reaches userspace under hv.efi" "$log" 'tdpvisor default guest: Linux [^ ]+ up'
	expect kvm "$smp CPU(s): Linux sees the hypervisor bit" "$log" 'hypervisor bit: yes'
	expect kvm "$smp CPU(s): memcheck passes" "$log" 'memcheck: [0-9]+ MiB ok'
	expect kvm "$smp CPU(s): power-off statistics" "$log" \
		"platform: the guest switches the machine off \\(on cpu[0-9]+\\): [0-9]+ exits, [0-9]+ TDP faults, $smp CPUs? as guests?"
done
cat "$OUT/kvm.tap"
passed=$(grep -c '^ok - ' "$OUT/kvm.tap")
failed=$(grep -c '^not ok - ' "$OUT/kvm.tap")
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
