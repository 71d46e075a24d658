#!/bin/sh
# Runs the TDP MMU fuzzer for SECONDS seconds over the corpus in CORPUS
# (created when missing), passes its output through, and closes with one
# summary line: the target's own rate, libFuzzer's exec/s, coverage and
# corpus size, and whether it found something.
#	run-fuzz.sh BINARY SECONDS CORPUS [libFuzzer options...]
# Exit status: the fuzzer's (0 when it found nothing).
bin=$1
secs=$2
corpus=$3
shift 3
mkdir -p "$corpus"
log=$(mktemp)
{ "$bin" -max_total_time="$secs" -print_final_stats=1 "$@" "$corpus" 2>&1; echo $? >"$log.rc"; } |
	tee "$log"
rc=$(cat "$log.rc")
rate=$(grep -a '^fuzz: .* inputs/s$' "$log" | tail -n 1 | sed 's/^fuzz: //')
eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
last=$(grep -a -E '^#[0-9]+.*cov: ' "$log" | tail -n 1)
cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p')
if [ "$rc" -eq 0 ]; then
	verdict="nothing found"
else
	verdict="FOUND something (exit status $rc, see above)"
fi
echo "fuzz summary: ${rate:-no rate printed}; libFuzzer ${eps:-?} exec/s, cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?} inputs in $corpus; $verdict"
rm -f "$log" "$log.rc"
exit "$rc"
