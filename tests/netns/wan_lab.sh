#!/bin/bash
# lab/wan.sh unshaped: bulk replication plus interactive rr through the
# provider's shallow queue loses >= 10% of BOTH classes (the emulator's
# per-DSCP counts, from 2 s after bulk starts to the end; and DC1's
# TcpRetransSegs moves) while rr's median RTT rises less than 2x.  And
# `analyze --monitor` on the edge's monitor port (a mirror of its WAN link,
# both ways) says over_limit within 2 windows of the bulk start, and never
# before it (interactive rr alone).
# timeout: 180
source "$(dirname "$0")/../lib.sh"
require_root
require_cmd iperf3
tmpdir_create D
"$DS_ROOT/lab/wan.sh" -d 24 -b 8 -c -o "$D" >"$D/out.txt" 2>"$D/err.txt"
rc=$?
log_test "wan_lab: lab/wan.sh runs (rc $rc)" "$rc"
[[ $rc -eq 0 ]] || { sed 's/^/# /' "$D/err.txt" | tail -5; tests_exit; }
loss() {	# DSCP: per mille lost during bulk
	jq -s -r --argjson d "$1" '[.[] | select(.from == "pa")] as $s |
		([$s[] | select(.type == "stats" and .elapsed_ms >= 10000)][0].classes[] | select(.dscp == $d)) as $a |
		([$s[] | select(.type == "summary")][0].classes[] | select(.dscp == $d)) as $b |
		((($b.drops_tail + $b.drops_red + $b.drops_random) - ($a.drops_tail + $a.drops_red + $a.drops_random)) * 1000
		 / ($b.in_pkts - $a.in_pkts)) | floor' "$D/wanemu.ndjson"
}
li=$(loss 34) lb=$(loss 8)
[[ $li -ge 100 ]]; log_test "wan_lab: interactive (AF41) loss ${li}/1000 >= 10%" $?
[[ $lb -ge 100 ]]; log_test "wan_lab: replication (CS1) loss ${lb}/1000 >= 10%" $?
rex=$(awk '$1 == "TcpRetransSegs" { print $2 }' "$D/nstat_dc1.txt")
[[ ${rex:-0} -gt 100 ]]; log_test "wan_lab: DC1 retransmits (TcpRetransSegs $rex)" $?
p0=$(jq .latency_us.p50 "$D/rr_before.json") p1=$(jq .latency_us.p50 "$D/rr_during.json")
awk -v a="$p0" -v b="$p1" 'BEGIN { exit !(b < 2 * a) }'
log_test "wan_lab: rr p50 before ${p0%.*} us, during ${p1%.*} us: < 2x" $?
grep -q "monitor port: namespace" "$D/err.txt" && grep -q '^MON_NS=' "$D/lab.env"
log_test "wan_lab: monitor port named" $?
# The monitor on the mirror: DC1's two subnets to DC2's, 1 s windows.
"$DS_BIN" -j analyze -r "$D/mon0.pcap" --no-progress --monitor \
	--path dc:198.18.10.0/23=198.18.20.0/23 --windows "$D/win.ndjson" >"$D/mon.json" 2>"$D/mon.err"
log_test "wan_lab: analyze --monitor on mon0.pcap (exit 0)" $? "$(head -1 "$D/mon.err")"
# Bulk start: the first window carrying more than 5 Mbit/s (rr alone carries < 1).
t0=$(jq -s '[.[] | select(.type == "monitor_window" and .offered_bps > 5000000)][0].t_s // empty' "$D/win.ndjson")
t1=$(jq -s '[.[] | select(.type == "monitor_window" and .verdict == "over_limit")][0].t_s // empty' "$D/win.ndjson")
pre=$(jq -s --argjson t0 "${t0:-0}" '[.[] | select(.type == "monitor_window" and .t_s < $t0 and .verdict == "over_limit")] | length' "$D/win.ndjson")
awk -v a="${t1:-x}" -v b="${t0:-y}" 'BEGIN { exit !(a != "x" && b != "y" && a - b <= 2.001 && a >= b) }' && [[ $pre -eq 0 ]]
log_test "wan_lab: monitor: over_limit at ${t1:-none} s, bulk from ${t0:-none} s (<= 2 windows), none before ($pre)" $?
# Per class (lab/wan-sites.ini): each DSCP class's downstream losses as the
# monitor counts them against what wanemu dropped of that DSCP (its truth)
# over the whole run. Replication is data one way (DC2's ACKs are DSCP 0):
# within 10% (a segment lost twice is re-sent twice). Interactive rr also
# sends pure ACKs marked AF41, whose loss is no retransmission: from 70% of
# the drops up to 105%.
"$DS_BIN" -j analyze -r "$D/mon0.pcap" --no-progress --monitor --sites "$DS_ROOT/lab/wan-sites.ini" \
	>"$D/cls.json" 2>"$D/cls.err"
log_test "wan_lab: analyze --monitor --sites lab/wan-sites.ini (exit $?)" $? "$(head -1 "$D/cls.err")"
for c in interactive:34:0.7 replication:8:0.9; do
	IFS=: read -r name dscp lo <<<"$c"
	got=$(jq --arg n "$name" '.monitor.paths[] | select(.name == $n) | .down_rtx_segs' "$D/cls.json")
	truth=$(jq -s --argjson d "$dscp" '[.[] | select(.type == "summary" and .from == "pa")][0].classes[] |
		select(.dscp == $d) | .drops_tail + .drops_red + .drops_random' "$D/wanemu.ndjson")
	hi=$([[ $name == interactive ]] && echo 1.05 || echo 1.1)
	awk -v g="${got:-0}" -v t="${truth:-0}" -v lo="$lo" -v hi="$hi" 'BEGIN { exit !(t > 0 && g >= lo * t && g <= hi * t) }'
	log_test "wan_lab: class $name (DSCP $dscp): monitor's downstream losses $got, wanemu dropped $truth ($lo..$hi)" $?
done
own=$(jq -s '[.[] | select(.type == "summary") | .sock_rx_drops + .drops_nobuf + .drops_oversize + .send_errors] | add' "$D/wanemu.ndjson")
[[ $own -eq 0 ]]; log_test "wan_lab: wanemu drops nothing of its own ($own)" $?
tests_exit
