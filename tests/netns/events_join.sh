#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 180
#
# events_join.sh - the three engines' events join by flow and sequence
# number, on one clock.  rr runs 4 streams, a fixed 10000 transactions,
# from CLI_NS to SRV_NS; nft on the server's input drops every 2000th
# request segment (loss_add 1/2000: 5 drops whatever the timing; its
# counter is the truth).  At the same time `drops --events` traces the
# kernel, `analyze -i cli0 --events` captures on the client's veth
# (upstream of the drop) and `rr --events` writes its slow transactions.
# Then:
#   - drops: as many NETFILTER_DROP "drop" events in SRV_NS as nft counted,
#     each with its flow and seq;
#   - each of those (flow, seq) is a kernel "retrans" event in CLI_NS after
#     the drop, and a capture "retrans" event of analyze, within 50 ms of
#     the kernel's on the shared clock (t_ns: CLOCK_MONOTONIC);
#   - each dropped segment's stream has an rr "slow" event of the same flow
#     whose req_seq is the segment's seq and whose [start_ns, end_ns] holds
#     the drop's t_ns.
# shellcheck disable=SC2317 # helpers called through busywait

# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/drops_lib.sh
source "$(dirname "$0")/../drops_lib.sh"
require_root
require_cmd jq nft

BIN=${DS_BIN:-$DS_ROOT/dropscope}
NAME=$(basename "$0" .sh)
PORT=12867
EVERY=2000 TX=10000
tmpdir_create TMP

# joined: one line per NETFILTER_DROP in SRV_NS: "seq kernel_ok capture_ok slow_ok".
joined() {
	jq -rn --arg s "$SRV_NS" --arg c "$CLI_NS" \
		--slurpfile dr "$TMP/drops.ndjson" --slurpfile an "$TMP/analyze.ndjson" \
		--slurpfile rr "$TMP/rr.ndjson" '
		def same($a; $b): $a.saddr == $b.saddr and $a.sport == $b.sport and
			$a.daddr == $b.daddr and $a.dport == $b.dport;
		[$dr[] | select(.type == "retrans" and .source == "kernel" and .netns == $c)] as $k |
		[$an[] | select(.type == "retrans")] as $a |
		[$rr[] | select(.type == "slow")] as $r |
		$dr[] | select(.type == "drop" and .netns == $s and .reason == "NETFILTER_DROP") |
		. as $d |
		([$k[] | select(same(.; $d) and .seq == $d.seq and .t_ns > $d.t_ns)] | first) as $kr |
		([$a[] | select(same(.; $d) and .seq == $d.seq and $kr != null and
			((.t_ns - $kr.t_ns) | fabs) < 50000000)] | length > 0) as $ac |
		([$r[] | select(same(.; $d) and .req_seq == $d.seq and
			.start_ns <= $d.t_ns and $d.t_ns <= .end_ns)] | length > 0) as $sl |
		"\($d.seq) \($kr != null) \($ac) \($sl)"'
}

run() {
	local srv an nft

	lab_pair off || return 1
	loss_add "$SRV_NS" 1/$EVERY "tcp dport != $PORT" || return 1
	bg_run "$SRV_NS" srv "$BIN" rr --server --once --bind "$SRV_IP" --port $PORT
	busywait 5000 ns_listening "$SRV_NS" $PORT || return 1
	drops_start "$TMP/drops.json" --events "$TMP/drops.ndjson" || return 1
	bg_run "$CLI_NS" an timeout 120 "$BIN" analyze -i cli0 --no-progress \
		--events "$TMP/analyze.ndjson" tcp >"$TMP/analyze.txt" 2>"$TMP/analyze.err"
	busywait 5000 filtered_captures "$CLI_NS" cli0 1 || return 1
	ip netns exec "$CLI_NS" timeout 120 "$BIN" -j rr "$SRV_IP" --port $PORT --streams 4 \
		--transactions $TX --events "$TMP/rr.ndjson" >"$TMP/rr.json" 2>"$TMP/rr.err" || return 1
	busywait 5000 sh -c "! kill -0 $srv 2>/dev/null"
	busywait 20000 no_tcp "$CLI_NS" "$SRV_NS" || echo "  connections still open" >&2
	kill -INT "$an"
	wait "$an" || return 1
	drops_stop || return 1
	nft=$(loss_count "$SRV_NS")
	echo "NFT=$nft" >"$TMP/vars"
}

if ! run; then
	log_test "$NAME: the lab ran" 1 "$(cat "$TMP"/*.err 2>/dev/null | head -n 5)"
	tests_exit
fi
# shellcheck disable=SC1091 # written by run
source "$TMP/vars"
joined >"$TMP/joined"
n=$(wc -l <"$TMP/joined")
echo "  nft dropped $NFT request segments; drop events: $n;" \
	"kernel retrans events $(jq -s --arg c "$CLI_NS" '[.[] | select(.type == "retrans" and .netns == $c)] | length' "$TMP/drops.ndjson")," \
	"capture retrans events $(grep -c '"type":"retrans"' "$TMP/analyze.ndjson")," \
	"slow transactions $(grep -c '"type":"slow"' "$TMP/rr.ndjson")"
sed 's/^/  drop seq /' "$TMP/joined"
((NFT == TX / EVERY))
log_test "$NAME: nft dropped $((TX / EVERY)) request segments ($NFT)" $?
((n == NFT))
log_test "$NAME: drops lists one NETFILTER_DROP per nft drop ($n == $NFT)" $?
((n > 0)) && ! awk '$2 != "true" { bad = 1 } END { exit !bad }' "$TMP/joined"
log_test "$NAME: each drop's (flow, seq) is a later kernel retransmission" $?
((n > 0)) && ! awk '$3 != "true" { bad = 1 } END { exit !bad }' "$TMP/joined"
log_test "$NAME: each is a capture retransmission of analyze, within 50 ms of the kernel's" $?
((n > 0)) && ! awk '$4 != "true" { bad = 1 } END { exit !bad }' "$TMP/joined"
log_test "$NAME: each is the request of a slow rr transaction that spans the drop" $?
tests_exit
