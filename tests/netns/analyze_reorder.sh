#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 240
#
# analyze_reorder.sh - a late original is not a retransmission.  iperf3 bulk
# from CLI_NS to SRV_NS over veth, offloads off, while the sending process
# is moved between the two CPUs every 50 ms: a veth hands each packet to the
# backlog of the CPU that sends it, so after a move the new CPU's packets
# overtake those still queued on the old one, and the receiver sees
# segments out of order (its kernel and the sender's then make spurious
# retransmissions of their own, which are real retransmissions to count).
# Captured live on the receiver's veth (dropscope analyze -i srv0, saving
# what it analyses with -w) and with tcpdump on the sender's, in two rounds:
# no loss, and nft dropping 0.1% of the data segments at the receiver's
# input (after both capture points; more loss keeps the window too small to
# reorder).  In each round, against the kernels' TcpRetransSegs deltas:
#   the receiver side (srv0, live): retrans_segs == kernels', exactly, with
#     reordering > 0 (the premise: without it this tests nothing) and nothing
#     ambiguous (Linux numbers IPv4 IDs per socket in sending order);
#   the sender side (cli0, file): retrans_segs == kernels', exactly;
#   the file analysis of the live run's own copy == the live run, counter by
#     counter (two capture sockets would not do: packets that two CPUs
#     deliver at once may reach them in different orders).
# The truth holds only when no capture lost a packet, and the test means
# something only when the receiver saw reordering: both checked, the round
# tried up to three times, else SKIP.
#
# shellcheck disable=SC2317 # helpers called through busywait

# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"
require_root
require_cmd tcpdump jq nft ethtool ss iperf3 taskset

BIN=${DS_BIN:-$DS_ROOT/dropscope}
NAME=$(basename "$0" .sh)
PORT=5201
SECS=4			# traffic
LIVE_SECS=$((SECS + 8))	# set-up + traffic + close, with room
KEYS="packets tcp_packets retrans_segs reordering ambiguous lost_downstream lost_upstream capture_gaps"

if ! "$BIN" analyze --help >/dev/null 2>&1; then
	log_test "$NAME" 4 "dropscope analyze not built"
	exit 4
fi
tmpdir_create TMP

# migrate PID: move PID's threads between CPU 0 and 1 every 50 ms while it lives (bounded).
migrate() {
	local pid=$1 i

	for ((i = 0; i < SECS * 20 + 100; i++)); do
		bg_alive "$pid" || return 0
		taskset -a -p $((1 + i % 2)) "$pid" >/dev/null 2>&1
		nap 0.05
	done
}

# round PERMILLE DIR: one run in its own namespaces; results in DIR/vars, DIR/{srv,cli,live}.json.
# Returns 4 (reason in DIR/why) when a capture lost packets or nothing was reordered.
round() {
	local permille=$1 dir=$2 srv live capr c0 s0 c1 s1 ipf rc sr sc stats_r lost=0

	mkdir -p "$dir"
	lab_pair off || return 1
	((permille)) && { loss_add "$SRV_NS" "$permille" "tcp dport $PORT" || return 1; }
	bg_run "$SRV_NS" srv iperf3 -s -1 -B "$SRV_IP" -p $PORT >/dev/null 2>&1
	busywait 5000 ns_listening "$SRV_NS" $PORT || return 1
	bg_run "$SRV_NS" live timeout $((LIVE_SECS + 30)) "$BIN" -j analyze -i srv0 \
		--duration $LIVE_SECS --snaplen 128 --buffer 64 --no-progress -w "$dir/srv.pcap" \
		tcp >"$dir/live.json" 2>"$dir/live.err"
	cap_start "$CLI_NS" cli0 "$dir/cli.pcap" 65536 capr tcp &&
		busywait 5000 filtered_captures "$SRV_NS" srv0 1 &&
		busywait 5000 filtered_captures "$CLI_NS" cli0 1 || return 1
	c0=$(snmp_get "$CLI_NS" TcpRetransSegs) s0=$(snmp_get "$SRV_NS" TcpRetransSegs)
	ip netns exec "$CLI_NS" timeout $((SECS + 30)) iperf3 -c "$SRV_IP" -p $PORT \
		-t $SECS -J >"$dir/iperf.json" 2>"$dir/iperf.err" &
	ipf=$!
	migrate "$ipf"
	wait "$ipf"
	rc=$?
	busywait 10000 no_tcp "$CLI_NS" "$SRV_NS"
	wait "$srv"
	c1=$(snmp_get "$CLI_NS" TcpRetransSegs) s1=$(snmp_get "$SRV_NS" TcpRetransSegs)
	bg_alive "$live"
	sr=$?			# 0: the live capture outlasted the traffic
	wait "$live"
	sc=$?
	cap_stop "$capr" "$dir/cli.pcap" stats_r || lost=1
	{
		echo "IPERF_RC=$rc LIVE_OUTLASTED=$sr LIVE_RC=$sc"
		echo "KERNEL=$(((c1 - c0) + (s1 - s0))) KCLI=$((c1 - c0)) KSRV=$((s1 - s0))"
		echo "NFT=$( ((permille)) && loss_count "$SRV_NS" || echo 0)"
		echo "CAP_CLI='$stats_r'"
		echo "PCAP_DROPS=$(json_num "$dir/live.json" pcap_drops)"
	} >"$dir/vars"
	"$BIN" -j analyze -r "$dir/srv.pcap" >"$dir/srv.json" 2>"$dir/srv.err" &&
		"$BIN" -j analyze -r "$dir/cli.pcap" >"$dir/cli.json" 2>"$dir/cli.err" || return 1
	if ((lost)) || [[ $(json_num "$dir/live.json" pcap_drops) != 0 ]]; then
		echo "a capture lost packets: tcpdump cli0 $stats_r" \
			"(captured received dropped), live srv0 pcap_drops" \
			"$(json_num "$dir/live.json" pcap_drops)" >"$dir/why"
		return 4
	fi
	if [[ $(json_num "$dir/live.json" reordering) == 0 ]]; then
		echo "the lab made no reordering" >"$dir/why"
		return 4
	fi
}

