#!/bin/sh
# Runs the TDP MMU's host test binaries, passes their KTAP through, and
# closes with one "N passed, N failed" line over all of them.  A binary that
# dies without its summary (a sanitizer report, a BUG) counts as one failure.
# Exit status: 0 when nothing failed.
passed=0
failed=0
for bin in "$@"; do
	out=$(mktemp)
	"$bin" 2>&1 | tee "$out"
	status=$(grep -a '^# ktest: ' "$out" | tail -n 1)
	if [ -z "$status" ]; then
		echo "not ok $bin # crashed"
		failed=$((failed + 1))
	else
		p=$(echo "$status" | sed 's/# ktest: \([0-9]*\) passed.*/\1/')
		f=$(echo "$status" | sed 's/.*passed, \([0-9]*\) failed.*/\1/')
		passed=$((passed + p))
		failed=$((failed + f))
		if grep -aq -e 'ERROR: AddressSanitizer' -e 'WARNING: ThreadSanitizer' \
			-e 'runtime error:' "$out"; then
			echo "not ok $bin # sanitizer report"
			failed=$((failed + 1))
		fi
	fi
	rm -f "$out"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
