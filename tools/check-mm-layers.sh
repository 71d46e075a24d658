#!/bin/sh
# SPDX-License-Identifier: MIT
#
# tools/check-mm-layers.sh OBJDIR
#
# Checks the layers of mm/ (docs/tdp-mmu.md, "Layers") on compiled objects:
# it reads the symbol tables of the mm/ objects in OBJDIR (e.g. build/hv/mm)
# with nm -- the global symbols each one defines and the ones it leaves
# undefined -- and tells, from those, which object references which.  A
# reference is any undefined symbol, a call or data.  Rules:
#
#   - every tdp_*.o belongs to the core or to the features;
#   - a core object references no feature's symbol;
#   - a feature references no other feature's symbol;
#   - no two mm objects reference each other, and the references among
#     them have no cycle (so the core files are ordered too);
#   - no mm object references a symbol that a vmx/ or svm/ object defines
#     (those objects are looked for next to OBJDIR: OBJDIR/../vmx, ../svm).
#
# The core and the features are the lists tdp-core-y and tdp-feature-y in
# mm/build.mk, unless MM_CORE and MM_FEATURES give object names ("tdp_core.o
# tdp_root.o ...").  Objects in OBJDIR without a source in mm/ (left over
# from a file that was removed or renamed) are ignored.
#
# Output: one TAP line per rule and object, "ok - mm layers: ..." or
# "not ok - mm layers: ... (what broke it)", ready to be appended to a TAP
# file, and a closing "# mm layers: N ok, N not ok" comment.  Exit status:
# 0 when every line is ok, 1 when one is not, 2 for a usage error.
set -eu

NM=${NM:-nm}
here=$(cd "$(dirname "$0")" && pwd)
srcdir=$here/../mm
suite="mm layers"

