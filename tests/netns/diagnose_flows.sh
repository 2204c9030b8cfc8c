#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 240
#
# diagnose_flows.sh - `dropscope diagnose --flows` on an application we did
# not write (iperf3) finds the drops `diagnose rr` finds on the same lab
# (lab/vm.sh: a macvtap whose backend stalls): the same point and reason, as
# many as the macvtap's rx_dropped counter says, and the sender's
# retransmissions explained by them.  Offloads are off on the client's veth:
# with GSO the macvtap segments a super-packet and frees the segments it
# cannot queue without counting them in rx_dropped (tap_handle_frame's GSO
# path), so the counter would be no truth for bulk traffic.  Two --capture
# points (the client's veth, the guest's NIC) are diffed by diagnose itself:
# what the first saw and the second never did is what rx_dropped counts.
# shellcheck disable=SC2317 # helpers called through busywait

source "$(dirname "$0")/../lib.sh"
source "$DS_ROOT/tests/drops_lib.sh"
source "$DS_ROOT/lab/vm.sh"
require_root
require_drops_tools
require_cmd iperf3 jq

BIN=${DS_BIN:-$DS_ROOT/dropscope}
NAME=$(basename "$0" .sh)
IPERF_PORT=5201
tmpdir_create TMP

vm_lab_build 8 1000 300 120 || { log_test "$NAME: lab" 1; tests_exit; }
veth_offloads "$CLI_NS" vc0 off && veth_offloads "$HOST_NS" vh0 off ||
	{ log_test "$NAME: offloads off" 1; tests_exit; }

# first_cause OUT: "ifname reason drops" of the verdict's first cause.
first_cause() {
	jq -r '.causes[0] | "\(.ifname) \(.reason) \(.drops)"' "$1"
}

# The rr mode, for reference.
r0=$(link_stat "$HOST_NS" mvt0 rx.dropped)
ip netns exec "$CLI_NS" timeout 90 "$BIN" -j diagnose rr "$VM_IP" --port "$VM_PORT" --streams 16 \
	--duration 4 >"$TMP/rr.json" 2>"$TMP/rr.err"
rc=$?
busywait 10000 no_tcp "$CLI_NS" "$VM_NS"
r1=$(link_stat "$HOST_NS" mvt0 rx.dropped)
read -r rr_if rr_reason rr_drops <<<"$(first_cause "$TMP/rr.json")"
echo "  rr: first cause $rr_if $rr_reason $rr_drops, rx_dropped +$((r1 - r0))"
[[ $rc -eq 0 && $rr_if == mvt0 && $rr_reason == FULL_RING && $rr_drops -eq $((r1 - r0)) ]]
log_test "$NAME: rr: FULL_RING at mvt0 == rx_dropped (+$((r1 - r0)))" $? "rc=$rc $(tail -n 2 "$TMP/rr.err")"

# iperf3, watched.
bg_run "$VM_NS" ips iperf3 -s -1 -B "$VM_IP" -p $IPERF_PORT >"$TMP/iperf-s.out" 2>&1
busywait 5000 ns_listening "$VM_NS" $IPERF_PORT || log_test "$NAME: iperf3 server" 1
# Two vantage points, the client's veth and the guest's NIC: diffed by diagnose.
ip netns exec "$CLI_NS" timeout 60 "$BIN" -j -v diagnose --flows "tcp port $IPERF_PORT" -d 8 \
	--capture vc0 --capture "vm0@$VM_NS" \
	>"$TMP/fl.json" 2>"$TMP/fl.err" &
dpid=$!
busywait 10000 grep -q "ready" "$TMP/fl.err" || log_test "$NAME: --flows did not get ready" 1
r0=$(link_stat "$HOST_NS" mvt0 rx.dropped)
ip netns exec "$CLI_NS" timeout 30 iperf3 -c "$VM_IP" -p $IPERF_PORT -t 4 >"$TMP/iperf.out" 2>&1
irc=$?
busywait 10000 no_tcp "$CLI_NS" "$VM_NS"
# The whole transfer inside diagnose's window, or the counter holds drops it never saw.
alive=0
kill -0 "$dpid" 2>/dev/null && alive=1
echo "  --flows: diagnose still watching when iperf3 was done: $alive"
r1=$(link_stat "$HOST_NS" mvt0 rx.dropped)
wait "$dpid"
rc=$?
read -r fl_if fl_reason fl_drops <<<"$(first_cause "$TMP/fl.json")"
echo "  --flows: first cause $fl_if $fl_reason $fl_drops, rx_dropped +$((r1 - r0));" \
	"retrans $(jq -c .retrans "$TMP/fl.json"); slow $(jq -c .slow "$TMP/fl.json")"
# What the tracer could not deliver it says (drops.tracer_lost): the shortfall may be that, no more.
lost=$(jq '.drops.tracer_lost' "$TMP/fl.json")
echo "  --flows: tracer_lost $lost, filtered_out $(jq .drops.filtered_out "$TMP/fl.json")"
# On a loaded machine about one run in two traces 8-50 fewer of ~30,000 than rx_dropped
# (and the capture diff) count, with nothing reported lost, filtered or missed by
# recursion: the kernel fires no skb:kfree_skb for them (an independent bpftrace count
# of the tracepoint is short by as many). Allowed up to 0.5% (seen up to 0.15%), and
# printed; see the README.
short=$((r1 - r0 - fl_drops))
((short > 0)) && log_info "--flows: the tracer saw $short fewer drops than rx_dropped, $lost reported lost"
[[ $irc -eq 0 && $rc -eq 0 && $fl_if == "$rr_if" && $fl_reason == "$rr_reason" && $fl_drops -gt 0 &&
	$fl_drops -le $((r1 - r0)) && short -le $((lost + (r1 - r0) / 200)) ]]
log_test "$NAME: --flows on iperf3: the same point and reason, drops == rx_dropped (+$((r1 - r0)), short $short)" $? \
	"rc=$rc iperf3=$irc causes $(jq -c '[.causes[] | [.ifname, .reason, .site, .drops]]' "$TMP/fl.json")" \
	"diff at $(jq -c '.vantage[0].a_to_b.at' "$TMP/fl.json") $(tail -n 2 "$TMP/fl.err")"
[[ $(jq '.drops.workload' "$TMP/fl.json") -gt 0 && $(jq '.retrans.client' "$TMP/fl.json") -gt 0 &&
	$(jq '.retrans.by_cause.dropped' "$TMP/fl.json") -gt 0 ]]
log_test "$NAME: --flows on iperf3: its drops are the watched flows', and explain retransmissions" $?
echo "  --flows: vc0 -> vm0: $(jq -c '.vantage[0] | {matched, a_to_b: .a_to_b.total, traced: .a_to_b.traced,
	b_to_a: .b_to_a.total, unordered, capture_dropped}' "$TMP/fl.json")"
[[ $(jq '.vantage[0].a_to_b.total' "$TMP/fl.json") -eq $((r1 - r0)) &&
	$(jq '.vantage[0].a_to_b.traced' "$TMP/fl.json") -eq "$fl_drops" &&
	$(jq '.vantage[0].capture_dropped' "$TMP/fl.json") -eq 0 ]]
log_test "$NAME: --flows: seen at vc0, not at vm0 == rx_dropped, every traced drop among them" $?
tests_exit
