#!/bin/bash
# kvm-check.sh — can QEMU run hv.efi under KVM here?  hv.efi needs the CPU's
# own VMX or SVM inside the KVM guest, i.e. KVM's nested virtualization.
#
# Exit status 0: yes.  1: no, and the reason is printed on stdout (one
# line).  Checks, in order: /dev/kvm usable by this user; the CPU has VMX
# or SVM (/proc/cpuinfo); KVM's module has nested virtualization on (where
# it says); QEMU can start a KVM guest with -cpu host (a paused one that
# quits at once).
set -uo pipefail

[[ -c /dev/kvm ]] || { echo "no /dev/kvm (KVM not loaded, or no hardware virtualization)"; exit 1; }
[[ -r /dev/kvm && -w /dev/kvm ]] || { echo "/dev/kvm is not usable by $(id -un) (add the user to the kvm group)"; exit 1; }
grep -qw -E 'vmx|svm' /proc/cpuinfo ||
	{ echo "this CPU shows no VMX or SVM, so KVM has none to give a guest hypervisor"; exit 1; }
for f in /sys/module/kvm_intel/parameters/nested /sys/module/kvm_amd/parameters/nested; do
	[[ -r $f ]] || continue
	case $(cat "$f") in
	Y|1) ;;
	*) m=${f#/sys/module/}; m=${m%%/*}
	   echo "KVM's nested virtualization is off: modprobe -r $m; modprobe $m nested=1"; exit 1 ;;
	esac
done
out=$(echo quit | timeout 30 qemu-system-x86_64 -accel kvm -cpu host -machine q35 -display none \
	-nodefaults -S -monitor stdio 2>&1)
rc=$?
if ((rc != 0)); then
	echo "QEMU cannot start a KVM guest here (status $rc): $(echo "$out" | grep -m1 -i -e error -e failed)"
	exit 1
fi
exit 0
