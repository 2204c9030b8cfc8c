#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 600
#
# diagnose_report.sh - `dropscope diagnose --report DIR` on lab/vm.sh:
#   - report.html asks for nothing outside itself, and headless Chromium
#     (installed when absent) lays out and paints both figures, the latency
#     histogram and the timeline; the screenshot stays in $DS_ARTIFACTS (else
#     .output/artifacts/) as diagnose_report.png, beside the page;
#   - drops.pcapng opens in tshark: as many packets on the macvtap's
#     interface block as its rx_dropped counter rose, each with a comment
#     naming the reason and the device;
#   - verdict.json is the verdict -j printed.

source "$(dirname "$0")/../lib.sh"
source "$DS_ROOT/tests/drops_lib.sh"
source "$DS_ROOT/lab/vm.sh"
require_root
require_drops_tools
require_cmd tshark jq

BIN=${DS_BIN:-$DS_ROOT/dropscope}
NAME=$(basename "$0" .sh)
tmpdir_create TMP
ART=${DS_ARTIFACTS:-$DS_ROOT/.output/artifacts}
mkdir -p "$ART" || exit 1
REP=$TMP/report

vm_lab_build 8 1000 300 120 || { log_test "$NAME: lab" 1; tests_exit; }
r0=$(link_stat "$HOST_NS" mvt0 rx.dropped)
ip netns exec "$CLI_NS" timeout 90 "$BIN" -j diagnose --report "$REP" rr "$VM_IP" --port "$VM_PORT" \
	--streams 16 --duration 4 >"$TMP/out.json" 2>"$TMP/out.err"
rc=$?
busywait 10000 no_tcp "$CLI_NS" "$VM_NS"
r1=$(link_stat "$HOST_NS" mvt0 rx.dropped)
[[ $rc -eq 0 && -s $REP/report.html && -s $REP/verdict.json && -s $REP/drops.pcapng ]]
log_test "$NAME: diagnose --report writes report.html, verdict.json, drops.pcapng" $? \
	"rc=$rc $(ls "$REP" 2>&1) $(tail -n 2 "$TMP/out.err")"
cp "$REP/report.html" "$ART/diagnose_report.html" 2>/dev/null

cmp -s <(jq -S . "$TMP/out.json") <(jq -S . "$REP/verdict.json")
log_test "$NAME: verdict.json is the verdict -j printed" $?

! grep -v 'xmlns="http://www.w3.org/2000/svg"' "$REP/report.html" | grep -Eqi '(src|href)=|url\(|@import'
log_test "$NAME: report.html is self-contained" $?

# The pcapng: per interface block, how many packets and how many say FULL_RING.
tshark -n -r "$REP/drops.pcapng" -T fields -E separator=/t -e frame.interface_name \
	-e frame.comment >"$TMP/pcap.txt" 2>"$TMP/pcap.err"
prc=$?
n=$(awk -F'\t' '$1 ~ /^mvt0/ { n++ } END { print n + 0 }' "$TMP/pcap.txt")
fr=$(awk -F'\t' '$1 ~ /^mvt0/ && $2 ~ /FULL_RING/ && $2 ~ /mvt0/ { n++ } END { print n + 0 }' "$TMP/pcap.txt")
echo "  drops.pcapng: $(wc -l <"$TMP/pcap.txt") packets, $n on mvt0 ($fr say FULL_RING at mvt0);" \
	"rx_dropped +$((r1 - r0)); interfaces: $(cut -f1 "$TMP/pcap.txt" | sort | uniq -c | tr -s ' \n' ' ')"
[[ $prc -eq 0 && $n -eq $((r1 - r0)) && $fr -eq $n && $n -gt 0 ]]
log_test "$NAME: drops.pcapng: mvt0's packets == rx_dropped (+$((r1 - r0))), each commented" $? \
	"$(head -c 300 "$TMP/pcap.err")"

require_chromium
# The verdict comes first, then the figures: a window tall enough for the whole page.
CHROMIUM_WINDOW=1200,4000 html_check_figures "$REP/report.html" "$ART/diagnose_report.png" 2
log_test "$NAME: chromium lays out and paints the histogram and the timeline" $? \
	"$(echo "$HTML_BOXES" | tr '\n' ';')"
log_info "screenshot: $ART/diagnose_report.png"
tests_exit
