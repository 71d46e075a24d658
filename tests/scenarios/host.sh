# shellcheck shell=bash
# host: the unit tests (lib/, the allocator, the command line, the TDP MMU's
# ktests) in one ASan+UBSan binary, and the TDP MMU's own host suites
# (model, threads) from tests/host/build.mk.

# scenario_host: runs both on the build machine; checks in host.tap.
scenario_host() {
	local st
	build/host/unit-tests > "$OUT/host-unit.log" 2>&1
	st=$?
	expect_status host "unit-tests binary exits cleanly (ASan/UBSan)" "$st" 0
	ktap host host-unit "$OUT/host-unit.log"
	if make --no-print-directory -s host-mm-test > "$OUT/host-mm.log" 2>&1; then st=0; else st=$?; fi
	grep -E '^(not )?ok - ' "$OUT/host-mm.log" >> "$OUT/host.tap"
	expect_status host "TDP MMU host suites (make host-mm-test)" "$st" 0
}