if [ $# -ne 1 ] || [ ! -d "$1" ]; then
	echo "usage: $0 OBJDIR (the mm/ objects, e.g. build/hv/mm)" >&2
	exit 2
fi
objdir=${1%/}

# Object names (tdp_core.o ...) that mm/build.mk assigns to variable $1.
build_mk_list() {
	sed -n "s|^$1[ 	]*[:+]*=||p" "$srcdir/build.mk" | tr ' \t' '\n\n' |
		sed -n 's|^mm/\(.*\.o\)$|\1|p'
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

if [ -n "${MM_CORE+set}" ]; then
	printf '%s\n' $MM_CORE > "$tmp/core"
else
	build_mk_list tdp-core-y > "$tmp/core"
fi
if [ -n "${MM_FEATURES+set}" ]; then
	printf '%s\n' $MM_FEATURES > "$tmp/features"
else
	build_mk_list tdp-feature-y > "$tmp/features"
fi

# The objects to check, and each one's definitions ("sym obj") and
# references ("obj sym").
: > "$tmp/objs"
: > "$tmp/defs"
: > "$tmp/refs"
for o in "$objdir"/*.o; do
	[ -e "$o" ] || continue
	b=${o##*/}
	if [ ! -e "$srcdir/${b%.o}.c" ]; then
		echo "# $suite: ignoring $o: no mm/${b%.o}.c"
		continue
	fi
	echo "$b" >> "$tmp/objs"
	$NM --defined-only -g "$o" | awk -v o="$b" 'NF == 3 { print $3, o }' >> "$tmp/defs"
	$NM -u "$o" | awk -v o="$b" '{ print o, $NF }' >> "$tmp/refs"
done
if [ ! -s "$tmp/objs" ]; then
	echo "$0: no mm/ objects in $objdir" >&2
	exit 2
fi

# Edges "user provider symbol" between the objects checked.
awk 'FNR == NR { def[$1] = $2; next }
     ($2 in def) && def[$2] != $1 { print $1, def[$2], $2 }' \
	"$tmp/defs" "$tmp/refs" | sort -u > "$tmp/edges"

nok=0
nfail=0
result() {	# result OK|FAIL "name" ["what broke it"]
	if [ "$1" = OK ]; then
		echo "ok - $suite: $2"
		nok=$((nok + 1))
	else
		echo "not ok - $suite: $2 ($3)"
		nfail=$((nfail + 1))
	fi
}

# "a.o: sym, b.o: sym" for the edges from $1 into the objects listed in
# file $2, leaving out $1 itself.
refs_into() {
	awk -v u="$1" 'FNR == NR { in_set[$1] = 1; next }
		$1 == u && ($2 in in_set) { s = s sep $2 ": " $3; sep = ", " }
		END { print s }' "$2" "$tmp/edges"
}

# Every TDP object belongs to a layer, and every layer's object exists.
for b in $(grep '^tdp_' "$tmp/objs"); do
	if ! grep -qx "$b" "$tmp/core" "$tmp/features"; then
		result FAIL "$b is in the core or a feature" \
			"in neither list (tdp-core-y, tdp-feature-y in mm/build.mk)"
	fi
done
for b in $(cat "$tmp/core" "$tmp/features"); do
	grep -qx "$b" "$tmp/objs" ||
		result FAIL "$b is built" "listed as a layer, not in $objdir"
done

# calls_no_feature LIST WHAT: each built object of file LIST references no
# feature ("calls WHAT").
calls_no_feature() {
	for b in $(cat "$1"); do
		grep -qx "$b" "$tmp/objs" || continue
		bad=$(refs_into "$b" "$tmp/features")
		if [ -z "$bad" ]; then
			result OK "$b calls $2"
		else
			result FAIL "$b calls $2" "$bad"
		fi
	done
}
calls_no_feature "$tmp/core" "no feature"
calls_no_feature "$tmp/features" "no other feature"

# Mutual references: a pair that is an edge both ways.
awk '{ print $1, $2 }' "$tmp/edges" | sort -u > "$tmp/pairs"
bad=$(awk '{ e[$1 " " $2] = 1 }
	END { for (k in e) { split(k, p, " ")
		if (p[1] < p[2] && ((p[2] " " p[1]) in e)) { s = s sep p[1] " <-> " p[2]; sep = ", " } }
		print s }' "$tmp/pairs")
if [ -z "$bad" ]; then
	result OK "no two mm objects reference each other"
else
	result FAIL "no two mm objects reference each other" "$bad"
fi

# Longer cycles: tsort names the objects of each loop it finds.
if tsort "$tmp/pairs" > /dev/null 2> "$tmp/tsort"; then
	result OK "the references among mm objects have no cycle"
else
	bad=$(grep -v 'input contains a loop' "$tmp/tsort" | sed 's|^tsort: ||' |
		sort -u | tr '\n' ' ')
	result FAIL "the references among mm objects have no cycle" "a cycle through: ${bad% }"
fi

# Nothing from the vendors.
: > "$tmp/vendor"
for d in vmx svm; do
	for o in "$objdir/../$d"/*.o; do
		[ -e "$o" ] || continue
		$NM --defined-only -g "$o" | awk -v o="$d/${o##*/}" 'NF == 3 { print $3, o }' >> "$tmp/vendor"
	done
done
if [ ! -s "$tmp/vendor" ]; then
	result FAIL "no mm object references vmx/ or svm/" \
		"no vmx/ or svm/ objects next to $objdir to compare with"
else
	bad=$(awk 'FNR == NR { def[$1] = $2; next }
		($2 in def) { s = s sep $1 ": " $2 " (" def[$2] ")"; sep = ", " }
		END { print s }' "$tmp/vendor" "$tmp/refs")
	if [ -z "$bad" ]; then
		result OK "no mm object references vmx/ or svm/"
	else
		result FAIL "no mm object references vmx/ or svm/" "$bad"
	fi
fi

echo "# $suite: $nok ok, $nfail not ok"
[ "$nfail" -eq 0 ]
