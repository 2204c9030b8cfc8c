#!/bin/bash
# Our drops are ours, not the provider's: the WAN lab with our edge's own
# shaper (an HTB class of 10 Mbit/s with a 15 kB bfifo leaf on EDGE wan)
# below the provider's 40 Mbit/s; from 9 s the provider falls to 8 Mbit/s
# and both drop.  A live `analyze --monitor` on the tap
# (namespace MON) reads that qdisc across namespaces (--qdisc-netns EDGE
# --qdisc-dev wan). Checked: our_drops == the qdisc's own drop counter;
# downstream losses == what wanemu says it dropped (its truth), within 5 or
# 10%; loss_owner the one that dropped more by the two counters.
# timeout: 120
source "$(dirname "$0")/../lib.sh"
source "$DS_ROOT/tests/drops_lib.sh"
require_root
require_cmd iperf3 tc jq
tmpdir_create D
"$DS_ROOT/lab/wan.sh" -d 14 -b 3 -H 4 -e 10mbit,15000 -s 0:35.5M,9:3.5M -o "$D/lab" >"$D/out.txt" 2>"$D/err.txt" &
LAB=$!
defer ds__bg_stop "$LAB"
busywait 10000 test -s "$D/lab/lab.env" || { log_test "wan_ours: lab up" 1 "$(tail -2 "$D/err.txt")"; tests_exit; }
source "$D/lab/lab.env"
ip netns exec "$MON_NS" "$DS_BIN" -j analyze -i "$MON_IF" --no-progress --duration 15.5 --monitor \
	--path dc:198.18.10.0/23=198.18.20.0/23 --qdisc-netns "$EDGE_NS" --qdisc-dev "$WAN_IF" \
	--windows "$D/win.ndjson" tcp >"$D/mon.json" 2>"$D/mon.err"
rc=$?
# The lab holds 4 s after its scenario: the bulk is over, the qdisc still there.
ours=$(qdisc_stat "$EDGE_NS" "$WAN_IF" 1: drops)
wait "$LAB"
lrc=$?
log_test "wan_ours: lab runs (rc $lrc), live analyze on the tap (rc $rc)" $((lrc != 0 || rc != 0)) \
	"$(tail -1 "$D/err.txt") $(head -1 "$D/mon.err")"
mon() { jq -r ".monitor.paths[0].$1" "$D/mon.json"; }
got=$(mon our_drops) down=$(mon down_rtx_segs) owner=$(mon loss_owner)
prov=$(jq -s '[.[] | select(.type == "summary" and .from == "pa")][0] | .drops_tail + .drops_red + .drops_random' "$D/lab/wanemu.ndjson")
log_info "edge qdisc dropped $ours; monitor: ours $got, downstream $down ($owner); wanemu dropped $prov"
[[ $ours -gt 100 && $got -eq $ours ]]
log_test "wan_ours: our_drops $got == edge qdisc drops $ours (> 100)" $?
awk -v d="$down" -v p="$prov" 'BEGIN { e = d - p; if (e < 0) e = -e; exit !(e <= 5 || e <= 0.1 * p) }'
log_test "wan_ours: downstream $down == provider's drops $prov (5 or 10%)" $?
want=provider
((ours >= prov)) && want=ours
[[ $owner == "$want" ]]; log_test "wan_ours: loss_owner $owner ($want by the counters)" $?
tests_exit
