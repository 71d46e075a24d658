#!/bin/bash
# mkguest.sh — build the default guest: Debian's EFI-stub Linux kernel and a
# busybox initramfs, from Debian packages and without root.
#
# Usage:
#   tools/mkguest.sh OUTDIR
#
# Contract:
#   - Writes OUTDIR/vmlinuz (the kernel of the linux-image-*-amd64 package
#     that linux-image-amd64 depends on: a PE/EFI-stub bzImage),
#     OUTDIR/initrd.img (gzip'd cpio newc), OUTDIR/memcheck,
#     OUTDIR/smpcheck, OUTDIR/adversary and OUTDIR/dirtier (the static test
#     programs, also inside the initramfs as /bin/memcheck, /bin/smpcheck,
#     /bin/adversary and /bin/dirtier), OUTDIR/tdpvisor_hc.ko (adversary's
#     kernel module) and OUTDIR/tdpvisor_telemetry.ko (the telemetry ring
#     for dirtier), also in /lib of the initramfs, and OUTDIR/versions.txt
#     (package names and versions used).
#   - The initramfs holds busybox (from busybox-static) with its applet
#     links, /init from tests/guest-linux/init, /bin/memcheck,
#     /bin/smpcheck, /bin/adversary and /bin/dirtier built from
#     tests/guest-linux/*.c (gcc -static), /lib/tdpvisor_hc.ko and
#     /lib/tdpvisor_telemetry.ko built from tests/guest-linux/tdpvisor_hc.c
#     and tdpvisor_telemetry.c against the kernel's own headers
#     (linux-headers-<abi>-amd64, its -common package and linux-kbuild-X.Y,
#     fetched like the kernel), /lib/efivarfs.ko (the kernel package's own
#     module), the usual mount points and a /dev/console node.
#     Every entry is owned by root with mtime 0, so the same inputs give the
#     same bytes.
#   - The .deb files are fetched with `apt-get download` (no root needed)
#     into OUTDIR/debs/ and reused on later runs: a rebuild downloads
#     nothing unless apt's candidate version changed.  If apt does not know
#     linux-image-amd64 at all, `apt-get update` is run first when root;
#     otherwise the message says what to run.  Without apt lists or network,
#     cached .deb files are used when there are some.
#   - Idempotent and atomic: work happens in a temp folder inside OUTDIR and
#     each result is renamed into place only when complete.
#   - Environment: CC (default gcc).
#   - Exit 0 on success; 1 with a message naming the package to install or
#     the command to run on any failure.
set -euo pipefail

