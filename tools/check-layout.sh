#!/usr/bin/env bash
# tools/check-layout.sh [ROOT]: the source tree's layering rules, one TAP
# line each ("ok - layout: RULE" or "not ok - layout: RULE" with the
# offending lines after it).  Exit status 0 iff every rule holds.
#
#   - generic code never asks which kind of VM or which vendor it serves:
#     no is_platform/is_test flags, no comparison with an ops table's
#     address outside the vendor picker (vm/virt.c);
#   - layers include only downward: mm/ nothing of vm/, vmx/, svm/; arch/
#     and lib/ nothing of the TDP MMU, vm/, vmx/, svm/; vm/ no vendor
#     header;
#   - the x86 vocabulary (CPUID bits, CR and DR bits, exception vectors, MSR
#     numbers and fields, the reset PAT) is defined once;
#   - no C file under vm/, vmx/, svm/, mm/ is longer than MAX_LINES;
#   - the vm/ objects (build/hv/vm, read with nm) call each other without
#     a cycle.
set -uo pipefail
cd "${1:-$(dirname "$0")/..}"

MAX_LINES=${MAX_LINES:-600}
failed=0

# rule NAME OFFENDERS: one TAP line; the offenders follow a failure.
rule() {
	if [ -z "$2" ]; then
		echo "ok - layout: $1"
	else
		echo "not ok - layout: $1"
		printf '%s\n' "$2" | sed 's/^/#   /'
		failed=$((failed + 1))
	fi
}

src() {
	find "$@" -type f \( -name '*.c' -o -name '*.h' \) 2> /dev/null | sort
}

rule "no code asks whether a VM is the platform or a test VM (is_platform, is_test)" \
	"$(grep -nwE 'is_platform|is_test' $(src boot arch lib mm vm vmx svm include) /dev/null)"

rule "only the vendor picker (vm/virt.c) compares against svm_ops or vmx_ops" \
	"$(grep -nE '[=!]=[[:space:]]*&(svm|vmx)_ops|&(svm|vmx)_ops[[:space:]]*[=!]=' \
		$(src boot arch lib mm vm vmx svm include tests) /dev/null | grep -v '^vm/virt\.c:')"

rule "vm/exit.c handles exits without naming a kind of VM" \
	"$(grep -nE '\bplatform_|\btest_vm|\bhc_test' vm/exit.c)"

rule "mm/ includes nothing of vm/, vmx/ or svm/" \
	"$(grep -nE '#include "(vm|vmx|svm)/' $(src mm include/mm) /dev/null)"

# arch/asm-offsets.c is the build-time generator of every layer's assembly
# offsets, not code that runs; the page allocator is the one mm/ service
# below arch/ (host page tables, stacks).
rule "arch/ and lib/ include nothing of the TDP MMU, vm/, vmx/ or svm/" \
	"$(grep -nE '#include "(mm|vm|vmx|svm)/' $(src arch lib include/arch include/lib) /dev/null |
		grep -vE '^arch/asm-offsets\.c:|#include "mm/page_alloc\.h"')"

rule "vm/ includes no vendor header but in the vendor picker (vm/virt.c)" \
	"$(grep -nE '#include "(vmx|svm)/' $(src vm include/vm) /dev/null | grep -v '^vm/virt\.c:')"

# The names each defined in exactly one place (tests/efi-probe/probe_mtrr.c
# keeps its own MTRR register names on purpose: it is the test's oracle).
vocab='(CPUID[0-9A-Z_]*|X86_CR[0-9]_[A-Z0-9]+|X86_DR[67]_[A-Z]+|X86_RFLAGS_[A-Z]+|MSR_[A-Z0-9_]+|EFER_[A-Z]+|[A-Z]{2,3}_VECTOR|[A-Z_]*PAT_RESET[A-Z_]*|GUEST_PAT)'
dups=$(grep -hoE "^#[[:space:]]*define[[:space:]]+$vocab\b" \
		$(src boot arch lib mm vm vmx svm include tests | grep -v 'tests/efi-probe/probe_mtrr.c') |
	awk '{print $NF}' | sort | uniq -d)
where=""
for d in $dups; do
	where+="$d: $(grep -lE "^#[[:space:]]*define[[:space:]]+$d\b" $(src boot arch lib mm vm vmx svm include tests) | tr '\n' ' ')"$'\n'
done
rule "each x86 constant (CPUID, CR, DR, RFLAGS, MSR, EFER, vectors, PAT) is defined once" "${where%$'\n'}"

# vm/ objects, from their symbol tables: who references whom.  The test
# guests' runtime (guest_rt.asm calls into guest_lib.c and back) is one unit.
vm_cycles() {
	local o tmp
	tmp=$(mktemp -d)
	for o in build/hv/vm/*.o; do
		[ -e "$o" ] || continue
		nm --defined-only -g "$o" | awk -v o="${o##*/}" 'NF == 3 { print $3, o }' >> "$tmp/defs"
		nm -u "$o" | awk -v o="${o##*/}" '{ print o, $NF }' >> "$tmp/refs"
	done
	if [ ! -s "$tmp/defs" ]; then
		echo "no objects in build/hv/vm (make first)"
	else
		awk 'FNR == NR { d[$1] = $2; next }
		     ($2 in d) && d[$2] != $1 { print $1, d[$2] }' "$tmp/defs" "$tmp/refs" |
			sed 's/guest_\(rt\|lib\)\.o/guest_runtime/g' | awk '$1 != $2' | sort -u > "$tmp/edges"
		tsort "$tmp/edges" > /dev/null 2> "$tmp/err" ||
			grep -v 'input contains a loop' "$tmp/err" | sed 's/^tsort: /a cycle through /'
	fi
	rm -rf "$tmp"
}
rule "the references among vm/ objects have no cycle (build/hv/vm, nm)" "$(vm_cycles)"

long=$(for f in $(find vm vmx svm mm -name '*.c' | sort); do
	n=$(wc -l < "$f")
	[ "$n" -gt "$MAX_LINES" ] && echo "$f: $n lines"
done)
rule "no C file under vm/, vmx/, svm/, mm/ is over $MAX_LINES lines" "$long"

exit $((failed > 0))
