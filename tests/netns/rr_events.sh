#!/bin/bash
# rr --events against ground truth. nft on the server's input drops every
# 2000th request segment of a fixed number of transactions (so exactly 5)
# and hands each dropped packet to nflog, which tcpdump records: every such
# segment must have a "slow" event on its stream whose req_seq is the
# segment's sequence number, and every event's resp_seq must be the first
# response segment the client captured. With --events-min 0 every
# transaction is an event, checked the same way; without CAP_NET_ADMIN the
# events come without seqs and the run still succeeds.
# timeout: 180
source "$(dirname "$0")/../lib.sh"
require_root
require_cmd jq tcpdump nft setpriv

BIN=${DS_BIN:-$DS_ROOT/dropscope}
PORT=12867
EVERY=2000		# nft drops request segment number EVERY, 2*EVERY, ...
TX=10000		# transactions: TX/EVERY = 5 drops, whatever the timing
NFLOG_GROUP=7
TABLE=dsev_$$
tmpdir_create TMP

# drop_every NS: the table that drops and logs; payload segments only (as
# tests/lib.sh's loss_add counts them), the control connection excluded.
drop_every()
{
	local doff rules

	rules="table inet $TABLE {
	counter evdrops { }
	chain input {
		type filter hook input priority filter; policy accept;
		ip protocol tcp tcp dport != $PORT ip hdrlength 5 goto v4
	}
	chain v4 {"
	for ((doff = 5; doff <= 15; doff++)); do
		rules+="
		tcp doff $doff ip length > $((4 * (5 + doff))) goto pick"
	done
	rules+="
	}
	chain pick {
		numgen inc mod $EVERY == $((EVERY - 1)) log group $NFLOG_GROUP counter name evdrops drop
	}
}"
	defer ds__nft_del "$1" "$TABLE"
	ip netns exec "$1" nft -f - <<<"$rules"
}

# segs PCAP: "sport seq" (source port, absolute sequence number) per payload segment.
segs()
{
	# "IP 198.18.0.1.40544 > 198.18.0.2.37291: Flags [P.], seq 4205385799:4205385800, ..."
	tcpdump -n -S -r "$1" 2>/dev/null | awk '
		/ length [1-9]/ {
			split($3, src, ".")
			for (i = 1; i <= NF; i++)
				if ($i == "seq") {
					split($(i + 1), q, ":")
					print src[5], q[1]
				}
		}' | sort -u
}

# ev_keys FILE SPORTKEY SEQKEY: "port seq" of every slow event.
ev_keys() { jq -r "select(.type == \"slow\") | \"\(.$2) \(.$3)\"" "$1" | sort -u; }

# missing A B: lines of sorted file A that are not in sorted file B.
missing() { comm -23 "$1" "$2" | wc -l; }

lab_pair off
drop_every "$SRV_NS" || { log_test "rr events: nft table" 1; tests_exit; }
bg_run "$SRV_NS" srv "$BIN" rr --server --bind "$SRV_IP" --port $PORT
busywait 5000 ns_listening "$SRV_NS" $PORT
# nflog messages carry their own headers: more than cap_start's 128 bytes.
bg_run "$SRV_NS" capd tcpdump -n -i "nflog:$NFLOG_GROUP" -s 0 -w "$TMP/drops.pcap" \
	2>"$TMP/drops.pcap.err"
busywait 5000 grep -q "listening on" "$TMP/drops.pcap.err"
cap_start "$CLI_NS" cli0 "$TMP/cli.pcap" 8192 capc "tcp and not port $PORT"

ip netns exec "$CLI_NS" timeout 60 "$BIN" -j rr "$SRV_IP" --port $PORT --streams 4 \
	--transactions $TX --events "$TMP/ev.ndjson" >"$TMP/run.json"
rc=$?
cap_stop "$capd" "$TMP/drops.pcap" sd "$capc" "$TMP/cli.pcap" sc
caprc=$?
drops=$(ip netns exec "$SRV_NS" nft -j list counter inet "$TABLE" evdrops |
	jq -er '.nftables[] | select(.counter) | .counter.packets')
segs "$TMP/drops.pcap" >"$TMP/dropped"
segs "$TMP/cli.pcap" >"$TMP/sent"	# both directions: requests and responses
ev_keys "$TMP/ev.ndjson" sport req_seq >"$TMP/ev_req"
ev_keys "$TMP/ev.ndjson" dport resp_seq >"$TMP/ev_resp"
nslow=$(jq -s '[.[] | select(.type == "slow")] | length' "$TMP/ev.ndjson")
tail=$(json_num "$TMP/run.json" tail_ge_200ms)
echo "  transactions=$(json_num "$TMP/run.json" transactions) nft_drops=$drops" \
     "nflog=$(wc -l <"$TMP/dropped") slow_events=$nslow tail_ge_200ms=$tail" \
     "captures(captured received dropped): nflog $sd, client $sc"

[ $rc -eq 0 ] && [ "$drops" = $((TX / EVERY)) ] && [ "${sd%% *}" = "$drops" ] &&
	[ $caprc -eq 0 ]
