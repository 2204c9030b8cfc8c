#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 600
#
# diagnose_truth.sh - `dropscope diagnose rr` against a truth it did not make:
# captures on both sides of each drop point, diffed packet by packet and read
# by tshark (tests/diagnose_lib.sh), the device's or qdisc's own counter and
# nft's.  In each case the verdict's drops at the point equal the counter and
# the truth, class by class (request, retransmission, ack, dsack, fin ...);
# its slow transactions equal the truth's tails, split the same way (request
# dropped, re-dropped, response dropped, no drop), none unexplained.
#
#   vm     client -> macvtap (ring 8) -> a backend that stalls: FULL_RING
#   nft    an nft rule at the server's input drops 2%: NETFILTER_DROP
#   htb    a router's HTB leaf with a 600-byte bfifo overflows: QDISC_DROP
#   two    both of the last two at once, split between the two points
#   clean  nothing dropped: the verdict finds no loss
#   delay  the backend stalls, its ring is big enough: tails, no drop, delay
# shellcheck disable=SC2317 # helpers called through busywait

source "$(dirname "$0")/../lib.sh"
source "$DS_ROOT/tests/drops_lib.sh"
source "$DS_ROOT/tests/diagnose_lib.sh"
source "$DS_ROOT/lab/vm.sh"
require_root
require_drops_tools
require_truth_tools

BIN=${DS_BIN:-$DS_ROOT/dropscope}
NAME=$(basename "$0" .sh)
PORT=12867
SECS=${DIAG_SECS:-4}
STREAMS=16
NFLOG_GROUP=7
tmpdir_create TMP

DIAG_PRE=()	# diagnose's own options, before "rr"

# diag NS OUT SERVER [RR_ARG...]: diagnose -j [DIAG_PRE] rr in NS into OUT, 16 streams, SECS s; waits for the connections to close.
diag() {
	local ns=$1 out=$2 srv=$3 rc=0

	shift 3
	ip netns exec "$ns" timeout $((SECS + 90)) "$BIN" -j diagnose "${DIAG_PRE[@]}" rr "$srv" --port $PORT \
		--streams $STREAMS --duration "$SECS" "$@" >"$out" 2>"$out.err" || rc=$?
	((rc == 0)) || echo "  diagnose exited $rc: $(tail -n 3 "$out.err")" >&2
	return "$rc"
}

# point OUT IF REASON: the cause at IF with REASON, as compact JSON ({} when there is none).
point() {
	jq -c --arg i "$2" --arg r "$3" '[.causes[] | select(.ifname == $i and .reason == $r)] | .[0] // {}' "$1"
}

# check_point CASE OUT IF REASON WHERE COUNTER: the cause at IF: drops == COUNTER == truth WHERE, class by class.
check_point() {
	local case=$1 out=$2 ifname=$3 reason=$4 where=$5 counter=$6 p cls v t bad=""

	p=$(point "$out" "$ifname" "$reason")
	v=$(jq -r '.drops // 0' <<<"$p")
	t=$(truth_get ".$where.total")
	echo "  $case: $reason at $ifname: verdict $v, counter $counter, truth $t;" \
		"by payload $(jq -c '.by_payload' <<<"$p") truth $(truth_get ".$where")"
	[[ $v -eq $counter && $v -eq $t && $t -gt 0 ]]
	log_test "$NAME: $case: $reason drops at $ifname == counter == truth ($t)" $?
	for cls in request response retransmission ack dsack fin syn other; do
		[[ $(jq -r ".by_payload.$cls // 0" <<<"$p") -eq $(truth_get ".$where.$cls") ]] || bad+=" $cls"
	done
	[[ -z $bad ]]
	log_test "$NAME: $case: drops at $ifname match the truth class by class" $? "differ:$bad"
}

# check_slow CASE OUT: slow transactions == the truth's tails, cause by cause; none unexplained.
check_slow() {
	local case=$1 out=$2 s

	s=$(jq -c '.slow' "$out")
	echo "  $case: slow $s; truth tails $(truth_get .tails)"
	[[ $(jq -r .count <<<"$s") -eq $(truth_get .tails.count) &&
		$(jq -r .unexplained <<<"$s") -eq 0 ]]
	log_test "$NAME: $case: slow transactions == the truth's tails ($(truth_get .tails.count)), none unexplained" $?
	[[ $(jq -r .by_cause.request_dropped <<<"$s") -eq $(truth_get .tails.request_dropped) &&
		$(jq -r .by_cause.request_redropped <<<"$s") -eq $(truth_get .tails.request_redropped) &&
		$(jq -r .by_cause.response_dropped <<<"$s") -eq $(truth_get .tails.response_dropped) &&
		$(jq -r '.by_cause.delay + .by_cause.no_drop' <<<"$s") -eq $(truth_get .tails.no_drop) ]]
	log_test "$NAME: $case: slow.explained by cause == the truth's" $?
}

