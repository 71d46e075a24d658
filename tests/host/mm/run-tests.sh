#!/bin/sh
# Runs host ktest binaries one test at a time (each binary's --list names
# them), passes each test's KTAP through, prints one "ok - host-mm: NAME" or
# "not ok - host-mm: NAME # why" line per test, and closes with one
# "N passed, N failed" line over all of them.
#
# Each test runs in its own process, bounded in time and in output:
#   HOST_TEST_TIMEOUT     seconds per test (default 300); a test still running
#                         then is killed and is one failure, "timed out"
#   HOST_TEST_OUTPUT_CAP  bytes of output per test (default 1048576); a test
#                         that prints more is cut off there (it dies of SIGPIPE)
#                         and is one failure, "output over the cap"
# A test that dies without its summary (a sanitizer report, a BUG) or whose
# output has a sanitizer report is one failure.  Exit status: 0 when nothing
# failed.
timeout_s=${HOST_TEST_TIMEOUT:-300}
cap=${HOST_TEST_OUTPUT_CAP:-1048576}
passed=0
failed=0
out=$(mktemp)
st=$(mktemp)
trap 'rm -f "$out" "$st"' EXIT

verdict() {	# verdict NAME OK [WHY]
	if [ "$2" = 1 ]; then
		echo "ok - host-mm: $1"
		passed=$((passed + 1))
	else
		echo "not ok - host-mm: $1 # $3"
		failed=$((failed + 1))
	fi
}

for bin in "$@"; do
	if ! names=$("$bin" --list) || [ -z "$names" ]; then
		verdict "$bin --list" 0 "lists no test"
		continue
	fi
	for name in $names; do
		: > "$st"
		{ timeout -k 5 "$timeout_s" "$bin" "$name" 2>&1; echo $? > "$st"; } |
			head -c "$((cap + 1))" > "$out"
		head -c "$cap" "$out"
		status=$(cat "$st")
		size=$(wc -c < "$out")
		if [ "$status" = 124 ] || [ "$status" = 137 ]; then
			echo
			verdict "$name" 0 "timed out after $timeout_s s"
		elif [ "$size" -gt "$cap" ]; then
			echo
			verdict "$name" 0 "output over the cap of $cap bytes, cut"
		elif ! grep -aq '^# ktest: ' "$out"; then
			verdict "$name" 0 "crashed (status $status)"
		elif grep -aq -e 'ERROR: AddressSanitizer' -e 'WARNING: ThreadSanitizer' \
			-e 'runtime error:' "$out"; then
			verdict "$name" 0 "sanitizer report"
		elif [ "$status" != 0 ] || ! grep -aq "^ok [0-9]* $name\$" "$out"; then
			verdict "$name" 0 "failed"
		else
			verdict "$name" 1
		fi
	done
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
