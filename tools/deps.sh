#!/bin/bash
# deps.sh — make sure Debian packages the build or the tests need are there.
#
# Usage:
#   tools/deps.sh PKG...
#
# Contract:
#   - Asks dpkg-query which of PKG... are not installed.
#   - None missing: exit 0 and print nothing.
#   - Missing, running as root: `apt-get update` only when apt does not
#     know a candidate for one of them (e.g. fresh container without lists),
#     then `apt-get install -y --no-install-recommends MISSING...`; exits
#     with apt-get's status.
#   - Missing, not root: print exactly `sudo apt-get install -y MISSING...`
#     to stderr and exit 1.
#   - Bad usage: message and exit 2.
set -euo pipefail

prog=${0##*/}

if (($# == 0)); then
	echo "usage: $prog PKG..." >&2
	exit 2
fi
for p in "$@"; do
	# Debian package names (policy 5.6.1), optionally with :arch.
	[[ $p =~ ^[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?$ ]] || {
		echo "$prog: '$p' is not a Debian package name" >&2
		exit 2
	}
done
command -v dpkg-query >/dev/null || { echo "$prog: dpkg-query not found: not a Debian system?" >&2; exit 2; }

# installed PKG: true if dpkg has PKG fully installed ("ii").
installed() {
	[[ $(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null || true) == ii* ]]
}

missing=()
for p in "$@"; do
	installed "$p" || missing+=("$p")
done
((${#missing[@]})) || exit 0

if ((EUID != 0)); then
	echo "sudo apt-get install -y ${missing[*]}" >&2
	exit 1
fi

# has_candidate PKG: true if apt's lists offer a version of PKG.
has_candidate() {
	local c
	c=$(apt-cache policy -- "$1" 2>/dev/null | sed -n 's/^ *Candidate: *//p')
	[[ -n $c && $c != "(none)" ]]
}

for p in "${missing[@]}"; do
	if ! has_candidate "$p"; then
		echo "$prog: apt has no candidate for $p: running apt-get update" >&2
		apt-get update
		break
	fi
done
echo "$prog: installing ${missing[*]}" >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
