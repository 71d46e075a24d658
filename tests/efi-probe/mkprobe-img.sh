#!/bin/bash
# mkprobe-img.sh — a boot image that runs probe.efi as the platform VM's
# next stage: hv.efi with `bluepill next=\probe.efi`.
#
# Usage:
#   tests/efi-probe/mkprobe-img.sh OUT.img [--exit return|qemu|bochs]
#                                  [--hv-args "..."] [--probe-args "..."]
#                                  [--hv PATH] [--probe PATH]
#
#   --exit     probe.efi's ending: return (default; it returns to hv.efi's
#              loader and the firmware goes on to its boot manager), qemu
#              (isa-debug-exit with its verdict), bochs (magic break on a
#              pass, the shutdown port on a failure)
#   --hv-args  extra hv.efi options, appended to
#              "loglevel=7 hvmem=64M bluepill" (e.g. "loglevel=8")
#   --hv, --probe  the two EFI programs (build/hv.efi, build/tests/probe.efi)
#
# Builds them with `make` first only if they are missing; exit 0 on success.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)

prog=${0##*/}
out= exit_opt=return hv_args= probe_args= hv=$root/build/hv.efi probe=$root/build/tests/probe.efi
usage() {
	sed -n '4,7p' "$0" | sed 's/^# *//' >&2
	exit 1
}
while (($#)); do
	case $1 in
	--exit) (($# >= 2)) || usage; exit_opt=$2; shift 2 ;;
	--hv-args) (($# >= 2)) || usage; hv_args=$2; shift 2 ;;
	--probe-args) (($# >= 2)) || usage; probe_args=$2; shift 2 ;;
	--hv) (($# >= 2)) || usage; hv=$2; shift 2 ;;
	--probe) (($# >= 2)) || usage; probe=$2; shift 2 ;;
	-h|--help) usage ;;
	-*) echo "$prog: unknown option '$1'" >&2; usage ;;
	*) [[ -z $out ]] || usage; out=$1; shift ;;
	esac
done
[[ -n $out ]] || usage
case $exit_opt in
return|qemu|bochs) ;;
*) echo "$prog: --exit must be return, qemu or bochs" >&2; exit 1 ;;
esac
[[ -f $hv && -f $probe ]] || make -C "$root" --no-print-directory -s all

exec "$root/tools/mkimage.sh" "$out" --efi "$hv" \
	--cfg "loglevel=7 hvmem=64M bluepill${hv_args:+ $hv_args} next=\\probe.efi next_args=\"exit=$exit_opt${probe_args:+ $probe_args}\"" \
	--add "$probe=\\probe.efi"