log_test "rr events: nft dropped $((TX / EVERY)) requests, all seen by nflog ($drops)" $?
[ "$nslow" -eq "$tail" ] && [ "$nslow" -ge "$(wc -l <"$TMP/dropped")" ]
log_test "rr events: slow events $nslow == tail_ge_200ms $tail >= dropped segments" $?
m=$(missing "$TMP/dropped" "$TMP/ev_req")
[ "$m" -eq 0 ]
log_test "rr events: every dropped segment is an event's (sport, req_seq)" $? "$m missing"
m=$(missing "$TMP/ev_resp" "$TMP/sent")
[ "$m" -eq 0 ] && [ "$nslow" -gt 0 ]
log_test "rr events: every event's resp_seq is a captured response segment" $? "$m not seen"
jq -se 'map(select(.type == "slow")) | all(.latency_us >= 200000 and
	.end_ns - .start_ns == .latency_us * 1000 + (.end_ns - .start_ns) % 1000 and
	.t_ns == .end_ns and .req_len == 1 and .resp_len == 1 and .saddr == "'"$CLI_IP"'" and
	(.netns | startswith("inum:")))' "$TMP/ev.ndjson" >/dev/null &&
	[ "$(head -c 22 "$TMP/ev.ndjson")" = '{"type":"slow","t_ns":' ]
log_test "rr events: keys, \"type\" and \"t_ns\" first, latency >= 200 ms" $?

# --events-min 0: an event per transaction, each one's seqs on the wire,
# in time order per stream; multi-segment responses (3000 B).
ds__nft_del "$SRV_NS" "$TABLE"
cap_start "$CLI_NS" cli0 "$TMP/all.pcap" 8192 capa "tcp and not port $PORT"
ip netns exec "$CLI_NS" timeout 60 "$BIN" -j rr "$SRV_IP" --port $PORT --streams 2 \
	--transactions 2000 --size 100,3000 --events "$TMP/all.ndjson" --events-min 0 \
	>"$TMP/all.json"
rc=$?
cap_stop "$capa" "$TMP/all.pcap" sa
caprc=$?
segs "$TMP/all.pcap" >"$TMP/all_sent"
ev_keys "$TMP/all.ndjson" sport req_seq >"$TMP/all_req"
ev_keys "$TMP/all.ndjson" dport resp_seq >"$TMP/all_resp"
n=$(jq -s '[.[] | select(.type == "slow")] | length' "$TMP/all.ndjson")
mq=$(missing "$TMP/all_req" "$TMP/all_sent"); mr=$(missing "$TMP/all_resp" "$TMP/all_sent")
echo "  events=$n distinct req=$(wc -l <"$TMP/all_req") resp=$(wc -l <"$TMP/all_resp")" \
     "not on the wire: req $mq resp $mr; capture $sa"
[ $rc -eq 0 ] && [ $caprc -eq 0 ] && [ "$n" -eq 2000 ] && [ "$(wc -l <"$TMP/all_req")" -eq 2000 ] &&
	[ "$(wc -l <"$TMP/all_resp")" -eq 2000 ] && [ "$mq" -eq 0 ] && [ "$mr" -eq 0 ]
log_test "rr events --events-min 0: 2000 events, every req_seq/resp_seq on the wire" $?
jq -se 'group_by(.stream) | all(. as $s | [range(1; length)] |
	all($s[.].t_ns >= $s[. - 1].t_ns and
	    $s[.].req_seq == (($s[. - 1].req_seq + 100) % 4294967296) and
	    $s[.].resp_seq == (($s[. - 1].resp_seq + 3000) % 4294967296)))' \
	"$TMP/all.ndjson" >/dev/null
log_test "rr events --events-min 0: per stream in time order, seqs += 100, 3000" $?

# Without CAP_NET_ADMIN: no TCP repair, so no seq keys; -v says so once; the
# events go to stdout ("-") ahead of the JSON report.
ip netns exec "$CLI_NS" setpriv --bounding-set=-net_admin --inh-caps=-net_admin \
	timeout 30 "$BIN" -v -j rr "$SRV_IP" --port $PORT --streams 2 --transactions 500 \
	--events - --events-min 0 >"$TMP/np.out" 2>"$TMP/np.err"
rc=$?
[ $rc -eq 0 ] &&
	[ "$(jq -s '[.[] | select(.type == "slow" and has("req_seq") == false)] | length' "$TMP/np.out")" -eq 500 ] &&
	[ "$(tail -n 1 "$TMP/np.out" | jq .transactions)" -eq 500 ] &&
	[ "$(grep -c "without req_seq" "$TMP/np.err")" -eq 1 ]
log_test "rr events without CAP_NET_ADMIN: no seq keys, one -v note, exit 0" $? "rc=$rc"

# TCP repair must leave the sockets as it found them: SO_REUSEADDR, which
# --sport-base sets, survives into TIME-WAIT, so the same ports bind again
# (the client closes first, and so holds the TIME-WAIT, in about half the runs).
ok=0
for i in 1 2 3 4 5; do
	ip netns exec "$CLI_NS" timeout 30 "$BIN" rr "$SRV_IP" --port $PORT --streams 2 \
		--sport-base 42000 --transactions 100 --events /dev/null >/dev/null 2>>"$TMP/sp.err" &&
		ok=$((ok + 1))
done
[ $ok -eq 5 ]
log_test "rr events: --sport-base ports bind again after repair mode ($ok/5)" $? "$(head -n 1 "$TMP/sp.err")"

tests_exit