prog=${0##*/}
srcdir=$(cd "$(dirname "$0")/.." && pwd)
readonly META_PKG=linux-image-amd64
readonly BUSYBOX_PKG=busybox-static
CC=${CC:-gcc}

usage() {
	echo "usage: $prog OUTDIR" >&2
	echo "  builds OUTDIR/vmlinuz and OUTDIR/initrd.img (Debian kernel + busybox initramfs)" >&2
	exit 1
}

die() {
	echo "$prog: error: $*" >&2
	exit 1
}

note() {
	echo "$prog: $*" >&2
}

(($# == 1)) || usage
case $1 in -h|--help) usage ;; esac
out=$1

for t in apt-get:apt apt-cache:apt dpkg-deb:dpkg tar:tar gzip:gzip perl:perl-base "$CC":gcc \
	make:make strip:binutils; do
	command -v "${t%%:*}" >/dev/null 2>&1 ||
		die "'${t%%:*}' not found (install it: apt-get install ${t#*:})"
done
for f in init memcheck.c smpcheck.c adversary.c dirtier.c tdpvisor_hc.c tdpvisor_telemetry.c; do
	[[ -f $srcdir/tests/guest-linux/$f ]] || die "missing $srcdir/tests/guest-linux/$f"
done

mkdir -p -- "$out/debs" || die "cannot create '$out/debs'"
out=$(cd "$out" && pwd)
cache=$out/debs
tmp=$(mktemp -d "$out/.mkguest.XXXXXX")
trap 'rm -rf -- "$tmp"' EXIT
# (Readable by apt's _apt user, which downloads when run as root.)
chmod 0755 "$tmp"

# ---- which packages --------------------------------------------------------
# kernel_pkg: the linux-image-<abi>-amd64 that the meta package depends on,
# or nothing if apt does not know the meta package.
kernel_pkg() {
	apt-cache depends --important "$META_PKG" 2>/dev/null |
		sed -n 's/^ *Depends: <\{0,1\}\(linux-image-[0-9][^ >]*-amd64\)>\{0,1\}$/\1/p' |
		head -n1 || true
}

# candidate PKG: the version apt would download, or nothing.
candidate() {
	apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p' | grep -v '^(none)$' || true
}

# cached PKG: the newest PKG_*.deb in the cache, or nothing.
cached() {
	local f
	f=$(cd "$cache" && ls -1 -- "$1"_*.deb 2>/dev/null | sort -V | tail -n1) || true
	[[ -z $f ]] || echo "$cache/$f"
}

kpkg=$(kernel_pkg)
if [[ -z $kpkg && $(id -u) == 0 ]]; then
	note "apt does not know $META_PKG: running apt-get update"
	apt-get update -qq || note "apt-get update failed"
	kpkg=$(kernel_pkg)
fi
if [[ -z $kpkg ]]; then
	# Offline fallback: the newest kernel package already in the cache.
	f=$(cd "$cache" && ls -1 -- linux-image-[0-9]*-amd64_*.deb 2>/dev/null | sort -V | tail -n1) || true
	[[ -n $f ]] || die "apt knows no package '$META_PKG' and none is cached in $cache:
  run 'apt-get update' as root (sudo apt-get update), then re-run"
	kpkg=${f%%_*}
	note "apt knows no '$META_PKG'; using the cached $f"
fi

# fetch PKG: print the path of PKG's .deb, downloading the candidate version
# into the cache unless it is there already.
fetch() {
	local pkg=$1 ver file d
	ver=$(candidate "$pkg")
	if [[ -z $ver ]]; then
		file=$(cached "$pkg")
		[[ -n $file ]] || die "apt has no candidate for '$pkg' and none is cached:
  run 'apt-get update' as root (sudo apt-get update), then re-run"
		note "apt has no candidate for $pkg; using the cached ${file##*/}"
		echo "$file"
		return
	fi
	# Our own name for it: the version without its epoch.
	file=$cache/${pkg}_${ver#*:}_amd64.deb
	if [[ ! -f $file ]]; then
		note "downloading $pkg $ver"
		d=$(mktemp -d "$tmp/dl.XXXXXX")
		# As root apt hands the download to its _apt user, who needs to be
		# able to write the folder.
		chmod 0777 "$d"
		(cd "$d" && apt-get download -q "$pkg=$ver" >&2) ||
			die "apt-get download $pkg=$ver failed (no network, or stale lists?):
  run 'apt-get update' as root (sudo apt-get update), or put the .deb in $cache"
		local got=("$d"/*.deb)
		[[ ${#got[@]} == 1 && -f ${got[0]} ]] || die "apt-get download $pkg gave no single .deb"
		dpkg-deb --info "${got[0]}" >/dev/null || die "downloaded ${got[0]##*/} is not a valid .deb"
		mv -f -- "${got[0]}" "$file"
	fi
	echo "$file"
}

kdeb=$(fetch "$kpkg")
bdeb=$(fetch "$BUSYBOX_PKG")
kver=$(dpkg-deb -f "$kdeb" Version)
bver=$(dpkg-deb -f "$bdeb" Version)
# The kernel's headers: linux-headers-<abi>-amd64, which depends on the
# -common package with the sources' headers and on linux-kbuild-X.Y.
kabi=${kpkg#linux-image-}
hdeb=$(fetch "linux-headers-$kabi")
hdeps=$(dpkg-deb -f "$hdeb" Depends | tr ',' '\n' | sed 's/^ *//; s/ .*//')
hcpkg=$(echo "$hdeps" | grep -m1 '^linux-headers-.*-common$') ||
	die "linux-headers-$kabi depends on no linux-headers-*-common package"
kbpkg=$(echo "$hdeps" | grep -m1 '^linux-kbuild-') ||
	die "linux-headers-$kabi depends on no linux-kbuild-* package"
hcdeb=$(fetch "$hcpkg")
kbdeb=$(fetch "$kbpkg")

# ---- the kernel ------------------------------------------------------------
# Only /boot/vmlinuz-* and efivarfs.ko are needed: take them out of the
# package's data tar instead of unpacking all of its modules (some 400 MB).
mkdir "$tmp/kernel"
dpkg-deb --fsys-tarfile "$kdeb" | tar -x -C "$tmp/kernel" --wildcards './boot/vmlinuz-*' \
	'./lib/modules/*/kernel/fs/efivarfs/efivarfs.ko' ||
	die "cannot unpack /boot/vmlinuz-* and efivarfs.ko from ${kdeb##*/}"
kimgs=("$tmp"/kernel/boot/vmlinuz-*)
[[ ${#kimgs[@]} == 1 && -f ${kimgs[0]} ]] || die "${kdeb##*/} has no single /boot/vmlinuz-*"
kimg=${kimgs[0]}
# efivarfs is a module in Debian's kernel (CONFIG_EFIVAR_FS=m), with no
# dependencies: the init loads it for tdpvisor.efivars=1.
efimods=("$tmp"/kernel/lib/modules/*/kernel/fs/efivarfs/efivarfs.ko)
[[ ${#efimods[@]} == 1 && -f ${efimods[0]} ]] || die "${kdeb##*/} has no single efivarfs.ko"
# An EFI-stub bzImage is a PE file ("MZ") with the boot protocol header.
[[ $(head -c2 -- "$kimg") == MZ && $(dd if="$kimg" bs=1 skip=514 count=4 status=none) == HdrS ]] ||
	die "${kimg##*/} is not an EFI-stub bzImage"

# ---- busybox and the test programs -------------------------------------------
dpkg-deb -x "$bdeb" "$tmp/bb" || die "cannot unpack ${bdeb##*/}"
[[ -x $tmp/bb/bin/busybox ]] || die "${bdeb##*/} has no /bin/busybox"

for p in memcheck smpcheck adversary dirtier; do
	$CC -static -O2 -Wall -Wextra -Werror -o "$tmp/$p" "$srcdir/tests/guest-linux/$p.c" ||
		die "cannot build a static $p (glibc's libc.a is in libc6-dev: apt-get install gcc libc6-dev)"
done

# ---- the kernel module -------------------------------------------------------
# The headers unpacked here: their Makefile includes the -common package's
# by its installed path, pointed at this copy instead.
kh=$tmp/kheaders
for d in "$hdeb" "$hcdeb" "$kbdeb"; do
	dpkg-deb -x "$d" "$kh" || die "cannot unpack ${d##*/}"
done
kbuild=$kh/usr/src/linux-headers-$kabi
[[ -f $kbuild/Makefile ]] || die "${hdeb##*/} has no /usr/src/linux-headers-$kabi/Makefile"
sed -i "s|^include /usr/src/|include $kh/usr/src/|" "$kbuild/Makefile"
mkdir "$tmp/kmod"
cp -- "$srcdir/tests/guest-linux/tdpvisor_hc.c" "$srcdir/tests/guest-linux/tdpvisor_telemetry.c" \
	"$tmp/kmod/"
echo 'obj-m := tdpvisor_hc.o tdpvisor_telemetry.o' >"$tmp/kmod/Kbuild"
# Without debug information (-g0) the module does not record the temp
# folders' names: the same inputs give the same bytes.
make -s -C "$kbuild" M="$tmp/kmod" KCFLAGS=-g0 modules >"$tmp/kmod/build.log" 2>&1 || {
	cat "$tmp/kmod/build.log" >&2
	die "cannot build tdpvisor_hc.ko and tdpvisor_telemetry.ko against linux-headers-$kabi (needs gcc, make and libelf1: apt-get install gcc make libelf1)"
}
for m in tdpvisor_hc tdpvisor_telemetry; do
	strip --strip-debug -o "$tmp/$m.ko" "$tmp/kmod/$m.ko" || die "cannot strip $m.ko"
done

# ---- the initramfs tree ----------------------------------------------------
r=$tmp/root
mkdir -p "$r"/{bin,sbin,lib,usr/bin,usr/sbin,proc,sys,dev,tmp,etc,root,mnt}
chmod 1777 "$r/tmp"
install -m 0755 "$tmp/bb/bin/busybox" "$r/bin/busybox"
install -m 0755 "$srcdir/tests/guest-linux/init" "$r/init"
install -m 0755 "$tmp/memcheck" "$r/bin/memcheck"
install -m 0755 "$tmp/smpcheck" "$r/bin/smpcheck"
install -m 0755 "$tmp/adversary" "$r/bin/adversary"
install -m 0755 "$tmp/dirtier" "$r/bin/dirtier"
install -m 0644 "$tmp/tdpvisor_hc.ko" "$r/lib/tdpvisor_hc.ko"
install -m 0644 "$tmp/tdpvisor_telemetry.ko" "$r/lib/tdpvisor_telemetry.ko"
install -m 0644 "${efimods[0]}" "$r/lib/efivarfs.ko"
# The applet list comes from busybox itself (a static amd64 binary, which
# runs here too): paths like bin/sh or usr/sbin/chroot.
applets=$("$r/bin/busybox" --list-full) || die "cannot run busybox --list-full"
n=0
while read -r a; do
	[[ $a == */* && ! -e $r/$a && ! -L $r/$a ]] || continue
	mkdir -p "$r/${a%/*}"
	ln -s /bin/busybox "$r/$a"
	n=$((n + 1))
done <<<"$applets"
((n > 100)) || die "only $n busybox applet links: is ${bdeb##*/} the right package?"

# ---- cpio newc, written here so that no root (for the owner and the
# /dev/console node) and no cpio package are needed --------------------------
read -r -d '' CPIO_PL <<'EOF' || true
use strict;
use warnings;
my ($root) = @ARGV;
my $ino = 1;
binmode STDOUT;
sub pad { my ($n) = @_; return "\0" x ((4 - $n % 4) % 4); }
sub entry {
	my ($name, $mode, $nlink, $rmaj, $rmin, $data) = @_;
	printf "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		$ino++, $mode, 0, 0, $nlink, 0, length($data), 0, 0,
		$rmaj, $rmin, length($name) + 1, 0;
	print $name, "\0", pad(110 + length($name) + 1), $data, pad(length($data));
}
while (my $p = <STDIN>) {
	chomp $p;
	$p =~ s{^\./}{};
	my $path = "$root/$p";
	my @st = lstat($path) or die "$path: $!\n";
	my $perm = $st[2] & 07777;
	if (-l _) {
		my $t = readlink($path);
		defined $t or die "$path: $!\n";
		entry($p, 0120777, 1, 0, 0, $t);
	} elsif (-d _) {
		entry($p, 0040000 | $perm, 2, 0, 0, "");
	} elsif (-f _) {
		open(my $fh, "<:raw", $path) or die "$path: $!\n";
		local $/;
		my $d = <$fh>;
		close($fh);
		entry($p, 0100000 | $perm, 1, 0, 0, defined $d ? $d : "");
	} else {
		die "$path: not a file, folder or symlink\n";
	}
}
entry("dev/console", 0020600, 1, 5, 1, "");
entry("TRAILER!!!", 0, 1, 0, 0, "");
EOF
(cd "$r" && find . -mindepth 1 | LC_ALL=C sort) |
	perl -e "$CPIO_PL" "$r" | gzip -n -9 >"$tmp/initrd.img" ||
	die "cannot write the initramfs"

# ---- into place --------------------------------------------------------------
cp -- "$kimg" "$tmp/vmlinuz"
{
	echo "kernel: $kpkg $kver (${kimg##*/})"
	echo "busybox: $BUSYBOX_PKG $bver ($n applet links)"
	echo "headers: linux-headers-$kabi, $hcpkg, $kbpkg $(dpkg-deb -f "$hdeb" Version)"
} >"$tmp/versions.txt"
for f in vmlinuz memcheck smpcheck adversary dirtier tdpvisor_hc.ko tdpvisor_telemetry.ko \
	versions.txt initrd.img; do
	mv -f -- "$tmp/$f" "$out/$f"
done
note "$out/vmlinuz: $kpkg $kver, $(stat -c %s "$out/vmlinuz") bytes"
note "$out/initrd.img: busybox $bver + memcheck + smpcheck + adversary + dirtier + tdpvisor_hc.ko + tdpvisor_telemetry.ko + efivarfs.ko, $(stat -c %s "$out/initrd.img") bytes"