# rtx_diff DIR: the retransmissions (port, seq, len, times) one side's file
# counts and the other does not (the same packets, but for reordering and
# nft's drops after both capture points), a few of each way, with their
# classes: what a count that differs from the kernels' is made of.
rtx_diff() {
	local dir=$1 side

	for side in srv cli; do
		"$BIN" analyze -r "$dir/$side.pcap" --events "$dir/$side.ev" >/dev/null 2>&1 ||
			{ echo "  (no events from $side.pcap)"; return; }
		jq -r 'select(.type == "retrans") | "\(.sport) \(.seq) \(.len) \(.class)"' \
			"$dir/$side.ev" | sort >"$dir/$side.rtx"
	done
	# Keyed by port, seq, len: the classes differ from side to side, the copies do not.
	awk '{ k = $1 " " $2 " " $3; n[FILENAME, k]++; c[FILENAME, k] = c[FILENAME, k] " " $4; keys[k] }
	     END { for (k in keys) { a = n[ARGV[1], k] + 0; b = n[ARGV[2], k] + 0
			if (a != b) printf "  rtx %s: srv0 %d (%s) cli0 %d (%s)\n", k, a,
				c[ARGV[1], k], b, c[ARGV[2], k] } }' "$dir/srv.rtx" "$dir/cli.rtx" |
		sort | head -n 12
}

# show DIR FILE: one line of what analyze found in DIR/FILE.json.
show() {
	jq -r '"retrans_segs=\(.retrans_segs) (fast \(.by_class.fast) rto \(.by_class.rto)" +
	       " tlp \(.by_class.tlp) spurious \(.by_class.spurious)) down=\(.lost_downstream)" +
	       " up=\(.lost_upstream) reordering=\(.reordering) ambiguous=\(.ambiguous)" +
	       " by_segs_max=\(.reorder.segs.max // 0) late_us_max=\(.reorder.delay_us.max // 0)"' \
		"$1/$2.json" 2>/dev/null || echo "no JSON"
}

check_round() {
	local label=$1 permille=$2 dir=$3 rc try k lv fv
	local IPERF_RC LIVE_OUTLASTED LIVE_RC KERNEL KCLI KSRV NFT CAP_CLI PCAP_DROPS

	for try in 1 2 3; do
		rm -rf "$dir"
		sub_run round "$permille" "$dir"
		rc=$?
		((rc == 4 && try < 3)) || break
		log_info "$label: $(cat "$dir/why"), once more"
	done
	if ((rc == 4)); then
		log_test "$NAME: $label" 4 "$(cat "$dir/why")"
		return
	fi
	if ((rc)) || [[ ! -f $dir/vars ]]; then
		log_test "$NAME: $label: the lab ran" 1 "$(cat "$dir"/*.err 2>/dev/null | head -n 5)"
		return
	fi
	# shellcheck disable=SC1091 # written by round
	source "$dir/vars"
	echo "  $label: kernel TcpRetransSegs $KERNEL (cli $KCLI, srv $KSRV), nft drops $NFT," \
		"tcpdump cli0 $CAP_CLI, live srv0 pcap_drops $PCAP_DROPS"
	echo "  $label: srv0 live: $(show "$dir" live)"
	echo "  $label: srv0 copy: $(show "$dir" srv)"
	echo "  $label: cli0 file: $(show "$dir" cli)"
	((IPERF_RC == 0 && LIVE_OUTLASTED == 0 && LIVE_RC == 0))
	log_test "$NAME: $label: iperf3 ran and closed within the live capture" $? \
		"iperf3 exit $IPERF_RC, live exit $LIVE_RC, ended first $LIVE_OUTLASTED"
	((permille == 0 || NFT > 0))
	log_test "$NAME: $label: nft dropped segments ($NFT)" $?
	k=$(json_num "$dir/live.json" reordering)
	[[ $k =~ ^[0-9]+$ ]] && ((k > 0))
	log_test "$NAME: $label: srv0 saw reordering ($k segments)" $?
	k=$(json_num "$dir/live.json" retrans_segs)
	[[ $k == "$KERNEL" ]] || rtx_diff "$dir"
	[[ $k == "$KERNEL" ]]
	log_test "$NAME: $label: srv0 (receiver) retrans_segs $k == kernels' $KERNEL" $?
	k=$(json_num "$dir/live.json" ambiguous)
	[[ $k == 0 ]]
	log_test "$NAME: $label: srv0 nothing ambiguous ($k)" $?
	k=$(json_num "$dir/cli.json" retrans_segs)
	[[ $k == "$KERNEL" ]]
	log_test "$NAME: $label: cli0 (sender) retrans_segs $k == kernels' $KERNEL" $?
	for k in $KEYS; do
		lv=$(json_num "$dir/live.json" "$k") fv=$(json_num "$dir/srv.json" "$k")
		[[ $lv == "$fv" && $lv != missing ]] || break
	done
	[[ $lv == "$fv" && $lv != missing ]]
	log_test "$NAME: $label: srv0 live == file of its copy ($KEYS)" $? "$k: live $lv, file $fv"
}

check_round "no loss" 0 "$TMP/noloss"
check_round "0.1% nft loss" 1 "$TMP/loss"
tests_exit
