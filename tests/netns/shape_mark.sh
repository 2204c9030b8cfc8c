#!/bin/bash
# shape_mark.sh - the shaper's DSCP marking (src/shape/mark.c, through
# tests/tools/shapemark) on A's side of a veth A - B.  A sends bounded UDP
# bursts from two source addresses; B captures what arrives.  Truth: the
# DS field of each packet in B's capture, and the counter of each of our
# rules (nft -j), which must equal the packets of its class in the capture.
#
# 1. voice (src 198.18.2.0/24, dport 5000-5010, set 46) and bulk (dport
#    6000, no set: accept only): voice's packets arrive as 46, the same
#    port from another source and bulk's arrive unchanged (0).
# 2. applied again with voice at 34 and a default class rest (set 8): the
#    table replaced (its counters from 0), voice 34, bulk still 0 though
#    rest marks all the rest, IPv4 and IPv6, 8.
# 3. removed: the table is gone, voice's packets arrive unchanged.
# timeout: 60
source "$(dirname "$0")/../lib.sh"
require_root
require_cmd nft tcpdump jq

TOOL=$DS_ROOT/.output/tools/shapemark
SEND=$DS_ROOT/.output/tools/udpsend
for t in "$TOOL" "$SEND"; do
	[[ -x $t ]] || { log_test "shape_mark: tools" 4 "$t not built (make tools)"; exit 4; }
done
N=20	# datagrams per burst
TABLE=dropscope_shape_a0
tmpdir_create D

ns_create A && ns_create B || exit 1
veth_pair "$A" a0 "$B" b0 || exit 1
MAC_A=$(ip -n "$A" -br link show dev a0 | awk '{ print $3 }')
MAC_B=$(ip -n "$B" -br link show dev b0 | awk '{ print $3 }')
addr_add "$A" a0 198.18.0.1/24 && addr_add "$A" a0 198.18.2.1/24 &&
	addr_add "$B" b0 198.18.0.2/24 && addr_add "$B" b0 198.18.4.2/24 &&
	addr_add "$A" a0 2001:2::1/64 && addr_add "$B" b0 2001:2::2/64 || exit 1
# To 198.18.4.2 A sends from 198.18.2.1 (voice's subnet), to 198.18.0.2 from 198.18.0.1.
ip -n "$A" route add 198.18.4.0/24 dev a0 src 198.18.2.1 &&
	ip -n "$B" route add 198.18.2.0/24 dev b0 &&
	ip -n "$A" -6 neigh replace 2001:2::2 lladdr "$MAC_B" dev a0 nud permanent || exit 1
# A's IPv6 says only the test's datagrams: its MLD reports, solicitations
# and DAD (sent at random times after an address comes, racing the
# capture's stop) end in its output hook, before our postrouting chain;
# the neighbour above is permanent, so nothing needs them.
ns_exec "$A" nft -f - <<<'table inet quiet { chain out { type filter hook output priority 0;
	meta nfproto ipv6 meta l4proto != udp drop; }; }' || exit 1
# B takes the datagrams without a socket and without an ICMP error back
# (tcpdump sees them before the input hook).
ns_exec "$B" nft -f - <<<'table inet sink { chain in { type filter hook input priority 0;
	udp dport { 5001, 6000, 7000 } drop; }; }' || exit 1

# send DEST PORT [-6]: one burst of N datagrams from A; fails unless all N went.
send() {
	local out

	out=$(ns_exec "$A" "$SEND" ${3:+"$3"} -c "$N" -r 2000 -t 5 "$1" "$2") || return 1
	[[ $out == "sent $N "* ]]
}

# count FILTER: packets of the current capture that pass FILTER.
count() {
	tcpdump -n -r "$CAP" "$1" 2>/dev/null | wc -l
}

# rule_pkts NAME [ipv4|ipv6]: the counter of our rule commented NAME (of that
# family's guard when the class has one rule per family).
rule_pkts() {
	ns_exec "$A" nft -j list table inet "$TABLE" | jq -r --arg c "$1" --arg f "${2:-}" '
		[.nftables[] | select(.rule.comment == $c) | .rule.expr |
		 select($f == "" or any(.[]; .match.left.meta.key == "nfproto" and .match.right == $f)) |
		 .[] | select(.counter) | .counter.packets] | add // "none"'
}

