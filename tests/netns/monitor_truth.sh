#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 240
#
# monitor_truth.sh - analyze --monitor against the configured bottleneck:
#   cli0 (CLI_NS) -- rtr0 [RTR_NS] rtr1 -- srv0 (SRV_NS)
# The provider is rtr1's egress toward the server:
#   policer: tbf with a tiny limit (drops, almost no queueing delay);
#   queue:   htb class with a bfifo leaf of 60 kB (a shallow queue).
# iperf3 sends 4 bulk streams client -> server (bounded in seconds) above
# the limit, which steps 40 -> 15 -> 40 Mbit/s, 4 s each. Captured on cli0:
# both directions, and with a filter the outbound direction only. Checks:
#   over_limit within 2 windows of the bulk start;
#   the limit estimate at the end of each step within 10% of the rate;
#   the path type: policer for tbf, shallow_queue for htb+bfifo (both
#   directions; outbound-only has no RTT);
#   under_limit (never over) when iperf3 sends 5 Mbit/s under a 15 Mbit/s limit;
#   with a small htb leaf on cli0 (our edge) dropping, live analyze
#   --qdisc-dev cli0 reports our_drops == that qdisc's drop counter.
#
# shellcheck disable=SC2317

# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/drops_lib.sh
source "$DS_ROOT/tests/drops_lib.sh"
require_root
require_cmd tcpdump jq iperf3 tc

BIN=${DS_BIN:-$DS_ROOT/dropscope}
PORT=5201
PATHSPEC=wan:198.18.0.0/24=198.18.1.0/24
TMP=$(mktemp -d /tmp/ds-monitor.XXXXXX)
[[ -n ${KEEP:-} ]] || defer rm -rf "$TMP"

lab_chain off || { log_test "monitor lab" 1 "lab_chain failed"; tests_exit; }
bg_run "$SRV_NS" SRV_PID iperf3 -s -p "$PORT" >/dev/null 2>&1
busywait 5000 ip netns exec "$SRV_NS" ss -ltn "sport = :$PORT" | grep -q LISTEN

# provider_set KIND RATE add|change
provider_set() {
	case $1 in
	tbf) ip netns exec "$RTR_NS" tc qdisc "$3" dev rtr1 root handle 1: tbf rate "$2" \
		burst 30000 limit 3000 ;;
	htb) if [[ $3 == add ]]; then
		ip netns exec "$RTR_NS" tc qdisc add dev rtr1 root handle 1: htb default 10 &&
			ip netns exec "$RTR_NS" tc class add dev rtr1 parent 1: classid 1:10 htb \
				rate "$2" ceil "$2" burst 4500 cburst 4500 &&
			ip netns exec "$RTR_NS" tc qdisc add dev rtr1 parent 1:10 bfifo limit 60000
	     else
		ip netns exec "$RTR_NS" tc class change dev rtr1 parent 1: classid 1:10 htb \
			rate "$2" ceil "$2" burst 4500 cburst 4500
	     fi ;;
	esac
}

qbytes() { qdisc_stat "$RTR_NS" rtr1 1: bytes; }

# run_bulk KIND NAME IPERF_ARGS...: steps 40 -> 15 -> 40 Mbit/s, 4 s each.
run_bulk() {
	local kind=$1 name=$2 p1 p2 ip
	shift 2
	provider_set "$kind" 40mbit add || return 1
	defer ip netns exec "$RTR_NS" tc qdisc del dev rtr1 root
	cap_start "$CLI_NS" cli0 "$TMP/$name.both.pcap" 16 p1 tcp port "$PORT" || return 1
	cap_start "$CLI_NS" cli0 "$TMP/$name.out.pcap" 16 p2 tcp and dst port "$PORT" || return 1
	bg_run "$CLI_NS" ip timeout 20 iperf3 -c "$SRV_IP" -p "$PORT" -P 4 -t 12 "$@" \
		>"$TMP/$name.iperf" 2>&1
	# The provider's own count (bytes it sent, headers included) at each
	# step: what the bottleneck really passed, beside what it was set to.
	b0=$(qbytes); sleep 4; b1=$(qbytes); provider_set "$kind" 15mbit change
	sleep 4; b2=$(qbytes); provider_set "$kind" 40mbit change
	# Step 3 once TCP has grown into it again (its first second is a ramp).
	sleep 1; b3=$(qbytes); sleep 2; b4=$(qbytes)
	wait "$ip"
	PASSED="$(((b1 - b0) * 2)) $(((b2 - b1) * 2)) $(((b4 - b3) * 4))"
	log_info "$name: $kind passed $PASSED bit/s in steps 1, 2, 3"
	cap_stop "$p1" "$TMP/$name.both.pcap" c1 "$p2" "$TMP/$name.out.pcap" c2
	ip netns exec "$RTR_NS" tc qdisc del dev rtr1 root
}

analyze() {	# FILE: windows NDJSON to FILE.win, summary to FILE.json
	"$BIN" -j analyze -r "$1" --no-progress --monitor --path "$PATHSPEC" \
		--windows "$1.win" >"$1.json" 2>"$1.err"
}

