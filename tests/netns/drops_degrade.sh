#!/bin/bash
# dropscope drops without some of its probes, and its privileges:
#  - --no-probe kfree_skb: no drop events, the probe reported "disabled",
#    counters (TcpRetransSegs) and retransmit tracing still exact;
#  - --no-probe tcp_retransmit_skb: no flows, drops still traced exactly;
#  - after attaching, the running process holds no capability at all.
# The tracer is the ASan/UBSan build when there is one.
# timeout: 120
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../drops_lib.sh"
require_root
require_drops_tools

BIN=${DS_BIN:-$DS_ROOT/dropscope}
# The tracer itself runs sanitized here when that build exists (drops_start uses DROPS_BIN).
[[ -x $DS_ROOT/.output/asan/dropscope ]] && DROPS_BIN=$DS_ROOT/.output/asan/dropscope
PORT=12867
tmpdir_create TMP

lab_pair off || exit 1
loss_add "$SRV_NS" 20 "tcp dport != $PORT" || exit 1

# traffic: one short rr session; sets RETRANS (both namespaces' TcpRetransSegs delta).
traffic() {
	local srv c0 s0 c1 s1

	bg_run "$SRV_NS" srv "$BIN" rr --server --once --bind "$SRV_IP" --port $PORT
	busywait 5000 ns_listening "$SRV_NS" $PORT || return 1
	c0=$(snmp_get "$CLI_NS" TcpRetransSegs) && s0=$(snmp_get "$SRV_NS" TcpRetransSegs) || return 1
	ip netns exec "$CLI_NS" timeout 60 "$BIN" -q rr "$SRV_IP" --port $PORT --streams 4 \
		--duration 2 >/dev/null || return 1
	busywait 5000 sh -c "! kill -0 $srv 2>/dev/null"
	# A closed socket with data unacknowledged goes on retransmitting without its
	# process: the counters are final only once no connection is left.
	busywait 20000 no_tcp "$CLI_NS" "$SRV_NS" || echo "  connections still open" >&2
	c1=$(snmp_get "$CLI_NS" TcpRetransSegs) && s1=$(snmp_get "$SRV_NS" TcpRetransSegs) || return 1
	RETRANS=$((c1 - c0 + s1 - s0))
}

# sum FILE JQ: a number from the report, over both test namespaces.
sum() {
	jq -r --arg c "$CLI_NS" --arg s "$SRV_NS" "$2" "$1"
}
NS_TCP='[.namespaces[] | select(.netns == $c or .netns == $s) | .tcp.retrans_segs] | add'
NS_FLOWS='[.tcp.flows[] | select(.netns == $c or .netns == $s) | .segs] | add // 0'
NS_NFT='[.devices[] | select(.netns == $c or .netns == $s) | .events.NETFILTER_DROP // 0] | add // 0'

out=$TMP/nokfree.json
n0=$(loss_count "$SRV_NS")
if drops_start "$out" --no-probe kfree_skb && traffic && drops_stop; then
	echo "  TcpRetransSegs $RETRANS, report $(sum "$out" "$NS_TCP"), flows $(sum "$out" "$NS_FLOWS"), tracer_lost $(jq .tracer_lost "$out")"
	[[ $(jq -r '.tracing.probes["skb:kfree_skb"]' "$out") == disabled &&
		$(jq -r '.tracing.probes["tcp:tcp_retransmit_skb"]' "$out") == on ]]
	log_test "drops --no-probe kfree_skb: reported as disabled" $?
	[[ $(jq -r '.reasons | length' "$out") -eq 0 && $(loss_count "$SRV_NS") -gt $n0 ]]
	log_test "drops --no-probe kfree_skb: no drop events although nft dropped" $?
	[[ $(sum "$out" "$NS_TCP") -eq $RETRANS && $(sum "$out" "$NS_FLOWS") -eq $RETRANS ]]
	log_test "drops --no-probe kfree_skb: counters and flows still exact" $?
else
	log_test "drops --no-probe kfree_skb: run" 1
fi

out=$TMP/nortx.json
n0=$(loss_count "$SRV_NS")
if drops_start "$out" --no-probe tcp_retransmit_skb && traffic && drops_stop; then
	n1=$(loss_count "$SRV_NS")
	echo "  nft $((n1 - n0)), NETFILTER_DROP $(sum "$out" "$NS_NFT"), flows $(jq '.tcp.flows | length' "$out")"
	[[ $(jq -r '.tracing.probes["tcp:tcp_retransmit_skb"]' "$out") == disabled &&
		$(jq -r '[.tcp.flows[] | select(.netns == "'"$CLI_NS"'" or .netns == "'"$SRV_NS"'") | select(.rto + .fast + .probe + .other > 0)] | length' "$out") -eq 0 ]]
	log_test "drops --no-probe tcp_retransmit_skb: disabled, no data retransmits traced" $?
	[[ $(sum "$out" "$NS_NFT") -eq $((n1 - n0)) && $(sum "$out" "$NS_TCP") -eq $RETRANS ]]
	log_test "drops --no-probe tcp_retransmit_skb: drops and counters still exact" $?
else
	log_test "drops --no-probe tcp_retransmit_skb: run" 1
fi

out=$TMP/caps.json
if drops_start "$out"; then
	cap=$(awk '/^CapEff:/ { print $2 }' "/proc/$DROPS_PID/status")
	prm=$(awk '/^CapPrm:/ { print $2 }' "/proc/$DROPS_PID/status")
	traffic && drops_stop
	rc=$?
	echo "  CapEff $cap CapPrm $prm while running; TcpRetransSegs $RETRANS," \
		"report $(sum "$out" "$NS_TCP"), flows $(sum "$out" "$NS_FLOWS"), tracer_lost $(jq .tracer_lost "$out"), exit $rc"
	[[ $cap == 0000000000000000 && $prm == 0000000000000000 ]]
	log_test "drops: no capability left after attaching" $?
	[[ $rc -eq 0 && $(sum "$out" "$NS_TCP") -eq $RETRANS && $(sum "$out" "$NS_FLOWS") -eq $RETRANS ]]
	log_test "drops: still samples every namespace exactly without them" $?
else
	log_test "drops: privileges run" 1
fi

tests_exit