# vm_case CASE QLEN STALL: the vm lab; C on vh0 (the macvtap's lower), S on the guest's vm0.
vm_case() {
	local case=$1 qlen=$2 stall=$3 out=$TMP/$1.json r0 r1 v

	vm_lab_build "$qlen" 1000 "$stall" $((SECS + 90)) || return 1
	truth_start "$HOST_NS" vh0 "$VM_NS" vm0 || return 1
	r0=$(link_stat "$HOST_NS" mvt0 rx.dropped) || return 1
	# vm: a second vantage point, the guest's NIC, diffed against the client's by diagnose.
	[[ $case == vm ]] && DIAG_PRE=(--capture "vm0@$VM_NS")
	diag "$CLI_NS" "$out" "$VM_IP" || return 1
	busywait 10000 no_tcp "$CLI_NS" "$VM_NS" || echo "  connections still open" >&2
	r1=$(link_stat "$HOST_NS" mvt0 rx.dropped) || return 1
	truth_stop "$VM_IP" "$PORT" "$(jq -r .slow.threshold_ms "$out")" || return 1
	if [[ $case == vm ]]; then
		check_point "$case" "$out" mvt0 FULL_RING cs_gap $((r1 - r0))
		check_slow "$case" "$out"
		[[ $(jq -r .slow.count "$out") -gt 0 && $(jq -r '.causes[0].ifname' "$out") == mvt0 ]]
		log_test "$NAME: $case: the first cause is the macvtap, with slow transactions" $?
		v=$(jq -c '.vantage[0] | {matched, a_to_b: (.a_to_b | del(.at)), b_to_a: .b_to_a.total,
			at: [.a_to_b.at[] | [.ifname, .reason, .drops]], capture_dropped}' "$out")
		echo "  $case: multi-vantage vc0 -> vm0: $v; truth gaps $(truth_get '[.cs_gap.total, .sc_gap.total]')"
		[[ $(jq -r '.vantage[0].a_to_b.total' "$out") -eq $(truth_get .cs_gap.total) &&
			$(jq -r '.vantage[0].b_to_a.total' "$out") -eq $(truth_get .sc_gap.total) &&
			$(jq -r '.vantage[0].a_to_b.traced' "$out") -eq $(truth_get .cs_gap.total) &&
			$(jq -r '[.vantage[0].a_to_b.at[] | select(.ifname == "mvt0") | .drops] | add' "$out") -eq $((r1 - r0)) ]]
		log_test "$NAME: $case: seen at vc0, not at vm0 == the truth's gap, all traced at mvt0" $?
		# The truth calls the rr control connection's packets "other"; diagnose does not know it.
		[[ $(jq -r '.vantage[0].a_to_b | "\(.data) \(.retransmission) \(.ack) \(.fin + .syn + .other)"' "$out") == \
			"$(truth_get '.cs_gap | "\(.request + .response) \(.retransmission) \(.ack + .dsack) \(.fin + .syn + .other)"')" ]]
		log_test "$NAME: $case: and class by class (data, retransmission, ack, the rest)" $? \
			"truth $(truth_get .cs_gap)"
	else
		echo "  $case: rx_dropped +$((r1 - r0)), truth $(truth_get '[.cs_gap.total, .sc_gap.total]')," \
			"delay_only $(jq -r .delay_only "$out"), causes $(jq -c '[.causes[] | [.ifname, .reason, .drops]]' "$out")"
		[[ $((r1 - r0)) -eq 0 && $(truth_get '.cs_gap.total + .sc_gap.total') -eq 0 &&
			$(jq '[.causes[] | select(.workload_drops > 0)] | length' "$out") -eq 0 ]]
		log_test "$NAME: $case: nothing dropped, and no cause named" $?
		check_slow "$case" "$out"
		[[ $(jq -r .slow.count "$out") -gt 0 && $(jq -r .delay_only "$out") -eq $(jq -r .slow.count "$out") ]]
		log_test "$NAME: $case: every tail labelled delay ($(jq -r .delay_only "$out"))" $?
	fi
	return $((DS_TESTS_FAILED ? 2 : 0))
}

# The points with drops of the workload but those inside a receiving TCP (a
# segment freed by tcp_v4_rcv without a reason, such as one reaching a
# TIME-WAIT socket): it arrived, so no capture can tell it from delivered.
OTHER_POINTS='[.causes[] | select(.workload_drops > 0 and ((.reason == "NOT_SPECIFIED" and (.site | test("^tcp_v[46]_rcv"))) | not))] | length'

