#!/bin/bash
# mkimage.sh — build a bootable GPT disk image for hv.efi, without root.
#
# Usage:
#   tools/mkimage.sh OUT.img --efi PATH/hv.efi [--cfg "command line"]
#                    [--cfg-file FILE] [--add SRC=\\DEST\\PATH ...]
#
# Contract:
#   - OUT.img is a GPT disk with a single FAT32 EFI system partition
#     (type C12A7328-F81F-11D2-BA4B-00A0C93EC93B) starting at 1 MiB.
#   - The partition holds \EFI\BOOT\BOOTX64.EFI (a copy of --efi), so the
#     firmware's removable-media path boots it with no boot entry needed.
#   - --cfg writes \EFI\BOOT\hv.cfg: the command line as one ASCII line.
#     It may not start with '#' (hv.efi would take it for a comment).
#   - --cfg-file FILE writes FILE there too, after the --cfg line if one is
#     given: lines of printable ASCII and tabs (LF, CRLF or CR line ends),
#     '#' comments as hv.efi reads them (boot/cmdline.c).  hv.cfg as a whole
#     must fit in the 4095 bytes hv.efi reads, and its options, joined, in
#     the 1023 characters of its command line; anything else is refused.
#   - --efi-at \A\NAME.EFI puts --efi (and hv.cfg beside it) there instead:
#     with no \EFI\BOOT\BOOTX64.EFI the firmware's boot manager goes on to
#     its own UEFI shell, which runs \startup.nsh (give one with --add).
#   - --add SRC=\A\B\NAME copies SRC to that path (folders are created);
#     forward slashes are accepted too.  May be repeated.
#   - The image is 64 MiB, or larger when the added files need it.
#   - Runs without root: sfdisk partitions the image file, mtools writes the
#     file system at the partition's byte offset (no loop devices, no mount).
#   - Atomic: everything is built in a temporary file next to OUT.img that is
#     renamed into place only on success; re-running simply replaces it.
#   - Exit 0 on success; 1 with a message on a bad argument or missing input.
set -euo pipefail

readonly ESP_TYPE=C12A7328-F81F-11D2-BA4B-00A0C93EC93B
readonly SECTOR=512
readonly PART_START=2048            # sectors: 1 MiB alignment
readonly MIN_MIB=64

