#!/bin/bash
# The SVG plots are well-formed XML whatever they hold (xmllint): the
# histogram, and timelines of 0, 1, 40 and 100,000 events, the last in 16
# lanes, with a lane label of markup and a byte that is not UTF-8; the
# 100,000-event one stays far below 2 MB.
# timeout: 60
source "$(dirname "$0")/../lib.sh"
require_cmd xmllint

PLOT=$DS_ROOT/.output/tools/plotsvg
if [[ ! -x $PLOT ]]; then
	log_test "plots_xml" 4 "plotsvg not built (make tools)"
	exit 4
fi
tmpdir_create TMP

# check ID NAME PLOTSVG-ARGS...: the file plotsvg writes is well-formed and < 2 MB.
check() {
	local out=$TMP/$1.svg name=$2 size
	shift 2
	if ! "$PLOT" "$1" "$out" "${@:2}" 2>"$TMP/err"; then
		log_test "$name" 1 "plotsvg: $(cat "$TMP/err")"
		return
	fi
	size=$(stat -c %s "$out")
	log_info "$name: $size bytes"
	xmllint --noout "$out" 2>"$TMP/err" && ((size < 2000000))
	log_test "$name: well-formed, < 2 MB" $? "$(head -c 300 "$TMP/err")"
}

check hist "histogram" hist
check tl0 "timeline, 0 events" timeline 0 3
check tl1 "timeline, 1 event" timeline 1 3
check tl40 "timeline, 40 events, a label with markup, bad UTF-8" timeline 40 4
check tl100k "timeline, 100,000 events in 16 lanes" timeline 100000 16

grep -qF $'>&lt;tc&gt; &amp; &quot;q&quot; \xef\xbf\xbd</text>' "$TMP/tl40.svg"
log_test "the label is escaped, its bad byte a U+FFFD" $?

tests_exit