# htb_add: an HTB leaf of 1 Mbit/s with a 600-byte bfifo (9 of rr's segments) on RTR_NS's rtr1, toward the server.
htb_add() {
	tc -n "$RTR_NS" qdisc add dev rtr1 root handle 1: htb default 10 &&
		tc -n "$RTR_NS" class add dev rtr1 parent 1: classid 1:10 htb rate 1mbit ceil 1mbit &&
		tc -n "$RTR_NS" qdisc add dev rtr1 parent 1:10 handle 10: bfifo limit 600
}

# net_case CASE: on veth pairs, a router between them for htb and two; C on cli0, S on srv0.
net_case() {
	local case=$1 out=$TMP/$1.json nft=0 q0=0 q1=0 nflog=() want

	case $case in
	nft | clean) lab_pair off || return 1 ;;
	htb | two) lab_chain off && htb_add || return 1 ;;
	esac
	if [[ $case == nft || $case == two ]]; then
		LOSS_NFLOG=$NFLOG_GROUP loss_add "$SRV_NS" 20 "tcp dport != $PORT" || return 1
		nflog=("$SRV_NS" "$NFLOG_GROUP")
	fi
	bg_run "$SRV_NS" srv "$BIN" rr --server --once --bind "$SRV_IP" --port $PORT
	busywait 5000 ns_listening "$SRV_NS" $PORT || return 1
	truth_start "$CLI_NS" cli0 "$SRV_NS" srv0 "${nflog[@]}" || return 1
	[[ $case == htb || $case == two ]] && { q0=$(qdisc_stat "$RTR_NS" rtr1 10: drops) || return 1; }
	diag "$CLI_NS" "$out" "$SRV_IP" || return 1
	busywait 10000 no_tcp "$CLI_NS" "$SRV_NS" || echo "  connections still open" >&2
	[[ $case == htb || $case == two ]] && { q1=$(qdisc_stat "$RTR_NS" rtr1 10: drops) || return 1; }
	[[ ${#nflog[@]} -gt 0 ]] && nft=$(loss_count "$SRV_NS")
	truth_stop "$SRV_IP" "$PORT" "$(jq -r .slow.threshold_ms "$out")" || return 1
	case $case in
	nft)
		check_point "$case" "$out" srv0 NETFILTER_DROP nflog "$nft"
		[[ $(truth_get .cs_gap.total) -eq 0 ]]
		log_test "$NAME: $case: nothing lost on the wire (truth)" $?
		;;
	htb) check_point "$case" "$out" rtr1 QDISC_DROP cs_gap $((q1 - q0)) ;;
	two)
		check_point "$case" "$out" rtr1 QDISC_DROP cs_gap $((q1 - q0))
		check_point "$case" "$out" srv0 NETFILTER_DROP nflog "$nft"
		;;
	clean)
		echo "  $case: truth $(truth_get '[.cs_gap.total, .sc_gap.total]'), verdict drops $(jq -c .drops "$out")," \
			"causes $(jq -c '[.causes[] | [.ifname, .reason, .drops]]' "$out")"
		# Other traffic (IPv6 multicast nobody joined) may be dropped and shown apart.
		[[ $(truth_get '.cs_gap.total + .sc_gap.total') -eq 0 &&
			$(jq '.drops.workload' "$out") -eq 0 && $(jq "$OTHER_POINTS" "$out") -eq 0 ]]
		log_test "$NAME: $case: no loss, and the verdict names none" $?
		;;
	esac
	[[ $case == clean ]] || {
		want=1
		[[ $case == two ]] && want=2
		[[ $(jq "$OTHER_POINTS" "$out") -eq $want ]]
		log_test "$NAME: $case: no other point named" $? "$(jq -c '[.causes[] | [.ifname, .reason, .site, .drops]]' "$out")"
	}
	check_slow "$case" "$out"
	return $((DS_TESTS_FAILED ? 2 : 0))
}

# run_case CASE FN [ARG...]: FN in a subshell (what it made is gone after); 1: its set-up failed, 2: a check did.
run_case() {
	local case=$1 rc

	shift
	sub_run "$@"
	rc=$?
	case $rc in
	0) ;;
	2) DS_TESTS_FAILED=1 ;;
	*) log_test "$NAME: $case: set-up and run (exit $rc)" 1 ;;
	esac
}

for c in ${DIAG_CASES:-vm nft htb two clean delay}; do
	case $c in
	vm) run_case vm vm_case vm 8 300 ;;
	delay) run_case delay vm_case delay 2000 300 ;;
	nft | htb | two | clean) run_case "$c" net_case "$c" ;;
	esac
done
tests_exit
