# shellcheck shell=bash
# layout: the source tree's layering rules (tools/check-layout.sh) and
# mm/'s core-and-features rule checked on the objects' symbol tables
# (tools/check-mm-layers.sh through make check-mm-layers).

# scenario_layout: both checkers; their lines go to host.tap.
scenario_layout() {
	local st
	tools/check-layout.sh > "$OUT/layout.log" 2>&1
	st=$?
	grep -E '^(not )?ok - |^#' "$OUT/layout.log" >> "$OUT/host.tap"
	expect_status host "tools/check-layout.sh exits cleanly" "$st" 0
	make --no-print-directory -s check-mm-layers > "$OUT/mm-layers.log" 2> "$OUT/mm-layers.err"
	st=$?
	grep -E '^(not )?ok - ' "$OUT/mm-layers.log" >> "$OUT/host.tap"
	expect_status host "make check-mm-layers exits cleanly" "$st" 0
}
