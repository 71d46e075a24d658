#!/bin/bash
# ktap.sh — summarize the KTAP results in a serial log.
#
# Usage:
#   tests/emu/ktap.sh --prefix NAME LOG
#
# Contract:
#   - Reads LOG line by line.  Carriage returns, ANSI escape sequences (the
#     firmware clears the screen), a printk level "<N>" and a kernel
#     timestamp "[    1.234567] " are stripped first; other lines are
#     ignored, so KTAP may be interleaved with ordinary log output.
#   - A top-level "KTAP version N" (or "TAP version 13") line starts a
#     document; its "1..N" plan and its "ok N name" / "not ok N name" lines
#     (optionally "# SKIP reason") are counted.  Several documents in one
#     log add up.
#   - Subtests are indented by 4 spaces per level: they are not counted,
#     but a failing subtest is printed under its parent as
#     "    not ok - NAME: parent/subtest".  When a top-level test fails,
#     the diagnostic lines ("# ...") printed since the previous result are
#     shown with it.
#   - Each top-level result prints "ok - NAME: test" or
#     "not ok - NAME: test" (skips keep their "# SKIP reason").
#   - A plan mismatch is reported: every planned test without a result
#     counts as failed; results beyond the plan count as one failure.
#     "Bail out!" counts as one failure.
#   - The last line is "NAME: P passed, F failed" (skipped tests are in
#     neither; a "NAME: S skipped" line precedes it when S > 0).
#
# Exit status: 0 iff F == 0 and at least one test passed; 1 otherwise;
# 2 on bad usage or an unreadable LOG.
set -euo pipefail

prog=${0##*/}

usage() {
	echo "usage: $prog --prefix NAME LOG" >&2
	exit 2
}

prefix= log=
while (($#)); do
	case $1 in
	--prefix) (($# >= 2)) || usage; prefix=$2; shift 2 ;;
	-h|--help) usage ;;
	-*) echo "$prog: unknown option '$1'" >&2; usage ;;
	*) [[ -z $log ]] || usage; log=$1; shift ;;
	esac
done
[[ -n $prefix && -n $log ]] || usage
[[ -f $log && -r $log ]] || { echo "$prog: cannot read log '$log'" >&2; exit 2; }

# POSIX awk only (Debian's default awk is mawk): no regex intervals,
# no gensub, no arrays of arrays.
exec awk -v P="$prefix" '
# depth(): indentation level of the current (cleaned) line, 4 spaces each;
# also leaves the unindented text in "body".
function depth(   n) {
	match($0, /^ */)
	n = RLENGTH
	body = substr($0, n + 1)
	return int(n / 4)
}

# parse_result(): split body "ok 3 name # SKIP why" into r_ok, r_num,
# r_name and r_dir (the directive after " # ", if any).
function parse_result(   rest, i) {
	r_ok = (substr(body, 1, 3) == "ok ")
	rest = r_ok ? substr(body, 4) : substr(body, 8)
	match(rest, /^[0-9]+/)
	r_num = substr(rest, 1, RLENGTH) + 0
	rest = substr(rest, RLENGTH + 1)
	sub(/^ +/, "", rest)
	sub(/^- /, "", rest)
	r_dir = ""
	i = index(rest, " # ")
	if (i) {
		r_dir = substr(rest, i + 3)
		rest = substr(rest, 1, i - 1)
	} else if (rest ~ /^# /) {
		r_dir = substr(rest, 3)
		rest = ""
	}
	r_name = rest == "" ? ("test " r_num) : rest
	r_skip = (toupper(substr(r_dir, 1, 4)) == "SKIP")
}

# Held back until the parent result: diagnostics (shown if it fails) and
# nested failures (always shown).
function hold(line, always) {
	nheld++
	held[nheld] = line
	held_always[nheld] = always
}
function flush_held(parent, failed,   i, line) {
	for (i = 1; i <= nheld; i++) {
		if (!failed && !held_always[i])
			continue
		line = held[i]
		gsub(/\001/, parent, line)
		print line
	}
	nheld = 0
}

# close_doc(): at the end of a top-level document, check it against its plan.
# Trailing diagnostics (e.g. a summary comment) belong to no test: dropped.
function close_doc(   missing) {
	if (!in_doc)
		return
	flush_held("?", 0)
	if (plan < 0) {
		if (seen == 0) {
			printf "not ok - %s: KTAP document %d has no plan and no results\n", P, ndoc
			failed++
		}
	} else if (seen < plan) {
		missing = plan - seen
		printf "not ok - %s: plan mismatch in KTAP document %d: planned %d, got %d; %d missing counted as failed\n", P, ndoc, plan, seen, missing
		failed += missing
	} else if (seen > plan) {
		printf "not ok - %s: plan mismatch in KTAP document %d: planned %d, got %d\n", P, ndoc, plan, seen
		failed++
	}
	in_doc = 0
}

BEGIN { passed = failed = skipped = ndoc = in_doc = nheld = 0 }

{
	gsub(/\r/, "")
	gsub(/\033\[[0-9;=?]*[A-Za-z]/, "")
	sub(/^<[0-7]>/, "")
	sub(/^\[ *[0-9]+\.[0-9]+\] /, "")
	d = depth()
}

# A new document starts at the top level; nested headers belong to subtests.
body ~ /^K?TAP version [0-9]+/ {
	if (d == 0) {
		close_doc()
		in_doc = 1; ndoc++; plan = -1; seen = 0
	}
	next
}
!in_doc { next }

d == 0 && body ~ /^1\.\.[0-9]+/ {
	plan = substr(body, 4) + 0
	next
}

body ~ /^Bail out!/ {
	printf "not ok - %s: %s\n", P, body
	failed++
	next
}

body ~ /^(not )?ok [0-9]+/ {
	parse_result()
	if (d > 0) {
		if (!r_ok)
			hold(sprintf("%*snot ok - %s: \001/%s", 4 * d, "", P, r_name), 1)
		next
	}
	seen++
	if (r_ok && r_skip) {
		skipped++
		printf "ok - %s: %s # %s\n", P, r_name, r_dir
	} else if (r_ok) {
		passed++
		printf "ok - %s: %s\n", P, r_name
	} else {
		failed++
		printf "not ok - %s: %s%s\n", P, r_name, r_dir == "" ? "" : " # " r_dir
	}
	flush_held(r_name, !r_ok)
	next
}

# Diagnostics, at any depth, except the subtest headers.
body ~ /^# / && body !~ /^# Subtest:/ {
	hold("    " body, 0)
	next
}

END {
	close_doc()
	if (ndoc == 0)
		printf "%s: no KTAP output found\n", P
	if (skipped)
		printf "%s: %d skipped\n", P, skipped
	printf "%s: %d passed, %d failed\n", P, passed, failed
	exit (failed == 0 && passed > 0) ? 0 : 1
}
' "$log"