# check_steps NAME VIEW WANT_TYPE [R1 R2 R3]: the limit at each step within 10% of the
# configured 40, 15, 40 Mbit/s; with R1..R3 (what the bottleneck passed at each step),
# from 80% of that up to 110% of the configured rate.
check_steps() {
	local f=$TMP/$1.$2.pcap bad=0 t0 first l lo refs=("${@:4}") k=0
	analyze "$f" || { log_test "monitor $1 $2" 1 "analyze failed: $(head -1 "$f.err")"; return; }
	# bulk start: the first window that carried data
	t0=$(jq -s '[.[] | select(.offered_bps > 1000000)][0].t_s' "$f.win")
	first=$(jq -s '[.[] | select(.verdict == "over_limit")][0].t_s' "$f.win")
	awk -v a="$first" -v b="$t0" 'BEGIN { exit !(a - b <= 2.001) }' ||
		{ echo "    first over_limit at $first, bulk from $t0"; bad=$((bad + 1)); }
	# the limit at the last full window of each step (the steps are at +4 s, +8 s)
	for want in "3.0 40000000" "7.0 15000000" "11.0 40000000"; do
		read -r at r <<<"$want"
		lo=$((r * 9 / 10))
		((${#refs[@]})) && lo=$((refs[k] * 8 / 10))
		k=$((k + 1))
		l=$(jq -s --argjson at "$at" --argjson t0 "$t0" \
			'[.[] | select(.t_s >= $t0 + $at - 0.01 and .t_s < $t0 + $at + 0.99)][0].limit_bps // 0' "$f.win")
		awk -v l="$l" -v r="$r" -v lo="$lo" 'BEGIN { exit !(l >= lo && l <= 1.1 * r) }' ||
			{ echo "    $2: limit at +${at}s $l, want $lo..$((r * 11 / 10))"; bad=$((bad + 1)); }
		log_info "$1 $2: limit at +${at}s $l (configured $r, from $lo)"
	done
	l=$(jq -r '.monitor.paths[0].path_type' "$f.json")
	[[ $l == "$3" ]] || { echo "    type $l, want $3"; bad=$((bad + 1)); }
	log_test "monitor $1 $2: over_limit, limit per step +-10%, type $3" $((bad != 0)) "$bad mismatches"
}

# A policer with a small bucket is never filled by TCP: set to 40 Mbit/s it
# passed 26-35 (TCP backs off after each burst of drops while the bucket
# overflows).  The limit is checked from 80% of what it passed (its own byte
# count, headers included) up to 110% of its setting: seen at 84-99% of what
# passed (the median of the last 5 loss windows lags a step up by a window
# or two); against the setting alone it falls short (issue 11's note).
if run_bulk tbf policer; then
	read -r -a POL <<<"$PASSED"
	check_steps policer both policer "${POL[@]}"
	check_steps policer out unknown "${POL[@]}"
else
	log_test "monitor policer" 1 "lab run failed"
fi
if run_bulk htb queue; then
	check_steps queue both shallow_queue
	check_steps queue out unknown
else
	log_test "monitor queue" 1 "lab run failed"
fi

# Under the limit: 5 Mbit/s in all under a 15 Mbit/s queue (a tbf this
# small polices iperf3's paced bursts too: that is loss, rightly over_limit).
provider_set htb 15mbit add
cap_start "$CLI_NS" cli0 "$TMP/under.pcap" 16 p1 tcp port "$PORT"
r0=$(ip netns exec "$CLI_NS" nstat -az TcpRetransSegs | awk '/TcpRetransSegs/ { print $2 }')
ip netns exec "$CLI_NS" timeout 15 iperf3 -c "$SRV_IP" -p "$PORT" -P 1 --fq-rate 5M -t 5 >/dev/null 2>&1
r1=$(ip netns exec "$CLI_NS" nstat -az TcpRetransSegs | awk '/TcpRetransSegs/ { print $2 }')
log_info "under: the client kernel retransmitted $((r1 - r0)) segments"
cap_stop "$p1" "$TMP/under.pcap" c1
ip netns exec "$RTR_NS" tc qdisc del dev rtr1 root
analyze "$TMP/under.pcap"
n=$(jq '.monitor.paths[0].verdicts.over_limit' "$TMP/under.pcap.json")
u=$(jq '.monitor.paths[0].verdicts.under_limit' "$TMP/under.pcap.json")
log_test "monitor under_limit at 5 of 15 Mbit/s" $((n != 0 || u < 4)) "over $n under $u"

# Our edge drops: a 10 Mbit/s htb leaf with a 15 kB bfifo on cli0.
ip netns exec "$CLI_NS" tc qdisc add dev cli0 root handle 1: htb default 10 &&
	ip netns exec "$CLI_NS" tc class add dev cli0 parent 1: classid 1:10 htb rate 10mbit ceil 10mbit &&
	ip netns exec "$CLI_NS" tc qdisc add dev cli0 parent 1:10 bfifo limit 15000
defer ip netns exec "$CLI_NS" tc qdisc del dev cli0 root
qdrops() { qdisc_stat "$CLI_NS" cli0 1: drops; }
d0=$(qdrops)
bg_run "$CLI_NS" A_PID "$BIN" -j analyze -i cli0 --no-progress --duration 8 --monitor \
	--path "$PATHSPEC" --qdisc-dev cli0 tcp port "$PORT" >"$TMP/ours.json" 2>"$TMP/ours.err"
sleep 1.5
ip netns exec "$CLI_NS" timeout 15 iperf3 -c "$SRV_IP" -p "$PORT" -P 4 -t 4 >/dev/null 2>&1
wait "$A_PID"
d1=$(qdrops)
ours=$(jq '.monitor.paths[0].our_drops' "$TMP/ours.json")
owner=$(jq -r '.monitor.paths[0].loss_owner' "$TMP/ours.json")
down=$(jq '.monitor.paths[0].down_rtx_segs' "$TMP/ours.json")
log_info "our qdisc dropped $((d1 - d0)); monitor our_drops $ours, downstream $down, owner $owner"
log_test "monitor our edge drops == cli0 qdisc drops, owner ours" \
	$((d1 - d0 == 0 || ours != d1 - d0 || down != 0)) "qdisc $((d1 - d0)) ours $ours down $down $owner"
tests_exit