# check NAME FILTER WANT_DSCP: all N packets of FILTER arrived, each with WANT_DSCP.
check() {
	local name=$1 filt=$2 want=$3 all got

	all=$(count "$filt")
	if [[ $filt == *ip6* ]]; then
		got=$(count "($filt) and (ip6[0:2] & 0x0fc0) == $((want << 6))")
	else
		got=$(count "($filt) and (ip[1] & 0xfc) == $((want << 2))")
	fi
	((all == N && got == N))
	log_test "shape_mark: $name: $got of $all with DSCP $want" $? "want $N of $N"
}

# phase LABEL CLASS...: start B's capture, apply CLASS... on a0 (none: remove).
phase() {
	local label=$1 rc what=apply

	shift
	(($#)) || what=remove
	CAP=$D/$label.pcap
	# What A sends: not B's own chatter, which may come in as tcpdump
	# stops (received, not captured).
	cap_start "$B" b0 "$CAP" 1024 CAP_PID "udp or (ether src $MAC_A and ip6)" || exit 1
	if (($#)); then
		ns_exec "$A" "$TOOL" apply a0 "$@" 2>"$D/$label.err"
	else
		ns_exec "$A" "$TOOL" remove a0 2>"$D/$label.err"
	fi
	rc=$?
	log_test "shape_mark: $label: shapemark $what (exit 0)" "$rc" \
		"$(head -1 "$D/$label.err")"
	((rc == 0)) || exit 1
}

# stop: end the capture; a capture that lost packets is a failure.
stop() {
	local stats

	cap_stop "$CAP_PID" "$CAP" stats
	log_test "shape_mark: capture lost nothing ($stats)" $?
}

phase mark voice:src=198.18.2.0/24,dport=5000-5010,set=46 bulk:dport=6000
send 198.18.4.2 5001 && send 198.18.0.2 5001 && send 198.18.4.2 6000
log_test "shape_mark: mark: bursts sent" $?
stop
check "mark: voice (198.18.2.1 > :5001)" "udp and src 198.18.2.1 and dst port 5001" 46
check "mark: same port from 198.18.0.1, unchanged" "udp and src 198.18.0.1 and dst port 5001" 0
check "mark: bulk (:6000, accept only), unchanged" "udp and dst port 6000" 0
v=$(rule_pkts voice) b=$(rule_pkts bulk)
[[ $v == "$N" && $b == "$N" ]]
log_test "shape_mark: mark: counters voice $v bulk $b" $? "want $N $N"

phase remark voice:src=198.18.2.0/24,dport=5000-5010,set=34 bulk:dport=6000 rest:set=8,default
n=$(ns_exec "$A" nft -j list table inet "$TABLE" | jq '[.nftables[] | select(.rule)] | length')
[[ $n == 4 ]]
log_test "shape_mark: remark: the table replaced, 4 rules" $? "$n rules"
send 198.18.4.2 5001 && send 198.18.4.2 6000 && send 198.18.0.2 7000 &&
	send 2001:2::2 7000 -6 && send 2001:2::2 5001 -6
log_test "shape_mark: remark: bursts sent" $?
stop
check "remark: voice at 34" "udp and src 198.18.2.1 and dst port 5001" 34
check "remark: bulk still unchanged" "udp and dst port 6000" 0
check "remark: rest, IPv4" "udp and dst 198.18.0.2 and dst port 7000" 8
check "remark: rest, IPv6" "ip6 and udp and dst port 7000" 8
check "remark: voice's port over IPv6 (its src is v4): rest" "ip6 and udp and dst port 5001" 8
v=$(rule_pkts voice) b=$(rule_pkts bulk) r4=$(rule_pkts rest ipv4) r6=$(rule_pkts rest ipv6)
# rest's IPv6 rule: all A's IPv6 frames at B, the 2 bursts, each marked.
all6=$(count "ether src $MAC_A and ip6") m6=$(count "ether src $MAC_A and ip6 and (ip6[0:2] & 0x0fc0) == $((8 << 6))")
[[ $v == "$N" && $b == "$N" && $r4 == "$N" && $r6 == "$all6" && $m6 == "$all6" ]] && ((all6 == 2 * N))
log_test "shape_mark: remark: counters voice $v bulk $b rest $r4 + $r6" $? \
	"want $N $N $N + $all6 (A's IPv6 frames at B, $m6 of them marked 8)"

phase unmark
ns_exec "$A" nft list table inet "$TABLE" >/dev/null 2>&1
log_test "shape_mark: unmark: table gone" $((! $?))
send 198.18.4.2 5001
log_test "shape_mark: unmark: burst sent" $?
stop
check "unmark: voice unchanged" "udp and src 198.18.2.1 and dst port 5001" 0
ns_exec "$A" "$TOOL" remove a0
log_test "shape_mark: remove again: absent is success" $?
tests_exit
