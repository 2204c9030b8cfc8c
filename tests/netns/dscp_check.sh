#!/bin/bash
# `analyze --far` on the WAN lab: DC1 marks interactive 198.18.10.0/24 AF41
# (34) and replication 198.18.11.0/24 CS1 (8) (lab/wan.sh's nft rules); the
# edge's monitor port is the near capture, DC2's wan0 the far one.  A short
# run with the provider bleaching (wanemu -D bleach=0) must report 34 and 8
# as sent at near bleached to 0, one honouring DSCP (-D honour) unchanged.
# Truth for the counts: each class's matched packets are the far capture's
# packets from its subnet (tcpdump) and wanemu's delivered_pkts of that
# ingress DSCP; its unmatched ones at near are wanemu's drops of it.  Also
# `analyze --inventory` on the near capture: each class's packets are
# tcpdump's count of its DSCP there.
# timeout: 90
source "$(dirname "$0")/../lib.sh"
require_root
require_cmd iperf3 jq tcpdump
tmpdir_create D

# count PCAP FILTER: packets tcpdump reads from PCAP that pass FILTER.
count() {
	tcpdump -n -r "$1" "$2" 2>/dev/null | wc -l
}

# truth RUN DSCP KEY: KEY of wanemu's last summary for DSCP, in the DC1 > DC2 direction.
truth() {
	jq -s -r --argjson d "$2" --arg k "$3" '[.[] | select(.type == "summary" and .from == "pa")] |
		last | [.classes[] | select(.dscp == $d)][0][$k] // 0' "$D/$1/wanemu.ndjson"
}

# check RUN MODE VERDICT TO: one lab run and its checks.
check() {
	local run=$1 mode=$2 verdict=$3 to=$4 rc dscp net far deliv drops got name

	"$DS_ROOT/lab/wan.sh" -d 5 -b 2 -P 2 -n 2 -c -f -D "$mode" -o "$D/$run" \
		>"$D/$run.out" 2>"$D/$run.err"
	rc=$?
	log_test "dscp_check $run: lab/wan.sh -D $mode runs (rc $rc)" "$rc"
	((rc == 0)) || { sed 's/^/# /' "$D/$run.err" | tail -5; return; }
	"$DS_BIN" -j analyze -r "$D/$run/mon0.pcap" --no-progress --inventory \
		--far "$D/$run/far.pcap" >"$D/$run.json" 2>"$D/$run.aerr"
	log_test "dscp_check $run: analyze --inventory --far (exit 0)" $? "$(head -1 "$D/$run.aerr")"
	if grep -q "lost packets" "$D/$run.err"; then
		log_test "dscp_check $run: counts" 4 "a capture lost packets: $(grep 'lost packets' "$D/$run.err" | head -1)"
		return
	fi
	for dscp in 34 8; do
		[[ $dscp == 34 ]] && net=198.18.10.0/24 || net=198.18.11.0/24
		[[ $4 == same ]] && to=$dscp
		far=$(count "$D/$run/far.pcap" "tcp and src net $net")
		deliv=$(truth "$run" "$dscp" delivered_pkts)
		drops=$(($(truth "$run" "$dscp" in_pkts) - deliv))
		got=$(jq -r --argjson d "$dscp" '.dscp_check as $c | [$c.near_to_far[] | select(.sent_dscp == $d)][0] |
			"\(.verdict) \(.arrived_dscp) \(.matched) \($c.near_unmatched_by_dscp[$d | tostring] // 0)"' \
			"$D/$run.json")
		name="dscp_check $run: $dscp sent, $got (verdict to matched unmatched)"
		[[ $got == "$verdict $to $far $drops" && $far -eq $deliv && $far -gt 0 ]]
		log_test "$name" $? "want $verdict ${to} $far $drops, wanemu delivered $deliv"
		# The inventory at near: the class's packets, as tcpdump counts that DSCP.
		got=$(jq -r --argjson d "$dscp" '[.inventory.by_dscp[] | select(.dscp == $d)][0].packets // 0' "$D/$run.json")
		far=$(count "$D/$run/mon0.pcap" "tcp and (ip[1] & 0xfc) == $((dscp << 2))")
		[[ $got -eq $far && $got -gt 0 ]]
		log_test "dscp_check $run: inventory: dscp $dscp $got packets at near (tcpdump $far)" $?
	done
}

check bleach bleach=0 bleached 0
check honour honour unchanged same
tests_exit
