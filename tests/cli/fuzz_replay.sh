#!/bin/bash
# Every libFuzzer target: replay its corpus kept in the repo, then fuzz for a
# bounded time on a scratch copy (the repo's corpus is never modified).
# Set FUZZ_SECONDS=0 to only replay.
# timeout: 300
source "$(dirname "$0")/../lib.sh"
DS_TMP_LOG=$(mktemp); defer rm -f "$DS_TMP_LOG"

secs=${FUZZ_SECONDS:-15}
shopt -s nullglob
targets=("$DS_ROOT"/.output/fuzz/fuzz_*)
[ ${#targets[@]} -gt 0 ] || { log_test "fuzz targets" 4 "none built (make fuzz; needs clang)"; tests_exit; }

for bin in "${targets[@]}"; do
	name=${bin##*/fuzz_}
	corpus=$DS_ROOT/tests/fuzz/corpus/$name
	files=("$corpus"/*)
	"$bin" "${files[@]}" >"$DS_TMP_LOG" 2>&1
	log_test "fuzz $name: replay ${#files[@]} corpus inputs" $? 
	[ "$secs" -gt 0 ] || continue
	scratch=$(mktemp -d); defer rm -rf "$scratch"
	cp "${files[@]}" "$scratch"/
	"$bin" -max_total_time="$secs" -timeout=5 -rss_limit_mb=1024 "$scratch" >"$DS_TMP_LOG" 2>&1
	rc=$?
	runs=$(grep -o 'Done [0-9]* runs' "$DS_TMP_LOG" | tail -1)
	[ $rc -eq 0 ] || tail -30 "$DS_TMP_LOG"
	log_test "fuzz $name: ${secs}s without a finding (${runs:-no summary})" $rc
done
tests_exit
