#!/bin/bash
# man/*.8: each page formats without a groff warning and has NAME, SYNOPSIS,
# DESCRIPTION, EXIT STATUS and SEE ALSO; dropscope-shape(8) names every
# option and form of `dropscope shape`, the exit codes 0..3 and the unit.
# Skips without groff.
# timeout: 60
source "$(dirname "$0")/../lib.sh"
require_cmd groff

for page in "$DS_ROOT"/man/*.8; do
	name=$(basename "$page")
	w=$(groff -man -ww -z "$page" 2>&1)
	[[ -z $w ]]
	log_test "man: $name formats without warnings" $? "$(head -c 300 <<<"$w")"
	miss=""
	for s in NAME SYNOPSIS DESCRIPTION "EXIT STATUS" "SEE ALSO"; do
		grep -q "^\.SH $s\$" "$page" || miss+=" $s"
	done
	[[ -z $miss ]]
	log_test "man: $name has NAME SYNOPSIS DESCRIPTION EXIT STATUS SEE ALSO" $? "missing$miss"
done

SHAPE=$DS_ROOT/man/dropscope-shape.8
if [[ -f $SHAPE ]]; then
	# The page as a reader sees it (no hyphenation, no justification).
	txt=$(groff -man -Tutf8 -rHY=0 -dAD=l -P-cbou "$SHAPE" 2>/dev/null | tr -s ' \n' ' ')
	miss=""
	for w in "shape -c FILE" "--check" "--restore STATE" "shape status" "--dry-run" \
		"-d SECONDS" "--decisions FILE" "--state FILE" "--status FILE" "-j" \
		"doc/shape.md" "dropscope-shape@.service" "ExecStopPost" "SIGTERM" "SIGKILL" \
		"FILE:LINE" "CAP_NET_ADMIN" "CAP_NET_RAW" "inet dropscope_shape_" "1:10"; do
		[[ $txt == *"$w"* ]] || miss+=" '$w'"
	done
	[[ -z $miss ]]
	log_test "man: dropscope-shape.8 names the options, forms, files and unit" $? "missing$miss"
	ex=$(sed -n '/^\.SH EXIT STATUS/,/^\.SH /p' "$SHAPE")
	miss=""
	for c in 0 1 2 3; do
		grep -Eq "(^|; |\\.)$c " <<<"$ex" || miss+=" $c"
	done
	[[ -z $miss ]]
	log_test "man: dropscope-shape.8 EXIT STATUS has 0 1 2 3" $? "missing$miss"
else
	log_test "man: dropscope-shape.8" 1 "missing"
fi
tests_exit
