#!/bin/bash
# dropscope shape behind a provider that bleaches DSCP (wanemu -D bleach=0):
# our classes still work, because our queues decide before the provider
# sees a packet, and analyze --far says our marking did not survive.  The
# shaper re-marks the interactive class EF (46) where DC1 marks AF41 (34),
# so DSCP 46 on the wire is ours alone.  Truth: tc's own class counters on
# EDGE wan (read while the shaper still runs, after the traffic), tcpdump
# on the tap (near: what left our edge) and on DC2 (far: what arrived).
# timeout: 150
source "$(dirname "$0")/../lib.sh"
require_root
require_cmd iperf3 jq tcpdump tc
tmpdir_create D

# count PCAP FILTER: packets tcpdump reads from PCAP that pass FILTER.
count() {
	tcpdump -n -r "$1" "$2" 2>/dev/null | wc -l
}

# class_stat CLASSID FIELD: "Sent B bytes P pkt (dropped D" of tc -s class show, in EDGE.
class_stat() {
	awk -v id="$1" -v f="$2" '
		$1 == "class" && $3 == id { on = 1; next }
		$1 == "class" { on = 0 }
		on && $1 == "Sent" { v["bytes"] = $2; v["packets"] = $4; d = $7; sub(/,/, "", d); v["drops"] = d; print v[f]; exit }' \
		"$D/classes.txt"
}

sed -e '/^\[class interactive\]/,/^\[/s/^set_dscp = af41$/set_dscp = ef/' \
	-e '/^\[path interactive\]/,/^\[/s/^dscp = 34$/dscp = 46/' "$DS_ROOT/lab/wan-shape.ini" >"$D/shape.ini"
grep -q '^set_dscp = ef$' "$D/shape.ini" || { log_test "shape_bleach: config" 1 "sed found no interactive class"; tests_exit; }
"$DS_ROOT/lab/wan.sh" -d 12 -b 3 -P 4 -n 2 -c -f -D bleach=0 -A "$D/shape.ini" -H 4 -o "$D/lab" \
	>"$D/lab.out" 2>"$D/lab.err" &
LAB=$!
defer ds__bg_stop "$LAB"
# The hold: traffic over, captures closed, the shaper still up.
if busywait 60000 grep -q "up for 4 s more" "$D/lab.err"; then
	source "$D/lab/lab.env"
	ip netns exec "$EDGE_NS" tc -s class show dev "$WAN_IF" >"$D/classes.txt"
fi
wait "$LAB"
rc=$?
log_test "shape_bleach: lab/wan.sh -D bleach=0 -A (rc $rc, the shaper exited $(cat "$D/lab/shape.rc" 2>/dev/null))" \
	"$rc" "$(tail -3 "$D/lab.err")"
((rc == 0)) && [[ -s $D/classes.txt ]] || tests_exit
if grep -q "lost packets" "$D/lab.err"; then
	log_test "shape_bleach: captures" 4 "a capture lost packets: $(grep -m1 'lost packets' "$D/lab.err")"
	tests_exit
fi
near=$D/lab/mon0.pcap far=$D/lab/far.pcap
ours=$(count "$near" "tcp and src net 198.18.10.0/24 and (ip[1] & 0xfc) == $((46 << 2))")
theirs=$(count "$near" "tcp and src net 198.18.10.0/24 and (ip[1] & 0xfc) != $((46 << 2))")
log_info "near: interactive with EF $ours, other DSCP $theirs"
((ours > 100 && theirs == 0))
log_test "shape_bleach: near: all $ours interactive packets carry our EF (46), DC1's AF41 none left" $? \
	"other DSCP: $theirs"
kept=$(count "$far" "tcp and src net 198.18.10.0/24 and (ip[1] & 0xfc) != 0")
arrived=$(count "$far" "tcp and src net 198.18.10.0/24")
((arrived > 100 && kept == 0))
log_test "shape_bleach: far: $arrived interactive packets arrived, all with DSCP 0 (bleached)" $? \
	"with a DSCP: $kept"
# Our classes: the interactive class sent what the tap saw of it; the bulk dropped in our queue.
i_pk=$(class_stat 1:10 packets) i_dr=$(class_stat 1:10 drops)
r_pk=$(class_stat 1:11 packets) r_dr=$(class_stat 1:11 drops)
r_near=$(count "$near" "tcp and src net 198.18.11.0/24")
log_info "tc: interactive 1:10 sent $i_pk dropped $i_dr; replication 1:11 sent $r_pk dropped $r_dr (tap $r_near)"
# A FIN or two may leave after the captures closed: 4 packets of slack.
((i_pk >= ours && i_pk <= ours + 4 && i_dr == 0))
log_test "shape_bleach: HTB class 1:10 sent $i_pk == the tap's $ours EF packets (+4), dropped 0" $?
((r_pk >= r_near && r_pk <= r_near + 4 && r_dr > 0))
log_test "shape_bleach: HTB class 1:11 sent $r_pk == the tap's $r_near replication packets, dropped $r_dr > 0 in our queue" $?
# analyze --far: what we sent as 46 arrived as 0.
"$DS_BIN" -j analyze -r "$near" --no-progress --far "$far" >"$D/far.json" 2>"$D/far.err"
got=$(jq -r '[.dscp_check.near_to_far[] | select(.sent_dscp == 46)][0] | "\(.verdict) \(.arrived_dscp)"' "$D/far.json")
[[ $got == "bleached 0" ]]
log_test "shape_bleach: analyze --far: sent 46, $got" $? "$(head -c 300 "$D/far.err")"
tests_exit