prog=${0##*/}

usage() {
	echo "usage: $prog OUT.img --efi PATH/hv.efi [--cfg \"command line\"] [--cfg-file FILE] [--add 'SRC=\\DEST\\PATH' ...]" >&2
	cat >&2 <<'EOF'
  --efi FILE     EFI application installed as \EFI\BOOT\BOOTX64.EFI
  --cfg LINE     written to \EFI\BOOT\hv.cfg (one line)
  --cfg-file F   written to hv.cfg after the --cfg line: options and '#' comments
  --efi-at PATH  install --efi (and hv.cfg beside it) at PATH instead of BOOTX64.EFI
  --add SRC=DST  copy SRC to DST on the ESP, e.g. --add 'bzImage=\EFI\linux\vmlinuz'
                 (forward slashes work too); repeatable
EOF
	exit 1
}

die() {
	echo "$prog: error: $*" >&2
	exit 1
}

need_tool() {
	command -v "$1" >/dev/null 2>&1 ||
		die "'$1' not found (install it: tools/deps.sh $2)"
}

# ---- arguments -----------------------------------------------------------
out='' efi='' cfg='' have_cfg=0 cfg_file='' efi_at=/EFI/BOOT/BOOTX64.EFI
adds=()
while (($#)); do
	case $1 in
	--efi) (($# >= 2)) || usage; efi=$2; shift 2 ;;
	--cfg) (($# >= 2)) || usage; cfg=$2; have_cfg=1; shift 2 ;;
	--cfg-file) (($# >= 2)) || usage; cfg_file=$2; shift 2 ;;
	--efi-at) (($# >= 2)) || usage; efi_at=${2//\\//}; shift 2 ;;
	--add) (($# >= 2)) || usage; adds+=("$2"); shift 2 ;;
	-h|--help) usage ;;
	-*) echo "$prog: unknown option '$1'" >&2; usage ;;
	*) [[ -z $out ]] || { echo "$prog: more than one output given" >&2; usage; }
	   out=$1; shift ;;
	esac
done
[[ -n $out ]] || { echo "$prog: no output image given" >&2; usage; }
[[ -n $efi ]] || { echo "$prog: --efi is required" >&2; usage; }
[[ -f $efi ]] || die "EFI application '$efi' does not exist (build it with 'make')"

# hv.cfg limits, as hv.efi reads it (boot/efi_main.c, boot/cmdline.c).
readonly CFG_MAX_BYTES=4095 CMDLINE_MAX_CHARS=1023

# The --cfg line: one line of printable ASCII (the loader reads it byte-wise).
if ((have_cfg)); then
	[[ $cfg != *$'\n'* ]] || die "--cfg must be a single line"
	[[ -z $(printf '%s' "$cfg" | LC_ALL=C tr -d '\040-\176') ]] ||
		die "--cfg must be printable ASCII"
	lead=${cfg%%[![:blank:]]*}
	[[ ${cfg#"$lead"} != '#'* ]] ||
		die "--cfg starts with '#': hv.efi would take the line for a comment"
fi

# cfg_text: the whole hv.cfg on stdout (the --cfg line, then --cfg-file).
cfg_text() {
	if ((have_cfg)); then printf '%s\n' "$cfg"; fi
	if [[ -n $cfg_file ]]; then cat -- "$cfg_file"; fi
}

# cfg_options: the options of hv.cfg joined as hv.efi joins them (lines end
# with LF, CRLF or CR; blank lines and '#' comments dropped; trimmed).
cfg_options() {
	cfg_text | LC_ALL=C tr '\r' '\n' | LC_ALL=C awk '
		{ sub(/^[ \t]+/, ""); sub(/[ \t]+$/, "") }
		$0 != "" && substr($0, 1, 1) != "#" { out = out (out == "" ? "" : " ") $0 }
		END { printf "%s", out }'
}

if [[ -n $cfg_file ]]; then
	[[ -f $cfg_file && -r $cfg_file ]] || die "--cfg-file '$cfg_file' is not a readable file"
	[[ -z $(LC_ALL=C tr -d '\011\012\015\040-\176' < "$cfg_file" | head -c 1) ]] ||
		die "--cfg-file '$cfg_file': only printable ASCII, tabs and line ends may be in hv.cfg"
fi
if ((have_cfg)) || [[ -n $cfg_file ]]; then
	cfg_bytes=$(cfg_text | wc -c)
	((cfg_bytes <= CFG_MAX_BYTES)) ||
		die "hv.cfg would be $cfg_bytes bytes: hv.efi reads $CFG_MAX_BYTES"
	cfg_chars=$(cfg_options | wc -c)
	((cfg_chars <= CMDLINE_MAX_CHARS)) ||
		die "hv.cfg's options would be $cfg_chars characters: hv.efi takes $CMDLINE_MAX_CHARS"
fi

# Each --add: validate the source, normalise the destination to /A/B/NAME.
add_src=() add_dst=()
for a in "${adds[@]}"; do
	[[ $a == *=* ]] || die "--add '$a' is not SRC=DEST"
	src=${a%%=*} dst=${a#*=}
	[[ -n $src && -n $dst ]] || die "--add '$a' is not SRC=DEST"
	[[ -f $src ]] || die "--add: file '$src' does not exist"
	dst=${dst//\\//}
	[[ $dst == /* ]] || dst=/$dst
	[[ $dst != */ ]] || die "--add '$a': destination must name a file"
	add_src+=("$src") add_dst+=("$dst")
done

need_tool sfdisk fdisk
need_tool mformat mtools

# ---- size ----------------------------------------------------------------
# Payload in MiB, plus 32 MiB of slack for FAT tables and the GPT; FAT32
# needs at least 65525 clusters, which 64 MiB with 512-byte clusters gives.
payload=$(stat -L -c %s "$efi" ${add_src[@]+"${add_src[@]}"} | awk '{s += $1} END {print s}')
mib=$(( (payload + 1048575) / 1048576 + 32 ))
((mib >= MIN_MIB)) || mib=$MIN_MIB
total_sectors=$(( mib * 1048576 / SECTOR ))
# The backup GPT takes the last 33 sectors; end the partition 1 MiB early.
part_sectors=$(( total_sectors - PART_START - 2048 ))

# ---- build into a temporary file next to the output ------------------------
out_dir=$(dirname -- "$out")
[[ -d $out_dir ]] || die "output directory '$out_dir' does not exist"
tmp=$(mktemp "$out_dir/.${out##*/}.XXXXXX")
trap 'rm -f -- "$tmp" "$tmp.cfg"' EXIT

truncate -s "${mib}M" "$tmp"

sfdisk --quiet --no-reread --no-tell-kernel "$tmp" >/dev/null <<EOF ||
label: gpt
start=$PART_START, size=$part_sectors, type=$ESP_TYPE, name="EFI system partition"
EOF
	die "sfdisk could not partition the image"

# mtools addresses the partition as IMAGE@@BYTE_OFFSET.  -T bounds the file
# system to the partition (otherwise it would run over the backup GPT); -H
# records the hidden sectors before it, as firmware expects.
export MTOOLS_SKIP_CHECK=1
img="$tmp@@$(( PART_START * SECTOR ))"
mformat -i "$img" -F -T "$part_sectors" -H "$PART_START" -h 64 -s 32 \
	-v HVBOOT :: >/dev/null || die "mformat could not create the FAT32 file system"

declare -A made=()
# mkdirs /A/B/NAME: create /A and /A/B on the ESP if not done yet.
mkdirs() {
	local path=${1%/*} part dir=
	local IFS=/
	for part in ${path#/}; do
		dir+=/$part
		[[ -n ${made[$dir]:-} ]] && continue
		mmd -i "$img" "::$dir" || die "cannot create folder '$dir' on the ESP"
		made[$dir]=1
	done
}

# put SRC /A/B/NAME: copy one file onto the ESP.
put() {
	mkdirs "$2"
	mcopy -o -i "$img" "$1" "::$2" || die "cannot copy '$1' to '$2' on the ESP"
}

[[ $efi_at == /* ]] || efi_at=/$efi_at
put "$efi" "$efi_at"
if ((have_cfg)) || [[ -n $cfg_file ]]; then
	cfg_text > "$tmp.cfg"
	put "$tmp.cfg" "${efi_at%/*}/hv.cfg"
fi
for i in "${!add_src[@]}"; do
	put "${add_src[$i]}" "${add_dst[$i]}"
done

chmod 0644 "$tmp"
mv -f -- "$tmp" "$out"
trap - EXIT
rm -f -- "$tmp.cfg"
